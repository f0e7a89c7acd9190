"""Incremental syncs: the work follows the change, and the result is what a full sync gives.

A sync looks only at the feeds that hold a changed event (the state's ``feed_keys``
index) and at the personal feeds of participants changed since the last sync. Each test
makes one kind of change, then syncs one copy incrementally and another with ``--full``
(every feed planned from scratch): both must publish the very same bytes and state.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from g40cal.config import load_config
from g40cal.definitions.project import load_project
from g40cal.publishing import sync
from g40cal.publishing.ical import previous_vevents
from g40cal.publishing.pipeline import prepare_sync
from g40cal.publishing.sync import apply_sync
from g40cal.state import MIGRATIONS, State, _statements
from tests.participants_support import (
    ANNA,
    EVA,
    GIJS,
    ZAANDAM,
    ZAANDAM_FILE,
    ok,
    person,
    run,
)
from tests.syncing import edit, later, remove_item, sync_at

SLIM_MET_STROOM = "r1-slim-met-stroom"


def move_room(root: Path) -> None:
    edit(root / ZAANDAM_FILE, f'id = "{SLIM_MET_STROOM}"', f'id = "{SLIM_MET_STROOM}"\n'
         'room = "Zaal Verplaatst"')


def change_choice(root: Path) -> None:
    ok(run(root, "participants", "choose", ANNA, "Migratie en Werk"))


def drop_choice(root: Path) -> None:
    ok(run(root, "participants", "choose", ANNA, "--drop", "Vaartocht over de Zaan"))


def rotate_token(root: Path) -> None:
    ok(run(root, "participants", "rotate", ANNA, "--yes"))


def remove_participant(root: Path) -> None:
    ok(run(root, "participants", "remove", GIJS, "--yes"))


def remove_definition_item(root: Path) -> None:
    remove_item(root / ZAANDAM_FILE, SLIM_MET_STROOM)


def add_participant(root: Path) -> None:
    ok(run(root, "participants", "add", "--name", "Wim Willems", "--email",
           "w.willems@venlo.example", "--programme", ZAANDAM))


def drop_last_registration(root: Path) -> None:
    """A participant kept without any registration (e.g. their only day was purged)."""
    eva = person(root, EVA)
    with State(load_config(root).state_path) as state, state.transaction():
        state.db.execute("DELETE FROM registrations WHERE participant_id = ?", (eva.id,))


def room_and_choice(root: Path) -> None:
    move_room(root)
    change_choice(root)


def rename_programme(root: Path) -> None:
    path = root / ZAANDAM_FILE
    text = path.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title = "))
    edit(path, title, title[:-1] + ' (gewijzigd)"')


def describe_programme(root: Path) -> None:
    """A programme-level text only its own page shows (no event changes)."""
    edit(root / ZAANDAM_FILE, 'source = "zaandam-bestuurlijke-netwerkdag.txt"',
         'source = "zaandam-bestuurlijke-netwerkdag.txt"\n'
         'description = "Een nieuwe inleiding op de dag."')


def move_to_another_group(root: Path) -> None:
    edit(root / ZAANDAM_FILE, 'groups = ["Financiën"]', 'groups = ["pijler-sociaal"]')


CHANGES: dict[str, Callable[[Path], None]] = {
    "a room": move_room,
    "a choice": change_choice,
    "a dropped choice": drop_choice,
    "a new token": rotate_token,
    "a removed participant": remove_participant,
    "an item removed from the definition": remove_definition_item,
    "a participant added by hand": add_participant,
    "a participant's last registration deleted": drop_last_registration,
    "a room and a choice at once": room_and_choice,
    "a programme title": rename_programme,
    "a programme description": describe_programme,
    "an item moved to another group": move_to_another_group,
}


def published(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes()
            for folder in ("feeds", "private") for p in sorted((root / folder).rglob("*"))
            if p.is_file()}


def recorded(root: Path) -> dict[str, list[tuple[object, ...]]]:
    queries = {
        "events": "SELECT key, sig, full, sequence, modified, status, removed, event, digest "
                  "FROM events ORDER BY key",
        "feeds": "SELECT * FROM feeds ORDER BY feed_id",
        "feed_keys": "SELECT * FROM feed_keys ORDER BY feed_id, key",
        "feed_members": "SELECT * FROM feed_members ORDER BY feed_id, key",
        "files": "SELECT path, hash, size FROM files ORDER BY path",
    }
    with State(load_config(root).state_path) as state:
        return {name: state.db.execute(query).fetchall() for name, query in queries.items()}


@pytest.fixture(params=["rendered whole", "spliced"])
def spliced_feeds(request: pytest.FixtureRequest,
                  monkeypatch: pytest.MonkeyPatch) -> list[str] | None:
    """The feeds a sync spliced from their previous file (None: rendered whole). Only the
    network feed of a national network is big enough for that; "spliced" lowers the bar
    so that every feed of the test project qualifies."""
    if request.param == "rendered whole":
        return None
    spliced: list[str] = []
    monkeypatch.setattr(sync, "SPLICE_MIN_EVENTS", 1)

    def counting(path: Path, digest: str) -> dict[bytes, bytes] | None:
        found = previous_vevents(path, digest)
        if found:
            spliced.append(path.name)
        return found

    monkeypatch.setattr(sync, "previous_vevents", counting)
    return spliced


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_an_incremental_sync_publishes_exactly_what_a_full_sync_publishes(
        root: Path, tmp_path: Path, change: str, spliced_feeds: list[str] | None) -> None:
    CHANGES[change](root)
    full = tmp_path / "full"
    shutil.copytree(root, full)
    incremental = sync_at(root, later(10))
    spliced = list(spliced_feeds or [])
    complete = sync_at(full, later(10), verify=True)
    if spliced_feeds is not None:
        assert spliced_feeds == spliced, "a --full sync renders every feed whole"
        # every feed rendered again came from its previous file
        assert sorted(spliced) == sorted(Path(o.spec.path).name for o in incremental.plan.feeds
                                         if o.rendered and o.old_keys)
    # (rotate and remove delete the old feed themselves; the sync then has less to do)
    assert incremental.plan.writes or incremental.plan.removals or change in {
        "a removed participant"}
    assert published(root) == published(full)
    assert recorded(root) == recorded(full)
    assert sorted(c.key for c in incremental.plan.changes.changes) == sorted(
        c.key for c in complete.plan.changes.changes)
    # Nothing is left to do: a full sync right after writes nothing.
    assert sync_at(root, later(20), verify=True).written == []


def plan_after(root: Path, change: Callable[[Path], None]):
    change(root)
    config = load_config(root)
    with State(config.state_path) as state:
        plan, _ = prepare_sync(load_project(config), state, now=later(10))
        holders = {row[0] for row in state.db.execute(
            "SELECT feed_id FROM feed_keys WHERE key = ?", (f"{ZAANDAM}/{SLIM_MET_STROOM}",))}
        apply_sync(plan, state, config)
    return plan, holders


def test_a_room_change_renders_only_the_feeds_that_hold_the_item(root: Path) -> None:
    plan, holders = plan_after(root, move_room)
    rendered = {o.spec.id for o in plan.feeds if o.rendered}
    assert rendered == holders
    assert {o.spec.id for o in plan.changed_feeds} == holders
    assert any(h.startswith("personal:") for h in holders)
    assert len([o for o in plan.feeds if o.spec.private]) < len(
        [p for p in (root / "private").glob("*.ics")])


def test_a_choice_change_renders_only_that_participants_feed(root: Path) -> None:
    plan, _ = plan_after(root, change_choice)
    anna = person(root, ANNA)
    assert {o.spec.id for o in plan.feeds if o.rendered} == {anna.feed_id}
    assert [o.spec.id for o in plan.feeds if o.spec.private] == [anna.feed_id]
    written = [w.relative for w in plan.writes]
    assert written == [f"{anna.token}.ics", f"{anna.token}.html"]


def test_participant_changes_are_forgotten_once_published(root: Path) -> None:
    change_choice(root)
    config = load_config(root)
    with State(config.state_path) as state:
        pending = state.db.execute("SELECT participant_id FROM participant_changes").fetchall()
    assert pending == [(person(root, ANNA).id,)]
    sync_at(root, later(10))
    with State(config.state_path) as state:
        assert state.db.execute("SELECT COUNT(*) FROM participant_changes").fetchone() == (0,)


def test_a_dry_run_keeps_participant_changes_pending(root: Path) -> None:
    change_choice(root)
    ok(run(root, "sync", "--dry-run"))
    with State(load_config(root).state_path) as state:
        assert state.db.execute("SELECT COUNT(*) FROM participant_changes").fetchone() == (1,)


def test_a_state_from_before_the_feed_index_is_upgraded_and_the_next_sync_is_a_no_op(
        root: Path) -> None:
    """Schema 5 kept each feed's keys as a JSON list; the upgrade moves them to feed_keys."""
    config = load_config(root)
    before = recorded(root)
    path = config.state_path
    with State(path) as state:
        feeds = {r[0]: sorted(k for _, k in state.db.execute(
            "SELECT feed_id, key FROM feed_keys WHERE feed_id = ?", (r[0],)))
            for r in state.db.execute("SELECT feed_id FROM feeds")}
    downgrade_to_schema_5(path, feeds)
    written = sync_at(root, later(10)).written
    assert written == []
    after = recorded(root)
    assert after["feed_keys"] == before["feed_keys"]
    assert after["feeds"] == before["feeds"] and after["events"] == before["events"]


def downgrade_to_schema_5(path: Path, feeds: dict[str, list[str]]) -> None:
    """Undo migration 7 (an index), and rebuild the tables of migration 6 the way schema 5
    had them (keys as JSON)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    db.execute("DROP TABLE IF EXISTS mail_outbox")  # migration 8 (its trigger goes below)
    db.execute("DROP INDEX events_heads")
    for name, in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    db.execute("DROP TABLE feed_keys")
    db.execute("DROP TABLE participant_changes")
    db.execute("DROP TABLE retired_tokens")
    db.execute("DROP INDEX feeds_private")
    db.execute("DROP INDEX events_removed")
    db.execute("ALTER TABLE events DROP COLUMN digest")
    db.execute("ALTER TABLE caldav_objects DROP COLUMN sequence_offset")  # migration 0009
    db.execute("ALTER TABLE feeds ADD COLUMN keys TEXT NOT NULL DEFAULT '[]'")
    for feed_id, keys in feeds.items():
        db.execute("UPDATE feeds SET keys = ? WHERE feed_id = ?", (json.dumps(keys), feed_id))
    for statement in _statements(MIGRATIONS[4]):
        if statement.startswith("CREATE TRIGGER"):
            db.execute(statement)
    db.execute("PRAGMA user_version = 5")
    db.execute("COMMIT")
    db.close()


@pytest.fixture
def no_qr_encoding(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The addresses a sync encodes as QR codes (nothing is cached between syncs)."""
    from g40cal.web import pages

    encoded: list[str] = []
    real = pages.zxingcpp.create_barcode

    def counting(data: str, *args: object, **kwargs: object):
        encoded.append(data)
        return real(data, *args, **kwargs)

    pages.qr_svg.cache_clear()
    monkeypatch.setattr(pages.zxingcpp, "create_barcode", counting)
    return encoded


def test_a_personal_page_rendered_again_shows_its_old_qr_code(
        root: Path, no_qr_encoding: list[str]) -> None:
    move_room(root)
    result = sync_at(root, later(10))
    pages = [p for p in result.written if p.endswith(".html") and "/private/" in p]
    assert pages, "the room change re-renders the pages of the participants holding it"
    assert not [url for url in no_qr_encoding if "/p/" in url]


def test_a_personal_page_changed_by_hand_is_rendered_whole(
        root: Path, tmp_path: Path, no_qr_encoding: list[str]) -> None:
    anna = person(root, ANNA)
    page = root / "private" / f"{anna.token}.html"
    # a code that still looks like one: the state's hash tells the difference
    page.write_bytes(page.read_bytes().replace(b'd="M0 0.5h7', b'd="M0 0.5h6', 1))
    move_room(root)
    full = tmp_path / "full"
    shutil.copytree(root, full)
    sync_at(root, later(10))
    sync_at(full, later(10), verify=True)
    assert any(anna.token in url for url in no_qr_encoding)
    assert page.read_bytes() == (full / "private" / f"{anna.token}.html").read_bytes()

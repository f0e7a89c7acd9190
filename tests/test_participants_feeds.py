"""Personal feeds through real syncs, re-parsed with three strict parsers.

A personal feed holds the common programme plus the participant's choices and follows
every later change: their own change of choice (the dropped item cancelled with a
SEQUENCE bump, the new one added), a cancelled or removed item, a new token, a removal.
"""

from __future__ import annotations

from pathlib import Path

import icalendar

from g40cal.config import load_config
from g40cal.definitions.project import load_project
from g40cal.publishing.feeds import uid_for
from g40cal.state import State
from tests.feedparse import ParsedEvent, parse_feed
from tests.participants_support import (
    ALMELO,
    ANNA,
    DORDRECHT,
    EVA,
    FLEUR,
    GIJS,
    HANNA,
    MEHMET,
    TILBURG,
    ZAANDAM,
    ZAANDAM_FILE,
    feed_file,
    ok,
    person,
    run,
)
from tests.syncing import edit, later, remove_item, sync_at


def uid(root: Path, key: str) -> str:
    return uid_for(key, "pers", load_config(root))


def personal(root: Path, email: str) -> dict[str, ParsedEvent]:
    return parse_feed(feed_file(root, email))


def keys_of(root: Path, feed: dict[str, ParsedEvent]) -> set[str]:
    domain = "@" + load_config(root).uid_domain
    found = set()
    for value in feed:
        programme, item, scope = value.removesuffix(domain).split(".")
        assert scope == "pers"
        found.add(f"{programme}/{item}")
    return found


def common(root: Path, programme_id: str, day: int | None = None) -> set[str]:
    programme = load_project(load_config(root)).programme(programme_id)
    assert programme is not None
    return {f"{programme_id}/{i.id}" for i in programme.items
            if not i.optional and (day is None or i.day == day)}


def test_a_personal_feed_holds_the_common_programme_and_only_the_chosen_items(
        root: Path) -> None:
    feed = personal(root, ANNA)
    chosen = {f"{ZAANDAM}/{i}" for i in ("r1-slim-met-stroom", "lunch-vaartocht-zaan",
                                           "lunch-gesprek-ambassadeur-oekraine",
                                           "r2-veiligheid", "pijler-sociaal")}
    assert keys_of(root, feed) == common(root, ZAANDAM) | chosen
    assert all(e.status != "CANCELLED" and e.sequence == 0 for e in feed.values())
    data = feed_file(root, ANNA).read_bytes()
    calendar = icalendar.Calendar.from_ical(data)
    assert str(calendar["X-WR-CALNAME"]) == (
        "G40 Stedennetwerk – Bestuurlijke netwerkdag Zaandam – persoonlijk programma")
    assert b"Anna" not in data and ANNA.encode() not in data  # the feed names nobody


def test_a_participant_of_several_network_days_has_one_feed_with_all_of_them(
        root: Path) -> None:
    feed = personal(root, HANNA)
    keys = keys_of(root, feed)
    assert common(root, DORDRECHT) | common(root, ALMELO) <= keys
    assert f"{DORDRECHT}/r1-mooi-nederland" in keys and f"{ALMELO}/r2-twenteboard" in keys
    assert "persoonlijk programma netwerkdagen" in feed_file(root, HANNA).read_text("utf-8")


def test_a_participant_of_one_day_of_two_gets_only_that_days_common_items(root: Path) -> None:
    keys = keys_of(root, personal(root, MEHMET))
    assert common(root, TILBURG, day=1) <= keys
    assert not common(root, TILBURG, day=2) & keys


def test_a_changed_choice_cancels_the_old_item_and_adds_the_new_one_in_that_feed_only(
        root: Path) -> None:
    anna_before = feed_file(root, ANNA).read_bytes()
    public_before = {p: p.read_bytes() for p in (root / "feeds").rglob("*.ics")}
    old, new = f"{ZAANDAM}/r2-taal-beeldvorming-armoede", f"{ZAANDAM}/r2-veiligheid"
    ok(run(root, "participants", "choose", EVA, "Themagroep Veiligheid"))
    result = sync_at(root, later(10))
    feed = personal(root, EVA)
    dropped, added = feed[uid(root, old)], feed[uid(root, new)]
    assert (dropped.status, dropped.sequence) == ("CANCELLED", 1)
    assert dropped.summary.startswith("GEANNULEERD: Taal en beeldvorming")
    assert added.status != "CANCELLED" and added.sequence == 0
    # nobody else's feed and no public feed changed
    assert feed_file(root, ANNA).read_bytes() == anna_before
    assert {p: p.read_bytes() for p in (root / "feeds").rglob("*.ics")} == public_before
    assert [f.spec.id for f in result.plan.changed_feeds] == [
        person(root, EVA).feed_id]


def test_a_choice_changed_back_is_restored_with_a_higher_sequence(root: Path) -> None:
    old = f"{ZAANDAM}/r2-taal-beeldvorming-armoede"
    ok(run(root, "participants", "choose", EVA, "Themagroep Veiligheid"))
    sync_at(root, later(10))
    ok(run(root, "participants", "choose", EVA, "r2-taal-beeldvorming-armoede"))
    sync_at(root, later(20))
    feed = personal(root, EVA)
    restored = feed[uid(root, old)]
    assert restored.status != "CANCELLED" and restored.sequence == 2
    assert not restored.summary.startswith("GEANNULEERD")
    veiligheid = feed[uid(root, f"{ZAANDAM}/r2-veiligheid")]
    assert (veiligheid.status, veiligheid.sequence) == ("CANCELLED", 1)


def test_a_cancelled_item_is_cancelled_in_every_personal_feed_that_holds_it(
        root: Path) -> None:
    key = f"{ZAANDAM}/r2-veiligheid"
    path = root / ZAANDAM_FILE
    text = path.read_text(encoding="utf-8")
    anchor = 'id = "r2-veiligheid"\n'
    path.write_text(text.replace(anchor, anchor + "cancelled = true\n"), encoding="utf-8")
    sync_at(root, later(10))
    for email in (ANNA, GIJS):
        event = personal(root, email)[uid(root, key)]
        assert (event.status, event.sequence) == ("CANCELLED", 1), email
    assert uid(root, key) not in personal(root, EVA)  # never chose it: nothing to announce


def test_an_item_removed_from_the_definition_is_cancelled_in_personal_feeds(
        root: Path) -> None:
    key = f"{ZAANDAM}/r1-slim-met-stroom"
    remove_item(root / ZAANDAM_FILE, "r1-slim-met-stroom")
    sync_at(root, later(10))
    for email in (ANNA, FLEUR):
        event = personal(root, email)[uid(root, key)]
        assert (event.status, event.sequence) == ("CANCELLED", 1)
    result = run(root, "participants", "check", "--programme", ZAANDAM)
    assert "gone: #1 Anna de Vries" in result.stdout


def test_a_changed_time_reaches_every_personal_feed_with_a_sequence_bump(root: Path) -> None:
    edit(root / ZAANDAM_FILE, 'start = "11:30"\nend = "12:30"', 'start = "11:45"\nend = "12:45"',
         count=5)
    sync_at(root, later(10))
    event = personal(root, ANNA)[uid(root, f"{ZAANDAM}/r1-slim-met-stroom")]
    assert event.sequence == 1 and (event.start.hour, event.start.minute) == (11, 45)


def test_rotate_removes_the_old_file_at_once_and_the_next_sync_writes_the_new_one(
        root: Path) -> None:
    before = person(root, ANNA)
    old_file = feed_file(root, ANNA)
    assert old_file.exists()
    result = ok(run(root, "participants", "rotate", ANNA, "--yes"))
    after = person(root, ANNA)
    assert after.token != before.token and after.id == before.id
    assert f"/p/{after.token}.ics" in result.stdout
    assert not old_file.exists()
    with State(load_config(root).state_path) as state:
        assert before.feed_id not in state.feeds()
    sync_at(root, later(10))
    assert not old_file.exists()
    feed = personal(root, ANNA)
    assert all(e.status != "CANCELLED" for e in feed.values())


def test_remove_deletes_the_person_and_their_feed_at_once(root: Path) -> None:
    path = feed_file(root, GIJS)
    ok(run(root, "participants", "remove", GIJS, "--yes"))
    assert not path.exists()
    result = sync_at(root, later(10))
    assert not path.exists()
    assert result.removed == []  # nothing left to clean up


def test_a_person_removed_by_reimport_loses_their_feed(root: Path) -> None:
    from tests.participants_support import DATA

    path = feed_file(root, "b.bakker@almere.example")
    ok(run(root, "participants", "import", str(DATA / "zaandam-google-forms-v2.csv"),
           "--programme", ZAANDAM, "--yes"))
    assert not path.exists()
    sync_at(root, later(10))
    assert personal(root, "h.bos@zwolle.example")  # the newcomer has a feed now


def test_syncing_again_writes_nothing_and_personal_feeds_stay_byte_identical(
        root: Path) -> None:
    before = {p: p.read_bytes() for p in (root / "private").iterdir()}
    result = sync_at(root, later(60))
    assert result.written == [] and not result.plan.has_changes
    assert {p: p.read_bytes() for p in (root / "private").iterdir()} == before


def test_every_personal_feed_parses_and_is_private_to_its_owner(root: Path) -> None:
    files = sorted(p for p in (root / "private").iterdir() if p.name != ".g40cal-private")
    feeds = [f for f in files if f.suffix == ".ics"]
    assert len(feeds) == 15
    assert {f.with_suffix(".html") for f in feeds} == set(files) - set(feeds)  # + a page each
    assert (root / "private").stat().st_mode & 0o077 == 0  # file names are the tokens
    for path in files:
        assert path.stat().st_mode & 0o077 == 0, path  # readable by the owner only
    for path in feeds:
        parse_feed(path)


def test_purge_after_the_event_removes_the_data_and_feeds_of_that_day_only(
        root: Path) -> None:
    from datetime import datetime, timedelta

    from tests.participants_support import sqlite_bytes

    after = datetime(2024, 12, 1, 9, 0).astimezone()
    anna_file, hanna_file = feed_file(root, ANNA), feed_file(root, HANNA)
    refused = run(root, "participants", "purge", "--programme", ZAANDAM, "--yes",
                  now=datetime(2024, 6, 12, 9, 0).astimezone())
    assert refused.exit_code == 1 and "purge after the event" in refused.stderr
    ok(run(root, "participants", "purge", "--programme", DORDRECHT, "--yes", now=after))
    ok(run(root, "participants", "purge", "--programme", ZAANDAM, "--yes", now=after))
    assert not anna_file.exists()
    assert hanna_file.exists()  # Hanna is registered for Almelo too
    stored = sqlite_bytes(root)
    assert b"Anna de Vries" not in stored and ANNA.encode() not in stored
    assert b"i.celik@schiedam.example" not in stored
    assert HANNA.encode() in stored
    sync_at(root, after + timedelta(minutes=1))
    assert keys_of(root, personal(root, HANNA)) <= common(root, ALMELO) | {
        f"{ALMELO}/{i}" for i in ("r1-zjo", "r2-twenteboard", "werkbezoek-indie-almelo")}


def test_sync_writes_a_personal_page_next_to_each_personal_feed(root: Path) -> None:
    page = feed_file(root, ANNA).with_suffix(".html")
    html = page.read_text("utf-8")
    zaandam = load_project(load_config(root)).programme(ZAANDAM)
    assert zaandam is not None
    chosen = next(i for i in zaandam.items if i.id == "lunch-vaartocht-zaan")
    other = next(i for i in zaandam.items if i.id == "lunch-wandeling-monet")
    assert f'id="{chosen.id}"' in html and f'id="{other.id}"' not in html
    assert f"p/{person(root, ANNA).token}.ics" in html
    assert oct(page.stat().st_mode & 0o777) == oct(0o600)


def test_a_personal_page_follows_a_changed_choice_and_goes_with_its_feed(root: Path) -> None:
    page = feed_file(root, ANNA).with_suffix(".html")
    ok(run(root, "participants", "choose", ANNA, "lunch-wandeling-monet"))
    sync_at(root, later(10))
    assert 'id="lunch-wandeling-monet"' in page.read_text("utf-8")
    ok(run(root, "participants", "remove", ANNA, "--yes"))
    assert not page.exists()


def test_a_personal_feed_deleted_by_hand_comes_back_with_a_verifying_sync(root: Path) -> None:
    path = feed_file(root, ANNA)
    page = path.with_suffix(".html")
    original, original_page = path.read_bytes(), page.read_bytes()
    path.unlink()
    page.unlink()
    assert sync_at(root, later(10)).plan.repairs == []  # not checked on every run …
    result = sync_at(root, later(20), verify=True)  # … but by g40cal sync --full
    assert result.plan.repairs and path.read_bytes() == original
    assert page.read_bytes() == original_page


def test_a_confirmed_date_reaches_the_description_of_the_personal_feeds(root: Path) -> None:
    def description() -> str:
        calendar = icalendar.Calendar.from_ical(feed_file(root, ANNA).read_bytes())
        return str(calendar["DESCRIPTION"])

    assert "12-06-2024 (onder voorbehoud)" in description()
    edit(root / ZAANDAM_FILE, 'estimated = ["date", "venue"]', 'estimated = ["venue"]')
    sync_at(root, later(10))
    assert "12-06-2024:" in description() and "voorbehoud" not in description()

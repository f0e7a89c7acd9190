"""Privacy: personal data only in the state database; personal feeds only in the private
folder, never in git or in anything public; unguessable tokens; data purged in time."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from g40cal.config import load_config
from g40cal.people.participants import TOKEN_BYTES, insert_participant, load_participants
from g40cal.state import State
from tests.participants_support import (
    DATA,
    ZAANDAM,
    import_all,
    new_project,
    ok,
    people,
    run,
)
from tests.syncing import sync_at


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("G40CAL_STATE", raising=False)
    return new_project(tmp_path / "project")


def personal_strings(root: Path) -> list[bytes]:
    """Every participant's name, e-mail address and feed token (organisations are
    municipalities, which the programmes name anyway)."""
    return [value.encode() for p in people(root).values()
            for value in (p.name, p.email, p.token)]


def test_no_personal_data_reaches_public_feeds_pages_or_index_json(root: Path) -> None:
    import_all(root)
    sync_at(root)
    secrets = personal_strings(root)
    assert len(secrets) > 40
    public = [p for p in (root / "feeds").rglob("*") if p.is_file()]
    assert any(p.name == "index.json" for p in public)
    for path in public:
        data = path.read_bytes()
        for secret in secrets:
            assert secret not in data, (path, secret)
    index = json.loads((root / "feeds" / "index.json").read_text(encoding="utf-8"))
    assert all(entry["kind"] != "personal" for entry in index["feeds"])


def test_personal_data_is_written_nowhere_but_the_state_database_and_private_folder(
        root: Path) -> None:
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    import_all(root)
    sync_at(root)
    changed = {p for p in root.rglob("*") if p.is_file() and before.get(p) != p.read_bytes()}
    allowed = (root / ".g40cal", root / "private", root / "feeds")
    assert all(any(a in p.parents for a in allowed) for p in changed), changed
    assert not any((root / "programmes") in p.parents for p in changed)


def test_personal_changes_stay_out_of_the_public_sync_log(root: Path) -> None:
    import_all(root)
    sync_at(root)
    ok(run(root, "participants", "choose", "e.mulder@emmen.example", "Themagroep Veiligheid"))
    sync_at(root, datetime(2024, 1, 2, tzinfo=UTC))
    log = ok(run(root, "log", "--json")).stdout
    assert "personal:" not in log
    for secret in personal_strings(root):
        assert secret.decode() not in log


def test_tokens_are_long_random_url_safe_and_unique(root: Path) -> None:
    assert TOKEN_BYTES * 8 >= 128
    now = datetime(2024, 1, 1, tzinfo=UTC)
    with State(load_config(root).state_path) as state:
        with state.transaction():
            for number in range(300):
                insert_participant(state, name=f"Test {number}", email=f"t{number}@x.example",
                                   organisation=None, now=now)
        tokens = [p.token for p in load_participants(state)]
    assert len(set(tokens)) == len(tokens) == 300
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43,}", token), token
        assert not token.startswith("-")
    # no shared prefix longer than chance: tokens are not sequential or derived
    assert max(len(_common_prefix(a, b)) for a, b in itertools.pairwise(tokens)) < 6


def _common_prefix(a: str, b: str) -> str:
    size = 0
    while size < min(len(a), len(b)) and a[size] == b[size]:
        size += 1
    return a[:size]


def test_the_state_database_is_readable_by_its_owner_only(root: Path) -> None:
    import_all(root)
    mode = load_config(root).state_path.stat().st_mode
    assert mode & 0o077 == 0


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def test_sync_refuses_to_write_personal_feeds_into_a_git_tracked_folder(root: Path) -> None:
    git(root, "init", "-q")
    import_all(root)
    refused = run(root, "sync", "--yes")
    assert refused.exit_code == 1
    assert "refusing to write personal feeds" in refused.stderr
    assert "not git-ignored" in refused.stderr
    assert not (root / "private").exists()

    (root / ".gitignore").write_text("/private/\n/.g40cal/\n/feeds/\n", encoding="utf-8")
    ok(run(root, "sync", "--yes"))
    files = sorted((root / "private").glob("*.ics"))
    assert len(files) == 15

    git(root, "add", "-f", str(files[0]))
    tracked = run(root, "sync", "--yes")
    assert tracked.exit_code == 1
    assert "git tracks 1 file(s) there" in tracked.stderr


def test_sync_in_a_git_repository_without_participants_writes_no_private_files(
        root: Path) -> None:
    git(root, "init", "-q")
    ok(run(root, "sync", "--yes"))
    assert not (root / "private").exists()


def test_sync_refuses_a_private_folder_inside_the_public_folder(root: Path) -> None:
    (root / "g40cal.toml").write_text('[paths]\nprivate = "feeds/personal"\n', encoding="utf-8")
    ok(run(root, "participants", "import", str(DATA / "zaandam-google-forms.csv"),
           "--programme", ZAANDAM))
    refused = run(root, "sync", "--yes")
    assert refused.exit_code == 1
    assert "inside the public folder" in refused.stderr
    assert not (root / "feeds" / "personal").exists()


def test_links_are_not_written_where_git_could_pick_them_up(root: Path) -> None:
    git(root, "init", "-q")
    (root / ".gitignore").write_text("/registrations/\n", encoding="utf-8")
    ok(run(root, "participants", "import", str(DATA / "zaandam-google-forms.csv"),
           "--programme", ZAANDAM))
    refused = run(root, "participants", "links", "-o", str(root / "links.csv"))
    assert refused.exit_code == 1
    assert "would hold personal links" in refused.stderr
    assert not (root / "links.csv").exists()
    ok(run(root, "participants", "links", "-o", str(root / "registrations" / "links.csv")))
    assert (root / "registrations" / "links.csv").stat().st_mode & 0o077 == 0


def test_check_warns_when_personal_data_outlives_purge_after_days(root: Path) -> None:
    (root / "g40cal.toml").write_text("[participants]\npurge_after_days = 10\n",
                                      encoding="utf-8")
    ok(run(root, "participants", "import", str(DATA / "zaandam-google-forms.csv"),
           "--programme", ZAANDAM))
    in_time = ok(run(root, "check", now=datetime(2024, 6, 20, tzinfo=UTC)))
    assert "personal data" not in in_time.stdout
    late = ok(run(root, "check", now=datetime(2024, 6, 30, tzinfo=UTC)))
    assert ("7 registration(s) with personal data are still stored, 18 days after the event "
            "(purge_after_days = 10)") in late.stdout
    assert "g40cal participants purge --programme zaandam-bestuurlijk" in late.stdout
    strict = run(root, "check", "--strict", now=datetime(2024, 6, 30, tzinfo=UTC))
    assert strict.exit_code == 1
    ok(run(root, "participants", "purge", "--programme", ZAANDAM, "--yes",
           now=datetime(2024, 6, 30, tzinfo=UTC)))
    purged = ok(run(root, "check", now=datetime(2024, 6, 30, tzinfo=UTC)))
    assert "personal data" not in purged.stdout


def test_check_without_a_state_database_does_not_create_one(root: Path) -> None:
    ok(run(root, "check"))
    assert not load_config(root).state_path.exists()


def state_rows(root: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of the state database (whatever the schema grows to)."""
    with State(load_config(root).state_path) as state:
        tables = [r[0] for r in state.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'")]
        return {t: list(state.db.execute(f'SELECT * FROM "{t}"')) for t in tables}


def test_purge_leaves_nothing_of_a_participant_in_any_table(root: Path) -> None:
    """Old tokens (rotated), choice history, page records, sync notes: all of it goes."""
    ok(run(root, "participants", "import", str(DATA / "zaandam-google-forms.csv"),
           "--programme", ZAANDAM))
    sync_at(root, datetime(2024, 5, 1, 10, tzinfo=UTC))
    anna = "a.devries@zaanstad.example"
    ok(run(root, "participants", "choose", anna, "r1-migratie-en-werk"))
    sync_at(root, datetime(2024, 5, 2, 10, tzinfo=UTC))
    before = people(root)
    secrets = {p.token for p in before.values()}
    ok(run(root, "participants", "rotate", anna, "--yes"))
    sync_at(root, datetime(2024, 5, 3, 10, tzinfo=UTC))
    ok(run(root, "participants", "rotate", "b.bakker@almere.example", "--yes"))  # not synced
    secrets |= {p.token for p in people(root).values()}
    ids = {p.id for p in before.values()}
    names = {p.name for p in before.values()} | set(before)
    ok(run(root, "participants", "purge", "--programme", ZAANDAM, "--yes",
           now=datetime(2024, 12, 1, 9, tzinfo=UTC)))
    for table, rows in state_rows(root).items():
        for row in rows:
            text = " ".join(str(v) for v in row)
            assert not any(s in text for s in secrets | names), (table, row)
        if table in ("participant_changes", "registrations", "choices"):
            assert not {row[0] for row in rows} & ids, table
    assert [p.name for p in (root / "private").glob("*")] == [".g40cal-private"]  # only the marker

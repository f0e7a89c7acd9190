"""Personal feeds nobody owns any more (a lost or emptied state) are reported, and
``sync --full`` removes them: a revoked link never keeps working by accident."""

from __future__ import annotations

import os
from pathlib import Path

from g40cal.config import load_config
from tests.participants_support import ok, run


def lose_the_state(root: Path) -> None:
    """What a bad backup restore does: a 0-byte state database."""
    state = load_config(root).state_path
    for suffix in ("-wal", "-shm"):
        state.with_name(state.name + suffix).unlink(missing_ok=True)
    state.write_bytes(b"")


def feeds_in(folder: Path) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.endswith((".ics", ".html")))


def test_personal_feeds_left_by_a_lost_state_are_reported_and_removed_by_a_full_sync(
        root: Path) -> None:
    private = root / "private"
    before = feeds_in(private)
    assert before
    lose_the_state(root)
    synced = ok(run(root, "sync", "--yes"))
    assert f"{len(before)} personal feed file(s) in {private}" in synced.stderr
    assert "belong to no participant" in synced.stderr and "sync --full" in synced.stderr
    assert all(name.rpartition(".")[0] not in synced.output + synced.stderr
               for name in before)  # tokens are shortened, never shown whole
    assert feeds_in(private) == before  # reported only
    checked = ok(run(root, "participants", "check"))
    assert "belong to no participant" in checked.output
    dry = ok(run(root, "sync", "--full", "--dry-run"))
    assert f"personal feed files to remove (no participant owns them): {len(before)}" \
        in dry.output
    assert feeds_in(private) == before
    full = ok(run(root, "sync", "--full", "--yes"))
    assert f"Removing {len(before)} personal feed file(s)" in full.stderr
    assert feeds_in(private) == []
    again = ok(run(root, "sync", "--full", "--yes"))
    assert "no participant" not in again.stderr


def test_feeds_of_current_participants_are_never_reported(root: Path) -> None:
    result = ok(run(root, "sync", "--full", "--yes"))
    assert "no participant" not in result.stderr
    assert "belong to no participant" not in ok(run(root, "participants", "check")).output


def test_a_feed_file_appearing_in_the_private_folder_is_noticed_by_the_next_sync(
        root: Path) -> None:
    import secrets
    import shutil

    private = root / "private"
    ok(run(root, "sync", "--yes"))
    quiet = ok(run(root, "sync", "--yes"))
    assert "No changes." in quiet.output and "no participant" not in quiet.stderr
    planted = private / f"{secrets.token_urlsafe(32)}.ics"
    shutil.copy(private / feeds_in(private)[0], planted)
    noticed = ok(run(root, "sync", "--yes"))
    assert "1 personal feed file(s)" in noticed.stderr
    assert planted.exists()
    ok(run(root, "sync", "--full", "--yes"))
    assert not planted.exists()
    assert "No changes." in ok(run(root, "sync", "--yes")).output

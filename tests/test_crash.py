"""A sync that dies at any point: files stay whole, the next sync converges, no double bump."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from g40cal.config import load_config
from g40cal.publishing import sync
from g40cal.publishing.feeds import uid_for
from g40cal.publishing.publish import Stager
from g40cal.state import State
from tests.feedparse import parse_tree
from tests.syncing import edit, later, sync_at

ALMELO = "programmes/almelo-ambtelijk-2024.toml"
KEY = "almelo-ambtelijk-2024/r1-europa"


class Boom(Exception):
    pass


def sequences(root: Path) -> dict[str, int]:
    return {f"{feed}:{uid}": event.sequence
            for feed, events in parse_tree(root / "feeds").items()
            for uid, event in events.items()}


def edit_room(root: Path) -> None:
    edit(root / ALMELO, 'room = "1.2 Stad Almelo (1e verdieping)"', 'room = "Atelier"')


@pytest.fixture
def synced(project_dir: Path) -> Path:
    sync_at(project_dir)
    return project_dir


@pytest.mark.parametrize("fail_after", [0, 1, 2])
def test_a_run_dying_between_feed_writes_converges_without_a_second_bump(
        synced: Path, monkeypatch: pytest.MonkeyPatch, fail_after: int) -> None:
    edit_room(synced)
    real_commit = Stager.commit
    calls = {"n": 0}

    def failing_commit(stager: Stager, temp: Path, path: Path) -> None:
        if calls["n"] >= fail_after:
            raise Boom(f"disk full at write {calls['n']}")
        calls["n"] += 1
        real_commit(stager, temp, path)

    monkeypatch.setattr(Stager, "commit", failing_commit)
    with pytest.raises(Boom):
        sync_at(synced, later(10))
    parse_tree(synced / "feeds")  # every file on disk is whole and parseable
    assert not list(synced.rglob(f"*{Stager.SUFFIX}"))  # the staged rest was discarded
    monkeypatch.setattr(Stager, "commit", real_commit)
    result = sync_at(synced, later(20))
    assert result.plan.changes.changes == []  # the state already had the change
    assert result.plan.repairs  # ... and the files that missed it were rewritten
    config = load_config(synced)
    seqs = sequences(synced)
    for relative, scope in (("all.ics", "net"), ("groups/europa.ics", "grp-europa"),
                            ("programmes/almelo-ambtelijk-2024.ics", "prog")):
        assert seqs[f"{relative}:{uid_for(KEY, scope, config)}"] == 1
    assert sync_at(synced, later(30)).written == []


def test_a_run_dying_inside_the_state_transaction_records_nothing_and_writes_nothing(
        synced: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit_room(synced)
    before = {p: p.read_bytes() for p in (synced / "feeds").rglob("*") if p.is_file()}

    def broken_add_run(*args: object, **kwargs: object) -> int:
        raise Boom("killed while recording")

    monkeypatch.setattr(State, "add_run", broken_add_run)
    with pytest.raises(Boom):
        sync_at(synced, later(10))
    assert {p: p.read_bytes() for p in (synced / "feeds").rglob("*") if p.is_file()} == before
    monkeypatch.undo()
    result = sync_at(synced, later(20))
    assert [c.change for c in result.plan.changes.changes] == ["changed"]
    assert result.plan.changes.changes[0].sequence == 1


KILLER = textwrap.dedent("""
    import os, signal, sys
    from g40cal.publishing.publish import Stager
    real = Stager.commit
    limit = int(sys.argv[1])
    count = [0]
    def commit(self, temp, path):
        if count[0] == limit:
            os.kill(os.getpid(), signal.SIGKILL)
        count[0] += 1
        real(self, temp, path)
    Stager.commit = commit
    from g40cal.cli import cli
    cli(["--root", sys.argv[2], "--now", sys.argv[3], "sync", "--yes"])
""")


@pytest.mark.parametrize("kill_after", [0, 2])
def test_kill_9_between_two_feed_writes_leaves_whole_files_and_the_next_sync_converges(
        synced: Path, kill_after: int) -> None:
    edit_room(synced)
    done = subprocess.run([sys.executable, "-c", KILLER, str(kill_after), str(synced),
                           later(10).isoformat()], capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    leftovers = list((synced / "feeds").rglob(f".*{Stager.SUFFIX}"))
    assert leftovers  # the killed run had staged its files under temporary names ...
    parse_tree(synced / "feeds")  # ... and never left a half feed under a real one
    result = sync_at(synced, later(20))
    assert result.plan.changes.changes == []
    config = load_config(synced)
    assert sequences(synced)[f"all.ics:{uid_for(KEY, 'net', config)}"] == 1
    assert sync_at(synced, later(30)).written == []
    # sync --full sweeps what a dead run staged (once it is old enough to be surely dead).
    for temp in leftovers:
        os.utime(temp, (0, 0))
    sync_at(synced, later(40), verify=True)
    assert not any(temp.exists() for temp in leftovers)


@pytest.mark.parametrize("listed", [False, True], ids=["files opened", "folders listed"])
def test_a_run_dying_while_recording_written_files_converges(
        synced: Path, monkeypatch: pytest.MonkeyPatch, listed: bool) -> None:
    # (A plan over many feeds lists its folders instead of opening every file it writes.)
    monkeypatch.setattr(sync, "LISTED_WRITES", -1 if listed else 10**9)
    edit_room(synced)

    real_put_file = State.put_file

    def broken_put_file(*args: object, **kwargs: object) -> None:
        raise Boom("killed after writing, before recording")

    monkeypatch.setattr(State, "put_file", broken_put_file)
    with pytest.raises(Boom):
        sync_at(synced, later(10))
    monkeypatch.setattr(State, "put_file", real_put_file)
    after_crash = {p: p.read_bytes() for p in (synced / "feeds").rglob("*.ics")}
    result = sync_at(synced, later(20))
    assert result.plan.changes.changes == []
    assert result.written == []  # the files were already right; only the record was missing
    assert {p: p.read_bytes() for p in (synced / "feeds").rglob("*.ics")} == after_crash
    config = load_config(synced)
    assert sequences(synced)[f"all.ics:{uid_for(KEY, 'net', config)}"] == 1
    assert sync_at(synced, later(30)).plan.writes == []

"""One writer at a time: real g40cal processes competing for one project.

A sync left at its question does not hold the lock; when it is answered after another
g40cal changed the state, it plans again instead of publishing its old plan.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from g40cal.config import load_config
from g40cal.lock import holds_lock, lock_path, project_lock, read_holder
from g40cal.people.participants import load_participants
from g40cal.state import State
from tests.conftest import BEFORE_EVENTS
from tests.locking import Prompted, g40cal, g40cal_env, hold_lock
from tests.syncing import edit, sync_at

ALMELO = "programmes/almelo-ambtelijk-2024.toml"
ZAANDAM = "programmes/zaandam-bestuurlijk.toml"


@pytest.fixture
def synced(project_dir: Path) -> Path:
    sync_at(project_dir)
    return project_dir


def edit_room(root: Path, room: str = "Atelier") -> None:
    edit(root / ALMELO, 'room = "1.2 Stad Almelo (1e verdieping)"', f'room = "{room}"')


def logged_changes(root: Path) -> list[tuple[str, str]]:
    with State(load_config(root).state_path) as state:
        return [(c["item"], c["change"]) for run in state.runs(100) for c in run["changes"]
                if c["feed"] is None]


def test_a_second_g40cal_says_who_holds_the_lock_and_changes_nothing(synced: Path) -> None:
    edit_room(synced)
    before = (synced / "feeds" / "all.ics").read_bytes()
    holder = hold_lock(synced, 60)
    try:
        busy = g40cal(synced, "sync", "--yes")
    finally:
        holder.kill()
        holder.wait()
    assert busy.returncode == 1, busy.stderr
    assert f"another g40cal (pid {holder.pid}, command 'participants import', since" \
        in busy.stderr
    assert "g40cal --wait SECONDS" in busy.stderr
    assert "Traceback" not in busy.stderr
    assert (synced / "feeds" / "all.ics").read_bytes() == before


def test_a_killed_lock_holder_leaves_no_lock_behind(synced: Path) -> None:
    edit_room(synced)
    holder = hold_lock(synced, 60)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert lock_path(load_config(synced).state_path).exists()  # the file stays, unlocked
    done = g40cal(synced, "sync", "--yes")
    assert done.returncode == 0, done.stderr
    assert b"Atelier" in (synced / "feeds" / "all.ics").read_bytes()


def test_wait_lets_a_second_g40cal_wait_for_the_first_to_finish(synced: Path) -> None:
    edit_room(synced)
    holder = hold_lock(synced, 2)
    try:
        done = g40cal(synced, "--wait", "60", "sync", "--yes")
    finally:
        holder.wait()
    assert done.returncode == 0, done.stderr
    assert f"Waiting for another g40cal (pid {holder.pid}" in done.stderr
    assert b"Atelier" in (synced / "feeds" / "all.ics").read_bytes()


def test_two_syncs_at_once_publish_and_log_each_change_once(synced: Path) -> None:
    edit_room(synced)
    command = [sys.executable, "-m", "g40cal", "--root", str(synced), "--wait", "120",
               "sync", "--yes"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=g40cal_env()) for _ in range(2)]
    outputs = [r.communicate(timeout=180) for r in runs]
    assert [r.returncode for r in runs] == [0, 0], outputs
    assert logged_changes(synced).count(("r1-europa", "changed")) == 1
    assert sum("No changes." in out for out, _ in outputs) == 1


def test_a_sync_waiting_at_its_question_holds_no_lock_and_plans_again_when_answered(
        synced: Path) -> None:
    edit_room(synced)
    first = Prompted(synced, "sync")
    try:
        first.read_until("Publish these changes?")
        second = g40cal(synced, "sync", "--yes")  # e.g. the cron job
        assert second.returncode == 0, second.stderr
        published = (synced / "feeds" / "all.ics").read_bytes()
        first.answer("y")
        assert first.finish() == 0, first.output
    finally:
        first.process.kill()
    assert "planned again" in first.output
    assert logged_changes(synced).count(("r1-europa", "changed")) == 1
    assert (synced / "feeds" / "all.ics").read_bytes() == published  # no older DTSTAMP


def test_a_token_rotated_while_a_sync_waits_is_not_published_again(root: Path) -> None:
    edit(root / ZAANDAM, 'title = "Opening"', 'title = "Opening van de dag"')
    with State(load_config(root).state_path) as state:
        person = load_participants(state)[0]
    private = root / "private"
    assert (private / f"{person.token}.ics").exists()
    first = Prompted(root, "sync")
    try:
        first.read_until("Publish these changes?")
        rotated = g40cal(root, "participants", "rotate", str(person.id), "--yes")
        assert rotated.returncode == 0, rotated.stderr
        assert not (private / f"{person.token}.ics").exists()
        first.answer("y")
        first.read_until("planned again")
        first.read_until("Publish these changes?", after="planned again")
        first.answer("y")
        assert first.finish() == 0, first.output
    finally:
        first.process.kill()
    assert "planned again" in first.output
    assert not (private / f"{person.token}.ics").exists()  # the revoked link stays dead
    assert not (private / f"{person.token}.html").exists()


def test_the_lock_is_re_entrant_in_one_process_and_gone_after(tmp_path: Path) -> None:
    state = tmp_path / ".g40cal" / "state.sqlite"
    with project_lock(state, "sync"):
        with project_lock(state, "push"):  # sync --push pushes under the sync's lock
            assert holds_lock(state)
        holder = read_holder(lock_path(state))
        assert holder is not None and holder.pid == os.getpid() and holder.command == "sync"
    assert not holds_lock(state)
    with project_lock(state, "again"):
        pass


def test_a_plan_applies_only_to_the_state_it_was_made_from(synced: Path) -> None:
    from g40cal.definitions.project import load_project
    from g40cal.errors import StalePlan
    from g40cal.publishing.pipeline import prepare_sync
    from g40cal.publishing.sync import apply_sync

    edit_room(synced)
    config = load_config(synced)
    with State(config.state_path) as state:
        plan, _ = prepare_sync(load_project(config), state, now=BEFORE_EVENTS)
        try:
            sync_at(synced)  # another writer publishes in between
            with pytest.raises(StalePlan):
                apply_sync(plan, state, config)
        finally:
            plan.discard()
    assert logged_changes(synced).count(("r1-europa", "changed")) == 1



def test_a_sync_answered_while_another_g40cal_works_waits_for_it_then_publishes(
        synced: Path) -> None:
    edit_room(synced)
    first = Prompted(synced, "sync")
    try:
        first.read_until("Publish these changes?")
        holder = hold_lock(synced, 3)  # e.g. a push from cron, just starting
        first.answer("y")
        first.read_until(f"Waiting for another g40cal (pid {holder.pid}")
        assert first.finish() == 0, first.output
        holder.wait()
    finally:
        first.process.kill()
    assert "Published:" in first.output
    assert b"Atelier" in (synced / "feeds" / "all.ics").read_bytes()

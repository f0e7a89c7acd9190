"""The state database on disk: owner-only from the first byte, and failures in words."""

from __future__ import annotations

import os
import resource
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from g40cal.cli import cli, handle_errors
from g40cal.config import load_config
from g40cal.state import State
from tests.locking import g40cal_env, hold_lock
from tests.participants_support import DATA, ZAANDAM, run
from tests.syncing import sync_at


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_state_folder_and_every_state_file_are_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)  # a usual umask: files would be 0644, folders 0755
    try:
        path = tmp_path / "project" / ".g40cal" / "state.sqlite"
        with State(path) as state:
            with state.transaction():
                state.put_meta("probe", "x")
            files = [path, path.with_name("state.sqlite-wal"), path.with_name("state.sqlite-shm")]
            assert all(f.exists() for f in files)
            assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert mode(path.parent) == 0o700
    finally:
        os.umask(old)


def test_state_files_an_older_g40cal_left_readable_are_made_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / ".g40cal"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    path = folder / "state.sqlite"
    sqlite3.connect(path).execute("PRAGMA journal_mode=WAL").close()
    wal = path.with_name("state.sqlite-wal")
    wal.write_bytes(b"")
    for file in (path, wal):
        file.chmod(0o644)
    with State(path):
        assert mode(path) == 0o600 and mode(wal) == 0o600
    assert mode(folder) == 0o700


def test_a_state_in_a_shared_folder_leaves_the_folder_alone(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    with State(shared / "state.sqlite"):
        pass
    assert mode(shared) == 0o1777  # not g40cal's folder to change
    assert mode(shared / "state.sqlite") == 0o600


def test_a_full_state_database_is_reported_in_words_not_as_a_bug(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"

    @click.command()
    @handle_errors
    def write_a_lot() -> None:
        with State(path) as state:
            pages = state.db.execute("PRAGMA page_count").fetchone()[0]
            state.db.execute(f"PRAGMA max_page_count = {pages + 1}")  # a disk with no room
            with state.transaction():
                state.put_meta("big", "x" * 100_000)

    result = CliRunner().invoke(write_a_lot, [])
    assert result.exit_code == 1, result.output
    assert "the disk is full" in result.output
    assert "bug" not in result.output and "Internal error" not in result.output


def test_a_state_commit_cut_short_by_a_file_size_limit_is_reported_in_words(
        project_dir: Path) -> None:
    sync_at(project_dir)  # a state database of some 600 KB

    def limit() -> None:  # in the child: no file may grow beyond 40 KB (the import's log)
        resource.setrlimit(resource.RLIMIT_FSIZE, (40960, 40960))

    done = subprocess.run(
        [sys.executable, "-m", "g40cal", "--root", str(project_dir), "participants", "import",
         str(DATA / "netwerkdagen-excel.csv")],
        capture_output=True, text=True, env=g40cal_env(), preexec_fn=limit, timeout=120,
        check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "disk I/O error: a full disk, a file size limit or a failing disk" in done.stderr
    assert "nothing of this change was saved" in done.stderr
    assert "Internal error" not in done.stderr and "Traceback" not in done.stderr
    with State(load_config(project_dir).state_path) as state:
        assert state.db.execute("SELECT COUNT(*) FROM participants").fetchone()[0] == 0


def test_a_second_import_while_another_g40cal_works_says_so(root: Path) -> None:
    holder = hold_lock(root, 60)
    try:
        result = run(root, "participants", "import", str(DATA / "zaandam-google-forms.csv"),
                     "--programme", ZAANDAM)
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 1
    assert f"another g40cal (pid {holder.pid}" in result.stderr
    assert "Internal error" not in result.stderr


def test_the_lock_file_is_owner_only_next_to_the_state(root: Path) -> None:
    result = CliRunner().invoke(cli, ["--root", str(root), "participants", "rotate", "1",
                                      "--yes"])
    assert result.exit_code == 0, result.output
    lock = load_config(root).state_path.with_name("state.sqlite.lock")
    assert mode(lock) == 0o600


def test_every_command_that_writes_waits_its_turn_and_changes_nothing_meanwhile(
        root: Path) -> None:
    commands = [
        ["sync", "--yes"], ["sync", "--dry-run"], ["push"],
        ["participants", "import", str(DATA / "zaandam-google-forms.csv"), "--programme",
         ZAANDAM],
        ["participants", "add", "--name", "Test Persoon", "--email", "t.p@example.nl",
         "--programme", ZAANDAM],
        ["participants", "choose", "1", "--drop", "x"],
        ["participants", "remove", "1", "--yes"], ["participants", "rotate", "1", "--yes"],
        ["participants", "purge", "--programme", ZAANDAM, "--yes", "--force"],
    ]
    def snapshot() -> tuple[int, list[tuple[object, ...]]]:
        with State(load_config(root).state_path) as state:
            return state.generation(), state.db.execute(
                "SELECT id, token, name FROM participants ORDER BY id").fetchall()

    before = snapshot()
    holder = hold_lock(root, 120)
    try:
        for command in commands:
            result = run(root, *command)
            assert result.exit_code == 1, (command, result.output)
            assert f"another g40cal (pid {holder.pid}" in result.stderr, command
    finally:
        holder.kill()
        holder.wait()
    assert snapshot() == before

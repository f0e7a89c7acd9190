"""The state database: schema migrations and refusing what it does not understand."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from g40cal.cli import cli
from g40cal.errors import StateError
from g40cal.state import MIGRATIONS, State


def test_a_new_database_gets_every_migration(tmp_path: Path) -> None:
    with State(tmp_path / "state.sqlite") as state:
        assert state.schema_version == len(MIGRATIONS)
        assert state.is_empty()


def test_an_older_database_is_upgraded_in_place_keeping_its_data(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("INSERT INTO runs (at, summary, feeds) VALUES ('2024-01-01T00:00:00', '{}', '[]')")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with State(path) as state:
        assert state.schema_version == len(MIGRATIONS)
        assert len(state.runs()) == 1


def test_a_database_from_a_newer_g40cal_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(StateError, match="newer g40cal"):
        State(path)


def test_a_corrupt_database_is_a_clear_error_not_a_traceback(project_dir: Path) -> None:
    state = project_dir / "broken.sqlite"
    state.write_bytes(b"this is not a database" * 100)
    out = CliRunner().invoke(cli, ["--root", str(project_dir), "--state", str(state), "sync",
                                   "--yes"])
    assert out.exit_code == 1
    assert "cannot use the state database" in out.output
    assert "Traceback" not in out.output


def test_the_state_path_can_be_moved_by_option_or_environment(
        project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    by_option = tmp_path / "a.sqlite"
    out = CliRunner().invoke(cli, ["--root", str(project_dir), "--state", str(by_option),
                                   "sync", "--yes"])
    assert out.exit_code == 0, out.output
    assert by_option.exists()
    assert not (project_dir / ".g40cal").exists()
    by_env = tmp_path / "b.sqlite"
    monkeypatch.setenv("G40CAL_STATE", str(by_env))
    out = CliRunner().invoke(cli, ["--root", str(project_dir), "log"])
    assert out.exit_code == 1  # a fresh location has no syncs yet
    assert str(by_env) in out.output

"""A sync whose inputs did not change since the last complete one stops at once — and
never when anything it depends on changed, expired, or a run died halfway."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

import g40cal.commands.core
from g40cal.cli import cli
from g40cal.publishing.publish import Stager
from tests.conftest import BEFORE_EVENTS
from tests.syncing import edit, later, remove_item

ALMELO = "programmes/almelo-ambtelijk-2024.toml"


def sync(root: Path, *args: str, now=None):
    moment = (now or later(10)).isoformat()
    return CliRunner().invoke(cli, ["--root", str(root), "--now", moment, "sync", "--yes",
                                    *args])


@pytest.fixture
def synced(project_dir: Path) -> Path:
    result = sync(project_dir, now=BEFORE_EVENTS)
    assert result.exit_code == 0, result.output
    return project_dir


@pytest.fixture
def no_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if the definitions are parsed: the fast path must not need them."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("definitions were loaded")

    monkeypatch.setattr(g40cal.commands.core, "load_project", refuse)


def test_an_unchanged_project_is_recognised_without_loading_the_definitions(
        synced: Path, no_loading: None) -> None:
    result = sync(synced)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "No changes."


def test_an_edited_definition_is_planned_in_full(synced: Path) -> None:
    edit(synced / ALMELO, 'room = "1.2 Stad Almelo (1e verdieping)"', 'room = "Atelier"')
    result = sync(synced)
    assert "room 1.2 Stad Almelo (1e verdieping) → Atelier" in result.output


def test_a_comment_only_edit_is_planned_in_full_and_changes_nothing(synced: Path) -> None:
    path = synced / ALMELO
    path.write_text(path.read_text() + "\n# een opmerking\n")
    result = sync(synced)
    assert result.output.strip() == "No changes."
    again = CliRunner().invoke(cli, ["--root", str(synced), "sync", "--yes"])
    assert again.output.strip() == "No changes."


def test_a_participant_change_is_planned_in_full(synced: Path) -> None:
    added = CliRunner().invoke(cli, [
        "--root", str(synced), "participants", "add", "--name", "Test Persoon",
        "--email", "t.persoon@example.org", "--programme", "almelo-ambtelijk-2024"])
    assert added.exit_code == 0, added.output
    result = sync(synced)
    assert "personal feeds to publish: 1" in result.output


def test_an_expiring_cancellation_is_planned_in_full(synced: Path) -> None:
    remove_item(synced / ALMELO, "r1-europa")
    assert "cancelled" in sync(synced).output
    after_retention = BEFORE_EVENTS + timedelta(days=10 + 7 + 2)
    result = sync(synced, now=after_retention)
    assert "dropped" in result.output


def test_a_run_that_died_halfway_is_never_skipped(
        synced: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit(synced / ALMELO, 'room = "1.2 Stad Almelo (1e verdieping)"', 'room = "Atelier"')

    def dying_write(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(Stager, "commit", dying_write)
    assert sync(synced).exit_code == 1
    monkeypatch.undo()
    edit(synced / ALMELO, 'room = "Atelier"', 'room = "1.2 Stad Almelo (1e verdieping)"')
    result = sync(synced, now=later(20))  # the inputs equal the last complete run's again
    assert "changed" in result.output  # ... but the state holds the dead run's change


def test_full_repairs_a_feed_deleted_by_hand(synced: Path) -> None:
    target = synced / "feeds" / "groups" / "europa.ics"
    original = target.read_bytes()
    target.unlink()
    assert sync(synced).output.strip() == "No changes."
    result = sync(synced, "--full")
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == original


def test_an_edit_made_while_a_sync_runs_is_published_by_the_next_sync(
        synced: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = synced / ALMELO
    path.write_text(path.read_text() + "\n# een opmerking\n")  # past the fast path
    loader = g40cal.commands.core.load_project

    def load_then_edit(*args: object, **kwargs: object):
        project = loader(*args, **kwargs)  # the sync goes on with what it read here
        edit(path, 'room = "1.2 Stad Almelo (1e verdieping)"', 'room = "Atelier"')
        return project

    monkeypatch.setattr(g40cal.commands.core, "load_project", load_then_edit)
    assert sync(synced).exit_code == 0
    monkeypatch.setattr(g40cal.commands.core, "load_project", loader)
    result = sync(synced)
    assert result.exit_code == 0, result.output
    assert "room 1.2 Stad Almelo (1e verdieping) → Atelier" in result.output

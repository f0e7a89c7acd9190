"""A cancellation is announced once: removing an item and marking it ``cancelled = true``
are the same news, in either order. When a kept cancellation runs out, the sync says so and
rewrites only the files that still showed it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from g40cal.config import load_config
from g40cal.publishing.feeds import uid_for
from tests.conftest import BEFORE_EVENTS
from tests.feedparse import parse_feed
from tests.syncing import edit, later, remove_item, sync_at

ALMELO = "programmes/almelo-ambtelijk-2024.toml"
EUROPA = "almelo-ambtelijk-2024/r1-europa"
CANCEL = ('id = "r1-europa"\n', 'id = "r1-europa"\ncancelled = true\n')
EVENT_DAY = BEFORE_EVENTS + timedelta(days=10)  # 2024-01-11 is the Almelo day


@pytest.fixture
def synced(project_dir: Path) -> Path:
    sync_at(project_dir)
    return project_dir


def europa(root: Path):
    uid = uid_for(EUROPA, "net", load_config(root))
    return parse_feed(root / "feeds" / "all.ics")[uid]


def mtimes(root: Path) -> dict[str, int]:
    folder = root / "feeds"
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")
            if p.is_file()}


def test_a_removed_item_marked_cancelled_again_keeps_its_sequence(synced: Path) -> None:
    original = (synced / ALMELO).read_text(encoding="utf-8")
    remove_item(synced / ALMELO, "r1-europa")
    sync_at(synced, later(10))
    assert (europa(synced).status, europa(synced).sequence) == ("CANCELLED", 1)
    (synced / ALMELO).write_text(original, encoding="utf-8")
    edit(synced / ALMELO, *CANCEL)
    result = sync_at(synced, later(20))
    assert [(c.change, c.sequence) for c in result.plan.changes.changes] == [("updated", 1)]
    event = europa(synced)
    assert (event.status, event.sequence) == ("CANCELLED", 1)
    assert "Dit onderdeel gaat niet door." in event.description


def test_a_cancelled_item_removed_from_its_definition_is_not_announced_again(
        synced: Path) -> None:
    edit(synced / ALMELO, *CANCEL)
    sync_at(synced, later(10))
    before = europa(synced)
    assert (before.status, before.sequence) == ("CANCELLED", 1)
    remove_item(synced / ALMELO, "r1-europa")
    result = sync_at(synced, later(20))
    assert [c for c in result.plan.changes.changes if c.feed is None] == []
    assert europa(synced) == before
    days = load_config(synced).cancelled_retention_days
    dropped = sync_at(synced, EVENT_DAY + timedelta(days=days + 2))
    assert [c.change for c in dropped.plan.changes.changes if c.key == EUROPA] == ["dropped"]


def test_a_sync_without_input_changes_rewrites_files_only_when_a_cancellation_runs_out(
        synced: Path) -> None:
    remove_item(synced / ALMELO, "r1-europa")
    sync_at(synced, later(10))
    days = load_config(synced).cancelled_retention_days
    quiet = mtimes(synced)
    assert sync_at(synced, EVENT_DAY + timedelta(days=days - 1)).written == []
    assert mtimes(synced) == quiet
    expired = sync_at(synced, EVENT_DAY + timedelta(days=days + 1))
    changed = {k for k, v in mtimes(synced).items() if quiet.get(k) != v}
    # Exactly the feeds and pages that still showed the cancellation, and nothing else.
    assert changed == {"all.ics", "programmes/almelo-ambtelijk-2024.ics", "groups/europa.ics",
                       "index.html", "programmes/almelo-ambtelijk-2024.html",
                       "groups/europa.html"}
    assert [c.change for c in expired.plan.changes.changes] == ["dropped"]
    after = mtimes(synced)
    assert sync_at(synced, EVENT_DAY + timedelta(days=days + 2)).written == []
    assert mtimes(synced) == after

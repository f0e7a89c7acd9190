"""Losing the state database never resets what subscribers have."""

from __future__ import annotations

import shutil
from pathlib import Path

from g40cal.config import load_config
from g40cal.publishing.feeds import uid_for
from tests.feedparse import parse_feed
from tests.syncing import edit, later, remove_item, sync_at

ALMELO = "programmes/almelo-ambtelijk-2024.toml"
KEY = "almelo-ambtelijk-2024/r1-europa"


def lose_state(root: Path) -> None:
    shutil.rmtree(root / ".g40cal")


def test_a_lost_database_is_rebuilt_from_the_feeds_and_nothing_changes(
        project_dir: Path) -> None:
    sync_at(project_dir)
    edit(project_dir / ALMELO, 'room = "1.2 Stad Almelo (1e verdieping)"', 'room = "Atelier"')
    sync_at(project_dir, later(10))
    before = {p: p.read_bytes() for p in (project_dir / "feeds").rglob("*.ics")}
    lose_state(project_dir)
    result = sync_at(project_dir, later(20))
    assert result.plan.changes.changes == []
    assert result.written == []
    assert {p: p.read_bytes() for p in (project_dir / "feeds").rglob("*.ics")} == before


def test_after_a_lost_database_the_next_change_continues_the_sequence(project_dir: Path) -> None:
    sync_at(project_dir)
    edit(project_dir / ALMELO, 'room = "1.2 Stad Almelo (1e verdieping)"', 'room = "Atelier"')
    sync_at(project_dir, later(10))
    lose_state(project_dir)
    edit(project_dir / ALMELO, 'room = "Atelier"', 'room = "Raadzaal"')
    sync_at(project_dir, later(20))
    config = load_config(project_dir)
    event = parse_feed(project_dir / "feeds" / "all.ics")[uid_for(KEY, "net", config)]
    assert event.sequence == 2
    assert event.location.startswith("Raadzaal")


def test_a_cancellation_survives_a_lost_database(project_dir: Path) -> None:
    sync_at(project_dir)
    remove_item(project_dir / ALMELO, "r1-europa")
    sync_at(project_dir, later(10))
    lose_state(project_dir)
    result = sync_at(project_dir, later(20))
    assert result.plan.changes.changes == []
    config = load_config(project_dir)
    event = parse_feed(project_dir / "feeds" / "groups" / "europa.ics")[
        uid_for(KEY, "grp-europa", config)]
    assert event.status == "CANCELLED" and event.sequence == 1
    assert event.summary.startswith("GEANNULEERD: Themagroep Europa")


def test_a_cancellation_in_one_group_feed_survives_a_lost_database(project_dir: Path) -> None:
    sync_at(project_dir)
    edit(project_dir / ALMELO, 'groups = ["Woningmarkt", "Wonen, Welzijn en Zorg", "ZJO"]',
         'groups = ["Woningmarkt", "ZJO"]')
    sync_at(project_dir, later(10))
    lose_state(project_dir)
    sync_at(project_dir, later(20))
    config = load_config(project_dir)
    key = "almelo-ambtelijk-2024/r2-regie-volkshuisvesting"
    left = parse_feed(project_dir / "feeds" / "groups" / "wonen-welzijn-zorg.ics")[
        uid_for(key, "grp-wonen-welzijn-zorg", config)]
    stays = parse_feed(project_dir / "feeds" / "groups" / "woningmarkt.ics")[
        uid_for(key, "grp-woningmarkt", config)]
    assert left.status == "CANCELLED" and left.sequence >= 1
    assert stays.status != "CANCELLED"

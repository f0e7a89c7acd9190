"""Import quality floors: the bureau's five texts against the hand-made definitions.

The full table is `bench/import_quality.py`; these floors keep what is reached from
slipping. Raise a floor when the importer gets better, never lower it to make a change pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from g40cal.definitions.groups import load_registry
from g40cal.importer.quality import SOURCES, Score, score

REPO = Path(__file__).resolve().parent.parent
SOURCE_DIR = REPO / "programmes" / "sources"

# name: (items found at least, share of equal fields at least)
FLOORS = {
    "almelo-ambtelijke-netwerkdag.md": (19, 0.96),
    "dordrecht-ambtelijke-netwerkdag.txt": (25, 0.985),
    "zaandam-bestuurlijke-netwerkdag.txt": (26, 0.994),
    "oss-ambtelijke-netwerkdag.md": (20, 0.71),
    "tilburg-bestuurlijke-netwerkdagen-2025-09.txt": (38, 0.627),
}


@pytest.fixture(scope="module")
def scores() -> dict[str, Score]:
    registry = load_registry(REPO / "groups.toml")
    return {name: score(SOURCE_DIR / name, REPO / "programmes" / definition, registry)[0]
            for name, definition in SOURCES.items()}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_import_quality_stays_above_its_floor(scores: dict[str, Score], name: str) -> None:
    found, share = FLOORS[name]
    result = scores[name]
    assert result.found >= found, result.differences
    assert result.field_share >= share, result.differences


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_no_time_is_stated_that_the_text_does_not_contain(scores: dict[str, Score],
                                                          name: str) -> None:
    assert scores[name].invented_times == ()


def test_a_text_without_times_gets_every_title_and_organiser_but_no_time(
        scores: dict[str, Score]) -> None:
    oss = scores["oss-ambtelijke-netwerkdag.md"]
    assert oss.found == oss.expected
    assert oss.equal["title"] == oss.equal["organisers"] == oss.expected
    assert oss.equal["start"] == 0          # every start is a marked placeholder, not a guess


def test_an_ocr_damaged_text_gets_every_item_and_every_organiser(
        scores: dict[str, Score]) -> None:
    tilburg = scores["tilburg-bestuurlijke-netwerkdagen-2025-09.txt"]
    assert tilburg.found == tilburg.expected
    assert tilburg.equal["organisers"] == tilburg.expected, tilburg.differences
    assert tilburg.organisers_missing == ()


def test_every_line_of_a_clean_text_is_used_or_reported(scores: dict[str, Score]) -> None:
    assert scores["oss-ambtelijke-netwerkdag.md"].unused_lines == 0
    assert scores["dordrecht-ambtelijke-netwerkdag.txt"].unused_lines <= 2
    assert scores["zaandam-bestuurlijke-netwerkdag.txt"].unused_lines <= 1

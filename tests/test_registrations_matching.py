"""Matching a form's texts to items, columns to fields, cells to days and times.

Forgiving (case, accents, punctuation, small typos, a unique substantial part of a title)
but never a guess between two candidates. Plus fuzzing: no input file may end in anything
but a clean ``UserError``.
"""

from __future__ import annotations

import contextlib
import tempfile
from datetime import datetime, time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from g40cal.config import load_config
from g40cal.definitions.model import TZ, Item, Venue
from g40cal.definitions.project import Project, load_project
from g40cal.errors import UserError
from g40cal.people.matching import (
    edit_distance,
    match_items,
    month_first,
    numbered_round,
    optional_items,
    parse_days,
    parse_time,
    resolve_programme,
    round_number,
)
from g40cal.people.registrations import map_columns, plan_import, read_table
from g40cal.state import State
from tests.conftest import REPO

VENUE = Venue("hal", "Hal")


@pytest.fixture(scope="module")
def shipped() -> Project:
    """The shipped programmes, loaded once (nothing here writes to the project)."""
    return load_project(load_config(REPO))


def item(item_id: str, title: str, round_name: str | None = None) -> Item:
    return Item(id=item_id, title=title, kind="keuzesessie", day=1, start=time(10),
                end=time(11), venue=VENUE, round=round_name, optional=True)


SESSIONS = [
    item("wijk-a", "Wijkaanpak A"),
    item("wijk-b", "Wijkaanpak B"),
    item("fin", "Gemeentelijke financiën"),
    item("walk-1", "Stadswandeling Noord"),
    item("walk-2", "Stadswandeling Zuid"),
    item("europa", "Europa"),
    item("eu-kansen", "Kansen in Europa"),
    item("energie", "Versterken lokaal energiesysteem bij netcongestie - Dordtse casus"),
]


@pytest.mark.parametrize(("text", "expected", "how"), [
    ("Gemeentelijke financiën", "fin", "exact"),
    ("GEMEENTELIJKE FINANCIEN", "fin", "exact"),
    ("  gemeentelijke   financiën. ", "fin", "exact"),
    ("fin", "fin", "exact"),  # the item id
    ("Gemeentelijke finacien", "fin", "typo"),  # a transposition
    ("Gemeentelijke financien (zaal 2.14)", "fin", "exact"),  # a remark in brackets
    ("Ronde 2: Gemeentelijke financiën", "fin", "exact"),  # a short label before a colon
    ("Stadswandeling Nord", "walk-1", "typo"),
    ("Versterken lokaal energiesysteem", "energie", "partial"),
    ("Europa", "europa", "exact"),  # exact beats "part of Kansen in Europa"
    ("Europe", "europa", "typo"),
])
def test_forgiving_matches_find_exactly_one_item(text: str, expected: str, how: str) -> None:
    match = match_items(text, SESSIONS)
    assert (match.item.id if match.item else None, match.how) == (expected, how)


@pytest.mark.parametrize(("text", "candidates"), [
    ("Wijkaanpak C", {"wijk-a", "wijk-b"}),  # one typo from two titles
    ("Stadswandeling", {"walk-1", "walk-2"}),  # a part of two titles
])
def test_a_text_that_fits_two_items_is_ambiguous_never_a_guess(
        text: str, candidates: set[str]) -> None:
    match = match_items(text, SESSIONS)
    assert match.item is None and match.how == "ambiguous"
    assert {i.id for i in match.candidates} == candidates


@pytest.mark.parametrize("text", [
    "Klimaat",
    "Kansen",  # one short word inside a title is not enough
    "Stadswandeling Noord, Kanovaren",  # a title plus something that may be a second choice
    "Gemeentelijke fnanciën en zo",  # a typo inside a longer text
])
def test_a_text_that_fits_nothing_well_enough_is_unknown_with_the_nearest_items(
        text: str) -> None:
    match = match_items(text, SESSIONS)
    assert match.item is None and match.how == "unknown"
    assert len(match.candidates) == 3


def test_the_nearest_items_of_an_unknown_text_come_first() -> None:
    match = match_items("Stadswandeling Oost", SESSIONS)
    assert {i.id for i in match.candidates[:2]} == {"walk-1", "walk-2"}


def naive_distance(a: str, b: str) -> int:
    rows = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        for j in range(len(b) + 1):
            if min(i, j) == 0:
                rows[i][j] = max(i, j)
                continue
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1,
                             rows[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[-1][-1]


@settings(max_examples=300, deadline=None)
@given(st.text("abc", max_size=9), st.text("abc", max_size=9), st.integers(0, 4))
def test_the_banded_edit_distance_equals_the_full_one_up_to_its_limit(
        a: str, b: str, limit: int) -> None:
    assert edit_distance(a, b, limit) == min(naive_distance(a, b), limit + 1)


def test_headers_are_recognised_in_many_spellings() -> None:
    headers = ("Tijdstempel", "E-mail adres", "Wat is uw naam?", "Naam organisatie",
               "Voor welke netwerkdag meldt u zich aan?", "Ronde II", "2e ronde",
               "Keuzesessie 3", "Lunchwandeling", "Dieetwensen lunch", "Opmerkingen",
               "Welke dag(en) bent u aanwezig?")
    columns = map_columns(headers)
    named = {name: [headers[i] for i in idx] for name, idx in columns.fields.items()}
    assert named == {
        "registered_at": ["Tijdstempel"], "email": ["E-mail adres"],
        "name": ["Wat is uw naam?"], "organisation": ["Naam organisatie"],
        "programme": ["Voor welke netwerkdag meldt u zich aan?"],
        "days": ["Welke dag(en) bent u aanwezig?"]}
    assert [(c.header, c.number) for c in columns.choices] == [
        ("Ronde II", 2), ("2e ronde", 2), ("Keuzesessie 3", 3), ("Lunchwandeling", None)]
    assert columns.ignored == ["Dieetwensen lunch", "Opmerkingen"]


@pytest.mark.parametrize(("text", "number"), [
    ("keuze sessies ronde i", 1), ("keuzesessies ronde 2", 2), ("themaronde 1", 1),
    ("tweede ronde", 2), ("lunch activiteiten", None), ("pijlersessies", None),
])
def test_round_numbers_are_read_from_digits_roman_numerals_and_words(
        text: str, number: int | None) -> None:
    assert round_number(text) == number


def test_each_numbered_column_maps_to_the_programme_round_with_that_number(
        shipped: Project) -> None:
    almelo = shipped.programme("almelo-ambtelijk-2024")
    tilburg = shipped.programme("tilburg-bestuurlijk-2025")
    assert almelo is not None and tilburg is not None
    assert numbered_round(almelo, 2) == "Keuze sessies - ronde II"
    assert numbered_round(tilburg, 1) == "Themaronde 1"
    assert numbered_round(tilburg, 3) is None
    assert {i.id for i in optional_items(tilburg, "Themaronde 2")} >= {"r2-europa"}


@pytest.mark.parametrize(("text", "us", "expected"), [
    ("2-5-2024 09:12:44", False, datetime(2024, 5, 2, 9, 12, 44, tzinfo=TZ)),
    ("02/05/2024 09:12", False, datetime(2024, 5, 2, 9, 12, tzinfo=TZ)),
    ("5/2/24 9:12", True, datetime(2024, 5, 2, 9, 12, tzinfo=TZ)),
    ("2024-05-02T09:12:44+02:00", False, datetime(2024, 5, 2, 9, 12, 44, tzinfo=TZ)),
    ("2024-05-02 07:12:44Z", False, datetime(2024, 5, 2, 9, 12, 44, tzinfo=TZ)),
    ("02.05.2024", False, datetime(2024, 5, 2, tzinfo=TZ)),
])
def test_registration_times_are_read_in_the_usual_export_formats(
        text: str, us: bool, expected: datetime) -> None:
    assert parse_time(text, us) == expected


def test_month_first_dates_are_assumed_only_when_day_first_is_impossible() -> None:
    assert month_first(["5/13/2024 10:00", "5/2/2024 11:00"])
    assert not month_first(["13-5-2024 10:00", "2-5-2024 11:00"])
    assert not month_first(["2-5-2024 10:00"])  # Dutch: day first


def test_an_unreadable_time_raises_value_error() -> None:
    with pytest.raises(ValueError, match="gisteren"):
        parse_time("gisteren")


@pytest.mark.parametrize(("text", "days", "understood"), [
    ("", None, True), ("Beide dagen", None, True), ("Donderdag 25 september", {1}, True),
    ("alleen vrijdag", {2}, True), ("26-09-2025", {2}, True), ("dag 1", {1}, True),
    ("donderdag en vrijdag", None, True), ("dag 3", None, False), ("soms", None, False),
])
def test_days_attended_are_read_from_weekdays_dates_and_day_numbers(
        shipped: Project, text: str, days: set[int] | None, understood: bool) -> None:
    tilburg = shipped.programme("tilburg-bestuurlijk-2025")
    assert tilburg is not None
    assert parse_days(text, tilburg) == (frozenset(days) if days else None, understood)


@pytest.mark.parametrize(("text", "expected"), [
    ("Bestuurlijke netwerkdagen in Tilburg", ["tilburg-bestuurlijk-2025"]),
    ("Zaandam, 12 juni", ["zaandam-bestuurlijk"]),
    ("ambtelijke netwerkdag 20 maart 2025", ["oss-ambtelijk"]),
    ("almelo-ambtelijk-2024", ["almelo-ambtelijk-2024"]),
    ("Groningen", []),
    ("Tilburg 12 juni 2024", []),  # city and date disagree
])
def test_network_days_are_found_by_title_city_date_or_id(
        shipped: Project, text: str, expected: list[str]) -> None:
    assert [p.id for p in resolve_programme(text, shipped.programmes)] == expected


def run_plan(project: Project, data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"export{suffix}"
        path.write_bytes(data)
        with State(Path(folder) / "state.sqlite") as state, contextlib.suppress(UserError):
            plan_import(project, state, path, programme="zaandam-bestuurlijk")


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=600), st.sampled_from([".csv", ".xlsx", ".txt"]))
def test_any_bytes_give_a_plan_or_a_user_error_never_a_crash(
        shipped: Project, data: bytes, suffix: str) -> None:
    run_plan(shipped, data, suffix)


CELLS = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(CELLS, min_size=1, max_size=6), min_size=1, max_size=6))
def test_any_csv_under_real_headers_gives_a_plan_or_a_user_error(
        shipped: Project, rows: list[list[str]]) -> None:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Naam", "E-mailadres", "Ronde 1", "Lunchactiviteit", "Tijdstempel",
                     "Dagen"])
    writer.writerows(rows)
    run_plan(shipped, buffer.getvalue().encode(), ".csv")


def test_a_real_table_keeps_line_numbers_across_multi_line_cells(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text('Naam,Opmerking\nAa,"twee\nregels"\n\nBb,x\n', encoding="utf-8")
    table = read_table(path)
    assert [line for line, _ in table.rows()] == [2, 5]


PILLARS = [
    item("pijler-fysiek", "Bijeenkomst Fysieke pijler", "Bijeenkomsten pijlers"),
    item("pijler-sociaal", "Bijeenkomst Sociale pijler", "Bijeenkomsten pijlers"),
    item("pijler-economie-werk", "Bijeenkomst pijler Economie en Werk", "Bijeenkomsten pijlers"),
]


def test_a_generic_part_that_several_titles_share_is_ambiguous_not_a_partial_match() -> None:
    match = match_items("Bijeenkomst pijler", PILLARS)
    assert match.item is None and match.how == "ambiguous"
    assert {i.id for i in match.candidates} == {"pijler-fysiek", "pijler-sociaal",
                                                "pijler-economie-werk"}
    # the specific part still names one item
    specific = match_items("pijler Economie en Werk", PILLARS)
    assert (specific.item.id if specific.item else None, specific.how) == (
        "pijler-economie-werk", "partial")


def test_the_shipped_tilburg_pillars_are_not_guessed_from_bijeenkomst_pijler(
        shipped: Project) -> None:
    tilburg = shipped.programme("tilburg-bestuurlijk-2025")
    assert tilburg is not None
    for round_name in (None, "Bijeenkomsten pijlers"):
        match = match_items("Bijeenkomst pijler", optional_items(tilburg, round_name))
        assert match.how == "ambiguous" and len(match.candidates) == 3


WORD = st.text("abcdefghijklmnopqrstuvwxyz", min_size=4, max_size=8)


@settings(max_examples=200, deadline=None)
@given(prefix=st.lists(WORD, min_size=2, max_size=3, unique=True),
       suffixes=st.lists(WORD, min_size=2, max_size=4, unique=True),
       side_by_side=st.integers(0, 3))
def test_words_that_several_titles_share_never_match_one_of_them(
        prefix: list[str], suffixes: list[str], side_by_side: int) -> None:
    """However the shared words are placed (side by side in one title only, split by a
    distinguishing word in the others), they fit every title that holds them."""
    if set(prefix) & set(suffixes):
        return
    titles = []
    for number, suffix in enumerate(suffixes):
        words = [*prefix, suffix] if number == side_by_side % len(suffixes) else [
            prefix[0], suffix, *prefix[1:]]
        titles.append(" ".join(words))
    items = [item(f"i{n}", title) for n, title in enumerate(titles)]
    match = match_items(" ".join(prefix), items)
    assert match.item is None and match.how == "ambiguous"
    assert {i.id for i in match.candidates} == {i.id for i in items}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(WORD, min_size=1, max_size=4), min_size=1, max_size=5),
       st.lists(WORD, min_size=1, max_size=4))
def test_a_partial_match_is_the_only_title_holding_all_its_words(
        titles: list[list[str]], text: list[str]) -> None:
    items = [item(f"i{n}", " ".join(words)) for n, words in enumerate(titles)]
    match = match_items(" ".join(text), items)
    if match.how == "partial":
        holders = [i for i in items if set(text) <= set(i.title.split())]
        assert holders in ([], [match.item])

"""Forgiving, never-guessing matching of what people type in a sign-up form.

Texts are compared folded (no case, accents or punctuation). A session title matches
exactly, with a small typo, or as a unique substantial part of one title whose words no
other title holds as well; anything that fits two items is ambiguous and reported, never
guessed. Also: round numbers in column
headers ("Ronde II", "2e ronde"), network days by city, date or title, days attended,
and registration times as form tools export them.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from g40cal.definitions.model import TZ, Item, Programme

Cell = str | datetime


def fold_text(value: str) -> str:
    """Compare-form of a text: no accents, no case, no punctuation, single spaces.

    "Gemeentelijke Financiën" and "gemeentelijke financien" fold to the same text;
    typographic quotes and dashes disappear with the rest of the punctuation.
    """
    if value.isascii():  # most text: no accents to take off
        return " ".join(_WORD.findall(value.lower()))
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_WORD.findall(plain.casefold()))


_WORD = re.compile(r"[0-9a-z]+")


NO_CHOICE = frozenset({"", "geen", "geen keuze", "geen voorkeur", "nee", "no", "none", "nvt",
                       "n v t", "n a", "niet", "niet aanwezig", "niets", "nvt geen keuze"})
NO_CHOICE_PREFIXES = ("geen ", "niet ", "ik ben niet", "ik neem niet", "ik doe niet", "ik kom niet",
                      "ik ga niet", "ik sla", "alleen ")
YES = frozenset({"ja", "yes", "x", "1", "true", "waar", "ja graag", "aangemeld", "ik doe mee",
                 "ik neem deel", "deelname", "checked"})
ROUND_WORDS = ("ronde", "round", "themaronde", "keuzeronde", "sessieronde", "blok", "tijdslot",
               "slot", "keuzesessie", "sessie", "workshop")
NUMBER_WORDS = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "een": 1, "twee": 2,
                "drie": 3, "vier": 4, "vijf": 5, "eerste": 1, "tweede": 2, "derde": 3,
                "vierde": 4, "vijfde": 5, "1e": 1, "2e": 2, "3e": 3, "4e": 4, "5e": 5}
MONTHS = {"januari": 1, "jan": 1, "februari": 2, "feb": 2, "maart": 3, "mrt": 3, "april": 4,
          "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "augustus": 8, "aug": 8,
          "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "november": 11,
          "nov": 11, "december": 12, "dec": 12}
WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
ALL_DAYS = ("beide", "allebei", "alle", "hele", "both", "all")


def round_number(folded: str) -> int | None:
    """The number in "Ronde 2", "ronde II", "2e ronde", "Themaronde 1", "tweede ronde"."""
    words = folded.split()
    for position, word in enumerate(words):
        if word not in ROUND_WORDS:
            continue
        for neighbour in words[position + 1:position + 2] + words[max(position - 1, 0):position]:
            if neighbour.isdigit():
                return int(neighbour)
            if neighbour in NUMBER_WORDS:
                return NUMBER_WORDS[neighbour]
    return None


# -- matching choices ------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """The outcome of matching one text to items: one item, or why not."""

    item: Item | None
    how: str  # exact | typo | partial | none | unknown | ambiguous
    candidates: tuple[Item, ...] = ()  # ambiguous: the items it fits; unknown: the nearest


def typo_allowance(length: int) -> int:
    return 0 if length < 5 else 1 if length < 12 else 2 if length < 25 else 3


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance, capped at ``limit + 1``.

    Only the band |i - j| <= limit is computed: cells outside it are above the limit
    anyway, and the band keeps matching a thousand rows against long titles fast.
    """
    big = limit + 1
    if abs(len(a) - len(b)) > limit:
        return big
    previous2: list[int] = []
    previous = [j if j <= limit else big for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        current = [big] * (len(b) + 1)
        if i <= limit:
            current[0] = i
        for j in range(max(1, i - limit), min(len(b), i + limit) + 1):
            value = min(previous[j] + 1, current[j - 1] + 1,
                        previous[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous2[j - 2] + 1)
            current[j] = min(value, big)
        if min(current) >= big:
            return big
        previous2, previous = previous, current
    return previous[-1]


def _variants(value: str) -> list[str]:
    """The folded text; without "(…)" remarks such as a room or a time; and without a
    short label before a colon ("Ronde 1: Slim met Stroom", "Lunchlezing: …")."""
    found = [fold_text(value), fold_text(re.sub(r"\([^)]*\)", " ", value))]
    label, colon, rest = value.partition(":")
    if colon and rest.strip() and len(fold_text(label).split()) <= 3:
        found += [fold_text(rest), fold_text(re.sub(r"\([^)]*\)", " ", rest))]
    return [v for i, v in enumerate(found) if v and v not in found[:i]] or [""]


def _title_texts(item: Item) -> list[str]:
    """The title folded, and without its "(…)" remarks."""
    title = fold_text(item.title)
    plain = fold_text(re.sub(r"\([^)]*\)", " ", item.title))
    return [title] + ([plain] if plain and plain != title else [])


def _item_texts(item: Item) -> list[str]:
    return [*_title_texts(item), fold_text(item.id)]


_SEPARATORS = re.compile(r"[,;/+&\n]")


def _contains_words(long: str, short: str) -> bool:
    return f" {short} " in f" {long} "


def _substantial(text: str) -> bool:
    return (len(text.split()) >= 2 and len(text) >= 8) or len(text) >= 12


def match_items(value: str, items: list[Item]) -> Match:
    """Match a form's text to one of ``items``: exact (after folding), a small typo, or a
    unique substantial part of a title; anything that fits two items is ambiguous."""
    variants = _variants(value)
    if not variants[0]:
        return Match(None, "none")
    texts = {item.id: _item_texts(item) for item in items}
    exact = [i for i in items if any(v in texts[i.id] for v in variants)]
    if exact:
        return Match(exact[0], "exact") if len(exact) == 1 else Match(None, "ambiguous",
                                                                     tuple(exact))
    titles = {item.id: _title_texts(item) for item in items}  # typos and parts: titles only
    typo = [i for i in items if any(
        edit_distance(v, t, typo_allowance(len(t))) <= typo_allowance(len(t))
        for v in variants for t in titles[i.id])]
    if typo:
        return Match(typo[0], "typo") if len(typo) == 1 else Match(None, "ambiguous",
                                                                   tuple(typo))
    # A title inside a longer text counts only when the rest cannot be another choice:
    # "Stadswandeling Monet, Kanovaren" may be two choices, one of them unknown.
    listed = set(_SEPARATORS.findall(value))
    partial = [i for i in items if any(
        (_substantial(v) and _contains_words(t, v))
        or (_substantial(t) and _contains_words(v, t)
            and listed <= set(_SEPARATORS.findall(i.title)))
        for v in variants for t in titles[i.id])]
    if len(partial) == 1:
        sharing = _sharing_every_word(variants, items, titles)
        if len(sharing) > 1:  # "Bijeenkomst pijler": generic, a person reads it as any of them
            return Match(None, "ambiguous", tuple(sharing))
        return Match(partial[0], "partial")
    if partial:
        return Match(None, "ambiguous", tuple(partial))
    return Match(None, "unknown", nearest(variants[0], items))


def _sharing_every_word(variants: list[str], items: list[Item],
                        titles: dict[str, list[str]]) -> list[Item]:
    """The items whose title holds every word of the text, in any order: a part that
    several titles share ("Bijeenkomst pijler" in "Bijeenkomst Fysieke pijler",
    "Bijeenkomst Sociale pijler", "Bijeenkomst pijler Economie en Werk") names none of them,
    even when only one holds the words side by side."""
    found: list[Item] = []
    for variant in variants:
        words = set(variant.split())
        sharing = [i for i in items if any(words <= set(t.split()) for t in titles[i.id])]
        if len(sharing) > len(found):
            found = sharing
    return found


def nearest(folded: str, items: list[Item], count: int = 3) -> tuple[Item, ...]:
    scored = sorted(items, key=lambda i: (-difflib.SequenceMatcher(
        None, folded, fold_text(i.title)).ratio(), i.id))
    return tuple(scored[:count])


def is_no_choice(value: str) -> bool:
    folded = fold_text(value)
    return folded in NO_CHOICE or folded.startswith(NO_CHOICE_PREFIXES)


def describe_items(items: tuple[Item, ...] | list[Item]) -> str:
    return "; ".join(f"{i.id} ({i.title})" for i in items)


def optional_items(programme: Programme, round_name: str | None = None) -> list[Item]:
    return [i for i in programme.items if i.optional
            and (round_name is None or i.round == round_name)]


def numbered_round(programme: Programme, number: int) -> str | None:
    """The programme's round called "… ronde <number>" (or "Themaronde 1"), if just one."""
    rounds = sorted({i.round for i in programme.items if i.round
                     and round_number(fold_text(i.round)) == number})
    return rounds[0] if len(rounds) == 1 else None


# -- programmes, days, times -----------------------------------------------------------


def resolve_programme(value: str, programmes: tuple[Programme, ...]) -> list[Programme]:
    """The programmes a "Netwerkdag" cell can mean: by id, title or city, and a date."""
    folded = fold_text(value)
    exact = [p for p in programmes if folded in {
        fold_text(p.id), fold_text(p.title), fold_text(p.city),
        fold_text(f"{p.title} {p.city}")}]
    if exact:
        return exact
    cities = [p for p in programmes if _contains_words(folded, fold_text(p.city))]
    dates = _dates_in(folded)
    if not cities and not dates:
        return []
    found = cities or list(programmes)
    for kind in ("ambtelijk", "bestuurlijk"):
        if re.search(rf"\b{kind}e?\b", folded):
            found = [p for p in found if p.kind == kind]
    if dates:
        found = [p for p in found if any(_same_date(d, day.date) for day in p.days
                                         for d in dates)]
    return found


def _dates_in(folded: str) -> list[tuple[int | None, int, int]]:
    """(year or None, month, day) for "12 juni 2024", "12 06 2024", "2024 06 12"."""
    found: list[tuple[int | None, int, int]] = []
    for day, month, year in re.findall(r"\b(\d{1,2}) ([a-z]+)(?: (\d{4}))?\b", folded):
        if month in MONTHS:
            found.append((int(year) if year else None, MONTHS[month], int(day)))
    for day, month, year in re.findall(r"\b(\d{1,2}) (\d{1,2}) (\d{4})\b", folded):
        found.append((int(year), int(month), int(day)))
    for year, month, day in re.findall(r"\b(\d{4}) (\d{1,2}) (\d{1,2})\b", folded):
        found.append((int(year), int(month), int(day)))
    return found


def _same_date(found: tuple[int | None, int, int], actual: date) -> bool:
    year, month, day = found
    return (year is None or year == actual.year) and (month, day) == (actual.month, actual.day)


def parse_days(value: str, programme: Programme) -> tuple[frozenset[int] | None, bool]:
    """Days attended from a "Dagen" cell: (days or None for every day, understood)."""
    folded = fold_text(value)
    if len(programme.days) == 1 or not folded or any(w in folded.split() for w in ALL_DAYS):
        return None, True
    days: set[int] = set()
    for day in programme.days:
        weekday = WEEKDAYS[day.date.weekday()]
        if weekday in folded.split() or any(_same_date(d, day.date) for d in _dates_in(folded)):
            days.add(day.number)
    for match in re.finditer(r"\bdag (\d)\b|\b(\d)e dag\b|\b(eerste|tweede|derde) dag\b", folded):
        text = next(g for g in match.groups() if g)
        number = int(text) if text.isdigit() else NUMBER_WORDS[text]
        if number > len(programme.days):
            return None, False
        days.add(number)
    if not days:
        return None, False
    return (None if len(days) == len(programme.days) else frozenset(days)), True


_TIME = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})(?:[ T,]+(\d{1,2})[:.](\d{2})"
                   r"(?:[:.](\d{2}))?)?$")


def month_first(values: Iterable[str]) -> bool:
    """US-style m/d/y in this file? Only when some value cannot be day-first. Reads the
    values once, keeping nothing (a large file's times are streamed through)."""
    second_over_12 = first_over_12 = False
    for value in values:
        if (match := _TIME.match(value.strip())) is not None:
            first_over_12 = first_over_12 or int(match.group(1)) > 12
            second_over_12 = second_over_12 or int(match.group(2)) > 12
    return second_over_12 and not first_over_12


def parse_time(value: Cell, us_dates: bool = False) -> datetime | None:
    """A registration time; naive times are Dutch local time. Raises ValueError."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            match = _TIME.match(text)
            if not match:
                raise ValueError(text) from None
            first, second, year, hour, minute, sec = match.groups()
            day, month = (int(second), int(first)) if us_dates else (int(first), int(second))
            full_year = int(year) + 2000 if len(year) == 2 else int(year)
            moment = datetime(full_year, month, day, int(hour or 0), int(minute or 0),
                              int(sec or 0))
    return moment if moment.tzinfo else moment.replace(tzinfo=TZ)

"""The programme model: plain frozen data that flows from the loader to the feeds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Europe/Amsterdam")
TZID = "Europe/Amsterdam"

PROGRAMME_KINDS = ("ambtelijk", "bestuurlijk")

ITEM_KINDS = (
    "inloop",
    "opening",
    "plenair",
    "keuzesessie",
    "pijlersessie",
    "lunch",
    "lunchlezing",
    "wandeling",
    "excursie",
    "werkbezoek",
    "pauze",
    "verplaatsen",
    "overleg",
    "diner",
    "borrel",
    "afsluiting",
    "netwerk",
    "overig",
)

# Kinds participants sign up for; the rest is the common programme everyone attends.
CHOICE_KINDS = frozenset(
    {"keuzesessie", "pijlersessie", "lunchlezing", "wandeling", "excursie", "werkbezoek"}
)

# Dutch labels used in calendar categories and on web pages.
KIND_LABELS = {
    "inloop": "Inloop",
    "opening": "Opening",
    "plenair": "Plenair",
    "keuzesessie": "Keuzesessie",
    "pijlersessie": "Pijlersessie",
    "lunch": "Lunch",
    "lunchlezing": "Lunchlezing",
    "wandeling": "Wandeling",
    "excursie": "Excursie",
    "werkbezoek": "Werkbezoek",
    "pauze": "Pauze",
    "verplaatsen": "Verplaatsen",
    "overleg": "Overleg",
    "diner": "Diner",
    "borrel": "Borrel",
    "afsluiting": "Afsluiting",
    "netwerk": "Netwerkmoment",
    "overig": "Overig",
}

GROUP_KINDS = ("pijler", "themagroep", "netwerk")


@dataclass(frozen=True)
class Group:
    """A G40 pillar or themegroup (or network-wide group such as the coordinators)."""

    id: str
    name: str
    short: str
    kind: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Venue:
    key: str
    name: str
    address: str | None = None
    estimated: frozenset[str] = frozenset()
    estimate_note: str | None = None


@dataclass(frozen=True)
class Day:
    number: int
    date: date
    venue: Venue
    estimated: frozenset[str] = frozenset()
    estimate_note: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Item:
    id: str
    title: str
    kind: str
    day: int
    start: time
    end: time | None
    venue: Venue
    round: str | None = None
    room: str | None = None
    description: str | None = None
    speakers: tuple[str, ...] = ()
    groups: tuple[Group, ...] = ()
    capacity: int | None = None
    transport: str | None = None
    notes: str | None = None
    time_note: str | None = None
    links: tuple[str, ...] = ()
    optional: bool = False
    provisional: str | None = None
    estimated: frozenset[str] = frozenset()
    estimate_note: str | None = None
    cancelled: bool = False
    line: int | None = None


@dataclass(frozen=True)
class Programme:
    id: str
    title: str
    kind: str
    city: str
    days: tuple[Day, ...]
    items: tuple[Item, ...]
    path: Path
    source: str | None = None
    description: str | None = None
    venues: tuple[Venue, ...] = field(default_factory=tuple)

    def day(self, number: int) -> Day:
        return self.days[number - 1]

    def start_of(self, item: Item) -> datetime:
        return datetime.combine(self.day(item.day).date, item.start, TZ)

    def end_of(self, item: Item) -> datetime | None:
        if item.end is None:
            return None
        return datetime.combine(self.day(item.day).date, item.end, TZ)

    def item_estimates(self, item: Item) -> frozenset[str]:
        """Every estimated fact behind an item: its own fields, its day's date, its venue."""
        found = set(item.estimated)
        day = self.day(item.day)
        if "date" in day.estimated:
            found.add("date")
        if item.venue.estimated:
            found.update(f"venue.{f}" for f in item.venue.estimated)
        return frozenset(found)

    @property
    def first_date(self) -> date:
        return self.days[0].date

    @property
    def last_date(self) -> date:
        return self.days[-1].date

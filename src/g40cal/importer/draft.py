"""The recognised programme: what the document says, before it becomes TOML.

Every value carries nothing the document did not state, unless its field is listed in
``estimated`` with a Dutch ``estimate_note`` that says what it was derived from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

from g40cal.importer.document import Source


@dataclass(frozen=True)
class DraftDay:
    date: date | None
    venue: str | None = None
    address: str | None = None
    estimated: tuple[str, ...] = ()
    estimate_note: str | None = None
    source: Source | None = None


@dataclass(frozen=True)
class DraftItem:
    title: str
    kind: str
    day: int                                   # 1-based
    start: time | None
    end: time | None = None
    round: str | None = None
    room: str | None = None
    groups: tuple[str, ...] = ()               # canonical names from groups.toml
    description: str | None = None
    speakers: tuple[str, ...] = ()
    capacity: int | None = None
    transport: str | None = None
    notes: str | None = None
    provisional: str | None = None
    time_note: str | None = None
    optional: bool | None = None               # None: the kind decides
    estimated: tuple[str, ...] = ()
    estimate_notes: tuple[str, ...] = ()       # joined into one estimate_note when written
    sources: tuple[Source, ...] = ()
    id: str | None = None                      # set by the writer or by --update

    @property
    def estimate_note(self) -> str | None:
        return " ".join(self.estimate_notes) or None


@dataclass(frozen=True)
class Unused:
    """A line of the document that went into no field of the draft."""

    text: str
    source: Source
    reason: str = "not recognised"


@dataclass(frozen=True)
class Draft:
    title: str | None
    kind: str | None                           # "ambtelijk" | "bestuurlijk"
    city: str | None
    days: tuple[DraftDay, ...]
    items: tuple[DraftItem, ...]
    unused: tuple[Unused, ...] = ()
    notices: tuple[str, ...] = ()              # things the bureau must look at (English)
    source_name: str | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False)

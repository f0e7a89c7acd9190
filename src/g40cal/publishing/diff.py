"""Diffing events against the published state: what changed, and does it bump SEQUENCE.

Pure functions over plain data; ``sync.py`` decides what to write from the result.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from g40cal.publishing.events import Event
from g40cal.state import EventRow

ChangeKind = Literal["added", "changed", "updated", "cancelled", "restored", "dropped"]

# Labels the bureau reads in the change list, in the order it reads them.
_SHOWN_FIELDS = ("titel", "datum", "tijd", "zaal", "locatie", "ronde", "groepen", "status",
                 "link", "categorieën", "beschrijving")
_LONG_FIELDS = frozenset({"beschrijving"})
# The CLI speaks English: the fields' names in what the bureau reads (the state and --json
# keep the Dutch keys the events were recorded with).
FIELD_NAMES = {"titel": "title", "datum": "date", "tijd": "time", "zaal": "room",
               "locatie": "location", "ronde": "round", "groepen": "groups",
               "status": "status", "link": "link", "categorieën": "categories",
               "beschrijving": "description"}


def field_name(field: str) -> str:
    return FIELD_NAMES.get(field, field)


def only_the_room_moved(locations: tuple[str, str] | list[str],
                        rooms: tuple[str, str] | list[str]) -> bool:
    """Did the location (old, new) change only because its room (old, new) did? The
    location starts with the room, so a new room would be told twice ("zaal A → B",
    "locatie A, X → B, X")."""
    old, new = (location.removeprefix(room).removeprefix(", ") if room else location
                for location, room in zip(locations, rooms, strict=True))
    return old == new


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str

    def format(self) -> str:
        if self.field in _LONG_FIELDS:
            return f"{field_name(self.field)} changed"
        return f"{field_name(self.field)} {self.old or '—'} → {self.new or '—'}"


@dataclass(frozen=True)
class EventChange:
    key: str
    programme: str
    item: str
    title: str
    change: ChangeKind
    sequence: int
    fields: tuple[FieldChange, ...] = ()
    feed: str | None = None  # set for a change in one feed only (left a group, a choice)

    @property
    def significant(self) -> bool:
        return self.change != "updated"

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key, "programme": self.programme, "item": self.item,
            "title": self.title, "change": self.change, "sequence": self.sequence,
            "feed": self.feed,
            "fields": [{"field": f.field, "old": f.old, "new": f.new} for f in self.fields],
        }


@dataclass(frozen=True)
class EventDecision:
    """The new state row of one event and the change that led to it (None: unchanged)."""

    row: EventRow
    change: EventChange | None


@dataclass(frozen=True)
class RenameHint:
    old_key: str
    new_key: str
    old_title: str
    new_title: str


def field_changes(old: Event, new: Event) -> tuple[FieldChange, ...]:
    before, after = old.snapshot(), new.snapshot()
    return tuple(FieldChange(name, before.get(name, ""), after.get(name, ""))
                 for name in _SHOWN_FIELDS if before.get(name, "") != after.get(name, ""))


def decide_event(event: Event, old: EventRow | None, now: datetime) -> EventDecision:
    """Compare one current event with what was published; bump SEQUENCE once if significant."""
    sig, full = event.hashes()
    status = "cancelled" if event.cancelled else "active"

    def row(sequence: int, modified: datetime) -> EventRow:
        return EventRow(event.key, sig, full, sequence, modified, status, False, event.ends_at,
                        event)

    def change(kind: ChangeKind, sequence: int, fields: tuple[FieldChange, ...] = ()):
        return EventChange(event.key, event.programme_id, event.item_id, event.title, kind,
                           sequence, fields)

    if old is None:
        return EventDecision(row(0, now), change("added", 0))
    fields = field_changes(old.event, event)
    was_cancelled = old.status == "cancelled"
    if was_cancelled != event.cancelled:
        kind: ChangeKind = "cancelled" if event.cancelled else "restored"
        return EventDecision(row(old.sequence + 1, now), change(kind, old.sequence + 1, fields))
    if old.sig != sig and not _same_cancellation(old, event, sig):
        return EventDecision(row(old.sequence + 1, now), change("changed", old.sequence + 1,
                                                               fields))
    if old.full != full:
        # A typo fix in a description is not a reschedule: RFC 5546 bumps SEQUENCE only for
        # significant properties, and a bump makes some clients re-alert attendees.
        return EventDecision(row(old.sequence, now), change("updated", old.sequence, fields))
    if old.removed and not event.cancelled:  # removed, then added back with the same content
        return EventDecision(row(old.sequence + 1, now), change("restored", old.sequence + 1))
    # Unchanged content; keep the fresh event object (a state rebuilt from the feeds holds
    # only an approximation of it) with the published SEQUENCE and time.
    return EventDecision(row(old.sequence, old.modified), None)


def _same_cancellation(old: EventRow, event: Event, sig: str) -> bool:
    """A removed item (announced as cancelled) that comes back marked ``cancelled = true``
    with the same significant properties: the same cancellation, nothing to re-announce."""
    if not (old.removed and event.cancelled):
        return False
    return replace(old.event, cancelled=True).hashes()[0] == sig


def decide_missing(old: EventRow, now: datetime, retention_days: int) -> EventDecision | None:
    """An event whose item left the definitions: cancel it, keep it a while, then drop it.

    Returns None when the event is dropped for good.
    """
    event = old.event
    if old.removed and (now - old.ends_at).total_seconds() > retention_days * 86400:
        return None
    if old.status == "cancelled":
        # Cancelled already (``cancelled = true``, and now removed): subscribers were told;
        # it is only kept until it expires, without a second announcement.
        return EventDecision(old._replace(removed=True), None)
    sequence = old.sequence + 1
    new = EventRow(old.key, old.sig, old.full, sequence, now, "cancelled", True, old.ends_at,
                   event)
    return EventDecision(new, EventChange(old.key, event.programme_id, event.item_id,
                                          event.title, "cancelled", sequence))


def likely_renames(added: list[Event], removed: list[Event]) -> list[RenameHint]:
    """An id change looks like delete + add: pair them by same slot and a similar title."""
    hints = []
    for new in added:
        for old in removed:
            if (old.programme_id, old.start, old.end) != (new.programme_id, new.start, new.end):
                continue
            ratio = difflib.SequenceMatcher(None, old.title.lower(), new.title.lower()).ratio()
            if ratio >= 0.6 or (old.room and old.room == new.room):
                hints.append(RenameHint(old.key, new.key, old.title, new.title))
                break
    return hints


@dataclass
class ChangeSet:
    changes: list[EventChange] = field(default_factory=list)
    renames: list[RenameHint] = field(default_factory=list)

    def by_programme(self) -> dict[str, list[EventChange]]:
        grouped: dict[str, list[EventChange]] = {}
        for change in self.changes:
            grouped.setdefault(change.programme, []).append(change)
        return grouped

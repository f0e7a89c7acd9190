"""Checks across items and programmes: the warnings of ``g40cal check`` and cross-file errors."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from g40cal.definitions.model import Item, Programme
from g40cal.errors import Problem

_FIELD_NAMES = {
    "date": "date", "start": "start time", "end": "end time", "room": "room",
    "venue": "venue", "title": "title", "address": "address", "name": "venue name",
    "groups": "organisers",
}


def check_programmes(programmes: Iterable[Programme]) -> list[Problem]:
    """Problems between files (the warnings of each file come with it: ``buildcache``)."""
    problems: list[Problem] = []
    owners: dict[str, Programme] = {}
    for programme in programmes:
        if programme.id in owners:
            problems.append(Problem(
                "error", "duplicate-programme",
                f"programme id {programme.id!r} is also used by {owners[programme.id].path}",
                programme.path, field="id", hint="every programme needs its own id"))
        owners.setdefault(programme.id, programme)
    return problems


def programme_warnings(programme: Programme) -> list[Problem]:
    """What ``g40cal check`` warns about within one programme."""
    problems: list[Problem] = []

    def warn(code: str, message: str, item: Item | None = None, field: str | None = None,
             hint: str | None = None, line: int | None = None) -> None:
        problems.append(Problem("warning", code, message, programme.path,
                                line or (item.line if item else None),
                                item.id if item else None, field, hint))

    for day in programme.days:
        if day.estimated:
            warn("estimate", f"day {day.number}: {_listed(day.estimated)} "
                 f"{_verb(day.estimated)} (shown as 'onder voorbehoud'): "
                 f"{day.estimate_note}", field="estimated",
                 hint="confirm with the organisers, then remove from 'estimated'", line=day.line)
    for venue in programme.venues:
        if venue.estimated:
            warn("estimate", f"venue '{venue.key}': {_listed(venue.estimated)} "
                 f"{_verb(venue.estimated)}: {venue.estimate_note}",
                 field="estimated", hint="confirm with the organisers")
    for item in programme.items:
        if item.estimated:
            warn("estimate", f"{_listed(item.estimated)} {_verb(item.estimated)} "
                 f"(shown as 'onder voorbehoud'): {item.estimate_note}", item, "estimated",
                 "confirm with the organisers, then remove from 'estimated'")
        if item.end is None:
            warn("no-end", "no end time: calendars show it as a moment, not a block", item, "end",
                 'add end = "HH:MM" (mark it estimated if the programme does not say)')
    problems.extend(_room_clashes(programme))
    problems.extend(_round_times(programme))
    return problems


def _listed(fields: frozenset[str]) -> str:
    names = [_FIELD_NAMES[f] for f in sorted(fields, key=list(_FIELD_NAMES).index)]
    text = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return "the " + text


def _verb(fields: frozenset[str]) -> str:
    return "is an estimate" if len(fields) == 1 and "groups" not in fields else "are estimates"


def _room_clashes(programme: Programme) -> list[Problem]:
    problems = []
    placed = [i for i in programme.items if i.room and not i.cancelled]
    for index, first in enumerate(placed):
        for second in placed[index + 1:]:
            if (first.day, first.venue.name, first.room.lower()) != (
                    second.day, second.venue.name, second.room.lower()):
                continue
            if _overlap(programme, first, second):
                problems.append(Problem(
                    "warning", "room-clash",
                    f"room {first.room!r} is also used by item '{first.id}' at the same time",
                    programme.path, second.line, second.id, "room",
                    "give one of them another room, or correct the times"))
    return problems


def _overlap(programme: Programme, first: Item, second: Item) -> bool:
    first_end = programme.end_of(first) or programme.start_of(first)
    second_end = programme.end_of(second) or programme.start_of(second)
    starts_together = programme.start_of(first) == programme.start_of(second)
    overlapping = (programme.start_of(first) < second_end
                   and programme.start_of(second) < first_end)
    return overlapping or starts_together


def _round_times(programme: Programme) -> list[Problem]:
    rounds: dict[tuple[int, str], list[Item]] = defaultdict(list)
    for item in programme.items:
        if item.round:
            rounds[(item.day, item.round)].append(item)
    problems = []
    for (_, name), members in rounds.items():
        usual = Counter((i.start, i.end) for i in members).most_common(1)[0][0]
        for item in members:
            if (item.start, item.end) != usual and not item.time_note:
                problems.append(Problem(
                    "warning", "round-times",
                    f"times differ from the rest of round {name!r} "
                    f"({usual[0]:%H:%M}–{usual[1]:%H:%M})" if usual[1] else
                    f"times differ from the rest of round {name!r}",
                    programme.path, item.line, item.id, "start",
                    'if intended, say why in time_note = "…"'))
    return problems

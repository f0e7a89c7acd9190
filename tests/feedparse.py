"""Re-parsing published feeds with three strict, independent parsers.

Every test that looks at a feed goes through here, so a feed that any one of ``ical``,
``icalendar`` or ``vobject`` rejects fails the test — string matching alone proves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import icalendar
import vobject
from ical.calendar_stream import IcsCalendarStream


@dataclass(frozen=True)
class ParsedEvent:
    uid: str
    summary: str
    start: datetime
    end: datetime | None
    sequence: int
    status: str
    location: str
    description: str
    categories: tuple[str, ...]


def parse_feed(path: Path) -> dict[str, ParsedEvent]:
    """Parse with all three parsers, check they agree, return events by UID."""
    text = path.read_text(encoding="utf-8")
    strict = IcsCalendarStream.calendar_from_ics(text)
    lib = icalendar.Calendar.from_ical(text)
    vcal = vobject.readOne(text)
    vevents = vcal.contents.get("vevent", [])
    by_uid: dict[str, ParsedEvent] = {}
    for event in lib.walk("VEVENT"):
        categories: list[str] = []
        raw = event.get("CATEGORIES")
        for entry in raw if isinstance(raw, list) else [raw] if raw else []:
            categories.extend(str(c) for c in entry.cats)
        parsed = ParsedEvent(
            uid=str(event["UID"]), summary=str(event["SUMMARY"]),
            start=event.decoded("DTSTART"), end=event.decoded("DTEND", None),
            sequence=int(event.get("SEQUENCE", 0)), status=str(event.get("STATUS", "")),
            location=str(event.get("LOCATION", "")),
            description=str(event.get("DESCRIPTION", "")), categories=tuple(categories))
        assert parsed.uid not in by_uid, f"{path}: duplicate UID {parsed.uid}"
        by_uid[parsed.uid] = parsed
    assert len(strict.events) == len(by_uid) == len(vevents), path
    for event in strict.events:
        mine = by_uid[event.uid]
        assert event.dtstart == mine.start, (path, event.uid)
        assert event.summary == mine.summary, (path, event.uid)
        assert (event.sequence or 0) == mine.sequence, (path, event.uid)
    for vevent in vevents:
        mine = by_uid[vevent.uid.value]
        assert vevent.dtstart.value == mine.start, (path, mine.uid)
        assert vevent.summary.value == mine.summary, (path, mine.uid)
    return by_uid


def parse_tree(folder: Path) -> dict[str, dict[str, ParsedEvent]]:
    return {str(p.relative_to(folder)): parse_feed(p) for p in sorted(folder.rglob("*.ics"))}

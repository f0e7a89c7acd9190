"""iCalendar rendering (RFC 5545) of events into feeds and CalDAV objects.

Rendered with plain templates, not ``icalendar`` objects, for two reasons measured in
``bench/``: templating is ~20x faster (a full network-scale build stays near the cost of
writing the bytes), and it gives full control over the output Outlook needs — a fixed
RRULE-style VTIMEZONE (``icalendar`` generates RDATE lists, see docs/clients.md §2) and
byte-stable output. Correctness is guarded by tests that re-parse every feed with three
strict independent parsers (``ical``, ``icalendar``, ``vobject``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from g40cal.definitions.model import TZID
from g40cal.publishing.events import Event
from g40cal.publishing.publish import read_intact

# Bump when the rendering changes, so that every feed (and with it every personal page,
# whose QR code a sync otherwise reuses) is rendered anew once after an upgrade.
# 2: QR codes drawn as one line per row. 3: Unicode line breaks escaped; stricter loader.
RENDER_VERSION = "3"
CRLF = "\r\n"
PRODID = "-//G40 Stedennetwerk//g40cal//NL"
CANCELLED_PREFIX = "GEANNULEERD: "

# Europe/Amsterdam since 1996: last Sunday of March 02:00 → CEST, last Sunday of October
# 03:00 → CET. Outlook only understands RRULE-style rules (MS-STANOICAL), valid for any year.
VTIMEZONE = CRLF.join([
    "BEGIN:VTIMEZONE",
    f"TZID:{TZID}",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:CEST",
    "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:CET",
    "DTSTART:19701025T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
]) + CRLF

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x84\x86-\x9f]")
# Unicode line breaks: RFC 5545 ends a line only at CRLF, but parsers built on
# str.splitlines() (and some clients) end one here too — written raw, a text could end its
# event and start another. They are line breaks, written as the escape "\n".
_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029\x85]")


def escape_text(value: str, *, one_line: bool = False) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11); control characters are dropped.

    Every kind of line break becomes the escape ``\\n``, or a space in a ``one_line``
    value (a title, a location, a calendar name).
    """
    value = _CONTROL.sub("", _LINE_BREAKS.sub("\n", value))
    if one_line:
        value = value.replace("\n", " ")
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character or an escape.

    Works on the encoded bytes with O(1) work per fold: this runs for every long line of
    every event, tens of thousands of times in a network-scale build.
    """
    if len(line) <= 75 and line.isascii():
        return line + CRLF
    encoded = line.encode()
    if len(encoded) <= 75:
        return line + CRLF
    parts: list[bytes] = []
    position, limit, size = 0, 75, len(encoded)
    while size - position > limit:
        cut = position + limit
        while encoded[cut] & 0xC0 == 0x80:  # inside a multi-byte character
            cut -= 1
        backslashes = 0
        while encoded[cut - 1 - backslashes] == 0x5C and cut - 1 - backslashes >= position:
            backslashes += 1
        if backslashes % 2:  # keep an escape such as "\n" whole: Outlook misreads a split one
            cut -= 1
        parts.append(encoded[position:cut])
        position, limit = cut, 74  # continuation lines start with a space
    parts.append(encoded[position:])
    return (b"\r\n ".join(parts)).decode() + CRLF


@lru_cache(maxsize=4096)
def utc_stamp(moment: datetime) -> str:
    """Cached: most events of a feed share a few modification times (the syncs)."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _local(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


@dataclass(frozen=True)
class RenderedEvent:
    """The feed-independent lines of one event, rendered once and reused in every feed."""

    event: Event
    body: str
    hash_line: str

    def vevent(self, uid: str, sequence: int, modified: datetime, *, cancelled: bool) -> str:
        event = self.event
        cancelled = cancelled or event.cancelled
        summary = (CANCELLED_PREFIX if cancelled else "") + event.summary
        if cancelled:
            status, transp, busy = "CANCELLED", "TRANSPARENT", "FREE"
        elif event.tentative:
            status, transp, busy = "TENTATIVE", "OPAQUE", "TENTATIVE"
        else:
            status, transp, busy = "CONFIRMED", "OPAQUE", "BUSY"
        stamp = utc_stamp(modified)
        return "".join([
            "BEGIN:VEVENT" + CRLF,
            fold(f"UID:{uid}"),
            f"DTSTAMP:{stamp}{CRLF}",
            f"LAST-MODIFIED:{stamp}{CRLF}",
            f"SEQUENCE:{sequence}{CRLF}",
            fold("SUMMARY:" + escape_text(summary, one_line=True)),
            self.body,
            f"STATUS:{status}{CRLF}",
            f"TRANSP:{transp}{CRLF}",
            f"X-MICROSOFT-CDO-BUSYSTATUS:{busy}{CRLF}",
            self.hash_line,
            "END:VEVENT" + CRLF,
        ])


def render_event(event: Event) -> RenderedEvent:
    lines = [f"DTSTART;TZID={TZID}:{_local(event.start)}{CRLF}"]
    if event.end:
        lines.append(f"DTEND;TZID={TZID}:{_local(event.end)}{CRLF}")
    if event.location:
        lines.append(fold("LOCATION:" + escape_text(event.location, one_line=True)))
    lines.append(fold("DESCRIPTION:" + escape_text(event.description)))
    categories = ",".join(escape_text(c, one_line=True) for c in event.categories)
    lines.append(fold("CATEGORIES:" + categories))
    lines.append(fold("URL:" + event.url))
    lines.append("CLASS:PUBLIC" + CRLF)
    significant, full = event.hashes()
    return RenderedEvent(event, "".join(lines), f"X-G40CAL-HASH:{significant}.{full}{CRLF}")


def calendar_header(name: str, description: str, refresh_minutes: int, *,
                    method: bool = True) -> str:
    ttl = f"PT{refresh_minutes // 60}H" if refresh_minutes % 60 == 0 else f"PT{refresh_minutes}M"
    lines = [
        "BEGIN:VCALENDAR" + CRLF,
        "VERSION:2.0" + CRLF,
        fold("PRODID:" + PRODID),
        "CALSCALE:GREGORIAN" + CRLF,
    ]
    if method:
        lines.append("METHOD:PUBLISH" + CRLF)
    lines += [
        fold("NAME:" + escape_text(name, one_line=True)),
        fold("X-WR-CALNAME:" + escape_text(name, one_line=True)),
        fold("DESCRIPTION:" + escape_text(description)),
        fold("X-WR-CALDESC:" + escape_text(description)),
        f"X-WR-TIMEZONE:{TZID}{CRLF}",
    ]
    if refresh_minutes:
        lines += [f"REFRESH-INTERVAL;VALUE=DURATION:{ttl}{CRLF}", f"X-PUBLISHED-TTL:{ttl}{CRLF}"]
    return "".join(lines)


def render_calendar(name: str, description: str, vevents: list[str],
                    refresh_minutes: int) -> bytes:
    return (calendar_header(name, description, refresh_minutes) + VTIMEZONE + "".join(vevents)
            + "END:VCALENDAR" + CRLF).encode()


def assemble_calendar(name: str, description: str, vevents: list[bytes],
                      refresh_minutes: int) -> bytes:
    """``render_calendar`` of VEVENTs already encoded (some taken from ``previous_vevents``)."""
    return b"".join([(calendar_header(name, description, refresh_minutes) + VTIMEZONE).encode(),
                     *vevents, ("END:VCALENDAR" + CRLF).encode()])


_BEGIN_VEVENT = ("BEGIN:VEVENT" + CRLF).encode()
_END_VEVENT_LINE = (CRLF + "END:VEVENT" + CRLF).encode()
_BEGIN_VEVENT_LINE = CRLF.encode() + _BEGIN_VEVENT
_DTSTAMP = (CRLF + "DTSTAMP:").encode()


def _vevent_start(data: bytes, offset: int) -> int:
    """Where the next ``BEGIN:VEVENT`` line at ``offset`` or later starts, or -1."""
    found = data.find(_BEGIN_VEVENT_LINE, offset)
    return found if found == -1 else found + len(CRLF)


def previous_vevents(path: Path, digest: str) -> dict[bytes, bytes] | None:
    """The VEVENTs of a feed file this module rendered, by their (folded) UID line; None
    unless the file's SHA-256 is ``digest`` — what the state says was published in it.

    A sync splices large feeds from these instead of rendering every event again. The
    lookup is by the exact UID line that ``RenderedEvent.vevent`` writes right after BEGIN
    (followed by DTSTAMP), so a file of another layout only misses, and a miss renders.
    """
    data = read_intact(path, digest)
    if data is None:
        return None
    blocks: dict[bytes, bytes] = {}
    # BEGIN/END are matched only at the start of a content line: a title such as
    # "END:VEVENT" appears inside "SUMMARY:END:VEVENT" and must not end the block there.
    start = _vevent_start(data, 0)
    while start != -1:
        end = data.find(_END_VEVENT_LINE, start)
        if end == -1:
            return None  # not a file this module wrote
        end += len(_END_VEVENT_LINE)
        uid_end = data.find(_DTSTAMP, start, end)
        if uid_end != -1:
            blocks[data[start + len(_BEGIN_VEVENT):uid_end + len(CRLF)]] = data[start:end]
        start = _vevent_start(data, end - len(CRLF))
    return blocks


def render_object(vevent: str) -> bytes:
    """One CalDAV calendar object: no METHOD (RFC 4791 §4.1), the VTIMEZONE it uses."""
    return ("BEGIN:VCALENDAR" + CRLF + "VERSION:2.0" + CRLF + fold("PRODID:" + PRODID)
            + "CALSCALE:GREGORIAN" + CRLF + VTIMEZONE + vevent + "END:VCALENDAR" + CRLF).encode()

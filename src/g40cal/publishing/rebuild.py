"""Recovering the public state from the published feeds (a new laptop, a lost database).

Subscribers already hold UIDs, SEQUENCEs and cancellations; a fresh state must never send
them backwards. The feeds carry everything needed: UID (programme, item, feed scope),
SEQUENCE, LAST-MODIFIED, STATUS and ``X-G40CAL-HASH`` (the content hashes), plus the event
text to re-announce a cancellation whose item is gone from the definitions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import icalendar

from g40cal.config import Config
from g40cal.definitions.model import KIND_LABELS, TZ
from g40cal.publishing.events import Event
from g40cal.publishing.ical import CANCELLED_PREFIX
from g40cal.state import EventRow, FeedRow, MemberRow, State

_KINDS_BY_LABEL = {label: kind for kind, label in KIND_LABELS.items()}


@dataclass(frozen=True)
class Recovered:
    feeds: int
    events: int


def published_index(config: Config) -> list[dict[str, object]]:
    path = config.feeds_path / "index.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [f for f in data["feeds"] if isinstance(f, dict) and "path" in f]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def rebuild_state(config: Config, state: State) -> Recovered | None:
    """Fill an empty state from the public feeds on disk. None when there is nothing."""
    index = published_index(config)
    if not index:
        return None
    seen: dict[str, tuple[int, datetime, bool, str, Event]] = {}
    per_feed: dict[str, dict[str, bool]] = {}
    feed_rows: list[FeedRow] = []
    for entry in index:
        relative = str(entry["path"])
        path = config.feeds_path / relative
        try:
            calendar = icalendar.Calendar.from_ical(path.read_bytes())
        except (OSError, ValueError):
            continue
        kind = str(entry.get("kind", "group"))
        feed_id = "network" if kind == "network" else f"{kind}:{entry.get('id')}"
        members: dict[str, bool] = {}
        scope = None
        for vevent in calendar.walk("VEVENT"):
            parsed = _parse_uid(str(vevent.get("UID", "")), config)
            if parsed is None:
                continue
            key, scope = parsed
            sequence = int(vevent.get("SEQUENCE", 0))
            modified = vevent.decoded("LAST-MODIFIED", None) or vevent.decoded("DTSTAMP")
            cancelled = str(vevent.get("STATUS", "")).upper() == "CANCELLED"
            members[key] = cancelled
            event = _event(vevent, key)
            hashes = str(vevent.get("X-G40CAL-HASH", "."))
            previous = seen.get(key)
            if previous is None or sequence > previous[0]:
                seen[key] = (sequence, modified, cancelled and (previous is None or previous[2]),
                             hashes, event)
            elif not cancelled:
                seen[key] = (*previous[:2], False, *previous[3:])
        per_feed[feed_id] = members
        feed_rows.append(FeedRow(
            feed_id, kind, str(calendar.get("X-WR-CALNAME", feed_id)),
            str(calendar.get("X-WR-CALDESC", "")), relative, False,
            scope or {"network": "net", "programme": "prog"}.get(kind, f"grp-{entry.get('id')}"),
            str(entry["programme"]) if entry.get("programme") else None,
            "", frozenset(members)))
    with state.transaction():
        for key, (sequence, modified, cancelled, hashes, event) in seen.items():
            sig, _, full = hashes.partition(".")
            state.put_event(EventRow(key, sig, full, sequence, modified,
                                     "cancelled" if cancelled else "active", cancelled,
                                     event.ends_at, event))
        for row in feed_rows:
            state.put_feed(row)
            for key, cancelled in per_feed[row.feed_id].items():
                if cancelled and not seen[key][2]:  # cancelled here only: it left this feed
                    state.put_member(MemberRow(row.feed_id, key, 0, True, seen[key][1]))
    return Recovered(len(feed_rows), len(seen))


def _parse_uid(uid: str, config: Config) -> tuple[str, str] | None:
    local, _, domain = uid.partition("@")
    parts = local.split(".")
    if domain != config.uid_domain or len(parts) != 3:
        return None
    return f"{parts[0]}/{parts[1]}", parts[2]


def _text(vevent: icalendar.Event, name: str) -> str:
    value = vevent.get(name)
    return str(value) if value is not None else ""


def _event(vevent: icalendar.Event, key: str) -> Event:
    """Best-effort Event from a published VEVENT (enough to re-announce a cancellation)."""
    programme, item = key.split("/", 1)
    summary = _text(vevent, "SUMMARY").removeprefix(CANCELLED_PREFIX)
    start = vevent.decoded("DTSTART")
    end = vevent.decoded("DTEND", None)
    raw = vevent.get("CATEGORIES") or []
    entries = raw if isinstance(raw, list) else [raw]  # one CATEGORIES line, or several
    categories = [str(c) for entry in entries for c in entry.cats]
    kind = _KINDS_BY_LABEL.get(categories[0], "overig") if categories else "overig"
    return Event(
        key=key, programme_id=programme, item_id=item,
        title=summary.removesuffix(" (onder voorbehoud)"), summary=summary,
        start=start.astimezone(TZ), end=end.astimezone(TZ) if end else None,
        location=_text(vevent, "LOCATION"), description=_text(vevent, "DESCRIPTION"),
        categories=tuple(categories), url=_text(vevent, "URL"),
        tentative=_text(vevent, "X-MICROSOFT-CDO-BUSYSTATUS") == "TENTATIVE",
        cancelled=False, optional=False, kind=kind, group_ids=(), round=None, room=None,
        venue="",
    )

"""Building calendar events from programme items: the Dutch text participants read.

An ``Event`` is feed-independent: the same item gives the same event in the network feed,
its programme feed, every group feed and every personal feed. Only the UID scope, SEQUENCE
and a per-feed cancellation differ, and those are added when rendering (``ical.py``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, fields
from datetime import date, datetime
from functools import cached_property

from g40cal.config import Config
from g40cal.definitions.model import KIND_LABELS, Day, Item, Programme

ESTIMATE_WORDS = {
    "date": "de datum",
    "start": "de begintijd",
    "end": "de eindtijd",
    "room": "de zaal",
    "venue": "de locatie",
    "title": "de titel",
    "venue.name": "de locatie",
    "venue.address": "het adres",
    "groups": "de organisatie",
}
ONDER_VOORBEHOUD = "onder voorbehoud"
# Estimates that move the event in the calendar get the marker in the title as well:
# the title is the one place every client shows (see docs/clients.md §3).
_TIMING_ESTIMATES = frozenset({"date", "start", "end"})


@dataclass(frozen=True)
class Event:
    key: str
    programme_id: str
    item_id: str
    title: str
    summary: str
    start: datetime
    end: datetime | None
    location: str
    description: str
    categories: tuple[str, ...]
    url: str
    tentative: bool
    cancelled: bool
    optional: bool
    kind: str
    group_ids: tuple[str, ...]
    round: str | None
    room: str | None
    venue: str

    @property
    def ends_at(self) -> datetime:
        return self.end or self.start

    def snapshot(self) -> dict[str, str]:
        """The fields a person recognises, as shown in the change list (Dutch labels)."""
        end = f"–{self.end:%H:%M}" if self.end else ""
        return {
            "titel": self.summary,
            "datum": f"{self.start:%Y-%m-%d}",
            "tijd": f"{self.start:%H:%M}{end}",
            "zaal": self.room or "",
            "locatie": self.location,
            "ronde": self.round or "",
            "groepen": ", ".join(self.group_ids),
            "beschrijving": self.description,
            "categorieën": ", ".join(self.categories),
            "link": self.url,
            "status": "onder voorbehoud" if self.tentative else "bevestigd",
        }

    def significant(self) -> tuple[str, ...]:
        """RFC 5546 significant properties: a change here bumps SEQUENCE."""
        end = self.end.isoformat() if self.end else ""
        return (self.start.isoformat(), end, self.summary, self.location,
                "tentative" if self.tentative else "confirmed", "cancelled" * self.cancelled)

    def hashes(self) -> tuple[str, str]:
        """(significant hash, full hash) of the content; stable across runs and machines."""
        return self._hashes

    # Cached on the (frozen) instance: a sync needs them several times per event, and the
    # build cache keeps them with the pickled event.
    @cached_property
    def _hashes(self) -> tuple[str, str]:
        significant = _digest(self.significant())
        full = _digest([self.significant(), sorted(self.snapshot().items())])
        return significant, full

    def to_json(self) -> str:
        """Every field, as stored in the state (to re-render a cancellation later)."""
        # Fields read directly, not through dataclasses.asdict: it deep-copies every value.
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["categories"], data["group_ids"] = list(self.categories), list(self.group_ids)
        data["start"] = self.start.isoformat()
        data["end"] = self.end.isoformat() if self.end else None
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @cached_property
    def digest(self) -> str:
        """A hash of ``to_json``: tells an unchanged stored copy without decoding it."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:32]


def _digest(value: object) -> str:
    data = json.dumps(value, ensure_ascii=False, sort_keys=True).encode()
    return hashlib.sha256(data).hexdigest()[:16]


def programme_url(config: Config, programme_id: str) -> str:
    return config.public_url(f"programmes/{programme_id}.html")


def build_events(programme: Programme, config: Config) -> list[Event]:
    return [build_event(programme, item, config) for item in programme.items]


def build_event(programme: Programme, item: Item, config: Config) -> Event:
    estimates = programme.item_estimates(item)
    tentative = bool(estimates) or bool(item.provisional)
    summary = item.title
    if estimates & _TIMING_ESTIMATES or item.provisional:
        summary += f" ({ONDER_VOORBEHOUD})"
    groups = tuple(g.id for g in item.groups)
    categories = (KIND_LABELS[item.kind], *(g.short for g in item.groups))
    return Event(
        key=f"{programme.id}/{item.id}",
        programme_id=programme.id,
        item_id=item.id,
        title=item.title,
        summary=summary,
        start=programme.start_of(item),
        end=programme.end_of(item),
        location=_location(item),
        description=_description(programme, item, estimates, config),
        categories=categories,
        url=f"{programme_url(config, programme.id)}#{item.id}",
        tentative=tentative,
        cancelled=item.cancelled,
        optional=item.optional,
        kind=item.kind,
        group_ids=groups,
        round=item.round,
        room=item.room,
        venue=item.venue.name,
    )


def _location(item: Item) -> str:
    parts = [item.room, item.venue.name, item.venue.address]
    return ", ".join(p for p in parts if p)


# ---------------------------------------------------------------- Dutch texts of a network day
# Shared by the feeds' descriptions and the pages, so an estimate reads the same everywhere.

def numeric_date(day: date) -> str:
    return f"{day:%d-%m-%Y}"


def listed(words: list[str]) -> str:
    """'a', 'a en b', 'a, b en c'."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " en " + words[-1]


def marked(text: str, estimate: bool) -> str:
    return f"{text} ({ONDER_VOORBEHOUD})" if estimate else text


def days_attended(programme: Programme, numbers: Collection[int] | None = None) -> list[Day]:
    """The days of a programme, or only those numbered ``numbers`` (a person's own days)."""
    return [d for d in programme.days if numbers is None or d.number in numbers]


def dates_text(days: list[Day], write: Callable[[date], str] = numeric_date) -> str:
    """The dates of these days, each estimated one marked 'onder voorbehoud'."""
    return listed([marked(write(d.date), "date" in d.estimated) for d in days])


def venues_text(days: list[Day]) -> str:
    """The venues of these days, each once, an estimated one marked 'onder voorbehoud'."""
    seen: dict[str, str] = {}
    for day in days:
        seen.setdefault(day.venue.name.lower(),
                        marked(day.venue.name, "name" in day.venue.estimated))
    return ", ".join(seen.values())


def in_city(title: str, city: str) -> str:
    """' in <city>', or nothing when the title already names the city (no 'Tilburg in
    Tilburg')."""
    return "" if re.search(rf"\b{re.escape(city)}\b", title, re.IGNORECASE) else f" in {city}"


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text.strip()) if s.strip()]


def new_notes(item: Item) -> str | None:
    """The notes without the sentences that only repeat the transport ("Vervoer: busvervoer
    beschikbaar" and "Let op: Busvervoer beschikbaar." say one thing twice) or a whole
    sentence of the description."""
    if not item.notes:
        return None
    said = _plain(item.transport or "")
    described = {_plain(s) for s in _sentences(item.description or "")}
    kept = [s for s in _sentences(item.notes)
            if not (_plain(s) and (_plain(s) in said or _plain(s) in described))]
    return " ".join(kept) or None


def estimate_sentence(estimates: frozenset[str]) -> str:
    words = sorted({ESTIMATE_WORDS[e] for e in estimates})
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " en " + words[-1]
    verb = "is" if len(words) == 1 else "zijn"
    return f"Onder voorbehoud: {listed} {verb} nog niet bevestigd."


def _description(programme: Programme, item: Item, estimates: frozenset[str],
                 config: Config) -> str:
    lines: list[str] = []
    if estimates:
        lines.append(estimate_sentence(estimates))
    if item.provisional:
        lines.append(f"Onder voorbehoud: {item.provisional}")
    if item.cancelled:
        lines.append("Dit onderdeel gaat niet door.")
    if lines:
        lines.append("")
    if item.description:
        lines.extend([item.description.strip(), ""])
    details = []
    if item.speakers:
        details.append("Sprekers: " + "; ".join(item.speakers))
    if item.groups:
        details.append("Georganiseerd door: " + ", ".join(g.name for g in item.groups)
                       + (f" ({ONDER_VOORBEHOUD})" if "groups" in item.estimated else ""))
    if item.round:
        details.append(f"Ronde: {item.round} (parallelle sessies, kies er één)")
    elif item.optional:
        details.append("Keuzeonderdeel: alleen voor wie zich heeft aangemeld.")
    if item.capacity:
        details.append(f"Maximaal {item.capacity} deelnemers.")
    if item.transport:
        details.append(f"Vervoer: {item.transport}")
    if item.time_note:
        details.append(f"Tijd: {item.time_note}")
    notes = new_notes(item)
    if notes:
        details.append(f"Let op: {notes}")
    details.extend(f"Link: {link}" for link in item.links)
    if details:
        lines.extend([*details, ""])
    lines.append(f"{programme.title}: {programme_url(config, programme.id)}#{item.id}")
    return "\n".join(lines).strip()

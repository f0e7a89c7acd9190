"""From a document's lines to a draft programme: days, time slots, rounds, items.

General reading, not rules for particular texts: a line with a time slot is an item (or the
header of a round when parallel entries follow it); entries without a time under a round's
header are its sessions (in rows or side by side in columns); a row of room names under a
row of sessions gives their rooms; a numbered list in an item is a list of choices. The
"Toelichting" part is attached by ``toelichting.attach``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, time
from pathlib import Path

from g40cal.definitions.groups import GroupRegistry
from g40cal.definitions.model import CHOICE_KINDS
from g40cal.errors import UserError
from g40cal.importer import phrases, toelichting
from g40cal.importer.document import Document, Source
from g40cal.importer.draft import Draft, DraftDay, DraftItem, Unused
from g40cal.importer.lines import Line, document_lines
from g40cal.importer.organisers import (
    contained_organisers,
    leading_organisers,
    mentioned_organisers,
    organisers,
    parenthesised_organisers,
)
from g40cal.importer.phrases import Slot, fold, join_text
from g40cal.importer.titles import ROUND_WORDS, choice_kind, common_kind, round_name, split_title

_HEADER_WORDS = {"tijd", "tijdstip", "wanneer", "onderdeel", "programma", "programmaonderdeel",
                 "zaal", "locatie", "ruimte", "wat", "wie", "organisatie", "spreker", "sprekers",
                 "omschrijving", "activiteit", "georganiseerd door", "waar"}
_ROOM_HEADERS = {"zaal", "ruimte", "locatie", "waar", "room"}
_ORGANISER_HEADERS = {"organisatie", "georganiseerd door", "wie", "door"}
_DAY_LINE = re.compile(r"^dag\s+(\d+)\b", re.IGNORECASE)
_VENUE_LINE = re.compile(r"^(locatie|plaats|adres|waar)\s*:\s*(.+)$", re.IGNORECASE)
# "Locatie 1", "Sessie 2:", "Workshop 3 –": a label that numbers a choice, not its title
_CHOICE_LABEL = re.compile(r"^(?:locatie|optie|keuze|route|groep|sessie|workshop|deelsessie"
                           r"|werksessie)\s*\d+(?:\s*[-–—]\s+|[.:)]?\s+)", re.IGNORECASE)
_NUMBERED = re.compile(r"(?:^|\s)(\d{1,2})[.)]\s+(?=[A-Z\"'‘“(])")
_NUMBERED_LINE = re.compile(r"^\s*(\d{1,2})?\s*[.)]\s+(\S.*)$")
_CHOICE_INTRO = re.compile(r"keuze uit|kiezen (?:voor|uit)|kunt u (?:ook )?kiezen|met de optie",
                           re.IGNORECASE)
# A date that is not the day of the programme: "Aanmelden vóór 1 maart 2026".
_NOT_THE_DAY = re.compile(r"\b(?:aanmeld\w*|inschrijv\w*|uiterlijk|v[oó]{2}r|deadline|sluit\w*"
                          r"|tot en met|geleden|terug)\b", re.IGNORECASE)
_TOELICHTING = re.compile(r"^toelichting\b", re.IGNORECASE)


class NoDateError(UserError):
    """The document states no date: the bureau must give it (--date)."""


@dataclass(frozen=True)
class Options:
    date: date | None = None            # --date: the day (or first day) of the programme
    city: str | None = None
    kind: str | None = None
    title: str | None = None


@dataclass
class _Round:
    name: str
    slot: Slot
    day: int
    sources: list[Source]
    location: str = ""
    sessions: list[int] = field(default_factory=list)     # indexes into items
    last_row: list[tuple[int, int]] = field(default_factory=list)  # (column, item index)


@dataclass
class _State:
    registry: GroupRegistry
    headings: list[str]
    items: list[DraftItem] = field(default_factory=list)
    timed: list[tuple[int, time, int | None]] = field(default_factory=list)  # day, start, item
    day: int = 1
    round: _Round | None = None
    rounds: list[_Round] = field(default_factory=list)
    last_item: int | None = None
    last_from_paragraph: bool = False
    time_column: bool = False          # times stood in a column of their own (not paired)
    bare_run: int = 0
    unreadable: list[Unused] = field(default_factory=list)
    room_column: int | None = None
    organiser_column: int | None = None
    round_hosts: set[int] = field(default_factory=set)   # a round's row, its sessions listed


def recognise(document: Document, registry: GroupRegistry, options: Options = Options()) -> Draft:
    lines = document_lines(document)
    if not lines:
        raise UserError(f"{document.path}: the document has no text the importer can read")
    split = next((i for i, line in enumerate(lines)
                  if not line.is_row and _TOELICHTING.match(line.text)), None)
    if split is not None:
        lines[split].used = lines[split].structural = True
        programme, notes = lines[:split], lines[split + 1:]
    else:
        split = _explanations_start(lines)
        programme, notes = lines[:split], lines[split:]
    notices: list[str] = list(document.notes)        # what the reader saw but could not read
    title, kind, city = _programme_header(document, programme or notes, options)
    days, day_of_line, day_ends = _days(programme, lines, options, notices)
    state = _State(registry, toelichting.heading_texts(notes))
    dropped: set[int] = set()
    timed = [line for line in programme if not line.used and _has_time(line)]
    if timed:
        _read_programme(programme, day_of_line, state)
        state.items, dropped = _parallel_rows(state.items)
        dropped |= state.round_hosts
    else:
        notes = programme + notes      # descriptions only: the whole text is a Toelichting
    if state.time_column:
        notices.append("the times stand in a column of their own and could not be paired "
                       "with the titles without guessing; items have no time — fill them in")
    create = not timed or state.time_column
    items = toelichting.attach(notes, state.items, registry, create=create)
    if not create and len(items) > len(state.items):
        added = ", ".join(f"'{i.title}'" for i in items[len(state.items):])
        notices.append(f"only the Toelichting names {added}: added to the round its heading "
                       "stands under, at the time the document gives that round — check it")
    markers = _end_markers(items, state.timed, day_ends)
    dropped |= markers
    # an "Einde programma" row is the end of the item before it: it reached the draft
    ending = {source for index in markers for source in items[index].sources}
    items = _estimate_ends(items, [t for t in state.timed if t[2] not in markers])
    items = [item for index, item in enumerate(items) if index not in dropped]
    items = _end_at_day_end(items, day_ends)
    items = [_infer_groups(_settle_groups(_transport_out_of_title(item)), registry)
             for item in items]
    # A heading of punctuation alone (":", "—") names nothing: no item without a title.
    untitled = [item for item in items if not _names_something(item.title)]
    items = [item for item in items if _names_something(item.title)]
    if not items:
        notices.append("no programme items were recognised")
    notices.extend(_unreadable_titles(items, lines))
    missing = [i for i in items if i.start is None]
    if missing:
        notices.append(f"{len(missing)} item(s) have no time in the document; the draft marks "
                       "their start as a placeholder estimate — fill in the real times")
    unused = tuple(state.unreadable) + tuple(
        Unused(line.text, line.source, _why_unused(line)) for line in lines
        if not line.used and line.text.strip()) + tuple(
        Unused(item.title, item.sources[0], "no title: a heading without words")
        for item in untitled if item.title.strip() and item.sources)
    lost = _lost_lines(lines, items, days, unused, ending)
    if lost:
        notices.append(f"{len(lost)} line(s) were read but went into no item of the draft; "
                       "they are listed below as not used — check them against the draft")
    unused += lost
    return Draft(title=title, kind=kind, city=city, days=tuple(days), items=tuple(items),
                 unused=unused, notices=tuple(notices), source_name=document.path.name)


def _lost_lines(lines: list[Line], items: list[DraftItem], days: list[DraftDay],
                unused: tuple[Unused, ...], ending: set[Source]) -> tuple[Unused, ...]:
    """The safety net under "every line was used": a line the recogniser marked used must
    have reached the draft (an item or a day names it among its sources), or be part of the
    draft's frame (a header row, the title, a date line). Anything else was recognised and
    then dropped somewhere on the way: it is reported, never silently lost."""
    reached = {s for item in items for s in item.sources}
    reached |= {d.source for d in days if d.source is not None} | ending
    reported = {u.source for u in unused}
    lost = []
    for line in lines:
        if not line.used or line.structural or not line.text.strip():
            continue
        parts = (line, *line.parts)
        sources = {s for part in parts for s in (part.source, *part.sources, part.joined_into)}
        if sources & (reached | reported):
            continue
        lost.append(Unused(line.text, line.source, "read, but it went into no item of the "
                           "draft"))
    return tuple(lost)


def _names_something(title: str) -> bool:
    return any(char.isalnum() for char in title)


def _why_unused(line: Line) -> str:
    slot, rest = phrases.leading_slot(line.text)
    if slot is not None and not rest:
        return "a time without a title beside it (not paired: that would be a guess)"
    return "not recognised"


def _has_time(line: Line) -> bool:
    """Does the line give a time slot: at its start, or (a short line) at its end?"""
    if not line.filled:
        return False
    if phrases.leading_slot(line.filled[0][1])[0] is not None:
        return True
    return not line.is_row and not line.heading and _trailing_slot(line.text)[0] is not None


def _explanations_start(lines: list[Line]) -> int:
    """No "Toelichting" line: the explanations start at the first heading after the
    timetable (a document of descriptions only has no timetable: it starts at 0)."""
    last_timed = None
    for index, line in enumerate(lines):
        if _has_time(line):
            last_timed = index
    if last_timed is None:
        return len(lines)
    for index in range(last_timed + 1, len(lines)):
        line = lines[index]
        if not line.is_row and (line.heading or line.bold) and not _DAY_LINE.match(line.text) \
                and not phrases.dates_in(line.text):
            return index
    return len(lines)


# ------------------------------------------------------------------------------ header

def _programme_header(document: Document, lines: list[Line],
                      options: Options) -> tuple[str | None, str | None, str | None]:
    title = options.title
    for line in lines[:40]:
        if title is None and "netwerkdag" in fold(line.text) and len(line.text) < 120:
            title = line.text
            line.used = line.structural = True
    context = " ".join(filter(None, [title, document.path.stem.replace("-", " ")]))
    kind = options.kind
    if kind is None:
        folded = fold(context)
        kind = "bestuurlijk" if "bestuurlijk" in folded else \
            "ambtelijk" if "ambtelijk" in folded else None
    city = options.city
    if city is None and title:
        match = re.search(r"\b(?:in|te)\s+([A-Z][\w'-]+)\s*$", title) or re.search(
            r"(?i:netwerkdag(?:en)?)\s+(?:in\s+|te\s+)?(?:[a-z ]+\s)?([A-Z][a-z][\w'-]*)",
            title)
        city = match[1] if match else None
    if city is None:
        city = _city_of_venue(lines[:40])
    if city is None:
        city = _city_of_file_name(document.path.stem)
    return title, kind, city


# A Dutch address ends in its place, after a postcode ("5701 NR Helmond") or a comma.
_POSTCODE_PLACE = re.compile(r"\b\d{4}\s?[A-Z]{2}\s+([A-Z][\w'-]+(?:[ -][A-Z][\w'-]+)*)")
_LAST_PART = re.compile(r",\s*([A-Z][a-z][\w'-]*)\s*\.?$")
_NOT_A_PLACE = frozenset({"programma", "netwerkdag", "netwerkdagen", "ambtelijk", "ambtelijke",
                          "bestuurlijk", "bestuurlijke", "g40", "concept", "definitief",
                          "versie", "def", "final", "docx", "pdf", "uitnodiging"})


def _city_of_venue(lines: list[Line]) -> str | None:
    """The place of the "Locatie: …" line's address, when it names one."""
    for line in lines:
        match = _VENUE_LINE.match(line.text)
        if match:
            place = _POSTCODE_PLACE.search(match[2]) or _LAST_PART.search(match[2])
            if place:
                return place[1]
    return None


def _city_of_file_name(stem: str) -> str | None:
    """"programma-helmond-v2" → Helmond: the one word of the name that is no common word."""
    words = [w for w in re.split(r"[-_ .]+", stem.casefold())
             if w and w not in _NOT_A_PLACE and not any(c.isdigit() for c in w)]
    return words[0].capitalize() if len(words) == 1 else None


def _days(programme: list[Line], lines: list[Line], options: Options, notices: list[str]
          ) -> tuple[list[DraftDay], dict[int, int], dict[int, time]]:
    """Days from the lines that state a date ("Dag 2 - vrijdag 26 september 2025", …), and
    the end of a day where its date line gives its hours ("…, 09.30 - 17.00 uur")."""
    candidates: list[tuple[int, Line, phrases.FoundDate, str]] = []
    has_day_lines = any(_DAY_LINE.match(line.text) and phrases.dates_in(line.text)
                        for line in programme)
    for index, line in enumerate(programme):
        text = line.text
        if len(text) > 160 or phrases.leading_slot(text)[0]:
            continue
        found = phrases.dates_in(text)
        if not found or (has_day_lines and not _DAY_LINE.match(text)) or _NOT_THE_DAY.search(text):
            continue
        rest = text.split(found[0].text, 1)[1] if found[0].text in text else ""
        candidates.append((index, line, found[0], rest))
    whole_text = " ".join(line.text for line in lines)
    if not candidates:
        candidates = _dates_of_the_day(lines)
    days: list[DraftDay] = []
    day_of_line: dict[int, int] = {}
    day_ends: dict[int, time] = {}
    seen: dict[tuple[int, int, int | None], int] = {}
    for index, line, found, rest in candidates:
        key = (found.day, found.month, found.year)
        if key in seen:
            line.used = line.structural = True
            day_of_line[index] = seen[key]
            continue
        when, estimated, note = _resolve_year(found, whole_text, options)
        hours = phrases.inner_slot(rest)
        if hours is not None:
            rest = rest.replace(hours.text, " ")
        # "· Locatie: Stadhuis Zwolle, …", "| in het Stadhuis": separators and words that
        # introduce the place are not part of its name.
        venue = re.sub(r"^(?:in|te|bij|op|locatie:?|adres:?|plaats:?)\s+(?:het\s+|de\s+)?", "",
                       rest.strip(" -–—,:·•|/"), flags=re.IGNORECASE) or None
        venue, address = _venue_and_address(venue)
        days.append(DraftDay(when, venue, address, estimated, note, line.source))
        seen[key] = len(days)
        if hours is not None and hours.end is not None:
            day_ends[len(days)] = hours.end
        if index >= 0:                 # a date line (not a sentence of a description)
            day_of_line[index] = len(days)
            line.used = line.structural = True
    if options.date is not None:
        if not days:
            days = [DraftDay(options.date)]
        elif days[0].date != options.date:
            stated = days[0].date or "a date"
            raise UserError(f"the document states {stated} for day 1 "
                            f"({days[0].source.describe() if days[0].source else 'its text'}),"
                            f" but --date says {options.date}; leave --date out, or correct "
                            "the document")
    if not days or any(d.date is None for d in days):
        raise NoDateError("the document states no date (with its year) for the programme; "
                          "give it with --date YYYY-MM-DD")
    for index, line in enumerate(programme):
        match = _VENUE_LINE.match(line.text)
        if match and not line.used:
            number = max([n for i, n in day_of_line.items() if i <= index] or [1])
            day = days[number - 1]
            name, _, address = match[2].partition(",")
            if match[1].lower() == "adres":
                days[number - 1] = replace(day, address=match[2].strip())
            else:
                days[number - 1] = replace(day, venue=name.strip(),
                                           address=day.address or (address.strip() or None))
            line.used = line.structural = True
    return days, day_of_line, day_ends


def _venue_and_address(text: str | None) -> tuple[str | None, str | None]:
    """"Stadhuis Enschede, Langestraat 24, 7511 HC Enschede": the venue before the first
    comma, the address after it when that has a number (a street number or a postcode)."""
    if not text or "," not in text:
        return text, None
    name, _, rest = text.partition(",")
    if not re.search(r"\d", rest):
        return text, None
    return name.strip() or None, rest.strip() or None


def _dates_of_the_day(lines: list[Line]) -> list[tuple[int, Line, phrases.FoundDate, str]]:
    """No date line: a sentence that puts a date on the network day itself
    ("Op 11 januari vindt tijdens de G40 ambtelijke netwerkdag …")."""
    for index, line in enumerate(lines):
        for sentence in re.split(r"(?<=[.!?])\s+", line.text):
            folded = fold(sentence)
            if "netwerkdag" in folded and re.search(r"\b(?:vindt|plaatsvindt|plaats)\b", folded):
                found = phrases.dates_in(sentence)
                if found:
                    return [(-1 - index, line, found[0], "")]
    return []


def _resolve_year(found: phrases.FoundDate, text: str,
                  options: Options) -> tuple[date | None, tuple[str, ...], str | None]:
    if found.year:
        return found.as_date(), (), None
    if options.date is not None and (options.date.day, options.date.month) == (found.day,
                                                                                found.month):
        return options.date, (), None   # the year the bureau gave with --date
    full = [d.as_date() for d in phrases.dates_in(text) if d.year]
    full = [d for d in full if d is not None]
    if not full:
        return None, (), None
    latest = max(full)
    for year in (latest.year, latest.year + 1):
        candidate = found.as_date(year)
        if candidate and candidate > latest:
            note = (f"Het programma noemt '{found.text}' zonder jaar; jaar afgeleid: de eerste "
                    f"{found.day} {phrases.MONTHS[found.month - 1]} na de laatste volledige "
                    f"datum in de tekst ({latest:%d-%m-%Y}).")
            return candidate, ("date",), note
    return None, (), None


# ------------------------------------------------------------------------------ programme

def _read_programme(programme: list[Line], day_of_line: dict[int, int], state: _State) -> None:
    for index, line in enumerate(programme):
        if index in day_of_line:
            state.day = day_of_line[index]
            state.round = None
            continue
        if line.used:
            continue
        if _header_row(line, state):
            continue
        filled = line.filled
        if not filled:
            continue
        slot, rest = phrases.leading_slot(filled[0][1])
        if slot is not None and not rest and len(filled) == 1:
            state.bare_run += 1            # a time alone: a column of times, titles elsewhere
            state.time_column = state.time_column or state.bare_run >= 3
            continue
        state.bare_run = 0
        if slot is None and not line.is_row and not line.heading:
            slot, rest = _trailing_slot(line.text)
            if slot is not None:
                filled = [(0, rest, line.source)]
        if slot is not None:
            entries = [(filled[0][0], rest, filled[0][2])] if rest else []
            entries += filled[1:]
            _timed_line(line, slot, entries, programme[index + 1:], state)
        else:
            following = next((n for n in programme[index + 1:] if n.filled), None)
            _untimed_line(line, filled, state, following)


_TRAILING_SLOT = re.compile(
    r"^(?P<title>[A-Z].{2,80}?)[,:]?\s+(?:vanaf|om|van)?\s*(?P<slot>(?:[01]?\d|2[0-3])[.:][0-5]\d"
    r"(?:\s*(?:-|–|—|tot)\s*(?:[01]?\d|2[0-3])[.:][0-5]\d)?)\s*uur$")


def _trailing_slot(text: str) -> tuple[Slot | None, str]:
    """ "Inloop vanaf 09.15 uur", "Lunch, 12.00 - 13.00 uur": a short line that ends in its
    time (not a sentence of running text, which is longer)."""
    match = _TRAILING_SLOT.match(text)
    if not match or len(text.split()) > 10 or _JOINER_END.search(match["title"].lower()) \
            or re.search(r"\b(?:tot|tussen|na|voor)$", match["title"].lower()):
        return None, text
    slot, _rest = phrases.leading_slot(match["slot"])
    return slot, match["title"]


def _header_row(line: Line, state: _State) -> bool:
    """ "Tijd | Onderdeel | Zaal/locatie": which column holds rooms, which organisers."""
    if not line.is_row:
        return fold(line.text) in ("tijd", "programma") and _mark(line)
    words = [fold(c) for c in line.cells]
    named = [w for w in words if w]
    vocabulary = {w for phrase in _HEADER_WORDS for w in phrase.split()}
    if not named or not all(set(w.split()) <= vocabulary for w in named):
        return False
    if not any(w.split()[0] in ("tijd", "tijdstip", "wanneer", "onderdeel", "programma")
               for w in named):
        return False
    for column, word in enumerate(words):
        if set(word.split()) & _ROOM_HEADERS:
            state.room_column = column
        if set(word.split()) & _ORGANISER_HEADERS or word in _ORGANISER_HEADERS:
            state.organiser_column = column
    return _mark(line)


def _mark(line: Line) -> bool:
    line.used = line.structural = True
    return True


def _timed_line(line: Line, slot: Slot, entries: list[tuple[int, str, Source]],
                following: list[Line], state: _State) -> None:
    room = None
    texts: list[tuple[int, str, Source]] = []
    organiser_text = None
    for column, text, source in entries:
        if column == state.room_column or (texts and phrases.is_room(text)):
            room = text
        elif column == state.organiser_column:
            organiser_text = text
        else:
            texts.append((column, text, source))
    if not texts:
        state.timed.append((state.day, slot.start, None))
        return                                        # a bare time: reported as unused
    line.used = True
    # further cells with their own time ("13.00 - 14.00 uur In gesprek met …") are own items
    own = [(c, t, s) for c, t, s in texts[1:] if phrases.leading_slot(t)[0]]
    texts = [e for e in texts if e not in own]
    next_line = next((n for n in following if n.filled), None)
    next_untimed = next_line is not None and not phrases.leading_slot(next_line.filled[0][1])[0]
    next_parallel = next_untimed and next_line.is_row and len(
        [f for f in next_line.filled if not phrases.is_room(f[1])]) >= 2
    first = texts[0][1]
    # "Verdiepingssessies" over rows "1. …", "2. …": a numbered list of its sessions
    next_numbered = next_untimed and next_line.is_row and common_kind(first) not in \
        _COMMON_ONLY and any(_LIST_NUMBER.match(f[1]) for f in next_line.filled)
    looks_round = (bool(ROUND_WORDS.search(first)) or next_numbered) and next_untimed
    if len(texts) == 1 and (looks_round or next_parallel):
        name, location = round_name(first)
        sessions = _sessions_in_round_cell(first)
        if sessions is not None:
            name, location, sessions = sessions
        state.round = _Round(name, slot, state.day, [texts[0][2]], location)
        state.rounds.append(state.round)
        state.timed.append((state.day, slot.start, None))
        if sessions:
            _sessions([(texts[0][0], text, texts[0][2]) for text in sessions], None, state)
        return
    state.round = None
    if len(texts) >= 2:                               # parallel sessions side by side
        name = f"Parallelle sessies {slot.start:%H.%M}"
        state.round = _Round(name, slot, state.day, [line.source])
        state.rounds.append(state.round)
        state.timed.append((state.day, slot.start, None))
        _sessions(texts, room, state)
        state.round = None
    elif _choice_during(slot, texts[0][1], state):
        # "12.20 uur Lunchwandeling …" within the lunch: one of the lunch's choices
        _add_choices(state.last_item, [(texts[0][1], texts[0][2])], state, slot)
        if slot.end is not None:
            added = state.items[-1]
            state.items[-1] = replace(added, end=slot.end, estimated=tuple(
                e for e in added.estimated if e != "end"), estimate_notes=tuple(
                n for n in added.estimate_notes if "eindtijd" not in n))
        if room is not None and state.items[-1].room is None:
            state.items[-1] = replace(state.items[-1], room=room)
    else:
        index = _add_common(texts[0][1], slot, room, organiser_text, [texts[0][2]], state)
        state.timed.append((state.day, slot.start, index))
        line.used = index is not None
        state.last_from_paragraph = not line.is_row
    for _column, text, source in own:
        own_slot, rest = phrases.leading_slot(text)
        if own_slot and rest:
            index = _add_common(rest, own_slot, None, None, [source], state)
            state.timed.append((state.day, own_slot.start, index))


def _choice_during(slot: Slot, text: str, state: _State) -> bool:
    """A walk, excursion or visit whose time lies within the item just before it (a lunch
    or break): a choice during that item, not an item of the common programme."""
    if state.last_item is None or state.round is not None:
        return False
    host = state.items[state.last_item]
    if host.round is not None or host.kind not in ("lunch", "pauze") or host.start is None \
            or host.end is None:
        return False
    within = host.start <= slot.start < host.end and (slot.end is None or slot.end <= host.end)
    return within and common_kind(text) in CHOICE_KINDS


_JUNK = re.compile(r"^(?:[^a-z\s]*[^\w\s][^a-z\s]*|[A-Z]{1,5}|[A-Z]{6,}|\S*[\[\]{}|%]\S*)$")
_JOINER_END = re.compile(r"\b(?:en|of|van|de|het|met|voor|door|naar|bij|op|in|aan)$")


def _damaged_prefix(text: str) -> tuple[str, str]:
    """OCR debris where a time should be ("X LER LG Plenair welkom", "(NLERRILE Keynote …"):
    (the debris, the readable rest); ("", text) when the line starts readably."""
    words = text.split()
    count = 0
    while count < len(words) - 1 and _JUNK.match(words[count]) \
            and not re.fullmatch(r"\d{0,2}[.)]", words[count]) \
            and not phrases.leading_slot(words[count])[0]:
        count += 1
    debris = words[:count]
    if not debris or not words[count][:1].isupper():
        return "", text
    if len(debris) < 2 and not re.search(r"[A-Z]{6,}|[^\w\s]", debris[0]):
        return "", text
    return " ".join(debris), " ".join(words[count:])


def _title_like(line: Line, following: Line | None) -> bool:
    text = line.text
    words = text.split()
    if not words or len(words) > 16 or not text[:1].isupper() or text.endswith((".", ",", ";")):
        return False
    if _JOINER_END.search(text.lower()):
        return False                    # "Welkom door G40-voorzitter Paul Depla en" goes on
    return not (following is not None and following.text[:1].islower()
                and not following.text.startswith(("http://", "https://", "www.")))


def _untimed_item(line: Line, text: str, state: _State) -> None:
    index = _add_common(text, None, None, None, [line.source], state)
    state.last_from_paragraph = True
    line.used = index is not None


def _untimed_line(line: Line, filled: list[tuple[int, str, Source]], state: _State,
                  following: Line | None = None) -> None:
    if state.round is None and not line.is_row and not line.heading:
        debris, rest = _damaged_prefix(line.text)
        if debris and rest and _title_like(replace(line, cells=(rest,)), following):
            state.unreadable.append(Unused(debris, line.source,
                                           "unreadable (damaged text where a time stands)"))
            if ROUND_WORDS.search(rest) and len(rest.split()) <= 4:
                line.used = True       # "Themaronde 1": a round's header, its sessions unread
                state.unreadable.append(Unused(rest, line.source, "a round whose sessions "
                                               "could not be read here (see the Toelichting)"))
                return
            _untimed_item(line, rest, state)
            return
        if state.time_column and _title_like(line, following) \
                and common_kind(line.text) != "overig" and not _NUMBERED_LINE.match(line.text):
            _untimed_item(line, line.text, state)
            return
    current = state.round
    if current is not None:
        rooms = [f for f in filled if phrases.is_room(f[1]) or f[0] == state.room_column]
        if len(rooms) == len(filled) and current.last_row:
            _rooms_by_column(rooms, current, state)
            line.used = True
            return
        # only cells that say they name organisers ("TG …", "Themagroep …", "Pijler …"): a
        # session may well be called "Gemeentelijke financiën"
        named = [found if found and not rest else None
                 for found, rest in (leading_organisers(f[1], state.registry) for f in filled)]
        if current.last_row and all(named):
            _organisers_by_column(filled, named, current, state)   # a row of organisers
            line.used = True
            return
        stated = [f for f in filled if f[0] == state.organiser_column and f not in rooms]
        texts = [f for f in filled if f not in rooms and f not in stated]
        room = rooms[0][1] if len(rooms) == 1 and len(texts) == 1 else None
        if texts:
            _sessions(texts, room, state)
            line.used = True
            if stated and len(current.last_row) == 1:    # its cell in the organiser column
                _stated_organisers(current.last_row[0][1], stated[0], state)
        return
    if state.last_item is None:
        return
    item = state.items[state.last_item]
    if line.is_row:
        _numbered_choice_row(line, filled, item, state)
        return          # any other loose row of a table is not guessed into an item: reported
    numbered = _NUMBERED_LINE.match(line.text)
    if numbered:
        _add_choices(state.last_item, [(numbered[2], line.source)], state)
        line.used = True
        return
    if line.heading or line.bold or not state.last_from_paragraph:
        return
    # running text under an item (a PDF or text without a table): its description
    description = join_text(item.description, line.text)
    state.items[state.last_item] = replace(item, description=description,
                                           sources=(*item.sources, line.source))
    line.used = True


def _numbered_choice_row(line: Line, filled: list[tuple[int, str, Source]], host: DraftItem,
                         state: _State) -> None:
    """ "1. Stadswandeling …" in a row of its own under "Lunch, met keuze uit:": a choice
    of that lunch (or break, or an item that says one can choose), like a numbered list in
    its cell."""
    rooms = [f for f in filled if f[0] == state.room_column and phrases.is_room(f[1])]
    texts = [f for f in filled if f not in rooms]
    if len(texts) != 1 or not _NUMBERED_LINE.match(texts[0][1]):
        return
    invites = host.kind in ("lunch", "pauze") or host.title.rstrip().endswith(":") \
        or _CHOICE_INTRO.search(" ".join(filter(None, [host.title, host.description])))
    if not invites or host.round is not None:
        return
    assert state.last_item is not None
    _add_choices(state.last_item, [(texts[0][1], texts[0][2])], state)
    if rooms and state.items[-1].room is None:
        state.items[-1] = replace(state.items[-1], room=rooms[0][1],
                                  sources=(*state.items[-1].sources, rooms[0][2]))
    line.used = True


def _stated_organisers(index: int, cell: tuple[int, str, Source], state: _State) -> None:
    """The organiser column's cell of a session's row: the organisers it states (through
    groups.toml); a name the registry does not know goes into notes, never guessed."""
    _column, text, source = cell
    item = state.items[index]
    groups = organisers(text, state.registry)
    if groups:
        keep = [(f, n) for f, n in zip(item.estimated, item.estimate_notes, strict=False)
                if f != "groups"]
        state.items[index] = replace(item, groups=groups, estimated=tuple(f for f, _ in keep),
                                     estimate_notes=tuple(n for _, n in keep),
                                     sources=(*item.sources, source))
    else:
        state.items[index] = replace(item, notes="; ".join(filter(None, [item.notes, text])),
                                     sources=(*item.sources, source))


def _organisers_by_column(filled: list[tuple[int, str, Source]],
                          named: list[tuple[str, ...] | None], current: _Round,
                          state: _State) -> None:
    by_column = dict(current.last_row)
    columns = [c for c, _ in current.last_row]
    for position, ((column, _text, source), groups) in enumerate(zip(filled, named,
                                                                       strict=True)):
        target = by_column.get(column)
        if target is None and len(filled) == len(columns):
            target = by_column[columns[position]]
        if target is not None and groups:
            item = state.items[target]
            keep = [(f, n) for f, n in zip(item.estimated, item.estimate_notes, strict=False)
                    if f != "groups"]
            state.items[target] = replace(
                item, groups=tuple(dict.fromkeys((*item.groups, *groups))) if "groups" not in
                item.estimated else groups, estimated=tuple(f for f, _ in keep),
                estimate_notes=tuple(n for _, n in keep), sources=(*item.sources, source))


def _rooms_by_column(rooms: list[tuple[int, str, Source]], current: _Round,
                     state: _State) -> None:
    by_column = dict(current.last_row)
    columns = [c for c, _ in current.last_row]
    for position, (column, text, source) in enumerate(rooms):
        target = by_column.get(column)
        if target is None and len(rooms) == len(columns):
            target = by_column[columns[position]]
        if target is not None and state.items[target].room is None:
            item = state.items[target]
            state.items[target] = replace(item, room=text, sources=(*item.sources, source))


@dataclass(frozen=True)
class Entry:
    title: str
    rest: str
    room: str | None
    groups: tuple[str, ...]
    groups_from_title: bool
    slot: Slot | None
    start: Slot | None
    capacity: int | None
    transport: str | None
    provisional: str | None
    label: str | None


def parse_entry(text: str, state: _State, room: str | None = None) -> Entry:
    text = _without_list_number(text)
    label_match = _CHOICE_LABEL.match(text)
    label = label_match[0].strip().rstrip(".:)-–— ") if label_match else None
    if label_match:
        text = text[label_match.end():]
    whole = text
    slot = phrases.inner_slot(text)
    start = phrases.own_start(text)
    if slot and text.find(slot.text) < 80:
        text = re.sub(r"[ \t]+", " ", text.replace(slot.text, " ", 1)).strip()
    if room is None and not _numbered_choices(text):   # a list's last room is its last choice's
        room, text = _split_room(text)
    groups, text, unknown = parenthesised_organisers(text, state.registry)
    if unknown:
        label = "; ".join(filter(None, [label, *unknown]))
    practical = None
    if not _numbered_choices(text):      # a list's brackets belong to its choices
        text, practical = _practical_brackets(text)
        if practical is None:
            text, practical = _practical_clauses(text)
    if practical:
        label = "; ".join(filter(None, [label, practical]))
    title, rest = _title_and_rest(text, state)
    title, rest = _without_choice_intro(title, rest)
    lead, after = leading_organisers(rest, state.registry)
    if lead:
        groups = tuple(dict.fromkeys((*lead, *groups)))     # the words it opens with first
        rest = after
    title_groups, _ = leading_organisers(title, state.registry)
    if title_groups:
        groups = tuple(dict.fromkeys((*title_groups, *groups)))
    from_title = False
    if not groups:
        named = organisers(title, state.registry)
        if named and fold(title) and len(named) == 1:
            groups, from_title = named, True
    return Entry(title.strip(), rest.strip(), room, groups, from_title, slot, start,
                 phrases.capacity(whole), phrases.transport(whole), phrases.proviso(whole), label)


# "2. …", "2) …", and "b. …" before a capital ("A. de Vries" is a name, not a label)
_LIST_NUMBER = re.compile(r"^\s*(?:\d{1,2}[.)]\s+(?=\S)|[a-h][.)]\s+(?=[A-Z\"'‘“(]))")


def _without_list_number(text: str) -> str:
    """ "2. Pijler Economie en Werk: …", one entry of a numbered list of sessions in rows:
    the number orders the list and is no part of the title. A text that is itself a numbered
    list ("1. Stadswandeling … 2. Fietstocht …") keeps its numbers: they part its choices."""
    if _numbered_choices(text):
        return text
    return _LIST_NUMBER.sub("", text, count=1)


def _practical_brackets(text: str) -> tuple[str, str | None]:
    """ "(vertrek 12.15 uur, max. 20 personen)" is practical information, not title: notes."""
    for match in re.finditer(r"\(([^()]{3,120})\)", text):
        inner = match[1]
        if phrases.own_start(inner) or phrases.capacity(inner):   # "(met de fiets)" stays
            return re.sub(r"[ \t]+", " ", text.replace(match[0], " ")).strip(), inner.strip()
    return text, None


def _without_choice_intro(title: str, rest: str) -> tuple[str, str]:
    """ "Lunch, met keuze uit:": the title is "Lunch"; the invitation opens the description."""
    head, comma, clause = title.rpartition(", ")
    if comma and head.strip() and _CHOICE_INTRO.search(clause):
        return head.strip(), "\n\n".join(filter(None, [clause.strip(), rest]))
    return title, rest


def _practical_clauses(text: str) -> tuple[str, str | None]:
    """ "Lunchwandeling door het centrum, vertrek 12.20 uur bij de ingang, max. 20 personen":
    the clauses from the first that gives a start, capacity or transport on are practical
    information (notes), not title. Only the first paragraph of a cell is looked at."""
    first, newline, more = text.partition("\n")
    clauses = re.split(r",\s+(?![^()]*\))", first)
    for i, clause in enumerate(clauses[1:], start=1):
        if phrases.own_start(clause) or phrases.capacity(clause) or phrases.transport(clause):
            kept = ", ".join(clauses[:i]).strip()
            return kept + newline + more, ", ".join(clauses[i:]).strip()
    return text, None


def _split_room(text: str) -> tuple[str | None, str]:
    """A room at the end of an entry; in a cell of paragraphs, in (or as) its last one."""
    if "\n" not in text:
        return phrases.split_room(text)
    *before, last = text.split("\n")
    if phrases.is_room(last) and before:
        return last.strip(), "\n".join(before)
    room, rest = phrases.split_room(last)
    return room, "\n".join([*before, rest] if rest else before)


def _title_and_rest(text: str, state: _State) -> tuple[str, str]:
    """The title, never cut inside the organisers it starts with ("Themagroep Zorg, Jeugd en
    Onderwijs", "Pijler Economie en Werk Human capital agenda …").

    A cell of several paragraphs (Word) has its title as the first paragraph; a label like
    "Locatie 1" on a paragraph of its own is skipped.
    """
    if "\n" in text:
        parts = [p.strip() for p in text.split("\n") if p.strip()]
        while len(parts) > 1 and _CHOICE_LABEL.match(parts[0] + " "):
            parts = parts[1:]
        if parts and len(parts[0].split()) <= 16:
            return parts[0].rstrip(".:"), "\n".join(parts[1:])
        text = " ".join(parts)
    lead, after = leading_organisers(text, state.registry)
    prefix = text[: len(text) - len(after)].strip() if lead else ""
    title, rest = split_title(text, state.headings)
    if lead and len(title) <= len(prefix):
        if not after:
            return text, ""
        tail, rest = split_title(after, state.headings)
        return f"{prefix} {tail}".strip(), rest
    return (title, rest) if title else (text, "")


def _readable(title: str) -> bool:
    """A title has at least one word of letters (not only times, numbers or dashes)."""
    return bool(re.search(r"[^\W\d_]{2,}", title))


_OFFERED_CHOICE = re.compile(
    r"^(?P<host>[^,()]{2,40}?),?\s+met\s+(?:de\s+)?(?:mogelijkheid|optie|keuze)\s+"
    r"(?:tot|voor|van)\s+(?:een\s+)?(?P<choice>[^()]*?(?:wandeling|excursie|rondleiding"
    r"|vaartocht|fietstocht|werkbezoek))\s*(?P<rest>\([^()]*\))?\s*$", re.IGNORECASE)


def _add_common(text: str, slot: Slot | None, room: str | None, organiser_text: str | None,
                sources: list[Source], state: _State) -> int | None:
    offered = _OFFERED_CHOICE.match(text) if not _numbered_choices(text) else None
    if offered:
        # "Lunch, met de mogelijkheid tot een stadswandeling (start 12.15 uur, max. 20
        # personen)": the lunch, and the walk as its one choice with its own start and size
        host = _add_common(offered["host"], slot, room, organiser_text, sources, state)
        if host is not None:
            walk = offered["choice"].strip()
            _add_choices(host, [(f"{walk[:1].upper()}{walk[1:]} {offered['rest'] or ''}".strip(),
                                 sources[0])], state)
            return host
    entry = parse_entry(text, state, room)
    if not _readable(entry.title):
        return None                     # nothing that could be a title: the line is reported
    groups = entry.groups
    if organiser_text:
        groups = organisers(organiser_text, state.registry) or groups
    choices = _numbered_choices(entry.rest)
    rest = entry.rest
    if choices:
        rest = rest[: rest.find(choices[0][0]) if choices[0][0] in rest else len(rest)]
        rest = re.sub(r"\s*\d{1,2}[.)]\s*$", "", rest).strip()
        intro = f"{entry.title} {rest}"     # the choices' capacity or transport is their own
        entry = replace(entry, capacity=phrases.capacity(intro),
                        transport=phrases.transport(intro), provisional=phrases.proviso(intro))
    item = DraftItem(
        title=entry.title, kind=common_kind(entry.title), day=state.day,
        start=slot.start if slot else None, end=slot.end if slot else None, room=entry.room,
        groups=groups, description=rest or None,
        capacity=entry.capacity, transport=entry.transport, provisional=entry.provisional,
        sources=tuple(sources), notes=entry.label,
        estimated=("groups",) if entry.groups_from_title else (),
        estimate_notes=(_title_group_note(entry.title),) if entry.groups_from_title else (),
    )
    state.items.append(item)
    state.last_item = len(state.items) - 1
    if choices:
        # a start before the list ("Met de optie om te wandelen (start 12.15 uur)") is shared
        start = phrases.own_start(entry.rest[: entry.rest.find(choices[0][0])]
                                  if choices[0][0] in entry.rest else entry.rest)
        host = state.last_item
        _add_choices(host, [(t, sources[0]) for t in (c for c, _ in choices)], state, start)
        if ROUND_WORDS.search(entry.title) and not rest and item.kind == "overig":
            # "Keuzesessies ronde 1" over its numbered sessions in one cell: the round's
            # name, not an item of its own
            state.round_hosts.add(host)
            for index in range(host + 1, len(state.items)):   # the round's time is theirs
                session = state.items[index]
                keep = [(f, n) for f, n in zip(session.estimated, session.estimate_notes,
                                               strict=False) if f != "end"]
                state.items[index] = replace(
                    session, kind=choice_kind(session.title, entry.title), optional=None,
                    estimated=tuple(f for f, _ in keep), estimate_notes=tuple(n for _, n in keep))
        return host
    return state.last_item


def _numbered_choices(text: str) -> list[tuple[str, int]]:
    """ "1. Kennismaken … 2. Economische wandeling …" → the texts of the choices."""
    marks = list(_NUMBERED.finditer(text))
    numbers = [int(m[1]) for m in marks]
    if len(marks) < 2 or numbers[:2] != [1, 2]:
        return []
    result = []
    for i, mark in enumerate(marks):
        if i and numbers[i] != numbers[i - 1] + 1:
            break
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        result.append((text[mark.end():end].strip(), numbers[i]))
    return result


def _add_choices(parent: int, texts: list[tuple[str, Source]], state: _State,
                 start: Slot | None = None) -> None:
    host = state.items[parent]
    round_label = host.title
    for text, source in texts:
        entry = parse_entry(text, state)
        if not _readable(entry.title):
            continue
        own = entry.start or start
        begin = own.start if own else host.start
        time_note = entry.start.text if entry.start and entry.start.start != host.start \
            else None
        estimated: list[str] = []
        notes: list[str] = []
        end = host.end
        if entry.slot:
            begin, end = entry.slot.start, entry.slot.end
        elif end is not None:
            estimated.append("end")
            notes.append(f"Het programma noemt geen eindtijd; geschat op het einde van "
                         f"'{host.title}' ({end:%H.%M}).")
        if end is not None and begin is not None and end <= begin:
            end = None
            estimated = [e for e in estimated if e != "end"]
            notes = []
        if entry.groups_from_title:
            estimated.append("groups")
            notes.append(_title_group_note(entry.title))
        kind = choice_kind(entry.title, round_label)
        state.items.append(DraftItem(
            title=entry.title, kind=kind, day=host.day, start=begin, end=end,
            round=round_label, room=entry.room, groups=entry.groups, time_note=time_note,
            description=entry.rest or None, capacity=entry.capacity,
            transport=entry.transport, provisional=entry.provisional,
            sources=(source,), estimated=tuple(estimated), estimate_notes=tuple(notes),
            notes=entry.label, optional=True,
        ))


def _sessions_in_round_cell(text: str) -> tuple[str, str, list[str]] | None:
    """"Keuzesessies ronde 2" with, in the same cell, a line per session below it (a PDF
    table without space between its rows reads so): (name, location, the sessions' lines).
    Lines that name a room ("— Raadzaal") are the round's location, not sessions."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) < 2 or not ROUND_WORDS.search(lines[0]) or round_name(lines[0])[1]:
        return None
    rooms = [line for line in lines[1:] if phrases.is_room(line.strip(" -–—"))]
    sessions = [line for line in lines[1:] if line not in rooms]
    if not sessions:
        return None
    return round_name(lines[0])[0], ", ".join(r.strip(" -–—") for r in rooms), sessions


def _sessions(texts: list[tuple[int, str, Source]], room: str | None, state: _State) -> None:
    current = state.round
    assert current is not None
    current.last_row = []
    for column, text, source in texts:
        entry = parse_entry(text, state, room if len(texts) == 1 else None)
        if not _readable(entry.title):
            continue
        start, end, time_note = current.slot.start, current.slot.end, None
        if entry.slot is not None:
            start, end = entry.slot.start, entry.slot.end
            time_note = entry.slot.text.strip(" ()")
        elif entry.start is not None:
            start = entry.start.start
            time_note = entry.start.text
        estimated = ("groups",) if entry.groups_from_title else ()
        notes = (_title_group_note(entry.title),) if entry.groups_from_title else ()
        item = DraftItem(
            title=entry.title, kind=choice_kind(entry.title, current.name), day=current.day,
            start=start, end=end, round=current.name, room=entry.room, groups=entry.groups,
            description=entry.rest or None, capacity=entry.capacity, transport=entry.transport,
            provisional=entry.provisional, time_note=time_note,
            sources=(*current.sources[:1], source), estimated=estimated,
            estimate_notes=notes, notes=entry.label,
        )
        state.items.append(item)
        current.sessions.append(len(state.items) - 1)
        current.last_row.append((column, len(state.items) - 1))
        state.last_item = None


def _title_group_note(title: str) -> str:
    return (f"Organisator afgeleid uit de titel '{title}'; het programma noemt de "
            "organisator niet.")


_COMMON_ONLY = {"inloop", "opening", "lunch", "pauze", "verplaatsen", "borrel", "diner",
                "afsluiting", "netwerk"}


def _parallel_rows(items: list[DraftItem]) -> tuple[list[DraftItem], set[int]]:
    """Rows that each repeat the same time slot are parallel sessions of one round; a row
    among them that only names the round ("Keuzesessies ronde 2") is its header."""
    groups: dict[tuple[int, time | None, time | None], list[int]] = {}
    for index, item in enumerate(items):
        if item.round is None and item.kind not in _COMMON_ONLY and item.start is not None:
            groups.setdefault((item.day, item.start, item.end), []).append(index)
    drop: set[int] = set()
    result = list(items)
    for (_day, start, _end), members in groups.items():
        if len(members) < 2:
            continue
        headers = [i for i in members if ROUND_WORDS.search(items[i].title)
                   and not items[i].room and not items[i].description]
        name = round_name(items[headers[0]].title)[0] if headers \
            else f"Parallelle sessies {start:%H.%M}"
        drop.update(headers[:1])
        for index in members:
            if index in drop:
                continue
            item = items[index]
            result[index] = replace(item, round=name, kind=choice_kind(item.title, name),
                                    sources=(*items[headers[0]].sources[:1], *item.sources)
                                    if headers else item.sources)
    return result, drop            # the headers are dropped once the ends are estimated


# ------------------------------------------------------------------------------ estimates

def _estimate_ends(items: list[DraftItem],
                   timed: list[tuple[int, time, int | None]]) -> list[DraftItem]:
    """A start-only slot ends when the next slot of the same day starts (an estimate)."""
    result = list(items)
    for position, (day, start, index) in enumerate(timed):
        if index is None or result[index].end is not None:
            continue
        later = [s for d, s, _ in timed[position + 1:] if d == day and s > start]
        if not later:
            continue
        item = result[index]
        note = (f"Het programma noemt alleen de begintijd ({start:%H.%M} uur); einde geschat "
                f"op de begintijd van het volgende onderdeel ({later[0]:%H.%M} uur).")
        result[index] = replace(item, end=later[0], estimated=(*item.estimated, "end"),
                                estimate_notes=(*item.estimate_notes, note))
    return result


def _transport_out_of_title(item: DraftItem) -> DraftItem:
    """ "Vorstelijk Landschap (met de fiets)": of a choice, brackets that say only how one
    goes are ``transport``; the title is what one chooses. (A transfer everyone makes,
    "Verplaatsen … (met touringcar)", keeps its words: how is what it is about.)"""
    bracket = re.search(r"\s*\(([^()]+)\)\s*$", item.title)
    if item.kind not in CHOICE_KINDS or bracket is None or not bracket.start():
        return item
    how = phrases.transport(bracket[1])
    if how is None or fold(bracket[1]) != fold(how):
        return item
    return replace(item, title=item.title[: bracket.start()].strip(),
                   transport=item.transport or how)


def _unreadable_titles(items: list[DraftItem], lines: list[Line]) -> list[str]:
    """A title of capitals only that names no known kind and stands nowhere else in the
    document ("11.00 - 11.15 WLEEIWESS"): most likely text an OCR damaged. It stays the
    item's title (the time beside it is readable) and the report says so."""
    whole = fold(" ".join(line.text for line in lines))
    found = []
    for item in items:
        words = re.findall(r"\w+", item.title)
        if not words or not all(w.isupper() and w.isalpha() and len(w) >= 4 for w in words):
            continue
        if common_kind(item.title) != "overig" or whole.count(fold(item.title)) > 1:
            continue
        where = item.sources[0].describe() if item.sources else "the document"
        when = f" at {item.start:%H.%M}" if item.start else ""
        found.append(f"unreadable title{when} ({where}): '{item.title}' looks like damaged "
                     "text; it is kept as the item's title — correct it from the document")
    return found


_END_MARKER = re.compile(r"^(?:einde|eind|end)(?:\s+(?:van\s+(?:de|het)\s+)?"
                         r"(?:dag|programma|netwerkdag|bijeenkomst))?\s*\.?$", re.IGNORECASE)


def _end_markers(items: list[DraftItem], timed: list[tuple[int, time, int | None]],
                 day_ends: dict[int, time]) -> set[int]:
    """ "17.30 Einde (programma)": the end of the day, not an item. Their indices; the day's
    end goes into ``day_ends``."""
    markers: set[int] = set()
    for day, start, index in timed:
        if index is None or index in markers:
            continue
        item = items[index]
        if item.end is None and item.round is None and _END_MARKER.match(item.title.strip()):
            markers.add(index)
            day_ends[day] = start
    return markers


def _end_at_day_end(items: list[DraftItem], day_ends: dict[int, time]) -> list[DraftItem]:
    """The last item of a day with only a start ends when the document says the day ends
    (an estimate: the document gives the day's end, not the item's)."""
    result = list(items)
    for day, end in day_ends.items():
        starts = [i.start for i in result if i.day == day and i.start is not None]
        if not starts:
            continue
        last = max(starts)
        for index, item in enumerate(result):
            if item.day == day and item.start == last and item.end is None and last < end:
                note = (f"Het programma noemt alleen de begintijd ({last:%H.%M} uur); einde "
                        f"geschat op het einde van de dag dat het programma noemt "
                        f"({end:%H.%M} uur).")
                result[index] = replace(item, end=end, estimated=(*item.estimated, "end"),
                                        estimate_notes=(*item.estimate_notes, note))
    return result


_MEETING = re.compile(r"\b(?:bijeenkomst|overleg|vergadering|sessie|themagroep|pijler)",
                      re.IGNORECASE)


# What everyone does together: no group organises it, so none is inferred from its words.
_SHARED_KINDS = frozenset({"inloop", "pauze", "verplaatsen", "lunch", "diner", "borrel",
                           "afsluiting"})


def _infer_groups(item: DraftItem, registry: GroupRegistry) -> DraftItem:
    """Organisers the table does not give: from the description's words, else from a
    session's title. Only "gezamenlijke sessie van …" / "georganiseerd door …" state them;
    everything else is written as an estimate with the words it came from."""
    if item.groups:
        return item
    mention = mentioned_organisers(item.description or "", registry)
    if mention is not None:
        groups, stated, words = mention
        if stated:
            return replace(item, groups=groups)
        if item.kind in _SHARED_KINDS:
            return item       # a group named near a room change is not its organiser
        note = (f"Organisator afgeleid uit de beschrijving ('{words}'); het programma noemt "
                "de organisator niet als zodanig.")
        return replace(item, groups=groups, estimated=(*item.estimated, "groups"),
                       estimate_notes=(*item.estimate_notes, note))
    if item.kind in ("keuzesessie", "pijlersessie", "overleg") or (
            item.kind in ("plenair", "overig") and _MEETING.search(item.title)):
        groups = contained_organisers(item.title, registry)
        if groups:
            return replace(item, groups=groups, estimated=(*item.estimated, "groups"),
                           estimate_notes=(*item.estimate_notes, _title_group_note(item.title)))
    return item


def _settle_groups(item: DraftItem) -> DraftItem:
    if "groups" in item.estimated and not item.groups:
        keep = [(f, n) for f, n in zip(item.estimated, item.estimate_notes, strict=False)
                if f != "groups"]
        return replace(item, estimated=tuple(f for f, _ in keep),
                       estimate_notes=tuple(n for _, n in keep))
    return item


def recognise_file(path: Path, registry: GroupRegistry, options: Options = Options()) -> Draft:
    from g40cal.importer.reading import read_document

    return recognise(read_document(path), registry, options)

"""The "Toelichting" part: descriptions, speakers and organisers under headings.

A heading is attached to the item whose title it matches (forgiving about spelling,
punctuation and a time in brackets; never a guess: a heading that matches no item, or
several equally, is left unattached and its text is reported as unused). A document
without a timetable (descriptions only) makes its items from these headings, without times.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import time

from g40cal.definitions.groups import GroupRegistry
from g40cal.importer import phrases
from g40cal.importer.draft import DraftItem
from g40cal.importer.lines import Line
from g40cal.importer.organisers import organisers
from g40cal.importer.phrases import fold, join_text
from g40cal.importer.titles import ROUND_WORDS, choice_kind, common_kind, round_name

_NUMBER = re.compile(r"^\s*(?:[-*]\s*)?\d{1,2}\s*[.)]\s*")
_SPEAKERS = re.compile(
    r"^(?:sprekers?|met|gasten?|dagvoorzitter|moderator|gespreksleider|inleiders?|panel)"
    r"(?:\s+[^:]{1,80})?\s*:\s*(?P<names>.*)$", re.IGNORECASE)
_TRAILING_SPEAKERS = re.compile(r"(?<=[.!?])\s+(?=(?:sprekers?|dagvoorzitter|moderator"
                                r"|gespreksleider|inleiders?)\s*:)", re.IGNORECASE)
_WITH = re.compile(r"^[Mm]et\s+(?P<names>(?:[a-z]+\s+)?[A-Z].{2,120})$")
_ORGANISED = re.compile(r"^georganiseerd\s+(?:door|(?:samen\s+)?met|in\s+samenwerking\s+met"
                        r"|i\.?s\.?m\.?)\s+(?P<who>.+?)\.?$", re.IGNORECASE)
_URL = re.compile(r"\s*\bhttps?://\S+")
# Words an organiser line cannot end on: a PDF or OCR broke the line after them
# ("… en de" + "themagroep" + "Leefbaarheid en stedelijke transformatie").
_OPEN_END = re.compile(r"(?:\b(?:en|de|het|van|met|door|themagroep(?:en)?|pijlers?|tg)|[,&+])$",
                       re.IGNORECASE)
_SECTION = re.compile(r"^(?:plenair\w*|lunch\w*(?:[- ]\w+)?|ochtend\w*|middag\w*|avond\w*"
                      r"|programma|dag\s+\d+\b.*)$", re.IGNORECASE)
_SENTENCE_START = {"dit", "deze", "we", "wij", "er", "u", "je", "jullie", "zij", "hij",
                   "daarna", "ook"}
_ENDS_MID_SENTENCE = re.compile(
    r"\b(?:en|of|van|de|het|een|te|met|voor|door|naar|bij|op|in|aan|om|die|dat|als|is|zijn|"
    r"wordt|worden|tussen|onder|over|uit|tot|zoals|waar|wat|hoe|we|ze|u|je)$", re.IGNORECASE)
_SLOT_IN_BRACKETS = re.compile(r"\s*\([^()]*\d{1,2}[.:]\d{2}[^()]*\)\s*$")


def is_heading(line: Line) -> bool:
    if line.is_row:
        return False
    text = line.text
    if line.heading or (line.bold and len(text) < 160):
        return True
    words = text.split()
    if not words or len(words) > 16 or len(text) > 140:
        return False
    if text.count("(") > text.count(")") or re.fullmatch(r"\([^()]*\)", text):
        return False            # "… (unieke plek" goes on; "(LocHal)" is an aside
    if text.rstrip("?!").endswith((".", ":", ",", ";", "”", '"')) or text[0].islower():
        return False
    if len(words) > 5 and words[0].lower() in _SENTENCE_START:
        return False
    if _ENDS_MID_SENTENCE.search(text) or re.search(r"[a-z]{2}\.\s+[A-Z]", text):
        return False                 # a wrapped line of running text, not a heading
    return not _SPEAKERS.match(text) and not _ORGANISED.match(text) and not _WITH.match(text)


def heading_key(text: str) -> str:
    """A heading without its number and time: "1. Indië Almelo (12.00 uur)" → "Indië Almelo"."""
    text = _NUMBER.sub("", text)
    text = _SLOT_IN_BRACKETS.sub("", text)
    return text.strip(" *:")


def heading_texts(lines: list[Line]) -> list[str]:
    return [heading_key(line.text) for line in lines if is_heading(line)
            and len(heading_key(line.text).split()) >= 1]


def _similar(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, fold(a), fold(b)).ratio()


def match_item(heading: str, items: list[DraftItem], taken: set[int],
               slot: phrases.Slot | None) -> int | None:
    """The one item a heading names, or None (no match, or two equally good)."""
    key = fold(heading_key(heading))
    if not key:
        return None
    scored: list[tuple[float, int]] = []
    for index, item in enumerate(items):
        title = fold(item.title)
        score = _similar(key, title)
        if title and (title.startswith(key) or key.startswith(title)) \
                and min(len(key), len(title)) >= 8:
            score = max(score, 0.9)
        same_time = slot is not None and item.start == slot.start
        if same_time and re.search(rf"\b{re.escape(key)}\b", title):
            score = max(score, 0.88)
        contained = bool(title) and (re.search(rf"\b{re.escape(title)}\b", key) is not None
                                     or re.search(rf"\b{re.escape(key)}\b", title) is not None)
        if same_time and slot.end == item.end and item.round is None \
                and (score >= 0.55 or contained):
            score = max(score, 0.85)           # the heading's time names the slot
        words_a, words_b = _content_words(key), _content_words(title)
        if len(words_a) >= 2 and len(words_b) >= 2:
            score = max(score, 0.9 * len(words_a & words_b) / len(words_a | words_b))
        if _in_order(title, key) or (len(key) >= 15 and re.search(rf"\b{re.escape(key)}\b",
                                                                   title)):
            score = max(score, 0.85)       # "Twenteboard - Brede Welvaart" ⊂ the heading
        if index in taken:
            score -= 0.05
        if slot is not None and item.start is not None and item.start != slot.start:
            score -= 0.1             # the heading's time says it is another item
        scored.append((score, index))
    scored.sort(reverse=True)
    if not scored or scored[0][0] < 0.8:
        return None
    if len(scored) > 1 and scored[1][0] >= scored[0][0] - 0.02:
        return None
    return scored[0][1]


_NOISE = {"themagroep", "themagroepen", "gezamenlijk", "gezamenlijke", "sessie", "pijler", "tg",
          "de", "het", "een", "en", "van", "over", "met", "in", "op", "voor"}


def _content_words(folded: str) -> set[str]:
    return {w for w in folded.split() if w not in _NOISE}


def _in_order(short: str, long: str) -> bool:
    """Every word of ``short`` (two or more) stands in ``long``, in order, from its start."""
    words, others = short.split(), long.split()
    if len(words) < 2 or len(others) <= len(words) or words[0] != others[0]:
        return False
    position = 0
    for word in words:
        try:
            position = others.index(word, position) + 1
        except ValueError:
            return False
    return True


def _join_wrapped_headings(lines: list[Line]) -> list[Line]:
    """A heading a PDF or text export wrapped over two lines ("… context: strategieën voor
    de" + "samenwerking rijk-regio-gemeenten") is one heading again."""
    result: list[Line] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        nxt = lines[index + 1] if index + 1 < len(lines) else None
        after = lines[index + 2] if index + 2 < len(lines) else None
        previous = result[-1] if result else None
        if (nxt is not None and not line.is_row and not nxt.is_row and not line.heading
                and line.text[:1].isupper() and nxt.text[:1].islower()
                and len(line.text.split()) <= 16 and len(nxt.text.split()) <= 10
                and not line.text.endswith(".") and not nxt.text.endswith((".", ","))
                and (after is None or not after.text[:1].islower())
                and (previous is None or previous.text.endswith((".", "!", "?", ":"))
                     or is_heading(previous))):
            result.append(Line((f"{line.text} {nxt.text}",), line.sources, line.source, False,
                               line.heading, line.bold, raw=line.raw, parts=(line, nxt)))
            index += 2
            continue
        result.append(line)
        index += 1
    return result


def _join_broken_organiser_lines(lines: list[Line], registry: GroupRegistry) -> list[Line]:
    """ "Georganiseerd door de themagroep X en de" + "themagroep" + "Y": one line again, if
    together they name only known groups (else the lines stay as they are)."""
    result: list[Line] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        parts = [line]
        text = line.text
        if _ORGANISED.match(text) and not line.is_row:
            while _OPEN_END.search(text) and index + len(parts) < len(lines):
                nxt = lines[index + len(parts)]
                if not nxt.text and not nxt.is_row:
                    parts.append(nxt)            # an empty line the PDF put in between
                    continue
                if nxt.is_row or len(nxt.text.split()) > 8 or nxt.text.endswith("."):
                    break
                parts.append(nxt)
                text = f"{text} {nxt.text}"
            found = _ORGANISED.match(text)
            if len(parts) > 1 and found and organisers(_URL.sub("", found["who"]), registry):
                result.append(Line((text,), line.sources, line.source, False, line.heading,
                                   line.bold, raw=line.raw, parts=tuple(parts)))
                index += len(parts)
                continue
        result.append(line)
        index += 1
    return result


def attach(lines: list[Line], items: list[DraftItem], registry: GroupRegistry,
           create: bool) -> list[DraftItem]:
    joined = _join_wrapped_headings(_join_broken_organiser_lines(lines, registry))
    items = _attach(joined, items, registry, create)
    for line in joined:
        _pass_used_on(line)
    return items


def _pass_used_on(line: Line) -> None:
    for original in line.parts:
        original.used = original.used or line.used
        original.structural = original.structural or line.structural
        original.joined_into = line.joined_into or line.source
        _pass_used_on(original)


def _attach(lines: list[Line], items: list[DraftItem], registry: GroupRegistry,
            create: bool) -> list[DraftItem]:
    items = list(items)
    taken: set[int] = set()
    current: int | None = None
    has_body = False
    section: tuple[str, str] | None = None       # (name, kind of section)
    section_round: _TableRound | None = None     # the timetable's round the section names
    day = 1
    pending_speakers: int | None = None
    level: int | None = None        # the heading level of the current entry
    for position, line in enumerate(lines):
        text = line.text
        if not text:
            continue
        if line.used:              # the title, a date or the venue of the programme
            dated = re.match(r"^dag\s+(\d+)\b", text, re.IGNORECASE)
            if dated:
                day, section, current = int(dated[1]), None, None
            continue
        marked = bool(line.heading or line.bold)
        if current is not None and not marked and _is_body_statement(text, registry) and (
                not is_heading(line) or (match_item(text, items, taken, None) is None and (
                    not has_body or not _body_follows(lines, position)))):
            # "TG Duurzaamheid + Pijler economie" under a heading: who organises it
            pending_speakers = _body_line(items, current, line, registry, pending_speakers)
            continue
        following = next((n for n in lines[position + 1:] if n.text), None)
        wrapped = following is not None and following.text[:1].islower() and not marked
        numbered_choice = (create and section and _NUMBER.match(line.raw or text)
                           and len(text.split()) <= 20 and line.heading is None
                           and not text.endswith("."))
        wrapped = wrapped or _wrapped_running_text(line, following)
        period_heading = (current is None or has_body) \
            and _heading_with_a_period(line, following, items, taken)
        if (not wrapped and (is_heading(line) or period_heading)) or numbered_choice:
            pending_speakers = None
            slot = phrases.inner_slot(text)
            dated = re.match(r"^dag\s+(\d+)\b", text, re.IGNORECASE)
            if dated:
                day = int(dated[1])
                section, current = None, None
                line.used = line.structural = True
                continue
            match = match_item(text, items, taken, slot)
            if match is not None:
                current, has_body = match, False
                level = line.heading
                taken.add(match)
                line.used = True
                items[match] = _with_source(_fuller_title(items[match], heading_key(text)),
                                            line)
                continue
            key = heading_key(text)
            same_level = line.heading is not None and level is not None \
                and line.heading <= level            # a sibling heading, never a subtitle
            if current is not None and not same_level and (not has_body or (
                    len(fold(key)) >= 6 and fold(key) in fold(items[current].title))):
                if not has_body and _names_only_organisers(items[current], registry):
                    items[current] = _retitled(items[current], key, line)
                    continue
                if _SPEAKERS.match(text) or _TRAILING_SPEAKERS.search(text):
                    # not a subtitle: a line of the entry that names its speakers
                    pending_speakers = _body_line(items, current, line, registry,
                                                  pending_speakers)
                    has_body = True
                    continue
                _add_text(items, current, key, line)    # a subtitle of the same entry
                continue
            if ROUND_WORDS.search(key) or _SECTION.match(key):
                name, _ = round_name(key)
                kind = _section_kind(key)
                section = (name, kind)
                section_round = None if create or kind != "round" else \
                    _table_round(items, name, slot, day, line)
                current = None
                line.used = line.structural = True      # the round's name, not an item
                if create and kind == "lunch":
                    items.append(DraftItem(title=key, kind="lunch", day=day, start=None,
                                           sources=(line.source,)))
                    taken.add(len(items) - 1)
                continue
            if create and section is None and not line.heading \
                    and not _body_follows(lines, position):
                section = (key, _section_kind(key))     # a heading over headings
                line.used = line.structural = True
                continue
            if create:
                items.append(_created(key, section, day, line))
                current, has_body, level = len(items) - 1, False, line.heading
                taken.add(current)
                line.used = True
                continue
            if section_round is not None and _body_follows(lines, position) \
                    and not _part_of_an_item(key, items, current):
                # a session only the Toelichting names, under a round's heading whose time
                # the document states: it is one of that round's sessions, at its time
                items.append(_round_session(key, section_round, line))
                current, has_body, level = len(items) - 1, False, line.heading
                taken.add(current)
                line.used = True
                continue
            current = None
            continue                                   # unmatched heading: reported
        if current is None:
            continue                                   # text under no matched heading
        pending_speakers = _body_line(items, current, line, registry, pending_speakers)
        has_body = True
    return items


@dataclass(frozen=True)
class _TableRound:
    """A round of the timetable, as a Toelichting heading over its sessions names it."""

    sibling: DraftItem           # one of its sessions: name, day, time, kind
    start: time
    end: time | None
    heading: Line                # the Toelichting's round heading


def _table_round(items: list[DraftItem], name: str, slot: phrases.Slot | None, day: int,
                 heading: Line) -> _TableRound | None:
    """The one round of the timetable that a Toelichting heading ("Keuze sessies ronde 2
    (14.00 - 15.00 uur)") names: by the time it states, else by the round's number. None if
    no round or several fit: then nothing under it is placed on a guess."""
    sessions = [i for i in items if i.round and i.day == day and i.start is not None]
    if slot is not None:
        fitting = [i for i in sessions if i.start == slot.start]
    else:
        number = _round_number(name)
        fitting = [i for i in sessions if number and _round_number(i.round or "") == number]
    if len({i.round for i in fitting}) != 1:
        return None
    sibling = fitting[0]
    if slot is not None:
        return _TableRound(sibling, slot.start, slot.end, heading)
    ends = Counter(i.end for i in fitting if i.round == sibling.round)
    return _TableRound(sibling, sibling.start, ends.most_common(1)[0][0], heading)  # type: ignore[arg-type]


_NUMBER_WORDS = {"een": "1", "twee": "2", "drie": "3", "vier": "4", "i": "1", "ii": "2",
                 "iii": "3", "iv": "4"}


def _round_number(name: str) -> str | None:
    found = re.search(r"\bronde\s+(\d+|[ivx]+|een|twee|drie|vier)\b", name, re.IGNORECASE)
    if found is None:
        return None
    word = found[1].lower()
    return _NUMBER_WORDS.get(word, word)


def _part_of_an_item(heading: str, items: list[DraftItem], current: int | None) -> bool:
    """Does a heading name part of an item rather than a session of its own: words of an
    item's title ("Impact Ondernemen" in "Pijler Economie en Werk Human capital agenda en
    Impact ondernemen"), or a subheading about what the text above it just said ("Over het
    REOS-Strategennetwerk" after a text on that network)?"""
    key = fold(heading)
    if any(re.search(rf"\b{re.escape(key)}\b", fold(item.title)) for item in items):
        return True
    if current is None:
        return False
    above = items[current]
    words = _content_words(key)
    said = set(fold(f"{above.title} {above.description or ''}").split())
    return bool(words) and words <= said


def _round_session(title: str, round_: _TableRound, line: Line) -> DraftItem:
    sibling = round_.sibling
    return DraftItem(title=title, kind=sibling.kind, day=sibling.day, start=round_.start,
                     end=round_.end, round=sibling.round, optional=sibling.optional,
                     sources=(line.source, round_.heading.source))


# A line of a text or PDF export this long, with the next line right under it (no empty
# line between), is running text the export wrapped, not a heading.
_WRAPPED_LENGTH = 95


def _wrapped_running_text(line: Line, following: Line | None) -> bool:
    if line.heading or line.bold or following is None or len(line.text) < _WRAPPED_LENGTH:
        return False
    here, there = line.source.line, following.source.line
    return here is not None and there == here + 1


def _heading_with_a_period(line: Line, following: Line | None, items: list[DraftItem],
                           taken: set[int]) -> bool:
    """ "Openingsdebat: Stad van iedereen - G40 op weg naar … steden." on a line of its own
    (an empty line after it, not right under a heading) that names an item: a heading
    despite its full stop."""
    text = line.text
    if not text.endswith(".") or text.endswith("..") or line.is_row:
        return False
    here = line.source.line
    there = following.source.line if following is not None else None
    if here is None or (there is not None and there == here + 1):
        return False
    bare = replace(line, cells=(text[:-1],))
    return is_heading(bare) and match_item(text[:-1], items, taken, None) is not None


def _fuller_title(item: DraftItem, heading: str) -> DraftItem:
    """The Toelichting's heading as the title when it only adds to the schedule's words
    ("Themagroep Zorg, Jeugd en Onderwijs" → "… (ZJO)"): both are the bureau's, the heading
    says more."""
    title, full = fold(item.title), fold(heading)
    if not _in_order(title, full):
        return item
    rest = heading[len(item.title):] if heading.startswith(item.title) else None
    if rest is not None and re.match(r"^\s*(?:,|:|-|–|met\b)", rest):
        # "Slim met Stroom, aanpak …", "… met wethouder X": the schedule's title stays and
        # the heading, which says more, opens the description
        return replace(item, description="\n\n".join(filter(None, [item.description,
                                                                   heading])))
    return replace(item, title=heading)


def _names_only_organisers(item: DraftItem, registry: GroupRegistry) -> bool:
    """ "Themagroepen gezamenlijk Woningmarkt, Duurzaamheid en …": a joint session's label."""
    named = organisers(item.title, registry)
    return named is not None and len(named) >= 2


def _retitled(item: DraftItem, subtitle: str, line: Line) -> DraftItem:
    """A title that only lists the organising groups gives way to the session's own title,
    the line under its heading; the groups stay in ``groups`` and the description."""
    line.used = True
    description = "\n\n".join(filter(None, [item.title, item.description]))
    return replace(item, title=subtitle, description=description,
                   sources=(*item.sources, line.source))


def _section_kind(key: str) -> str:
    lower = key.lower()
    if lower.startswith(("lunch", "netwerklunch")):
        return "lunch"
    if lower.startswith("plenair"):
        return "plenair"
    return "round"


def _body_follows(lines: list[Line], position: int) -> bool:
    """Is the next line under this heading running text (so the heading names an item)?"""
    following = next((line for line in lines[position + 1:] if line.text), None)
    return following is not None and not is_heading(following)


def _is_body_statement(text: str, registry: GroupRegistry) -> bool:
    """A short line under a heading that names organisers or speakers, not a new heading."""
    if _SPEAKERS.match(text) or _ORGANISED.match(text) or (
            _WITH.match(text) and len(text.split()) <= 16 and not text.endswith(".")):
        return True
    return len(text.split()) <= 24 and organisers(text, registry) is not None


def _created(title: str, section: tuple[str, str] | None, day: int, line: Line) -> DraftItem:
    name, kind = section if section else (None, "plenair")
    if kind == "round" or kind == "lunch":
        return DraftItem(title=title, kind=choice_kind(title, name), day=day, start=None,
                         round=name, sources=(line.source,), optional=True)
    found = common_kind(title)
    return DraftItem(title=title, kind=found if found != "overig" else "plenair", day=day,
                     start=None, sources=(line.source,))


def _add_text(items: list[DraftItem], index: int, text: str, line: Line) -> None:
    item = items[index]
    description = join_text(item.description, text)
    items[index] = replace(item, description=description, sources=(*item.sources, line.source))
    line.used = True


def _body_line(items: list[DraftItem], index: int, line: Line, registry: GroupRegistry,
               pending: int | None) -> int | None:
    item = items[index]
    text = line.text
    trailing = _TRAILING_SPEAKERS.search(text)
    if trailing and not _SPEAKERS.match(text):
        # "Over ondermijning in de wijk. Spreker: Jan Jansen (…)": the sentence is the
        # description, the rest names the speakers, as if they stood on a line of their own.
        line.used = True
        head, tail = text[:trailing.start()].strip(), text[trailing.start():].strip()
        _body_line(items, index, replace(line, cells=(head,), sources=(line.source,)),
                   registry, pending)
        return _body_line(items, index, replace(line, cells=(tail,), sources=(line.source,)),
                          registry, pending)
    speakers = _SPEAKERS.match(text)
    with_names = _WITH.match(text) if len(text.split()) <= 16 and not text.endswith(".") \
        else None
    organised = _ORGANISED.match(text)
    named = organisers(text, registry) if len(text.split()) <= 24 else None
    line.used = True
    if speakers or with_names:
        names = (speakers or with_names)["names"]
        found = speaker_names(names)
        if found or names.strip() == "":
            items[index] = replace(item, speakers=(*item.speakers, *found),
                                   provisional=item.provisional or phrases.proviso(text),
                                   sources=(*item.sources, line.source))
            return index if not names.strip() else None
    item = _with_source(item, line)       # every line below reaches this item
    if pending == index and _looks_like_speaker(text):
        items[index] = replace(item, speakers=(*item.speakers, *speaker_names(text)))
        return index
    if organised:
        groups = organisers(_URL.sub("", organised["who"]), registry)
        if groups:
            items[index] = _stated_groups(item, groups)
        else:
            items[index] = replace(item, notes="\n".join(filter(None, [item.notes, text])))
        return None
    if named:
        items[index] = _stated_groups(item, named)
        return None
    update: dict[str, object] = {}
    if item.capacity is None and phrases.capacity(text):
        update["capacity"] = phrases.capacity(text)
    if item.transport is None and phrases.transport(text):
        update["transport"] = phrases.transport(text)
    if item.provisional is None and phrases.proviso(text):
        update["provisional"] = phrases.proviso(text)
    description = join_text(item.description, text)
    items[index] = replace(item, description=description, sources=(*item.sources, line.source),
                           **update)
    return None


def _with_source(item: DraftItem, line: Line) -> DraftItem:
    """The item names the line among its sources (the draft's "# from:" comment, and the
    proof that the line reached the draft)."""
    if line.source in item.sources:
        return item
    return replace(item, sources=(*item.sources, line.source))


def _stated_groups(item: DraftItem, groups: tuple[str, ...]) -> DraftItem:
    merged = groups if "groups" in item.estimated else tuple(dict.fromkeys((*item.groups,
                                                                             *groups)))
    keep = [(f, n) for f, n in zip(item.estimated, item.estimate_notes, strict=False)
            if f != "groups"]
    return replace(item, groups=merged, estimated=tuple(f for f, _ in keep),
                   estimate_notes=tuple(n for _, n in keep))


def _looks_like_speaker(text: str) -> bool:
    name = re.split(r"\s+[-–—]\s+|,|\(", text, maxsplit=1)[0]
    return len(name.split()) <= 5 and _is_name(name) and len(text) < 200


def _is_name(text: str) -> bool:
    words = [w for w in re.sub(r"\([^)]*\)", " ", text).split() if w]
    capitals = [w for w in words if w[:1].isupper() and not w.isupper()]
    return len(capitals) >= 2


def speaker_names(text: str) -> tuple[str, ...]:
    """ "Adriaan Geuze (West8) en Marionne van Dongen (programmamanager)" → two speakers;
    "Thomas Zwiers, VNG programmamanager" → "Thomas Zwiers (VNG programmamanager)"."""
    text = text.strip().rstrip(".")
    text = re.sub(r"\(?\s*onder voorbehoud\s*\)?", "", text, flags=re.IGNORECASE).strip()
    if " - " in text or " – " in text:
        name, _, role = re.split(r"\s+([-–])\s+", text, maxsplit=1)[0], "", \
            re.split(r"\s+[-–]\s+", text, maxsplit=1)[1]
        return (f"{name.strip()} ({role.strip()})",) if _is_name(name) else ()
    parts = [p.strip() for p in re.split(r",\s*(?![^()]*\))|\s+en\s+(?![^()]*\))", text)
             if p.strip()]
    result: list[str] = []
    for part in parts:
        if _is_name(part.split("(")[0]):
            result.append(part)
        elif result:
            name = result[-1]
            result[-1] = f"{name[:-1]}, {part})" if name.endswith(")") else f"{name} ({part})"
    return tuple(result)

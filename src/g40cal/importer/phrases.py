"""Dutch phrases of the bureau's programmes: dates, time slots, capacity, transport, rooms.

Small pure functions over strings; the recogniser decides what a match means in context.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time

from g40cal.definitions.textcheck import DIRECTION_CONTROLS

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december")
WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")

_CLOCK = r"(?:[01]?\d|2[0-3])[.:][0-5]\d"
_DASH = r"(?:-|–|—|tot(?:\s+en\s+met)?)"
# A slot at the start of a cell: "09.00 - 09.30", "9.00", "09.30 – 10.00 uur", "22.00-....".
_LEADING_SLOT = re.compile(
    rf"^\s*(?P<start>{_CLOCK})\s*(?:uur\s*|u\b\s*)?"
    rf"(?:{_DASH}\s*(?:(?P<end>{_CLOCK})|\.{{2,}}|…)\s*(?:uur|u\b)?)?(?=\s|$|[,:;)])[\s,:;]*"
)
# A slot inside text: "(10.15 - 11.30 uur)", "van 14.00 tot 15.30 uur", "13.00 - 14.00 uur".
_INNER_SLOT = re.compile(
    rf"\(?\s*(?:van\s+)?(?P<start>{_CLOCK})\s*(?:uur\s*)?{_DASH}\s*(?P<end>{_CLOCK})\s*(?:uur)?\s*\)?"
)
# Its own start of a choice: "vertrek 12.20 uur", "start 13.00 uur", "aanvang 9.30".
_OWN_START = re.compile(
    rf"\b(?:vertrek|start|aanvang|begint|verzamelen)(?:\s+om)?\s*(?:om\s*)?(?P<start>{_CLOCK})"
    r"\s*(?:uur)?", re.IGNORECASE)
_CAPACITY = (
    re.compile(r"\bmax(?:\.|imaal|imum)?\s*(\d{1,4})\s*(?:personen|deelnemers|plaatsen|pers\b)",
               re.IGNORECASE),
    re.compile(r"\balleen\s+de\s+eerste\s+(\d{1,4})\b", re.IGNORECASE),
    re.compile(r"\b(\d{1,4})\s+plaatsen\s+beschikbaar\b", re.IGNORECASE),
)
_TRANSPORT = re.compile(
    r"\b(per\s+(?:bus|touringcar|fiets|boot|trein)|met\s+(?:de\s+)?(?:bus|touringcar|fiets|boot"
    r"|trein|pendelbus)|te\s+voet|lopend)\b", re.IGNORECASE)
_PROVISO = re.compile(r"onder\s+voorbehoud", re.IGNORECASE)
_WORD_DATE = re.compile(
    rf"(?:\b(?P<weekday>{'|'.join(WEEKDAYS)})\s+)?\b(?P<day>[0-3]?\d)\s+"
    rf"(?P<month>{'|'.join(MONTHS)})\b(?:\s+(?P<year>(?:19|20)\d\d))?", re.IGNORECASE)
_NUMERIC_DATE = re.compile(
    r"\b(?P<day>[0-3]?\d)[-/](?P<month>[01]?\d)[-/](?P<year>(?:19|20)\d\d)\b")


@dataclass(frozen=True)
class Slot:
    start: time
    end: time | None
    text: str            # the matched text, to remove it from a title


def clock(text: str) -> time:
    hours, minutes = re.split(r"[.:]", text)
    return time(int(hours), int(minutes))


def leading_slot(text: str) -> tuple[Slot | None, str]:
    """A time slot at the very start of ``text``, and the text after it."""
    match = _LEADING_SLOT.match(text)
    if not match:
        return None, text
    end = clock(match["end"]) if match["end"] else None
    start = clock(match["start"])
    if end is not None and end <= start:
        end = None
    return Slot(start, end, match[0]), text[match.end():].strip()


def inner_slot(text: str) -> Slot | None:
    match = _INNER_SLOT.search(text)
    if not match:
        return None
    start, end = clock(match["start"]), clock(match["end"])
    return Slot(start, end if end > start else None, match[0])


def own_start(text: str) -> Slot | None:
    match = _OWN_START.search(text)
    return Slot(clock(match["start"]), None, match[0]) if match else None


def capacity(text: str) -> int | None:
    for pattern in _CAPACITY:
        match = pattern.search(text)
        if match:
            return int(match[1])
    return None


def transport(text: str) -> str | None:
    match = _TRANSPORT.search(text)
    return re.sub(r"\s+", " ", match[1]).lower() if match else None


def proviso(text: str) -> str | None:
    """The sentence that says "onder voorbehoud", as the bureau wrote it."""
    match = _PROVISO.search(text)
    if not match:
        return None
    sentences = re.split(r"(?<=[.!?])\s+", text)
    for sentence in sentences:
        if _PROVISO.search(sentence):
            sentence = sentence.strip()
            if sentence.startswith("(") and sentence.endswith(")"):
                sentence = sentence[1:-1].strip()
            return sentence
    return "onder voorbehoud"


@dataclass(frozen=True)
class FoundDate:
    day: int
    month: int
    year: int | None
    text: str

    def as_date(self, year: int | None = None) -> date | None:
        try:
            return date(self.year or year or 0, self.month, self.day) \
                if (self.year or year) else None
        except ValueError:
            return None


def dates_in(text: str) -> list[FoundDate]:
    found = []
    for match in _WORD_DATE.finditer(text):
        month = MONTHS.index(match["month"].lower()) + 1
        year = int(match["year"]) if match["year"] else None
        found.append(FoundDate(int(match["day"]), month, year, match[0]))
    for match in _NUMERIC_DATE.finditer(text):
        if 1 <= int(match["month"]) <= 12:
            found.append(FoundDate(int(match["day"]), int(match["month"]), int(match["year"]),
                                   match[0]))
    return [f for f in found if 1 <= f.day <= 31]


def years_in(text: str) -> list[int]:
    return [int(y) for y in re.findall(r"\b((?:19|20)\d\d)\b", text)]


# ------------------------------------------------------------------------------ words

def fold(text: str) -> str:
    """Lower-case, accents and punctuation removed, spaces collapsed: for comparing titles."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.findall(r"[a-z0-9]+", text))


def join_text(before: str | None, line: str) -> str:
    """Add a line to a description: a new paragraph, unless it carries on a sentence that a
    PDF or text export wrapped ("… Paul Depla en" + "burgemeester Onno Hoes")."""
    if not before:
        return line
    if line[:1].islower() or before.rstrip().split()[-1].lower() in _CARRY_ON:
        return f"{before.rstrip()} {line.lstrip()}"
    return f"{before}\n\n{line}"


_CARRY_ON = {"en", "of", "van", "de", "het", "een", "te", "met", "voor", "door", "naar", "bij",
             "op", "in", "aan", "om", "die", "dat", "als", "is", "zijn", "wordt", "tussen"}


def clean(text: str) -> str:
    """Markup of a Word/Markdown export removed: HTML tags, **bold**, superscript ^e^."""
    # Control characters (C0 and C1) and line separators of a bad export become spaces;
    # invisible text-direction controls go: `check` refuses them in a definition.
    text = re.sub("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]", " ", text)
    text = re.sub(f"[{DIRECTION_CONTROLS}]", "", text)
    text = re.sub(r"<[^>]{1,200}>", " ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)      # [label](#) → label
    text = text.replace("**", "").replace("__", "")
    text = re.sub(r"(?<=\d)\^([a-z]{1,3})\^?", r"\1", text)   # 1^e^ / 1^e → 1e
    text = re.sub(r"(?<!\w)\*(\S(?:.*?\S)?)\*(?!\w)", r"\1", text)  # *italic*
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    return text.strip()


ROOM_WORDS = r"(?:\w*zaal|\w*kamer|studio|foyer|atelier|lokaal|aula|podium|tribune|werkplaats" \
             r"|kantine|lounge|serre|bibliotheek)"
_ROOM_ALONE = re.compile(
    rf"^(?:(?:zaal|studio|kamer|lokaal|ruimte)\s+[\w.'-]+(?:\s+[\w.'-]+)?|[\w'-]*\s?{ROOM_WORDS}"
    rf"(?:\s+\d+)?|\d+(?:\.\d+)?(?:\s+[A-Z][\w-]*){{0,3}})"
    rf"(?:\s*\([^)]{{0,40}}\))?$", re.IGNORECASE)
_FLOOR = re.compile(r"\s*\((?:[^()]*\b(?:verdieping|etage|begane grond|souterrain)\b[^()]*)\)\s*$",
                    re.IGNORECASE)
_DASH_ROOM = re.compile(
    r"(?:\s+(?P<building>[A-Z][\w'-]*(?:huis|kerk|theater|museum|hal|gebouw|paleis)))?"
    r"\s+[—–-]\s+(?P<room>[^—–]{1,40})$")
_TRAILING_ROOM = re.compile(
    r"\s+(?P<room>(?:[Zz]aal|Studio|Kamer|Lokaal)\s+[A-Z0-9][\w.'-]*"
    r"|[A-Z][\w-]*(?:zaal|kamer)|[A-Z][\w-]+\s+zaal|Foyer|Atelier|Podium|Tribune)$")


_BRACKETED_ROOM = re.compile(r"\s*\((?P<room>[^()]{1,40})\)\s*$")


def is_room(text: str) -> bool:
    """A short cell that is only a room name: "Studio 1", "zaal IJssel", "Raadzaal"."""
    text = text.strip()
    return bool(text) and len(text) <= 60 and bool(_ROOM_ALONE.match(text)) \
        and not _CLOCK_ONLY.match(text)


_CLOCK_ONLY = re.compile(rf"^{_CLOCK}")


def split_room(text: str) -> tuple[str | None, str]:
    """A room written at the end of an entry, and the entry without it.

    "… — Raadzaal", "… zaal IJssel", "… 1.1 Ambt Almelo (1e verdieping)".
    """
    floor = _FLOOR.search(text)
    if floor:
        before = text[: floor.start()].split()
        start = None
        for back in range(1, min(4, len(before)) + 1):
            word = before[-back]
            if word.endswith((".", ",", ";", ":")) and back > 0 and not word[0].isdigit():
                break
            if word[0].isdigit() or re.fullmatch(ROOM_WORDS, word, re.IGNORECASE):
                start = len(before) - back
            elif not word[0].isupper():
                break
        if start is not None:
            room = " ".join(before[start:]) + " " + floor[0].strip()
            return room.strip(), " ".join(before[:start]).strip()
    bracketed = _BRACKETED_ROOM.search(text)
    if bracketed and is_room(bracketed["room"]) and text[: bracketed.start()].strip():
        return bracketed["room"].strip(), text[: bracketed.start()].strip()   # "… (zaal Kempen)"
    match = _DASH_ROOM.search(text)
    if match and (re.search(r"\d", match["room"]) or re.search(ROOM_WORDS, match["room"],
                                                               re.IGNORECASE)) \
            and len(match["room"].split()) <= 4:
        room = match["room"].strip()
        if match["building"]:                       # "Stadhuis - foyer": both are the place
            room = f"{match['building']} - {room}"
        return room, text[: match.start()].strip()
    match = _TRAILING_ROOM.search(text)
    if match and len(text.split()) > len(match["room"].split()):
        return match["room"].strip(), text[: match.start()].strip()
    return None, text

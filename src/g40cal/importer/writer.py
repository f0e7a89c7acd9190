"""A draft as a definition file in the style of the shipped ones, with where each value came from.

Values are written as TOML basic strings (JSON's escaping is valid TOML), long texts as
multi-line strings wrapped with line-ending backslashes, so the bureau can read and edit it.
"""

from __future__ import annotations

import json
import re
import textwrap
import unicodedata
from dataclasses import replace
from datetime import time
from typing import Any

from g40cal.definitions.textcheck import DIRECTION_CONTROLS
from g40cal.importer.draft import Draft, DraftItem

PLACEHOLDER_START = time(9, 0)
PLACEHOLDER_NOTE = ("Het programma noemt geen tijd voor dit onderdeel; 09:00 is een "
                    "plaatsaanduiding, geen tijd uit het programma.")
NO_VENUE = "Locatie volgt"
_WIDTH = 96
# Control characters and bidi overrides (a Word field code, a stray byte of a PDF font) are
# not text: `check` refuses them in a definition, so the draft leaves them out.
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f{DIRECTION_CONTROLS}\u2028\u2029]")


_ID_STOPWORDS = {"de", "het", "een", "en", "van", "voor", "met", "over", "in", "op", "naar",
                 "bij", "aan", "door", "te", "of", "om", "tot", "uit", "onze", "ons"}


def slug(text: str, limit: int = 48, words_max: int | None = None) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    words = re.findall(r"[a-z0-9]+", text)
    if words_max:
        words = [w for w in words if w not in _ID_STOPWORDS][:words_max] or words[:words_max]
    result = ""
    for word in words:
        if len(result) + len(word) + 1 > limit:
            break
        result = f"{result}-{word}" if result else word
    return result or "onderdeel"


def programme_id(draft: Draft) -> str:
    parts = [draft.city or "programma", draft.kind or "", str(draft.days[0].date.year)
             if draft.days and draft.days[0].date else ""]
    return slug("-".join(p for p in parts if p), 80)


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "een": 1, "twee": 2, "drie": 3,
          "vier": 4}


def round_prefix(name: str) -> str:
    """ "Keuze sessies - ronde II" → "r2"; "Lunch en maak kennis …" → "lunch"."""
    match = re.search(r"ronde\s*([0-9]+|[ivx]+|een|twee|drie|vier)\b", name, re.IGNORECASE)
    if match:
        number = match[1].lower()
        return f"r{_ROMAN.get(number, number)}"
    return slug(name, 20, words_max=1)


def assign_ids(items: tuple[DraftItem, ...] | list[DraftItem],
               taken: set[str] | None = None) -> list[DraftItem]:
    """Give every item without an id a readable, unique one: "r1-europa", "lunch"."""
    taken = set(taken or ()) | {i.id for i in items if i.id}
    rounds: dict[str, str] = {}
    for item in items:
        if item.round and item.round not in rounds:
            rounds[item.round] = round_prefix(item.round)
    result = []
    for item in items:
        if item.id:
            result.append(item)
            continue
        base = slug(item.title, 40, words_max=4)
        if item.round:
            base = f"{rounds[item.round]}-{base}"
        if len({i.day for i in items}) > 1:
            base = f"d{item.day}-{base}"
        candidate, number = base, 2
        while candidate in taken:
            candidate, number = f"{base}-{number}", number + 1
        taken.add(candidate)
        result.append(replace(item, id=candidate))
    return result


# The fields a definition allows on several lines; every other text is one line.
MULTI_LINE = {"description", "estimate_note", "notes", "provisional", "time_note", "transport"}
_LINE_BREAK = re.compile(r"\s*[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]\s*")


def string(value: str) -> str:
    """A one-line TOML string: line breaks in the document's text become spaces."""
    one_line = _LINE_BREAK.sub(" ", value).strip() if _LINE_BREAK.search(value) else value
    return json.dumps(_UNSAFE.sub("", one_line), ensure_ascii=False)


def long_string(value: str) -> str:
    """A multi-line TOML string, paragraphs kept, lines wrapped with a trailing backslash."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", value.strip()) if p.strip()]
    blocks = []
    for paragraph in paragraphs:
        escaped = paragraph.replace("\\", "\\\\").replace('"', '\\"')
        escaped = _UNSAFE.sub("", escaped)
        escaped = re.sub(r"\s*\n\s*", " ", escaped)
        lines = textwrap.wrap(escaped, _WIDTH, break_long_words=False, break_on_hyphens=False)
        blocks.append(" \\\n".join(lines))
    return '"""\n' + "\n\n".join(blocks) + '\n"""'


def _value(value: object, key: str = "") -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, time):
        return string(f"{value:%H:%M}")
    if isinstance(value, (list, tuple)):
        inner = [string(str(v)) for v in value]
        one_line = "[" + ", ".join(inner) + "]"
        if len(one_line) <= 80:
            return one_line
        return "[\n" + "".join(f"  {v},\n" for v in inner) + "]"
    text = str(value)
    if key not in MULTI_LINE:
        text = _LINE_BREAK.sub(" ", text).strip()
    if "\n" in text or len(text) > 90:
        return long_string(text)
    return string(text)


def default_title(draft: Draft) -> str:
    if draft.title:
        return draft.title
    kind = {"ambtelijk": "Ambtelijke", "bestuurlijk": "Bestuurlijke"}.get(draft.kind or "", "")
    return " ".join(p for p in (kind, "netwerkdag" if kind else "Netwerkdag", draft.city) if p)


def render(draft: Draft, programme: str, items: list[DraftItem] | None = None, *,
           header: dict[str, Any] | None = None,
           extra: dict[str, dict[str, Any]] | None = None,
           kept_items: list[dict[str, Any]] | None = None) -> str:
    """The definition file's text. ``items`` must carry ids (see ``assign_ids``).

    On ``--update``: ``header`` holds the existing definition's programme fields (title,
    description, venues … stay as the bureau wrote them), ``extra`` the hand-edited fields per
    item id, ``kept_items`` items gone from the document that stay (no ``--yes``).
    """
    items = items if items is not None else assign_ids(draft.items)
    extra = extra or {}
    header = header or {}
    out: list[str] = []
    title = header.get("title") or default_title(draft)
    out.append(f"# {title}: draft made by `g40cal import` from {draft.source_name}.")
    out.append("# Review it against the document before publishing: every estimate below is "
               "listed by")
    out.append("# `g40cal check`; `# from:` says where in the document each value was read.")
    out.append(f"id = {string(programme)}")
    out.append(f"title = {string(title)}")
    out.append(f"kind = {string(header.get('kind') or draft.kind or 'ambtelijk')}")
    out.append(f"city = {string(header.get('city') or draft.city or '')}")
    source = draft.source_name or header.get("source")
    if source:
        out.append(f"source = {string(source)}")
    if header.get("description"):
        out.append(f"description = {long_string(header['description'])}")
    for day in draft.days:
        out.append("")
        if day.source is not None:
            out.append(f"# from: {day.source.describe()}")
        out.append("[[days]]")
        out.append(f"date = {string(day.date.isoformat())}")
        estimated = list(day.estimated)
        notes = [day.estimate_note] if day.estimate_note else []
        venue = day.venue
        if not venue:
            venue = NO_VENUE
            estimated.append("venue")
            notes.append("Het programma noemt geen locatie voor deze dag.")
        out.append(f"venue = {string(venue)}")
        if day.address:
            out.append(f"address = {string(day.address)}")
        if estimated:
            out.append(f"estimated = {_value(estimated)}")
            out.append(f"estimate_note = {_value(' '.join(notes), 'estimate_note')}")
    for key, venue in (header.get("venues") or {}).items():
        out.append("")
        out.append(f"[venues.{key}]" if re.fullmatch(r"[A-Za-z0-9_-]+", key)
                   else f"[venues.{string(key)}]")
        out.extend(f"{k} = {_value(v, k)}" for k, v in venue.items())
    multi_day = len(draft.days) > 1
    last_section = None
    for item in items:
        section = (item.day, item.round)
        if section != last_section and (item.round or (last_section and last_section[1])):
            label = " ".join((item.round or "programma").split())   # one comment line
            out.append("")
            out.append(f"# {'-' * 64} {label}".rstrip())
        last_section = section
        out.append("")
        out.extend(_item_lines(item, multi_day))
        out.extend(f"{key} = {_value(value, key)}"
                   for key, value in extra.get(item.id or "", {}).items())
    for raw in kept_items or []:
        out.append("")
        out.append("# not in the document any more: kept until `g40cal import --update … --yes`")
        out.append("[[items]]")
        out.extend(f"{k} = {_value(v, k)}" for k, v in raw.items())
    return "\n".join(out) + "\n"


def _item_lines(item: DraftItem, multi_day: bool) -> list[str]:
    lines = []
    where = sorted({s.describe() for s in item.sources}, key=lambda s: item.sources and
                   [x.describe() for x in item.sources].index(s))
    if where:
        lines.append(f"# from: {'; '.join(where)}")
    lines.append("[[items]]")
    lines.append(f"id = {string(item.id or slug(item.title))}")
    if multi_day:
        lines.append(f"day = {item.day}")
    estimated = list(item.estimated)
    notes = list(item.estimate_notes)
    start = item.start
    if start is None:
        start = PLACEHOLDER_START
        estimated.insert(0, "start")
        notes.insert(0, PLACEHOLDER_NOTE)
    lines.append(f"start = {_value(start)}")
    if item.end is not None and item.end > start:
        lines.append(f"end = {_value(item.end)}")
    elif "end" in estimated:
        estimated.remove("end")
    if estimated:
        lines.append(f"estimated = {_value(list(dict.fromkeys(estimated)))}")
        lines.append(f"estimate_note = {_value(' '.join(dict.fromkeys(notes)), 'estimate_note')}")
    lines.append(f"kind = {string(item.kind)}")
    for key in ("round", "title", "room"):
        value = getattr(item, key)
        if value:
            lines.append(f"{key} = {_value(value)}")
    if item.groups:
        lines.append(f"groups = {_value(item.groups)}")
    for key in ("capacity", "transport", "provisional", "time_note", "notes"):
        value = getattr(item, key)
        if value is not None and value != "":
            lines.append(f"{key} = {_value(value, key)}")
    if item.optional is not None and item.optional is not _default_optional(item.kind):
        lines.append(f"optional = {_value(item.optional)}")
    if item.description:
        lines.append(f"description = {long_string(item.description)}")
    if item.speakers:
        lines.append(f"speakers = {_value(item.speakers)}")
    return lines


def _default_optional(kind: str) -> bool:
    from g40cal.definitions.model import CHOICE_KINDS

    return kind in CHOICE_KINDS

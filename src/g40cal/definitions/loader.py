"""Loading a programme definition (TOML) into the model, collecting every problem.

The loader never raises on bad input: whatever the bytes, it returns the problems it
found, each naming file, line, item and field, what is wrong and what would be right.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from g40cal.definitions.groups import GroupRegistry
from g40cal.definitions.model import (
    CHOICE_KINDS,
    ITEM_KINDS,
    PROGRAMME_KINDS,
    Day,
    Item,
    Programme,
    Venue,
)
from g40cal.definitions.textcheck import bad_character
from g40cal.definitions.tomlerrors import explain as explain_syntax_error
from g40cal.errors import Problem

MAX_BYTES = 2_000_000  # a real programme is ~20 KB; anything this big is a mistake
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")
_HEADER = re.compile(r"^\s*\[")

PROGRAMME_FIELDS = ("id", "title", "kind", "city", "source", "description", "days", "venues",
                    "items")
DAY_FIELDS = ("date", "venue", "address", "estimated", "estimate_note")
VENUE_FIELDS = ("name", "address", "estimated", "estimate_note")
ITEM_FIELDS = ("id", "title", "kind", "start", "end", "day", "round", "room", "venue",
               "description", "speakers", "groups", "capacity", "transport", "notes",
               "time_note", "links", "optional", "provisional", "estimated", "estimate_note",
               "cancelled")
# Fields that may hold several lines; every other text is one line (a title, a room …).
MULTI_LINE_FIELDS = frozenset({"description", "notes", "transport", "estimate_note",
                               "time_note", "provisional"})
# A field after a '#': ``# start = "10:00"`` or ``kind = "x" #title = "…"``.
_COMMENTED_FIELD = re.compile(r"#\s*([A-Za-z_][\w-]*)\s*=")
_SHORT_ESCAPES = {"\b": ("\\b",), "\f": ("\\f",), "\n": ("\\n",), "\r": ("\\r",),
                  "\x1b": ("\\e",)}
DAY_ESTIMABLE = ("date", "venue", "address")
VENUE_ESTIMABLE = ("name", "address")
ITEM_ESTIMABLE = ("start", "end", "room", "venue", "title", "groups")


@dataclass
class _Lines:
    """Finds the line of a table or key in the source, since tomllib gives no positions."""

    lines: list[str]
    _headers: dict[str, list[int]] = field(default_factory=dict)

    def header(self, table: str, index: int) -> int | None:
        """Line of the ``index``-th ``[[table]]`` header (found once per table name)."""
        if table not in self._headers:
            pattern = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
            self._headers[table] = [
                n for n, line in enumerate(self.lines, start=1) if pattern.match(line)]
        found = self._headers[table]
        return found[index] if index < len(found) else None

    def table_header(self, table: str) -> int | None:
        """Line of the first ``[table]``, ``[[table]]`` or ``[table.…]`` header."""
        pattern = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*[\].]")
        return next((n for n, line in enumerate(self.lines, 1) if pattern.match(line)), None)

    def named_table(self, table: str) -> int | None:
        """Line of ``[table]``, or of a ``[table.sub]`` that declares it implicitly."""
        pattern = re.compile(rf"^\s*\[\s*{re.escape(table)}\s*[\].]")
        return next((n for n, line in enumerate(self.lines, 1) if pattern.match(line)), None)

    def character(self, char: str, start: int) -> int | None:
        """Line from ``start`` on that holds ``char``, as itself or as a TOML escape."""
        code = ord(char)
        forms = {char, f"\\u{code:04x}", f"\\u{code:04X}", f"\\U{code:08x}",
                 f"\\U{code:08X}", *_SHORT_ESCAPES.get(char, ())}
        for number in range(start, min(start + 500, len(self.lines)) + 1):
            if any(form in self.lines[number - 1] for form in forms):
                return number
        return None

    def entry(self, value: str, start: int) -> int | None:
        """Line of the list entry ``"value"`` in a list whose ``key = [`` is at ``start``."""
        quoted = (f'"{value}"', f"'{value}'")
        for number in range(start, min(start + 200, len(self.lines)) + 1):
            line = self.lines[number - 1]
            if any(q in line for q in quoted):
                return number
            if "]" in line.split("#", 1)[0] or (number > start and _HEADER.match(line)):
                return None
        return None

    def commented_key(self, key: str, start: int | None = None) -> int | None:
        """Line of ``# … key = …`` in the table whose header is at line ``start``: the field
        commented out, also when the ``#`` replaced one of its letters (``#itle = …``)."""
        exact = re.compile(rf"#.*(?<![\w-]){re.escape(key)}\s*=")
        for number in range((start or 0) + 1, len(self.lines) + 1):
            line = self.lines[number - 1]
            if _HEADER.match(line):
                return None
            if exact.search(line):
                return number
            for name in _COMMENTED_FIELD.findall(line):
                if difflib.SequenceMatcher(None, name, key).ratio() >= 0.8:
                    return number
        return None

    def key(self, key: str, start: int | None = None) -> int | None:
        """Line of ``key = …`` in the table whose header is at line ``start``.

        ``start=None`` searches the top level, before the first table header.
        """
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*[=.]")  # also a dotted key.sub = …
        for number in range((start or 0) + 1, len(self.lines) + 1):
            line = self.lines[number - 1]
            if _HEADER.match(line):
                return None
            if pattern.match(line):
                return number
        return None


@dataclass
class _Context:
    path: Path
    lines: _Lines
    problems: list[Problem] = field(default_factory=list)

    def error(self, message: str, *, line: int | None = None, item: str | None = None,
              field: str | None = None, hint: str | None = None, code: str = "invalid") -> None:
        self.problems.append(Problem("error", code, message, self.path, line, item, field, hint))


class _Table:
    """Typed access to one TOML table, reporting problems with location."""

    def __init__(self, ctx: _Context, data: dict[str, Any], *, line: int | None,
                 item: str | None, what: str) -> None:
        self.ctx, self.data, self.line, self.item, self.what = ctx, data, line, item, what

    def line_of(self, key: str) -> int | None:
        found = self.ctx.lines.key(key, self.line)
        if found is None and self.line is None:  # a top-level table: [[key]] or [key.…]
            found = self.ctx.lines.table_header(key)
        return found or self.line

    def error(self, key: str | None, message: str, hint: str | None = None,
              code: str = "invalid", *, value: str | None = None) -> None:
        """``value``: the list entry at fault, found on its own line of a multi-line list."""
        line = self.line_of(key) if key else self.line
        if value is not None and line is not None:
            line = self.ctx.lines.entry(value, line) or line
        if code == "missing" and key:
            commented = self.ctx.lines.commented_key(key, self.line)
            if commented is not None:  # a '#' typed (or a line break lost) before the field
                line = commented
                hint = f"line {commented} has {key} after a '#', which makes it a comment; " \
                    + (hint or "")
        self.ctx.error(message, line=line, item=self.item, field=key, hint=hint, code=code)

    def check_unknown(self, allowed: tuple[str, ...]) -> None:
        for key in self.data:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = (f"did you mean '{close[0]}'?" if close
                        else f"valid fields: {', '.join(allowed)}")
                self.error(key, f"unknown field in {self.what}", hint, code="unknown-field")

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.error(key, f"missing in {self.what}", f'add {key} = "…"', code="missing")
            return None
        if not isinstance(value, str):
            self.error(key, f"expected text, got {_describe(value)}",
                       f'write it in quotes: {key} = "…"', code="type")
            return None
        value = value.strip()
        if not self.characters_allowed(key, value):
            return None
        if not value:
            if required:
                self.error(key, "is empty", "give it a value", code="missing")
            return None
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.error(key, f"expected a list of texts, got {_describe(value)}",
                       f'write it as {key} = ["…", "…"]', code="type")
            return ()
        texts = tuple(v.strip() for v in value if v.strip())
        if not all(self.characters_allowed(key, v) for v in texts):
            return ()
        return texts

    def characters_allowed(self, key: str, value: str) -> bool:
        """False (and an error) for a character that has no place in this field."""
        bad = bad_character(value, one_line=key not in MULTI_LINE_FIELDS)
        if bad is None:
            return True
        line = self.line_of(key)
        if line is not None:  # in a text of several lines: the line that holds it
            line = self.ctx.lines.character(bad.char, line) or line
        message = bad.message(key)
        hint = {"direction": "delete it; retype the text if you cannot find it",
                "line-break": "write it on one line; only "
                + ", ".join(sorted(MULTI_LINE_FIELDS)) + " may have several",
                "control": "delete it (a backslash \\ starts an escape code: write \\\\ "
                "for one)"}[bad.kind]
        self.ctx.error(message, line=line, item=self.item, field=key, hint=hint,
                       code="character")
        return False

    def boolean(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.error(key, f"expected true or false, got {_describe(value)}",
                       f"write {key} = true or {key} = false (no quotes)", code="type")
            return None
        return value

    def integer(self, key: str, *, minimum: int = 1) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            self.error(key, f"expected a whole number ≥ {minimum}, got {_describe(value)}",
                       f"e.g. {key} = {max(minimum, 15)}", code="type")
            return None
        return value

    def clock(self, key: str, *, required: bool = False) -> time | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.error(key, f"missing in {self.what}", f'add {key} = "HH:MM"', code="missing")
            return None
        if isinstance(value, time):
            return value.replace(second=0, microsecond=0)
        if isinstance(value, str):
            match = _TIME.match(value.strip())
            if match:
                hours, minutes = int(match[1]), int(match[2])
                if hours < 24 and minutes < 60:
                    return time(hours, minutes)
        self.error(key, f"not a time: {_describe(value)}", f'write it as {key} = "09:30"',
                   code="time")
        return None

    def day_date(self, key: str) -> date | None:
        value = self.data.get(key)
        if value is None:
            self.error(key, f"missing in {self.what}", f'add {key} = "2025-09-25"', code="missing")
            return None
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.error(key, f"not a date: {_describe(value)}", f'write it as {key} = "2025-09-25"',
                   code="date")
        return None

    def estimates(self, allowed: tuple[str, ...]) -> tuple[frozenset[str], str | None]:
        fields = self.texts("estimated")
        wrong = [f for f in fields if f not in allowed]
        if wrong:
            self.error("estimated", f"cannot mark {', '.join(map(repr, wrong))} as estimated here",
                       f"valid: {', '.join(allowed)}", code="estimate")
        note = self.text("estimate_note")
        if fields and not note:
            self.error("estimated", "estimates need a reason",
                       'add estimate_note = "… why, based on what …"', code="estimate")
        if note and not fields:
            self.error("estimate_note", "there is a note but no estimated field",
                       'list the fields, e.g. estimated = ["start"]', code="estimate")
        return frozenset(f for f in fields if f in allowed), note


def _describe(value: object) -> str:
    kind = {bool: "true/false", int: "a number", float: "a number", str: "text",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)
    shown = repr(value)
    return f"{kind} {shown[:40]}{'…' if len(shown) > 40 else ''}"


def load_programme(path: Path, registry: GroupRegistry) -> tuple[Programme | None, list[Problem]]:
    """Load one definition file. Returns the programme (None on errors) and all problems."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem("error", "unreadable", f"cannot read the file: {exc.strerror}", path)]
    return parse_programme(raw, path, registry)


def parse_programme(raw: bytes, path: Path,
                    registry: GroupRegistry) -> tuple[Programme | None, list[Problem]]:
    def fail(code: str, message: str, line: int | None = None, hint: str | None = None):
        return None, [Problem("error", code, message, path, line, hint=hint)]

    if len(raw) > MAX_BYTES:
        return fail("too-large", f"the file is {len(raw) // 1_000_000} MB; a programme is at most "
                    f"{MAX_BYTES // 1_000_000} MB", hint="is this the right file?")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return fail("encoding", f"not UTF-8 text (byte 0x{raw[exc.start]:02x})", line,
                    "save the file as UTF-8 (in most editors: Save as… → Encoding: UTF-8)")
    if "\x00" in text:
        return fail("binary", "the file contains NUL bytes; it is not a text file", None,
                    "is this the right file?")
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        return fail("empty", "the file is empty", None,
                    "a programme needs id, title, kind, city, [[days]] and [[items]]; "
                    "see docs/programme-format.md")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        mistake = explain_syntax_error(text, exc)
        return fail("syntax", mistake.message, mistake.line, mistake.hint)
    except RecursionError:
        return fail("syntax", "not valid TOML: nested too deeply", None)
    return programme_from_data(data, path, registry, text)


def programme_from_data(data: dict[str, Any], path: Path, registry: GroupRegistry,
                        text: str = "") -> tuple[Programme | None, list[Problem]]:
    """Build a programme from parsed TOML data; ``text`` (the source) gives line numbers."""
    ctx = _Context(path, _Lines(text.splitlines()))
    programme = _build(ctx, data, registry)
    return (programme if not ctx.problems else None), ctx.problems


def _build(ctx: _Context, data: dict[str, Any], registry: GroupRegistry) -> Programme | None:
    top = _Table(ctx, data, line=None, item=None, what="the programme")
    top.check_unknown(PROGRAMME_FIELDS)
    pid = top.text("id", required=True)
    if pid and not SLUG.match(pid):
        top.error("id", f"{pid!r} is not a valid id",
                  "use lower-case letters, digits and '-', e.g. \"almelo-ambtelijk-2024\"")
        pid = None
    title = top.text("title", required=True)
    kind = top.text("kind", required=True)
    if kind and kind not in PROGRAMME_KINDS:
        top.error("kind", f"unknown programme kind {kind!r}",
                  f"valid kinds: {', '.join(PROGRAMME_KINDS)}")
    city = top.text("city", required=True)
    venues = _venues(ctx, data.get("venues"))
    days = _days(ctx, data.get("days"))
    items = _items(ctx, data.get("items"), days, venues, registry)
    if ctx.problems or not (pid and title and kind and city):
        return None
    return Programme(
        id=pid, title=title, kind=kind, city=city, days=tuple(days), items=tuple(items),
        path=ctx.path, source=top.text("source"), description=top.text("description"),
        venues=tuple(venues.values()),
    )


def _venues(ctx: _Context, raw: object) -> dict[str, Venue]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        ctx.error("'venues' must be tables like [venues.stadhuis]", field="venues",
                  line=ctx.lines.key("venues"), code="type")
        return {}
    venues: dict[str, Venue] = {}
    for key, entry in raw.items():
        line = ctx.lines.named_table(f"venues.{key}")
        if not SLUG.match(key):
            ctx.error(f"venue key {key!r} is not valid", line=line, field="venues",
                      hint="use lower-case letters, digits and '-'")
            continue
        if not isinstance(entry, dict):
            ctx.error(f"venue {key!r} must be a table", line=line, field="venues", code="type")
            continue
        table = _Table(ctx, entry, line=line, item=None, what=f"venue '{key}'")
        table.check_unknown(VENUE_FIELDS)
        name = table.text("name", required=True)
        estimated, note = table.estimates(VENUE_ESTIMABLE)
        if name:
            venues[key] = Venue(key, name, table.text("address"), estimated, note)
    return venues


def _single_brackets(ctx: _Context, raw: object, table: str) -> bool:
    """``[items]`` written for ``[[items]]``: one table instead of a list of them."""
    if not isinstance(raw, dict):
        return False
    what = "item" if table == "items" else "day"
    ctx.error(f"[{table}] with single brackets declares one table; every {what} needs its own "
              f"[[{table}]]", field=table, line=ctx.lines.table_header(table),
              hint=f"write [[{table}]] (double brackets) for each {what}", code="syntax")
    return True


def _days(ctx: _Context, raw: object) -> list[Day]:
    if _single_brackets(ctx, raw, "days"):
        return []
    if not isinstance(raw, list) or not raw or not all(isinstance(d, dict) for d in raw):
        ctx.error("the programme needs one or more [[days]] tables", field="days",
                  hint='add [[days]] with date = "YYYY-MM-DD" and venue = "…"', code="missing")
        return []
    days: list[Day] = []
    for number, entry in enumerate(raw, start=1):
        line = ctx.lines.header("days", number - 1)
        table = _Table(ctx, entry, line=line, item=None, what=f"day {number}")
        table.check_unknown(DAY_FIELDS)
        when = table.day_date("date")
        venue_name = table.text("venue", required=True)
        estimated, note = table.estimates(DAY_ESTIMABLE)
        if when and days and when <= days[-1].date:
            table.error("date", f"day {number} ({when}) is not after day {number - 1} "
                        f"({days[-1].date})", "list the days in order, one date each")
        if when and venue_name:
            venue_estimates = frozenset(
                {"venue": "name", "address": "address"}[f] for f in estimated if f != "date")
            venue = Venue(f"day-{number}", venue_name, table.text("address"), venue_estimates,
                          note if venue_estimates else None)
            days.append(Day(number, when, venue, estimated, note, line))
    return days


def _items(ctx: _Context, raw: object, days: list[Day], venues: dict[str, Venue],
           registry: GroupRegistry) -> list[Item]:
    if _single_brackets(ctx, raw, "items"):
        return []
    if not isinstance(raw, list) or not raw or not all(isinstance(i, dict) for i in raw):
        ctx.error("the programme needs one or more [[items]] tables", field="items",
                  hint="add [[items]] with id, title, kind and start", code="missing")
        return []
    items: list[Item] = []
    seen: dict[str, int | None] = {}
    for index, entry in enumerate(raw):
        line = ctx.lines.header("items", index)
        raw_id = entry.get("id")
        label = raw_id if isinstance(raw_id, str) and raw_id else f"#{index + 1}"
        table = _Table(ctx, entry, line=line, item=label, what=f"item {label}")
        item = _item(table, index, days, venues, registry)
        if item is None:
            continue
        if item.id in seen:
            table.error("id", f"duplicate id {item.id!r} (also at line {seen[item.id]})",
                        "every item needs its own id; never reuse one", code="duplicate-id")
            continue
        seen[item.id] = line
        items.append(item)
    return items


def _item(table: _Table, index: int, days: list[Day], venues: dict[str, Venue],
          registry: GroupRegistry) -> Item | None:
    table.check_unknown(ITEM_FIELDS)
    before = len(table.ctx.problems)
    item_id = table.text("id", required=True)
    if item_id and not SLUG.match(item_id):
        table.error("id", f"{item_id!r} is not a valid id",
                    "use lower-case letters, digits and '-', e.g. \"r1-europa\"")
    title = table.text("title", required=True)
    kind = table.text("kind", required=True)
    if kind and kind not in ITEM_KINDS:
        close = difflib.get_close_matches(kind, ITEM_KINDS, n=1)
        table.error("kind", f"unknown kind {kind!r}",
                    f"did you mean '{close[0]}'?" if close
                    else f"valid kinds: {', '.join(ITEM_KINDS)}", code="kind")
    start = table.clock("start", required=True)
    end = table.clock("end")
    if start and end and end <= start:
        table.error("end", f"end {end:%H:%M} is not after start {start:%H:%M}",
                    "an item ends after it starts, on the same day", code="end-before-start")
    day_number = _day_number(table, days)
    venue = _venue(table, days, venues, day_number)
    groups = []
    for name in table.texts("groups"):
        group = registry.resolve(name)
        if group is None:
            suggestion = registry.suggest(name)
            table.error("groups", f"unknown group {name!r}",
                        f"did you mean '{suggestion}'?" if suggestion
                        else "add it to groups.toml (name or alias)", code="unknown-group",
                        value=name)
        elif group not in groups:
            groups.append(group)
    links = table.texts("links")
    for link in links:
        if not link.startswith(("https://", "http://")):
            table.error("links", f"{link!r} is not a web link", "links start with https://",
                        value=link)
    estimated, note = table.estimates(ITEM_ESTIMABLE)
    if "groups" in estimated and not table.data.get("groups"):
        table.error("estimated", "the organisers are marked as an estimate, but the item "
                    "names no groups", 'add groups = ["…"], or remove "groups" from estimated',
                    code="estimate")
    optional = table.boolean("optional")
    capacity = table.integer("capacity")
    cancelled = table.boolean("cancelled")
    fields = {k: table.text(k) for k in ("round", "room", "description", "transport", "notes",
                                         "time_note", "provisional")}
    speakers = table.texts("speakers")
    if len(table.ctx.problems) > before or not (item_id and title and kind and start):
        return None
    if day_number is None or venue is None:
        return None
    return Item(
        id=item_id, title=title, kind=kind, day=day_number, start=start, end=end, venue=venue,
        speakers=speakers, groups=tuple(groups), capacity=capacity, links=links,
        optional=(kind in CHOICE_KINDS) if optional is None else optional,
        estimated=estimated, estimate_note=note, cancelled=bool(cancelled), line=table.line,
        **fields,
    )


def _day_number(table: _Table, days: list[Day]) -> int | None:
    raw = table.data.get("day")
    if raw is None:
        if len(days) > 1:
            table.error("day", "missing: this programme has several days",
                        f"add day = 1 … day = {len(days)}", code="missing")
            return None
        return 1 if days else None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= max(len(days), 1):
        table.error("day", f"no day {raw!r} in this programme",
                    f"the programme has {len(days)} day(s): use 1…{len(days)}", code="day")
        return None
    return raw if raw <= len(days) else None


def _venue(table: _Table, days: list[Day], venues: dict[str, Venue],
           day_number: int | None) -> Venue | None:
    key = table.text("venue")
    if key is None:
        return days[day_number - 1].venue if day_number and day_number <= len(days) else None
    if key not in venues:
        lines = [(k, table.ctx.lines.named_table(f"venues.{k}")) for k in sorted(venues)]
        known = ", ".join(f"{k} (line {n})" if n else k for k, n in lines)
        table.error("venue", f"unknown venue {key!r}",
                    f"define [venues.{key}] with a name, or use one of: {known or 'none defined'}",
                    code="venue")
        return None
    return venues[key]

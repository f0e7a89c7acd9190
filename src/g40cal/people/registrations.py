"""Importing registration exports (CSV, XLSX) from the bureau's sign-up form.

Forgiving about the file (UTF-8 or Windows-1252, comma or semicolon, Google Forms or
Microsoft Forms layout, header spelling, case and accents, small typos in a session
title), but it never guesses: a choice that fits no item, or fits two, is listed per row
with the nearest items, and nothing changes until it is fixed (or ``--skip-invalid``).

Two phases, like sync: ``plan_import`` reads the file and the state and decides
everything (pure); ``apply_import`` writes the plan in one transaction.

Files from a public form are hostile input: rows are streamed (never the whole file in
memory), an .xlsx's declared size is not trusted, MAX_BYTES and MAX_ROWS end any import
with a clear message, and the time is linear in the rows.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from g40cal.config import Config
from g40cal.definitions.model import TZ, Item, Programme, Venue
from g40cal.definitions.project import Project
from g40cal.errors import Problem, UserError
from g40cal.people.matching import (
    WEEKDAYS,
    YES,
    Cell,
    Match,
    describe_items,
    fold_text,
    is_no_choice,
    match_items,
    month_first,
    numbered_round,
    optional_items,
    parse_days,
    parse_time,
    resolve_programme,
    round_number,
)
from g40cal.people.participants import (
    Choice,
    Participant,
    Registration,
    delete_registration,
    email_problem,
    erasing,
    insert_participant,
    load_participant,
    load_participants,
    next_position,
    normalise_email,
    put_registration,
    update_participant,
    valid_email,
)
from g40cal.people.safetext import clean, has_unsafe, visible
from g40cal.state import State

# Accepted headers per field, compared after folding (case, accents, punctuation ignored).
# Earlier aliases win when a file has several (Microsoft Forms has both the respondent's
# account "E-mail" and the question "E-mailadres").
FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("naam", "volledige naam", "naam deelnemer", "voor en achternaam",
             "voornaam en achternaam", "full name", "name", "deelnemer"),
    "first_name": ("voornaam", "roepnaam", "first name", "given name"),
    "infix": ("tussenvoegsel", "tussenvoegsels"),
    "last_name": ("achternaam", "familienaam", "last name", "surname", "family name"),
    "email": ("e mailadres", "emailadres", "e mail adres", "email adres", "mailadres",
              "email address", "e mail address", "e mail", "email"),
    "organisation": ("organisatie", "gemeente", "werkgever", "organisation", "organization",
                     "instantie", "namens", "stad"),
    "programme": ("netwerkdag", "netwerkdagen", "bijeenkomst", "evenement", "programma",
                  "aanmelding voor", "event"),
    "days": ("dagen", "welke dagen", "aanwezig op", "aanwezigheid", "days", "dag"),
    "registered_at": ("tijdstempel", "aangemeld op", "datum aanmelding", "aanmelddatum",
                      "ingediend op", "verzonden op", "tijd van voltooien", "voltooid op",
                      "completion time", "timestamp", "submitted at", "begintijd",
                      "start time", "datum"),
}
# Words that make a column a choice column ("Ronde 1", "Lunchwandeling", "Stadssafari")...
CHOICE_STEMS = ("ronde", "round", "keuze", "sessie", "workshop", "wandel", "werkbezoek",
                "excursie", "safari", "pijler", "lunch", "lezing", "rondleiding",
                "activiteit", "breakout", "break out", "vaartocht", "bezoek")
# ...unless it is about something else ("Dieetwensen lunch", "Vragen voor de sessie").
NOT_CHOICE_STEMS = ("dieet", "allergi", "opmerking", "vraag", "vragen", "parkeer", "toelichting",
                    "telefoon", "functie", "akkoord", "privacy", "toestemming", "vegetar",
                    "vegan", "wens", "foto", "reden")
# -- reading files ---------------------------------------------------------------------


# Limits that keep an import finite: a real export of the sign-up form is a few thousand rows
# and a few megabytes. A larger file is refused at once, with this message, rather than read
# for minutes. (docs/participants.md lists them.)
MAX_BYTES = 64 * 1024 * 1024
MAX_ROWS = 100_000
MAX_COLUMNS = 250  # an .xlsx may declare 16,384 columns; no form has more than this
PROGRESS_EVERY = 10_000  # rows between progress messages

Rows = Iterator[tuple[int, tuple[Cell, ...]]]


@dataclass(frozen=True)
class Table:
    """A registration export: its header row, and its other rows read on demand.

    The rows are streamed from the file each time ``rows()`` is called, so a large export
    is never held in memory as a whole.
    """

    path: Path
    headers: tuple[str, ...]
    source: Callable[[], Rows]  # every non-empty row, the header row first
    notes: tuple[str, ...] = ()

    def rows(self) -> Rows:
        """(line or sheet row, cells) of every non-empty row below the header, as wide as
        the header; a UserError once there are more than MAX_ROWS."""
        width = len(self.headers)
        body = self.source()
        next(body, None)  # the header row
        for count, (line, cells) in enumerate(body, start=1):
            if count > MAX_ROWS:
                raise UserError(f"{self.path}:{line}: more than {MAX_ROWS:,} registrations: "
                                "g40cal reads at most that many from one file (split the "
                                "export, e.g. per network day)")
            yield line, tuple(cells[:width]) + ("",) * (width - len(cells))


def read_table(path: Path, sheet: str | None = None) -> Table:
    """Open a CSV or XLSX export and read its header row; any unreadable file is a
    UserError, never a traceback."""
    if not path.is_file():
        raise UserError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix in (".xls", ".ods", ".numbers"):
        raise UserError(f"{path}: {suffix} files cannot be read; save it as .xlsx (Excel: "
                        "Opslaan als → Excel-werkmap) or as .csv")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise UserError(f"{path}: {size / 2**20:.0f} MB is more than the {MAX_BYTES // 2**20} "
                        "MB g40cal reads from one export; a sign-up form's export is far "
                        "smaller — is this the right file? (else split it, e.g. per network "
                        "day)")
    with path.open("rb") as file:
        magic = file.read(4)
    if suffix in (".xlsx", ".xlsm") or magic == b"PK\x03\x04":
        return _open_xlsx(path, sheet)
    if sheet is not None:
        raise UserError(f"{path}: --sheet only applies to .xlsx files")
    return _open_csv(path)


# -- CSV: the encoding is decided for the whole file, from evidence ----------------------

_CHUNK = 1 << 20
_HIGH_BYTES = bytes(range(0x80, 0x100))
_BAD_BYTE = re.compile("[\udc80-\udcff]")  # an undecodable byte, kept by surrogateescape
_NOT_CP1252 = b"\x81\x8d\x8f\x90\x9d"  # undefined in Windows-1252


@dataclass(frozen=True)
class BadByte:
    line: int
    offset: int  # from the start of the file
    value: int


def _encoding(path: Path) -> tuple[str, list[str]]:
    """The file's encoding: UTF-16 by its byte order mark; UTF-8 when it decodes as UTF-8;
    Windows-1252 when its non-ASCII bytes are not UTF-8 at all. A UTF-8 file with a few bad
    bytes is an error that names them: read as Windows-1252, every accent in it would turn
    into garbage (and a re-import would "update" every accented name)."""
    with path.open("rb") as file:
        if file.read(2) in (b"\xff\xfe", b"\xfe\xff"):
            return "utf-16", ["read as UTF-16 text"]
        file.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        high = nul = 0
        bad: list[BadByte] = []
        bad_count = line = offset = 0
        undefined = False
        while chunk := file.read(_CHUNK):
            nul += chunk.count(0)
            high += len(chunk) - len(chunk.translate(None, _HIGH_BYTES))
            undefined = undefined or any(b in chunk for b in _NOT_CP1252)
            text = decoder.decode(chunk)
            if not text.isascii():
                found = _BAD_BYTE.findall(text)
                bad_count += len(found)
                if found and len(bad) < 3:
                    bad += _locate(text, line, offset)[:3 - len(bad)]
            line += text.count("\n")
            offset += len(text.encode("utf-8", "surrogateescape"))
        text = decoder.decode(b"", final=True)
        bad_count += len(_BAD_BYTE.findall(text))
    damaged_utf8 = bad_count and high - bad_count > bad_count  # most non-ASCII is UTF-8
    if bad_count and not damaged_utf8 and undefined:
        raise UserError(f"{path}: not a text file in UTF-8 or Windows-1252; export the "
                        "registrations again as CSV (UTF-8) or .xlsx")
    if nul:
        raise UserError(f"{path}: contains NUL bytes, so it is not a CSV export; export the "
                        "registrations again as CSV (UTF-8) or .xlsx")
    if not bad_count:
        return "utf-8-sig", []
    if damaged_utf8:
        where = "; ".join(f"line {b.line}, byte {b.offset + 1}: 0x{b.value:02X}" for b in bad)
        raise UserError(f"{path}: not valid UTF-8 at {bad_count} byte(s) ({where}) although "
                        "the rest of the file is UTF-8; reading it as Windows-1252 would garble "
                        "every accent. Fix those characters, or export the registrations again "
                        "as CSV UTF-8 or .xlsx")
    # What Excel on Windows writes for "CSV (gescheiden door lijstscheidingsteken)".
    return "cp1252", ["read as Windows-1252 text (not UTF-8)"]


def _locate(text: str, line: int, offset: int) -> list[BadByte]:
    found = []
    for match in _BAD_BYTE.finditer(text):
        before = text[:match.start()]
        found.append(BadByte(line + before.count("\n") + 1,
                             offset + len(before.encode("utf-8", "surrogateescape")),
                             ord(match.group()) - 0xDC00))
        if len(found) == 3:
            break
    return found


def _open_csv(path: Path) -> Table:
    encoding, notes = _encoding(path)
    with path.open(encoding=encoding, newline="") as file:
        first = next((line for line in file if line.strip()), "")
    delimiter = max((";", ",", "\t"), key=first.count)
    if delimiter != ",":
        notes.append(f"columns separated by {'tab' if delimiter == chr(9) else delimiter!r}")

    def source() -> Rows:
        with path.open(encoding=encoding, newline="") as file:
            reader = csv.reader(file, delimiter=delimiter)
            line = 1
            try:
                for record in reader:
                    if any(cell.strip() for cell in record):
                        yield line, tuple(record)
                    line = reader.line_num + 1
            except csv.Error as exc:
                raise UserError(f"{path}:{reader.line_num}: not valid CSV: {exc}") from None
            except UnicodeDecodeError as exc:
                raise UserError(f"{path}: cannot be read as {encoding} ({exc.reason}); export "
                                "the registrations again as CSV (UTF-8) or .xlsx") from None

    return _table(path, source, notes)


# -- XLSX: only the cells that are there ------------------------------------------------


def _open_xlsx(path: Path, sheet: str | None) -> Table:
    def source() -> Rows:
        book = _workbook(path)
        try:
            worksheet = _worksheet(path, book, sheet)
            # The declared size (<dimension ref="A1:XFD1048576">) is whatever the writer
            # said: not trusted. Rows are read as they are in the file, and no wider than
            # MAX_COLUMNS.
            worksheet.reset_dimensions()
            for number, values in enumerate(
                    worksheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
                if not any(values):  # fast for the million empty rows a sheet may declare
                    continue
                cells = tuple(_xlsx_cell(v) for v in values)
                if any(isinstance(c, datetime) or c.strip() for c in cells):
                    yield number, _trimmed(cells)
        except UserError:
            raise
        except Exception as exc:  # a damaged sheet can fail half-way through reading
            raise UserError(f"{path}: cannot read the sheet ({type(exc).__name__}: "
                            f"{exc})") from None
        finally:
            book.close()

    book = _workbook(path)
    try:
        worksheet = _worksheet(path, book, sheet)
        notes = [f"read sheet {worksheet.title!r} (of {len(book.sheetnames)}; choose another "
                 "with --sheet)"] if len(book.sheetnames) > 1 and sheet is None else []
    finally:
        book.close()
    return _table(path, source, notes)


def _workbook(path: Path) -> Any:
    try:
        from openpyxl import load_workbook

        return load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on broken files; all mean "unreadable"
        raise UserError(f"{path}: not a readable .xlsx file ({type(exc).__name__}: {exc}); "
                        "open it in Excel and save it again as .xlsx, or export CSV") from None


def _worksheet(path: Path, book: Any, sheet: str | None) -> Any:
    if sheet is not None and sheet not in book.sheetnames:
        raise UserError(f"{path}: no sheet {sheet!r}; sheets: {', '.join(book.sheetnames)}")
    return book[sheet] if sheet else book.worksheets[0]


def _trimmed(cells: tuple[Cell, ...]) -> tuple[Cell, ...]:
    """Without the empty cells at the end of the row."""
    end = len(cells)
    while end and not isinstance(cells[end - 1], datetime) and not cells[end - 1]:
        end -= 1
    return cells[:end]


def _xlsx_cell(value: object) -> Cell:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _table(path: Path, source: Callable[[], Rows], notes: list[str]) -> Table:
    with contextlib.closing(source()) as rows:
        header = next(rows, None)
    if header is None:
        raise UserError(f"{path}: the file is empty (no header row)")
    # Headers are printed (the column report, every message's field): escaped like names.
    headers = tuple(visible(str(h).strip()) or f"(column {n})"
                    for n, h in enumerate(header[1], start=1))
    return Table(path, headers, source, tuple(notes))


# -- columns ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ChoiceColumn:
    index: int
    header: str
    number: int | None  # "Ronde 2" → 2: the programme's round with that number


@dataclass(frozen=True)
class Columns:
    fields: dict[str, list[int]]  # field → column indexes, preferred first
    choices: list[ChoiceColumn]
    ignored: list[str]

    def describe(self, headers: tuple[str, ...]) -> list[tuple[str, str]]:
        roles = {i: name for name, indexes in self.fields.items() for i in indexes}
        roles.update({c.index: f"choice (round {c.number})" if c.number else "choice"
                      for c in self.choices})
        return [(h, roles.get(i, "ignored")) for i, h in enumerate(headers)]


_ALIASES = {name: tuple(fold_text(a) for a in aliases) for name, aliases in FIELDS.items()}


def map_columns(headers: tuple[str, ...]) -> Columns:
    found: dict[str, list[tuple[int, int]]] = defaultdict(list)  # field → (rank, index)
    choices: list[ChoiceColumn] = []
    ignored: list[str] = []
    for index, header in enumerate(headers):
        folded = fold_text(header)
        exact = [(name, aliases.index(folded)) for name, aliases in _ALIASES.items()
                 if folded in aliases]
        if exact:
            name, rank = exact[0]
            found[name].append((rank, index))
        elif _is_choice_header(folded):
            choices.append(ChoiceColumn(index, header, round_number(folded)))
        elif (contained := _contained_field(folded)) is not None:
            name, rank = contained
            found[name].append((100 + rank, index))  # exact headers go first
        else:
            ignored.append(header)
    fields = {name: [i for _, i in sorted(entries)] for name, entries in found.items()}
    return Columns(fields, choices, ignored)


def _is_choice_header(folded: str) -> bool:
    return any(s in folded for s in CHOICE_STEMS) and not any(
        s in folded for s in NOT_CHOICE_STEMS)


def _contained_field(folded: str) -> tuple[str, int] | None:
    """A field alias as whole words inside a longer header ("Wat is uw e-mailadres?").
    The longest alias wins: "Naam organisatie" is the organisation, not the name."""
    padded = f" {folded} "
    hits = [(len(alias), name, rank) for name, aliases in _ALIASES.items()
            for rank, alias in enumerate(aliases) if f" {alias} " in padded]
    if not hits or any(s in folded for s in NOT_CHOICE_STEMS):
        return None
    _, name, rank = max(hits)
    return name, rank


# -- rows ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRow:
    line: int
    name: str
    email: str
    organisation: str | None
    programme: str
    registered_at: datetime | None
    days: frozenset[int] | None
    choices: tuple[Choice, ...]

    @property
    def person(self) -> tuple[str, str]:
        return self.email, fold_text(self.name)


@dataclass(frozen=True)
class LooseMatch:
    """A choice matched by a typo or a part of a title: shown so the bureau can look."""

    line: int  # the first row with this text in this column
    column: str
    value: str
    item: str
    title: str
    how: str  # typo | partial | common (a common item: nothing to choose)
    rows: int = 1  # how many rows have it


class RowReader:
    """Turns table rows into ImportRows, collecting problems per row."""

    def __init__(self, project: Project, table: Table, columns: Columns,
                 programme: Programme | None, us_dates: bool,
                 removed: dict[str, list[Item]] | None = None) -> None:
        self.project = project
        self.removed = removed or {}  # programme → optional items gone from its definition
        self.table = table
        self.columns = columns
        self.fixed = programme
        self.problems: list[Problem] = []
        self.loose: list[LooseMatch] = []
        self.cache: dict[tuple[str, str, str | None], Match] = {}
        self.rounds: dict[tuple[str, int], str | None] = {}  # (programme, number) → round
        self.us_dates = us_dates
        self.seen_programmes: set[str] = set()
        self.protected: set[str] = set()

    def error(self, line: int, message: str, column: str | None = None,
              hint: str | None = None) -> None:
        self.problems.append(Problem("error", "registration", message, self.table.path, line,
                                     field=column, hint=hint))

    def header(self, name: str, default: str) -> str:
        """The file's own header for a field, so messages name the column the bureau sees."""
        indexes = self.columns.fields.get(name)
        return self.table.headers[indexes[0]] if indexes else default

    def value(self, cells: tuple[Cell, ...], name: str) -> str:
        for index in self.columns.fields.get(name, []):
            text = str(cells[index]).strip()
            if text and not (name == "email" and not valid_email(normalise_email(text))):
                return text
        return ""

    def _email_cell(self, cells: tuple[Cell, ...]) -> tuple[str, str]:
        """The e-mail column and value to use: the first valid address; failing that, the
        first value that looks meant as one, so an error names what the person typed
        (Microsoft Forms' account column says "anonymous" beside the real answer)."""
        filled = [(self.table.headers[i], str(cells[i]).strip())
                  for i in self.columns.fields.get("email", []) if str(cells[i]).strip()]
        for want in (lambda text: valid_email(normalise_email(text)), lambda text: "@" in text,
                     lambda text: True):
            for column, text in filled:
                if want(text):
                    return column, text
        return self.header("email", "E-mailadres"), ""

    def read(self, line: int, cells: tuple[Cell, ...]) -> ImportRow | None:
        """One row, or None when it has errors (they are in ``problems``)."""
        before = len(self.problems)
        name = self._name(cells)
        email_column, raw_email = self._email_cell(cells)
        email = normalise_email(raw_email)
        if not name:
            self.error(line, "no name", self.header("name", "Naam"),
                       "every registration needs the participant's name")
        if not valid_email(email):
            self.error(line, email_problem(email) if raw_email else "no e-mail address",
                       email_column, "e.g. naam@gemeente.nl")
        programme = self._programme(line, cells)
        registered_at = self._time(line, cells)
        days: frozenset[int] | None = None
        choices: tuple[Choice, ...] = ()
        if programme is not None:
            self.seen_programmes.add(programme.id)
            days = self._days(line, cells, programme)
            choices = self._choices(line, cells, programme)
        if programme is None or any(p.severity == "error" for p in self.problems[before:]):
            if valid_email(email):  # skipped, not gone: a re-import must not remove them
                self.protected.add(email)
            return None
        organisation = clean(self.value(cells, "organisation")) or None
        self._note_unsafe(line, cells)
        return ImportRow(line, name, email, organisation, programme.id, registered_at, days,
                         choices)

    def _name(self, cells: tuple[Cell, ...]) -> str:
        parts = [self.value(cells, f) for f in ("first_name", "infix", "last_name")]
        composed = " ".join(p for p in parts if p)
        return clean(composed or self.value(cells, "name"))

    def _note_unsafe(self, line: int, cells: tuple[Cell, ...]) -> None:
        """Control characters (terminal escape sequences) or bidi overrides in a name or
        organisation: removed, and said so, since nobody types them in a form."""
        fields = ("name", "first_name", "infix", "last_name", "organisation")
        if any(has_unsafe(self.value(cells, f)) for f in fields):
            self.problems.append(Problem(
                "warning", "registration-control-characters", "control characters or "
                "direction overrides removed from the name or organisation", self.table.path,
                line, hint="they are invisible in a form and change what a terminal or "
                "spreadsheet shows"))

    def _programme(self, line: int, cells: tuple[Cell, ...]) -> Programme | None:
        text = self.value(cells, "programme")
        if not text:
            if self.fixed is None:
                self.error(line, "no network day given", self.header("programme", "Netwerkdag"),
                           "fill in the network day, or pass --programme ID")
            return self.fixed
        found = resolve_programme(text, self.project.programmes)
        if len(found) == 1 and self.fixed not in (None, found[0]):
            self.error(line, f"{text!r} is {found[0].id}, not {self.fixed.id} (given with "
                       "--programme)", self.header("programme", "Netwerkdag"),
                       "import each network day on its own")
            return None
        if len(found) == 1:
            return found[0]
        if self.fixed is not None and self.fixed in found:
            return self.fixed  # --programme settles which of the candidates it is
        known = "; ".join(f"{p.id} ({p.title}, {p.city}, {p.first_date:%d-%m-%Y})"
                          for p in (found or self.project.programmes))
        what = "fits several network days" if found else "is not a known network day"
        self.error(line, f"{text!r} {what}", self.header("programme", "Netwerkdag"),
                   f"one of: {known}")
        return None

    def _time(self, line: int, cells: tuple[Cell, ...]) -> datetime | None:
        for index in self.columns.fields.get("registered_at", []):
            cell = cells[index]
            if isinstance(cell, str) and not cell.strip():
                continue
            try:
                return parse_time(cell, self.us_dates)
            except ValueError:
                self.error(line, f"cannot read the time {str(cell)!r}",
                           self.table.headers[index], "write 2024-05-01 10:30 or 1-5-2024 10:30")
                return None
        return None

    def _days(self, line: int, cells: tuple[Cell, ...], programme: Programme) -> (
            frozenset[int] | None):
        text = self.value(cells, "days")
        days, understood = parse_days(text, programme)
        if not understood:
            dates = ", ".join(f"dag {d.number} = {WEEKDAYS[d.date.weekday()]} "
                              f"{d.date:%d-%m-%Y}" for d in programme.days)
            self.error(line, f"cannot tell which days {text!r} means",
                       self.header("days", "Dagen"),
                       f"write a weekday, a date, 'dag 1' or 'beide dagen' ({dates})")
        return days

    def _choices(self, line: int, cells: tuple[Cell, ...], programme: Programme) -> (
            tuple[Choice, ...]):
        chosen: dict[str, Choice] = {}
        for column in self.columns.choices:
            cell = str(cells[column.index]).strip()
            for item in self._column_choice(line, column, cell, programme):
                chosen.setdefault(item.id, Choice(item.id, cell))
                if item.cancelled:
                    self._note_cancelled(line, column.header, cell, item, programme)
        return tuple(chosen[k] for k in sorted(chosen))

    def _note_cancelled(self, line: int, column: str, cell: str, item: Item,
                        programme: Programme) -> None:
        """A choice of a cancelled session, or of one removed from the definition (the
        same for the participant: cancelled) is kept: the person did choose it, and the
        bureau offers another with ``participants choose``."""
        removed = any(i.id == item.id for i in self.removed.get(programme.id, ()))
        what = "was removed from the programme (cancelled)" if removed else "is cancelled"
        self.problems.append(Problem(
            "warning", "registration-cancelled-choice",
            f"{cell!r} is '{item.id}' ({item.title}), which {what}: kept as this person's "
            "choice, shown to them as cancelled", self.table.path, line, field=column,
            hint="offer another choice: g40cal participants choose"))

    def _column_choice(self, line: int, column: ChoiceColumn, cell: str,
                       programme: Programme) -> list[Item]:
        if fold_text(cell) in YES:
            return self._checkbox(line, column, cell, programme)
        round_name = self._round(programme, column.number) if column.number else None
        match = self._match(cell, programme, round_name)
        if match.how == "none" or (match.how != "exact" and is_no_choice(cell)):
            return []
        if match.item is not None:
            self._note_loose(line, column.header, cell, match)
            return [match.item]
        if match.how in ("unknown", "ambiguous"):
            parts = self._split(line, column, cell, programme, round_name)
            if parts is not None:
                return parts
        self._report(line, column, cell, programme, round_name, match)
        return []

    def _round(self, programme: Programme, number: int) -> str | None:
        key = (programme.id, number)
        if key not in self.rounds:
            self.rounds[key] = numbered_round(programme, number)
        return self.rounds[key]

    def _match(self, cell: str, programme: Programme, round_name: str | None) -> Match:
        key = (cell, programme.id, round_name)
        if key not in self.cache:
            match = match_items(cell, optional_items(programme, round_name))
            gone = [i for i in self.removed.get(programme.id, ())
                    if round_name is None or i.round == round_name]
            if match.how == "unknown" and gone:
                # Not in the definition (any more): a session removed since people chose it?
                earlier = match_items(cell, gone)
                if earlier.item is not None:
                    match = earlier
            self.cache[key] = match
        return self.cache[key]

    def _split(self, line: int, column: ChoiceColumn, cell: str, programme: Programme,
               round_name: str | None) -> list[Item] | None:
        """Several choices in one cell (a multiple-choice question): "A; B" or "A, B"."""
        for separator in (";", "\n", ","):
            parts = [p for p in cell.split(separator) if p.strip()]
            if len(parts) < 2:
                continue
            matches = [self._match(p, programme, round_name) for p in parts]
            if all(m.item is not None or is_no_choice(p) for m, p in zip(matches, parts,
                                                                          strict=True)):
                for match, part in zip(matches, parts, strict=True):
                    self._note_loose(line, column.header, part.strip(), match)
                return [m.item for m in matches if m.item is not None]
        return None

    def _checkbox(self, line: int, column: ChoiceColumn, cell: str,
                  programme: Programme) -> list[Item]:
        """"Ja" under a column that names one session ("Lunchwandeling door de binnenstad")."""
        match = self._match(column.header, programme, None)
        if match.item is not None:
            self._note_loose(line, column.header, cell, match)
            return [match.item]
        self.problems.append(Problem(
            "warning", "registration-column", f"{cell!r} under a column that names no single "
            f"optional item of {programme.id}: ignored", self.table.path, line,
            field=column.header, hint="name the session in the column header, or put its "
            "title in the cells"))
        return []

    def _note_loose(self, line: int, column: str, value: str, match: Match) -> None:
        if match.item is not None and match.how in ("typo", "partial"):
            self._add_loose(LooseMatch(line, column, value, match.item.id, match.item.title,
                                       match.how))

    def _add_loose(self, found: LooseMatch) -> None:
        for index, seen in enumerate(self.loose):
            if (seen.column, seen.value, seen.item) == (found.column, found.value, found.item):
                self.loose[index] = replace(seen, rows=seen.rows + 1)
                return
        self.loose.append(found)

    def _report(self, line: int, column: ChoiceColumn, cell: str, programme: Programme,
                round_name: str | None, match: Match) -> None:
        if match.how == "ambiguous":
            self.error(line, f"{cell!r} fits {len(match.candidates)} items: "
                       f"{describe_items(match.candidates)}", column.header,
                       "write the full title or the item id")
            return
        if round_name is not None:
            elsewhere = self._match(cell, programme, None)
            if elsewhere.item is not None:
                self.error(line, f"{cell!r} is '{elsewhere.item.id}' in round "
                           f"'{elsewhere.item.round}', not in '{round_name}' (the round of "
                           f"this column)", column.header,
                           "check the column or the choice; g40cal does not guess")
                return
        common = match_items(cell, [i for i in programme.items if not i.optional])
        if common.item is not None and common.how == "exact":
            self._add_loose(LooseMatch(line, column.header, cell, common.item.id,
                                       common.item.title, "common"))
            return
        where = f"round '{round_name}'" if round_name else programme.id
        self.error(line, f"{cell!r} is no session of {where}", column.header,
                   f"nearest: {describe_items(match.candidates)}")


# -- planning and applying -------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """What an import does to one registration."""

    kind: str  # add | update | unchanged | remove | keep (added by hand, not in the file)
    name: str
    email: str
    programme: str
    participant: int | None = None
    details: tuple[str, ...] = ()
    row: ImportRow | None = None


@dataclass
class ImportPlan:
    path: Path
    notes: list[str]
    columns: list[tuple[str, str]]
    programmes: list[str]
    rows: list[ImportRow]
    problems: list[Problem]
    loose: list[LooseMatch]
    changes: list[Change] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def of(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]


def plan_import(project: Project, state: State, path: Path, *, programme: str | None = None,
                sheet: str | None = None,
                progress: Callable[[str], None] | None = None) -> ImportPlan:
    """Read an export and decide every change; writes nothing. ``progress`` hears how far
    the reading is, every PROGRESS_EVERY rows."""
    fixed = None
    if programme is not None:
        fixed = project.programme(programme)
        if fixed is None:
            raise UserError(f"unknown programme {programme!r}; known: "
                            f"{', '.join(p.id for p in project.programmes)}")
    table = read_table(path, sheet)
    columns = map_columns(table.headers)
    _require_columns(table, columns, fixed)
    reader = RowReader(project, table, columns, fixed, _month_first(table, columns),
                       removed_items(state))
    rows = []
    count = 0
    for count, (line, cells) in enumerate(table.rows(), start=1):
        if (row := reader.read(line, cells)) is not None:
            rows.append(row)
        if progress and count % PROGRESS_EVERY == 0:
            progress(f"read {count:,} rows of {path.name}")
    if count == 0:
        raise UserError(f"{path}: no registrations below the header row")
    rows, duplicates = _deduplicate(rows, path)
    error_lines = sorted({p.line for p in reader.problems if p.severity == "error" and p.line})
    covered = sorted(reader.seen_programmes | ({fixed.id} if fixed else set()))
    plan = ImportPlan(path, list(table.notes), columns.describe(table.headers), covered, rows,
                      reader.problems + duplicates, reader.loose, skipped=error_lines)
    plan.changes = _changes(rows, load_participants(state), covered, reader.protected)
    return plan


def removed_items(state: State) -> dict[str, list[Item]]:
    """Per programme, the optional items removed from its definition whose cancellation
    sync still announces (the state keeps their last version): a re-import of an export
    made before the removal finds the people who chose them."""
    found: dict[str, list[Item]] = defaultdict(list)
    for row in state.removed_events().values():
        event = row.event
        if not event.optional:
            continue
        found[event.programme_id].append(Item(
            id=event.item_id, title=event.title, kind=event.kind, day=1,
            start=event.start.timetz(), end=event.end.timetz() if event.end else None,
            venue=Venue(event.venue, event.venue), round=event.round, optional=True,
            cancelled=True))
    return {k: sorted(v, key=lambda i: i.id) for k, v in found.items()}


def _month_first(table: Table, columns: Columns) -> bool:
    """Does the file write its times month first (m/d/y)? Decided from every time in it,
    read in a pass of its own (the file is not kept in memory)."""
    indexes = columns.fields.get("registered_at", [])
    if not indexes:
        return False
    return month_first(str(cells[i]) for _, cells in table.rows() for i in indexes)


def _require_columns(table: Table, columns: Columns, fixed: Programme | None) -> None:
    missing = []
    if not ({"name", "first_name", "last_name"} & set(columns.fields)):
        missing.append("name (Naam, or Voornaam + Achternaam)")
    if "email" not in columns.fields:
        missing.append("e-mail (E-mailadres)")
    if "programme" not in columns.fields and fixed is None:
        missing.append("network day (Netwerkdag) — or pass --programme ID")
    if missing:
        raise UserError(f"{table.path}: no column for {', '.join(missing)}; the columns are: "
                        f"{', '.join(table.headers)} (accepted headers: see "
                        "docs/participants.md)")


def _deduplicate(rows: list[ImportRow], path: Path) -> tuple[list[ImportRow], list[Problem]]:
    """A person who sent the form twice: the later answers count, the first time stays."""
    latest: dict[tuple[str, str, str], ImportRow] = {}
    notes = []
    for row in rows:
        key = (*row.person, row.programme)
        earlier = latest.get(key)
        if earlier is None:
            latest[key] = row
            continue
        first, second = sorted((earlier, row), key=lambda r: (
            r.registered_at is None, r.registered_at or datetime.min.replace(tzinfo=TZ), r.line))
        times = [t for t in (first.registered_at, second.registered_at) if t]
        latest[key] = ImportRow(second.line, second.name, second.email, second.organisation,
                                second.programme, min(times) if times else None, second.days,
                                second.choices)
        notes.append(Problem("warning", "registration-duplicate",
                             f"{row.email} registered again for {row.programme}: line "
                             f"{second.line} replaces line {first.line}", path, second.line,
                             hint="the later answers count; the first registration time "
                                  "keeps its place in the queue"))
    shared: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in latest.values():
        shared[(row.email, row.programme)].add(row.name)
    for (email, programme), names in sorted(shared.items()):
        if len(names) > 1:
            notes.append(Problem("warning", "registration-shared-email",
                                 f"{len(names)} people share {email} for {programme} "
                                 f"({', '.join(sorted(names))}): imported as separate "
                                 "participants", path))
    return sorted(latest.values(), key=lambda r: r.line), notes


def _changes(rows: list[ImportRow], existing: list[Participant], covered: list[str],
             protected: set[str]) -> list[Change]:
    by_identity = {(p.email, fold_text(p.name)): p for p in existing}
    by_email: dict[str, list[Participant]] = defaultdict(list)
    for participant in existing:
        by_email[participant.email].append(participant)
    names_in_file: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        names_in_file[row.email].add(row.person[1])
    changes: list[Change] = []
    matched: set[tuple[int, str]] = set()
    for row in rows:
        participant = by_identity.get(row.person)
        if participant is None and len(by_email[row.email]) == 1 and len(
                names_in_file[row.email]) == 1:
            participant = by_email[row.email][0]  # same address, corrected name
        if participant is None:
            changes.append(Change("add", row.name, row.email, row.programme, row=row))
            continue
        if row.organisation is None:  # an empty cell does not erase what the bureau knows
            row = replace(row, organisation=participant.organisation)
        matched.add((participant.id, row.programme))
        registration = participant.registration(row.programme)
        details = _differences(participant, registration, row)
        kind = "add" if registration is None else "update" if details else "unchanged"
        changes.append(Change(kind, row.name, row.email, row.programme, participant.id,
                              details, row))
    for participant in existing:
        for registration in participant.registrations:
            if (registration.programme not in covered
                    or (participant.id, registration.programme) in matched
                    or participant.email in protected):
                continue
            kind = "remove" if registration.source == "import" else "keep"
            changes.append(Change(kind, participant.name, participant.email,
                                  registration.programme, participant.id))
    return changes


def _differences(participant: Participant, registration: Registration | None,
                 row: ImportRow) -> tuple[str, ...]:
    details = []
    if participant.name != row.name:
        details.append(f"name {visible(participant.name)} → {row.name}")
    if participant.organisation != row.organisation:
        details.append(f"organisation {visible(participant.organisation or '—')} → "
                       f"{row.organisation or '—'}")
    if registration is None:
        return tuple(details)
    old, new = registration.chosen, frozenset(c.item for c in row.choices)
    details += [f"dropped {item}" for item in sorted(old - new)]
    details += [f"chose {item}" for item in sorted(new - old)]
    if registration.days != row.days:
        details.append(f"days {_days_text(registration.days)} → {_days_text(row.days)}")
    if row.registered_at and registration.registered_at != row.registered_at:
        details.append(f"registered at {row.registered_at:%Y-%m-%d %H:%M}")
    if registration.source != "import":
        details.append("added by hand, from now on kept up to date by the export")
    return tuple(details)


def _days_text(days: frozenset[int] | None) -> str:
    return "all" if days is None else ",".join(str(d) for d in sorted(days))


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int
    removed: int
    kept: int
    new_participants: int


def _arrival(change: Change, now: datetime) -> tuple[bool, datetime, int]:
    """New registrations get their queue positions in order of registration time."""
    row = change.row
    assert row is not None  # only changes made from rows are sorted
    return row.registered_at is None, row.registered_at or now, row.line


class _Positions:
    """The next queue position per programme: asked of the database once per programme,
    then counted on (one query per row made an import of 100,000 rows take minutes)."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.next: dict[str, int] = {}

    def take(self, programme: str) -> int:
        if programme not in self.next:
            self.next[programme] = next_position(self.state, programme)
        position = self.next[programme]
        self.next[programme] += 1
        return position


def apply_import(plan: ImportPlan, state: State, config: Config, now: datetime, *,
                 remove_missing: bool,
                 progress: Callable[[str], None] | None = None) -> ImportResult:
    """Write a plan in one transaction (invalid rows were left out of it)."""
    existing = {p.id: p for p in load_participants(state)}
    removals = plan.of("remove") if remove_missing else []
    person_ids: dict[tuple[str, str], int] = {}
    new_people = 0
    arrivals = sorted((c for c in plan.changes if c.kind == "add" and c.row),
                      key=lambda c: _arrival(c, now))
    positions = _Positions(state)
    with erasing(state):
        for change in plan.changes:
            row = change.row
            if row is None or change.kind == "unchanged":
                continue
            if change.participant is None and row.person not in person_ids:
                person_ids[row.person] = insert_participant(
                    state, name=row.name, email=row.email, organisation=row.organisation,
                    now=now)
                new_people += 1
            elif change.participant is not None:
                person_ids[row.person] = change.participant
                update_participant(state, change.participant, name=row.name,
                                   organisation=row.organisation, now=now)
        registrations = arrivals + plan.of("update")
        for number, change in enumerate(registrations, start=1):
            if progress and number % PROGRESS_EVERY == 0:
                progress(f"stored {number:,} of {len(registrations):,} registrations")
            row = change.row
            assert row is not None  # every add and update comes from a row
            old = existing.get(change.participant or -1)
            registration = old.registration(row.programme) if old else None
            position = registration.position if registration else positions.take(
                row.programme)
            put_registration(state, person_ids[row.person], Registration(
                row.programme, row.registered_at or (registration.registered_at
                                                     if registration else None),
                position, row.days, "import", row.choices))
        for change in removals:
            target = load_participant(state, change.participant or -1)
            if target is not None:
                delete_registration(state, config, target, change.programme)
    return ImportResult(len(plan.of("add")), len(plan.of("update")), len(plan.of("unchanged")),
                        len(removals), len(plan.of("keep")), new_people)

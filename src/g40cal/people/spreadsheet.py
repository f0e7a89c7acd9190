"""Writing lists of people to spreadsheet files (CSV, XLSX) that are safe to open.

Every cell is text, never a formula: a registration named ``=WEBSERVICE(…)`` would
otherwise run when the bureau opens the list and could send other participants' secret
links away. XLSX cells get the explicit string type; CSV cells that a spreadsheet would
read as a formula (starting with ``= + - @``, tab or carriage return) get a leading
apostrophe and every cell is quoted, as OWASP's "CSV injection" page describes.

The CSV is what a Dutch Excel opens correctly by double-click: semicolons between the
columns (the Dutch list separator) and UTF-8 with a byte order mark (else accents break).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from g40cal.people.safetext import visible

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_DELIMITER = ";"
CSV_DESCRIPTION = "semicolon-separated, UTF-8 with byte order mark: Excel (Dutch) opens it " \
                  "by double-click"


def neutralise(value: str) -> str:
    """A CSV cell a spreadsheet shows as text: an apostrophe before a formula start."""
    return f"'{value}" if value.startswith(FORMULA_START) else value


def csv_bytes(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, quoting=csv.QUOTE_ALL,
                        lineterminator="\r\n")
    writer.writerow([neutralise(visible(h)) for h in headers])
    for row in rows:
        writer.writerow([neutralise(visible(str(v))) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(headers: Sequence[str], rows: Sequence[Sequence[str]], title: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    for values in (headers, *rows):
        sheet.append([_text_cell(sheet, str(v)) for v in values])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _text_cell(sheet: object, value: str) -> object:
    """A cell that holds ``value`` as a string, whatever it starts with."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, visible(value))  # control characters: not allowed in XLSX
    cell.data_type = "s"  # openpyxl makes "=…" a formula unless told it is text
    return cell

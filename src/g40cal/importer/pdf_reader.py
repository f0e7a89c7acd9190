"""PDF programmes, read with pdfplumber by the position of every word.

Plain text order would run a column of times into a column of titles; a reader sees rows.
So words are grouped into lines by their height on the page, and a line is cut into runs
where the gap between two words is column-wide, or where a narrower gap (a cell's padding)
comes before a word starting at an x where words start after such gaps on several lines (a
column edge). The runs' left edges, gathered over the page, give its columns. Consecutive
lines with more than one run, or with one run indented into a later column (a session under
its round, a title's second line), form a table; its rows are set apart by extra space, or
else by a new time in the first column, so a title of three lines beside a centred time is
one row. Tables drawn with lines are read with pdfplumber's table finder instead, cell by
cell. Lines of one run at the left margin are paragraphs; a larger font makes a heading.
"""

from __future__ import annotations

import io
import logging
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfminer.psparser import PSException
from pdfplumber.utils.exceptions import PdfminerException

from g40cal.importer.document import Block, Cell, Document, Paragraph, Row, Source, Table
from g40cal.importer.reading import raised_by_library, refuse, unify_characters

# A gap wider than this many font sizes between two words on a line is a column gap, not a
# space (a space is about a quarter of the font size; justified text rarely passes one).
COLUMN_GAP = 1.5
COLUMN_TOLERANCE = 6.0  # points: runs starting this close belong to the same column
# A narrower gap (a table cell's padding) cuts a line only where words on at least
# MIN_ALIGNED_LINES lines start at the same x after such a gap: a column edge.
NARROW_GAP = 0.8
TAB_GAP = 0.45  # a tab to the next tab stop can leave little more than two spaces
ALIGNMENT_TOLERANCE = 2.0
MIN_ALIGNED_LINES = 3
_BOLD_MARKS = ("bold", "black", "heavy", "semibold", "demi")


@dataclass
class _Run:
    words: list[dict[str, Any]]

    @property
    def x0(self) -> float:
        return float(self.words[0]["x0"])

    @property
    def text(self) -> str:
        return unify_characters(" ".join(word["text"] for word in self.words))

    @property
    def bold(self) -> bool:
        return all(_is_bold(word.get("fontname", "")) for word in self.words)

    @property
    def x1(self) -> float:
        return float(self.words[-1]["x1"])

    @property
    def first_word_width(self) -> float:
        return float(self.words[0]["x1"] - self.words[0]["x0"])


@dataclass
class _Line:
    top: float
    bottom: float
    size: float
    runs: list[_Run] = field(default_factory=list)
    number: int = 0

    @property
    def text(self) -> str:
        return " ".join(run.text for run in self.runs)


def read_pdf(path: Path, data: bytes) -> Document:
    # pdfminer logs every repair it makes to a damaged file; the refusal below says it once.
    pdfminer_log = logging.getLogger("pdfminer")
    level = pdfminer_log.level
    pdfminer_log.setLevel(logging.CRITICAL)
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            blocks, notes = _read_pages(path, pdf.pages)
            return Document(path=path, format="pdf", blocks=tuple(blocks), notes=tuple(notes))
    except PdfminerException as err:
        cause = err.args[0] if err.args else err
        raise _refusal(path, cause) from None
    except (PDFSyntaxError, PSException, PDFEncryptionError, PDFPasswordIncorrect) as err:
        raise _refusal(path, err) from None
    except Exception as err:
        if raised_by_library(err, "pdfminer", "pdfplumber", "zlib", "pypdfium2"):
            raise _refusal(path, err) from None
        raise
    finally:
        pdfminer_log.setLevel(level)


def _refusal(path: Path, cause: object) -> Exception:
    if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
        return refuse(
            path,
            "the PDF is protected with a password",
            "ask for a copy without a password, or export the programme as PDF again",
        )
    return refuse(
        path,
        f"the PDF is damaged and cannot be read ({type(cause).__name__})",
        "export the programme as PDF again, or import the Word document",
    )


def _read_pages(path: Path, pages: Iterable[Any]) -> tuple[list[Block], list[str]]:
    blocks: list[Block] = []
    counter = _Counter()
    chars = images = 0
    pages = list(pages)
    for page in pages:
        chars += len(page.chars)
        images += len(page.images)
    if not chars:
        if images:
            raise refuse(
                path,
                "this PDF is a scan: its pages are images without a text layer",
                "import the Word document or a PDF exported from it (a scan would need OCR, "
                "and OCR garbles times and names)",
            )
        raise refuse(path, "this PDF contains no text", "import the Word document instead")
    body_size = _body_font_size(pages)
    notes = [
        f"page {page.page_number} has no text, only a picture (a scanned page?): "
        "nothing on it was read"
        for page in pages
        if not page.chars and page.images
    ]
    runs_on = False
    for page in pages:
        read = _read_page(page, body_size, counter)
        page_blocks = read.blocks
        if runs_on and page_blocks and _continues_paragraph(blocks[-1], page_blocks[0]):
            blocks[-1] = _joined(blocks[-1], page_blocks[0])
            page_blocks = page_blocks[1:]
        blocks.extend(page_blocks)
        runs_on = read.runs_on
    return blocks, notes


def _continues_paragraph(before: Block, after: Block) -> bool:
    """The first text on a page goes on with the paragraph the page before ended in."""
    return (
        isinstance(before, Paragraph) and isinstance(after, Paragraph)
        and before.heading is None and after.heading is None and before.bold == after.bold
    )


def _joined(before: Block, after: Block) -> Paragraph:
    assert isinstance(before, Paragraph) and isinstance(after, Paragraph)
    return replace(before, text=f"{before.text} {after.text}")


class _Counter:
    def __init__(self) -> None:
        self.tables = 0

    def next_table(self) -> int:
        self.tables += 1
        return self.tables


def _body_font_size(pages: list[Any]) -> float:
    sizes = [round(float(char["size"]), 1) for page in pages for char in page.chars]
    return statistics.mode(sizes) if sizes else 10.0


@dataclass
class _Page:
    blocks: list[Block]
    # The last block is running text whose last line ran to the right edge: a paragraph
    # that goes on at the top of the next page.
    runs_on: bool = False


def _read_page(page: Any, body_size: float, counter: _Counter) -> _Page:
    number = page.page_number
    ruled = [table for table in page.find_tables() if len(table.rows) >= 2]
    ruled = [table for table in ruled if max(len(row.cells) for row in table.rows) >= 2]
    boxes = [table.bbox for table in ruled]
    all_words = page.extract_words(extra_attrs=["fontname", "size"], keep_blank_chars=False)
    words = [word for word in all_words if not any(_inside(word, box) for box in boxes)]
    lines = _lines(words)
    columns = _column_starts(lines)
    groups = _groups(lines, columns)
    text_lines = [line for group in groups if not _is_table(group, columns) for line in group]
    right_edge = max((line.runs[-1].x1 for line in text_lines), default=0.0)
    tight = _tight_gap(lines)
    placed: list[tuple[float, Block]] = []
    last_line: _Line | None = None  # the last line of running text, if it ends the page
    for line_group in groups:
        top = line_group[0].top
        if _is_table(line_group, columns):
            placed.append((top, _layout_table(line_group, columns, number)))
            last_line = None
        else:
            for paragraph in _paragraph_lines(line_group, right_edge, tight):
                placed.append((paragraph[0].top, _paragraph(paragraph, number, body_size)))
            last_line = line_group[-1]
    for table in ruled:
        placed.append((table.bbox[1], _ruled_table(table, number, all_words)))
        if last_line is not None and table.bbox[1] > last_line.top:
            last_line = None
    placed.sort(key=lambda item: item[0])
    # Tables are numbered through the document in reading order, once they are in order.
    blocks = [
        _with_number(block, counter.next_table()) if isinstance(block, Table) else block
        for _top, block in placed
    ]
    runs_on = last_line is not None and last_line.runs[-1].x1 >= right_edge - 1.5 * last_line.size
    return _Page(blocks, runs_on)


def _inside(word: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    x0, top, x1, bottom = box
    middle_x = (word["x0"] + word["x1"]) / 2
    middle_y = (word["top"] + word["bottom"]) / 2
    return x0 <= middle_x <= x1 and top <= middle_y <= bottom


def _lines(words: list[dict[str, Any]]) -> list[_Line]:
    """Words on the same height form one line; lines are then cut into column runs."""
    lines: list[_Line] = []
    for word in sorted(words, key=lambda w: (round(w["bottom"], 1), w["x0"])):
        size = float(word.get("size", word["bottom"] - word["top"]))
        if lines and abs(word["bottom"] - lines[-1].bottom) <= max(2.0, 0.3 * size):
            lines[-1].runs[0].words.append(word)
            lines[-1].size = max(lines[-1].size, size)
        else:
            lines.append(_Line(top=word["top"], bottom=word["bottom"], size=size,
                               runs=[_Run([word])]))
    for number, line in enumerate(lines, start=1):
        line.number = number
        line.runs[0].words.sort(key=lambda w: w["x0"])
    aligned = _aligned_starts(lines)
    for line in lines:
        line.runs = _split_runs(line.runs[0].words, aligned)
    return lines


def _gaps(words: list[dict[str, Any]]) -> Iterable[tuple[float, dict[str, Any]]]:
    """(width of the gap before a word, the word) for every word after the first."""
    for previous, word in pairwise(words):
        yield float(word["x0"] - previous["x1"]), word


def _aligned_starts(lines: list[_Line]) -> list[float]:
    """Left edges shared by words that follow a wider-than-space gap on several lines.

    A table without lines can have narrow gutters (a cell's padding, ~4 mm), and a
    programme typed with tabs can have a gap of barely two spaces before the titles: too
    narrow to call a column gap on its own, but a column shows itself by its words
    starting at the same x, line after line. Words of running text do not line up so.
    """
    starts: list[tuple[float, int]] = []
    for line in lines:
        words = line.runs[0].words
        for gap, word in _gaps(words):
            if _may_be_column_gap(gap, word, words):
                starts.append((float(word["x0"]), line.number))
    starts.sort()
    clusters: list[list[tuple[float, int]]] = []
    for start in starts:
        if clusters and start[0] - clusters[-1][-1][0] <= ALIGNMENT_TOLERANCE:
            clusters[-1].append(start)
        else:
            clusters.append([start])
    return [
        cluster[0][0]
        for cluster in clusters
        if len({number for _x, number in cluster}) >= MIN_ALIGNED_LINES
    ]


def _may_be_column_gap(gap: float, word: dict[str, Any], words: list[dict[str, Any]]) -> bool:
    """Wider than a cell's padding, or at least a tab's width and clearly wider than the
    spaces between the other words of the line (justified text widens them all alike)."""
    size = float(word.get("size", 10.0))
    if gap >= NARROW_GAP * size:
        return True
    if gap < TAB_GAP * size:
        return False
    spaces = [other for other, following in _gaps(words) if following is not word]
    return not spaces or gap >= 1.6 * statistics.median(spaces)


def _split_runs(words: list[dict[str, Any]], aligned: list[float]) -> list[_Run]:
    """Cut a line where the gap is column-wide, or where a narrower one (see
    ``_may_be_column_gap``) comes before a word at one of the page's aligned edges."""
    runs = [_Run([words[0]])]
    for gap, word in _gaps(words):
        size = float(word.get("size", 10.0))
        at_column = _may_be_column_gap(gap, word, words) and any(
            abs(word["x0"] - start) <= ALIGNMENT_TOLERANCE for start in aligned)
        if gap > COLUMN_GAP * size or at_column:
            runs.append(_Run([word]))
        else:
            runs[-1].words.append(word)
    return runs


def _column_starts(lines: list[_Line]) -> list[float]:
    """Left edges where runs of multi-run lines start on this page, clustered."""
    starts = sorted(run.x0 for line in lines if len(line.runs) > 1 for run in line.runs)
    clusters: list[list[float]] = []
    for x in starts:
        if clusters and x - clusters[-1][-1] <= COLUMN_TOLERANCE:
            clusters[-1].append(x)
        else:
            clusters.append([x])
    return [min(cluster) for cluster in clusters]


def _column_of(x0: float, columns: list[float]) -> int:
    """1-based column: the last column start at or left of the run (within tolerance)."""
    column = 1
    for index, start in enumerate(columns, start=1):
        if x0 >= start - COLUMN_TOLERANCE:
            column = index
    return column


def _is_table(group: list[_Line], columns: list[float]) -> bool:
    return len(columns) >= 2 and any(len(line.runs) > 1 for line in group)


def _groups(lines: list[_Line], columns: list[float]) -> list[list[_Line]]:
    """Runs of table lines (several runs, or one run indented into a later column) and of
    paragraph lines (one run at the left margin), in page order."""
    groups: list[list[_Line]] = []
    kinds: list[bool] = []
    for line in lines:
        tabular = len(columns) >= 2 and (
            len(line.runs) > 1 or _column_of(line.runs[0].x0, columns) > 1
        )
        if groups and kinds[-1] == tabular:
            groups[-1].append(line)
        else:
            groups.append([line])
            kinds.append(tabular)
    # An indented line among paragraphs only (no multi-run line) is still a paragraph.
    return groups


def _layout_table(lines: list[_Line], columns: list[float], page: int) -> Table:
    right_edge: dict[int, float] = {}
    for line in lines:
        for run in line.runs:
            column = _column_of(run.x0, columns)
            right_edge[column] = max(right_edge.get(column, 0.0), run.x1)
    result = []
    for row_number, row_lines in enumerate(_row_bands(lines, columns), start=1):
        first_line = row_lines[0]
        by_column: dict[int, list[_Run]] = {}
        for line in row_lines:
            for run in line.runs:
                by_column.setdefault(_column_of(run.x0, columns), []).append(run)
        width = max(len(columns), max(by_column))
        row_cells = tuple(
            Cell(
                text=_join_lines(by_column.get(column, []), right_edge.get(column, 0.0)),
                source=Source(page=page, line=first_line.number, row=row_number, column=column),
            )
            for column in range(1, width + 1)
        )
        source = Source(page=page, line=first_line.number, row=row_number)
        result.append(Row(cells=row_cells, source=source))
    return Table(rows=tuple(result), source=Source(page=page, line=lines[0].number))


def _row_bands(lines: list[_Line], columns: list[float]) -> list[list[_Line]]:
    """The lines of each row, as a reader groups them.

    Rows are set apart by extra space (a cell's padding, a blank between items): lines
    closer together than that belong to one row, even a title above a time that is
    centred in its cell. Without such space, each line with text in the first column (the
    time) starts a row, and lines without it go on the row above (a wrapped title, a
    description).
    """
    tight = _tight_gap(lines)
    rows: list[list[_Line]] = []
    has_first: list[bool] = []
    filled: list[set[int]] = []
    untimed: list[bool] = []  # rows started by the rule below, without a time of their own
    for previous, line in zip([None, *lines], lines, strict=False):
        columns_here = {_column_of(run.x0, columns) for run in line.runs}
        first = 1 in columns_here
        spaced = previous is None or line.top - previous.bottom > tight + 0.3 * line.size
        # A wrapped cell goes on in the one column that wrapped: a line that fills a column
        # still empty in this row, or several columns at once, is a row of its own (the
        # sessions under a round's row, each with its room).
        # (A line with the first column's text is left to the rule below: a time centred
        # beside a title of several lines stands on its middle line.)
        own_row = not first and bool(filled) and bool(filled[-1]) and (
            bool(columns_here - filled[-1]) or len(columns_here) > 1)
        # A time after such a row starts the next row: it is not centred beside it.
        if spaced or (first and (has_first[-1] or untimed[-1])) or own_row:
            rows.append([line])
            has_first.append(first)
            filled.append(set(columns_here))
            untimed.append(own_row)
        else:
            rows[-1].append(line)
            has_first[-1] = has_first[-1] or first
            filled[-1] |= columns_here
    return rows


def _tight_gap(lines: list[_Line]) -> float:
    """The space between two lines of one paragraph: the smallest gap that recurs.

    Lines that overlap (a time centred between the lines of its title) say nothing about
    the spacing and are left out."""
    gaps = [round(line.top - previous.bottom, 0) for previous, line in pairwise(lines)]
    gaps = [gap for gap in gaps if gap >= 0]
    recurring = [gap for gap in set(gaps) if gaps.count(gap) >= 2]
    if recurring:
        return min(recurring)
    return min(gaps) if gaps else 0.0


def _join_lines(runs: list[_Run], right_edge: float) -> str:
    """Lines of one cell as a reader takes them: a line that wrapped (the next word would
    not have fitted) goes on after a space; a line that ended early, or a change between
    bold and plain (a bold title and its plain description), starts a new line."""
    text = ""
    previous: _Run | None = None
    for run in runs:
        if previous is None:
            text = run.text
        else:
            space = float(previous.words[-1].get("size", 10.0)) * 0.3
            fits = previous.x1 + space + run.first_word_width < right_edge - 1
            text += "\n" if run.bold != previous.bold or fits else " "
            text += run.text
        previous = run
    return text


def _paragraph_lines(lines: list[_Line], right_edge: float, tight: float) -> list[list[_Line]]:
    """Running text as a reader takes it: a line that ran to the right edge (its next
    word did not fit) goes on in the next line, in the same font, at ordinary spacing."""
    paragraphs: list[list[_Line]] = []
    for line in lines:
        if paragraphs and _wraps_into(paragraphs[-1][-1], line, right_edge, tight):
            paragraphs[-1].append(line)
        else:
            paragraphs.append([line])
    return paragraphs


def _wraps_into(previous: _Line, line: _Line, right_edge: float, tight: float) -> bool:
    if abs(line.size - previous.size) > 0.5 or _line_bold(line) != _line_bold(previous):
        return False
    gap = line.top - previous.bottom
    if gap < -1 or gap > tight + 0.3 * line.size:
        return False
    if line.runs[0].x0 > previous.runs[0].x0 + ALIGNMENT_TOLERANCE:
        return False  # an indented line starts something new
    space = 0.3 * line.size
    return previous.runs[-1].x1 + space + line.runs[0].first_word_width >= right_edge - 1


def _line_bold(line: _Line) -> bool:
    return all(run.bold for run in line.runs)


def _paragraph(lines: list[_Line], page: int, body_size: float) -> Paragraph:
    size = lines[0].size
    heading = None
    if size >= body_size * 1.15:
        heading = 1 if size >= body_size * 1.6 else 2 if size >= body_size * 1.3 else 3
    return Paragraph(
        text=" ".join(line.text for line in lines),
        source=Source(page=page, line=lines[0].number),
        heading=heading,
        bold=all(_line_bold(line) for line in lines),
    )


def _ruled_table(table: Any, page: int, words: list[dict[str, Any]]) -> Table:
    """A table drawn with lines: pdfplumber's cells, merged cells told by their extent."""
    boxes = [row.cells for row in table.rows]
    texts = [[_cell_text(box, words) for box in row] for row in boxes]
    starts = sorted({box[0] for row in boxes for box in row if box is not None})
    result = []
    # column → (row it starts in, its bottom, its text) of the last cell that covered it
    covering: dict[int, tuple[int, float, str]] = {}
    for row_number, (row_boxes, row_texts) in enumerate(zip(boxes, texts, strict=True), 1):
        cells: list[Cell] = []
        for index, (box, text) in enumerate(zip(row_boxes, row_texts, strict=True)):
            column = index + 1
            source = Source(page=page, row=row_number, column=column)
            if box is None:
                above = covering.get(column)
                row_top = next((b[1] for b in row_boxes if b is not None), None)
                if (above is not None and row_top is not None and above[0] < row_number
                        and above[1] > row_top + 1):
                    cells.append(Cell(text=above[2], source=source, continued=True))
                continue  # covered by the cell to its left (its span says so)
            span = sum(1 for start in starts if box[0] - 1 <= start < box[2] - 1)
            clean = _clean_cell(text or "")
            for covered in range(column, column + max(span, 1)):
                covering[covered] = (row_number, box[3], clean)
            cells.append(Cell(text=clean, source=source, span=max(span, 1)))
        result.append(Row(cells=tuple(cells), source=Source(page=page, row=row_number)))
    return Table(rows=tuple(result), source=Source(page=page))


def _cell_text(box: tuple[float, float, float, float] | None,
               words: list[dict[str, Any]]) -> str:
    """The cell's lines, wrapped lines joined as in the layout tables."""
    if box is None:
        return ""
    inside = [word for word in words if _inside(word, box)]
    if not inside:
        return ""
    lines = _lines(inside)
    runs = [_Run([word for run in line.runs for word in run.words]) for line in lines]
    return _join_lines(runs, box[2] - 4)  # the cell's right edge less its padding


def _clean_cell(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in text.split("\n") if line.strip())


def _with_number(table: Table, number: int) -> Table:
    def moved(source: Source) -> Source:
        return replace(source, table=number)

    rows = tuple(
        Row(cells=tuple(Cell(c.text, moved(c.source), c.span, c.continued) for c in row.cells),
            source=moved(row.source))
        for row in table.rows
    )
    return Table(rows=rows, source=moved(table.source))


def _is_bold(fontname: str) -> bool:
    name = fontname.lower().split("+")[-1]
    return any(mark in name for mark in _BOLD_MARKS)

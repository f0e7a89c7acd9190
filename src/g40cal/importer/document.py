"""What a reader hands to the recogniser: paragraphs and tables, each with its source.

Every reader (Word, PDF, text, Markdown) produces the same plain structure, so the
recogniser never knows which file format the bureau used. Positions are kept so that the
draft definition and the report can say where each value came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Source:
    """Where a piece of text stood in the original file (1-based numbers)."""

    line: int | None = None       # text/Markdown: line in the file; PDF: line on the page
    page: int | None = None       # PDF page
    table: int | None = None      # Word/Markdown/PDF: table number in the document
    row: int | None = None        # row in that table
    column: int | None = None     # column in that row
    paragraph: int | None = None  # Word: paragraph number in the body (or in ``part``)
    part: str | None = None       # Word: "header" or "text box" for text outside the body

    def describe(self) -> str:
        """Human words for a comment or report, e.g. ``page 2, line 14`` or ``table 1, row 3``."""
        parts = [self.part] if self.part else []
        if self.page is not None:
            parts.append(f"page {self.page}")
        if self.table is not None:
            parts.append(f"table {self.table}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        if self.paragraph is not None:
            parts.append(f"paragraph {self.paragraph}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        return ", ".join(parts) or "unknown position"


@dataclass(frozen=True)
class Cell:
    """One table cell. Several paragraphs in a cell are joined with newlines."""

    text: str
    source: Source
    span: int = 1                      # columns it covers (a horizontally merged cell)
    continued: bool = False            # a vertically merged cell: the same cell as the row above


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    source: Source


@dataclass(frozen=True)
class Table:
    rows: tuple[Row, ...]
    source: Source


@dataclass(frozen=True)
class Paragraph:
    """A line or paragraph of running text outside tables."""

    text: str
    source: Source
    heading: int | None = None         # 1, 2, … when the format marks it as a heading
    bold: bool = False                 # the whole paragraph is bold (Word's home-made headings)


Block = Paragraph | Table


@dataclass(frozen=True)
class Document:
    path: Path
    format: str                        # "docx" | "pdf" | "text" | "markdown"
    blocks: tuple[Block, ...]
    # What the reader saw but could not read (a page that is only a picture): for the
    # report, so that nothing vanishes silently.
    notes: tuple[str, ...] = ()

"""The document as one sequence of lines: a paragraph, or a table row with its cells.

Tables and running text are read the same way: a time slot can stand in a table's first
column, at the start of a paragraph, or before a tab. Every line remembers its source and
whether the recogniser used it, so the report can list every line that went nowhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from g40cal.importer.document import Document, Paragraph, Source, Table
from g40cal.importer.phrases import clean

_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^(?:[-*•·▪]\s+)+")


@dataclass
class Line:
    cells: tuple[str, ...]
    sources: tuple[Source, ...]
    source: Source
    is_row: bool
    heading: int | None = None
    bold: bool = False
    used: bool = False
    structural: bool = False       # used for the draft's frame (header, date), not an item
    joined_into: Source | None = None   # the joined line (of several) it went in with
    raw: str = field(default="", repr=False)
    parts: tuple[Line, ...] = field(default=(), repr=False)   # the lines a joined line joins

    @property
    def text(self) -> str:
        return " ".join(c for c in self.cells if c)

    @property
    def filled(self) -> list[tuple[int, str, Source]]:
        """(column, text, source) of every non-empty cell."""
        return [(i, c, s) for i, (c, s) in enumerate(zip(self.cells, self.sources,
                                                         strict=True)) if c]


def document_lines(document: Document) -> list[Line]:
    lines: list[Line] = []
    for block in document.blocks:
        if isinstance(block, Table):
            lines.extend(_table_lines(block))
        elif isinstance(block, Paragraph):
            line = _paragraph_line(block)
            if line is not None:
                lines.append(line)
    return lines


def _paragraph_line(paragraph: Paragraph) -> Line | None:
    raw = paragraph.text
    heading, bold = paragraph.heading, paragraph.bold
    stripped = raw.strip()
    match = _MARKDOWN_HEADING.match(stripped)
    if match:
        heading = heading or len(match[1])
        stripped = match[2]
    if re.fullmatch(r"\*\*[^*]+\*\*\s*", stripped):
        bold = True
    stripped = _BULLET.sub("", stripped)
    if "\t" in stripped:
        parts = [clean(p) for p in stripped.split("\t")]
        while parts and not parts[-1]:
            parts.pop()
        if len(parts) > 1:
            sources = tuple(_with_column(paragraph.source, i + 1) for i in range(len(parts)))
            return Line(tuple(parts), sources, paragraph.source, True, heading, bold, raw=raw)
    text = clean(stripped)
    if not text:
        return None
    return Line((text,), (paragraph.source,), paragraph.source, False, heading, bold, raw=raw)


def _with_column(source: Source, column: int) -> Source:
    return replace(source, column=column)


def _table_lines(table: Table) -> list[Line]:
    lines = []
    for row in table.rows:
        cells: list[str] = []
        sources: list[Source] = []
        for cell in row.cells:
            # a cell's paragraphs stay apart: the first is usually the item's title
            text = "" if cell.continued else "\n".join(
                filter(None, (clean(part) for part in cell.text.split("\n"))))
            cells.append(text)
            sources.append(cell.source)
            for _ in range(max(cell.span, 1) - 1):   # keep later columns in place
                cells.append("")
                sources.append(cell.source)
        if any(cells):
            lines.append(Line(tuple(cells), tuple(sources), row.source, True,
                              raw=" | ".join(c.text for c in row.cells)))
    return lines

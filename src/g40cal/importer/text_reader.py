"""Plain text and Markdown programmes: what the bureau pastes or exports from Word.

Plain text: every non-empty line is a paragraph; a run of lines with tabs (the way Word
exports a table; blank lines between them do not end it) is a table when at least one of
them has two or more filled fields. Empty fields are kept as empty cells, so a session
keeps the column it stood in.

Markdown (a Word export through pandoc or an online converter) is read with markdown-it:
``|`` tables become tables, ``#`` headings keep their level, bold and italics lose their
markers (a wholly bold line is marked ``bold``), ``<br>`` in a cell becomes a newline, an
ordered list item keeps its number. An HTML table in the Markdown (what converters write for
merged cells) is read with the standard library's HTML parser, merged cells and all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from g40cal.importer.document import Block, Cell, Document, Paragraph, Row, Source, Table

# HTML that Word-to-text converters leave behind; line-breaking tags become newlines.
_BREAKING_TAGS = re.compile(r"<\s*(?:br|/?p|/?li|/?div|/?tr)\b[^>]*>", re.IGNORECASE)
_OTHER_TAGS = re.compile(
    r"<\s*/?\s*(?:ol|ul|span|b|i|u|em|strong|font|sup|sub|td|th|table|tbody|thead|a)\b[^>]*>",
    re.IGNORECASE,
)
# Pandoc's superscript 1^e^ (the Dutch ordinal "1e"), also when the closing caret was lost.
_SUPERSCRIPT = re.compile(r"\^([^\s^]{1,12})\^|(?<=\d)\^(?=[a-z]{1,3}\b)")
_STRAY_BOLD = re.compile(r"\*\*|__")


def read_text(path: Path, text: str) -> Document:
    from g40cal.importer.reading import looks_like_markdown

    if looks_like_markdown(text):
        return Document(path=path, format="markdown", blocks=tuple(_markdown_blocks(text)))
    return Document(path=path, format="text", blocks=tuple(_plain_blocks(text)))


def clean_html(text: str) -> str:
    """Drop the HTML a converter left in running text, keeping its line breaks."""
    text = _BREAKING_TAGS.sub("\n", text)
    text = _OTHER_TAGS.sub(" ", text)
    lines = (re.sub(r"[ \t\u00a0]{2,}", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


# --- plain text ----------------------------------------------------------------------------


def _plain_blocks(text: str) -> list[Block]:
    lines = text.split("\n")
    blocks: list[Block] = []
    tables = 0
    number = 0
    while number < len(lines):
        line = lines[number]
        if _is_tab_line(line):
            run = _tab_run(lines, number)  # (line number, line) of the run's tab lines
            if any(_filled_fields(candidate) >= 2 for _n, candidate in run):
                tables += 1
                blocks.append(_tab_table(run, table=tables))
            else:
                blocks.extend(_plain_paragraph(candidate, n) for n, candidate in run)
            number = run[-1][0]  # the line after the run's last line (numbers are 1-based)
            continue
        if line.strip():
            paragraph = _plain_paragraph(line, number + 1)
            if paragraph.text:
                blocks.append(paragraph)
        number += 1
    return blocks


def _is_tab_line(line: str) -> bool:
    return "\t" in line and bool(line.strip())


def _tab_run(lines: list[str], start: int) -> list[tuple[int, str]]:
    """Consecutive tab lines; blank lines between two of them (a double-spaced export, an
    empty table row) do not end the table."""
    run = []
    index = start
    while index < len(lines):
        if _is_tab_line(lines[index]):
            run.append((index + 1, lines[index]))
            index += 1
            continue
        following = index
        while following < len(lines) and not lines[following].strip():
            following += 1
        if following == index or following == len(lines) or not _is_tab_line(lines[following]):
            break
        index = following
    return run


def _filled_fields(line: str) -> int:
    return sum(1 for field in line.split("\t") if field.strip())


def _plain_paragraph(line: str, number: int) -> Paragraph:
    text = clean_html(" ".join(field.strip() for field in line.split("\t") if field.strip()))
    return Paragraph(text=text.replace("\n", " "), source=Source(line=number))


def _tab_table(lines: list[tuple[int, str]], table: int) -> Table:
    rows = []
    for row_number, (number, line) in enumerate(lines, start=1):
        cells = tuple(
            Cell(
                text=clean_html(field),
                source=Source(line=number, table=table, row=row_number, column=column),
            )
            for column, field in enumerate(line.split("\t"), start=1)
        )
        rows.append(Row(cells=cells, source=Source(line=number, table=table, row=row_number)))
    return Table(rows=tuple(rows), source=Source(line=lines[0][0], table=table))


# --- Markdown ------------------------------------------------------------------------------


def _markdown_parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable("table")


def _markdown_blocks(text: str) -> list[Block]:
    tokens = _markdown_parser().parse(text)
    blocks: list[Block] = []
    tables = 0
    list_prefix = ""
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "list_item_open":
            # An ordered item's number is content ("2. Stadswandeling Monet" is choice 2);
            # a bullet is only layout.
            list_prefix = f"{token.info}{token.markup} " if token.info else ""
        elif token.type == "heading_open":
            inline = tokens[index + 1]
            text_, bold = _render_inline(inline.children or [])
            blocks.append(
                Paragraph(
                    text=" ".join(text_.split()),
                    source=Source(line=token.map[0] + 1 if token.map else None),
                    heading=int(token.tag[1:]),
                    bold=bold,
                )
            )
            index += 3
            continue
        elif token.type == "paragraph_open":
            inline = tokens[index + 1]
            first = (token.map[0] + 1) if token.map else 1
            for offset, (line_text, bold) in enumerate(_inline_lines(inline.children or [])):
                if offset == 0 and list_prefix:
                    line_text = list_prefix + line_text
                    list_prefix = ""
                if line_text:
                    blocks.append(Paragraph(line_text, Source(line=first + offset), bold=bold))
            index += 3
            continue
        elif token.type == "table_open":
            tables += 1
            end = _closing(tokens, index, "table_close")
            blocks.append(_markdown_table(tokens[index:end], table=tables))
            index = end + 1
            continue
        elif token.type == "html_block":
            # Converters write a table with merged cells or several paragraphs in a cell
            # as HTML inside the Markdown.
            first = (token.map[0] + 1) if token.map else 1
            html_blocks = html_to_blocks(token.content, first, tables)
            tables += sum(1 for block in html_blocks if isinstance(block, Table))
            blocks.extend(html_blocks)
        elif token.type in ("fence", "code_block"):
            first = (token.map[0] + 1) if token.map else 1
            for offset, line in enumerate(token.content.split("\n")):
                if line.strip():
                    blocks.append(Paragraph(line.strip(), Source(line=first + offset)))
        index += 1
    return blocks


def _closing(tokens: list[Token], start: int, kind: str) -> int:
    for index in range(start, len(tokens)):
        if tokens[index].type == kind:
            return index
    return len(tokens) - 1


def _markdown_table(tokens: list[Token], table: int) -> Table:
    rows: list[Row] = []
    cells: list[Cell] = []
    line = None
    for token in tokens:
        if token.type == "tr_open":
            cells = []
            line = (token.map[0] + 1) if token.map else None
        elif token.type == "inline":
            text, _bold = _render_inline(token.children or [], breaks="\n")
            source = Source(line=line, table=table, row=len(rows) + 1, column=len(cells) + 1)
            cells.append(Cell(text=text, source=source))
        elif token.type == "tr_close":
            source = Source(line=line, table=table, row=len(rows) + 1)
            rows.append(Row(cells=tuple(cells), source=source))
    first = tokens[0].map[0] + 1 if tokens[0].map else None
    return Table(rows=tuple(rows), source=Source(line=first, table=table))


def _inline_lines(children: list[Token]) -> list[tuple[str, bool]]:
    """A Markdown paragraph split at its line breaks: one entry per line of the file."""
    lines: list[list[Token]] = [[]]
    for child in children:
        if child.type in ("softbreak", "hardbreak"):
            lines.append([])
        else:
            lines[-1].append(child)
    result = []
    for line_tokens in lines:
        text, bold = _render_inline(line_tokens)
        result.append((" ".join(text.split()), bold))
    return result


def _render_inline(children: list[Token], breaks: str = " ") -> tuple[str, bool]:
    """Plain text of inline Markdown, and whether all of it was bold."""
    parts: list[str] = []
    bold_depth = 0
    bold_chars = plain_chars = 0
    for child in children:
        if child.type == "strong_open":
            bold_depth += 1
        elif child.type == "strong_close":
            bold_depth = max(0, bold_depth - 1)
        elif child.type in ("text", "code_inline", "text_special"):
            piece = _SUPERSCRIPT.sub(lambda m: m.group(1) or "", _STRAY_BOLD.sub("", child.content))
            parts.append(piece)
            visible = len(piece.strip())
            if bold_depth:
                bold_chars += visible
            else:
                plain_chars += visible
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(breaks)
        elif child.type == "html_inline":
            parts.append("\n" if _BREAKING_TAGS.fullmatch(child.content.strip()) else "")
        elif child.type == "image":
            parts.append(child.content)
    text = "".join(parts)
    if breaks == "\n" or "\n" in text:
        text = "\n".join(" ".join(line.split()) for line in text.split("\n"))
        text = "\n".join(line for line in text.split("\n") if line)
    else:
        text = " ".join(text.split())
    return text, bold_chars > 0 and plain_chars == 0


# --- HTML inside Markdown ------------------------------------------------------------------


@dataclass
class _HtmlCell:
    line: int
    colspan: int = 1
    rowspan: int = 1
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        lines = (" ".join(line.split()) for line in "".join(self.parts).split("\n"))
        return "\n".join(line for line in lines if line)


@dataclass
class _HtmlTable:
    line: int
    rows: list[tuple[int, list[_HtmlCell]]] = field(default_factory=list)


class _HtmlReader(HTMLParser):
    """Tables (with colspan and rowspan) and the text around them, from an HTML block."""

    _BREAKS = frozenset({"br", "p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5",
                         "h6"})

    def __init__(self, first_line: int) -> None:
        super().__init__(convert_charrefs=True)
        self.first_line = first_line
        self.items: list[_HtmlTable | tuple[int, str]] = []
        self.depth = 0
        self.table: _HtmlTable | None = None
        self.row: list[_HtmlCell] | None = None
        self.cell: _HtmlCell | None = None
        self.text: list[str] = []
        self.text_line = first_line
        self.row_line = first_line

    def line(self) -> int:
        return self.first_line + self.getpos()[0] - 1

    def write(self, text: str) -> None:
        if self.cell is not None:
            self.cell.parts.append(text)
        elif self.depth == 0:
            if not "".join(self.text).strip():
                self.text_line = self.line()
            self.text.append(text)

    def flush_text(self) -> None:
        for offset, line in enumerate("".join(self.text).split("\n")):
            if line.strip():
                self.items.append((self.text_line + offset, " ".join(line.split())))
        self.text = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "table":
            self.depth += 1
            if self.depth == 1:
                self.flush_text()
                self.table = _HtmlTable(line=self.line())
            else:
                self.write("\n")  # a nested table: one line per row, in this cell
        elif tag == "tr" and self.depth == 1:
            self.row = []
            self.row_line = self.line()
        elif tag in ("td", "th") and self.depth == 1:
            self.cell = _HtmlCell(line=self.line(), colspan=_span(values.get("colspan")),
                                  rowspan=_span(values.get("rowspan")))
        elif tag == "tr":
            self.write("\n")
        elif tag in ("td", "th"):
            self.write(" ")
        elif tag in self._BREAKS:
            self.write("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
            if self.depth == 0 and self.table is not None:
                self.items.append(self.table)
                self.table = None
        elif tag in ("td", "th") and self.depth == 1 and self.cell is not None:
            if self.row is not None:
                self.row.append(self.cell)
            self.cell = None
        elif tag == "tr" and self.depth == 1 and self.row is not None:
            if self.table is not None:
                self.table.rows.append((self.row_line, self.row))
            self.row = None
        elif tag in self._BREAKS:
            self.write("\n")

    def handle_data(self, data: str) -> None:
        self.write(data)


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 50))
    except ValueError:
        return 1


def html_to_blocks(html: str, first_line: int, tables_before: int) -> list[Block]:
    reader = _HtmlReader(first_line)
    reader.feed(html)
    reader.close()
    reader.flush_text()
    blocks: list[Block] = []
    number = tables_before
    for item in reader.items:
        if isinstance(item, _HtmlTable):
            number += 1
            blocks.append(_html_table(item, number))
        else:
            line, text = item
            blocks.append(Paragraph(text, Source(line=line)))
    return blocks


def _html_table(table: _HtmlTable, number: int) -> Table:
    """HTML rows on Word's grid: a cell spanning rows is repeated, marked ``continued``."""
    rows = []
    spanning: dict[int, tuple[int, str]] = {}  # column → (rows still covered, text)
    for row_number, (line, html_cells) in enumerate(table.rows, start=1):
        covered, spanning = spanning, {}
        waiting = list(html_cells)
        cells: list[Cell] = []
        column = 1
        while waiting or any(col >= column for col in covered):
            source = Source(line=line, table=number, row=row_number, column=column)
            if column in covered:
                left, text = covered.pop(column)
                cells.append(Cell(text=text, source=source, continued=True))
                if left > 1:
                    spanning[column] = (left - 1, text)
                column += 1
            elif waiting:
                html_cell = waiting.pop(0)
                text = html_cell.text
                cells.append(Cell(text=text, source=source, span=html_cell.colspan))
                if html_cell.rowspan > 1:
                    for col in range(column, column + html_cell.colspan):
                        spanning[col] = (html_cell.rowspan - 1, text)
                column += html_cell.colspan
            else:
                column = min(col for col in covered if col >= column)
        row_source = Source(line=line, table=number, row=row_number)
        rows.append(Row(cells=tuple(cells), source=row_source))
    return Table(rows=tuple(rows), source=Source(line=table.line, table=number))

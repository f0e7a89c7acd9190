"""Word (.docx) programmes, read with python-docx in the order the reader sees them.

The body is walked element by element so paragraphs and tables keep their order. A table
keeps Word's grid: a horizontally merged cell is one ``Cell`` with its ``span``; a cell
merged down from the row above is a ``Cell(continued=True)`` carrying the text of the cell
it continues, so every row can be read on its own. Paragraphs in a cell are joined with
newlines; a table nested in a cell becomes one line per nested row. Paragraphs laid out
with tabs (``09.30 - 10.00<tab>Inloop``), the home-made table of many programmes, become a
table just as tab-separated lines do in a text file. Text boxes are read after the
paragraph they are anchored to.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import docx
from docx.opc.exceptions import OpcError
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run
from lxml import etree

from g40cal.importer.document import Block, Cell, Document, Paragraph, Row, Source, Table
from g40cal.importer.reading import raised_by_library, refuse, unify_characters

_W_P, _W_TBL, _W_SDT = qn("w:p"), qn("w:tbl"), qn("w:sdt")
_W_SDT_CONTENT, _W_TC, _W_TR = qn("w:sdtContent"), qn("w:tc"), qn("w:tr")
_W_T, _W_TAB, _W_BR, _W_CR = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")
_W_R, _W_TXBX = qn("w:r"), qn("w:txbxContent")
_W_NO_BREAK_HYPHEN = qn("w:noBreakHyphen")
_W_DEL, _W_MOVE_FROM = qn("w:del"), qn("w:moveFrom")
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_W_PPR, _W_OUTLINE = qn("w:pPr"), qn("w:outlineLvl")
_W_VAL = qn("w:val")
_HEADING_STYLE = re.compile(r"^(?:heading|kop|überschrift|titre)\s*(\d)$", re.IGNORECASE)
_TITLE_STYLES = {"title", "titel"}


_WORD_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
# Macro-enabled documents (.docm) and templates (.dotx, .dotm) hold the same text; python-docx
# opens only plain documents, so their main part is announced as a plain one (in memory; the
# macros are never run).
_OTHER_WORD_MAINS = (
    b"application/vnd.ms-word.document.macroEnabled.main+xml",
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    b"application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
)


def _as_plain_document(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        types = source.read("[Content_Types].xml")
        if not any(main in types for main in _OTHER_WORD_MAINS):
            return data
        for main in _OTHER_WORD_MAINS:
            types = types.replace(main, _WORD_MAIN)
        copy = io.BytesIO()
        with zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                content = types if item.filename == "[Content_Types].xml" else source.read(item)
                target.writestr(item, content)
    return copy.getvalue()


def read_docx(path: Path, data: bytes) -> Document:
    try:
        word = docx.Document(io.BytesIO(_as_plain_document(data)))
        blocks = tuple(_Reader(word).blocks())
        pictures = _picture_count(word)
    except (OpcError, zipfile.BadZipFile, zlib.error, etree.XMLSyntaxError) as err:
        raise _damaged(path, err) from None
    except Exception as err:
        if raised_by_library(err, "docx", "zipfile", "lxml"):
            raise _damaged(path, err) from None
        raise
    if not blocks:
        if pictures:
            raise refuse(
                path,
                "the Word document holds no text, only pictures (a scanned programme?)",
                "import the document the programme was typed in",
            )
        raise refuse(path, "the Word document is empty", "check that this is the programme")
    notes = (
        (f"the document has {pictures} picture(s); text inside pictures is not read",)
        if pictures
        else ()
    )
    return Document(path=path, format="docx", blocks=blocks, notes=notes)


def _picture_count(word: Any) -> int:
    """Pictures in the body: drawings and old-style (VML) images."""
    body = word.element.body
    return len(body.xpath(".//w:drawing//*[local-name()='blip'] | .//*[local-name()='imagedata']"))


def _damaged(path: Path, err: Exception) -> Exception:
    return refuse(
        path,
        f"the Word document is damaged and cannot be read ({type(err).__name__})",
        "open it in Word and save it again as .docx",
    )


class _Reader:
    def __init__(self, word: Any) -> None:
        self.word = word
        self.numbering = _Numbering(word)
        self.paragraphs = 0
        self.tables = 0

    def blocks(self) -> list[Block]:
        blocks: list[Block] = list(self._header_blocks())
        tab_run: list[tuple[int, str]] = []
        boxes_in_run: list[Paragraph] = []  # text boxes anchored in the tab paragraphs
        for element in _body_elements(self.word.element.body):
            if element.tag == _W_P:
                self.paragraphs += 1
                paragraph = DocxParagraph(element, self.word)
                text = self.numbering.label(element) + _paragraph_text(element)
                if _tab_laid_out(text) and _heading_level(paragraph) is None:
                    tab_run.append((self.paragraphs, text))
                    boxes_in_run.extend(self._text_box_blocks(element))
                    continue
                blocks.extend(self._flush_tabs(tab_run, boxes_in_run))
                blocks.extend(self._paragraph_blocks(paragraph, text))
                blocks.extend(self._text_box_blocks(element))
            else:
                blocks.extend(self._flush_tabs(tab_run, boxes_in_run))
                self.tables += 1
                blocks.append(self._table(element, self.tables))
        blocks.extend(self._flush_tabs(tab_run, boxes_in_run))
        return blocks

    # --- paragraphs ----------------------------------------------------------------------

    def _paragraph_blocks(self, paragraph: DocxParagraph, text: str) -> list[Paragraph]:
        lines = [line.strip() for line in text.replace("\t", " ").split("\n")]
        lines = [" ".join(line.split()) for line in lines]
        filled = [(number, line) for number, line in enumerate(lines, start=1) if line]
        heading = _heading_level(paragraph)
        bold = _whole_paragraph_bold(paragraph)
        several = len(filled) > 1
        return [
            Paragraph(
                text=line,
                source=Source(paragraph=self.paragraphs, line=number if several else None),
                heading=heading,
                bold=bold,
            )
            for number, line in filled
        ]

    def _text_box_blocks(self, element: Any) -> list[Paragraph]:
        blocks = []
        for box in element.iter(_W_TXBX):
            if _inside(box, _MC_FALLBACK, stop=element):
                continue  # the same text box again, for old Word versions
            for inner in box.iter(_W_P):
                text = " ".join(_paragraph_text(inner).split())
                if text:
                    source = Source(paragraph=self.paragraphs, part="text box")
                    blocks.append(Paragraph(text=text, source=source))
        return blocks

    def _header_blocks(self) -> list[Paragraph]:
        """The page headers' text (the bureau often puts the day's title and date there),
        each distinct line once, before the body. Footers hold page numbers: left out."""
        seen: set[str] = set()
        blocks = []
        for section in self.word.sections:
            headers = [section.first_page_header, section.header, section.even_page_header]
            for header in headers:
                if header.is_linked_to_previous:
                    continue
                number = 0
                for element in _body_elements(header._element):
                    lines = (
                        [_paragraph_text(element)]
                        if element.tag == _W_P
                        else [self._cell_text(tc) for tr in _rows(element)
                              for tc in _row_cells(tr)]
                    )
                    for line in (part for text in lines for part in text.split("\n")):
                        line = " ".join(line.split())
                        number += 1
                        if line and line not in seen:
                            seen.add(line)
                            source = Source(paragraph=number, part="header")
                            blocks.append(Paragraph(text=line, source=source))
        return blocks

    def _flush_tabs(self, run: list[tuple[int, str]], boxes: list[Paragraph]) -> list[Block]:
        """Paragraphs laid out with tabs: a table if one of them has two filled fields
        (then the text boxes anchored in them follow the table)."""
        if not run:
            return []
        taken, after = list(run), list(boxes)
        run.clear()
        boxes.clear()
        if not any(sum(1 for f in text.split("\t") if f.strip()) >= 2 for _n, text in taken):
            return [
                Paragraph(" ".join(text.split()), Source(paragraph=number))
                for number, text in taken
            ] + after
        self.tables += 1
        table = self.tables
        rows = []
        for row_number, (paragraph, text) in enumerate(taken, start=1):
            cells = tuple(
                Cell(
                    text=" ".join(field.split()),
                    source=Source(table=table, row=row_number, column=column, paragraph=paragraph),
                )
                for column, field in enumerate(text.split("\t"), start=1)
            )
            source = Source(table=table, row=row_number, paragraph=paragraph)
            rows.append(Row(cells=cells, source=source))
        return [Table(rows=tuple(rows), source=Source(table=table, paragraph=taken[0][0])), *after]

    # --- tables --------------------------------------------------------------------------

    def _table(self, tbl: Any, number: int) -> Table:
        rows: list[Row] = []
        above: dict[int, str] = {}  # grid column → text of the cell that started there
        for row_number, tr in enumerate(_rows(tbl), start=1):
            cells = []
            column = 1 + _int_attr(tr, "w:trPr/w:gridBefore")
            for tc in _row_cells(tr):
                span = max(1, int(tc.grid_span))
                merge = tc.vMerge
                source = Source(table=number, row=row_number, column=column)
                if merge == "continue":
                    text = above.get(column, "")
                    cells.append(Cell(text=text, source=source, span=span, continued=True))
                else:
                    text = self._cell_text(tc)
                    above[column] = text
                    cells.append(Cell(text=text, source=source, span=span))
                column += span
            rows.append(Row(cells=tuple(cells), source=Source(table=number, row=row_number)))
        return Table(rows=tuple(rows), source=Source(table=number))

    def _cell_text(self, tc: Any) -> str:
        lines: list[str] = []
        for element in _body_elements(tc):
            if element.tag == _W_P:
                text = self.numbering.label(element) + _paragraph_text(element)
                for line in text.split("\n"):
                    line = " ".join(line.split())
                    if line:
                        lines.append(line)
            else:
                for tr in _rows(element):  # a nested table: one line per row
                    fields = [self._cell_text(inner) for inner in _row_cells(tr)]
                    line = " ".join(" ".join(f.split()) for f in fields if f.strip())
                    if line:
                        lines.append(line)
        return "\n".join(lines)


def _tab_laid_out(text: str) -> bool:
    """One line with a tab in it (a paragraph of several lines is running text); a leading
    tab counts: it leaves the first column empty, as under a round's row."""
    stripped = text.strip(" \n")
    return "\t" in stripped and "\n" not in stripped


def _body_elements(parent: Any) -> Iterator[Any]:
    """Paragraphs and tables in order, also those inside content controls."""
    for child in parent.iterchildren():
        if child.tag in (_W_P, _W_TBL):
            yield child
        elif child.tag == _W_SDT:
            content = child.find(_W_SDT_CONTENT)
            if content is not None:
                yield from _body_elements(content)


def _rows(tbl: Any) -> Iterator[Any]:
    for child in tbl.iterchildren():
        if child.tag == _W_TR:
            yield child
        elif child.tag == _W_SDT:
            content = child.find(_W_SDT_CONTENT)
            if content is not None:
                yield from (tr for tr in content.iterchildren() if tr.tag == _W_TR)


def _row_cells(tr: Any) -> Iterator[Any]:
    for child in tr.iterchildren():
        if child.tag == _W_TC:
            yield child
        elif child.tag == _W_SDT:
            content = child.find(_W_SDT_CONTENT)
            if content is not None:
                yield from (tc for tc in content.iterchildren() if tc.tag == _W_TC)


def _int_attr(element: Any, path: str) -> int:
    found = element.xpath(f"{path}/@w:val")
    try:
        return int(found[0]) if found else 0
    except ValueError:
        return 0


def _inside(element: Any, tag: str, stop: Any) -> bool:
    for ancestor in element.iterancestors():
        if ancestor is stop:
            return False
        if ancestor.tag == tag:
            return True
    return False


def _paragraph_text(p: Any) -> str:
    """The visible text: tracked insertions in; deletions, hidden text and text boxes out."""
    parts = []
    for node in p.iter(_W_T, _W_TAB, _W_BR, _W_CR, _W_NO_BREAK_HYPHEN):
        if _hidden_from_paragraph(node, p) or _vanished(node):
            continue
        if node.tag == _W_T:
            parts.append(node.text or "")
        elif node.tag == _W_TAB:
            if node.getparent().tag == _W_R:  # not a tab stop definition in w:pPr
                parts.append("\t")
        elif node.tag == _W_BR:
            if node.get(qn("w:type")) in (None, "textWrapping"):
                parts.append("\n")
        elif node.tag == _W_NO_BREAK_HYPHEN:
            parts.append("-")
        else:
            parts.append("\n")
    return unify_characters("".join(parts))


def _vanished(node: Any) -> bool:
    """Text formatted as hidden (Word shows it only with formatting marks on)."""
    run = node.getparent()
    vanish = run.find(f"{qn('w:rPr')}/{qn('w:vanish')}") if run is not None else None
    return vanish is not None and vanish.get(_W_VAL, "true") not in ("0", "false", "off")


def _hidden_from_paragraph(node: Any, p: Any) -> bool:
    for ancestor in node.iterancestors():
        if ancestor is p:
            return False
        if ancestor.tag in (_W_TXBX, _W_DEL, _W_MOVE_FROM, _MC_FALLBACK):
            return True
    return False


def _heading_level(paragraph: DocxParagraph) -> int | None:
    outline = paragraph._p.find(f"{_W_PPR}/{_W_OUTLINE}")
    style = paragraph.style
    while style is not None:
        name = (style.name or "").strip()
        if name.lower() in _TITLE_STYLES:
            return 1
        match = _HEADING_STYLE.match(name)
        if match:
            return int(match.group(1))
        if outline is None:
            outline = style.element.find(f"{_W_PPR}/{_W_OUTLINE}")
        style = style.base_style
    if outline is not None:
        level = int(outline.get(_W_VAL, "9"))
        return level + 1 if level < 9 else None  # 9 is Word's "body text"
    return None


def _whole_paragraph_bold(paragraph: DocxParagraph) -> bool:
    runs = [
        run
        for run in paragraph._p.iter(_W_R)
        if not _hidden_from_paragraph(run, paragraph._p)
        and "".join(t.text or "" for t in run.iter(_W_T)).strip()
    ]
    if not runs:
        return False
    return all(_run_bold(Run(run, paragraph), paragraph) for run in runs)


def _run_bold(run: Run, paragraph: DocxParagraph) -> bool:
    if run.bold is not None:
        return bool(run.bold)
    for style in (run.style, paragraph.style):
        while style is not None:
            bold = style.font.bold
            if bold is not None:
                return bool(bold)
            style = style.base_style
    return False


class _Numbering:
    """The numbers Word puts before the items of a numbered list ("1.", "a)").

    They are not in the paragraph's text but drawn by Word from the list's definition, and
    a reader sees them: "2. Stadswandeling Monet" is choice 2. Bullets add nothing.
    """

    _FORMATS: ClassVar[dict[str, Callable[[int], str]]] = {
        "decimal": str,
        "decimalZero": lambda n: f"{n:02d}",
        "lowerLetter": lambda n: _letters(n).lower(),
        "upperLetter": lambda n: _letters(n),
        "lowerRoman": lambda n: _roman(n).lower(),
        "upperRoman": lambda n: _roman(n),
    }

    def __init__(self, word: Any) -> None:
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}
        # Lists that share a definition count on together unless one restarts its numbers.
        self.counter_key: dict[str, str] = {}
        self.counters: dict[str, list[int]] = {}
        self.word = word
        try:
            numbering = word.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            return
        abstract: dict[str, dict[int, tuple[str, str, int]]] = {}
        for definition in numbering.findall(qn("w:abstractNum")):
            levels = {}
            for level in definition.findall(qn("w:lvl")):
                levels[int(level.get(qn("w:ilvl"), "0"))] = (
                    _val(level, "w:numFmt", "decimal"),
                    _val(level, "w:lvlText", ""),
                    int(_val(level, "w:start", "1") or 1),
                )
            abstract[definition.get(qn("w:abstractNumId"), "")] = levels
        for num in numbering.findall(qn("w:num")):
            abstract_id = _val(num, "w:abstractNumId", "") or ""
            levels = dict(abstract.get(abstract_id, {}))
            num_id = num.get(qn("w:numId"), "")
            restarts = num.find(f"{qn('w:lvlOverride')}/{qn('w:startOverride')}") is not None
            self.counter_key[num_id] = f"num {num_id}" if restarts else f"list {abstract_id}"
            for override in num.findall(qn("w:lvlOverride")):
                start = override.find(qn("w:startOverride"))
                ilvl = int(override.get(qn("w:ilvl"), "0"))
                if start is not None and ilvl in levels:
                    fmt, text, _start = levels[ilvl]
                    levels[ilvl] = (fmt, text, int(start.get(_W_VAL, "1")))
            self.levels[num.get(qn("w:numId"), "")] = levels

    def label(self, p: Any) -> str:
        """The list number of this paragraph with a space, or "" (counts as it goes)."""
        num_id, ilvl = self._num_pr(p)
        levels = self.levels.get(num_id or "")
        if not levels or ilvl not in levels:
            return ""
        counters = self.counters.setdefault(self.counter_key.get(num_id, num_id), [0] * 9)
        counters[ilvl] = counters[ilvl] + 1 if counters[ilvl] else levels[ilvl][2]
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = 0
        fmt, text, _start = levels[ilvl]
        if fmt in ("bullet", "none") or not text:
            return ""
        for level in range(9):
            level_fmt = levels.get(level, ("decimal", "", 1))[0]
            value = counters[level] or levels.get(level, ("decimal", "", 1))[2]
            render = self._FORMATS.get(level_fmt, str)
            text = text.replace(f"%{level + 1}", render(value))
        return text + " "

    def _num_pr(self, p: Any) -> tuple[str | None, int]:
        num_pr = p.find(f"{_W_PPR}/{qn('w:numPr')}")
        if num_pr is not None:
            num_id = _val(num_pr, "w:numId", None)
            return num_id, int(_val(num_pr, "w:ilvl", "0") or 0)
        style_id = _val(p.find(_W_PPR), "w:pStyle", None) if p.find(_W_PPR) is not None else None
        try:
            style = self.word.styles.element.get_by_id(style_id) if style_id else None
            if style is None:
                style = self.word.styles.element.default_for("paragraph")
        except (KeyError, AttributeError):
            return None, 0
        while style is not None:
            num_pr = style.find(f"{_W_PPR}/{qn('w:numPr')}")
            if num_pr is not None:
                return _val(num_pr, "w:numId", None), int(_val(num_pr, "w:ilvl", "0") or 0)
            based_on = _val(style, "w:basedOn", None)
            style = self.word.styles.element.get_by_id(based_on) if based_on else None
        return None, 0


def _val(element: Any, child: str, default: str | None) -> str | None:
    found = element.find(qn(child)) if element is not None else None
    return found.get(_W_VAL, default) if found is not None else default


def _letters(number: int) -> str:
    """Word's letter numbering: A … Z, then AA … ZZ."""
    letter = chr(ord("A") + (number - 1) % 26)
    return letter * ((number - 1) // 26 + 1)


def _roman(number: int) -> str:
    result = ""
    for value, numeral in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"),
                           (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"),
                           (4, "IV"), (1, "I")):
        while number >= value:
            result += numeral
            number -= value
    return result

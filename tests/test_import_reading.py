"""The readers hand the recogniser what a reader of the document sees: rows and cells.

Every input is a real file: the bureau's five texts as shipped, and Word and PDF documents
written here from those texts (tests/importer_documents.py).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from g40cal.errors import UserError
from g40cal.importer.document import Cell, Document, Paragraph, Row, Table
from g40cal.importer.quality import SOURCES
from g40cal.importer.reading import MAX_DOCUMENT_BYTES, read_document
from tests import importer_documents as docs

TEXTS = docs.PROGRAMME_TEXTS


def tables(document: Document) -> list[Table]:
    return [block for block in document.blocks if isinstance(block, Table)]


def paragraphs(document: Document) -> list[Paragraph]:
    return [block for block in document.blocks if isinstance(block, Paragraph)]


def filled(row: Row) -> list[str]:
    return [cell.text for cell in row.cells if cell.text]


def row_starting(table: Table, text: str) -> Row:
    for row in table.rows:
        if any(cell.text.startswith(text) for cell in row.cells):
            return row
    raise AssertionError(f"no row starts with {text!r}")


def cell_with(row: Row, text: str) -> Cell:
    return next(cell for cell in row.cells if text in cell.text)


# --- text and Markdown -------------------------------------------------------------------------


def test_a_tab_separated_programme_keeps_each_session_in_its_own_column():
    document = read_document(TEXTS / "zaandam-bestuurlijke-netwerkdag.txt")
    assert document.format == "text"
    schedule = tables(document)[0]
    assert filled(row_starting(schedule, "09.45 - 10.00"))[0] == "09.45 - 10.00"
    sessions = schedule.rows[row_starting(schedule, "11.30 - 12.30").source.row]
    assert filled(sessions) == [
        "Elke Regio Telt!", "Slim met Stroom", "Gemeentelijke financiën", "Migratie en Werk",
        "Verdelen van de schaarse woningvoorraad",
    ]
    assert [cell.source.column for cell in sessions.cells if cell.text] == [2, 3, 4, 5, 6]
    lunch = row_starting(schedule, "12.30 - 14.00")
    side = cell_with(lunch, "Oleksandr")
    assert side.source.column == 5 and side.source.line == 10


def test_html_left_in_a_text_export_is_dropped_and_its_line_breaks_kept():
    schedule = tables(read_document(TEXTS / "zaandam-bestuurlijke-netwerkdag.txt"))[0]
    lunch = cell_with(row_starting(schedule, "12.30 - 14.00"), "Lunch")
    assert "<ol" not in lunch.text and "list-style" not in lunch.text
    assert "1. Stadswandeling Stadshart Zaandam" in lunch.text


def test_lines_after_a_tab_table_are_paragraphs_with_their_line_numbers():
    document = read_document(TEXTS / "dordrecht-ambtelijke-netwerkdag.txt")
    explanation = paragraphs(document)
    first = explanation[0]
    assert (first.text, first.source.line) == ("Toelichting op de onderdelen", 20)
    schedule = tables(document)[0]
    assert len(schedule.rows) == 16  # "Tijd" to "16.30 Afsluiting", one row per line
    round_3 = schedule.rows[13]
    assert round_3.source.line == 16 and len(filled(round_3)) == 4


def test_a_markdown_table_becomes_rows_without_the_separator_and_without_markup():
    document = read_document(TEXTS / "almelo-ambtelijke-netwerkdag.md")
    assert document.format == "markdown"
    schedule = tables(document)[0]
    assert all(not set(cell.text) <= set("-| ") or not cell.text
               for row in schedule.rows for cell in row.cells)
    round_1 = row_starting(schedule, "14.00 - 15.00")
    assert filled(round_1) == ["14.00 - 15.00",
                               "Keuze sessies - ronde I Stadhuis - 1e en 19e verdieping"]
    sessions = schedule.rows[round_1.source.row]
    assert sessions.source.line == 13
    assert [c.source.column for c in sessions.cells if c.text] == [3, 4, 5, 6, 7, 8]


def test_markdown_headings_keep_their_level_and_bold_and_lose_their_markers():
    document = read_document(TEXTS / "oss-ambtelijke-netwerkdag.md")
    heads = [(p.heading, p.bold, p.text) for p in paragraphs(document) if p.heading]
    assert (2, True, "Plenair") in heads
    assert (3, True, "Ondernemende campus en gebiedsontwikkeling") in heads
    assert (4, False, "4. Bezoek Noodopvang Oss 'Thuis in Oss'") in heads
    texts = [p.text for p in paragraphs(document)]
    assert "Georganiseerd door de Sociale pijler" in texts  # *italics* unwrapped
    walk = next(p for p in paragraphs(document) if p.text.startswith("3. Bezoek"))
    assert walk.text.endswith("museum Jan Cunen (naast het gemeentehuis)")  # link and ** gone
    assert walk.source.line == 55


def test_a_markdown_br_in_a_cell_becomes_a_new_line(tmp_path):
    path = tmp_path / "programma.md"
    path.write_text("| Tijd | Onderdeel |\n|---|---|\n| 09.30 | **Inloop**<br>met koffie |\n")
    row = tables(read_document(path))[0].rows[1]
    assert [c.text for c in row.cells] == ["09.30", "Inloop\nmet koffie"]
    assert (row.cells[1].source.line, row.cells[1].source.column) == (3, 2)


def test_an_ocr_text_without_tabs_is_read_line_by_line():
    document = read_document(TEXTS / "tilburg-bestuurlijke-netwerkdagen-2025-09.txt")
    assert not tables(document)
    day = next(p for p in paragraphs(document) if p.text.startswith("Dag 1"))
    assert day.source.line == 5


def test_every_shipped_text_is_read_with_nothing_lost():
    for path in sorted(TEXTS / name for name in SOURCES):
        document = read_document(path)
        seen = " ".join(
            cell.text if isinstance(block, Table) else block.text
            for block in document.blocks
            for cell in (
                [c for row in block.rows for c in row.cells] if isinstance(block, Table)
                else [block]
            )
        )
        words = {word for word in path.read_text().split() if word.isalpha()}
        missing = {word for word in words if word not in seen}
        assert not missing, f"{path.name}: {sorted(missing)[:10]}"


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
     ("utf-16-le", b""), ("cp1252", b"")],
)
def test_text_in_the_encodings_windows_writes_is_decoded(tmp_path, encoding, bom):
    path = tmp_path / "programma.txt"
    path.write_bytes(bom + "09.30 - 10.00\tInloop in het Zaantheater – café\n".encode(encoding))
    row = tables(read_document(path))[0].rows[0]
    assert [c.text for c in row.cells] == ["09.30 - 10.00", "Inloop in het Zaantheater – café"]


def test_a_text_mixing_utf8_and_other_bytes_is_refused_naming_the_line(tmp_path):
    path = tmp_path / "programma.txt"
    path.write_bytes("Opening – café\nTweede regel\n".encode() + "Derde café\n".encode("cp1252"))
    with pytest.raises(UserError, match=r"programma\.txt: line 3 has bytes that are not UTF-8"):
        read_document(path)


# --- Word --------------------------------------------------------------------------------------


def test_a_word_table_gives_time_item_and_room_in_one_row(tmp_path):
    document = read_document(docs.write_almelo_docx(tmp_path / "almelo.docx"))
    assert document.format == "docx"
    title, date, venue = paragraphs(document)[:3]
    assert (title.text, title.heading) == (docs.ALMELO_TITLE, 1)
    assert (date.text, venue.text) == (docs.ALMELO_DATE, docs.ALMELO_VENUE)
    assert date.heading is None and date.source.paragraph == 2
    schedule = tables(document)[0]
    opening = row_starting(schedule, "10.00 - 10.15")
    assert [c.text for c in opening.cells] == [
        "10.00 - 10.15", "\n".join(docs.ALMELO_PLAIN_ROWS[1][1]), "Grote kerk"]
    assert opening.cells[2].source.describe() == "table 1, row 3, column 3"


def test_a_round_time_merged_down_over_its_sessions_repeats_in_every_session_row(tmp_path):
    schedule = tables(read_document(docs.write_almelo_docx(tmp_path / "almelo.docx")))[0]
    round_row = row_starting(schedule, docs.ALMELO_ROUND[1])
    assert not round_row.cells[0].continued
    index = schedule.rows.index(round_row)
    session_rows = schedule.rows[index + 1:index + 1 + len(docs.ALMELO_ROUND_SESSIONS)]
    for row, session in zip(session_rows, docs.ALMELO_ROUND_SESSIONS, strict=True):
        assert row.cells[0].continued and row.cells[0].text == docs.ALMELO_ROUND[0]
        assert row.cells[1].text.split("\n")[0] == session.title
        assert row.cells[2].text == session.room
    assert not schedule.rows[index + 1 + len(docs.ALMELO_ROUND_SESSIONS)].cells[0].continued


def test_a_table_nested_in_a_cell_becomes_one_line_per_nested_row(tmp_path):
    schedule = tables(read_document(docs.write_almelo_docx(tmp_path / "almelo.docx")))[0]
    visits = row_starting(schedule, docs.ALMELO_VISITS[0])
    lines = visits.cells[1].text.split("\n")
    assert lines[0] == docs.ALMELO_VISITS[1]
    assert lines[1].startswith("Locatie 1 Indië Almelo Pijler Fysiek")
    assert lines[2] == "Locatie 2 De Hagedoorn Pijler Sociaal"


def test_sessions_side_by_side_keep_their_word_columns_and_merged_cells_their_span(tmp_path):
    schedule = tables(read_document(docs.write_zaandam_docx(tmp_path / "zaandam.docx")))[0]
    inloop = row_starting(schedule, "09.15 - 09.45")
    assert [(c.text, c.span) for c in inloop.cells] == [("09.15 - 09.45", 1), ("Inloop", 5)]
    sessions = schedule.rows[schedule.rows.index(row_starting(schedule, "11.30 - 12.30")) + 1]
    assert sessions.cells[0].continued and sessions.cells[0].text == "11.30 - 12.30"
    assert [c.text for c in sessions.cells[1:]] == docs.ZAANDAM_ROUND_SESSIONS
    assert [c.source.column for c in sessions.cells] == [1, 2, 3, 4, 5, 6]
    lunch = row_starting(schedule, "12.30 - 14.00")
    assert [(c.source.column, c.span) for c in lunch.cells] == [(1, 1), (2, 3), (5, 2)]
    assert lunch.cells[2].text == "\n".join(docs.ZAANDAM_LUNCH[2])
    pillars = schedule.rows[schedule.rows.index(row_starting(schedule, "15.30 - 16.30")) + 1]
    assert [c.text for c in pillars.cells[1:]] == docs.ZAANDAM_PILLAR_SESSIONS


def test_word_headings_come_from_styles_and_home_made_ones_from_bold(tmp_path):
    almelo = paragraphs(read_document(docs.write_almelo_docx(tmp_path / "almelo.docx")))
    by_text = {p.text: p for p in almelo}
    assert by_text["Toelichting op de onderdelen"].heading == 1
    assert by_text[docs.ALMELO_EXPLANATION[1][1]].heading == 2
    home_made = by_text["G40-coördinatorenoverleg"]
    assert (home_made.heading, home_made.bold) == (None, True)
    assert not by_text[docs.ALMELO_EXPLANATION[5][1]].bold
    zaandam = paragraphs(read_document(docs.write_zaandam_docx(tmp_path / "zaandam.docx")))
    assert [p.heading for p in zaandam if p.text == "Gemeentelijke financiën"] == [3]


def test_word_paragraphs_laid_out_with_tabs_become_a_table(tmp_path):
    document = read_document(docs.write_tabbed_docx(tmp_path / "tabs.docx"))
    schedule = tables(document)[0]
    assert [filled(row) for row in schedule.rows][:2] == [
        ["09.15 - 09.45", "Inloop"], ["09.45 - 10.00", "Opening"]]
    assert schedule.rows[1].cells[1].source.describe() == "table 1, row 2, column 2, paragraph 3"
    sessions = [[c.text for c in row.cells] for row in schedule.rows[-2:]]
    assert sessions == [
        ["", *docs.ZAANDAM_ROUND_SESSIONS[:2]], ["", docs.ZAANDAM_ROUND_SESSIONS[2]]]
    heading = paragraphs(document)[-1]  # a heading with a tab in it is still a heading
    assert (heading.text, heading.heading) == ("Toelichting op de onderdelen", 2)


def test_blocks_keep_the_order_of_the_word_body(tmp_path):
    document = read_document(docs.write_almelo_docx(tmp_path / "almelo.docx"))
    kinds = [type(block).__name__ for block in document.blocks]
    assert kinds[:4] == ["Paragraph", "Paragraph", "Paragraph", "Table"]
    assert all(kind == "Paragraph" for kind in kinds[4:])


def test_a_word_document_is_recognised_by_content_whatever_its_name(tmp_path):
    path = docs.write_zaandam_docx(tmp_path / "zaandam.docx")
    renamed = path.rename(tmp_path / "programma.txt")
    assert read_document(renamed).format == "docx"


# --- PDF ---------------------------------------------------------------------------------------


def test_a_two_column_pdf_puts_each_time_and_its_title_in_one_row(tmp_path):
    document = read_document(docs.write_dordrecht_pdf(tmp_path / "dordrecht.pdf"))
    assert document.format == "pdf"
    schedule = tables(document)[0]
    times_and_titles = [
        (row.cells[0].text, row.cells[1].text.split("\n")[0]) for row in schedule.rows
    ]
    assert times_and_titles == [
        (time, lines[0][0]) for time, lines in docs.DORDRECHT_SCHEDULE
    ]
    assert all(cell.source.page == 1 and cell.source.table == 1
               for row in schedule.rows for cell in row.cells)


def test_a_pdf_title_wrapping_over_lines_stays_in_its_row_and_column(tmp_path):
    schedule = tables(read_document(docs.write_dordrecht_pdf(tmp_path / "dordrecht.pdf")))[0]
    plenary = row_starting(schedule, "10.00 - 10.45")
    title, description = docs.DORDRECHT_SCHEDULE[1][1]
    assert plenary.cells[1].text == f"{title[0]}\n{description[0]}"
    session = row_starting(schedule, "Mooi Nederland")
    assert session.cells[0].text == "" and session.cells[1].source.column == 2
    assert session.source.line == 12  # the line on the page where the session starts


def test_pdf_paragraphs_outside_the_columns_keep_order_and_headings_by_font_size(tmp_path):
    document = read_document(docs.write_dordrecht_pdf(tmp_path / "dordrecht.pdf"))
    kinds = [type(block).__name__ for block in document.blocks]
    assert kinds == ["Paragraph", "Table"] + ["Paragraph"] * len(docs.DORDRECHT_EXPLANATION)
    title, *explanation = paragraphs(document)
    assert (title.text, title.heading, title.bold) == (docs.DORDRECHT_TITLE, 1, True)
    assert [p.text for p in explanation] == [text for *_style, text in docs.DORDRECHT_EXPLANATION]
    assert [p.bold for p in explanation] == [bold for _s, bold, _t in docs.DORDRECHT_EXPLANATION]
    heading, subheading, *rest = explanation
    assert (heading.heading, subheading.heading) == (1, 3)
    assert all(p.heading is None for p in rest)
    assert [p.source.describe() for p in explanation[2:4]] == ["page 1, line 18", "page 1, line 19"]


def test_a_pdf_paragraph_wrapping_over_lines_is_one_paragraph_and_short_lines_stay_apart(
        tmp_path):
    document = read_document(docs.write_dordrecht_pdf(tmp_path / "dordrecht.pdf"))
    long_text = docs.DORDRECHT_EXPLANATION[-1][2]
    wrapped = next(p for p in paragraphs(document) if p.text.startswith("Nederland verandert"))
    assert wrapped.text == long_text  # three lines on the page, one paragraph
    organisers = next(p for p in paragraphs(document) if p.text.startswith("TG Leefomgeving"))
    assert organisers.text == docs.DORDRECHT_EXPLANATION[-2][2]  # a short line ends it


def test_a_ruled_pdf_table_is_read_cell_by_cell_with_merged_cells(tmp_path):
    document = read_document(docs.write_ruled_pdf(tmp_path / "almelo.pdf"))
    assert [p.text for p in paragraphs(document)] == [docs.ALMELO_TITLE, docs.ALMELO_DATE]
    schedule = tables(document)[0]
    assert [c.text for c in schedule.rows[0].cells] == ["Tijd", "Onderdeel", "Zaal"]
    opening = row_starting(schedule, "10.00 - 10.15")
    assert opening.cells[1].text == "\n".join(docs.ALMELO_PLAIN_ROWS[1][1])
    plenary = row_starting(schedule, "10.15 - 11.30")  # its title wraps in the cell
    assert plenary.cells[1].text == "\n".join(docs.ALMELO_PLAIN_ROWS[2][1])
    round_row = row_starting(schedule, docs.ALMELO_ROUND[0])
    assert [(c.text, c.span) for c in round_row.cells] == [
        (docs.ALMELO_ROUND[0], 1), (docs.ALMELO_ROUND[1], 2)]
    index = schedule.rows.index(round_row)
    for row, session in zip(schedule.rows[index + 1:], docs.ALMELO_ROUND_SESSIONS[:2],
                            strict=True):
        assert row.cells[0].continued and row.cells[0].text == docs.ALMELO_ROUND[0]
        assert [c.text for c in row.cells[1:]] == [session.title, session.room]
        assert row.cells[2].source.describe() == f"page 1, table 1, row {row.source.row}, column 3"


def test_a_scanned_pdf_is_refused_as_a_scan_without_text(tmp_path):
    message = refused(docs.write_scanned_pdf(tmp_path / "scan.pdf"))
    assert "scan" in message and "without a text layer" in message


def test_a_password_protected_pdf_is_refused_saying_so(tmp_path):
    assert "protected with a password" in refused(docs.write_protected_pdf(tmp_path / "p.pdf"))


def test_a_damaged_pdf_is_refused(tmp_path):
    data = docs.write_dordrecht_pdf(tmp_path / "heel.pdf").read_bytes()
    path = tmp_path / "kapot.pdf"
    path.write_bytes(data[:400])
    message = refused(path)
    assert "damaged" in message or "contains no text" in message


# --- bad input ---------------------------------------------------------------------------------


def refused(path: Path) -> str:
    with pytest.raises(UserError) as caught:
        read_document(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    return message


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "leeg.docx"
    path.write_bytes(b"")
    assert "the file is empty" in refused(path)
    path.write_bytes(b"\n  \n")
    assert "the file is empty" in refused(path)


def test_a_missing_file_and_a_folder_are_refused(tmp_path):
    assert "file not found" in refused(tmp_path / "weg.docx")
    assert "is a folder" in refused(tmp_path)


def test_binary_garbage_is_refused_as_not_a_text_document(tmp_path):
    import random

    path = tmp_path / "programma.txt"
    path.write_bytes(random.Random(40).randbytes(4096))
    assert "not a text document" in refused(path)


def test_a_password_protected_word_document_is_refused_saying_so(tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = docs.write_zaandam_docx(tmp_path / "open.docx")
    locked = tmp_path / "beveiligd.docx"
    with plain.open("rb") as source, locked.open("wb") as target:
        OOXMLFile(source).encrypt("geheim", target)
    message = refused(locked)
    assert "protected with a password" in message and "remove the password" in message


def test_a_damaged_word_document_is_refused(tmp_path):
    data = docs.write_zaandam_docx(tmp_path / "heel.docx").read_bytes()
    truncated = tmp_path / "kapot.docx"
    truncated.write_bytes(data[: len(data) // 2])
    assert "damaged" in refused(truncated)
    broken_xml = tmp_path / "kapot-xml.docx"
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(broken_xml, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "word/document.xml":
                content = content[: len(content) // 2]
            target.writestr(item, content)
    assert "damaged" in refused(broken_xml)


def test_a_spreadsheet_is_refused_as_not_a_programme_document(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["09.30", "Inloop", "Raadzaal"])
    xlsx = tmp_path / "programma.xlsx"
    workbook.save(xlsx)
    assert "this is a spreadsheet, not a programme document" in refused(xlsx)
    csv = tmp_path / "programma.csv"
    csv.write_text("tijd;onderdeel;zaal\n09.30;Inloop;Raadzaal\n10.00;Opening;Raadzaal\n")
    assert "this is a spreadsheet, not a programme document" in refused(csv)


def test_an_old_word_document_is_refused_asking_for_docx(tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    # No library writes the old binary .doc. Its container is the one Office also uses for
    # password-protected documents (msoffcrypto writes a real one); what tells them apart is
    # the name of the main stream, so the protected document's streams are renamed here.
    plain = docs.write_zaandam_docx(tmp_path / "open.docx")
    container = io.BytesIO()
    with plain.open("rb") as source:
        OOXMLFile(source).encrypt("geheim", container)
    data = container.getvalue()
    for name in ("EncryptedPackage", "EncryptionInfo"):
        renamed = "WordDocument".ljust(len(name), "_")
        data = data.replace(name.encode("utf-16-le"), renamed.encode("utf-16-le"))
    path = tmp_path / "programma.doc"
    path.write_bytes(data)
    message = refused(path)
    assert "old Word document (.doc)" in message and "save it as .docx" in message


def test_a_too_large_document_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "groot.pdf"
    with path.open("wb") as handle:
        handle.write(b"%PDF-1.7\n")
        handle.truncate(MAX_DOCUMENT_BYTES + 1)
    assert "more than the 20 MB" in refused(path)


def test_an_image_is_refused_as_not_a_document_with_text(tmp_path):
    from PIL import Image

    path = tmp_path / "programma.png"
    Image.new("RGB", (20, 20), "white").save(path)
    assert "PNG image" in refused(path)


def test_reading_writes_nothing(tmp_path):
    docs.write_almelo_docx(tmp_path / "almelo.docx")
    before = sorted(tmp_path.iterdir())
    read_document(tmp_path / "almelo.docx")
    assert sorted(tmp_path.iterdir()) == before


# --- damaged files, whatever the damage --------------------------------------------------------

_ORIGINALS: dict[str, bytes] = {}


def original(kind: str, tmp_path_factory) -> bytes:
    if kind not in _ORIGINALS:
        folder = tmp_path_factory.mktemp("originals")
        writer = {"docx": docs.write_almelo_docx, "pdf": docs.write_dordrecht_pdf,
                  "ruled.pdf": docs.write_ruled_pdf}[kind]
        _ORIGINALS[kind] = writer(folder / f"programma.{kind}").read_bytes()
    return _ORIGINALS[kind]


@pytest.mark.parametrize("kind", ["docx", "pdf", "ruled.pdf"])
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(damage=st.data())
def test_a_damaged_document_gives_a_document_or_a_refusal_never_a_crash(
        kind, damage, tmp_path_factory):
    data = bytearray(original(kind, tmp_path_factory))
    if damage.draw(st.booleans(), label="truncate"):
        data = data[: damage.draw(st.integers(1, len(data) - 1), label="cut at")]
    else:
        for _ in range(damage.draw(st.integers(1, 12), label="flips")):
            position = damage.draw(st.integers(0, len(data) - 1), label="position")
            data[position] = damage.draw(st.integers(0, 255), label="byte")
    path = tmp_path_factory.mktemp("damaged") / f"programma.{kind}"
    path.write_bytes(bytes(data))
    outcome: Document | UserError
    try:
        outcome = read_document(path)
    except UserError as refusal:
        outcome = refusal
    if isinstance(outcome, UserError):
        assert str(outcome).startswith(f"{path}: ")
    else:
        assert outcome.format in ("docx", "pdf", "text", "markdown")


def test_word_page_header_text_box_and_tracked_changes_read_as_the_page_shows_them(tmp_path):
    document = read_document(docs.write_edited_docx(tmp_path / "bewerkt.docx"))
    found = [(p.text, p.source.describe()) for p in paragraphs(document)]
    assert found == [
        (docs.ZAANDAM_HEADER, "header, paragraph 1"),
        ("Inloop vanaf 09.15 uur", "paragraph 1"),
        ("Keuzesessies - Ronde 2", "paragraph 2"),
        (docs.ZAANDAM_TEXT_BOX, "text box, paragraph 2"),
        ("Conceptueel en Circulair bouwen", "paragraph 3"),
    ]


def test_a_blank_line_between_tab_lines_does_not_end_the_table(tmp_path):
    path = tmp_path / "programma.txt"
    path.write_text("Tijd\t\t\n\n11.30 - 12.30\tKeuzesessies - Ronde 1\t\n\n"
                    "\tElke Regio Telt!\tSlim met Stroom\n\nToelichting op de onderdelen\n")
    document = read_document(path)
    schedule = tables(document)[0]
    assert [(row.source.line, filled(row)) for row in schedule.rows] == [
        (1, ["Tijd"]), (3, ["11.30 - 12.30", "Keuzesessies - Ronde 1"]),
        (5, ["Elke Regio Telt!", "Slim met Stroom"])]
    assert [(p.text, p.source.line) for p in paragraphs(document)] == [
        ("Toelichting op de onderdelen", 7)]


_LETTERS = "abcdeéëfgijklmnoöpqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-,:()!?'"
_WORD = st.text(alphabet=_LETTERS, min_size=1, max_size=8).filter(
    lambda word: not set(word) <= set(".-:,"))
_CELL = st.lists(_WORD, max_size=4).map(" ".join)


@st.composite
def _grids(draw) -> list[list[str]]:
    width = draw(st.integers(2, 6))
    rows = draw(st.lists(st.lists(_CELL, min_size=width, max_size=width), min_size=1,
                         max_size=8))
    rows[0][:2] = [draw(_WORD), draw(_WORD)]  # one row with two filled fields: a table
    return rows


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(grid=_grids())
def test_any_tab_separated_table_reads_back_cell_for_cell(tmp_path, grid):
    path = tmp_path / "programma.txt"
    path.write_text("".join("\t".join(row) + "\n" for row in grid), encoding="utf-8")
    schedule = tables(read_document(path))[0]
    # A line of nothing but tabs is a blank line, as a reader sees it.
    shown = [(number, row) for number, row in enumerate(grid, start=1) if any(row)]
    assert [[cell.text for cell in row.cells] for row in schedule.rows] == [
        row for _n, row in shown]
    assert [row.source.line for row in schedule.rows] == [number for number, _row in shown]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(grid=_grids())
def test_any_markdown_table_reads_back_cell_for_cell(tmp_path, grid):
    path = tmp_path / "programma.md"
    lines = ["| " + " | ".join(row) + " |" for row in grid]
    lines.insert(1, "|" + "---|" * len(grid[0]))
    path.write_text("Programma\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
    document = read_document(path)
    assert document.format == "markdown"
    schedule = tables(document)[0]
    assert [[cell.text for cell in row.cells] for row in schedule.rows] == grid
    assert [cell.source.column for cell in schedule.rows[-1].cells] == list(
        range(1, len(grid[0]) + 1))


@pytest.mark.parametrize("main", [
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
])
def test_a_macro_enabled_document_or_a_word_template_is_read_like_a_document(tmp_path, main):
    plain = docs.write_zaandam_docx(tmp_path / "zaandam.docx").read_bytes()
    path = tmp_path / "zaandam.docm"
    with zipfile.ZipFile(io.BytesIO(plain)) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "[Content_Types].xml":
                content = content.replace(
                    b"application/vnd.openxmlformats-officedocument.wordprocessingml."
                    b"document.main+xml", main.encode())
            target.writestr(item, content)
    document = read_document(path)
    assert document.format == "docx"
    assert tables(document)[0].rows[0].cells[1].text == "Inloop"


def test_a_pdf_table_without_lines_and_narrow_gutters_gives_one_row_per_item(tmp_path):
    document = read_document(docs.write_borderless_pdf(tmp_path / "almelo.pdf"))
    schedule = tables(document)[0]
    assert [[cell.text for cell in row.cells] for row in schedule.rows] == [
        [time, "\n".join(paragraphs), room] for time, paragraphs, room in docs.BORDERLESS_ROWS
    ]


def test_word_list_numbers_are_read_as_the_page_shows_them(tmp_path):
    document = read_document(docs.write_zaandam_docx(tmp_path / "zaandam.docx"))
    walks = [p.text for p in paragraphs(document)][-4:]
    assert walks == [
        "1. Stadswandeling Stadshart Zaandam met wethouder Stephanie Onclin",
        "2. Stadswandeling Monet", "3. Stadswandeling Zaanse houtbouw",
        "4. Vaartocht over de Zaan"]


def test_word_bullets_add_nothing_to_the_text(tmp_path):
    import docx

    word = docx.Document()
    word.add_paragraph("Vaartocht over de Zaan", style="List Bullet")
    word.add_paragraph("Stadswandeling Monet", style="List Number")
    word.save(str(tmp_path / "lijst.docx"))
    texts = [p.text for p in paragraphs(read_document(tmp_path / "lijst.docx"))]
    assert texts == ["Vaartocht over de Zaan", "1. Stadswandeling Monet"]


def test_a_pdf_of_several_pages_numbers_its_tables_through_and_names_each_page(tmp_path):
    document = read_document(docs.write_two_day_pdf(tmp_path / "tilburg.pdf"))
    kinds = [(type(b).__name__, b.source.page) for b in document.blocks]
    assert kinds == [("Paragraph", 1), ("Table", 1), ("Paragraph", 2), ("Table", 2)]
    for (heading, schedule), table, day in zip(
            docs.TILBURG_DAYS, tables(document), paragraphs(document), strict=True):
        assert day.text == heading and day.heading is not None
        assert [filled(row) for row in table.rows] == [
            [text for text in row if text] for row in schedule]
    second = tables(document)[1].rows[1].cells[1]
    assert second.source.describe() == "page 2, table 2, row 2, column 2, line 3"


def test_a_pdf_page_that_is_only_a_picture_is_noted_not_silently_skipped(tmp_path):
    document = read_document(docs.write_pdf_with_scanned_page(tmp_path / "deels.pdf"))
    assert [filled(row)[0] for row in tables(document)[0].rows] == [
        time for time, _lines in docs.DORDRECHT_SCHEDULE[:3]]
    assert document.notes == (
        "page 2 has no text, only a picture (a scanned page?): nothing on it was read",)
    clean = read_document(docs.write_dordrecht_pdf(tmp_path / "heel.pdf"))
    assert clean.notes == ()


def test_a_word_document_with_only_a_picture_is_refused_and_pictures_beside_text_noted(
        tmp_path):
    import docx
    from PIL import Image

    picture = tmp_path / "programma.png"
    Image.new("RGB", (300, 400), "white").save(picture)
    scanned = docx.Document()
    scanned.add_picture(str(picture))
    scanned.save(str(tmp_path / "scan.docx"))
    assert "no text, only pictures" in refused(tmp_path / "scan.docx")
    docx.Document().save(str(tmp_path / "leeg.docx"))
    assert "the Word document is empty" in refused(tmp_path / "leeg.docx")
    with_logo = docx.Document()
    with_logo.add_picture(str(picture))
    with_logo.add_paragraph(docs.ZAANDAM_TITLE, style="Title")
    with_logo.save(str(tmp_path / "logo.docx"))
    document = read_document(tmp_path / "logo.docx")
    assert [p.text for p in paragraphs(document)] == [docs.ZAANDAM_TITLE]
    assert document.notes == ("the document has 1 picture(s); text inside pictures is not read",)


def test_a_web_page_is_refused_asking_for_the_word_document(tmp_path):
    path = tmp_path / "programma.htm"
    path.write_text("<html xmlns:o='urn:schemas-microsoft-com:office:office'><body>"
                    "<p>09.30 Inloop</p></body></html>")
    assert "this is a web page (HTML)" in refused(path)


def test_word_hyphens_hidden_text_and_soft_hyphens_read_as_the_page_shows_them(tmp_path):
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    word = docx.Document()
    paragraph = word.add_paragraph()
    paragraph._p.append(parse_xml(
        f'<w:r {nsdecls("w")}><w:t>G40</w:t><w:noBreakHyphen/><w:t>steden en '
        'gemeente\u00adlijke ﬁnanciën</w:t></w:r>'))
    paragraph._p.append(parse_xml(
        f'<w:r {nsdecls("w")}><w:rPr><w:vanish/></w:rPr><w:t> (concept, niet delen)</w:t></w:r>'))
    word.save(str(tmp_path / "tekens.docx"))
    texts = [p.text for p in paragraphs(read_document(tmp_path / "tekens.docx"))]
    assert texts == ["G40-steden en gemeentelijke financiën"]


def test_ligatures_and_invisible_characters_in_a_text_file_are_read_plainly(tmp_path):
    path = tmp_path / "programma.txt"
    path.write_text("11.30\u00a0-\u00a012.30\tGemeentelijke ﬁnanciën\u200b\tof\u00adﬁce\n")
    row = tables(read_document(path))[0].rows[0]
    assert [c.text for c in row.cells] == ["11.30 - 12.30", "Gemeentelijke financiën", "office"]


def test_a_pdf_typed_with_tabs_splits_time_and_title_at_a_narrow_tab_gap(tmp_path):
    schedule = tables(read_document(docs.write_tab_stop_pdf(tmp_path / "zaandam.pdf")))[0]
    expected = [*docs.ZAANDAM_PLAIN_ROWS, docs.ZAANDAM_CLOSING]
    assert [filled(row) for row in schedule.rows] == [
        [time, paragraphs[0]] for time, paragraphs in expected]


def test_justified_running_text_over_pages_stays_one_paragraph_per_paragraph_across_pages(
        tmp_path):
    written = docs.write_justified_pdf(tmp_path / "toelichting.pdf")
    document = read_document(tmp_path / "toelichting.pdf")
    assert not tables(document)  # wide word spaces in justified lines are no columns
    assert [" ".join(p.text.split()) for p in paragraphs(document)] == [
        " ".join(p.split()) for p in written]
    # several pages, so paragraphs run on over page breaks (and read as one)
    assert len({p.source.page for p in paragraphs(document)}) > 2


def test_an_html_table_in_markdown_keeps_its_merged_cells_and_paragraphs(tmp_path):
    document = read_document(docs.write_markdown_with_html_table(tmp_path / "almelo.md"))
    assert document.format == "markdown"
    schedule = tables(document)[0]
    first, second = docs.ALMELO_ROUND_SESSIONS[:2]
    round_time, round_title, _room = docs.ALMELO_ROUND
    assert [[(c.text, c.span, c.continued) for c in row.cells] for row in schedule.rows] == [
        [("Tijd", 1, False), ("Onderdeel", 1, False), ("Zaal", 1, False)],
        [(docs.ALMELO_PLAIN_ROWS[1][0], 1, False),
         ("\n".join(docs.ALMELO_PLAIN_ROWS[1][1]), 1, False), ("Grote kerk", 1, False)],
        [(round_time, 1, False), (round_title, 2, False)],
        [(round_time, 1, True), (f"{first.title}\n{first.detail}", 1, False),
         (first.room, 1, False)],
        [(round_time, 1, True), (second.title, 1, False), (second.room, 1, False)],
    ]
    assert [row.source.line for row in schedule.rows] == [6, 8, 9, 10, 11]
    assert [c.source.column for c in schedule.rows[3].cells] == [1, 2, 3]
    heading = paragraphs(document)[-1]
    assert (heading.text, heading.heading, heading.source.line) == (
        "Toelichting op de onderdelen", 2, 15)


@st.composite
def _merged_grids(draw) -> tuple[list[list[tuple[str, int]]], list[int]]:
    """Rows of (text, colspan) pieces over the columns after the first, and how many rows
    each first-column cell spans."""
    width = draw(st.integers(1, 4))
    rows = draw(st.integers(1, 6))
    groups: list[int] = []
    while sum(groups) < rows:
        groups.append(draw(st.integers(1, rows - sum(groups))))
    pieces = []
    for _row in range(rows):
        left, row = width, []
        while left:
            span = draw(st.integers(1, left))
            row.append((draw(_WORD), span))
            left -= span
        pieces.append(row)
    return pieces, groups


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(grid=_merged_grids(), times=st.lists(_WORD, min_size=6, max_size=6))
def test_any_html_table_with_merged_cells_reads_back_on_its_grid(tmp_path, grid, times):
    pieces, groups = grid
    html, expected = ["<table>"], []
    row = 0
    for group, size in enumerate(groups):
        for offset in range(size):
            first = (f'<td rowspan="{size}">{times[group]}</td>' if offset == 0 else "")
            cells = "".join(f'<td colspan="{span}">{text}</td>' for text, span in pieces[row])
            html.append(f"<tr>{first}{cells}</tr>")
            expected.append([(times[group], 1, offset > 0)]
                            + [(text, span, False) for text, span in pieces[row]])
            row += 1
    html.append("</table>")
    path = tmp_path / "programma.md"
    path.write_text("# Programma\n\n" + "\n".join(html) + "\n", encoding="utf-8")
    schedule = tables(read_document(path))[0]
    assert [[(c.text, c.span, c.continued) for c in r.cells] for r in schedule.rows] == expected
    for table_row in schedule.rows:
        columns = [c.source.column for c in table_row.cells]
        spans = [c.span for c in table_row.cells]
        assert columns == [1 + sum(spans[:i]) for i in range(len(spans))]


def test_a_pdf_that_only_restricts_printing_and_copying_is_read(tmp_path):
    path = docs.write_protected_pdf(tmp_path / "beperkt.pdf", password="")
    assert [p.text for p in paragraphs(read_document(path))] == [docs.DORDRECHT_TITLE]


def test_session_rows_without_a_time_under_a_round_row_of_a_tight_pdf_table_are_rows(
        tmp_path):
    # No lines, no padding between rows: only the cells a line fills tell a new row (a
    # session with its room) from a title that wrapped.
    from fpdf import FPDF

    rows = [("10.45 - 12.00", "Keuzesessies ronde 1", ""),
            ("", "Themagroep Wonen, Welzijn en Zorg: langer thuis", "Zaal 2"),
            ("", "Themagroep Sterke Keten: de digitale overheid", "Zaal 3"),
            ("12.00 - 13.00", "Lunch", "Foyer"),
            ("13.00 - 14.00", "Plenaire afsluiting met een lange titel die in de cel", "Zaal 1"),
            ("", "doorloopt", ""),
            ("14.00 - 14.30", "Borrel", "Foyer")]
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "", 11)
    for time, title, room in rows:
        pdf.cell(35, 7, time)
        pdf.cell(110, 7, title)
        pdf.cell(40, 7, room, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(tmp_path / "apeldoorn.pdf"))
    [schedule] = tables(read_document(tmp_path / "apeldoorn.pdf"))
    texts = [[cell.text for cell in row.cells] for row in schedule.rows]
    assert texts[:4] == [list(r) for r in rows[:4]]
    assert texts[4][0] == "13.00 - 14.00" and texts[4][1].startswith("Plenaire afsluiting")
    assert texts[4][1].endswith("doorloopt") and texts[5] == list(rows[6])

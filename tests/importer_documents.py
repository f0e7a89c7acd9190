"""Real programme documents for the importer tests, written from the bureau's own texts.

The texts are those of the shipped programmes (Almelo, Dordrecht, Zaandam; see
``programmes/sources/``), laid out the ways the bureau lays them out: a Word table
with a round's sessions in rows under the round (Almelo) or side by side in columns
(Zaandam), merged cells, several paragraphs in a cell, a "Toelichting" part with headings;
a PDF with times in a left column and titles in a right one (Dordrecht), the same with
ruled table lines; and a scan (a PDF of an image, no text).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROGRAMME_TEXTS = Path(__file__).resolve().parent.parent / "programmes" / "sources"


@dataclass(frozen=True)
class Session:
    title: str
    detail: str
    room: str = ""


# --- Almelo: sessions in rows under their round's row ----------------------------------------

ALMELO_TITLE = "Ambtelijke netwerkdag G40 Stedennetwerk in Almelo"
ALMELO_DATE = "Donderdag 11 januari 2024"
ALMELO_VENUE = "Locatie: Grote Kerk, Kerkstraat, centrum Almelo"

# (time, paragraphs of the item cell, room)
ALMELO_PLAIN_ROWS = [
    ("09.30 - 10.00", ["Inloop"], "Grote kerk"),
    (
        "10.00 - 10.15",
        [
            "Opening",
            "Gemeentesecretaris van Almelo, Johan Dijkstra en G40-secretaris Genie Hendriks "
            "heten u welkom. We toosten samen op het nieuwe jaar!",
        ],
        "Grote kerk",
    ),
    (
        "10.15 - 11.30",
        [
            "In gesprek met Josse de Voogd over de verkiezingsuitslagen en onze steden",
            "Plenaire sessie met electoraal geograaf en onderzoeker Josse de Voogd.",
        ],
        "Grote kerk",
    ),
    ("11.30 - 12.00", ["Verplaatsen naar het volgende onderdeel (met touringcar)"], ""),
]
ALMELO_VISITS = ("12.00 - 13.30", "Werkbezoek en vergaderen op locatie, incl. lunch")
ALMELO_VISIT_LOCATIONS = [
    ("Locatie 1", "Indië Almelo", "Pijler Fysiek, Pijler Economie en Werk en Themagroep "
     "Leefomgeving en Stedelijke Transformatie"),
    ("Locatie 2", "De Hagedoorn", "Pijler Sociaal"),
]
ALMELO_ROUND = ("14.00 - 15.00", "Keuze sessies - ronde I", "Stadhuis - 1e en 19e verdieping")
ALMELO_ROUND_SESSIONS = [
    Session("G40 coordinatoren overleg", "O.a. BZK, Agenda Stad en lobby.",
            "1.1 Ambt Almelo (1e verdieping)"),
    Session("Pijler Economie en Werk", "Human capital agenda en Impact ondernemen",
            "Raadzaal (1e verdieping)"),
    Session("Themagroep Zorg, Jeugd en Onderwijs", "", "19 Atelier (19e verdieping)"),
    Session("Themagroep Europa", "", "1.2 Stad Almelo (1e verdieping)"),
]
ALMELO_CLOSING = ("16.00", ["Afsluiting met een hapje en drankje"], "Stadhuis - foyer")
ALMELO_EXPLANATION = [
    # (heading level or "bold" or None for a paragraph, text)
    (1, "Toelichting op de onderdelen"),
    (2, "In gesprek met Josse de Voogd; de verkiezingsuitslagen en onze steden "
        "(10.15 - 11.30 uur)"),
    (None, "In de Grote Kerk gaan we in gesprek met electoraal geograaf, onderzoeker en "
           "publicist Josse de Voogd, medesamensteller van de Atlas van Afgehaakt Nederland en "
           "landelijk bekend van het duiden van verkiezingsuitslagen."),
    (2, "Keuzes sessies - ronde 1 (Stadhuis van Almelo, 14.00 - 15.00 uur)"),
    ("bold", "G40-coördinatorenoverleg"),
    (None, "De G40-coördinatoren ontmoeten elkaar weer fysiek tijdens deze ambtelijke "
           "netwerkdag."),
    ("bold", "Themagroep Europa"),
    (None, "We gaan met elkaar in gesprek over wat gemeenten doen in Brussel en wat kunnen we "
           "als G40 gemeenten samen (kunnen) doen."),
]


def write_almelo_docx(path: Path) -> Path:
    """Almelo as a Word table time | item | room, the round's sessions in rows under it.

    The round's time cell is merged down over its sessions (vertical merge), the visits row
    holds a nested table of the two locations, and items have several paragraphs in a cell.
    """
    import docx

    document = docx.Document()
    document.add_paragraph(ALMELO_TITLE, style="Title")
    document.add_paragraph(ALMELO_DATE)
    document.add_paragraph(ALMELO_VENUE)
    table = document.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    _fill_cell(table.rows[0].cells[0], ["Tijd"], bold=True)
    _fill_cell(table.rows[0].cells[1], ["Onderdeel"], bold=True)
    _fill_cell(table.rows[0].cells[2], ["Zaal"], bold=True)
    for time, paragraphs, room in ALMELO_PLAIN_ROWS:
        _add_row(table, [time], paragraphs, [room])
    visits = table.add_row().cells
    _fill_cell(visits[0], [ALMELO_VISITS[0]])
    _fill_cell(visits[1], [ALMELO_VISITS[1]])
    nested = visits[1].add_table(rows=0, cols=2)
    for label, place, organisers in ALMELO_VISIT_LOCATIONS:
        cells = nested.add_row().cells
        _fill_cell(cells[0], [label])
        _fill_cell(cells[1], [place, organisers])
    round_time, round_title, round_room = ALMELO_ROUND
    round_row = _add_row(table, [round_time], [round_title], [round_room])
    last = round_row
    for session in ALMELO_ROUND_SESSIONS:
        paragraphs = [session.title] + ([session.detail] if session.detail else [])
        last = _add_row(table, [""], paragraphs, [session.room])
    round_row.cells[0].merge(last.cells[0])  # the round's time, merged down its sessions
    _fill_cell(round_row.cells[0], [round_time])
    _add_row(table, [ALMELO_CLOSING[0]], ALMELO_CLOSING[1], [ALMELO_CLOSING[2]])
    _add_explanation(document, ALMELO_EXPLANATION)
    document.save(str(path))
    return path


# --- Zaandam: sessions side by side in columns -----------------------------------------------

ZAANDAM_TITLE = "Bestuurlijke netwerkdag Zaandam"
ZAANDAM_PLAIN_ROWS = [
    ("09.15 - 09.45", ["Inloop"]),
    ("09.45 - 10.00", ["Opening", "Welkom door burgemeester Jan Hamming en G40-voorzitter Paul "
                       "Depla. Inclusief toelichting op stand van zaken G40 PA Plan."]),
    ("10.00 - 11.00", ["Plenair - Migratie", "In gesprek over Migratie met Marco Pastors van de "
                       "Staatscommissie Demografische Ontwikkelingen 2050."]),
    ("11.00 - 11.30", ["Tijd voor koffie / thee / verplaatsen"]),
]
ZAANDAM_ROUND = ("11.30 - 12.30", "Keuzesessies - Ronde 1")
ZAANDAM_ROUND_SESSIONS = [
    "Elke Regio Telt!",
    "Slim met Stroom",
    "Gemeentelijke financiën",
    "Migratie en Werk",
    "Verdelen van de schaarse woningvoorraad",
]
ZAANDAM_LUNCH = (
    "12.30 - 14.00",
    ["Lunch", "Tijdens de lunch kunt u ook kiezen voor: (start 12.45 uur, incl. lunchpakket)",
     "1. Stadswandeling Stadshart Zaandam", "2. Stadswandeling Monet"],
    ["13.00 - 14.00 uur", "In gesprek met Oleksandr Karasevych", "De ambassadeur van Oekraïne."],
)
ZAANDAM_PILLARS = ("15.30 - 16.30", "Pijlersessies")
ZAANDAM_PILLAR_SESSIONS = [
    "Pijler Sociaal\nVernieuwend leiderschap sociaal domein",
    "Pijler Fysiek\nSamenwerken in het fysiek domein met Marleen Hermans (TU Delft)",
    "",
    "Pijler Economie en Werk\nUpdate Pilots MKB dienstverlening",
    "",
]
ZAANDAM_CLOSING = ("16.30", ["Afsluiting met hapje en drankje"])
ZAANDAM_EXPLANATION = [
    (1, "Toelichting op de onderdelen"),
    (2, "Keuze sessies ronde 1 (11.30 - 12.30 uur)"),
    (3, "Slim met Stroom, aanpak netcongestie"),
    (None, "Gerard Schouw, landelijke aanjager, over aanpak netcongestie op bedrijventerreinen"),
    (3, "Gemeentelijke financiën"),
    (None, "Op deze netwerkdag blikken we terug op de extra ALV van de VNG van 24 mei 2024."),
    (2, "Lunch-activiteiten (12.30 - 14.00 uur)"),
    (None, "Rondleidingen (start 12.45 uur, inclusief lunchpakket)"),
    # Word's own numbered list: the numbers are not in the text, Word draws them
    ("numbered", "Stadswandeling Stadshart Zaandam met wethouder Stephanie Onclin"),
    ("numbered", "Stadswandeling Monet"),
    ("numbered", "Stadswandeling Zaanse houtbouw"),
    ("numbered", "Vaartocht over de Zaan"),
]
SESSION_COLUMNS = 5


def write_zaandam_docx(path: Path) -> Path:
    """Zaandam as a Word table: time, then the sessions of a round side by side.

    An item's text spans all five session columns (horizontal merge); the round's time is
    merged down over the row of its sessions; the lunch row has a second item in the last
    two columns.
    """
    import docx

    document = docx.Document()
    document.add_paragraph(ZAANDAM_TITLE, style="Title")
    table = document.add_table(rows=0, cols=1 + SESSION_COLUMNS)
    table.style = "Table Grid"
    for time, paragraphs in ZAANDAM_PLAIN_ROWS:
        _spanning_row(table, time, paragraphs)
    round_row = _spanning_row(table, ZAANDAM_ROUND[0], [ZAANDAM_ROUND[1]])
    sessions = table.add_row()
    for cell, title in zip(sessions.cells[1:], ZAANDAM_ROUND_SESSIONS, strict=True):
        _fill_cell(cell, [title])
    round_row.cells[0].merge(sessions.cells[0])
    _fill_cell(round_row.cells[0], [ZAANDAM_ROUND[0]])
    lunch = table.add_row().cells
    _fill_cell(lunch[0], [ZAANDAM_LUNCH[0]])
    merged = lunch[1].merge(lunch[3])
    _fill_cell(merged, ZAANDAM_LUNCH[1])
    side = lunch[4].merge(lunch[5])
    _fill_cell(side, ZAANDAM_LUNCH[2])
    pillar_row = _spanning_row(table, ZAANDAM_PILLARS[0], [ZAANDAM_PILLARS[1]])
    pillars = table.add_row()
    for cell, text in zip(pillars.cells[1:], ZAANDAM_PILLAR_SESSIONS, strict=True):
        _fill_cell(cell, text.split("\n") if text else [])
    pillar_row.cells[0].merge(pillars.cells[0])
    _fill_cell(pillar_row.cells[0], [ZAANDAM_PILLARS[0]])
    _spanning_row(table, ZAANDAM_CLOSING[0], ZAANDAM_CLOSING[1])
    _add_explanation(document, ZAANDAM_EXPLANATION)
    document.save(str(path))
    return path


def write_tabbed_docx(path: Path) -> Path:
    """Zaandam's schedule typed as paragraphs with tabs, no Word table (a common layout)."""
    import docx

    document = docx.Document()
    document.add_paragraph(ZAANDAM_TITLE, style="Heading 1")
    for time, paragraphs in ZAANDAM_PLAIN_ROWS:
        document.add_paragraph(f"{time}\t{paragraphs[0]}")
    document.add_paragraph(f"{ZAANDAM_ROUND[0]}\t{ZAANDAM_ROUND[1]}")
    document.add_paragraph("\t" + "\t".join(ZAANDAM_ROUND_SESSIONS[:2]))
    document.add_paragraph("\t" + ZAANDAM_ROUND_SESSIONS[2])
    document.add_paragraph("Toelichting\top de onderdelen", style="Heading 2")
    document.save(str(path))
    return path


def _fill_cell(cell, paragraphs: list[str], bold: bool = False) -> None:
    """Replace a cell's content by these paragraphs (a fresh cell has one empty one)."""
    for existing in list(cell.paragraphs):
        existing._element.getparent().remove(existing._element)
    for text in paragraphs:
        run = cell.add_paragraph().add_run(text)
        run.bold = bold or None
    if not paragraphs:
        cell.add_paragraph()


def _add_row(table, first: list[str], middle: list[str], last: list[str]):
    row = table.add_row()
    _fill_cell(row.cells[0], [text for text in first if text])
    _fill_cell(row.cells[1], middle)
    _fill_cell(row.cells[2], [text for text in last if text])
    return row


def _spanning_row(table, time: str, paragraphs: list[str]):
    row = table.add_row()
    _fill_cell(row.cells[0], [time])
    merged = row.cells[1].merge(row.cells[-1])
    _fill_cell(merged, paragraphs)
    return row


def _add_explanation(document, explanation) -> None:
    for kind, text in explanation:
        if kind == "bold":
            document.add_paragraph().add_run(text).bold = True
        elif kind == "numbered":
            document.add_paragraph(text, style="List Number")
        elif kind is None:
            document.add_paragraph(text)
        else:
            document.add_paragraph(text, style=f"Heading {kind}")


# --- PDF -------------------------------------------------------------------------------------

# Dordrecht as the bureau's PDF: times in a left column, titles (bold) and their description
# (plain, wrapping over lines) in a right column; the sessions of a round under the round.
DORDRECHT_TITLE = "Ambtelijke netwerkdag Dordrecht"
DORDRECHT_SCHEDULE = [
    ("09.30 - 10.00", [("Inloop met koffie en thee", True)]),
    ("10.00 - 10.45", [
        ("Plenaire start - welkom en samen werken met het rijk", True),
        ("Carlo Post, gemeentesecretaris van Dordrecht, en G40-secretaris Genie Hendriks heten "
         "iedereen welkom! Vervolgens gaan we - samen met collega's van BZK - in gesprek over de "
         "samenwerking van de G40 en het ministerie van BZK.", False),
    ]),
    ("10.45 - 11.00", [("Koffie en thee en verplaatsen naar het volgende onderdeel", True)]),
    ("11.00 - 12.00", [("Keuze sessies - ronde 1", True)]),
    ("", [("G40-overleg voor lobbyisten en coördinatoren", True),
          ("Gezamenlijke verdieping op de samenwerking met BZK.", False)]),
    ("", [("Mooi Nederland", True),
          ("In gesprek met Paola Huijding, afdelingshoofd Ruimtelijke Kwaliteit bij het "
           "ministerie VRO over het maken van keuzes in de beperkte ruimte.", False)]),
    ("16.30", [("Afsluiting met hapje en drankje", True)]),
]
# (font size, bold, text): the "Toelichting" in full-width paragraphs that wrap over lines
DORDRECHT_EXPLANATION = [
    (16, True, "Toelichting op de onderdelen"),
    (12, True, "Keuze sessies - ronde 1 (11.00 - 12.00 uur)"),
    (10, True, "G40 overleg voor lobbyisten en coördinatoren"),
    (10, False, "In deze verdiepende sessie praten we verder naar aanleiding van de plenaire "
                "aftrap, de samenwerking met het Rijk. Samen met collega's van BZK verkennen we "
                "de kansen van een gezamenlijke agenda."),
    (10, True, "Mooi Nederland"),
    (10, False, "TG Leefomgeving en Stedelijke Transformatie + Pijler economie"),
    (10, False, "Nederland verandert continu. Bij deze permanente, grote verbouwing is het "
                "belangrijk om in alle grote opgaven - van de woningbouwopgave tot de "
                "verduurzaming van onze energie en economie - ruimtelijk kwaliteit leidend te "
                "laten zijn. Zodat we straks in een in alle opzichten mooi, functioneel en "
                "toekomstbestendig Nederland leven."),
]
TIME_X, TITLE_X, TITLE_WIDTH = 20, 52, 120  # millimetres


def write_dordrecht_pdf(path: Path) -> Path:
    """Two columns without lines: only the positions of the words tell time from title."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.text(TIME_X, 25, DORDRECHT_TITLE)
    y = 42.0
    for time, lines in DORDRECHT_SCHEDULE:
        pdf.set_font("Helvetica", "", 10)
        if time:
            pdf.text(TIME_X, y, time)
        for text, bold in lines:
            pdf.set_font("Helvetica", "B" if bold else "", 10)
            # The title column is 120 mm wide; a long description wraps over lines in it.
            for wrapped in pdf.multi_cell(TITLE_WIDTH, 5, text, dry_run=True, output="LINES"):
                pdf.text(TITLE_X, y, wrapped)
                y += 5
        y += 4  # the space between two items
    y += 6
    for size, bold, text in DORDRECHT_EXPLANATION:
        pdf.set_font("Helvetica", "B" if bold else "", size)
        for wrapped in pdf.multi_cell(170, 5, text, dry_run=True, output="LINES"):
            pdf.text(TIME_X, y, wrapped)
            y += 5 + (size - 10) / 2
        y += 3  # the space after a paragraph
    pdf.output(str(path))
    return path


def write_ruled_pdf(path: Path) -> Path:
    """Almelo's afternoon as a table drawn with lines: time | item | room, the round's time
    merged down over its sessions and the round's title across item and room."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, ALMELO_TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 8, ALMELO_DATE, new_x="LMARGIN", new_y="NEXT")
    round_time, round_title, _room = ALMELO_ROUND
    # padding 2 mm: about the margin Word gives a cell (0.19 cm)
    with pdf.table(col_widths=(30, 100, 60), first_row_as_headings=False, padding=2) as table:
        header = table.row()
        for text in ("Tijd", "Onderdeel", "Zaal"):
            header.cell(text)
        for time, paragraphs, room in ALMELO_PLAIN_ROWS[:3]:
            row = table.row()
            row.cell(time)
            row.cell("\n".join(paragraphs))
            row.cell(room)
        row = table.row()
        row.cell(round_time, rowspan=1 + len(ALMELO_ROUND_SESSIONS[:2]))
        row.cell(round_title, colspan=2)
        for session in ALMELO_ROUND_SESSIONS[:2]:
            row = table.row()
            row.cell(session.title)
            row.cell(session.room)
    pdf.output(str(path))
    return path


def write_protected_pdf(path: Path, password: str = "geheim") -> Path:
    """A PDF that asks for a password to open (``password=""``: one that opens freely but
    restricts printing and copying, as many exported programmes do)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "", 12)
    pdf.text(20, 20, DORDRECHT_TITLE)
    pdf.set_encryption(owner_password="bureau", user_password=password)
    pdf.output(str(path))
    return path


def write_scanned_pdf(path: Path) -> Path:
    """A scan: the programme as a picture in a PDF, no text layer."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(image)
    y = 120
    for time, lines in DORDRECHT_SCHEDULE:
        draw.text((120, y), time, fill="black")
        draw.text((320, y), lines[0][0], fill="black")
        y += 60
    image.save(path, "PDF", resolution=150)
    return path


# --- Word beyond the body: page header, text box, tracked changes ----------------------------

ZAANDAM_HEADER = "G40 Stedennetwerk - Bestuurlijke netwerkdag Zaandam"
ZAANDAM_TEXT_BOX = "Let op: de Themagroep Veiligheid duurt tot 15.30 uur"


def write_edited_docx(path: Path) -> Path:
    """A Word document as the bureau leaves it after editing: the day's name in the page
    header, a note in a text box, and a time changed with Track Changes still on
    (09.00 deleted, 09.15 inserted)."""
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = ZAANDAM_HEADER
    edited = document.add_paragraph()
    edited.add_run("Inloop vanaf ")
    edited._p.append(parse_xml(
        f'<w:del {nsdecls("w")} w:id="1" w:author="Bureau" w:date="2024-05-01T10:00:00Z">'
        '<w:r><w:delText>09.00</w:delText></w:r></w:del>'))
    edited._p.append(parse_xml(
        f'<w:ins {nsdecls("w")} w:id="2" w:author="Bureau" w:date="2024-05-01T10:00:00Z">'
        '<w:r><w:t>09.15</w:t></w:r></w:ins>'))
    edited.add_run(" uur")
    anchored = document.add_paragraph("Keuzesessies - Ronde 2")
    anchored._p.append(parse_xml(
        f'<w:r {nsdecls("w")} xmlns:v="urn:schemas-microsoft-com:vml"><w:pict>'
        '<v:shape style="width:200pt;height:40pt"><v:textbox><w:txbxContent>'
        f'<w:p><w:r><w:t>{ZAANDAM_TEXT_BOX}</w:t></w:r></w:p>'
        '</w:txbxContent></v:textbox></v:shape></w:pict></w:r>'))
    document.add_paragraph("Conceptueel en Circulair bouwen")
    document.save(str(path))
    return path


def write_borderless_pdf(path: Path) -> Path:
    """Almelo's morning and round as a table without lines, as Word prints one: narrow
    gutters (the cells' padding), the time and room centred beside a title of several
    lines, the round's sessions each in a row with the round's time."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, ALMELO_TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    with pdf.table(col_widths=(25, 110, 55), borders_layout="NONE", line_height=5,
                   padding=2, first_row_as_headings=False) as table:
        for time, paragraphs, room in BORDERLESS_ROWS:
            row = table.row()
            for text in (time, "\n".join(paragraphs), room):
                row.cell(text)
    pdf.output(str(path))
    return path


BORDERLESS_ROWS = [
    *ALMELO_PLAIN_ROWS,
    *((ALMELO_ROUND[0], [s.title, s.detail] if s.detail else [s.title], s.room)
      for s in ALMELO_ROUND_SESSIONS),
]


# Tilburg's two days, one page each (the times the OCR'd text states).
TILBURG_DAYS = [
    ("Dag 1 - donderdag 25 september 2025 - Spoorzone Tilburg (LocHal)", [
        ("12.00 - 13.00", "Inloop met lunch", ""),
        ("13.00 - 13.20", "Opening", "Glazen zaal"),
        ("13.20 - 14.30", "Openingsdebat: Stad van iedereen", "Glazen zaal"),
    ]),
    ("Dag 2 - vrijdag 26 september 2025 - Stadhuis gemeente Tilburg", [
        ("09.15 - 09.45", "Inloop met koffie en thee", ""),
        ("11.00 - 11.15", "Zaalwissel", ""),
    ]),
]


def write_two_day_pdf(path: Path) -> Path:
    """A programme of two days, a page each: time, title and room in three columns."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    for heading, schedule in TILBURG_DAYS:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        pdf.text(TIME_X, 25, heading)
        y = 40.0
        for time, title, room in schedule:
            pdf.set_font("Helvetica", "", 10)
            pdf.text(TIME_X, y, time)
            pdf.text(TITLE_X, y, title)
            if room:
                pdf.text(150, y, room)
            y += 8
    pdf.output(str(path))
    return path


def write_pdf_with_scanned_page(path: Path) -> Path:
    """Dordrecht's programme with a scanned page added after it (a picture, no text)."""
    import io

    from fpdf import FPDF
    from PIL import Image

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.text(TIME_X, 25, DORDRECHT_TITLE)
    pdf.set_font("Helvetica", "", 10)
    for number, (time, lines) in enumerate(DORDRECHT_SCHEDULE[:3]):
        pdf.text(TIME_X, 40 + 8 * number, time)
        pdf.text(TITLE_X, 40 + 8 * number, lines[0][0])
    pdf.add_page()
    scan = io.BytesIO()
    Image.new("RGB", (600, 800), "white").save(scan, "PNG")
    pdf.image(scan, x=10, y=10, w=190)
    pdf.output(str(path))
    return path


def write_tab_stop_pdf(path: Path) -> Path:
    """Zaandam's schedule as Word prints paragraphs typed with a tab: the titles start at
    a tab stop just past the longest time, a gap of barely two spaces."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.text(TIME_X, 25, ZAANDAM_TITLE)
    pdf.set_font("Helvetica", "", 10)
    tab_stop = TIME_X + pdf.get_string_width("09.45 - 10.00") + 2.2  # mm
    y = 40.0
    for time, paragraphs in [*ZAANDAM_PLAIN_ROWS, (ZAANDAM_CLOSING[0], ZAANDAM_CLOSING[1])]:
        pdf.text(TIME_X, y, time)
        pdf.text(tab_stop, y, paragraphs[0])
        y += 6
    pdf.output(str(path))
    return path


def dordrecht_explanation_paragraphs() -> list[str]:
    """The "Toelichting" of Dordrecht's text, paragraph by paragraph, in Latin-1 (what
    the PDF core fonts can write: typographic quotes and dashes made plain)."""
    text = (PROGRAMME_TEXTS / "dordrecht-ambtelijke-netwerkdag.txt").read_text(encoding="utf-8")
    explanation = text.split("Toelichting op de onderdelen", 1)[1]
    plain = explanation.translate(str.maketrans("‘’“”–…", "''\"\"-.", ""))
    return [line.strip() for line in plain.split("\n") if line.strip()]


def write_justified_pdf(path: Path) -> list[str]:
    """Dordrecht's "Toelichting" as justified running text over several pages; returns the
    paragraphs written."""
    from fpdf import FPDF

    paragraphs = dordrecht_explanation_paragraphs()
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", "", 10)
    for paragraph in paragraphs:
        pdf.multi_cell(170, 5, paragraph, align="J", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.output(str(path))
    return paragraphs


def write_markdown_with_html_table(path: Path) -> Path:
    """Almelo as a converter writes a Word table with merged cells into Markdown: as HTML,
    the round's time spanning its sessions' rows, the round's title spanning two columns,
    several paragraphs in a cell."""
    time, paragraphs, room = ALMELO_PLAIN_ROWS[1]
    round_time, round_title, _room = ALMELO_ROUND
    first, second = ALMELO_ROUND_SESSIONS[:2]
    opening = "".join(f"<p>{text}</p>" for text in paragraphs)
    path.write_text(
        f"# {ALMELO_TITLE}\n\n{ALMELO_DATE}\n\n"
        "<table>\n"
        "<thead><tr><th>Tijd</th><th>Onderdeel</th><th>Zaal</th></tr></thead>\n"
        "<tbody>\n"
        f"<tr><td>{time}</td><td>{opening}</td><td>{room}</td></tr>\n"
        f'<tr><td rowspan="3">{round_time}</td><td colspan="2">{round_title}</td></tr>\n'
        f"<tr><td>{first.title}<br>{first.detail}</td><td>{first.room}</td></tr>\n"
        f"<tr><td>{second.title}</td><td>{second.room}</td></tr>\n"
        "</tbody>\n"
        "</table>\n\n"
        "## Toelichting op de onderdelen\n",
        encoding="utf-8",
    )
    return path

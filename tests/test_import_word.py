"""A Word programme in the bureau's style, written by the test with python-docx."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from g40cal.cli import cli

REPO = Path(__file__).resolve().parent.parent


def write_programme(path: Path) -> Path:
    """Time | item columns; a round's sessions side by side, each cell title (bold),
    organisers, description and room as paragraphs; a lunch with numbered walks."""
    import docx

    document = docx.Document()
    document.add_paragraph("Ambtelijke netwerkdag Helmond", style="Title")
    document.add_paragraph("Donderdag 12 maart 2026")
    document.add_paragraph("Locatie: Theater Het Speelhuis, Speelhuisplein 1, Helmond")
    table = document.add_table(rows=0, cols=4)

    def row(time: str, *cells: str) -> None:
        fields = table.add_row().cells
        fields[0].text = time
        for field, text in zip(fields[1:], cells, strict=False):
            first, *more = text.split("\n")
            field.text = first
            if first:
                field.paragraphs[0].runs[0].bold = True
            for paragraph in more:
                field.add_paragraph(paragraph)

    row("09.30 - 10.00", "Inloop met koffie en thee")
    row("10.00 - 10.45", "Plenaire opening\nWethouder Jan de Vries heet iedereen welkom.")
    row("11.00 - 12.00", "Keuzesessies ronde 1")
    row("", "Wonen in de binnenstad\nTG Woningmarkt\nWe bespreken de woningbouwopgave.\nStudio 1",
        "Kansen in Europa\nEen terugblik op de EWRC.\nzaal IJssel",
        "Gemeentefinanciën\nDe laatste stand van zaken.\nRaadzaal")
    row("12.00 - 13.00", "Lunch\nTijdens de lunch kunt u kiezen voor:\n1. Stadswandeling door "
        "het centrum (vertrek 12.15 uur, max. 20 personen)\n2. Fietstocht langs de Aa met de "
        "fiets")
    row("14.00", "Afsluiting met een borrel")
    document.add_paragraph("Toelichting op de onderdelen", style="Heading 1")
    document.add_paragraph("Wonen in de binnenstad", style="Heading 2")
    document.add_paragraph("Sprekers: Anna de Vries (wethouder) en Piet Jansen (corporatie)")
    document.add_paragraph("Een langere toelichting over wonen.")
    document.add_paragraph("Kansen in Europa", style="Heading 2")
    document.add_paragraph("Georganiseerd door themagroep Europa")
    document.add_paragraph("Een sessie die niet in het schema staat", style="Heading 2")
    document.add_paragraph("Tekst zonder onderdeel.")
    document.save(str(path))
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "programmes").mkdir(parents=True)
    (root / "groups.toml").write_bytes((REPO / "groups.toml").read_bytes())
    return root


def test_a_word_programme_in_the_bureaus_style_becomes_a_checked_definition(
        project: Path) -> None:
    document = write_programme(project / "programma-helmond.docx")
    runner = CliRunner()
    result = runner.invoke(cli, ["--root", str(project), "import", str(document), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [u["text"] for u in report["unused"]] == [
        "Een sessie die niet in het schema staat", "Tekst zonder onderdeel."]
    target = project / "programmes" / "helmond-ambtelijk-2026.toml"
    data = tomllib.loads(target.read_text(encoding="utf-8"))
    assert data["days"] == [{"date": "2026-03-12", "venue": "Theater Het Speelhuis",
                             "address": "Speelhuisplein 1, Helmond"}]
    items = {i["title"]: i for i in data["items"]}
    wonen = items["Wonen in de binnenstad"]
    assert (wonen["start"], wonen["end"], wonen["room"]) == ("11:00", "12:00", "Studio 1")
    assert wonen["groups"] == ["Themagroep Woningmarkt"]
    assert wonen["speakers"] == ["Anna de Vries (wethouder)", "Piet Jansen (corporatie)"]
    assert items["Kansen in Europa"]["groups"] == ["Themagroep Europa"]
    assert "estimated" not in items["Kansen in Europa"]
    assert items["Gemeentefinanciën"]["estimated"] == ["groups"]
    walk = items["Stadswandeling door het centrum"]
    assert (walk["start"], walk["capacity"], walk["kind"]) == ("12:15", 20, "wandeling")
    assert items["Plenaire opening"]["description"].strip() == \
        "Wethouder Jan de Vries heet iedereen welkom."
    assert "end" not in items["Afsluiting met een borrel"]
    checked = json.loads(runner.invoke(cli, ["--root", str(project), "check", "--json"]).output)
    assert checked["errors"] == []


def write_numbered_rows_programme(path: Path) -> Path:
    """A plain Word table Tijd | Programmaonderdeel | Zaal whose rounds list their sessions
    numbered, one row each, under the round's row; a lunch walk in a row of its own."""
    import docx

    document = docx.Document()
    document.add_heading("Programma Ambtelijke Netwerkdag Helmond", 0)
    document.add_paragraph("Donderdag 12 maart 2026")
    document.add_paragraph("Locatie: Boscotondo, Kasteel-Traverse 101, Helmond")
    table = document.add_table(rows=0, cols=3)
    for cells in [
        ("Tijd", "Programmaonderdeel", "Zaal"),
        ("09.30 - 10.00 uur", "Ontvangst met koffie en thee", "Foyer"),
        ("11.00 - 12.00 uur", "Keuzesessies ronde 1", ""),
        ("", "1. Themagroep Duurzaamheid: warmtenetten in de wijk", "Zaal De Peel"),
        ("", "2. Pijler Economie en Werk: arbeidsmarkt in de regio (TG MKB & "
         "Dienstverlening)", "Zaal Kempen"),
        ("", "3. Themagroep Europa – Brusselse fondsen voor steden", "Studio 1"),
        ("12.00 - 13.15 uur", "Lunch", "Foyer"),
        ("12.20 uur", "Lunchwandeling door het centrum, vertrek 12.20 uur bij de ingang, "
         "max. 20 personen", ""),
        ("13.15 - 14.30 uur", "Keuzesessies ronde 2", ""),
        ("", "1. Themagroep Woningmarkt: betaalbaar bouwen", "Zaal De Peel"),
        ("", "2. Werkbezoek Brainport Industries Campus (per bus, alleen de eerste 15 "
         "personen)", ""),
        ("14.45 - 15.30 uur", "Plenaire afsluiting", "Theaterzaal"),
    ]:
        for field, text in zip(table.add_row().cells, cells, strict=True):
            field.text = text
    document.save(str(path))
    return path


def test_numbered_sessions_in_word_rows_all_reach_the_draft(project: Path) -> None:
    document = write_numbered_rows_programme(project / "programma-helmond.docx")
    runner = CliRunner()
    result = runner.invoke(cli, ["--root", str(project), "import", str(document), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["unused"] == [] and report["rounds"] == {
        "Keuzesessies ronde 1": 3, "Keuzesessies ronde 2": 2, "Lunch": 1}
    data = tomllib.loads((project / "programmes" / "helmond-ambtelijk-2026.toml")
                         .read_text(encoding="utf-8"))
    items = {i["title"]: i for i in data["items"]}
    assert items["Pijler Economie en Werk: arbeidsmarkt in de regio"]["room"] == "Zaal Kempen"
    assert items["Themagroep Europa – Brusselse fondsen voor steden"]["start"] == "11:00"
    assert items["Themagroep Woningmarkt: betaalbaar bouwen"]["round"] == "Keuzesessies ronde 2"
    visit = items["Werkbezoek Brainport Industries Campus"]
    assert (visit["transport"], visit["capacity"]) == ("per bus", 15)
    walk = items["Lunchwandeling door het centrum"]
    assert (walk["kind"], walk["start"], walk["capacity"]) == ("wandeling", "12:20", 20)
    checked = json.loads(runner.invoke(cli, ["--root", str(project), "check", "--json"]).output)
    assert checked["errors"] == []


def write_numbered_rows_pdf(path: Path) -> Path:
    """The same layout published as PDF (fpdf2 draws the table): numbered sessions in rows
    under their round, a lunch walk in a row of its own."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 10, "Programma Ambtelijke Netwerkdag Helmond", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 8, "Donderdag 12 maart 2026", new_x="LMARGIN", new_y="NEXT")
    with pdf.table(col_widths=(30, 120, 40), first_row_as_headings=False, padding=2) as table:
        for cells in [
            ("Tijd", "Programmaonderdeel", "Zaal"),
            ("12.00 - 13.15", "Lunch", "Foyer"),
            ("12.20", "Lunchwandeling door het centrum, vertrek 12.20 uur bij de ingang, "
             "max. 20 personen", ""),
            ("13.15 - 14.30", "Keuzesessies ronde 2", ""),
            ("", "1. Themagroep Woningmarkt: betaalbaar bouwen", "Zaal De Peel"),
            ("", "2. Werkbezoek Brainport Industries Campus (per bus, alleen de eerste 15 "
             "personen)", ""),
            ("14.45 - 15.30", "Plenaire afsluiting", "Theaterzaal"),
        ]:
            row = table.row()
            for text in cells:
                row.cell(text)
    pdf.output(str(path))
    return path


def test_numbered_sessions_and_a_lunch_walk_in_a_pdf_table_all_reach_the_draft(
        project: Path) -> None:
    document = write_numbered_rows_pdf(project / "programma-helmond.pdf")
    result = CliRunner().invoke(cli, ["--root", str(project), "import", str(document),
                                      "--json", "--dry-run"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["unused"] == []
    assert report["rounds"] == {"Lunch": 1, "Keuzesessies ronde 2": 2}
    assert report["kinds"] == {"afsluiting": 1, "keuzesessie": 1, "lunch": 1, "wandeling": 1,
                               "werkbezoek": 1}

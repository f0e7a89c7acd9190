"""`g40cal import`: a document becomes a definition that `g40cal check` accepts."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from g40cal.cli import cli
from g40cal.importer.quality import SOURCES as SHIPPED

REPO = Path(__file__).resolve().parent.parent
SOURCES = REPO / "programmes" / "sources"

PROGRAMME = """\
Ambtelijke netwerkdag Helmond
donderdag 12 maart 2026
Locatie: Stadhuis Helmond, Markt 2, Helmond

Tijd\tOnderdeel\tZaal
09.30 - 10.00\tInloop met koffie\t
10.00 - 10.45\tOpening door de burgemeester\tRaadzaal
11.00 - 12.00\tKeuzesessies ronde 1\t
\tWonen in de binnenstad (TG Woningmarkt)\tzaal IJssel
\tEuropa dichtbij (Themagroep Europa)\tStudio 1
12.00 - 13.00\tLunch
16.30\tAfsluiting met een borrel

Toelichting

Wonen in de binnenstad
Over woningbouw in het centrum.
Spreker: Anna de Vries (wethouder)
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    (root / "programmes").mkdir(parents=True)
    (root / "groups.toml").write_bytes((REPO / "groups.toml").read_bytes())
    monkeypatch.delenv("G40CAL_STATE", raising=False)
    return root


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--root", str(root), *args], catch_exceptions=False)


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.write_text(text, encoding="utf-8")
    return path


def check_json(root: Path) -> dict:
    result = run(root, "check", "--json")
    return json.loads(result.output)


def test_import_writes_a_definition_that_check_accepts_without_errors(project: Path) -> None:
    document = write(project, "programma.txt", PROGRAMME)
    result = run(project, "import", str(document))
    assert result.exit_code == 0, result.output
    target = project / "programmes" / "helmond-ambtelijk-2026.toml"
    data = tomllib.loads(target.read_text(encoding="utf-8"))
    assert data["id"] == "helmond-ambtelijk-2026"
    assert [i["title"] for i in data["items"]][:3] == [
        "Inloop met koffie", "Opening door de burgemeester", "Wonen in de binnenstad"]
    checked = check_json(project)
    assert checked["errors"] == []
    assert [w["code"] for w in checked["warnings"]] == ["no-end"]   # the borrel: not invented
    text = target.read_text(encoding="utf-8")
    assert "# from: table 1, row 3" in text
    assert "Wrote" in result.output and "Not used" not in result.output


def test_the_draft_says_where_each_item_came_from_and_marks_estimates(project: Path) -> None:
    document = write(project, "programma.txt", PROGRAMME)
    run(project, "import", str(document), "-o", str(project / "programmes" / "h.toml"))
    data = tomllib.loads((project / "programmes" / "h.toml").read_text(encoding="utf-8"))
    wonen = next(i for i in data["items"] if i["title"] == "Wonen in de binnenstad")
    assert wonen["room"] == "zaal IJssel" and wonen["groups"] == ["Themagroep Woningmarkt"]
    assert wonen["speakers"] == ["Anna de Vries (wethouder)"]
    assert wonen["description"].strip() == "Over woningbouw in het centrum."
    lunch = next(i for i in data["items"] if i["title"] == "Lunch")
    assert "estimated" not in lunch
    closing = data["items"][-1]
    assert "end" not in closing         # the last start-only slot: nothing to derive it from


def test_json_report_lists_days_kinds_rounds_estimates_and_every_unused_line(
        project: Path) -> None:
    document = write(project, "programma.txt", PROGRAMME.replace(
        "Helmond\n\n", "Helmond\nParkeren kan in de garage.\n", 1))
    result = run(project, "import", str(document), "--json", "--dry-run")
    report = json.loads(result.output)
    assert report["days"][0]["date"] == "2026-03-12"
    assert report["kinds"]["keuzesessie"] == 2
    assert report["rounds"] == {"Keuzesessies ronde 1": 2}
    assert report["groups"]["Themagroep Europa"] == 1
    assert report["unused"] == [{"where": "line 4", "text": "Parkeren kan in de garage.",
                                 "reason": "not recognised"}]
    assert report["written"] is False
    assert not list((project / "programmes").iterdir())


def test_no_date_anywhere_exits_1_asking_for_date(project: Path) -> None:
    document = write(project, "p.txt", PROGRAMME.replace("donderdag 12 maart 2026\n", ""))
    result = run(project, "import", str(document))
    assert result.exit_code == 1
    assert "--date" in result.output
    assert not list((project / "programmes").iterdir())
    ok = run(project, "import", str(document), "--date", "2026-03-12")
    assert ok.exit_code == 0, ok.output


def test_an_existing_definition_is_never_overwritten(project: Path) -> None:
    document = write(project, "programma.txt", PROGRAMME)
    target = write(project, "programmes/helmond-ambtelijk-2026.toml", "# by hand\n")
    result = run(project, "import", str(document))
    assert result.exit_code == 1
    assert "--update" in result.output
    assert target.read_text(encoding="utf-8") == "# by hand\n"


@pytest.mark.parametrize(("name", "content"), [
    ("leeg.txt", b""),
    ("binair.docx", b"\x00\x01\x02garbage" * 50),
    ("kapot.pdf", b"%PDF-1.7\n garbage"),
    ("plaatje.txt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
])
def test_bad_input_exits_1_naming_the_file_and_writes_nothing(project: Path, name: str,
                                                              content: bytes) -> None:
    path = project / name
    path.write_bytes(content)
    result = run(project, "import", str(path))
    assert result.exit_code == 1, result.output
    assert name in result.output and "Traceback" not in result.output
    assert not list((project / "programmes").iterdir())


def test_a_date_option_that_contradicts_the_document_exits_1(project: Path) -> None:
    document = write(project, "programma.txt", PROGRAMME)
    result = run(project, "import", str(document), "--date", "2026-04-01")
    assert result.exit_code == 1
    assert "2026-03-12" in result.output and "--date" in result.output
    assert not list((project / "programmes").iterdir())


def test_a_missing_document_exits_1(project: Path) -> None:
    result = run(project, "import", str(project / "nergens.docx"))
    assert result.exit_code == 1 and "nergens.docx" in result.output


# ------------------------------------------------------------------------------ --update

def imported(project: Path, text: str = PROGRAMME) -> Path:
    document = write(project, "programma.txt", text)
    assert run(project, "import", str(document)).exit_code == 0
    return project / "programmes" / "helmond-ambtelijk-2026.toml"


def items_by_title(path: Path) -> dict[str, dict]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {i["title"]: i for i in data["items"]}


def test_update_keeps_ids_and_hand_edits_and_gives_new_items_new_ids(project: Path) -> None:
    target = imported(project)
    before = items_by_title(target)
    # the bureau edits the draft by hand: a note and a link the document does not carry
    text = target.read_text(encoding="utf-8").replace(
        'title = "Lunch"', 'title = "Lunch"\nnotes = "In de foyer."\n'
        'links = ["https://example.org/lunch"]')
    target.write_text(text, encoding="utf-8")
    changed = (PROGRAMME.replace("Opening door de burgemeester",
                                 "Opening door burgemeester Blanksma")
               .replace("12.00 - 13.00\tLunch", "12.00 - 13.00\tLunch\n13.00 - 14.00\tPlenair "
                        "debat over de stad"))
    document = write(project, "programma-v2.txt", changed)
    result = run(project, "import", str(document), "--update", str(target))
    assert result.exit_code == 0, result.output
    after = items_by_title(target)
    assert after["Opening door burgemeester Blanksma"]["id"] == \
        before["Opening door de burgemeester"]["id"]              # a new title, the same event
    assert after["Lunch"]["notes"] == "In de foyer."
    assert after["Lunch"]["links"] == ["https://example.org/lunch"]
    new_id = after["Plenair debat over de stad"]["id"]
    assert new_id not in {i["id"] for i in before.values()}
    assert "+ " + new_id in result.output
    assert check_json(project)["errors"] == []


def test_update_lists_gone_items_and_removes_them_only_with_yes(project: Path) -> None:
    target = imported(project)
    gone_id = items_by_title(target)["Europa dichtbij (Themagroep Europa)"
                                     if "Europa dichtbij (Themagroep Europa)" in
                                     items_by_title(target) else "Europa dichtbij"]["id"]
    shorter = PROGRAMME.replace("\tEuropa dichtbij (Themagroep Europa)\tStudio 1\n", "")
    document = write(project, "programma-v2.txt", shorter)
    kept = run(project, "import", str(document), "--update", str(target))
    assert kept.exit_code == 0, kept.output
    assert f"- {gone_id} not in the document any more (kept: pass --yes to remove)" in kept.output
    assert gone_id in {i["id"] for i in items_by_title(target).values()}
    assert check_json(project)["errors"] == []
    removed = run(project, "import", str(document), "--update", str(target), "--yes")
    assert removed.exit_code == 0, removed.output
    assert gone_id not in {i["id"] for i in items_by_title(target).values()}


def test_update_dry_run_shows_the_changes_and_writes_nothing(project: Path) -> None:
    target = imported(project)
    before = target.read_bytes()
    document = write(project, "v2.txt", PROGRAMME.replace("10.00 - 10.45", "10.00 - 10.30"))
    result = run(project, "import", str(document), "--update", str(target), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "~ opening-burgemeester: end" in result.output
    assert "was not written" in result.output
    assert target.read_bytes() == before


def test_importing_the_same_document_again_changes_nothing(project: Path) -> None:
    target = imported(project)
    before = target.read_bytes()
    document = project / "programma.txt"
    result = run(project, "import", str(document), "--update", str(target))
    assert result.exit_code == 0, result.output
    assert "none" in result.output
    assert target.read_bytes() == before


@pytest.mark.parametrize("source", sorted(SHIPPED))
def test_every_shipped_source_imports_into_a_definition_check_accepts(
        project: Path, source: str) -> None:
    result = run(project, "import", str(SOURCES / source))
    if result.exit_code == 1 and "--date" in result.output:       # the text states no date
        result = run(project, "import", str(SOURCES / source), "--date", "2025-03-20")
    assert result.exit_code == 0, result.output
    assert check_json(project)["errors"] == []


# ------------------------------------------------------------------------------ Word and PDF

def imported_items(project: Path, document: Path, *options: str) -> list[dict]:
    target = project / "programmes" / "draft.toml"
    result = run(project, "import", str(document), "-o", str(target), *options)
    assert result.exit_code == 0, result.output
    assert check_json(project)["errors"] == []
    return tomllib.loads(target.read_text(encoding="utf-8"))["items"]


def test_a_word_table_with_a_room_column_and_a_merged_round_time(project: Path) -> None:
    from tests.importer_documents import write_almelo_docx

    items = imported_items(project, write_almelo_docx(project / "almelo.docx"))
    europa = next(i for i in items if i["title"] == "Themagroep Europa")
    assert (europa["start"], europa["end"]) == ("14:00", "15:00")
    assert europa["round"] == "Keuze sessies - ronde I"
    assert europa["room"] == "1.2 Stad Almelo (1e verdieping)"
    assert europa["groups"] == ["Themagroep Europa"]
    assert items[0]["title"] == "Inloop" and items[0]["room"] == "Grote kerk"


def test_a_word_table_with_sessions_side_by_side(project: Path) -> None:
    from tests.importer_documents import write_zaandam_docx

    items = imported_items(project, write_zaandam_docx(project / "zaandam.docx"),
                           "--date", "2024-06-13")
    first_round = [i for i in items if i.get("round") == "Keuzesessies - Ronde 1"]
    assert [i["title"] for i in first_round] == [
        "Elke Regio Telt!", "Slim met Stroom", "Gemeentelijke financiën", "Migratie en Werk",
        "Verdelen van de schaarse woningvoorraad"]
    walk = next(i for i in items if i["title"] == "Stadswandeling Monet")
    assert walk["start"] == "12:45" and walk["kind"] == "wandeling"
    guest = next(i for i in items if i["title"] == "In gesprek met Oleksandr Karasevych")
    assert (guest["start"], guest["end"]) == ("13:00", "14:00")


def test_a_pdf_in_two_columns(project: Path) -> None:
    from tests.importer_documents import write_dordrecht_pdf

    items = imported_items(project, write_dordrecht_pdf(project / "dordrecht.pdf"),
                           "--date", "2024-11-14")
    titles = {i["title"]: i for i in items}
    assert titles["Inloop met koffie en thee"]["start"] == "09:30"
    assert titles["Mooi Nederland"]["round"] == "Keuze sessies - ronde 1"
    assert titles["Mooi Nederland"]["end"] == "12:00"


def test_a_scanned_pdf_exits_1_and_writes_nothing(project: Path) -> None:
    from tests.importer_documents import write_scanned_pdf

    result = run(project, "import", str(write_scanned_pdf(project / "scan.pdf")))
    assert result.exit_code == 1 and "scan.pdf" in result.output
    assert not list((project / "programmes").iterdir())


def test_updating_a_shipped_definition_from_its_own_source_keeps_every_id(
        project: Path) -> None:
    import shutil

    target = project / "programmes" / "almelo-ambtelijk-2024.toml"
    shutil.copy(REPO / "programmes" / target.name, target)
    before = {i["id"] for i in tomllib.loads(target.read_text(encoding="utf-8"))["items"]}
    result = run(project, "import", str(SOURCES / "almelo-ambtelijke-netwerkdag.md"),
                 "--update", str(target))
    assert result.exit_code == 0, result.output
    data = tomllib.loads(target.read_text(encoding="utf-8"))
    assert {i["id"] for i in data["items"]} == before
    # "11 januari" names no year: the date stays an estimate, as in the hand-made definition.
    assert data["days"][0]["date"] == "2024-01-11" and "date" in data["days"][0]["estimated"]
    assert "~ afsluiting: title" not in result.output or "→" in result.output
    assert check_json(project)["errors"] == []


def test_update_at_a_terminal_asks_before_writing(project: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from g40cal import cli as cli_module

    target = imported(project)
    before = target.read_bytes()
    document = write(project, "v2.txt", PROGRAMME.replace("10.00 - 10.45", "10.00 - 10.30"))
    monkeypatch.setattr(cli_module, "is_interactive", lambda: True)
    declined = CliRunner().invoke(cli, ["--root", str(project), "import", str(document),
                                        "--update", str(target)], input="n\n")
    assert declined.exit_code == 0, declined.output
    assert "Write these changes" in declined.output and "was not written" in declined.output
    assert target.read_bytes() == before
    accepted = CliRunner().invoke(cli, ["--root", str(project), "import", str(document),
                                        "--update", str(target)], input="y\n")
    assert accepted.exit_code == 0 and target.read_bytes() != before

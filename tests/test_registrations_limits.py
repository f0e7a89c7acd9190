"""Registration files that are large, hostile or damaged: every import ends, in time linear
in the rows, with a clear message at a documented limit — and a damaged UTF-8 file is
refused instead of turning every accent into garbage."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from g40cal.config import load_config
from g40cal.definitions.project import load_project
from g40cal.people import registrations
from g40cal.people.registrations import apply_import, plan_import
from g40cal.state import State
from tests.conftest import BEFORE_EVENTS
from tests.participants_support import ZAANDAM, new_project, ok, people, run

HEADER = "Tijdstempel;Naam;E-mailadres;Organisatie\n"


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("G40CAL_STATE", raising=False)
    return new_project(tmp_path / "project")


def export(tmp_path: Path, rows: int, name: str = "export.csv") -> Path:
    path = tmp_path / name
    with path.open("w", encoding="utf-8") as file:
        file.write(HEADER)
        for number in range(rows):
            file.write(f"1-5-2024 10:{number % 60:02d};Persoon {number};p{number}@x.example;"
                       "Gemeente Zaanstad\n")
    return path


def import_file(root: Path, path: Path, *extra: str):
    return run(root, "participants", "import", str(path), "--programme", ZAANDAM, *extra)


def test_an_xlsx_that_declares_the_whole_sheet_with_one_far_cell_is_read_at_once(
        root: Path, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Naam", "E-mailadres"])
    sheet.append(["Anna de Vries", "a.devries@zaanstad.example"])
    sheet.cell(1_048_576, 16_384, "x")  # declares <dimension ref="A1:XFD1048576"/>
    path = tmp_path / "huge.xlsx"
    book.save(path)
    with zipfile.ZipFile(path) as archive:
        assert b'ref="A1:XFD1048576"' in archive.read("xl/worksheets/sheet1.xml")
    assert path.stat().st_size < 10_000
    # A separate process, so that a read that never ends is stopped (and fails the test).
    command = [sys.executable, "-m", "g40cal", "--root", str(root), "--now",
               BEFORE_EVENTS.isoformat(), "participants", "import", str(path),
               "--programme", ZAANDAM, "--dry-run"]
    environment = {k: v for k, v in os.environ.items() if k != "G40CAL_STATE"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False,
                          env=environment)
    assert done.returncode == 0, done.stderr
    assert "huge.xlsx: 1 registration(s)" in done.stdout


def test_one_query_for_queue_positions_per_network_day_not_one_per_row(
        root: Path, tmp_path: Path) -> None:
    config = load_config(root)
    project = load_project(config)
    path = export(tmp_path, 40)
    statements: list[str] = []
    with State(config.state_path) as state:
        plan = plan_import(project, state, path, programme=ZAANDAM)
        state.db.set_trace_callback(statements.append)
        apply_import(plan, state, config, BEFORE_EVENTS, remove_missing=False)
        state.db.set_trace_callback(None)
    assert sum("MAX(position)" in s for s in statements) == 1
    positions = sorted(p.registration(ZAANDAM).position for p in people(root).values())
    assert positions == list(range(1, 41))  # first come, first served: still in file order


def test_more_rows_than_the_limit_are_refused_with_the_limit_named(
        root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registrations, "MAX_ROWS", 5)
    result = import_file(root, export(tmp_path, 6))
    assert result.exit_code == 1
    assert "export.csv:7: more than 5 registrations" in result.stderr
    assert "split the export" in result.stderr
    assert not people(root)
    ok(import_file(root, export(tmp_path, 5)))


def test_a_file_larger_than_the_limit_is_refused_before_it_is_read(
        root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registrations, "MAX_BYTES", 1024)
    result = import_file(root, export(tmp_path, 100))
    assert result.exit_code == 1
    assert "MB g40cal reads from one export" in result.stderr
    assert not people(root)


def test_a_long_import_reports_progress_on_request_and_stays_quiet_otherwise(
        root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registrations, "PROGRESS_EVERY", 10)
    path = export(tmp_path, 25)
    quiet = ok(import_file(root, path, "--dry-run"))  # not a terminal: no progress
    assert "rows of" not in quiet.stderr
    loud = ok(import_file(root, path, "--progress"))
    assert "read 10 rows of export.csv" in loud.stderr
    assert "read 20 rows of export.csv" in loud.stderr
    assert "stored 20 of 25 registrations" in loud.stderr
    assert "rows of" not in loud.stdout  # progress never mixes with the report


ACCENTED = (HEADER + "1-5-2024 10:00;José Álvarez;j@x.example;Gemeente Súdwest-Fryslân\n"
            "1-5-2024 10:01;Renée Smit;r@x.example;Gemeente Zaanstad\n"
            "1-5-2024 10:02;Zoë de Wit;z@x.example;Gemeente Oss\n")


def test_one_bad_byte_in_a_utf8_file_is_named_and_nothing_is_imported(
        root: Path, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    data = ACCENTED.encode("utf-8").replace("Renée".encode(), b"Ren\xe9e")
    path.write_bytes(data)
    result = import_file(root, path)
    assert result.exit_code == 1
    offset = data.index(b"\xe9") + 1
    assert f"line 3, byte {offset}: 0xE9" in result.stderr
    assert "rest of the file is UTF-8" in result.stderr
    assert not people(root)


def test_a_damaged_reexport_never_turns_accented_names_into_mojibake(
        root: Path, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(ACCENTED, encoding="utf-8")
    ok(import_file(root, path))
    path.write_bytes(ACCENTED.encode("utf-8").replace(b"Oss", b"O\xf6ss"))
    assert import_file(root, path, "--yes").exit_code == 1
    assert {p.name for p in people(root).values()} == {"José Álvarez", "Renée Smit",
                                                       "Zoë de Wit"}


def test_a_windows_1252_export_is_still_read_as_such(root: Path, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(ACCENTED.encode("cp1252"))
    result = ok(import_file(root, path))
    assert "Windows-1252" in result.stdout
    assert "Zoë de Wit" in {p.name for p in people(root).values()}

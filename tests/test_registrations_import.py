"""Importing realistic registration exports (made-up people) through the CLI.

Each fixture imitates a real form tool: Google Forms (CSV, comma, d-m-yyyy times),
Excel on Windows (CSV, semicolon, Windows-1252), Microsoft Forms (XLSX with respondent
columns next to the questions). Results are read back from the real state database.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from g40cal.definitions.model import TZ
from tests.participants_support import (
    ALMELO,
    DATA,
    DORDRECHT,
    TILBURG,
    ZAANDAM,
    choices,
    new_project,
    ok,
    people,
    person,
    run,
)


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("G40CAL_STATE", raising=False)
    return new_project(tmp_path / "project")


def import_zaandam(root: Path, name: str = "zaandam-google-forms.csv", *extra: str):
    return run(root, "participants", "import", str(DATA / name), "--programme", ZAANDAM,
               *extra)


def test_a_google_forms_export_is_matched_forgivingly_on_case_accents_and_typos(
        root: Path) -> None:
    result = ok(import_zaandam(root))
    assert "7 added (7 new participant(s))" in result.stdout
    assert choices(root, "a.devries@zaanstad.example", ZAANDAM) == {
        "r1-slim-met-stroom", "lunch-vaartocht-zaan", "lunch-gesprek-ambassadeur-oekraine",
        "r2-veiligheid", "pijler-sociaal"}
    # "gemeentelijke financien": no accent, lower case
    assert "r1-gemeentelijke-financien" in choices(root, "b.bakker@almere.example", ZAANDAM)
    # upper case title; "Geen" in the lunch column; e-mail address in mixed case
    assert choices(root, "c.yildiz@tilburg.example", ZAANDAM) == {
        "r1-verdelen-woningvoorraad", "r2-conceptueel-circulair-bouwen",
        "pijler-economie-en-werk"}
    # "Geen, ik lunch rustig" and "geen voorkeur" are no choice; "Ja" ticks the lunch talk
    assert choices(root, "d.jansen@dordrecht.example", ZAANDAM) == {
        "r1-migratie-en-werk", "lunch-gesprek-ambassadeur-oekraine", "r2-inclusieve-zorg"}
    assert "r1-elke-regio-telt" in choices(root, "e.mulder@emmen.example", ZAANDAM)
    # "Slim met Strom" is one letter off: matched, and shown for a check
    assert "r1-slim-met-stroom" in choices(root, "f.visser@deventer.example", ZAANDAM)
    assert "line 7, Ronde 1: 'Slim met Strom' → r1-slim-met-stroom" in result.stdout
    # an item id works as well as a title
    assert choices(root, "g.smit@helmond.example", ZAANDAM) == {
        "r1-migratie-en-werk", "r2-veiligheid"}
    assert "Dieetwensen → ignored" in result.stdout


def test_google_forms_day_first_times_are_read_as_dutch_local_time(root: Path) -> None:
    ok(import_zaandam(root))
    registration = person(root, "e.mulder@emmen.example").registration(ZAANDAM)
    assert registration is not None
    assert registration.registered_at == datetime(2024, 5, 13, 16, 40, 2, tzinfo=TZ)
    assert registration.source == "import"


def test_an_excel_csv_with_semicolons_in_windows_1252_covers_several_network_days(
        root: Path) -> None:
    result = ok(run(root, "participants", "import", str(DATA / "netwerkdagen-excel.csv")))
    assert "Windows-1252" in result.stdout and "';'" in result.stdout
    everyone = people(root)
    hanna = everyone["h.vanderberg@leiden.example"]
    # first name, infix and last name make the name; one person, two network days
    assert hanna.name == "Hanna van der Berg"
    assert {r.programme for r in hanna.registrations} == {DORDRECHT, ALMELO}
    assert everyone["i.celik@schiedam.example"].name == "Ilse Çelik"
    assert everyone["i.celik@schiedam.example"].organisation == "Schiedam"
    # "Ronde 1" is Almelo's "Keuze sessies - ronde I"; "Indie" matches "Indië"
    assert choices(root, "k.dewit@zwolle.example", ALMELO) == {
        "r1-netcongestie-woningbouw", "r2-circulair-bouwen", "werkbezoek-indie-almelo"}
    # "18 en dan" is a unique, substantial part of one title: matched and shown
    assert "r2-18-en-dan" in choices(root, "i.celik@schiedam.example", DORDRECHT)
    assert "'18 en dan' → r2-18-en-dan" in result.stdout and "[partial]" in result.stdout
    assert choices(root, "h.vanderberg@leiden.example", DORDRECHT) == {
        "r1-mooi-nederland", "r2-gemeentefinancien", "r3-kansen-in-europa",
        "lunch-wandeling-economisch"}


def test_a_microsoft_forms_xlsx_uses_the_questions_not_the_anonymous_respondent(
        root: Path) -> None:
    ok(run(root, "participants", "import", str(DATA / "tilburg-microsoft-forms.xlsx"),
           "--programme", TILBURG))
    everyone = people(root)
    assert "anonymous" not in everyone
    lotte = everyone["l.hendriks@breda.example"]
    assert lotte.name == "Lotte Hendriks" and lotte.organisation == "Breda"
    registration = lotte.registration(TILBURG)
    assert registration is not None
    # "Tijd van voltooien" (completion) is preferred over "Begintijd"
    assert registration.registered_at == datetime(2025, 8, 20, 9, 4, 40, tzinfo=TZ)
    assert registration.days is None  # "Beide dagen"
    assert registration.chosen == {"pijler-fysiek", "safari-4-stad-van-makers", "r1-financien",
                                   "d2-lunchwandeling-binnenstad", "r2-vitale-binnensteden"}
    mehmet = everyone["m.demir@eindhoven.example"].registration(TILBURG)
    noor = everyone["n.elamrani@helmond.example"].registration(TILBURG)
    assert mehmet is not None and noor is not None
    assert mehmet.days == {1} and noor.days == {2}
    # a title with a semicolon in it is one choice, not two
    assert "r2-europa" in noor.chosen


def test_a_file_with_errors_changes_nothing_and_lists_every_bad_row(root: Path) -> None:
    ok(import_zaandam(root))
    before = people(root)
    result = import_zaandam(root, "zaandam-errors.csv")
    assert result.exit_code == 1
    errors = result.stderr
    assert "nothing was imported" in errors
    assert ("zaandam-errors.csv:2: error: field 'Ronde 1': 'Klimaatadaptatie in de wijk' is "
            "no session of round 'Keuzesessies - Ronde 1' (nearest: ") in errors
    # ambiguous: never a guess, every candidate listed
    line3 = next(line for line in errors.splitlines() if "zaandam-errors.csv:3:" in line)
    assert "'Stadswandeling' fits 3 items" in line3
    for item in ("lunch-wandeling-stadshart", "lunch-wandeling-monet",
                 "lunch-wandeling-houtbouw"):
        assert item in line3
    assert "zaandam-errors.csv:4: error: field 'E-mailadres': no e-mail address" in errors
    assert "'sanne.at.gemeente' is not an e-mail address" in errors
    assert ("zaandam-errors.csv:6: error: field 'Ronde 1': 'Themagroep Veiligheid' is "
            "'r2-veiligheid' in round 'Keuzesessies - Ronde 2'") in errors
    assert "zaandam-errors.csv:8: error: field 'Tijdstempel': cannot read the time" in errors
    assert "zaandam-errors.csv:7" not in errors  # the one good row
    assert people(root) == before


def test_skip_invalid_imports_the_good_rows_and_removes_nobody(root: Path) -> None:
    ok(import_zaandam(root))
    result = ok(import_zaandam(root, "zaandam-errors.csv", "--skip-invalid", "--keep-missing"))
    assert "Skipped 6 row(s) with errors" in result.stdout
    everyone = people(root)
    assert "u.vandam@almere.example" in everyone
    assert "p.kok@purmerend.example" not in everyone
    assert "a.devries@zaanstad.example" in everyone


def test_reimport_updates_choices_adds_people_and_removes_only_with_consent(
        root: Path) -> None:
    ok(import_zaandam(root))
    before = people(root)
    refused = import_zaandam(root, "zaandam-google-forms-v2.csv")
    assert refused.exit_code == 1
    assert "1 registration(s) are no longer in the export: nothing was imported" in (
        refused.stderr)
    assert "remove   Bram Bakker <b.bakker@almere.example>" in refused.stdout
    assert people(root) == before

    kept = ok(import_zaandam(root, "zaandam-google-forms-v2.csv", "--keep-missing"))
    assert "1 added" in kept.stdout and "1 updated" in kept.stdout
    assert "update   Eva Mulder <e.mulder@emmen.example> zaandam-bestuurlijk: dropped " \
           "r2-taal-beeldvorming-armoede, chose r2-ruimte-wonen-werken" in kept.stdout
    after = people(root)
    assert "b.bakker@almere.example" in after and "h.bos@zwolle.example" in after
    assert "r2-ruimte-wonen-werken" in choices(root, "e.mulder@emmen.example", ZAANDAM)
    # an updated person keeps their number and feed token
    eva_before, eva_after = before["e.mulder@emmen.example"], after["e.mulder@emmen.example"]
    assert (eva_after.id, eva_after.token) == (eva_before.id, eva_before.token)

    removed = ok(import_zaandam(root, "zaandam-google-forms-v2.csv", "--yes"))
    assert "1 removed" in removed.stdout
    assert "b.bakker@almere.example" not in people(root)


def test_reimport_never_removes_people_added_by_hand(root: Path) -> None:
    ok(import_zaandam(root))
    ok(run(root, "participants", "add", "--name", "Wim Willems", "--email",
           "w.willems@zaandam.example", "--programme", ZAANDAM))
    result = ok(import_zaandam(root, "zaandam-google-forms-v2.csv", "--yes"))
    assert "keep (added by hand, not in the export) Wim Willems" in result.stdout
    assert "w.willems@zaandam.example" in people(root)


def write_csv(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_resubmitted_form_counts_the_later_answers_and_keeps_the_first_time(
        root: Path, tmp_path: Path) -> None:
    export = write_csv(
        tmp_path / "again.csv",
        "Tijdstempel,Naam,E-mailadres,Ronde 1",
        "2-5-2024 09:00:00,Xandra Xu,x.xu@zaandam.example,Slim met Stroom",
        "4-5-2024 12:00:00,Xandra Xu,x.xu@zaandam.example,Migratie en Werk")
    result = ok(run(root, "participants", "import", str(export), "--programme", ZAANDAM))
    assert "line 3 replaces line 2" in result.stdout
    registration = person(root, "x.xu@zaandam.example").registration(ZAANDAM)
    assert registration is not None
    assert registration.chosen == {"r1-migratie-en-werk"}
    assert registration.registered_at == datetime(2024, 5, 2, 9, 0, tzinfo=TZ)


def test_two_people_sharing_one_address_become_two_participants(
        root: Path, tmp_path: Path) -> None:
    export = write_csv(
        tmp_path / "shared.csv",
        "Naam;E-mailadres;Ronde 1",
        "Yara de Jong;secretariaat@zaandam.example;Slim met Stroom",
        "Zeger Hoekstra;secretariaat@zaandam.example;Migratie en Werk")
    result = ok(run(root, "participants", "import", str(export), "--programme", ZAANDAM))
    assert "2 people share secretariaat@zaandam.example" in result.stdout
    ok(run(root, "participants", "list"))
    names = sorted(p.name for p in people_list(root))
    assert names == ["Yara de Jong", "Zeger Hoekstra"]


def people_list(root: Path) -> list:
    from g40cal.config import load_config
    from g40cal.people.participants import load_participants
    from g40cal.state import State

    with State(load_config(root).state_path) as state:
        return load_participants(state)


def test_a_corrected_name_with_the_same_address_updates_the_person(
        root: Path, tmp_path: Path) -> None:
    first = write_csv(tmp_path / "a.csv", "Naam,E-mailadres", "Jan Jnasen,j.j@zaandam.example")
    second = write_csv(tmp_path / "b.csv", "Naam,E-mailadres", "Jan Jansen,j.j@zaandam.example")
    ok(run(root, "participants", "import", str(first), "--programme", ZAANDAM))
    token = person(root, "j.j@zaandam.example").token
    result = ok(run(root, "participants", "import", str(second), "--programme", ZAANDAM))
    assert "name Jan Jnasen → Jan Jansen" in result.stdout
    assert person(root, "j.j@zaandam.example").name == "Jan Jansen"
    assert person(root, "j.j@zaandam.example").token == token


def test_a_network_day_column_is_read_by_city_date_title_or_id(
        root: Path, tmp_path: Path) -> None:
    export = write_csv(
        tmp_path / "days.csv",
        "Naam,E-mailadres,Voor welke netwerkdag meldt u zich aan?",
        "Aa,aa@x.example,Bestuurlijke netwerkdagen in Tilburg (25 en 26 september 2025)",
        "Bb,bb@x.example,oss-ambtelijk",
        "Cc,cc@x.example,Ambtelijke netwerkdag 14-11-2024",
        "Dd,dd@x.example,Groningen",
        "Ee,ee@x.example,netwerkdag")
    result = run(root, "participants", "import", str(export), "--skip-invalid")
    assert result.exit_code == 0, result.output
    everyone = people(root)
    assert [r.programme for r in everyone["aa@x.example"].registrations] == [TILBURG]
    assert [r.programme for r in everyone["bb@x.example"].registrations] == ["oss-ambtelijk"]
    assert [r.programme for r in everyone["cc@x.example"].registrations] == [DORDRECHT]
    assert "'Groningen' is not a known network day" in result.stdout
    assert "dd@x.example" not in everyone and "ee@x.example" not in everyone


def test_a_multi_day_choice_outside_the_days_attended_is_reported(root: Path) -> None:
    result = ok(run(root, "participants", "import", str(DATA / "tilburg-microsoft-forms.xlsx"),
                    "--programme", TILBURG))
    assert ("day: #4 Olaf Kramer <o.kramer@oss.example> registered for day 2 only, but chose "
            "'safari-8-piushaven' on day 1") in result.stdout


def test_unclear_days_are_an_error_with_the_dates_to_use(root: Path, tmp_path: Path) -> None:
    export = write_csv(tmp_path / "d.csv", "Naam,E-mailadres,Dagen", "Aa,aa@x.example,soms")
    result = run(root, "participants", "import", str(export), "--programme", TILBURG)
    assert result.exit_code == 1
    assert "cannot tell which days 'soms' means" in result.stderr
    assert "dag 1 = donderdag 25-09-2025" in result.stderr


def test_several_choices_in_one_cell_are_split_only_when_every_part_matches(
        root: Path, tmp_path: Path) -> None:
    export = write_csv(
        tmp_path / "multi.csv",
        "Naam,E-mailadres,Lunchactiviteiten",
        'Aa,aa@x.example,"Stadswandeling Monet; Vaartocht over de Zaan"',
        'Bb,bb@x.example,"Stadswandeling Monet, Kanovaren"')
    result = run(root, "participants", "import", str(export), "--programme", ZAANDAM,
                 "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert choices(root, "aa@x.example", ZAANDAM) == {"lunch-wandeling-monet",
                                                      "lunch-vaartocht-zaan"}
    assert "'Stadswandeling Monet, Kanovaren' is no session of zaandam-bestuurlijk" in (
        result.stdout)


def test_dry_run_reports_in_json_and_changes_nothing(root: Path) -> None:
    result = ok(import_zaandam(root, "zaandam-google-forms.csv", "--dry-run", "--json"))
    report = json.loads(result.stdout)
    assert report["applied"] is False
    assert [c["kind"] for c in report["changes"]] == ["add"] * 7
    assert {"header": "Ronde 1", "role": "choice (round 1)"} in report["columns"]
    assert report["loose"][0]["how"] in ("typo", "partial")
    assert people(root) == {}


def test_json_import_with_errors_exits_1_with_the_errors_in_the_report(root: Path) -> None:
    result = import_zaandam(root, "zaandam-errors.csv", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["applied"] is False
    assert report["skipped_lines"] == [2, 3, 4, 5, 6, 8]
    assert {e["line"] for e in report["errors"]} == {2, 3, 4, 5, 6, 8}


def test_an_export_without_a_network_day_column_needs_programme(root: Path) -> None:
    result = run(root, "participants", "import", str(DATA / "zaandam-google-forms.csv"))
    assert result.exit_code == 1
    assert "no column for network day (Netwerkdag) — or pass --programme ID" in result.stderr


@pytest.mark.parametrize(("name", "content", "message"), [
    ("old.xls", b"\xd0\xcf\x11\xe0", ".xls files cannot be read; save it as .xlsx"),
    ("broken.xlsx", b"PK\x03\x04 not really a zip", "not a readable .xlsx file"),
    ("empty.csv", b"", "the file is empty"),
    ("header.csv", b"Naam,E-mailadres\n", "no registrations below the header row"),
    ("binary.csv", bytes(range(256)) * 4, "not a text file in UTF-8 or Windows-1252"),
    ("nul.csv", b"Naam,E-mailadres\nAa\x00,a@x.example\n", "contains NUL bytes"),
    ("latin.csv", "Naam;E-mailadres\nJosé;j@x.example\n".encode("latin-1"), ""),
    ("nocols.csv", b"Wie,Waar\nAa,Bb\n", "no column for name"),
])
def test_unreadable_or_unsuitable_files_are_clear_errors_not_tracebacks(
        root: Path, tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = run(root, "participants", "import", str(path), "--programme", ZAANDAM)
    if not message:  # latin-1 text is read as Windows-1252: a valid import
        assert result.exit_code == 0, result.output
        assert person(root, "j@x.example").name == "José"
        return
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output and "Internal error" not in result.output


def test_a_missing_file_is_a_clear_error(root: Path, tmp_path: Path) -> None:
    result = run(root, "participants", "import", str(tmp_path / "nope.csv"), "--programme",
                 ZAANDAM)
    assert result.exit_code == 1
    assert "nope.csv: file not found" in result.stderr


def test_an_xlsx_sheet_can_be_chosen_and_a_wrong_one_is_named(root: Path) -> None:
    result = run(root, "participants", "import", str(DATA / "tilburg-microsoft-forms.xlsx"),
                 "--programme", TILBURG, "--sheet", "Blad2")
    assert result.exit_code == 1
    assert "no sheet 'Blad2'; sheets: Form1" in result.stderr
    ok(run(root, "participants", "import", str(DATA / "tilburg-microsoft-forms.xlsx"),
           "--programme", TILBURG, "--sheet", "Form1"))


def test_a_utf16_export_is_read_too(root: Path, tmp_path: Path) -> None:
    path = tmp_path / "unicode.csv"
    path.write_bytes("Naam\tE-mailadres\tRonde 1\nZoë Öztürk\tz@x.example\tSlim met Stroom\n"
                     .encode("utf-16"))
    result = ok(run(root, "participants", "import", str(path), "--programme", ZAANDAM))
    assert "UTF-16" in result.stdout
    assert person(root, "z@x.example").name == "Zoë Öztürk"
    assert choices(root, "z@x.example", ZAANDAM) == {"r1-slim-met-stroom"}


def test_a_person_added_by_hand_and_then_found_in_the_export_is_kept_up_to_date_by_it(
        root: Path) -> None:
    ok(run(root, "participants", "add", "--name", "Anna de Vries", "--email",
           "a.devries@zaanstad.example", "--programme", ZAANDAM))
    result = ok(import_zaandam(root))
    assert "added by hand, from now on kept up to date by the export" in result.stdout
    registration = person(root, "a.devries@zaanstad.example").registration(ZAANDAM)
    assert registration is not None and registration.source == "import"
    assert len(registration.chosen) == 5


def test_a_reimport_keeps_people_who_chose_a_session_removed_since(root: Path) -> None:
    from tests.participants_support import ZAANDAM_FILE
    from tests.syncing import later, remove_item, sync_at

    ok(import_zaandam(root))
    sync_at(root, later(5))
    remove_item(root / ZAANDAM_FILE, "r1-slim-met-stroom")
    sync_at(root, later(10))  # the state now knows the session as removed (cancelled)
    result = ok(import_zaandam(root, "zaandam-google-forms.csv", "--yes"))
    assert ("csv:2: warning: field 'Ronde 1': 'Slim met Stroom' is 'r1-slim-met-stroom' "
            "(Slim met Stroom), which was removed from the programme (cancelled): kept as "
            "this person's choice") in result.stdout
    assert "csv:7: warning: field 'Ronde 1': 'Slim met Strom'" in result.stdout  # a typo too
    assert "0 removed" in result.stdout
    assert choices(root, "a.devries@zaanstad.example", ZAANDAM) == {
        "r1-slim-met-stroom", "lunch-vaartocht-zaan", "lunch-gesprek-ambassadeur-oekraine",
        "r2-veiligheid", "pijler-sociaal"}
    check = ok(run(root, "participants", "check", "--programme", ZAANDAM)).stdout
    assert "gone: #1 Anna de Vries" in check and "gone: #6 Fleur Visser" in check


def test_a_removed_and_a_cancelled_session_read_the_same_at_import(root: Path) -> None:
    from tests.participants_support import ZAANDAM_FILE
    from tests.syncing import edit, later, remove_item, sync_at

    ok(import_zaandam(root))
    sync_at(root, later(5))
    remove_item(root / ZAANDAM_FILE, "r1-slim-met-stroom")
    edit(root / ZAANDAM_FILE, 'id = "r2-veiligheid"', 'id = "r2-veiligheid"\ncancelled = true')
    sync_at(root, later(10))
    result = ok(import_zaandam(root, "zaandam-google-forms.csv", "--yes"))
    warnings = [line for line in result.stdout.splitlines() if "warning:" in line]
    removed = [line for line in warnings if "r1-slim-met-stroom' (" in line]
    cancelled = [line for line in warnings if "r2-veiligheid' (" in line]
    assert removed and cancelled
    assert all("kept as this person's choice, shown to them as cancelled" in line
               for line in removed + cancelled)
    assert "r2-veiligheid" in choices(root, "g.smit@helmond.example", ZAANDAM)


def test_a_row_with_only_a_warning_is_imported_not_skipped(root: Path, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Naam,E-mailadres,Excursie\nAnna,a@x.example,Ja\n", encoding="utf-8")
    result = ok(run(root, "participants", "import", str(path), "--programme", ZAANDAM))
    assert "under a column that names no single optional item" in result.stdout
    assert "a@x.example" in people(root)


def test_a_refused_address_in_the_question_column_is_named_not_the_forms_account(
        root: Path, tmp_path: Path) -> None:
    # Microsoft Forms puts the respondent's account ("anonymous") in "E-mail" and the
    # answer in the question's column: the error must show the address that was refused,
    # under its own column, not "'anonymous' is not an e-mail address".
    export = write_csv(
        tmp_path / "forms.csv",
        "E-mail;Naam;Wat is uw naam?;Wat is uw e-mailadres?",
        "anonymous;;Piet Jansen;=1+1@evil.nl",
        "anonymous;;Ria Smit;ria.smit@zaandam")
    result = run(root, "participants", "import", str(export), "--programme", ZAANDAM)
    assert result.exit_code == 1
    assert ("forms.csv:2: error: field 'Wat is uw e-mailadres?': '=1+1@evil.nl' starts with"
            in result.stderr)
    assert ("forms.csv:3: error: field 'Wat is uw e-mailadres?': 'ria.smit@zaandam' is not an "
            "e-mail address" in result.stderr)
    assert "anonymous" not in result.stderr

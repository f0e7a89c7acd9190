"""``g40cal participants add/choose/list/show/check/links/remove/rotate/purge``."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from openpyxl import load_workbook

from tests.participants_support import (
    DATA,
    TILBURG,
    ZAANDAM,
    choices,
    ok,
    people,
    person,
    published_project,
    run,
)
from tests.syncing import edit

ANNA = "a.devries@zaanstad.example"


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("G40CAL_STATE", raising=False)
    return published_project(tmp_path / "project")


@pytest.fixture
def zaandam(root: Path) -> Path:
    ok(run(root, "participants", "import", str(DATA / "zaandam-google-forms.csv"),
           "--programme", ZAANDAM))
    return root


def add(root: Path, *extra: str, name: str = "Wim Willems",
        email: str = "w.willems@zaandam.example", programme: str = ZAANDAM):
    return run(root, "participants", "add", "--name", name, "--email", email,
               "--programme", programme, *extra)


def test_add_registers_a_participant_with_choices_and_prints_their_feed_url(root: Path) -> None:
    result = ok(add(root, "--organisation", "Gemeente Zaanstad", "--choose", "slim met stroom",
                    "--choose", "r2-veiligheid"))
    wim = person(root, "w.willems@zaandam.example")
    assert f"https://agenda.g40.example/p/{wim.token}.ics" in result.stdout
    assert choices(root, wim.email, ZAANDAM) == {"r1-slim-met-stroom", "r2-veiligheid"}
    registration = wim.registration(ZAANDAM)
    assert registration is not None and registration.source == "hand"
    assert "Run g40cal sync" in result.stdout


@pytest.mark.parametrize(("extra", "code", "message"), [
    (("--email", "not-an-address"), 2, "is not an e-mail address"),
    (("--programme", "nergens"), 2, "unknown programme 'nergens'"),
    (("--choose", "Kanovaren op de Zaan"), 1, "nearest: "),
    (("--choose", "Stadswandeling"), 1, "fits 3 choices of zaandam-bestuurlijk"),
    (("--choose", "Lunch"), 1, "'lunch' is part of the common programme"),
    (("--days", "3"), 2, "has day(s) 1–1"),
    (("--registered-at", "gisteren"), 2, "'gisteren' is not a date and time"),
])
def test_add_rejects_bad_input_with_a_clear_message_and_stores_nothing(
        root: Path, extra: tuple[str, ...], code: int, message: str) -> None:
    args = dict(zip(extra[::2], extra[1::2], strict=True))
    result = run(root, "participants", "add", "--name", "Wim Willems",
                 "--email", args.pop("--email", "w@x.example"),
                 "--programme", args.pop("--programme", ZAANDAM),
                 *[v for kv in args.items() for v in kv])
    assert result.exit_code == code, result.output
    assert message in result.output
    assert people(root) == {}


def test_add_twice_for_the_same_day_is_refused_and_for_another_day_extends_the_feed(
        root: Path) -> None:
    ok(add(root))
    again = add(root)
    assert again.exit_code == 1 and "already registered for zaandam-bestuurlijk" in again.stderr
    ok(add(root, "--days", "2", programme=TILBURG))
    wim = person(root, "w.willems@zaandam.example")
    assert {r.programme for r in wim.registrations} == {ZAANDAM, TILBURG}
    tilburg = wim.registration(TILBURG)
    assert tilburg is not None and tilburg.days == {2}


def test_choose_replaces_the_choice_in_the_same_round_and_drop_removes_one(zaandam: Path) -> None:
    result = ok(run(zaandam, "participants", "choose", ANNA, "Migratie en Werk"))
    assert "'r1-migratie-en-werk' replaces 'r1-slim-met-stroom'" in result.stdout
    assert "r1-slim-met-stroom" not in choices(zaandam, ANNA, ZAANDAM)
    ok(run(zaandam, "participants", "choose", ANNA, "--drop", "Vaartocht over de Zaan"))
    assert choices(zaandam, ANNA, ZAANDAM) == {
        "r1-migratie-en-werk", "lunch-gesprek-ambassadeur-oekraine", "r2-veiligheid",
        "pijler-sociaal"}


def test_choose_finds_people_by_number_address_or_name_and_names_the_ambiguous(
        zaandam: Path) -> None:
    number = str(person(zaandam, ANNA).id)
    for reference in (number, f"#{number}", "A.DeVries@Zaanstad.example", "anna de vries"):
        ok(run(zaandam, "participants", "choose", reference, "Slim met Stroom"))
    missing = run(zaandam, "participants", "choose", "Nobody", "Slim met Stroom")
    assert missing.exit_code == 1 and "no participant 'Nobody'" in missing.stderr
    ok(add(zaandam, name="Anna de Vries", email="anna.devries@elders.example"))
    twice = run(zaandam, "participants", "choose", "Anna de Vries", "Slim met Stroom")
    assert twice.exit_code == 1 and "fits 2 participants" in twice.stderr


def test_choose_asks_which_day_when_a_choice_fits_several_registrations(root: Path) -> None:
    ok(add(root))
    ok(add(root, programme=TILBURG))
    unclear = run(root, "participants", "choose", "Wim Willems", "pijler-fysiek")  # both days
    assert unclear.exit_code == 1 and "say which network day with --programme" in unclear.stderr
    ok(run(root, "participants", "choose", "Wim Willems", "Financiën"))  # only in Tilburg
    assert choices(root, "w.willems@zaandam.example", TILBURG) == {"r1-financien"}
    ok(run(root, "participants", "choose", "Wim Willems", "Themagroep Veiligheid",
           "--programme", ZAANDAM))
    assert choices(root, "w.willems@zaandam.example", ZAANDAM) == {"r2-veiligheid"}


def test_list_and_show_give_text_and_json(zaandam: Path) -> None:
    listing = ok(run(zaandam, "participants", "list"))
    assert "7 participant(s)." in listing.stdout
    assert "Anna de Vries" in listing.stdout and "1 to check" in listing.stdout
    rows = json.loads(ok(run(zaandam, "participants", "list", "--json")).stdout)
    anna = next(r for r in rows["participants"] if r["email"] == ANNA)
    assert anna["programmes"][ZAANDAM][0] == "lunch-gesprek-ambassadeur-oekraine"
    shown = json.loads(ok(run(zaandam, "participants", "show", ANNA, "--json")).stdout)
    token = person(zaandam, ANNA).token
    assert shown["feed"]["https"] == f"https://agenda.g40.example/p/{token}.ics"
    assert shown["registrations"][0]["choices"][0]["item"] == "r1-slim-met-stroom"
    assert shown["findings"][0]["code"] == "overlap"
    text = ok(run(zaandam, "participants", "show", ANNA)).stdout
    assert "Wed 12-06-2024 11:30 r1-slim-met-stroom: Slim met Stroom" in text


def test_show_names_the_day_of_each_choice_so_two_days_read_in_order(root: Path) -> None:
    ok(add(root, "--choose", "r1-financien", "--choose", "pijler-fysiek", programme=TILBURG))
    text = ok(run(root, "participants", "show", "w.willems@zaandam.example")).stdout
    day_one = text.index("Thu 25-09-2025 14:45")
    day_two = text.index("Fri 26-09-2025 11:15")
    assert day_one < day_two
    assert "pijler-fysiek" in text[day_one:day_two]


def test_list_keeps_its_columns_aligned_with_long_organisations(root: Path) -> None:
    long_org = "Gemeente Súdwest-Fryslân, afdeling Ruimtelijke Ontwikkeling en Wonen"
    ok(add(root, "--organisation", long_org))
    ok(add(root, "--organisation", "Tilburg", name="An Li", email="a.li@tilburg.example"))
    lines = ok(run(root, "participants", "list")).stdout.splitlines()
    rows = [line for line in lines if ZAANDAM in line]
    assert len(rows) == 2
    assert len({row.index(ZAANDAM) for row in rows}) == 1  # the next column starts alike
    assert "Gemeente Súdwest-Fryslâ…" in rows[0]
    assert "--wide shows them whole" in lines[-1]
    wide = ok(run(root, "participants", "list", "--wide")).stdout
    assert long_org in wide
    rows = [line for line in wide.splitlines() if ZAANDAM in line]
    assert len({row.index(ZAANDAM) for row in rows}) == 1


def test_check_reports_capacity_first_come_first_served(zaandam: Path) -> None:
    edit(zaandam / "programmes" / "zaandam-bestuurlijk.toml", "capacity = 15", "capacity = 1")
    result = run(zaandam, "participants", "check", "--strict")
    assert result.exit_code == 1
    line = next(x for x in result.stdout.splitlines() if "capacity:" in x)
    # Anna registered on 2 May, Fleur on 14 May: Fleur is the one over capacity
    assert "'lunch-vaartocht-zaan' (Vaartocht over de Zaan) has 1 places and 2 takers" in line
    assert "Fleur Visser" in line and "Anna de Vries" not in line
    report = json.loads(ok(run(zaandam, "participants", "check", "--json")).stdout)
    codes = sorted(f["code"] for f in report["findings"])
    assert codes == ["capacity", "overlap"]


def test_check_reports_two_choices_in_one_round_and_cancelled_choices(zaandam: Path) -> None:
    export = zaandam / "two.csv"
    export.write_text("Naam,E-mailadres,Keuzesessie,Workshop\n"
                      "Aa,aa@x.example,Slim met Stroom,Migratie en Werk\n", encoding="utf-8")
    ok(run(zaandam, "participants", "import", str(export), "--programme", ZAANDAM,
           "--keep-missing"))
    path = zaandam / "programmes" / "zaandam-bestuurlijk.toml"
    anchor = 'id = "r1-slim-met-stroom"\n'
    path.write_text(path.read_text(encoding="utf-8").replace(anchor, anchor + "cancelled = true\n"),
                    encoding="utf-8")
    result = ok(run(zaandam, "participants", "check"))
    assert ("round: #8 Aa <aa@x.example> chose two items of round 'Keuzesessies - Ronde 1': "
            "'r1-migratie-en-werk' and 'r1-slim-met-stroom'") in result.stdout
    assert "cancelled: #1 Anna de Vries" in result.stdout


def test_links_write_a_mail_merge_csv_with_every_way_to_subscribe(
        zaandam: Path, tmp_path: Path) -> None:
    output = tmp_path / "out" / "links.csv"
    ok(run(zaandam, "participants", "links", "-o", str(output)))
    data = output.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel and Word read the accents right
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 7
    row = next(r for r in rows if r["email"] == ANNA)
    token = person(zaandam, ANNA).token
    https = f"https://agenda.g40.example/p/{token}.ics"
    assert row["name"] == "Anna de Vries" and row["programmes"] == ZAANDAM
    assert row["feed_url"] == https
    assert row["webcal_url"] == f"webcal://agenda.g40.example/p/{token}.ics"
    assert row["google_add_url"] == "https://calendar.google.com/calendar/r/settings/addbyurl"
    assert row["page_url"] == f"https://agenda.g40.example/p/{token}.html"
    for column, host in (("outlook_com_url", "outlook.live.com"),
                         ("outlook_365_url", "outlook.office.com")):
        url = urlparse(row[column])
        assert (url.scheme, url.netloc, url.path) == ("https", host, "/calendar/0/addfromweb")
        query = parse_qs(url.query)
        assert query["url"] == [https]
        assert query["name"] == ["G40 Stedennetwerk – Bestuurlijke netwerkdag Zaandam – "
                                 "persoonlijk programma"]


def test_links_write_xlsx_and_json_too(zaandam: Path, tmp_path: Path) -> None:
    output = tmp_path / "links.xlsx"
    ok(run(zaandam, "participants", "links", "-o", str(output)))
    sheet = load_workbook(output).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("name", "email", "organisation") and len(values) == 8
    printed = json.loads(ok(run(zaandam, "participants", "links", "--json")).stdout)
    assert {r["email"] for r in printed["links"]} == set(people(zaandam))
    wrong = run(zaandam, "participants", "links", "-o", str(tmp_path / "links.txt"))
    assert wrong.exit_code == 2


def test_links_warn_when_the_base_url_is_not_https(root: Path, tmp_path: Path) -> None:
    (root / "g40cal.toml").unlink()
    ok(add(root))
    result = ok(run(root, "participants", "links", "-o", str(tmp_path / "l.csv")))
    assert "base_url is http://127.0.0.1:8000/ (not https)" in result.stderr


def test_remove_needs_consent_and_can_take_one_registration_only(root: Path) -> None:
    ok(add(root))
    ok(add(root, programme=TILBURG))
    refused = run(root, "participants", "remove", "Wim Willems")
    assert refused.exit_code == 1 and "needs --yes" in refused.stderr
    ok(run(root, "participants", "remove", "Wim Willems", "--programme", TILBURG, "--yes"))
    wim = person(root, "w.willems@zaandam.example")
    assert [r.programme for r in wim.registrations] == [ZAANDAM]
    answered = run(root, "participants", "remove", "Wim Willems", input="y\n")
    assert answered.exit_code == 1  # not a terminal: consent comes from --yes only
    ok(run(root, "participants", "remove", "Wim Willems", "--yes"))
    assert people(root) == {}


def test_on_a_terminal_remove_asks_on_stderr_with_the_default_no_visible(
        root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import g40cal.cli

    ok(add(root))
    monkeypatch.setattr(g40cal.cli, "is_interactive", lambda: True)
    declined = run(root, "participants", "remove", "Wim Willems", input="\n")
    assert "Remove " in declined.stderr and "[y/N]" in declined.stderr
    assert declined.exit_code == 1 and "Nothing changed." in declined.stderr
    ok(run(root, "participants", "remove", "Wim Willems", input="y\n"))
    assert people(root) == {}


def test_rotate_needs_consent(zaandam: Path) -> None:
    token = person(zaandam, ANNA).token
    refused = run(zaandam, "participants", "rotate", ANNA)
    assert refused.exit_code == 1
    assert person(zaandam, ANNA).token == token


def test_purge_refuses_before_the_event_unless_forced(zaandam: Path) -> None:
    before = run(zaandam, "participants", "purge", "--programme", ZAANDAM, "--yes",
                 now=datetime(2024, 6, 1, tzinfo=UTC))
    assert before.exit_code == 1 and "ends on 12-06-2024" in before.stderr
    forced = ok(run(zaandam, "participants", "purge", "--programme", ZAANDAM, "--yes",
                    "--force", now=datetime(2024, 6, 1, tzinfo=UTC)))
    assert "7 participant(s) and their feeds removed entirely" in forced.stdout
    assert people(zaandam) == {}
    again = ok(run(zaandam, "participants", "purge", "--programme", ZAANDAM, "--yes",
                   now=datetime(2024, 7, 1, tzinfo=UTC)))
    assert "No personal data stored" in again.stdout


def test_every_participants_command_has_help(root: Path) -> None:
    for command in ("import", "add", "choose", "list", "show", "check", "links", "remove",
                    "rotate", "purge"):
        result = ok(run(root, "participants", command, "--help"))
        assert "Usage:" in result.stdout and len(result.stdout) > 200


@pytest.mark.parametrize("command", [("purge", "--yes"), ("list",), ("check",),
                                     ("links", "--json")])
def test_a_mistyped_network_day_is_an_error_not_an_empty_answer(zaandam: Path,
                                                               command: tuple[str, ...]) -> None:
    # "zaandam" for "zaandam-bestuurlijk": "No personal data stored" with exit 0 would make
    # the bureau believe the registrations were purged while every one of them stays.
    result = run(zaandam, "participants", command[0], "--programme", "zaandam", *command[1:],
                 now=datetime(2024, 7, 1, tzinfo=UTC))
    assert result.exit_code == 1
    assert "no network day 'zaandam'" in result.stderr and ZAANDAM in result.stderr
    assert len(people(zaandam)) == 7  # nothing was purged
    assert "Traceback" not in result.stderr


def test_a_network_day_gone_from_the_definitions_can_still_be_purged(zaandam: Path) -> None:
    (zaandam / "programmes" / f"{ZAANDAM}.toml").unlink()
    result = ok(run(zaandam, "participants", "purge", "--programme", ZAANDAM, "--yes",
                    now=datetime(2024, 7, 1, tzinfo=UTC)))
    assert "7 participant(s) and their feeds removed entirely" in result.stdout


@pytest.fixture
def slim_met_stroom_removed(zaandam: Path) -> Path:
    """Anna chose 'Slim met Stroom' (round 1); it was removed from the definition since."""
    from tests.participants_support import ZAANDAM_FILE
    from tests.syncing import later, remove_item, sync_at

    sync_at(zaandam, later(5))
    remove_item(zaandam / ZAANDAM_FILE, "r1-slim-met-stroom")
    sync_at(zaandam, later(10))
    assert "gone: #1 Anna de Vries" in ok(run(zaandam, "participants", "check")).stdout
    return zaandam


@pytest.mark.parametrize("text", ["r1-slim-met-stroom", "Slim met Stroom"])
def test_a_choice_removed_from_the_programme_can_be_dropped(
        slim_met_stroom_removed: Path, text: str) -> None:
    root = slim_met_stroom_removed
    result = ok(run(root, "participants", "choose", ANNA, "--drop", text))
    assert "dropped 'r1-slim-met-stroom'" in result.stdout
    assert "r1-slim-met-stroom" not in choices(root, ANNA, ZAANDAM)
    assert "gone: #1 Anna de Vries" not in ok(run(root, "participants", "check")).stdout


def test_a_new_choice_replaces_a_removed_one_of_the_same_round(
        slim_met_stroom_removed: Path) -> None:
    # What `participants check` advises ("offer another choice: g40cal participants
    # choose") must clear the finding, not leave the removed session beside the new one.
    root = slim_met_stroom_removed
    result = ok(run(root, "participants", "choose", ANNA, "Migratie en Werk"))
    assert "'r1-migratie-en-werk' replaces 'r1-slim-met-stroom'" in result.stdout
    assert choices(root, ANNA, ZAANDAM) >= {"r1-migratie-en-werk"}
    assert "r1-slim-met-stroom" not in choices(root, ANNA, ZAANDAM)
    assert "gone: #1 Anna de Vries" not in ok(run(root, "participants", "check")).stdout


def test_show_names_a_removed_choice_by_its_last_title_and_time(
        slim_met_stroom_removed: Path) -> None:
    shown = ok(run(slim_met_stroom_removed, "participants", "show", ANNA)).stdout
    line = next(line for line in shown.splitlines() if "r1-slim-met-stroom" in line)
    assert "Slim met Stroom" in line and "(GONE)" in line and "?" not in line
    assert re.search(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d-\d\d-\d{4} \d\d:\d\d", line)
    times = [line.split()[0:3] for line in shown.splitlines() if "(GONE)" in line
             or re.match(r"\s+(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ", line)]
    assert times == sorted(times, key=lambda t: (t[1][6:], t[1][3:5], t[1][:2], t[2]))

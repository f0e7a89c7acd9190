"""E-mail to participants against a real SMTP server (aiosmtpd with STARTTLS and AUTH):
welcome messages with the personal links, change notices, the outbox's promises (never
twice, never lost) under faults, the rate limit, privacy and the bureau's own templates."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result

from g40cal.config import load_config
from g40cal.definitions.project import load_project
from g40cal.mail import outbox
from g40cal.mail.run import compose_due, prepare
from g40cal.mail.sending import send_due
from g40cal.people.participants import load_participants
from g40cal.state import State
from tests.conftest import BEFORE_EVENTS
from tests.mail_server import PASSWORD, PASSWORD_ENV, MailServer, running_server
from tests.participants_support import (
    ANNA,
    DORDRECHT,
    EVA,
    HANNA,
    MEHMET,
    TILBURG,
    ZAANDAM,
    ZAANDAM_FILE,
    import_all,
    new_project,
    ok,
    run,
)
from tests.syncing import edit, later, sync_at

BASE = '[network]\nbase_url = "https://agenda.example.nl/"\n'
ZAANDAM_PEOPLE = {"a.devries@zaanstad.example", "b.bakker@almere.example",
                  "c.yildiz@tilburg.example", "d.jansen@dordrecht.example", EVA,
                  "f.visser@deventer.example", "g.smit@helmond.example"}
EVERYONE = 15


@pytest.fixture
def smtp_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MailServer]:
    """A real SMTP server (STARTTLS, AUTH) for this test."""
    yield from running_server(tmp_path, monkeypatch)


@pytest.fixture(scope="module")
def mail_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The shipped programmes, every registration fixture, a public base_url, synced."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("G40CAL_STATE", raising=False)
        root = new_project(tmp_path_factory.mktemp("mail") / "project")
        (root / "g40cal.toml").write_text(BASE, encoding="utf-8")
        import_all(root)
        sync_at(root)
        yield root


@pytest.fixture
def root(mail_template: Path, tmp_path: Path, smtp_server: MailServer) -> Path:
    """A copy of the template whose [mail] points at this test's server."""
    copy = tmp_path / "project"
    shutil.copytree(mail_template, copy)
    configure(copy, smtp_server)
    return copy


def configure(root: Path, server: MailServer, **extra: object) -> None:
    (root / "g40cal.toml").write_text(BASE + server.settings_toml(**extra), encoding="utf-8")


def send(root: Path, *args: str, minutes: int = 0) -> Result:
    return run(root, "mail", "send", "--yes", *args, now=later(minutes))


def outbox_rows(root: Path) -> list[tuple]:
    with State(load_config(root).state_path) as state:
        return state.db.execute(
            "SELECT participant_id, kind, status FROM mail_outbox ORDER BY id").fetchall()


def text_of(received) -> str:
    return received.message.get_body(("plain",)).get_content()


def html_of(received) -> str:
    return received.message.get_body(("html",)).get_content()


def welcome_all(root: Path, server: MailServer) -> None:
    ok(send(root))
    assert len(server.received) == EVERYONE
    server.received.clear()


# -- settings and check ----------------------------------------------------------------


def test_a_password_in_the_mail_settings_is_refused_with_file_and_key(
        root: Path, smtp_server: MailServer) -> None:
    (root / "g40cal.toml").write_text(BASE + smtp_server.settings_toml(password="geheim"))
    result = run(root, "mail", "status")
    assert result.exit_code == 1
    assert "mail.password" in result.stderr and "password_env" in result.stderr
    assert "g40cal.toml" in result.stderr


def test_invalid_mail_settings_are_all_reported_with_the_valid_choices(
        root: Path) -> None:
    (root / "g40cal.toml").write_text(
        BASE + '[mail]\nhost = "smtp.example.nl"\nfrom = "niet een adres"\n'
               'security = "tls"\nusername = "x"\nsendr = 1\n')
    result = run(root, "mail", "check")
    assert result.exit_code == 1
    assert "mail.sendr" in result.stderr and "valid keys in [mail]" in result.stderr
    configure_bad = (BASE + '[mail]\nhost = "smtp.example.nl"\nfrom = "niet een adres"\n'
                     'security = "tls"\nusername = "x"\n')
    (root / "g40cal.toml").write_text(configure_bad)
    result = run(root, "mail", "check")
    assert "starttls, ssl, none" in result.stderr
    assert "mail.from" in result.stderr and "not an e-mail address" in result.stderr
    assert "no password source" in result.stderr


def test_mail_commands_without_mail_settings_say_where_to_start(root: Path) -> None:
    (root / "g40cal.toml").write_text(BASE)
    result = run(root, "mail", "send", "--yes")
    assert result.exit_code == 1 and "no [mail] section" in result.stderr
    assert "docs/mail.md" in result.stderr


def test_mail_check_connects_with_starttls_verifies_the_certificate_and_logs_in(
        root: Path, smtp_server: MailServer) -> None:
    result = ok(run(root, "mail", "check"))
    assert "certificate verified" in result.output
    assert "ok   login" in result.output and "ok   sender" in result.output
    assert smtp_server.received == []  # nothing sent


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_mail_check_over_tls_from_the_start(tmp_path: Path, mail_template: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    for server in running_server(tmp_path, monkeypatch, security="ssl"):
        copy = tmp_path / "project"
        shutil.copytree(mail_template, copy)
        configure(copy, server)
        result = ok(run(copy, "mail", "check"))
        assert "(ssl), certificate verified" in result.output


def test_mail_check_says_a_wrong_password_is_refused(
        root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    result = run(root, "mail", "check")
    assert result.exit_code == 1
    assert "FAIL login" in result.output and "refused the login" in result.output


def test_mail_check_distrusts_an_unknown_certificate_and_names_ca_file(
        root: Path, smtp_server: MailServer) -> None:
    (root / "g40cal.toml").write_text(BASE + smtp_server.settings_toml(ca_file=None))
    result = run(root, "mail", "check")
    assert result.exit_code == 1
    assert "certificate is not trusted" in result.output and "ca_file" in result.output


def test_mail_send_json_reports_a_connection_it_could_not_make_as_json(
        root: Path, smtp_server: MailServer) -> None:
    from tests.mail_server import free_port

    configure(root, smtp_server, port=free_port())
    result = run(root, "mail", "send", "--yes", "--json", now=later(0))
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False and "refused the connection" in report["error"]
    assert report["due"]["welcome"] == EVERYONE and "@" not in result.stdout


def test_mail_check_says_when_nothing_listens_on_the_port(
        root: Path, smtp_server: MailServer) -> None:
    from tests.mail_server import free_port

    configure(root, smtp_server, port=free_port())
    result = run(root, "mail", "check", "--json")
    assert result.exit_code == 1
    steps = json.loads(result.output)["steps"]
    assert steps[-1]["name"] == "connection" and not steps[-1]["ok"]
    assert "refused the connection" in steps[-1]["message"]


def test_mail_check_says_when_the_password_variable_is_not_set(
        root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSWORD_ENV)
    result = run(root, "mail", "check")
    assert result.exit_code == 1 and f"{PASSWORD_ENV} is not set" in result.output


# -- welcome ---------------------------------------------------------------------------


def test_every_participant_gets_one_welcome_with_their_personal_links(
        root: Path, smtp_server: MailServer) -> None:
    result = ok(send(root))
    assert "Sent 15 message(s)" in result.output
    counted = Counter(smtp_server.recipients())
    with State(load_config(root).state_path) as state:
        people = {p.email: p for p in load_participants(state)}
    assert counted == Counter(list(people))  # each exactly once
    eva = next(r for r in smtp_server.received if r.to == EVA)
    assert eva.recipients == (EVA,) and eva.tls
    message = eva.message
    assert message["Subject"] == "Uw persoonlijke programma: Bestuurlijke netwerkdag Zaandam"
    assert str(message["From"]) == "Bureau G40 Stedennetwerk <bureau@g40.example>"
    assert str(message["Reply-To"]) == "secretariaat@g40.example"
    assert message["Date"] and message["Message-ID"].endswith("@g40.example>")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    token = people[EVA].token
    text, html = text_of(eva), html_of(eva)
    for body in (text, html):
        assert f"https://agenda.example.nl/p/{token}.html" in body  # personal page
        assert f"webcal://agenda.example.nl/p/{token}.ics" in body
        assert "calendar.google.com/calendar/r/settings/addbyurl" in body
        assert "outlook.live.com/calendar/0/addfromweb" in body
        assert "outlook.office.com/calendar/0/addfromweb" in body
        assert "Elke Regio Telt!" in body  # one of Eva's choices
    assert "woensdag 12 juni 2024" in text and "Beste Eva Mulder" in text
    assert "<img" not in html and "text/calendar" not in eva.data.decode()
    assert not any(p.get_filename() for p in message.walk())  # no attachments
    # A second run finds nothing to send.
    smtp_server.received.clear()
    assert "Nothing is due" in ok(send(root)).output
    assert smtp_server.received == []


def test_messages_written_a_few_at_a_time_all_go_once(
        root: Path, smtp_server: MailServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("g40cal.mail.run.CHUNK", 4)
    ok(run(root, "mail", "send", "--dry-run", str(tmp_path / "review")))
    assert len(list((tmp_path / "review").iterdir())) == EVERYONE
    ok(send(root))
    assert Counter(smtp_server.recipients()) == Counter(set(smtp_server.recipients()))
    assert len(smtp_server.received) == EVERYONE


def test_a_name_outside_ascii_is_encoded_in_the_to_header(
        root: Path, smtp_server: MailServer) -> None:
    ok(run(root, "participants", "add", "--name", "Zoë Çelik-Ünal", "--email",
           "zoe@example.nl", "--programme", ZAANDAM))
    sync_at(root, later(1))
    ok(send(root))
    zoe = next(r for r in smtp_server.received if r.to == "zoe@example.nl")
    raw_to = next(line for line in zoe.data.split(b"\r\n") if line.startswith(b"To:"))
    assert b"=?utf-8?" in raw_to  # RFC 2047, 7-bit on the wire
    assert zoe.message["To"].addresses[0].display_name == "Zoë Çelik-Ünal"
    assert "Beste Zoë Çelik-Ünal" in text_of(zoe)


def test_a_dry_run_writes_every_message_as_eml_and_sends_nothing(
        root: Path, smtp_server: MailServer, tmp_path: Path) -> None:
    out = tmp_path / "review"
    before = outbox_rows(root)
    result = ok(run(root, "mail", "send", "--dry-run", str(out)))
    files = sorted(out.glob("*.eml"))
    assert len(files) == EVERYONE and "nothing sent" in result.output
    assert smtp_server.received == [] and outbox_rows(root) == before
    assert (files[0].stat().st_mode & 0o777) == 0o600
    # What is reviewed is what goes: the same bytes (To line included).
    ok(send(root))
    sent = {r.to: r.data.replace(b"\r\n", b"\n") for r in smtp_server.received}
    reviewed = [f.read_bytes().replace(b"\r\n", b"\n") for f in files]
    assert sorted(reviewed) == sorted(sent.values())


def test_two_dry_runs_of_the_same_state_write_the_same_bytes(root: Path, tmp_path: Path
                                                             ) -> None:
    ok(run(root, "mail", "send", "--dry-run", str(tmp_path / "one")))
    ok(run(root, "mail", "send", "--dry-run", str(tmp_path / "two")))
    one = {p.name: p.read_bytes() for p in (tmp_path / "one").iterdir()}
    two = {p.name: p.read_bytes() for p in (tmp_path / "two").iterdir()}
    assert one == two and len(one) == EVERYONE


def test_without_a_terminal_and_without_yes_nothing_is_sent(
        root: Path, smtp_server: MailServer) -> None:
    result = run(root, "mail", "send")
    assert result.exit_code == 1 and "--yes" in result.stderr
    assert smtp_server.received == []
    assert {status for _, _, status in outbox_rows(root)} == {"due"}


def test_links_to_this_computer_are_not_mailed(root: Path, smtp_server: MailServer
                                               ) -> None:
    (root / "g40cal.toml").write_text(smtp_server.settings_toml())  # default base_url
    result = send(root)
    assert result.exit_code == 1 and "base_url" in result.stderr
    assert smtp_server.received == []


def test_the_bureau_can_override_a_template_in_the_project_folder(
        root: Path, smtp_server: MailServer) -> None:
    folder = root / "templates" / "mail"
    folder.mkdir(parents=True)
    (folder / "welcome.subject.txt").write_text("Welkom, {{ name }}!\n", encoding="utf-8")
    ok(send(root))
    eva = next(r for r in smtp_server.received if r.to == EVA)
    assert eva.message["Subject"] == "Welkom, Eva Mulder!"
    assert "Elke Regio Telt!" in text_of(eva)  # the other templates are the shipped ones


def test_no_welcome_for_network_days_that_are_over_until_a_new_registration(
        root: Path, smtp_server: MailServer) -> None:
    summer = datetime(2024, 7, 1, 9, 0, tzinfo=UTC)  # Almelo and Zaandam are over
    ok(run(root, "mail", "send", "--yes", now=summer))
    assert sorted(smtp_server.recipients()) == sorted([
        HANNA, "i.celik@schiedam.example", "l.hendriks@breda.example", MEHMET,
        "n.elamrani@helmond.example", "o.kramer@oss.example"])
    hanna = text_of(next(r for r in smtp_server.received if r.to == HANNA))
    assert "Ambtelijke netwerkdag Dordrecht" in hanna and "Almelo" not in hanna
    assert "9 skipped" in ok(run(root, "mail", "status", now=summer)).output
    smtp_server.received.clear()
    assert "Nothing is due" in ok(run(root, "mail", "send", "--yes", now=summer)).output
    ok(run(root, "participants", "add", "--name", "Eva Mulder", "--email", EVA,
           "--programme", "oss-ambtelijk", now=summer))
    sync_at(root, summer)
    ok(run(root, "mail", "send", "--yes", now=summer))
    assert smtp_server.recipients() == [EVA]
    assert "Oss" in smtp_server.received[0].message["Subject"]


def test_a_registration_for_another_day_brings_one_new_welcome_and_no_notice(
        root: Path, smtp_server: MailServer) -> None:
    welcome_all(root, smtp_server)
    ok(run(root, "participants", "add", "--name", "Eva Mulder", "--email", EVA,
           "--programme", "oss-ambtelijk"))
    sync_at(root, later(5))
    ok(send(root, minutes=6))
    assert smtp_server.recipients() == [EVA]
    message = smtp_server.received[0]
    assert message.message["Subject"] == (
        "Uw persoonlijke programma voor de netwerkdagen van het G40 Stedennetwerk")
    text = text_of(message)
    assert "Bestuurlijke netwerkdag Zaandam" in text and "Oss" in text
    assert text.index("Zaandam –") < text.index("Oss")  # in date order
    status = json.loads(ok(run(root, "mail", "status", "--json")).output)
    assert status["counts"]["welcome"]["sent"] == EVERYONE + 1
    assert status["counts"]["changes"] == {"due": 0, "retrying": 0, "sent": 0, "refused": 0,
                                           "skipped": 0}


def test_a_new_link_brings_a_new_welcome(root: Path, smtp_server: MailServer
                                         ) -> None:
    welcome_all(root, smtp_server)
    ok(run(root, "participants", "rotate", EVA, "--yes"))
    sync_at(root, later(1))
    ok(send(root, minutes=2))
    assert smtp_server.recipients() == [EVA]
    with State(load_config(root).state_path) as state:
        token = next(p.token for p in load_participants(state) if p.email == EVA)
    assert f"/p/{token}.html" in text_of(smtp_server.received[0])


def test_a_second_send_while_one_is_running_sends_nothing(
        root: Path, smtp_server: MailServer) -> None:
    import fcntl

    lock = load_config(root).state_path.with_name("state.sqlite.mail-lock")
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = send(root)
    assert result.exit_code == 1 and "another g40cal mail send is running" in result.stderr
    assert smtp_server.received == []
    ok(send(root))  # the lock is free again
    assert len(smtp_server.received) == EVERYONE


def test_the_bureau_gets_a_blind_copy_when_asked(root: Path, smtp_server: MailServer
                                                 ) -> None:
    configure(root, smtp_server, bcc_bureau="archief@g40.example")
    ok(send(root))
    eva = next(r for r in smtp_server.received if r.to == EVA)
    assert eva.recipients == (EVA, "archief@g40.example")
    assert "archief" not in eva.data.decode()  # blind: in no header


def test_answering_no_at_the_terminal_sends_nothing_and_keeps_the_messages_due(
        root: Path, smtp_server: MailServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("g40cal.cli.is_interactive", lambda: True)
    result = run(root, "mail", "send", input="n\n")
    assert result.exit_code == 0 and "Nothing sent; the messages stay due" in result.output
    assert smtp_server.received == []
    result = run(root, "mail", "send", input="y\n")
    assert "Sent 15 message(s)" in ok(result).output


def test_sync_with_mail_in_json_without_yes_publishes_and_sends_nothing(
        root: Path, smtp_server: MailServer) -> None:
    edit(root / ZAANDAM_FILE, 'title = "Inloop"', 'title = "Inloop met koffie"')
    result = run(root, "sync", "--mail", "--json", now=later(5))
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["published"] is False and report["feeds"]  # what --yes would publish
    assert report["mail"] == {"ok": False, "error": report["mail"]["error"]}
    assert "--yes" in report["mail"]["error"] and smtp_server.received == []
    assert "--yes" in result.stderr


def test_sync_with_mail_but_no_mail_settings_publishes_nothing(root: Path) -> None:
    (root / "g40cal.toml").write_text(BASE)
    edit(root / ZAANDAM_FILE, 'title = "Inloop"', 'title = "Inloop met koffie"')
    result = run(root, "sync", "--mail", "--yes", now=later(5))
    assert result.exit_code == 1 and "no [mail] section" in result.stderr
    assert "Published" not in result.output


# -- change notices ----------------------------------------------------------------------


def test_a_changed_title_reaches_exactly_the_participants_whose_feed_holds_it(
        root: Path, smtp_server: MailServer) -> None:
    welcome_all(root, smtp_server)
    edit(root / ZAANDAM_FILE, 'title = "Inloop"', 'title = "Inloop met koffie"')
    sync_at(root, later(5))
    ok(send(root, minutes=6))
    assert Counter(smtp_server.recipients()) == Counter(ZAANDAM_PEOPLE)
    eva = next(r for r in smtp_server.received if r.to == EVA)
    assert eva.message["Subject"] == "Wijziging in uw programma: Bestuurlijke netwerkdag Zaandam"
    text = text_of(eva)
    assert "Titel: Inloop → Inloop met koffie" in text
    # The date is an estimate in the definition: the time line says so.
    assert "Nu: woensdag 12 juni 2024, 09:15–09:45 (onder voorbehoud), Zaantheater" in text
    assert "uw agenda vanzelf" in text  # the subscribed calendar follows
    assert "Inloop met koffie" in html_of(eva) and "→" in html_of(eva)
    with State(load_config(root).state_path) as state:
        token = next(p.token for p in load_participants(state) if p.email == EVA)
    assert f"https://agenda.example.nl/p/{token}.html" in text


def test_a_description_fix_sends_no_notice(root: Path, smtp_server: MailServer
                                           ) -> None:
    welcome_all(root, smtp_server)
    edit(root / ZAANDAM_FILE, "Welkom door burgemeester", "Een welkom door burgemeester")
    sync_at(root, later(5))
    assert "Nothing is due" in ok(send(root, minutes=6)).output
    assert smtp_server.received == []


def test_several_changes_before_the_next_run_make_one_notice(
        root: Path, smtp_server: MailServer) -> None:
    welcome_all(root, smtp_server)
    edit(root / ZAANDAM_FILE, 'start = "09:15"\nend = "09:45"',
         'start = "09:20"\nend = "09:45"')
    sync_at(root, later(5))
    edit(root / ZAANDAM_FILE, 'title = "Inloop"', 'title = "Inloop en ontvangst"')
    sync_at(root, later(6))
    edit(root / ZAANDAM_FILE, 'start = "09:20"\nend = "09:45"',
         'start = "09:25"\nend = "09:45"')
    sync_at(root, later(7))
    ok(send(root, minutes=8))
    assert Counter(smtp_server.recipients()) == Counter(ZAANDAM_PEOPLE)  # one each
    text = text_of(next(r for r in smtp_server.received if r.to == ANNA))
    assert "Tijd: 09:15–09:45 → 09:25–09:45" in text  # first old → last new
    assert "Titel: Inloop → Inloop en ontvangst" in text


def test_changes_that_undo_each_other_send_nothing(root: Path, smtp_server: MailServer
                                                   ) -> None:
    welcome_all(root, smtp_server)
    edit(root / ZAANDAM_FILE, 'title = "Inloop"', 'title = "Inloop met koffie"')
    sync_at(root, later(5))
    edit(root / ZAANDAM_FILE, 'title = "Inloop met koffie"', 'title = "Inloop"')
    sync_at(root, later(6))
    assert "Nothing is due" in ok(send(root, minutes=7)).output
    assert smtp_server.received == []


def test_a_change_after_a_notice_was_planned_joins_it_while_it_is_unsent(
        root: Path, smtp_server: MailServer) -> None:
    welcome_all(root, smtp_server)
    edit(root / ZAANDAM_FILE, 'title = "Inloop"', 'title = "Inloop met koffie"')
    sync_at(root, later(5))
    assert run(root, "mail", "send", now=later(6)).exit_code == 1  # planned, not sent
    edit(root / ZAANDAM_FILE, 'start = "09:15"\nend = "09:45"',
         'start = "09:30"\nend = "09:45"')
    sync_at(root, later(7))
    ok(send(root, minutes=8))
    assert Counter(smtp_server.recipients()) == Counter(ZAANDAM_PEOPLE)
    text = text_of(next(r for r in smtp_server.received if r.to == ANNA))
    assert "Titel: Inloop → Inloop met koffie" in text and "Tijd: 09:15–09:45" in text


def test_a_cancelled_item_is_announced_as_cancelled(root: Path, smtp_server: MailServer
                                                    ) -> None:
    welcome_all(root, smtp_server)
    edit(root / ZAANDAM_FILE, 'title = "Inloop"', 'title = "Inloop"\ncancelled = true')
    sync_at(root, later(5))
    ok(send(root, minutes=6))
    assert Counter(smtp_server.recipients()) == Counter(ZAANDAM_PEOPLE)
    text = text_of(smtp_server.received[0])
    assert "* Inloop: vervalt" in text and "Was: woensdag 12 juni 2024, 09:15–09:45" in text


def test_a_participants_own_new_choice_is_in_their_notice_only(
        root: Path, smtp_server: MailServer) -> None:
    welcome_all(root, smtp_server)
    ok(run(root, "participants", "choose", EVA, "lunch-vaartocht-zaan"))
    sync_at(root, later(5))
    ok(send(root, minutes=6))
    assert smtp_server.recipients() == [EVA]
    text = text_of(smtp_server.received[0])
    assert ": nieuw in uw programma" in text


def test_sync_with_mail_publishes_then_sends_the_notices(
        root: Path, smtp_server: MailServer) -> None:
    welcome_all(root, smtp_server)
    edit(root / ZAANDAM_FILE, 'title = "Inloop"', 'title = "Inloop met koffie"')
    result = ok(run(root, "sync", "--mail", "--yes", "--json", now=later(5)))
    report = json.loads(result.output)
    assert report["mail"]["sent"] == len(ZAANDAM_PEOPLE) and report["mail"]["ok"]
    assert Counter(smtp_server.recipients()) == Counter(ZAANDAM_PEOPLE)
    assert "@" not in result.output.replace("bureau@", "")  # no participant's address


# -- faults ------------------------------------------------------------------------------


def test_a_refused_recipient_is_reported_and_the_others_still_go(
        root: Path, smtp_server: MailServer) -> None:
    smtp_server.faults.refuse.add(EVA)
    result = send(root, "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["sent"] == EVERYONE - 1 and report["refused"] == 1
    assert EVA not in result.output and "<address>" in result.output  # no address in --json
    assert EVA not in smtp_server.recipients() and len(smtp_server.received) == EVERYONE - 1
    status = ok(run(root, "mail", "status"))
    assert "1 refused" in status.output and EVA not in status.output
    # Not retried by itself; --retry-refused after the address was put right.
    smtp_server.received.clear()
    ok(send(root))
    assert smtp_server.received == []
    smtp_server.faults.refuse.clear()
    ok(send(root, "--retry-refused"))
    assert smtp_server.recipients() == [EVA]


def test_a_temporary_refusal_is_retried_at_the_next_run(
        root: Path, smtp_server: MailServer) -> None:
    smtp_server.faults.defer.add(EVA)
    result = send(root)
    assert result.exit_code == 1 and "retried next run" in result.output
    assert EVA not in result.output + result.stderr
    assert len(smtp_server.received) == EVERYONE - 1
    assert "1 failed before" in ok(run(root, "mail", "status")).output
    smtp_server.faults.defer.clear()
    smtp_server.received.clear()
    ok(send(root, minutes=30))
    assert smtp_server.recipients() == [EVA]


def test_a_wrong_password_stops_at_once_and_sends_nothing(
        root: Path, smtp_server: MailServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    result = send(root)
    assert result.exit_code == 1 and "refused the login" in result.stderr
    assert smtp_server.received == []
    assert {status for _, _, status in outbox_rows(root)} == {"due"}


def test_a_dropped_connection_is_made_again_and_nobody_is_skipped(
        root: Path, smtp_server: MailServer) -> None:
    smtp_server.faults.drop_at = 4
    ok(send(root))
    assert len(smtp_server.received) == EVERYONE
    assert Counter(smtp_server.recipients()) == Counter(set(smtp_server.recipients()))
    assert smtp_server.logins == 2


def test_a_connection_lost_for_good_leaves_the_rest_for_the_next_run(
        root: Path, smtp_server: MailServer) -> None:
    smtp_server.faults.drop_at = 4
    smtp_server.faults.down_after_drop = True
    result = send(root)
    assert result.exit_code == 1 and "12 message(s) are still due" in result.output
    first = list(smtp_server.recipients())
    assert len(first) == 3
    smtp_server.down = False
    smtp_server.faults.drop_at = None
    ok(send(root, minutes=10))
    everyone = smtp_server.recipients()
    assert len(everyone) == EVERYONE and len(set(everyone)) == EVERYONE  # nobody twice


def test_a_send_killed_mid_message_resumes_with_exactly_what_is_missing(
        root: Path, smtp_server: MailServer) -> None:
    smtp_server.faults.hold_at = 6
    env = {**os.environ, PASSWORD_ENV: PASSWORD,
           "G40CAL_NOW": BEFORE_EVENTS.isoformat()}
    process = subprocess.Popen(
        [sys.executable, "-m", "g40cal", "--root", str(root), "mail", "send", "--yes"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert smtp_server.faults.held.wait(60), "the sixth message never arrived"
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
    smtp_server.faults.release.set()
    assert len(smtp_server.received) == 5
    time.sleep(0.1)  # the held handler answers a client that is gone
    ok(send(root, minutes=1))
    everyone = smtp_server.recipients()
    assert len(everyone) == EVERYONE and len(set(everyone)) == EVERYONE


# -- rate limit --------------------------------------------------------------------------


class FakeClock:
    def __init__(self, start: float) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _send_with_clock(root: Path, clock: FakeClock, minutes: int = 0):
    config = load_config(root)
    project = load_project(config)
    assert config.mail is not None
    with State(config.state_path) as state:
        prepared = prepare(state, later(minutes))
        messages = compose_due(project, state, config.mail, later(minutes))
        report = send_due(state, config.mail, messages, prepared.total, clock=clock,
                          sleep=clock.sleep)
        sent = [m.timestamp() for m in outbox.sent_since(state, later(-10 ** 6))]
    return report, sorted(sent)


def test_the_rate_limit_holds_in_every_minute(root: Path, smtp_server: MailServer
                                              ) -> None:
    configure(root, smtp_server, rate_per_minute=4)
    clock = FakeClock(1_900_000_000.0)
    report, sent = _send_with_clock(root, clock)
    assert report.sent == EVERYONE and len(smtp_server.received) == EVERYONE
    for first, fifth in zip(sent, sent[4:], strict=False):
        assert fifth - first >= 60  # never five in one minute
    assert clock.now - 1_900_000_000.0 >= 180  # 15 messages at 4 a minute


def test_the_rate_limit_counts_what_the_previous_run_sent(
        root: Path, smtp_server: MailServer) -> None:
    configure(root, smtp_server, rate_per_minute=4)
    with State(load_config(root).state_path) as state:
        prepare(state, later(0))
        with state.transaction():  # the first run has only four to send
            state.db.execute("UPDATE mail_outbox SET status = 'refused' WHERE id > 4")
    clock = FakeClock(1_900_000_000.0)
    report, _ = _send_with_clock(root, clock)
    assert report.sent == 4 and clock.sleeps == []
    with State(load_config(root).state_path) as state:
        outbox.retry_refused(state)
    clock.now += 10  # the next run, ten seconds later, waits for the minute to pass
    report, sent = _send_with_clock(root, clock, minutes=1)
    assert report.sent == EVERYONE - 4
    assert clock.sleeps[0] == pytest.approx(50)
    for first, fifth in zip(sent, sent[4:], strict=False):
        assert fifth - first >= 60


# -- privacy -----------------------------------------------------------------------------


def test_purge_leaves_no_message_about_the_purged_day(
        root: Path, smtp_server: MailServer) -> None:
    welcome_all(root, smtp_server)
    edit(root / "programmes" / "dordrecht-ambtelijk.toml",
         'title = "Inloop met koffie en thee"', 'title = "Inloop met koffie"')
    sync_at(root, later(5))
    assert run(root, "mail", "send", now=later(6)).exit_code == 1  # planned, not sent
    with State(load_config(root).state_path) as state:
        hanna = next(p for p in load_participants(state) if p.email == HANNA)
        due = state.db.execute("SELECT participant_id FROM mail_outbox WHERE status = 'due'"
                               ).fetchall()
    assert (hanna.id,) in due
    ok(run(root, "participants", "purge", "--programme", DORDRECHT, "--force", "--yes"))
    with State(load_config(root).state_path) as state:
        ids = {p.id for p in load_participants(state)}
        rows = state.db.execute(
            "SELECT participant_id, kind, status, payload FROM mail_outbox").fetchall()
    assert hanna.id in ids and len(ids) == EVERYONE - 1  # Iris had only Dordrecht
    assert all(pid in ids for pid, _, _, _ in rows)  # removed people's rows went too
    assert not any(status == "due" and kind == "changes" for _, kind, status, _ in rows)
    assert not any(DORDRECHT in (payload or "") for _, _, _, payload in rows)


def test_status_shows_what_is_due_before_anything_was_planned_and_changes_nothing(
        root: Path, smtp_server: MailServer) -> None:
    before = outbox_rows(root)
    status = json.loads(ok(run(root, "mail", "status", "--json")).output)
    assert status["counts"]["welcome"]["due"] == EVERYONE and status["last_sent"] is None
    assert outbox_rows(root) == before == []


def test_status_and_json_name_no_address(root: Path, smtp_server: MailServer
                                         ) -> None:
    result = ok(send(root, "--json"))
    status = ok(run(root, "mail", "status", "--json"))
    for output in (result.output, status.output):
        assert "@" not in output
    assert json.loads(status.output)["counts"]["welcome"]["sent"] == EVERYONE


def test_only_sent_messages_remain_and_they_keep_no_content(
        root: Path, smtp_server: MailServer) -> None:
    ok(send(root))
    with State(load_config(root).state_path) as state:
        kept = state.db.execute(
            "SELECT COUNT(*) FROM mail_outbox WHERE payload IS NOT NULL OR status <> 'sent' "
            "OR message_id IS NULL"
        ).fetchone()[0]
    assert kept == 0


def test_a_room_is_named_once_in_the_place_of_an_item() -> None:
    from g40cal.mail.messages import item_line
    from g40cal.publishing.events import build_event
    from tests.conftest import REPO

    project = load_project(load_config(REPO))
    tilburg = project.programme("tilburg-bestuurlijk-2025")
    assert tilburg is not None
    item = next(i for i in tilburg.items if i.id == "r1-gelijke-kansen-kind")
    line = item_line(build_event(tilburg, item, project.config))
    # It read "zaal Werkplaats, Werkplaats, Stadhuis gemeente Tilburg".
    assert line["place"] == "Werkplaats, Stadhuis gemeente Tilburg"


@pytest.mark.parametrize(("item_id", "place"), [
    ("pijler-fysiek", "Zaal Werkplaats (onder voorbehoud), LocHal, Spoorzone Tilburg"),
    ("d2-plenair-welkom", "Raadszaal, Stadhuis gemeente Tilburg"),
    ("safari-5-opvang-oekraine", "Een van de Tilburgse opvanglocaties voor Oekraïners"),
])
def test_a_room_is_named_as_the_bureau_wrote_it_as_on_the_pages(item_id: str, place: str
                                                                 ) -> None:
    # Not "zaal Zaal Werkplaats", "zaal Raadszaal" or "zaal Begane grond".
    line = tilburg_line(item_id)
    assert line["place"] == place


def test_onder_voorbehoud_marks_the_estimated_room_not_a_firm_time() -> None:
    fysiek = tilburg_line("pijler-fysiek")  # the room is estimated, the times are not
    assert fysiek["when"] == "donderdag 25 september 2025, 14:45–16:00"
    assert fysiek["place"].startswith("Zaal Werkplaats (onder voorbehoud), ")
    kind = tilburg_line("r1-gelijke-kansen-kind")  # the times are estimated, the room not
    assert kind["when"].endswith("11:15–12:30 (onder voorbehoud)")
    assert "voorbehoud" not in kind["place"]


def tilburg_line(item_id: str) -> dict:
    from g40cal.mail.messages import item_line
    from g40cal.publishing.events import build_event
    from tests.conftest import REPO

    project = load_project(load_config(REPO))
    tilburg = project.programme("tilburg-bestuurlijk-2025")
    assert tilburg is not None
    item = next(i for i in tilburg.items if i.id == item_id)
    return item_line(build_event(tilburg, item, project.config), tilburg.item_estimates(item))


def test_a_new_room_is_told_once_not_again_as_a_new_location(
        root: Path, smtp_server: MailServer) -> None:
    welcome_all(root, smtp_server)
    edit(root / ZAANDAM_FILE, 'title = "Inloop"', 'title = "Inloop"\nroom = "Foyer"')
    sync_at(root, later(5))
    ok(send(root, minutes=6))
    text = text_of(next(r for r in smtp_server.received if r.to == EVA))
    assert "Zaal: (geen) → Foyer" in text
    assert "Locatie:" not in text  # "Zaantheater → Foyer, Zaantheater" said it twice
    # The venue is an estimate (Zaandam's day says so), the room is not.
    assert "Nu: woensdag 12 juni 2024, 09:15–09:45 (onder voorbehoud), Foyer, Zaantheater " \
        "(onder voorbehoud)" in text


def test_a_new_venue_is_still_told_as_a_new_location(
        root: Path, smtp_server: MailServer) -> None:
    welcome_all(root, smtp_server)
    edit(root / ZAANDAM_FILE, '[[items]]\nid = "inloop"',
         '[venues.elders]\nname = "Stadhuis Zaandam"\n\n'
         '[[items]]\nid = "inloop"\nroom = "Foyer"\nvenue = "elders"')
    sync_at(root, later(5))
    ok(send(root, minutes=6))
    text = text_of(next(r for r in smtp_server.received if r.to == EVA))
    assert "Locatie: Zaantheater → Foyer, Stadhuis Zaandam" in text


def test_a_dry_run_never_writes_the_messages_into_the_public_folder(
        root: Path, smtp_server: MailServer) -> None:
    # Every .eml holds a name, an address and a personal link: under feeds/ they are served
    # to anyone. Refused even with --force (as `participants links -o feeds/…`).
    for extra in ((), ("--force",)):
        result = run(root, "mail", "send", "--dry-run", str(root / "feeds" / "review"), *extra)
        assert result.exit_code == 1 and "inside the public folder" in result.stderr
        assert not (root / "feeds" / "review").exists()


@pytest.mark.parametrize(("template", "problem"), [
    ("Beste {{ naam }},\n", "'naam' is undefined"),
    ("Beste\n{{ name },\n", "unexpected '}'"),
])
def test_a_mistake_in_the_bureaus_template_is_named_with_its_file_and_line(
        root: Path, smtp_server: MailServer, template: str, problem: str) -> None:
    folder = root / "templates" / "mail"
    folder.mkdir(parents=True)
    (folder / "welcome.txt").write_text(template, encoding="utf-8")
    result = send(root)
    assert result.exit_code == 1, result.output  # the bureau's mistake, not a bug in g40cal
    line = template.count("\n", 0, template.index("{{ na")) + 1
    assert f"welcome.txt:{line}" in result.stderr and problem in result.stderr
    assert "Internal error" not in result.output and smtp_server.received == []


def test_a_welcome_names_only_the_days_the_participant_attends(
        root: Path, smtp_server: MailServer) -> None:
    welcome_all(root, smtp_server)
    ok(run(root, "participants", "add", "--name", "Dag Twee", "--email", "dag2@tilburg.example",
           "--programme", TILBURG, "--days", "2", "--choose", "r2-veiligheid"))
    sync_at(root, later(5))
    ok(send(root, minutes=6))
    text = text_of(next(r for r in smtp_server.received if r.to == "dag2@tilburg.example"))
    # As their personal feed and page: "vrijdag 26 september 2025", not both days.
    assert "vrijdag 26 september 2025" in text
    assert "donderdag 25 september 2025" not in text


def test_a_welcome_names_the_city_once_when_the_title_already_does(
        root: Path, smtp_server: MailServer) -> None:
    ok(send(root))
    eva = next(r for r in smtp_server.received if r.to == EVA)
    for body in (text_of(eva), html_of(eva)):
        line = next(line for line in body.splitlines() if "12 juni 2024" in line)
        assert not re.search(r", Zaandam\b", line), line  # the title says Zaandam already

"""``g40cal targets check`` and failed logins: one clear message per kind of failure.

Every failure is produced for real: a port nobody listens on, a host name that cannot
resolve (``.invalid`` is reserved for that), TLS spoken to a plain-HTTP server, a wrong
password and a foreign calendar on Radicale with htpasswd authentication.
"""

# ruff: noqa: F811  (tests take the imported fixtures as parameters)

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from g40cal.caldav.client import DavClient, DavNotForEvents, DavReadOnly, normalise_path
from g40cal.cli import cli
from tests.caldav_servers import (  # noqa: F401  (fixtures, used as parameters)
    ALMELO,
    PASSWORD_ENV,
    DavServer,
    almelo_dir,
    dav_server,
    free_port,
    published_almelo,
    radicale,
    radicale_with_password,
    read_only_share,
    sabredav,
    write_targets,
)

pytestmark = pytest.mark.caldav


def run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--root", str(root), *args])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, result.output


def one_target(root: Path, server: DavServer, url: str, monkeypatch: pytest.MonkeyPatch, *,
               password: str | None = None, feed: str = f"programme:{ALMELO}") -> None:
    write_targets(root, server, [("almelo", feed, url)])
    monkeypatch.setenv(PASSWORD_ENV, server.password if password is None else password)


def test_check_reports_a_working_calendar_with_its_feed(
        almelo_dir: Path, dav_server: DavServer, monkeypatch: pytest.MonkeyPatch) -> None:
    url = dav_server.new_calendar()
    one_target(almelo_dir, dav_server, url, monkeypatch)
    assert run(almelo_dir, "push")[0] == 0
    code, output = run(almelo_dir, "targets", "check")
    assert code == 0, output
    assert f"ok   almelo: {url}" in output
    assert ("calendar 'test': 19 object(s), 19 pushed by g40cal; "
            f"feed programme:{ALMELO} published (19 events)") in output


def test_check_names_a_calendar_that_does_not_exist_and_how_to_create_it(
        almelo_dir: Path, dav_server: DavServer, monkeypatch: pytest.MonkeyPatch) -> None:
    url = dav_server.home + "bestaat-niet/"
    one_target(almelo_dir, dav_server, url, monkeypatch)
    code, output = run(almelo_dir, "targets", "check")
    assert code == 1
    assert f"FAIL almelo: {url}" in output
    assert (f"not-found: {url}: nothing at this URL (404) (check the url, or let g40cal "
            "create the calendar: g40cal push --target almelo --create)") in output


def test_check_says_when_the_url_is_a_collection_but_not_a_calendar(
        almelo_dir: Path, dav_server: DavServer, monkeypatch: pytest.MonkeyPatch) -> None:
    one_target(almelo_dir, dav_server, dav_server.home, monkeypatch)
    code, output = run(almelo_dir, "targets", "check")
    assert code == 1
    assert f"not-a-calendar: {dav_server.home}: this is not a calendar collection (it is: " \
        in output
    assert "collection" in output.split("it is: ", 1)[1]
    assert "point the target at a calendar inside it" in output


def test_check_says_when_nothing_listens_on_the_port(
        almelo_dir: Path, radicale: DavServer, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    one_target(almelo_dir, radicale, f"http://127.0.0.1:{port}/user/cal/", monkeypatch)
    code, output = run(almelo_dir, "targets", "check")
    assert code == 1
    assert f"unreachable: http://127.0.0.1:{port}/user/cal/: cannot connect to " \
           f"127.0.0.1:{port}" in output
    assert "is the server running and the port right?" in output


def test_check_says_when_the_host_name_does_not_resolve(
        almelo_dir: Path, radicale: DavServer, monkeypatch: pytest.MonkeyPatch) -> None:
    one_target(almelo_dir, radicale, "http://agenda.g40cal-test.invalid/cal/", monkeypatch)
    code, output = run(almelo_dir, "targets", "check")
    assert code == 1
    assert "dns: http://agenda.g40cal-test.invalid/cal/: cannot resolve the host name " \
           "'agenda.g40cal-test.invalid' (check the host in the target's url)" in output


def test_check_says_when_tls_fails(
        almelo_dir: Path, radicale: DavServer, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"https://127.0.0.1:{radicale.port}/user/"  # Radicale speaks plain HTTP there
    one_target(almelo_dir, radicale, url, monkeypatch)
    code, output = run(almelo_dir, "targets", "check")
    assert code == 1
    assert f"tls: {url}: TLS with 127.0.0.1:{radicale.port} failed: " in output
    assert "set verify_tls = false" in output


def test_check_says_when_the_password_is_wrong_and_where_it_came_from(
        almelo_dir: Path, radicale_with_password: DavServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    server = radicale_with_password
    one_target(almelo_dir, server, server.new_calendar(), monkeypatch, password="wrong")
    code, output = run(almelo_dir, "targets", "check")
    assert code == 1
    assert "auth: " in output
    assert "authentication failed (401) for user 'bureau'" in output
    assert f"password from environment variable {PASSWORD_ENV}" in output


def test_check_says_when_the_user_may_not_use_the_calendar(
        almelo_dir: Path, radicale_with_password: DavServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    server = radicale_with_password
    url = server.new_calendar()  # bureau's calendar; "someone" logs in correctly
    write_targets(almelo_dir, server, [("almelo", f"programme:{ALMELO}", url)],
                  username="someone")
    monkeypatch.setenv(PASSWORD_ENV, "else")
    code, output = run(almelo_dir, "targets", "check")
    assert code == 1
    assert "forbidden: " in output and "user 'someone' may not PROPFIND here (403" in output


def test_check_says_which_environment_variable_is_missing(
        almelo_dir: Path, radicale: DavServer, monkeypatch: pytest.MonkeyPatch) -> None:
    one_target(almelo_dir, radicale, radicale.new_calendar(), monkeypatch)
    monkeypatch.delenv(PASSWORD_ENV)
    code, output = run(almelo_dir, "targets", "check")
    assert code == 1
    assert (f"password: target 'almelo': environment variable {PASSWORD_ENV} is not set "
            "(it holds the password for 'user')") in output


def test_check_names_a_feed_that_was_not_published_and_suggests_one(
        almelo_dir: Path, radicale: DavServer, monkeypatch: pytest.MonkeyPatch) -> None:
    one_target(almelo_dir, radicale, radicale.new_calendar(), monkeypatch,
               feed="programme/almelo-ambtelijk")
    code, output = run(almelo_dir, "targets", "check", "--json")
    assert code == 1
    [target] = json.loads(output)["targets"]
    [problem] = target["problems"]
    assert problem["kind"] == "feed"
    assert problem["message"] == ("feed 'programme/almelo-ambtelijk' is not a published feed "
                                  f"(did you mean 'programme:{ALMELO}'?)")


def test_push_with_a_wrong_password_exits_1_and_pushes_no_further_target(
        almelo_dir: Path, radicale_with_password: DavServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    server = radicale_with_password
    first, second = server.new_calendar(), server.new_calendar()
    (almelo_dir / "g40cal.toml").write_text(
        f'[[caldav.targets]]\nname = "eerste"\nfeed = "programme:{ALMELO}"\nurl = "{first}"\n'
        f'username = "bureau"\npassword_env = "G40_WRONG"\n\n'
        f'[[caldav.targets]]\nname = "tweede"\nfeed = "group:europa"\nurl = "{second}"\n'
        f'username = "bureau"\npassword_env = "G40_RIGHT"\n', encoding="utf-8")
    monkeypatch.setenv("G40_WRONG", "not the password")
    monkeypatch.setenv("G40_RIGHT", server.password)
    code, output = run(almelo_dir, "push")
    assert code == 1
    assert (f"ERROR {first}: authentication failed (401) for user 'bureau' (check the "
            "username and the password in the target's password_env variable or keyring); "
            "password from environment variable G40_WRONG") in output
    assert "stopped: no further targets were pushed" in output
    assert "tweede" not in output
    assert server.listing(first) == {} and server.listing(second) == {}


def test_targets_list_shows_where_each_target_goes_and_what_was_pushed(
        almelo_dir: Path, radicale: DavServer, monkeypatch: pytest.MonkeyPatch) -> None:
    url = radicale.new_calendar()
    one_target(almelo_dir, radicale, url, monkeypatch)
    run(almelo_dir, "push")
    code, output = run(almelo_dir, "targets", "list")
    assert code == 0
    assert output.startswith(f"almelo: programme:{ALMELO} → {url} as user (password: env "
                             f"{PASSWORD_ENV}); 19 object(s) pushed, last push ")


def test_check_says_when_the_keyring_has_no_password_and_how_to_store_one(
        almelo_dir: Path, radicale: DavServer) -> None:
    import keyring
    from keyring.backends.null import Keyring as NullKeyring

    (almelo_dir / "g40cal.toml").write_text(
        f'[[caldav.targets]]\nname = "almelo"\nfeed = "programme:{ALMELO}"\n'
        f'url = "{radicale.new_calendar()}"\nusername = "bureau"\n'
        'keyring_service = "g40cal-test"\n', encoding="utf-8")
    previous = keyring.get_keyring()
    keyring.set_keyring(NullKeyring())  # a real backend that holds no passwords
    try:
        code, output = run(almelo_dir, "targets", "check")
    finally:
        keyring.set_keyring(previous)
    assert code == 1
    assert ("password: target 'almelo': no password for 'bureau' in keyring service "
            "'g40cal-test' (store it with: keyring set g40cal-test bureau)") in output


# -- calendars a push cannot fill -----------------------------------------------------------


def test_check_refuses_a_calendar_that_takes_only_tasks(
        almelo_dir: Path, dav_server: DavServer, monkeypatch: pytest.MonkeyPatch) -> None:
    url = dav_server.new_calendar(tasks_only=True)  # like Nextcloud's "Tasks"
    one_target(almelo_dir, dav_server, url, monkeypatch)
    code, output = run(almelo_dir, "targets", "check")
    assert code == 1, output
    assert (f"not-for-events: {url}: this calendar takes only tasks (VTODO), not events "
            "(point the target at a calendar for events") in output


def test_push_to_a_calendar_that_takes_only_tasks_says_so_not_ask_the_administrator(
        almelo_dir: Path, dav_server: DavServer, monkeypatch: pytest.MonkeyPatch) -> None:
    url = dav_server.new_calendar(tasks_only=True)
    one_target(almelo_dir, dav_server, url, monkeypatch)
    code, output = run(almelo_dir, "push", "--json")
    assert code == 1
    [target] = json.loads(output)["targets"]
    assert target["error"]["kind"] == "not-for-events", target
    assert (f"{url}: this calendar takes only tasks (VTODO), not events (point the target at "
            "a calendar for events") in target["error"]["message"]
    assert dav_server.listing(url) == {}


def test_a_put_the_server_refuses_for_its_component_is_explained_from_the_answer(
        sabredav: DavServer) -> None:
    url = sabredav.new_calendar(tasks_only=True)
    event = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
             b"UID:a@example.org\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240111T100000Z\r\n"
             b"SUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    with (DavClient(url, username="bureau", password=sabredav.password) as client,
          pytest.raises(DavNotForEvents) as refused):
        client.put(normalise_path(url, url) + "a.ics", event, create=True)
    assert refused.value.status == 403
    assert ("this calendar does not take events (403 supported-calendar-component): it is a "
            "task list or another kind of collection") in str(refused.value)


def test_check_says_a_calendar_shared_read_only_is_read_only(
        almelo_dir: Path, read_only_share: DavServer, monkeypatch: pytest.MonkeyPatch) -> None:
    server = read_only_share
    url = server.new_calendar()  # bureau's calendar, shared read-only with "reader"
    write_targets(almelo_dir, server, [("almelo", f"programme:{ALMELO}", url)],
                  username="reader")
    monkeypatch.setenv(PASSWORD_ENV, "battery staple")
    code, output = run(almelo_dir, "targets", "check")
    assert code == 1, output
    assert (f"read-only: {url}: user 'reader' may read this calendar but not push to it: the "
            "calendar is read-only for this user (shared without write access) (lacks bind, "
            "write-content, unbind)") in output

    code, output = run(almelo_dir, "push", "--json")
    assert code == 1
    [target] = json.loads(output)["targets"]
    assert target["error"]["kind"] == "read-only", target
    assert ("user 'reader' may read this calendar but not push to it: the calendar is "
            "read-only for this user") in target["error"]["message"]
    assert target["requests"] == {"PROPFIND": 1}  # refused before sending anything
    assert server.listing(url) == {}


def test_a_put_refused_for_a_missing_privilege_is_explained_from_the_answer(
        sabredav: DavServer) -> None:
    url = sabredav.new_calendar()
    sabredav.share_read_only("bureau", "reader")
    event = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
             b"UID:b@example.org\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240111T100000Z\r\n"
             b"SUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    with (DavClient(url, username="reader", password="battery staple") as client,
          pytest.raises(DavReadOnly) as refused):
        client.put(normalise_path(url, url) + "b.ics", event, create=True)
    assert ("user 'reader' may not PUT here: the calendar is read-only for this user (lacks "
            "the privilege bind, 403)") in str(refused.value)


def test_check_and_push_warn_when_the_password_would_travel_unencrypted(
        almelo_dir: Path, radicale: DavServer, monkeypatch: pytest.MonkeyPatch) -> None:
    url = "http://agenda.g40cal-test.invalid/cal/"
    one_target(almelo_dir, radicale, url, monkeypatch)
    warning = (f"{url} is plain http://: the password for 'user' and the calendar travel "
               "unencrypted to agenda.g40cal-test.invalid; use https://")
    code, output = run(almelo_dir, "targets", "check")
    assert code == 1 and f"     warning: {warning}" in output  # 1: the host does not resolve
    code, output = run(almelo_dir, "push")
    assert code == 1 and f"  WARNING {warning}" in output
    [target] = json.loads(run(almelo_dir, "push", "--json")[1])["targets"]
    assert target["warnings"] == [warning]


def test_a_server_on_this_machine_over_http_gets_no_warning(
        almelo_dir: Path, radicale: DavServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for url in (radicale.new_calendar(),  # 127.0.0.1
                radicale.new_calendar().replace("127.0.0.1", "localhost"),
                f"http://[::1]:{radicale.port}/user/cal/"):
        one_target(almelo_dir, radicale, url, monkeypatch)
        _, output = run(almelo_dir, "targets", "check", "--json")  # nobody listens on ::1
        [target] = json.loads(output)["targets"]
        assert target["warnings"] == [], url

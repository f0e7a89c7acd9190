"""``g40cal push`` against real Radicale, Xandikos and SabreDAV servers (each started once here).

After every push the calendar is read back from the server, every object parsed with
three strict parsers, and compared with the published feed: same events, times, titles,
SEQUENCE and STATUS, only with the target's own UIDs.
"""

# ruff: noqa: F811  (tests take the imported fixtures as parameters)

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from g40cal.caldav.client import sequence_of
from g40cal.caldav.push import load_rows
from g40cal.cli import cli
from g40cal.config import load_config
from g40cal.state import State
from tests.caldav_servers import (  # noqa: F401  (fixtures, used as parameters)
    ALMELO,
    ALMELO_FEED,
    DOMAIN,
    PASSWORD_ENV,
    DavServer,
    RequestLog,
    almelo_dir,
    assert_server_matches_feed,
    dav_server,
    feed_events,
    publish,
    published_almelo,
    push,
    radicale,
    server_events,
    small_project,
    write_targets,
)
from tests.conftest import BEFORE_EVENTS
from tests.syncing import edit, later, remove_item, sync_at

pytestmark = pytest.mark.caldav


# -- helpers -------------------------------------------------------------------------------


def cli_push(root: Path, *args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["--root", str(root), "push", "--json", *args])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def cli_text(root: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--root", str(root), "push", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def almelo(almelo_dir: Path, dav_server: DavServer, monkeypatch: pytest.MonkeyPatch
           ) -> tuple[Path, DavServer, str]:
    """The Almelo programme published, and a target for it: a fresh calendar."""
    url = dav_server.new_calendar()
    write_targets(almelo_dir, dav_server, [("almelo", f"programme:{ALMELO}", url)])
    monkeypatch.setenv(PASSWORD_ENV, dav_server.password)
    return almelo_dir, dav_server, url


def put_raw(server: DavServer, path: str, body: bytes, **headers: str) -> httpx.Response:
    return server.http().put(server.base + path, content=body,
                             headers={"Content-Type": "text/calendar; charset=utf-8", **headers})


def foreign_event(uid: str, summary: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//someone//else//EN\r\n"
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20240101T000000Z\r\n"
            "DTSTART:20240111T100000Z\r\nDTEND:20240111T110000Z\r\n"
            f"SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()


# -- scenarios -----------------------------------------------------------------------------


def test_first_push_puts_one_object_per_event_and_the_calendar_equals_the_feed(
        almelo: tuple[Path, DavServer, str], tmp_path: Path) -> None:
    root, server, url = almelo
    log = RequestLog()
    result = push(root, log=log)
    assert result.ok, result
    assert result.plan is not None and result.plan.notes == []  # state renders as published
    published = feed_events(root, ALMELO_FEED)
    assert result.count("create") == len(published) == 19
    assert log.methods == ["PROPFIND"] + ["PUT"] * 19
    assert all(headers.get("if-none-match") == "*" for _, _, headers in log.of("PUT"))
    assert_server_matches_feed(server, url, root, ALMELO_FEED, tmp_path)


def test_a_push_without_changes_sends_one_propfind_and_no_put(
        almelo: tuple[Path, DavServer, str]) -> None:
    root, server, url = almelo
    push(root)
    etags = server.listing(url)
    log = RequestLog()
    result = push(root, log=log)
    assert result.ok
    assert log.methods == ["PROPFIND"]
    assert result.plan is not None and result.plan.unchanged == 19
    assert server.listing(url) == etags


def test_a_room_change_sends_one_put_with_if_match_and_bumps_sequence(
        almelo: tuple[Path, DavServer, str], tmp_path: Path) -> None:
    root, server, url = almelo
    push(root)
    edit(root / "programmes" / f"{ALMELO}.toml", 'room = "1.4 (1e verdieping)"',
         'room = "1.5 (1e verdieping)"')
    publish(root, later(10))
    log = RequestLog()
    result = push(root, log=log, now=later(10))
    assert result.ok
    assert log.methods == ["PROPFIND", "PUT"]
    [(_, path, headers)] = log.of("PUT")
    assert path.endswith(f"{ALMELO}.r1-vergunninghouders-asiel.dav-almelo.ics")
    assert headers["if-match"].startswith('"')
    events = assert_server_matches_feed(server, url, root, ALMELO_FEED, tmp_path)
    changed = events[f"{ALMELO}.r1-vergunninghouders-asiel"]
    assert changed.location.startswith("1.5 (1e verdieping)")
    assert changed.sequence == 1


def test_a_removed_item_is_pushed_as_cancelled_and_restored_when_it_comes_back(
        almelo: tuple[Path, DavServer, str], tmp_path: Path) -> None:
    root, server, url = almelo
    push(root)
    definition = root / "programmes" / f"{ALMELO}.toml"
    original = definition.read_text(encoding="utf-8")
    remove_item(definition, "r1-europa")
    publish(root, later(10))
    log = RequestLog()
    assert push(root, log=log).ok
    assert log.methods == ["PROPFIND", "PUT"]
    events = assert_server_matches_feed(server, url, root, ALMELO_FEED, tmp_path / "a")
    cancelled = events[f"{ALMELO}.r1-europa"]
    assert cancelled.status == "CANCELLED"
    assert cancelled.summary.startswith("GEANNULEERD: ")
    assert cancelled.sequence == 1

    definition.write_text(original, encoding="utf-8")
    publish(root, later(20))
    log = RequestLog()
    assert push(root, log=log).ok
    assert log.methods == ["PROPFIND", "PUT"]
    events = assert_server_matches_feed(server, url, root, ALMELO_FEED, tmp_path / "b")
    restored = events[f"{ALMELO}.r1-europa"]
    assert restored.status != "CANCELLED" and restored.sequence == 2
    assert not restored.summary.startswith("GEANNULEERD")


def test_an_item_dropped_after_its_retention_is_deleted_with_if_match(
        almelo: tuple[Path, DavServer, str], tmp_path: Path) -> None:
    root, server, url = almelo
    push(root)
    remove_item(root / "programmes" / f"{ALMELO}.toml", "r1-europa")
    publish(root, later(10))
    push(root)
    publish(root, datetime(2024, 3, 1, tzinfo=UTC))  # long after 11 January + 7 days
    log = RequestLog()
    result = push(root, log=log)
    assert result.ok
    # The GET reads the title of an event the state no longer holds, for the report.
    assert log.methods == ["PROPFIND", "GET", "DELETE"]
    [(_, path, headers)] = log.of("DELETE")
    assert path.endswith(f"{ALMELO}.r1-europa.dav-almelo.ics")
    assert headers["if-match"].startswith('"')
    events = assert_server_matches_feed(server, url, root, ALMELO_FEED, tmp_path)
    assert f"{ALMELO}.r1-europa" not in events and len(events) == 18


def test_push_lists_a_cancellation_as_cancel_and_a_delete_by_its_title(
        almelo_dir: Path, radicale: DavServer, monkeypatch: pytest.MonkeyPatch) -> None:
    root, url = almelo_dir, radicale.new_calendar()
    write_targets(root, radicale, [("almelo", f"programme:{ALMELO}", url)])
    monkeypatch.setenv(PASSWORD_ENV, radicale.password)
    push(root)
    remove_item(root / "programmes" / f"{ALMELO}.toml", "r1-europa")
    publish(root, later(10))
    output = cli_text(root)
    assert f"    cancel  {ALMELO}/r1-europa: Themagroep Europa\n" in output
    assert "updated 1, deleted 0, unchanged 18; 1 of these cancel an event" in output
    assert cli_push(root, "--dry-run")[1]["targets"][0]["unchanged"] == 19
    publish(root, datetime(2024, 3, 1, tzinfo=UTC))  # after the retention: dropped
    code, report = cli_push(root, "--dry-run")
    assert code == 0
    [action] = report["targets"][0]["actions"]
    # The title as the server holds it (Almelo's year is an estimate: "(onder voorbehoud)").
    assert action["action"] == "delete"
    assert action["title"].startswith("Themagroep Europa")
    output = cli_text(root)
    assert f"    delete  {ALMELO}/r1-europa: {action['title']}\n" in output


def test_objects_g40cal_did_not_create_are_never_changed_or_deleted(
        almelo: tuple[Path, DavServer, str], tmp_path: Path) -> None:
    root, server, url = almelo
    base = url.removeprefix(server.base)
    # Someone's own event, and one squatting on the very name g40cal would use.
    squatted = f"{base}{ALMELO}.inloop.dav-almelo.ics"
    assert put_raw(server, f"{base}mine.ics", foreign_event("mine@example.org", "Mijn afspraak"),
                   **{"If-None-Match": "*"}).status_code == 201
    assert put_raw(server, squatted, foreign_event("squat@example.org", "Bezet"),
                   **{"If-None-Match": "*"}).status_code == 201
    foreign = {path: etag for path, etag in server.listing(url).items()}

    result = push(root)
    assert result.ok and result.plan is not None and result.plan.foreign == 2
    remove_item(root / "programmes" / f"{ALMELO}.toml", "inloop")
    publish(root, later(10))
    assert push(root).ok
    publish(root, datetime(2024, 3, 1, tzinfo=UTC))
    assert push(root, force=True).ok  # even --force deletes only g40cal's own objects

    listing = server.listing(url)
    for path, etag in foreign.items():
        assert listing[path] == etag, f"{path} was touched"
    assert len(listing) == 18 + 2  # 19 events, "inloop" dropped, plus the two foreign ones
    bodies = server.objects(url)
    assert b"UID:squat@example.org" in bodies[squatted]
    with State(load_config(root).state_path) as state:
        assert squatted not in {row.href for row in load_rows(state, "almelo").values()}


def test_a_copy_holding_the_uid_g40cal_would_create_is_a_conflict_never_a_second_object(
        almelo: tuple[Path, DavServer, str], tmp_path: Path) -> None:
    root, server, url = almelo
    base = url.removeprefix(server.base)
    uid = f"{ALMELO}.opening.dav-almelo@{DOMAIN}"
    copy = f"{base}kopie-van-opening.ics"  # someone imported a copy before the first push
    assert put_raw(server, copy, foreign_event(uid, "Kopie"),
                   **{"If-None-Match": "*"}).status_code == 201
    log = RequestLog()
    result = push(root, log=log)
    [conflict] = result.conflicts
    assert (conflict.key, conflict.href) == (f"{ALMELO}/opening", copy)
    assert "already holds this event's UID" in conflict.reason
    assert result.count("create") == 18
    assert not [path for method, path, _ in log.requests
                if method == "PUT" and "opening" in path]  # never even tried
    bodies = server.objects(url)
    assert sum(f"UID:{uid}".encode() in body for body in bodies.values()) == 1
    assert b"SUMMARY:Kopie" in bodies[copy]
    assert cli_push(root)[0] == 1  # still a conflict, still one object with that UID
    assert len(server.listing(url)) == 19


def test_an_edit_on_the_server_is_a_conflict_left_alone_until_force(
        almelo: tuple[Path, DavServer, str], tmp_path: Path) -> None:
    root, server, url = almelo
    push(root)
    path = f"{url.removeprefix(server.base)}{ALMELO}.r1-zjo.dav-almelo.ics"
    current = server.http().get(server.base + path)
    edited = current.content.replace(b"SUMMARY:", b"SUMMARY:Aangepast door de gastheer - ")
    assert put_raw(server, path, edited, **{"If-Match": current.headers["ETag"]}).status_code \
        in (200, 201, 204)
    edited_etag = server.listing(url)[path]
    # The bureau changes the same item: the push must still not overwrite the host's edit.
    edit(root / "programmes" / f"{ALMELO}.toml", 'room = "19 Atelier (19e verdieping)"',
         'room = "19 Studio (19e verdieping)"', count=2)
    publish(root, later(10))

    code, report = cli_push(root)
    assert code == 1
    [target] = report["targets"]
    assert [c["key"] for c in target["conflicts"]] == [f"{ALMELO}/r1-zjo"]
    assert "changed on the server by someone else" in target["conflicts"][0]["reason"]
    assert target["updated"] == 1  # the other item in that room (r2-circulair-bouwen)
    assert server.listing(url)[path] == edited_etag
    assert server_events(server, url, tmp_path / "a")[f"{ALMELO}.r1-zjo"].summary.startswith(
        "Aangepast door de gastheer")
    assert cli_push(root)[0] == 1  # still reported, still left alone

    code, report = cli_push(root, "--force")
    assert code == 0, report
    assert [a["key"] for a in report["targets"][0]["actions"]] == [f"{ALMELO}/r1-zjo"]
    assert report["targets"][0]["actions"][0]["forced"] is True
    assert_server_matches_feed(server, url, root, ALMELO_FEED, tmp_path / "b")
    assert cli_push(root)[1]["targets"][0]["unchanged"] == 19


def test_force_never_lowers_the_sequence_someone_raised_on_the_server(
        almelo: tuple[Path, DavServer, str]) -> None:
    root, server, url = almelo
    push(root)
    path = f"{url.removeprefix(server.base)}{ALMELO}.r1-zjo.dav-almelo.ics"
    current = server.http().get(server.base + path)
    assert sequence_of(current.content) == 0
    edited = re.sub(rb"SEQUENCE:0", b"SEQUENCE:2", current.content).replace(
        b"SUMMARY:", b"SUMMARY:Verplaatst door de gastheer - ")
    assert put_raw(server, path, edited, **{"If-Match": current.headers["ETag"]}).status_code \
        in (200, 201, 204)

    assert push(root, force=True).ok
    assert sequence_of(server.http().get(server.base + path).content) == 3  # not 0, not 2
    log = RequestLog()
    assert push(root, log=log).ok and log.methods == ["PROPFIND"]  # and it stays that way

    edit(root / "programmes" / f"{ALMELO}.toml", 'room = "19 Atelier (19e verdieping)"',
         'room = "19 Studio (19e verdieping)"', count=2)
    publish(root, later(10))  # a real change: the feed goes to SEQUENCE 1
    assert push(root, now=later(10)).ok
    assert sequence_of(server.http().get(server.base + path).content) == 4
    assert cli_push(root)[1]["targets"][0]["unchanged"] == 19


def test_an_event_deleted_on_the_server_is_a_conflict_until_force_puts_it_back(
        almelo: tuple[Path, DavServer, str], tmp_path: Path) -> None:
    root, server, url = almelo
    push(root)
    path = f"{url.removeprefix(server.base)}{ALMELO}.opening.dav-almelo.ics"
    assert server.http().delete(server.base + path).status_code in (200, 204)
    result = push(root)
    assert [c.key for c in result.conflicts] == [f"{ALMELO}/opening"]
    assert "deleted on the server" in result.conflicts[0].reason
    assert path not in server.listing(url)
    assert push(root, force=True).ok
    assert_server_matches_feed(server, url, root, ALMELO_FEED, tmp_path)


def test_one_session_in_two_calendars_of_one_account_has_two_uids(
        almelo: tuple[Path, DavServer, str], tmp_path: Path) -> None:
    root, server, programme_url = almelo
    group_url = server.new_calendar()
    write_targets(root, server, [("almelo", f"programme:{ALMELO}", programme_url),
                                 ("europa", "group/europa", group_url)])
    code, report = cli_push(root)
    assert code == 0, report
    programme = assert_server_matches_feed(server, programme_url, root, ALMELO_FEED,
                                           tmp_path / "p")
    group = assert_server_matches_feed(server, group_url, root, "groups/europa.ics",
                                       tmp_path / "g", target="europa")
    shared = f"{ALMELO}.r1-europa"
    assert shared in programme and shared in group
    assert programme[shared].uid != group[shared].uid
    assert not {e.uid for e in programme.values()} & {e.uid for e in group.values()}


def test_a_missing_calendar_is_created_only_with_create(
        almelo_dir: Path, dav_server: DavServer, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    project_dir = almelo_dir
    url = dav_server.home + "nog-niet-aangemaakt/"
    write_targets(project_dir, dav_server, [("almelo", f"programme:{ALMELO}", url)])
    monkeypatch.setenv(PASSWORD_ENV, dav_server.password)
    code, report = cli_push(project_dir)
    assert code == 1
    error = report["targets"][0]["error"]
    assert error["kind"] == "not-found"
    assert "does not exist" in error["message"] and "--create" in error["message"]
    assert url.removeprefix(dav_server.base) not in dav_server.listing(dav_server.home)
    code, report = cli_push(project_dir, "--create")
    assert code == 0, report
    assert report["targets"][0]["calendar_created"] is True
    assert_server_matches_feed(dav_server, url, project_dir, ALMELO_FEED, tmp_path)


def test_dry_run_reads_the_server_but_writes_nothing(
        almelo_dir: Path, radicale: DavServer, monkeypatch: pytest.MonkeyPatch) -> None:
    root, server, url = almelo_dir, radicale, radicale.new_calendar()
    write_targets(root, server, [("almelo", f"programme:{ALMELO}", url)])
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    log = RequestLog()
    result = push(root, log=log, dry_run=True)
    assert result.count("create") == 19
    assert log.methods == ["PROPFIND"]
    assert server.listing(url) == {}
    with State(load_config(root).state_path) as state:
        assert load_rows(state, "almelo") == {}


def test_sync_push_publishes_and_then_pushes(
        radicale: DavServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    dav_server = radicale
    project_dir = small_project(tmp_path / "project")  # nothing published yet
    monkeypatch.delenv("G40CAL_STATE", raising=False)
    url = dav_server.new_calendar()
    write_targets(project_dir, dav_server, [("almelo", f"programme:{ALMELO}", url)])
    monkeypatch.setenv(PASSWORD_ENV, dav_server.password)
    result = CliRunner().invoke(cli, ["--root", str(project_dir), "--now",
                                      BEFORE_EVENTS.isoformat(), "sync", "--yes", "--push"])
    assert result.exit_code == 0, result.output
    assert "created 19" in result.stdout
    assert_server_matches_feed(dav_server, url, project_dir, ALMELO_FEED, tmp_path)


def test_a_lost_state_database_adopts_g40cal_objects_instead_of_duplicating_them(
        almelo: tuple[Path, DavServer, str], tmp_path: Path) -> None:
    root, server, url = almelo
    push(root)
    etags = server.listing(url)
    shutil.rmtree(root / ".g40cal")  # a new laptop: the published feeds are all that is left
    sync_at(root, later(5))
    log = RequestLog()
    result = push(root, log=log)
    assert result.ok and result.plan is not None and result.plan.unchanged == 19
    assert "PUT" not in log.methods and "DELETE" not in log.methods
    assert server.listing(url) == etags
    assert_server_matches_feed(server, url, root, ALMELO_FEED, tmp_path)
    assert push(root, log=(again := RequestLog())).ok and again.methods == ["PROPFIND"]


def test_push_says_when_the_published_feed_no_longer_matches_the_settings(
        almelo_dir: Path, radicale: DavServer, monkeypatch: pytest.MonkeyPatch) -> None:
    url = radicale.new_calendar()
    write_targets(almelo_dir, radicale, [("almelo", f"programme:{ALMELO}", url)])
    monkeypatch.setenv(PASSWORD_ENV, radicale.password)
    with (almelo_dir / "g40cal.toml").open("a", encoding="utf-8") as config:
        config.write("[sync]\nrefresh_minutes = 30\n")  # changed, but not synced yet
    result = push(almelo_dir, dry_run=True)
    assert result.plan is not None
    assert result.plan.notes == [
        f"the published feed programme:{ALMELO} differs from a fresh render of the state "
        "(settings or g40cal changed since): run g40cal sync"]


def test_sync_push_without_targets_publishes_nothing(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # As sync --mail without [mail]: the mistake is said before anything is published,
    # not after the feeds went out with exit 1 and nothing pushed.
    project_dir = small_project(tmp_path / "project")
    monkeypatch.delenv("G40CAL_STATE", raising=False)
    result = CliRunner().invoke(cli, ["--root", str(project_dir), "--now",
                                      BEFORE_EVENTS.isoformat(), "sync", "--yes", "--push"])
    assert result.exit_code == 1 and "no CalDAV targets configured" in result.stderr
    assert "Published" not in result.output
    assert not (project_dir / "feeds").exists()

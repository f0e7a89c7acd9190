"""Pushes that go wrong half-way, against real Radicale, Xandikos and SabreDAV processes.

A server killed mid-push and restarted, g40cal itself killed (SIGKILL) mid-push, and a
write that races with someone else's: every time the state must match what the server
really holds, and the next push must finish the job without a duplicate event.
"""

# ruff: noqa: F811  (tests take the imported fixtures as parameters)

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from g40cal.caldav.push import load_rows
from g40cal.config import load_config
from g40cal.state import State
from tests.caldav_servers import (  # noqa: F401  (fixtures, used as parameters)
    ALMELO,
    ALMELO_FEED,
    PASSWORD_ENV,
    DavServer,
    RequestLog,
    almelo_dir,
    assert_server_matches_feed,
    dav_server,
    own_dav_server,
    published_almelo,
    push,
    write_targets,
)

pytestmark = pytest.mark.caldav


def rows(root: Path) -> dict[str, tuple[str, str | None]]:
    """uid → (href, pending operation) as the state records it."""
    with State(load_config(root).state_path) as state:
        return {uid: (row.href, row.pending_op) for uid, row in load_rows(state, "almelo").items()}


def target_for(root: Path, server: DavServer, monkeypatch: pytest.MonkeyPatch) -> str:
    url = server.new_calendar()
    write_targets(root, server, [("almelo", f"programme:{ALMELO}", url)])
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    return url


def test_a_server_killed_mid_push_leaves_true_state_and_the_next_push_finishes_the_job(
        almelo_dir: Path, own_dav_server: DavServer, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    server = own_dav_server
    url = target_for(almelo_dir, server, monkeypatch)
    answered: list[str] = []

    def kill_after_seven_puts(response: httpx.Response) -> None:
        if response.request.method == "PUT":
            answered.append(response.request.url.path)
            if len(answered) == 7:
                server.kill()  # SIGKILL: the server is simply gone

    result = push(almelo_dir, event_hooks={"response": [kill_after_seven_puts]})
    assert result.error is not None and result.error.kind == "unreachable"
    assert 6 <= len(result.done) <= 7

    server.start()  # same port, same data folder: a restart
    on_server = set(server.listing(url))
    known = rows(almelo_dir)
    confirmed = {href for href, pending in known.values() if pending is None}
    unsure = {href for href, pending in known.values() if pending is not None}
    assert len(on_server) == 7
    assert confirmed <= on_server  # nothing recorded that is not there
    assert on_server <= confirmed | unsure  # nothing there that the state does not know
    assert len(unsure) <= 1  # only the request in flight when the server died

    log = RequestLog()
    again = push(almelo_dir, log=log)
    assert again.ok, again
    assert log.methods.count("PUT") == 19 - 7
    assert_server_matches_feed(server, url, almelo_dir, ALMELO_FEED, tmp_path)
    assert all(pending is None for _, pending in rows(almelo_dir).values())


def test_g40cal_killed_mid_push_is_finished_by_the_next_push_without_duplicates(
        almelo_dir: Path, dav_server: DavServer, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    url = target_for(almelo_dir, dav_server, monkeypatch)
    process = subprocess.Popen([sys.executable, "-m", "g40cal", "--root", str(almelo_dir),
                                "push"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while len(dav_server.listing(url)) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)  # no cleanup, no last commit: a hard crash
    assert process.wait() == -signal.SIGKILL
    on_server = settled_count(dav_server, url)
    assert on_server >= 5
    assert any(pending for _, pending in rows(almelo_dir).values())

    log = RequestLog()
    result = push(almelo_dir, log=log)
    assert result.ok, result
    assert log.methods.count("PUT") == 19 - on_server  # what arrived is not sent again
    assert_server_matches_feed(dav_server, url, almelo_dir, ALMELO_FEED, tmp_path)
    assert all(pending is None for _, pending in rows(almelo_dir).values())


def settled_count(server: DavServer, url: str) -> int:
    """Objects in the calendar once the server has finished a request that was already on
    its way when the client died."""
    count = len(server.listing(url))
    while True:
        time.sleep(0.2)
        now = len(server.listing(url))
        if now == count:
            return count
        count = now


def _raw_put_before_g40cal(server: DavServer, body: bytes | None) -> RequestLog:
    """A request hook: just before g40cal's first PUT leaves, the same href is written by
    another client — with g40cal's own bytes (as if an earlier attempt had arrived) or
    with someone else's ``body``."""
    log = RequestLog()

    def hook(request: httpx.Request) -> None:
        log(request)
        if request.method == "PUT" and len(log.of("PUT")) == 1:
            response = server.http().put(str(request.url), content=body or request.content,
                                         headers={"Content-Type": "text/calendar"})
            assert response.status_code in (200, 201, 204)

    hook.log = log  # type: ignore[attr-defined]
    return hook  # type: ignore[return-value]


def test_a_create_that_already_arrived_is_recognised_not_duplicated(
        almelo_dir: Path, dav_server: DavServer, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    url = target_for(almelo_dir, dav_server, monkeypatch)
    hook = _raw_put_before_g40cal(dav_server, None)
    result = push(almelo_dir, event_hooks={"request": [hook]})
    assert result.ok, result
    assert result.count("create") == 19  # the 412 was our own earlier write: done
    assert hook.log.methods.count("GET") == 1  # type: ignore[attr-defined]
    assert_server_matches_feed(dav_server, url, almelo_dir, ALMELO_FEED, tmp_path)


def test_a_create_that_loses_a_race_to_someone_else_leaves_their_object_alone(
        almelo_dir: Path, dav_server: DavServer, monkeypatch: pytest.MonkeyPatch) -> None:
    url = target_for(almelo_dir, dav_server, monkeypatch)
    theirs = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nBEGIN:VEVENT\r\n"
              b"UID:theirs@example.org\r\nDTSTAMP:20240101T000000Z\r\n"
              b"DTSTART:20240111T100000Z\r\nSUMMARY:Van iemand anders\r\nEND:VEVENT\r\n"
              b"END:VCALENDAR\r\n")
    hook = _raw_put_before_g40cal(dav_server, theirs)
    result = push(almelo_dir, event_hooks={"request": [hook]})
    [conflict] = result.conflicts
    assert "another object took this href" in conflict.reason
    bodies = dav_server.objects(url)
    assert b"UID:theirs@example.org" in bodies[conflict.href]
    assert conflict.href not in {href for href, _ in rows(almelo_dir).values()}
    again = push(almelo_dir)  # the next push files g40cal's object under another name
    assert again.ok and again.count("create") == 1
    assert b"UID:theirs@example.org" in dav_server.objects(url)[conflict.href]
    assert len(dav_server.listing(url)) == 20

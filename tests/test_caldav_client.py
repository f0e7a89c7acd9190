"""The CalDAV client on its own: retries, typed errors, and the content fingerprint.

Retries are checked against a real local HTTP server that answers from a script
(503 twice, then a real answer), with the client's clock injected so no test sleeps.
"""

# ruff: noqa: F811  (tests take the imported fixtures as parameters)

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from g40cal.caldav.client import (
    DavAuthError,
    DavClient,
    DavServerError,
    DavUnreachable,
    fingerprint,
    uid_of,
)
from g40cal.caldav.push import dav_scope, resolve_feed
from g40cal.errors import UserError
from g40cal.publishing.events import Event
from g40cal.publishing.ical import render_event, render_object
from g40cal.state import FeedRow, State
from tests.caldav_servers import DavServer, dav_server, free_port  # noqa: F401

MULTISTATUS = (b'<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" '
               b'xmlns:c="urn:ietf:params:xml:ns:caldav"><d:response><d:href>/cal/</d:href>'
               b"<d:propstat><d:prop><d:resourcetype><d:collection/><c:calendar/>"
               b"</d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>"
               b"</d:response><d:response><d:href>/cal/a.ics</d:href><d:propstat><d:prop>"
               b'<d:getetag>"1"</d:getetag><d:resourcetype/></d:prop>'
               b"<d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
               b"</d:multistatus>")


class ScriptedServer:
    """A real HTTP server on 127.0.0.1 answering each request with the next scripted
    (status, headers, body); it records the requests it got."""

    def __init__(self, script: list[tuple[int, dict[str, str], bytes]]) -> None:
        self.script = list(script)
        self.seen: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def handle_one(self) -> None:
                owner.seen.append(self.command)
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                status, headers, body = owner.script.pop(0)
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_PROPFIND = do_GET = do_PUT = handle_one

            def log_message(self, *_: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/cal/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def scripted() -> Iterator[type[ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def make(script: list[tuple[int, dict[str, str], bytes]]) -> ScriptedServer:
        servers.append(ScriptedServer(script))
        return servers[-1]

    yield make  # type: ignore[misc]
    for server in servers:
        server.close()


def client_for(url: str, sleeps: list[float], **options: float) -> DavClient:
    return DavClient(url, username="u", password="p", sleep=sleeps.append, **options)


def test_a_busy_server_is_asked_again_after_its_retry_after(scripted) -> None:  # type: ignore[no-untyped-def]
    server = scripted([(503, {"Retry-After": "2"}, b""), (503, {"Retry-After": "2"}, b""),
                       (207, {"Content-Type": "application/xml"}, MULTISTATUS)])
    sleeps: list[float] = []
    with client_for(server.url, sleeps) as client:
        collection = client.propfind(server.url)
    assert collection.is_calendar and collection.members == {"/cal/a.ics": '"1"'}
    assert server.seen == ["PROPFIND"] * 3
    assert sleeps == [2.0, 2.0]


def test_server_errors_back_off_exponentially_then_give_up_with_a_clear_error(
        scripted) -> None:  # type: ignore[no-untyped-def]
    server = scripted([(500, {}, b"")] * 4)
    sleeps: list[float] = []
    with client_for(server.url, sleeps, retries=3, backoff=0.5) as client, \
            pytest.raises(DavServerError) as caught:
        client.propfind(server.url)
    assert server.seen == ["PROPFIND"] * 4
    assert sleeps == [0.5, 1.0, 2.0]
    assert "server error 500 on PROPFIND" in str(caught.value)


def test_a_refused_login_is_never_retried(scripted) -> None:  # type: ignore[no-untyped-def]
    server = scripted([(401, {"WWW-Authenticate": 'Basic realm="x"'}, b"")])
    sleeps: list[float] = []
    with client_for(server.url, sleeps) as client, pytest.raises(DavAuthError) as caught:
        client.get("/cal/a.ics")
    assert server.seen == ["GET"] and sleeps == []
    assert "authentication failed (401) for user 'u'" in str(caught.value)


def test_a_port_nobody_listens_on_is_tried_again_then_reported_unreachable() -> None:
    sleeps: list[float] = []
    url = f"http://127.0.0.1:{free_port()}/cal/"
    with client_for(url, sleeps, retries=2, backoff=0.25) as client, \
            pytest.raises(DavUnreachable) as caught:
        client.propfind(url)
    assert client.sent["PROPFIND"] == 3
    assert sleeps == [0.25, 0.5]
    assert "cannot connect to 127.0.0.1:" in str(caught.value)


def test_every_write_carries_a_precondition() -> None:
    with DavClient("http://127.0.0.1:9/cal/", username="u", password="p") as client:
        with pytest.raises(ValueError, match="exactly one"):
            client.put("/cal/a.ics", b"x")
        with pytest.raises(ValueError, match="exactly one"):
            client.put("/cal/a.ics", b"x", create=True, if_match='"1"')
    assert client.sent == {}


def sample_object(summary: str = "Plenaire opening") -> bytes:
    start = datetime(2024, 1, 11, 10, 0, tzinfo=UTC)
    event = Event(
        key="p/opening", programme_id="p", item_id="opening", title=summary, summary=summary,
        start=start, end=start.replace(hour=11), location="Raadzaal, Stadhuis, Markt 1",
        description="Welkom door de burgemeester; daarna een lange toelichting " * 3,
        categories=("Plenair",), url="https://example.org/p.html#opening", tentative=False,
        cancelled=False, optional=False, kind="plenair", group_ids=(), round=None,
        room="Raadzaal", venue="Stadhuis")
    return render_object(render_event(event).vevent("p.opening.dav-x@example.org", 0, start,
                                                     cancelled=False))


@pytest.mark.caldav
def test_the_fingerprint_survives_the_servers_rewriting_but_not_an_edit(
        dav_server: DavServer) -> None:
    body = sample_object()
    path = dav_server.new_calendar().removeprefix(dav_server.base) + "a.ics"
    http = dav_server.http()
    assert http.put(dav_server.base + path, content=body, headers={
        "If-None-Match": "*", "Content-Type": "text/calendar; charset=utf-8"}).status_code == 201
    stored = http.get(dav_server.base + path).content
    # Radicale and Xandikos re-serialise (measured, CLIENTS.md §9); SabreDAV keeps the bytes.
    assert (stored != body) == (dav_server.kind != "sabredav")
    assert fingerprint(stored) == fingerprint(body)
    assert uid_of(stored) == "p.opening.dav-x@example.org"
    assert fingerprint(sample_object("Plenaire opening!")) != fingerprint(body)
    edited = stored.replace(b"SEQUENCE:0", b"SEQUENCE:1")
    assert fingerprint(edited) != fingerprint(body)


def test_feeds_are_named_by_id_or_by_the_short_slash_form(tmp_path: Path) -> None:
    with State(tmp_path / "state.sqlite") as state, state.transaction():
        for fid in ("network", "programme:oss", "group:europa"):
            state.put_feed(FeedRow(fid, "x", "n", "d", "p", False, "s", None, "h",
                                   frozenset({"oss/opening"})))
        assert resolve_feed("programme/oss", state) == "programme:oss"
        assert resolve_feed("group:europa", state) == "group:europa"
        assert resolve_feed(" network ", state) == "network"
        with pytest.raises(UserError, match="did you mean 'group:europa'"):
            resolve_feed("group/europe", state)


def test_target_names_give_url_safe_uid_scopes() -> None:
    assert dav_scope("Gemeente Almelo (agenda)") == "dav-gemeente-almelo-agenda"


def test_the_fingerprint_ignores_line_folding_and_property_order() -> None:
    body = sample_object()
    lines = body.decode().replace("\r\n ", "").split("\r\n")
    begin, end = lines.index("BEGIN:VEVENT"), lines.index("END:VEVENT")
    shuffled = lines[:begin + 1] + sorted(lines[begin + 1:end], reverse=True) + lines[end:]
    refolded = "\r\n".join(line if len(line) < 40 else line[:30] + "\r\n\t" + line[30:]
                            for line in shuffled)
    assert refolded.encode() != body
    assert fingerprint(refolded.encode()) == fingerprint(body)

"""Real CalDAV servers for tests: Radicale and Xandikos from PyPI, and SabreDAV 1.8 (the
engine of Nextcloud and Baïkal, from Debian's php-sabre-dav) under PHP's built-in server,
all run as subprocesses.

Each server listens on 127.0.0.1 on a free port and keeps its data in a temporary folder.
Fixtures start it, wait until it answers, and stop it afterwards; ``kill()`` and
``start()`` let a test take a server away in the middle of a push and bring it back
with the same data, like a crash and a restart.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import icalendar
import pytest

from g40cal.caldav.push import TargetResult, push_targets, select_targets
from g40cal.config import load_config
from g40cal.state import State
from tests.conftest import BEFORE_EVENTS
from tests.feedparse import ParsedEvent, parse_feed

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parent.parent
ALMELO = "almelo-ambtelijk-2024"
ALMELO_FEED = f"programmes/{ALMELO}.ics"
DOMAIN = "g40cal.g40stedennetwerk.nl"
START_TIMEOUT = 20.0
XML = {"Content-Type": "application/xml; charset=utf-8"}
PROPFIND = (b'<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop>'
            b"<d:getetag/></d:prop></d:propfind>")
MKCALENDAR = (b'<?xml version="1.0" encoding="utf-8"?><c:mkcalendar xmlns:d="DAV:" '
              b'xmlns:c="urn:ietf:params:xml:ns:caldav"><d:set><d:prop><d:displayname>'
              b"test</d:displayname></d:prop></d:set></c:mkcalendar>")
TASKS_ONLY = (b'<?xml version="1.0" encoding="utf-8"?><c:mkcalendar xmlns:d="DAV:" '
              b'xmlns:c="urn:ietf:params:xml:ns:caldav"><d:set><d:prop><d:displayname>'
              b"Taken</d:displayname><c:supported-calendar-component-set>"
              b'<c:comp name="VTODO"/></c:supported-calendar-component-set></d:prop></d:set>'
              b"</c:mkcalendar>")

SERVER_KINDS = ["radicale", "xandikos", "sabredav"]
# SabreDAV 1.8 (Debian's php-sabre-dav) on PHP 8: the PDO schema its examples ship, the
# principals it needs per user, and PHP's deprecation notices kept out of the answers.
SABRE_AUTOLOAD = Path("/usr/share/php/Sabre/autoload.php")
SABRE_SERVER = Path(__file__).resolve().parent / "sabredav" / "server.php"
SABRE_SCHEMA = """
CREATE TABLE calendarobjects (id integer primary key asc, calendardata blob, uri text,
    calendarid integer, lastmodified integer, etag text, size integer, componenttype text,
    firstoccurence integer, lastoccurence integer);
CREATE TABLE calendars (id integer primary key asc, principaluri text, displayname text,
    uri text, ctag integer, description text, calendarorder integer, calendarcolor text,
    timezone text, components text, transparent bool);
CREATE TABLE principals (id INTEGER PRIMARY KEY ASC, uri TEXT, email TEXT,
    displayname TEXT, vcardurl TEXT, UNIQUE(uri));
CREATE TABLE groupmembers (id INTEGER PRIMARY KEY ASC, principal_id INTEGER,
    member_id INTEGER, UNIQUE(principal_id, member_id));
"""
PHP_QUIET = str(32767 & ~(8192 | 16384 | 8 | 2048))  # E_ALL without deprecations, notices


def require_sabredav() -> None:
    """SabreDAV needs php and php-sabre-dav from Debian. In CI (CI=true) their absence is
    a failure, never a silent skip; on a developer's machine without php, a skip."""
    missing = [what for what, there in (("php", shutil.which("php")),
                                        ("php-sabre-dav", SABRE_AUTOLOAD.is_file()))
               if not there]
    if not missing:
        return
    message = (f"SabreDAV tests need {' and '.join(missing)}: apt-get install php-cli "
               "php-sqlite3 php-sabre-dav (.ci/run does)")
    if os.environ.get("CI") == "true" or shutil.which("php"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DavServer:
    """One server process. ``kind`` is "radicale", "xandikos" or "sabredav"."""

    def __init__(self, kind: str, folder: Path, *, htpasswd: dict[str, str] | None = None,
                 rights: str | None = None) -> None:
        self.kind = kind
        self.folder = folder
        self.port = free_port()
        self.htpasswd = htpasswd
        self.rights = rights  # Radicale: a rights file (default: each user owns their own)
        self.username = next(iter(htpasswd)) if htpasswd else "user"
        self.password = htpasswd[self.username] if htpasswd else "any-password"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = folder / "server.log"
        self._http: httpx.Client | None = None
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def home(self) -> str:
        """Where this account's calendars live (as the server lays them out)."""
        if self.kind == "radicale":
            return f"{self.base}/{self.username}/"
        if self.kind == "sabredav":
            return f"{self.base}/calendars/{self.username}/"
        return f"{self.base}/user/calendars/"

    def command(self) -> list[str]:
        data = str(self.folder / "data")
        if self.kind == "radicale":
            command = [str(BIN / "radicale"), f"--storage-filesystem-folder={data}",
                       f"--server-hosts=127.0.0.1:{self.port}", "--logging-level=warning",
                       "--auth-delay=0"]
            if self.htpasswd:
                users = self.folder / "users"
                users.write_text("".join(f"{u}:{p}\n" for u, p in self.htpasswd.items()))
                command += ["--auth-type=htpasswd", f"--auth-htpasswd-filename={users}",
                            "--auth-htpasswd-encryption=plain"]
                if self.rights:
                    rights = self.folder / "rights"
                    rights.write_text(self.rights)
                    command += ["--rights-type=from_file", f"--rights-file={rights}"]
                else:
                    command += ["--rights-type=owner_only"]
            else:
                command += ["--auth-type=none"]
            return command
        if self.kind == "sabredav":
            return ["php", "-d", f"error_reporting={PHP_QUIET}", "-d", "display_errors=0",
                    "-d", "log_errors=1", "-d", f"error_log={self.folder / 'php-errors.log'}",
                    "-d", f"include_path=.:{SABRE_AUTOLOAD.parent.parent}",
                    "-S", f"127.0.0.1:{self.port}", str(SABRE_SERVER)]
        return [str(BIN / "xandikos"), "serve", "--defaults", "-d", data, "-l", "127.0.0.1",
                "-p", str(self.port)]

    # -- SabreDAV: accounts and sharing live in its SQLite database ----------------------

    @property
    def sabre_db(self) -> Path:
        return self.folder / "sabre.sqlite"

    def _sabre_users(self) -> dict[str, str]:
        return self.htpasswd or {self.username: self.password}

    def _prepare_sabredav(self) -> None:
        if self.sabre_db.exists():
            return  # a restart keeps the data
        with sqlite3.connect(self.sabre_db) as db:
            db.executescript(SABRE_SCHEMA)
            for user in self._sabre_users():
                for uri in (f"principals/{user}", f"principals/{user}/calendar-proxy-read",
                            f"principals/{user}/calendar-proxy-write"):
                    db.execute("INSERT INTO principals (uri, email, displayname) "
                               "VALUES (?, ?, ?)", (uri, f"{user}@example.org", user))
        db.close()

    def share_read_only(self, owner: str, reader: str) -> None:
        """SabreDAV: ``reader`` may read (not write) every calendar of ``owner``, as a
        delegate in its calendar-proxy-read group."""
        with sqlite3.connect(self.sabre_db) as db:
            db.execute(
                "INSERT OR IGNORE INTO groupmembers (principal_id, member_id) SELECT g.id, m.id "
                "FROM principals g, principals m WHERE g.uri = ? AND m.uri = ?",
                (f"principals/{owner}/calendar-proxy-read", f"principals/{reader}"))
        db.close()

    def start(self) -> None:
        environment = None
        if self.kind == "sabredav":
            require_sabredav()
            self._prepare_sabredav()
            users = ",".join(f"{u}:{p}" for u, p in self._sabre_users().items())
            environment = {**os.environ, "SABRE_DB": str(self.sabre_db), "SABRE_USERS": users}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True, env=environment)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited: {self.log.read_text()[-2000:]}")
            try:
                response = httpx.request("OPTIONS", self.base + "/", timeout=1)
                if response.status_code < 500:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.kind} did not answer within {START_TIMEOUT}s")

    def kill(self) -> None:
        """SIGKILL, like a crash: no chance to finish anything."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # -- raw HTTP, independent of g40cal's client --------------------------------------

    def http(self) -> httpx.Client:
        """A raw HTTP client for this server (shared; leave it open)."""
        if self._http is None:
            self._http = httpx.Client(auth=(self.username, self.password), timeout=10,
                                      verify=False)
        return self._http

    def new_calendar(self, name: str | None = None, *, tasks_only: bool = False) -> str:
        """A fresh, empty calendar for one test (``tasks_only``: one that takes only
        VTODOs, like Nextcloud's "Tasks"); returns its URL."""
        url = self.home + (name or f"cal-{uuid.uuid4().hex[:10]}") + "/"
        response = self.http().request("MKCALENDAR", url,
                                       content=TASKS_ONLY if tasks_only else MKCALENDAR,
                                       headers=XML)
        assert response.status_code in (200, 201), (response.status_code, response.text)
        return url

    def listing(self, url: str) -> dict[str, str]:
        """href path → ETag of every object in a calendar."""
        from g40cal.caldav.client import normalise_path

        response = self.http().request("PROPFIND", url, content=PROPFIND,
                                       headers={"Depth": "1", **XML})
        assert response.status_code == 207, response.text
        import xml.etree.ElementTree as ET

        result: dict[str, str] = {}
        own = normalise_path(url, url)
        for entry in ET.fromstring(response.content).iter("{DAV:}response"):
            path = normalise_path(url, entry.findtext("{DAV:}href") or "")
            if path.rstrip("/") != own.rstrip("/"):
                result[path] = entry.findtext(".//{DAV:}getetag") or ""
        return result

    def objects(self, url: str) -> dict[str, bytes]:
        """href path → body of every object in a calendar (PROPFIND + GET each)."""
        http = self.http()
        return {path: http.get(self.base + path).content for path in self.listing(url)}


def _server(kind: str, folder: Path, **kwargs: Any) -> Iterator[DavServer]:
    server = DavServer(kind, folder, **kwargs)  # type: ignore[arg-type]
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module", params=SERVER_KINDS)
def dav_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[DavServer]:
    """Radicale, Xandikos, then SabreDAV: started once per test module, shared by its
    tests (each test uses its own calendar)."""
    yield from _server(request.param, tmp_path_factory.mktemp(request.param))


@pytest.fixture(scope="module")
def sabredav(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DavServer]:
    """SabreDAV with two accounts: 'bureau' and 'reader' (for read-only sharing)."""
    yield from _server("sabredav", tmp_path_factory.mktemp("sabredav"),
                       htpasswd={"bureau": "correct horse", "reader": "battery staple"})


# Radicale: every user reads and writes their own calendars; "reader" may read bureau's.
RADICALE_READ_ONLY_SHARE = """
[root]
user: .+
collection:
permissions: R

[principal]
user: .+
collection: {user}
permissions: RW

[own-calendars]
user: .+
collection: {user}/[^/]+
permissions: rw

[reader-reads-bureau]
user: reader
collection: bureau/[^/]+
permissions: r
"""


@pytest.fixture(scope="module", params=["sabredav", "radicale"])
def read_only_share(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                    ) -> Iterator[DavServer]:
    """A server where user 'reader' (password "battery staple") may read, not write,
    the calendars of 'bureau': SabreDAV (calendar-proxy-read) and Radicale (rights file)."""
    users = {"bureau": "correct horse", "reader": "battery staple"}
    folder = tmp_path_factory.mktemp(f"shared-{request.param}")
    if request.param == "radicale":
        yield from _server("radicale", folder, htpasswd=users, rights=RADICALE_READ_ONLY_SHARE)
        return
    for server in _server("sabredav", folder, htpasswd=users):
        server.share_read_only("bureau", "reader")
        yield server


@pytest.fixture(params=SERVER_KINDS)
def own_dav_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DavServer]:
    """A server of each kind for one test alone: for tests that kill and restart it."""
    yield from _server(request.param, tmp_path / request.param)


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DavServer]:
    """One Radicale for tests whose subject is not the server (CLI plumbing)."""
    yield from _server("radicale", tmp_path_factory.mktemp("radicale"))


@pytest.fixture(scope="module")
def radicale_with_password(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DavServer]:
    """Radicale with htpasswd authentication (plain text, test only): user 'bureau'."""
    yield from _server("radicale", tmp_path_factory.mktemp("radicale-auth"),
                       htpasswd={"bureau": "correct horse", "someone": "else"})


# -- helpers for push tests ------------------------------------------------------------------

PASSWORD_ENV = "G40CAL_TEST_DAV_PASSWORD"


def write_targets(root: Path, server: DavServer, targets: list[tuple[str, str, str]], *,
                  username: str | None = None) -> None:
    """g40cal.toml with one [[caldav.targets]] per (name, feed, url)."""
    text = "".join(
        f'[[caldav.targets]]\nname = "{name}"\nfeed = "{feed}"\nurl = "{url}"\n'
        f'username = "{username or server.username}"\npassword_env = "{PASSWORD_ENV}"\n'
        f"timeout = 10\n\n"
        for name, feed, url in targets)
    (root / "g40cal.toml").write_text(text, encoding="utf-8")


class RequestLog:
    """An httpx event hook that records every request g40cal sends (counting, not mocking)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []

    def __call__(self, request: httpx.Request) -> None:
        self.requests.append((request.method, request.url.path, dict(request.headers)))

    @property
    def methods(self) -> list[str]:
        return [method for method, _, _ in self.requests]

    def of(self, method: str) -> list[tuple[str, str, dict[str, str]]]:
        return [r for r in self.requests if r[0] == method]


def small_project(dest: Path) -> Path:
    """A project with one programme (Almelo, 19 events) and the group registry: it syncs
    in a fraction of the time the five shipped programmes take."""
    (dest / "programmes").mkdir(parents=True)
    shutil.copy(REPO / "programmes" / f"{ALMELO}.toml", dest / "programmes")
    shutil.copy(REPO / "groups.toml", dest)
    return dest


@pytest.fixture(scope="module")
def published_almelo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small project, synced once per module (copied by ``almelo_dir``)."""
    from tests.syncing import sync_at

    root = small_project(tmp_path_factory.mktemp("template") / "project")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("G40CAL_STATE", raising=False)
        sync_at(root)
    return root


@pytest.fixture
def almelo_dir(published_almelo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the published small project (feeds and state included)."""
    monkeypatch.delenv("G40CAL_STATE", raising=False)
    monkeypatch.delenv("G40CAL_NOW", raising=False)
    root = tmp_path / "project"
    shutil.copytree(published_almelo, root)
    return root


def publish(root: Path, now: datetime | None = None) -> None:
    """``sync``'s feeds and state, without the web pages: pages (QR codes) are the slow part
    of a small sync and play no part in pushing. The feeds are the very same."""
    from g40cal.definitions.project import load_project
    from g40cal.publishing.sync import apply_sync, plan_sync

    config = load_config(root)
    project = load_project(config)
    assert not project.errors, [p.format() for p in project.errors]
    with State(config.state_path) as state:
        assert not state.is_empty(), "publish() continues a published project; use sync_at"
        apply_sync(plan_sync(project, state, now=now or BEFORE_EVENTS), state, config)


# -- reading back and pushing ----------------------------------------------------------


def stem(uid: str) -> str:
    """"<programme>.<item>" of a UID, whatever its scope (feed or target)."""
    return uid.split("@", 1)[0].rsplit(".", 1)[0]


def server_events(server: DavServer, url: str, scratch: Path) -> dict[str, ParsedEvent]:
    """Every object in the calendar as the server gives it back, parsed with ``ical``,
    ``icalendar`` and ``vobject`` (the objects' VEVENTs, byte for byte, in one calendar)."""
    scratch.mkdir(parents=True, exist_ok=True)
    blocks: list[str] = []
    timezone = ""
    for body in server.objects(url).values():
        calendar = icalendar.Calendar.from_ical(body)
        assert "METHOD" not in calendar  # RFC 4791 §4.1: no METHOD in a calendar object
        assert len(calendar.walk("VEVENT")) == 1
        assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Amsterdam"]
        text = body.decode().replace("\r\n", "\n").replace("\n", "\r\n")
        begin, end = text.index("BEGIN:VEVENT"), text.index("END:VEVENT") + len("END:VEVENT")
        blocks.append(text[begin:end] + "\r\n")
        timezone = timezone or text[text.index("BEGIN:VTIMEZONE"):
                                    text.index("END:VTIMEZONE") + len("END:VTIMEZONE")] + "\r\n"
    path = scratch / "server.ics"
    path.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + timezone
                    + "".join(blocks) + "END:VCALENDAR\r\n", encoding="utf-8", newline="")
    events: dict[str, ParsedEvent] = {}
    for uid, event in parse_feed(path).items():  # parse_feed also refuses duplicate UIDs
        assert stem(uid) not in events, f"duplicate event {uid} on the server"
        events[stem(uid)] = event
    assert len(events) == len(blocks)
    return events


def feed_events(root: Path, relative: str) -> dict[str, ParsedEvent]:
    return {stem(uid): event for uid, event in parse_feed(root / "feeds" / relative).items()}


def assert_server_matches_feed(server: DavServer, url: str, root: Path, relative: str,
                               scratch: Path, target: str = "almelo") -> dict[str, ParsedEvent]:
    on_server = server_events(server, url, scratch)
    published = feed_events(root, relative)
    assert sorted(on_server) == sorted(published)
    for key, event in published.items():
        pushed = on_server[key]
        assert pushed.uid == f"{key}.dav-{target}@{DOMAIN}"
        assert replace(pushed, uid=event.uid) == event, key
    return on_server


def push(root: Path, *, log: RequestLog | None = None, now: datetime = BEFORE_EVENTS,
         event_hooks: dict[str, list[Any]] | None = None, **options: bool) -> TargetResult:
    """Push the project's one target through the library, with ``log`` counting requests."""
    hooks = {name: list(funcs) for name, funcs in (event_hooks or {}).items()}
    if log is not None:
        hooks.setdefault("request", []).append(log)
    config = load_config(root)
    with State(config.state_path) as state:
        [result] = push_targets(config, state, select_targets(config), now=now,
                                event_hooks=hooks, backoff=0.05, **options)
    return result

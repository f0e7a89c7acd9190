"""A small CalDAV client on httpx: exactly what pushing a feed needs, nothing more.

One kept-alive ``httpx.Client`` per server. Requests: PROPFIND (depth 0/1) for the
collection's resource type and its members' hrefs and ETags (and, when asked, the
components it takes and the user's privileges), GET, PUT with ``If-None-Match: *``
(create) or ``If-Match`` (update), DELETE with ``If-Match``, MKCALENDAR and a
calendar-multiget REPORT for the UIDs of objects g40cal did not create. Every failure
becomes a typed ``DavError`` whose message says what failed, where, and what to try (DNS,
TLS, unreachable, timeout, 401, 403 — read-only, no events here, a named precondition —,
404, not a calendar, 412 conflict, UID conflict, server error).

Why not the ``caldav`` library: it bumps SEQUENCE on save, sends no ``If-None-Match`` on
create and picks ``If-Schedule-Tag-Match`` on Xandikos (docs/clients.md §8–9), and it
pulls in an HTTP stack that replaces ``urllib3``. Seven request types are easy to get right.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
import socket
import ssl
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

import httpx
import icalendar

from g40cal import __version__
from g40cal.errors import G40Error

DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"
XML_TYPE = "application/xml; charset=utf-8"
ICAL_TYPE = "text/calendar; charset=utf-8"

PROPFIND_BODY = (
    b'<?xml version="1.0" encoding="utf-8"?>'
    b'<d:propfind xmlns:d="DAV:"><d:prop>'
    b"<d:resourcetype/><d:getetag/><d:displayname/>"
    b"</d:prop></d:propfind>"
)

# ``targets check`` also asks what the calendar takes and what the user may do in it.
PROPFIND_CHECK_BODY = (
    b'<?xml version="1.0" encoding="utf-8"?>'
    b'<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop>'
    b"<d:resourcetype/><d:getetag/><d:displayname/><c:supported-calendar-component-set/>"
    b"<d:current-user-privilege-set/>"
    b"</d:prop></d:propfind>"
)
# Privileges a push needs on the calendar (RFC 3744 §3): create (bind), change
# (write-content) and delete (unbind) objects. DAV:write and DAV:all contain all three.
PUSH_PRIVILEGES = ("bind", "write-content", "unbind")
COMPONENT_NAMES = {"VEVENT": "events", "VTODO": "tasks", "VJOURNAL": "journal entries",
                   "VFREEBUSY": "free/busy information", "VAVAILABILITY": "availability"}

# calendar-multiget asks for at most this many objects at once (request and answer size).
MULTIGET_BATCH = 200

# Statuses worth another try: the server said "not now", not "no".
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 30.0


# -- errors ----------------------------------------------------------------------------


class DavError(G40Error):
    """A CalDAV request failed. ``kind`` names the failure for reports and ``--json``."""

    kind = "error"

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        self.status = status
        self.hint = hint

    def __str__(self) -> str:
        text = self.message
        if self.url:
            text = f"{self.url}: {text}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class DavDNSError(DavError):
    kind = "dns"


class DavTLSError(DavError):
    kind = "tls"


class DavUnreachable(DavError):
    """No connection (refused, reset, or dropped while waiting for the answer)."""

    kind = "unreachable"


class DavTimeout(DavUnreachable):
    kind = "timeout"


class DavAuthError(DavError):
    kind = "auth"


class DavForbidden(DavError):
    kind = "forbidden"


class DavReadOnly(DavForbidden):
    """The user may read the calendar but lacks a privilege a push needs."""

    kind = "read-only"


class DavNotForEvents(DavForbidden):
    """The calendar takes other components only (a "Tasks" list, iCloud Reminders)."""

    kind = "not-for-events"


class DavRefused(DavError):
    """The server refused this one object for a reason it named (a CalDAV precondition)."""

    kind = "refused"


class DavNotFound(DavError):
    kind = "not-found"


class NotACalendar(DavError):
    kind = "not-a-calendar"


class DavConflict(DavError):
    """412: the precondition failed, i.e. the resource is not in the state we expected."""

    kind = "conflict"


class DavUidConflict(DavConflict):
    """The calendar already holds this UID under another href (Radicale: 409)."""

    kind = "uid-conflict"


class DavServerError(DavError):
    kind = "server"


class DavProtocolError(DavError):
    """An answer this client cannot use (unexpected status, unreadable XML, a redirect)."""

    kind = "protocol"


# -- results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Collection:
    """A PROPFIND of a collection: what it is and (depth 1) which members it holds."""

    url: str
    path: str
    resource_types: frozenset[str]
    displayname: str | None
    members: dict[str, str | None] = field(default_factory=dict)  # path → ETag
    # Only when asked for (``details``) and reported; None: the server did not say.
    components: frozenset[str] | None = None  # "VEVENT", "VTODO", …
    privileges: frozenset[str] | None = None  # local names: "read", "write", "bind", …

    @property
    def is_calendar(self) -> bool:
        return f"{CALDAV}calendar" in self.resource_types

    @property
    def takes_events(self) -> bool:
        return self.components is None or "VEVENT" in self.components

    def missing_privileges(self) -> list[str]:
        """The privileges a push needs that the user lacks (empty if unknown)."""
        if self.privileges is None or self.privileges & {"all", "write"}:
            return []
        return [p for p in PUSH_PRIVILEGES if p not in self.privileges]

    @property
    def read_only(self) -> bool:
        """The user may write nothing here (as far as the server says)."""
        return len(self.missing_privileges()) == len(PUSH_PRIVILEGES)

    def read_only_error(self, username: str) -> DavReadOnly:
        return DavReadOnly(
            f"user {username!r} may read this calendar but not push to it: the calendar is "
            "read-only for this user (shared without write access) (lacks "
            f"{', '.join(PUSH_PRIVILEGES)})", url=self.url,
            hint="ask the owner for write access, or point the target at a calendar of your "
                 "own")

    def describe_components(self) -> str:
        names = sorted(self.components or ())
        return ", ".join(f"{COMPONENT_NAMES.get(n, n)} ({n})" for n in names) or "nothing"

    def describe_type(self) -> str:
        names = sorted(t.split("}", 1)[-1] for t in self.resource_types)
        return ", ".join(names) or "a plain resource"


@dataclass(frozen=True)
class DavObject:
    path: str
    data: bytes
    etag: str | None


# -- calendar objects ----------------------------------------------------------------


def fingerprint(data: bytes) -> str:
    """What a calendar object says, independent of how the server stores it.

    Both Radicale and Xandikos re-serialise what they get (measured: properties
    re-ordered, lines folded elsewhere), so ETags and bytes cannot tell "the server holds
    what we sent" from "someone edited it". The VEVENT's content lines, unfolded and
    sorted, can: a human edit changes a line, a re-serialisation does not.
    """
    text = data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"\n[ \t]", "", text)
    lines: list[str] = []
    depth = 0
    for line in text.split("\n"):
        upper = line.strip().upper()
        if upper == "BEGIN:VEVENT":
            depth += 1
            continue
        if upper == "END:VEVENT":
            depth -= 1
            continue
        if depth > 0 and line.strip():
            lines.append(line.rstrip())
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


def summary_of(data: bytes) -> str | None:
    """The SUMMARY of the first event in a calendar object (None if unreadable)."""
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError:
        return None
    for event in calendar.walk("VEVENT"):
        summary = event.get("SUMMARY")
        return str(summary) if summary is not None else None
    return None


def sequence_of(data: bytes) -> int | None:
    """The SEQUENCE of a calendar object's first VEVENT (0 when it has none, RFC 5545
    §3.8.7.4; None if there is no VEVENT)."""
    text = re.sub(r"\r?\n[ \t]", "", data.decode("utf-8", "replace"))
    event = re.search(r"^BEGIN:VEVENT\r?$(.*?)^END:VEVENT\r?$", text, re.MULTILINE | re.DOTALL)
    if event is None:
        return None
    match = re.search(r"^SEQUENCE(?:;[^:\r\n]*)?:\s*(\d+)\s*\r?$", event.group(1), re.MULTILINE)
    return int(match.group(1)) if match else 0


def uid_of(data: bytes) -> str | None:
    text = re.sub(r"\r?\n[ \t]", "", data.decode("utf-8", "replace"))
    match = re.search(r"^UID(?:;[^:\r\n]*)?:(.*?)\r?$", text, re.MULTILINE)
    return match.group(1).strip() if match else None


# -- the client ------------------------------------------------------------------------


def normalise_path(base: str, href: str) -> str:
    """The decoded path of ``href`` (absolute URL or path) relative to ``base``.

    Servers write hrefs differently (Xandikos gives absolute URLs for missing resources,
    others percent-encode differently), so hrefs are compared in this one form.
    """
    return unquote(urlsplit(urljoin(base, href)).path)


def collection_url(url: str) -> str:
    return url if url.endswith("/") else url + "/"


class DavClient:
    """One CalDAV server, one kept-alive HTTP connection pool. Use as a context manager.

    ``url`` is any URL on the server (usually the first target's calendar); object paths
    (as ``normalise_path`` gives them) are resolved against it.

    Retries: a request that got no answer (connection refused or dropped, timeout) or a
    "try later" status (429, 5xx) is sent again after an exponential backoff (honouring
    ``Retry-After``). That is safe for every request this client sends: GET and PROPFIND
    only read; PUT always carries ``If-None-Match: *`` or ``If-Match: <etag>`` and DELETE
    ``If-Match: <etag>``, so if an earlier attempt did reach the server, the repeat fails
    its precondition (412) instead of writing twice — the caller then compares the
    server's copy with what it sent (see ``push.py``). A repeated MKCALENDAR answers
    "already exists", which the caller checks the same way. DNS, TLS and authentication
    failures are never retried: waiting does not fix them.
    """

    def __init__(self, url: str, *, username: str, password: str, verify_tls: bool = True,
                 timeout: float = 30.0, retries: int = 3, backoff: float = 0.5,
                 event_hooks: dict[str, list[Callable[..., Any]]] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.url = collection_url(url)
        self.username = username
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.sent: Counter[str] = Counter()  # method → requests sent (retries included)
        self.http = httpx.Client(
            auth=httpx.BasicAuth(username, password),
            # Plain http never uses TLS (and redirects are not followed): skip loading the
            # CA bundle, which costs ~30 ms per client.
            verify=verify_tls and urlsplit(url).scheme != "http",
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"User-Agent": f"g40cal/{__version__}"},
            follow_redirects=False,
            event_hooks=event_hooks or {},
        )

    def __enter__(self) -> DavClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def absolute(self, path: str) -> str:
        """URL of a server path (as returned by ``normalise_path``)."""
        return urljoin(self.url, quote(path))

    # -- requests ----------------------------------------------------------------------

    def propfind(self, url: str, *, depth: int = 1, details: bool = False) -> Collection:
        """Resource types and display name of a collection, and its members' ETags;
        ``details``: also the components it takes and the user's privileges on it."""
        target = collection_url(url)
        response = self._send("PROPFIND", target,
                              content=PROPFIND_CHECK_BODY if details else PROPFIND_BODY,
                              headers={"Depth": str(depth), "Content-Type": XML_TYPE})
        if response.status_code != 207:
            raise self._status_error(response, target)
        return _parse_multistatus(response, target)

    def uids(self, url: str, paths: list[str]) -> dict[str, str | None]:
        """The UID of each object at ``paths`` in the calendar at ``url`` (one
        calendar-multiget REPORT per batch; None for an object without a UID). Objects that
        vanished meanwhile are left out."""
        target = collection_url(url)
        found: dict[str, str | None] = {}
        for start in range(0, len(paths), MULTIGET_BATCH):
            hrefs = "".join(f"<d:href>{_xml_text(quote(path))}</d:href>"
                            for path in paths[start:start + MULTIGET_BATCH])
            body = ('<?xml version="1.0" encoding="utf-8"?>'
                    '<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
                    f"<d:prop><c:calendar-data/></d:prop>{hrefs}</c:calendar-multiget>").encode()
            response = self._send("REPORT", target, content=body,
                                  headers={"Depth": "1", "Content-Type": XML_TYPE})
            if response.status_code != 207:
                raise self._status_error(response, target)
            found.update(_parse_calendar_data(response, target))
        return found

    def get(self, path: str) -> DavObject | None:
        """The object at ``path``, or None when there is none (404/410)."""
        url = self.absolute(path)
        response = self._send("GET", url)
        if response.status_code in (404, 410):
            return None
        if response.status_code != 200:
            raise self._status_error(response, url)
        return DavObject(path, response.content, response.headers.get("ETag"))

    def put(self, path: str, data: bytes, *, if_match: str | None = None,
            create: bool = False) -> str | None:
        """Create (``create=True``: ``If-None-Match: *``) or update (``if_match``) an
        object; returns the new ETag, or None when the server did not send one (it may
        have rewritten the data, RFC 4791 §5.3.4: read it back)."""
        if create == (if_match is not None):
            raise ValueError("put needs exactly one of create=True or if_match")
        headers = {"Content-Type": ICAL_TYPE}
        if create:
            headers["If-None-Match"] = "*"
        else:
            headers["If-Match"] = if_match or ""
        url = self.absolute(path)
        response = self._send("PUT", url, content=data, headers=headers)
        if response.status_code not in (200, 201, 204):
            raise self._status_error(response, url)
        return response.headers.get("ETag")

    def delete(self, path: str, *, if_match: str) -> bool:
        """Delete an object only if it still has ``if_match``; False if it was gone."""
        url = self.absolute(path)
        response = self._send("DELETE", url, headers={"If-Match": if_match})
        if response.status_code in (404, 410):
            return False
        if response.status_code not in (200, 202, 204):
            raise self._status_error(response, url)
        return True

    def mkcalendar(self, url: str, name: str, description: str = "") -> None:
        """Create a calendar collection at ``url``."""
        url = collection_url(url)
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
            "<d:set><d:prop>"
            f"<d:displayname>{_xml_text(name)}</d:displayname>"
            f"<c:calendar-description>{_xml_text(description)}</c:calendar-description>"
            "</d:prop></d:set></c:mkcalendar>"
        ).encode()
        response = self._send("MKCALENDAR", url, content=body,
                              headers={"Content-Type": XML_TYPE})
        if response.status_code in (200, 201):
            return
        if response.status_code == 409:
            raise DavProtocolError(
                "cannot create the calendar here (409): the parent collection does not exist",
                url=url, status=409,
                hint="create the parent in the server's interface, or fix the URL")
        raise self._status_error(response, url)

    # -- plumbing ----------------------------------------------------------------------

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        attempt = 0
        while True:
            self.sent[method] += 1
            try:
                response = self.http.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                error = self._transport_error(exc, url)
                if isinstance(error, DavDNSError | DavTLSError) or attempt >= self.retries:
                    raise error from exc
                self.sleep(self.backoff * 2 ** attempt)
            else:
                if response.status_code not in RETRY_STATUSES or attempt >= self.retries:
                    return response
                wait = self._retry_after(response)
                self.sleep(self.backoff * 2 ** attempt if wait is None else wait)
            attempt += 1

    @staticmethod
    def _retry_after(response: httpx.Response) -> float | None:
        value = response.headers.get("Retry-After")
        if not value:
            return None
        try:
            seconds = float(value)
        except ValueError:
            moment = email.utils.parsedate_to_datetime(value)
            if moment is None:
                return None
            seconds = (moment - datetime.now(UTC)).total_seconds()
        return max(0.0, min(seconds, MAX_RETRY_AFTER))

    def _transport_error(self, exc: httpx.TransportError, url: str) -> DavError:
        host = urlsplit(url).hostname or url
        port = urlsplit(url).port
        where = f"{host}:{port}" if port else host
        causes = list(_causes(exc))
        if any(isinstance(c, socket.gaierror) for c in causes):
            return DavDNSError(f"cannot resolve the host name {host!r}", url=url,
                               hint="check the host in the target's url")
        if any(isinstance(c, ssl.SSLError) for c in causes):
            reason = next(str(c) for c in causes if isinstance(c, ssl.SSLError))
            return DavTLSError(
                f"TLS with {where} failed: {reason}", url=url,
                hint="check the certificate; for a test server with a self-signed certificate "
                     "set verify_tls = false")
        if isinstance(exc, httpx.TimeoutException):
            return DavTimeout(f"no answer from {where} in time ({type(exc).__name__})",
                              url=url, hint="is the server overloaded? raise the target's timeout")
        if isinstance(exc, httpx.ConnectError):
            return DavUnreachable(f"cannot connect to {where}: {exc}", url=url,
                                  hint="is the server running and the port right?")
        return DavUnreachable(f"the connection to {where} broke: {exc}", url=url,
                              hint="the server may have stopped; run the command again")

    def _status_error(self, response: httpx.Response, url: str) -> DavError:
        status = response.status_code
        method = response.request.method
        if status == 401:
            return DavAuthError(
                f"authentication failed (401) for user {self.username!r}", url=url, status=401,
                hint="check the username and the password in the target's password_env "
                     "variable or keyring")
        if status == 403:
            return _precondition_error(response, url, self.username) or DavForbidden(
                f"user {self.username!r} may not {method} here (403 Forbidden)", url=url,
                status=403, hint="ask the server's administrator for write access")
        if status in (404, 410):
            return DavNotFound(f"nothing at this URL ({status})", url=url, status=status)
        if status == 412:
            return DavConflict("the object changed on the server (412 Precondition Failed)",
                               url=url, status=412)
        if status == 409 and method == "PUT":
            refused = _precondition_error(response, url, self.username)
            if refused is not None:
                return refused
            if b"no-uid-conflict" in response.content:  # an answer that is not DAV:error XML
                return DavUidConflict("the calendar already holds this UID under another "
                                      "href (409 no-uid-conflict)", url=url, status=409)
        if status in (301, 302, 303, 307, 308):
            return DavProtocolError(
                f"the server redirects ({status}) to {response.headers.get('Location')}",
                url=url, status=status, hint="put the address it redirects to in the target")
        if status >= 500:
            return DavServerError(f"server error {status} on {method}", url=url, status=status,
                                  hint="see the server's log; try again later")
        text = response.text.strip().replace("\n", " ")[:200]
        return DavProtocolError(f"unexpected answer {status} to {method}: {text}", url=url,
                                status=status)


def _precondition_error(response: httpx.Response, url: str, username: str
                        ) -> DavError | None:
    """What a 403/409 body says went wrong (the DAV:error precondition elements of RFC 4791
    §5.3.2.1 and RFC 3744 §7.1.1), in words; None if it names none this client knows."""
    try:
        root = ET.fromstring(response.content)
    except ET.ParseError:
        return None
    if root.tag != f"{DAV}error":
        return None
    tags = {child.tag for child in root}
    status, method = response.status_code, response.request.method
    if f"{CALDAV}supported-calendar-component" in tags:
        return DavNotForEvents(
            f"this calendar does not take events ({status} supported-calendar-component): "
            "it is a task list or another kind of collection", url=url, status=status,
            hint="point the target at a calendar for events (g40cal targets check shows what "
                 "a calendar takes)")
    if f"{DAV}need-privileges" in tags:
        needed = sorted({child.tag.split("}", 1)[-1]
                         for privilege in root.iter(f"{DAV}privilege") for child in privilege})
        return DavReadOnly(
            f"user {username!r} may not {method} here: the calendar is read-only for this "
            f"user (lacks the privilege {', '.join(needed) or 'to write'}, {status})", url=url,
            status=status, hint="ask the calendar's owner to share it with write access, or "
                                "point the target at a calendar of your own")
    if f"{CALDAV}no-uid-conflict" in tags:
        other = root.findtext(f".//{DAV}href")
        return DavUidConflict(
            "the calendar already holds this UID under another href "
            f"({status} no-uid-conflict{': ' + other.strip() if other else ''})", url=url,
            status=status)
    for tag, meaning in (
            ("valid-calendar-data", "is not valid iCalendar data to it"),
            ("valid-calendar-object-resource", "breaks its rules for a calendar object"),
            ("supported-calendar-data", "is in a format it does not take"),
            ("max-resource-size", "is larger than it takes"),
            ("min-date-time", "is dated earlier than it takes"),
            ("max-date-time", "is dated later than it takes"),
            ("max-instances", "has more occurrences than it takes"),
            ("max-attendees-per-instance", "has more attendees than it takes")):
        if f"{CALDAV}{tag}" in tags:
            text = root.findtext("{http://sabredav.org/ns}message")
            return DavRefused(
                f"the server refused this object ({status} {tag}): it {meaning}"
                + (f" ({text.strip()})" if text and text.strip() else ""), url=url,
                status=status)
    return None


def _causes(exc: BaseException | None) -> Iterable[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _xml_text(value: str) -> str:
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def _parse_multistatus(response: httpx.Response, url: str) -> Collection:
    try:
        root = ET.fromstring(response.content)
    except ET.ParseError as exc:
        raise DavProtocolError(f"unreadable PROPFIND answer: {exc}", url=url) from exc
    own = normalise_path(url, url)
    found: Collection | None = None
    members: dict[str, str | None] = {}
    for entry in root.iter(f"{DAV}response"):
        href = entry.findtext(f"{DAV}href")
        if href is None:
            continue
        path = normalise_path(url, href.strip())
        status = entry.findtext(f"{DAV}status")
        if status and _status_code(status) in (404, 410):  # Xandikos: 207 with a 404 inside
            if path.rstrip("/") == own.rstrip("/"):
                raise DavNotFound("nothing at this URL (404)", url=url, status=404)
            continue
        types: set[str] = set()
        etag: str | None = None
        name: str | None = None
        components: frozenset[str] | None = None
        privileges: frozenset[str] | None = None
        for propstat in entry.iter(f"{DAV}propstat"):
            code = _status_code(propstat.findtext(f"{DAV}status") or "HTTP/1.1 200 OK")
            if code != 200:
                continue
            for prop in propstat.iter(f"{DAV}prop"):
                kind = prop.find(f"{DAV}resourcetype")
                if kind is not None:
                    types.update(child.tag for child in kind)
                etag = prop.findtext(f"{DAV}getetag") or etag
                name = prop.findtext(f"{DAV}displayname") or name
                comps = prop.find(f"{CALDAV}supported-calendar-component-set")
                if comps is not None:
                    components = frozenset(c.get("name", "").upper()
                                           for c in comps.iter(f"{CALDAV}comp"))
                granted = prop.find(f"{DAV}current-user-privilege-set")
                if granted is not None:
                    privileges = frozenset(
                        child.tag.split("}", 1)[-1] for privilege in
                        granted.iter(f"{DAV}privilege") for child in privilege)
        if path.rstrip("/") == own.rstrip("/"):
            found = Collection(url, own, frozenset(types), name, {}, components, privileges)
        elif f"{DAV}collection" not in types:
            members[path] = etag.strip() if etag else None
    if found is None:
        raise DavProtocolError("the PROPFIND answer does not describe the URL itself", url=url)
    return replace(found, members=members)


def _parse_calendar_data(response: httpx.Response, url: str) -> dict[str, str | None]:
    try:
        root = ET.fromstring(response.content)
    except ET.ParseError as exc:
        raise DavProtocolError(f"unreadable REPORT answer: {exc}", url=url) from exc
    found: dict[str, str | None] = {}
    for entry in root.iter(f"{DAV}response"):
        href = entry.findtext(f"{DAV}href")
        data = entry.find(f".//{CALDAV}calendar-data")
        if href is None or data is None or data.text is None:
            continue
        found[normalise_path(url, href.strip())] = uid_of(data.text.encode())
    return found


def _status_code(line: str) -> int:
    parts = line.split()
    try:
        return int(parts[1])
    except (IndexError, ValueError):
        return 0

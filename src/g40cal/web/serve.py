"""``g40cal serve``: the published folder over HTTP, as an ASGI app (Starlette).

Serves ``feeds/`` at ``/`` (a feed's URL is the base URL plus its path in index.json) and
personal feeds and pages from the private folder at ``/p/<token>.ics`` and
``/p/<token>.html``. The rules come from what calendar clients need (docs/clients.md §6):

- ``text/calendar; charset=utf-8`` for ``.ics``, never compressed (Outlook fails to
  subscribe to a gzip-compressed feed); HTML, CSS, JS and JSON are gzipped when asked;
- a strong ETag computed from the bytes and Last-Modified from the file's mtime (sync only
  rewrites a file when its bytes change, so both are honest); 304 on If-None-Match, or on
  If-Modified-Since when there is no If-None-Match (RFC 9110 §13.2.2);
- GET and HEAD only; no directory listings; no hidden files; no path traversal (every path
  segment is checked, encoded slashes are refused, symlinks may not leave the folder);
- a personal file only by its exact token: the token's shape is checked, then its file is
  looked up by name (one ``lstat``, O(1) at any number of participants; the file system's
  name lookup says nothing about how close a guess was);
- every request goes through the handler, whatever its path (also ``%0A``), so each gets
  the security headers and one access-log line;
- an access log that shortens anything shaped like a token in every line for every path
  but a public file it served (a token in a log is a leaked calendar), and escapes control
  characters (no forged log lines).

Run it with ``g40cal serve`` (uvicorn), or under any ASGI server with the factory
``g40cal.web.serve:app_factory`` (see docs/serving.md).
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import re
import stat
import time
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from g40cal.config import Config, load_config

log = logging.getLogger("g40cal.serve")

PERSONAL_ROUTE = "p"
# Each path segment: starts with a letter or digit (no hidden files, no ".."), then
# letters, digits, dot, dash, underscore. Nothing else is ever published.
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
# secrets.token_urlsafe alphabet; at least 16 characters (≥ 96 bits) to be worth a lookup.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,200}$")
_PERSONAL_FILE = re.compile(r"^([A-Za-z0-9_-]{16,200})\.(ics|html)$")
# Anything a token could be, anywhere in a logged path (also "/P/…", "/private/…", "%2F").
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_-]{16,}")
PERSONAL_KINDS = ("ics", "html")

CONTENT_TYPES = {
    ".ics": "text/calendar; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}
COMPRESSIBLE = frozenset({".html", ".css", ".js", ".json", ".svg", ".txt"})
MIN_GZIP_SIZE = 512


@dataclass(frozen=True)
class ServeSettings:
    """Cache lifetimes (seconds): short for feeds and pages, so edits reach people soon."""

    public_max_age: int = 300
    asset_max_age: int = 3600
    private_max_age: int = 300


@dataclass(frozen=True)
class _Entity:
    data: bytes
    etag: str  # quoted, strong
    last_modified: float
    gzipped: bytes | None


class FileCache:
    """Bytes, ETag and gzip of each served file, refreshed when size, mtime or inode change."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[tuple[int, int, int], _Entity]] = {}

    def get(self, path: Path, info: os.stat_result, compressible: bool) -> _Entity:
        key = (info.st_size, info.st_mtime_ns, info.st_ino)
        cached = self._entries.get(str(path))
        if cached and cached[0] == key:
            return cached[1]
        data = path.read_bytes()
        etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        packed = None
        if compressible and len(data) >= MIN_GZIP_SIZE:
            packed = gzip.compress(data, compresslevel=6, mtime=0)  # deterministic bytes
        entity = _Entity(data, etag, info.st_mtime, packed)
        if len(self._entries) > 4096:  # a bound, not a policy: the folder is small
            self._entries.clear()
        self._entries[str(path)] = (key, entity)
        return entity


class TokenIndex:
    """Which personal files exist for a token: looked up by name, never by a scan.

    A token is first checked for its shape (the ``secrets.token_urlsafe`` alphabet, 16 to
    200 characters), so the name asked of the file system is always a plain file name in
    the private folder. One ``lstat`` per kind: the cost does not grow with the number of
    participants (a scan with a comparison per token cost 4.2 ms a request at 50,000), the
    answer is as fresh as the folder (a feed written a moment ago is found) and the lookup
    hashes the name, so its timing says nothing about how close a guess was. Regular files
    only: a symlink could point anywhere.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def has(self, token: str, kind: str) -> bool:
        """Whether the private folder holds ``<token>.<kind>`` as a regular file."""
        if kind not in PERSONAL_KINDS or not _TOKEN.match(token):
            return False
        try:
            info = os.lstat(self.folder / f"{token}.{kind}")
        except (OSError, ValueError):
            return False
        return stat.S_ISREG(info.st_mode)

    def lookup(self, token: str) -> frozenset[str]:
        """The extensions ("ics", "html") that exist for this exact token."""
        return frozenset(kind for kind in PERSONAL_KINDS if self.has(token, kind))


def shorten_token(token: str) -> str:
    return token[:4] + "…"


def loggable_path(path: str, *, public_file: bool = False) -> str:
    """The request path as the access log shows it: every run of characters that could be
    a token shortened, whatever the path looks like (``/p/./<token>.ics``, ``/P/…``,
    ``/private/…``), except for a public file that was served (its name is public and
    useful in the log); control and other unprintable characters escaped."""
    if not public_file:
        path = _TOKEN_LIKE.sub(lambda match: shorten_token(match.group()), path)
    return "".join(char if char.isprintable() else _escape(char) for char in path)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _http_date(timestamp: float) -> str:
    return formatdate(int(timestamp), usegmt=True)


def _etag_matches(header: str, etags: tuple[str, ...]) -> bool:
    """If-None-Match uses weak comparison (RFC 9110 §13.1.2): W/ prefixes are ignored."""
    if header.strip() == "*":
        return True
    offered = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return any(etag in offered for etag in etags)


def _not_modified_since(header: str, last_modified: float) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False  # an invalid date is ignored (RFC 9110 §13.1.3)
    if since is None or since.tzinfo is None:
        return False
    return int(last_modified) <= since.timestamp()


class FeedServer:
    """The request handler; one per app, holding the folders and caches."""

    def __init__(self, config: Config, settings: ServeSettings | None = None) -> None:
        self.config = config
        self.settings = settings or ServeSettings()
        self.public_root = config.feeds_path.resolve()
        self.private_root = config.private_path.resolve()
        self.files = FileCache()
        self.tokens = TokenIndex(self.private_root)
        from g40cal.web.pages import content_security_policy

        self.csp = content_security_policy()

    async def asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Every HTTP request, whatever its path: Starlette's path routes do not match a
        path with a newline (``%0A``), which would then skip the handler, its headers and
        its log line."""
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1003})
            return
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        response = self.respond(request)
        elapsed = (time.perf_counter() - started) * 1000
        client = request.client.host if request.client else "-"
        size = response.headers.get("content-length", "-")
        # A public file's name is public; a personal file is served "private".
        public = response.status_code in (200, 304) and not response.headers.get(
            "cache-control", "").startswith("private")
        log.info('%s "%s %s" %d %s %.1fms', client, request.method,
                 # scope["path"], not request.url.path: URL parsing drops CR and LF.
                 loggable_path(request.scope["path"], public_file=public), response.status_code,
                 size, elapsed)
        return response

    def respond(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return self._plain(405, "Method not allowed", {"Allow": "GET, HEAD"})
        segments = self._segments(request)
        if segments is None:
            return self._not_found()
        if segments and segments[0] == PERSONAL_ROUTE:
            return self._personal(request, segments[1:])
        return self._public(request, segments)

    def _segments(self, request: Request) -> list[str] | None:
        """Validated path segments, or None for anything that is not a plain path."""
        raw = request.scope.get("raw_path") or request.url.path.encode()
        raw_path = raw.split(b"?", 1)[0]
        # Percent-encoding is never needed for published names; refusing it outright also
        # refuses encoded slashes, dots and NULs (%2F, %2E, %00) before any decoding.
        if b"%" in raw_path or b"\\" in raw_path or not raw_path.startswith(b"/"):
            return None
        parts = raw_path.decode("ascii", errors="replace").split("/")[1:]
        directory = parts[-1] == ""
        if directory:
            parts = parts[:-1]
        if any(not _SEGMENT.match(part) or ".." in part for part in parts):
            return None  # also catches empty segments ("a//b")
        return [*parts, ""] if directory else parts

    def _public(self, request: Request, segments: list[str]) -> Response:
        if segments and segments[-1] == "":
            segments = [*segments[:-1], "index.html"]  # "/" serves index.html; no listings
        if not segments:
            segments = ["index.html"]
        target = self.public_root.joinpath(*segments)
        if target.suffix not in CONTENT_TYPES:
            return self._not_found()
        resolved = self._inside(target, self.public_root)
        # The private folder is never reachable through /, even if configured inside feeds/.
        if resolved is None or resolved.is_relative_to(self.private_root):
            return self._not_found()
        cache = (self.settings.asset_max_age if segments[0] == "assets"
                 else self.settings.public_max_age)
        return self._file(request, resolved, f"public, max-age={cache}")

    def _personal(self, request: Request, segments: list[str]) -> Response:
        if len(segments) != 1:
            return self._not_found()
        match = _PERSONAL_FILE.match(segments[0])
        if not match or not _TOKEN.match(match.group(1)):
            return self._not_found()
        token, extension = match.groups()
        if not self.tokens.has(token, extension):
            return self._not_found()
        resolved = self._inside(self.private_root / f"{token}.{extension}", self.private_root)
        if resolved is None:
            return self._not_found()
        return self._file(request, resolved, f"private, max-age={self.settings.private_max_age}",
                          personal=True)

    @staticmethod
    def _inside(target: Path, root: Path) -> Path | None:
        """The real path of a regular file inside root, or None (symlinks may not leave)."""
        try:
            resolved = target.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not resolved.is_relative_to(root):
            return None
        try:
            if not stat.S_ISREG(resolved.stat().st_mode):
                return None
        except OSError:
            return None
        return resolved

    def _file(self, request: Request, path: Path, cache_control: str, *,
              personal: bool = False) -> Response:
        try:
            info = path.stat()
            suffix = path.suffix
            entity = self.files.get(path, info, suffix in COMPRESSIBLE)
        except OSError:  # removed between the check and the read (a sync removed it)
            return self._not_found()
        use_gzip = entity.gzipped is not None and _accepts_gzip(request)
        etag = entity.etag[:-1] + '-gz"' if use_gzip else entity.etag
        headers = {
            "ETag": etag,
            "Last-Modified": _http_date(entity.last_modified),
            "Cache-Control": cache_control,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        }
        if suffix in COMPRESSIBLE:
            headers["Vary"] = "Accept-Encoding"
        if suffix == ".html":
            headers["Content-Security-Policy"] = self.csp
        if personal:
            headers["X-Robots-Tag"] = "noindex, nofollow"
        inm = request.headers.get("if-none-match")
        ims = request.headers.get("if-modified-since")
        # If-None-Match wins: If-Modified-Since only counts when there is no If-None-Match.
        if inm is not None:
            fresh = _etag_matches(inm, (entity.etag, entity.etag[:-1] + '-gz"'))
        else:
            fresh = ims is not None and _not_modified_since(ims, entity.last_modified)
        if fresh:
            return Response(status_code=304, headers=headers)
        body = entity.gzipped if use_gzip and entity.gzipped is not None else entity.data
        if use_gzip:
            headers["Content-Encoding"] = "gzip"
        headers["Content-Type"] = CONTENT_TYPES[suffix]
        headers["Content-Length"] = str(len(body))
        if request.method == "HEAD":
            return Response(b"", status_code=200, headers=headers)
        return Response(body, status_code=200, headers=headers)

    def _not_found(self) -> Response:
        return self._plain(404, "Niet gevonden.\n")

    @staticmethod
    def _plain(status: int, text: str, extra: dict[str, str] | None = None) -> Response:
        headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                   **(extra or {})}
        return Response(text, status_code=status, media_type="text/plain", headers=headers)


def _accepts_gzip(request: Request) -> bool:
    for part in request.headers.get("accept-encoding", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip"):
            quality = params.strip().removeprefix("q=")
            try:
                return not params or float(quality) > 0
            except ValueError:
                return True
    return False


def create_app(config: Config, settings: ServeSettings | None = None) -> Starlette:
    """The ASGI app serving config.feeds_path at / and personal files at /p/<token>.*"""
    server = FeedServer(config, settings)
    app = Starlette()
    app.router.default = server.asgi  # no routes: every request reaches the handler
    app.state.server = server
    return app


def app_factory() -> Starlette:
    """For ASGI servers: ``uvicorn --factory g40cal.web.serve:app_factory``.

    The project folder comes from ``G40CAL_ROOT`` (default: the working directory) and an
    optional configuration file from ``G40CAL_CONFIG``.
    """
    root = Path(os.environ.get("G40CAL_ROOT", "."))
    config_file = os.environ.get("G40CAL_CONFIG")
    return create_app(load_config(root, Path(config_file) if config_file else None))

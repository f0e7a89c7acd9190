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
- a personal file only by its exact token: tokens are compared in constant time against
  every existing one, so an unknown token is a 404 as fast as any other;
- an access log that shortens personal tokens (a token in a log is a leaked calendar).

Run it with ``g40cal serve`` (uvicorn), or under any ASGI server with the factory
``g40cal.serve:app_factory`` (see docs/serving.md).
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
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
from starlette.routing import Route

from g40cal.config import Config, load_config

log = logging.getLogger("g40cal.serve")

PERSONAL_ROUTE = "p"
# Each path segment: starts with a letter or digit (no hidden files, no ".."), then
# letters, digits, dot, dash, underscore. Nothing else is ever published.
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
# secrets.token_urlsafe alphabet; at least 16 characters (≥ 96 bits) to be worth a lookup.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,200}$")
_PERSONAL_FILE = re.compile(r"^([A-Za-z0-9_-]{16,200})\.(ics|html)$")

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
    """The tokens that have a personal file, re-read when the folder changes.

    Lookups compare the requested token with every known token in constant time, so the
    answer's timing says nothing about how close a guess was.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._stamp: tuple[int, int] | None = None
        self._files: dict[str, frozenset[str]] = {}

    def _refresh(self) -> None:
        try:
            info = self.folder.stat()
        except OSError:
            self._stamp, self._files = None, {}
            return
        stamp = (info.st_mtime_ns, info.st_ino)
        # A change within the same timestamp tick as the last scan would keep the old
        # stamp, so a folder changed in the last seconds is always read again.
        if stamp == self._stamp and time.time() - info.st_mtime > 2:
            return
        found: dict[str, set[str]] = {}
        with os.scandir(self.folder) as entries:
            for entry in entries:
                match = _PERSONAL_FILE.match(entry.name)
                # Regular files only: a symlink could point anywhere.
                if match and entry.is_file(follow_symlinks=False):
                    found.setdefault(match.group(1), set()).add(match.group(2))
        self._files = {token: frozenset(kinds) for token, kinds in found.items()}
        self._stamp = stamp

    def lookup(self, token: str) -> frozenset[str]:
        """The extensions ("ics", "html") that exist for this exact token."""
        self._refresh()
        wanted = token.encode()
        result: frozenset[str] = frozenset()
        for known, kinds in self._files.items():
            if hmac.compare_digest(known.encode(), wanted):
                result = kinds
        return result


def shorten_token(token: str) -> str:
    return token[:4] + "…"


def loggable_path(path: str) -> str:
    """The request path with any personal token shortened."""
    prefix = f"/{PERSONAL_ROUTE}/"
    if path.startswith(prefix):
        rest = path[len(prefix):]
        stem, dot, ext = rest.partition(".")
        return prefix + shorten_token(stem) + dot + ext
    return path


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
        from g40cal.pages import content_security_policy

        self.csp = content_security_policy()

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        response = self.respond(request)
        elapsed = (time.perf_counter() - started) * 1000
        client = request.client.host if request.client else "-"
        size = response.headers.get("content-length", "-")
        log.info('%s "%s %s" %d %s %.1fms', client, request.method,
                 loggable_path(request.url.path), response.status_code, size, elapsed)
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
        if extension not in self.tokens.lookup(token):
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


ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]


def create_app(config: Config, settings: ServeSettings | None = None) -> Starlette:
    """The ASGI app serving config.feeds_path at / and personal files at /p/<token>.*"""
    server = FeedServer(config, settings)
    app = Starlette(routes=[Route("/{path:path}", server.handle, methods=ALL_METHODS)])
    app.state.server = server
    return app


def app_factory() -> Starlette:
    """For ASGI servers: ``uvicorn --factory g40cal.serve:app_factory``.

    The project folder comes from ``G40CAL_ROOT`` (default: the working directory) and an
    optional configuration file from ``G40CAL_CONFIG``.
    """
    root = Path(os.environ.get("G40CAL_ROOT", "."))
    config_file = os.environ.get("G40CAL_CONFIG")
    return create_app(load_config(root, Path(config_file) if config_file else None))

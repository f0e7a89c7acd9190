"""Definitions compiled once: parsed, turned into events and rendered, cached by content.

Parsing and validating a network-scale set of definitions (100 files, 8,000 items) and
rendering every event takes seconds; a sync after one room change must take well under a
second. So each definition file's result — the programme, its problems, its events (with
their hashes) and their rendered iCalendar lines — is kept under a hash of everything it
derives from: the file's path and bytes, the group registry, the settings and g40cal's
version. Anything else (another key, a damaged or unreadable cache file) is a miss, and the
file is compiled as if there were no cache. Only edited files are parsed again.

The cache lives next to the state database (``<state folder>/cache``, owner only). It
holds nothing the definition files do not already say, and deleting it is always safe.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from g40cal import __version__
from g40cal.checks import programme_warnings
from g40cal.config import Config
from g40cal.errors import Problem
from g40cal.events import Event, build_events
from g40cal.groups import GroupRegistry
from g40cal.ical import RENDER_VERSION, RenderedEvent, render_event
from g40cal.loader import parse_programme
from g40cal.model import Programme
from g40cal.publish import atomic_write

# Bump when the pickled shapes change in a way a version bump would not catch (dev builds).
CACHE_FORMAT = "1"


@dataclass(frozen=True)
class Compiled:
    """One definition file, compiled: ``events`` and ``rendered`` are empty on errors."""

    programme: Programme | None
    problems: tuple[Problem, ...]
    events: tuple[Event, ...]
    rendered: tuple[RenderedEvent, ...]
    source: str = ""  # hash of the file's path and bytes: tells a sync what was edited


def compile_definition(raw: bytes, path: Path, registry: GroupRegistry,
                       config: Config) -> Compiled:
    programme, problems = parse_programme(raw, path, registry)
    if programme is not None:
        problems = [*problems, *programme_warnings(programme)]
    source = source_hash(path, raw)
    if programme is None or any(p.severity == "error" for p in problems):
        return Compiled(programme, tuple(problems), (), (), source)
    events = tuple(build_events(programme, config))
    for event in events:  # computed now, so that the cache keeps them
        event.hashes()
        _ = event.digest
    return Compiled(programme, tuple(problems), events,
                    tuple(render_event(e) for e in events), source)


def source_hash(path: Path, raw: bytes) -> str:
    """The file's name and bytes (not its folder: a moved project is the same project)."""
    return hashlib.sha256(path.name.encode() + b"\0" + raw).hexdigest()


def context_hash(config: Config, registry_bytes: bytes) -> str:
    """Everything besides its own file that shapes a programme's events and pages:
    g40cal's version, the settings (repr of a dataclass of plain values, without where
    the project lies and its CalDAV targets) and the group registry."""
    settings = replace(config, root=Path("."), path=None, state_override=None, targets=())
    return hashlib.sha256(f"{CACHE_FORMAT}/{__version__}/{RENDER_VERSION}/{settings!r}"
                          .encode() + b"\0" + registry_bytes).hexdigest()


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while many long-lived objects are made at once (a
    cached definition unpickled, a sync planned): the collector would scan them again and
    again for nothing — they hold no reference cycles to reclaim.

    They are frozen at the end (``gc.freeze``: left out of every later collection), or the
    first allocation after the pause would scan them all at once (a twentieth of a second
    at network scale). Frozen objects are still freed when no longer referenced.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def compile_file(path: Path, registry: GroupRegistry, config: Config,
                 cache: BuildCache | None = None) -> Compiled:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return Compiled(None, (Problem("error", "unreadable",
                                       f"cannot read the file: {exc.strerror}", path),), (), (),
                        "")
    if cache is None:
        return compile_definition(raw, path, registry, config)
    return cache.compile(raw, path, registry, config)


class BuildCache:
    """Compiled definitions in a folder, one pickle per file version."""

    def __init__(self, folder: Path, context: str) -> None:
        self.folder = folder
        self.context = context
        self.used: set[str] = set()

    def _name(self, path: Path, raw: bytes) -> str:
        # The full path too: the cached problems name the file they were found in.
        name = hashlib.sha256(f"{self.context}/{path.absolute()}/{source_hash(path, raw)}"
                              .encode())
        return name.hexdigest() + ".pickle"

    def compile(self, raw: bytes, path: Path, registry: GroupRegistry,
                config: Config) -> Compiled:
        name = self._name(path, raw)
        self.used.add(name)
        cached = self._read(name)
        if cached is not None:
            return cached
        compiled = compile_definition(raw, path, registry, config)
        self._write(name, compiled)
        return compiled

    def _read(self, name: str) -> Compiled | None:
        # The folder is written only by g40cal, owner only, next to the state database:
        # unpickling it trusts it as much as the state itself.
        try:
            with open(self.folder / name, "rb") as handle:
                value = pickle.load(handle)
        except Exception:  # a missing or damaged entry is just a miss
            return None
        return value if isinstance(value, Compiled) else None

    def _write(self, name: str, compiled: Compiled) -> None:
        with contextlib.suppress(OSError):  # a read-only state folder: work without a cache
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            atomic_write(self.folder / name, pickle.dumps(compiled, pickle.HIGHEST_PROTOCOL),
                         mode=0o600, durable=False)

    def prune(self) -> None:
        """Drop entries of file versions that no longer exist (after a full load)."""
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.folder):
                if entry.name.endswith(".pickle") and entry.name not in self.used:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)

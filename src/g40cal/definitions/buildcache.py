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

Entries are JSON that decodes only into the model's own dataclasses (``_decode``): unlike a
pickle, a cache file cannot run code, whoever wrote it. And since a planted entry could
still put words into the feeds, a file (or a cache folder) that is not this user's own, or
that others may write to, is never read.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import MISSING, dataclass, fields, is_dataclass, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from g40cal import __version__
from g40cal.config import Config
from g40cal.definitions.checks import programme_warnings
from g40cal.definitions.groups import GroupRegistry
from g40cal.definitions.loader import parse_programme
from g40cal.definitions.model import Day, Group, Item, Programme, Venue
from g40cal.errors import Problem
from g40cal.publishing.events import Event, build_events
from g40cal.publishing.ical import RENDER_VERSION, RenderedEvent, render_event
from g40cal.publishing.publish import atomic_write

# The only classes a cache entry can become (plain frozen data, no behaviour on creation).
_CLASSES: dict[str, type] = {c.__name__: c for c in (Programme, Day, Venue, Item, Group,
                                                     Problem, Event)}
_FIELD_NAMES = {name: {f.name for f in fields(cls)} for name, cls in _CLASSES.items()}


def _defaults(cls: type) -> dict[str, Any]:
    found = {}
    for f in fields(cls):
        if f.default is not MISSING:
            found[f.name] = f.default
        elif f.default_factory is not MISSING:
            found[f.name] = f.default_factory()
    return found


# Fields left at their (immutable) default are not written: a third of an entry's size.
_DEFAULTS = {name: _defaults(cls) for name, cls in _CLASSES.items()}
# Values an Event computes once and keeps (functools.cached_property): kept in the entry.
_EVENT_CACHED = ("_hashes", "digest")


def _shape() -> str:
    """The classes' field names: an entry written for other shapes is never decoded."""
    names = [f"{name}:{','.join(f.name for f in fields(cls))}"
             for name, cls in sorted(_CLASSES.items())]
    return hashlib.sha256(";".join(names).encode()).hexdigest()[:12]


# Bump when the cached shapes change in a way a version bump would not catch (dev builds).
CACHE_FORMAT = f"2-json-{_shape()}"


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
    """Compiled definitions in a folder, one JSON entry per file version."""

    SUFFIX = ".json"

    def __init__(self, folder: Path, context: str) -> None:
        self.folder = folder
        self.context = context
        self.used: set[str] = set()
        self._trusted: bool | None = None  # is the folder this user's own? (looked at once)

    def _name(self, path: Path, raw: bytes) -> str:
        # The full path too: the cached problems name the file they were found in.
        name = hashlib.sha256(f"{self.context}/{path.absolute()}/{source_hash(path, raw)}"
                              .encode())
        return name.hexdigest() + self.SUFFIX

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

    def _folder_trusted(self) -> bool:
        """Only a folder this user owns and nobody else may write to is read (or pruned)."""
        if self._trusted is None:
            try:
                self._trusted = _owned_and_private(self.folder.stat())
            except OSError:
                self._trusted = False  # no cache yet (it is made on the first write)
        return self._trusted

    def _read(self, name: str) -> Compiled | None:
        if not self._folder_trusted():
            return None
        try:
            with open(self.folder / name, "rb") as handle:
                if not _owned_and_private(os.fstat(handle.fileno())):
                    return None  # planted by someone else: compile the file instead
                data = handle.read()
            return decode_compiled(data)
        except Exception:  # a missing or damaged entry is just a miss
            return None

    def _write(self, name: str, compiled: Compiled) -> None:
        with contextlib.suppress(OSError, TypeError, ValueError):  # no cache: just slower
            if not self.folder.exists():
                self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
                self._trusted = None
            if not self._folder_trusted():
                return
            atomic_write(self.folder / name, encode_compiled(compiled), mode=0o600,
                         durable=False)

    def prune(self) -> None:
        """Drop entries of file versions that no longer exist (after a full load), and
        the pickles of older versions."""
        if not self._folder_trusted():
            return
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.folder):
                stale = entry.name.endswith(".pickle") or (
                    entry.name.endswith(self.SUFFIX) and entry.name not in self.used)
                if stale:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)


def _owned_and_private(info: os.stat_result) -> bool:
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


# -- the entry format ------------------------------------------------------------------
#
# JSON with a few tags: {"$": "Item", ...fields} a dataclass of _CLASSES, {"$f": [...]} a
# frozenset, {"$d": ...} a date, {"$t": ...} a time, {"$D": ..., "z": zone} a datetime,
# {"$p": ...} a path; every list is a tuple (the model holds no lists). A compiled file's
# rendered events refer to its events by position, so each event is stored (and made) once.


def encode_compiled(compiled: Compiled) -> bytes:
    by_key = {id(e): n for n, e in enumerate(compiled.events)}
    rendered = [[by_key[id(r.event)], r.body, r.hash_line] for r in compiled.rendered]
    data = {"programme": compiled.programme, "problems": compiled.problems,
            "events": compiled.events, "rendered": rendered, "source": compiled.source}
    return json.dumps(data, default=_encode, ensure_ascii=False,
                      separators=(",", ":")).encode()


def decode_compiled(data: bytes) -> Compiled:
    value = json.loads(data, object_hook=_decode)
    events = tuple(value["events"])
    if not all(isinstance(e, Event) for e in events):
        raise ValueError("not a compiled definition")
    programme = value["programme"]
    if programme is not None and not isinstance(programme, Programme):
        raise ValueError("not a compiled definition")
    rendered = tuple(RenderedEvent(events[n], body, line) for n, body, line in value["rendered"])
    return Compiled(programme, tuple(value["problems"]), events, rendered, value["source"])


def _encode(value: Any) -> Any:
    """``json.dumps``'s fallback for what JSON has no word for (see above)."""
    if is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if _CLASSES.get(name) is not type(value):
            raise TypeError(f"{name} is not kept in the build cache")
        defaults = _DEFAULTS[name]
        data: dict[str, Any] = {"$": name}
        for f in fields(value):
            field_value = getattr(value, f.name)
            if f.name not in defaults or field_value != defaults[f.name]:
                data[f.name] = field_value
        if isinstance(value, Event):
            data["$c"] = {k: value.__dict__[k] for k in _EVENT_CACHED if k in value.__dict__}
        return data
    if isinstance(value, frozenset):
        return {"$f": sorted(value)}
    if isinstance(value, datetime):
        zone = getattr(value.tzinfo, "key", None)
        if zone is None:
            return {"$D": value.isoformat()}
        # Wall time and zone name: made again without converting (fold: the hour that a
        # change to winter time repeats).
        return {"$D": value.replace(tzinfo=None).isoformat(), "z": zone, "f": value.fold}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, time):
        return {"$t": value.isoformat()}
    if isinstance(value, Path):
        return {"$p": str(value)}
    raise TypeError(f"{type(value).__name__} is not kept in the build cache")


def _tuple_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if "tuple[" in str(f.type))


# Per class, the fields that hold tuples (JSON gives lists back).
_TUPLE_FIELDS = {name: _tuple_fields(cls) for name, cls in _CLASSES.items()}


@functools.lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _decode(data: dict[str, Any]) -> Any:
    name = data.pop("$", None)
    if name is not None:
        cls = _CLASSES[name]  # anything else: a damaged entry (a miss)
        cached = data.pop("$c", None)
        for key in _TUPLE_FIELDS[name]:
            value = data.get(key)
            if type(value) is list:
                data[key] = tuple(value)
        if not data.keys() <= _FIELD_NAMES[name]:
            raise ValueError(f"a cached {name} with other fields")
        # Made as pickle makes them (no __init__: these are plain frozen records, and
        # calling it per field is most of the decoding time at network scale).
        made = object.__new__(cls)
        made.__dict__.update(_DEFAULTS[name])
        made.__dict__.update(data)
        if len(made.__dict__) != len(_FIELD_NAMES[name]):
            raise ValueError(f"a cached {name} without all its fields")
        if cached:
            hashes = cached.get("_hashes")
            if type(hashes) is list and len(hashes) == 2:
                made.__dict__["_hashes"] = tuple(hashes)
            if type(cached.get("digest")) is str:
                made.__dict__["digest"] = cached["digest"]
        return made
    if len(data) <= 3:
        if "$f" in data:
            return frozenset(data["$f"])
        if "$D" in data:
            moment = datetime.fromisoformat(data["$D"])
            zone = data.get("z")
            return moment.replace(tzinfo=_zone(zone), fold=data["f"]) if zone else moment
        if "$d" in data:
            return date.fromisoformat(data["$d"])
        if "$t" in data:
            return time.fromisoformat(data["$t"])
        if "$p" in data:
            return Path(data["$p"])
    return data

"""The state database (SQLite): what was published, so that sync can diff against it.

Per event: its content (to re-render a cancellation after the item is gone), content
hashes, SEQUENCE, LAST-MODIFIED and status. Per feed: the events it holds and the hash of
its bytes. Per file: what was last written, to detect a run that died before writing.
Participants (``participants.py``) and CalDAV targets (``caldav.py``) keep their tables
here too. The schema is versioned; ``MIGRATIONS`` upgrades older databases in place.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from g40cal.errors import StateError
from g40cal.publishing.events import Event


def _load_migrations() -> list[str]:
    """Schema migrations, one SQL file each in ``g40cal/migrations`` (NNNN_name.sql)."""
    folder = resources.files("g40cal") / "migrations"
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(folder / name).read_text(encoding="utf-8") for name in names]


MIGRATIONS: list[str] = _load_migrations()


def _statements(script: str) -> list[str]:
    """Split a migration into statements (``executescript`` would commit on its own, and a
    trigger body holds semicolons, so a naive split on ';' is wrong)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        if not buffer and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


# The rows below are NamedTuples, not frozen dataclasses: a sync makes one per event and
# per feed (50,000 personal feeds), and a frozen dataclass costs ~4× as much to make.


class EventRow(NamedTuple):
    key: str
    sig: str
    full: str
    sequence: int
    modified: datetime
    status: str  # active | cancelled
    removed: bool  # gone from the definitions (kept only to announce the cancellation)
    ends_at: datetime
    event: Event


class EventHead(NamedTuple):
    """A stored event without its content (see ``State.event_heads``)."""

    key: str
    sig: str
    full: str
    sequence: int
    modified: datetime
    status: str
    removed: bool
    ends_at: datetime
    digest: str | None  # of the stored event JSON; None: stored before it was kept


class FeedRow(NamedTuple):
    feed_id: str
    kind: str
    name: str
    description: str
    path: str
    private: bool
    uid_scope: str
    programme: str | None
    hash: str
    keys: frozenset[str]


class MemberRow(NamedTuple):
    """A per-feed deviation: an event that left one feed (or came back) while it lives on."""

    feed_id: str
    key: str
    bump: int
    left: bool
    modified: datetime


class FileRow(NamedTuple):
    path: str
    hash: str
    size: int
    mtime_ns: int


@lru_cache(maxsize=65536)
def _moment(text: str) -> datetime:
    """Parsed once per distinct value: thousands of events share a few sync times."""
    return datetime.fromisoformat(text)


def _in_chunks(db: sqlite3.Connection, query: str, values: Iterable[str],
               size: int = 500) -> Iterator[tuple[Any, ...]]:
    """Rows of ``query`` ("... IN ({})") for many values, a bounded number per statement."""
    values = sorted(set(values))
    for start in range(0, len(values), size):
        chunk = values[start:start + size]
        yield from db.execute(query.format(",".join("?" * len(chunk))), chunk)


def event_from_json(text: str) -> Event:
    data: dict[str, Any] = json.loads(text)
    data["start"] = datetime.fromisoformat(data["start"])
    data["end"] = datetime.fromisoformat(data["end"]) if data["end"] else None
    for name in ("categories", "group_ids"):
        data[name] = tuple(data[name])
    return Event(**data)


# Files of the state database: the database, its write-ahead log and shared memory.
STATE_FILE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def secure_state_folder(folder: Path) -> None:
    """The state folder holds names, e-mail addresses and feed tokens: made owner only.

    A folder g40cal makes is 0700 from the start. An existing one is tightened only when
    it is g40cal's own (the default ``.g40cal``, owned by this user): ``--state`` may point
    into a shared folder such as /tmp, whose mode is not g40cal's to change — there the
    state files themselves are 0600.
    """
    if not folder.exists():
        with _owner_only():
            folder.mkdir(parents=True, exist_ok=True)
        return
    if folder.name == ".g40cal":
        with contextlib.suppress(OSError):
            if folder.stat().st_uid == os.getuid() and folder.stat().st_mode & 0o077:
                folder.chmod(0o700)


@contextmanager
def _owner_only() -> Iterator[None]:
    """Files and folders made in the block are owner only from their first byte (the
    umask is process-wide, so the block is kept short: opening the database)."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def _tighten(path: Path) -> None:
    for suffix in STATE_FILE_SUFFIXES:
        with contextlib.suppress(OSError):
            file = path.with_name(path.name + suffix)
            if file.stat().st_mode & 0o077:
                file.chmod(0o600)


class State:
    """A connection to the state database. Use as a context manager.

    Every transaction that changes a row raises the ``generation`` counter (in ``meta``):
    a plan records it, and applies only to the state it was made from (``apply_sync``).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        secure_state_folder(path.parent)
        self._counting = False  # the generation counter exists (after the migrations)
        try:
            _tighten(path)  # a database made by an older g40cal
            with _owner_only():  # a new database, its -wal and -shm: 0600 from the start
                self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=FULL")
                self.db.execute("PRAGMA foreign_keys=ON")
                self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StateError(f"{path}: cannot use the state database: "
                             f"{describe_sqlite_error(exc)}") from exc
        self._counting = True
        _tighten(path)

    def __enter__(self) -> State:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StateError(
                f"{self.path}: made by a newer g40cal (schema {version}, this one knows "
                f"{len(MIGRATIONS)}); upgrade g40cal")
        for number in range(version, len(MIGRATIONS)):
            with self.transaction():
                for statement in _statements(MIGRATIONS[number]):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        before = self.db.total_changes
        try:
            yield self.db
            if self._counting and self.db.total_changes != before:
                self.db.execute(
                    "INSERT INTO meta (key, value) VALUES ('generation', '1') ON CONFLICT(key) "
                    "DO UPDATE SET value = CAST(value AS INTEGER) + 1")
        except BaseException:
            if self.db.in_transaction:  # a failed COMMIT (a full disk) may have ended it
                self.db.execute("ROLLBACK")
            raise
        try:
            self.db.execute("COMMIT")
        except sqlite3.OperationalError:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise

    def generation(self) -> int:
        """How many changing transactions the state has seen: a plan made at one value
        applies only while it holds."""
        return int(self.meta("generation") or 0)

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def is_empty(self) -> bool:
        return self.db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0 and (
            self.db.execute("SELECT COUNT(*) FROM feeds").fetchone()[0] == 0)

    # -- reading -------------------------------------------------------------------

    def event_heads(self) -> dict[str, EventHead]:
        """Every stored event without its content: enough to tell what did not change."""
        rows = self.db.execute(
            "SELECT key, sig, full, sequence, modified, status, removed, ends_at, digest "
            "FROM events")
        return {r[0]: EventHead(r[0], r[1], r[2], r[3], _moment(r[4]), r[5], bool(r[6]),
                                _moment(r[7]), r[8]) for r in rows}

    def events(self, keys: Iterable[str] | None = None) -> dict[str, EventRow]:
        """Stored events with their content: all of them, or those of ``keys``."""
        query = ("SELECT key, sig, full, sequence, modified, status, removed, ends_at, event "
                 "FROM events")
        rows = self.db.execute(query) if keys is None else _in_chunks(
            self.db, query + " WHERE key IN ({})", keys)
        return {
            r[0]: EventRow(r[0], r[1], r[2], r[3], datetime.fromisoformat(r[4]), r[5],
                           bool(r[6]), datetime.fromisoformat(r[7]), event_from_json(r[8]))
            for r in rows
        }

    def removed_events(self) -> dict[str, EventRow]:
        """Events gone from the definitions whose cancellation is still announced."""
        keys = [r[0] for r in self.db.execute("SELECT key FROM events WHERE removed = 1")]
        return self.events(keys)

    def feeds(self, ids: Iterable[str] | None = None, *,
              private: bool | None = None) -> dict[str, FeedRow]:
        """Stored feeds with the keys they hold: all, those of ``ids``, or by area."""
        query = ("SELECT feed_id, kind, name, description, path, private, uid_scope, "
                 "programme, hash FROM feeds")
        if ids is not None:
            rows = list(_in_chunks(self.db, query + " WHERE feed_id IN ({})", ids))
        elif private is not None:
            rows = self.db.execute(query + " WHERE private = ?", (int(private),)).fetchall()
        else:
            rows = self.db.execute(query).fetchall()
        keys = self._feed_keys([r[0] for r in rows],
                               everything=ids is None and private is None)
        return {r[0]: FeedRow(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7], r[8],
                              frozenset(keys.get(r[0], ()))) for r in rows}

    def feed(self, feed_id: str) -> FeedRow | None:
        return self.feeds([feed_id]).get(feed_id)

    def _feed_keys(self, ids: list[str], *, everything: bool) -> dict[str, list[str]]:
        # One row per feed with its keys joined (event keys are slugs, never holding a
        # newline): splitting one string is far cheaper than a row per key.
        query = "SELECT feed_id, group_concat(key, char(10)) FROM feed_keys"
        rows = self.db.execute(query + " GROUP BY feed_id") if everything or len(
            ids) > 5000 else _in_chunks(self.db, query + " WHERE feed_id IN ({}) GROUP BY "
                                        "feed_id", ids)
        wanted = None if everything else set(ids)
        # Interned: 50,000 personal feeds hold a million keys but only ~8,000 different ones.
        return {feed_id: list(map(sys.intern, keys.split("\n"))) for feed_id, keys in rows
                if wanted is None or feed_id in wanted}

    def feeds_holding(self, keys: Iterable[str]) -> set[str]:
        """Ids of the feeds that hold any of ``keys`` (an indexed lookup per key)."""
        return {r[0] for r in _in_chunks(
            self.db, "SELECT DISTINCT feed_id FROM feed_keys WHERE key IN ({})", keys)}

    def members(self) -> dict[tuple[str, str], MemberRow]:
        rows = self.db.execute("SELECT feed_id, key, bump, left, modified FROM feed_members")
        return {(r[0], r[1]): MemberRow(r[0], r[1], r[2], bool(r[3]),
                                        datetime.fromisoformat(r[4])) for r in rows}

    def files(self, paths: Iterable[str] | None = None) -> dict[str, FileRow]:
        """What was last written: every file, or those of ``paths``."""
        query = "SELECT path, hash, size, mtime_ns FROM files"
        rows = self.db.execute(query) if paths is None else _in_chunks(
            self.db, query + " WHERE path IN ({})", paths)
        return {r[0]: FileRow(*r) for r in rows}

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # -- writing (inside a transaction) --------------------------------------------

    def put_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def delete_meta(self, key: str) -> None:
        self.db.execute("DELETE FROM meta WHERE key = ?", (key,))

    def put_event(self, row: EventRow) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO events (key, programme, item, sig, full, sequence, "
            "modified, status, removed, ends_at, event, digest) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (row.key, row.event.programme_id, row.event.item_id, row.sig, row.full,
             row.sequence, row.modified.isoformat(), row.status, int(row.removed),
             row.ends_at.isoformat(), row.event.to_json(), row.event.digest))

    def delete_event(self, key: str) -> None:
        self.db.execute("DELETE FROM events WHERE key = ?", (key,))
        self.db.execute("DELETE FROM feed_members WHERE key = ?", (key,))

    def put_feed(self, row: FeedRow, old_keys: frozenset[str] | None = None) -> None:
        """Store a feed; ``old_keys`` (what the state held) saves rewriting unchanged keys."""
        self.db.execute(
            "INSERT OR REPLACE INTO feeds (feed_id, kind, name, description, path, private, "
            "uid_scope, programme, hash) VALUES (?,?,?,?,?,?,?,?,?)",
            (row.feed_id, row.kind, row.name, row.description, row.path, int(row.private),
             row.uid_scope, row.programme, row.hash))
        if old_keys is None:
            self.db.execute("DELETE FROM feed_keys WHERE feed_id = ?", (row.feed_id,))
            old_keys = frozenset()
        self.db.executemany("DELETE FROM feed_keys WHERE feed_id = ? AND key = ?",
                            [(row.feed_id, k) for k in sorted(old_keys - row.keys)])
        self.db.executemany("INSERT OR IGNORE INTO feed_keys (feed_id, key) VALUES (?, ?)",
                            [(row.feed_id, k) for k in sorted(row.keys - old_keys)])

    def delete_feed(self, feed_id: str) -> None:
        self.db.execute("DELETE FROM feeds WHERE feed_id = ?", (feed_id,))
        self.db.execute("DELETE FROM feed_keys WHERE feed_id = ?", (feed_id,))
        self.db.execute("DELETE FROM feed_members WHERE feed_id = ?", (feed_id,))

    def put_member(self, row: MemberRow) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO feed_members (feed_id, key, bump, left, modified) "
            "VALUES (?,?,?,?,?)",
            (row.feed_id, row.key, row.bump, int(row.left), row.modified.isoformat()))

    def delete_member(self, feed_id: str, key: str) -> None:
        self.db.execute("DELETE FROM feed_members WHERE feed_id = ? AND key = ?", (feed_id, key))

    def put_file(self, row: FileRow) -> None:
        self.db.execute("INSERT OR REPLACE INTO files (path, hash, size, mtime_ns) "
                        "VALUES (?,?,?,?)", (row.path, row.hash, row.size, row.mtime_ns))

    def forget_participant_changes(self, version: int) -> None:
        """Participant changes up to the counter value ``version`` are published."""
        self.db.execute("DELETE FROM participant_changes WHERE version <= ?", (version,))
        self.db.execute("DELETE FROM retired_tokens WHERE version <= ?", (version,))

    def delete_file(self, path: str) -> None:
        self.db.execute("DELETE FROM files WHERE path = ?", (path,))

    def add_run(self, at: datetime, summary: dict[str, Any], feeds: list[str],
                changes: list[tuple[str, str, str | None, str, dict[str, Any]]]) -> int:
        cursor = self.db.execute(
            "INSERT INTO runs (at, summary, feeds) VALUES (?,?,?)",
            (at.isoformat(), json.dumps(summary, sort_keys=True), json.dumps(sorted(feeds))))
        run_id = int(cursor.lastrowid or 0)
        self.db.executemany(
            "INSERT INTO changes (run_id, programme, item, feed, change, detail) "
            "VALUES (?,?,?,?,?,?)",
            [(run_id, p, i, f, c, json.dumps(d, ensure_ascii=False, sort_keys=True))
             for p, i, f, c, d in changes])
        return run_id

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT id, at, summary, feeds FROM runs ORDER BY id DESC LIMIT ?", (limit,))
        result = []
        for run_id, at, summary, feeds in rows.fetchall():
            changes = [
                {"programme": p, "item": i, "feed": f, "change": c, "detail": json.loads(d)}
                for p, i, f, c, d in self.db.execute(
                    "SELECT programme, item, feed, change, detail FROM changes WHERE run_id = ?"
                    " ORDER BY rowid", (run_id,))
            ]
            result.append({"run": run_id, "at": at, "summary": json.loads(summary),
                           "feeds": json.loads(feeds), "changes": changes})
        return result


def describe_sqlite_error(exc: sqlite3.Error) -> str:
    """What an SQLite error means for the person running g40cal, in words."""
    text = str(exc)
    lowered = text.lower()
    if "disk is full" in lowered or "database or disk is full" in lowered:
        return ("the disk is full (SQLite: database or disk is full); nothing of this change "
                "was saved. Free some space and run the command again")
    if "locked" in lowered or "busy" in lowered:
        return ("another program holds the state database (SQLite: database is locked), "
                "probably another g40cal; wait for it to finish and run the command again")
    if "readonly" in lowered or "read-only" in lowered:
        return ("the state database cannot be written (SQLite: attempt to write a readonly "
                "database): check the permissions of the file and its folder")
    if "disk i/o error" in lowered:
        return ("writing the state database failed (SQLite: disk I/O error: a full disk, a "
                "file size limit or a failing disk); nothing of this change was saved")
    if "not a database" in lowered or "malformed" in lowered:
        return (f"the file is not a usable state database (SQLite: {text}); restore it from "
                "a backup, or move it away and let g40cal sync rebuild the state")
    return f"SQLite: {text}"

"""One writer at a time: a lock over the state database and the published folders.

Every command that writes the state or the published files holds ``project_lock`` while
it does: ``sync``, ``push``, ``participants import/add/choose/remove/rotate/purge``. It is
an ``fcntl.flock`` on ``<state file>.lock`` (next to the state database), so the operating
system releases it when its process ends in any way — a ``kill -9`` or a power cut leaves
no stale lock behind, and there is nothing to clean up by hand.

The holder writes who it is (pid, command, since when, host) into the lock file, so that a
second g40cal can say who is working on the project. A second g40cal stops at once with
``ProjectBusy`` (exit 1), or waits up to ``wait`` seconds for the lock (``g40cal --wait``).

The lock is re-entrant within one process: ``sync --push`` holds it and the push it runs
takes it again without blocking itself. Usage for a new command::

    from g40cal.lock import project_lock

    with project_lock(config.state_path, "mail send"):
        ...  # read and write the state, write files

or, for a click command, ``@locked("mail send")`` from ``g40cal.cli`` under
``@handle_errors``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from g40cal.errors import UserError

LOCK_SUFFIX = ".lock"
_POLL_SECONDS = 0.2


@dataclass(frozen=True)
class LockHolder:
    """Who holds the lock, as its holder wrote it into the lock file."""

    pid: int | None
    command: str
    since: datetime | None
    host: str

    def describe(self, now: datetime | None = None) -> str:
        parts = [f"pid {self.pid}" if self.pid else "pid unknown", f"command '{self.command}'"]
        if self.since is not None:
            now = now or datetime.now(UTC)
            minutes = max(0, int((now - self.since).total_seconds() // 60))
            parts.append(f"since {self.since:%Y-%m-%d %H:%M:%S} UTC ({minutes} min ago)")
        if self.host and self.host != socket.gethostname():
            parts.append(f"on host {self.host}")
        return ", ".join(parts)


class ProjectBusy(UserError):
    """Another g40cal holds the lock (exit 1, with who and what to do)."""


def lock_path(state_path: Path) -> Path:
    """The lock file of a state database: next to it, ``<name>.lock``."""
    return state_path.with_name(state_path.name + LOCK_SUFFIX)


# Locks this process holds: path -> [file descriptor, depth]. flock locks belong to an
# open file, so a second open in the same process would wait for itself.
_held: dict[Path, list[int]] = {}
_held_guard = threading.Lock()


def holds_lock(state_path: Path) -> bool:
    """Does this process hold the lock of ``state_path``?"""
    with _held_guard:
        return _key(state_path) in _held


def _key(state_path: Path) -> Path:
    return lock_path(state_path.absolute())


@contextlib.contextmanager
def project_lock(state_path: Path, command: str, *, wait: float = 0.0,
                 on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the project's lock while the block runs.

    ``wait``: seconds to wait for another holder (0: raise ``ProjectBusy`` at once).
    ``on_wait``: told once, in words, whom it waits for.
    """
    with file_lock(_key(state_path), command, wait=wait, on_wait=on_wait):
        yield


Busy = Callable[[Path, LockHolder | None, float], Exception]


@contextlib.contextmanager
def file_lock(path: Path, command: str, *, wait: float = 0.0,
              on_wait: Callable[[str], None] | None = None,
              busy: Busy | None = None) -> Iterator[None]:
    """Hold the lock file ``path`` (an absolute path) while the block runs; re-entrant
    within this process. ``busy`` makes the error raised when another holder keeps it
    (default: ``ProjectBusy``, naming the holder)."""
    with _held_guard:
        entry = _held.get(path)
        if entry is not None:
            entry[1] += 1
    if entry is not None:  # re-entrant: this process holds it already
        try:
            yield
        finally:
            with _held_guard:
                entry[1] -= 1
        return
    fd = _acquire(path, command, wait, on_wait, busy or _busy)
    with _held_guard:
        _held[path] = [fd, 1]
    try:
        yield
    finally:
        with _held_guard:
            del _held[path]
        _release(fd)


def _open(path: Path) -> int:
    from g40cal.state import secure_state_folder

    secure_state_folder(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    with contextlib.suppress(OSError):
        os.fchmod(fd, 0o600)
    return fd


def _acquire(path: Path, command: str, wait: float,
             on_wait: Callable[[str], None] | None, busy: Busy) -> int:
    fd = _open(path)
    deadline = time.monotonic() + max(0.0, wait)
    told = False
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = read_holder(path)
                if time.monotonic() >= deadline:
                    raise busy(path, holder, wait) from None
                if on_wait is not None and not told:
                    on_wait(f"Waiting for another g40cal ({_who(holder)}) to finish, "
                            f"up to {wait:g} s …")
                    told = True
                time.sleep(_POLL_SECONDS)
        _write_holder(fd, command)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _release(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)  # no stale "who" for the next reader
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def _write_holder(fd: int, command: str) -> None:
    record = {"pid": os.getpid(), "command": command, "host": socket.gethostname(),
              "since": datetime.now(UTC).replace(microsecond=0).isoformat()}
    data = json.dumps(record).encode()
    with contextlib.suppress(OSError):  # who holds it is a courtesy; the flock is the lock
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)


def read_holder(path: Path) -> LockHolder | None:
    """Who holds the lock file ``path`` (as written by its holder), or None if unknown."""
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "null")
        since = data.get("since")
        return LockHolder(int(data["pid"]), str(data.get("command") or "?"),
                          datetime.fromisoformat(since) if since else None,
                          str(data.get("host") or ""))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None  # written just now, or by something else: say "unknown"


def _who(holder: LockHolder | None) -> str:
    return holder.describe() if holder else "its details are not known yet"


def _busy(path: Path, holder: LockHolder | None, wait: float) -> ProjectBusy:
    waited = f" (waited {wait:g} s)" if wait > 0 else ""
    return ProjectBusy(
        f"another g40cal ({_who(holder)}) is working on this project{waited}: it holds "
        f"{path}. Wait for it to finish and run the command again, or let g40cal wait for "
        "it: g40cal --wait SECONDS … (a g40cal that was killed releases the lock at once; "
        "never delete the lock file by hand)")

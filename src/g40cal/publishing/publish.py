"""Publishing files: atomic writes, and staging many of them (``Stager``).

A subscriber's client may fetch a feed at any moment, so a feed is always either the old
or the new version, never half-written: write a temporary file in the same folder, fsync
it, rename it over the old one, fsync the folder (the Radicale recipe).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import tempfile
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path


def atomic_write(path: Path, data: bytes, *, mode: int = 0o644, durable: bool = True) -> None:
    """``durable=False`` skips the fsyncs (a cache: losing it to a power cut is harmless)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    if durable:
        fsync_dir(path.parent)


def read_intact(path: Path, digest: str) -> bytes | None:
    """The file's bytes if their SHA-256 is ``digest`` (what the state recorded writing),
    else None: a published file may be reused only as g40cal left it."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == digest else None


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms cannot open folders; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_file(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    fsync_dir(path.parent)
    return True


class Stager:
    """Files written under a temporary name next to their destination while a sync is
    planned, and renamed into place when it is applied.

    A full sync of a network writes 100,000 files: staged, the plan holds their hashes
    instead of 3 GB of bytes. The writes run on a few threads (fsync releases the GIL)
    with a bounded number in flight, so memory stays flat. Nothing is visible under a
    published name until ``commit``; ``discard`` removes whatever was not committed.
    """

    SUFFIX = ".staged"

    def __init__(self, threads: int = 4, in_flight: int = 64) -> None:
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="g40cal-write")
        self._pending: deque[Future[None]] = deque()
        self._in_flight = in_flight
        self._folders: set[Path] = set()
        self._staged: set[Path] = set()

    def stage(self, path: Path, data: bytes, mode: int) -> Path:
        if path.parent not in self._folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(path.parent)
        temp = path.parent / f".{path.name}.{secrets.token_hex(8)}{self.SUFFIX}"
        self._staged.add(temp)
        self._pending.append(self._pool.submit(_write_new_file, temp, data, mode))
        while len(self._pending) > self._in_flight:
            self._pending.popleft().result()
        return temp

    def wait(self) -> None:
        """Every staged file is on disk (or the first write error is raised)."""
        while self._pending:
            self._pending.popleft().result()

    def commit(self, temp: Path, path: Path) -> None:
        os.replace(temp, path)
        self._staged.discard(temp)

    def discard(self) -> None:
        for future in self._pending:
            with contextlib.suppress(Exception):
                future.result()
        self._pending.clear()
        for temp in self._staged:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        self._staged.clear()
        self._pool.shutdown()


def _write_new_file(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    os.fchmod(fd, mode)  # exactly this mode, whatever the umask
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def sweep_staged(folder: Path, older_than: float = 3600.0) -> int:
    """Remove staged files a sync that died left behind (``sync --full``)."""
    removed = 0
    limit = time.time() - older_than
    for path in folder.rglob(f".*{Stager.SUFFIX}") if folder.is_dir() else ():
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
    return removed

"""The two yardsticks g40cal's full build is measured against, in the same run.

- The **floor**: what the hardware allows. Every event of every feed serialised with one
  plain string template (no caching, no reuse between feeds), and the very bytes g40cal
  published written atomically (temp file, fsync, rename, fsync of the folder) on as many
  threads as g40cal writes with (``WRITERS``): fsyncs of different files overlap on the
  disk, so one file after the other would understate what the hardware allows. Nothing
  real can be much faster than this.
- The **naive way**: what a user would script — rebuild every feed with ``icalendar``
  objects on every run and write every file, changed or not.

Both take their input (which events each feed holds, with SEQUENCE and LAST-MODIFIED) from
the state g40cal recorded after its build, so all three serialise the same events.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from g40cal.config import Config
from g40cal.definitions.model import TZID
from g40cal.publishing.events import Event
from g40cal.publishing.feeds import uid_for
from g40cal.state import EventRow, FeedRow, State

CRLF = "\r\n"
VTIMEZONE = CRLF.join([
    "BEGIN:VTIMEZONE", f"TZID:{TZID}",
    "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST",
    "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
    "BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET",
    "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
    "END:VTIMEZONE"]) + CRLF


@dataclass(frozen=True)
class FeedJob:
    """One published feed: where it lives and the events it holds, in order."""

    row: FeedRow
    path: Path  # the file g40cal wrote
    events: list[tuple[EventRow, bool]]  # (event, cancelled in this feed)


def feed_jobs(config: Config, state: State) -> list[FeedJob]:
    """Every feed g40cal published, with its events as recorded in the state."""
    rows = state.events()
    members = state.members()
    # Feeds list their events by start, then key: rank every event once, so that sorting a
    # feed's keys compares integers (50,000 feeds hold ~1,000,000 events at full scale).
    rank = {key: n for n, key in enumerate(sorted(rows, key=lambda k: (rows[k].event.start, k)))}
    jobs = []
    for feed in sorted(state.feeds().values(), key=lambda f: f.feed_id):
        root = config.private_path if feed.private else config.feeds_path
        events = []
        for key in sorted(feed.keys, key=rank.__getitem__):
            member = members.get((feed.feed_id, key))
            events.append((rows[key], bool(member and member.left)))
        jobs.append(FeedJob(feed, root / feed.path, events))
    return jobs


# -- the floor: one plain template ---------------------------------------------------


def _text(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    if len(line) <= 75 and line.isascii():
        return line + CRLF
    data = line.encode()
    parts = []
    start, limit = 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # not inside a character
            end -= 1
        parts.append(data[start:end].decode())
        start, limit = end, 74
    return (CRLF + " ").join(parts) + CRLF


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def template_event(row: EventRow, uid: str, cancelled: bool) -> str:
    event: Event = row.event
    cancelled = cancelled or event.cancelled
    status = "CANCELLED" if cancelled else ("TENTATIVE" if event.tentative else "CONFIRMED")
    end = f"DTEND;TZID={TZID}:{event.end:%Y%m%dT%H%M%S}{CRLF}" if event.end else ""
    return (
        f"BEGIN:VEVENT{CRLF}{_fold('UID:' + uid)}DTSTAMP:{_stamp(row.modified)}{CRLF}"
        f"LAST-MODIFIED:{_stamp(row.modified)}{CRLF}SEQUENCE:{row.sequence}{CRLF}"
        + _fold("SUMMARY:" + ("GEANNULEERD: " if cancelled else "") + _text(event.summary))
        + f"DTSTART;TZID={TZID}:{event.start:%Y%m%dT%H%M%S}{CRLF}{end}"
        + _fold("LOCATION:" + _text(event.location))
        + _fold("DESCRIPTION:" + _text(event.description))
        + _fold("CATEGORIES:" + ",".join(_text(c) for c in event.categories))
        + _fold("URL:" + event.url)
        + f"CLASS:PUBLIC{CRLF}STATUS:{status}{CRLF}"
        f"TRANSP:{'TRANSPARENT' if cancelled else 'OPAQUE'}{CRLF}END:VEVENT{CRLF}")


def template_feed(job: FeedJob, config: Config) -> bytes:
    feed = job.row
    head = (f"BEGIN:VCALENDAR{CRLF}VERSION:2.0{CRLF}PRODID:-//bench//floor//NL{CRLF}"
            f"METHOD:PUBLISH{CRLF}" + _fold("X-WR-CALNAME:" + _text(feed.name))
            + _fold("X-WR-CALDESC:" + _text(feed.description)) + VTIMEZONE)
    body = "".join(template_event(row, uid_for(row.key, feed.uid_scope, config), cancelled)
                   for row, cancelled in job.events)
    return (head + body + "END:VCALENDAR" + CRLF).encode()


def atomic_write(path: Path, data: bytes) -> None:
    """temp file in the same folder → write → fsync → rename → fsync the folder."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


@dataclass
class Timing:
    render: float = 0.0
    write: float = 0.0
    write_other: float = 0.0  # the floor: writing the pages (already included in write)
    pages_sampled: int = 0  # the floor: pages actually written (write_other extrapolates)
    feeds: int = 0
    files: int = 0  # files written: the feeds and (for the floor) every other published file
    events: int = 0
    bytes_rendered: int = 0
    bytes_written: int = 0

    @property
    def total(self) -> float:
        return self.render + self.write


def _target(out: Path, job: FeedJob, config: Config) -> Path:
    root = config.private_path if job.row.private else config.feeds_path
    target = out / job.path.relative_to(root.parent)
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def published_files(config: Config) -> list[Path]:
    """Every file a sync published: feeds, pages, index.json, assets (no temp files)."""
    return sorted(p for root in (config.feeds_path, config.private_path) if root.is_dir()
                  for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


# Writer threads, as g40cal's Stager; files read per batch (untimed) before being written.
WRITERS = 4
BATCH = 500


def _batches(items: Iterable[tuple[Path, Path]]) -> Iterator[list[tuple[Path, Path]]]:
    batch: list[tuple[Path, Path]] = []
    for item in items:
        batch.append(item)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def write_all(copies: Iterable[tuple[Path, Path]]) -> tuple[float, int, int]:
    """Write each (source, target) pair's source bytes to target atomically, on ``WRITERS``
    threads: (wall time of the writes, files, bytes). The sources are read before each
    batch's clock starts: the floor is the writing, not the reading."""
    elapsed, files, size = 0.0, 0, 0
    with ThreadPoolExecutor(WRITERS) as pool:
        for batch in _batches(copies):
            loaded = [(target, source.read_bytes()) for source, target in batch]
            for folder in {target.parent for target, _ in loaded}:
                folder.mkdir(parents=True, exist_ok=True)
            started = time.perf_counter()
            for _ in pool.map(lambda pair: atomic_write(*pair), loaded):
                pass
            elapsed += time.perf_counter() - started
            files += len(loaded)
            size += sum(len(data) for _, data in loaded)
    return elapsed, files, size


def run_floor(jobs: list[FeedJob], config: Config, out: Path, page_sample: int = 1) -> Timing:
    """Template every feed (one thread, timed feed by feed), then write g40cal's own bytes
    of every feed and of every other file the sync published (pages) atomically into
    ``out``, so the floor writes exactly the files the build wrote.

    ``page_sample``: write only every n-th other file and extrapolate their time per byte
    (a page's write costs about the same per byte as any other: 50,000 personal pages of
    ~45 KB). The feeds, the floor of the issue's target, are always all written."""
    timing = Timing()
    for job in jobs:
        started = time.perf_counter()
        data = template_feed(job, config)
        timing.render += time.perf_counter() - started
        timing.feeds += 1
        timing.events += len(job.events)
        timing.bytes_rendered += len(data)
    feeds = {job.path for job in jobs}
    pages = [(path, out / path.relative_to(config.root)) for path in published_files(config)
             if path not in feeds]
    sampled = pages[::page_sample]
    seconds, _, sampled_size = write_all(sampled)
    pages_size = sum(source.stat().st_size for source, _ in pages)
    timing.write_other = seconds * pages_size / max(sampled_size, 1)
    timing.pages_sampled = len(sampled)
    feeds_time, feeds_written, feeds_size = write_all(
        (job.path, _target(out, job, config)) for job in jobs)
    timing.write = timing.write_other + feeds_time
    timing.files = len(pages) + feeds_written
    timing.bytes_written = pages_size + feeds_size
    return timing


# -- the naive way: icalendar objects, every feed, every run ------------------------


def naive_feed(job: FeedJob, config: Config) -> bytes:
    import icalendar  # the naive script's library; imported once, outside the timing

    feed = job.row
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//bench//naive//NL")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", feed.name)
    calendar.add("x-wr-caldesc", feed.description)
    for row, cancelled in job.events:
        event = row.event
        cancelled = cancelled or event.cancelled
        item = icalendar.Event()
        item.add("uid", uid_for(row.key, feed.uid_scope, config))
        item.add("dtstamp", row.modified)
        item.add("last-modified", row.modified)
        item.add("sequence", row.sequence)
        item.add("summary", ("GEANNULEERD: " if cancelled else "") + event.summary)
        item.add("dtstart", event.start)
        if event.end:
            item.add("dtend", event.end)
        item.add("location", event.location)
        item.add("description", event.description)
        item.add("categories", list(event.categories))
        item.add("url", event.url)
        item.add("class", "PUBLIC")
        item.add("status", "CANCELLED" if cancelled else
                 ("TENTATIVE" if event.tentative else "CONFIRMED"))
        item.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
        calendar.add_component(item)
    calendar.add_missing_timezones()  # what the library offers for the VTIMEZONE
    return calendar.to_ical()


def run_naive(jobs: list[FeedJob], config: Config, out: Path) -> Timing:
    """Build and write every feed with ``icalendar`` (the writes are the same atomic ones)."""
    import icalendar  # noqa: F401  (import cost is not part of the per-run work)

    timing = Timing()
    for job in jobs:  # one after the other, as a simple script does
        started = time.perf_counter()
        data = naive_feed(job, config)
        rendered = time.perf_counter()
        atomic_write(_target(out, job, config), data)
        timing.render += rendered - started
        timing.write += time.perf_counter() - rendered
        timing.feeds += 1
        timing.files += 1
        timing.events += len(job.events)
        timing.bytes_rendered += len(data)
        timing.bytes_written += len(data)
    return timing


# -- floors of the incremental scenarios -----------------------------------------------


def detect_floor(config: Config) -> float:
    """The least any tool must do to know nothing changed: read and hash every input file
    (configuration, group registry, definitions) and ask the database whether any
    participant changed (``participants.updated``, set by every change of a choice)."""
    import hashlib
    import sqlite3

    started = time.perf_counter()
    digest = hashlib.sha256()
    inputs = [config.root / "g40cal.toml", config.groups_path,
              *sorted(config.programmes_path.glob("*.toml"))]
    for path in inputs:
        digest.update(path.read_bytes())
    db = sqlite3.connect(config.state_path)
    try:
        db.execute("SELECT COUNT(*), MAX(updated) FROM participants").fetchone()
    finally:
        db.close()
    return time.perf_counter() - started


def write_floor(root: Path, relative: list[str], out: Path) -> float:
    """Writing the same files with the same bytes atomically (into ``out``)."""
    return write_all((root / name, out / name) for name in relative)[0]

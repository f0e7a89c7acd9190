"""g40cal at network scale: ``python bench/run.py [--quick]`` prints a table.

Builds the synthetic scale model (``scale_model.py``), then measures in fresh processes
(``scenarios.py``): the full build against its floor and against the naive ``icalendar``
way, the no-op sync, a one-item change, one participant's change of choice, and the CalDAV
push (``bench_push.py``). Each figure is the median of its runs, shown with min and max,
next to its floor measured in the same run. A full run (the default) writes
``bench/RESULTS.md``; ``--quick`` (a small model, for CI) takes under a minute.

Run it with the project's environment: ``.venv/bin/python bench/run.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MEMORY_LIMIT_MB = 500

try:
    import g40cal
    from scale_model import FULL, QUICK, ModelInfo, Scale, build_model
except ImportError as exc:  # a Python without g40cal installed
    sys.exit(f"bench/run.py: cannot import g40cal ({exc}); run it with the project's "
             f"environment: .venv/bin/python bench/run.py")


@dataclass(frozen=True)
class Plan:
    """How much to measure: the model, how often each scenario runs, the time budget.

    Every scenario first gets its minimum number of runs; then, while the budget allows,
    runs are added round-robin up to the maximum (the full build first). At full scale one
    build writes 50,000 personal feeds with an fsync each, about a minute of disk time on a
    machine like this one, so the build, its floor and the naive way cannot all run three
    times within ten minutes: the budget decides, and the table says how many runs it got.
    """

    scale: Scale
    budget: float  # seconds for the whole run, model included
    build_runs: tuple[int, int]  # (min, max): full build, each paired with its floor
    runs: tuple[int, int]  # no-op, one-item change, choice change
    naive_runs: tuple[int, int]
    naive_sample: int  # the naive way builds every n-th feed and extrapolates
    push_runs: tuple[int, int]
    push_events: int
    full_runs: tuple[int, int] = (1, 3)  # no-op sync --full (every feed planned)
    page_sample: int = 1  # the floor writes every n-th page and extrapolates the rest
    import_rows: int = 50_000  # rows of the registration export `participants import` reads
    import_runs: tuple[int, int] = (1, 3)
    mail_notices: int = 1000  # change notices sent to a local SMTP server


QUICK_PLAN = Plan(QUICK, budget=50, build_runs=(1, 3), runs=(3, 5), naive_runs=(1, 3),
                  naive_sample=4, push_runs=(1, 3), push_events=100, import_rows=2_000,
                  mail_notices=100)
FULL_PLAN = Plan(FULL, budget=570, build_runs=(1, 3), runs=(3, 5), naive_runs=(1, 3),
                 naive_sample=80, push_runs=(1, 3), push_events=1000,
                 page_sample=5)


class ScenarioError(RuntimeError):
    pass


# One run of one scenario may take this long before it is stopped and reported as an
# error; a library that slow misses every target anyway.
TIMEOUT = 1200.0


def scenario(name: str, root: Path, **args: object) -> dict[str, Any]:
    """Run one scenario of ``scenarios.py`` in a fresh process; its JSON result."""
    command = [sys.executable, str(HERE / "scenarios.py"), name, str(root),
               *(f"{k}={v}" for k, v in args.items())]
    env = {k: v for k, v in os.environ.items() if k != "G40CAL_STATE"}
    # Start on a settled disk: what the last scenario wrote (gigabytes, after a build) is
    # flushed now, not while the next one is being timed.
    os.sync()
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False,
                              timeout=TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise ScenarioError(f"{name} stopped after {TIMEOUT:.0f} s") from exc
    if done.returncode != 0:
        raise ScenarioError(f"{name} failed (exit {done.returncode}): "
                            f"{done.stderr.strip()[-1500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def host_speed() -> float:
    """Seconds (best of 5) for a fixed workload like g40cal's own: formatting strings and
    filling a dict. Compared across runs, it tells a slower machine from slower code."""
    def workload() -> float:
        started = time.perf_counter()
        lines = {}
        for number in range(100_000):
            lines[f"event-{number}"] = f"SUMMARY:Sessie {number} over wonen\r\n".encode()
        return time.perf_counter() - started
    return min(workload() for _ in range(5))


def progress(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


# -- scheduling --------------------------------------------------------------------------


@dataclass
class Job:
    """One scenario: ``once(n)`` performs run ``n`` and records its results."""

    name: str
    runs: tuple[int, int]
    once: Callable[[int], None]
    walls: list[float] = field(default_factory=list)  # wall time of each run, all included
    error: str | None = None

    @property
    def done(self) -> int:
        return len(self.walls)

    def run(self) -> None:
        started = time.perf_counter()
        try:
            self.once(self.done)
        except ScenarioError as exc:
            self.error = str(exc)
            progress(f"{self.name}: {exc}")
            return
        self.walls.append(time.perf_counter() - started)
        progress(f"{self.name} run {self.done}: {self.walls[-1]:.1f} s wall")


def schedule(jobs: list[Job], deadline: float) -> None:
    """Minimum runs of every job in order; then more runs while they fit the budget."""
    for job in jobs:
        while job.done < job.runs[0] and job.error is None:
            job.run()
    added = True
    while added:
        added = False
        for job in jobs:
            if job.error or job.done >= job.runs[1] or not job.walls:
                continue
            if time.perf_counter() + statistics.median(job.walls) > deadline:
                continue
            job.run()
            added = True


# -- the benchmark ---------------------------------------------------------------------------


@dataclass
class Bench:
    plan: Plan
    work: Path
    model: Path
    info: ModelInfo
    results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    live: Path | None = None  # the published tree the incremental scenarios change

    def record(self, key: str, result: dict[str, Any]) -> None:
        self.results.setdefault(key, []).append(result)

    def build(self, number: int) -> None:
        """One round: ``g40cal sync`` on a fresh copy of the model (feeds and pages), the
        floor on what it wrote, and the feeds alone on another fresh copy."""
        tree = self.work / f"build-{number}"
        shutil.copytree(self.model, tree)
        result = scenario("sync", tree)
        out = self.work / f"floor-{number}"
        try:
            floor = scenario("floor", tree, out=out, page_sample=self.plan.page_sample)
        finally:
            shutil.rmtree(out, ignore_errors=True)
        if self.live is None:
            self.live = tree
        else:
            shutil.rmtree(tree, ignore_errors=True)
        feeds_tree = self.work / f"feeds-{number}"
        shutil.copytree(self.model, feeds_tree)
        try:
            feeds = scenario("feeds", feeds_tree)
        finally:
            shutil.rmtree(feeds_tree, ignore_errors=True)
        self.record("sync", result)
        self.record("floor", floor)
        self.record("feeds", feeds)
        progress(f"sync {result['seconds']:.1f} s ({result['files']} files), floor "
                 f"{floor['seconds']:.1f} s, feeds only {feeds['seconds']:.1f} s")

    def naive(self, number: int) -> None:
        assert self.live is not None
        out = self.work / f"naive-{number}"
        try:
            self.record("naive", scenario("naive", self.live, out=out,
                                          sample=self.plan.naive_sample))
        finally:
            shutil.rmtree(out, ignore_errors=True)

    def no_op(self, _: int) -> None:
        assert self.live is not None
        self.record("noop", scenario("sync", self.live, floor=1))

    def no_op_full(self, _: int) -> None:
        assert self.live is not None
        self.record("noop_full", scenario("sync", self.live, floor=1, full=1))

    def room(self, _: int) -> None:
        assert self.live is not None
        programme = self.info.synthetic[len(self.info.synthetic) // 2]
        self.record("room", scenario("room", self.live, programme=programme, item="r3-s05"))

    def choice(self, _: int) -> None:
        assert self.live is not None
        number = self.info.participants // 2 + 1  # registered for one synthetic programme
        programme = self.info.synthetic[(number - 1) % len(self.info.synthetic)]
        self.record("choice", scenario("choice", self.live, participant=number,
                                       programme=programme, round=3))

    def push(self, _: int) -> None:
        self.record("push", scenario("push", self.work, events=self.plan.push_events))

    def import_rows(self, number: int) -> None:
        out = self.work / f"import-{number}"
        try:
            self.record("import", scenario("import", self.model, out=out,
                                           rows=self.plan.import_rows))
        finally:
            shutil.rmtree(out, ignore_errors=True)

    def mail_plan(self, _: int) -> None:
        assert self.live is not None
        programme = self.info.synthetic[len(self.info.synthetic) // 2]
        self.record("mail_plan", scenario("mail_plan", self.live, programme=programme,
                                          item="plenair-ochtend"))

    def mail_send(self, _: int) -> None:
        self.record("mail_send", scenario("mail_send", self.work,
                                          notices=self.plan.mail_notices))

    def jobs(self, with_push: bool) -> list[Job]:
        plan = self.plan
        jobs = [Job("full builds + floor", plan.build_runs, self.build),
                Job("no-op sync", plan.runs, self.no_op),
                Job("one-item change", plan.runs, self.room),
                Job("choice change", plan.runs, self.choice),
                Job("naive build", plan.naive_runs, self.naive)]
        if with_push:
            jobs.append(Job("CalDAV push", plan.push_runs, self.push))
        jobs.append(Job("mail: planning notices", plan.runs, self.mail_plan))
        jobs.append(Job("mail: sending notices", plan.push_runs, self.mail_send))
        jobs.append(Job("no-op sync --full", plan.full_runs, self.no_op_full))
        jobs.append(Job("registration import", plan.import_runs, self.import_rows))
        return jobs


# -- the table ----------------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    seconds: list[float]
    floor: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    files: str = ""
    ratio_label: str = "of floor"
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.seconds or not self.floor:
            return None
        return statistics.median(self.seconds) / statistics.median(self.floor)


@dataclass(frozen=True)
class Target:
    name: str
    measured: str
    passed: bool | None  # None: not measured


HEADERS = ("scenario", "median s", "min–max s", "runs", "files written / requests",
           "peak RSS MB", "floor s", "ratio")


def fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def cells(row: Row) -> list[str]:
    values = row.seconds
    if not values:
        return [row.label, "n/a", "", "0", row.files or "n/a", "", "", ""]
    ratio = f"{row.ratio:.2f}× {row.ratio_label}" if row.ratio is not None else ""
    return [row.label, fmt(statistics.median(values)),
            f"{fmt(min(values))}–{fmt(max(values))}", str(len(values)), row.files,
            f"{max(row.rss):.0f}" if row.rss else "", fmt(statistics.median(row.floor))
            if row.floor else "", ratio]


def median_of(results: list[dict[str, Any]], *path: str) -> float:
    def get(result: dict[str, Any]) -> float:
        value: Any = result
        for key in path:
            value = value[key]
        return float(value)
    return statistics.median(get(r) for r in results)


def phases(results: list[dict[str, Any]]) -> str:
    names = ("check", "load", "plan", "apply") if all(
        "check" in r["phases"] for r in results) else ("load", "plan", "apply")
    text = ", ".join(f"{k} {fmt(median_of(results, 'phases', k))}" for k in names)
    fast = sum(1 for r in results if r.get("fast_path"))
    return text + (f" (the unchanged-inputs fast path answered {fast} of {len(results)} runs)"
                   if fast else "")


def page_sampling(floor: list[dict[str, Any]]) -> str:
    """How the floor's page writes were measured, when not every page was written."""
    if not floor or floor[-1].get("page_sample", 1) == 1:
        return ""
    last = floor[-1]
    return (f"; the pages' writes extrapolated per byte from every {last['page_sample']}th "
            f"page: {last['pages_sampled']:,} written")


def requests_text(requests: dict[str, int]) -> str:
    return ", ".join(f"{m} {n}" for m, n in sorted(requests.items())) or "none"


def rows_and_targets(bench: Bench) -> tuple[list[Row], list[Target], list[str]]:
    got = bench.results
    rows: list[Row] = []
    targets: list[Target] = []
    notes: list[str] = []

    def target(name: str, measured: str, passed: bool | None) -> None:
        targets.append(Target(name, measured, passed))

    feeds, floor, whole = got.get("feeds", []), got.get("floor", []), got.get("sync", [])
    feeds_floor = [r["render"] + r["write"] - r["write_pages"] for r in floor]
    build_row = Row("full build of all feeds", [r["seconds"] for r in feeds], feeds_floor,
                    [r["rss_mb"] for r in feeds])
    rows.append(build_row)
    if feeds:
        last = feeds[-1]
        build_row.files = (f"{last['files']:,}: {last['personal_feeds']:,} personal + "
                           f"{last['public_feeds']} public feeds, {last['other']} other")
        notes.append(f"Full build of all feeds: `plan_sync` (personal feeds, no pages) + "
                     f"`apply_sync` on an empty state; per phase {phases(feeds)}; CPU "
                     f"{fmt(median_of(feeds, 'cpu_seconds'))} s.")
    if floor:
        last = floor[-1]
        rows.append(Row("  floor: plain template + atomic write", feeds_floor,
                        files=f"{last['feeds']:,} feeds, {last['events']:,} events"))
        rows.append(Row("    templating only", [r["render"] for r in floor]))
        rows.append(Row("    atomic writes only", [r["write"] - r["write_pages"] for r in floor],
                        files=f"{last['feeds']:,} files"))
        notes.append(f"Floor: {last['events'] / median_of(floor, 'render'):,.0f} events/s "
                     f"templated; {median_of(floor, 'write') / last['files'] * 1000:.2f} ms "
                     "per atomic write (temp file, fsync, rename, fsync of the folder) of "
                     "the very bytes g40cal wrote.")
    target("full build of all feeds ≤ 2× floor",
           f"{build_row.ratio:.2f}×" if build_row.ratio else "n/a",
           build_row.ratio <= 2.0 if build_row.ratio else None)
    build = feeds
    naive = got.get("naive", [])
    if naive:
        last = naive[-1]
        row = Row("  naive: icalendar, every feed, every run", [r["seconds"] for r in naive],
                  [r["seconds"] for r in build], ratio_label="of g40cal's",
                  files=f"{last['feeds']:,} (all rewritten)")
        rows.append(row)
        rate = last["sampled_events"] / max(last["render"], 1e-9)
        extrapolated = (f"extrapolated from every {bench.plan.naive_sample}th feed "
                        f"({last['sampled_feeds']:,} feeds, {last['sampled_events']:,} events,"
                        f" measured {fmt(last['measured_seconds'])} s)"
                        if last["extrapolated"] else "every feed built")
        notes.append(f"Naive: {rate:,.0f} events/s built with icalendar; {extrapolated}.")

    sync_row = Row("full sync: feeds + web pages", [r["seconds"] for r in whole],
                   [r["seconds"] for r in floor], [r["rss_mb"] for r in whole])
    rows.append(sync_row)
    if whole:
        last = whole[-1]
        sync_row.files = (f"{last['files']:,}: {last['personal_feeds']:,} personal + "
                          f"{last['public_feeds']} public feeds, {last['other']:,} pages")
        notes.append(f"Full sync: `prepare_sync` + `apply_sync` (what `g40cal sync` does) on "
                     f"an empty state: feeds, public pages and one personal page per "
                     f"participant; per phase {phases(whole)}; its floor also writes the "
                     f"pages' bytes ({len(floor) and floor[-1]['files']:,} files in all"
                     f"{page_sampling(floor)}).")
        target("full sync with pages ≤ 2× floor (same files)",
               f"{sync_row.ratio:.2f}×" if sync_row.ratio else "n/a",
               sync_row.ratio <= 2.0 if sync_row.ratio else None)
    if floor:
        rows.append(Row("  floor: as above + the pages' bytes", [r["seconds"] for r in floor],
                        files=f"{floor[-1]['files']:,} files, "
                              f"{floor[-1]['bytes_written'] / 1e6:,.0f} MB"))

    for key, label in (("noop", "no-op sync"), ("noop_full", "no-op sync --full"),
                       ("room", "one-item change (a room)"),
                       ("choice", "one participant's choice change")):
        results = got.get(key, [])
        row = Row(label, [r["seconds"] for r in results],
                  [r["floor_seconds"] for r in results], [r["rss_mb"] for r in results])
        rows.append(row)
        if not results:
            continue
        last = results[-1]
        files = [r["files"] for r in results]
        if key == "noop":
            row.files = (str(max(files)) if min(files) == max(files)
                         else f"{min(files)}–{max(files)}")
            notes.append(f"No-op sync: per phase {phases(results)}; floor = read and hash "
                         "every input file plus one query on the participants table.")
            target("no-op sync < 0.5 s", f"{fmt(statistics.median(row.seconds))} s",
                   statistics.median(row.seconds) < 0.5)
            target("no-op sync writes 0 files", f"{max(files)} files", max(files) == 0)
            continue
        if key == "noop_full":
            row.files = str(max(files))
            notes.append(f"No-op sync --full: the same, past the fast path: every input loaded "
                         f"and every feed planned, as after an edit that changes nothing "
                         f"(a comment); per phase {phases(results)}; no target of its own.")
            continue
        row.files = (f"{last['public_feeds']} public + {last['personal_feeds']} personal "
                     f"feeds, {last['other']} pages")
        exact = all(r["only_affected"] for r in results)
        wrong = next((r for r in results if not r["only_affected"]), last)
        if key == "room":
            notes.append(f"One-item change: {last['change']}, held by "
                         f"{last['expected_feeds']} feeds; per phase {phases(results)}; "
                         "floor = notice the change + write the same files atomically.")
            target("one-item change < 1 s", f"{fmt(statistics.median(row.seconds))} s",
                   statistics.median(row.seconds) < 1.0)
            target("one-item change rewrites only the feeds holding the item",
                   "exactly those" if exact else
                   f"unexpected {wrong['unexpected']}, missing {wrong['missing']}", exact)
        else:
            notes.append(f"Choice change: {last['change']}; per phase {phases(results)}; "
                         "the choice itself (as `participants choose`) took "
                         f"{fmt(median_of(results, 'choose_seconds'))} s, not included.")
            target("choice change < 1 s (the one-item target)",
                   f"{fmt(statistics.median(row.seconds))} s",
                   statistics.median(row.seconds) < 1.0)
            target("choice change rewrites only that participant's feed",
                   "only that feed" if exact else f"also {wrong['unexpected']}", exact)

    push = got.get("push", [])
    if push:
        last = push[-1]
        events = last["events"]

        def samples(key: str) -> list[float]:
            return [s for r in push for s in r[key]["samples"]]

        rss = [r["rss_mb"] for r in push]
        rows.append(Row(f"CalDAV first push ({events:,} events)", samples("first_push"),
                        samples("raw_put"), rss,
                        files=requests_text(last["first_push_requests"])))
        rows.append(Row("  floor: raw PUTs, one connection", samples("raw_put"),
                        files=f"PUT {events}"))
        rows.append(Row("CalDAV no-op push", samples("noop_push"), rss=rss,
                        files=requests_text(last["noop_push_requests"])))
        rows.append(Row("CalDAV one-change push", samples("one_change_push"), rss=rss,
                        files=requests_text(last["one_change_push_requests"])))
        ratio = statistics.median(samples("first_push")) / statistics.median(samples("raw_put"))
        target("first push ≤ 1.2× raw PUTs", f"{ratio:.2f}×", ratio <= 1.2)
        puts = max(r["noop_push_requests"].get("PUT", 0) for r in push)
        target("no-op push sends 0 PUTs", f"{puts} PUTs", puts == 0)
        notes.append("CalDAV push: bench/bench_push.py, a fresh local Radicale per run; the "
                     "raw PUTs go into a second calendar of the same server.")
    elif "push" in bench.results or bench.plan.push_events:
        target("first push ≤ 1.2× raw PUTs", "n/a", None)
        target("no-op push sends 0 PUTs", "n/a", None)

    imports = got.get("import", [])
    if imports:
        last = imports[-1]
        rows.append(Row(f"registration import ({last['rows']:,} rows)",
                        [r["seconds"] for r in imports], rss=[r["rss_mb"] for r in imports],
                        files=f"1 CSV, {last['bytes'] / 1e6:.1f} MB"))
        notes.append(f"Registration import: `participants import` (plan + apply) of a "
                     f"{last['rows']:,}-row CSV export into an empty state; per phase "
                     f"{phases(imports)}; CPU {fmt(median_of(imports, 'cpu_seconds'))} s. "
                     "Time is linear in the rows and memory bounded (the file is streamed).")
    _mail_rows(got, rows, target, notes)

    measured = [(max(r.rss), r.label.strip()) for r in rows if r.rss]
    if measured:
        peak, label = max(measured)
        target(f"peak memory (RSS) < {MEMORY_LIMIT_MB} MB in every scenario",
               f"{peak:.0f} MB ({label})", peak < MEMORY_LIMIT_MB)
    return rows, targets, notes


def _mail_rows(got: dict[str, list[dict[str, Any]]], rows: list[Row],
               target: Callable[[str, str, bool | None], None], notes: list[str]) -> None:
    """E-mail: planning the notices of a one-item change, and sending them."""
    planned = got.get("mail_plan", [])
    if planned:
        last = planned[-1]
        seconds = [r["seconds"] for r in planned]
        rows.append(Row("mail: plan notices after a one-item change", seconds,
                        rss=[r["rss_mb"] for r in planned],
                        files=f"{last['notices']:,} notices planned"))
        rows.append(Row("  writing those notices (templates, MIME)",
                        [r["compose_seconds"] for r in planned]))
        exact = all(r["notices"] == r["expected_notices"] == r["written"] for r in planned)
        target("planning notices after a one-item change < 1 s",
               f"{fmt(statistics.median(seconds))} s", statistics.median(seconds) < 1.0)
        target("one notice per participant whose feed holds the item",
               "exactly those" if exact else
               f"{last['notices']} planned, {last['expected_notices']} expected", exact)
        notes.append(f"Mail planning: {last['change']} (a common item), synced first (not "
                     f"timed, {fmt(median_of(planned, 'sync_seconds'))} s); then "
                     "`outbox.plan_mail` reads the sync log since the last mail run and the "
                     "feeds that hold the item, and stores one notice per participant.")
    sent = got.get("mail_send", [])
    if sent:
        last = sent[-1]

        def samples(key: str) -> list[float]:
            return [s for r in sent for s in r[key]["samples"]]

        notices = last["notices"]
        row = Row(f"mail: send {notices:,} notices", samples("send"), samples("raw"),
                  [r["rss_mb"] for r in sent], files=f"{notices:,} messages, "
                  f"{last['bytes'] / 1e6:.1f} MB")
        rows.append(row)
        rows.append(Row("  floor: raw smtplib, one connection", samples("raw"),
                        files=f"{notices:,} messages"))
        rows.append(Row("  writing them (templates, MIME; before sending)", samples("compose")))
        ratio = row.ratio
        target(f"sending {notices:,} notices ≤ 1.2× raw smtplib",
               f"{ratio:.2f}×" if ratio else "n/a", ratio <= 1.2 if ratio else None)
        notes.append("Mail sending: bench/bench_mail.py, aiosmtpd's Sink handler in its own "
                     "process on 127.0.0.1 (plain SMTP, no login, for both sides); g40cal "
                     "records each acceptance in the state, the floor records nothing.")


def text_table(headers: tuple[str, ...], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
              for r in rows]
    return "\n".join(lines)


def markdown_table(headers: tuple[str, ...], rows: list[list[str]]) -> str:
    def label(text: str) -> str:  # Markdown drops leading spaces: show the nesting with ↳
        depth = (len(text) - len(text.lstrip(" "))) // 2
        return "↳" * depth + (" " if depth else "") + text.lstrip(" ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in [label(r[0]), *r[1:]]) + " |"
              for r in rows]
    return "\n".join(lines)


VERDICT = {True: "PASS", False: "FAIL", None: "n/a"}


def machine() -> list[str]:
    cpu, memory = "unknown", "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in
                   Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
        kib = next(int(line.split()[1]) for line in
                   Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        pass

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True,
                              text=True, check=False).stdout.strip()

    dirty = " (with uncommitted changes in src/)" if git("status", "--porcelain", "--",
                                                           "src") else ""
    return [f"Machine: {cpu}, {os.cpu_count()} cores (nproc), {memory} RAM",
            f"Python {platform.python_version()}, {platform.platform()}",
            f"g40cal {g40cal.__version__}, commit {git('rev-parse', '--short', 'HEAD') or '?'}"
            f"{dirty}"]


def report(bench: Bench, jobs: list[Job], header: list[str]) -> tuple[str, str]:
    rows, targets, notes = rows_and_targets(bench)
    table = [cells(r) for r in rows]
    verdicts = [[t.name, t.measured, VERDICT[t.passed]] for t in targets]
    errors = [f"{j.name}: {j.error}" for j in jobs if j.error]
    text = "\n".join([*header, "", text_table(HEADERS, table), "",
                      text_table(("target", "measured", "result"), verdicts), "",
                      *(f"* {n}" for n in notes), *(f"! {e}" for e in errors)])
    markdown = "\n".join([
        "# Benchmark results", "",
        "A full run of `.venv/bin/python bench/run.py`; what each row means and how to run "
        "it: [docs/benchmarks.md](../docs/benchmarks.md).", "",
        *(f"- {line}" for line in header), "", markdown_table(HEADERS, table), "",
        "## Targets", "", markdown_table(("target", "measured", "result"), verdicts), "",
        "## Notes", "", *(f"- {n}" for n in notes), *(f"- error: {e}" for e in errors), ""])
    return text, markdown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a small model, under a minute (for CI)")
    parser.add_argument("--budget", type=float,
                        help="seconds for the whole run (default: 570 full, 50 quick)")
    parser.add_argument("--no-push", action="store_true", help="leave out the CalDAV push")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 when a target is missed (a scenario error exits 2)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--workdir", type=Path, help="parent of the work folder (default: "
                        "the system's temp folder; it needs ~8 GB at full scale)")
    parser.add_argument("--results", type=Path, help="write the Markdown report here "
                        "(default: bench/RESULTS.md for a full run, none for --quick)")
    args = parser.parse_args(argv)
    plan = QUICK_PLAN if args.quick else FULL_PLAN
    if args.budget:
        plan = replace(plan, budget=args.budget)
    results = args.results or (None if args.quick else HERE / "RESULTS.md")
    started, load, speed = time.perf_counter(), os.getloadavg(), host_speed()
    work = Path(tempfile.mkdtemp(prefix="g40cal-bench-", dir=args.workdir))
    print(f"g40cal benchmark ({'quick' if args.quick else 'full'}): {plan.scale.describe()}; "
          f"budget {plan.budget:.0f} s; work folder {work}", file=sys.stderr)
    try:
        model_started = time.perf_counter()
        info = build_model(work / "model", plan.scale)
        made = time.perf_counter() - model_started
        bench = Bench(plan, work, work / "model", info)
        jobs = bench.jobs(with_push=not args.no_push)
        schedule(jobs, started + plan.budget)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    header = [f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", *machine(),
              f"Model: {plan.scale.describe()}: {info.registrations:,} registrations, "
              f"{info.choices:,} choices (seed 40); generated in {made:.1f} s, the "
              f"participants through participants.put_registration in "
              f"{info.seconds['participants']:.1f} s",
              f"Load average (1 min) before / after: {load[0]:.2f} / {os.getloadavg()[0]:.2f}"
              " (other processes on the machine widen the min–max spread)",
              f"Host speed before / after: {speed * 1000:.0f} / {host_speed() * 1000:.0f} ms "
              "for a fixed Python workload (lower is faster; on a shared host it varies "
              "by a third within an hour, and every figure with it)",
              f"Whole run: {time.perf_counter() - started:.0f} s "
              f"(budget {plan.budget:.0f} s; scenarios get more runs while it lasts)"]
    if time.perf_counter() - started > plan.budget + 30:
        slowest = max((j for j in jobs if j.walls), key=lambda j: max(j.walls), default=None)
        if slowest:
            header.append(f"Over budget: the minimum runs alone did not fit; the slowest, "
                          f"{slowest.name}, took {max(slowest.walls):.0f} s a run (all "
                          "included: copying the model, every process, the floor)")
    text, markdown = report(bench, jobs, header)
    print(text)
    if results:
        results.write_text(markdown, "utf-8")
        print(f"\nwrote {results}", file=sys.stderr)
    if any(j.error for j in jobs):
        return 2
    _, targets, _ = rows_and_targets(bench)
    return 1 if args.strict and any(t.passed is False for t in targets) else 0


if __name__ == "__main__":
    sys.exit(main())

"""CalDAV push benchmark: 1,000 synthetic events into a local Radicale.

Measures, in one run against one fresh Radicale (PyPI) on 127.0.0.1:

* first push (every event created), no-op push (nothing changed: requests sent, PUTs
  must be 0) and one-change push (one room changed: one PUT);
* the floor: raw HTTP PUTs of the same bodies, with ``If-None-Match: *``, one after the
  other on one ``httpx.Client`` (kept alive where the server allows; Radicale's built-in
  server closes the connection after every request), into another fresh calendar.

``bench_push()`` returns a dict (see its docstring); ``bench/run.py`` calls it.
Standalone: ``python bench/bench_push.py [--events 1000] [--runs 1]`` prints a table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from g40cal.caldav.push import desired_objects, push_targets, select_targets
from g40cal.config import load_config
from g40cal.definitions.project import load_project
from g40cal.publishing.sync import apply_sync, plan_sync
from g40cal.state import State

REPO = Path(__file__).resolve().parent.parent

PROGRAMME = "bench-netwerkdagen"
ITEMS_PER_DAY = 100
NOW = datetime(2029, 1, 1, 9, 0, tzinfo=UTC)  # before every synthetic day
PUSH_LIMIT = 1.2  # target: first push ≤ 1.2 × the raw PUT floor


def synthetic_programme(events: int) -> str:
    """One programme with ``events`` items, 100 a day in 5-minute slots (deterministic)."""
    days = (events + ITEMS_PER_DAY - 1) // ITEMS_PER_DAY
    first = date(2030, 3, 4)
    lines = [f'id = "{PROGRAMME}"', 'title = "Benchmark netwerkdagen"', 'kind = "ambtelijk"',
             'city = "Utrecht"', ""]
    for day in range(days):
        lines += ["[[days]]", f'date = "{first + timedelta(days=day)}"',
                  'venue = "Stadhuis"', 'address = "Stadsplateau 1, Utrecht"', ""]
    for number in range(events):
        day, slot = divmod(number, ITEMS_PER_DAY)
        start = datetime(2000, 1, 1, 8, 0) + timedelta(minutes=5 * slot)
        end = start + timedelta(minutes=5)
        lines += ["[[items]]", f'id = "sessie-{number:05d}"', f"day = {day + 1}",
                  f'start = "{start:%H:%M}"', f'end = "{end:%H:%M}"', 'kind = "plenair"',
                  f'title = "Sessie {number} over wonen, werk en welzijn"',
                  f'room = "Zaal {number % 7 + 1}"',
                  'description = """Een synthetische sessie voor de benchmark; de tekst is '
                  'ongeveer zo lang als een echte beschrijving van een keuzesessie."""', ""]
    return "\n".join(lines) + "\n"


def _publish(root: Path, now: datetime) -> None:
    config = load_config(root)
    project = load_project(config)
    if project.errors:
        raise RuntimeError([p.format() for p in project.errors])
    with State(config.state_path) as state:
        apply_sync(plan_sync(project, state, now=now), state, config)


class _Counter:
    def __init__(self) -> None:
        self.methods: dict[str, int] = {}

    def __call__(self, request: httpx.Request) -> None:
        self.methods[request.method] = self.methods.get(request.method, 0) + 1


def _timed_push(root: Path, now: datetime) -> tuple[float, dict[str, int]]:
    config = load_config(root)
    counter = _Counter()
    with State(config.state_path) as state:
        started = time.perf_counter()
        [result] = push_targets(config, state, select_targets(config), now=now,
                                event_hooks={"request": [counter]})
        elapsed = time.perf_counter() - started
    if not result.ok:
        raise RuntimeError(f"push failed: {result.error or result.conflicts or result.failures}")
    return elapsed, counter.methods


def _raw_puts(server: Any, url: str, bodies: list[tuple[str, bytes]]) -> float:
    with httpx.Client(auth=(server.username, server.password), timeout=30) as http:
        started = time.perf_counter()
        for name, body in bodies:
            response = http.put(url + name, content=body, headers={
                "If-None-Match": "*", "Content-Type": "text/calendar; charset=utf-8"})
            if response.status_code not in (200, 201, 204):
                raise RuntimeError(f"raw PUT failed: {response.status_code}")
        return time.perf_counter() - started


def _one_run(events: int, folder: Path, raw_first: bool) -> dict[str, Any]:
    root = folder / "project"
    (root / "programmes").mkdir(parents=True)
    (root / "programmes" / f"{PROGRAMME}.toml").write_text(synthetic_programme(events),
                                                           encoding="utf-8")
    shutil.copy(REPO / "groups.toml", root / "groups.toml")
    _publish(root, NOW)
    if str(REPO) not in sys.path:  # the test suite's server launcher lives in tests/
        sys.path.insert(0, str(REPO))
    from tests.caldav_servers import DavServer

    server = DavServer("radicale", folder / "radicale")
    server.start()
    try:
        url = server.new_calendar("g40cal")
        raw_url = server.new_calendar("raw")
        (root / "g40cal.toml").write_text(
            f'[[caldav.targets]]\nname = "bench"\nfeed = "programme:{PROGRAMME}"\n'
            f'url = "{url}"\nusername = "{server.username}"\npassword_env = "G40CAL_BENCH_PW"\n',
            encoding="utf-8")
        os.environ["G40CAL_BENCH_PW"] = server.password
        config = load_config(root)
        with State(config.state_path) as state:
            desired, _ = desired_objects(state, config, f"programme:{PROGRAMME}", "dav-raw")
        bodies = [(f"{d.uid.split('@')[0]}.ics", d.data) for d in desired.values()]

        raw = _raw_puts(server, raw_url, bodies) if raw_first else 0.0
        first, first_requests = _timed_push(root, NOW)
        if not raw_first:
            raw = _raw_puts(server, raw_url, bodies)
        noop, noop_requests = _timed_push(root, NOW)
        definition = root / "programmes" / f"{PROGRAMME}.toml"
        text = definition.read_text(encoding="utf-8")
        definition.write_text(text.replace('room = "Zaal 1"', 'room = "Zaal 9"', 1),
                              encoding="utf-8")
        _publish(root, NOW + timedelta(minutes=5))
        change, change_requests = _timed_push(root, NOW + timedelta(minutes=5))
    finally:
        server.stop()
    return {"first": first, "first_requests": first_requests, "noop": noop,
            "noop_requests": noop_requests, "change": change, "change_requests": change_requests,
            "raw": raw}


def _stats(samples: list[float]) -> dict[str, Any]:
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples),
            "samples": samples}


def bench_push(events: int = 1000, runs: int = 1,
               progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Push ``events`` synthetic events to a fresh local Radicale, ``runs`` times.

    Returns ``{"events", "runs", "first_push", "noop_push", "one_change_push", "raw_put"}``
    where each timing is ``{"median", "min", "max", "samples"}`` in seconds; request counts
    per method of the last run (``first_push_requests``, ``noop_push_requests``,
    ``one_change_push_requests``); ``ratio_first_vs_raw`` (median/median) and the targets
    ``pass_push_vs_raw`` (≤ 1.2×) and ``pass_noop_zero_puts``.
    """
    results: list[dict[str, Any]] = []
    for number in range(runs):
        with tempfile.TemporaryDirectory(prefix="g40cal-bench-push-") as folder:
            if progress:
                progress(f"push benchmark run {number + 1}/{runs} ({events} events)")
            # Alternate which calendar is filled first, so neither side always meets a
            # warmer (or fuller) server.
            results.append(_one_run(events, Path(folder), raw_first=number % 2 == 1))
    last = results[-1]
    report: dict[str, Any] = {
        "events": events, "runs": runs,
        "first_push": _stats([r["first"] for r in results]),
        "noop_push": _stats([r["noop"] for r in results]),
        "one_change_push": _stats([r["change"] for r in results]),
        "raw_put": _stats([r["raw"] for r in results]),
        "first_push_requests": last["first_requests"],
        "noop_push_requests": last["noop_requests"],
        "one_change_push_requests": last["change_requests"],
    }
    report["ratio_first_vs_raw"] = (report["first_push"]["median"]
                                    / report["raw_put"]["median"])
    report["pass_push_vs_raw"] = report["ratio_first_vs_raw"] <= PUSH_LIMIT
    report["pass_noop_zero_puts"] = all(r["noop_requests"].get("PUT", 0) == 0 for r in results)
    return report


def table(report: dict[str, Any]) -> str:
    def row(name: str, key: str, requests: str | None = None) -> str:
        stats = report[key]
        sent = report.get(requests, {}) if requests else {}
        text = ", ".join(f"{m} {n}" for m, n in sorted(sent.items())) if requests else ""
        return (f"{name:<22} {stats['median']:>9.3f} {stats['min']:>9.3f} {stats['max']:>9.3f}"
                f"  {text}")

    lines = [f"CalDAV push, {report['events']} events, local Radicale, {report['runs']} run(s)",
             f"{'measure':<22} {'median s':>9} {'min s':>9} {'max s':>9}  requests",
             row("first push", "first_push", "first_push_requests"),
             row("no-op push", "noop_push", "noop_push_requests"),
             row("one-change push", "one_change_push", "one_change_push_requests"),
             row("raw PUTs (floor)", "raw_put"),
             f"first push / raw PUTs: {report['ratio_first_vs_raw']:.2f}× "
             f"(target ≤ {PUSH_LIMIT}×: {'pass' if report['pass_push_vs_raw'] else 'FAIL'}); "
             f"no-op PUTs: {report['noop_push_requests'].get('PUT', 0)} "
             f"(target 0: {'pass' if report['pass_noop_zero_puts'] else 'FAIL'})"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    report = bench_push(args.events, args.runs, progress=lambda m: print(m, file=sys.stderr))
    print(table(report))


if __name__ == "__main__":
    main()

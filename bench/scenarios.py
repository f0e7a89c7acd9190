"""One benchmark scenario in a fresh process: ``python bench/scenarios.py NAME ROOT [k=v …]``.

``run.py`` starts this once per measurement, so each figure comes from a cold process
whose peak memory (``ru_maxrss``) is that scenario's alone. It prints one JSON object.
Imports happen before the clock starts: the figures are the work, not interpreter start-up.

Scenarios (ROOT is a project folder made by ``scale_model.py``; a published tree is a
model after one ``sync``). Add ``profile=FILE`` to run it under cProfile (for
``python -m pstats FILE``); the timings then include the profiler's overhead.

- ``sync``: what ``g40cal sync`` does — load, plan, publish feeds and pages. On a fresh
  copy of the model it is the full build, on a published tree the no-op sync.
- ``feeds``: the same without the web pages: the full build of all feeds.
- ``room``: move one item to another room in its definition file, then sync.
- ``choice``: change one participant's choice in one round (as ``participants choose``
  does), then sync.
- ``floor`` / ``naive``: the yardsticks of ``baselines.py`` on a published tree (``out=DIR``;
  ``page_sample=N`` / ``sample=N`` write every n-th page / build every n-th feed).
- ``push``: ``bench_push.bench_push`` (1,000 events to a local Radicale, against raw PUTs);
  ROOT is unused there.
- ``import``: ``participants import`` of a registration export of ``rows=N`` rows (a CSV
  written into ``out=DIR`` before the clock starts, one network day of the model, a
  choice per round) into a fresh state database in ``out``: plan and apply.
- ``mail_plan``: on a published tree whose participants all had their welcome, move a common
  item of one day to another room, sync (not timed), then plan the change notices
  (``outbox.plan_mail``, timed) and write them (timed apart).
- ``mail_send``: ``bench_mail.bench_mail`` (1,000 notices to a local SMTP server, against
  raw smtplib); ROOT is unused there.
"""

from __future__ import annotations

import csv
import json
import re
import resource
import shutil
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import baselines
import g40cal.web.pages  # noqa: F401  (see below)
from g40cal.config import load_config
from g40cal.definitions.project import load_project
from g40cal.people.participants import (
    Choice,
    Registration,
    erasing,
    find_participant,
    put_registration,
    touch,
)
from g40cal.people.registrations import apply_import, plan_import
from g40cal.publishing import pipeline
from g40cal.publishing.pipeline import personal_feed_specs, prepare_sync
from g40cal.publishing.publish import Stager
from g40cal.publishing.sync import SyncResult, apply_sync, plan_sync
from g40cal.state import State

# Every sync of the benchmark runs at this moment: before every network day, so no
# cancellation expires between runs and the results do not depend on the calendar.
NOW = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
# g40cal.web.pages (Jinja, the QR encoder) is imported by g40cal only when a sync renders pages;
# it is imported above like every other module, before any clock starts.


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def classify(root: Path, written: list[str]) -> dict[str, Any]:
    """Written files by kind, paths relative to the project folder."""
    relative = sorted(str(Path(p).relative_to(root)) for p in written)
    personal = [p for p in relative if p.startswith("private/") and p.endswith(".ics")]
    public = [p for p in relative if p.startswith("feeds/") and p.endswith(".ics")]
    return {"files": len(relative), "personal_feeds": len(personal),
            "public_feeds": len(public), "other": len(relative) - len(personal) - len(public),
            "paths": relative if len(relative) <= 2000 else None}


def sync(root: Path, *, pages: bool = True, full: bool = False) -> dict[str, Any]:
    """``g40cal sync`` (``full``: ``--full``); ``pages=False``: the feeds only (``plan_sync``
    without the site and the personal pages), what the issue calls the full build of all
    feeds."""
    started, cpu = time.perf_counter(), time.process_time()
    config = load_config(root)
    fingerprint = None
    if pages and config.state_path.exists():  # the command's fast path: nothing to load
        with State(config.state_path) as state:
            fingerprint = pipeline.input_fingerprint(config, state)
            if not full and pipeline.unchanged_since_last_sync(config, state, NOW, fingerprint):
                done = time.perf_counter()
                return {"seconds": done - started, "cpu_seconds": time.process_time() - cpu,
                        "phases": {"check": done - started, "load": 0.0, "plan": 0.0,
                                   "apply": 0.0},
                        "fast_path": True, "feeds": 0, **classify(root, [])}
    checked = time.perf_counter()
    project = load_project(config)
    loaded = time.perf_counter()
    with State(config.state_path) as state:
        if pages:
            plan, _ = prepare_sync(project, state, now=NOW, fingerprint=fingerprint)
        else:  # staged as the command does, so the bytes are not held in memory
            plan = plan_sync(project, state, now=NOW,
                             personal=personal_feed_specs(project, state),
                             stager=Stager(), keep_bytes=False)
        planned = time.perf_counter()
        try:
            result: SyncResult = apply_sync(plan, state, config)
        finally:
            plan.discard()
    done = time.perf_counter()
    return {"seconds": done - started, "cpu_seconds": time.process_time() - cpu,
            "phases": {"check": checked - started, "load": loaded - checked,
                       "plan": planned - loaded, "apply": done - planned},
            "fast_path": False, "feeds": len(plan.feeds), **classify(root, result.written)}


def with_floor(root: Path, result: dict[str, Any]) -> dict[str, Any]:
    """Add this scenario's floor: notice the change, then write the same files atomically."""
    out = root.parent / f"{root.name}.floor"
    try:
        seconds = baselines.detect_floor(load_config(root))
        seconds += baselines.write_floor(root, result["paths"] or [], out)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {**result, "floor_seconds": seconds}


def feeds_holding(root: Path, key: str) -> list[str]:
    """The published feeds holding ``key``, as the state recorded them (before the edit)."""
    config = load_config(root)
    with State(config.state_path) as state:
        rows = state.feeds(state.feeds_holding([key])).values()
    return sorted(("private/" if f.private else "feeds/") + f.path for f in rows)


def move_room(path: Path, item: str) -> tuple[str, str]:
    """Give ``item`` another room in its definition file; every call moves it again."""
    lines = path.read_text("utf-8").split("\n")
    start = lines.index(f'id = "{item}"')
    for index in range(start, len(lines)):
        if lines[index].startswith("room = "):
            old = json.loads(lines[index].removeprefix("room = "))
            new = old.removesuffix(" (verplaatst)") if old.endswith(" (verplaatst)") \
                else f"{old} (verplaatst)"
            lines[index] = "room = " + json.dumps(new, ensure_ascii=False)
            path.write_text("\n".join(lines), "utf-8")
            return old, new
        if lines[index] == "[[items]]":
            break
    raise SystemExit(f"{path}: item {item} has no room line")


def room(root: Path, programme: str, item: str) -> dict[str, Any]:
    expected = feeds_holding(root, f"{programme}/{item}")
    old, new = move_room(root / "programmes" / f"{programme}.toml", item)
    result = with_floor(root, sync(root))
    ics = sorted(p for p in result["paths"] or [] if p.endswith(".ics"))
    return {**result, "change": f"{programme}/{item}: room {old} → {new}",
            "expected_feeds": len(expected), "only_affected": ics == expected,
            "unexpected": sorted(set(ics) - set(expected))[:10],
            "missing": sorted(set(expected) - set(ics))[:10]}


def choice(root: Path, participant: int, programme: str, round_no: int) -> dict[str, Any]:
    """Swap the participant's choice in one round for the next session of that round."""
    config = load_config(root)
    project = load_project(config)
    defined = project.programme(programme)
    assert defined is not None, programme
    sessions = sorted(i.id for i in defined.items if i.round == f"Ronde {round_no}")
    started = time.perf_counter()
    with State(config.state_path) as state:
        person = find_participant(state, f"#{participant}")
        registration = person.registration(programme)
        assert registration is not None, (participant, programme)
        current = [c for c in registration.choices if re.match(rf"r{round_no}-", c.item)]
        old = current[0].item
        new = sessions[(sessions.index(old) + 1) % len(sessions)]
        choices = (*(c for c in registration.choices if c.item != old), Choice(new, None))
        with erasing(state):
            put_registration(state, person.id, Registration(
                registration.programme, registration.registered_at, registration.position,
                registration.days, registration.source, choices))
            touch(state, person.id, NOW)
        expected = [f"private/{person.feed_path}"]
    chosen = time.perf_counter() - started
    result = with_floor(root, sync(root))
    ics = sorted(p for p in result["paths"] or [] if p.endswith(".ics"))
    # The figure is the sync; the choice itself (``participants choose``) is reported apart.
    return {**result, "choose_seconds": chosen,
            "change": f"participant #{participant}: {old} → {new}",
            "expected_feeds": 1, "only_affected": ics == expected,
            "unexpected": sorted(set(ics) - set(expected))[:10]}


def floor(root: Path, out: Path, page_sample: int) -> dict[str, Any]:
    config = load_config(root)
    with State(config.state_path) as state:
        jobs = baselines.feed_jobs(config, state)
    timing = baselines.run_floor(jobs, config, out, page_sample)
    return {"seconds": timing.total, "render": timing.render, "write": timing.write,
            "write_pages": timing.write_other, "pages_sampled": timing.pages_sampled,
            "page_sample": page_sample, "feeds": timing.feeds, "files": timing.files,
            "events": timing.events,
            "bytes_rendered": timing.bytes_rendered, "bytes_written": timing.bytes_written}


def naive(root: Path, out: Path, sample: int) -> dict[str, Any]:
    """Every ``sample``-th feed (in feed id order: public and personal alike); the rest is
    extrapolated per event (building) and per file (writing) — the naive cost is linear
    in both."""
    config = load_config(root)
    with State(config.state_path) as state:
        jobs = baselines.feed_jobs(config, state)
    chosen = jobs[::sample]
    timing = baselines.run_naive(chosen, config, out)
    events = sum(len(j.events) for j in jobs)
    estimate = (timing.render / max(timing.events, 1) * events
                + timing.write / max(timing.feeds, 1) * len(jobs))
    return {"seconds": estimate, "measured_seconds": timing.total, "render": timing.render,
            "write": timing.write, "sampled_feeds": timing.feeds, "sampled_events": timing.events,
            "feeds": len(jobs), "events": events, "extrapolated": len(chosen) < len(jobs)}


def push(events: int) -> dict[str, Any]:
    """``bench_push.bench_push`` (its own local Radicale), one run."""
    import bench_push

    report = bench_push.bench_push(events, runs=1)
    return {**report, "seconds": report["first_push"]["median"]}


def registration_export(root: Path, path: Path, rows: int) -> str:
    """A Google Forms-like export of ``rows`` registrations for one synthetic network day:
    one choice per round, by title, as the form shows it. Returns the programme's id."""
    project = load_project(load_config(root))
    programme = next(p for p in reversed(project.programmes)
                     if sum(1 for i in p.items if i.optional) >= 4)
    rounds = sorted({i.round for i in programme.items if i.optional and i.round})
    sessions = {r: sorted(i.title for i in programme.items if i.round == r) for r in rounds}
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["Tijdstempel", "Naam", "E-mailadres", "Organisatie", *rounds])
        for number in range(rows):
            writer.writerow([f"{1 + number % 28}-5-2026 {number % 24}:{number % 60:02d}:00",
                             f"Deelnemer {number}", f"deelnemer{number}@gemeente.example",
                             f"Gemeente {number % 40}",
                             *(sessions[r][number % len(sessions[r])] for r in rounds)])
    return programme.id


def import_rows(root: Path, out: Path, rows: int) -> dict[str, Any]:
    """``participants import`` of ``rows`` new registrations into an empty state."""
    out.mkdir(parents=True, exist_ok=True)
    export, state_path = out / "aanmeldingen.csv", out / "import-state.sqlite"
    programme = registration_export(root, export, rows)
    started, cpu = time.perf_counter(), time.process_time()
    config = replace(load_config(root), state_override=state_path)
    project = load_project(config)
    loaded = time.perf_counter()
    with State(state_path) as state:
        plan = plan_import(project, state, export, programme=programme)
        planned = time.perf_counter()
        result = apply_import(plan, state, config, NOW, remove_missing=False)
    done = time.perf_counter()
    assert not plan.errors, [p.format() for p in plan.errors[:3]]
    assert result.added == rows, (result, rows)
    return {"seconds": done - started, "cpu_seconds": time.process_time() - cpu,
            "phases": {"load": loaded - started, "plan": planned - loaded,
                       "apply": done - planned},
            "rows": rows, "bytes": export.stat().st_size, "added": result.added}


def mail_plan(root: Path, programme: str, item: str) -> dict[str, Any]:
    from g40cal.mail import outbox
    from g40cal.mail.run import compose_due
    from g40cal.mail.settings import MailSettings, Sender

    config = load_config(root)
    with State(config.state_path) as state:
        outbox.plan_mail(state, NOW)  # the first time: everyone's welcome
        with state.transaction():  # every message so far went out
            state.db.execute("UPDATE mail_outbox SET status = 'sent', sent_at = ?, payload = "
                             "NULL, message_id = '<' || id || '@bench>' WHERE status = 'due'",
                             (NOW.isoformat(),))
    expected = [f for f in feeds_holding(root, f"{programme}/{item}") if f.startswith("private/")]
    old, new = move_room(root / "programmes" / f"{programme}.toml", item)
    synced = sync(root, pages=True)
    with State(config.state_path) as state:
        started = time.perf_counter()
        planned = outbox.plan_mail(state, NOW)
        seconds = time.perf_counter() - started
        settings = MailSettings("127.0.0.1", Sender("Bureau G40", "bureau@g40.example"), 25)
        project = load_project(config)
        started = time.perf_counter()
        messages = list(compose_due(project, state, settings, NOW))
        compose = time.perf_counter() - started
        with state.transaction():  # leave the tree as if they went out
            state.db.execute("UPDATE mail_outbox SET status = 'sent', payload = NULL, "
                             "message_id = '<' || id || '@bench>' WHERE status = 'due'")
    return {"seconds": seconds, "compose_seconds": compose, "sync_seconds": synced["seconds"],
            "notices": planned.changes, "written": len(messages),
            "expected_notices": len(expected), "change": f"{programme}/{item}: room {old} → {new}"}


def mail_send(notices: int) -> dict[str, Any]:
    """``bench_mail.bench_mail`` (its own local SMTP server), one run."""
    import bench_mail

    report = bench_mail.bench_mail(notices, runs=1)
    return {**report, "seconds": report["send"]["median"]}


def main(argv: list[str]) -> None:
    name, root = argv[0], Path(argv[1])
    args = dict(a.split("=", 1) for a in argv[2:])
    if "profile" in args:  # profile=FILE: the same run under cProfile, stats into FILE
        import cProfile

        target = args.pop("profile")
        rest = [f"{k}={v}" for k, v in args.items()]
        cProfile.runctx("main([name, str(root), *rest])", globals(),
                        {"main": main, "name": name, "root": root, "rest": rest}, target)
        return
    if name == "sync":
        result = sync(root, full=args.get("full") == "1")
        if args.get("floor") == "1":
            result = with_floor(root, result)
    elif name == "feeds":
        result = sync(root, pages=False)
    elif name == "room":
        result = room(root, args["programme"], args["item"])
    elif name == "choice":
        result = choice(root, int(args["participant"]), args["programme"], int(args["round"]))
    elif name == "floor":
        result = floor(root, Path(args["out"]), int(args.get("page_sample", "1")))
    elif name == "naive":
        result = naive(root, Path(args["out"]), int(args.get("sample", "1")))
    elif name == "push":
        result = push(int(args["events"]))
    elif name == "import":
        result = import_rows(root, Path(args["out"]), int(args["rows"]))
    elif name == "mail_plan":
        result = mail_plan(root, args["programme"], args["item"])
    elif name == "mail_send":
        result = mail_send(int(args["notices"]))
    else:
        raise SystemExit(f"unknown scenario {name!r}")
    result["rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])

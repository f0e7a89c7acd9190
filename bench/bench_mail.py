"""Mail benchmark: 1,000 change notices through a local SMTP server, against raw smtplib.

One run: the shipped programmes with ``notices`` synthetic participants registered for the
Zaandam day, synced and welcomed (their welcome recorded as sent); then one common item gets
a new title and a sync publishes it, so every participant has one change notice due.

* ``plan``: ``outbox.plan_mail`` (reads the sync log, finds the feeds holding the item);
* ``compose``: writing the notices (templates, MIME);
* ``send``: ``sending.send_due`` — one connection, each acceptance recorded in the state;
* the floor: the very same bytes sent with ``smtplib.SMTP.sendmail`` on one connection,
  nothing recorded.

The server is aiosmtpd's ``Sink`` handler (from the test extra) in its own process on
127.0.0.1, plain SMTP and no login for both sides: the figure is g40cal's own overhead.
``bench_mail()`` returns a dict; ``bench/run.py`` calls it through ``scenarios.py``.
Standalone: ``python bench/bench_mail.py [--notices 1000] [--runs 1]``.
"""

from __future__ import annotations

import argparse
import shutil
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from g40cal.config import load_config
from g40cal.definitions.project import load_project
from g40cal.mail import outbox
from g40cal.mail.messages import with_recipient
from g40cal.mail.run import compose_due
from g40cal.mail.sending import addresses_of, send_due
from g40cal.people.participants import Registration, insert_participant, put_registration
from g40cal.publishing.pipeline import run_sync
from g40cal.state import State

REPO = Path(__file__).resolve().parent.parent
PROGRAMME = "zaandam-bestuurlijk"
NOW = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
SEND_LIMIT = 1.2  # target: sending ≤ 1.2 × raw smtplib on one connection


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
         "-c", "aiosmtpd.handlers.Sink"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the SMTP server did not start")


def _project(folder: Path, port: int, notices: int) -> Path:
    root = folder / "project"
    root.mkdir(parents=True)
    shutil.copytree(REPO / "programmes", root / "programmes")
    shutil.copy(REPO / "groups.toml", root / "groups.toml")
    (root / "g40cal.toml").write_text(
        '[network]\nbase_url = "https://agenda.example.nl/"\n'
        f'[mail]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        'from = "Bureau G40 <bureau@g40.example>"\nrate_per_minute = 0\n', encoding="utf-8")
    config = load_config(root)
    with State(config.state_path) as state, state.transaction():
        for number in range(notices):
            pid = insert_participant(state, name=f"Deelnemer {number}",
                                     email=f"deelnemer{number}@example.nl",
                                     organisation=None, now=NOW)
            put_registration(state, pid, Registration(PROGRAMME, None, number + 1, None,
                                                      "import"))
    _sync(root, NOW)
    with State(config.state_path) as state:
        outbox.plan_mail(state, NOW)
        with state.transaction():  # everyone had their welcome
            state.db.execute("UPDATE mail_outbox SET status = 'sent', sent_at = ?, "
                             "message_id = '<' || id || '@bench>'", ("2000-01-01T00:00:00+00:00",))
    definition = root / "programmes" / f"{PROGRAMME}.toml"
    text = definition.read_text(encoding="utf-8")
    definition.write_text(text.replace('title = "Inloop"', 'title = "Inloop met koffie"', 1),
                          encoding="utf-8")
    _sync(root, NOW)
    return root


def _sync(root: Path, now: datetime) -> None:
    config = load_config(root)
    project = load_project(config)
    with State(config.state_path) as state:
        run_sync(project, state, now=now)


def _raw(port: int, messages: list[tuple[str, bytes]]) -> float:
    started = time.perf_counter()
    smtp = smtplib.SMTP("127.0.0.1", port, timeout=30)
    smtp.ehlo()
    for address, data in messages:
        smtp.sendmail("bureau@g40.example", [address], data)
    smtp.quit()
    return time.perf_counter() - started


def _one_run(folder: Path, notices: int, raw_first: bool) -> dict[str, Any]:
    port = _free_port()
    server = _start_server(port)
    try:
        root = _project(folder, port, notices)
        config = load_config(root)
        assert config.mail is not None
        project = load_project(config)
        with State(config.state_path) as state:
            started = time.perf_counter()
            planned = outbox.plan_mail(state, NOW)
            plan = time.perf_counter() - started
            started = time.perf_counter()
            messages = list(compose_due(project, state, config.mail, NOW))
            compose = time.perf_counter() - started
            addresses = addresses_of(state, [m.participant_id for m in messages])
            raw_messages = [(addresses[m.participant_id][1],
                             with_recipient(m.data, *addresses[m.participant_id]))
                            for m in messages]
            raw = _raw(port, raw_messages) if raw_first else 0.0
            started = time.perf_counter()
            report = send_due(state, config.mail, messages, len(messages))
            send = time.perf_counter() - started
            if not raw_first:
                raw = _raw(port, raw_messages)
        if report.sent != notices or planned.changes != notices:
            raise RuntimeError(f"planned {planned.changes}, sent {report.sent} of {notices}")
        return {"plan": plan, "compose": compose, "send": send, "raw": raw,
                "bytes": sum(len(d) for _, d in raw_messages)}
    finally:
        server.terminate()
        server.wait(10)


def bench_mail(notices: int = 1000, runs: int = 1) -> dict[str, Any]:
    """{"notices", "plan"/"compose"/"send"/"raw": {"samples", "median"}, "ratio",
    "ratio_with_compose", "bytes"}; raw and g40cal alternate which goes first."""
    results = []
    for number in range(runs):
        folder = Path(tempfile.mkdtemp(prefix="g40cal-bench-mail-"))
        try:
            results.append(_one_run(folder, notices, raw_first=number % 2 == 1))
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def figure(key: str) -> dict[str, Any]:
        samples = [r[key] for r in results]
        return {"samples": samples, "median": statistics.median(samples)}

    report: dict[str, Any] = {"notices": notices, "bytes": results[-1]["bytes"]}
    for key in ("plan", "compose", "send", "raw"):
        report[key] = figure(key)
    report["ratio"] = report["send"]["median"] / report["raw"]["median"]
    report["ratio_with_compose"] = ((report["send"]["median"] + report["compose"]["median"])
                                    / report["raw"]["median"])
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--notices", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    report = bench_mail(args.notices, args.runs)
    for key in ("plan", "compose", "send", "raw"):
        print(f"{key:<8} {report[key]['median']:.3f} s  {report[key]['samples']}")
    print(f"send / raw: {report['ratio']:.2f}× (target ≤ {SEND_LIMIT}×); with writing the "
          f"messages: {report['ratio_with_compose']:.2f}×")


if __name__ == "__main__":
    main()

"""``mail check``, ``mail send`` and ``mail status``: e-mail to participants."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from g40cal import cli as cli_module
from g40cal.cli import AppContext, cli, emit_json, handle_errors, pass_app
from g40cal.definitions.project import Project, load_project
from g40cal.errors import G40Error, UserError
from g40cal.layout import personal_output_problem
from g40cal.mail import outbox
from g40cal.mail.run import (
    Prepared,
    compose_due,
    dry_run,
    links_problem,
    prepare,
    require_published,
    sending_lock,
    status_counts,
)
from g40cal.mail.sending import SendReport, check_server, send_due
from g40cal.mail.settings import MailSettings, require_mail
from g40cal.people.participants import git_exposure
from g40cal.state import State


@cli.group()
def mail() -> None:
    """E-mail to participants: their personal links, and notices of changes.

    \b
      g40cal mail check                 can g40cal reach and use the mail server?
      g40cal mail send --dry-run out/   write what would go as .eml files
      g40cal mail send                  send what is due (asks first)
      g40cal mail status                due, sent, refused
    """


def _settings(app: AppContext) -> MailSettings:
    return require_mail(app.config.mail, app.config.path)


@mail.command("check")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
@handle_errors
def mail_check(app: AppContext, as_json: bool) -> None:
    """Connect, start TLS, log in and try the sender; sends nothing. Exit 1 on a problem."""
    settings = _settings(app)
    steps = check_server(settings)
    ok = all(s.ok for s in steps)
    if as_json:
        emit_json({"ok": ok, "steps": [vars(s) for s in steps]})
    else:
        for step in steps:
            click.echo(f"{'ok  ' if step.ok else 'FAIL'} {step.name}: {step.message}")
        if (problem := links_problem(app.config)) is not None:
            click.echo(f"Warning: {problem}", err=True)
    if not ok:
        sys.exit(1)


@mail.command("send")
@click.option("--dry-run", "dry_run_dir", type=click.Path(file_okay=False, path_type=Path),
              metavar="DIR", help="Write every message as an .eml file into DIR; send nothing "
                                  "and change nothing.")
@click.option("--yes", "-y", is_flag=True, help="Send without asking (needed without a "
                                                "terminal).")
@click.option("--retry-refused", is_flag=True,
              help="Try messages the server refused for good once more.")
@click.option("--force", is_flag=True, help="With --dry-run: write even inside a git work "
                                            "tree, not ignored.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (no addresses).")
@pass_app
@handle_errors
def mail_send(app: AppContext, dry_run_dir: Path | None, yes: bool, retry_refused: bool,
              force: bool, as_json: bool) -> None:
    """Send what is due: a welcome with the personal links to each participant who has not
    had one, and to each participant whose programme changed (time, date, place, title,
    cancellation, their own choice) one notice listing their changes.

    Each message is recorded as sent when the server accepted it: a run that stops halfway
    sends the rest next time. Run `g40cal sync` first (or `g40cal sync --mail`).
    """
    ok = run_mail_send(app, dry_run_dir=dry_run_dir, yes=yes, retry_refused=retry_refused,
                       force=force, as_json=as_json)
    if not ok:
        sys.exit(1)


def run_mail_send(app: AppContext, *, dry_run_dir: Path | None = None, yes: bool = False,
                  retry_refused: bool = False, force: bool = False, as_json: bool = False,
                  emit: bool = True) -> bool | dict[str, Any]:
    """Plan, write and send (also used by ``sync --mail``). Returns whether all went well,
    or with ``emit=False`` the JSON report (printed by the caller)."""
    settings = _settings(app)
    config = app.config
    if not config.state_path.exists():
        raise UserError(f"{config.state_path}: nothing has been published yet; run g40cal "
                        "sync first")
    project = load_project(config)
    project.raise_on_errors()
    problem = links_problem(config)
    say = (lambda m: None) if as_json else (lambda m: click.echo(m, err=True))
    with State(config.state_path) as state:
        require_published(state)
        if dry_run_dir is not None:
            if public := personal_output_problem(config, dry_run_dir):  # never, even --force
                raise UserError(f"refusing to write the messages: {public}")
            exposure = git_exposure(dry_run_dir, folder=True)
            if exposure and not force:
                raise UserError(f"{dry_run_dir} would hold personal links, but {exposure}. "
                                "Write them outside the repository or into an ignored folder "
                                "(or use --force)")
            prepared, paths = dry_run(project, state, settings, app.now(), dry_run_dir)
            if problem:
                say(f"Warning: {problem}")
            report = {"dry_run": True, **_prepared_json(prepared), "files": len(paths)}
            if emit and as_json:
                emit_json(report)
            elif emit:
                click.echo(f"{_due_text(prepared)}; wrote {len(paths)} message(s) to "
                           f"{dry_run_dir} (nothing sent). They hold personal links: delete "
                           "them after review.")
            return True if emit else report
        if problem:
            raise UserError(problem)
        with sending_lock(config):
            return _send(app, state, project, settings, yes=yes, retry_refused=retry_refused,
                         as_json=as_json, emit=emit, say=say)


def _send(app: AppContext, state: State, project: Project, settings: MailSettings, *,
          yes: bool, retry_refused: bool, as_json: bool, emit: bool,
          say: Callable[[str], None]) -> bool | dict[str, Any]:
    if retry_refused:
        say(f"{outbox.retry_refused(state)} refused message(s) will be tried again.")
    prepared = prepare(state, app.now())
    if not as_json:
        click.echo(_due_text(prepared) + ".")
    if prepared.total and not yes:
        if not cli_module.is_interactive():
            raise UserError(f"{prepared.total} message(s) are due and nothing was sent: "
                            "without a terminal g40cal sends only with --yes")
        if not click.confirm(f"Send {prepared.total} message(s) through {settings.host}?",
                             default=False):
            click.echo("Nothing sent; the messages stay due.")
            return True if emit else {"dry_run": False, **_prepared_json(prepared),
                                      "sent": 0, "ok": True}
    report = SendReport()
    if prepared.total:
        messages = compose_due(project, state, settings, app.now())
        try:
            report = send_due(state, settings, messages, prepared.total, progress=say)
        except G40Error as exc:  # no connection, login refused: scripts still get JSON
            if as_json and emit:
                emit_json({"dry_run": False, **_prepared_json(prepared), "ok": False,
                           "error": str(exc)})
            raise
    result = {"dry_run": False, **_prepared_json(prepared), **report.to_json(), "ok": report.ok}
    if not emit:
        return result
    if as_json:
        emit_json(result)
    else:
        click.echo(send_text(report))
    return report.ok


def _prepared_json(prepared: Prepared) -> dict[str, Any]:
    return {"planned": prepared.planned.to_json(), "due": prepared.due}


def _due_text(prepared: Prepared) -> str:
    due = prepared.due
    return (f"Due: {due['welcome']} welcome message(s), {due['changes']} change notice(s)"
            if prepared.total else "Nothing is due")


def send_text(report: SendReport) -> str:
    lines = [f"Sent {report.sent} message(s)."]
    for failure in report.failures:
        what = "refused" if failure.permanent else "not accepted now, retried next run"
        lines.append(f"  participant #{failure.participant_id} ({failure.kind}): {what}: "
                     f"{failure.error}")
    if any(f.permanent for f in report.failures):
        lines.append("Refused messages are not tried again by themselves; when the cause is "
                     "gone: g40cal mail send --retry-refused (see g40cal mail status)")
    if report.stopped:
        lines.append(f"Stopped: {report.stopped}. {report.remaining} message(s) are still due: "
                     "run g40cal mail send again.")
    return "\n".join(lines)


@mail.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (no addresses).")
@pass_app
@handle_errors
def mail_status(app: AppContext, as_json: bool) -> None:
    """What is due (including what the syncs since the last send bring), what was sent,
    what the server refused (per participant number). Changes nothing."""
    path = app.config.state_path
    if not path.exists():
        raise UserError(f"{path}: no state database yet; run g40cal sync first")
    with State(path) as state:
        numbers = status_counts(state, app.now())
        problems = [{"participant": r.participant_id, "kind": r.kind, "status": r.status,
                     "attempts": r.attempts, "error": r.last_error}
                    for status in ("refused", "due") for r in outbox.rows_with_status(
                        state, status) if r.last_error]
        last = state.db.execute("SELECT MAX(sent_at) FROM mail_outbox").fetchone()[0]
    if as_json:
        emit_json({"counts": numbers, "problems": problems, "last_sent": last})
        return
    for kind, label in (("welcome", "Welcome messages"), ("changes", "Change notices")):
        row = numbers[kind]
        retry = f" ({row['retrying']} failed before, retried next run)" if row["retrying"] \
            else ""
        skipped = f", {row['skipped']} skipped (no network day to come)" \
            if row["skipped"] else ""
        click.echo(f"{label}: {row['due']} due{retry}, {row['sent']} sent, "
                   f"{row['refused']} refused{skipped}")
    click.echo(f"Last sent: {last[:19].replace('T', ' ') + ' UTC' if last else 'never'}")
    for problem in problems:
        click.echo(f"  participant #{problem['participant']} ({problem['kind']}, "
                   f"{problem['status']}): {problem['error']}")

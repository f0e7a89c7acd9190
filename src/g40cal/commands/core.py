"""``check``, ``sync``, ``log`` and ``feeds``: the bureau's everyday commands."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path

import click

from g40cal import cli as cli_module
from g40cal.cli import AppContext, cli, emit_json, handle_errors, pass_app
from g40cal.definitions.project import Project, definition_files, load_project
from g40cal.errors import StalePlan, UserError
from g40cal.layout import layout_problems
from g40cal.people.participants import stale_personal_data
from g40cal.publishing.report import (
    NO_CHANGES_JSON,
    log_text,
    plan_json,
    plan_text,
    problems_summary,
    problems_text,
)
from g40cal.publishing.sync import SyncPlan, apply_sync
from g40cal.state import State


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@click.option("--verbose", "-v", is_flag=True,
              help="List every warning in full (default: per programme, one line per kind).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
@handle_errors
def check(app: AppContext, files: tuple[Path, ...], strict: bool, verbose: bool,
          as_json: bool) -> None:
    """Validate programme definitions (all of programmes/, or FILES).

    Errors (exit 1): unparsable files, missing or malformed fields, end before start,
    unknown groups, duplicate ids. Warnings (exit 0, or 1 with --strict): estimates,
    missing end times, room clashes, rounds with differing times. Errors are listed one
    by one; warnings per programme, one line per kind with a count and an example
    (--verbose: every one; --json: every one, always).
    """
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise click.BadParameter(f"no such file: {', '.join(missing)}", param_hint="FILES")
    paths = list(files) if files else definition_files(app.config)
    project = load_project(app.config, paths)
    errors, warnings = project.errors, project.warnings
    errors = [*layout_problems(app.config), *errors]  # sync would refuse this layout
    warnings = [*warnings, *stale_personal_data(project, app.now())]  # kept too long?
    if as_json:
        emit_json({
            "programmes": [{"id": p.id, "file": str(p.path), "items": len(p.items)}
                           for p in project.programmes],
            "errors": [p.to_json() for p in errors],
            "warnings": [p.to_json() for p in warnings],
        })
    else:
        shortened = False
        if verbose and (errors or warnings):
            click.echo(problems_text([*errors, *warnings]))
        elif errors or warnings:
            text, shortened = problems_summary([*errors, *warnings])
            click.echo(text)
        if shortened:
            click.echo("(g40cal check --verbose lists every warning in full.)")
        click.echo(f"{len(paths)} file(s) checked: {len(errors)} error(s), "
                   f"{len(warnings)} warning(s).")
    if errors or (strict and warnings):
        sys.exit(1)


@cli.command()
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--yes", "-y", is_flag=True, help="Publish without asking.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--push", "push_after", is_flag=True,
              help="Then push to the CalDAV targets (as g40cal push does).")
@click.option("--mail", "mail_after", is_flag=True,
              help="Then e-mail participants what is due (as g40cal mail send does).")
@click.option("--full", is_flag=True,
              help="Plan every feed even when no input changed (and repair any feed file "
                   "changed by hand).")
@pass_app
@handle_errors
def sync(app: AppContext, dry_run: bool, yes: bool, as_json: bool, push_after: bool,
         mail_after: bool, full: bool) -> None:
    """Publish the feeds: diff with what was published, write only real changes.

    Holds the project lock while it plans and publishes, but not while it waits for your
    answer: if another g40cal changed the state meanwhile, the sync plans again and says so.
    """
    from g40cal.publishing.pipeline import input_fingerprint, unchanged_since_last_sync

    config = app.config
    if mail_after:  # a missing [mail] is said before anything is published
        from g40cal.mail.settings import require_mail
        require_mail(config.mail, config.path)
    if push_after:  # so are missing CalDAV targets
        from g40cal.caldav.push import select_targets
        select_targets(config)
    fingerprint = None
    with app.lock("sync"):
        if config.state_path.exists():
            with State(config.state_path) as state:
                # Taken before the definitions are read (see prepare_sync), and only once.
                fingerprint = input_fingerprint(config, state)
                if not full and unchanged_since_last_sync(config, state, app.now(),
                                                          fingerprint):
                    _nothing_changed(app, state, as_json=as_json, dry_run=dry_run,
                                     push_after=push_after, mail_after=mail_after, yes=yes)
                    return
        project = load_project(config)
        project.raise_on_errors()  # before the state database is opened
        state = State(config.state_path)
    with state:
        note = None
        while not _plan_and_publish(app, state, project, fingerprint, note, dry_run=dry_run,
                                    yes=yes, as_json=as_json, push_after=push_after,
                                    mail_after=mail_after, full=full):
            note = ("The state changed while this sync waited for your answer (another "
                    "g40cal published, or changed participants): planned again.")


def _plan_and_publish(app: AppContext, state: State, project: Project, fingerprint: str | None,
                      note: str | None, *, dry_run: bool, yes: bool, as_json: bool,
                      push_after: bool, mail_after: bool, full: bool) -> bool:
    """One plan, shown and (if wanted) published. False: the state changed while the
    question was open, so the plan was dropped and must be made again."""
    from g40cal.publishing.pipeline import prepare_sync

    with contextlib.ExitStack() as lock:
        lock.enter_context(app.lock("sync"))
        plan, notes = prepare_sync(project, state, now=app.now(), dry_run=dry_run,
                                   verify=full, fingerprint=fingerprint)
        try:
            return _publish(app, state, plan, [*([note] if note else []), *notes],
                            dry_run=dry_run, yes=yes, as_json=as_json, push_after=push_after,
                            mail_after=mail_after, unlock=lock.close)
        finally:
            plan.discard()  # staged files of a plan that was not (fully) applied


# Seconds a sync that was answered "yes" waits for another g40cal (a cron job) to finish
# before it plans again, rather than giving up on the answer.
ANSWERED_WAIT = 120.0


def _publish(app: AppContext, state: State, plan: SyncPlan, notes: list[str], *,
             dry_run: bool, yes: bool, as_json: bool, push_after: bool, mail_after: bool,
             unlock: Callable[[], None]) -> bool:
    if not as_json:
        for note in notes:
            click.echo(note, err=True)
        click.echo(plan_text(plan))
    if dry_run:
        if as_json:
            emit_json({"dry_run": True, **plan_json(plan)})
        elif push_after:
            click.echo("Nothing pushed in a dry run (g40cal push --dry-run shows what a "
                       "push of the published feeds would send).", err=True)
        if mail_after and not as_json:
            click.echo("Nothing mailed in a dry run (g40cal mail send --dry-run DIR writes "
                       "the messages as files).", err=True)
        return True
    nothing = not plan.has_changes and not plan.writes and not plan.removals
    wait = None
    if not nothing and not yes:
        if as_json:  # --json is for scripts: they say --yes, or learn what would change
            refusal = "Nothing published: --json never asks. Add --yes to publish."
            emit_json({"dry_run": False, "published": False, **plan_json(plan),
                       **({"mail": {"ok": False, "error": f"{refusal} Nothing mailed."}}
                          if mail_after else {})})
            raise UserError(refusal)
        if not cli_module.is_interactive():
            raise UserError(NO_CONSENT)
        unlock()  # nobody waits on a question left open; the plan is checked when applied
        # On stderr, so that the question and its default [Y/n] stay visible with stdout piped.
        if not click.confirm("Publish these changes?", default=True, err=True):
            click.echo("Nothing published.")
            return True
        wait = ANSWERED_WAIT
    with app.lock("sync", wait=wait):
        try:
            result = apply_sync(plan, state, app.config,
                                progress=lambda m: click.echo(m, err=True))
        except StalePlan:
            return False
        if not as_json and not nothing:
            click.echo(f"Published: {len(result.written)} file(s) written, "
                       f"{len(result.removed)} removed.")
        pushed = _push_published(app, state, as_json) if push_after else None
    mailed = _mail_published(app, as_json, yes) if mail_after else None
    if as_json:
        emit_json({"dry_run": False, "published": True, **plan_json(plan),
                   "written": len(result.written), "removed": len(result.removed),
                   "run": result.run_id,
                   **({"push": pushed} if push_after else {}),
                   **({"mail": mailed} if mail_after else {})})
    _exit_if_push_failed(pushed)
    _exit_if_push_failed(mailed)
    return True


NO_CONSENT = ("Nothing published: no terminal to ask whether to publish. Add --yes to "
              "publish without asking (as cron jobs and scripts do), or --dry-run to only look.")


def _nothing_changed(app: AppContext, state: State, *, as_json: bool, dry_run: bool,
                     push_after: bool, mail_after: bool = False, yes: bool = False) -> None:
    """No input changed since the last complete sync: say so (and still push if asked)."""
    if not as_json:
        click.echo("No changes.")
    pushed = _push_published(app, state, as_json) if push_after and not dry_run else None
    # Still mail: a run that stopped halfway left messages due.
    mailed = _mail_published(app, as_json, yes) if mail_after and not dry_run else None
    if as_json:
        emit_json({"dry_run": dry_run, "published": False, **NO_CHANGES_JSON,
                   **({"push": pushed} if pushed is not None else {}),
                   **({"mail": mailed} if mailed is not None else {})})
    _exit_if_push_failed(pushed)
    _exit_if_push_failed(mailed)


def _push_published(app: AppContext, state: State, as_json: bool) -> object:
    """``sync --push``: CalDAV targets get what was just published (commands/caldav.py)."""
    from g40cal.caldav.push import select_targets
    from g40cal.commands.caldav import run_push

    return run_push(app, state, select_targets(app.config), as_json=as_json, emit=not as_json)


def _mail_published(app: AppContext, as_json: bool, yes: bool) -> object:
    """``sync --mail``: participants get what was just published (commands/mail.py)."""
    from g40cal.commands.mail import run_mail_send
    from g40cal.errors import G40Error

    if not as_json:
        return run_mail_send(app, yes=yes)
    try:  # the sync's report is printed whatever the mail run says
        return run_mail_send(app, yes=yes, as_json=True, emit=False)
    except G40Error as exc:
        return {"ok": False, "error": str(exc)}


def _exit_if_push_failed(pushed: object) -> None:
    if pushed is False or (isinstance(pushed, dict) and not pushed["ok"]):
        sys.exit(1)


@cli.command()
@click.option("-n", "--limit", default=10, show_default=True,
              help="How many syncs to show, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
@handle_errors
def log(app: AppContext, limit: int, as_json: bool) -> None:
    """List past syncs: when, what changed, which feeds."""
    path = app.config.state_path
    if not path.exists():
        raise UserError(f"{path}: no state database yet; run g40cal sync first")
    with State(path) as state:
        runs = state.runs(limit + 1)  # one more, only to know whether older ones exist
    older = len(runs) > limit
    runs = runs[:limit]
    if as_json:
        for run in runs:
            run["changes"] = [c for c in run["changes"]
                              if not (c["feed"] or "").startswith("personal:")]
        emit_json({"runs": runs})
    else:
        click.echo(log_text(runs))
        if older:
            click.echo(f"(the last {limit} syncs; g40cal log -n {limit * 2} shows more)")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
@handle_errors
def feeds(app: AppContext, as_json: bool) -> None:
    """List the public feeds and their subscription URLs."""
    from g40cal.publishing.feeds import public_feeds

    project = load_project(app.config)
    project.raise_on_errors()
    specs = public_feeds(project, project.events)
    rows = [{"kind": s.kind, "id": s.id.split(":", 1)[-1], "name": s.name, "path": s.path,
             "events": len(s.keys), "url": app.config.public_url(s.path),
             "published": (app.config.feeds_path / s.path).is_file()} for s in specs]
    if as_json:
        emit_json({"feeds": rows})
        return
    for row in rows:
        mark = "" if row["published"] else "  (not published yet)"
        click.echo(f"{row['kind']:<10} {row['path']:<55} {row['events']:>4} events  "
                   f"{row['url']}{mark}")
    if not all(row["published"] for row in rows):  # their URLs answer 404 until then
        click.echo("Feeds marked (not published yet) are not in the feeds folder: run "
                   "g40cal sync before handing out their links.")

"""``push`` and ``targets``: putting published feeds into CalDAV calendars."""

from __future__ import annotations

import sys
from typing import Any

import click

from g40cal.caldav.client import (
    Collection,
    DavAuthError,
    DavClient,
    DavError,
    DavNotForEvents,
    NotACalendar,
    normalise_path,
)
from g40cal.caldav.push import (
    TargetResult,
    cleartext_warning,
    display_feed,
    load_rows,
    push_targets,
    recorded_target,
    resolve_feed,
    select_targets,
    target_counts,
    target_password,
)
from g40cal.cli import AppContext, cli, emit_json, handle_errors, locked, pass_app
from g40cal.config import CaldavTarget
from g40cal.errors import G40Error, UserError
from g40cal.state import State

LIST_ACTIONS_UP_TO = 20  # a first push of 1,000 events lists counts, not 1,000 lines


@cli.command()
@click.option("--target", "names", multiple=True, metavar="NAME",
              help="Push only this target (repeat for more). Default: all targets.")
@click.option("--force", is_flag=True,
              help="Overwrite or delete g40cal's own objects that someone else changed on the "
                   "server. Objects g40cal did not create are never touched, even so.")
@click.option("--create", is_flag=True,
              help="Create a calendar that does not exist yet (MKCALENDAR).")
@click.option("--dry-run", is_flag=True, help="Read the servers, show what would be sent, "
                                              "change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
@handle_errors
@locked("push")
def push(app: AppContext, names: tuple[str, ...], force: bool, create: bool, dry_run: bool,
         as_json: bool) -> None:
    """Push the published feeds to their CalDAV calendars ([[caldav.targets]] in g40cal.toml).

    Only changes travel: an unchanged event sends nothing. Events someone else changed on
    the server are reported as conflicts and left alone (exit 1) unless --force. Run
    `g40cal sync` first: push sends what was published.
    """
    config = app.config
    targets = select_targets(config, names)
    if not config.state_path.exists():
        raise UserError(f"{config.state_path}: nothing has been published yet; run g40cal "
                        "sync first")
    with State(config.state_path) as state:
        ok = run_push(app, state, targets, force=force, create=create, dry_run=dry_run,
                      as_json=as_json)
    if not ok:
        sys.exit(1)


def run_push(app: AppContext, state: State, targets: list[CaldavTarget], *, force: bool = False,
             create: bool = False, dry_run: bool = False, as_json: bool = False,
             emit: bool = True) -> bool | dict[str, Any]:
    """Push and report (also used by ``sync --push``). Returns whether everything went
    well, or with ``emit=False`` the JSON report (printed by the caller)."""
    results = push_targets(app.config, state, targets, now=app.now(), force=force,
                           create=create, dry_run=dry_run,
                           progress=None if as_json else lambda m: click.echo(m, err=True))
    report = {"dry_run": dry_run, "ok": all(r.ok for r in results),
              "targets": [result_json(r) for r in results]}
    if not emit:
        return report
    if as_json:
        emit_json(report)
    else:
        for result in results:
            click.echo(result_text(result))
        bad = [r for r in results if not r.ok]
        if bad:
            click.echo(f"{len(bad)} of {len(targets)} target(s) need attention"
                       + (f"; {len(targets) - len(results)} not tried." if
                          len(results) < len(targets) else "."), err=True)
    return bool(report["ok"])


def _verb(result: TargetResult, kind: str) -> str:
    words = {"create": "created", "update": "updated", "delete": "deleted"}
    return f"would {kind}" if result.dry_run else words[kind]


def result_text(result: TargetResult) -> str:
    target, plan = result.target, result.plan
    lines = [f"{target.name}: {plan.url if plan else target.url}"
             + (f"  ← {display_feed(plan.feed_id)} ({len(plan.desired)} events)" if plan else "")]
    lines += [f"  WARNING {warning}" for warning in result.warnings]
    if plan:
        if plan.create_calendar:
            lines.append("  " + ("would create the calendar" if result.dry_run
                                 else "created the calendar"))
        actions = plan.actions if result.dry_run else result.done
        cancellations = sum(1 for a in actions if a.label == "cancel")
        lines.append("  " + ", ".join(f"{_verb(result, k)} {result.count(k)}"  # type: ignore[arg-type]
                                      for k in ("create", "update", "delete"))
                     + f", unchanged {plan.unchanged}"
                     + (f"; {cancellations} of these cancel an event" if cancellations else ""))
        if result.dry_run or len(actions) <= LIST_ACTIONS_UP_TO:
            for action in actions:
                forced = "  (--force)" if action.forced else ""
                lines.append(f"    {action.label:<7} {action.key}: {action.title}{forced}")
        if plan.foreign:
            lines.append(f"  left alone: {plan.foreign} object(s) in this calendar that g40cal "
                         "did not create")
    for conflict in result.conflicts:
        lines.append(f"  CONFLICT {conflict.key}: {conflict.reason}  [{conflict.href}]")
    for failure in result.failures:
        lines.append(f"  FAILED {failure}")
    if result.error is not None:
        lines.append(f"  ERROR {error_text(result.target, result.error)}")
        if isinstance(result.error, DavAuthError):
            lines.append("  stopped: no further targets were pushed")
    if plan:
        lines += [f"  note: {note}" for note in plan.notes]
    if result.requests:
        lines.append("  requests: " + ", ".join(f"{m} {n}" for m, n in
                                                sorted(result.requests.items())))
    return "\n".join(lines)


def error_text(target: CaldavTarget, error: G40Error) -> str:
    text = str(error)
    if isinstance(error, DavAuthError):
        source = (f"environment variable {target.password_env}" if target.password_env else
                  f"keyring service {target.keyring_service!r}" if target.keyring_service else
                  "no password configured (set password_env or keyring_service)")
        text += f"; password from {source}"
    return text


def result_json(result: TargetResult) -> dict[str, Any]:
    plan = result.plan
    actions = (plan.actions if result.dry_run else result.done) if plan else []
    return {
        "name": result.target.name,
        "url": plan.url if plan else result.target.url,
        "feed": display_feed(plan.feed_id) if plan else display_feed(result.target.feed),
        "events": len(plan.desired) if plan else None,
        "calendar_created": bool(plan and plan.create_calendar),
        "created": result.count("create"),
        "updated": result.count("update"),
        "deleted": result.count("delete"),
        "unchanged": plan.unchanged if plan else 0,
        "foreign": plan.foreign if plan else 0,
        "cancelled": sum(1 for a in actions if a.label == "cancel"),
        "actions": [{"action": a.kind, "key": a.key, "title": a.title, "uid": a.uid,
                     "href": a.href, "forced": a.forced, "cancels": a.label == "cancel"}
                    for a in actions],
        "conflicts": [{"key": c.key, "uid": c.uid, "href": c.href, "reason": c.reason}
                      for c in result.conflicts],
        "failures": result.failures,
        "error": None if result.error is None else {
            "kind": getattr(result.error, "kind", "config"),
            "message": error_text(result.target, result.error)},
        "notes": plan.notes if plan else [],
        "warnings": result.warnings,
        "requests": result.requests,
        "ok": result.ok,
    }


# -- targets ------------------------------------------------------------------------------


@cli.group()
def targets() -> None:
    """CalDAV targets ([[caldav.targets]] in g40cal.toml): list and check them."""


@targets.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
@handle_errors
def targets_list(app: AppContext, as_json: bool) -> None:
    """List the targets and what g40cal has pushed to each."""
    config = app.config
    counts: dict[str, tuple[int, int]] = {}
    pushed: dict[str, str | None] = {}
    if config.state_path.exists():
        with State(config.state_path) as state:
            counts = target_counts(state)
            for target in config.targets:
                row = state.db.execute("SELECT pushed_at FROM caldav_targets WHERE target = ?",
                                       (target.name,)).fetchone()
                pushed[target.name] = row[0] if row else None
    rows = [{"name": t.name, "feed": display_feed(t.feed), "url": t.url,
             "username": t.username, "password": _password_source(t),
             "objects": counts.get(t.name, (0, 0))[0],
             "pending": counts.get(t.name, (0, 0))[1], "pushed_at": pushed.get(t.name)}
            for t in config.targets]
    if as_json:
        emit_json({"targets": rows})
        return
    if not rows:
        click.echo("No CalDAV targets configured (see docs/caldav.md).")
    for row in rows:
        click.echo(f"{row['name']}: {row['feed']} → {row['url']} as {row['username']} "
                   f"(password: {row['password']}); {row['objects']} object(s) pushed"
                   + (f", {row['pending']} unconfirmed" if row["pending"] else "")
                   + (f", last push {row['pushed_at']}" if row["pushed_at"] else ""))


def _password_source(target: CaldavTarget) -> str:
    if target.password_env:
        return f"env {target.password_env}"
    if target.keyring_service:
        return f"keyring {target.keyring_service}"
    return "none"


@targets.command("check")
@click.option("--target", "names", multiple=True, metavar="NAME",
              help="Check only this target (repeat for more).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
@handle_errors
def targets_check(app: AppContext, names: tuple[str, ...], as_json: bool) -> None:
    """Check every target: server reachable (DNS, TLS), login accepted, URL a calendar,
    feed published. Changes nothing. Exit 1 if any check fails."""
    config = app.config
    chosen = select_targets(config, names)
    state = State(config.state_path) if config.state_path.exists() else None
    try:
        results = [check_target(t, state) for t in chosen]
    finally:
        if state is not None:
            state.close()
    if as_json:
        emit_json({"ok": all(r["ok"] for r in results), "targets": results})
    else:
        for result in results:
            mark = "ok  " if result["ok"] else "FAIL"
            click.echo(f"{mark} {result['name']}: {result['url']}")
            for problem in result["problems"]:
                click.echo(f"     {problem['kind']}: {problem['message']}")
            for warning in result["warnings"]:
                click.echo(f"     warning: {warning}")
            if result["ok"]:
                click.echo(f"     {result['summary']}")
    if not all(r["ok"] for r in results):
        sys.exit(1)


def check_target(target: CaldavTarget, state: State | None) -> dict[str, Any]:
    problems: list[dict[str, str]] = []
    warning = cleartext_warning(target)
    warnings = [warning] if warning else []
    summary = ""
    try:
        password = target_password(target)
    except UserError as exc:
        problems.append({"kind": "password", "message": str(exc)})
    else:
        with DavClient(target.url, username=target.username, password=password,
                       verify_tls=target.verify_tls, timeout=target.timeout,
                       retries=1, backoff=0.2) as client:
            try:
                collection = client.propfind(target.url, depth=1, details=True)
                if not collection.is_calendar:
                    raise NotACalendar(
                        f"this is not a calendar collection (it is: "
                        f"{collection.describe_type()})", url=target.url,
                        hint="point the target at a calendar inside it")
                warnings += _check_writable(collection, target)
            except DavError as exc:
                if exc.kind == "not-found":
                    exc.hint = (f"check the url, or let g40cal create the calendar: g40cal "
                                f"push --target {target.name} --create")
                problems.append({"kind": exc.kind, "message": error_text(target, exc)})
            else:
                ours = _ours(state, target)
                name = f" {collection.displayname!r}" if collection.displayname else ""
                summary = (f"calendar{name}: {len(collection.members)} object(s), "
                           f"{ours} pushed by g40cal")
    if state is not None:
        try:
            feed_id = resolve_feed(target.feed, state)
            feed = state.feed(feed_id)
            events = len(feed.keys) if feed else 0
            summary += f"; feed {display_feed(feed_id)} published ({events} events)"
        except UserError as exc:
            problems.append({"kind": "feed", "message": str(exc)})
    else:
        summary += "; nothing published yet (run g40cal sync)"
    return {"name": target.name, "url": target.url, "ok": not problems,
            "problems": problems, "warnings": warnings, "summary": summary.lstrip("; ")}


def _check_writable(collection: Collection, target: CaldavTarget) -> list[str]:
    """Refuse, in words, a calendar a push cannot fill: one for tasks only (Nextcloud's
    "Tasks", iCloud Reminders) or one shared read-only with this user. Some privileges
    missing is only a warning: servers report them differently (Radicale's write shares
    name write-content alone), the push will tell."""
    if not collection.takes_events:
        raise DavNotForEvents(
            f"this calendar takes only {collection.describe_components()}, not events",
            url=target.url, hint="point the target at a calendar for events, or let g40cal "
                                 "create one at a new URL: g40cal push --target "
                                 f"{target.name} --create")
    if collection.read_only:
        raise collection.read_only_error(target.username)
    missing = collection.missing_privileges()
    if not missing:
        return []
    verbs = {"bind": "add", "write-content": "change", "unbind": "delete"}
    return [f"the server does not grant user {target.username!r} the privilege to "
            + " or ".join(verbs[p] for p in missing) + f" events here ({', '.join(missing)}): "
            "a push may be refused"]


def _ours(state: State | None, target: CaldavTarget) -> int:
    if state is None:
        return 0
    recorded = recorded_target(state, target.name)
    if recorded is None or normalise_path(recorded[0], recorded[0]) != normalise_path(
            target.url, target.url):
        return 0
    return len(load_rows(state, target.name))

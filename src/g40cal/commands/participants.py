"""``g40cal participants …``: registrations, choices and private personal feeds.

Everything here reads or writes personal data, which lives only in the state database.
Changes reach the personal feeds with the next ``g40cal sync``; removing a participant
or rotating a token deletes the old feed file at once, so its URL stops working.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from g40cal import cli as cli_module
from g40cal.cli import AppContext, cli, emit_json, handle_errors, locked, pass_app
from g40cal.definitions.model import TZ, Item, Programme
from g40cal.definitions.project import Project, load_project
from g40cal.errors import UserError
from g40cal.layout import orphan_private_files, orphans_text, personal_output_problem
from g40cal.people.matching import (
    describe_items,
    fold_text,
    match_items,
    optional_items,
    parse_time,
)
from g40cal.people.participants import (
    Choice,
    Finding,
    Participant,
    Registration,
    check_participants,
    delete_participant,
    delete_registration,
    email_problem,
    erasing,
    feed_links,
    feed_name,
    find_participant,
    git_exposure,
    insert_participant,
    load_participant,
    load_participants,
    next_position,
    normalise_email,
    personal_feed,
    purge_programme,
    put_registration,
    rotate_token,
    same_person,
    touch,
    update_participant,
)
from g40cal.people.registrations import ImportPlan, apply_import, plan_import
from g40cal.people.safetext import clean, visible
from g40cal.people.spreadsheet import CSV_DESCRIPTION, csv_bytes, xlsx_bytes
from g40cal.publishing.events import Event
from g40cal.publishing.publish import atomic_write
from g40cal.state import State

SYNC_HINT = "Run g40cal sync to publish the personal feeds."
LINK_COLUMNS = ("name", "email", "organisation", "programmes", "feed_url", "webcal_url",
                "google_add_url", "outlook_com_url", "outlook_365_url", "page_url")


@cli.group()
def participants() -> None:
    """Participants, their choices and their private feeds.

    \b
    Personal data lives only in the state database, never in programmes/ or feeds/.
    Typical use:
      g40cal participants import aanmeldingen.xlsx   read the sign-up form's export
      g40cal participants check                      overlaps, capacity, days
      g40cal sync                                    publish the personal feeds
      g40cal participants links -o registrations/links.xlsx   links for the mail merge
      g40cal participants purge --programme ID       after the event
    """


def _project(app: AppContext, *, strict: bool = False) -> Project:
    project = load_project(app.config)
    if strict and project.errors:
        raise UserError(f"{len(project.errors)} error(s) in the definitions (run g40cal "
                        "check): choices are matched against them, so fix them first",
                        project.errors)
    return project


def _programme(project: Project, programme_id: str) -> Programme:
    programme = project.programme(programme_id)
    if programme is None:
        known = ", ".join(p.id for p in project.programmes)
        raise click.BadParameter(f"unknown programme {programme_id!r}; known: {known}",
                                 param_hint="--programme")
    return programme


def _known_day(project: Project, state: State, programme_id: str | None) -> None:
    """Refuse a --programme that names no network day, in the definitions or the state.

    A typo ("zaandam" for "zaandam-bestuurlijk") would otherwise read as "nobody is
    registered": ``purge`` would say there is nothing to delete while every registration
    stays. A day gone from the definitions but still holding registrations is known.
    """
    if programme_id is None or project.programme(programme_id) is not None:
        return
    if state.db.execute("SELECT 1 FROM registrations WHERE programme = ? LIMIT 1",
                        (programme_id,)).fetchone():
        return
    known = sorted({p.id for p in project.programmes} | {
        row[0] for row in state.db.execute("SELECT DISTINCT programme FROM registrations")})
    raise UserError(f"no network day {programme_id!r} in the definitions or the "
                    f"registrations; known: {', '.join(known) or 'none'}")


def _confirm(question: str, yes: bool, refusal: str) -> None:
    """Ask on a terminal; elsewhere ``--yes`` is required (never assume consent)."""
    if yes:
        return
    if not cli_module.is_interactive():
        raise UserError(refusal)
    if not click.confirm(question, default=False, err=True):
        raise UserError("Nothing changed.")


def _findings_text(findings: list[Finding]) -> str:
    return "\n".join(f"  {f.format()}" for f in findings)


# -- import ---------------------------------------------------------------------------


@participants.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--programme", "programme_id", metavar="ID",
              help="Network day of every row (for an export without a Netwerkdag column).")
@click.option("--sheet", help="Sheet of an .xlsx file (default: the first).")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows; skip rows with errors.")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--yes", "-y", is_flag=True,
              help="Remove registrations that are no longer in the export, without asking.")
@click.option("--keep-missing", is_flag=True,
              help="Keep registrations that are no longer in the export.")
@click.option("--progress/--no-progress", "show_progress", default=None,
              help="Report progress of a long import on stderr (default: on a terminal).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
@handle_errors
@locked("participants import")
def import_(app: AppContext, file: Path, programme_id: str | None, sheet: str | None,
            skip_invalid: bool, dry_run: bool, yes: bool, keep_missing: bool,
            show_progress: bool | None, as_json: bool) -> None:
    """Import a registration export (CSV or XLSX) from the sign-up form.

    Choices are matched to items forgivingly (case, accents, small typos) but never by
    guessing: unknown or ambiguous choices are listed per row with the nearest items and
    nothing is imported until they are fixed (or --skip-invalid). Importing an updated
    export again updates choices, adds new people and removes those no longer in it
    (after confirmation). Accepted columns: see docs/participants.md.
    """
    if yes and keep_missing:
        raise click.UsageError("--yes and --keep-missing contradict each other")
    project = _project(app, strict=True)
    if show_progress is None:
        show_progress = sys.stderr.isatty()
    progress = (lambda m: click.echo(m, err=True)) if show_progress else None
    with State(app.config.state_path) as state:
        plan = plan_import(project, state, file, programme=programme_id, sheet=sheet,
                           progress=progress)
        if not as_json:
            click.echo(_plan_text(plan, changes=skip_invalid or not plan.errors))
        if plan.errors and not skip_invalid:
            if as_json:
                emit_json(_plan_json(plan, applied=False))
                sys.exit(1)
            raise UserError(f"{len(plan.skipped)} row(s) with errors: nothing was imported "
                            "(fix them, or use --skip-invalid to import the other rows)",
                            plan.errors)
        if dry_run:
            if as_json:
                emit_json(_plan_json(plan, applied=False))
            else:
                click.echo("Dry run: nothing changed.")
            return
        remove = _removal_consent(plan, yes, keep_missing, as_json)
        result = apply_import(plan, state, app.config, app.now(), remove_missing=remove,
                              progress=progress)
        findings = check_participants(project, load_participants(state))
    findings = [f for f in findings if f.programme in plan.programmes]
    if as_json:
        emit_json({**_plan_json(plan, applied=True), "result": vars(result),
                   "findings": [f.to_json() for f in findings]})
        return
    click.echo(f"Imported: {result.added} added ({result.new_participants} new "
               f"participant(s)), {result.updated} updated, {result.unchanged} unchanged, "
               f"{result.removed} removed, {result.kept} kept.")
    if findings:
        click.echo(f"Check these ({len(findings)}):\n{_findings_text(findings)}")
    click.echo(SYNC_HINT)


def _removal_consent(plan: ImportPlan, yes: bool, keep_missing: bool, as_json: bool) -> bool:
    missing = plan.of("remove")
    if not missing or keep_missing:
        return False
    if yes:
        return True
    if as_json or not cli_module.is_interactive():
        raise UserError(f"{len(missing)} registration(s) are no longer in the export: nothing "
                        "was imported. Rerun with --yes to remove them, or with --keep-missing "
                        "to keep them.")
    return click.confirm(f"Remove these {len(missing)} registration(s)? (No: keep them and "
                         "import the rest)", default=False, err=True)


def _plan_text(plan: ImportPlan, *, changes: bool) -> str:
    """The import report; without ``changes`` (errors stop the import) no change list."""
    lines = [f"Read {plan.path.name}: {len(plan.rows) + len(plan.skipped)} registration(s)"
             + (f" ({'; '.join(plan.notes)})" if plan.notes else "")]
    lines.append("Columns: " + ", ".join(f"{h} → {role}" for h, role in plan.columns))
    lines.append("Network days: " + (", ".join(plan.programmes) or "none"))
    if plan.loose:
        lines.append("Matched loosely — check these:")
        for m in plan.loose:
            how = (" — part of the common programme: nothing to choose" if m.how == "common"
                   else f" [{m.how}]")
            more = f" (and {m.rows - 1} more row(s))" if m.rows > 1 else ""
            lines.append(f"  line {m.line}{more}, {m.column}: {m.value!r} → {m.item} "
                         f"({m.title}){how}")
    if plan.warnings:
        lines.append("Warnings:")
        lines += [f"  {p.format()}" for p in plan.warnings]
    if not changes:
        return "\n".join(lines)
    if plan.errors:
        lines.append(f"Skipped {len(plan.skipped)} row(s) with errors:")
        lines += [f"  {p.format()}" for p in plan.errors]
    lines.append("Changes:")
    words = {"add": "add", "update": "update", "remove": "remove",
             "keep": "keep (added by hand, not in the export)"}
    for kind, word in words.items():
        for change in plan.of(kind):
            detail = f": {', '.join(change.details)}" if change.details else ""
            if kind == "add" and change.row:
                detail = f" ({len(change.row.choices)} choice(s))"
            lines.append(f"  {word:<8} {visible(change.name)} <{visible(change.email)}> "
                         f"{change.programme}{detail}")
    lines.append(f"  unchanged: {len(plan.of('unchanged'))}")
    return "\n".join(lines)


def _plan_json(plan: ImportPlan, *, applied: bool) -> dict[str, Any]:
    return {
        "file": str(plan.path), "applied": applied, "notes": plan.notes,
        "columns": [{"header": h, "role": r} for h, r in plan.columns],
        "programmes": plan.programmes, "rows": len(plan.rows), "skipped_lines": plan.skipped,
        "loose": [vars(m) for m in plan.loose],
        "errors": [p.to_json() for p in plan.errors],
        "warnings": [p.to_json() for p in plan.warnings],
        "changes": [{"kind": c.kind, "name": c.name, "email": c.email,
                     "programme": c.programme, "participant": c.participant,
                     "details": list(c.details),
                     "choices": [ch.item for ch in c.row.choices] if c.row else None}
                    for c in plan.changes],
    }


# -- by hand --------------------------------------------------------------------------


def _match_one(text: str, items: list[Item], what: str) -> Item:
    match = match_items(text, items)
    if match.item is not None:
        return match.item
    if match.how == "ambiguous":
        raise UserError(f"{text!r} fits {len(match.candidates)} {what}: "
                        f"{describe_items(match.candidates)}; write the full title or the id")
    nearest = f"; nearest: {describe_items(match.candidates)}" if match.candidates else ""
    raise UserError(f"{text!r} is not one of the {what}{nearest}")


def _choose_items(programme: Programme, texts: tuple[str, ...]) -> list[Item]:
    items = optional_items(programme)
    chosen = []
    for text in texts:
        common = match_items(text, [i for i in programme.items if not i.optional])
        if common.item is not None and common.how == "exact":
            raise UserError(f"'{common.item.id}' is part of the common programme of "
                            f"{programme.id}: every registered participant has it already")
        chosen.append(_match_one(text, items, f"choices of {programme.id}"))
    return chosen


@dataclass(frozen=True)
class _RemovedChoice:
    """A chosen item no longer in the definition, as the state last published it."""

    id: str
    title: str
    round: str | None


def _removed_choices(state: State, programme: Programme,
                     registration: Registration) -> dict[str, _RemovedChoice]:
    """Chosen items removed from the definition since (``check`` calls them *gone*): they
    can still be dropped, and a new choice of their round replaces them."""
    defined = {i.id for i in programme.items}
    keys = [f"{programme.id}/{c.item}" for c in registration.choices if c.item not in defined]
    found = state.events(keys) if keys else {}
    return {c.item: _RemovedChoice(c.item, row.event.title if row else c.item,
                                   row.event.round if row else None)
            for c in registration.choices if c.item not in defined
            for row in [found.get(f"{programme.id}/{c.item}")]}


def _with_choices(current: list[Choice], items: list[Item], programme: Programme,
                  messages: list[str], removed_rounds: dict[str, str | None] | None = None,
                  ) -> list[Choice]:
    """Add items; a new item replaces an earlier choice in the same round (also a choice
    removed from the definition since, whose round ``removed_rounds`` knows)."""
    rounds = {i.id: i.round for i in programme.items} | (removed_rounds or {})
    result = list(current)
    for item in items:
        clash = [c for c in result if c.item != item.id and item.round
                 and rounds.get(c.item) == item.round]
        for old in clash:
            messages.append(f"'{item.id}' replaces '{old.item}' (both in round '{item.round}')")
            result.remove(old)
        if all(c.item != item.id for c in result):
            result.append(Choice(item.id))
    return sorted(result, key=lambda c: c.item)


@participants.command()
@click.option("--name", required=True, help="Full name.")
@click.option("--email", required=True, help="E-mail address.")
@click.option("--programme", "programme_id", required=True, metavar="ID",
              help="The network day registered for.")
@click.option("--organisation", help="Organisation or municipality.")
@click.option("--days", help="Days attended of a multi-day programme, e.g. 1 or 1,2 "
                             "(default: every day).")
@click.option("--registered-at", help="Registration time (ISO, default now): first come, "
                                      "first served for sessions with a capacity.")
@click.option("--choose", "choices", multiple=True, metavar="ITEM",
              help="A chosen item (title or id); repeat for more.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
@handle_errors
@locked("participants add")
def add(app: AppContext, name: str, email: str, programme_id: str, organisation: str | None,
        days: str | None, registered_at: str | None, choices: tuple[str, ...],
        as_json: bool) -> None:
    """Register a participant by hand (or register someone for one more network day)."""
    project = _project(app, strict=True)
    programme = _programme(project, programme_id)
    name = clean(name)
    organisation = clean(organisation) or None if organisation is not None else None
    address = normalise_email(email)
    if not name:
        raise click.BadParameter("the name is empty", param_hint="--name")
    if (problem := email_problem(address)) is not None:
        raise click.BadParameter(problem, param_hint="--email")
    attended = _parse_days(days, programme)
    try:
        at = parse_time(registered_at) if registered_at else app.now().astimezone(TZ)
    except ValueError:
        raise click.BadParameter(f"{registered_at!r} is not a date and time",
                                 param_hint="--registered-at") from None
    messages: list[str] = []
    picked = _with_choices([], _choose_items(programme, choices), programme, messages)
    with State(app.config.state_path) as state:
        existing = same_person(state, address, name)
        if existing and existing[0].registration(programme.id):
            raise UserError(f"{existing[0].label} is already registered for {programme.id}; "
                            "use g40cal participants choose to change choices")
        with erasing(state):
            pid = existing[0].id if existing else insert_participant(
                state, name=name, email=address, organisation=organisation, now=app.now())
            if existing and organisation:
                update_participant(state, pid, name=name, organisation=organisation,
                                   now=app.now())
            put_registration(state, pid, Registration(
                programme.id, at, next_position(state, programme.id), attended, "hand",
                tuple(picked)))
            touch(state, pid, app.now())
        participant = load_participant(state, pid)
        assert participant is not None  # just written
        findings = check_participants(project, [participant])
    _report_person(app, project, participant, findings, messages, as_json)


def _parse_days(text: str | None, programme: Programme) -> frozenset[int] | None:
    if not text:
        return None
    try:
        days = frozenset(int(d) for d in text.replace(" ", "").split(",") if d)
    except ValueError:
        raise click.BadParameter(f"{text!r}: give day numbers like 1 or 1,2",
                                 param_hint="--days") from None
    if not days or not days <= set(range(1, len(programme.days) + 1)):
        raise click.BadParameter(f"{programme.id} has day(s) 1–{len(programme.days)}",
                                 param_hint="--days")
    return None if len(days) == len(programme.days) else days


@participants.command()
@click.argument("person")
@click.argument("items", nargs=-1)
@click.option("--drop", multiple=True, metavar="ITEM", help="Un-choose an item; repeat for more.")
@click.option("--programme", "programme_id", metavar="ID",
              help="Network day (when the participant is registered for several).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
@handle_errors
@locked("participants choose")
def choose(app: AppContext, person: str, items: tuple[str, ...], drop: tuple[str, ...],
           programme_id: str | None, as_json: bool) -> None:
    """Change a participant's choices: add ITEMS (titles or ids), --drop others.

    PERSON is a number, e-mail address or full name from `participants list`. A new item
    replaces the earlier choice in the same round. The next sync cancels a dropped item in
    the participant's feed and adds the new one.
    """
    if not items and not drop:
        raise click.UsageError("give ITEMS to choose and/or --drop ITEM")
    project = _project(app, strict=True)
    with State(app.config.state_path) as state:
        participant = find_participant(state, person)
        registration, programme = _registration(project, participant, programme_id,
                                                items or drop)
        messages: list[str] = []
        current = list(registration.choices)
        removed = _removed_choices(state, programme, registration)
        for text in drop:
            dropped = removed.get(text) or next(
                (e for e in removed.values() if fold_text(e.title) == fold_text(text)), None)
            if dropped is None:
                chosen_items = [i for i in programme.items if i.id in registration.chosen]
                dropped = _match_one(text, chosen_items,
                                     f"current choices of {participant.label}")
            current = [c for c in current if c.item != dropped.id]
            messages.append(f"dropped '{dropped.id}'")
        current = _with_choices(current, _choose_items(programme, items), programme, messages,
                                {item_id: e.round for item_id, e in removed.items()})
        with erasing(state):
            put_registration(state, participant.id, Registration(
                registration.programme, registration.registered_at, registration.position,
                registration.days, registration.source, tuple(current)))
            touch(state, participant.id, app.now())
        participant = load_participant(state, participant.id)
        assert participant is not None  # just written
        findings = check_participants(project, [participant])
    _report_person(app, project, participant, findings, messages, as_json)


def _registration(project: Project, participant: Participant, programme_id: str | None,
                  texts: tuple[str, ...]) -> tuple[Registration, Programme]:
    if programme_id is not None:
        registration = participant.registration(programme_id)
        if registration is None:
            raise UserError(f"{participant.label} is not registered for {programme_id}; "
                            f"register them with g40cal participants add")
        return registration, _programme(project, programme_id)
    candidates = [(r, p) for r in participant.registrations
                  if (p := project.programme(r.programme)) is not None]
    if len(candidates) == 1:
        return candidates[0]
    fitting = [(r, p) for r, p in candidates
               if all(match_items(t, optional_items(p)).item is not None
                      or t in r.chosen for t in texts)]
    if len(fitting) == 1:
        return fitting[0]
    listed = ", ".join(r.programme for r, _ in candidates) or "none"
    raise UserError(f"say which network day with --programme (registered for: {listed})")


def _report_person(app: AppContext, project: Project, participant: Participant,
                   findings: list[Finding], messages: list[str], as_json: bool) -> None:
    if as_json:
        emit_json({**_person_json(app, project, participant), "messages": messages,
                   "findings": [f.to_json() for f in findings]})
        return
    for message in messages:
        click.echo(message)
    click.echo(_person_text(app, project, participant))
    if findings:
        click.echo(f"Check these:\n{_findings_text(findings)}")
    click.echo(SYNC_HINT)


# -- looking -------------------------------------------------------------------------


def _choice_rows(project: Project, registration: Registration,
                 gone: Mapping[tuple[str, str], Event]) -> list[dict[str, Any]]:
    programme = project.programme(registration.programme)
    items = {i.id: i for i in programme.items} if programme else {}
    rows = []
    for choice in registration.choices:
        item = items.get(choice.item)
        start = programme.start_of(item) if programme and item else None
        # A removed item keeps its last title and time in the state while its cancellation
        # is announced: say what it was rather than "?".
        removed = gone.get((registration.programme, choice.item)) if item is None else None
        title = item.title if item else removed.title if removed else None
        if removed is not None:
            start = removed.start
        rows.append({"item": choice.item, "title": title,
                     "round": item.round if item else removed.round if removed else None,
                     "start": start.isoformat() if start else None,
                     "cancelled": bool(item and item.cancelled), "gone": item is None,
                     "form_text": choice.label})
    return sorted(rows, key=lambda r: (r["start"] or "9999", r["item"]))


def _gone_events(app: AppContext) -> dict[tuple[str, str], Event]:
    """Events removed from the definitions whose cancellation is still announced."""
    with State(app.config.state_path) as state:
        return {(row.event.programme_id, row.event.item_id): row.event
                for row in state.removed_events().values()}


def _person_json(app: AppContext, project: Project, participant: Participant) -> dict[str, Any]:
    spec = personal_feed(project, participant)
    links = feed_links(app.config, participant.token, spec.name if spec else "")
    gone = _gone_events(app)
    return {
        "id": participant.id, "name": participant.name, "email": participant.email,
        "organisation": participant.organisation, "feed": vars(links),
        "feed_file": str(app.config.private_path / participant.feed_path),
        "events_in_feed": len(spec.keys) if spec else 0,
        "registrations": [{
            "programme": r.programme,
            "registered_at": r.registered_at.isoformat() if r.registered_at else None,
            "days": sorted(r.days) if r.days is not None else None, "source": r.source,
            "choices": _choice_rows(project, r, gone)} for r in participant.registrations],
    }


def _person_text(app: AppContext, project: Project, participant: Participant) -> str:
    data = _person_json(app, project, participant)
    lines = [f"{participant.label}" + (f", {visible(participant.organisation)}"
                                       if participant.organisation else ""),
             f"  feed: {data['feed']['https']}  ({data['events_in_feed']} events)"]
    for registration in data["registrations"]:
        days = ("all days" if registration["days"] is None
                else "day " + ",".join(map(str, registration["days"])))
        lines.append(f"  {registration['programme']}: registered "
                     f"{(registration['registered_at'] or 'at an unknown time')[:16]}, "
                     f"{days}, {registration['source']}")
        for row in registration["choices"]:
            mark = " (GONE)" if row["gone"] else " (CANCELLED)" if row["cancelled"] else ""
            lines.append(f"    {_day_and_time(row['start'])} {row['item']}: "
                         f"{row['title'] or '?'}{mark}")
        if not registration["choices"]:
            lines.append("    no choices")
    return "\n".join(lines)


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _day_and_time(start: str | None) -> str:
    """"Thu 25-09-2025 14:45": the day too, so two days' sessions read in order."""
    if start is None:
        return "(no longer in the programme)"
    moment = datetime.fromisoformat(start)
    return f"{WEEKDAYS[moment.weekday()]} {moment:%d-%m-%Y %H:%M}"


@participants.command("list")
@click.option("--programme", "programme_id", metavar="ID", help="Only this network day.")
@click.option("--wide", is_flag=True, help="Show long names and organisations whole.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
@handle_errors
def list_(app: AppContext, programme_id: str | None, wide: bool, as_json: bool) -> None:
    """List participants: number, name, e-mail, organisation, network days, choices."""
    project = _project(app)
    with State(app.config.state_path) as state:
        _known_day(project, state, programme_id)
        people = load_participants(state, programme=programme_id)
    findings = check_participants(project, people, programme_id)
    flagged: dict[int, int] = {}
    for finding in findings:
        for pid in finding.participants:
            flagged[pid] = flagged.get(pid, 0) + 1
    rows = [{"id": p.id, "name": p.name, "email": p.email, "organisation": p.organisation,
             "programmes": {r.programme: [c.item for c in r.choices] for r in p.registrations
                            if programme_id in (None, r.programme)},
             "findings": flagged.get(p.id, 0)} for p in people]
    if as_json:
        emit_json({"participants": rows})
        return
    if not rows:
        click.echo("No participants" + (f" for {programme_id}." if programme_id else "."))
        return
    table, shortened = _people_table(rows, wide)
    click.echo(table)
    click.echo(f"{len(rows)} participant(s)." + (" Long texts are cut short (…): --wide "
                                                  "shows them whole." if shortened else ""))


# Widest column in `participants list` (without --wide): longer text ends in "…", so one
# long organisation does not push every column after it out of line.
LIST_WIDTHS = {"name": 28, "email": 34, "organisation": 24}


def _people_table(rows: list[dict[str, Any]], wide: bool) -> tuple[str, bool]:
    """The table, and whether a text was cut short."""
    from tabulate import tabulate

    shortened = False

    def cut(text: str | None, column: str) -> str:
        nonlocal shortened
        shown = visible(text or "")
        limit = LIST_WIDTHS[column]
        if wide or len(shown) <= limit:
            return shown
        shortened = True
        return shown[:limit - 1] + "…"

    table = [[f"#{row['id']}", cut(row["name"], "name"), cut(row["email"], "email"),
              cut(row["organisation"], "organisation"),
              "; ".join(f"{pid} ({len(items)} choice(s))"
                        for pid, items in row["programmes"].items()),
              f"{row['findings']} to check" if row["findings"] else ""] for row in rows]
    text = tabulate(table, headers=["#", "name", "e-mail", "organisation", "network days",
                                    "check"], tablefmt="simple", disable_numparse=True)
    return text, shortened


@participants.command()
@click.argument("person")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
@handle_errors
def show(app: AppContext, person: str, as_json: bool) -> None:
    """Show one participant: feed URL, registrations, choices and what to check."""
    project = _project(app)
    with State(app.config.state_path) as state:
        participant = find_participant(state, person)
    findings = check_participants(project, [participant])
    if as_json:
        emit_json({**_person_json(app, project, participant),
                   "findings": [f.to_json() for f in findings]})
        return
    click.echo(_person_text(app, project, participant))
    if findings:
        click.echo(f"Check these:\n{_findings_text(findings)}")


@participants.command()
@click.option("--programme", "programme_id", metavar="ID", help="Only this network day.")
@click.option("--strict", is_flag=True, help="Exit 1 when there is anything to check.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
@handle_errors
def check(app: AppContext, programme_id: str | None, strict: bool, as_json: bool) -> None:
    """Check choices: overlaps, two in one round, capacity (first come, first served),
    choices on days not attended, and chosen items that are cancelled or gone."""
    project = _project(app)
    with State(app.config.state_path) as state:
        _known_day(project, state, programme_id)
        people = load_participants(state, programme=programme_id)
        orphans = orphan_private_files(app.config, state)
    findings = check_participants(project, people, programme_id)
    if as_json:
        emit_json({"participants": len(people), "findings": [f.to_json() for f in findings],
                   "unowned_private_files": len(orphans)})
    else:
        if orphans:  # their links still work: the state that knew them is gone
            click.echo(orphans_text(app.config, orphans, removing=False))
        if findings:
            click.echo(_findings_text(findings))
            click.echo(f"{len(people)} participant(s), {len(findings)} thing(s) to check.")
        else:
            click.echo(f"{len(people)} participant(s): nothing to check.")
    if strict and (findings or orphans):
        sys.exit(1)


# -- links ---------------------------------------------------------------------------


@participants.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write: .xlsx, or .csv (semicolons, UTF-8 with BOM: what a "
                   "Dutch Excel opens by double-click).")
@click.option("--programme", "programme_id", metavar="ID", help="Only this network day.")
@click.option("--force", is_flag=True, help="Write even inside a git work tree, not ignored.")
@click.option("--json", "as_json", is_flag=True, help="Print the links instead of a file.")
@pass_app
@handle_errors
def links(app: AppContext, output: Path | None, programme_id: str | None, force: bool,
          as_json: bool) -> None:
    """Write subscribe links for a mail merge: name, e-mail, feed URL (https and webcal),
    Google Calendar's add-by-URL page, Outlook.com and Microsoft 365 links, web page."""
    if output is None and not as_json:
        raise click.UsageError("give --output FILE (.csv or .xlsx), or --json")
    project = _project(app)
    with State(app.config.state_path) as state:
        _known_day(project, state, programme_id)
        people = load_participants(state, programme=programme_id)
    rows = [_link_row(app, project, p) for p in people]
    if as_json:
        emit_json({"links": rows})
        return
    assert output is not None  # checked above
    if output.suffix.lower() not in (".csv", ".xlsx"):
        raise click.BadParameter("the file name must end in .csv or .xlsx", param_hint="--output")
    if problem := personal_output_problem(app.config, output):  # never, even with --force
        raise UserError(f"refusing to write personal links: {problem}")
    exposure = git_exposure(output)
    if exposure and not force:
        raise UserError(f"{output} would hold personal links, but {exposure}. Write it "
                        "outside the repository or into an ignored folder such as "
                        "registrations/ (or use --force)")
    table = [[row[c] for c in LINK_COLUMNS] for row in rows]
    xlsx = output.suffix.lower() == ".xlsx"
    data = xlsx_bytes(LINK_COLUMNS, table, "links") if xlsx else csv_bytes(LINK_COLUMNS, table)
    atomic_write(output, data, mode=0o600)
    kind = "" if xlsx else f" ({CSV_DESCRIPTION})"
    click.echo(f"Wrote {len(rows)} participant(s) to {output}{kind}. It holds personal links: "
               "delete it after the mailing.")
    if app.config.base_url.startswith("http://"):
        click.echo(f"Warning: base_url is {app.config.base_url} (not https): set "
                   "[network] base_url in g40cal.toml before sending links.", err=True)


def _link_row(app: AppContext, project: Project, participant: Participant) -> dict[str, str]:
    spec = personal_feed(project, participant)
    name = spec.name if spec else feed_name(app.config, [])
    found = feed_links(app.config, participant.token, name)
    return {"name": participant.name, "email": participant.email,
            "organisation": participant.organisation or "",
            "programmes": ", ".join(r.programme for r in participant.registrations),
            "feed_url": found.https, "webcal_url": found.webcal, "google_add_url": found.google,
            "outlook_com_url": found.outlook_com, "outlook_365_url": found.outlook_365,
            "page_url": found.page}


# -- removing ------------------------------------------------------------------------


@participants.command()
@click.argument("person")
@click.option("--programme", "programme_id", metavar="ID",
              help="Remove only this registration (the last one removes the person).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@pass_app
@handle_errors
@locked("participants remove")
def remove(app: AppContext, person: str, programme_id: str | None, yes: bool) -> None:
    """Remove a participant and delete their personal feed (its URL stops working)."""
    with State(app.config.state_path) as state:
        participant = find_participant(state, person)
        if programme_id and participant.registration(programme_id) is None:
            raise UserError(f"{participant.label} is not registered for {programme_id}")
        whole = programme_id is None or len(participant.registrations) == 1
        what = (f"{participant.label} and their personal feed" if whole
                else f"the registration of {participant.label} for {programme_id}")
        _confirm(f"Remove {what}?", yes, f"removing {what} needs --yes")
        with erasing(state):
            if whole:
                delete_participant(state, app.config, participant)
            else:
                delete_registration(state, app.config, participant, programme_id or "")
    click.echo(f"Removed {what}.")
    if not whole:
        click.echo(SYNC_HINT)


@participants.command()
@click.argument("person")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@pass_app
@handle_errors
@locked("participants rotate")
def rotate(app: AppContext, person: str, yes: bool) -> None:
    """Give a participant a new feed URL; the old one stops working at once."""
    project = _project(app)
    with State(app.config.state_path) as state:
        participant = find_participant(state, person)
        _confirm(f"Give {participant.label} a new link? The old one stops working.", yes,
                 "rotating a token needs --yes")
        with state.transaction():
            token = rotate_token(state, app.config, participant, app.now())
        participant = load_participant(state, participant.id)
    assert participant is not None  # still there
    spec = personal_feed(project, participant)
    found = feed_links(app.config, token, spec.name if spec else "")
    click.echo(f"New link for {participant.label}: {found.https}")
    click.echo("The old feed file was removed. Run g40cal sync to publish the new feed, "
               "then send the participant the new link.")


@participants.command()
@click.option("--programme", "programme_id", required=True, metavar="ID",
              help="The network day whose personal data goes.")
@click.option("--force", is_flag=True, help="Also before the event is over.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@pass_app
@handle_errors
@locked("participants purge")
def purge(app: AppContext, programme_id: str, force: bool, yes: bool) -> None:
    """Delete all personal data of a network day after the event: registrations, choices,
    and people (with their feeds) who have no other registration."""
    project = _project(app)
    programme = project.programme(programme_id)
    today = app.now().astimezone(TZ).date()
    if programme is not None and programme.last_date >= today and not force:
        raise UserError(f"{programme_id} ends on {programme.last_date:%d-%m-%Y}: purge after "
                        "the event (or use --force)")
    with State(app.config.state_path) as state:
        _known_day(project, state, programme_id)
        count = len(load_participants(state, programme=programme_id))
        if count == 0:
            click.echo(f"No personal data stored for {programme_id}.")
            return
        _confirm(f"Delete the registrations of {count} participant(s) for {programme_id}?",
                 yes, "purging needs --yes")
        result = purge_programme(state, app.config, programme_id)
    click.echo(f"Purged {programme_id}: {result.registrations} registration(s) deleted, "
               f"{result.participants} participant(s) and their feeds removed entirely.")
    if programme is not None and programme.last_date + timedelta(days=1) > today:
        click.echo("Note: purged before the event was over (--force).")

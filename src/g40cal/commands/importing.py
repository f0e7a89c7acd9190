"""``import``: the bureau's programme document (Word, PDF, text) becomes a checked draft."""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import click

from g40cal import cli as cli_module
from g40cal.cli import AppContext, cli, emit_json, handle_errors, pass_app
from g40cal.definitions.groups import load_registry
from g40cal.definitions.loader import parse_programme
from g40cal.errors import Problem, UserError
from g40cal.importer import merge as merging
from g40cal.importer import report as reporting
from g40cal.importer.reading import read_document
from g40cal.importer.recognise import NoDateError, Options, recognise
from g40cal.importer.writer import assign_ids, programme_id, render
from g40cal.publishing.publish import atomic_write


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-03-12") from None


@cli.command("import")
@click.argument("document", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Definition to write (default: programmes/<id>.toml).")
@click.option("--id", "programme", help="Programme id (default: city-kind-year).")
@click.option("--date", "day", callback=_date,
              help="Date of the (first) day, YYYY-MM-DD, when the document does not state it.")
@click.option("--city", help="Host city, when the document does not name it.")
@click.option("--kind", type=click.Choice(["ambtelijk", "bestuurlijk"]),
              help="Kind of network day, when the document does not say it.")
@click.option("--update", "update", type=click.Path(dir_okay=False, path_type=Path),
              help="Merge into this existing definition (items keep their ids).")
@click.option("--yes", "-y", is_flag=True,
              help="With --update: write without asking, and remove items that are no "
              "longer in the document.")
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
@pass_app
@handle_errors
def import_(app: AppContext, document: Path, output: Path | None, programme: str | None,
            day: date | None, city: str | None, kind: str | None, update: Path | None,
            yes: bool, dry_run: bool, as_json: bool) -> None:
    """Read the bureau's programme DOCUMENT (.docx, .pdf, .txt, .md) into a draft definition.

    \b
    The draft says where each value came from; what the document does not state is left
    out or marked as an estimate. The report lists every line that was not used.
    Never overwrites a definition: use --update to merge a changed document into one
    (items keep their ids, hand-made edits stay; gone items are removed only with --yes).
    """
    config = app.config
    registry = load_registry(config.groups_path)
    if update is not None and output is not None:
        raise click.UsageError("give either --update FILE or -o FILE, not both")
    source = read_document(document)
    options = Options(date=day, city=city, kind=kind)
    try:
        draft = recognise(source, registry, options)
    except NoDateError:
        known = _first_date(update) if update is not None and day is None else None
        if known is None:
            raise
        draft = recognise(source, registry, replace(options, date=known))
    if not draft.items:
        raise UserError(f"{document}: no programme items recognised (no time slots, no "
                        "headings of sessions); is this the programme document?")
    if draft.kind is None and update is None:
        raise UserError(f"{document}: cannot tell whether this is an ambtelijke or a "
                        "bestuurlijke netwerkdag; give --kind ambtelijk or --kind bestuurlijk")
    merged = None
    if update is not None:
        text, items, target, merged = _merged(draft, update, yes, registry)
    else:
        pid = programme or programme_id(draft)
        if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", pid):
            raise click.BadParameter(f"{pid!r}: use lower-case letters, digits and '-'",
                                     param_hint="--id")
        target = output or config.programmes_path / f"{pid}.toml"
        if target.exists():
            raise UserError(f"{target} already exists; nothing was written",
                            [Problem("error", "exists", "the importer never overwrites a "
                                     "definition", target, hint=f"merge the document into it "
                                     f"with --update {target}, or choose another file with -o")])
        _id_taken(config.programmes_path, pid, target)
        items = assign_ids(draft.items)
        text = render(draft, pid, items)
    _must_pass_check(text, target, registry)
    write = not dry_run
    result = reporting.summary(draft, items, target, merged, written=write)
    if as_json:
        if write:
            atomic_write(target, text.encode("utf-8"))
        emit_json(result)
        return
    click.echo(reporting.text(result))
    # like sync: a person at the terminal sees the changes and confirms before the merge
    if write and merged is not None and not yes and cli_module.is_interactive() \
            and not click.confirm(f"Write these changes to {target}?", default=True):
        dry_run, write = True, False
    if write:
        atomic_write(target, text.encode("utf-8"))
    if not write:
        click.echo(f"{'Dry run: ' if dry_run else ''}{target} was not written.")
    else:
        click.echo(f"Wrote {target}. Review it, then run: g40cal check && g40cal sync")


def _merged(draft: Any, path: Path, yes: bool,
            registry: Any) -> tuple[str, list, Path, merging.Merged]:
    data, existing = merging.read_existing(path)
    merged = merging.merge(existing, list(draft.items), remove_gone=yes,
                           registry=registry)
    taken = {e.id for e in existing}
    items = assign_ids(list(merged.items), taken)
    header = {key: data.get(key) for key in ("title", "kind", "city", "source", "description",
                                             "venues")}
    kept_items = [] if yes else [g.data for g in merged.gone]
    pid = str(data.get("id") or programme_id(draft))
    days = _keep_day_venues(draft, data)
    text = render(days, pid, items, header=header, extra=merged.kept_fields,
                  kept_items=kept_items)
    return text, items, path, merged


def _first_date(path: Path) -> date | None:
    """With --update and a document without a date: the definition's date stays."""
    try:
        days = tomllib.loads(path.read_text(encoding="utf-8")).get("days") or []
        return date.fromisoformat(str(days[0]["date"]))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, IndexError, KeyError,
            TypeError, ValueError):
        return None


def _keep_day_venues(draft: Any, data: dict[str, Any]) -> Any:
    """A day's venue the document does not name, but the definition does, stays."""

    old_days = data.get("days") if isinstance(data.get("days"), list) else []
    days = []
    for number, day in enumerate(draft.days):
        old = old_days[number] if number < len(old_days) and isinstance(old_days[number],
                                                                         dict) else {}
        if "date" in day.estimated and str(day.date) == str(old.get("date")) \
                and "date" not in (old.get("estimated") or ()):
            day = replace(day, estimated=tuple(f for f in day.estimated if f != "date"),
                          estimate_note=None)      # the definition states it as a fact
        if not day.venue and old.get("venue"):
            estimated = tuple(f for f in old.get("estimated", ()) if f in ("venue", "address"))
            note = old.get("estimate_note") if estimated else None
            day = replace(day, venue=old["venue"], address=day.address or old.get("address"),
                          estimated=(*day.estimated, *estimated),
                          estimate_note=" ".join(filter(None, [day.estimate_note, note]))
                          or None)
        days.append(day)
    return replace(draft, days=tuple(days))


def _id_taken(folder: Path, pid: str, target: Path) -> None:
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.toml")):
        if path.resolve() == target.resolve():
            continue
        try:
            other = tomllib.loads(path.read_text(encoding="utf-8")).get("id")
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        if other == pid:
            raise UserError(f"the programme id {pid!r} is already used by {path}; nothing was "
                            "written", [Problem("error", "duplicate-id", "ids are unique "
                                                "across programmes", path,
                                                hint="choose another with --id")])


def _must_pass_check(text: str, target: Path, registry: Any) -> None:
    """The draft is checked as `g40cal check` would, before anything is written."""
    _programme, problems = parse_programme(text.encode("utf-8"), target, registry)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise UserError(f"the draft for {target} does not pass g40cal check; nothing was "
                        "written (please report this as a bug in the importer)", errors)

"""Readable text for people: problem lists, change lists, the sync log."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from g40cal.errors import Problem
from g40cal.publishing.diff import EventChange, FieldChange, field_name, only_the_room_moved
from g40cal.publishing.sync import SyncPlan

_CHANGE_WORDS = {
    "added": "added",
    "changed": "changed",
    "updated": "updated (no re-announcement)",
    "cancelled": "cancelled",
    "restored": "restored",
    "dropped": "dropped (cancellation expired)",
}
_ORDER = ("added", "changed", "updated", "cancelled", "restored", "dropped")


def problems_text(problems: Iterable[Problem]) -> str:
    return "\n".join(p.format() for p in problems)


EXAMPLE_LENGTH = 110  # keeps a summary line readable in a terminal


def problems_summary(problems: Iterable[Problem]) -> tuple[str, bool]:
    """Errors one by one; warnings per file, one line per kind with a count and an example.

    Returns the text and whether it left warnings out (then ``--verbose`` shows them all).
    The shipped programmes alone hold dozens of estimates: listed one by one, the one error
    that matters drowns in them.
    """
    problems = list(problems)
    lines = [p.format() for p in problems if p.severity == "error"]
    by_file: dict[str, dict[str, list[Problem]]] = {}
    for problem in problems:
        if problem.severity != "error":
            where = str(problem.file) if problem.file else "<input>"
            by_file.setdefault(where, {}).setdefault(problem.code, []).append(problem)
    shortened = False
    for where, kinds in by_file.items():
        count = sum(len(members) for members in kinds.values())
        lines.append(f"{where}: {count} warning(s)")
        width = len(str(max(len(members) for members in kinds.values())))
        for code, members in kinds.items():
            alone = len(members) == 1  # shown whole, with what to do about it
            example, text = _example(members[0], shorten=not alone)
            shortened = shortened or not alone
            lead = "" if alone else "e.g. "
            hint = f" ({members[0].hint})" if alone and members[0].hint else ""
            lines.append(f"  {len(members):>{width}} × {code}: {lead}{example}{text}{hint}")
    return "\n".join(lines), shortened


def _example(problem: Problem, *, shorten: bool) -> tuple[str, str]:
    """Where (line, item, field) and the message of one warning, the message shortened."""
    where = [f"line {problem.line}"] if problem.line else []
    if problem.item:
        where.append(f"item '{problem.item}'")
    if problem.field:
        where.append(f"field '{problem.field}'")
    text = problem.message
    if shorten and len(text) > EXAMPLE_LENGTH:
        text = text[:EXAMPLE_LENGTH].rstrip() + "…"
    return (", ".join(where) + ": " if where else ""), text


def _shown_fields(fields: tuple[FieldChange, ...]) -> list[FieldChange]:
    """The changed fields worth a line: a location that changed only because its room did
    says nothing the room line does not (--json keeps both)."""
    room = next((f for f in fields if f.field == "zaal"), None)
    return [f for f in fields if not (
        room is not None and f.field == "locatie"
        and only_the_room_moved((f.old, f.new), (room.old, room.new)))]


def change_line(change: EventChange) -> str:
    text = f"  {_CHANGE_WORDS[change.change]:<10} {change.item}: {change.title}"
    if change.feed:
        text += f"  [only in {change.feed}]"
    if change.fields and change.change != "added":
        text += "\n" + "\n".join(f"      {f.format()}" for f in _shown_fields(change.fields))
    if change.significant and change.change not in ("added", "dropped"):
        text += f"\n      SEQUENCE → {change.sequence}"
    return text


def plan_text(plan: SyncPlan, *, show_private: bool = False) -> str:
    if not plan.has_changes and not plan.writes and not plan.removals:
        return "No changes."
    lines: list[str] = []
    grouped = plan.changes.by_programme()
    for programme in sorted(grouped):
        changes = [c for c in grouped[programme] if show_private or not _is_private(c)]
        if not changes:
            continue
        lines.append(f"{programme}:")
        changes.sort(key=lambda c: (c.feed or "", _ORDER.index(c.change), c.item))
        lines.extend(change_line(c) for c in changes)
    personal = [c for c in plan.changes.changes if _is_private(c)]
    if personal and not show_private:
        lines.append(f"personal feeds: {len(personal)} change(s) "
                     f"in {len({c.feed for c in personal})} feed(s)")
    for hint in plan.changes.renames:
        lines.append(
            f"warning: '{hint.new_key}' looks like a rename of '{hint.old_key}' "
            f"({hint.old_title!r} → {hint.new_title!r}); subscribers will see a cancellation "
            f"and a new event. To keep it one event, set the item's id back to "
            f"\"{hint.old_key.split('/', 1)[1]}\".")
    changed = plan.changed_feeds
    public = [f.spec.path for f in changed if not f.spec.private]
    if public:
        lines.append(f"feeds to publish ({len(public)}): " + ", ".join(sorted(public)))
    private = [f for f in changed if f.spec.private]
    if private:
        lines.append(f"personal feeds to publish: {len(private)}")
    if plan.repairs:
        lines.append(f"files to repair (did not match the state): {len(plan.repairs)}")
    if plan.orphans:
        lines.append(f"personal feed files to remove (no participant owns them): "
                     f"{len(plan.orphans)}")
    return "\n".join(lines) if lines else "No changes."


def _is_private(change: EventChange) -> bool:
    return bool(change.feed and change.feed.startswith("personal:"))


def plan_json(plan: SyncPlan) -> dict[str, Any]:
    return {
        "changes": [c.to_json() for c in plan.changes.changes if not _is_private(c)],
        "personal_changes": sum(1 for c in plan.changes.changes if _is_private(c)),
        "renames": [{"old": r.old_key, "new": r.new_key, "old_title": r.old_title,
                     "new_title": r.new_title} for r in plan.changes.renames],
        "feeds": sorted(f.spec.path for f in plan.changed_feeds if not f.spec.private),
        "personal_feeds": sum(1 for f in plan.changed_feeds if f.spec.private),
        "files": len(plan.writes),
        "repairs": len(plan.repairs),
        "orphans_removed": len(plan.orphans),
        "has_changes": plan.has_changes,
    }


# What plan_json says of a sync that found nothing to do (same keys, for scripts).
NO_CHANGES_JSON: dict[str, Any] = {
    "changes": [], "personal_changes": 0, "renames": [], "feeds": [], "personal_feeds": 0,
    "files": 0, "repairs": 0, "orphans_removed": 0, "has_changes": False,
}


def _count_label(name: str) -> str:
    """A sync log's counter as words: "feeds_changed" → "feeds changed", "feed-cancelled"
    (an item left one feed, e.g. a participant's dropped choice) → "cancelled in one feed"."""
    if name.startswith("feed-"):
        return f"{name.removeprefix('feed-')} in one feed"
    return name.replace("_", " ")


def log_text(runs: list[dict[str, Any]]) -> str:
    if not runs:
        return "No syncs recorded yet."
    lines = []
    for run in runs:
        summary = ", ".join(f"{v} {_count_label(k)}" for k, v in sorted(run["summary"].items())
                            if v)
        lines.append(f"#{run['run']}  {run['at']}  {summary or 'no changes'}")
        for change in run["changes"]:
            if change["feed"] and change["feed"].startswith("personal:"):
                continue
            where = f" [{change['feed']}]" if change["feed"] else ""
            lines.append(f"    {change['change']:<9} {change['programme']}/{change['item']}"
                         f"{where}")
            for name, old, new in change["detail"].get("fields", []):
                if name != "beschrijving":
                    lines.append(f"        {field_name(name)}: {old or '—'} → {new or '—'}")
        if run["feeds"]:
            lines.append("    feeds: " + ", ".join(run["feeds"]))
    return "\n".join(lines)

"""What the importer recognised, and every line of the document it did not use."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from g40cal.importer.draft import Draft, DraftItem
from g40cal.importer.merge import Merged


def summary(draft: Draft, items: list[DraftItem], target: Path | None,
            merged: Merged | None = None, written: bool = False) -> dict[str, Any]:
    kinds = Counter(i.kind for i in items)
    rounds: dict[str, int] = {}
    for item in items:
        if item.round:
            rounds[item.round] = rounds.get(item.round, 0) + 1
    groups = Counter(g for i in items for g in i.groups)
    estimates = []
    for item in items:
        fields = list(item.estimated) + (["start"] if item.start is None else [])
        if fields:
            estimates.append({"item": item.id, "fields": fields,
                              "note": item.estimate_note or ""})
    for number, day in enumerate(draft.days, start=1):
        fields = list(day.estimated) + ([] if day.venue else ["venue"])
        if fields:
            estimates.append({"day": number, "fields": fields, "note": day.estimate_note or ""})
    result: dict[str, Any] = {
        "document": draft.source_name,
        "file": str(target) if target else None,
        "written": written,
        "days": [{"date": d.date.isoformat() if d.date else None, "venue": d.venue,
                  "address": d.address, "estimated": list(d.estimated)} for d in draft.days],
        "items": len(items),
        "kinds": dict(sorted(kinds.items())),
        "rounds": rounds,
        "groups": dict(sorted(groups.items())),
        "estimates": estimates,
        "notices": list(draft.notices),
        "unused": [{"where": u.source.describe(), "text": u.text, "reason": u.reason}
                   for u in draft.unused],
    }
    if merged is not None:
        result["changes"] = {
            "new": [i.id for i in items if i.id not in {c.id for c in merged.changes}
                    and i.id not in {g.id for g in merged.gone}],
            "changed": [{"id": c.id, "fields": list(c.fields), "details": list(c.details)}
                        for c in merged.changes if c.action == "changed"],
            "unchanged": [c.id for c in merged.changes if c.action == "kept"],
            "gone": [g.id for g in merged.gone],
            "gone_kept": merged.gone_kept and bool(merged.gone),
        }
    return result


def text(report: dict[str, Any]) -> str:
    lines = []
    days = ", ".join(f"{d['date']}{' (estimated)' if 'date' in d['estimated'] else ''}"
                     f"{' at ' + d['venue'] if d['venue'] else ''}" for d in report["days"])
    lines.append(f"Recognised from {report['document']}: {len(report['days'])} day(s): {days}")
    kinds = ", ".join(f"{n} {k}" for k, n in report["kinds"].items())
    lines.append(f"  {report['items']} item(s): {kinds}")
    for name, count in report["rounds"].items():
        lines.append(f"  round {name!r}: {count} item(s)")
    if report["groups"]:
        lines.append("  organisers: " + ", ".join(f"{g} ({n})" for g, n in
                                                  report["groups"].items()))
    if report["estimates"]:
        lines.append(f"  {len(report['estimates'])} estimate(s) to confirm "
                     "(g40cal check lists them):")
        for entry in report["estimates"]:
            who = entry.get("item") or f"day {entry.get('day')}"
            lines.append(f"    {who}: {', '.join(entry['fields'])}")
    for notice in report["notices"]:
        lines.append(f"  note: {notice}")
    changes = report.get("changes")
    if changes:
        lines.append("Changes to the existing definition:")
        for item_id in changes["new"]:
            lines.append(f"  + {item_id} (new)")
        for change in changes["changed"]:
            lines.append(f"  ~ {change['id']}: {', '.join(change['fields'])}")
            lines.extend(f"      {detail}" for detail in change["details"])
        for item_id in changes["gone"]:
            suffix = " (kept: pass --yes to remove)" if changes["gone_kept"] else " (removed)"
            lines.append(f"  - {item_id} not in the document any more{suffix}")
        if not (changes["new"] or changes["changed"] or changes["gone"]):
            lines.append("  none")
    unused = report["unused"]
    if unused:
        lines.append(f"Not used from the document ({len(unused)} line(s)); check that nothing "
                     "is missing:")
        for entry in unused:
            shown = entry["text"] if len(entry["text"]) <= 100 else entry["text"][:97] + "…"
            lines.append(f"  {entry['where']}: {shown}")
    else:
        lines.append("Every line of the document was used.")
    return "\n".join(lines)

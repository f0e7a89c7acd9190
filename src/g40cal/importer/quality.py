"""How close an imported draft comes to a hand-made definition of the same document.

Used by ``bench/import_quality.py`` (a table for people) and by the tests (a floor per
programme). Items are paired with the same matcher ``--update`` uses; a hand-made item
without a partner counts as found = no and every one of its fields as unequal.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from g40cal.definitions.groups import GroupRegistry
from g40cal.definitions.loader import load_programme
from g40cal.definitions.model import Programme
from g40cal.importer.draft import Draft
from g40cal.importer.merge import Existing, match
from g40cal.importer.phrases import fold
from g40cal.importer.reading import read_document
from g40cal.importer.recognise import NoDateError, Options, recognise

FIELDS = ("title", "date", "start", "end", "room", "round", "organisers")
SOURCES = {  # the bureau's text → the hand-made definition made from it
    "almelo-ambtelijke-netwerkdag.md": "almelo-ambtelijk-2024.toml",
    "dordrecht-ambtelijke-netwerkdag.txt": "dordrecht-ambtelijk.toml",
    "oss-ambtelijke-netwerkdag.md": "oss-ambtelijk.toml",
    "tilburg-bestuurlijke-netwerkdagen-2025-09.txt": "tilburg-bestuurlijk-2025.toml",
    "zaandam-bestuurlijke-netwerkdag.txt": "zaandam-bestuurlijk.toml",
}


@dataclass(frozen=True)
class Score:
    name: str
    expected: int                 # items in the hand-made definition
    found: int                    # of them paired with a drafted item
    drafted: int                  # items in the draft
    equal: dict[str, int]         # field → hand-made items whose field the draft equals
    invented_times: tuple[str, ...]   # drafted times stated as fact but not in the text
    unused_lines: int
    organisers_missing: tuple[str, ...]
    date_given: bool              # the document has no date: --date from the definition
    differences: tuple[str, ...] = ()

    @property
    def field_share(self) -> float:
        total = self.expected * len(FIELDS)
        return sum(self.equal.values()) / total if total else 1.0


def _fold_or_none(value: object) -> str | None:
    return fold(str(value)) if value not in (None, "") else None


def score(source: Path, definition: Path, registry: GroupRegistry) -> tuple[Score, Draft]:
    programme, problems = load_programme(definition, registry)
    if programme is None:
        raise ValueError(f"{definition}: {[p.format() for p in problems]}")
    document = read_document(source)
    date_given = False
    try:
        draft = recognise(document, registry)
    except NoDateError:             # no date in the text: as the bureau would, with --date
        draft = recognise(document, registry, Options(date=programme.days[0].date))
        date_given = True
    return _compare(source.name, programme, draft, registry, source, date_given), draft


def _compare(name: str, programme: Programme, draft: Draft, registry: GroupRegistry,
             source: Path, date_given: bool) -> Score:
    existing = [Existing(i.id, {"title": i.title, "day": i.day, "start": f"{i.start:%H:%M}",
                                "round": i.round, "room": i.room}) for i in programme.items]
    drafted = list(draft.items)
    pairs = {old: new for new, old in match(existing, drafted).items()}
    round_map = _round_map(programme, drafted, pairs)
    equal: Counter[str] = Counter()
    missing_groups: list[str] = []
    differences: list[str] = [f"{programme.items[i].id}: not found"
                              for i in range(len(programme.items)) if i not in pairs]
    for index, item in enumerate(programme.items):
        if index not in pairs:
            missing_groups.extend(g.name for g in item.groups)
            continue
        new = drafted[pairs[index]]
        new_date = draft.days[new.day - 1].date if new.day <= len(draft.days) else None
        checks = {
            "title": fold(item.title) == fold(new.title),
            "date": programme.day(item.day).date == new_date,
            "start": item.start == new.start,
            "end": item.end == new.end,
            "room": _fold_or_none(item.room) == _fold_or_none(new.room),
            "round": (item.round is None and new.round is None)
            or (new.round is not None and round_map.get(new.round) == item.round),
            "organisers": {g.id for g in item.groups} == {
                g.id for g in (registry.resolve(n) for n in new.groups) if g},
        }
        equal.update(k for k, ok in checks.items() if ok)
        differences.extend(f"{item.id}: {k} {_shown(item, k, programme)!r} ≠ "
                           f"{_shown(new, k, None)!r}" for k, ok in checks.items() if not ok)
        found_ids = {g.id for g in (registry.resolve(n) for n in new.groups) if g}
        missing_groups.extend(g.name for g in item.groups if g.id not in found_ids)
    text = source.read_text(encoding="utf-8", errors="replace")
    stated = {f"{int(h)}.{m}" for h, m in re.findall(r"\b(\d{1,2})[.:](\d{2})\b", text)}
    invented = []
    for new in drafted:
        for field in ("start", "end"):
            value = getattr(new, field)
            if value is None or field in new.estimated:
                continue
            if f"{value.hour}.{value:%M}" not in stated:
                invented.append(f"{new.title}: {field} {value:%H:%M}")
    return Score(name, len(programme.items), len(pairs), len(drafted),
                 {f: equal.get(f, 0) for f in FIELDS}, tuple(invented), len(draft.unused),
                 tuple(missing_groups), date_given, tuple(differences))


def _shown(item: object, field: str, programme: Programme | None) -> object:
    if field == "date":
        return programme.day(item.day).date if programme else item.day  # type: ignore[attr-defined]
    if field == "organisers":
        return [getattr(g, "name", g) for g in item.groups]  # type: ignore[attr-defined]
    return getattr(item, field)


def _round_map(programme: Programme, drafted: list, pairs: dict[int, int]) -> dict[str, str]:
    """Each drafted round name → the hand-made round most of its items belong to."""
    votes: dict[str, Counter[str]] = {}
    for old, new in pairs.items():
        drafted_round = drafted[new].round
        if drafted_round and programme.items[old].round:
            votes.setdefault(drafted_round, Counter())[programme.items[old].round] += 1
    return {name: counter.most_common(1)[0][0] for name, counter in votes.items()}


def sources_folder(explicit: Path | None, root: Path) -> Path:
    """DIR if given, else the project's own copy: programmes/sources, which the definitions'
    ``source`` fields name."""
    folder = explicit if explicit is not None else root / "programmes" / "sources"
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no folder with the programme sources; "
                                "pass --sources DIR")
    return folder


def table(scores: list[Score]) -> str:
    head = ["programme", "found", "drafted", *FIELDS, "fields", "invented", "unused", "no org"]
    rows = [head]
    for s in scores:
        rows.append([
            s.name.split("-")[0] + (" (--date)" if s.date_given else ""),
            f"{s.found}/{s.expected}", str(s.drafted),
            *(f"{s.equal[f]}/{s.expected}" for f in FIELDS),
            f"{s.field_share:.1%}", str(len(s.invented_times)), str(s.unused_lines),
            str(len(s.organisers_missing)),
        ])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "-|-".join("-" * w for w in widths))
    return "\n".join(lines)

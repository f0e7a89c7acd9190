"""Importing again: match the new draft to the existing definition and keep what must stay.

An item keeps its id (so every subscriber keeps the same calendar event) when it is the same
session: same day and time and round and room with a similar title, or a near-identical
title. A changed title alone never makes a new item. Fields the bureau edited by hand in the
definition that the document does not carry (a room, a capacity, notes, links …) are kept.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, replace
from datetime import time
from pathlib import Path
from typing import Any

from g40cal.definitions.groups import GroupRegistry
from g40cal.errors import UserError
from g40cal.importer.draft import DraftItem
from g40cal.importer.phrases import fold

# Fields a document states; everything else in a definition is the bureau's own work.
DOCUMENT_FIELDS = ("title", "kind", "day", "start", "end", "round", "room", "groups",
                   "description", "speakers", "capacity", "transport", "provisional")
# Fields of a draft item the bureau may also have edited by hand: the hand's value wins.
HAND_FIELDS = ("notes", "time_note", "optional")


@dataclass(frozen=True)
class Existing:
    """One [[items]] table of the current definition, as written (raw TOML values)."""

    id: str
    data: dict[str, Any]

    @property
    def title(self) -> str:
        return str(self.data.get("title", ""))

    @property
    def day(self) -> int:
        return int(self.data.get("day", 1))

    @property
    def start(self) -> time | None:
        return _clock(self.data.get("start"))

    @property
    def round(self) -> str | None:
        return self.data.get("round")

    @property
    def room(self) -> str | None:
        return self.data.get("room")


def _clock(value: object) -> time | None:
    if not isinstance(value, str):
        return None
    try:
        hours, minutes = value.replace(".", ":").split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        return None


def title_similarity(a: str, b: str) -> float:
    a, b = fold(a), fold(b)
    if not a or not b:
        return 0.0
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    if min(len(a), len(b)) >= 6 and (a in b or b in a):
        ratio = max(ratio, 0.8)
    return ratio


def _same(a: object, b: object) -> bool:
    return a is not None and b is not None and fold(str(a)) == fold(str(b))


def pair_score(old_title: str, old_day: int, old_start: time | None, old_round: str | None,
               old_room: str | None, new: DraftItem) -> float | None:
    """How surely two items are the same session; None when they are not."""
    similar = title_similarity(old_title, new.title)
    same_slot = old_day == new.day and old_start is not None and old_start == new.start
    same_round = _same(old_round, new.round) or (old_round is None and new.round is None)
    same_room = _same(old_room, new.room) or (not old_room and not new.room)
    # The same slot and room outweigh any title: a renamed session stays itself even when its
    # new title resembles another session's (a room hosts one session at a time).
    score = similar + (0.6 if same_slot else 0) + (0.3 if same_round else 0) \
        + (0.6 if same_slot and same_room else 0)
    if similar >= 0.6:
        return score
    if same_slot and (similar >= 0.35 or (same_round and same_room)):
        return score
    return None


def match(existing: list[Existing], drafted: list[DraftItem]) -> dict[int, int]:
    """{index in drafted: index in existing}, one to one, surest pairs first."""
    candidates = []
    for i, old in enumerate(existing):
        for j, new in enumerate(drafted):
            score = pair_score(old.title, old.day, old.start, old.round, old.room, new)
            if score is not None:
                candidates.append((-score, i, j))
    candidates.sort()
    used_old: set[int] = set()
    pairs: dict[int, int] = {}
    for _score, i, j in candidates:
        if i in used_old or j in pairs:
            continue
        used_old.add(i)
        pairs[j] = i
    return pairs


def read_existing(path: Path) -> tuple[dict[str, Any], list[Existing]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: no such definition to update") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"{path}: cannot read the definition to update: {exc}") from None
    items = data.get("items")
    if not isinstance(items, list):
        raise UserError(f"{path}: the definition has no [[items]] to update")
    return data, [Existing(str(entry.get("id", "")), entry) for entry in items
                  if isinstance(entry, dict)]


@dataclass(frozen=True)
class Change:
    action: str            # "new" | "changed" | "gone" | "kept"
    id: str
    title: str
    fields: tuple[str, ...] = ()
    details: tuple[str, ...] = ()      # "title: 'Oud' → 'Nieuw'", for the report


@dataclass(frozen=True)
class Merged:
    items: tuple[DraftItem, ...]
    kept_fields: dict[str, dict[str, Any]]     # id → hand-edited fields to write back
    changes: tuple[Change, ...]
    gone: tuple[Existing, ...]
    gone_kept: bool                            # gone items stay (no --yes)


def merge(existing: list[Existing], drafted: list[DraftItem], *, remove_gone: bool,
          registry: GroupRegistry | None = None) -> Merged:
    pairs = match(existing, drafted)
    items: list[DraftItem] = []
    kept_fields: dict[str, dict[str, Any]] = {}
    changes: list[Change] = []
    matched_old = set(pairs.values())
    for j, new in enumerate(drafted):
        if j not in pairs:
            items.append(new)
            continue
        old = existing[pairs[j]]
        merged = _keep_hand_edits(old, replace(new, id=old.id))
        items.append(merged)
        kept_fields[old.id] = {k: v for k, v in old.data.items()
                               if k not in DOCUMENT_FIELDS and k not in HAND_FIELDS
                               and k != "id"
                               and k not in {"estimated", "estimate_note"}}
        differing = _differences(old.data, merged, registry)
        changes.append(Change("changed" if differing else "kept", old.id, merged.title,
                              differing, tuple(_detail(k, old.data, merged)
                                               for k in differing)))
    items = _keep_round_names(items, {j: existing[i] for j, i in pairs.items()})
    changes = [c if c.action != "changed" or "round" not in c.fields
               or _round_changed(c.id, items, existing) else replace(
                   c, fields=tuple(f for f in c.fields if f != "round"),
                   details=tuple(d for d in c.details if not d.startswith("round:")))
               for c in changes]
    changes = [replace(c, action="kept") if c.action == "changed" and not c.fields else c
               for c in changes]
    gone = tuple(old for i, old in enumerate(existing) if i not in matched_old)
    return Merged(tuple(items), kept_fields, tuple(changes), gone, not remove_gone)


def _keep_round_names(items: list[DraftItem], partners: dict[int, Existing]) -> list[DraftItem]:
    """A round whose items all belonged to one round of the definition keeps that round's
    name: the document's wording of a round is a label, the bureau may have chosen its own."""
    olds: dict[str, set[str]] = {}
    for j, item in enumerate(items):
        if item.round and j in partners:
            olds.setdefault(item.round, set()).add(str(partners[j].round))
    rename = {new: next(iter(old)) for new, old in olds.items()
              if len(old) == 1 and next(iter(old)) not in ("None", "")}
    return [replace(item, round=rename.get(item.round, item.round)) if item.round else item
            for item in items]


def _round_changed(item_id: str, items: list[DraftItem], existing: list[Existing]) -> bool:
    new = next((i.round for i in items if i.id == item_id), None)
    old = next((e.round for e in existing if e.id == item_id), None)
    return (new or None) != (old or None)


def _keep_hand_edits(old: Existing, new: DraftItem) -> DraftItem:
    """Document fields the draft lacks but the definition has (added by hand) stay, and so
    does their mark as an estimate: a kept estimate never turns into a fact."""
    update: dict[str, Any] = {}
    data = old.data
    for key in ("room", "capacity", "transport", "provisional", "description", "round"):
        if getattr(new, key) in (None, "") and data.get(key) not in (None, ""):
            update[key] = data[key]
    for key in HAND_FIELDS:
        if data.get(key) is not None:
            update[key] = data[key]
    if isinstance(data.get("kind"), str):
        update["kind"] = data["kind"]       # a kind is the importer's reading, the hand's wins
    if not new.speakers and data.get("speakers"):
        update["speakers"] = tuple(data["speakers"])
    if not new.groups and data.get("groups"):
        update["groups"] = tuple(data["groups"])
    if new.start is None and data.get("start"):
        update["start"] = _clock(data["start"])
    if new.end is None and data.get("end"):
        update["end"] = _clock(data["end"])
    old_estimated = [f for f in (data.get("estimated") or []) if isinstance(f, str)]
    carried = [f for f in old_estimated if f in update and f not in new.estimated]
    if carried:
        update["estimated"] = (*new.estimated, *carried)
        update["estimate_notes"] = (*new.estimate_notes, str(data.get("estimate_note", "")))
    return replace(new, **update)


def _differences(old: dict[str, Any], new: DraftItem,
                 registry: GroupRegistry | None) -> tuple[str, ...]:
    changed = []
    for key in ("title", "start", "end", "round", "room", "groups", "kind"):
        before = old.get(key)
        after = getattr(new, key)
        if isinstance(after, time):
            after = f"{after:%H:%M}"
        if key == "groups":
            before, after = _group_keys(before or (), registry), _group_keys(after, registry)
        if isinstance(before, str) and key in ("start", "end"):
            before = before.replace(".", ":").zfill(5)
        if (before or None) != (after or None):
            changed.append(key)
    return tuple(changed)


def _detail(key: str, old: dict[str, Any], new: DraftItem) -> str:
    after = getattr(new, key)
    shown = f"{after:%H:%M}" if isinstance(after, time) else \
        ", ".join(after) if isinstance(after, tuple) else after
    before = old.get(key)
    before = ", ".join(before) if isinstance(before, list) else before
    return f"{key}: {before if before is not None else '-'} → {shown if shown else '-'}"


def _group_keys(names: Any, registry: GroupRegistry | None) -> frozenset[str]:
    """Group names as the registry's ids: "ZJO" and "Themagroep Zorg, Jeugd en Onderwijs"
    are one group."""
    keys = set()
    for name in names:
        group = registry.resolve(str(name)) if registry else None
        keys.add(group.id if group else fold(str(name)))
    return frozenset(keys)

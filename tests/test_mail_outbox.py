"""The outbox's folding of the sync log into one notice per participant: property tests
(hypothesis) over random histories of one item in one participant's feed."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from g40cal.mail.outbox import MAIL_FIELDS, _dump, fold, net_items

FIELDS = (*MAIL_FIELDS, "beschrijving", "groepen")  # the last two never reach a notice
VALUES = st.sampled_from(("a", "b", "c"))


@st.composite
def histories(draw: st.DrawFn) -> tuple[bool, list[tuple[str, str, list[list[str]]]]]:
    """(present at the start, records as the sync log holds them) for one item."""
    present = start = draw(st.booleans())
    values = dict.fromkeys(FIELDS, "a")
    records = []
    for _ in range(draw(st.integers(1, 8))):
        scope = draw(st.sampled_from(("event", "feed")))
        if present and draw(st.booleans()):
            name = draw(st.sampled_from(FIELDS))
            new = draw(VALUES.filter(lambda v, name=name: v != values[name]))
            records.append(("changed", "event", [[name, values[name], new]]))
            values[name] = new
        elif present:
            records.append(("cancelled", scope, []))
            present = False
        else:
            records.append((draw(st.sampled_from(("added", "restored"))), scope, []))
            present = True
    return start, records


def replay(records: list[tuple[str, str, list[list[str]]]]) -> dict[str, Any]:
    entry = None
    for change, scope, fields in records:
        entry = fold(entry, change, scope, fields)
    assert entry is not None
    return entry


@given(histories())
def test_a_notice_tells_the_net_change_of_an_item_from_first_to_last_record(
        history: tuple[bool, list[tuple[str, str, list[list[str]]]]]) -> None:
    start, records = history
    entry = replay(records)
    end = records[-1][0] != "cancelled"
    assert (entry["start"], entry["end"]) == (start, end)
    first: dict[str, str] = {}
    last: dict[str, str] = {}
    for _, _, fields in records:
        for name, old, new in fields:
            first.setdefault(name, old)
            last[name] = new
    moved = {n: [first[n], last[n]] for n in first
             if n in MAIL_FIELDS and first[n] != last[n]}
    told = net_items({"items": {"k": entry}})
    assert ("k" in told) == (start != end or (end and bool(moved)))
    if "k" in told:
        assert told["k"]["fields"] == moved


@given(histories(), st.integers(0, 8))
def test_a_stored_notice_folds_on_as_if_planned_at_once(
        history: tuple[bool, list[tuple[str, str, list[list[str]]]]], cut: int) -> None:
    """A notice still due (stored as JSON in the outbox) takes in later records: the same
    as one planning of them all."""
    _, records = history
    cut = min(cut, len(records))
    entry = None
    for change, scope, fields in records[:cut]:
        entry = fold(entry, change, scope, fields)
    if entry is not None:  # stored, and read back at the next planning
        entry = json.loads(_dump({"items": {"k": entry}}))["items"]["k"]
    for change, scope, fields in records[cut:]:
        entry = fold(entry, change, scope, fields)
    assert entry == replay(records)

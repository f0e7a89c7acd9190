"""Importing again: items are matched to the existing definition, so ids (UIDs) stay."""

from __future__ import annotations

from datetime import time

from hypothesis import given, settings
from hypothesis import strategies as st

from g40cal.importer.draft import DraftItem
from g40cal.importer.merge import Existing, match, merge

WORDS = ["Wonen", "Europa", "Arbeidsmarkt", "Energie", "Jeugd", "Zorg", "Mobiliteit", "Stad",
         "Regio", "Kansen", "Data", "Cultuur", "Veiligheid", "Armoede", "Onderwijs", "Sport"]
ROOMS = ["Raadzaal", "Studio 1", "Studio 2", "zaal IJssel", "zaal Maas", "Foyer", None]


@st.composite
def sessions(draw: st.DrawFn) -> list[DraftItem]:
    """Distinct sessions: no two share day, start, round and room (rooms are booked once)."""
    count = draw(st.integers(1, 12))
    items: list[DraftItem] = []
    slots: set[tuple[int, int, str | None]] = set()
    for _ in range(count):
        hour = draw(st.integers(9, 17))
        room = draw(st.sampled_from(ROOMS))
        if (1, hour, room) in slots:
            continue
        slots.add((1, hour, room))
        words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4, unique=True))
        items.append(DraftItem(title=" ".join(words), kind="keuzesessie", day=1,
                               start=time(hour), end=time(hour, 45),
                               round=f"Ronde {hour}", room=room,
                               id=f"item-{len(items)}"))
    return items


def existing_of(items: list[DraftItem]) -> list[Existing]:
    return [Existing(i.id or "", {"title": i.title, "day": i.day, "start": f"{i.start:%H:%M}",
                                  "round": i.round, "room": i.room}) for i in items]


def renamed(item: DraftItem, title: str) -> DraftItem:
    return DraftItem(title=title, kind=item.kind, day=item.day, start=item.start, end=item.end,
                     round=item.round, room=item.room)


@settings(max_examples=150, deadline=None)
@given(sessions())
def test_every_item_matches_itself(items: list[DraftItem]) -> None:
    pairs = match(existing_of(items), [renamed(i, i.title) for i in items])
    assert pairs == {n: n for n in range(len(items))}


@settings(max_examples=150, deadline=None)
@given(sessions(), st.data())
def test_a_changed_title_alone_never_makes_a_new_item(items: list[DraftItem],
                                                      data: st.DataObject) -> None:
    """Same day, time, round and a room: the session is the same whatever its new title."""
    with_rooms = [i for i in items if i.room is not None]
    new_titles = [data.draw(st.text("abcdefghij ", min_size=3, max_size=30)) for _ in with_rooms]
    drafted = [renamed(i, t) for i, t in zip(with_rooms, new_titles, strict=True)]
    merged = merge(existing_of(with_rooms), drafted, remove_gone=False)
    assert [i.id for i in merged.items] == [i.id for i in with_rooms]
    assert merged.gone == ()


@settings(max_examples=150, deadline=None)
@given(sessions(), st.data())
def test_new_items_get_no_old_id_and_gone_items_are_listed(items: list[DraftItem],
                                                           data: st.DataObject) -> None:
    keep = data.draw(st.lists(st.booleans(), min_size=len(items), max_size=len(items)))
    kept = [i for i, k in zip(items, keep, strict=True) if k]
    extra = DraftItem(title="Geheel nieuw onderdeel over lichtkunst", kind="plenair", day=2,
                      start=time(8), end=time(8, 30))
    drafted = [renamed(i, i.title) for i in kept] + [extra]
    merged = merge(existing_of(items), drafted, remove_gone=True)
    assert [i.id for i in merged.items[:-1]] == [i.id for i in kept]
    assert merged.items[-1].id is None                     # gets a new id from the writer
    assert {g.id for g in merged.gone} == {i.id for i in items} - {i.id for i in kept}


def test_a_hand_made_estimate_that_is_kept_stays_an_estimate() -> None:
    old = Existing("r1-europa", {"title": "Europa", "day": 1, "start": "11:00", "round": "R1",
                                 "room": "Studio 1", "estimated": ["room"],
                                 "estimate_note": "Zaal geschat.", "links": ["https://x.nl"]})
    new = DraftItem(title="Europa", kind="keuzesessie", day=1, start=time(11), round="R1")
    merged = merge([old], [new], remove_gone=False)
    item = merged.items[0]
    assert (item.id, item.room, item.estimated) == ("r1-europa", "Studio 1", ("room",))
    assert merged.kept_fields["r1-europa"] == {"links": ["https://x.nl"]}

"""Content-line folding and text escaping (RFC 5545 §3.1, §3.3.11); splicing feeds."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from g40cal.publishing.events import Event
from g40cal.publishing.ical import (
    CRLF,
    assemble_calendar,
    escape_text,
    fold,
    previous_vevents,
    render_calendar,
    render_event,
)
from tests.feedparse import parse_feed


def unfold(text: str) -> str:
    return text.replace(CRLF + " ", "").removesuffix(CRLF)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400),
       st.sampled_from(["DESCRIPTION:", "SUMMARY:", "X:"]))
def test_folding_keeps_every_line_within_75_octets_and_unfolds_to_the_original(
        text: str, name: str) -> None:
    line = name + escape_text(text)
    folded = fold(line)
    assert folded.endswith(CRLF)
    physical = folded.removesuffix(CRLF).split(CRLF)
    assert all(len(p.encode()) <= 75 for p in physical)
    assert all(p.startswith(" ") for p in physical[1:])
    assert unfold(folded) == line  # also proves no character was split: decode succeeded


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "é", "\\n", "\\\\", "\\,", "€", "😀", ";"]),
                max_size=200))
def test_folding_never_splits_an_escape_sequence(pieces: list[str]) -> None:
    line = "DESCRIPTION:" + "".join(pieces)
    for physical in fold(line).removesuffix(CRLF).split(CRLF):
        body = physical[1:] if physical.startswith(" ") else physical
        backslashes = len(body) - len(body.rstrip("\\"))
        assert backslashes % 2 == 0, physical  # no line ends inside an escape


def test_escaping_follows_rfc_5545_and_drops_control_characters() -> None:
    assert escape_text("a,b;c\\d\ne\r\nf\x07g:h") == "a\\,b\\;c\\\\d\\ne\\nfg:h"


# -- splicing a feed from its previous file ------------------------------------------------

_keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=60)


def _event(key: str, title: str) -> Event:
    start = datetime(2026, 3, 12, 9, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
    return Event(key=f"p/{key}", programme_id="p", item_id=key, title=title, summary=title,
                 start=start, end=start + timedelta(hours=1), location="Zaal 1",
                 description=title * 3, categories=("Plenair",), url="https://x.example/p",
                 tentative=False, cancelled=False, optional=False, kind="plenair",
                 group_ids=(), round=None, room="Zaal 1", venue="Stadhuis")


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(_keys, st.text(alphabet=st.characters(blacklist_categories=("Cs",)),
                                      max_size=120), max_size=12))
@example(titles={"0": "END:VEVENT"})  # a title that reads like the end of the block
@example(titles={"a": "x", "b": "BEGIN:VEVENT"})
def test_a_feed_assembled_from_its_previous_vevents_is_byte_identical(
        tmp_path_factory: pytest.TempPathFactory, titles: dict[str, str]) -> None:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    # Long keys give UID lines folded over several physical lines.
    vevents = [render_event(_event(k, t)).vevent(f"p.{k}.net@uid.example", 2, moment,
                                                  cancelled=False)
               for k, t in sorted(titles.items())]
    data = render_calendar("Naam", "Beschrijving", vevents, 60)
    path = tmp_path_factory.mktemp("feed") / "all.ics"
    path.write_bytes(data)
    blocks = previous_vevents(path, hashlib.sha256(data).hexdigest())
    assert blocks is not None and len(blocks) == len(vevents)
    spliced = [blocks[fold(f"UID:p.{k}.net@uid.example").encode()] for k in sorted(titles)]
    assert assemble_calendar("Naam", "Beschrijving", spliced, 60) == data


def test_a_feed_file_that_is_not_what_was_published_is_never_spliced(tmp_path: Path) -> None:
    vevent = render_event(_event("a", "Opening")).vevent(
        "p.a.net@uid.example", 0, datetime(2026, 1, 1, tzinfo=UTC), cancelled=False)
    data = render_calendar("Naam", "Beschrijving", [vevent], 60)
    path = tmp_path / "all.ics"
    path.write_bytes(data.replace(b"Zaal 1", b"Zaal 2"))  # edited by hand
    assert previous_vevents(path, hashlib.sha256(data).hexdigest()) is None
    assert previous_vevents(tmp_path / "missing.ics", hashlib.sha256(data).hexdigest()) is None
    path.write_bytes(data)
    assert previous_vevents(path, hashlib.sha256(data).hexdigest()) == {
        fold("UID:p.a.net@uid.example").encode(): vevent.encode()}


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\x1c", "\x1e", "\x0b"])
def test_unicode_line_separators_never_reach_a_feed_raw_and_read_back_as_line_breaks(
        tmp_path: Path, separator: str) -> None:
    # Python's str.splitlines() (and parsers built on it) breaks a line at each of these:
    # written raw, "X\u2028END:VEVENT" would end the event early.
    injected = f"Zaal 1{separator}END:VEVENT{separator}BEGIN:VEVENT{separator}UID:evil"
    event = replace(_event("a", f"Opening{separator}Welkom"), location=injected,
                    description=f"Regel een{separator}Regel twee\nRegel drie")
    vevent = render_event(event).vevent("p.a.net@uid.example", 0,
                                        datetime(2026, 1, 1, tzinfo=UTC), cancelled=False)
    data = render_calendar(f"Naam{separator}X", "Beschrijving", [vevent], 60)
    text = data.decode()
    assert separator not in text
    assert len(text.splitlines()) == len(text.split(CRLF)) - 1  # only CRLF ends a line
    path = tmp_path / "all.ics"
    path.write_bytes(data)
    events = parse_feed(path)
    assert list(events) == ["p.a.net@uid.example"]
    parsed = events["p.a.net@uid.example"]
    if separator in "\u2028\u2029\x85":  # a line break: kept as one in the description
        assert parsed.description == "Regel een\nRegel twee\nRegel drie"
    assert "\n" not in parsed.summary and "\n" not in parsed.location

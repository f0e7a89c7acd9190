"""Content-line folding and text escaping (RFC 5545 §3.1, §3.3.11)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from g40cal.ical import CRLF, escape_text, fold


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

"""Where a title ends and its description begins, and what kind of item a title names.

A Word table cell often holds "Title Description…" as one run of text. The title ends where
a known heading of the Toelichting ends, or else where a new sentence visibly starts.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from g40cal.importer.phrases import fold

# Capitalised words that begin a description sentence rather than continue a title.
_SENTENCE_STARTERS = {
    "in", "met", "we", "wij", "wat", "hoe", "een", "de", "het", "op", "voor", "tijdens", "daarna",
    "vervolgens", "na", "bij", "welkom", "onder", "over", "door", "deze", "dit", "kort",
    "inclusief",
    "gezamenlijke", "gezamenlijk", "werkbijeenkomst", "inspiratiesessie", "onderzoek",
    "actualiteit", "update", "verdiepend", "ook", "u", "je", "jullie", "kom", "maak", "graag",
    "zie", "let", "tijd", "waar", "wie", "welke", "waarom", "nieuwe", "aan",
}
_ABBREVIATIONS = {"max.", "min.", "o.a.", "bijv.", "ca.", "incl.", "excl.", "nr.", "prof.",
                  "drs.", "ing.", "jl.", "e.a.", "resp.", "evt.", "zgn.", "m.m.v.", "i.s.m."}
_JOINERS = {"en", "van", "voor", "met", "in", "de", "het", "een", "op", "naar", "bij", "aan",
            "over", "uit", "tot", "door", "of", "&", "+", "-", "–", "—", "der", "den", "te"}


_ARTICLE = re.compile(r"^(?:de|het|een)\s+")
_KIND_WORDS = {"opening", "inloop", "lunch", "pauze", "afsluiting", "plenair", "welkom", "borrel",
               "diner", "ontvangst", "netwerklunch", "koffiepauze"}
_MARKER_WORDS = {"pijler", "themagroep", "themagroepen", "tg"}


def known_title(text: str, headings: Iterable[str]) -> str | None:
    """The start of ``text`` that matches one of the Toelichting's headings (forgiving)."""
    words = text.split()
    best: tuple[float, int] | None = None
    for heading in headings:
        target = _ARTICLE.sub("", fold(heading))
        size = len(target.split())
        if not size:
            continue
        for n in range(max(1, size - 3), min(len(words), size + 3) + 1):
            prefix = _ARTICLE.sub("", fold(" ".join(words[:n])))
            ratio = difflib.SequenceMatcher(None, prefix, target).ratio()
            if ratio >= 0.86 and (best is None or ratio > best[0]
                                  or (ratio == best[0] and n > best[1])):
                best = (ratio, n)
    if best is None:
        return None
    return " ".join(words[: best[1]]).rstrip(",;:")


def split_title(text: str, headings: Iterable[str] = ()) -> tuple[str, str]:
    """(title, rest) of an entry written as one run of text."""
    text = text.strip()
    title = known_title(text, headings)
    if title:
        return title, text[len(title):].strip(" ,;:")
    words = text.split()
    for i in range(1, len(words)):
        word, previous = words[i], words[i - 1]
        if previous.endswith(("!", "?")) or (previous.endswith(".") and len(previous) > 3
                                            and not previous[-2].isupper()
                                            and previous.lower() not in _ABBREVIATIONS):
            cut = " ".join(words[:i])
            return cut.rstrip("."), " ".join(words[i:])
        if not word[:1].isupper():
            continue
        bare = re.sub(r"\W", "", word).lower()
        if i == 1 and fold(previous) in _KIND_WORDS:
            return previous, " ".join(words[1:])          # "Opening Welkom door …"
        if bare in _MARKER_WORDS or _starts_person(words, i):
            return " ".join(words[:i]).rstrip(",;:- "), " ".join(words[i:])
        previous_bare = previous.lower().strip(",;:")
        # "Paleis Het Loo", "Stadion De Vliert": a capitalised article between capitalised
        # words is part of a name, not the start of a sentence.
        in_name = previous[:1].isupper() and i + 1 < len(words) and words[i + 1][:1].isupper()
        if bare in _SENTENCE_STARTERS and previous_bare not in _JOINERS and not in_name:
            return " ".join(words[:i]).rstrip(",;:"), " ".join(words[i:])
        if previous_bare in _JOINERS or previous[:1].isupper() or previous.endswith((",", "-")):
            continue                      # "Kansrijk Dordt West", "met Dordrecht": a name
        if previous[:1].isdigit() or len(words) - i < 3:
            continue                      # "… burgemeester Blanksma": a name, not a sentence
        return " ".join(words[:i]).rstrip(",;:"), " ".join(words[i:])
    return text.rstrip(".").strip(), ""


def _starts_person(words: list[str], i: int) -> bool:
    """ "Ank Bijleveld-Schouten, voorzitter …": a name with its role starts a description."""
    if i + 2 >= len(words):
        return False
    first, last, after = words[i], words[i + 1], words[i + 2]
    return (first[:1].isupper() and last[:1].isupper() and last.endswith(",")
            and after[:1].islower() and not first.endswith(","))


# (kind, words that make it) in order of precedence: "Koffie en verplaatsen" is a break.
_COMMON_KINDS = (
    ("inloop", r"\binloop|\bontvangst\b|\bregistratie\b"),
    ("opening", r"^opening\b|^welkom\b|\bopening\b"),
    ("lunchlezing", r"lunchlezing"),
    # "Lunchwandeling": a walk during the lunch, not the lunch itself
    ("wandeling", r"lunch(?:wandeling|rondleiding)"),
    ("excursie", r"lunch(?:excursie|tocht)"),
    ("afsluiting", r"\bafsluiting\b|\bafsluitend|\bafronding\b|\bwrap[ -]?up\b"),
    ("borrel", r"borrel|\bnazit"),
    ("diner", r"diner\b"),
    ("lunch", r"lunch"),
    ("pauze", r"pauze\b|\bkoffie|\bthee\b"),
    ("verplaatsen", r"\bverplaats|\bzaalwissel|\bterug naar\b|\bvervoer naar\b"),
    ("wandeling", r"wandeling|rondleiding|\bwandelen\b"),
    ("excursie", r"excursie|safari|vaartocht|fietstocht|rondvaart"),
    ("werkbezoek", r"werkbezoek|\bbezoek\b"),
    ("netwerk", r"\bnetwerk(?:moment|en)\b"),
    ("overleg", r"\boverleg\b"),
    ("plenair", r"plenair|keynote|debat\b|\bin gesprek\b|\bpresentatie\b|\blezing\b"),
)
_CHOICE_KINDS = (
    ("lunchlezing", r"lunchlezing"),
    ("wandeling", r"wandeling|rondleiding|\bwandelen\b|\bwandel\b"),
    ("excursie", r"excursie|safari|vaartocht|fietstocht|rondvaart|\btocht\b"),
    ("werkbezoek", r"werkbezoek|\bbezoek\b"),
)


def common_kind(title: str) -> str:
    """The kind of an item of the common programme, from its words; "overig" if none fit."""
    lower = title.lower()
    for kind, pattern in _COMMON_KINDS:
        if re.search(pattern, lower):
            return kind
    return "overig"


def choice_kind(title: str, round_name: str | None) -> str:
    """The kind of one of several alternatives: a walk, an excursion, a pillar session …"""
    lower = title.lower()
    for kind, pattern in _CHOICE_KINDS:
        if re.search(pattern, lower):
            return kind
    context = (round_name or "").lower()
    for kind, pattern in _CHOICE_KINDS:
        if re.search(pattern, context):
            return kind
    if "pijler" in context:
        return "pijlersessie"
    return "keuzesessie"


ROUND_WORDS = re.compile(
    r"\b(?:ronde|keuze ?sessies?|keuzesessies|keuzeprogramma|pijlersessies|pijlerbijeenkomsten"
    r"|parallelle|parallel|werksessies|themaronde|workshops|deelsessies|sessies)\b",
    re.IGNORECASE)
_ROUND_NAME = re.compile(r"^(.*?\bronde\s+(?:[0-9]+|[ivx]+|een|twee|drie|vier)\b)", re.IGNORECASE)


def round_name(text: str) -> tuple[str, str]:
    """(name of the round, what follows it), e.g. "Keuze sessies - ronde I", "Stadhuis"."""
    text = " ".join(text.split())
    match = _ROUND_NAME.match(text)
    if match:
        return match[1].strip(), text[match.end():].strip(" -–—,")
    return text.strip(), ""

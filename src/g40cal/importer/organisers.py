"""Organisers in the bureau's words, matched to groups.toml.

"TG Duurzaamheid", "Themagroep ZJO & Armoede en Schulden", "(TG Woningmarkt en Fysieke
pijler)", "Pijler economie en werk, fysieke pijler": a phrase is a list of organisers only if
*every* part of it is a group in the registry; otherwise it is not a list of organisers (the
recogniser never guesses a group from a loose word).
"""

from __future__ import annotations

import re
from functools import cache

from g40cal.definitions.groups import GroupRegistry, normalise
from g40cal.definitions.model import Group

# Words that introduce a list of organisers without being part of a group's name.
_LEAD = re.compile(
    r"^(?:georganiseerd\s+door|organisatie:?|door|gezamenlijke?\s+(?:themagroep\s+)?sessie(?:\s+van)?"
    r"|themagroepen|pijlers|gezamenlijk|de)\s+", re.IGNORECASE)
_SEPARATORS = {"en", "+", "&", "/", "and", "i.s.m.", "ism", "met"}
_MARKERS = re.compile(r"^(?:tg|themagroep(?:en)?|pijlers?|thema)\b", re.IGNORECASE)
MAX_WORDS = 24


def strip_lead(phrase: str) -> str:
    phrase = phrase.strip().strip("().*: ").strip()
    previous = None
    while previous != phrase:
        previous = phrase
        phrase = _LEAD.sub("", phrase).strip()
    return phrase


def organisers(phrase: str, registry: GroupRegistry) -> tuple[str, ...] | None:
    """Every group a phrase names, or None when any part of it is not a known group."""
    phrase = strip_lead(phrase)
    words = phrase.replace("(", " ").replace(")", " ").split()
    if not words or len(words) > MAX_WORDS:
        return None
    found = _segment(tuple(words), registry)
    if found is None:
        return None
    unique: list[str] = []
    for name in found:
        if name not in unique:
            unique.append(name)
    return tuple(unique)


def _resolve(name: str, registry: GroupRegistry) -> Group | None:
    """A group by any of its names; "Gemeente financiën" finds "Gemeentefinanciën" too."""
    group = registry.resolve(name)
    if group is not None:
        return group
    index = _compact_index(registry)
    compact = normalise(name).replace(" ", "")
    if compact in index:
        return index[compact]
    # "TG MKB & Dienstverlening" for "MKB-dienstverlening": an "&" or "en" inside one name
    return index.get(_without_and(normalise(name)))


def _without_and(normalised: str) -> str:
    return "".join(word for word in normalised.split() if word != "en")


_COMPACT: dict[int, dict[str, Group]] = {}


def _compact_index(registry: GroupRegistry) -> dict[str, Group]:
    index = _COMPACT.get(id(registry))
    if index is None:
        index = {}
        for group in registry.groups:
            for name in (group.name, group.short, *group.aliases):
                index.setdefault(normalise(name).replace(" ", ""), group)
            for name in (group.name, group.short, *group.aliases):
                index.setdefault(_without_and(normalise(name)), group)
        _COMPACT[id(registry)] = index
    return index


def _segment(words: tuple[str, ...], registry: GroupRegistry) -> tuple[str, ...] | None:
    @cache
    def from_(i: int) -> tuple[str, ...] | None:
        while i < len(words) and words[i].lower().strip(",") in _SEPARATORS:
            i += 1
        if i == len(words):
            return ()
        best: tuple[str, ...] | None = None
        for j in range(len(words), i, -1):          # longest name first
            chunk = " ".join(words[i:j]).strip(",;")
            group = _resolve(chunk, registry)
            if group is None:
                continue
            # a name ends at a separator, a comma, or the end
            if j < len(words) and not (words[j].lower() in _SEPARATORS
                                       or words[j - 1].endswith(",")):
                continue
            rest = from_(j)
            if rest is not None and (best is None or len(rest) + 1 < len(best)):
                best = (group.name, *rest)
        return best

    return from_(0)


def leading_organisers(text: str, registry: GroupRegistry) -> tuple[tuple[str, ...], str]:
    """Organisers named at the start of an entry ("Themagroep Europa …", "Pijler Sociaal …").

    Only a phrase that starts with a marker word (Themagroep, TG, Pijler) counts: a title
    that merely resembles a group's name is not a statement of who organises it.
    """
    words = text.split()
    if not words or (not _MARKERS.match(words[0]) and not re.match(
            r"^gezamenlijke?$", words[0], re.IGNORECASE)):
        return (), text
    for n in range(min(len(words), MAX_WORDS), 0, -1):
        found = organisers(" ".join(words[:n]), registry)
        if found:
            return found, " ".join(words[n:])
    return (), text


def parenthesised_organisers(text: str, registry: GroupRegistry
                             ) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    """"(TG Woningmarkt en Fysieke pijler)" anywhere in an entry: (organisers, the text
    without it, the bracketed organiser phrases no group in the registry answers to).

    A bracket that starts with a marker word ("(TG Onbekend)") names organisers even when
    groups.toml does not know them: it leaves the title all the same, and is returned so
    the caller can keep it (never guessed into a group)."""
    found: list[str] = []
    unknown: list[str] = []
    kept = text
    for match in re.finditer(r"\(([^()]{2,120})\)", text):
        first = match[1].split()[0] if match[1].split() else ""
        if not _MARKERS.search(first):
            continue
        names = organisers(match[1], registry)
        if names:
            found.extend(n for n in names if n not in found)
        else:
            unknown.append(match[1].strip())
        kept = kept.replace(match[0], " ")
    return tuple(found), re.sub(r"[ \t]+", " ", kept).strip(), tuple(unknown)


_MENTION = re.compile(r"\b(?:themagroep(?:en)?|tg|pijlers?)\s+", re.IGNORECASE)
_STATING = re.compile(r"\b(?:gezamenlijke?\s+(?:themagroep\s*)?sessie\s+van|georganiseerd\s+door)"
                      r"\s+(?:de\s+)?(?:themagroepen\s+|pijlers\s+)?", re.IGNORECASE)


def mentioned_organisers(text: str, registry: GroupRegistry
                         ) -> tuple[tuple[str, ...], bool, str] | None:
    """Organisers a description names: (groups, stated, the words they were read from).

    "Deze gezamenlijke sessie van de themagroepen ZJO, WWZ en Woningmarkt" states them;
    "We bespreken ervaringen in de themagroep Sterke Keten" only suggests one (an estimate).
    """
    for pattern, stated in ((_STATING, True), (_MENTION, False)):
        for match in pattern.finditer(text):
            words = text[match.end():].split()[:MAX_WORDS]
            for n in range(len(words), 0, -1):
                phrase = " ".join(words[:n]).rstrip(".,;:!?")
                found = organisers(phrase, registry)
                if found:
                    return found, stated, (match[0] + phrase).strip()
    return None


def contained_organisers(title: str, registry: GroupRegistry) -> tuple[str, ...]:
    """Themegroups whose full name stands in a session's title ("Kansen in Europa")."""
    words = title.replace("(", " ").replace(")", " ").split()
    found: list[str] = []
    for size in range(min(len(words), 8), 0, -1):
        for i in range(len(words) - size + 1):
            group = _resolve(" ".join(words[i:i + size]), registry)
            if group is None or group.name in found:
                continue
            # a name of several words, or a themegroup's one-word short name ("Europa");
            # never a loose word like "Economische" that only resembles a pillar
            if size > 1 or (group.kind == "themagroep"
                            and fold_word(words[i]) == normalise(group.short)):
                found.append(group.name)
    return tuple(found)


def fold_word(word: str) -> str:
    return normalise(word)

"""Characters that have no place in calendar text, for definitions, settings and groups.

A line break in a one-line value (a title, a room, a setting) could end a feed's content
line and let the rest of the value add whole events: RFC 5545 ends a line at CRLF, and
parsers built on ``str.splitlines`` also at U+2028, U+2029, U+0085 and a few controls.
Invisible text-direction controls make a text read differently from what it is
("Trojan Source"): they have no place anywhere. Tabs are harmless.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

# Text-direction embeddings, overrides and isolates (a character class range).
DIRECTION_CONTROLS = "\u202a-\u202e\u2066-\u2069"
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_IN_ANY_TEXT = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x84\x86-\x9f{DIRECTION_CONTROLS}]")
_IN_ONE_LINE = re.compile(f"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029{DIRECTION_CONTROLS}]")
_DIRECTION = re.compile(f"[{DIRECTION_CONTROLS}]")


@dataclass(frozen=True)
class BadCharacter:
    char: str
    kind: Literal["direction", "line-break", "control"]

    @property
    def name(self) -> str:
        """E.g. 'U+202E RIGHT-TO-LEFT OVERRIDE'."""
        return f"U+{ord(self.char):04X} {unicodedata.name(self.char, '')}".rstrip()

    def message(self, what: str) -> str:
        if self.kind == "direction":
            return (f"contains an invisible text-direction control ({self.name}): it makes "
                    "the text read differently from what it is")
        if self.kind == "line-break":
            return f"contains a line break ({self.name}); {what} is one line"
        return f"contains a control character ({self.name})"


def bad_character(value: str, *, one_line: bool = True) -> BadCharacter | None:
    """The first character of ``value`` that has no place in it, or None."""
    found = (_IN_ONE_LINE if one_line else _IN_ANY_TEXT).search(value)
    if found is None:
        return None
    char = found[0]
    if _DIRECTION.match(char):
        return BadCharacter(char, "direction")
    return BadCharacter(char, "line-break" if char in LINE_BREAKS else "control")

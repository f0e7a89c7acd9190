"""Text from a public form, made safe to show and to store.

Names and organisations come from a sign-up form anyone can fill in. Control characters in
them would reach the bureau's terminal as escape sequences (recolouring, hiding or
rewriting lines) and make spreadsheet files unreadable; bidi overrides make a name read
differently from what it is. They are removed on the way in (``clean``) and shown escaped
on the way out (``visible``) for anything stored before.
"""

from __future__ import annotations

import re

from g40cal.definitions.textcheck import DIRECTION_CONTROLS

# Control characters (Unicode category Cc: U+0000–U+001F, U+007F–U+009F); bidirectional
# embeddings, overrides and isolates; the line and paragraph separators: invisible, and they
# change how the rest of a line reads.
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f\u200e\u200f{DIRECTION_CONTROLS}\u2028\u2029]")


def has_unsafe(text: str) -> bool:
    """Does ``text`` hold control characters or bidi overrides?"""
    return _UNSAFE.search(text) is not None


def clean(text: str) -> str:
    """One line of text without control characters or bidi overrides; line breaks and tabs
    become spaces, runs of spaces one space."""
    if not has_unsafe(text):
        return " ".join(text.split())
    kept = _UNSAFE.sub(lambda m: " " if m.group().isspace() else "", text)
    return " ".join(kept.split())


def visible(text: str) -> str:
    """``text`` with every control character and bidi override shown as an escape
    (``\\x1b``, ``\\u202e``): safe to print on a terminal or write into a spreadsheet."""
    if not has_unsafe(text):
        return text
    return _UNSAFE.sub(lambda m: _escape(m.group()), text)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

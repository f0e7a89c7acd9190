"""TOML syntax errors in plain words, at the line where the mistake is.

``tomllib`` says where parsing failed, which for the mistakes people make in a text editor
is often not where the mistake is: a text opened with ``\"\"\"`` and never closed is only
noticed at the next ``\"\"\"``, inside another item many lines later; Word's curly quotes
are an "Invalid value"; a missing closing quote is an "Illegal character '\\n'". After
``tomllib`` failed, this module reads the source once more, only as far as the strings go
(where each one starts and ends), and names the first such mistake it finds before the
place ``tomllib`` stopped; everything else is ``tomllib``'s own finding, put in words.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

CURLY_QUOTES = "“”„‟‘’‚‛"
_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)|\s*\(at end of document\)")
# A line that reads as TOML, not as text: a table header or a field with a typical value.
_STATEMENT = re.compile(
    r"""^\s*(?:\[\[?\s*[A-Za-z0-9_.-]+\s*\]\]?\s*(?:\#.*)?"""
    r"""|[A-Za-z0-9_-]+\s*=\s*(?:["'\[{]|true\b|false\b|\d).*)$""")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")
_LIST_START = re.compile(r"^\s*[A-Za-z0-9_.-]+\s*=\s*\[")
_QUOTES_HINT = 'write text between straight double quotes "…" (times too: "09:30")'


@dataclass(frozen=True)
class SyntaxMistake:
    """One syntax error: where (line, None if unknown), what is wrong, what would be right."""

    line: int | None
    message: str
    hint: str


def explain(text: str, error: tomllib.TOMLDecodeError) -> SyntaxMistake:
    """The syntax error ``tomllib`` raised for ``text``, in plain words at the right line."""
    raw = str(error)
    position = _POSITION.search(raw)
    line = int(position[1]) if position and position[1] else None
    column = int(position[2]) if position and position[2] else None
    reason = _POSITION.sub("", raw).strip()
    lines = text.splitlines()
    found = _string_mistake(text)
    if found is not None and (line is None or found.line is None or found.line <= line):
        return found
    if reason.startswith("Cannot declare"):
        return _declared_twice(reason, lines, line)
    return _in_words(reason, lines, line, column)


def _in_words(reason: str, lines: list[str], line: int | None,
              column: int | None) -> SyntaxMistake:
    source = lines[line - 1] if line and line <= len(lines) else ""
    opened = _unclosed_list(lines, line) if reason in ("Unclosed array",
                                                       "Invalid value") else None
    if opened is not None:
        return SyntaxMistake(opened, f"the list [ … ] opened on line {opened} is not "
                             f"closed before line {line}",
                             'end it with ], e.g. groups = ["Europa", "Wonen"]')
    if reason == "Cannot overwrite a value":
        key = _KEY.match(source)
        name = f"'{key[1]}'" if key else "a field"
        return SyntaxMistake(line, f"{name} is given twice in the same table",
                             "keep one; each field once per [[items]] or [[days]] table")
    if reason == "Invalid value":
        return SyntaxMistake(line, "the value after '=' is not valid", _QUOTES_HINT
                             + "; numbers and true/false without quotes")
    if reason.startswith("Expected '=' after a key") or reason == "Invalid statement":
        return SyntaxMistake(line, "this line is not 'field = value', a [[table]] header or a "
                             "# comment", 'e.g. title = "…"; is a quote or bracket missing '
                             "on this line or the one before?")
    if reason.startswith("Expected newline or end of document"):
        return SyntaxMistake(line, "something follows the value on this line",
                             "one field per line; " + _QUOTES_HINT)
    if reason == "Unclosed array":
        return SyntaxMistake(line, "a list [ … ] is not closed before this line",
                             'end the list with ], e.g. groups = ["Europa", "Wonen"]')
    if reason.startswith("Unescaped '\\'") or "escape" in reason.lower():
        return SyntaxMistake(line, "a backslash \\ in a text starts an escape code",
                             "write \\\\ for a backslash, or leave it out")
    where = f" (column {column})" if column else ""
    return SyntaxMistake(line, f"not valid TOML{where}: {reason}",
                         _QUOTES_HINT + "; each field once per table")


def _unclosed_list(lines: list[str], line: int | None) -> int | None:
    """Where a list began that has no ``]`` before ``line`` (a header or field there)."""
    if line is None or line > len(lines) or line < 2:
        return None
    if not _STATEMENT.match(lines[line - 1]):
        return None  # a bad value inside the list: tomllib's own place is right
    for number in range(line - 1, 0, -1):
        code = lines[number - 1].split("#", 1)[0]
        if "]" in code:
            return None
        if _LIST_START.match(code):
            return number
    return None


def _declared_twice(reason: str, lines: list[str], line: int | None) -> SyntaxMistake:
    name = re.search(r"\('([^']+)',?\)", reason)
    table = name[1] if name else None
    if table in ("items", "days", "groups"):
        single = re.compile(rf"^\s*\[\s*{table}\s*\]\s*(?:#.*)?$")
        found = [n for n, text in enumerate(lines, 1) if single.match(text)]
        if found:
            rest = found[1:]
            shown = ", ".join(map(str, rest[:5])) + (f" and {len(rest) - 5} more"
                                                    if len(rest) > 5 else "")
            others = f" (also line{'s' if len(rest) > 1 else ''} {shown})" if rest else ""
            what = {"items": "item", "days": "day", "groups": "group"}[table]
            return SyntaxMistake(
                found[0], f"[{table}] with single brackets declares one table; every {what} "
                f"needs its own [[{table}]]", f"write [[{table}]] (double brackets) for each "
                f"{what}{others}")
    shown = ".".join(re.findall(r"'([^']+)'", reason)) or "a table"
    return SyntaxMistake(line, f"[{shown}] is declared twice",
                         "give each table its own name, or merge the two")


def _string_mistake(text: str) -> SyntaxMistake | None:
    """The first unclosed text or curly quote, reading strings and comments only."""
    index, line, size = 0, 1, len(text)
    while index < size:
        char = text[index]
        if char == "\n":
            line += 1
        elif char == "#":
            end = text.find("\n", index)
            index = size if end == -1 else end
            continue
        elif char in CURLY_QUOTES:
            return SyntaxMistake(
                line, f"a curly quote {char} (as Word types it) where a text starts or ends",
                'TOML needs straight quotes ": write "…"; edit definitions in a text editor '
                '(in Word: AutoFormat As You Type, untick "straight quotes" with “smart quotes”)')
        elif char in "\"'":
            delimiter = char * 3 if text.startswith(char * 3, index) else char
            if len(delimiter) == 3:
                end, mistake = _multi_line_end(text, index + 3, line, delimiter)
            else:
                end, mistake = _one_line_end(text, index + 1, line, char)
            if mistake is not None:
                return mistake
            line += text.count("\n", index, end)
            index = end
            continue
        index += 1
    return None


def _one_line_end(text: str, start: int, line: int, quote: str) -> tuple[int, SyntaxMistake |
                                                                          None]:
    index = start
    while index < len(text):
        char = text[index]
        if char == "\\" and quote == '"' and text[index + 1: index + 2] != "\n":
            index += 2
            continue
        if char == quote:
            return index + 1, None
        if char == "\n":
            break
        index += 1
    return index, SyntaxMistake(line, f"the text on line {line} has no closing quote",
                                f"end it with {quote} on the same line (a text of several "
                                f'lines goes between """ and """)')


def _multi_line_end(text: str, start: int, line: int,
                    delimiter: str) -> tuple[int, SyntaxMistake | None]:
    """Where a \"\"\" text ends; a mistake if TOML-looking lines come before its end."""
    index, current = start, line
    while index < len(text):
        char = text[index]
        if char == "\\" and delimiter == '"""' and text[index + 1: index + 2] != "\n":
            index += 2  # an escape; a backslash at the end of a line only joins lines
            continue
        if text.startswith(delimiter, index):
            end = index + 3
            while end < len(text) and text[end] == delimiter[0] and end < index + 5:
                end += 1  # up to two quotes more belong to the text (TOML 1.0)
            return end, None
        if char == "\n":
            current += 1
            next_end = text.find("\n", index + 1)
            following = text[index + 1: len(text) if next_end == -1 else next_end]
            if _STATEMENT.match(following):
                return index, _unclosed(text, line, current, delimiter)
        index += 1
    return index, _unclosed(text, line, None, delimiter)


def _unclosed(text: str, opened: int, statement: int | None, delimiter: str) -> SyntaxMistake:
    lines = text.splitlines()
    last = (statement or len(lines) + 1) - 1
    while last > opened and (not lines[last - 1].strip()
                             or lines[last - 1].lstrip().startswith("#")):
        last -= 1  # blank lines and comments between the text and the next field
    where = f"runs on into line {statement} ({lines[statement - 1].strip()[:40]})" \
        if statement else "runs to the end of the file"
    end = f"end it with {delimiter} on a line of its own"
    hint = f"{end}, after line {last}" if last > opened else end
    if last > opened and delimiter[0] in lines[last - 1] and len(lines[last - 1].strip()) < 6:
        shown = lines[last - 1].strip()
        hint = f"line {last} ({shown}) looks like its end: write {delimiter} there"
    return SyntaxMistake(opened, f"the text opened with {delimiter} on line {opened} is not "
                         f"closed: it {where}", hint)

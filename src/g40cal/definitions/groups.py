"""The registry of G40 pillars and themegroups, and forgiving lookup of their names."""

from __future__ import annotations

import difflib
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from g40cal.definitions.model import GROUP_KINDS, Group
from g40cal.definitions.textcheck import bad_character
from g40cal.definitions.tomlerrors import explain as explain_syntax_error
from g40cal.errors import Problem, UserError

# Words that say *what* a group is, not *which*: "TG Duurzaamheid" is "Duurzaamheid".
_NOISE_WORDS = {"tg", "themagroep", "themagroepen", "pijler", "de", "het", "thema", "werkgroep"}
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def normalise(name: str) -> str:
    """Lower-case, strip accents and punctuation, drop noise words; '&' reads as 'en'."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("&", " en ").replace("+", " en ")
    words = re.findall(r"[a-z0-9]+", text)
    kept = [w for w in words if w not in _NOISE_WORDS]
    return " ".join(kept or words)


@dataclass(frozen=True)
class GroupRegistry:
    groups: tuple[Group, ...]
    path: Path | None = None

    def __post_init__(self) -> None:
        index: dict[str, Group] = {}
        for group in self.groups:
            for name in (group.id, group.name, group.short, *group.aliases):
                index.setdefault(normalise(name), group)
        object.__setattr__(self, "_index", index)

    def by_id(self, group_id: str) -> Group | None:
        return next((g for g in self.groups if g.id == group_id), None)

    def resolve(self, name: str) -> Group | None:
        return self._index.get(normalise(name))  # type: ignore[attr-defined]

    def suggest(self, name: str) -> str | None:
        """The canonical name nearest to an unknown one, for 'did you mean …?'."""
        index: dict[str, Group] = self._index  # type: ignore[attr-defined]
        close = difflib.get_close_matches(normalise(name), list(index), n=1, cutoff=0.6)
        return index[close[0]].name if close else None


def load_registry(path: Path) -> GroupRegistry:
    """Read groups.toml; raise UserError listing every problem in it."""
    problems: list[Problem] = []

    def error(message: str, hint: str | None = None, item: str | None = None) -> None:
        problems.append(Problem("error", "groups", message, file=path, item=item, hint=hint))

    try:
        text = path.read_text(encoding="utf-8-sig")  # Notepad writes a BOM
        data = tomllib.loads(text)
    except FileNotFoundError:
        raise UserError(
            f"{path}: the group registry is missing",
            [Problem("error", "groups-missing", "file not found", file=path,
                     hint="create it or set paths.groups in g40cal.toml")],
        ) from None
    except tomllib.TOMLDecodeError as exc:
        mistake = explain_syntax_error(text, exc)
        raise UserError(f"{path}: not valid TOML", [Problem(
            "error", "groups-syntax", mistake.message, file=path, line=mistake.line,
            hint=mistake.hint)]) from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text", [Problem(
            "error", "groups-encoding", f"not UTF-8 text ({exc.reason})", file=path,
            hint="save the file as UTF-8")]) from None

    entries = data.get("groups")
    if not isinstance(entries, list) or not entries:
        error("expected one or more [[groups]] tables")
        entries = []
    groups: list[Group] = []
    seen: dict[str, str] = {}
    for number, entry in enumerate(entries, start=1):
        label = f"group #{number}"
        if not isinstance(entry, dict):
            error(f"{label} is not a table")
            continue
        unknown = set(entry) - {"id", "name", "short", "kind", "aliases"}
        if unknown:
            error(f"{label}: unknown field(s) {sorted(unknown)}",
                  "valid fields: id, name, short, kind, aliases")
        gid, name = entry.get("id"), entry.get("name")
        if not isinstance(gid, str) or not _SLUG.match(gid):
            error(f"{label}: 'id' must be lower-case letters, digits and '-'", item=str(gid))
            continue
        if not isinstance(name, str) or not name.strip():
            error(f"{label}: 'name' must be a non-empty text", item=gid)
            continue
        short = entry.get("short", name)
        kind = entry.get("kind", "themagroep")
        aliases = entry.get("aliases", [])
        if kind not in GROUP_KINDS:
            error(f"'kind' is {kind!r}", f"valid kinds: {', '.join(GROUP_KINDS)}", item=gid)
        if not isinstance(short, str) or not isinstance(aliases, list) or not all(
            isinstance(a, str) for a in aliases
        ):
            error("'short' must be text and 'aliases' a list of texts", item=gid)
            continue
        # Names reach calendar names, categories and pages: one line of visible text.
        unsafe = [(field, bad) for field, value in (("name", name), ("short", short),
                                                   *(("aliases", a) for a in aliases))
                  if (bad := bad_character(value)) is not None]
        if unsafe:
            field, bad = unsafe[0]
            error(f"'{field}' {bad.message(field)}", "write it as one line of visible text",
                  item=gid)
            continue
        group = Group(id=gid, name=name, short=short, kind=kind, aliases=tuple(aliases))
        for alias in (gid, name, short, *aliases):
            key = normalise(alias)
            if key in seen and seen[key] != gid:
                error(f"name {alias!r} also belongs to group '{seen[key]}'",
                      "every name and alias must point to one group", item=gid)
            seen[key] = gid
        groups.append(group)
    if problems:
        raise UserError(f"{path}: the group registry has errors", problems)
    return GroupRegistry(tuple(groups), path)

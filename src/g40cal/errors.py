"""Problems found in input, and the exceptions the library raises.

Every message a user sees says where (file, line, item, field), what is wrong and what
would be right. The CLI turns ``UserError`` into exit code 1 without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong (error) or worth a look (warning) in the input."""

    severity: Severity
    code: str
    message: str
    file: Path | None = None
    line: int | None = None
    item: str | None = None
    field: str | None = None
    hint: str | None = None

    def location(self) -> str:
        where = str(self.file) if self.file else "<input>"
        if self.line:
            where += f":{self.line}"
        return where

    def format(self) -> str:
        parts = [f"{self.location()}: {self.severity}:"]
        if self.item:
            parts.append(f"item '{self.item}',")
        if self.field:
            parts.append(f"field '{self.field}':")
        text = " ".join(parts) + " " + self.message
        if self.hint:
            text += f" ({self.hint})"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "file": str(self.file) if self.file else None,
            "line": self.line,
            "item": self.item,
            "field": self.field,
            "message": self.message,
            "hint": self.hint,
        }


class G40Error(Exception):
    """Base of every error g40cal raises on purpose."""


@dataclass
class UserError(G40Error):
    """Bad input or a bad request: shown without traceback, exit code 1."""

    message: str
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


class StateError(G40Error):
    """The state database is unusable (wrong version, locked, corrupt)."""


class StalePlan(G40Error):
    """A plan was made from a state that changed since (another g40cal wrote to it): it
    must be made again, never applied."""

"""A project: configuration, group registry and every programme definition, loaded together."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from g40cal.checks import check_programmes
from g40cal.config import Config, load_config
from g40cal.errors import Problem, UserError
from g40cal.groups import GroupRegistry, load_registry
from g40cal.loader import load_programme
from g40cal.model import Programme


@dataclass(frozen=True)
class Project:
    config: Config
    registry: GroupRegistry
    programmes: tuple[Programme, ...]
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def raise_on_errors(self) -> None:
        """Nothing is published from definitions with errors."""
        if self.errors:
            raise UserError(f"{len(self.errors)} error(s) in the definitions: nothing was "
                            "published (run g40cal check)", self.errors)

    def programme(self, programme_id: str) -> Programme | None:
        return self._by_id.get(programme_id)

    @functools.cached_property
    def _by_id(self) -> dict[str, Programme]:
        return {p.id: p for p in reversed(self.programmes)}  # the first wins, as before


def definition_files(config: Config) -> list[Path]:
    folder = config.programmes_path
    if not folder.is_dir():
        raise UserError(
            f"{folder}: programme folder not found",
            [Problem("error", "no-programmes", "folder not found", folder,
                     hint="run g40cal in the project folder, or pass --root")],
        )
    return sorted(folder.glob("*.toml"))


def load_project(config: Config, files: list[Path] | None = None) -> Project:
    """Load and validate; never raises for bad definitions (they become problems)."""
    registry = load_registry(config.groups_path)
    paths = files if files is not None else definition_files(config)
    programmes: list[Programme] = []
    problems: list[Problem] = []
    for path in paths:
        programme, found = load_programme(path, registry)
        problems.extend(found)
        if programme is not None:
            programmes.append(programme)
    problems.extend(check_programmes(programmes))
    programmes.sort(key=lambda p: (p.first_date, p.id))
    return Project(config, registry, tuple(programmes), tuple(problems))


def open_project(root: Path, config_path: Path | None = None) -> Project:
    return load_project(load_config(root, config_path))

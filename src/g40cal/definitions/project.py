"""A project: configuration, group registry and every programme definition, loaded together."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from g40cal.config import Config, load_config
from g40cal.definitions.buildcache import (
    BuildCache,
    Compiled,
    compile_file,
    context_hash,
    paused_gc,
)
from g40cal.definitions.checks import check_programmes
from g40cal.definitions.groups import GroupRegistry, load_registry
from g40cal.definitions.model import Programme
from g40cal.errors import Problem, UserError
from g40cal.publishing.events import Event, build_events
from g40cal.publishing.ical import RenderedEvent, render_event


@dataclass(frozen=True)
class Project:
    config: Config
    registry: GroupRegistry
    programmes: tuple[Programme, ...]
    problems: tuple[Problem, ...]
    # Events and rendered events per programme id, as compiled with the definitions.
    compiled: dict[str, Compiled] = field(default_factory=dict, compare=False, repr=False)
    context: str = ""  # hash of the settings, the groups and g40cal's version

    @property
    def sources(self) -> dict[str, str]:
        """Per programme id, a hash of its definition file (path and bytes)."""
        return {p.id: c.source for p in self.programmes
                if (c := self.compiled.get(p.id)) is not None and c.programme is p}

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

    @functools.cached_property
    def events(self) -> dict[str, Event]:
        """Every event of every programme, by key (``<programme>/<item>``)."""
        events: dict[str, Event] = {}
        for programme in self.programmes:
            compiled = self._compiled(programme)
            for event in compiled.events if compiled else build_events(programme, self.config):
                events[event.key] = event
        return events

    def rendered(self, key: str) -> RenderedEvent:
        """The feed-independent iCalendar lines of a current event."""
        found = self._rendered.get(key)
        return found if found is not None else render_event(self.events[key])

    @functools.cached_property
    def _rendered(self) -> dict[str, RenderedEvent]:
        return {r.event.key: r for p in self.programmes if (c := self._compiled(p))
                for r in c.rendered}

    def _compiled(self, programme: Programme) -> Compiled | None:
        compiled = self.compiled.get(programme.id)
        # Only the very object that was compiled: the same id may come from two files.
        return compiled if compiled and compiled.programme is programme and (
            compiled.events or not programme.items) else None


def definition_files(config: Config) -> list[Path]:
    folder = config.programmes_path
    if not folder.is_dir():
        raise UserError(
            f"{folder}: programme folder not found",
            [Problem("error", "no-programmes", "folder not found", folder,
                     hint="run g40cal in the project folder, or pass --root")],
        )
    return sorted(folder.glob("*.toml"))


def load_project(config: Config, files: list[Path] | None = None, *,
                 cache: bool = True) -> Project:
    """Load and validate; never raises for bad definitions (they become problems).

    With ``cache``, definition files unchanged since an earlier load come from the build
    cache (``buildcache.py``) instead of being parsed and rendered again.
    """
    registry = load_registry(config.groups_path)
    paths = files if files is not None else definition_files(config)
    try:
        registry_bytes = config.groups_path.read_bytes()
    except OSError:
        registry_bytes = b""  # load_registry has read it just now; a race at worst
    context = context_hash(config, registry_bytes)
    builds = BuildCache(config.state_path.parent / "cache", context) if cache else None
    programmes: list[Programme] = []
    problems: list[Problem] = []
    compiled: dict[str, Compiled] = {}
    # Thousands of lasting objects per file and no cycles to reclaim: one pause for all of
    # them (a pause per file lets a full collection scan everything loaded so far each time).
    with paused_gc():
        for path in paths:
            result = compile_file(path, registry, config, builds)
            problems.extend(result.problems)
            if result.programme is not None:
                programmes.append(result.programme)
                compiled.setdefault(result.programme.id, result)
    problems.extend(check_programmes(programmes))
    programmes.sort(key=lambda p: (p.first_date, p.id))
    if builds and files is None:
        builds.prune()
    return Project(config, registry, tuple(programmes), tuple(problems), compiled, context)


def open_project(root: Path, config_path: Path | None = None) -> Project:
    return load_project(load_config(root, config_path))

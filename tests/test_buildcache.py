"""The build cache: unchanged definition files are not parsed again, and the cache never
changes a result — an edit, a damaged entry or another setting all compile afresh."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from g40cal.config import load_config
from g40cal.definitions import buildcache
from g40cal.definitions.project import Project, load_project
from tests.syncing import edit

ZAANDAM_FILE = "programmes/zaandam-bestuurlijk.toml"


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files really parsed (not served from the cache)."""
    parsed: list[str] = []
    real = buildcache.parse_programme

    def counting(raw: bytes, path: Path, registry):  # type: ignore[no-untyped-def]
        parsed.append(path.name)
        return real(raw, path, registry)

    monkeypatch.setattr(buildcache, "parse_programme", counting)
    return parsed


def cache_folder(root: Path) -> Path:
    return load_config(root).state_path.parent / "cache"


def load(root: Path, *, cache: bool = True) -> Project:
    return load_project(load_config(root), cache=cache)


def same_result(cached: Project, fresh: Project) -> None:
    assert cached.programmes == fresh.programmes
    assert cached.problems == fresh.problems
    assert cached.events == fresh.events
    assert {k: cached.rendered(k) for k in cached.events} == {
        k: fresh.rendered(k) for k in fresh.events}


def test_a_second_load_parses_nothing_and_gives_the_same_project(
        project_dir: Path, parses: list[str]) -> None:
    first = load(project_dir)
    assert len(parses) == 5
    parses.clear()
    again = load(project_dir)
    assert parses == []
    same_result(again, first)
    same_result(again, load(project_dir, cache=False))


def test_only_the_edited_file_is_parsed_again_and_the_edit_shows(
        project_dir: Path, parses: list[str]) -> None:
    load(project_dir)
    parses.clear()
    edit(project_dir / ZAANDAM_FILE, 'title = "Slim met Stroom"', 'title = "Slim met Stroom!"')
    project = load(project_dir)
    assert parses == ["zaandam-bestuurlijk.toml"]
    assert any(e.title == "Slim met Stroom!" for e in project.events.values())
    same_result(project, load(project_dir, cache=False))
    # The entry of the old version is gone: the cache holds one entry per file.
    assert len(list(cache_folder(project_dir).glob("*.json"))) == 5


def test_a_damaged_cache_entry_is_a_miss_not_an_error(
        project_dir: Path, parses: list[str]) -> None:
    load(project_dir)
    for entry in cache_folder(project_dir).glob("*.json"):
        entry.write_bytes(entry.read_bytes()[:100])
    parses.clear()
    project = load(project_dir)
    assert len(parses) == 5
    same_result(project, load(project_dir, cache=False))


def test_another_setting_or_group_registry_compiles_afresh(
        project_dir: Path, parses: list[str]) -> None:
    load(project_dir)
    parses.clear()
    (project_dir / "g40cal.toml").write_text(
        '[network]\nbase_url = "https://agenda.example.nl/"\n', encoding="utf-8")
    project = load(project_dir)
    assert len(parses) == 5
    assert all(e.url.startswith("https://agenda.example.nl/") for e in project.events.values())
    parses.clear()
    registry = project_dir / "groups.toml"
    registry.write_text(registry.read_text(encoding="utf-8") + "\n# a comment\n",
                        encoding="utf-8")
    load(project_dir)
    assert len(parses) == 5


def test_problems_come_back_from_the_cache_with_their_file_and_line(
        project_dir: Path) -> None:
    edit(project_dir / ZAANDAM_FILE, 'start = "11:30"', 'start = "1130"')
    fresh = load(project_dir).problems
    cached = load(project_dir).problems
    assert cached == fresh
    assert any(p.file is not None and p.file.name == "zaandam-bestuurlijk.toml" and p.line
               for p in cached if p.severity == "error")


def test_a_moved_project_keeps_its_sources_but_not_its_cached_paths(
        project_dir: Path, tmp_path: Path, parses: list[str]) -> None:
    first = load(project_dir)
    moved = tmp_path / "moved"
    shutil.copytree(project_dir, moved)
    parses.clear()
    there = load(moved)
    assert len(parses) == 5  # the cached problems would name the old folder
    assert there.sources == first.sources and there.context == first.context


class _Payload:
    """What a planted pickle would run on loading: here, it only leaves a file behind."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.marker,))


def entry_path(root: Path, file: str) -> Path:
    """Where the cache keeps the entry of one definition file, as it is now."""
    config = load_config(root)
    project = load_project(config)
    path = root / file
    cache = buildcache.BuildCache(cache_folder(root), project.context)
    return cache_folder(root) / cache._name(path, path.read_bytes())


def test_a_planted_cache_entry_cannot_run_code(project_dir: Path, tmp_path: Path) -> None:
    import pickle

    target = entry_path(project_dir, ZAANDAM_FILE)
    marker = tmp_path / "code-ran"
    target.write_bytes(pickle.dumps(_Payload(marker)))
    target.chmod(0o600)
    project = load(project_dir)
    assert not marker.exists()
    same_result(project, load(project_dir, cache=False))


def test_a_cache_entry_others_may_write_is_never_read(project_dir: Path) -> None:
    target = entry_path(project_dir, ZAANDAM_FILE)
    planted = target.read_bytes().replace(b"Opening", b"Gekaapt")
    assert planted != target.read_bytes()
    target.write_bytes(planted)
    target.chmod(0o666)  # anyone could have written this
    project = load(project_dir)
    assert not any("Gekaapt" in e.title for e in project.events.values())
    target.write_bytes(planted)
    target.chmod(0o600)
    cache_folder(project_dir).chmod(0o777)  # a folder anyone can write to
    project = load(project_dir)
    assert not any("Gekaapt" in e.title for e in project.events.values())

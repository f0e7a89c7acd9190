"""Shared fixtures: a copy of the shipped project in a temporary folder, a fixed clock."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from g40cal.config import Config, load_config
from g40cal.definitions.project import Project, load_project

REPO = Path(__file__).resolve().parent.parent
# Before every shipped network day, so nothing is past its retention in tests.
BEFORE_EVENTS = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the shipped programmes and group registry (no config file)."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copytree(REPO / "programmes", root / "programmes")
    shutil.copy(REPO / "groups.toml", root / "groups.toml")
    monkeypatch.delenv("G40CAL_STATE", raising=False)
    monkeypatch.delenv("G40CAL_NOW", raising=False)
    return root


@pytest.fixture
def config(project_dir: Path) -> Config:
    return load_config(project_dir)


@pytest.fixture
def project(config: Config) -> Project:
    loaded = load_project(config)
    assert not loaded.errors, [p.format() for p in loaded.errors]
    return loaded


@pytest.fixture(scope="module")
def participants_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The shipped programmes with every registration fixture imported and synced once."""
    from tests.participants_support import import_all, new_project
    from tests.syncing import sync_at

    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("G40CAL_STATE", raising=False)
        root = new_project(tmp_path_factory.mktemp("template") / "project")
        import_all(root)
        sync_at(root)
        yield root


@pytest.fixture
def root(participants_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of ``participants_template`` (modules may define their own ``root``)."""
    monkeypatch.delenv("G40CAL_STATE", raising=False)
    copy = tmp_path / "project"
    shutil.copytree(participants_template, copy)
    return copy

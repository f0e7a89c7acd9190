"""Running real syncs in tests: the library pipeline with an injected clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from g40cal.config import load_config
from g40cal.definitions.project import load_project
from g40cal.publishing.pipeline import run_sync
from g40cal.publishing.sync import SyncResult
from g40cal.state import State
from tests.conftest import BEFORE_EVENTS


def sync_at(root: Path, now: datetime = BEFORE_EVENTS, *, verify: bool = False) -> SyncResult:
    config = load_config(root)
    project = load_project(config)
    assert not project.errors, [p.format() for p in project.errors]
    with State(config.state_path) as state:
        return run_sync(project, state, now=now, verify=verify)


def later(minutes: int) -> datetime:
    return BEFORE_EVENTS + timedelta(minutes=minutes)


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def remove_item(path: Path, item_id: str) -> None:
    """Delete one [[items]] table from a definition file."""
    text = path.read_text(encoding="utf-8")
    parts = text.split("[[items]]")
    kept = [p for p in parts if f'id = "{item_id}"' not in p]
    assert len(kept) == len(parts) - 1, f"item {item_id} not found once in {path}"
    path.write_text("[[items]]".join(kept), encoding="utf-8")

"""Folder layouts that would publish personal data are refused, in words, before writing."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.participants_support import DATA, ZAANDAM, ok, run

PRIVATE_MARKER = ".g40cal-private"  # the marker g40cal writes into its private folder


def configure(root: Path, paths: str) -> None:
    (root / "g40cal.toml").write_text(f"[paths]\n{paths}\n", encoding="utf-8")


def published(root: Path) -> set[str]:
    folder = root / "feeds"
    return {str(p.relative_to(folder)) for p in folder.rglob("*")} if folder.exists() else set()


@pytest.mark.parametrize(("paths", "field", "words"), [
    ('state = "feeds/state.sqlite"', "paths.state", "inside the public folder"),
    ('state = "feeds/db/state.sqlite"', "paths.state", "inside the public folder"),
    ('feeds = "."', "paths.feeds", "holds the whole project"),
    ('programmes = "feeds/programmes"', "paths.programmes", "inside the public folder"),
    ('feeds = "private/public"', "paths.feeds", "inside the private folder"),
])
def test_a_layout_that_would_publish_personal_data_is_refused_before_anything_is_written(
        project_dir: Path, paths: str, field: str, words: str) -> None:
    if "programmes" in paths:
        (project_dir / "programmes").rename(project_dir / "moved")
        (project_dir / "feeds").mkdir()
        (project_dir / "moved").rename(project_dir / "feeds" / "programmes")
    configure(project_dir, paths)
    before = published(project_dir)
    for command in (["sync", "--yes"],
                    ["participants", "import", str(DATA / "zaandam-google-forms.csv"),
                     "--programme", ZAANDAM]):
        refused = run(project_dir, *command)
        assert refused.exit_code == 1, refused.output
        assert "refusing this folder layout" in refused.stderr
        assert f"field '{field}'" in refused.stderr and words in refused.stderr
        assert "Traceback" not in refused.stderr
    assert published(project_dir) == before
    assert not list(project_dir.rglob("state.sqlite"))


def test_mail_merge_links_are_never_written_into_the_public_folder(root: Path) -> None:
    target = root / "feeds" / "links.csv"
    refused = run(root, "participants", "links", "-o", str(target), "--force")
    assert refused.exit_code == 1
    assert "inside the public folder" in refused.stderr
    assert not target.exists()


def test_a_shared_world_writable_folder_is_never_made_the_private_folder(
        root: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    configure(root, f'private = "{shared}"')
    refused = run(root, "sync", "--yes", "--full")
    assert refused.exit_code == 1
    assert "shared folder" in refused.stderr and "paths.private" in refused.stderr
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777  # left as it was
    assert os.listdir(shared) == []


def test_a_folder_holding_other_files_is_not_taken_as_the_private_folder(
        root: Path, tmp_path: Path) -> None:
    mine = tmp_path / "documents"
    mine.mkdir(mode=0o755)
    (mine / "notes.txt").write_text("mine", encoding="utf-8")
    configure(root, f'private = "{mine}"')
    refused = run(root, "sync", "--yes", "--full")
    assert refused.exit_code == 1
    assert "g40cal did not make it" in refused.stderr and "notes.txt" in refused.stderr
    assert stat.S_IMODE(mine.stat().st_mode) == 0o755
    assert sorted(os.listdir(mine)) == ["notes.txt"]


def test_an_empty_folder_of_ones_own_is_adopted_owner_only_with_a_marker(
        root: Path, tmp_path: Path) -> None:
    empty = tmp_path / "personal"
    empty.mkdir(mode=0o755)
    empty.chmod(0o755)
    configure(root, f'private = "{empty}"')
    ok(run(root, "sync", "--yes", "--full"))
    assert stat.S_IMODE(empty.stat().st_mode) == 0o700
    assert (empty / PRIVATE_MARKER).is_file()
    assert any(name.endswith(".ics") for name in os.listdir(empty))


def test_a_private_folder_an_older_g40cal_made_is_adopted(root: Path) -> None:
    private = root / "private"
    (private / PRIVATE_MARKER).unlink(missing_ok=True)  # made before the marker existed
    ok(run(root, "sync", "--yes", "--full"))
    assert (private / PRIVATE_MARKER).is_file()


def test_check_names_a_layout_that_sync_would_refuse(project_dir: Path) -> None:
    configure(project_dir, 'state = "feeds/state.sqlite"')
    checked = run(project_dir, "check")
    assert checked.exit_code == 1
    assert "field 'paths.state'" in checked.output and "inside the public folder" in checked.output

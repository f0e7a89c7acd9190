"""The project stands on its own: no reference leaves the repository, no link is dead."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.conftest import REPO

# What a clone does not have: the folder the project was first built next to.
OUTSIDE = re.compile(r"\.\./shared\b|/work/shared\b|\bshared/(?:CLIENTS|STYLE|programmes)")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)|^\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
SKIP = ("http://", "https://", "mailto:", "webcal://")


def tracked_files() -> list[Path]:
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                                check=True, timeout=60).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [REPO / name for name in listed if name and (REPO / name).is_file()]


def documents() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to '-'."""
    found: set[str] = set()
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if in_code or not line.startswith("#"):
            continue
        slug = re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        candidate, number = slug, 0
        while candidate in found:
            number += 1
            candidate = f"{slug}-{number}"
        found.add(candidate)
    return found


def test_no_tracked_file_refers_to_a_folder_outside_the_repository() -> None:
    offenders = []
    for path in tracked_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary files
        for number, line in enumerate(text.splitlines(), start=1):
            if OUTSIDE.search(line) and path != Path(__file__):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()[:80]}")
    assert offenders == []


@pytest.mark.parametrize("document", documents(), ids=lambda p: p.name)
def test_every_relative_link_in_readme_and_docs_points_at_a_file_that_exists(
        document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)  # examples are not links
    targets = [match[1] or match[2] for match in LINK.finditer(text)]
    assert [t for t in targets if not t.startswith(SKIP) and is_dead(document, t)] == []


def is_dead(document: Path, target: str) -> bool:
    path_part, _, anchor = target.partition("#")
    linked = (document.parent / path_part).resolve() if path_part else document
    if not linked.exists():
        return True
    return bool(anchor) and linked.suffix == ".md" and anchor not in anchors(linked)


def test_the_source_of_every_shipped_definition_is_in_the_repository() -> None:
    for definition in sorted((REPO / "programmes").glob("*.toml")):
        source = tomllib.loads(definition.read_text(encoding="utf-8")).get("source")
        assert source, definition
        assert (REPO / "programmes" / "sources" / source).is_file(), (definition, source)

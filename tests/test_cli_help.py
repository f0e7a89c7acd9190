"""Every command explains itself, and README names every top-level command."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from g40cal.cli import cli
from tests.conftest import REPO


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


def test_every_command_has_help_text_and_answers_help() -> None:
    for path, command in all_commands(cli):
        assert (command.help or "").strip(), f"g40cal {' '.join(path)} has no help text"
        out = CliRunner().invoke(cli, [*path, "--help"])
        assert out.exit_code == 0, (path, out.output)
        assert "Usage:" in out.output


def test_readme_mentions_every_top_level_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in cli.commands:
        assert f"g40cal {name}" in readme, name


def test_an_unknown_command_is_a_usage_error() -> None:
    out = CliRunner().invoke(cli, ["publish"])
    assert out.exit_code == 2
    assert "No such command 'publish'" in out.output


def test_a_reader_that_closes_the_pipe_gets_no_advice_to_fix_a_cause(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    root = tmp_path / "project"
    root.mkdir()
    shutil.copytree(REPO / "programmes", root / "programmes")
    shutil.copy(REPO / "groups.toml", root / "groups.toml")
    process = subprocess.Popen([sys.executable, "-m", "g40cal", "--root", str(root), "sync",
                                "--yes"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `g40cal sync --yes | head -0`
    error = process.stderr.read().decode()
    assert process.wait(timeout=120) == 1
    assert "closed pipe" in error and "fix the cause" not in error
    assert "Traceback" not in error and "Exception ignored" not in error

"""Helpers for the participant tests: the CLI with a fixed clock, state look-ups, and a
project copy with the made-up registrations of tests/data/registrations imported."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from click.testing import CliRunner, Result

from g40cal.cli import cli
from g40cal.config import load_config
from g40cal.people.participants import Participant, load_participants
from g40cal.state import State
from tests.conftest import BEFORE_EVENTS, REPO

DATA = Path(__file__).resolve().parent / "data" / "registrations"
ZAANDAM = "zaandam-bestuurlijk"
TILBURG = "tilburg-bestuurlijk-2025"
DORDRECHT = "dordrecht-ambtelijk"
ALMELO = "almelo-ambtelijk-2024"
ZAANDAM_FILE = "programmes/zaandam-bestuurlijk.toml"
ANNA = "a.devries@zaanstad.example"
EVA = "e.mulder@emmen.example"
GIJS = "g.smit@helmond.example"
FLEUR = "f.visser@deventer.example"
HANNA = "h.vanderberg@leiden.example"
MEHMET = "m.demir@eindhoven.example"


def run(root: Path, *args: str, now: datetime = BEFORE_EVENTS, input: str | None = None
        ) -> Result:
    """``g40cal --root ROOT --now NOW ARGS``, with stdout and stderr kept apart."""
    runner = CliRunner()
    return runner.invoke(cli, ["--root", str(root), "--now", now.isoformat(), *args],
                         input=input, catch_exceptions=False)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output + result.stderr
    return result


def new_project(root: Path) -> Path:
    root.mkdir(parents=True)
    shutil.copytree(REPO / "programmes", root / "programmes")
    shutil.copy(REPO / "groups.toml", root / "groups.toml")
    return root


def published_project(root: Path) -> Path:
    """``new_project`` with a public https address, as the bureau's real settings have."""
    project = new_project(root)
    (project / "g40cal.toml").write_text(
        '[network]\nbase_url = "https://agenda.g40.example/"\n', encoding="utf-8")
    return project


def import_all(root: Path) -> None:
    """Every valid fixture: Zaandam (CSV), Dordrecht + Almelo (Excel CSV), Tilburg (XLSX)."""
    ok(run(root, "participants", "import", str(DATA / "zaandam-google-forms.csv"),
           "--programme", ZAANDAM))
    ok(run(root, "participants", "import", str(DATA / "netwerkdagen-excel.csv")))
    ok(run(root, "participants", "import", str(DATA / "tilburg-microsoft-forms.xlsx"),
           "--programme", TILBURG))


def people(root: Path) -> dict[str, Participant]:
    """Participants by e-mail address."""
    with State(load_config(root).state_path) as state:
        return {p.email: p for p in load_participants(state)}


def person(root: Path, email: str) -> Participant:
    return people(root)[email]


def feed_file(root: Path, email: str) -> Path:
    return root / "private" / person(root, email).feed_path


def choices(root: Path, email: str, programme: str) -> set[str]:
    registration = person(root, email).registration(programme)
    assert registration is not None, f"{email} is not registered for {programme}"
    return set(registration.chosen)


def sqlite_bytes(root: Path) -> bytes:
    """The state database as stored on disk, WAL and journal included."""
    path = load_config(root).state_path
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))

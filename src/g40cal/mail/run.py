"""One mail run: plan the outbox, write what is due, then (the caller) send it.

``prepare`` plans and composes in the state (committed: a run that dies after it sends the
same messages next time). ``dry_run`` does the same inside a transaction it rolls back,
and writes each message as an ``.eml`` file instead: the state is left as it was.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from g40cal.config import Config
from g40cal.credentials import is_this_machine
from g40cal.definitions.project import Project
from g40cal.errors import UserError
from g40cal.lock import file_lock
from g40cal.mail import outbox
from g40cal.mail.messages import Composed, Composer
from g40cal.mail.sending import addresses_of, dry_run_files
from g40cal.mail.settings import MailSettings
from g40cal.publishing.publish import atomic_write
from g40cal.state import State


@dataclass(frozen=True)
class Prepared:
    planned: outbox.PlanSummary
    due: dict[str, int]  # per kind

    @property
    def total(self) -> int:
        return sum(self.due.values())


def prepare(state: State, now: datetime) -> Prepared:
    """Plan what is due (committed: a run that dies after it finds the same next time)."""
    with state.transaction():
        planned = outbox._plan(state, now)
        return Prepared(planned, outbox.due_counts(state))


# Messages are written this many at a time, just before they go: a first run for a whole
# network (50,000 welcomes) never holds them all in memory, and at 30 a minute each one
# shows the state of its own hour, not of the run's start.
CHUNK = 200


def compose_due(project: Project, state: State, settings: MailSettings,
                now: datetime) -> Iterator[Composed]:
    """Write the due messages, a chunk at a time; rows with nothing to say are dropped
    (or, for a welcome, skipped: see ``outbox.forget_unsaid``)."""
    composer = Composer(project, state, settings, now)
    rows = outbox.due_rows(state)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        composed = composer.compose(chunk)
        written = {c.row_id for c in composed}
        if unsaid := [r.id for r in chunk if r.id not in written]:
            outbox.forget_unsaid(state, unsaid)
        yield from composed


@contextlib.contextmanager
def _rolled_back(state: State) -> Iterator[None]:
    state.db.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        state.db.execute("ROLLBACK")


def dry_run(project: Project, state: State, settings: MailSettings, now: datetime,
            folder: Path) -> tuple[Prepared, list[Path]]:
    """Every message that would go, as ``folder/NNNNNN-kind-participant.eml``; the state
    is not changed (the planning is rolled back)."""
    folder.mkdir(parents=True, exist_ok=True)
    due = {"welcome": 0, "changes": 0}
    paths = []
    with _rolled_back(state):
        planned = outbox._plan(state, now)
        composer = Composer(project, state, settings, now)
        rows = outbox.due_rows(state)
        for start in range(0, len(rows), CHUNK):
            composed = composer.compose(rows[start:start + CHUNK])
            addresses = addresses_of(state, [c.participant_id for c in composed])
            for name, data in dry_run_files(composed, addresses):
                path = folder / name
                atomic_write(path, data, mode=0o600)  # personal links: owner only
                paths.append(path)
            for message in composed:
                due[message.kind] += 1
    return Prepared(planned, due), paths


def status_counts(state: State, now: datetime) -> dict[str, dict[str, int]]:
    """``outbox.counts`` as if planned now (the planning is rolled back): "due" includes
    what the syncs since the last mail run will bring."""
    with _rolled_back(state):
        outbox._plan(state, now)
        return outbox.counts(state)


def links_problem(config: Config) -> str | None:
    """Why the links in a message would not work for participants, or None."""
    base = config.base_url
    if is_this_machine(urlsplit(base).hostname or ""):
        return (f"[network] base_url is {base}: the links in the messages would point to "
                "this computer; set the public https address first")
    return None


@contextlib.contextmanager
def sending_lock(config: Config) -> Iterator[None]:
    """One sending run at a time: two at once (a scheduled run while the bureau sends by
    hand; at 30 a minute a big batch takes half an hour) would both send what is due. Apart
    from the project's lock, so that a sync need not wait for a batch to finish."""
    path = config.state_path.absolute().with_name(config.state_path.name + ".mail-lock")

    def busy(*_: object) -> UserError:
        return UserError("another g40cal mail send is running for this project; it sends "
                         "what is due, nothing was sent now")

    with file_lock(path, "mail send", busy=busy):
        yield


def require_published(state: State) -> None:
    if state.db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0:
        raise UserError("nothing has been published yet; run g40cal sync first")

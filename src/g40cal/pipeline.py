"""The whole flow in one place: load → validate → build events → select audiences →
diff with state → publish files (→ push to CalDAV) → record state.

``run_sync`` is what ``g40cal sync`` does, usable without the CLI.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import partial

from g40cal.config import Config
from g40cal.errors import UserError
from g40cal.events import Event
from g40cal.feeds import FeedSpec
from g40cal.participants import personal_feeds, private_path_problem, secure_folder
from g40cal.project import Project, definition_files
from g40cal.rebuild import rebuild_state
from g40cal.state import State
from g40cal.sync import (
    SiteBuilder,
    SyncPlan,
    SyncResult,
    apply_sync,
    now_utc,
    plan_sync,
    render_signature,
)


def personal_feed_specs(project: Project, state: State) -> list[FeedSpec]:
    specs = personal_feeds(project, state)
    if specs and (problem := private_path_problem(project.config)):
        # Never write personal feeds where git (or the public folder) could pick them up.
        raise UserError(problem.message, [problem])
    if specs:
        secure_folder(project.config.private_path)
    return specs


# pages.py pulls in Jinja2 and segno: imported where pages are built, so that an unchanged
# sync (unchanged_since_last_sync) starts and answers without them.


def site_builder(project: Project, state: State, now: datetime) -> SiteBuilder:
    from g40cal.pages import announced_cancellations, build_site

    # Removed items whose cancellation is still announced stay on the pages (GEANNULEERD).
    return partial(build_site, removed=announced_cancellations(project, state, now))


def personal_page(project: Project, events: dict[str, Event], spec: FeedSpec) -> bytes:
    from g40cal.pages import build_personal_page

    return build_personal_page(project, events, spec, project.config)


def input_fingerprint(config: Config, state: State) -> str:
    """A hash of everything a sync reads: settings, registry, definitions, participants.

    Reading and hashing the files is cheap next to parsing them and building every feed,
    so a sync whose inputs did not change since the last complete one can stop here.
    """
    digest = hashlib.sha256(render_signature(config).encode())
    for path in [config.path, config.groups_path, *definition_files(config)]:
        if path is None:
            continue
        digest.update(path.name.encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<missing>")
        digest.update(b"\0")
    digest.update((state.meta("participants_version") or "0").encode())
    digest.update(str(config.feeds_path / "index.json").encode())
    return digest.hexdigest()


def unchanged_since_last_sync(config: Config, state: State, now: datetime) -> bool:
    """True when the inputs equal those of the last complete sync and nothing expires.

    A run that died halfway never recorded its fingerprint, so it is never skipped.
    """
    recorded = state.meta("input_fingerprint")
    if recorded is None or not (config.feeds_path / "index.json").exists():
        return False
    expiry = state.meta("next_expiry")
    if expiry and now >= datetime.fromisoformat(expiry):
        return False
    if recorded != input_fingerprint(config, state):
        return False
    # The privacy guard is never skipped: the full path explains what is wrong.
    return not (config.private_path.is_dir() and _private_folder_problem(config))


def _private_folder_problem(config: Config) -> bool:
    return private_path_problem(config) is not None


def prepare_sync(project: Project, state: State, *, now: datetime | None = None,
                 dry_run: bool = False, verify: bool = False) -> tuple[SyncPlan, list[str]]:
    """Plan a sync; recover the state from the published feeds first if it was lost."""
    project.raise_on_errors()  # before anything touches the state
    notes: list[str] = []
    if state.is_empty():
        recovered = rebuild_state(project.config, state)
        if recovered:
            notes.append(f"The state database was empty: recovered {recovered.events} events "
                         f"from {recovered.feeds} published feeds, so no subscriber goes back.")
    now = now or now_utc()
    fingerprint = input_fingerprint(project.config, state)
    plan = plan_sync(project, state, now=now, personal=personal_feed_specs(project, state),
                     site=site_builder(project, state, now), personal_page=personal_page,
                     verify=verify)
    plan.fingerprint = fingerprint
    return plan, notes


def run_sync(project: Project, state: State, *, now: datetime | None = None,
             verify: bool = False) -> SyncResult:
    plan, _ = prepare_sync(project, state, now=now, verify=verify)
    return apply_sync(plan, state, project.config)

"""The whole flow in one place: load → validate → build events → select audiences →
diff with state → publish files (→ push to CalDAV) → record state.

``run_sync`` is what ``g40cal sync`` does, usable without the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from g40cal.errors import UserError
from g40cal.feeds import FeedSpec
from g40cal.project import Project
from g40cal.rebuild import rebuild_state
from g40cal.state import State
from g40cal.sync import PersonalPage, SyncPlan, SyncResult, apply_sync, now_utc, plan_sync


def personal_feed_specs(project: Project, state: State) -> list[FeedSpec]:
    try:
        from g40cal.participants import personal_feeds, private_path_problem, secure_folder
    except ImportError:  # participants support not installed in this build
        return []
    specs = personal_feeds(project, state)
    if specs and (problem := private_path_problem(project.config)):
        # Never write personal feeds where git (or the public folder) could pick them up.
        raise UserError(problem.message, [problem])
    if specs:
        secure_folder(project.config.private_path)
    return specs


def site_builder(project: Project | None = None, state: State | None = None,
                 now: datetime | None = None) -> Callable | None:
    try:
        from g40cal.pages import announced_cancellations, build_site
    except ImportError:
        return None
    if project is None or state is None or now is None:
        return build_site
    # Removed items whose cancellation is still announced stay on the pages (GEANNULEERD).
    return partial(build_site, removed=announced_cancellations(project, state, now))


def personal_page() -> PersonalPage | None:
    try:
        from g40cal.pages import build_personal_page
    except ImportError:
        return None

    def page(project: Project, events: dict, spec: FeedSpec) -> bytes:
        return build_personal_page(project, events, spec, project.config)

    return page


def prepare_sync(project: Project, state: State, *, now: datetime | None = None,
                 dry_run: bool = False) -> tuple[SyncPlan, list[str]]:
    """Plan a sync; recover the state from the published feeds first if it was lost."""
    if project.errors:
        raise UserError(f"{len(project.errors)} error(s) in the definitions: nothing published",
                        project.errors)
    notes: list[str] = []
    if state.is_empty():
        recovered = rebuild_state(project.config, state)
        if recovered:
            notes.append(f"The state database was empty: recovered {recovered.events} events "
                         f"from {recovered.feeds} published feeds, so no subscriber goes back.")
    now = now or now_utc()
    plan = plan_sync(project, state, now=now, personal=personal_feed_specs(project, state),
                     site=site_builder(project, state, now), personal_page=personal_page())
    return plan, notes


def run_sync(project: Project, state: State, *, now: datetime | None = None) -> SyncResult:
    plan, _ = prepare_sync(project, state, now=now)
    return apply_sync(plan, state, project.config)

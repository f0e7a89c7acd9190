"""The whole flow in one place: load → validate → build events → select audiences →
diff with state → publish files (→ push to CalDAV) → record state.

``run_sync`` is what ``g40cal sync`` does, usable without the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from g40cal.errors import UserError
from g40cal.feeds import FeedSpec
from g40cal.project import Project
from g40cal.rebuild import rebuild_state
from g40cal.state import State
from g40cal.sync import SyncPlan, SyncResult, apply_sync, now_utc, plan_sync


def personal_feed_specs(project: Project, state: State) -> list[FeedSpec]:
    try:
        from g40cal.participants import personal_feeds
    except ImportError:  # participants support not installed in this build
        return []
    return personal_feeds(project, state)


def site_builder() -> Callable | None:
    try:
        from g40cal.pages import build_site
    except ImportError:
        return None
    return build_site


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
    plan = plan_sync(project, state, now=now or now_utc(),
                     personal=personal_feed_specs(project, state), site=site_builder())
    return plan, notes


def run_sync(project: Project, state: State, *, now: datetime | None = None) -> SyncResult:
    plan, _ = prepare_sync(project, state, now=now)
    return apply_sync(plan, state, project.config)

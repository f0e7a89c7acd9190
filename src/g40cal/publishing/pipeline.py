"""The whole flow in one place: load → validate → build events → select audiences →
diff with state → publish files (→ push to CalDAV) → record state.

``run_sync`` is what ``g40cal sync`` does, usable without the CLI.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from g40cal.config import Config
from g40cal.definitions.project import Project, definition_files
from g40cal.errors import UserError
from g40cal.layout import (
    check_layout,
    folder_stamp,
    layout_problems,
    orphan_private_files,
    orphans_text,
    prepare_private_folder,
    private_folder_problem,
)
from g40cal.lock import project_lock
from g40cal.people.participants import audience_signature, personal_audience
from g40cal.publishing.events import Event
from g40cal.publishing.feeds import FeedSpec, PersonalFeeds
from g40cal.publishing.publish import Stager, sweep_staged
from g40cal.publishing.rebuild import rebuild_state
from g40cal.publishing.sync import (
    SiteBuilder,
    SyncPlan,
    SyncResult,
    apply_sync,
    now_utc,
    plan_sync,
    render_signature,
)
from g40cal.state import State


def personal_feed_specs(project: Project, state: State, *, complete: bool = True,
                        reshaped: Iterable[str] = ()) -> PersonalFeeds:
    """The personal feeds a sync looks at: all, or (not ``complete``) those of participants
    changed since the last sync and of the registrants of the ``reshaped`` programmes."""
    personal = personal_audience(project, state, complete=complete, programmes=reshaped)
    exists = personal.specs or project.config.private_path.is_dir()
    if exists and (problem := private_folder_problem(project.config)):
        # Never write personal feeds where git (or the public folder) could pick them up,
        # nor into a folder g40cal did not make — checked on every sync, also when none of
        # them changes this time.
        raise UserError(problem.message, [problem])
    if personal.specs:
        prepare_private_folder(project.config.private_path)
    return personal


def current_sources(project: Project) -> dict[str, Any]:
    """What the definitions are, recorded with a sync so the next one can compare: the
    context (settings, groups, version), each file's hash and each day's audience shape."""
    return {"context": project.context, "programmes": project.sources,
            "audiences": {p.id: audience_signature(p) for p in project.programmes}}


def recorded_sources(state: State) -> dict[str, Any]:
    try:
        recorded = json.loads(state.meta("sources") or "{}")
    except ValueError:
        return {}
    return recorded if isinstance(recorded, dict) else {}


def _differing(before: dict[str, str], now: dict[str, str]) -> frozenset[str]:
    return frozenset(k for k in set(before) | set(now) if before.get(k) != now.get(k))


# pages.py pulls in Jinja2 and zxing-cpp: imported where pages are built, so that an unchanged
# sync (unchanged_since_last_sync) starts and answers without them.


def site_builder() -> SiteBuilder:
    from g40cal.web.pages import build_site

    return build_site


def personal_page(project: Project, events: dict[str, Event], spec: FeedSpec,
                  previous: bytes | None) -> bytes:
    from g40cal.web.pages import build_personal_page

    return build_personal_page(project, events, spec, project.config, previous)


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


def unchanged_since_last_sync(config: Config, state: State, now: datetime,
                              fingerprint: str | None = None) -> bool:
    """True when the inputs equal those of the last complete sync and nothing expires.

    ``fingerprint``: ``input_fingerprint`` if the caller took it already (it passes the same
    one to ``prepare_sync``). A run that died halfway never recorded its fingerprint, so
    it is never skipped.
    """
    recorded = state.meta("input_fingerprint")
    if recorded is None or not (config.feeds_path / "index.json").exists():
        return False
    expiry = state.meta("next_expiry")
    if expiry and now >= datetime.fromisoformat(expiry):
        return False
    if recorded != (fingerprint or input_fingerprint(config, state)):
        return False
    if config.private_path.is_dir() and (
            state.meta("private_folder") != folder_stamp(config.private_path)):
        return False  # personal feed files came or went: look whose they are
    # The privacy guards are never skipped: the full path explains what is wrong.
    if layout_problems(config):
        return False
    return not (config.private_path.is_dir() and private_folder_problem(config) is not None)


def prepare_sync(project: Project, state: State, *, now: datetime | None = None,
                 dry_run: bool = False, verify: bool = False,
                 fingerprint: str | None = None) -> tuple[SyncPlan, list[str]]:
    """Plan a sync; recover the state from the published feeds first if it was lost.

    ``fingerprint``: the inputs' ``input_fingerprint`` taken before ``project`` was loaded
    (taken here when not given). Recorded with the sync, it must not describe newer files
    than those loaded: a definition edited while this sync runs must not look synced.
    """
    project.raise_on_errors()  # before anything touches the state
    check_layout(project.config)  # nothing personal where it would be published
    notes: list[str] = []
    if state.is_empty():
        recovered = rebuild_state(project.config, state)
        if recovered:
            notes.append(f"The state database was empty: recovered {recovered.events} events "
                         f"from {recovered.feeds} published feeds, so no subscriber goes back.")
    now = now or now_utc()
    fingerprint = fingerprint or input_fingerprint(project.config, state)
    recorded, current = recorded_sources(state), current_sources(project)
    same_context = recorded.get("context") == current["context"]
    # Every personal feed with --full, after an upgrade or a changed setting or group
    # registry, and when the last sync's sources are unknown.
    complete = (verify or not same_context
                or state.meta("render_signature") != render_signature(project.config))
    personal = personal_feed_specs(
        project, state, complete=complete,
        reshaped=_differing(recorded.get("audiences", {}), current["audiences"]))
    # Programmes whose file changed get their pages rendered; unknown: every page.
    edited = _differing(recorded.get("programmes", {}), current["programmes"]) \
        if same_context else None
    if verify:  # a sync that died while staging left files under temporary names
        for folder in (project.config.feeds_path, project.config.private_path):
            sweep_staged(folder)
    # A dry run only counts; a real one stages the new files as it plans them.
    stager = None if dry_run else Stager()
    # The loaded definitions are long-lived: the collector need not scan them over and
    # over while the plan allocates (a tenth of the time of a small sync).
    gc.freeze()
    try:
        plan = plan_sync(project, state, now=now, personal=personal, site=site_builder(),
                         personal_page=personal_page, verify=verify, stager=stager,
                         keep_bytes=False, edited=edited)
    except BaseException:
        if stager is not None:
            stager.discard()
        raise
    finally:
        gc.unfreeze()
    plan.fingerprint = fingerprint
    plan.sources = json.dumps(current, sort_keys=True)
    _unowned_private_files(project.config, state, plan, notes, remove=verify)
    return plan, notes


def _unowned_private_files(config: Config, state: State, plan: SyncPlan, notes: list[str], *,
                           remove: bool) -> None:
    """Say which personal feed files no participant owns; a --full sync removes them.

    The folder is listed only when files came or went since the last sync found none
    (its stamp, recorded then) — or the state that recorded it was lost or replaced."""
    stamp = folder_stamp(config.private_path)
    if stamp is None:
        return
    if not remove and state.meta("private_folder") == stamp:
        plan.private_checked = True  # known clean; this sync's own files are all owned
        return
    planned = {relative for area, relative in plan.removals if area == "private"}
    orphans = [n for n in orphan_private_files(config, state) if n not in planned]
    plan.private_checked = not orphans  # recorded once applied: no need to look again
    if not orphans:
        return
    notes.append(orphans_text(config, orphans, removing=remove))
    if remove:
        plan.orphans = orphans
        plan.removals += [("private", name) for name in orphans]


def run_sync(project: Project, state: State, *, now: datetime | None = None,
             verify: bool = False) -> SyncResult:
    """Plan and apply a sync in one hold of the project lock (``lock.py``)."""
    with project_lock(state.path, "sync"):
        plan, _ = prepare_sync(project, state, now=now, verify=verify)
        try:
            return apply_sync(plan, state, project.config)
        finally:
            plan.discard()  # whatever was not committed

"""``g40cal sync``: diff the definitions against the published state, publish real changes.

Two phases, like vdirsyncer: ``plan_sync`` is pure (it reads the state and computes every
event decision, every feed's bytes and every change), ``apply_sync`` executes a plan:

1. record the new state in one transaction (events, feeds, per-feed deviations, the log);
2. write the feed files whose bytes changed, each atomically;
3. record what was written (hash, size, mtime) in the ``files`` table.

If a run dies after 1 and before 3, the next run finds a feed whose file does not match
the recorded state and rewrites it from the state — the same bytes, without bumping any
SEQUENCE a second time. If it dies before 1, nothing was published and the next run
starts over. Either way every file on disk is always a complete old or new version.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from g40cal import __version__
from g40cal.config import Config
from g40cal.definitions.project import Project
from g40cal.errors import StalePlan
from g40cal.layout import folder_stamp
from g40cal.lock import project_lock
from g40cal.publishing.diff import (
    ChangeSet,
    EventChange,
    RenameHint,
    decide_event,
    decide_missing,
    likely_renames,
)
from g40cal.publishing.events import Event
from g40cal.publishing.feeds import (
    FeedSpec,
    PageScope,
    PersonalFeeds,
    index_json,
    public_feeds,
    uid_for,
)
from g40cal.publishing.ical import (
    RENDER_VERSION,
    RenderedEvent,
    assemble_calendar,
    fold,
    previous_vevents,
    render_event,
)
from g40cal.publishing.publish import Stager, atomic_write, fsync_dir, read_intact, remove_file
from g40cal.state import EventHead, EventRow, FeedRow, FileRow, MemberRow, State

# Extra public files (web pages) made from the same inputs; see ``pages.py``. Its last
# arguments: events gone from the definitions whose cancellation is still announced, and
# which pages to render (None: all).
SiteBuilder = Callable[[Project, dict[str, Event], list[FeedSpec], list[Event],
                        PageScope | None], dict[str, bytes]]
# A participant's own page, written next to their personal feed (``<token>.html``).
# (project, events, spec, the page as last published if intact) → the page's bytes
PersonalPage = Callable[[Project, dict[str, Event], FeedSpec, bytes | None], bytes]


# A sync without participants: any personal feed in the state goes.
NO_PERSONAL_FEEDS = PersonalFeeds()


@dataclass(frozen=True)
class FeedOutput:
    spec: FeedSpec
    data: bytes | None  # None: nothing it depends on changed, so it was not rendered
    hash: str
    keys: frozenset[str]
    changed: bool  # content differs from what the state says was published
    old_keys: frozenset[str] | None = None  # what the state held (None: unknown or new)
    rendered: bool = False  # rendered in this sync (its bytes went to a FileWrite, if any)


@dataclass(frozen=True)
class FileWrite:
    """A file to (re)write: ``area`` is "public" (feeds/) or "private" (personal feeds).

    Its bytes are in ``data``, or staged under a temporary name (``staged``), or neither
    (a dry run's plan, which is never applied)."""

    area: str
    relative: str
    data: bytes | None
    hash: str
    staged: Path | None = None
    on_disk: bool = False  # the file already holds these bytes: only record it


@dataclass
class SyncPlan:
    now: datetime
    changes: ChangeSet
    event_rows: dict[str, EventRow]
    dropped: list[str]
    feeds: list[FeedOutput]
    removed_feeds: list[FeedRow]
    member_puts: list[MemberRow]
    member_deletes: list[tuple[str, str]]
    writes: list[FileWrite]
    removals: list[tuple[str, str]]  # (area, relative) files to delete
    repairs: list[str] = field(default_factory=list)  # files that did not match the state
    stale_rows: int = 0  # state rows to refresh without any change for subscribers
    new_signature: str | None = None  # render signature to record (it changed)
    fingerprint: str | None = None  # inputs of this plan, recorded once all is written
    dirty: frozenset[str] = frozenset()  # events whose state row differs from the stored one
    participants_version: int = 0  # participant changes up to this are published with it
    sources: str | None = None  # the definitions' hashes (JSON), recorded once all is written
    stager: Stager | None = None  # holds the staged files until applied or discarded
    generation: int | None = None  # the state's generation it was made from (see State)
    orphans: list[str] = field(default_factory=list)  # private files nobody owns (removed)
    private_checked: bool = False  # no such file: record the private folder's stamp

    def discard(self) -> None:
        """Remove the staged files of a plan that will not be applied (a no, an error)."""
        if self.stager is not None:
            self.stager.discard()

    @property
    def has_changes(self) -> bool:
        return bool(self.changes.changes or self.dropped or self.removed_feeds
                    or any(f.changed for f in self.feeds))

    def changed_rows(self) -> list[EventRow]:
        """Only these need writing: every other row equals the stored one."""
        return [self.event_rows[k] for k in sorted(self.dirty) if k in self.event_rows]

    @property
    def changed_feeds(self) -> list[FeedOutput]:
        return [f for f in self.feeds if f.changed]


@dataclass(frozen=True)
class SyncResult:
    plan: SyncPlan
    written: list[str]
    removed: list[str]
    run_id: int | None


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def plan_sync(project: Project, state: State, *, now: datetime,
              personal: PersonalFeeds = NO_PERSONAL_FEEDS, site: SiteBuilder | None = None,
              personal_page: PersonalPage | None = None, verify: bool = False,
              stager: Stager | None = None, keep_bytes: bool = True,
              edited: frozenset[str] | None = None) -> SyncPlan:
    """Compute everything a sync would do, without publishing anything.

    The work follows the change: events are compared by their stored hashes, only the
    feeds that hold a changed event (found through the state's ``feed_keys`` index) or
    whose audience changed are rendered, and only their files are looked at.

    The bytes of the files to write are staged by ``stager`` (under temporary names,
    committed by ``apply_sync``), kept in the plan (``keep_bytes``), or dropped after
    hashing (a dry run: the plan then cannot be applied).

    ``edited``: the programmes whose definition files changed since the last sync (None:
    unknown), whose pages are rendered along with those of every changed event.
    """
    project.raise_on_errors()
    generation = state.generation()  # the plan applies only to this state
    config = project.config
    events = project.events
    signature = render_signature(config)
    everything_dirty = state.meta("render_signature") != signature
    rows, changes, dropped, dirty, stale_rows, touched_groups = _plan_events(project, state,
                                                                             now)

    specs = public_feeds(project, events)
    old_feeds = state.feeds(private=False)
    members = state.members()
    removed_feeds, personal_specs = _personal_work(personal, state, old_feeds, dirty,
                                                   members)
    specs += personal_specs
    spec_ids = {s.id for s in specs}
    for row in list(old_feeds.values()):
        if row.feed_id not in spec_ids and not row.private:
            # A programme or group disappeared: announce its cancellations, keep the URL.
            specs.append(FeedSpec(row.feed_id, row.kind, row.name, row.description, row.path,
                                  row.uid_scope, frozenset(), row.programme, row.private))
    left_feeds = {feed_id for (feed_id, _), member in members.items() if member.left}
    retention = config.cancelled_retention_days * 86400
    new_events = frozenset(c.key for c in changes.changes if c.change == "added")
    # A --full run renders every feed whole: it is the yardstick the spliced feeds equal.
    renderer = _FeedRenderer(project, rows, members, now, new_events, dirty,
                             splice=not (verify or everything_dirty))
    files = state.files(_file_key(_area(s), s.path) for s in specs)
    # A re-rendered personal page shows its old QR code again (the same address): only
    # when the old page is intact and rendered the same way (not --full, same version).
    reuse_pages = personal_page is not None and not (verify or everything_dirty)
    if reuse_pages:
        files.update(state.files(_file_key("private", page_path(s.path))
                                 for s in personal_specs))
    out = _Writes(config, stager, keep_bytes, listed=len(specs) > LISTED_WRITES)
    outputs: list[FeedOutput] = []
    member_puts: list[MemberRow] = []
    member_deletes: list[tuple[str, str]] = []
    repairs: list[str] = []
    for spec in specs:
        # Taken out as it is used: a first sync after an upgrade holds 50,000 stored feeds.
        old = old_feeds.pop(spec.id, None)
        if old and not everything_dirty and _is_clean(spec, old, dirty, rows, members,
                                                      left_feeds, now, retention):
            output = FeedOutput(spec, None, old.hash, old.keys, False)
        else:
            output, puts, deletes, feed_changes = renderer.plan(spec, old)
            member_puts += puts
            member_deletes += deletes
            changes.changes += feed_changes
        repair = _feed_file(output, files.get(_file_key(_area(spec), spec.path)), config,
                            lambda spec=spec, old=old: renderer.output(spec, old), verify, out)
        if repair:
            repairs.append(_file_key(_area(spec), spec.path))
        if personal_page is not None and spec.private:
            known = files.get(_file_key("private", page_path(spec.path))) \
                if reuse_pages else None
            _personal_page(project, events, output, personal_page, config, verify, out,
                           known)
        # The bytes are written (or staged): keep only what the state records.
        outputs.append(replace(output, data=None, rendered=output.data is not None))

    removals = [(_area_of(row), row.path) for row in removed_feeds.values()]
    removals += [("private", page_path(row.path)) for row in removed_feeds.values()
                 if row.private]
    public_specs = [s for s in specs if not s.private]
    extra = {"index.json": index_json(public_specs, config)}
    if site is not None:
        removed = [r.event for _, r in sorted(rows.items()) if r.removed]
        scope = None if edited is None or everything_dirty or verify else _page_scope(
            project, edited, dirty, touched_groups)
        extra.update(site(project, events, public_specs, removed, scope))
    for relative, data in sorted(extra.items()):
        out.add("public", relative, data, record_same=False)
    if stager is not None:
        stager.wait()
    return SyncPlan(now, changes, rows, dropped, outputs, list(removed_feeds.values()),
                    member_puts, member_deletes, out.writes, removals, repairs, stale_rows,
                    signature if everything_dirty else None, dirty=frozenset(dirty),
                    participants_version=personal.version, stager=stager,
                    generation=generation)


# A plan over this many feeds (a first or --full sync of a network) lists each output folder
# once instead of trying to open every file it writes: at 100,000 mostly new files the
# failed opens, in folders other threads are writing to, cost seconds.
LISTED_WRITES = 1000


class _Writes:
    """The files a plan writes: staged at once, kept in memory, or only counted."""

    def __init__(self, config: Config, stager: Stager | None, keep_bytes: bool, *,
                 listed: bool = False) -> None:
        self.config, self.stager, self.keep_bytes = config, stager, keep_bytes
        self.writes: list[FileWrite] = []
        # Names in each folder when first written to (staged files get temporary names).
        self._listings: dict[Path, frozenset[str]] | None = {} if listed else None

    def _may_exist(self, path: Path) -> bool:
        if self._listings is None:
            return True
        names = self._listings.get(path.parent)
        if names is None:
            try:
                names = frozenset(os.listdir(path.parent))
            except OSError:
                names = frozenset()
            self._listings[path.parent] = names
        return path.name in names

    def add(self, area: str, relative: str, data: bytes, digest: str | None = None, *,
            record_same: bool = True, current: bytes | None = None) -> bool:
        """Write ``data`` unless the file holds it already (then, with ``record_same``,
        only record it: a feed written by a run that died before recording it); True when
        it is to be written. ``current``: the file's bytes, if the caller read them."""
        digest = digest or content_hash(data)
        path = _root(self.config, area) / relative
        same = data == current if current is not None else (
            self._may_exist(path) and not _differs(path, data))
        if same:
            if record_same:
                self.writes.append(FileWrite(area, relative, None, digest, on_disk=True))
            return False
        staged = None
        if self.stager is not None:
            staged = self.stager.stage(path, data, _MODES[area])
        kept = data if self.keep_bytes and staged is None else None
        self.writes.append(FileWrite(area, relative, kept, digest, staged))
        return True


def _plan_events(project: Project, state: State, now: datetime):
    """Every event's new state row, the changes, the dropped events and the dirty keys
    (whose row differs from the stored one). Stored content is decoded only for events
    whose hashes differ and for events gone from the definitions."""
    config = project.config
    events = project.events
    heads = state.event_heads()
    unchanged = {key for key, event in events.items()
                 if (head := heads.get(key)) is not None and _same(event, head)}
    stored = state.events([k for k in heads if k not in unchanged])
    changes = ChangeSet()
    rows: dict[str, EventRow] = {}
    dirty: set[str] = set()
    stale_rows = 0  # unchanged events whose stored copy differs (e.g. after a rebuild)
    for key, event in events.items():
        if key in unchanged:
            head = heads[key]
            rows[key] = EventRow(key, head.sig, head.full, head.sequence, head.modified,
                                 head.status, False, event.ends_at, event)
            if head.digest != event.digest:
                stale_rows += 1
                dirty.add(key)
            continue
        old = stored.get(key)
        decision = decide_event(event, old, now)
        rows[key] = decision.row
        if decision.change:
            changes.changes.append(decision.change)
        if decision.row != old:
            dirty.add(key)
            if not decision.change:
                stale_rows += 1
    dropped: list[str] = []
    for key, old in sorted(stored.items()):
        if key in events:
            continue
        decision = decide_missing(old, now, config.cancelled_retention_days)
        if decision is None:
            dropped.append(key)
            dirty.add(key)
            changes.changes.append(EventChange(key, old.event.programme_id, old.event.item_id,
                                               old.event.title, "dropped", old.sequence))
            continue
        rows[key] = decision.row
        if decision.change:
            changes.changes.append(decision.change)
            dirty.add(key)
        elif decision.row != old:  # recorded, with nothing new for subscribers
            dirty.add(key)
            stale_rows += 1
    changes.renames = _renames(changes, events, stored)
    # Groups whose pages show a changed event: before (a group it left) and after.
    groups = {g for k in dirty for r in (rows.get(k), stored.get(k)) if r
              for g in r.event.group_ids}
    return rows, changes, dropped, dirty, stale_rows, groups


def _page_scope(project: Project, edited: frozenset[str], dirty: set[str],
                groups: set[str]) -> PageScope:
    """The public pages to render: of edited programmes, of changed events' programmes and
    groups, and any page whose file is missing."""
    feeds = project.config.feeds_path
    programmes = set(edited) | {k.split("/", 1)[0] for k in dirty}
    programmes |= {p.id for p in project.programmes
                   if not (feeds / "programmes" / f"{p.id}.html").exists()}
    groups = set(groups) | {g.id for g in project.registry.groups
                            if not (feeds / "groups" / f"{g.id}.html").exists()}
    return PageScope(frozenset(programmes), frozenset(groups))


def _same(event: Event, head: EventHead) -> bool:
    """The event is what was published: same hashes, status, and not coming back."""
    return (event.hashes() == (head.sig, head.full) and not head.removed
            and head.status == ("cancelled" if event.cancelled else "active"))


def _personal_work(personal: PersonalFeeds, state: State, old_feeds: dict[str, FeedRow],
                   dirty: set[str], members: dict[tuple[str, str], MemberRow],
                   ) -> tuple[dict[str, FeedRow], list[FeedSpec]]:
    """The personal feeds to look at, and those to remove; ``old_feeds`` gains their rows.

    Complete: every participant's feed, and every other stored personal feed goes.
    Otherwise: the given (changed) participants' feeds, plus the stored feeds that hold a
    changed event or announce a choice someone dropped (their audience is unchanged, so
    their spec comes from the state), and the feeds whose owner is gone.
    """
    specs = list(personal.specs)
    if personal.complete:
        stored = state.feeds(private=True)
        old_feeds.update(stored)
        ids = {s.id for s in specs}
        return {i: r for i, r in stored.items() if i not in ids}, specs
    ids = {s.id for s in specs}
    removed = {i: r for i, r in state.feeds(personal.gone).items() if i not in ids}
    holders = state.feeds_holding(dirty) if dirty else set()
    holders |= {feed_id for (feed_id, _), member in members.items() if member.left}
    wanted = (ids | holders) - set(removed) - set(old_feeds)
    stored = state.feeds(wanted)
    old_feeds.update(stored)
    specs += [_spec_from_row(row, members) for feed_id, row in sorted(stored.items())
              if row.private and feed_id not in ids]
    return removed, specs


def _spec_from_row(row: FeedRow, members: dict[tuple[str, str], MemberRow]) -> FeedSpec:
    """A feed's audience as last published: what it holds, less what left it."""
    keys = frozenset(k for k in row.keys
                     if not ((m := members.get((row.feed_id, k))) and m.left))
    return FeedSpec(row.feed_id, row.kind, row.name, row.description, row.path,
                    row.uid_scope, keys, row.programme, row.private)


def render_signature(config: Config) -> str:
    """What shapes every feed besides its events: code version and feed-wide settings."""
    return f"{__version__}/{RENDER_VERSION}/{config.uid_domain}/{config.refresh_minutes}"


def _is_clean(spec: FeedSpec, old: FeedRow, dirty: set[str], rows: dict[str, EventRow],
              members: dict[tuple[str, str], MemberRow], left_feeds: set[str],
              now: datetime, retention: int) -> bool:
    """True when nothing this feed depends on changed since it was published."""
    if (old.name, old.description, old.uid_scope, old.path) != (
            spec.name, spec.description, spec.uid_scope, spec.path):
        return False
    if not spec.keys <= old.keys or not dirty.isdisjoint(old.keys):
        return False
    if spec.id in left_feeds and any(
            (m := members.get((spec.id, key))) and m.left for key in spec.keys):
        return False  # an event comes back into this feed
    for key in old.keys - spec.keys:  # kept only to announce a cancellation
        row = rows.get(key)
        if row is None:
            return False
        if row.status == "active":
            member = members.get((spec.id, key))
            if not (member and member.left):
                return False  # it leaves this feed now
            if (now - row.ends_at).total_seconds() > retention:
                return False  # its announcement expires now
    return True


def page_path(feed_path: str) -> str:
    return feed_path.removesuffix(".ics") + ".html"


def _personal_page(project: Project, events: dict[str, Event], output: FeedOutput,
                   personal_page: PersonalPage, config: Config, verify: bool,
                   out: _Writes, known: FileRow | None) -> None:
    """The page of a personal feed that was re-rendered (with ``verify``: or whose page
    is missing — looking at 50,000 files on every run would cost seconds). ``known``: the
    page as recorded, when its old bytes may be reused."""
    if output.data is None and not verify:
        return  # nothing it shows changed
    relative = page_path(output.spec.path)
    path = config.private_path / relative
    if output.data is None and path.exists():
        return
    previous = read_intact(path, known.hash) if known is not None else None
    out.add("private", relative, personal_page(project, events, output.spec, previous),
            record_same=False, current=previous)


def _renames(changes: ChangeSet, events: dict[str, Event],
             stored: dict[str, EventRow]) -> list[RenameHint]:
    added = [events[c.key] for c in changes.changes if c.change == "added"]
    removed = [stored[c.key].event for c in changes.changes
               if c.change == "cancelled" and c.key not in events and c.key in stored]
    return likely_renames(added, removed)


# Feeds with at least this many events are spliced from their previous file when that file
# is intact: reusing the bytes of every event whose row did not change costs a fraction of
# rendering them all (the network feed holds every event of every network day).
SPLICE_MIN_EVENTS = 500


class _FeedRenderer:
    """Plans one feed at a time; each event's shared lines are rendered once per sync."""

    def __init__(self, project: Project, rows: dict[str, EventRow],
                 members: dict[tuple[str, str], MemberRow], now: datetime,
                 new_events: frozenset[str], dirty: set[str], *, splice: bool) -> None:
        self.project, self.rows, self.members, self.now = project, rows, members, now
        self.new_events = new_events
        self.rendered: dict[str, RenderedEvent] = {}
        self.retention = project.config.cancelled_retention_days * 86400
        self.dirty = dirty
        self.splice = splice

    def output(self, spec: FeedSpec, old: FeedRow | None = None) -> FeedOutput:
        return self.plan(spec, old)[0]

    def _previous(self, spec: FeedSpec, old: FeedRow | None,
                  size: int) -> dict[bytes, bytes] | None:
        if not self.splice or old is None or size < SPLICE_MIN_EVENTS:
            return None
        return previous_vevents(_root(self.project.config, _area(spec)) / spec.path, old.hash)

    def _rendered(self, key: str, row: EventRow) -> RenderedEvent:
        found = self.rendered.get(key)
        if found is None:
            current = self.project.events.get(key)
            found = (self.project.rendered(key) if current is row.event
                     else render_event(row.event))
            self.rendered[key] = found
        return found

    def plan(self, spec: FeedSpec, old: FeedRow | None):
        config = self.project.config
        rows, members, now = self.rows, self.members, self.now
        keys = set(spec.keys) | (set(old.keys) if old else set())
        puts: list[MemberRow] = []
        deletes: list[tuple[str, str]] = []
        feed_changes: list[EventChange] = []
        entries: list[tuple[datetime, str, bytes]] = []
        kept: set[str] = set()
        previous = self._previous(spec, old, len(keys))
        for key in sorted(keys):
            row = rows.get(key)
            if row is None:  # dropped for good
                if (spec.id, key) in members:
                    deletes.append((spec.id, key))
                continue
            member = members.get((spec.id, key))
            left = moved = False  # moved: it joins or leaves this feed in this sync
            if key in spec.keys:
                if member and member.left:  # came back into this feed
                    member = MemberRow(spec.id, key, member.bump + 1, False, now)
                    puts.append(member)
                    moved = True
                    feed_changes.append(_feed_change(row, spec, "restored", member))
                elif old is not None and key not in old.keys and key not in self.new_events:
                    # An existing event joins this feed (a new organiser, a new choice).
                    feed_changes.append(_feed_change(row, spec, "added", member))
            elif row.status == "active":  # still on the programme, but no longer in this feed
                if (now - row.ends_at).total_seconds() > self.retention:
                    if member:
                        deletes.append((spec.id, key))
                    continue
                left = True
                if not (member and member.left):
                    member = MemberRow(spec.id, key, (member.bump if member else 0) + 1, True,
                                       now)
                    puts.append(member)
                    moved = True
                    feed_changes.append(_feed_change(row, spec, "cancelled", member))
            uid = uid_for(key, spec.uid_scope, config)
            vevent: bytes | None = None
            if previous is not None and not moved and key not in self.dirty:
                # Neither its state row nor its place in this feed changed: the previous
                # file holds exactly the lines it would render to (a miss just renders).
                vevent = previous.get(fold("UID:" + uid).encode())
            if vevent is None:
                sequence = row.sequence + (member.bump if member else 0)
                modified = max(row.modified, member.modified) if member else row.modified
                cancelled = left or row.status == "cancelled"
                vevent = self._rendered(key, row).vevent(uid, sequence, modified,
                                                         cancelled=cancelled).encode()
            entries.append((row.event.start, key, vevent))
            kept.add(key)
        entries.sort()
        data = assemble_calendar(spec.name, spec.description, [e[2] for e in entries],
                                 config.refresh_minutes)
        digest = content_hash(data)
        # The spec's own set when equal (the usual case): one set per feed, not two.
        held = spec.keys if kept == spec.keys else frozenset(kept)
        same_keys = old is not None and old.keys == held
        changed = old is None or old.hash != digest or not same_keys
        old_keys = None if old is None else held if same_keys else old.keys
        return (FeedOutput(spec, data, digest, held, changed, old_keys), puts, deletes,
                feed_changes)


def _feed_change(row: EventRow, spec: FeedSpec, kind: str,
                 member: MemberRow | None) -> EventChange:
    event = row.event
    bump = member.bump if member else 0
    return EventChange(row.key, event.programme_id, event.item_id, event.title,
                       kind, row.sequence + bump, feed=spec.id)  # type: ignore[arg-type]


def _area(spec: FeedSpec) -> str:
    return "private" if spec.private else "public"


def _area_of(row: FeedRow) -> str:
    return "private" if row.private else "public"


# Personal files are the participant's alone; public ones are served to everyone.
_MODES = {"private": 0o600, "public": 0o644}


def _root(config: Config, area: str) -> Path:
    return config.private_path if area == "private" else config.feeds_path


def _file_key(area: str, relative: str) -> str:
    return f"{area}:{relative}"


def _differs(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() != data
    except OSError:
        return True


def _feed_file(output: FeedOutput, known: FileRow | None, config: Config,
               render: Callable[[], FeedOutput], verify: bool, out: _Writes) -> bool:
    """Write the feed's file if it changed, or if it does not match the state; True when
    the write repairs a file the state did not expect.

    A run that died before writing a file left its recorded hash behind, which is caught
    here for every feed looked at. A public feed changed or deleted by hand is caught too;
    for the personal feeds, which can be 100,000 files, only with ``verify`` (``sync
    --full``): checking them all on every run would cost seconds.
    """
    area = _area(output.spec)
    if output.changed or known is None or known.hash != output.hash:
        out.add(area, output.spec.path, _data(output, render), output.hash)
        return not output.changed
    if not verify and output.data is None and output.spec.private:
        return False
    path = _root(config, area) / output.spec.path
    try:
        stat = path.stat()
    except OSError:
        stat = None
    moved = stat is None or (stat.st_size, stat.st_mtime_ns) != (known.size, known.mtime_ns)
    # Someone (or a crash) changed the file behind our back: put it right.
    return moved and out.add(area, output.spec.path, _data(output, render), output.hash,
                             record_same=False)


def _data(output: FeedOutput, render: Callable[[], FeedOutput]) -> bytes:
    if output.data is not None:
        return output.data
    data = render().data
    assert data is not None  # rendering always yields bytes
    return data


def apply_sync(plan: SyncPlan, state: State, config: Config,
               progress: Callable[[str], None] | None = None) -> SyncResult:
    """Execute ``plan``, holding the project lock (``lock.py``). Raises ``StalePlan``
    (and changes nothing) when the state is no longer the one the plan was made from:
    another g40cal published, or rotated or removed a participant, since."""
    with project_lock(state.path, "sync"):
        if plan.generation is not None and state.generation() != plan.generation:
            raise StalePlan("the state changed since this sync was planned (another g40cal "
                            "wrote to it): plan again")
        return _apply(plan, state, config, progress)


def _apply(plan: SyncPlan, state: State, config: Config,
           progress: Callable[[str], None] | None) -> SyncResult:
    run_id = None
    with state.transaction():  # this run is incomplete until its files are recorded
        state.delete_meta("input_fingerprint")
    if (plan.stale_rows or plan.new_signature) and not plan.has_changes:
        with state.transaction():
            for row in plan.changed_rows():
                state.put_event(row)
            if plan.new_signature:
                state.put_meta("render_signature", plan.new_signature)
    if plan.has_changes:
        with state.transaction():
            for key in plan.dropped:
                state.delete_event(key)
            for row in plan.changed_rows():
                state.put_event(row)
            for feed_id, key in plan.member_deletes:
                state.delete_member(feed_id, key)
            for member in plan.member_puts:
                state.put_member(member)
            for feed in plan.removed_feeds:
                state.delete_feed(feed.feed_id)
            for output in plan.feeds:
                if output.changed:
                    spec = output.spec
                    state.put_feed(FeedRow(spec.id, spec.kind, spec.name, spec.description,
                                           spec.path, spec.private, spec.uid_scope,
                                           spec.programme, output.hash, output.keys),
                                   output.old_keys)
            if plan.new_signature:
                state.put_meta("render_signature", plan.new_signature)
            run_id = state.add_run(plan.now, summarise(plan),
                                   [f.spec.id for f in plan.changed_feeds if not f.spec.private],
                                   [(c.programme, c.item, c.feed, c.change,
                                     {"sequence": c.sequence,
                                      "fields": [[f.field, f.old, f.new] for f in c.fields]})
                                    for c in plan.changes.changes])
    written: list[str] = []
    recorded: list[FileRow] = []
    folders: set[Path] = set()
    for number, write in enumerate(plan.writes, start=1):
        path = _root(config, write.area) / write.relative
        # Every write was compared with its file when planned: identical bytes are only
        # recorded (``on_disk``), so they keep their mtime (and ETag).
        if write.staged is not None:
            assert plan.stager is not None
            plan.stager.commit(write.staged, path)
            folders.add(path.parent)
            written.append(str(path))
        elif write.data is not None:
            atomic_write(path, write.data, mode=_MODES[write.area])
            written.append(str(path))
        elif not write.on_disk:
            raise ValueError("a dry run's plan cannot be applied")
        stat = path.stat()
        recorded.append(FileRow(_file_key(write.area, write.relative), write.hash,
                                stat.st_size, stat.st_mtime_ns))
        if progress and number % 500 == 0:
            progress(f"wrote {number}/{len(plan.writes)} files")
    for folder in sorted(folders):  # the renames are durable before the state says so
        fsync_dir(folder)
    removed: list[str] = []
    for area, relative in plan.removals:
        path = _root(config, area) / relative
        if remove_file(path):
            removed.append(str(path))
    with state.transaction():
        for row in recorded:
            state.put_file(row)
        for area, relative in plan.removals:
            state.delete_file(_file_key(area, relative))
        state.forget_participant_changes(plan.participants_version)
        if plan.sources:
            state.put_meta("sources", plan.sources)
        if plan.private_checked or plan.orphans:  # every file there has its participant
            stamp = folder_stamp(config.private_path)
            if stamp:
                state.put_meta("private_folder", stamp)
        if plan.fingerprint:
            state.put_meta("input_fingerprint", plan.fingerprint)
            expiry = next_expiry(state, config.cancelled_retention_days)
            state.put_meta("next_expiry", expiry.isoformat() if expiry else "")
    return SyncResult(plan, written, removed, run_id)


def next_expiry(state: State, retention_days: int) -> datetime | None:
    """When the next kept cancellation runs out (and a sync must drop it)."""
    ends = [datetime.fromisoformat(r[0]) for r in state.db.execute(
        "SELECT ends_at FROM events WHERE removed = 1 UNION ALL SELECT e.ends_at FROM "
        "feed_members m JOIN events e ON e.key = m.key WHERE m.left = 1")]
    if not ends:
        return None
    return min(ends) + timedelta(days=retention_days, seconds=1)


def summarise(plan: SyncPlan) -> dict[str, int]:
    counts: dict[str, int] = {}
    for change in plan.changes.changes:
        name = change.change if change.feed is None else f"feed-{change.change}"
        counts[name] = counts.get(name, 0) + 1
    counts["feeds_changed"] = len(plan.changed_feeds)
    return counts

"""``g40cal push``: put published feeds into CalDAV calendars — plan, then execute, safely.

What is pushed is what was published: the feed's events are re-rendered from the state
database exactly as ``sync`` rendered them (same SEQUENCE, LAST-MODIFIED, STATUS; a
cancelled item is pushed as STATUS:CANCELLED), one calendar object per event, with UIDs
scoped to the target (``dav-<target>``) so the same session in two calendars of one
account has two UIDs (servers refuse a UID twice in a calendar home, CLIENTS.md §4).

Rules (CLIENTS.md §8):

* Only changes travel. Per target and UID the state keeps the href, the hash of the bytes
  last sent, a fingerprint of what the server holds and its ETag. An unchanged event
  sends nothing; a push without changes is one PROPFIND.
* Never clobber. Create with ``If-None-Match: *``, update and delete with ``If-Match``. An
  object whose ETag is not the one recorded was changed by someone else: it is reported
  as a conflict and left alone unless ``--force``. Objects g40cal did not create are never
  changed or deleted; deleting is only for g40cal's own objects (an event dropped from
  the feed after its retention), always with ``If-Match``.
* One UID, one object. Before creating, the UIDs of the objects g40cal did not create are
  read (one calendar-multiget; none when there are no such objects): a UID another object
  already holds is a conflict, since some servers (SabreDAV, DAViCal) accept a duplicate.
* SEQUENCE never goes down. ``--force`` over a copy with a higher SEQUENCE sends that
  SEQUENCE + 1; the difference is kept per object (``sequence_offset``) for later versions.
* Never lose track. Before a request is sent its row is marked *pending* in the state;
  the answer clears it. A push that dies half-way (server gone, g40cal killed) leaves
  pending rows, which the next push checks against the server (is the object there, is
  it what we sent?) before planning — so state matches what the server really holds and
  nothing is created twice.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from g40cal.caldav.client import (
    Collection,
    DavAuthError,
    DavClient,
    DavConflict,
    DavError,
    DavForbidden,
    DavNotForEvents,
    DavNotFound,
    DavServerError,
    DavUidConflict,
    DavUnreachable,
    NotACalendar,
    collection_url,
    fingerprint,
    normalise_path,
    sequence_of,
    summary_of,
    uid_of,
)
from g40cal.config import CaldavTarget, Config
from g40cal.credentials import is_this_machine, lookup_password
from g40cal.errors import G40Error, UserError
from g40cal.publishing.feeds import uid_for
from g40cal.publishing.ical import (
    CANCELLED_PREFIX,
    RenderedEvent,
    render_calendar,
    render_event,
    render_object,
)
from g40cal.state import EventRow, State

ActionKind = Literal["create", "update", "delete"]
CONFIRM_EVERY = 50  # confirmations are committed in batches: one fsync per object is slow
CONFIRM_SECONDS = 1.0
_SAFE_HREF = re.compile(r"[A-Za-z0-9._-]+")


# -- what should be on the server -------------------------------------------------------


@dataclass(frozen=True)
class Desired:
    key: str
    uid: str
    title: str
    data: bytes
    hash: str
    cancelled: bool
    sequence: int = 0  # the SEQUENCE in data
    render: Callable[[int], bytes] | None = field(default=None, compare=False, repr=False)

    def with_sequence_offset(self, offset: int) -> Desired:
        """This event with its SEQUENCE raised by ``offset`` (see sequence_offset)."""
        if offset <= 0 or self.render is None:
            return self
        data = self.render(self.sequence + offset)
        return replace(self, data=data, hash=content_hash(data),
                       sequence=self.sequence + offset)


def dav_scope(target_name: str) -> str:
    """UID scope of a target: its own, so two targets never share a UID."""
    return "dav-" + re.sub(r"[^a-z0-9-]+", "-", target_name.lower()).strip("-")


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def resolve_feed(name: str, state: State) -> str:
    """The feed id a target names: ``network``, ``programme:<id>``, ``group:<id>``,
    ``personal:<token>``; ``programme/<id>`` and ``group/<id>`` are accepted too."""
    feed_id = name.strip()
    if re.fullmatch(r"(programme|group|personal)/.+", feed_id):
        feed_id = feed_id.replace("/", ":", 1)
    if state.feed(feed_id) is not None:
        return feed_id
    public = sorted(state.feeds(private=False))
    if not public:
        raise UserError(f"feed {display_feed(name)!r} has not been published: nothing has "
                        "been published yet (run g40cal sync first)")
    near = difflib.get_close_matches(feed_id, public, n=1)
    hint = (f"did you mean {near[0]!r}?" if near else
            f"published feeds: {', '.join(public[:8])}{', …' if len(public) > 8 else ''}")
    raise UserError(f"feed {display_feed(name)!r} is not a published feed ({hint})")


def display_feed(feed_id: str) -> str:
    """Feed id for output: a personal feed's token is a secret, so it is not shown."""
    if feed_id.startswith("personal:"):
        return "personal:<token>"
    return feed_id


def desired_objects(state: State, config: Config, feed_id: str, scope: str,
                    cache: dict[str, RenderedEvent] | None = None
                    ) -> tuple[dict[str, Desired], list[str]]:
    """The feed's events as CalDAV objects, rendered from the recorded state exactly as
    ``sync`` published them; plus notes when the published feed does not match."""
    feed = state.feed(feed_id)
    assert feed is not None  # resolve_feed found it
    events = state.events(feed.keys)
    members = state.members()
    cache = {} if cache is None else cache
    objects: dict[str, Desired] = {}
    entries: list[tuple[datetime, str, str]] = []
    notes: list[str] = []
    for key in sorted(feed.keys):
        row = events.get(key)
        if row is None:
            notes.append(f"{key}: in feed {display_feed(feed_id)} but not in the state; skipped")
            continue
        member = members.get((feed_id, key))
        sequence = row.sequence + (member.bump if member else 0)
        modified = max(row.modified, member.modified) if member else row.modified
        cancelled = bool(member and member.left) or row.status == "cancelled"
        if key not in cache:
            cache[key] = render_event(row.event)
        rendered = cache[key]
        uid = uid_for(key, scope, config)
        render = _renderer(rendered, uid, modified, cancelled)
        data = render(sequence)
        objects[uid] = Desired(key, uid, row.event.title, data, content_hash(data), cancelled,
                               sequence, render)
        entries.append((row.event.start, key, rendered.vevent(
            uid_for(key, feed.uid_scope, config), sequence, modified, cancelled=cancelled)))
    entries.sort()
    published = render_calendar(feed.name, feed.description, [e[2] for e in entries],
                                config.refresh_minutes)
    if content_hash(published) != feed.hash:
        notes.append(f"the published feed {display_feed(feed_id)} differs from a fresh render "
                     "of the state (settings or g40cal changed since): run g40cal sync")
    return objects, notes


def _renderer(rendered: RenderedEvent, uid: str, modified: datetime,
              cancelled: bool) -> Callable[[int], bytes]:
    def render(sequence: int) -> bytes:
        return render_object(rendered.vevent(uid, sequence, modified, cancelled=cancelled))
    return render


# -- what g40cal knows it put there (state) -------------------------------------------


@dataclass(frozen=True)
class ObjectRow:
    target: str
    uid: str
    key: str
    href: str
    hash: str | None  # None: content unknown (then any server version is a conflict)
    fp: str | None
    etag: str | None
    pending_op: str | None = None
    pending_hash: str | None = None
    pending_fp: str | None = None
    sequence_offset: int = 0  # added to the feed's SEQUENCE (never below the server's)

    def settled(self, **changes: Any) -> ObjectRow:
        return replace(self, pending_op=None, pending_hash=None, pending_fp=None, **changes)


def load_rows(state: State, target: str) -> dict[str, ObjectRow]:
    rows = state.db.execute(
        "SELECT target, uid, key, href, hash, fp, etag, pending_op, pending_hash, pending_fp, "
        "sequence_offset FROM caldav_objects WHERE target = ?", (target,))
    return {r[1]: ObjectRow(*r) for r in rows}


def _put_row(state: State, row: ObjectRow, now: datetime) -> None:
    state.db.execute(
        "INSERT OR REPLACE INTO caldav_objects (target, uid, key, href, hash, fp, etag, "
        "pending_op, pending_hash, pending_fp, sequence_offset, updated) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (row.target, row.uid, row.key, row.href, row.hash, row.fp, row.etag, row.pending_op,
         row.pending_hash, row.pending_fp, row.sequence_offset, now.isoformat()))


def _delete_row(state: State, target: str, uid: str) -> None:
    state.db.execute("DELETE FROM caldav_objects WHERE target = ? AND uid = ?", (target, uid))


def recorded_target(state: State, name: str) -> tuple[str, str] | None:
    row = state.db.execute("SELECT url, feed FROM caldav_targets WHERE target = ?",
                           (name,)).fetchone()
    return (row[0], row[1]) if row else None


def target_counts(state: State) -> dict[str, tuple[int, int]]:
    """Per target: objects g40cal created there, and how many are still pending."""
    rows = state.db.execute(
        "SELECT target, COUNT(*), SUM(pending_op IS NOT NULL) FROM caldav_objects "
        "GROUP BY target")
    return {r[0]: (r[1], r[2] or 0) for r in rows}


# -- the plan ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    key: str
    uid: str
    href: str
    title: str
    data: bytes | None = None
    hash: str | None = None
    if_match: str | None = None
    forced: bool = False  # replaces or deletes a version someone else made (--force)
    cancelled: bool = False  # the version sent is the cancellation (STATUS:CANCELLED)
    sequence_offset: int = 0  # see ObjectRow.sequence_offset

    @property
    def label(self) -> str:
        """What the action means to the reader: a cancellation is not just an update."""
        return "cancel" if self.cancelled and self.kind != "delete" else self.kind


@dataclass(frozen=True)
class Conflict:
    key: str
    uid: str
    href: str
    title: str
    reason: str


@dataclass
class TargetPlan:
    target: CaldavTarget
    feed_id: str
    url: str
    create_calendar: bool
    desired: dict[str, Desired]
    actions: list[Action] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    unchanged: int = 0
    foreign: int = 0
    row_puts: list[ObjectRow] = field(default_factory=list)  # corrections found reading
    row_deletes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, kind: ActionKind) -> int:
        return sum(1 for a in self.actions if a.kind == kind)


def plan_target(target: CaldavTarget, state: State, config: Config, client: DavClient, *,
                force: bool = False, create: bool = False,
                cache: dict[str, RenderedEvent] | None = None) -> TargetPlan:
    """Read the server (one PROPFIND, GETs only where something looks wrong) and decide
    every action. Reads only: nothing on the server or in the state changes."""
    feed_id = resolve_feed(target.feed, state)
    desired, notes = desired_objects(state, config, feed_id, dav_scope(target.name), cache)
    url = collection_url(target.url)
    rows = load_rows(state, target.name)
    plan = TargetPlan(target, feed_id, url, False, desired, notes=notes)
    recorded = recorded_target(state, target.name)
    if recorded and collection_url(recorded[0]) != url and rows:
        plan.notes.append(
            f"the target pointed at {recorded[0]} before: the {len(rows)} object(s) g40cal "
            "put there are left there and no longer managed")
        plan.row_deletes += list(rows)
        rows = {}
    try:
        # A first push also asks what the calendar takes: a task list (Nextcloud's "Tasks",
        # iCloud Reminders) is refused in words before anything is sent. Radicale would
        # even store the events there, where no calendar view shows them.
        collection: Collection | None = client.propfind(url, depth=1, details=not rows)
    except DavNotFound as exc:
        if not create:
            raise DavNotFound(
                "the calendar does not exist (404)", url=url, status=404,
                hint=f"check the url, or create it with: g40cal push --target {target.name} "
                     "--create") from exc
        collection = None
        plan.create_calendar = True
    if collection is not None and not collection.is_calendar:
        raise NotACalendar(
            f"this is not a calendar collection (it is: {collection.describe_type()})", url=url,
            hint="point the target at a calendar, e.g. one you see in the server's interface")
    if collection is not None and collection.read_only:
        raise collection.read_only_error(target.username)
    if collection is not None and not collection.takes_events:
        raise DavNotForEvents(
            f"this calendar takes only {collection.describe_components()}, not events",
            url=url, hint="point the target at a calendar for events, or let g40cal create "
                          f"one at a new URL: g40cal push --target {target.name} --create")
    listing = collection.members if collection else {}
    base = normalise_path(url, url)
    rows = _reconcile(plan, rows, listing, client)
    owned_hrefs = {row.href for row in rows.values()}
    plan.foreign = sum(1 for href in listing if href not in owned_hrefs)
    leaving = state.events(r.key for uid, r in rows.items() if uid not in desired)
    for uid in sorted(set(desired) | set(rows)):
        want = desired.get(uid)
        row = rows.get(uid)
        if row is None and want is not None:
            _plan_new(plan, want, base, listing, client, force)
        elif row is not None and want is not None:
            want = want.with_sequence_offset(row.sequence_offset)
            _plan_existing(plan, want, row, listing, client, force)
        elif row is not None:
            _plan_delete(plan, row, listing, client, force, leaving)
    _refuse_taken_uids(plan, listing, owned_hrefs, client)
    if desired == {} and plan.count("delete") and not force:
        plan.conflicts += [Conflict(a.key, a.uid, a.href, a.title,
                                    "the feed is empty: refusing to delete every object "
                                    "g40cal pushed (use --force if that is what you want)")
                           for a in plan.actions if a.kind == "delete"]
        plan.actions = [a for a in plan.actions if a.kind != "delete"]
    return plan


def _refuse_taken_uids(plan: TargetPlan, listing: dict[str, str | None],
                       owned_hrefs: set[str], client: DavClient) -> None:
    """A UID g40cal is about to create that another object in the calendar already holds
    (someone copied or imported the event) is a conflict, not a second object: SabreDAV
    and DAViCal accept two objects with one UID, and sync clients (vdirsyncer) then refuse
    the whole calendar. Only objects the listing cannot vouch for are asked (g40cal's
    own hold their own UIDs), so a calendar g40cal has to itself costs no request."""
    creates = [a for a in plan.actions if a.kind == "create"]
    if not creates:
        return
    known = owned_hrefs | {row.href for row in plan.row_puts}
    unknown = sorted(href for href in listing if href not in known)
    if not unknown:
        return
    holders = {uid: href for href, uid in client.uids(plan.url, unknown).items() if uid}
    taken = {a.uid for a in creates if holders.get(a.uid, a.href) != a.href}
    for action in creates:
        if action.uid in taken:
            plan.conflicts.append(Conflict(
                action.key, action.uid, holders[action.uid], action.title,
                "another object in this calendar already holds this event's UID (a copy?); "
                "not created, and that object is left alone: two objects with one UID break "
                "sync clients (remove the copy, then push again)"))
    plan.actions = [a for a in plan.actions if not (a.kind == "create" and a.uid in taken)]


def _reconcile(plan: TargetPlan, rows: dict[str, ObjectRow], listing: dict[str, str | None],
               client: DavClient) -> dict[str, ObjectRow]:
    """Settle rows left pending by a push that died: what does the server really hold?"""
    settled = dict(rows)
    for uid, row in rows.items():
        if row.pending_op is None:
            continue
        present = row.href in listing
        etag_now = listing.get(row.href)
        new: ObjectRow | None = row.settled()
        if row.pending_op == "create":
            server = client.get(row.href) if present else None
            if server is None:
                new = None  # the create never arrived
            elif fingerprint(server.data) == row.pending_fp:
                new = row.settled(hash=row.pending_hash, fp=row.pending_fp,
                                  etag=server.etag or etag_now)
            elif uid_of(server.data) == uid:  # ours, but not what we sent: someone edited it
                new = row.settled(hash=None, fp=None, etag=None)
            else:
                new = None  # someone else's object took the href: not ours
        elif row.pending_op == "update" and present and etag_now != row.etag:
            server = client.get(row.href)
            if server is not None and fingerprint(server.data) == row.pending_fp:
                new = row.settled(hash=row.pending_hash, fp=row.pending_fp,
                                  etag=server.etag or etag_now)
        elif row.pending_op == "delete" and not present:
            new = None
        if new is None:
            settled.pop(uid)
            plan.row_deletes.append(uid)
        else:
            settled[uid] = new
            plan.row_puts.append(new)
    if any(r.pending_op for r in rows.values()):
        plan.notes.append(f"checked {sum(1 for r in rows.values() if r.pending_op)} object(s) "
                          "left unconfirmed by an interrupted push")
    return settled


def _server_changed(row: ObjectRow, etag_now: str | None, client: DavClient,
                    plan: TargetPlan) -> tuple[bool, str | None, bytes | None]:
    """Did someone else change g40cal's object? (changed, current ETag, and the server's
    copy when it was read)."""
    if row.etag is not None and row.fp is not None and etag_now == row.etag:
        return False, etag_now, None
    server = client.get(row.href)
    if server is None:
        return True, None, None
    etag = server.etag or etag_now
    if row.fp is not None and fingerprint(server.data) == row.fp:
        # Same content under a new ETag (the server re-indexed): nothing to report.
        fixed = row.settled(etag=etag)
        plan.row_puts.append(fixed)
        return False, etag, server.data
    return True, etag, server.data


def _over(want: Desired, server_data: bytes | None, offset: int = 0) -> tuple[Desired, int]:
    """``want`` to replace the server's copy (--force): its SEQUENCE never goes below the
    copy's (someone's edit may have raised it), so clients take ours as the newer one.
    Returns the version to send and its sequence offset."""
    server_sequence = sequence_of(server_data) if server_data is not None else None
    if server_sequence is None or want.sequence > server_sequence:
        return want, offset
    raise_by = server_sequence + 1 - want.sequence
    return want.with_sequence_offset(raise_by), offset + raise_by


def _plan_new(plan: TargetPlan, want: Desired, base: str, listing: dict[str, str | None],
              client: DavClient, force: bool) -> None:
    href = _href_for(base, want.uid)
    if href in listing:
        server = client.get(href)
        if server is not None and uid_of(server.data) == want.uid:
            # g40cal made this object (the UID is scoped to this target) but the state
            # forgot it, e.g. a lost database: adopt it rather than create a duplicate.
            etag = server.etag or listing[href]
            fp = fingerprint(server.data)
            if fp == fingerprint(want.data):
                plan.row_puts.append(ObjectRow(plan.target.name, want.uid, want.key, href,
                                               want.hash, fp, etag))
                plan.unchanged += 1
                plan.foreign -= 1
                return
            plan.row_puts.append(ObjectRow(plan.target.name, want.uid, want.key, href,
                                           None, None, etag))
            plan.foreign -= 1
            if force:
                sent, offset = _over(want, server.data)
                plan.actions.append(_write("update", sent, href, etag, forced=True,
                                           sequence_offset=offset))
            else:
                plan.conflicts.append(Conflict(
                    want.key, want.uid, href, want.title,
                    "already on the server with other content, unknown to the state; "
                    "left alone (--force overwrites it)"))
            return
        href = _free_href(href, listing)  # someone else's object sits there: never touch it
    plan.actions.append(_write("create", want, href))


def _plan_existing(plan: TargetPlan, want: Desired, row: ObjectRow,
                   listing: dict[str, str | None], client: DavClient, force: bool) -> None:
    if row.href not in listing:
        if force:
            plan.actions.append(_write("create", want, row.href, forced=True,
                                       sequence_offset=row.sequence_offset))
        else:
            plan.conflicts.append(Conflict(want.key, want.uid, row.href, want.title,
                                           "deleted on the server by someone else; left "
                                           "deleted (--force puts it back)"))
        return
    changed, etag, server_data = _server_changed(row, listing[row.href], client, plan)
    if changed:
        if force and etag:
            sent, offset = _over(want, server_data, row.sequence_offset)
            plan.actions.append(_write("update", sent, row.href, etag, forced=True,
                                       sequence_offset=offset))
        else:
            plan.conflicts.append(Conflict(want.key, want.uid, row.href, want.title,
                                           "changed on the server by someone else since "
                                           "the last push; left alone (--force overwrites "
                                           "it)"))
        return
    if row.hash == want.hash:
        plan.unchanged += 1
        return
    if not etag:  # without an ETag there is no safe update (If-Match needs one)
        plan.conflicts.append(Conflict(want.key, want.uid, row.href, want.title,
                                       "the server reports no ETag for it: cannot update it "
                                       "safely; left alone"))
        return
    plan.actions.append(_write("update", want, row.href, etag,
                               sequence_offset=row.sequence_offset))


def _plan_delete(plan: TargetPlan, row: ObjectRow, listing: dict[str, str | None],
                 client: DavClient, force: bool, events: dict[str, EventRow]) -> None:
    if row.href not in listing:
        plan.row_deletes.append(row.uid)  # already gone
        return
    changed, etag, _ = _server_changed(row, listing[row.href], client, plan)
    title = _leaving_title(row, events, client)
    if changed and not force:
        plan.conflicts.append(Conflict(row.key, row.uid, row.href, title,
                                       "no longer in the feed, but changed on the server by "
                                       "someone else; not deleted (--force deletes it)"))
        return
    if etag:
        plan.actions.append(Action("delete", row.key, row.uid, row.href, title,
                                   if_match=etag, forced=changed))


def _leaving_title(row: ObjectRow, events: dict[str, EventRow], client: DavClient) -> str:
    """The title of an event that leaves the calendar, for the bureau to recognise it: from
    the state while it holds the event, else (dropped after its retention) from the
    server's copy, which is g40cal's own (a GET only for deletes, which are rare)."""
    event = events.get(row.key)
    if event is not None:
        return event.event.title
    server = client.get(row.href)
    summary = summary_of(server.data) if server is not None else None
    return summary.removeprefix(CANCELLED_PREFIX) if summary else row.key


def _write(kind: ActionKind, want: Desired, href: str, if_match: str | None = None, *,
           forced: bool = False, sequence_offset: int = 0) -> Action:
    return Action(kind, want.key, want.uid, href, want.title, want.data, want.hash, if_match,
                  forced=forced, cancelled=want.cancelled, sequence_offset=sequence_offset)


def _href_for(base: str, uid: str) -> str:
    """Object path from the UID when it is URL-safe (it is for g40cal's UIDs), else a
    hash of it: some servers mishandle odd characters in resource names."""
    stem = uid.split("@", 1)[0]
    if not _SAFE_HREF.fullmatch(stem):
        stem = hashlib.sha256(uid.encode()).hexdigest()[:32]
    return base.rstrip("/") + "/" + stem + ".ics"


def _free_href(href: str, listing: dict[str, str | None]) -> str:
    stem = href.removesuffix(".ics")
    number = 1
    while f"{stem}-{number}.ics" in listing:
        number += 1
    return f"{stem}-{number}.ics"


# -- execution --------------------------------------------------------------------------


@dataclass
class TargetResult:
    target: CaldavTarget
    plan: TargetPlan | None = None
    dry_run: bool = False
    calendar_created: bool = False
    done: list[Action] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    error: G40Error | None = None
    requests: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.failures and not self.conflicts

    def count(self, kind: ActionKind) -> int:
        actions = self.plan.actions if self.dry_run and self.plan else self.done
        return sum(1 for a in actions if a.kind == kind)


class _Recorder:
    """Writes confirmed answers to the state in batches (one fsync per batch)."""

    def __init__(self, state: State, target: str, now: datetime) -> None:
        self.state = state
        self.target = target
        self.now = now
        self.puts: dict[str, ObjectRow] = {}
        self.deletes: set[str] = set()
        self.last = time.monotonic()

    def put(self, row: ObjectRow) -> None:
        self.deletes.discard(row.uid)
        self.puts[row.uid] = row
        self._maybe_flush()

    def delete(self, uid: str) -> None:
        self.puts.pop(uid, None)
        self.deletes.add(uid)
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        pending = len(self.puts) + len(self.deletes)
        if pending >= CONFIRM_EVERY or time.monotonic() - self.last > CONFIRM_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.puts or self.deletes:
            with self.state.transaction():
                for row in self.puts.values():
                    _put_row(self.state, row, self.now)
                for uid in self.deletes:
                    _delete_row(self.state, self.target, uid)
            self.puts.clear()
            self.deletes.clear()
        self.last = time.monotonic()


def execute_plan(plan: TargetPlan, state: State, client: DavClient, *, now: datetime,
                 result: TargetResult | None = None,
                 progress: Callable[[str], None] | None = None) -> TargetResult:
    """Carry out a plan. State follows every answer; an unanswered request stays pending."""
    target = plan.target
    result = result or TargetResult(target)
    result.plan = plan
    result.conflicts = list(plan.conflicts)
    if plan.create_calendar:
        _make_calendar(plan, state, client)
        result.calendar_created = True
    rows = load_rows(state, target.name)
    with state.transaction():
        state.db.execute(
            "INSERT OR REPLACE INTO caldav_targets (target, url, feed, pushed_at) "
            "VALUES (?,?,?,?)", (target.name, plan.url, plan.feed_id, now.isoformat()))
        for uid in plan.row_deletes:
            _delete_row(state, target.name, uid)
            rows.pop(uid, None)
        for row in plan.row_puts:
            _put_row(state, row, now)
            rows[row.uid] = row
        for action in plan.actions:  # write-ahead: marked before it is sent
            rows[action.uid] = _mark_pending(rows.get(action.uid), action, target.name)
            _put_row(state, rows[action.uid], now)
    recorder = _Recorder(state, target.name, now)
    answered = 0  # actions before this index got an answer, recorded by the recorder
    in_flight_unknown = True
    try:
        for index, action in enumerate(plan.actions):
            answered = index
            _run_action(action, rows[action.uid], client, recorder, result)
            if progress and (index + 1) % 200 == 0:
                progress(f"{target.name}: {index + 1}/{len(plan.actions)} requests done")
        answered = len(plan.actions)
    except (DavAuthError, DavForbidden) as exc:
        result.error = exc
        in_flight_unknown = False  # refused: nothing was written
    except (DavUnreachable, DavServerError) as exc:
        # No answer: the request in flight may or may not have arrived, so it stays
        # pending and the next push checks the server.
        result.error = exc
    finally:
        # Requests never sent are certainly not done: un-mark them. (This runs for any
        # exception; a hard kill skips it, and the next push checks every pending row.)
        for action in plan.actions[answered + (1 if in_flight_unknown else 0):]:
            _unmark(recorder, rows[action.uid])
        recorder.flush()
        _log_push(state, result, now)
    return result


def _mark_pending(row: ObjectRow | None, action: Action, target: str) -> ObjectRow:
    fp = fingerprint(action.data) if action.data is not None else None
    if row is None:
        row = ObjectRow(target, action.uid, action.key, action.href, None, None, None)
    # The offset is kept from the moment the request may leave: if it never arrives, a
    # SEQUENCE a little higher than needed later is harmless; one lower is not.
    return replace(row, href=action.href, pending_op=action.kind, pending_hash=action.hash,
                   pending_fp=fp,
                   sequence_offset=max(row.sequence_offset, action.sequence_offset))


def _unmark(recorder: _Recorder, row: ObjectRow) -> None:
    """A request that was certainly not carried out: back to what was known before."""
    if row.pending_op == "create" and row.hash is None and row.etag is None:
        recorder.delete(row.uid)
    else:
        recorder.put(row.settled())


def _run_action(action: Action, row: ObjectRow, client: DavClient, recorder: _Recorder,
                result: TargetResult) -> None:
    try:
        if action.kind == "delete":
            client.delete(action.href, if_match=action.if_match or "")
            recorder.delete(action.uid)
        else:
            assert action.data is not None
            if action.kind == "create":
                etag = client.put(action.href, action.data, create=True)
            else:
                etag = client.put(action.href, action.data, if_match=action.if_match)
            _confirm(action, row, etag, client, recorder)
        result.done.append(action)
    except DavUidConflict:
        recorder.delete(action.uid)
        result.conflicts.append(_uid_conflict(action))
    except DavConflict:
        _precondition_failed(action, row, client, recorder, result)
    except DavNotFound:
        # PUT/DELETE on a vanished object (some servers answer 404, not 412).
        _precondition_failed(action, row, client, recorder, result)
    except (DavUnreachable, DavServerError, DavAuthError, DavForbidden):
        raise
    except DavError as exc:  # this one object was refused (400, 415, …): report, go on
        _unmark(recorder, row)
        result.failures.append(f"{action.kind} {action.key} ({action.href}): {exc}")


def _confirm(action: Action, row: ObjectRow, etag: str | None, client: DavClient,
             recorder: _Recorder) -> None:
    fp = row.pending_fp
    if etag is None:  # the server rewrote our data (RFC 4791 §5.3.4): read what it holds
        server = client.get(action.href)
        if server is not None:
            etag, fp = server.etag, fingerprint(server.data)
    recorder.put(row.settled(hash=action.hash, fp=fp, etag=etag))


def _precondition_failed(action: Action, row: ObjectRow, client: DavClient,
                         recorder: _Recorder, result: TargetResult) -> None:
    """412: is the server's copy what we meant to write (an earlier attempt that did
    arrive, e.g. a retry)? Then it is done. Otherwise someone else got there first."""
    server = client.get(action.href)
    if action.kind == "delete":
        if server is None:
            recorder.delete(action.uid)
            result.done.append(action)
            return
        recorder.put(row.settled())
        result.conflicts.append(Conflict(action.key, action.uid, action.href, action.title,
                                         "changed on the server while pushing; not deleted"))
        return
    if server is not None and fingerprint(server.data) == row.pending_fp:
        recorder.put(row.settled(hash=action.hash, fp=row.pending_fp, etag=server.etag))
        result.done.append(action)
        return
    if action.kind == "create":
        if server is None:  # the href is free, so the UID must be taken elsewhere
            recorder.delete(action.uid)
            result.conflicts.append(_uid_conflict(action))
        elif uid_of(server.data) == action.uid:
            recorder.put(row.settled(hash=None, fp=None, etag=server.etag))
            result.conflicts.append(Conflict(action.key, action.uid, action.href, action.title,
                                             "already on the server with other content; "
                                             "left alone (--force overwrites it)"))
        else:
            recorder.delete(action.uid)
            result.conflicts.append(Conflict(
                action.key, action.uid, action.href, action.title,
                "another object took this href meanwhile; left alone (the next push uses "
                "another href)"))
        return
    recorder.put(row.settled())
    reason = ("deleted on the server while pushing" if server is None else
              "changed on the server while pushing")
    result.conflicts.append(Conflict(action.key, action.uid, action.href, action.title,
                                     f"{reason}; left alone (--force overwrites it)"))


def _uid_conflict(action: Action) -> Conflict:
    return Conflict(action.key, action.uid, action.href, action.title,
                    "the calendar already holds this UID under another name, not created by "
                    "this target; left alone")


def _make_calendar(plan: TargetPlan, state: State, client: DavClient) -> None:
    feed = state.feed(plan.feed_id)
    assert feed is not None  # resolved when the plan was made
    try:
        client.mkcalendar(plan.url, feed.name, feed.description)
    except DavError:
        # A retried MKCALENDAR whose first attempt arrived answers "already exists":
        # fine if a calendar is there now.
        try:
            if client.propfind(plan.url, depth=0).is_calendar:
                return
        except DavError:
            pass
        raise


def _log_push(state: State, result: TargetResult, now: datetime) -> None:
    summary = {"created": result.count("create"), "updated": result.count("update"),
               "deleted": result.count("delete"), "conflicts": len(result.conflicts),
               "failures": len(result.failures),
               "error": str(result.error) if result.error else None}
    with state.transaction():
        state.db.execute("INSERT INTO caldav_pushes (target, at, summary) VALUES (?,?,?)",
                         (result.target.name, now.isoformat(), json.dumps(summary)))


# -- all targets --------------------------------------------------------------------------


def target_password(target: CaldavTarget, environ: dict[str, str] | None = None) -> str:
    """The password: from the environment variable or the system keyring, never a file."""
    password = lookup_password(f"target {target.name!r}", target.username or "",
                               password_env=target.password_env,
                               keyring_service=target.keyring_service, purpose="pushing",
                               environ=environ)
    return password or ""  # servers without authentication (e.g. Xandikos on a trusted host)


def cleartext_warning(target: CaldavTarget) -> str | None:
    """A warning when the target's login would cross a network unencrypted: http:// to any
    host but this machine (127.0.0.0/8, ::1, localhost)."""
    parts = urlsplit(target.url)
    if parts.scheme != "http" or is_this_machine(parts.hostname or ""):
        return None
    secret = ("the password" if target.password_env or target.keyring_service
              else "the login")
    return (f"{target.url} is plain http://: {secret} for {target.username!r} and the "
            f"calendar travel unencrypted to {parts.hostname}; use https://")


def select_targets(config: Config, names: Iterable[str] = ()) -> list[CaldavTarget]:
    if not config.targets:
        raise UserError("no CalDAV targets configured: add [[caldav.targets]] to g40cal.toml "
                        "(see docs/caldav.md)")
    wanted = list(names)
    by_name = {t.name: t for t in config.targets}
    for name in wanted:
        if name not in by_name:
            near = difflib.get_close_matches(name, list(by_name), n=1)
            hint = f"did you mean {near[0]!r}?" if near else f"targets: {', '.join(by_name)}"
            raise UserError(f"no target named {name!r} ({hint})")
    scopes: dict[str, str] = {}
    for target in config.targets:
        other = scopes.setdefault(dav_scope(target.name), target.name)
        if other != target.name:
            raise UserError(f"targets {other!r} and {target.name!r} differ only in punctuation "
                            "or case: their UIDs would collide; rename one")
    return [by_name[n] for n in wanted] if wanted else list(config.targets)


def _server_key(target: CaldavTarget, password: str) -> tuple[Any, ...]:
    parts = urlsplit(target.url)
    return (parts.scheme, parts.hostname, parts.port, target.username, password,
            target.verify_tls, target.timeout)


def push_targets(config: Config, state: State, targets: list[CaldavTarget], *, now: datetime,
                 force: bool = False, create: bool = False, dry_run: bool = False,
                 event_hooks: dict[str, list[Callable[..., Any]]] | None = None,
                 retries: int = 3, backoff: float = 0.5,
                 progress: Callable[[str], None] | None = None) -> list[TargetResult]:
    """Push each target; one HTTP client per server. An authentication failure stops
    everything at once; other failures stop only their own target."""
    clients: dict[tuple[Any, ...], DavClient] = {}
    cache: dict[str, RenderedEvent] = {}
    results: list[TargetResult] = []
    try:
        for target in targets:
            result = TargetResult(target, dry_run=dry_run)
            results.append(result)
            warning = cleartext_warning(target)
            if warning:
                result.warnings.append(warning)
            client: DavClient | None = None
            before: dict[str, int] = {}
            try:
                password = target_password(target)
                key = _server_key(target, password)
                if key not in clients:
                    clients[key] = DavClient(
                        target.url, username=target.username, password=password,
                        verify_tls=target.verify_tls, timeout=target.timeout, retries=retries,
                        backoff=backoff, event_hooks=event_hooks)
                client = clients[key]
                before = dict(client.sent)
                plan = plan_target(target, state, config, client, force=force, create=create,
                                   cache=cache)
                result.plan = plan
                result.conflicts = list(plan.conflicts)
                if not dry_run:
                    execute_plan(plan, state, client, now=now, result=result,
                                 progress=progress)
            except (UserError, DavError) as exc:
                result.error = exc
            finally:
                if client is not None:
                    result.requests = {m: n - before.get(m, 0) for m, n in client.sent.items()
                                       if n - before.get(m, 0)}
            if isinstance(result.error, DavAuthError):
                break  # a wrong password stops everything at once
    finally:
        for client in clients.values():
            client.close()
    return results

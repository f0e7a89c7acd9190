"""Participants: registrations, choices and private personal feeds.

Personal data (names, e-mail addresses, organisations, choices, feed tokens) lives only in
the state database, in the tables of ``migrations/0002_participants.sql``: never in
programmes/, never in feeds/, never in git. ``purge_programme`` deletes it after the event.

Every participant has one private feed, ``<private>/<token>.ics``, served at
``<base_url>/p/<token>.ics``: the common programme of every network day they registered for
(the days they attend) plus the items they chose. One link for good: a registration for a
later network day lands in the same calendar. The sync engine does the rest — a dropped
choice is cancelled in that one feed with a SEQUENCE bump, a cancelled item is cancelled
in every feed that holds it, the feed of a removed participant is deleted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import secrets
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from g40cal.config import Config
from g40cal.definitions.model import TZ, Item, Programme
from g40cal.definitions.project import Project
from g40cal.errors import G40Error, Problem, UserError
from g40cal.mail.outbox import forget_programme_mail
from g40cal.people.matching import fold_text
from g40cal.people.safetext import visible
from g40cal.people.spreadsheet import FORMULA_START
from g40cal.publishing.events import dates_text, days_attended, listed
from g40cal.publishing.feeds import FeedSpec, PersonalFeeds
from g40cal.publishing.links import GOOGLE_ADD_BY_URL, outlook_add_urls, personal_url, webcal_url
from g40cal.publishing.publish import remove_file
from g40cal.state import State

TOKEN_BYTES = 32  # 256 random bits (the design asks for at least 128)
PERSONAL_SCOPE = "pers"
_EMAIL = re.compile(r"^[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[^@\s,;<>\"'.]{2,}$")


# -- text ----------------------------------------------------------------------------


def normalise_email(value: str) -> str:
    return value.strip().strip("<>").strip().lower()


def valid_email(value: str) -> bool:
    return email_problem(value) is None


def email_problem(value: str) -> str | None:
    """Why ``value`` (normalised) is no usable e-mail address, or None."""
    if value.startswith(FORMULA_START):
        # Legal by the RFC, but a spreadsheet runs it as a formula (=1+1@evil.nl): the
        # address goes into the mail-merge list, so it is refused at the door.
        return (f"{value!r} starts with {value[0]!r}, which a spreadsheet reads as a formula; "
                "no real e-mail address starts like that")
    if not _EMAIL.match(value):
        return f"{value!r} is not an e-mail address"
    return None


# -- model ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """An item a participant signed up for; ``label`` is the text the form showed."""

    item: str
    label: str | None = None


@dataclass(frozen=True)
class Registration:
    """A participant's registration for one programme (network day)."""

    programme: str
    registered_at: datetime | None  # from the export; decides first come, first served
    position: int  # order of arrival: breaks ties and stands in for unknown times
    days: frozenset[int] | None  # day numbers attended; None: every day
    source: str  # "import" (from an export) or "hand" (g40cal participants add)
    choices: tuple[Choice, ...] = ()

    @property
    def chosen(self) -> frozenset[str]:
        return frozenset(c.item for c in self.choices)

    def attends(self, day: int) -> bool:
        return self.days is None or day in self.days

    def arrival(self) -> tuple[bool, str, int]:
        """Sort key for first come, first served: known times first, then arrival order."""
        when = self.registered_at.isoformat() if self.registered_at else ""
        return (self.registered_at is None, when, self.position)


@dataclass(frozen=True)
class Participant:
    id: int
    name: str
    email: str
    organisation: str | None
    token: str
    created: datetime
    updated: datetime
    registrations: tuple[Registration, ...] = ()

    @property
    def feed_id(self) -> str:
        return f"personal:{self.token}"

    @property
    def feed_path(self) -> str:
        return f"{self.token}.ics"

    @property
    def label(self) -> str:
        return f"#{self.id} {visible(self.name)} <{visible(self.email)}>"

    def registration(self, programme_id: str) -> Registration | None:
        return next((r for r in self.registrations if r.programme == programme_id), None)


# -- reading -------------------------------------------------------------------------


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def load_participants(state: State, *, programme: str | None = None,
                      participant_id: int | None = None,
                      ids: Iterable[int] | None = None) -> list[Participant]:
    """Every participant (or those registered for ``programme``, or one, or those of
    ``ids``), ordered by id."""
    if participant_id is not None:
        ids = [participant_id]
    if programme is not None:
        found = registrants(state, [programme])
        ids = found if ids is None else found & set(ids)
    if ids is None:
        where, args = "", ()
    else:  # one statement however many: the ids go in as a JSON array
        where, args = ("WHERE participant_id IN (SELECT value FROM json_each(?))",
                       (json.dumps(sorted(set(ids))),))
    choices: dict[tuple[int, str], list[Choice]] = defaultdict(list)
    for pid, prog, item, label in state.db.execute(
            "SELECT participant_id, programme, item, label FROM choices "
            f"{where} ORDER BY participant_id, programme, item", args):
        choices[(pid, prog)].append(Choice(item, label))
    registrations: dict[int, list[Registration]] = defaultdict(list)
    for pid, prog, at, position, days, source in state.db.execute(
            "SELECT participant_id, programme, registered_at, position, days, source "
            f"FROM registrations {where} ORDER BY participant_id, programme", args):
        registrations[pid].append(Registration(
            prog, _when(at), position, frozenset(json.loads(days)) if days else None, source,
            tuple(choices[(pid, prog)])))
    result = []
    for pid, name, email, organisation, token, created, updated in state.db.execute(
            "SELECT id, name, email, organisation, token, created, updated FROM participants "
            f"{where.replace('participant_id', 'id')} ORDER BY id", args):
        result.append(Participant(pid, name, email, organisation, token,
                                  datetime.fromisoformat(created),
                                  datetime.fromisoformat(updated),
                                  tuple(registrations[pid])))
    return result


def registrants(state: State, programmes: Iterable[str]) -> set[int]:
    """Ids of the participants registered for any of ``programmes``."""
    return {r[0] for r in state.db.execute(
        "SELECT participant_id FROM registrations WHERE programme IN "
        "(SELECT value FROM json_each(?))", (json.dumps(sorted(set(programmes))),))}


def load_participant(state: State, participant_id: int) -> Participant | None:
    found = load_participants(state, participant_id=participant_id)
    return found[0] if found else None


def find_participant(state: State, reference: str) -> Participant:
    """A participant by number (``12`` or ``#12``), e-mail address or (unique) name.

    Looked up in the database (e-mail addresses and names are stored in their compare-form),
    so that only the participants found are loaded: a command about one person of 50,000
    answers at once.
    """
    text = reference.strip()
    if text.lstrip("#").isdigit():
        column, value = "id", int(text.lstrip("#"))
    elif "@" in text:
        column, value = "email", normalise_email(text)
    else:
        column, value = "name_key", fold_text(text)
    found = _participants_where(state, f"{column} = ?", (value,))
    if len(found) == 1:
        return found[0]
    if not found:
        raise UserError(f"no participant {reference!r} (use a number, e-mail address or full "
                        "name from `g40cal participants list`)")
    listed = "; ".join(p.label for p in found)
    raise UserError(f"{reference!r} fits {len(found)} participants: {listed} (use the "
                    "participant's number instead)")


def same_person(state: State, email: str, name: str) -> list[Participant]:
    """The participant with this (normalised) e-mail address and name, if any: one at most,
    the pair is unique."""
    return _participants_where(state, "email = ? AND name_key = ?",
                               (normalise_email(email), fold_text(name)))


def _participants_where(state: State, condition: str, args: tuple[object, ...]
                        ) -> list[Participant]:
    """The participants a condition on the participants table selects (loaded alone)."""
    ids = [r[0] for r in state.db.execute(
        f"SELECT id FROM participants WHERE {condition}", args)]
    return load_participants(state, ids=ids) if ids else []


# -- writing (callers hold a transaction) --------------------------------------------


def new_token(state: State) -> str:
    """An unguessable feed token: 256 random bits, URL-safe, unique."""
    while True:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        if token.startswith("-"):  # a file name starting with "-" trips up shell tools
            continue
        taken = state.db.execute(
            "SELECT 1 FROM participants WHERE token = ? UNION "
            "SELECT 1 FROM feeds WHERE feed_id = ?", (token, f"personal:{token}")).fetchone()
        if not taken:
            return token


def insert_participant(state: State, *, name: str, email: str, organisation: str | None,
                       now: datetime) -> int:
    cursor = state.db.execute(
        "INSERT INTO participants (name, name_key, email, organisation, token, created, "
        "updated) VALUES (?,?,?,?,?,?,?)",
        (name, fold_text(name), normalise_email(email), organisation, new_token(state),
         now.isoformat(), now.isoformat()))
    return int(cursor.lastrowid or 0)


def update_participant(state: State, participant_id: int, *, name: str,
                       organisation: str | None, now: datetime) -> None:
    state.db.execute(
        "UPDATE participants SET name = ?, name_key = ?, organisation = ?, updated = ? "
        "WHERE id = ?", (name, fold_text(name), organisation, now.isoformat(), participant_id))


def next_position(state: State, programme: str) -> int:
    row = state.db.execute("SELECT MAX(position) FROM registrations WHERE programme = ?",
                           (programme,)).fetchone()
    return int(row[0] or 0) + 1


def put_registration(state: State, participant_id: int, registration: Registration) -> None:
    """Insert or replace a registration together with its choices."""
    days = json.dumps(sorted(registration.days)) if registration.days is not None else None
    at = registration.registered_at.isoformat() if registration.registered_at else None
    state.db.execute(
        "INSERT INTO registrations (participant_id, programme, registered_at, position, days, "
        "source) VALUES (?,?,?,?,?,?) ON CONFLICT (participant_id, programme) DO UPDATE SET "
        "registered_at = excluded.registered_at, position = excluded.position, "
        "days = excluded.days, source = excluded.source",
        (participant_id, registration.programme, at, registration.position, days,
         registration.source))
    state.db.execute("DELETE FROM choices WHERE participant_id = ? AND programme = ?",
                     (participant_id, registration.programme))
    state.db.executemany(
        "INSERT INTO choices (participant_id, programme, item, label) VALUES (?,?,?,?)",
        [(participant_id, registration.programme, c.item, c.label)
         for c in registration.choices])


def touch(state: State, participant_id: int, now: datetime) -> None:
    state.db.execute("UPDATE participants SET updated = ? WHERE id = ?",
                     (now.isoformat(), participant_id))


def drop_personal_feed(state: State, config: Config, token: str) -> None:
    """Forget a personal feed and delete its file, so its URL stops working at once.

    The file goes before the transaction commits: if the commit then fails, the next
    sync finds the feed recorded but missing and writes it again — never the other way
    round, an unrecorded file that keeps serving an old URL.
    """
    feed_id = f"personal:{token}"
    state.delete_feed(feed_id)
    state.delete_file(f"private:{token}.ics")
    state.delete_file(f"private:{token}.html")  # the page's record, not only the feed's
    state.db.execute("DELETE FROM changes WHERE feed = ?", (feed_id,))
    remove_file(config.private_path / f"{token}.ics")
    remove_file(config.private_path / f"{token}.html")  # the personal page goes with it


def delete_participant(state: State, config: Config, participant: Participant) -> None:
    forget_participants(state, config, [participant])


def forget_participants(state: State, config: Config, participants: list[Participant]) -> None:
    """Delete every row of the state that holds something of these participants.

    The one place that knows which tables hold per-participant rows: a new table with
    such rows (an e-mail outbox, say) adds its DELETE here, and remove and purge follow.
    """
    for participant in participants:
        # registrations and choices go with it (ON DELETE CASCADE)
        state.db.execute("DELETE FROM participants WHERE id = ?", (participant.id,))
        # feeds, feed_keys, feed_members (the feed's choice history), files, changes
        drop_personal_feed(state, config, participant.token)
    # The triggers note a deleted participant and their token for the next sync, which
    # would find their feed gone; the feed is deleted already, so the notes are moot. This
    # also clears tokens given up earlier (rotated) whose feed is gone: nothing of them is
    # left to find, and a token is no business of the state once its feed is deleted.
    state.db.execute("DELETE FROM participant_changes WHERE participant_id NOT IN "
                     "(SELECT id FROM participants)")
    state.db.execute("DELETE FROM retired_tokens WHERE 'personal:' || token NOT IN "
                     "(SELECT feed_id FROM feeds)")


def delete_registration(state: State, config: Config, participant: Participant,
                        programme: str) -> bool:
    """Remove one registration; the last one takes the participant with it (True)."""
    if len(participant.registrations) <= 1:
        delete_participant(state, config, participant)
        return True
    state.db.execute("DELETE FROM registrations WHERE participant_id = ? AND programme = ?",
                     (participant.id, programme))
    return False


def rotate_token(state: State, config: Config, participant: Participant,
                 now: datetime) -> str:
    """A new token for a participant; the old URL stops working (its file is removed)."""
    token = new_token(state)
    state.db.execute("UPDATE participants SET token = ?, updated = ? WHERE id = ?",
                     (token, now.isoformat(), participant.id))
    drop_personal_feed(state, config, participant.token)
    return token


@contextlib.contextmanager
def erasing(state: State) -> Iterator[None]:
    """A transaction whose deletions overwrite the data on disk, not just unlink it."""
    state.db.execute("PRAGMA secure_delete = ON")
    with state.transaction():
        yield


def compact(state: State) -> None:
    """After erasing personal data: leave no old copy in the WAL or in free pages."""
    state.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    state.db.execute("VACUUM")
    state.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@dataclass(frozen=True)
class PurgeResult:
    registrations: int
    participants: int  # removed entirely, with their feed (no other registration left)


def purge_programme(state: State, config: Config, programme: str) -> PurgeResult:
    """Delete every registration for ``programme``; people with no other one go entirely."""
    participants = load_participants(state, programme=programme)
    whole = [p for p in participants if len(p.registrations) <= 1]
    with erasing(state):
        state.db.execute("DELETE FROM registrations WHERE programme = ?", (programme,))
        forget_participants(state, config, whole)
        forget_programme_mail(state, programme)  # no message about it stays in the outbox
    compact(state)
    return PurgeResult(len(participants), len(whole))


# -- personal feeds ------------------------------------------------------------------


def feed_keys(programme: Programme, registration: Registration,
              common: dict[tuple[str, frozenset[int] | None], frozenset[str]] | None = None,
              ) -> set[str]:
    """Common items of the days attended, plus every chosen item.

    ``common`` caches the common programme per (programme, days): with thousands of
    participants it is the same few sets over and over.
    """
    cache = {} if common is None else common
    key = (programme.id, registration.days)
    if key not in cache:
        cache[key] = frozenset(
            _event_key(programme, item) for item in programme.items
            if not item.optional and registration.attends(item.day))
    if not registration.choices:
        return set(cache[key])
    chosen = registration.chosen  # a property that builds a set: read it once
    return set(cache[key]) | {_event_key(programme, item) for item in programme.items
                              if item.id in chosen}


def _event_key(programme: Programme, item: Item) -> str:
    # Interned: 50,000 feeds then share one string per event instead of one each.
    return sys.intern(f"{programme.id}/{item.id}")


def feed_name(config: Config, programmes: list[Programme]) -> str:
    """The calendar name. No personal name in it: a leaked link or a shared screen then
    says nothing about whose programme it is."""
    if len(programmes) == 1:
        return f"{config.network_name} – {programmes[0].title} – persoonlijk programma"
    return f"{config.network_name} – persoonlijk programma netwerkdagen"


def feed_description(attended: list[tuple[Programme, frozenset[int] | None]]) -> str:
    """Names the days the person comes (day 2 only of two: that day's date), estimated
    dates 'onder voorbehoud'."""
    titles = [f"{p.title} op {dates_text(days_attended(p, days))}" for p, days in attended]
    days = listed(titles) if titles else ""
    return (f"Uw persoonlijke programma voor {days or 'de netwerkdagen'}: het gezamenlijke "
            "programma en de onderdelen waarvoor u zich hebt aangemeld. Wijzigingen "
            "verschijnen vanzelf in uw agenda. Deze link is persoonlijk: deel hem niet.")


def personal_feed(project: Project, participant: Participant,
                  common: dict | None = None) -> FeedSpec | None:
    if not participant.registrations:
        return None
    attended: list[tuple[Programme, frozenset[int] | None]] = []
    keys: set[str] = set()
    for registration in participant.registrations:
        programme = project.programme(registration.programme)
        if programme is None:  # definition gone: sync announces its items as cancelled
            continue
        attended.append((programme, registration.days))
        keys |= feed_keys(programme, registration, common)
    attended.sort(key=lambda pair: (pair[0].first_date, pair[0].id))
    programmes = [programme for programme, _ in attended]
    return FeedSpec(
        id=participant.feed_id, kind="personal", name=feed_name(project.config, programmes),
        description=feed_description(attended), path=participant.feed_path,
        uid_scope=PERSONAL_SCOPE, keys=frozenset(keys),
        programme=programmes[0].id if len(participant.registrations) == 1 and programmes
        else None,
        private=True)


def audience_signature(programme: Programme) -> str:
    """What a personal feed takes from a programme besides its events' content: which
    items it has, on which day, common or by choice, and the title and dates (in the feed's
    name). Registrants' feeds are rebuilt only when this changes — not for a new room."""
    shape = [programme.title, [d.date.isoformat() for d in programme.days],
             [sorted(d.estimated) for d in programme.days],  # "onder voorbehoud" in the description
             [[i.id, i.day, i.optional] for i in programme.items]]
    return hashlib.sha256(json.dumps(shape, ensure_ascii=False).encode()).hexdigest()[:32]


def personal_feeds(project: Project, state: State,
                   ids: Iterable[int] | None = None) -> list[FeedSpec]:
    """The FeedSpec of every participant's private feed (or of those of ``ids``)."""
    common: dict = {}
    if ids is None:
        ids = [r[0] for r in state.db.execute("SELECT id FROM participants ORDER BY id")]
    ids = sorted(set(ids))
    specs: list[FeedSpec] = []
    # A few thousand at a time: 50,000 participants' registrations and choices as objects
    # would take more memory than all their feed specs together.
    for start in range(0, len(ids), 5000):
        for participant in load_participants(state, ids=ids[start:start + 5000]):
            if (spec := personal_feed(project, participant, common)) is not None:
                specs.append(spec)
    return specs


def personal_audience(project: Project, state: State, *, complete: bool,
                      programmes: Iterable[str] = ()) -> PersonalFeeds:
    """What a sync must look at: every personal feed (``complete``), or only those of the
    participants changed since the last sync plus the registrants of ``programmes``
    (whose definitions changed)."""
    # The counter first: a change made after this read stays pending for the next sync.
    version = int(state.meta("participants_version") or 0)
    if complete:
        return PersonalFeeds(tuple(personal_feeds(project, state)), True, version)
    ids = {r[0] for r in state.db.execute("SELECT participant_id FROM participant_changes")}
    ids |= registrants(state, programmes)
    participants = load_participants(state, ids=ids) if ids else []
    common: dict = {}
    specs = tuple(s for p in participants if (s := personal_feed(project, p, common)))
    # Feeds that may have lost their owner: given-up tokens, participants without any
    # registration. (Removing or rotating deletes the feed at once; this catches the rest.)
    gone = [f"personal:{r[0]}" for r in state.db.execute("SELECT token FROM retired_tokens")]
    gone += [p.feed_id for p in participants if not p.registrations]
    return PersonalFeeds(specs, False, version, tuple(sorted(gone)))


@dataclass(frozen=True)
class FeedLinks:
    """Every way to subscribe to one personal feed, for the invitation e-mail."""

    https: str
    webcal: str
    google: str
    outlook_com: str
    outlook_365: str
    page: str


def feed_links(config: Config, token: str, name: str) -> FeedLinks:
    https = personal_url(config, f"{token}.ics")
    outlook_com, outlook_365 = outlook_add_urls(https, name)
    # Google's cid= link is unreliable (docs/clients.md §5): the mail says "paste the
    # feed URL here" and links to the add-by-URL settings page.
    return FeedLinks(https=https, webcal=webcal_url(https), google=GOOGLE_ADD_BY_URL,
                     outlook_com=outlook_com, outlook_365=outlook_365,
                     page=personal_url(config, f"{token}.ics", ".html"))


# -- checks --------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """Something about participants' choices the bureau should look at."""

    code: str  # overlap | round | capacity | day | gone | cancelled | programme
    programme: str
    message: str
    participants: tuple[int, ...] = ()
    items: tuple[str, ...] = ()
    hint: str | None = None

    def format(self) -> str:
        text = f"{self.programme}: {self.code}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "programme": self.programme, "message": self.message,
                "participants": list(self.participants), "items": list(self.items),
                "hint": self.hint}


def _span(programme: Programme, item: Item) -> tuple[datetime, datetime]:
    start = programme.start_of(item)
    return start, programme.end_of(item) or start


def _clock(programme: Programme, item: Item) -> str:
    start, end = _span(programme, item)
    return f"{start:%d-%m %H:%M}–{end:%H:%M}"


def check_participants(project: Project, participants: list[Participant],
                       programme: str | None = None) -> list[Finding]:
    """Overlapping choices, two choices in one round, choices on days not attended,
    chosen items that are gone or cancelled, and capacity (first come, first served)."""
    findings: list[Finding] = []
    takers: dict[tuple[str, str], list[tuple[tuple[bool, str, int], Participant]]] = (
        defaultdict(list))
    for participant in participants:
        for registration in participant.registrations:
            if programme is not None and registration.programme != programme:
                continue
            defined = project.programme(registration.programme)
            if defined is None:
                findings.append(Finding(
                    "programme", registration.programme,
                    f"{participant.label} is registered for a programme that is not defined",
                    (participant.id,), hint="restore its definition, or purge it"))
                continue
            findings += _registration_findings(defined, participant, registration)
            for choice in registration.choices:
                takers[(defined.id, choice.item)].append((registration.arrival(), participant))
    findings += _capacity_findings(project, takers)
    return findings


def _registration_findings(programme: Programme, participant: Participant,
                           registration: Registration) -> list[Finding]:
    findings: list[Finding] = []
    items = {i.id: i for i in programme.items}
    chosen: list[Item] = []
    who = participant.label

    def add(code: str, message: str, found: tuple[str, ...], hint: str | None = None) -> None:
        findings.append(Finding(code, programme.id, message, (participant.id,), found, hint))

    for choice in registration.choices:
        item = items.get(choice.item)
        if item is None:
            add("gone", f"{who} chose '{choice.item}', which is no longer in the programme "
                "(their feed shows it as cancelled)", (choice.item,),
                "offer another choice: g40cal participants choose")
            continue
        chosen.append(item)
        if item.cancelled:
            add("cancelled", f"{who} chose '{item.id}' ({item.title}), which is cancelled",
                (item.id,), "offer another choice: g40cal participants choose")
        if not registration.attends(item.day):
            days = ", ".join(str(d) for d in sorted(registration.days or ()))
            add("day", f"{who} registered for day {days} only, but chose '{item.id}' on "
                f"day {item.day}", (item.id,), "correct the days or the choice")
    chosen.sort(key=lambda i: (_span(programme, i), i.id))
    for index, first in enumerate(chosen):
        for second in chosen[index + 1:]:
            if first.round and first.round == second.round:
                add("round", f"{who} chose two items of round '{first.round}': "
                    f"'{first.id}' and '{second.id}'", (first.id, second.id),
                    "a round's items run in parallel: keep one")
            elif _overlaps(programme, first, second):
                add("overlap", f"{who} chose items that overlap in time: '{first.id}' "
                    f"({_clock(programme, first)}) and '{second.id}' "
                    f"({_clock(programme, second)})", (first.id, second.id),
                    "keep one of them")
    return findings


def _overlaps(programme: Programme, first: Item, second: Item) -> bool:
    (a_start, a_end), (b_start, b_end) = _span(programme, first), _span(programme, second)
    return (a_start < b_end and b_start < a_end) or a_start == b_start


def _capacity_findings(project: Project, takers: dict) -> list[Finding]:
    findings = []
    for (programme_id, item_id), entries in sorted(takers.items()):
        programme = project.programme(programme_id)
        item = next((i for i in programme.items if i.id == item_id), None) if programme else None
        if item is None or item.capacity is None or len(entries) <= item.capacity:
            continue
        entries.sort(key=lambda e: (e[0], e[1].id))
        over = [p for _, p in entries[item.capacity:]]
        findings.append(Finding(
            "capacity", programme_id,
            f"'{item.id}' ({item.title}) has {item.capacity} places and {len(entries)} "
            f"takers; over capacity by registration time: "
            + "; ".join(p.label for p in over),
            tuple(p.id for p in over), (item.id,),
            "first come, first served: ask the late registrants to choose again"))
    return findings


# -- privacy guards ------------------------------------------------------------------


def stale_personal_data(project: Project, now: datetime) -> list[Problem]:
    """Warnings for ``g40cal check``: personal data kept too long after an event."""
    config = project.config
    if not config.state_path.exists():
        return []
    try:
        with State(config.state_path) as state:
            counts = dict(state.db.execute(
                "SELECT programme, COUNT(*) FROM registrations GROUP BY programme"))
    except G40Error as exc:
        return [Problem("warning", "personal-data", f"cannot read the state database: {exc}",
                        config.state_path)]
    today = now.astimezone(TZ).date()
    problems = []
    for programme_id, count in sorted(counts.items()):
        programme = project.programme(programme_id)
        if programme is None:
            continue
        age = (today - programme.last_date).days
        if age > config.purge_after_days:
            problems.append(Problem(
                "warning", "personal-data",
                f"{count} registration(s) with personal data are still stored, {age} days "
                f"after the event (purge_after_days = {config.purge_after_days})",
                programme.path, field="participants",
                hint=f"delete them: g40cal participants purge --programme {programme_id}"))
    return problems


def git_exposure(path: Path, *, folder: bool = False) -> str | None:
    """Why ``path`` (a file, or a folder's contents) could end up in git: inside a work
    tree and not ignored, or tracked. None when it is outside any work tree, or ignored
    and untracked.
    """
    path = path.absolute()
    anchor = path
    while not anchor.is_dir() and anchor != anchor.parent:
        anchor = anchor.parent
    has_git = any((p / ".git").exists() for p in (anchor, *anchor.parents))
    try:
        top = _git(anchor, "rev-parse", "--show-toplevel")
    except (OSError, subprocess.SubprocessError) as exc:
        return f"it is inside a git repository and git cannot be run ({exc})" if has_git \
            else None
    if top.returncode != 0:
        return (f"it is inside a git repository, but git cannot check it: "
                f"{top.stderr.strip()}") if has_git else None
    root = Path(top.stdout.strip()).resolve()
    try:
        relative = path.resolve().relative_to(root)
    except ValueError:
        return None
    tracked = _git(root, "ls-files", "-z", "--", str(relative)).stdout.strip("\0")
    if tracked:
        files = tracked.split("\0")
        return (f"git tracks {len(files)} file(s) there (e.g. {files[0]}); untrack them "
                "with git rm --cached")
    probe = relative / "g40cal-probe.ics" if folder else relative
    ignored = _git(root, "check-ignore", "-q", "--no-index", "--", str(probe))
    if ignored.returncode == 0:
        return None
    if ignored.returncode == 1:
        return f"it is inside the git work tree {root} and not git-ignored"
    return f"git check-ignore failed: {ignored.stderr.strip()}"


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True,
                          timeout=60, check=False)


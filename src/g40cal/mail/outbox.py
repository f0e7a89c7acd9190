"""The outbox: which participant gets which message, planned from the state, kept until sent.

Planning reads only what changed: the sync log's records since the last planning (the
``mail_cursor`` in ``meta``), the feeds that hold those events (the ``feed_keys`` index)
and the participants of those feeds. So its work follows the change, not the network.

- **welcome**: every participant whose personal feed is published and who has no welcome
  for their current token (a new token — ``participants rotate`` — brings new links, so a
  new welcome; so does a registration for another network day, see migration 0008). It is
  written when sent, from the state at that moment.
- **changes**: a participant who had their welcome, whose feed holds an event that changed
  in a way that bumps SEQUENCE (time, date, place, title, cancellation), or whose own feed
  gained or lost an item (their choice). A description fix is not news. Changes made before
  the next send join the message still due; changes that cancel each other out vanish.

A row is ``due`` until the server accepts it (``sent``) or refuses its recipient for good
(``refused``). Sent rows keep no content.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from g40cal.state import State

PERSONAL = "personal:"
# The fields of the change log a participant is told about: what moves them in their
# calendar. "status" is tentative → confirmed ("onder voorbehoud" → "bevestigd").
MAIL_FIELDS = ("titel", "datum", "tijd", "zaal", "locatie", "status")
# Records of the sync log that never reach a participant: "updated" (a description or link
# fix, no SEQUENCE bump) and "dropped" (a cancellation that has run its course).
_QUIET = frozenset({"updated", "dropped"})
_STARTS_PRESENT = frozenset({"changed", "cancelled"})
_ENDS_PRESENT = frozenset({"added", "restored", "changed"})


@dataclass(frozen=True)
class PlanSummary:
    welcome: int  # welcome messages newly planned
    changes: int  # change notices newly planned
    merged: int  # change notices still due that took in more changes
    dropped: int  # due messages no longer needed (their changes undid themselves)

    def to_json(self) -> dict[str, int]:
        return {"welcome": self.welcome, "changes": self.changes, "merged": self.merged,
                "dropped": self.dropped}


@dataclass(frozen=True)
class OutboxRow:
    id: int
    participant_id: int
    kind: str
    status: str
    planned_at: datetime
    token: str
    payload: dict[str, Any] | None
    message_id: str | None
    attempts: int
    last_error: str | None


# -- folding change records ------------------------------------------------------------


def fold(entry: dict[str, Any] | None, change: str, scope: str,
         fields: Iterable[list[str]]) -> dict[str, Any]:
    """One item's story in a participant's feed, with one more record of the sync log.

    ``start``: was it in their programme (and on) before the first record; ``end``: is it
    now; ``fields``: per field the value before the first record and after the last.
    """
    if entry is None:
        entry = {"start": change in _STARTS_PRESENT, "fields": {}}
    entry["end"] = change in _ENDS_PRESENT
    entry["last"] = change
    entry["scope"] = scope  # "event": the item itself, "feed": this participant's choice
    known: dict[str, list[str]] = entry["fields"]
    for name, old, new in fields:
        if name in MAIL_FIELDS:
            known[name] = [known[name][0] if name in known else old, new]
    return entry


def net_items(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The items worth telling: (dis)appeared from the programme, or changed in a field the
    participant sees. What ended where it began is left out."""
    result = {}
    for key, entry in payload["items"].items():
        fields = {n: v for n, v in entry["fields"].items() if v[0] != v[1]}
        if entry["start"] != entry["end"] or (entry["end"] and fields):
            result[key] = {**entry, "fields": fields}
    return result


# -- planning --------------------------------------------------------------------------


def plan_mail(state: State, now: datetime) -> PlanSummary:
    """Plan every message that is due, in one transaction (call inside none)."""
    with state.transaction():
        return _plan(state, now)


def _plan(state: State, now: datetime) -> PlanSummary:
    db = state.db
    last_run = int(db.execute("SELECT COALESCE(MAX(id), 0) FROM runs").fetchone()[0])
    cursor_text = state.meta("mail_cursor")
    # The first planning ever: what was published before is nobody's news; the welcome
    # shows everyone their programme as it is.
    cursor = last_run if cursor_text is None else int(cursor_text)
    _drop_stale(state)
    stories = _stories(state, cursor) if last_run > cursor else {}
    planned = merged = dropped = 0
    if stories:
        planned, merged, dropped = _put_changes(state, stories, now)
    welcome = _plan_welcomes(state, now)
    state.put_meta("mail_cursor", str(last_run))
    return PlanSummary(welcome, planned, merged, dropped)


def _drop_stale(state: State) -> None:
    """Due messages for a token the participant no longer has: their links are dead, and
    the welcome for the new token shows the programme as it is."""
    state.db.execute(
        "DELETE FROM mail_outbox WHERE status IN ('due', 'refused') AND token <> "
        "(SELECT token FROM participants WHERE id = mail_outbox.participant_id)")


Record = tuple[int, str, str, list]  # (position in the log, change, scope, fields)


def _stories(state: State, cursor: int) -> dict[str, dict[str, list[Record]]]:
    """Per personal feed id: per event key, its records in the order of the log."""
    db = state.db
    event_records: dict[str, list[Record]] = defaultdict(list)
    feed_records: dict[str, dict[str, list[Record]]] = defaultdict(lambda: defaultdict(list))
    rows = db.execute(
        "SELECT programme, item, feed, change, detail FROM changes WHERE run_id > ? "
        "ORDER BY run_id, rowid", (cursor,))
    for position, (programme, item, feed, change, detail) in enumerate(rows):
        if change in _QUIET or (feed is not None and not feed.startswith(PERSONAL)):
            continue
        key = f"{programme}/{item}"
        fields = json.loads(detail).get("fields", [])
        if feed is None:
            event_records[key].append((position, change, "event", fields))
        else:
            feed_records[feed][key].append((position, change, "feed", fields))
    holders: dict[str, set[str]] = defaultdict(set)
    if event_records:
        for feed_id, key in _in_chunks(
                db, "SELECT feed_id, key FROM feed_keys WHERE key IN ({})", event_records):
            if feed_id.startswith(PERSONAL):
                holders[feed_id].add(key)
    stories: dict[str, dict[str, list[Record]]] = {}
    for feed_id in holders.keys() | feed_records.keys():
        story = {k: event_records[k] for k in holders.get(feed_id, ())}
        for key, own in feed_records.get(feed_id, {}).items():
            story[key] = sorted([*story.get(key, []), *own])  # both kinds, in log order
        stories[feed_id] = story
    return stories


def _in_chunks(db: Any, query: str, values: Iterable[str], size: int = 500):
    values = sorted(set(values))
    for start in range(0, len(values), size):
        chunk = values[start:start + size]
        yield from db.execute(query.format(",".join("?" * len(chunk))), chunk)


def _put_changes(state: State, stories: dict[str, dict[str, list[Record]]],
                 now: datetime) -> tuple[int, int, int]:
    db = state.db
    tokens = [feed_id[len(PERSONAL):] for feed_id in stories]
    owners = {token: pid for pid, token in _in_chunks(
        db, "SELECT id, token FROM participants WHERE token IN ({})", tokens)}
    ids = json.dumps(sorted(owners.values()))
    # Only who had their welcome (for this token): a welcome still to come shows it all.
    welcomed = {(pid, token) for pid, token in db.execute(
        "SELECT participant_id, token FROM mail_outbox WHERE kind = 'welcome' AND "
        "status = 'sent' AND participant_id IN (SELECT value FROM json_each(?))", (ids,))}
    # A notice still due takes in the new changes (one message).
    pending = {pid: (row_id, json.loads(payload)) for row_id, pid, payload in db.execute(
        "SELECT id, participant_id, payload FROM mail_outbox WHERE kind = 'changes' AND "
        "status = 'due' AND participant_id IN "
        "(SELECT value FROM json_each(?))", (ids,))}
    inserts: list[tuple[int, str, str, str]] = []
    updates: list[tuple[str, int]] = []
    deletes: list[tuple[int]] = []
    merged = 0
    for feed_id, story in sorted(stories.items()):
        token = feed_id[len(PERSONAL):]
        pid = owners.get(token)
        if pid is None or (pid, token) not in welcomed:
            continue
        row_id, payload = pending.get(pid, (None, {"items": {}}))
        items = payload["items"]
        for key, records in sorted(story.items()):
            for _, change, scope, fields in records:
                items[key] = fold(items.get(key), change, scope, fields)
        if row_id is None:
            if net_items(payload):
                inserts.append((pid, now.isoformat(), token, _dump(payload)))
        elif net_items(payload):
            updates.append((_dump(payload), row_id))
            merged += 1
        else:
            deletes.append((row_id,))
    db.executemany(
        "INSERT INTO mail_outbox (participant_id, kind, status, planned_at, token, payload) "
        "VALUES (?, 'changes', 'due', ?, ?, ?)", inserts)
    db.executemany("UPDATE mail_outbox SET payload = ? WHERE id = ?", updates)
    db.executemany("DELETE FROM mail_outbox WHERE id = ?", deletes)
    return len(inserts), merged, len(deletes)


def _dump(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _plan_welcomes(state: State, now: datetime) -> int:
    """A welcome for every participant with a published feed and none for its token."""
    cursor = state.db.execute(
        "INSERT INTO mail_outbox (participant_id, kind, status, planned_at, token) "
        "SELECT p.id, 'welcome', 'due', ?, p.token FROM participants p "
        "WHERE EXISTS (SELECT 1 FROM feeds f WHERE f.feed_id = 'personal:' || p.token) "
        "AND NOT EXISTS (SELECT 1 FROM mail_outbox o WHERE o.participant_id = p.id "
        "AND o.kind = 'welcome' AND o.token = p.token AND o.status <> 'superseded') "
        "ORDER BY p.id", (now.isoformat(),))
    return cursor.rowcount


# -- reading and recording -------------------------------------------------------------


_COLUMNS = ("id, participant_id, kind, status, planned_at, token, payload, message_id, "
            "attempts, last_error")


def _row(r: tuple[Any, ...]) -> OutboxRow:
    return OutboxRow(r[0], r[1], r[2], r[3], datetime.fromisoformat(r[4]), r[5],
                     json.loads(r[6]) if r[6] else None, r[7], r[8], r[9])


def due_rows(state: State) -> list[OutboxRow]:
    """Due messages in the order they go out: welcomes first, then by participant."""
    return [_row(r) for r in state.db.execute(
        f"SELECT {_COLUMNS} FROM mail_outbox WHERE status = 'due' "
        "ORDER BY kind = 'changes', participant_id, id")]


def due_counts(state: State) -> dict[str, int]:
    due = {"welcome": 0, "changes": 0}
    for kind, number in state.db.execute(
            "SELECT kind, COUNT(*) FROM mail_outbox WHERE status = 'due' GROUP BY kind"):
        due[kind] = number
    return due


def rows_with_status(state: State, status: str) -> list[OutboxRow]:
    return [_row(r) for r in state.db.execute(
        f"SELECT {_COLUMNS} FROM mail_outbox WHERE status = ? ORDER BY participant_id, id",
        (status,))]


def forget_unsaid(state: State, row_ids: Iterable[int]) -> None:
    """Due rows with nothing to say: a notice about items that are over or gone goes; a
    welcome for someone with no network day still to come is kept as skipped (so it is not
    planned again, until they register for another day)."""
    with state.transaction():
        state.db.executemany(
            "DELETE FROM mail_outbox WHERE id = ? AND status = 'due' AND kind = 'changes'",
            [(i,) for i in row_ids])
        state.db.executemany(
            "UPDATE mail_outbox SET status = 'skipped' WHERE id = ? AND status = 'due'",
            [(i,) for i in row_ids])


def record_sent(state: State, row_id: int, message_id: str, at: datetime) -> None:
    """The server accepted it: keep only that it went (no content, no address).

    One statement, committed on its own (the connection is in autocommit mode): it runs
    after every message, so it is kept cheap."""
    state.db.execute(
        "UPDATE mail_outbox SET status = 'sent', sent_at = ?, message_id = ?, "
        "attempts = attempts + 1, payload = NULL, last_error = NULL WHERE id = ?",
        (at.isoformat(), message_id, row_id))


def record_failure(state: State, row_id: int, error: str, *, permanent: bool) -> None:
    """Not accepted. Temporary (4xx): due again next run. Permanent (5xx): refused until
    ``retry_refused``. (One statement, committed on its own.)"""
    state.db.execute(
        "UPDATE mail_outbox SET status = ?, attempts = attempts + 1, last_error = ? "
        "WHERE id = ?", ("refused" if permanent else "due", error, row_id))


def retry_refused(state: State) -> int:
    """Refused messages become due again (after the bureau corrected an address)."""
    with state.transaction():
        return state.db.execute(
            "UPDATE mail_outbox SET status = 'due' WHERE status = 'refused'").rowcount


def sent_since(state: State, moment: datetime) -> list[datetime]:
    """When messages went out since ``moment`` (the rate limit spans runs)."""
    return [datetime.fromisoformat(r[0]) for r in state.db.execute(
        "SELECT sent_at FROM mail_outbox WHERE status = 'sent' AND sent_at >= ? "
        "ORDER BY sent_at", (moment.isoformat(),))]


def counts(state: State) -> dict[str, dict[str, int]]:
    """Per kind: due (of which failed before), sent, refused, skipped."""
    result = {kind: {"due": 0, "retrying": 0, "sent": 0, "refused": 0, "skipped": 0}
              for kind in ("welcome", "changes")}
    for kind, status, retrying, number in state.db.execute(
            "SELECT kind, status, attempts > 0, COUNT(*) FROM mail_outbox "
            "GROUP BY kind, status, attempts > 0"):
        result[kind]["sent" if status == "superseded" else status] += number
        if status == "due" and retrying:
            result[kind]["retrying"] += number
    return result


def forget_programme_mail(state: State, programme: str) -> None:
    """``participants purge``: no message about a purged network day stays behind.

    Messages of participants who are gone went with them (a trigger); for those who stay,
    a due notice loses that day's items (or goes, if nothing is left). A welcome holds no
    text until it is sent. Call inside the purge's transaction.
    """
    db = state.db
    prefix = f"{programme}/"
    for row_id, payload in db.execute(
            "SELECT id, payload FROM mail_outbox WHERE kind = 'changes' AND status <> 'sent' "
            "AND payload IS NOT NULL").fetchall():
        data = json.loads(payload)
        kept = {k: v for k, v in data["items"].items() if not k.startswith(prefix)}
        if len(kept) == len(data["items"]):
            continue
        if net_items({"items": kept}):
            db.execute("UPDATE mail_outbox SET payload = ? WHERE id = ?",
                       (_dump({"items": kept}), row_id))
        else:
            db.execute("DELETE FROM mail_outbox WHERE id = ?", (row_id,))

"""Writing the messages: Dutch, plain text + HTML, from templates a bureau may override.

Templates live in ``g40cal/templates/mail/``; a file of the same name in the project's
``templates/mail/`` folder wins (see docs/mail.md). Every message links the participant's
personal page. No calendar invitation is attached: an iTIP REQUEST would put a second copy
of each event beside the subscribed one. No images, no tracking: a message reads the same
with images off.

A message is written without its ``To`` line (the address is read from the participants
table when it goes out, see ``sending.py``); ``with_recipient`` adds it.
"""

from __future__ import annotations

import binascii
import hashlib
import traceback
from dataclasses import dataclass
from datetime import date, datetime
from email.header import Header
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateSyntaxError,
)

from g40cal.config import Config
from g40cal.definitions.model import TZ
from g40cal.definitions.project import Project
from g40cal.errors import UserError
from g40cal.mail.outbox import OutboxRow, net_items
from g40cal.mail.settings import MailSettings
from g40cal.people.participants import Participant, feed_links, feed_name, load_participants
from g40cal.publishing.diff import only_the_room_moved
from g40cal.publishing.events import ONDER_VOORBEHOUD, Event, in_city
from g40cal.state import State
from g40cal.web.pages import dutch_date, programme_dates

OVERRIDE_FOLDER = Path("templates") / "mail"
FIELD_LABELS = {"titel": "Titel", "datum": "Datum", "tijd": "Tijd", "zaal": "Zaal",
                "locatie": "Locatie", "status": "Status"}
TEMPLATES = ("welcome.subject.txt", "welcome.txt", "welcome.html", "changes.subject.txt",
             "changes.txt", "changes.html")


@dataclass(frozen=True)
class Composed:
    row_id: int
    participant_id: int
    kind: str
    message_id: str
    data: bytes  # the whole message but its To line


def environment(config: Config) -> Environment:
    """The mail templates: the project's own (``templates/mail/``) before the shipped ones."""
    loaders = [FileSystemLoader(str(config.root / OVERRIDE_FOLDER)),
               PackageLoader("g40cal", "templates/mail")]
    return Environment(loader=ChoiceLoader(loaders), undefined=StrictUndefined,
                       autoescape=lambda name: bool(name and name.endswith(".html")),
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def _load_template(env: Environment, name: str) -> Template:
    try:
        return env.get_template(name)
    except TemplateSyntaxError as exc:  # the bureau's own template (the shipped ones parse)
        raise _template_error(exc.filename or name, exc.lineno, exc.message or str(exc)) \
            from None


def _render(template: Template, context: dict[str, Any]) -> str:
    try:
        return template.render(context)
    except TemplateError as exc:  # e.g. a name the template uses that messages do not have
        filename = template.filename or template.name or "template"
        # Jinja maps its frames to template lines: the last one in this file is the mistake.
        lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__)
                 if frame.filename == filename]
        raise _template_error(filename, lines[-1] if lines else None,
                              exc.message or str(exc)) from None


def _template_error(filename: str, line: int | None, problem: str) -> UserError:
    where = f"{filename}:{line}" if line else filename
    return UserError(f"{where}: mail template: {problem} (fix it, or delete the file to use "
                     "the shipped template; docs/mail.md lists what a template can use)")


def message_id(row_id: int, token: str, settings: MailSettings) -> str:
    """Stable per outbox row (a resend after a lost connection has the same one); says
    nothing about the participant (the token is hashed)."""
    digest = hashlib.sha256(f"{row_id}:{token}".encode()).hexdigest()[:20]
    return f"<g40cal.{row_id}.{digest}@{settings.sender.domain}>"


class Composer:
    """Writes the due messages of one run; programme facts are looked up once."""

    def __init__(self, project: Project, state: State, settings: MailSettings,
                 now: datetime) -> None:
        self.project, self.state, self.settings, self.now = project, state, settings, now
        self.config = project.config
        self.env = environment(self.config)
        self.templates = {name: _load_template(self.env, name) for name in TEMPLATES}
        self._events: dict[str, Event] = {}
        self._headers: dict[str, bytes] = {}
        self._estimates: dict[str, frozenset[str] | None] = {}
        self.today = now.astimezone(TZ).date()

    def compose(self, rows: list[OutboxRow]) -> list[Composed]:
        """The messages of ``rows``; a row with nothing to say gives none."""
        people = {p.id: p for start in range(0, len(rows), 5000)
                  for p in load_participants(self.state, ids=[
                      r.participant_id for r in rows[start:start + 5000]])}
        self._load_events(rows, people)
        result = []
        for row in rows:
            participant = people.get(row.participant_id)
            if participant is None:
                continue
            context = (self.welcome_context(participant) if row.kind == "welcome"
                       else self.changes_context(participant, row.payload or {"items": {}}))
            if context is None:
                continue
            mid = message_id(row.id, row.token, self.settings)
            result.append(Composed(row.id, row.participant_id, row.kind, mid,
                                   self.build(row.kind, context, mid)))
        return result

    # -- facts -----------------------------------------------------------------------

    def _load_events(self, rows: list[OutboxRow], people: dict[int, Participant]) -> None:
        """The published events the messages talk about (as subscribers see them)."""
        keys: set[str] = set()
        for row in rows:
            if row.payload:
                keys |= set(row.payload["items"])
            elif (person := people.get(row.participant_id)) is not None:
                keys |= {f"{r.programme}/{c.item}" for r in person.registrations
                         for c in r.choices}
        self._events.update({k: r.event for k, r in self.state.events(keys).items()})

    def programme_facts(self, programme_id: str,
                        days: frozenset[int] | None = None) -> dict[str, str]:
        """A network day's facts; ``days``: only the dates of the days a person attends
        (as their personal feed and page say them)."""
        programme = self.project.programme(programme_id)
        if programme is None:  # its definition is gone: its items are cancelled
            return {"id": programme_id, "title": programme_id, "city": "", "dates": "",
                    "first": ""}
        # "Bestuurlijke netwerkdag Zaandam …, Zaandam": the city only where the title lacks it.
        city = programme.city if in_city(programme.title, programme.city) else ""
        return {"id": programme.id, "title": programme.title, "city": city,
                "dates": programme_dates(programme, days) or programme_dates(programme),
                "first": programme.first_date.isoformat()}

    def estimates(self, event: Event) -> frozenset[str] | None:
        """What the definition marks as estimated behind this item (None: not defined)."""
        if event.key not in self._estimates:
            programme = self.project.programme(event.programme_id)
            for item in programme.items if programme else ():
                self._estimates[f"{programme.id}/{item.id}"] = programme.item_estimates(item)
            self._estimates.setdefault(event.key, None)
        return self._estimates[event.key]

    def _upcoming(self, programme_id: str) -> bool:
        programme = self.project.programme(programme_id)
        return programme is not None and programme.last_date >= self.today

    def _common_count(self, participant: Participant, programme_id: str) -> int:
        programme = self.project.programme(programme_id)
        registration = participant.registration(programme_id)
        if programme is None or registration is None:
            return 0
        return sum(1 for i in programme.items
                   if not i.optional and registration.attends(i.day))

    # -- contexts ----------------------------------------------------------------------

    def _base(self, participant: Participant, programmes: list[Any]) -> dict[str, Any]:
        found = [p for r in participant.registrations
                 if (p := self.project.programme(r.programme)) is not None]
        found.sort(key=lambda p: (p.first_date, p.id))
        links = feed_links(self.config, participant.token, feed_name(self.config, found))
        return {"name": participant.name, "network": self.config.network_name,
                "links": links, "page": links.page, "programmes": programmes,
                "sender": self.settings.sender.name or self.config.network_name}

    def welcome_context(self, participant: Participant) -> dict[str, Any] | None:
        programmes = []
        for registration in participant.registrations:
            if not self._upcoming(registration.programme):
                continue  # a network day that is over (or gone) needs no links
            facts = self.programme_facts(registration.programme, registration.days)
            chosen = [item_line(event, self.estimates(event)) for c in registration.choices
                      if (event := self._events.get(f"{registration.programme}/{c.item}"))
                      is not None and not event.cancelled]
            chosen.sort(key=lambda line: line["sort"])
            programmes.append({**facts, "chosen": chosen,
                               "common": self._common_count(participant,
                                                            registration.programme)})
        if not programmes:
            return None
        programmes.sort(key=lambda p: (p["first"], p["id"]))
        return self._base(participant, programmes)

    def changes_context(self, participant: Participant,
                        payload: dict[str, Any]) -> dict[str, Any] | None:
        per_programme: dict[str, list[dict[str, Any]]] = {}
        for key, entry in sorted(net_items(payload).items()):
            event = self._events.get(key)
            if event is None or event.ends_at < self.now:
                continue  # gone for good, or over: nobody needs to hear of it now
            per_programme.setdefault(event.programme_id, []).append(
                change_view(event, entry, self.estimates(event)))
        if not per_programme:
            return None
        programmes = []
        for programme_id, items in per_programme.items():
            items.sort(key=lambda i: i["sort"])
            registration = participant.registration(programme_id)
            days = registration.days if registration is not None else None
            programmes.append({**self.programme_facts(programme_id, days), "entries": items})
        programmes.sort(key=lambda p: (p["entries"][0]["sort"], p["id"]))
        return self._base(participant, programmes)

    # -- the message -------------------------------------------------------------------

    def build(self, kind: str, context: dict[str, Any], mid: str) -> bytes:
        subject = " ".join(_render(self.templates[f"{kind}.subject.txt"], context).split())
        text = _render(self.templates[f"{kind}.txt"], context)
        html = _render(self.templates[f"{kind}.html"], context)
        return mime_message(self._header_lines(subject), mid, text, html)

    def _header_lines(self, subject: str) -> bytes:
        """The headers every message of this run shares, with its subject (folded and
        encoded once per distinct subject: a notice run has only a few)."""
        found = self._headers.get(subject)
        if found is None:
            fields = [("From", self.settings.sender.header())]
            if self.settings.reply_to is not None:
                fields.append(("Reply-To", self.settings.reply_to.header()))
            fields += [("Subject", subject),
                       ("Date", format_datetime(self.now.astimezone(TZ))),
                       # Automatic mail: out-of-office replies stay away (RFC 3834, and
                       # Exchange's own header).
                       ("Auto-Submitted", "auto-generated"),
                       ("X-Auto-Response-Suppress", "All"),
                       ("Content-Language", "nl"), ("MIME-Version", "1.0")]
            found = b"".join(_header(name, value) for name, value in fields)
            self._headers[subject] = found
        return found


def _header(name: str, value: str) -> bytes:
    """One header line, folded at spaces; text outside ASCII as RFC 2047 encoded words.
    (The email package's own folding may move a whole value to a continuation line, which
    some programs then show with a leading space.)"""
    if name in ("From", "Reply-To"):  # an address: the display name encoded, if need be
        folded = SMTP.header_factory(name, value).fold(policy=SMTP)
        return folded.encode("ascii")
    charset = "us-ascii" if value.isascii() else "utf-8"
    text = Header(value, charset, header_name=name).encode(linesep="\r\n")
    return f"{name}: {text}\r\n".encode("ascii")


def _qp(text: str) -> bytes:
    """Quoted-printable UTF-8 with CRLF line ends (readable where it is plain ASCII)."""
    body = text.replace("\r\n", "\n").encode("utf-8")
    return binascii.b2a_qp(body, istext=True).replace(b"\n", b"\r\n")


def mime_message(headers: bytes, mid: str, text: str, html: str) -> bytes:
    """multipart/alternative (plain text, then HTML), written directly: the email package's
    message objects cost ~7 ms a message, most of a run of 1,000 notices. The boundary
    comes from the Message-ID, not from chance: same state, same bytes."""
    boundary = ("=_" + hashlib.sha256(mid.encode()).hexdigest()[:32]).encode()
    part = (b'\r\nContent-Type: text/%s; charset="utf-8"\r\n'
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n")
    return b"".join([
        headers, b"Message-ID: ", mid.encode("ascii"), b"\r\n",
        b'Content-Type: multipart/alternative; boundary="', boundary, b'"\r\n\r\n',
        b"--", boundary, part % b"plain", _qp(text), b"\r\n",
        b"--", boundary, part % b"html", _qp(html), b"\r\n",
        b"--", boundary, b"--\r\n"])


def with_recipient(data: bytes, name: str, address: str) -> bytes:
    """The stored message with its ``To`` line (a UTF-8 name is encoded, RFC 2047)."""
    return f"To: {formataddr((name, address), charset='utf-8')}\r\n".encode("ascii") + data


# -- item views --------------------------------------------------------------------------


def _day(event: Event) -> date:
    return event.start.astimezone(TZ).date()


def when_text(event: Event) -> str:
    start = event.start.astimezone(TZ)
    end = f"–{event.end.astimezone(TZ):%H:%M}" if event.end else ""
    return f"{dutch_date(_day(event))}, {start:%H:%M}{end}"


_PLACE_ESTIMATES = frozenset({"venue", "venue.name", "venue.address"})


def place_text(event: Event, estimates: frozenset[str] = frozenset()) -> str:
    """The event's location as calendars and pages show it (room, venue, address; the room
    as the bureau wrote it: "Raadszaal", "Begane grond"), "onder voorbehoud" after the
    part that is an estimate."""
    marker = f" ({ONDER_VOORBEHOUD})"
    rest = event.location
    parts = []
    if event.room:
        rest = rest.removeprefix(event.room).removeprefix(", ")
        parts.append(event.room + (marker if "room" in estimates else ""))
    if rest:
        parts.append(rest + (marker if estimates & _PLACE_ESTIMATES else ""))
    return ", ".join(parts)


def item_line(event: Event, estimates: frozenset[str] | None = None) -> dict[str, Any]:
    """One item as a message lists it. An estimated date, time or place is never shown as a
    fact: "onder voorbehoud" goes after what is estimated (``estimates``, from the item's
    definition); without them, after the time of any tentative event."""
    timing = (event.tentative if estimates is None
              else event.summary.endswith(_MARKER))  # the feed's own mark: timing, proviso
    when = when_text(event) + (_MARKER if timing else "")
    return {"title": event.title, "when": when,
            "place": place_text(event, estimates or frozenset()),
            "sort": (event.start.isoformat(), event.key)}


_HEADLINES = {
    ("event", True): "weer op het programma",
    ("feed", True): "nieuw in uw programma",
    ("event", False): "vervalt",
    ("feed", False): "niet meer in uw programma",
}


def change_view(event: Event, entry: dict[str, Any],
                estimates: frozenset[str] | None = None) -> dict[str, Any]:
    """One item of a notice: what happened to it, old → new, and where it stands now."""
    if entry["start"] == entry["end"]:
        headline = "gewijzigd"
    elif entry["end"] and entry["last"] == "added" and entry["scope"] == "event":
        headline = "nieuw op het programma"
    else:
        headline = _HEADLINES[(entry["scope"], entry["end"])]
    fields = _without_room_in_location(entry["fields"])
    changes = [{"label": FIELD_LABELS[name], "old": _shown(name, old), "new": _shown(name, new)}
               for name, (old, new) in fields.items()] if entry["end"] else []
    # The title carries "(onder voorbehoud)" while the timing is an estimate; the time line
    # says so already, and a title that only lost the marker did not change.
    changes = [c for c in changes if c["old"] != c["new"]]
    changes.sort(key=lambda c: list(FIELD_LABELS.values()).index(c["label"]))
    return {**item_line(event, estimates), "headline": headline, "changes": changes,
            "current": bool(entry["end"])}


def _without_room_in_location(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """Drop the location's change when only its room changed (told once, as the room)."""
    rooms = fields.get("zaal")
    if "locatie" not in fields or rooms is None \
            or not only_the_room_moved(fields["locatie"], rooms):
        return fields
    return {n: v for n, v in fields.items() if n != "locatie"}


_MARKER = f" ({ONDER_VOORBEHOUD})"


def _shown(name: str, value: str) -> str:
    if not value:
        return "(geen)"
    if name == "titel":
        return value.removesuffix(_MARKER)
    if name == "datum":
        try:
            return dutch_date(date.fromisoformat(value))
        except ValueError:
            return value
    return value

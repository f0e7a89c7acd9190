"""Delivering the outbox through the bureau's SMTP server, one recorded acceptance at a time.

Each message is recorded as sent in its own transaction the moment the server accepted it
(250 after DATA), with its Message-ID (which follows from its outbox row, so a resend has
the same one). A run that dies or loses its connection leaves the rest due, and the
next run sends exactly those. The one window that cannot be closed: killed after the
server accepted a message and before that was recorded — that message goes again, with
the same Message-ID (docs/mail.md, "Faults").

Per message: the recipient refused for good (5xx) → ``refused``, reported, the others
still go; refused for now (4xx) → due again at the next run; the connection lost → one
new connection, then the run stops (the rest stays due). A refused login or sender stops
everything at once (``MailAuthError`` / ``MailSenderError``, exit 1).

Addresses come only from the participants table and never appear in reports: a server
reply that quotes an address is shown with ``<address>`` in its place.
"""

from __future__ import annotations

import json
import re
import smtplib
import socket
import ssl
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from g40cal.errors import UserError
from g40cal.mail import outbox
from g40cal.mail.messages import Composed, with_recipient
from g40cal.mail.settings import MailSettings
from g40cal.state import State

_ADDRESS = re.compile(r"[^\s<>()\[\]\"',;:]+@[^\s<>()\[\]\"',;:]+")
WINDOW = 60.0  # seconds: rate_per_minute counts the messages in any minute


class MailError(UserError):
    """The server cannot be used as configured: nothing more is sent (exit 1)."""


class MailAuthError(MailError):
    pass


class MailSenderError(MailError):
    pass


def scrub(text: str) -> str:
    """A server reply without any e-mail address in it (it may quote the recipient)."""
    return _ADDRESS.sub("<address>", text)


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return scrub(f"{code} {' '.join(text.split())}")


# -- connecting --------------------------------------------------------------------------


def tls_context(settings: MailSettings) -> ssl.SSLContext:
    """Certificates are checked as always (system CAs); ``ca_file`` adds a private CA."""
    context = ssl.create_default_context()
    if settings.ca_file is not None:
        context.load_verify_locations(cafile=str(settings.ca_file))
    return context


def connect(settings: MailSettings, password: str | None) -> smtplib.SMTP:
    """A logged-in connection, or a ``MailError`` that says in words what went wrong."""
    where = f"{settings.host}:{settings.port}"
    context = tls_context(settings) if settings.security != "none" else None
    try:
        if settings.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port,
                                                  timeout=settings.timeout, context=context)
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        smtp.ehlo()
        if settings.security == "starttls":
            if not smtp.has_extn("starttls"):
                smtp.close()
                raise MailError(f"{where} does not offer STARTTLS; set security = \"ssl\" "
                                "(port 465) if it expects TLS from the start")
            smtp.starttls(context=context)
            smtp.ehlo()
    except ssl.SSLCertVerificationError as exc:
        raise MailError(f"{where}: the server's certificate is not trusted "
                        f"({exc.verify_message}); if your server uses a private certificate "
                        "authority, set ca_file in [mail] to its PEM file") from None
    except ssl.SSLError as exc:
        raise MailError(f"{where}: TLS failed ({exc.reason or exc}); check security and port "
                        "(starttls: 587, ssl: 465)") from None
    except socket.gaierror:
        raise MailError(f"{settings.host}: no such host (check host in [mail])") from None
    except (ConnectionRefusedError, TimeoutError) as exc:
        reason = "refused the connection" if isinstance(exc, ConnectionRefusedError) \
            else f"did not answer within {settings.timeout:g} s"
        raise MailError(f"{where} {reason} (check host, port and the firewall)") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"{where}: cannot talk to the server: {scrub(str(exc))}") from None
    if settings.username is not None:
        try:
            smtp.login(settings.username, password or "")
        except smtplib.SMTPAuthenticationError as exc:
            _close(smtp)
            raise MailAuthError(f"{where}: the server refused the login of "
                                f"{settings.username!r}: {_reply(exc.smtp_code, exc.smtp_error)}"
                                " (check the password; Microsoft 365 also needs SMTP AUTH "
                                "enabled for this mailbox)") from None
        except smtplib.SMTPNotSupportedError:
            _close(smtp)
            raise MailAuthError(f"{where} offers no login (AUTH); remove username from [mail] "
                                "if it needs none") from None
        except (smtplib.SMTPException, OSError) as exc:
            _close(smtp)
            raise MailError(f"{where}: login failed: {scrub(str(exc))}") from None
    return smtp


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


@dataclass(frozen=True)
class CheckStep:
    name: str
    ok: bool
    message: str


def check_server(settings: MailSettings) -> list[CheckStep]:
    """``mail check``: password, connection, TLS, login and sender, each said in words.
    Sends nothing (the sender is tried with MAIL FROM, then reset)."""
    steps: list[CheckStep] = []
    try:
        password = settings.password()
    except UserError as exc:
        return [CheckStep("password", False, str(exc))]
    if settings.username is not None:
        steps.append(CheckStep("password", True, "found"))
    try:
        smtp = connect(settings, password)
    except MailAuthError as exc:
        steps += [CheckStep("connection", True, _security_text(settings)),
                  CheckStep("login", False, str(exc))]
        return steps
    except MailError as exc:
        return [*steps, CheckStep("connection", False, str(exc))]
    try:
        steps.append(CheckStep("connection", True, _security_text(settings, smtp)))
        if settings.username is not None:
            steps.append(CheckStep("login", True, f"accepted for {settings.username!r}"))
        code, reply = smtp.mail(settings.sender.address)
        if code == 250:
            steps.append(CheckStep("sender", True, f"{settings.sender.address} accepted"))
        else:
            steps.append(CheckStep("sender", False, f"the server refuses "
                                   f"{settings.sender.address} as sender: "
                                   f"{_reply(code, reply)}"))
        smtp.rset()
    except (smtplib.SMTPException, OSError) as exc:
        steps.append(CheckStep("sender", False, f"the connection failed: {scrub(str(exc))}"))
    finally:
        _close(smtp)
    return steps


def _security_text(settings: MailSettings, smtp: smtplib.SMTP | None = None) -> str:
    where = f"{settings.host}:{settings.port}"
    sock = getattr(smtp, "sock", None)
    if isinstance(sock, ssl.SSLSocket):
        return f"{where}, {sock.version()} ({settings.security}), certificate verified"
    return f"{where}, {settings.security}" + (" (unencrypted)"
                                              if settings.security == "none" else "")


# -- the rate limit ---------------------------------------------------------------------


class RateLimit:
    """At most ``per_minute`` messages in any 60 seconds, counting the previous run's."""

    def __init__(self, per_minute: int, recent: list[float],
                 clock: Callable[[], float]) -> None:
        self.per_minute, self.clock = per_minute, clock
        self.sent: deque[float] = deque(recent[-per_minute:] if per_minute else ())

    def pause(self) -> float:
        """Seconds to wait before one more message may go (0: none)."""
        if not self.per_minute or len(self.sent) < self.per_minute:
            return 0.0
        return max(0.0, self.sent[0] + WINDOW - self.clock())

    def record(self, moment: float) -> None:
        if self.per_minute:
            self.sent.append(moment)
            while len(self.sent) > self.per_minute:
                self.sent.popleft()


# -- sending -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    row_id: int
    participant_id: int
    kind: str
    error: str
    permanent: bool

    def to_json(self) -> dict[str, Any]:
        return {"participant": self.participant_id, "kind": self.kind, "error": self.error,
                "permanent": self.permanent}


@dataclass
class SendReport:
    sent: int = 0
    failures: list[Failure] = field(default_factory=list)
    remaining: int = 0  # still due when the run stopped
    stopped: str | None = None  # why the run stopped early
    waited: float = 0.0  # seconds spent waiting for the rate limit

    @property
    def ok(self) -> bool:
        return not self.failures and not self.remaining and self.stopped is None

    def to_json(self) -> dict[str, Any]:
        return {"sent": self.sent, "refused": sum(f.permanent for f in self.failures),
                "retry_later": sum(not f.permanent for f in self.failures),
                "remaining": self.remaining, "stopped": self.stopped,
                "failures": [f.to_json() for f in self.failures]}


class _Lost(Exception):
    """The connection went away in the middle of a message."""


class _Stopped(Exception):
    """The connection is gone and could not be made again: the run stops."""


class _Session:
    """One logged-in connection that is made again once when the server drops it — unless
    it was new (a server that drops a fresh connection will not take the rest either)."""

    def __init__(self, settings: MailSettings, password: str | None) -> None:
        self.settings, self.password = settings, password
        self.smtp = connect(settings, password)
        self.fresh = True  # nothing sent on this connection yet

    def send(self, data: bytes, name: str, address: str) -> tuple[str, bool] | None:
        try:
            result = _send_one(self.smtp, self.settings, data, name, address)
        except _Lost as lost:
            _close_quietly(self.smtp)
            if self.fresh:
                raise _Stopped(f"the connection was lost: {lost}") from None
            try:
                self.smtp = connect(self.settings, self.password)
            except MailError as exc:
                raise _Stopped(f"the connection was lost and could not be made again: "
                               f"{exc}") from None
            self.fresh = True
            return self.send(data, name, address)
        self.fresh = self.fresh and result is not None
        return result

    def close(self) -> None:
        _close_quietly(self.smtp)


def send_due(state: State, settings: MailSettings, rows: Iterable[Composed], total: int, *,
             clock: Callable[[], float] = time.time,
             sleep: Callable[[float], None] = time.sleep,
             progress: Callable[[str], None] | None = None) -> SendReport:
    """Send the written due messages (``total`` of them, written as they are needed); see
    the module docstring for what happens when."""
    report = SendReport()
    if not total:
        return report
    password = settings.password()
    recent = [m.timestamp() for m in outbox.sent_since(
        state, datetime.fromtimestamp(clock() - WINDOW, UTC))]
    limit = RateLimit(settings.rate_per_minute, recent, clock)
    session = _Session(settings, password)
    # One commit per accepted message. In WAL mode with synchronous=NORMAL a commit survives
    # the process being killed (it is in the operating system's hands); only a power cut
    # can lose the last few records. Waiting for the disk (FULL) after every message would
    # cost more than the message itself (docs/mail.md, "Faults").
    state.db.execute("PRAGMA synchronous=NORMAL")
    try:
        for number, row in enumerate(rows, start=1):
            # Read now, not when the batch began: at 30 a minute a batch can take an hour,
            # and a participant removed (or corrected) meanwhile is not mailed (or is, right).
            who = state.db.execute("SELECT name, email FROM participants WHERE id = ?",
                                   (row.participant_id,)).fetchone()
            if who is None:
                continue
            if pause := limit.pause():
                if progress:
                    progress(f"waiting {pause:.0f} s: at most {settings.rate_per_minute} "
                             f"messages a minute ({report.sent} of {total} sent)")
                sleep(pause)
                report.waited += pause
            try:
                result = session.send(row.data, *who)
            except _Stopped as stopped:
                report.stopped, report.remaining = str(stopped), total - number + 1
                break
            _record(state, report, row, result, clock(), limit)
            if progress and number % 50 == 0:
                progress(f"sent {report.sent} of {total}")
    finally:
        session.close()
        state.db.execute("PRAGMA synchronous=FULL")
    return report


def _record(state: State, report: SendReport, row: Composed,
            result: tuple[str, bool] | None, moment: float, limit: RateLimit) -> None:
    if result is None:
        outbox.record_sent(state, row.row_id, row.message_id,
                           datetime.fromtimestamp(moment, UTC))
        limit.record(moment)
        report.sent += 1
        return
    error, permanent = result
    outbox.record_failure(state, row.row_id, error, permanent=permanent)
    report.failures.append(Failure(row.row_id, row.participant_id, row.kind, error, permanent))


def _close_quietly(smtp: smtplib.SMTP) -> None:
    try:
        _close(smtp)
    except Exception:  # a dead connection may fail in any way on close
        smtp.close()


def _addresses(state: State, ids: list[int]) -> dict[int, tuple[str, str]]:
    return {pid: (name, email) for pid, name, email in state.db.execute(
        "SELECT id, name, email FROM participants WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(set(ids))),))}


def _send_one(smtp: smtplib.SMTP, settings: MailSettings, message: bytes, name: str,
              address: str) -> tuple[str, bool] | None:
    """None when the server accepted the message; else (reply, permanent)."""
    if not address.isascii():  # would need SMTPUTF8, which few servers offer
        return "the address holds characters outside ASCII; correct it", True
    try:
        code, reply = smtp.mail(settings.sender.address)
        if code != 250:
            _reset(smtp)
            if 400 <= code < 500:
                return _reply(code, reply), False
            raise MailSenderError(f"the server refuses {settings.sender.address} as sender: "
                                  f"{_reply(code, reply)} (check from in [mail]; Microsoft 365 "
                                  "sends only as the mailbox that logs in, or with Send As "
                                  "rights)")
        code, reply = smtp.rcpt(address)
        if code not in (250, 251):
            _reset(smtp)
            return _reply(code, reply), code >= 500
        if settings.bcc_bureau:
            smtp.rcpt(settings.bcc_bureau)  # a refused copy does not hold up the message
        code, reply = smtp.data(with_recipient(message, name, address))
    except smtplib.SMTPServerDisconnected as exc:
        raise _Lost(scrub(str(exc)) or "the server closed the connection") from None
    except smtplib.SMTPDataError as exc:  # DATA itself refused (no 354)
        _reset(smtp)
        return _reply(exc.smtp_code, exc.smtp_error), exc.smtp_code >= 500
    except (OSError, smtplib.SMTPResponseException) as exc:
        if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 421:
            raise _Lost(_reply(exc.smtp_code, exc.smtp_error)) from None
        raise _Lost(scrub(str(exc)) or type(exc).__name__) from None
    if code == 250:
        return None
    if code == 421:
        raise _Lost(_reply(code, reply))
    return _reply(code, reply), code >= 500


def _reset(smtp: smtplib.SMTP) -> None:
    try:
        smtp.rset()
    except smtplib.SMTPServerDisconnected as exc:
        raise _Lost(str(exc) or "the server closed the connection") from None


def dry_run_files(rows: list[Composed], addresses: dict[int, tuple[str, str]],
                  ) -> list[tuple[str, bytes]]:
    """(file name, bytes) per written message, To line included, for review."""
    return [(f"{m.row_id:06d}-{m.kind}-{m.participant_id}.eml",
             with_recipient(m.data, *addresses[m.participant_id]))
            for m in rows if m.participant_id in addresses]


def addresses_of(state: State, ids: list[int]) -> dict[int, tuple[str, str]]:
    return _addresses(state, ids)


"""A real SMTP server for the mail tests: aiosmtpd on 127.0.0.1 (a free port), with STARTTLS
(or TLS from the start) under a certificate from a test CA (trustme), AUTH, and faults the
tests switch on: refused or deferred recipients, a connection dropped at a given message, a
message held until released (to kill the client meanwhile)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER = "bureau@g40.example"
PASSWORD = "correct horse battery staple"
PASSWORD_ENV = "G40CAL_TEST_SMTP_PASSWORD"
# aiosmtpd warns about its own attribute when a login is handled: not ours to fix.
warnings.filterwarnings("ignore", "Session.login_data is deprecated")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: tuple[str, ...]
    data: bytes
    tls: bool
    at: float

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def to(self) -> str:
        return str(self.message["To"].addresses[0].addr_spec)


@dataclass
class Faults:
    refuse: set[str] = field(default_factory=set)  # 550 at RCPT
    defer: set[str] = field(default_factory=set)  # 450 at RCPT
    drop_at: int | None = None  # close the connection at this DATA (1 = the first one)
    down_after_drop: bool = False  # and refuse new logins afterwards
    hold_at: int | None = None  # keep this DATA waiting until ``release`` is set
    release: threading.Event = field(default_factory=threading.Event)
    held: threading.Event = field(default_factory=threading.Event)


class _Handler:
    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        faults = self.server.faults
        if address in faults.refuse:
            return "550 5.1.1 <" + address + ">: Recipient address rejected: User unknown"
        if address in faults.defer:
            return "450 4.2.1 <" + address + ">: mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.server.down:  # the service is unavailable until the test says otherwise
            server.transport.close()
            return "421 4.3.2 service not available"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        faults = self.server.faults
        self.server.data_commands += 1
        number = self.server.data_commands
        if faults.drop_at == number:
            if faults.down_after_drop:
                self.server.down = True
            server.transport.close()
            return "421 4.4.2 connection dropped by the test"
        if faults.hold_at == number:
            faults.held.set()
            while not faults.release.is_set():
                await asyncio.sleep(0.01)
            return "451 4.3.0 released after the client was gone"
        self.server.received.append(Received(
            envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.original_content),
            session.ssl is not None, time.monotonic()))
        return "250 2.0.0 OK: queued"


class MailServer:
    """One aiosmtpd server; ``received`` holds what it accepted, in order."""

    def __init__(self, folder: Path, *, security: str = "starttls") -> None:
        self.ca = trustme.CA()
        certificate = self.ca.issue_cert("127.0.0.1", "localhost")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        certificate.configure_cert(context)
        self.ca_file = folder / "test-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.port = free_port()
        self.security = security
        self.received: list[Received] = []
        self.faults = Faults()
        self.data_commands = 0
        self.logins = 0
        self.down = False
        options: dict[str, object] = {"authenticator": self._authenticate,
                                      "auth_required": True}
        if security == "ssl":
            # TLS from the first byte: aiosmtpd does not see it, so it must not insist on it
            options.update(ssl_context=context, auth_require_tls=False)
        else:
            options.update(tls_context=context, require_starttls=True)
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                     **options)

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER
              and auth_data.password.decode() == PASSWORD)
        self.logins += ok
        # handled=False: aiosmtpd answers a failure itself (535)
        return AuthResult(success=ok, handled=False)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.faults.release.set()
        self.controller.stop()

    def recipients(self) -> list[str]:
        return [r.to for r in self.received]

    def settings_toml(self, **extra: object) -> str:
        """``[mail]`` for this server; ``extra`` adds or replaces keys."""
        values: dict[str, object] = {
            "host": "127.0.0.1", "port": self.port, "security": self.security,
            "username": USER, "password_env": PASSWORD_ENV,
            "from": "Bureau G40 Stedennetwerk <bureau@g40.example>",
            "reply_to": "secretariaat@g40.example", "rate_per_minute": 0,
            "ca_file": str(self.ca_file), **extra}
        lines = ["[mail]"] + [f"{key} = {_toml(value)}" for key, value in values.items()
                              if value is not None]
        return "\n".join(lines) + "\n"


def _toml(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    return str(value).lower() if isinstance(value, bool) else str(value)


def running_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *,
                   security: str = "starttls") -> Iterator[MailServer]:
    """For a fixture: a started server (stopped afterwards), its password exported."""
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    server = MailServer(tmp_path, security=security)
    server.start()
    try:
        yield server
    finally:
        server.stop()

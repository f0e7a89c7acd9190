"""``[mail]`` in g40cal.toml: the bureau's SMTP server and the sender of every message.

A password never goes into a file: it comes from an environment variable
(``password_env``) or the system keyring (``keyring_service``). Validation reports every
bad key at once, with the file, the key and what would be right (like ``config.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path

from g40cal.credentials import is_this_machine, lookup_password
from g40cal.errors import UserError

SECURITY_CHOICES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
# Microsoft 365 accepts 30 messages a minute from one mailbox; a safe default elsewhere too.
DEFAULT_RATE = 30


@dataclass(frozen=True)
class Sender:
    """An address with an optional display name (``Bureau G40 <bureau@example.nl>``)."""

    name: str
    address: str

    def header(self) -> str:
        return str(Address(self.name, addr_spec=self.address)) if self.name else self.address

    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[-1]


@dataclass(frozen=True)
class MailSettings:
    host: str
    sender: Sender
    port: int
    security: str = "starttls"
    username: str | None = None
    password_env: str | None = None
    keyring_service: str | None = None
    reply_to: Sender | None = None
    rate_per_minute: int = DEFAULT_RATE  # 0: no limit (a local relay)
    bcc_bureau: str | None = None
    ca_file: Path | None = None  # also trust this CA (a private one); system CAs still count
    timeout: float = 30.0

    def password(self, environ: dict[str, str] | None = None) -> str | None:
        """The login password, or None when the server needs no login."""
        if self.username is None:
            return None
        password = lookup_password("[mail]", self.username, password_env=self.password_env,
                                   keyring_service=self.keyring_service, purpose="sending",
                                   environ=environ)
        if password is None:
            raise UserError("[mail]: username is set without password_env or keyring_service")
        return password


# key -> (expected type, what it is)
MAIL_KEYS: dict[str, tuple[type, str]] = {
    "host": (str, "SMTP server name, e.g. smtp.office365.com"),
    "port": (int, "SMTP port (587 for starttls, 465 for ssl)"),
    "security": (str, "starttls, ssl or none"),
    "username": (str, "login name at the SMTP server"),
    "password_env": (str, "environment variable that holds the password"),
    "keyring_service": (str, "system keyring service that holds the password"),
    "from": (str, "sender, e.g. \"Bureau G40 <bureau@g40stedennetwerk.nl>\""),
    "reply_to": (str, "address replies go to"),
    "rate_per_minute": (int, "messages per minute at most (Microsoft 365: 30; 0: no limit)"),
    "bcc_bureau": (str, "address that receives a blind copy of every message"),
    "ca_file": (str, "PEM file of an extra certificate authority to trust"),
    "timeout": (float, "seconds to wait for the server"),
}

Bad = Callable[[str, str, str], None]


def _is_type(value: object, kind: type) -> bool:
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def parse_address(text: str) -> Sender | None:
    name, address = parseaddr(text)
    if not address or "@" not in address or address.startswith("@") or address.endswith("@"):
        return None
    return Sender(name.strip(), address.strip())


def load_mail(content: object, path: Path, bad: Bad) -> MailSettings | None:
    """``[mail]`` as settings, or None after reporting every problem through ``bad``."""
    if not isinstance(content, dict):
        bad("mail", "[mail] must be a table", "write it as [mail]")
        return None
    ok = True

    def fail(key: str, message: str, hint: str) -> None:
        nonlocal ok
        ok = False
        bad(f"mail.{key}", message, hint)

    for key, value in content.items():
        if key in ("password", "pass", "secret", "token"):
            fail(key, "passwords never go into a file",
                 "set password_env (an environment variable) or keyring_service instead")
            continue
        spec = MAIL_KEYS.get(key)
        if spec is None:
            fail(key, "unknown key", f"valid keys in [mail]: {', '.join(MAIL_KEYS)}")
        elif not _is_type(value, spec[0]):
            fail(key, f"expected {spec[0].__name__}, got {value!r}", f"{key} is the {spec[1]}")
    if not ok:
        return None
    for key in ("host", "from"):
        if key not in content:
            fail(key, "missing", f"{key} is the {MAIL_KEYS[key][1]}")
    security = content.get("security", "starttls")
    if security not in SECURITY_CHOICES:
        fail("security", f"{security!r} is not a valid choice",
             f"valid choices: {', '.join(SECURITY_CHOICES)}")
    sender = parse_address(content.get("from", "x@x"))
    if sender is None:
        fail("from", f"{content['from']!r} is not an e-mail address",
             MAIL_KEYS["from"][1])
    reply_to = None
    if "reply_to" in content and (reply_to := parse_address(content["reply_to"])) is None:
        fail("reply_to", f"{content['reply_to']!r} is not an e-mail address",
             "e.g. \"secretariaat@g40stedennetwerk.nl\"")
    bcc = content.get("bcc_bureau")
    if bcc is not None and ((found := parse_address(bcc)) is None or found.name):
        fail("bcc_bureau", f"{bcc!r} is not a plain e-mail address", "e.g. bureau@example.nl")
    if content.get("password_env") and content.get("keyring_service"):
        fail("password_env", "both password_env and keyring_service are set", "keep one")
    if ("password_env" in content or "keyring_service" in content) and "username" not in content:
        fail("username", "a password source is set but no username", "add username")
    if "username" in content and not (content.get("password_env")
                                      or content.get("keyring_service")):
        fail("username", "a username is set but no password source",
             "set password_env or keyring_service")
    if (security == "none" and "username" in content
            and not is_this_machine(str(content.get("host", "")))):
        fail("security", "the password would travel unencrypted",
             "use starttls or ssl (a login over security = \"none\" only to localhost)")
    port = content.get("port", DEFAULT_PORTS.get(security, 587))
    if not 0 < port < 65536:
        fail("port", f"{port} is not a port number", "e.g. 587 for starttls, 465 for ssl")
    rate = content.get("rate_per_minute", DEFAULT_RATE)
    if rate < 0:
        fail("rate_per_minute", "must not be negative", "e.g. 30; 0 means no limit")
    timeout = content.get("timeout", 30.0)
    if timeout <= 0:
        fail("timeout", "must be more than 0", "e.g. 30")
    ca_file = None
    if "ca_file" in content:
        ca_file = Path(content["ca_file"]).expanduser()
        if not ca_file.is_absolute():
            ca_file = path.parent / ca_file
        if not ca_file.is_file():
            fail("ca_file", f"{ca_file} does not exist", "a PEM file with the CA certificate")
    if not ok or sender is None:
        return None
    return MailSettings(
        host=content["host"], sender=sender, port=port, security=security,
        username=content.get("username"), password_env=content.get("password_env"),
        keyring_service=content.get("keyring_service"), reply_to=reply_to,
        rate_per_minute=rate, bcc_bureau=bcc, ca_file=ca_file, timeout=float(timeout))


def require_mail(settings: MailSettings | None, config_path: Path | None) -> MailSettings:
    if settings is None:
        where = config_path or "g40cal.toml"
        raise UserError(f"{where}: no [mail] section; g40cal does not know your mail server "
                        "(see docs/mail.md for Microsoft 365 and other servers)")
    return settings

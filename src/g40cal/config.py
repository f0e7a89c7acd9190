"""The project configuration, ``g40cal.toml``: one schema drives defaults and validation.

Every setting has a default that works out of the box, so a fresh clone needs no
configuration file at all. Unknown or invalid keys are reported with file, key and the
valid choices — all of them at once, not just the first.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from g40cal.definitions.textcheck import bad_character
from g40cal.definitions.tomlerrors import explain as explain_syntax_error
from g40cal.errors import Problem, UserError
from g40cal.mail.settings import MailSettings, load_mail

CONFIG_NAME = "g40cal.toml"
STATE_ENV = "G40CAL_STATE"


@dataclass(frozen=True)
class CaldavTarget:
    """One CalDAV calendar that receives one feed (see ``g40cal push``)."""

    name: str
    feed: str
    url: str
    username: str
    password_env: str | None = None
    keyring_service: str | None = None
    verify_tls: bool = True
    timeout: float = 30.0


@dataclass(frozen=True)
class Config:
    root: Path
    network_name: str = "G40 Stedennetwerk"
    base_url: str = "http://127.0.0.1:8000/"
    uid_domain: str = "g40cal.g40stedennetwerk.nl"
    programmes_dir: str = "programmes"
    groups_file: str = "groups.toml"
    feeds_dir: str = "feeds"
    private_dir: str = "private"
    state_file: str = ".g40cal/state.sqlite"
    cancelled_retention_days: int = 7
    refresh_minutes: int = 60
    purge_after_days: int = 30
    targets: tuple[CaldavTarget, ...] = field(default_factory=tuple)
    mail: MailSettings | None = None  # [mail]: the SMTP server (see mail/settings.py)
    path: Path | None = None
    state_override: Path | None = None  # --state on the command line wins over everything

    @property
    def programmes_path(self) -> Path:
        return self.root / self.programmes_dir

    @property
    def groups_path(self) -> Path:
        return self.root / self.groups_file

    @property
    def feeds_path(self) -> Path:
        return self.root / self.feeds_dir

    @property
    def private_path(self) -> Path:
        return self.root / self.private_dir

    @property
    def state_path(self) -> Path:
        if self.state_override is not None:
            return self.state_override
        from_env = os.environ.get(STATE_ENV)
        return Path(from_env) if from_env else self.root / self.state_file

    def public_url(self, relative: str) -> str:
        return self.base_url.rstrip("/") + "/" + relative.lstrip("/")


# section -> key -> (Config attribute, expected type, description)
SCHEMA: dict[str, dict[str, tuple[str, type, str]]] = {
    "network": {
        "name": ("network_name", str, "name of the network, shown in calendar names"),
        "base_url": ("base_url", str, "public https URL where feeds/ is served"),
        "uid_domain": ("uid_domain", str, "domain part of every event UID; never change it"),
    },
    "paths": {
        "programmes": ("programmes_dir", str, "folder with programme definitions"),
        "groups": ("groups_file", str, "registry of pillars and themegroups"),
        "feeds": ("feeds_dir", str, "public output folder (feeds and pages)"),
        "private": ("private_dir", str, "private output folder (personal feeds), git-ignored"),
        "state": ("state_file", str, "SQLite state database, git-ignored"),
    },
    "sync": {
        "cancelled_retention_days": (
            "cancelled_retention_days", int, "days after an event a cancellation stays visible"),
        "refresh_minutes": ("refresh_minutes", int, "refresh hint for subscribed calendars"),
    },
    "participants": {
        "purge_after_days": ("purge_after_days", int, "warn when personal data outlives an event"),
    },
}

TARGET_KEYS: dict[str, type] = {
    "name": str, "feed": str, "url": str, "username": str, "password_env": str,
    "keyring_service": str, "verify_tls": bool, "timeout": float,
}


def load_config(root: Path, path: Path | None = None) -> Config:
    """Read ``g40cal.toml`` in ``root`` (or ``path``); defaults when there is none."""
    root = root.resolve()
    config_path = path or root / CONFIG_NAME
    if not config_path.exists():
        if path is not None:
            raise UserError(f"{path}: configuration file not found")
        return Config(root=root)
    try:
        text = config_path.read_text(encoding="utf-8-sig")  # Notepad writes a BOM
        data = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise UserError(f"{config_path}: not UTF-8 text", [Problem(
            "error", "config-encoding", f"not UTF-8 text ({exc.reason})", file=config_path,
            hint="save the file as UTF-8")]) from None
    except tomllib.TOMLDecodeError as exc:
        mistake = explain_syntax_error(text, exc)
        raise UserError(f"{config_path}: not valid TOML", [Problem(
            "error", "config-syntax", mistake.message, file=config_path, line=mistake.line,
            hint=mistake.hint)]) from None
    problems: list[Problem] = []
    values: dict[str, Any] = {}

    def bad(key: str, message: str, hint: str) -> None:
        problems.append(Problem("error", "config", message, file=config_path, field=key, hint=hint))

    for section, content in data.items():
        if section == "caldav":
            values["targets"] = _load_targets(content, config_path, bad)
            continue
        if section == "mail":
            values["mail"] = load_mail(content, config_path, bad)
            continue
        if section not in SCHEMA:
            bad(section, f"unknown section [{section}]",
                f"valid sections: {', '.join([*SCHEMA, 'caldav', 'mail'])}")
            continue
        if not isinstance(content, dict):
            bad(section, f"[{section}] must be a table", f"write it as [{section}]")
            continue
        for key, value in content.items():
            spec = SCHEMA[section].get(key)
            if spec is None:
                bad(f"{section}.{key}", "unknown key",
                    f"valid keys in [{section}]: {', '.join(SCHEMA[section])}")
                continue
            attr, kind, description = spec
            if not _is_type(value, kind):
                bad(f"{section}.{key}", f"expected {kind.__name__}, got {value!r}",
                    f"{key} is the {description}")
                continue
            values[attr] = value
    for attr, key, check in _FEED_SETTINGS:
        if attr in values:
            wrong = check(values[attr])
            if wrong:
                bad(key, wrong[0], wrong[1])
    for key in ("cancelled_retention_days", "refresh_minutes", "purge_after_days"):
        if key in values and values[key] < 0:
            bad(key, "must not be negative", "use 0 or more")
    if problems:
        raise UserError(f"{config_path}: invalid configuration", problems)
    return Config(root=root, path=config_path, **values)


# Settings written into every feed and page. A line break in one of them would end a
# feed's content line and let the rest of the value add whole events (RFC 5545 ends a
# line at CRLF; some parsers also at U+2028, U+2029, U+0085); a text-direction control
# makes a name read differently from what it is.
_HOST_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", re.IGNORECASE)


def _character(value: str) -> str | None:
    bad = bad_character(value)
    return bad.name if bad else None


def _is_hostname(value: str) -> bool:
    return 0 < len(value) <= 253 and all(_HOST_LABEL.match(p) for p in value.split("."))


def _check_base_url(url: str) -> tuple[str, str] | None:
    example = "e.g. https://agenda.g40stedennetwerk.nl/"
    bad_char = _character(url)
    if bad_char:
        return f"contains {bad_char}: a URL is one line of visible characters", example
    if any(char.isspace() for char in url):
        return f"{url!r} contains a space", "write %20 for a space in a path, " + example
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 — raises on a port that is not a number
    except ValueError:
        return f"{url!r} has an invalid port", example
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return f"{url!r} is not an absolute http(s) URL", example
    if not parts.hostname or not (_is_hostname(parts.hostname) or _is_ip(parts.hostname)):
        return f"{url!r} has no valid host name", example
    if parts.query or parts.fragment or parts.username or parts.password:
        return f"{url!r} has a ?query, #fragment or user name", \
            "give only where feeds/ is served, " + example
    return None


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _check_uid_domain(domain: str) -> tuple[str, str] | None:
    if not _is_hostname(domain):
        shown = f"contains {_character(domain)}" if _character(domain) else \
            f"{domain!r} is not a host name"
        return (shown, "letters, digits, '-' and dots only, e.g. g40cal.g40stedennetwerk.nl "
                "(and never change it once feeds are published)")
    return None


def _check_name(name: str) -> tuple[str, str] | None:
    bad_char = _character(name)
    if bad_char:
        return f"contains {bad_char}; the name is one line of visible text", \
            'e.g. name = "G40 Stedennetwerk"'
    if not name.strip():
        return "is empty", 'e.g. name = "G40 Stedennetwerk"'
    return None


_FEED_SETTINGS = (
    ("base_url", "network.base_url", _check_base_url),
    ("uid_domain", "network.uid_domain", _check_uid_domain),
    ("network_name", "network.name", _check_name),
)


def _is_type(value: object, kind: type) -> bool:
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _load_targets(content: object, path: Path, bad: Any) -> tuple[CaldavTarget, ...]:
    if not isinstance(content, dict) or set(content) - {"targets"}:
        bad("caldav", "[caldav] holds only [[caldav.targets]] tables", "see README, CalDAV push")
        return ()
    targets: list[CaldavTarget] = []
    names: set[str] = set()
    for number, entry in enumerate(content.get("targets", []), start=1):
        label = f"caldav.targets[{number}]"
        if not isinstance(entry, dict):
            bad(label, "must be a table", "write it as [[caldav.targets]]")
            continue
        unknown = sorted(set(entry) - set(TARGET_KEYS))
        if unknown:
            bad(label, f"unknown key(s) {unknown}", f"valid keys: {', '.join(TARGET_KEYS)}")
            continue
        missing = [k for k in ("name", "feed", "url", "username") if k not in entry]
        if missing:
            bad(label, f"missing {', '.join(missing)}", "name, feed, url and username are needed")
            continue
        wrong = [k for k, v in entry.items() if not _is_type(v, TARGET_KEYS[k])]
        if wrong:
            bad(label, f"wrong type for {', '.join(wrong)}",
                "texts in quotes, verify_tls true/false, timeout a number")
            continue
        if "password" in entry or "token" in entry:
            bad(label, "passwords never go into a file", "use password_env or keyring_service")
        if entry["name"] in names:
            bad(label, f"target name {entry['name']!r} is used twice", "names must be unique")
        names.add(entry["name"])
        targets.append(CaldavTarget(**entry))
    return tuple(targets)

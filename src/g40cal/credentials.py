"""Passwords for the servers g40cal logs in to (CalDAV targets, the SMTP server).

A password never stands in a file: it comes from an environment variable or the system
keyring, named in the settings. One lookup serves every server, so the messages read alike.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping

from g40cal.errors import UserError


def lookup_password(owner: str, username: str, *, password_env: str | None,
                    keyring_service: str | None, purpose: str,
                    environ: Mapping[str, str] | None = None) -> str | None:
    """The password of ``username``, or None when neither source is set.

    ``owner`` starts every message (``target 'x'``, ``[mail]``); ``purpose`` ends the hint
    of a missing variable (``pushing``, ``sending``).
    """
    environ = os.environ if environ is None else environ
    if password_env:
        value = environ.get(password_env)
        if value is None:
            raise UserError(f"{owner}: environment variable {password_env} is not set (it "
                            f"holds the password for {username!r}); export it before "
                            f"{purpose}")
        return value
    if keyring_service:
        try:
            import keyring  # optional: pip install 'g40cal[keyring]'
        except ImportError:
            raise UserError(f"{owner}: keyring_service is set but the keyring package is not "
                            "installed (pip install 'g40cal[keyring]')") from None
        value = keyring.get_password(keyring_service, username)
        if value is None:
            raise UserError(f"{owner}: no password for {username!r} in keyring service "
                            f"{keyring_service!r} (store it with: keyring set "
                            f"{keyring_service} {username})")
        return value
    return None


def is_this_machine(host: str) -> bool:
    """Is ``host`` this computer (localhost, 127.0.0.0/8, ::1)? Only there may a login go
    unencrypted, and only there do links not work for anybody else."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

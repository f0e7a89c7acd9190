"""Subscription links: the addresses and buttons people use to subscribe to a feed.

Shared by the web pages and the participants' mail-merge list, so both always offer the
same links (see docs/clients.md §5 for why each one looks the way it does).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode, urlsplit

from g40cal.config import Config

# Google's cid= link is unreliable: people copy the feed URL and paste it on this page.
GOOGLE_ADD_BY_URL = "https://calendar.google.com/calendar/r/settings/addbyurl"
OUTLOOK_LIVE_ADD = "https://outlook.live.com/calendar/0/addfromweb"
OUTLOOK_OFFICE_ADD = "https://outlook.office.com/calendar/0/addfromweb"
# Personal feeds and pages are served below this path, by token (see serve.py).
PERSONAL_PREFIX = "p/"


def webcal_url(url: str) -> str:
    """The same address with the webcal scheme: it opens the system calendar as a
    subscription instead of a one-off download (docs/clients.md §5)."""
    parts = urlsplit(url)
    return "webcal://" + url[len(parts.scheme) + 3:] if parts.scheme else url


def outlook_add_urls(url: str, name: str) -> tuple[str, str]:
    """Outlook.com and Microsoft 365 "add from web" links (https feed URL only)."""
    query = urlencode({"url": url, "name": name}, quote_via=quote)
    return f"{OUTLOOK_LIVE_ADD}?{query}", f"{OUTLOOK_OFFICE_ADD}?{query}"


def personal_url(config: Config, feed_path: str, suffix: str = ".ics") -> str:
    """Public address of a personal feed (``<token>.ics``) or, with ``.html``, its page."""
    return config.public_url(PERSONAL_PREFIX + feed_path.removesuffix(".ics") + suffix)

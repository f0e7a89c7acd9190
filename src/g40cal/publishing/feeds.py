"""Audiences: which feeds exist and which events each one holds.

Public feeds: one with all network days, one per programme, one per group (pillar or
themegroup) across all programmes. Personal feeds come from ``participants.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from g40cal.config import Config
from g40cal.definitions.model import Programme
from g40cal.definitions.project import Project
from g40cal.publishing.events import ONDER_VOORBEHOUD, Event, dates_text, in_city

NETWORK_FEED = "network"


@dataclass(frozen=True)
class FeedSpec:
    id: str
    kind: str  # network | programme | group | personal
    name: str
    description: str
    path: str  # relative to the public feeds folder (or the private folder)
    uid_scope: str
    keys: frozenset[str]
    programme: str | None = None
    private: bool = False


@dataclass(frozen=True)
class PersonalFeeds:
    """The personal feeds one sync looks at (built by ``participants.personal_audience``).

    ``complete``: ``specs`` is every personal feed, and any other stored personal feed goes.
    Otherwise ``specs`` holds only the participants whose feeds may have changed (their
    choices, or a definition of a day they attend); the sync adds the feeds that hold a
    changed event from the state, so the work follows the change, not the network.
    """

    specs: tuple[FeedSpec, ...] = ()
    complete: bool = True
    version: int = 0  # participant changes up to this counter value are handled
    gone: tuple[str, ...] = ()  # (not complete) feed ids that may have lost their owner


@dataclass(frozen=True)
class PageScope:
    """The public pages one sync renders: those of these programmes and groups (the index
    always). The others show nothing that changed."""

    programmes: frozenset[str]
    groups: frozenset[str]


def uid_for(key: str, scope: str, config: Config) -> str:
    """Stable UID per item and feed kind: clients and servers mishandle one UID in two
    calendars (docs/clients.md §4), so every feed kind has its own scope."""
    return f"{key.replace('/', '.')}.{scope}@{config.uid_domain}"


def public_feeds(project: Project, events: dict[str, Event]) -> list[FeedSpec]:
    config = project.config
    network = config.network_name
    feeds = [FeedSpec(
        id=NETWORK_FEED, kind="network", name=f"{network} – alle netwerkdagen",
        description=f"Alle netwerkdagen van het {network}: plenaire sessies, keuzesessies, "
                    "werkbezoeken en meer. Wijzigingen verschijnen vanzelf.",
        path="all.ics", uid_scope="net", keys=frozenset(events))]
    per_programme: dict[str, set[str]] = {}
    per_group: dict[str, set[str]] = {}
    for key, event in events.items():
        per_programme.setdefault(event.programme_id, set()).add(key)
        for group_id in event.group_ids:
            per_group.setdefault(group_id, set()).add(key)
    for programme in project.programmes:
        feeds.append(FeedSpec(
            id=f"programme:{programme.id}", kind="programme",
            name=f"{network} – {programme.title}",
            description=programme_description(programme),
            path=f"programmes/{programme.id}.ics", uid_scope="prog",
            keys=frozenset(per_programme.get(programme.id, ())),
            programme=programme.id))
    for group in project.registry.groups:
        feeds.append(FeedSpec(
            id=f"group:{group.id}", kind="group", name=f"{network} – {group.name}",
            description=f"Alle sessies van {group.name} op de netwerkdagen van het {network}.",
            path=f"groups/{group.id}.ics", uid_scope=f"grp-{group.id}",
            keys=frozenset(per_group.get(group.id, ()))))
    return feeds


def programme_description(programme: Programme) -> str:
    """The feed's description (and the subscribe box's): title, place and dates, with every
    estimated date and venue said to be 'onder voorbehoud'."""
    text = (f"{programme.title}{in_city(programme.title, programme.city)}, "
            f"{dates_text(list(programme.days))}.")
    venues = [d.venue.name for d in programme.days if "name" in d.venue.estimated]
    if venues:
        label = "Locatie" if len(set(venues)) == 1 else "Locaties"
        text += f" {label} {ONDER_VOORBEHOUD}: {', '.join(dict.fromkeys(venues))}."
    return text


def index_json(feeds: Iterable[FeedSpec], config: Config) -> bytes:
    """``feeds/index.json``: public feeds only, never personal ones."""
    entries = [
        {"kind": f.kind, "id": f.id.split(":", 1)[-1], "name": f.name, "path": f.path,
         "programme": f.programme, "url": config.public_url(f.path)}
        for f in feeds if not f.private
    ]
    return (json.dumps({"feeds": entries}, ensure_ascii=False, indent=2) + "\n").encode()

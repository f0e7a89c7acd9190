"""Static web pages next to the feeds: where participants read the programme and subscribe.

``build_site`` turns the loaded project into ``index.html`` (every network day and group),
one page per programme (the timetable, with an anchor per item: event URLs point there),
one page per group, a stylesheet, a print stylesheet and a small script. Everything is a
pure function of its inputs, so the same definitions give byte-identical pages (no "now").

``build_personal_page`` renders one participant's own programme with their own subscribe
buttons. It is self-contained (inline CSS and script, absolute links) because it is served
from a different place (``/p/<token>.html``) than the public pages, and it is never linked
from a public page.

Every page works without JavaScript (the script only adds a "copy" button), loads nothing
from third parties and sends no Referer (a personal page's URL is a secret), and is Dutch.
Titles and descriptions are data: Jinja2 autoescapes them.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache, cached_property, lru_cache
from importlib import resources
from itertools import groupby
from typing import Any
from urllib.parse import unquote_plus, urlsplit

import zxingcpp
from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from g40cal.config import Config
from g40cal.definitions.model import KIND_LABELS, TZ, Day, Item, Programme
from g40cal.definitions.project import Project
from g40cal.publishing.events import (
    ONDER_VOORBEHOUD,
    Event,
    dates_text,
    days_attended,
    estimate_sentence,
    marked,
    new_notes,
    venues_text,
)
from g40cal.publishing.feeds import NETWORK_FEED, FeedSpec, PageScope
from g40cal.publishing.links import (
    GOOGLE_ADD_BY_URL,
    outlook_add_urls,
    personal_url,
    webcal_url,
)

# Personal feeds and pages are served under this prefix (see serve.py and docs/serving.md).

ASSETS = {  # file in g40cal/static → path under feeds/
    "g40cal.css": "assets/g40cal.css",
    "print.css": "assets/print.css",
    "g40cal.js": "assets/g40cal.js",
}

WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december")
GROUP_KIND_TITLES = {"pijler": "Pijlers", "themagroep": "Themagroepen", "netwerk": "Netwerk"}


# ---------------------------------------------------------------- small formatting helpers

def dutch_date(day: date) -> str:
    """'donderdag 11 januari 2024' without depending on the machine's locale."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def programme_dates(programme: Programme, numbers: Iterable[int] | None = None) -> str:
    """The dates of a programme (or of the days ``numbers``), estimated ones marked."""
    chosen = None if numbers is None else set(numbers)
    return dates_text(days_attended(programme, chosen), dutch_date)


def hhmm(moment: time | datetime) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def time_range(start: time, end: time | None) -> str:
    return f"{hhmm(start)}–{hhmm(end)}" if end else f"vanaf {hhmm(start)}"


def personal_feed_url(config: Config, spec: FeedSpec) -> str:
    return personal_url(config, spec.path)


def personal_page_url(config: Config, spec: FeedSpec) -> str:
    return personal_url(config, spec.path, ".html")


def paragraphs(text: str | None) -> list[str]:
    if not text:
        return []
    return [p.strip() for p in text.strip().split("\n\n") if p.strip()]


def _web_link(link: str) -> bool:
    return link.startswith(("https://", "http://"))


# ---------------------------------------------------------------- QR codes

QR_SCALE = 4  # pixels per module
QR_BORDER = 4  # quiet zone, in modules (the standard's minimum)


@lru_cache(maxsize=1024)
def qr_svg(data: str, label: str) -> Markup:
    """An inline SVG QR code; error level M survives a smudged print-out.

    Encoded by zxing-cpp (C++; ~0.3 ms a code, against ~2 ms in pure Python, which counts
    with a page per participant: 50,000 codes in a first sync). Drawn here as one SVG path:
    a line one module thick through the middle of each row, dark runs drawn, light ones
    skipped (``_dark_lines``). Cached, since one sync shows a public feed's code on several
    pages.
    """
    code = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    modules = code.to_image(scale=1, add_quiet_zones=False)
    size = modules.shape[0]
    side = (size + 2 * QR_BORDER) * QR_SCALE
    # role/aria-label make the picture announce itself; the <title> is the tooltip.
    return Markup(
        f'<svg role="img" aria-label="{escape(label)}" viewBox="0 0 {side} {side}" '
        f'class="qr-code" shape-rendering="crispEdges"><title>{escape(label)}</title>'
        f'<rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path fill="none" stroke="#000" stroke-width="1" '
        f'transform="scale({QR_SCALE}) translate({QR_BORDER} {QR_BORDER})" '
        f'd="{_dark_lines(bytes(memoryview(modules)), size)}"/></svg>')


# A row is drawn in chunks of this many modules, each looked up whole: a few hundred dict
# lookups a code instead of a formatted string per dark run (which cost as much as the
# encoding). Adjacent chunks' runs simply continue ("h3h2" draws what "h5" would).
_CHUNK = 8


def _chunk_drawing(modules: bytes) -> str:
    """A chunk's path from the pen's position: ``h<n>`` draws n dark modules (0 bytes),
    ``m<n> 0`` moves past n light ones."""
    parts = []
    for dark, run in groupby(modules, key=lambda value: value == 0):
        width = len(list(run))
        parts.append(f"h{width}" if dark else f"m{width} 0")
    return "".join(parts)


def _every_chunk() -> Iterator[bytes]:
    """Every chunk a row can hold, its last one shorter: each 0/255 pattern of 1…8 modules."""
    for width in range(1, _CHUNK + 1):
        for pattern in range(2 ** width):
            yield bytes(0 if bit == "1" else 255 for bit in f"{pattern:0{width}b}")


_CHUNK_DRAWINGS = {chunk: _chunk_drawing(chunk) for chunk in _every_chunk()}


def _dark_lines(pixels: bytes, size: int) -> str:
    """The dark modules of a ``size``×``size`` code (one byte each, 0 = dark) as path data
    for a stroke one module wide: each row starts at its left edge, halfway down."""
    lookup = _CHUNK_DRAWINGS
    rows = []
    for row in range(size):
        start = row * size
        line = pixels[start:start + size]
        rows.append(f"M0 {row}.5" + "".join(
            [lookup[line[i:i + _CHUNK]] for i in range(0, size, _CHUNK)]))
    return "".join(rows)


@dataclass(frozen=True)
class Subscribe:
    """Every way to subscribe to one feed (the buttons people know)."""

    slug: str
    name: str
    description: str
    https: str
    webcal: str
    google: str
    outlook_live: str
    outlook_office: str
    download: str

    previous_qr: Markup | None = None  # this very code, from the page as last published

    @cached_property
    def qr(self) -> Markup:
        """Made only where a page shows it (the index lists every programme's buttons but
        not their codes): a code costs more than the rest of the buttons together."""
        return self.previous_qr or qr_svg(self.https, qr_label(self.name))


def qr_label(feed_name: str) -> str:
    return f"QR-code met het adres van de agenda {feed_name}"


def qr_in_page(page: bytes, url: str, feed_name: str) -> Markup | None:
    """The QR code of ``url`` in a personal page g40cal wrote (the caller checked that the
    file is intact), to show again instead of encoding it anew: a page has one subscribe
    panel, which names the address its code encodes. None if the page shows another
    address or name."""
    if f'data-feed-url="{escape(url)}"'.encode() not in page:
        return None
    start = page.find(f'<svg role="img" aria-label="{escape(qr_label(feed_name))}"'.encode())
    end = page.find(b"</svg>", start) if start >= 0 else -1
    return Markup(page[start:end + len(b"</svg>")].decode("utf-8")) if end >= 0 else None


def subscribe_for(name: str, description: str, url: str, download: str,
                  slug: str, previous_qr: Markup | None = None) -> Subscribe:
    outlook_live, outlook_office = outlook_add_urls(url, name)
    return Subscribe(
        slug=slug, name=name, description=description, https=url, webcal=webcal_url(url),
        google=GOOGLE_ADD_BY_URL, outlook_live=outlook_live, outlook_office=outlook_office,
        download=download, previous_qr=previous_qr)


@dataclass(frozen=True)
class Link:
    url: str
    label: str  # short: a long address printed whole runs off a phone's screen


LABEL_CHARS = 48  # of a link's last path segment, shown in its label (whole words)


def link_label(url: str) -> str:
    """'scp.nl: Nederland vraagt om daadkracht en …' for a long address: the site, and the
    document's name when it reads as words (not a code such as a share id)."""
    parts = urlsplit(url)
    host = parts.hostname or url
    host = host.removeprefix("www.")
    segment = unquote_plus(parts.path.rstrip("/").rsplit("/", 1)[-1])
    stem, dot, extension = segment.rpartition(".")
    if not dot or not extension.isalpha() or len(extension) > 4:
        stem, extension = segment, ""
    words = re.split(r"[-_\s]+", stem)
    readable = (len(words) >= 2 and all(w.isalpha() for w in words if w)) or (
        len(words) == 1 and words[0].isalpha() and 3 <= len(words[0]) <= 30)
    if not segment or not readable:
        return host
    words = [w for w in words if w]
    kept = [words[0]]
    for word in words[1:]:
        if len(" ".join([*kept, word])) > LABEL_CHARS:
            break
        kept.append(word)
    shown = " ".join(kept) + (" …" if len(kept) < len(words) else "")
    if extension:
        shown += f" ({extension.upper()})"
    return f"{host}: {shown}"


# An address written in running text (a description or note): up to white space, without
# the punctuation that ends the sentence around it.
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'’”]")


def linkify(text: str) -> Markup:
    """Text with each web address in it as a link with a short label (escaped otherwise)."""
    parts: list[str] = []
    last = 0
    for found in _URL_IN_TEXT.finditer(text):
        url = found.group(0)
        parts.append(escape(text[last:found.start()]))
        parts.append(f'<a href="{escape(url)}" rel="noopener noreferrer">'
                     f"{escape(link_label(url))}</a>")
        last = found.end()
    parts.append(escape(text[last:]))
    return Markup("".join(parts))


@dataclass(frozen=True)
class Organiser:
    name: str
    href: str | None


# Compared by identity (eq=False): personal pages cache a rendered row per Block of the same
# view objects (``_personal_row``); hashing all these fields per lookup would cost more.
@dataclass(frozen=True, eq=False)
class ItemView:
    id: str
    title: str
    kind: str
    kind_label: str
    optional: bool
    start: time
    end: time | None
    time: str
    time_note: str | None
    room: str | None
    venue: str
    address: str | None
    speakers: tuple[str, ...]
    organisers: tuple[Organiser, ...]
    organisers_estimated: bool  # inferred, not stated by the bureau: "onder voorbehoud"
    description: tuple[str, ...]
    notes: str | None
    transport: str | None
    capacity: int | None
    links: tuple[Link, ...]
    reservations: tuple[str, ...]  # "onder voorbehoud" sentences
    tentative: bool
    cancelled: bool
    removed: bool  # no longer in the definition; kept to show the cancellation
    href: str | None = None  # where the item lives (group and personal pages)
    programme_title: str | None = None


@dataclass(frozen=True)
class Block:
    """One row of the timetable: a single item, or a round of parallel items."""

    round: str | None
    time: str
    items: tuple[ItemView, ...]

    @property
    def slug(self) -> str:
        return "ronde_" + self.items[0].id


@dataclass(frozen=True)
class DayView:
    number: int
    date: str
    venue: str
    address: str | None
    reservations: tuple[str, ...]
    blocks: tuple[Block, ...]

    @property
    def items(self) -> list[ItemView]:
        return [item for block in self.blocks for item in block.items]


@dataclass(frozen=True)
class ProgrammeView:
    id: str
    title: str
    kind: str
    city: str
    dates: str
    description: tuple[str, ...]
    days: tuple[DayView, ...]
    href: str


GroupHref = Callable[[str], str]
ItemViews = Callable[[int, Item, Event | None], ItemView]  # (order, item, its event) → view


def item_view(programme: Programme, item: Item, event: Event | None,
              group_href: GroupHref) -> ItemView:
    reservations = []
    # Estimates of the whole day (its date, its venue) are said once above the day.
    day = programme.day(item.day)
    day_level = {"date"} if "date" in day.estimated else set()
    if item.venue == day.venue:
        day_level.update(f"venue.{f}" for f in day.venue.estimated)
    estimates = programme.item_estimates(item) - day_level
    if estimates:
        reservations.append(estimate_sentence(estimates))
    if item.provisional:
        reservations.append(f"Onder voorbehoud: {item.provisional}")
    # Of the event only this shows (personal pages cache views by it: see _Timetable).
    cancelled = event.cancelled if event is not None else item.cancelled
    return ItemView(
        id=item.id, title=item.title, kind=item.kind, kind_label=KIND_LABELS[item.kind],
        optional=item.optional, start=item.start, end=item.end,
        time=time_range(item.start, item.end), time_note=item.time_note, room=item.room,
        venue=marked(item.venue.name, "name" in item.venue.estimated),
        address=marked(item.venue.address, "address" in item.venue.estimated)
        if item.venue.address else None,
        speakers=item.speakers,
        organisers=tuple(Organiser(g.name, group_href(g.id)) for g in item.groups),
        organisers_estimated="groups" in item.estimated,
        description=tuple(paragraphs(item.description)),
        notes=new_notes(item),
        transport=item.transport, capacity=item.capacity,
        links=tuple(Link(link, link_label(link)) for link in item.links if _web_link(link)),
        reservations=tuple(reservations),
        tentative=bool(reservations),
        cancelled=cancelled, removed=False)


def removed_view(event: Event, group_href: GroupHref, groups: dict[str, str]) -> ItemView:
    """An item that left the definition but whose cancellation is still announced."""
    start = event.start.astimezone(TZ)
    end = event.end.astimezone(TZ) if event.end else None
    return ItemView(
        id=event.item_id, title=event.title, kind=event.kind,
        kind_label=KIND_LABELS.get(event.kind, event.kind), optional=event.optional,
        start=start.time(), end=end.time() if end else None,
        time=time_range(start.time(), end.time() if end else None), time_note=None,
        room=event.room, venue=event.venue, address=None, speakers=(),
        organisers=tuple(Organiser(groups.get(g, g), group_href(g)) for g in event.group_ids),
        organisers_estimated=False,
        description=(), notes=None, transport=None, capacity=None, links=(),
        reservations=(), tentative=False, cancelled=True, removed=True)


def _blocks(entries: list[tuple[int, ItemView, str | None]]) -> tuple[Block, ...]:
    """Group a day's items into blocks: parallel items (one round) share a block."""
    rounds: dict[str, list[tuple[int, ItemView]]] = {}
    singles: list[tuple[int, ItemView]] = []
    for order, view, round_name in entries:
        if round_name:
            rounds.setdefault(round_name, []).append((order, view))
        else:
            singles.append((order, view))
    blocks: list[tuple[time, int, Block]] = []
    for order, view in singles:
        blocks.append((view.start, order, Block(None, view.time, (view,))))
    for name, members in rounds.items():
        views = tuple(v for _, v in members)
        start = min(v.start for v in views)
        ends = [v.end for v in views if v.end]
        label = time_range(start, max(ends) if len(ends) == len(views) else None)
        blocks.append((start, min(o for o, _ in members), Block(name, label, views)))
    blocks.sort(key=lambda b: (b[0], b[1]))
    return tuple(b[2] for b in blocks)


def _day_reservations(day: Day) -> tuple[str, ...]:
    found = set()
    if "date" in day.estimated:
        found.add("date")
    found.update(f"venue.{f}" for f in day.venue.estimated)
    return (estimate_sentence(frozenset(found)),) if found else ()


def programme_view(project: Project, programme: Programme, events: dict[str, Event],
                   removed: Iterable[Event], *, group_href: GroupHref, href: str,
                   keys: frozenset[str] | None = None,
                   views: ItemViews | None = None) -> ProgrammeView:
    """The timetable of one programme; with ``keys``, only those items (a personal page).

    ``views`` makes the view of an item (default: ``item_view``), e.g. one from a cache.
    """
    make_view = views or (lambda _, item, event: item_view(programme, item, event, group_href))
    groups = {g.id: g.name for g in project.registry.groups}
    per_day: dict[int, list[tuple[int, ItemView, str | None]]] = {d.number: []
                                                                 for d in programme.days}
    for order, item in enumerate(programme.items):
        key = f"{programme.id}/{item.id}"
        if keys is not None and key not in keys:
            continue
        per_day[item.day].append((order, make_view(order, item, events.get(key)), item.round))
    dates = {d.date: d.number for d in programme.days}
    extra = len(programme.items)
    for event in sorted(removed, key=lambda e: (e.start, e.key)):
        number = dates.get(event.start.astimezone(TZ).date())
        if event.programme_id != programme.id or number is None:
            continue
        if keys is not None and event.key not in keys:
            continue
        extra += 1
        per_day[number].append((extra, removed_view(event, group_href, groups), None))
    days = tuple(
        DayView(number=day.number,
                date=marked(dutch_date(day.date), "date" in day.estimated),
                venue=marked(day.venue.name, "name" in day.venue.estimated),
                address=marked(day.venue.address, "address" in day.venue.estimated)
                if day.venue.address else None,
                reservations=_day_reservations(day), blocks=_blocks(per_day[day.number]))
        for day in programme.days if keys is None or per_day[day.number])
    return ProgrammeView(
        id=programme.id, title=programme.title, kind=programme.kind, city=programme.city,
        # A personal or group page names only the days it shows (day 2 only: that date).
        dates=programme_dates(programme, [d.number for d in days]),
        description=tuple(paragraphs(programme.description)), days=days, href=href)


# ---------------------------------------------------------------- templates and assets

@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("g40cal", "templates"),
        autoescape=True,  # titles and descriptions are data, never HTML
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # they ship with the package; a stat per template per page adds up
        # Compiled templates kept between runs (Jinja's per-user folder, owner only, keyed
        # by the template source): compiling them costs a tenth of a second every sync.
        bytecode_cache=FileSystemBytecodeCache(),
    )
    env.globals["ONDER_VOORBEHOUD"] = ONDER_VOORBEHOUD
    env.filters["linkify"] = linkify
    return env


@cache
def asset_text(name: str) -> str:
    return (resources.files("g40cal") / "static" / name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@cache
def inline_assets() -> tuple[str, str]:
    """(style, script) inlined in personal pages: the screen and print CSS, and the script."""
    style = asset_text("g40cal.css") + "\n@media print {\n" + asset_text("print.css") + "}\n"
    return style, asset_text("g40cal.js")


def content_security_policy() -> str:
    """CSP for every page: own files only, plus the exact inline style and script of the
    personal pages (by hash), and data: images. Used by ``g40cal serve``."""
    style, script = inline_assets()
    return ("default-src 'none'; "
            f"style-src 'self' {_csp_hash(style)}; script-src 'self' {_csp_hash(script)}; "
            "img-src 'self' data:; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'")


def _render(template: str, **context: object) -> bytes:
    html = _environment().get_template(template).render(**context)
    return html.encode("utf-8")


# ---------------------------------------------------------------- the site

def build_site(project: Project, events: dict[str, Event], public_specs: list[FeedSpec],
               removed: Iterable[Event] = (), scope: PageScope | None = None,
               ) -> dict[str, bytes]:
    """Every public page and asset, as relative path under feeds/ → bytes; with ``scope``,
    only the pages of those programmes and groups (plus the index and the assets, which
    are cheap): the other pages show nothing that changed.

    ``removed`` are events that left the definitions but whose cancellation is still in
    the feeds (from the sync state): they stay on the pages as GEANNULEERD, so a subscriber
    who follows the event's link from their calendar finds out why it is gone.
    """
    config = project.config
    removed = [e for e in removed if e.key not in events]
    specs = {spec.id: spec for spec in public_specs if not spec.private}
    files: dict[str, bytes] = {target: asset_text(name).encode("utf-8")
                               for name, target in ASSETS.items()}
    cards: list[tuple[ProgrammeCard, Subscribe | None]] = []
    for programme in project.programmes:
        spec = specs.get(f"programme:{programme.id}")
        subscribe = _public_subscribe(config, spec, f"{programme.id}.ics") if spec else None
        cards.append((programme_card(programme, removed), subscribe))
        if scope is not None and programme.id not in scope.programmes:
            continue
        view = programme_view(project, programme, events, removed,
                              group_href=lambda gid: f"../groups/{gid}.html",
                              href=f"programmes/{programme.id}.html")
        files[view.href] = _render(
            "programme.html", root="../", programme=view, subscribe=subscribe,
            network=config.network_name, page_title=f"{programme.title} – {config.network_name}")
    group_rows = _group_pages(project, events, removed, specs, files, scope)
    network = specs.get(NETWORK_FEED)
    files["index.html"] = _render(
        "index.html", root="", network=config.network_name,
        page_title=f"Netwerkdagen – {config.network_name}",
        subscribe=_public_subscribe(config, network, network.path) if network else None,
        programmes=cards, group_sections=group_rows)
    return files


@dataclass(frozen=True)
class ProgrammeCard:
    """What the index shows of a programme, without building its timetable."""

    id: str
    title: str
    href: str
    dates: str
    city: str
    venues: str
    count: int  # items on its timetable, cancelled ones kept for announcement included


def programme_card(programme: Programme, removed: list[Event]) -> ProgrammeCard:
    shown = sum(1 for e in removed if _on_timetable(e, programme))
    return ProgrammeCard(
        id=programme.id, title=programme.title, href=f"programmes/{programme.id}.html",
        dates=programme_dates(programme), city=programme.city,
        venues=venues_text(list(programme.days)), count=len(programme.items) + shown)


def _on_timetable(event: Event, programme: Programme) -> bool:
    """A removed event stays on its programme's timetable when its date is one of its days."""
    return event.programme_id == programme.id and any(
        d.date == event.start.astimezone(TZ).date() for d in programme.days)


def _public_subscribe(config: Config, spec: FeedSpec, download: str) -> Subscribe:
    slug = spec.id.replace(":", "_")
    return subscribe_for(spec.name, spec.description, config.public_url(spec.path), download,
                         slug)


def _group_pages(project: Project, events: dict[str, Event], removed: list[Event],
                 specs: dict[str, FeedSpec], files: dict[str, bytes],
                 scope: PageScope | None) -> list[tuple[str, list[tuple[str, str, int]]]]:
    """One page per group with its sessions across all network days (with ``scope``, of
    those groups only); returns the index rows (section title, [(name, href, number of
    sessions)])."""
    config = project.config
    sections: dict[str, list[tuple[str, str, int]]] = {}
    for group in project.registry.groups:
        spec = specs.get(f"group:{group.id}")
        if spec is None:
            continue
        gone = [e for e in removed if group.id in e.group_ids]
        keys = frozenset(k for k in spec.keys if k in events) | {e.key for e in gone}
        count = len(keys) - len(gone) + sum(
            1 for e in gone if (p := project.programme(e.programme_id)) is not None
            and _on_timetable(e, p))
        sections.setdefault(group.kind, []).append(
            (group.name, f"groups/{group.id}.html", count))
        if scope is not None and group.id not in scope.groups:
            continue
        listed = []
        own = {key.split("/", 1)[0] for key in keys}  # days on which the group has sessions
        for programme in project.programmes:
            if programme.id not in own:
                continue
            view = programme_view(project, programme, events, removed,
                                  group_href=lambda gid: f"{gid}.html",
                                  href=f"../programmes/{programme.id}.html", keys=keys)
            if view.days:
                listed.append(view)
        subscribe = _public_subscribe(config, spec, f"{group.id}.ics")
        files[f"groups/{group.id}.html"] = _render(
            "group.html", root="../", group=group, programmes=listed, subscribe=subscribe,
            network=config.network_name, page_title=f"{group.name} – {config.network_name}")
    return [(GROUP_KIND_TITLES.get(kind, kind.capitalize()), rows)
            for kind, rows in sections.items()]


def build_personal_page(project: Project, events: dict[str, Event], spec: FeedSpec,
                        config: Config, previous: bytes | None = None) -> bytes:
    """A participant's own programme with their own feed's buttons (private/<token>.html).

    Self-contained (inline CSS and script) with absolute links to the public pages: it is
    served from /p/, and a participant may save it. Events in ``events`` that are marked
    cancelled (or left the definitions) show as GEANNULEERD. ``previous``: the page as
    this version of g40cal last published it, intact, whose QR code is shown again if
    the address did not change (encoding one costs as much as the rest of the page).
    """
    removed = [e for k in sorted(spec.keys) if (e := events.get(k)) is not None
               and (p := project.programme(e.programme_id)) is not None
               and e.item_id not in _timetable(p, config).item_ids]
    keys = frozenset(k for k in spec.keys if k in events)
    own = {key.split("/", 1)[0] for key in keys}  # only the participant's network days
    listed = []
    for programme in project.programmes:
        if programme.id not in own:
            continue
        table = _timetable(programme, config)
        view = programme_view(project, programme, events, removed, group_href=table.group_href,
                              href=table.href, keys=keys, views=table.view)
        if view.days:
            listed.append(view)
    url = personal_feed_url(config, spec)
    subscribe = subscribe_for(spec.name, spec.description, url, url, "persoonlijk",
                              qr_in_page(previous, url, spec.name) if previous else None)
    style, script = inline_assets()
    return _render(
        "personal.html", root=config.public_url(""), personal=True, programmes=listed,
        subscribe=subscribe, network=config.network_name, spec=spec, row=_personal_row,
        inline_style=Markup(style), inline_script=Markup(script),
        page_title=f"Mijn programma – {config.network_name}")


# One sync renders every participant's page in a row, and the participants of a network day
# share its items: the views and rows below are made once per item, not once per page.

class _Timetable:
    """One programme as the personal pages show it, with the item views made so far (per
    item and cancellation state, the only part of an event that shows on a page)."""

    def __init__(self, programme: Programme, config: Config) -> None:
        self.programme = programme
        self.config = config
        self.item_ids = frozenset(item.id for item in programme.items)
        self.href = config.public_url(f"programmes/{programme.id}.html")
        self._views: dict[tuple[int, bool], ItemView] = {}

    def group_href(self, group_id: str) -> str:
        return self.config.public_url(f"groups/{group_id}.html")

    def view(self, order: int, item: Item, event: Event | None) -> ItemView:
        cancelled = event.cancelled if event is not None else item.cancelled
        found = self._views.get((order, cancelled))
        if found is None:
            found = item_view(self.programme, item, event, self.group_href)
            self._views[order, cancelled] = found
        return found


_TIMETABLES: dict[str, _Timetable] = {}


def _timetable(programme: Programme, config: Config) -> _Timetable:
    """The cached timetable of exactly this programme object and configuration (a reloaded
    definition is a new object, so an edited item is never shown from the cache)."""
    table = _TIMETABLES.get(programme.id)
    if table is None or table.programme is not programme or table.config is not config:
        table = _TIMETABLES[programme.id] = _Timetable(programme, config)
    return table


# Sized for the items of a national network's network days: a round's row holds only the
# participant's own choices in it, usually one, so there are about as many rows as items.
@lru_cache(maxsize=16_384)
def _personal_row(block: Block, level: int, anchor_prefix: str,
                  programme_href: str | None) -> Markup:
    """``timetable_row`` of _macros.html, rendered once per row of the same (cached) views."""
    # A template module: its macros are attributes.
    macros: Any = _environment().get_template("_macros.html").module
    return macros.timetable_row(block, level, anchor_prefix, programme_href)

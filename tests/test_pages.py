"""The static pages: complete timetables, subscribe links, escaping, determinism, privacy."""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qs, urlsplit

import pytest

from g40cal.config import load_config
from g40cal.definitions.project import Project, load_project
from g40cal.publishing.events import Event
from g40cal.publishing.feeds import FeedSpec, public_feeds
from g40cal.web.pages import (
    GOOGLE_ADD_BY_URL,
    build_personal_page,
    build_site,
    content_security_policy,
    dutch_date,
    inline_assets,
    webcal_url,
)
from tests.html_tree import Node, parse
from tests.web_helpers import copy_project, edit_item, sync

TOKEN = "Zx9_personal-token-0123456789abcdefghij"


def site_of(project: Project, removed: list[Event] | None = None) -> dict[str, bytes]:
    events = project.events
    return build_site(project, events, public_feeds(project, events), removed or [])


@pytest.fixture
def site(project: Project) -> dict[str, bytes]:
    return site_of(project)


def articles(page: Node) -> dict[str, Node]:
    return {a.attrs["data-item-id"]: a for a in page.find_all("article")}


def test_every_programme_page_shows_every_item_of_its_definition(project, site):
    for programme in project.programmes:
        page = parse(site[f"programmes/{programme.id}.html"])
        shown = articles(page)
        assert sorted(shown) == sorted(item.id for item in programme.items)
        for item in programme.items:
            article = shown[item.id]
            assert article.attrs["id"] == item.id  # event URLs end in #<item-id>
            title = article.find(lambda n: n.has_class("title-text"))
            assert title is not None and title.text() == " ".join(item.title.split())
            facts = article.find(lambda n: n.has_class("item-facts")).text()
            assert item.venue.name in " ".join(facts.split()) or item.venue.name in facts
            if item.room:
                assert item.room in facts
            for speaker in item.speakers:
                assert " ".join(speaker.split()) in facts
            for group in item.groups:
                assert group.name in facts


def test_event_urls_point_at_an_anchor_on_the_programme_page(project, site):
    pages = {path: parse(data) for path, data in site.items() if path.startswith("programmes/")}
    for event in project.events.values():
        parts = urlsplit(event.url)
        page = pages[parts.path.lstrip("/")]
        assert page.by_id(parts.fragment) is not None, event.url


def test_parallel_items_of_a_round_share_one_block(project, site):
    programme = project.programme("dordrecht-ambtelijk")
    page = parse(site["programmes/dordrecht-ambtelijk.html"])
    rounds = {}
    for item in programme.items:
        if item.round:
            rounds.setdefault(item.round, set()).add(item.id)
    assert rounds, "the shipped Dordrecht programme has rounds"
    blocks = page.find_all(lambda n: n.has_class("block-round"))
    shown = {}
    for block in blocks:
        title = block.find(lambda n: n.has_class("round-title")).text()
        shown[title] = {a.attrs["data-item-id"] for a in block.find_all("article")}
    assert shown == {" ".join(k.split()): v for k, v in rounds.items()}


def test_days_are_in_dutch_and_in_order(project, site):
    tilburg = project.programme("tilburg-bestuurlijk-2025")
    page = parse(site["programmes/tilburg-bestuurlijk-2025.html"])
    headings = [s.find("h2").text() for s in page.find_all(lambda n: n.has_class("day"))]
    assert headings == [f"Dag {d.number}: {dutch_date(d.date)}" for d in tilburg.days]
    assert headings[0].startswith("Dag 1: donderdag 25 september 2025")


def test_pages_are_accessible_html_with_one_h1_and_no_skipped_heading_levels(site):
    for path, data in site.items():
        if not path.endswith(".html"):
            continue
        page = parse(data)
        assert page.attrs["doctype"].lower() == "doctype html", path
        assert page.find("html").attrs["lang"] == "nl", path
        assert len(page.find_all("main")) == 1 and page.find("header") and page.find("footer")
        headings = [int(n.tag[1]) for n in page.walk() if re.fullmatch(r"h[1-6]", n.tag)]
        assert headings[0] == 1 and headings.count(1) == 1, path
        for before, after in itertools.pairwise(headings):
            assert after <= before + 1, f"{path}: h{before} followed by h{after}"
        ids = [n.attrs["id"] for n in page.walk() if "id" in n.attrs]
        assert len(ids) == len(set(ids)), f"{path}: duplicate ids"
        for label in page.find_all("label"):
            assert page.by_id(label.attrs["for"]) is not None, path
        for svg in page.find_all("svg"):
            assert svg.attrs.get("role") == "img" and svg.attrs.get("aria-label"), path


def test_every_relative_link_resolves_to_a_published_file(project, site):
    events = project.events
    published = set(site) | {spec.path for spec in public_feeds(project, events)}
    for path, data in site.items():
        if not path.endswith(".html"):
            continue
        for node in parse(data).walk():
            link = node.attrs.get("href") or node.attrs.get("src")
            if not link or link.startswith("#") or re.match(r"^[a-z]+:", link):
                continue
            target = str(PurePosixPath(path).parent / link.split("#")[0])
            parts: list[str] = []
            for part in target.split("/"):
                if part == "..":
                    parts.pop()
                elif part not in (".", ""):
                    parts.append(part)
            assert "/".join(parts) in published, f"{path}: {link}"


def test_pages_load_nothing_from_other_sites(site):
    for path, data in site.items():
        if not path.endswith(".html"):
            continue
        page = parse(data)
        for node in page.find_all(lambda n: n.tag in ("script", "link", "img", "iframe")):
            source = node.attrs.get("src") or node.attrs.get("href") or ""
            assert not re.match(r"^(https?:)?//", source), f"{path}: {source}"
        referrer = page.find(lambda n: n.tag == "meta" and n.attrs.get("name") == "referrer")
        assert referrer is not None and referrer.attrs["content"] == "no-referrer"
        for link in page.find_all("a"):
            if link.attrs.get("href", "").startswith("http"):
                assert "noreferrer" in (link.attrs.get("rel") or ""), f"{path}: {link.attrs}"


def test_subscribe_buttons_carry_the_feed_urls(project, site):
    config = project.config
    page = parse(site["programmes/oss-ambtelijk.html"])
    url = config.public_url("programmes/oss-ambtelijk.ics")
    name = f"{config.network_name} – Ambtelijke netwerkdag Oss"

    def href(client: str) -> str:
        return page.find(lambda n: n.attrs.get("data-client") == client).attrs["href"]

    assert href("webcal") == "webcal://" + url.split("://", 1)[1]
    assert href("google") == GOOGLE_ADD_BY_URL
    for client, host in (("outlook-live", "outlook.live.com"),
                         ("outlook-office", "outlook.office.com")):
        parts = urlsplit(href(client))
        assert parts.netloc == host and parts.path == "/calendar/0/addfromweb"
        assert parse_qs(parts.query) == {"url": [url], "name": [name]}
    assert href("download") == "oss-ambtelijk.ics"
    field = page.find(lambda n: n.has_class("feed-url"))
    assert field.attrs["value"] == url and "readonly" in field.attrs
    assert b"cid=" not in site["programmes/oss-ambtelijk.html"]


def test_help_texts_tell_how_long_each_client_takes_to_refresh(site):
    text = parse(site["index.html"]).by_id("g40_hulp").text()
    for phrase in ("Hoe abonneer ik in Outlook?", "Hoe abonneer ik in Google Agenda?",
                   "8 tot 24 uur", "ongeveer 3 uur", "zelf in te stellen",
                   "Dringende wijzigingen op de dag zelf krijgt u ook per e-mail"):
        assert phrase in text


def test_index_lists_every_network_day_and_every_group(project, site):
    page = parse(site["index.html"])
    links = {a.attrs.get("href") for a in page.find_all("a")}
    for programme in project.programmes:
        assert f"programmes/{programme.id}.html" in links
    for group in project.registry.groups:
        assert f"groups/{group.id}.html" in links
    network = page.find(lambda n: n.has_class("subscribe"))
    assert network.attrs["data-feed-url"] == project.config.public_url("all.ics")


def test_group_page_lists_the_sessions_of_that_group(project, site):
    events = project.events
    for group in project.registry.groups:
        page = parse(site[f"groups/{group.id}.html"])
        shown = {a.attrs["id"] for a in page.find_all("article")}
        expected = {f"{e.programme_id}_{e.item_id}" for e in events.values()
                    if group.id in e.group_ids}
        assert shown == expected, group.id


def test_titles_and_descriptions_are_escaped_not_html(project_dir: Path):
    definition = project_dir / "programmes" / "oss-ambtelijk.toml"
    text = definition.read_text(encoding="utf-8")
    text = text.replace('title = "Europa"', 'title = "Europa <script>alert(1)</script>"', 1)
    definition.write_text(text, encoding="utf-8")
    project = load_project(load_config(project_dir))
    assert not project.errors
    html = site_of(project)["programmes/oss-ambtelijk.html"].decode()
    assert "<script>alert(1)</script>" not in html
    assert "Europa &lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_cancelled_and_provisional_items_are_marked(project_dir: Path):
    definition = project_dir / "programmes" / "zaandam-bestuurlijk.toml"
    edit_item(definition, "opening", "cancelled = true")
    project = load_project(load_config(project_dir))
    page = parse(site_of(project)["programmes/zaandam-bestuurlijk.html"])
    opening = articles(page)["opening"]
    assert opening.has_class("is-cancelled")
    assert opening.find("h3").text().startswith("GEANNULEERD")
    assert "Dit onderdeel gaat niet door." in opening.text()
    provisional = [i for i in project.programme("zaandam-bestuurlijk").items if i.provisional]
    assert provisional
    for item in provisional:
        article = articles(page)[item.id]
        assert article.has_class("is-tentative")
        assert f"Onder voorbehoud: {' '.join(item.provisional.split())}" in article.text()


def test_an_item_removed_from_the_definition_stays_on_the_page_as_cancelled(project_dir):
    sync(project_dir)
    definition = project_dir / "programmes" / "almelo-ambtelijk-2024.toml"
    text = definition.read_text(encoding="utf-8")
    start = text.index('[[items]]\nid = "opening"')
    end = text.index("[[items]]", start + 5)
    definition.write_text(text[:start] + text[end:], encoding="utf-8")
    sync(project_dir, now="2024-01-02T09:00:00+00:00")
    page = parse((project_dir / "feeds/programmes/almelo-ambtelijk-2024.html").read_bytes())
    opening = page.by_id("opening")
    assert opening is not None and opening.has_class("is-cancelled")
    assert "uit het programma gehaald" in opening.text()
    # After the retention the cancellation is dropped from the feeds, and from the page.
    sync(project_dir, now="2024-02-01T09:00:00+00:00")
    page = parse((project_dir / "feeds/programmes/almelo-ambtelijk-2024.html").read_bytes())
    assert page.by_id("opening") is None


def test_the_same_definitions_give_byte_identical_pages(project, project_dir, tmp_path):
    first = site_of(project)
    again = site_of(load_project(load_config(project_dir)))
    assert first == again
    other = copy_project(tmp_path / "other")
    sync(project_dir)
    sync(other, now="2025-06-01T12:00:00+00:00")
    for path, data in first.items():
        assert (project_dir / "feeds" / path).read_bytes() == data
        assert (other / "feeds" / path).read_bytes() == data, path


def test_webcal_url_swaps_only_the_scheme():
    assert webcal_url("https://agenda.example.nl/all.ics") == "webcal://agenda.example.nl/all.ics"
    assert webcal_url("http://127.0.0.1:8000/p/x.ics") == "webcal://127.0.0.1:8000/p/x.ics"


def personal_spec(project: Project, keys: set[str]) -> FeedSpec:
    return FeedSpec(id=f"personal:{TOKEN}", kind="personal", name="Mijn netwerkdagen",
                    description="Uw eigen programma.", path=f"{TOKEN}.ics", uid_scope="me",
                    keys=frozenset(keys), private=True)


def test_personal_page_shows_only_the_participants_items_with_their_own_buttons(project):
    events = project.events
    chosen = {k for k, e in events.items()
              if e.programme_id == "oss-ambtelijk" and (not e.optional or "europa" in k)}
    spec = personal_spec(project, chosen)
    html = build_personal_page(project, events, spec, project.config)
    page = parse(html)
    shown = {a.attrs["id"] for a in page.find_all("article")}
    assert shown == {k.replace("/", "_") for k in chosen}
    url = project.config.public_url(f"p/{TOKEN}.ics")
    assert page.find(lambda n: n.has_class("subscribe")).attrs["data-feed-url"] == url
    download = page.find(lambda n: n.attrs.get("data-client") == "download")
    assert download.attrs["href"] == url
    robots = page.find(lambda n: n.tag == "meta" and n.attrs.get("name") == "robots")
    assert robots is not None and "noindex" in robots.attrs["content"]
    # Self-contained: no stylesheet or script file from a relative path.
    assert page.find(lambda n: n.tag == "link" and n.attrs.get("rel") == "stylesheet") is None
    assert all("src" not in s.attrs for s in page.find_all("script"))


def test_personal_page_inline_style_and_script_are_allowed_by_the_csp(project):
    events = project.events
    page = parse(build_personal_page(project, events, personal_spec(project, set(events)),
                                     project.config))
    policy = content_security_policy()
    style, script = inline_assets()
    for text in (page.find("style").children[0], page.find("script").children[0]):
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert page.find("style").children[0] == style
    assert page.find("script").children[0] == script


def test_no_public_page_mentions_a_personal_token(project):
    events = project.events
    spec = personal_spec(project, set(events))
    specs = [*public_feeds(project, events), spec]
    for path, data in build_site(project, events, specs).items():
        assert TOKEN.encode() not in data, path
        assert not path.startswith("p/")


def test_organisers_inferred_from_a_title_are_shown_onder_voorbehoud(project, site):
    inferred = [(p, i) for p in project.programmes for i in p.items if "groups" in i.estimated]
    assert len(inferred) == 5
    for programme, item in inferred:
        pages = [(f"programmes/{programme.id}.html", item.id)]
        pages += [(f"groups/{g.id}.html", f"{programme.id}_{item.id}") for g in item.groups]
        for path, anchor in pages:
            article = parse(site[path]).by_id(anchor)
            organisation = next(d for d in article.find_all("div")
                                if d.find("dt") and d.find("dt").text() == "Organisatie")
            assert "(onder voorbehoud)" in organisation.find("dd").text(), path
            reservations = [p.text() for p in article.find_all("p")
                            if p.has_class("status-tentative")]
            assert any("de organisatie" in r for r in reservations), path
    stated = articles(parse(site["programmes/oss-ambtelijk.html"]))["r2-asielketen"]
    organisation = next(d for d in stated.find_all("div")
                        if d.find("dt") and d.find("dt").text() == "Organisatie")
    assert "voorbehoud" not in organisation.text()


def page_text(html: bytes) -> str:
    return " ".join(parse(html).text().split())


def test_an_estimated_date_says_onder_voorbehoud_wherever_it_appears(project, site):
    everyone = build_personal_page(project, project.events,
                                   personal_spec(project, set(project.events)), project.config)
    pages = {path: page_text(html) for path, html in site.items() if path.endswith(".html")}
    pages["personal"] = page_text(everyone)
    estimated = [d for p in project.programmes for d in p.days if "date" in d.estimated]
    assert len(estimated) == 4  # Almelo, Dordrecht, Oss, Zaandam
    for day in estimated:
        written = dutch_date(day.date)
        seen = 0
        for path, text in pages.items():
            for found in re.finditer(re.escape(written), text):
                seen += 1
                assert text[found.end():].startswith(" (onder voorbehoud)"), (path, written)
        assert seen >= 4, written  # index, programme page (lead, heading), personal page


def test_an_estimated_venue_says_onder_voorbehoud_on_the_index_and_above_its_day(project, site):
    index = parse(site["index.html"])
    for programme in project.programmes:
        day_estimates = [d for d in programme.days if "name" in d.venue.estimated]
        card = next(c for c in index.find_all("li") if c.attrs.get("data-programme-id")
                    == programme.id)
        meta = card.find(lambda n: n.has_class("card-meta")).text()
        page = parse(site[f"programmes/{programme.id}.html"])
        venues = [" ".join(p.text().split()) for p in page.find_all("p")
                  if p.has_class("day-venue")]
        assert ("(onder voorbehoud)" in meta) == bool(day_estimates), programme.id
        for day, shown in zip(programme.days, venues, strict=True):
            if "name" in day.venue.estimated:
                assert shown.startswith(f"{day.venue.name} (onder voorbehoud)"), programme.id
            else:
                assert "voorbehoud" not in shown, programme.id
        description = page.find(lambda n: n.has_class("feed-description")).text()
        for day in day_estimates:
            assert f"{ONDER} {day.venue.name}".lower() in description.lower().replace(":", "")


ONDER = "onder voorbehoud"


def test_a_personal_page_names_only_the_days_the_person_attends(project):
    tilburg = project.programme("tilburg-bestuurlijk-2025")
    day_two = {f"{tilburg.id}/{i.id}" for i in tilburg.items if i.day == 2 and not i.optional}
    page = parse(build_personal_page(project, project.events, personal_spec(project, day_two),
                                     project.config))
    section = page.find(lambda n: n.attrs.get("data-programme-id") == tilburg.id)
    lead = " ".join(section.find(lambda n: n.has_class("lead")).text().split())
    assert lead.startswith("vrijdag 26 september 2025 ")
    assert "25 september" not in lead


def test_links_show_a_short_label_and_lead_to_the_whole_address(project, site):
    for programme in project.programmes:
        page = parse(site[f"programmes/{programme.id}.html"])
        for item in programme.items:
            if not item.links:
                continue
            block = articles(page)[item.id].find(lambda n: n.has_class("item-links"))
            anchors = block.find_all("a")
            assert [a.attrs["href"] for a in anchors] == list(item.links)
            for anchor, link in zip(anchors, item.links, strict=True):
                label = anchor.text()
                assert len(label) <= 80, label
                assert label.startswith(urlsplit(link).hostname.removeprefix("www.")), label
    tilburg = articles(parse(site["programmes/tilburg-bestuurlijk-2025.html"]))
    scp = tilburg["pijler-sociaal"]
    assert "scp.nl: Nederland vraagt om daadkracht en realistische … (PDF)" in (
        " ".join(scp.text().split()))


def test_the_transport_is_not_repeated_as_a_note_on_the_page(site):
    shown = articles(parse(site["programmes/tilburg-bestuurlijk-2025.html"]))
    back = shown["terug-naar-centrum"]
    assert "busvervoer beschikbaar indien gewenst" in back.text()
    assert back.find(lambda n: n.has_class("item-notes")) is None
    assert shown["verplaatsing-diner"].find(lambda n: n.has_class("item-notes")) is None
    bikes = shown["safari-8-piushaven"].find(lambda n: n.has_class("item-notes")).text()
    assert bikes == "Let op: Fietsend vanaf de LocHal."


def test_a_site_visit_held_elsewhere_says_where_it_is(site):
    visit = articles(parse(site["programmes/tilburg-bestuurlijk-2025.html"]))[
        "safari-5-opvang-oekraine"]
    where = next(d for d in visit.find_all("div") if d.find("dt").text() == "Waar")
    assert "LocHal" not in where.text()
    assert "opvanglocaties voor Oekraïners" in where.text()


def test_an_address_in_running_text_is_a_link_with_a_short_label(project_dir: Path):
    url = "https://www.example.org/documenten/2025/een-lang-rapport-over-de-steden.pdf"
    edit_item(project_dir / "programmes" / "tilburg-bestuurlijk-2025.toml", "opening",
              f'notes = "Lees vooraf {url}, en <b>neem het mee</b>."')
    project = load_project(load_config(project_dir))
    html = site_of(project)["programmes/tilburg-bestuurlijk-2025.html"].decode()
    notes = articles(parse(html))["opening"].find(lambda n: n.has_class("item-notes"))
    link = notes.find("a")
    assert link.attrs["href"] == url
    assert link.text() == "example.org: een lang rapport over de steden (PDF)"
    assert notes.text().endswith(", en <b>neem het mee</b>.")  # text, not markup
    assert "&lt;b&gt;neem het mee&lt;/b&gt;" in html

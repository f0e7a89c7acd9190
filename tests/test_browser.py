"""The pages in a real headless Chromium, served by a real `g40cal serve`.

Needs Debian's chromium at /usr/bin/chromium (`.ci/run` installs it); Playwright only
drives it (never `playwright install`). Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import Browser, Page, expect, sync_playwright

from g40cal.config import Config, load_config
from g40cal.definitions.project import Project, load_project
from g40cal.publishing.feeds import FeedSpec
from g40cal.web.pages import GOOGLE_ADD_BY_URL, build_personal_page
from tests.web_helpers import REPO, CliServer, copy_project, edit_item, free_port, sync

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = REPO / "test-artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TOKEN = "Wq3_browser-test-token-aBcDeFgHiJkLmNoPqRsT"
CANCELLED = ("zaandam-bestuurlijk", "opening")


@dataclass(frozen=True)
class Web:
    root: Path
    url: str
    config: Config
    project: Project
    personal_keys: frozenset[str]

    def feed_url(self, relative: str) -> str:
        return self.config.public_url(relative)


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # The base URL is this server, so every subscribe URL and QR code can be followed.
    root = copy_project(tmp_path_factory.mktemp("browser") / "project", base_url=url + "/")
    programme, item = CANCELLED
    edit_item(root / "programmes" / f"{programme}.toml", item, "cancelled = true")
    sync(root)
    config = load_config(root)
    project = load_project(config)
    events = project.events
    keys = frozenset(k for k, e in events.items()
                     if e.programme_id == "oss-ambtelijk" and (not e.optional or "europa" in k))
    spec = FeedSpec(id=f"personal:{TOKEN}", kind="personal", name="Mijn netwerkdagen",
                    description="Uw eigen programma.", path=f"{TOKEN}.ics", uid_scope="me",
                    keys=keys, private=True)
    config.private_path.mkdir(exist_ok=True)
    (config.private_path / f"{TOKEN}.html").write_bytes(
        build_personal_page(project, events, spec, config))
    (config.private_path / f"{TOKEN}.ics").write_bytes(
        (config.feeds_path / "programmes/oss-ambtelijk.ics").read_bytes())
    with CliServer(root, port):
        yield Web(root, url, config, project, keys)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: the browser tests need Debian's chromium "
                    "package (apt-get install chromium); .ci/run installs it.")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                              args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP)
    opened = context.new_page()
    yield opened
    context.close()


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def decode_qr(page: Page) -> str:
    image = Image.open(io.BytesIO(page.locator("figure.qr svg").first.screenshot()))
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, f"{len(found)} QR codes decoded"
    return found[0].text


def test_timetable_shows_every_item_of_each_definition(web, page):
    for programme in web.project.programmes:
        page.goto(f"{web.url}/programmes/{programme.id}.html")
        shown = page.eval_on_selector_all(
            "article.item",
            "els => els.map(e => [e.id, e.querySelector('.title-text').innerText,"
            " e.offsetWidth > 0 && e.offsetHeight > 0])")
        assert sorted(s[0] for s in shown) == sorted(i.id for i in programme.items)
        titles = {s[0]: s[1] for s in shown}
        for item in programme.items:
            assert titles[item.id] == " ".join(item.title.split()), item.id
        assert all(s[2] for s in shown), "every item is rendered visibly"


def test_subscribe_buttons_carry_the_feed_urls(web, page):
    page.goto(f"{web.url}/programmes/tilburg-bestuurlijk-2025.html")
    index = page.request.get(f"{web.url}/index.json").json()
    feed = next(f for f in index["feeds"] if f["programme"] == "tilburg-bestuurlijk-2025")
    url = feed["url"]
    assert url == f"{web.url}/programmes/tilburg-bestuurlijk-2025.ics"

    def href(client: str) -> str:
        return page.locator(f"[data-client={client}]").first.evaluate("a => a.href")

    assert href("webcal") == "webcal://" + url.split("://", 1)[1]
    assert href("google") == GOOGLE_ADD_BY_URL
    for client, host in (("outlook-live", "outlook.live.com"),
                         ("outlook-office", "outlook.office.com")):
        parts = urlsplit(href(client))
        assert parts.netloc == host
        assert parse_qs(parts.query) == {"url": [url], "name": [feed["name"]]}
    assert href("download") == url
    assert page.locator("input.feed-url").first.input_value() == url
    response = page.request.get(href("download"))
    assert response.status == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.body().startswith(b"BEGIN:VCALENDAR")


def test_qr_codes_decode_to_the_subscription_url(web, page):
    page.goto(f"{web.url}/")
    assert decode_qr(page) == web.feed_url("all.ics")
    page.goto(f"{web.url}/programmes/dordrecht-ambtelijk.html")
    assert decode_qr(page) == web.feed_url("programmes/dordrecht-ambtelijk.ics")


ROUND_BOXES = """() => {
  const round = [...document.querySelectorAll('.block-round')]
    .find(b => b.querySelectorAll('article').length >= 3);
  return [...round.querySelectorAll('article')].slice(0, 2).map(a => {
    const r = a.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
  });
}"""


@pytest.mark.parametrize("name", ["desktop", "phone"])
def test_rounds_are_side_by_side_on_desktop_and_stacked_on_a_phone(web, browser, name):
    viewport = DESKTOP if name == "desktop" else PHONE
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(f"{web.url}/programmes/zaandam-bestuurlijk.html")
    first, second = page.evaluate(ROUND_BOXES)
    width = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert width <= viewport["width"], "the page scrolls sideways"
    if name == "desktop":
        assert first["top"] == second["top"] and second["left"] >= first["right"]
    else:
        assert first["left"] == second["left"] and second["top"] >= first["bottom"]


@pytest.mark.parametrize("name", ["desktop", "phone"])
def test_screenshots_of_index_and_programme_are_saved(web, browser, name):
    viewport = DESKTOP if name == "desktop" else PHONE
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    for path, shot in (("index.html", "index"), ("programmes/zaandam-bestuurlijk.html",
                                                 "programme")):
        page.goto(f"{web.url}/{path}")
        screenshot(page, f"{shot}-{name}-{viewport['width']}")
        assert (ARTIFACTS / f"{shot}-{name}-{viewport['width']}.png").stat().st_size > 10_000
    context.close()


def test_cancelled_items_are_visibly_marked(web, page):
    programme, item = CANCELLED
    page.goto(f"{web.url}/programmes/{programme}.html#{item}")
    article = page.locator(f"article#{item}")
    badge = article.locator(".badge-cancelled")
    assert badge.is_visible() and badge.inner_text() == "GEANNULEERD"
    decoration = article.locator(".title-text").evaluate(
        "e => getComputedStyle(e).textDecorationLine")
    assert "line-through" in decoration
    assert article.get_by_text("Dit onderdeel gaat niet door.").is_visible()


def test_an_event_link_from_a_calendar_lands_on_its_item(web, page):
    events = web.project.events
    # The last item of the longest page: the browser must scroll to reach it.
    event = max((e for e in events.values() if e.programme_id == "tilburg-bestuurlijk-2025"),
                key=lambda e: (e.start, e.key))
    page.goto(event.url)
    target = page.locator(f"[id='{event.item_id}']")
    box = target.bounding_box()
    assert box is not None and 0 <= box["y"] < DESKTOP["height"], "scrolled to the item"


def test_pages_work_without_javascript(web, browser):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{web.url}/programmes/oss-ambtelijk.html")
    url = web.feed_url("programmes/oss-ambtelijk.ics")
    assert page.locator("input.feed-url").first.input_value() == url
    assert page.locator("input.feed-url").first.is_visible()
    assert page.locator(".copy-button").first.is_hidden()
    assert page.locator("[data-client=webcal]").first.is_visible()
    page.locator("summary", has_text="Hoe abonneer ik in Outlook?").click()
    assert page.get_by_text("Abonneren via internet").is_visible()
    context.close()


def test_the_copy_button_copies_the_feed_url(web, browser):
    context = browser.new_context(viewport=DESKTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=web.url)
    page = context.new_page()
    page.goto(f"{web.url}/programmes/oss-ambtelijk.html")
    button = page.locator(".copy-button").first
    assert button.is_visible()
    button.click()
    # The clipboard answers asynchronously: wait for the status (a busy host is slow).
    expect(page.locator(".copy-status").first).to_have_text(
        "Adres gekopieerd. Plak het in uw agenda-app.")
    assert page.evaluate("navigator.clipboard.readText()") == web.feed_url(
        "programmes/oss-ambtelijk.ics")
    context.close()


def test_pages_load_only_from_this_server_without_errors(web, page):
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    for path in ("", "programmes/tilburg-bestuurlijk-2025.html", "groups/europa.html",
                 f"p/{TOKEN}.html"):
        page.goto(f"{web.url}/{path}")
        page.wait_for_load_state("load")
    assert requests and all(u.startswith(web.url + "/") for u in requests), requests
    assert problems == []  # a blocked inline style or script (CSP) would show up here
    css = page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor")
    assert css == "rgb(11, 79, 130)", "the personal page's inline style was applied"


def test_personal_page_shows_the_participants_own_programme_and_feed(web, browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{web.url}/p/{TOKEN}.html")
    shown = page.eval_on_selector_all("article.item", "els => els.map(e => e.id)")
    assert sorted(shown) == sorted(k.replace("/", "_") for k in web.personal_keys)
    url = f"{web.url}/p/{TOKEN}.ics"
    assert page.locator("input.feed-url").input_value() == url
    assert decode_qr(page) == url
    assert page.locator("[data-client=download]").evaluate("a => a.href") == url
    assert page.request.get(url).status == 200
    screenshot(page, "personal-phone-390")
    context.close()


def test_index_json_lists_the_urls_the_pages_offer(web, page):
    page.goto(f"{web.url}/")
    offered = set(page.eval_on_selector_all(
        "[data-client=webcal]", "els => els.map(e => e.href.replace('webcal://', 'http://'))"))
    listed = json.loads(page.request.get(f"{web.url}/index.json").body())["feeds"]
    expected = {f["url"] for f in listed if f["kind"] in ("network", "programme")}
    assert offered == expected


def test_printing_keeps_the_programme_and_qr_code_but_drops_the_buttons(web, page):
    page.goto(f"{web.url}/programmes/dordrecht-ambtelijk.html")
    page.emulate_media(media="print")
    assert page.locator(".subscribe-buttons").first.is_hidden()
    assert page.locator("#g40_hulp").is_hidden()
    assert page.locator("figure.qr svg").first.is_visible()
    assert page.locator("article.item").count() == len(
        web.project.programme("dordrecht-ambtelijk").items)
    assert page.locator("article.item").last.is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "programme-print.pdf").write_bytes(pdf)


@pytest.mark.parametrize(("path", "viewport"), [
    ("", PHONE),
    ("programmes/zaandam-bestuurlijk.html", DESKTOP),  # with a cancelled item
    ("groups/europa.html", DESKTOP),
    (f"p/{TOKEN}.html", DESKTOP),
])
def test_pages_pass_the_axe_accessibility_rules(web, browser, path, viewport):
    """WCAG 2.1 A/AA and axe best practices (contrast, landmarks, labels, headings)."""
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a",
                                                     "wcag21aa", "best-practice"]}}
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(f"{web.url}/{path}")
    result = Axe().run(page, options=options)
    context.close()
    assert result.violations_count == 0, result.generate_report()


# ---------------------------------------------------------------- no page wider than the screen

WIDTHS = (320, 390, 1280)
# Texts a definition may hold, at their worst: unbreakable words, raw addresses, long names.
WORD = "meicirculaire/miljoenennota/septembercirculaire" * 2
URL = "https://www.example.org/" + "documenten/" * 12 + "a" * 120 + ".pdf?id=" + "x" * 60
GROUP = "Themagroep " + "Stedelijkeleefomgevingsverbeteringsprogrammering" * 2
EXTREME = f'''\
id = "extreem"
title = "Netwerkdag {WORD} Langeplaatsnaamzonderspatiesofkoppeltekensvoordetest"
kind = "bestuurlijk"
city = "Langeplaatsnaamzonderspatiesofkoppeltekensvoordetest"
description = "Beschrijving met {WORD} en {URL}"

[[days]]
date = "2026-03-12"
venue = "Zaal{WORD}"
address = "Straat{WORD} 1"
estimated = ["date", "venue"]
estimate_note = "Test."

[[days]]
date = "2026-03-13"
venue = "Stadhuis"

[[items]]
id = "plenair"
day = 1
start = "09:00"
end = "10:00"
kind = "plenair"
title = "Plenair {WORD}"
room = "Zaal{WORD}"
speakers = ["{WORD} ({WORD})"]
groups = ["{GROUP}", "Financiën"]
estimated = ["groups", "room"]
estimate_note = "Test."
description = "{WORD} {URL}"
notes = "{WORD}"
transport = "{WORD}"
time_note = "{WORD}"
provisional = "{WORD}"
links = ["{URL}"]
'''
EXTREME += "".join(f'''
[[items]]
id = "ronde-{n}"
day = {1 + n % 2}
start = "11:00"
end = "12:00"
kind = "keuzesessie"
round = "Ronde {WORD}"
title = "Sessie {n} {WORD}"
room = "Zaal{n}{WORD}"
speakers = ["{WORD}"]
groups = ["{GROUP}"]
capacity = 20
transport = "{WORD}"
notes = "{URL}"
links = ["{URL}"]
{"cancelled = true" if n == 3 else ""}
''' for n in range(1, 7))


@pytest.fixture(scope="module")
def extreme(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    """The shipped programmes plus one with every text at its worst, served; every page."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    root = copy_project(tmp_path_factory.mktemp("extreme") / "project", base_url=url + "/")
    with (root / "groups.toml").open("a", encoding="utf-8") as groups:
        groups.write(f'\n[[groups]]\nid = "lang"\nname = "{GROUP}"\nshort = "{GROUP[11:]}"\n'
                     'kind = "themagroep"\n')
    (root / "programmes" / "extreem.toml").write_text(EXTREME, encoding="utf-8")
    sync(root)
    config = load_config(root)
    project = load_project(config)
    assert not project.errors, [p.format() for p in project.errors]
    keys = frozenset(k for k in project.events if k.startswith(("extreem/", "tilburg")))
    spec = FeedSpec(id=f"personal:{TOKEN}", kind="personal", name=f"Mijn {WORD}",
                    description=WORD, path=f"{TOKEN}.ics", uid_scope="me", keys=keys,
                    private=True)
    config.private_path.mkdir(exist_ok=True)
    (config.private_path / f"{TOKEN}.html").write_bytes(
        build_personal_page(project, project.events, spec, config))
    with CliServer(root, port):
        yield Web(root, url, config, project, keys)


def every_page(web: Web) -> list[str]:
    public = sorted(p.relative_to(web.config.feeds_path).as_posix()
                    for p in web.config.feeds_path.rglob("*.html"))
    return [*public, f"p/{TOKEN}.html"]


OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const boxes = '.card, article.item, .subscribe, details, .block, .round, .day, .wrap';
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (typeof e.className === 'string' && e.className
     ? '.' + e.className.trim().replace(/ +/g, '.') : '');
  const found = [];
  if (document.documentElement.scrollWidth > width)
    found.push(`the page is ${document.documentElement.scrollWidth} px wide`);
  for (const e of document.body.querySelectorAll('*')) {
    if (e.closest('.visually-hidden, .skip-link, svg')) continue;
    const r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;  // not shown (closed details, hidden)
    if (r.left < -0.5 || r.right > width + 0.5)
      found.push(`${name(e)} spans ${Math.round(r.left)}–${Math.round(r.right)} px`);
    const style = getComputedStyle(e);
    if (!['INPUT', 'TEXTAREA'].includes(e.tagName) && style.overflowX === 'visible'
        && e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)
      found.push(`${name(e)}: content ${e.scrollWidth} px in a box of ${e.clientWidth} px`);
    const box = e.parentElement && e.parentElement.closest(boxes);
    if (box) {
      const b = box.getBoundingClientRect();
      if (r.left < b.left - 1 || r.right > b.right + 1)
        found.push(`${name(e)} sticks out of ${name(box)}`);
    }
  }
  return found;
}"""

LABELS_OVERLAP = """() => [...document.querySelectorAll('.item-facts > div')].flatMap(row => {
  const label = row.querySelector('dt'), value = row.querySelector('dd');
  const a = label.getBoundingClientRect(), b = value.getBoundingClientRect();
  const overlap = a.left < b.right - 0.5 && b.left < a.right - 0.5
    && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  const clipped = label.scrollWidth > label.clientWidth + 1;
  return overlap || clipped
    ? [`${row.closest('article').id}: ${label.innerText} overlaps ${value.innerText.slice(0, 40)}`]
    : [];
})"""


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_is_wider_than_the_screen_whatever_the_texts(extreme, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    found = {}
    for path in every_page(extreme):
        page.goto(f"{extreme.url}/{path}")
        problems = page.evaluate(OVERFLOW)
        if problems:
            found[path] = problems[:5]
            screenshot(page, f"overflow-{width}-{path.replace('/', '_')}")
    context.close()
    assert found == {}
    assert len(every_page(extreme)) >= 29  # index, 6 programmes, 21 groups, a personal page


@pytest.mark.parametrize("width", WIDTHS)
def test_a_label_never_overlaps_its_value(extreme, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    found = {}
    for path in ("programmes/extreem.html", "programmes/tilburg-bestuurlijk-2025.html",
                 "programmes/oss-ambtelijk.html", "groups/lang.html", f"p/{TOKEN}.html"):
        page.goto(f"{extreme.url}/{path}")
        problems = page.evaluate(LABELS_OVERLAP)
        if problems:
            found[path] = problems[:5]
    context.close()
    assert found == {}

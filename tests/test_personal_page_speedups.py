"""The personal pages' speed-ups change nothing a participant sees.

A sync renders one page per participant (50,000 in the benchmark), so pages.py reuses the
views and HTML of the items participants share. These tests hold it to a page rendered with
nothing cached, and the page's QR code to the address it stands for.
"""

from __future__ import annotations

import dataclasses
import re

import zxingcpp
from PIL import Image

from g40cal.definitions.project import Project
from g40cal.publishing.events import Event
from g40cal.publishing.feeds import FeedSpec
from g40cal.web import pages
from g40cal.web.pages import QR_BORDER, build_personal_page, qr_svg

LABEL = "QR-code met het adres van de agenda Mijn netwerkdagen & <meer>"


def test_a_qr_code_reads_back_as_the_address():
    url = "https://netwerk.example/p/Zx9_personal-token-0123456789abcdefghij.ics"
    assert read_qr(qr_svg(url, LABEL)) == url


def read_qr(svg: str) -> str:
    """Paint the SVG path's lines (one module thick, through the middle of a row: ``h``
    draws, ``m`` moves) plus the quiet zone, and decode the picture."""
    drawn: list[tuple[int, int]] = []  # dark modules as (x, y)
    for row, commands in re.findall(r"M0 (\d+)\.5((?:h\d+|m\d+ 0)*)", svg):
        x = 0
        for command, width in re.findall(r"([hm])(\d+)", commands):
            if command == "h":
                drawn += [(x + n, int(row)) for n in range(int(width))]
            x += int(width)
    side = max(y for _, y in drawn) + 1 + 2 * QR_BORDER  # the last row has dark modules
    pixels = bytearray([255]) * (side * side)
    for x, y in drawn:
        pixels[(y + QR_BORDER) * side + x + QR_BORDER] = 0
    image = Image.frombytes("L", (side, side), bytes(pixels)).resize((side * 4, side * 4))
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, f"{len(found)} QR codes decoded"
    return found[0].text


def test_a_qr_code_is_drawn_module_for_module_as_the_encoder_made_it():
    url = "https://netwerk.example/p/another-token_0123456789abcdefghijklmnopq.ics"
    code = zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    modules = bytes(memoryview(code.to_image(scale=1, add_quiet_zones=False)))
    size = int(len(modules) ** 0.5)
    path = re.search(r' d="([^"]*)"', qr_svg(url, LABEL)).group(1)
    rows = re.split(r"M0 \d+\.5", path)[1:]
    assert len(rows) == size
    for y, commands in enumerate(rows):
        painted = bytearray([255]) * size
        x = 0
        for command, width in re.findall(r"([hm])(\d+)", commands):
            if command == "h":
                painted[x:x + int(width)] = bytes(int(width))
            x += int(width)
        assert x == size, f"row {y} spans {x} modules"
        assert bytes(painted) == modules[y * size:(y + 1) * size], f"row {y}"


def spec(keys: set[str], token: str = "Zx9_personal-token-0123456789abcdefghij") -> FeedSpec:
    return FeedSpec(id=f"personal:{token}", kind="personal", name="Mijn netwerkdagen",
                    description="Uw eigen programma.", path=f"{token}.ics", uid_scope="me",
                    keys=frozenset(keys), private=True)


def participants(project: Project, events: dict[str, Event]) -> list[FeedSpec]:
    """Participants who share items: the common programme with one choice per round (each
    a different one), two choices in one round, every item, two days, and nothing."""
    common = {k for k, e in events.items() if not e.round}
    rounds: dict[str, list[str]] = {}
    for key, event in sorted(events.items()):
        if event.round:
            rounds.setdefault(f"{event.programme_id}/{event.round}", []).append(key)
    picks = [common | {keys[n % len(keys)] for keys in rounds.values()} for n in range(3)]
    greedy = common | {k for keys in rounds.values() for k in keys[:2]}
    days = sorted({e.programme_id for e in events.values()})
    two_days = {k for k, e in events.items() if e.programme_id in days[:2]}
    chosen = [*picks, greedy, set(events), two_days, set()]
    return [spec(keys, token=f"participant-{n:02d}") for n, keys in enumerate(chosen)]


def uncached(project: Project, events: dict[str, Event], participant: FeedSpec) -> bytes:
    """The page as the first one of a sync renders it: nothing cached yet."""
    pages._TIMETABLES.clear()
    pages._personal_row.cache_clear()
    return build_personal_page(project, events, participant, project.config)


def test_a_page_does_not_depend_on_the_pages_rendered_before_it(project):
    events = project.events
    everyone = participants(project, events)
    first = {p.id: uncached(project, events, p) for p in everyone}
    for participant in [*reversed(everyone), *everyone]:
        page = build_personal_page(project, events, participant, project.config)
        assert page == first[participant.id], participant.id


def test_a_round_with_two_own_choices_says_so_on_the_warm_path(project):
    events = project.events
    one, _, _, two, *_ = participants(project, events)
    build_personal_page(project, events, one, project.config)  # that round's row, cached
    assert b"2 parallelle onderdelen" in build_personal_page(project, events, two,
                                                             project.config)


def test_a_cancellation_shows_on_the_next_page_after_the_cached_ones(project):
    events = project.events
    everyone = participants(project, events)
    for participant in everyone:
        build_personal_page(project, events, participant, project.config)
    key = next(k for k, e in sorted(events.items()) if not e.round)
    cancelled = {**events, key: dataclasses.replace(events[key], cancelled=True)}
    for participant in everyone[:2]:
        before = build_personal_page(project, events, participant, project.config)
        page = build_personal_page(project, cancelled, participant, project.config)
        assert page == uncached(project, cancelled, participant)
        assert page.count(b"badge-cancelled") == before.count(b"badge-cancelled") + 1
        assert build_personal_page(project, events, participant, project.config) == before


def test_an_item_gone_from_the_definitions_shows_as_cancelled_after_the_cached_pages(
        project):
    events = project.events
    everyone = participants(project, events)
    for participant in everyone:
        build_personal_page(project, events, participant, project.config)
    key = next(k for k, e in sorted(events.items()) if not e.round)
    gone = dataclasses.replace(events[key], key=key + "-weg", item_id=key.split("/")[1] + "-weg",
                               title="Vervallen onderdeel", cancelled=True)
    with_gone = {**events, gone.key: gone}
    participant = dataclasses.replace(everyone[0], keys=everyone[0].keys | {gone.key})
    page = build_personal_page(project, with_gone, participant, project.config)
    assert page == uncached(project, with_gone, participant)
    assert b"Vervallen onderdeel" in page and b"uit het programma gehaald" in page


def test_an_edited_definition_is_never_shown_from_the_cache(project):
    events = project.events
    participant = spec(set(events))
    build_personal_page(project, events, participant, project.config)
    programme = project.programmes[0]
    item = programme.items[0]
    edited_programme = dataclasses.replace(
        programme, items=(dataclasses.replace(item, title="Een nieuwe titel"),
                          *programme.items[1:]))
    edited = dataclasses.replace(
        project, programmes=(edited_programme, *project.programmes[1:]))
    page = build_personal_page(edited, edited.events, participant, edited.config)
    assert b"Een nieuwe titel" in page
    assert page == uncached(edited, edited.events, participant)

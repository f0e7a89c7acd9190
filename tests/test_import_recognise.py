"""Recognising a programme in a document: dates, times, rounds, rooms, organisers, choices."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from g40cal.definitions.groups import GroupRegistry, load_registry
from g40cal.errors import UserError
from g40cal.importer.document import Cell, Document, Paragraph, Row, Source, Table
from g40cal.importer.draft import Draft, DraftItem
from g40cal.importer.recognise import Options, recognise

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def registry() -> GroupRegistry:
    return load_registry(REPO / "groups.toml")


def paragraphs(*texts: str, heading: dict[int, int] | None = None) -> list[Paragraph]:
    heading = heading or {}
    return [Paragraph(t, Source(line=n), heading=heading.get(n))
            for n, t in enumerate(texts, start=1)]


def table(*rows: tuple[str, ...], number: int = 1) -> Table:
    built = []
    for r, cells in enumerate(rows, start=1):
        built.append(Row(tuple(Cell(text, Source(table=number, row=r, column=c))
                               for c, text in enumerate(cells, start=1)),
                         Source(table=number, row=r)))
    return Table(tuple(built), Source(table=number))


def document(*blocks: object, name: str = "programma.docx") -> Document:
    flat: list[object] = []
    for block in blocks:
        flat.extend(block if isinstance(block, list) else [block])
    return Document(Path(name), "docx", tuple(flat))  # type: ignore[arg-type]


def item(draft: Draft, title_start: str) -> DraftItem:
    found = [i for i in draft.items if i.title.startswith(title_start)]
    assert len(found) == 1, [i.title for i in draft.items]
    return found[0]


HEAD = paragraphs("Ambtelijke netwerkdag Helmond", "donderdag 12 maart 2026",
                  "Locatie: Stadhuis Helmond, Markt 2, Helmond")


def test_a_dutch_date_venue_and_address_become_the_day(registry: GroupRegistry) -> None:
    draft = recognise(document(HEAD, table(("09.30 - 10.00", "Inloop"))), registry)
    assert draft.days[0].date == date(2026, 3, 12)
    assert draft.days[0].venue == "Stadhuis Helmond"
    assert draft.days[0].address == "Markt 2, Helmond"
    assert (draft.kind, draft.city) == ("ambtelijk", "Helmond")


def test_a_numeric_date_is_read(registry: GroupRegistry) -> None:
    doc = document(paragraphs("Bestuurlijke netwerkdag Deventer", "12-3-2026"),
                   table(("9.00", "Inloop")))
    assert recognise(doc, registry).days[0].date == date(2026, 3, 12)


def test_a_date_without_year_gets_it_from_the_text_only_as_an_estimate(
        registry: GroupRegistry) -> None:
    doc = document(paragraphs("Ambtelijke netwerkdag Almelo", "11 januari",
                              "Op 7 december 2023 is het manifest ondertekend."),
                   table(("09.30 - 10.00", "Inloop")))
    day = recognise(doc, registry).days[0]
    assert day.date == date(2024, 1, 11)
    assert day.estimated == ("date",)
    assert "7-12-2023" in (day.estimate_note or "").replace("07-12", "7-12")


def test_no_date_and_no_date_option_asks_for_date(registry: GroupRegistry) -> None:
    doc = document(paragraphs("Ambtelijke netwerkdag Oss"), table(("09.30 - 10.00", "Inloop")))
    with pytest.raises(UserError, match="--date"):
        recognise(doc, registry)
    given = recognise(doc, registry, Options(date=date(2026, 3, 12)))
    assert given.days[0].date == date(2026, 3, 12)


@pytest.mark.parametrize(("cell", "start", "end"), [
    ("09.00 - 09.30", time(9), time(9, 30)),
    ("09.30 – 10.00 uur", time(9, 30), time(10)),
    ("9:15-9:45", time(9, 15), time(9, 45)),
    ("13.00 tot 14.00 uur", time(13), time(14)),
])
def test_every_form_of_time_slot_is_read(registry: GroupRegistry, cell: str, start: time,
                                         end: time) -> None:
    draft = recognise(document(HEAD, table((cell, "Plenaire opening"))), registry)
    assert (draft.items[0].start, draft.items[0].end) == (start, end)
    assert draft.items[0].estimated == ()


def test_a_start_only_column_ends_at_the_next_start_as_an_estimate(
        registry: GroupRegistry) -> None:
    draft = recognise(document(HEAD, table(("9.00", "Inloop"), ("9.30", "Opening"),
                                           ("16.30", "Afsluiting met een borrel"))), registry)
    inloop, opening, closing = draft.items
    assert (inloop.end, opening.end) == (time(9, 30), time(16, 30))
    assert "end" in inloop.estimated and "09.30" in (inloop.estimate_note or "")
    assert closing.end is None                     # nothing follows: left out, not invented


def test_a_time_at_the_start_of_a_paragraph_is_an_item_too(registry: GroupRegistry) -> None:
    draft = recognise(document(HEAD + paragraphs("10.00 - 10.30 Opening door de burgemeester")),
                      registry)
    assert item(draft, "Opening").start == time(10)


def test_sessions_under_a_round_row_get_the_rounds_time_and_their_rooms(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(
        ("Tijd", "Onderdeel", "Zaal"),
        ("11.00 - 12.00", "Keuzesessies ronde 1", ""),
        ("", "Wonen in de binnenstad (TG Woningmarkt en Fysieke pijler)", "zaal IJssel"),
        ("", "Themagroep ZJO & Armoede en Schulden", "Studio 1"),
    ))
    draft = recognise(doc, registry)
    wonen = item(draft, "Wonen in de binnenstad")
    zjo = item(draft, "Themagroep ZJO")
    assert wonen.round == zjo.round == "Keuzesessies ronde 1"
    assert (wonen.start, wonen.end) == (time(11), time(12))
    assert (wonen.room, zjo.room) == ("zaal IJssel", "Studio 1")
    assert wonen.groups == ("Themagroep Woningmarkt", "Fysieke pijler")
    assert zjo.groups == ("Themagroep Zorg, Jeugd en Onderwijs", "Themagroep Armoede en Schulden")
    assert wonen.kind == "keuzesessie" and wonen.estimated == ()


def test_sessions_side_by_side_with_a_row_of_rooms_below(registry: GroupRegistry) -> None:
    doc = document(HEAD, table(
        ("14.00 - 15.00", "Pijlersessies", "", ""),
        ("", "Pijler Sociaal", "Pijler Fysiek", "Pijler Economie en Werk"),
        ("", "Raadzaal", "Studio 1", "zaal Maas"),
    ))
    draft = recognise(doc, registry)
    assert [(i.title, i.room, i.kind) for i in draft.items] == [
        ("Pijler Sociaal", "Raadzaal", "pijlersessie"),
        ("Pijler Fysiek", "Studio 1", "pijlersessie"),
        ("Pijler Economie en Werk", "zaal Maas", "pijlersessie"),
    ]


def test_a_room_after_a_dash_is_the_room(registry: GroupRegistry) -> None:
    draft = recognise(document(HEAD, table(("10.00 - 11.00", "Plenaire opening — Raadzaal"))),
                      registry)
    assert (draft.items[0].title, draft.items[0].room) == ("Plenaire opening", "Raadzaal")


def test_an_organiser_named_only_by_the_title_is_an_estimate(registry: GroupRegistry) -> None:
    doc = document(HEAD, table(("11.00 - 12.00", "Keuzesessies ronde 1"),
                               ("", "Gemeente financiën", "Kansen in Europa",
                                "Economische kansen")))
    draft = recognise(doc, registry)
    finance = item(draft, "Gemeente financiën")
    assert finance.groups == ("Themagroep Financiën",)
    assert finance.estimated == ("groups",)
    assert "titel" in (finance.estimate_note or "")
    europa = item(draft, "Kansen in Europa")
    assert europa.groups == ("Themagroep Europa",) and europa.estimated == ("groups",)
    assert item(draft, "Economische kansen").groups == ()   # a loose word is no organiser


def test_an_organiser_mentioned_in_the_description_is_an_estimate_unless_stated(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(("11.00 - 12.00", "Keuzesessies ronde 1"),
                               ("", "Arbeidsmigratie", "Woningtoewijzing")),
                   paragraphs("Toelichting", "Arbeidsmigratie",
                              "We bespreken ervaringen in de themagroep Sterke Keten.",
                              "Woningtoewijzing",
                              "Dit is een gezamenlijke sessie van Woningmarkt en WWZ."))
    draft = recognise(doc, registry)
    labour = item(draft, "Arbeidsmigratie")
    assert labour.groups == ("Themagroep Sterke Keten",) and labour.estimated == ("groups",)
    assert "themagroep Sterke Keten" in (labour.estimate_note or "")
    housing = item(draft, "Woningtoewijzing")
    assert housing.groups == ("Themagroep Woningmarkt", "Themagroep Wonen, Welzijn en Zorg")
    assert housing.estimated == ()


def test_lunch_walks_are_choices_with_their_own_start_capacity_and_transport(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table((
        "12.00 - 13.30",
        "Lunch Tijdens de lunch kunt u kiezen uit: 1. Stadswandeling door het centrum "
        "(vertrek 12.20 uur, max. 20 personen) 2. Fietstocht langs de Aa met de fiets, "
        "alleen de eerste 15 3. Werkbezoek aan de Automotive Campus per bus, onder voorbehoud",
    )))
    draft = recognise(doc, registry)
    lunch = item(draft, "Lunch")
    walk = item(draft, "Stadswandeling door het centrum")
    ride = item(draft, "Fietstocht langs de Aa")
    visit = item(draft, "Werkbezoek aan de Automotive Campus")
    assert lunch.kind == "lunch"
    assert (walk.kind, ride.kind, visit.kind) == ("wandeling", "excursie", "werkbezoek")
    assert walk.start == time(12, 20) and walk.capacity == 20
    assert ride.start == time(12) and ride.capacity == 15 and ride.transport == "met de fiets"
    assert visit.transport == "per bus" and visit.provisional
    assert walk.end == time(13, 30) and "end" in walk.estimated
    assert {walk.round, ride.round, visit.round} == {"Lunch"}


def test_brackets_that_only_say_how_one_goes_are_transport_not_title(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(
        ("16.15 - 18.15", "Stadssafari's"),
        ("", "Vorstelijk Landschap (met de fiets)", "Tilburg West (NPLV, per bus)"),
        ("18.15 - 19.00", "Verplaatsen naar het diner (met de bus)")))
    draft = recognise(doc, registry)
    assert item(draft, "Verplaatsen").title == "Verplaatsen naar het diner (met de bus)"
    ride = item(draft, "Vorstelijk Landschap")
    assert (ride.title, ride.transport) == ("Vorstelijk Landschap", "met de fiets")
    bus = item(draft, "Tilburg West")
    assert bus.title == "Tilburg West (NPLV, per bus)" and bus.transport == "per bus"


def test_item_kinds_come_from_the_words(registry: GroupRegistry) -> None:
    doc = document(HEAD, table(
        ("09.00 - 09.30", "Inloop met koffie"), ("09.30 - 10.00", "Opening"),
        ("10.00 - 10.15", "Koffiepauze"), ("10.15 - 10.30", "Zaalwissel"),
        ("10.30 - 11.30", "Keynote over brede welvaart"), ("17.00 - 18.00", "Netwerkborrel"),
        ("18.00 - 20.00", "Diner"),
    ))
    kinds = [i.kind for i in recognise(doc, registry).items]
    assert kinds == ["inloop", "opening", "pauze", "verplaatsen", "plenair", "borrel", "diner"]


def test_toelichting_attaches_description_speakers_and_organisers(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(("11.00 - 12.00", "Keuzesessies ronde 1"),
                               ("", "Mooi Nederland", "Kansen in Europa")),
                   paragraphs("Toelichting op de onderdelen", "Mooi Nederland",
                              "TG Leefomgeving en Stedelijke Transformatie + Pijler economie",
                              "We gaan in gesprek over ruimtelijke kwaliteit.",
                              "Sprekers: Paola Huijding (VRO) en Remco Deelstra (Leeuwarden)",
                              "Kansen in Europa", "Met: Max van Dijk, secretaris",
                              "Georganiseerd door themagroep Europa."))
    draft = recognise(doc, registry)
    mooi = item(draft, "Mooi Nederland")
    assert mooi.description == "We gaan in gesprek over ruimtelijke kwaliteit."
    assert mooi.speakers == ("Paola Huijding (VRO)", "Remco Deelstra (Leeuwarden)")
    assert mooi.groups == ("Themagroep Leefomgeving en Stedelijke Transformatie",
                           "Pijler Economie en Werk")
    europa = item(draft, "Kansen in Europa")
    assert europa.speakers == ("Max van Dijk (secretaris)",)
    assert europa.groups == ("Themagroep Europa",) and "groups" not in europa.estimated
    assert not draft.unused


def test_an_unmatched_toelichting_heading_is_reported_not_attached(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(("11.00 - 12.00", "Keuzesessies ronde 1"),
                               ("", "Mooi Nederland", "Kansen in Europa")),
                   paragraphs("Toelichting", "Mooi Nederland", "Over ruimtelijke kwaliteit.",
                              "Taal en beeldvorming bij armoede",
                              "Een sessie die niet in het schema staat."))
    draft = recognise(doc, registry)
    assert item(draft, "Mooi Nederland").description == "Over ruimtelijke kwaliteit."
    assert item(draft, "Kansen in Europa").description is None
    unused = [u.text for u in draft.unused]
    assert unused == ["Taal en beeldvorming bij armoede",
                      "Een sessie die niet in het schema staat."]


ROUNDS = table(("11.00 - 12.00", "Keuzesessies - Ronde 1"),
              ("", "Mooi Nederland", "Kansen in Europa"),
              ("12.00 - 13.00", "Lunch"),
              ("13.00 - 14.00", "Keuzesessies - Ronde 2"),
              ("", "Wonen en zorg (13.00 - 14.30 uur)", "Sterke keten"))


def test_a_session_only_the_toelichting_names_joins_the_round_whose_time_heads_it(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, ROUNDS,
                   paragraphs("Toelichting", "Keuze sessies ronde 2 (13.00 - 14.00 uur)",
                              "Wonen en zorg", "Deze sessie duurt tot 14.30 uur.",
                              "Taal en beeldvorming bij armoede",
                              "Een sessie die niet in het schema staat.",
                              "Georganiseerd door themagroep Europa."))
    draft = recognise(doc, registry)
    added = item(draft, "Taal en beeldvorming bij armoede")
    assert (added.start, added.end) == (time(13, 0), time(14, 0))
    assert added.round == "Keuzesessies - Ronde 2" and added.kind == "keuzesessie"
    assert added.estimated == () and added.groups == ("Themagroep Europa",)
    assert added.description == "Een sessie die niet in het schema staat."
    assert [s.line for s in added.sources[:2]] == [5, 2]   # its heading, the round's heading
    assert any("only the Toelichting names 'Taal en beeldvorming" in n for n in draft.notices)
    assert not draft.unused


def test_a_round_heading_without_a_time_takes_the_time_of_the_round_with_its_number(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, ROUNDS,
                   paragraphs("Toelichting", "Keuzesessies ronde 1", "Mooi Nederland",
                              "Over ruimtelijke kwaliteit.", "Europa dichtbij",
                              "Een sessie die niet in het schema staat."))
    added = item(recognise(doc, registry), "Europa dichtbij")
    assert (added.start, added.end, added.round) == (time(11, 0), time(12, 0),
                                                     "Keuzesessies - Ronde 1")


@pytest.mark.parametrize("round_heading", [
    "Keuzesessies ronde 3",                      # the timetable has no third round
    "Keuzesessies (15.00 - 16.00 uur)",          # no round of the timetable at that time
    "Werksessies",                               # names no round at all
])
def test_a_session_under_a_round_heading_that_names_no_round_of_the_timetable_is_reported(
        registry: GroupRegistry, round_heading: str) -> None:
    doc = document(HEAD, ROUNDS,
                   paragraphs("Toelichting", round_heading, "Europa dichtbij",
                              "Een sessie die niet in het schema staat."))
    draft = recognise(doc, registry)
    assert "Europa dichtbij" not in [i.title for i in draft.items]
    assert [u.text for u in draft.unused][-2:] == ["Europa dichtbij",
                                                   "Een sessie die niet in het schema staat."]


@pytest.mark.parametrize("subheading", ["Over het REOS-netwerk", "Kansen in Europa"])
def test_a_subheading_about_the_session_above_or_part_of_a_title_is_no_new_session(
        registry: GroupRegistry, subheading: str) -> None:
    doc = document(HEAD, table(("11.00 - 12.00", "Keuzesessies - Ronde 1"),
                               ("", "Ruimtelijk economische strategie", "Kansen in Europa")),
                   paragraphs("Toelichting", "Keuzesessies ronde 1 (11.00 - 12.00 uur)",
                              "Ruimtelijk economische strategie",
                              "Binnen het REOS-netwerk is een narratief gemaakt.",
                              subheading, "Een tekst onder de tussenkop."))
    draft = recognise(doc, registry)
    assert len(draft.items) == 2


@pytest.mark.parametrize("lines", [
    ("Georganiseerd samen met de themagroep Europa",),
    ("Georganiseerd samen met de themagroep Europa https://example.org/europa",),
    ("Georganiseerd door de themagroep Europa en de", "themagroep", "Financiën"),  # OCR breaks
])
def test_an_organiser_line_in_any_of_the_bureau_s_wordings_states_the_organisers(
        registry: GroupRegistry, lines: tuple[str, ...]) -> None:
    doc = document(HEAD, table(("11.00 - 12.00", "Keuzesessies ronde 1"),
                               ("", "Mooi Nederland", "Kansen in Europa")),
                   paragraphs("Toelichting", "Kansen in Europa",
                              "We gaan in gesprek over Europese fondsen.", *lines))
    draft = recognise(doc, registry)
    europa = item(draft, "Kansen in Europa")
    expected = ("Themagroep Europa", "Themagroep Financiën") if len(lines) > 1 \
        else ("Themagroep Europa",)
    assert europa.groups == expected and "groups" not in europa.estimated
    assert europa.notes is None and len(draft.items) == 2
    assert not [u for u in draft.unused if "Europa" in u.text or u.text == "themagroep"]


def test_a_room_change_gets_no_organiser_from_the_groups_its_text_names(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(("14.30 - 14.45", "Zaalwissel"),
                               ("14.45 - 16.00", "Bijeenkomst pijler Economie en Werk")),
                   paragraphs("Toelichting", "Zaalwissel",
                              "Op weg naar de zaal van de pijler Economie en Werk."))
    draft = recognise(doc, registry)
    change = item(draft, "Zaalwissel")
    assert change.description and change.groups == () and "groups" not in change.estimated


def test_a_last_item_with_only_a_start_ends_at_the_day_s_end_its_date_line_gives(
        registry: GroupRegistry) -> None:
    doc = document(paragraphs("Ambtelijke netwerkdag Helmond",
                              "donderdag 12 maart 2026, 09.30 - 17.30 uur"),
                   table(("09.30 - 10.00", "Inloop"), ("16.30", "Afsluiting met een borrel")))
    draft = recognise(doc, registry)
    last = item(draft, "Afsluiting")
    assert last.end == time(17, 30) and last.estimated == ("end",)
    assert "einde van de dag dat het programma noemt (17.30 uur)" in (last.estimate_note or "")
    assert draft.days[0].venue is None              # the hours are no place


def test_an_einde_row_ends_the_day_and_is_no_item(registry: GroupRegistry) -> None:
    doc = document(HEAD, table(("09.30 - 10.00", "Inloop"), ("16.30", "Afsluiting"),
                               ("17.30", "Einde programma")))
    draft = recognise(doc, registry)
    assert [i.title for i in draft.items] == ["Inloop", "Afsluiting"]
    assert item(draft, "Afsluiting").end == time(17, 30)
    assert "end" in item(draft, "Afsluiting").estimated and not draft.unused


def test_a_last_item_with_only_a_start_gets_no_end_the_document_does_not_give(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(("09.30 - 10.00", "Inloop"), ("16.30", "Afsluiting")))
    assert item(recognise(doc, registry), "Afsluiting").end is None


def test_a_title_an_ocr_damaged_is_kept_with_its_time_and_reported(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(("10.00 - 11.00", "Plenair: Europa"),
                               ("11.00 - 11.15", "WLEEIWESS"), ("11.15 - 11.30", "PAUZE"),
                               ("11.30 - 12.30", "EUROPA DICHTBIJ")),
                   paragraphs("Toelichting", "Europa dichtbij", "Over Europese fondsen."))
    draft = recognise(doc, registry)
    damaged = item(draft, "WLEEIWESS")
    assert (damaged.start, damaged.end) == (time(11, 0), time(11, 15))
    reported = [n for n in draft.notices if n.startswith("unreadable title")]
    assert len(reported) == 1 and "'WLEEIWESS'" in reported[0] and "11.00" in reported[0]


def test_a_toelichting_heading_s_time_picks_the_item_at_that_time(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(("10.00 - 11.00", "Plenair - Migratie"),
                               ("11.30 - 12.30", "Keuzesessies ronde 1"),
                               ("", "Migratie en Werk", "Slim met Stroom")),
                   paragraphs("Toelichting", "Migratie (10.00 - 11.00 uur)",
                              "In dit plenaire deel staat migratie centraal.",
                              "Migratie en Werk", "Over arbeidsmigranten."))
    draft = recognise(doc, registry)
    assert item(draft, "Plenair - Migratie").description == \
        "In dit plenaire deel staat migratie centraal."
    assert item(draft, "Migratie en Werk").description == "Over arbeidsmigranten."
    assert not draft.unused


def lines_at(*numbered: tuple[int, str]) -> list[Paragraph]:
    """Paragraphs of a text export at these line numbers (a gap is an empty line)."""
    return [Paragraph(text, Source(line=number)) for number, text in numbered]


WRAPPED = ("Op initiatief van Maarten Burggraaf, voorzitter G40 Vitale Binnensteden en "
           "wethouder in Dordrecht en Ashley")


def test_a_long_line_the_export_wrapped_is_running_text_not_a_heading(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(("13.30 - 14.45", "Themaronde 2"),
                               ("", "Vitale binnensteden", "Europa")),
                   lines_at((20, "Toelichting"), (22, "Vitale binnensteden"),
                            (24, "Er wordt gewerkt aan een position paper."),
                            (26, WRAPPED), (27, "North, coördinator zero emissie steden."),
                            (29, "Europa"), (31, "Over Europese fondsen.")))
    draft = recognise(doc, registry)
    assert len(draft.items) == 2 and WRAPPED in (item(draft, "Vitale").description or "")
    assert not draft.unused


@pytest.mark.parametrize("aside", ["(LocHal)", "De directeur geeft een introductie (unieke plek"])
def test_a_bracketed_aside_or_an_unclosed_bracket_is_no_heading(
        registry: GroupRegistry, aside: str) -> None:
    doc = document(paragraphs("Ambtelijke netwerkdag Helmond", "donderdag 12 maart 2026",
                              "Plenair welkom", "De burgemeester heet u welkom.", aside,
                              "Een tekst onder dezelfde kop."))   # descriptions only
    draft = recognise(doc, registry)
    assert [i.title for i in draft.items] == ["Plenair welkom"]
    assert aside in (draft.items[0].description or "")


def test_a_heading_with_a_full_stop_that_names_an_item_is_still_its_heading(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(("13.20 - 14.30", "Openingsdebat: Stad van iedereen"),
                               ("14.45 - 16.00", "Bijeenkomst Fysieke pijler")),
                   lines_at((20, "Toelichting"), (22, "Bijeenkomst Fysieke pijler"),
                            (24, "We zijn te gast in de spoorzone."),
                            (26, "Openingsdebat: Stad van iedereen - op weg naar inclusieve "
                                 "steden."),
                            (28, "Hoe kunnen steden discriminatie tegengaan?")))
    draft = recognise(doc, registry)
    debate = item(draft, "Openingsdebat")
    assert (debate.description or "").endswith("Hoe kunnen steden discriminatie tegengaan?")
    assert item(draft, "Bijeenkomst").description == "We zijn te gast in de spoorzone."


def test_in_a_text_of_descriptions_only_the_venue_line_is_no_item(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, paragraphs("Plenair welkom", "De burgemeester heet u welkom.",
                                    "Dag 2 - vrijdag 13 maart 2026", "Keynote",
                                    "Een lezing over brede welvaart."))
    draft = recognise(doc, registry)
    assert [(i.title, i.day) for i in draft.items] == [("Plenair welkom", 1), ("Keynote", 2)]
    assert draft.days[0].venue == "Stadhuis Helmond"


def test_every_line_that_went_nowhere_is_listed(registry: GroupRegistry) -> None:
    doc = document(HEAD, table(("09.30 - 10.00", "Inloop"), ("Zie ook de website", "", "")))
    draft = recognise(doc, registry)
    assert [(u.text, u.source.describe()) for u in draft.unused] == [
        ("Zie ook de website", "table 1, row 2")]


def test_several_days_each_get_their_items(registry: GroupRegistry) -> None:
    doc = document(
        paragraphs("Bestuurlijke netwerkdagen in Tilburg",
                   "Dag 1 - donderdag 25 september 2025 - LocHal"),
        table(("12.00 - 13.00", "Inloop met lunch")),
        paragraphs("Dag 2 - vrijdag 26 september 2025 - Stadhuis"),
        table(("09.15 - 09.45", "Inloop met koffie en thee"), number=2),
    )
    draft = recognise(doc, registry)
    assert [(d.date, d.venue) for d in draft.days] == [
        (date(2025, 9, 25), "LocHal"), (date(2025, 9, 26), "Stadhuis")]
    assert [(i.title, i.day) for i in draft.items] == [
        ("Inloop met lunch", 1), ("Inloop met koffie en thee", 2)]


def test_a_document_of_descriptions_only_has_items_without_times(
        registry: GroupRegistry) -> None:
    doc = document(paragraphs("Ambtelijke netwerkdag Oss", "Keuzesessies - ronde 1",
                              "Ontwikkeling spoorzones", "Over stationsgebieden.",
                              "Georganiseerd door themagroep Stedelijke transformatie",
                              heading={2: 2, 3: 3}))
    draft = recognise(doc, registry, Options(date=date(2025, 3, 20)))
    spoor = item(draft, "Ontwikkeling spoorzones")
    assert spoor.start is None and spoor.round == "Keuzesessies - ronde 1"
    assert spoor.groups == ("Themagroep Leefomgeving en Stedelijke Transformatie",)
    assert any("no time" in n for n in draft.notices)


def test_rows_repeating_one_time_slot_are_the_sessions_of_a_round(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(
        ("Tijdstip", "Programmaonderdeel", "Zaal/locatie"),
        ("14.00 - 15.00", "Keuzesessies ronde 2", ""),
        ("14.00 - 15.00", "Wonen in de binnenstad", "Studio 1"),
        ("14.00 - 15.00", "Slim met stroom", "Studio 2"),
        ("15.00 - 15.30", "Koffie", ""),
    ))
    draft = recognise(doc, registry)
    assert [(i.title, i.round, i.room, i.kind) for i in draft.items] == [
        ("Wonen in de binnenstad", "Keuzesessies ronde 2", "Studio 1", "keuzesessie"),
        ("Slim met stroom", "Keuzesessies ronde 2", "Studio 2", "keuzesessie"),
        ("Koffie", None, None, "pauze"),
    ]


def test_explanations_after_the_table_without_a_toelichting_line_are_attached(
        registry: GroupRegistry) -> None:
    explanations = [Paragraph("Slim met stroom", Source(line=1), heading=2),
                    Paragraph("Over netcongestie.", Source(line=2))]
    doc = document(HEAD, table(("14.00 - 15.00", "Slim met stroom"),
                               ("15.00 - 16.00", "Afsluiting")), explanations)
    draft = recognise(doc, registry)
    assert item(draft, "Slim met stroom").description == "Over netcongestie."
    assert item(draft, "Afsluiting").description is None


def test_a_heading_that_adds_to_the_schedules_title_becomes_the_title_a_subtitle_not(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(("11.00 - 12.00", "Keuzesessies ronde 1"),
                               ("", "Themagroep Zorg, Jeugd en Onderwijs", "Slim met Stroom")),
                   paragraphs("Toelichting", "Themagroep Zorg, Jeugd en Onderwijs (ZJO)",
                              "Over de hervormingsagenda.", "Slim met Stroom, aanpak netcongestie",
                              "Over netcongestie."))
    draft = recognise(doc, registry)
    assert [i.title for i in draft.items] == ["Themagroep Zorg, Jeugd en Onderwijs (ZJO)",
                                              "Slim met Stroom"]
    assert item(draft, "Slim met Stroom").description == \
        "Slim met Stroom, aanpak netcongestie\n\nOver netcongestie."


def test_a_joint_session_named_by_its_groups_takes_the_title_under_its_heading(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(("15.00 - 16.00", "Keuzesessies ronde 2"),
                               ("", "Themagroepen gezamenlijk Woningmarkt en ZJO", "Europa")),
                   paragraphs("Toelichting", "Gezamenlijke themagroep sessie Woningmarkt en ZJO",
                              "Meedenken over de wet versterking regie volkshuisvesting",
                              "Eind november verscheen het advies."))
    draft = recognise(doc, registry)
    joint = item(draft, "Meedenken over de wet")
    assert joint.groups == ("Themagroep Woningmarkt", "Themagroep Zorg, Jeugd en Onderwijs")
    assert joint.description == ("Themagroepen gezamenlijk Woningmarkt en ZJO\n\n"
                                 "Eind november verscheen het advies.")


def test_running_text_wrapped_over_lines_is_one_sentence_in_the_description(
        registry: GroupRegistry) -> None:
    doc = document(HEAD + paragraphs("10.00 - 10.30 Opening",
                                     "Welkom door G40-voorzitter Paul Depla en",
                                     "burgemeester Onno Hoes.", "Daarna koffie."))
    assert item(recognise(doc, registry), "Opening").description == (
        "Welkom door G40-voorzitter Paul Depla en burgemeester Onno Hoes.\n\nDaarna koffie.")


def test_a_column_of_times_apart_from_the_titles_is_reported_not_paired(
        registry: GroupRegistry) -> None:
    doc = document(HEAD + paragraphs("12.00 - 13.00", "13.00 - 13.20", "13.20 - 14.30",
                                     "Inloop met lunch", "Opening Glazen zaal",
                                     "Openingsdebat: Stad van iedereen"))
    draft = recognise(doc, registry)
    assert [(i.title, i.start, i.room) for i in draft.items] == [
        ("Inloop met lunch", None, None), ("Opening", None, "Glazen zaal"),
        ("Openingsdebat: Stad van iedereen", None, None)]
    assert [u.text for u in draft.unused] == ["12.00 - 13.00", "13.00 - 13.20", "13.20 - 14.30"]
    assert all("not paired" in u.reason for u in draft.unused)


def test_what_the_reader_could_not_read_is_in_the_report(registry: GroupRegistry) -> None:
    doc = document(HEAD, table(("09.30 - 10.00", "Inloop")))
    doc = Document(doc.path, doc.format, doc.blocks, notes=("page 2 is only a picture",))
    assert "page 2 is only a picture" in recognise(doc, registry).notices


def test_a_title_line_with_the_date_and_place(registry: GroupRegistry) -> None:
    doc = document(paragraphs("Ambtelijke netwerkdag donderdag 12 maart 2026 in het Stadhuis"),
                   table(("09.30-10.00u", "Inloop")))
    draft = recognise(doc, registry, Options(city="Helmond"))
    assert (draft.days[0].date, draft.days[0].venue) == (date(2026, 3, 12), "Stadhuis")
    assert (draft.items[0].start, draft.items[0].end) == (time(9, 30), time(10))


def test_met_lines_under_a_heading_are_speakers_with_a_proviso(registry: GroupRegistry) -> None:
    doc = document(HEAD, table(("14.00 - 15.00", "Keuzesessies ronde 2"),
                               ("", "Inclusieve zorg", "Migratie en Werk")),
                   paragraphs("Toelichting", "Inclusieve zorg",
                              "Met staatssecretaris Maarten van Ooijen (onder voorbehoud)",
                              "Over de Wmo.", "Migratie en Werk",
                              "Met Thomas Zwiers, VNG programmamanager", "Over arbeidsmigratie."))
    draft = recognise(doc, registry)
    care = item(draft, "Inclusieve zorg")
    assert care.speakers == ("staatssecretaris Maarten van Ooijen",)
    assert care.provisional == "Met staatssecretaris Maarten van Ooijen (onder voorbehoud)"
    assert care.description == "Over de Wmo."
    assert item(draft, "Migratie en Werk").speakers == ("Thomas Zwiers (VNG programmamanager)",)


def test_a_choices_practical_brackets_go_to_its_notes_not_its_title_or_the_host(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table((
        "12.00 - 13.00", "Lunch\nTijdens de lunch kunt u kiezen voor:\n"
        "1. Stadswandeling door het centrum (vertrek 12.15 uur, max. 20 personen)\n"
        "2. Fietstocht langs de Aa met de fiets")))
    draft = recognise(doc, registry)
    lunch, walk, ride = draft.items
    assert (lunch.capacity, lunch.transport, lunch.notes) == (None, None, None)
    assert (walk.title, walk.start, walk.capacity) == (
        "Stadswandeling door het centrum", time(12, 15), 20)
    assert walk.notes == "vertrek 12.15 uur, max. 20 personen"
    assert walk.time_note == "vertrek 12.15 uur"
    assert (ride.start, ride.transport) == (time(12), "met de fiets")


def test_a_deadline_is_not_the_day(registry: GroupRegistry) -> None:
    doc = document(paragraphs("Ambtelijke netwerkdag Helmond", "Aanmelden vóór 1 maart 2026",
                              "donderdag 12 maart 2026"), table(("09.30 - 10.00", "Inloop")))
    draft = recognise(doc, registry)
    assert [d.date for d in draft.days] == [date(2026, 3, 12)]
    assert [u.text for u in draft.unused] == ["Aanmelden vóór 1 maart 2026"]


def test_a_heading_wrapped_over_two_lines_is_one_heading(registry: GroupRegistry) -> None:
    doc = document(HEAD, table(("11.00 - 12.00", "Keuzesessies ronde 1"),
                               ("", "Interbestuurlijke samenwerking", "Europa dichtbij")),
                   paragraphs("Toelichting", "Keuzesessies ronde 1",
                              "Interbestuurlijke samenwerking in een veranderende context:",
                              "strategieën voor rijk en gemeenten",
                              "De relatie staat onder spanning."))
    draft = recognise(doc, registry)
    session = item(draft, "Interbestuurlijke samenwerking")
    assert session.description == "De relatie staat onder spanning."
    assert not draft.unused


def test_a_row_of_organisers_under_a_row_of_sessions_gives_their_organisers(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(
        ("14.00 - 15.00", "Themaronde 2", "", ""),
        ("", "Gemeentefinanciën", "Zorgfraude", "Preventie met gezag"),
        ("", "TG Financiën", "Themagroep ZJO & WWZ", "Themagroep Veiligheid"),
        ("", "Tribune", "Podium", "Werkplaats"),
    ))
    draft = recognise(doc, registry)
    assert [(i.title, i.groups, i.estimated, i.room) for i in draft.items] == [
        ("Gemeentefinanciën", ("Themagroep Financiën",), (), "Tribune"),
        ("Zorgfraude", ("Themagroep Zorg, Jeugd en Onderwijs",
                        "Themagroep Wonen, Welzijn en Zorg"), (), "Podium"),
        ("Preventie met gezag", ("Themagroep Veiligheid",), (), "Werkplaats"),
    ]


def test_a_session_named_like_a_group_in_its_own_row_is_a_session(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(("11.30 - 12.30", "Keuzesessies - Ronde 1", ""),
                               ("", "Elke Regio Telt!", "Slim met Stroom"),
                               ("", "Gemeentelijke financiën", "")))
    draft = recognise(doc, registry)
    assert [i.title for i in draft.items] == ["Elke Regio Telt!", "Slim met Stroom",
                                              "Gemeentelijke financiën"]
    assert draft.items[0].groups == ()


def test_a_short_line_ending_in_its_time_is_an_item(registry: GroupRegistry) -> None:
    doc = document(HEAD + paragraphs("Inloop vanaf 09.15 uur", "Lunch, 12.00 - 13.00 uur",
                                     "We eten samen in de foyer van het theater tot 13.00 uur."))
    draft = recognise(doc, registry)
    assert [(i.title, i.start, i.end) for i in draft.items] == [
        ("Inloop", time(9, 15), time(12)), ("Lunch", time(12), time(13))]
    assert draft.items[1].description == \
        "We eten samen in de foyer van het theater tot 13.00 uur."


@pytest.mark.parametrize(("head", "name"), [
    (["Programma Ambtelijke Netwerkdag Helmond", "Donderdag 12 maart 2026"], "programma.docx"),
    (["Programma ambtelijke netwerkdag", "Donderdag 12 maart 2026",
      "Locatie: Boscotondo, Kasteel-Traverse 101, 5701 NR Helmond"], "programma.docx"),
    (["Programma ambtelijke netwerkdag", "Donderdag 12 maart 2026",
      "Locatie: Boscotondo, Kasteel-Traverse 101, Helmond"], "programma.docx"),
    (["Programma ambtelijke netwerkdag", "Donderdag 12 maart 2026"], "programma-helmond-v2.docx"),
])
def test_the_host_city_is_read_from_the_title_the_venue_or_the_file_name(
        registry: GroupRegistry, head: list[str], name: str) -> None:
    doc = document(*paragraphs(*head), table(("09.30 - 10.00", "Inloop")), name=name)
    assert recognise(doc, registry).city == "Helmond"


def test_numbered_sessions_in_rows_under_a_round_row_are_each_a_session(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(
        ("Tijd", "Programmaonderdeel", "Zaal"),
        ("11.00 - 12.00 uur", "Keuzesessies ronde 1", ""),
        ("", "1. Themagroep Duurzaamheid: warmtenetten in de wijk", "Zaal De Peel"),
        ("", "2. Pijler Economie en Werk: arbeidsmarkt in de regio", "Zaal Kempen"),
        ("", "3. Themagroep Europa – Brusselse fondsen voor steden", "Studio 1"),
        ("12.00 - 13.00 uur", "Lunch", "Foyer"),
    ))
    draft = recognise(doc, registry)
    sessions = [(i.title, i.room, i.round, i.start) for i in draft.items if i.round]
    assert sessions == [
        ("Themagroep Duurzaamheid: warmtenetten in de wijk", "Zaal De Peel",
         "Keuzesessies ronde 1", time(11)),
        ("Pijler Economie en Werk: arbeidsmarkt in de regio", "Zaal Kempen",
         "Keuzesessies ronde 1", time(11)),
        ("Themagroep Europa – Brusselse fondsen voor steden", "Studio 1",
         "Keuzesessies ronde 1", time(11)),
    ]
    assert item(draft, "Pijler Economie").groups == ("Pijler Economie en Werk",)
    assert not draft.unused


def test_a_session_row_that_names_nothing_is_reported_not_silently_dropped(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(
        ("11.00 - 12.00 uur", "Keuzesessies ronde 1", ""),
        ("", "Wonen in de binnenstad", "Zaal De Peel"),
        ("", "2. –", "Zaal Kempen"),
    ))
    draft = recognise(doc, registry)
    assert [i.title for i in draft.items] == ["Wonen in de binnenstad"]
    assert [u.text for u in draft.unused] == ["2. – Zaal Kempen"]
    assert any("went into no item" in n for n in draft.notices)


def test_a_bracketed_organiser_list_at_the_end_of_a_title_becomes_organisers(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(
        ("11.00 - 12.00 uur", "Keuzesessies ronde 1"),
        ("", "Pijler Economie en Werk: arbeidsmarkt in de regio (TG MKB & Dienstverlening)"),
        ("", "Wonen in de binnenstad (TG Onbekende Groep)"),
    ))
    draft = recognise(doc, registry)
    labour = item(draft, "Pijler Economie en Werk")
    assert labour.title == "Pijler Economie en Werk: arbeidsmarkt in de regio"
    assert labour.groups == ("Pijler Economie en Werk",      # the words it opens with first
                             "Themagroep MKB-dienstverlening en economische vernieuwing")
    unknown = item(draft, "Wonen in de binnenstad")
    assert unknown.title == "Wonen in de binnenstad" and unknown.groups == ()
    assert unknown.notes == "TG Onbekende Groep"       # kept for the bureau, not guessed


def test_a_lunch_walk_in_a_row_of_its_own_within_the_lunch_is_a_choice(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(
        ("12.00 - 13.15 uur", "Lunch", "Foyer"),
        ("12.20 uur", "Lunchwandeling door het centrum, vertrek 12.20 uur bij de ingang, "
         "max. 20 personen", ""),
        ("13.15 - 14.30 uur", "Plenaire afsluiting", "Theaterzaal"),
    ))
    draft = recognise(doc, registry)
    walk = item(draft, "Lunchwandeling")
    assert walk.title == "Lunchwandeling door het centrum"
    assert (walk.kind, walk.round, walk.start, walk.capacity) == (
        "wandeling", "Lunch", time(12, 20), 20)
    assert walk.notes == "vertrek 12.20 uur bij de ingang, max. 20 personen"
    assert [(i.title, i.kind) for i in draft.items if i.round is None] == [
        ("Lunch", "lunch"), ("Plenaire afsluiting", "afsluiting")]
    assert not draft.unused


def test_a_numbered_site_visit_keeps_a_clean_title_with_its_transport_and_capacity(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(
        ("13.15 - 14.30 uur", "Keuzesessies ronde 2", ""),
        ("", "1. Themagroep Woningmarkt: betaalbaar bouwen", "Zaal De Peel"),
        ("", "2. Werkbezoek Brainport Industries Campus (per bus, alleen de eerste 15 "
         "personen)", ""),
    ))
    draft = recognise(doc, registry)
    visit = item(draft, "Werkbezoek")
    assert visit.title == "Werkbezoek Brainport Industries Campus"
    assert (visit.kind, visit.transport, visit.capacity) == ("werkbezoek", "per bus", 15)
    assert item(draft, "Themagroep Woningmarkt").title == \
        "Themagroep Woningmarkt: betaalbaar bouwen"


def test_a_round_with_its_numbered_sessions_in_one_cell_is_a_round_not_an_item(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(
        ("11.00 - 12.00", "Keuzesessies ronde 1\n1. Themagroep Duurzaamheid: warmtenetten – "
         "Zaal De Peel\n2. Themagroep Europa: fondsen – Studio 1"),
        ("12.00 - 13.00", "Lunch"),
    ))
    draft = recognise(doc, registry)
    assert [(i.title, i.round, i.room, i.end, i.estimated) for i in draft.items] == [
        ("Themagroep Duurzaamheid: warmtenetten", "Keuzesessies ronde 1", "Zaal De Peel",
         time(12), ()),
        ("Themagroep Europa: fondsen", "Keuzesessies ronde 1", "Studio 1", time(12), ()),
        ("Lunch", None, None, time(13), ()),
    ]
    assert not draft.unused


def test_a_room_in_brackets_at_the_end_of_a_session_is_its_room(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, paragraphs(
        "11.00 - 12.00 uur\tKeuzesessies ronde 1",
        "1. Themagroep Duurzaamheid: warmtenetten in de wijk (zaal De Peel)",
        "2. Pijler Economie en Werk: arbeidsmarkt (TG MKB & Dienstverlening) (Studio 1)",
    ))
    draft = recognise(doc, registry)
    assert [(i.title, i.room) for i in draft.items] == [
        ("Themagroep Duurzaamheid: warmtenetten in de wijk", "zaal De Peel"),
        ("Pijler Economie en Werk: arbeidsmarkt", "Studio 1"),
    ]


def test_an_organiser_column_names_the_organisers_of_sessions_in_rows_under_a_round(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(
        ("Tijd", "Onderdeel", "Organisatie", "Zaal"),
        ("11.00 - 12.00", "Keuzesessies ronde 1", "", ""),
        ("", "1. Warmtenetten in de wijk", "TG Duurzaamheid", "Zaal De Peel"),
        ("", "2. Fondsen voor steden", "Themagroep Europa", "Studio 1"),
        ("", "3. Wijkaanpak", "TG Onbekend", "Studio 2"),
    ))
    draft = recognise(doc, registry)
    assert [(i.title, i.groups, i.room, i.notes) for i in draft.items] == [
        ("Warmtenetten in de wijk", ("Themagroep Duurzaamheid",), "Zaal De Peel", None),
        ("Fondsen voor steden", ("Themagroep Europa",), "Studio 1", None),
        ("Wijkaanpak", (), "Studio 2", "TG Onbekend"),
    ]
    assert not draft.unused


def test_sessions_labelled_with_letters_under_a_round_row_are_its_sessions(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(
        ("11:00–12:00", "Ronde 1: parallelle sessies", ""),
        ("", "a. Themagroep Duurzaamheid: warmtenetten", "Zaal De Peel"),
        ("", "b) Themagroep Europa: fondsen", "Studio 1"),
    ))
    draft = recognise(doc, registry)
    assert [(i.title, i.round, i.room) for i in draft.items] == [
        ("Themagroep Duurzaamheid: warmtenetten", "Ronde 1", "Zaal De Peel"),
        ("Themagroep Europa: fondsen", "Ronde 1", "Studio 1"),
    ]


def test_numbered_choices_in_rows_under_a_lunch_row_are_the_lunch_s_choices(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(
        ("Tijd", "Onderdeel", "Zaal"),
        ("12.00 - 13.00", "Lunch, met keuze uit:", "Foyer"),
        ("", "1. Stadswandeling door het centrum (vertrek 12.15 uur, max. 20 personen)", ""),
        ("", "2. Fietstocht langs de Aa, met de fiets", ""),
        ("13.00 - 14.00", "Plenaire afsluiting", "Theaterzaal"),
    ))
    draft = recognise(doc, registry)
    lunch = draft.items[0]
    assert (lunch.title, lunch.kind, lunch.description) == ("Lunch", "lunch", "met keuze uit:")
    walk = item(draft, "Stadswandeling")
    ride = item(draft, "Fietstocht")
    assert (walk.round, walk.kind, walk.start, walk.capacity) == (
        "Lunch", "wandeling", time(12, 15), 20)
    assert (ride.title, ride.kind, ride.transport) == (
        "Fietstocht langs de Aa", "excursie", "met de fiets")
    assert not draft.unused


def test_a_session_s_label_like_sessie_1_or_workshop_2_leaves_its_title(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(
        ("10.00 - 11.00", "Themaronde 1", ""),
        ("", "Sessie 1: Wonen in de binnenstad (TG Woningmarkt)", "Zaal De Peel"),
        ("", "Workshop 2 – Energiearmoede", "Studio 1"),
    ))
    draft = recognise(doc, registry)
    assert [(i.title, i.notes, i.groups) for i in draft.items] == [
        ("Wonen in de binnenstad", "Sessie 1", ("Themagroep Woningmarkt",)),
        ("Energiearmoede", "Workshop 2", ()),
    ]


def test_numbered_rows_under_a_timed_row_make_it_a_round_whatever_it_is_called(
        registry: GroupRegistry) -> None:
    doc = document(HEAD, table(
        ("11.00 - 12.00", "Verdiepingssessies", ""),
        ("", "1. Warmtenetten in de wijk (TG Duurzaamheid)", "Zaal De Peel"),
        ("", "2. Brusselse fondsen (Themagroep Europa)", "Studio 1"),
        ("12.00 - 13.00", "Lunch", "Foyer"),
    ))
    draft = recognise(doc, registry)
    assert [(i.title, i.round, i.room, i.groups) for i in draft.items] == [
        ("Warmtenetten in de wijk", "Verdiepingssessies", "Zaal De Peel",
         ("Themagroep Duurzaamheid",)),
        ("Brusselse fondsen", "Verdiepingssessies", "Studio 1", ("Themagroep Europa",)),
        ("Lunch", None, "Foyer", ()),
    ]
    assert not draft.unused


def test_a_date_line_with_venue_and_street_address_gives_both(registry: GroupRegistry) -> None:
    doc = document(*paragraphs(
        "Programma Bestuurlijke Netwerkdag Enschede",
        "Vrijdag 3 april 2026, Stadhuis Enschede, Langestraat 24, 7511 HC Enschede"),
        table(("09.30 - 10.00", "Inloop")))
    day = recognise(doc, registry).days[0]
    assert (day.venue, day.address) == ("Stadhuis Enschede", "Langestraat 24, 7511 HC Enschede")


def test_speakers_named_after_a_sentence_of_the_description_are_speakers(
        registry: GroupRegistry) -> None:
    doc = document(*paragraphs("Programma ambtelijke netwerkdag", "Donderdag 12 maart 2026"),
                   table(("10.30 - 11.45", "Themagroep Veiligheid")),
                   *paragraphs("Toelichting", "Themagroep Veiligheid",
                               "Over ondermijning in de wijk. Spreker: Jan Jansen (gemeente "
                               "Enschede)", heading={1: 1, 2: 2}))
    found = item(recognise(doc, registry), "Themagroep Veiligheid")
    assert found.description == "Over ondermijning in de wijk."
    assert found.speakers == ("Jan Jansen (gemeente Enschede)",)


def test_sessions_on_lines_below_a_round_name_in_its_cell_are_the_round_s_sessions(
        registry: GroupRegistry) -> None:
    # A PDF table without space between rows gives the round's cell a line per session.
    doc = document(*paragraphs("Donderdag 8 oktober 2026"), table(
        ("12.00 - 13.00", "Lunch", "Foyer"),
        ("13.00 - 14.15", "Keuzesessies ronde 2\nExcursie Paleis Het Loo (met de fiets, max. "
                          "12 personen)", ""),
        ("", "Pijler Sociaal: armoede en schulden", "Zaal 2"),
        ("14.30 - 15.00", "Afsluiting", "Foyer")), name="programma-apeldoorn.pdf")
    draft = recognise(doc, registry)
    excursion = item(draft, "Excursie Paleis Het Loo")
    assert (excursion.round, excursion.kind) == ("Keuzesessies ronde 2", "excursie")
    assert (excursion.capacity, excursion.transport) == (12, "met de fiets")
    assert item(draft, "Pijler Sociaal").round == "Keuzesessies ronde 2"


def test_a_capitalised_article_inside_a_name_does_not_end_the_title() -> None:
    from g40cal.importer.titles import split_title

    assert split_title("Excursie Paleis Het Loo") == ("Excursie Paleis Het Loo", "")
    assert split_title("Wandeling door de binnenstad Het begint bij het stadhuis")[0] == (
        "Wandeling door de binnenstad")


def test_a_markdown_programme_with_a_separator_before_the_venue_and_speakers_in_a_sentence(
        registry: GroupRegistry, tmp_path: Path) -> None:
    from g40cal.importer.reading import read_document

    text = ("# Ambtelijke netwerkdag Zwolle\n\n**Donderdag 19 november 2026** · Locatie: "
            "Stadhuis Zwolle, Grote Kerkplein 15, 8011 PK Zwolle\n\n## Programma\n\n"
            "- 09:30 – 10:00 uur: Inloop met koffie\n"
            "- 11:00 – 12:00 uur: Keuzesessies ronde 1\n"
            "  1. Themagroep Duurzaamheid – Warmtetransitie (zaal Vecht)\n"
            "  2. Themagroep Veiligheid – Ondermijning (zaal IJssel)\n\n"
            "## Toelichting\n\n### Themagroep Duurzaamheid – Warmtetransitie\n"
            "Hoe maken we wijken aardgasvrij? Sprekers: Ineke Vos (gemeente Zwolle), "
            "Karel Bos (BZK)\n")
    (tmp_path / "zwolle.md").write_text(text, encoding="utf-8")
    draft = recognise(read_document(tmp_path / "zwolle.md"), registry)
    assert (draft.days[0].venue, draft.days[0].address) == (
        "Stadhuis Zwolle", "Grote Kerkplein 15, 8011 PK Zwolle")
    session = item(draft, "Themagroep Duurzaamheid")
    assert session.speakers == ("Ineke Vos (gemeente Zwolle)", "Karel Bos (BZK)")
    assert session.description == "Hoe maken we wijken aardgasvrij?"


def test_a_lunch_that_offers_one_walk_in_its_text_gets_the_walk_as_its_choice(
        registry: GroupRegistry) -> None:
    doc = document(*paragraphs("Donderdag 19 november 2026"), table(
        ("12:00 – 13:00 uur", "Lunch, met de mogelijkheid tot een stadswandeling (start 12.15 "
                              "uur, max. 20 personen)"),
        ("13:00 – 14:00 uur", "Afsluiting")), name="programma-zwolle.docx")
    draft = recognise(doc, registry)
    lunch, walk = item(draft, "Lunch"), item(draft, "Stadswandeling")
    assert (lunch.title, lunch.capacity) == ("Lunch", None)
    assert (walk.kind, walk.round, walk.start, walk.capacity) == (
        "wandeling", "Lunch", time(12, 15), 20)

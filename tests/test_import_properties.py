"""Property tests: any document gives a draft that check accepts, or a clear refusal."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from g40cal.definitions.groups import load_registry
from g40cal.definitions.loader import parse_programme
from g40cal.errors import UserError
from g40cal.importer import phrases
from g40cal.importer.document import Cell, Document, Paragraph, Row, Source, Table
from g40cal.importer.recognise import Options, recognise
from g40cal.importer.writer import assign_ids, programme_id, render

REPO = Path(__file__).resolve().parent.parent
REGISTRY = load_registry(REPO / "groups.toml")

FRAGMENTS = ["09.30 - 10.00", "9.00", "12.15 uur", "14.00 – 15.30 uur", "16.30", "Inloop",
             "Keuzesessies ronde 1", "Lunch", "1. Stadswandeling", "2. Vaartocht", "Toelichting",
             "Themagroep Europa", "(TG Woningmarkt en Fysieke pijler)", "zaal IJssel",
             "— Raadzaal", "max. 20 personen", "per bus", "onder voorbehoud", "Sprekers:",
             "Georganiseerd door", "donderdag 12 maart 2026", "Dag 2", "Locatie:", "Met:",
             "Anna de Vries", "X LER LG", "(", ")", ":", "—", "\t", "\n", "ronde", "&", ""]
texts = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)),
                 max_size=6).map(" ".join)


@st.composite
def documents(draw: st.DrawFn) -> Document:
    blocks: list[Paragraph | Table] = []
    for number in range(draw(st.integers(0, 12))):
        if draw(st.booleans()):
            blocks.append(Paragraph(draw(texts), Source(line=number + 1),
                                    heading=draw(st.sampled_from([None, None, 1, 2, 3]))))
        else:
            width = draw(st.integers(1, 5))
            rows = tuple(
                Row(tuple(Cell(draw(texts), Source(table=number, row=r, column=c),
                               continued=draw(st.booleans()) and r > 1)
                          for c in range(width)), Source(table=number, row=r))
                for r in range(1, draw(st.integers(1, 5)) + 1))
            blocks.append(Table(rows, Source(table=number)))
    return Document(Path("programma-helmond.docx"), "docx", tuple(blocks))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.booleans())
# Control characters, separators and direction overrides of a damaged export (check refuses
# them in a definition: the draft must not carry them).
@example(Document(Path("d.docx"), "docx", (Table((Row((Cell(
    "09.30 - 10.00 AA\x80\u2028B\u202eC", Source(table=1, row=1, column=0)),),
    Source(table=1, row=1)),), Source(table=1)),)), True)
@example(Document(Path("programma-helmond.docx"), "docx",       # a C1 control in a title
                  (Paragraph("09.30 - 10.00 AA\x80", Source(line=1)),)), True)
@example(Document(Path("programma-helmond.docx"), "docx", (             # a broken venue line
    Paragraph("donderdag 12 maart 2026", Source(line=1)),
    Paragraph("Locatie: Stadhuis\nHelmond", Source(line=2)),
    Paragraph("09.30 - 10.00 Inloop", Source(line=3)))), False)
@example(Document(Path("programma-helmond.docx"), "docx", (     # a heading of punctuation only
    Paragraph("donderdag 12 maart 2026", Source(line=1)),
    Paragraph(":", Source(line=2), heading=1))), False)
def test_any_document_gives_a_draft_check_accepts_or_a_user_error(document: Document,
                                                                  with_date: bool) -> None:
    options = Options(date=date(2026, 3, 12) if with_date else None, kind="ambtelijk",
                      city="Helmond")
    try:
        draft = recognise(document, REGISTRY, options)
    except UserError:
        return
    if not draft.items:
        return
    items = assign_ids(draft.items)
    text = render(draft, programme_id(draft), items)
    _programme, problems = parse_programme(text.encode(), Path("draft.toml"), REGISTRY)
    assert [p.format() for p in problems if p.severity == "error"] == []


@given(st.integers(0, 23), st.integers(0, 59), st.integers(0, 23), st.integers(0, 59),
       st.sampled_from(["-", "–", "—", "tot"]), st.sampled_from([".", ":"]),
       st.booleans())
def test_every_written_time_slot_is_read_back(h1: int, m1: int, h2: int, m2: int, dash: str,
                                              sep: str, uur: bool) -> None:
    text = f"{h1}{sep}{m1:02d} {dash} {h2}{sep}{m2:02d}{' uur' if uur else ''} Lezing"
    slot, rest = phrases.leading_slot(text)
    assert slot is not None and slot.start == time(h1, m1)
    assert slot.end == (time(h2, m2) if time(h2, m2) > time(h1, m1) else None)
    assert rest == "Lezing"


SESSION_TITLES = ["Themagroep Duurzaamheid: warmtenetten in de wijk",
                  "Pijler Economie en Werk: arbeidsmarkt in de regio (TG MKB & Dienstverlening)",
                  "Themagroep Europa – Brusselse fondsen voor steden", "Betaalbaar bouwen",
                  "Werkbezoek Brainport Industries Campus (per bus, alleen de eerste 15 personen)",
                  "Wonen in de binnenstad", "Gemeentefinanciën", "Veilige wijken"]
COMMON_TITLES = ["Ontvangst met koffie en thee", "Plenaire opening", "Lunch",
                 "Plenaire afsluiting", "Netwerkborrel"]
ROOMS = ["", "Zaal De Peel", "Studio 1", "Foyer", "zaal Kempen"]


@st.composite
def timetables(draw: st.DrawFn) -> tuple[Document, list[tuple[Source, str]]]:
    """A timetable Tijd | Onderdeel | Zaal: common items and rounds whose sessions stand in
    rows under them, numbered or not; with each row's source and the words it must bring."""
    rows: list[tuple[str, str, str]] = [("Tijd", "Programmaonderdeel", "Zaal")]
    hour = 9
    for _ in range(draw(st.integers(1, 5))):
        slot = f"{hour:02d}.00 - {hour + 1:02d}.00 uur"
        if draw(st.booleans()):
            rows.append((slot, draw(st.sampled_from(COMMON_TITLES)), draw(st.sampled_from(ROOMS))))
        else:
            rows.append((slot, f"Keuzesessies ronde {hour}", ""))
            numbered = draw(st.booleans())
            titles = draw(st.lists(st.sampled_from(SESSION_TITLES), min_size=1, max_size=4,
                                   unique=True))
            for number, title in enumerate(titles, start=1):
                rows.append(("", f"{number}. {title}" if numbered else title,
                             draw(st.sampled_from(ROOMS))))
        hour += 1
    built = tuple(Row(tuple(Cell(text, Source(table=1, row=r, column=c))
                            for c, text in enumerate(cells, start=1)), Source(table=1, row=r))
                  for r, cells in enumerate(rows, start=1))
    head = (Paragraph("Programma Ambtelijke Netwerkdag Helmond", Source(paragraph=1)),
            Paragraph("Donderdag 12 maart 2026", Source(paragraph=2)))
    expected = [(Source(table=1, row=r), cells[1].split(":")[0].split("(")[0].strip())
                for r, cells in enumerate(rows, start=1) if r > 1]
    return Document(Path("programma.docx"), "docx", (*head, Table(built, Source(table=1)))), \
        expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(timetables())
def test_every_row_of_a_timetable_reaches_the_draft_or_is_reported(
        case: tuple[Document, list[tuple[Source, str]]]) -> None:
    document, expected = case
    draft = recognise(document, REGISTRY)
    reported = {u.source for u in draft.unused}
    written = " | ".join(" ".join(filter(None, [i.title, i.round, i.notes, i.description]))
                         for i in draft.items)
    for source, words in expected:
        words = words.split(". ", 1)[-1] if words[:1].isdigit() else words
        assert source in reported or words in written, (words, written)

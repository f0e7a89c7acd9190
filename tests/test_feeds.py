"""The public feeds on the shipped programmes: complete, correct, parseable, deterministic."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import icalendar

from g40cal.config import load_config
from g40cal.definitions.project import Project
from g40cal.people.participants import feed_description
from g40cal.publishing.events import build_event
from g40cal.publishing.feeds import uid_for
from tests.feedparse import parse_feed, parse_tree
from tests.syncing import sync_at


def test_every_feed_parses_with_three_strict_parsers(project_dir: Path) -> None:
    sync_at(project_dir)
    feeds = parse_tree(project_dir / "feeds")
    assert "all.ics" in feeds
    assert len(feeds) == 1 + 5 + len(load_groups(project_dir))


def load_groups(root: Path) -> list[str]:
    from g40cal.definitions.groups import load_registry

    return [g.id for g in load_registry(root / "groups.toml").groups]


def test_every_item_is_in_the_network_and_its_programme_feed_with_its_times(
        project_dir: Path, project: Project) -> None:
    sync_at(project_dir)
    config = load_config(project_dir)
    network = parse_feed(project_dir / "feeds" / "all.ics")
    total = 0
    for programme in project.programmes:
        own = parse_feed(project_dir / "feeds" / "programmes" / f"{programme.id}.ics")
        assert len(own) == len(programme.items)
        for item in programme.items:
            key = f"{programme.id}/{item.id}"
            for feed, scope in ((own, "prog"), (network, "net")):
                event = feed[uid_for(key, scope, config)]
                assert event.start == programme.start_of(item)
                assert event.end == programme.end_of(item)
                assert event.summary.startswith(item.title)
                assert event.sequence == 0
        total += len(programme.items)
    assert len(network) == total


def test_group_feeds_hold_exactly_the_items_their_group_organises(
        project_dir: Path, project: Project) -> None:
    sync_at(project_dir)
    config = load_config(project_dir)
    for group in project.registry.groups:
        feed = parse_feed(project_dir / "feeds" / "groups" / f"{group.id}.ics")
        expected = {
            uid_for(f"{p.id}/{i.id}", f"grp-{group.id}", config)
            for p in project.programmes for i in p.items if group in i.groups
        }
        assert set(feed) == expected, group.id


def test_a_joint_session_appears_in_every_organisers_group_feed(
        project_dir: Path, project: Project) -> None:
    sync_at(project_dir)
    config = load_config(project_dir)
    joint = [(p, i) for p in project.programmes for i in p.items if len(i.groups) >= 2]
    assert joint, "the shipped programmes have joint sessions"
    for programme, item in joint:
        for group in item.groups:
            feed = parse_feed(project_dir / "feeds" / "groups" / f"{group.id}.ics")
            uid = uid_for(f"{programme.id}/{item.id}", f"grp-{group.id}", config)
            assert feed[uid].start == programme.start_of(item)


def test_group_feeds_span_all_programmes(project_dir: Path, project: Project) -> None:
    sync_at(project_dir)
    feed = parse_feed(project_dir / "feeds" / "groups" / "vergunninghouders-asiel.ics")
    programmes = {uid.split(".")[0] for uid in feed}
    organising = {p.id for p in project.programmes
                  if any(g.id == "vergunninghouders-asiel" for i in p.items for g in i.groups)}
    assert programmes == organising
    assert len(programmes) >= 3


def test_estimates_are_shown_onder_voorbehoud(project_dir: Path, project: Project) -> None:
    sync_at(project_dir)
    config = load_config(project_dir)
    oss = project.programme("oss-ambtelijk")
    assert oss is not None
    feed = parse_feed(project_dir / "feeds" / "programmes" / "oss-ambtelijk.ics")
    for item in oss.items:  # Oss states no times at all: every item is an estimate
        event = feed[uid_for(f"oss-ambtelijk/{item.id}", "prog", config)]
        assert "onder voorbehoud" in event.summary
        assert event.description.startswith("Onder voorbehoud:")
        assert event.status == "TENTATIVE"


def test_confirmed_items_are_not_marked_onder_voorbehoud(project_dir: Path,
                                                          project: Project) -> None:
    sync_at(project_dir)
    tilburg = project.programme("tilburg-bestuurlijk-2025")
    assert tilburg is not None
    config = load_config(project_dir)
    feed = parse_feed(project_dir / "feeds" / "programmes" / "tilburg-bestuurlijk-2025.ics")
    confirmed = [i for i in tilburg.items if not tilburg.item_estimates(i) and not i.provisional]
    assert confirmed
    for item in confirmed:
        event = feed[uid_for(f"tilburg-bestuurlijk-2025/{item.id}", "prog", config)]
        assert "voorbehoud" not in event.summary + event.description
        assert event.status == "CONFIRMED"


def test_description_carries_speakers_groups_round_and_location_has_room_and_venue(
        project_dir: Path, project: Project) -> None:
    sync_at(project_dir)
    config = load_config(project_dir)
    for programme in project.programmes:
        feed = parse_feed(project_dir / "feeds" / "programmes" / f"{programme.id}.ics")
        for item in programme.items:
            event = feed[uid_for(f"{programme.id}/{item.id}", "prog", config)]
            for speaker in item.speakers:
                assert speaker in event.description
            for group in item.groups:
                assert group.name in event.description
                assert group.short in event.categories
            if item.round:
                assert item.round in event.description
            if item.room:
                assert event.location.startswith(item.room)
            assert item.venue.name in event.location
            if item.capacity:
                assert f"Maximaal {item.capacity} deelnemers" in event.description
            if item.transport:
                assert item.transport in event.description


def test_feeds_carry_what_outlook_google_and_apple_need(project_dir: Path) -> None:
    sync_at(project_dir)
    text = (project_dir / "feeds" / "all.ics").read_bytes().decode()
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    for needed in ("METHOD:PUBLISH", "X-WR-CALNAME:", "NAME:", "X-WR-CALDESC:",
                   "REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-PUBLISHED-TTL:PT1H",
                   "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
                   "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
                   "DTSTART;TZID=Europe/Amsterdam:"):
        assert needed in text, needed
    for forbidden in ("ATTENDEE", "ORGANIZER", "RDATE", "VALARM"):
        assert forbidden not in text, forbidden
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_output_is_byte_identical_for_the_same_definitions_and_state(
        project_dir: Path, tmp_path: Path) -> None:
    sync_at(project_dir)
    twin = tmp_path / "twin"
    shutil.copytree(project_dir, twin, ignore=shutil.ignore_patterns("feeds"))
    shutil.copytree(project_dir / ".g40cal", twin / ".g40cal", dirs_exist_ok=True)
    sync_at(twin)
    first = {p.relative_to(project_dir / "feeds"): p.read_bytes()
             for p in (project_dir / "feeds").rglob("*") if p.is_file()}
    second = {p.relative_to(twin / "feeds"): p.read_bytes()
              for p in (twin / "feeds").rglob("*") if p.is_file()}
    assert first == second


def test_two_fresh_builds_at_the_same_time_are_byte_identical(
        project_dir: Path, tmp_path: Path) -> None:
    twin = tmp_path / "twin"
    shutil.copytree(project_dir, twin)
    sync_at(project_dir)
    sync_at(twin)
    for path in (project_dir / "feeds").rglob("*.ics"):
        assert path.read_bytes() == (twin / "feeds" / path.relative_to(
            project_dir / "feeds")).read_bytes()


def test_index_json_lists_public_feeds_with_paths_that_exist(project_dir: Path) -> None:
    sync_at(project_dir)
    index = json.loads((project_dir / "feeds" / "index.json").read_text())
    kinds = {entry["kind"] for entry in index["feeds"]}
    assert kinds == {"network", "programme", "group"}
    for entry in index["feeds"]:
        assert set(entry) >= {"kind", "id", "name", "path", "programme"}
        assert (project_dir / "feeds" / entry["path"]).is_file()
        assert (entry["programme"] is None) == (entry["kind"] != "programme")


def test_uids_do_not_depend_on_titles(project: Project, config) -> None:
    programme = project.programmes[0]
    item = programme.items[0]
    from dataclasses import replace

    renamed = replace(item, title="Een heel andere titel")
    assert build_event(programme, item, config).key == build_event(programme, renamed,
                                                                   config).key


INFERRED_ORGANISERS = {
    ("dordrecht-ambtelijk", "r2-gemeentefinancien"),
    ("dordrecht-ambtelijk", "r3-arbeidskrapte-arbeidsmigratie"),
    ("dordrecht-ambtelijk", "r3-kansen-in-europa"),
    ("oss-ambtelijk", "r3-interbestuurlijke-samenwerking"),
    ("zaandam-bestuurlijk", "r1-gemeentelijke-financien"),
}


def test_organisers_inferred_from_a_title_are_shown_onder_voorbehoud_in_every_feed(
        project_dir: Path, project: Project) -> None:
    sync_at(project_dir)
    config = load_config(project_dir)
    marked = {(p.id, i.id) for p in project.programmes for i in p.items
              if "groups" in i.estimated}
    assert marked == INFERRED_ORGANISERS
    for programme_id, item_id in sorted(marked):
        item = next(i for i in project.programme(programme_id).items if i.id == item_id)
        key = f"{programme_id}/{item_id}"
        feeds = [(project_dir / "feeds" / "programmes" / f"{programme_id}.ics", "prog")]
        feeds += [(project_dir / "feeds" / "groups" / f"{g.id}.ics", f"grp-{g.id}")
                  for g in item.groups]
        for path, scope in feeds:
            event = parse_feed(path)[uid_for(key, scope, config)]
            assert "de organisatie" in event.description.split("\n")[0], path.name
            names = ", ".join(g.name for g in item.groups)
            assert f"Georganiseerd door: {names} (onder voorbehoud)" in event.description


def test_an_organiser_stated_by_the_bureau_is_not_marked(project_dir: Path,
                                                          project: Project) -> None:
    sync_at(project_dir)
    config = load_config(project_dir)
    feed = parse_feed(project_dir / "feeds" / "programmes" / "oss-ambtelijk.ics")
    # "Georganiseerd door de themagroep Vergunninghouders en Asiel" is in the text.
    event = feed[uid_for("oss-ambtelijk/r2-asielketen", "prog", config)]
    assert "Georganiseerd door: Themagroep Vergunninghouders en Asiel\n" in event.description + "\n"
    assert "de organisatie" not in event.description


def test_times_and_years_inferred_from_neighbouring_text_are_marked_estimates(
        project: Project) -> None:
    tilburg = project.programme("tilburg-bestuurlijk-2025")
    estimated = {i.id: i.estimated for i in tilburg.items}
    assert "start" in estimated["d2-plenair-welkom"]  # from the end of the row before
    assert "end" in estimated["d2-keynote-wilthagen"]  # from the start of the row after
    themaronde = [i for i in tilburg.items if i.round == "Themaronde 1"]
    assert themaronde and all("start" in i.estimated for i in themaronde)
    almelo = project.programme("almelo-ambtelijk-2024")
    assert "date" in almelo.days[0].estimated  # "11 januari" without a year


def test_a_programme_feed_describes_its_estimated_dates_and_venues_onder_voorbehoud(
        project_dir: Path, project: Project) -> None:
    sync_at(project_dir)
    for programme in project.programmes:
        data = (project_dir / "feeds" / "programmes" / f"{programme.id}.ics").read_bytes()
        calendar = icalendar.Calendar.from_ical(data)
        description = str(calendar["DESCRIPTION"])
        # X-WR-CALDESC (Apple, Outlook) is the same text; icalendar leaves it escaped.
        assert str(calendar["X-WR-CALDESC"]).replace("\\,", ",") == description
        city = programme.city
        assert f"{city} in {city}" not in description  # "… in Tilburg in Tilburg"
        assert city in description
        for day in programme.days:
            written = f"{day.date:%d-%m-%Y}"
            assert written in description
            if "date" in day.estimated:
                assert f"{written} (onder voorbehoud)" in description, programme.id
            else:
                assert f"{written} (onder" not in description, programme.id
            if "name" in day.venue.estimated:
                assert f"onder voorbehoud: {day.venue.name}" in description, programme.id


def test_a_personal_feed_names_the_days_the_person_attends(project: Project) -> None:
    tilburg = project.programme("tilburg-bestuurlijk-2025")
    dordrecht = project.programme("dordrecht-ambtelijk")
    day_two = feed_description([(tilburg, frozenset({2}))])
    assert "Bestuurlijke netwerkdagen in Tilburg op 26-09-2025:" in day_two
    assert "25-09-2025" not in day_two
    both = feed_description([(tilburg, None), (dordrecht, None)])
    assert "op 25-09-2025 en 26-09-2025 en Ambtelijke netwerkdag Dordrecht op " \
           "14-11-2024 (onder voorbehoud):" in both


def test_the_transport_and_description_are_said_once_not_again_as_a_note(project_dir: Path,
                                                        project: Project) -> None:
    sync_at(project_dir)
    config = load_config(project_dir)
    feed = parse_feed(project_dir / "feeds" / "programmes" / "tilburg-bestuurlijk-2025.ics")
    back = feed[uid_for("tilburg-bestuurlijk-2025/terug-naar-centrum", "prog", config)]
    assert "Vervoer: busvervoer beschikbaar indien gewenst" in back.description
    assert "Let op:" not in back.description
    walk = feed[uid_for("tilburg-bestuurlijk-2025/verplaatsing-diner", "prog", config)]
    # Its note only repeats the transport and the first sentence of the description.
    assert walk.description.count("Korte wandeling van LocHal") == 1
    assert "Let op:" not in walk.description
    bikes = feed[uid_for("tilburg-bestuurlijk-2025/safari-8-piushaven", "prog", config)]
    assert "Vervoer: met de fiets\nLet op: Fietsend vanaf de LocHal.\n" in bikes.description


def test_a_site_visit_held_elsewhere_is_not_placed_at_the_days_venue(
        project_dir: Path, project: Project) -> None:
    sync_at(project_dir)
    config = load_config(project_dir)
    feed = parse_feed(project_dir / "feeds" / "programmes" / "tilburg-bestuurlijk-2025.ics")
    visit = feed[uid_for("tilburg-bestuurlijk-2025/safari-5-opvang-oekraine", "prog", config)]
    assert "LocHal" not in visit.location
    assert "opvanglocaties voor Oekraïners" in visit.location

"""Scenarios: one kind of edit each, on a copy of the shipped programmes.

After each sync the feeds are re-parsed with the strict parsers and checked for UID,
SEQUENCE, STATUS and times. Only real changes may reach subscribers.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from g40cal.cli import cli
from g40cal.config import load_config
from g40cal.publishing.feeds import uid_for
from tests.conftest import BEFORE_EVENTS
from tests.feedparse import parse_feed
from tests.syncing import edit, later, remove_item, sync_at

ALMELO = "programmes/almelo-ambtelijk-2024.toml"
EUROPA = "almelo-ambtelijk-2024/r1-europa"
JOINT = "almelo-ambtelijk-2024/r2-regie-volkshuisvesting"


def feed(root: Path, relative: str):
    return parse_feed(root / "feeds" / relative)


def uid(root: Path, key: str, scope: str) -> str:
    return uid_for(key, scope, load_config(root))


def mtimes(root: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in (root / "feeds").rglob("*") if p.is_file()}


@pytest.fixture
def synced(project_dir: Path) -> Path:
    sync_at(project_dir)
    return project_dir


def test_a_sync_without_changes_rewrites_no_file_and_says_no_changes(synced: Path) -> None:
    before = mtimes(synced)
    result = sync_at(synced, later(60))
    assert result.written == []
    assert not result.plan.has_changes
    assert mtimes(synced) == before
    out = CliRunner().invoke(cli, ["--root", str(synced), "sync", "--yes"])
    assert out.exit_code == 0, out.output
    assert "No changes." in out.output
    assert mtimes(synced) == before


def test_a_room_change_bumps_sequence_once_and_touches_only_feeds_holding_the_item(
        synced: Path) -> None:
    before = mtimes(synced)
    edit(synced / ALMELO, 'room = "1.2 Stad Almelo (1e verdieping)"', 'room = "Atelier"')
    result = sync_at(synced, later(10))
    changed = {Path(p).relative_to(synced / "feeds").as_posix() for p in result.written}
    assert {p for p in changed if p.endswith(".ics")} == {
        "all.ics", "programmes/almelo-ambtelijk-2024.ics", "groups/europa.ics"}
    event = feed(synced, "groups/europa.ics")[uid(synced, EUROPA, "grp-europa")]
    assert event.sequence == 1
    assert event.location.startswith("Atelier")
    assert event.status != "CANCELLED"
    untouched = synced / "feeds" / "groups" / "woningmarkt.ics"
    assert untouched.stat().st_mtime_ns == before[untouched]
    assert sync_at(synced, later(20)).written == []  # and no second bump


def test_a_time_change_shows_old_and_new_time_and_bumps_sequence(synced: Path) -> None:
    edit(synced / ALMELO, 'id = "r1-europa"\nstart = "14:00"\nend = "15:00"',
         'id = "r1-europa"\nstart = "14:30"\nend = "15:30"\ntime_note = "Later door een trein"')
    result = sync_at(synced, later(10))
    change = next(c for c in result.plan.changes.changes if c.key == EUROPA)
    assert change.change == "changed"
    assert ("tijd", "14:00–15:00", "14:30–15:30") in [(f.field, f.old, f.new)
                                                      for f in change.fields]
    event = feed(synced, "all.ics")[uid(synced, EUROPA, "net")]
    assert event.start.hour == 14 and event.start.minute == 30
    assert event.sequence == 1


def test_a_description_typo_fix_updates_without_a_sequence_bump(synced: Path) -> None:
    edit(synced / ALMELO, "wat gemeenten doen in Brussel", "wat gemeenten in Brussel doen")
    old_event = feed(synced, "all.ics")[uid(synced, EUROPA, "net")]
    result = sync_at(synced, later(10))
    change = next(c for c in result.plan.changes.changes if c.key == EUROPA)
    assert change.change == "updated"
    event = feed(synced, "all.ics")[uid(synced, EUROPA, "net")]
    assert event.sequence == 0
    assert "in Brussel doen" in event.description
    assert event.description != old_event.description


def test_a_removed_item_is_cancelled_visibly_and_marked_free_in_every_feed(
        synced: Path) -> None:
    remove_item(synced / ALMELO, "r1-europa")
    sync_at(synced, later(10))
    for relative, scope in (("all.ics", "net"), ("groups/europa.ics", "grp-europa"),
                            ("programmes/almelo-ambtelijk-2024.ics", "prog")):
        event = feed(synced, relative)[uid(synced, EUROPA, scope)]
        assert event.status == "CANCELLED"
        assert event.summary.startswith("GEANNULEERD: Themagroep Europa")
        assert event.sequence == 1
    raw = (synced / "feeds" / "groups" / "europa.ics").read_text()
    block = raw[raw.index("GEANNULEERD"):]
    block = block[: block.index("END:VEVENT")]
    assert "TRANSP:TRANSPARENT" in block and "X-MICROSOFT-CDO-BUSYSTATUS:FREE" in block


def test_a_cancellation_is_dropped_some_days_after_the_event(synced: Path) -> None:
    remove_item(synced / ALMELO, "r1-europa")
    sync_at(synced, later(10))
    days = load_config(synced).cancelled_retention_days
    event_day = BEFORE_EVENTS + timedelta(days=10)  # 2024-01-11 is the Almelo day
    sync_at(synced, event_day + timedelta(days=days - 2))
    assert uid(synced, EUROPA, "net") in feed(synced, "all.ics")
    result = sync_at(synced, event_day + timedelta(days=days + 2))
    assert uid(synced, EUROPA, "net") not in feed(synced, "all.ics")
    assert [c.change for c in result.plan.changes.changes if c.key == EUROPA] == ["dropped"]


def test_an_item_that_comes_back_is_restored_with_a_higher_sequence(synced: Path) -> None:
    original = (synced / ALMELO).read_text()
    remove_item(synced / ALMELO, "r1-europa")
    sync_at(synced, later(10))
    (synced / ALMELO).write_text(original)
    result = sync_at(synced, later(20))
    assert [c.change for c in result.plan.changes.changes] == ["restored"]
    event = feed(synced, "all.ics")[uid(synced, EUROPA, "net")]
    assert event.status != "CANCELLED"
    assert event.sequence == 2
    assert event.summary.startswith("Themagroep Europa")  # no longer GEANNULEERD


def test_an_item_marked_cancelled_in_the_definition_is_announced_as_cancelled(
        synced: Path) -> None:
    edit(synced / ALMELO, 'id = "r1-europa"\n', 'id = "r1-europa"\ncancelled = true\n')
    sync_at(synced, later(10))
    event = feed(synced, "programmes/almelo-ambtelijk-2024.ics")[uid(synced, EUROPA, "prog")]
    assert event.status == "CANCELLED" and event.sequence == 1
    assert "Dit onderdeel gaat niet door." in event.description


def test_an_organiser_leaving_cancels_the_item_in_that_group_feed_only(synced: Path) -> None:
    edit(synced / ALMELO, 'groups = ["Woningmarkt", "Wonen, Welzijn en Zorg", "ZJO"]',
         'groups = ["Woningmarkt", "ZJO"]')
    result = sync_at(synced, later(10))
    left = feed(synced, "groups/wonen-welzijn-zorg.ics")[
        uid(synced, JOINT, "grp-wonen-welzijn-zorg")]
    assert left.status == "CANCELLED" and left.summary.startswith("GEANNULEERD: ")
    # The organiser list is not a significant property: the event itself keeps SEQUENCE 0,
    # only the feed it left announces a cancellation with its own bump.
    assert left.sequence == 1
    stays = feed(synced, "groups/woningmarkt.ics")[uid(synced, JOINT, "grp-woningmarkt")]
    assert stays.status != "CANCELLED" and stays.sequence == 0
    organisers = next(line for line in stays.description.splitlines()
                      if line.startswith("Georganiseerd door:"))
    assert "Wonen, Welzijn en Zorg" not in organisers
    feeds = {c.feed for c in result.plan.changes.changes if c.key == JOINT}
    assert "group:wonen-welzijn-zorg" in feeds


def test_an_organiser_coming_back_restores_the_item_in_its_group_feed(synced: Path) -> None:
    path = synced / ALMELO
    original = path.read_text()
    edit(path, 'groups = ["Woningmarkt", "Wonen, Welzijn en Zorg", "ZJO"]',
         'groups = ["Woningmarkt", "ZJO"]')
    sync_at(synced, later(10))
    left = feed(synced, "groups/wonen-welzijn-zorg.ics")[
        uid(synced, JOINT, "grp-wonen-welzijn-zorg")].sequence
    path.write_text(original)
    sync_at(synced, later(20))
    back = feed(synced, "groups/wonen-welzijn-zorg.ics")[
        uid(synced, JOINT, "grp-wonen-welzijn-zorg")]
    assert back.status != "CANCELLED"
    assert back.sequence > left


def test_a_changed_item_id_is_reported_as_a_likely_rename_with_the_way_back(
        synced: Path) -> None:
    edit(synced / ALMELO, 'id = "r1-europa"', 'id = "r1-europa-sessie"')
    out = CliRunner().invoke(cli, ["--root", str(synced), "--now", later(5).isoformat(),
                                   "sync", "--dry-run"])
    assert out.exit_code == 0, out.output
    assert "looks like a rename of 'almelo-ambtelijk-2024/r1-europa'" in out.output
    assert 'set the item\'s id back to "r1-europa"' in out.output


def test_dry_run_shows_changes_and_writes_nothing(synced: Path) -> None:
    before = {p: p.read_bytes() for p in (synced / "feeds").rglob("*") if p.is_file()}
    state_before = (synced / ".g40cal" / "state.sqlite").read_bytes()
    edit(synced / ALMELO, 'room = "1.2 Stad Almelo (1e verdieping)"', 'room = "Atelier"')
    out = CliRunner().invoke(cli, ["--root", str(synced), "sync", "--dry-run"])
    assert out.exit_code == 0
    assert "room 1.2 Stad Almelo (1e verdieping) → Atelier" in out.output
    assert {p: p.read_bytes() for p in (synced / "feeds").rglob("*") if p.is_file()} == before
    assert (synced / ".g40cal" / "state.sqlite").read_bytes() == state_before


def test_json_output_lists_the_same_changes_for_scripts(synced: Path) -> None:
    edit(synced / ALMELO, 'room = "1.2 Stad Almelo (1e verdieping)"', 'room = "Atelier"')
    out = CliRunner().invoke(cli, ["--root", str(synced), "sync", "--json", "--yes"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["has_changes"] is True and data["published"] is True
    change = data["changes"][0]
    assert change["key"] == EUROPA and change["change"] == "changed" and change["sequence"] == 1
    assert {"field": "zaal", "old": "1.2 Stad Almelo (1e verdieping)", "new": "Atelier"} in \
        change["fields"]
    assert "groups/europa.ics" in data["feeds"]


def test_definitions_with_errors_publish_nothing_and_exit_1(synced: Path) -> None:
    before = {p: p.read_bytes() for p in (synced / "feeds").rglob("*") if p.is_file()}
    edit(synced / ALMELO, 'groups = ["Europa"]', 'groups = ["Europaj"]')
    out = CliRunner().invoke(cli, ["--root", str(synced), "sync", "--yes"])
    assert out.exit_code == 1
    assert "unknown group 'Europaj'" in out.output
    assert "did you mean 'Themagroep Europa'?" in out.output
    assert {p: p.read_bytes() for p in (synced / "feeds").rglob("*") if p.is_file()} == before


def test_log_lists_what_was_announced_and_when(synced: Path) -> None:
    edit(synced / ALMELO, 'room = "1.2 Stad Almelo (1e verdieping)"', 'room = "Atelier"')
    sync_at(synced, later(10))
    remove_item(synced / ALMELO, "r2-sterke-keten")
    sync_at(synced, later(20))
    out = CliRunner().invoke(cli, ["--root", str(synced), "log", "--json"])
    assert out.exit_code == 0, out.output
    runs = json.loads(out.output)["runs"]
    assert len(runs) == 3
    newest, middle = runs[0], runs[1]
    assert newest["at"].startswith(later(20).isoformat()[:16])
    assert [(c["item"], c["change"]) for c in newest["changes"]] == [
        ("r2-sterke-keten", "cancelled")]
    assert "group:sterke-keten" in newest["feeds"]
    assert middle["changes"][0]["detail"]["fields"][0] == [
        "zaal", "1.2 Stad Almelo (1e verdieping)", "Atelier"]
    text = CliRunner().invoke(cli, ["--root", str(synced), "log"]).output
    assert "room: 1.2 Stad Almelo (1e verdieping) → Atelier" in text


def test_sequence_and_last_modified_change_only_with_the_event(synced: Path) -> None:
    before = (synced / "feeds" / "all.ics").read_text()
    edit(synced / ALMELO, 'room = "1.2 Stad Almelo (1e verdieping)"', 'room = "Atelier"')
    sync_at(synced, later(10))
    after = (synced / "feeds" / "all.ics").read_text()
    changed_blocks = [b for b in after.split("BEGIN:VEVENT") if b not in before]
    assert len(changed_blocks) == 1 and "r1-europa" in changed_blocks[0]


def test_a_one_item_change_renders_only_the_feeds_that_hold_the_item(synced: Path) -> None:
    edit(synced / ALMELO, 'room = "1.2 Stad Almelo (1e verdieping)"', 'room = "Atelier"')
    result = sync_at(synced, later(10))
    rendered = {f.spec.path for f in result.plan.feeds if f.rendered}
    assert rendered == {"all.ics", "programmes/almelo-ambtelijk-2024.ics", "groups/europa.ics"}


def test_a_deleted_feed_file_is_rewritten_from_the_state_without_a_change(synced: Path) -> None:
    target = synced / "feeds" / "groups" / "europa.ics"
    original = target.read_bytes()
    target.unlink()
    result = sync_at(synced, later(10))
    assert result.plan.changes.changes == []
    assert result.plan.repairs == ["public:groups/europa.ics"]
    assert target.read_bytes() == original


def test_a_new_version_of_the_renderer_re_renders_every_feed_once(
        synced: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import g40cal.publishing.sync

    monkeypatch.setattr(g40cal.publishing.sync, "RENDER_VERSION", "test-next")
    first = sync_at(synced, later(10))
    assert all(f.rendered for f in first.plan.feeds)
    assert first.written == []  # the same bytes: nothing is rewritten
    second = sync_at(synced, later(20))
    assert not any(f.rendered for f in second.plan.feeds)


def test_an_item_joining_a_group_feed_is_listed_as_added_to_that_feed(synced: Path) -> None:
    edit(synced / ALMELO, 'groups = ["Europa"]', 'groups = ["Europa", "Sterke Keten"]')
    result = sync_at(synced, later(10))
    joined = [c for c in result.plan.changes.changes if c.feed == "group:sterke-keten"]
    assert [(c.key, c.change) for c in joined] == [(EUROPA, "added")]
    event = feed(synced, "groups/sterke-keten.ics")[uid(synced, EUROPA, "grp-sterke-keten")]
    assert event.status != "CANCELLED"


def test_an_interactive_sync_asks_before_publishing(
        synced: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import g40cal.cli

    monkeypatch.setattr(g40cal.cli, "is_interactive", lambda: True)
    edit(synced / ALMELO, 'room = "1.2 Stad Almelo (1e verdieping)"', 'room = "Atelier"')
    before = (synced / "feeds" / "all.ics").read_bytes()
    out = CliRunner().invoke(cli, ["--root", str(synced), "sync"], input="n\n")
    assert "Publish these changes?" in out.output and "Nothing published." in out.output
    assert (synced / "feeds" / "all.ics").read_bytes() == before
    out = CliRunner().invoke(cli, ["--root", str(synced), "sync"], input="y\n")
    assert out.exit_code == 0 and "Published:" in out.output
    assert (synced / "feeds" / "all.ics").read_bytes() != before


def test_a_sync_without_a_terminal_and_without_yes_publishes_nothing_and_says_to_add_yes(
        synced: Path) -> None:
    edit(synced / ALMELO, 'room = "1.2 Stad Almelo (1e verdieping)"', 'room = "Atelier"')
    before = {p: p.read_bytes() for p in (synced / "feeds").rglob("*") if p.is_file()}
    state_before = (synced / ".g40cal" / "state.sqlite").read_bytes()
    out = CliRunner().invoke(cli, ["--root", str(synced), "sync"])
    assert out.exit_code == 1, out.output
    assert "room 1.2 Stad Almelo (1e verdieping) → Atelier" in out.output  # the plan is shown
    assert "Nothing published" in out.output and "--yes" in out.output
    assert {p: p.read_bytes() for p in (synced / "feeds").rglob("*") if p.is_file()} == before
    assert (synced / ".g40cal" / "state.sqlite").read_bytes() == state_before


def test_a_json_sync_without_yes_reports_the_plan_but_publishes_nothing(synced: Path) -> None:
    edit(synced / ALMELO, 'room = "1.2 Stad Almelo (1e verdieping)"', 'room = "Atelier"')
    before = {p: p.read_bytes() for p in (synced / "feeds").rglob("*") if p.is_file()}
    out = CliRunner().invoke(cli, ["--root", str(synced), "sync", "--json"])
    assert out.exit_code == 1
    data = json.loads(out.stdout)
    assert data["published"] is False and data["has_changes"] is True
    assert "--yes" in out.stderr
    assert {p: p.read_bytes() for p in (synced / "feeds").rglob("*") if p.is_file()} == before


def test_a_sync_without_changes_needs_no_yes(synced: Path) -> None:
    out = CliRunner().invoke(cli, ["--root", str(synced), "sync"])
    assert out.exit_code == 0, out.output
    assert "No changes." in out.output
    data = json.loads(CliRunner().invoke(cli, ["--root", str(synced), "sync", "--json"]).stdout)
    assert data["published"] is False and data["has_changes"] is False


def test_the_publish_question_shows_its_default_on_stderr_so_piping_stdout_keeps_it_visible(
        synced: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import g40cal.cli

    monkeypatch.setattr(g40cal.cli, "is_interactive", lambda: True)
    edit(synced / ALMELO, 'room = "1.2 Stad Almelo (1e verdieping)"', 'room = "Atelier"')
    out = CliRunner().invoke(cli, ["--root", str(synced), "sync"], input="\n")
    assert "Publish these changes? [Y/n]" in out.stderr
    assert out.exit_code == 0 and "Published:" in out.stdout


def test_log_counts_read_as_words(synced: Path) -> None:
    edit(synced / ALMELO, 'room = "1.2 Stad Almelo (1e verdieping)"', 'room = "Atelier"')
    sync_at(synced, later(10))
    text = CliRunner().invoke(cli, ["--root", str(synced), "log", "-n", "1"]).output
    first = text.splitlines()[0]
    assert first.endswith("  1 changed, 3 feeds changed"), first  # not "3 feeds_changed"


def test_a_room_change_is_told_once_not_again_as_a_new_location(synced: Path) -> None:
    edit(synced / ALMELO, 'room = "1.2 Stad Almelo (1e verdieping)"', 'room = "Atelier"')
    out = CliRunner().invoke(cli, ["--root", str(synced), "--now", later(10).isoformat(),
                                   "sync", "--dry-run"])
    assert out.exit_code == 0, out.output
    assert "room 1.2 Stad Almelo (1e verdieping) → Atelier" in out.output
    assert "location " not in out.output
    data = CliRunner().invoke(cli, ["--root", str(synced), "--now", later(10).isoformat(),
                                    "sync", "--dry-run", "--json"])
    fields = {f["field"] for c in json.loads(data.stdout)["changes"] for f in c["fields"]}
    assert {"zaal", "locatie"} <= fields  # scripts still get both


def test_the_change_list_is_english_like_every_cli_message(synced: Path) -> None:
    # The CLI speaks English; only the calendar's own texts (the values) are Dutch.
    edit(synced / ALMELO, 'room = "1.2 Stad Almelo (1e verdieping)"', 'room = "Atelier"')
    edit(synced / ALMELO, "We gaan met elkaar in gesprek", "We gaan samen in gesprek")
    out = CliRunner().invoke(cli, ["--root", str(synced), "--now", later(10).isoformat(),
                                   "sync", "--dry-run"])
    assert out.exit_code == 0, out.output
    assert "room 1.2 Stad Almelo (1e verdieping) → Atelier" in out.output
    assert "description changed" in out.output
    for dutch in ("zaal ", "locatie ", "beschrijving ", "gewijzigd"):
        assert dutch not in out.output

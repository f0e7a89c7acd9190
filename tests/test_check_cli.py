"""``g40cal check`` from the command line, and the project configuration."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from g40cal.cli import cli
from g40cal.config import load_config
from g40cal.definitions.groups import load_registry
from g40cal.errors import UserError
from g40cal.state import State
from tests.conftest import REPO
from tests.feedparse import parse_feed
from tests.syncing import edit, later, sync_at


def run(root: Path, *args: str):
    return CliRunner().invoke(cli, ["--root", str(root), *args])


def test_the_shipped_programmes_have_no_errors_and_list_their_estimates(
        project_dir: Path) -> None:
    out = run(project_dir, "check")
    assert out.exit_code == 0, out.output
    assert "5 file(s) checked: 0 error(s)" in out.output
    assert "oss-ambtelijk.toml" in out.output and "onder voorbehoud" in out.output


def test_strict_turns_warnings_into_exit_1(project_dir: Path) -> None:
    assert run(project_dir, "check", "--strict").exit_code == 1


def test_json_output_has_programmes_errors_and_warnings(project_dir: Path) -> None:
    out = run(project_dir, "check", "--json")
    data = json.loads(out.output)
    assert {p["id"] for p in data["programmes"]} == {
        "almelo-ambtelijk-2024", "dordrecht-ambtelijk", "oss-ambtelijk",
        "tilburg-bestuurlijk-2025", "zaandam-bestuurlijk"}
    assert data["errors"] == []
    estimate = next(w for w in data["warnings"] if w["code"] == "estimate")
    assert set(estimate) >= {"file", "line", "item", "field", "message", "hint"}


def test_check_of_one_file_checks_only_that_file(project_dir: Path) -> None:
    out = run(project_dir, "check", str(project_dir / "programmes" / "almelo-ambtelijk-2024.toml"))
    assert out.exit_code == 0
    assert "1 file(s) checked" in out.output


def test_a_missing_file_is_a_usage_error(project_dir: Path) -> None:
    out = run(project_dir, "check", "nope.toml")
    assert out.exit_code == 2
    assert "no such file: nope.toml" in out.output


def test_two_programmes_with_one_id_are_an_error(project_dir: Path) -> None:
    source = project_dir / "programmes" / "almelo-ambtelijk-2024.toml"
    (project_dir / "programmes" / "copy.toml").write_text(source.read_text())
    out = run(project_dir, "check")
    assert out.exit_code == 1
    assert "programme id 'almelo-ambtelijk-2024' is also used by" in out.output


def test_a_room_used_twice_at_the_same_time_is_a_warning(project_dir: Path) -> None:
    path = project_dir / "programmes" / "almelo-ambtelijk-2024.toml"
    text = path.read_text().replace('room = "1.2 Stad Almelo (1e verdieping)"',
                                    'room = "19.2 (19e verdieping)"')
    path.write_text(text)
    out = run(project_dir, "check", str(path))
    assert out.exit_code == 0
    assert "room '19.2 (19e verdieping)' is also used by item" in out.output


def test_a_round_item_with_other_times_and_no_note_is_a_warning(project_dir: Path) -> None:
    path = project_dir / "programmes" / "zaandam-bestuurlijk.toml"
    text = path.read_text()
    assert "time_note" in text
    lines = [line for line in text.splitlines() if not line.startswith("time_note")]
    path.write_text("\n".join(lines) + "\n")
    out = run(project_dir, "check", "--verbose", str(path))
    assert "item 'r2-veiligheid', field 'start': times differ from the rest of round" \
        in out.output


def test_python_dash_m_g40cal_works(project_dir: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "g40cal", "--root", str(project_dir),
                           "check"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "0 error(s)" in done.stdout


def test_config_defaults_work_without_a_file(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config.feeds_path == tmp_path.resolve() / "feeds"
    assert config.cancelled_retention_days == 7


def test_the_shipped_config_file_is_valid(tmp_path: Path) -> None:
    config = load_config(REPO)
    assert config.path == REPO / "g40cal.toml"


def test_config_reports_every_unknown_or_invalid_key_with_valid_choices(
        project_dir: Path) -> None:
    (project_dir / "g40cal.toml").write_text(
        '[network]\nnaam = "x"\nbase_url = "ftp://x"\n[sync]\ncancelled_retention_days = "7"\n'
        '[extra]\n')
    try:
        load_config(project_dir)
    except UserError as error:
        messages = [p.format() for p in error.problems]
    else:
        raise AssertionError("invalid configuration accepted")
    joined = "\n".join(messages)
    assert "field 'network.naam': unknown key (valid keys in [network]: name, base_url" in joined
    assert "'ftp://x' is not an absolute http(s) URL" in joined
    assert "field 'sync.cancelled_retention_days': expected int" in joined
    assert "unknown section [extra] (valid sections: network, paths, sync" in joined
    out = run(project_dir, "check")
    assert out.exit_code == 1 and "g40cal.toml" in out.output and "Traceback" not in out.output


def test_every_group_alias_resolves_to_its_group_and_typos_get_suggestions() -> None:
    registry = load_registry(REPO / "groups.toml")
    for written, expected in [("TG Duurzaamheid", "duurzaamheid"),
                              ("themagroep ZJO", "zorg-jeugd-onderwijs"),
                              ("Pijler economie", "pijler-economie-en-werk"),
                              ("Fysieke pijler", "pijler-fysiek"), ("WWZ", "wonen-welzijn-zorg"),
                              ("Sterke keten", "sterke-keten"),
                              ("Vergunninghouders & Asiel", "vergunninghouders-asiel")]:
        group = registry.resolve(written)
        assert group is not None and group.id == expected, written
    assert registry.resolve("Europaj") is None
    assert registry.suggest("Europaj") == "Themagroep Europa"
    for group in registry.groups:
        for name in (group.name, group.short, *group.aliases):
            assert registry.resolve(name) == group


def test_check_lists_organisers_inferred_from_a_title_as_estimates(project_dir: Path) -> None:
    data = json.loads(run(project_dir, "check", "--json").output)
    inferred = {(Path(w["file"]).stem, w["item"]) for w in data["warnings"]
                if w["code"] == "estimate" and "organisers are estimates" in w["message"]}
    assert inferred == {
        ("dordrecht-ambtelijk", "r2-gemeentefinancien"),
        ("dordrecht-ambtelijk", "r3-arbeidskrapte-arbeidsmigratie"),
        ("dordrecht-ambtelijk", "r3-kansen-in-europa"),
        ("oss-ambtelijk", "r3-interbestuurlijke-samenwerking"),
        ("zaandam-bestuurlijk", "r1-gemeentelijke-financien"),
    }


def warnings_by_file_and_kind(root: Path) -> dict[tuple[str, str], list[dict]]:
    groups: dict[tuple[str, str], list[dict]] = {}
    for warning in json.loads(run(root, "check", "--json").output)["warnings"]:
        groups.setdefault((warning["file"], warning["code"]), []).append(warning)
    return groups


def test_check_groups_warnings_per_programme_one_line_per_kind_with_count_and_example(
        project_dir: Path) -> None:
    groups = warnings_by_file_and_kind(project_dir)
    out = run(project_dir, "check")
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    files = {file for file, _ in groups}
    assert len(lines) <= len(groups) + len(files) + 2  # no wall of text
    for (file, code), members in groups.items():
        header = next(n for n, line in enumerate(lines) if line.startswith(file))
        kind_lines = [line for line in lines[header + 1:] if line.startswith("  ")]
        line = next(line for line in kind_lines if f" {code}:" in line)
        if len(members) > 1:
            assert f"{len(members)} × {code}:" in line
        example = members[0]
        assert f"line {example['line']}" in line or example["line"] is None
        if example["item"]:
            assert f"'{example['item']}'" in line
    assert "--verbose" in out.output
    assert "5 file(s) checked: 0 error(s), " \
        f"{sum(len(m) for m in groups.values())} warning(s)." in out.output


def test_check_verbose_and_json_list_every_warning(project_dir: Path) -> None:
    groups = warnings_by_file_and_kind(project_dir)
    every = [w for members in groups.values() for w in members]
    assert len(every) > len(groups)  # else grouping would hide nothing
    verbose = run(project_dir, "check", "--verbose").output
    for warning in every:
        assert warning["message"] in verbose
    assert len([line for line in verbose.splitlines() if ": warning:" in line]) == len(every)


def test_errors_are_never_grouped(project_dir: Path) -> None:
    path = project_dir / "programmes" / "almelo-ambtelijk-2024.toml"
    edit(path, 'groups = ["Europa"]', 'groups = ["Europaj"]')
    edit(path, 'kind = "keuzesessie"', 'kind = "keuzesesie"', count=2)
    out = run(project_dir, "check")
    assert out.exit_code == 1
    assert out.output.count(": error:") >= 3
    assert "unknown group 'Europaj'" in out.output


def test_log_shows_the_last_ten_syncs_by_default_and_more_on_request(project_dir: Path) -> None:
    path = project_dir / "programmes" / "almelo-ambtelijk-2024.toml"
    sync_at(project_dir)
    rooms = ["1.2 Stad Almelo (1e verdieping)", *(f"Zaal {n}" for n in range(1, 12))]
    for minute, (old, new) in enumerate(itertools.pairwise(rooms), start=1):
        edit(path, f'room = "{old}"', f'room = "{new}"')
        sync_at(project_dir, later(minute))
    with State(project_dir / ".g40cal" / "state.sqlite") as state:
        assert len(state.runs(100)) == 12
    default = run(project_dir, "log").output
    shown = [line for line in default.splitlines() if line.startswith("#")]
    assert len(shown) == 10 and shown[0].startswith("#12 ")
    assert "g40cal log -n 20 shows more" in default
    everything = run(project_dir, "log", "-n", "12").output
    assert len([line for line in everything.splitlines() if line.startswith("#")]) == 12
    assert "shows more" not in everything


INJECTION = "\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil@x\r\nDTSTART:20250101T000000Z\r\nX:"


def config_problems(root: Path, network: str) -> list[str]:
    (root / "g40cal.toml").write_text(f"[network]\n{network}\n", encoding="utf-8")
    try:
        load_config(root)
    except UserError as error:
        return [p.format() for p in error.problems]
    return []


@pytest.mark.parametrize("network", [
    f'base_url = "https://agenda.example.nl/{json.dumps(INJECTION)[1:-1]}"',
    'base_url = "https://agenda.example.nl/ feeds/"',
    'base_url = "https://agenda.example.nl/\\u2028"',
    'base_url = "https:///feeds/"',
    'base_url = "feeds/"',
    'base_url = "javascript:alert(1)//"',
])
def test_a_base_url_that_is_not_a_clean_absolute_http_url_is_refused(
        project_dir: Path, network: str) -> None:
    problems = config_problems(project_dir, network)
    assert len(problems) == 1 and "field 'network.base_url'" in problems[0], problems


@pytest.mark.parametrize("network", [
    f'uid_domain = "g40.example.nl{json.dumps(INJECTION)[1:-1]}"',
    'uid_domain = "g40 example.nl"',
    'uid_domain = "g40.example.nl/x"',
    'uid_domain = ""',
    'uid_domain = "-g40.example.nl"',
    'name = "G40\\nStedennetwerk"',
    'name = "G40 \\u202eStedennetwerk"',
    'name = ""',
])
def test_a_uid_domain_that_is_no_hostname_or_a_name_on_several_lines_is_refused(
        project_dir: Path, network: str) -> None:
    problems = config_problems(project_dir, network)
    key = network.split(" ", 1)[0]
    assert len(problems) == 1 and f"field 'network.{key}'" in problems[0], problems


def test_clean_network_settings_are_accepted(project_dir: Path) -> None:
    assert config_problems(project_dir, 'name = "G40 Stedennetwerk – test"\n'
                           'base_url = "https://agenda.g40stedennetwerk.nl:8443/feeds/"\n'
                           'uid_domain = "g40cal.g40stedennetwerk.nl"') == []


def test_line_breaks_in_settings_never_add_events_to_a_feed(project_dir: Path) -> None:
    expected = sum(f["events"] for f in json.loads(run(project_dir, "feeds", "--json").output)
                   ["feeds"] if f["path"] == "all.ics")
    escaped = json.dumps(INJECTION)[1:-1]
    (project_dir / "g40cal.toml").write_text(
        f'[network]\nbase_url = "https://a.example/{escaped}"\n'
        f'uid_domain = "g40.example{escaped}"\n', encoding="utf-8")
    out = run(project_dir, "sync", "--yes")
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert "network.base_url" in out.output and "network.uid_domain" in out.output
    assert not (project_dir / "feeds" / "all.ics").exists()
    (project_dir / "g40cal.toml").write_text(
        '[network]\nbase_url = "https://a.example/feeds/"\nuid_domain = "g40.example"\n',
        encoding="utf-8")
    assert run(project_dir, "sync", "--yes").exit_code == 0
    events = parse_feed(project_dir / "feeds" / "all.ics")
    assert len(events) == expected > 100
    assert all(uid.endswith("@g40.example") for uid in events)


@pytest.mark.parametrize(("field", "value"), [
    ("name", "Themagroep\\r\\nEuropa"), ("short", "Europa\\u2028"), ("aliases", "\\u202eEU"),
])
def test_a_group_name_with_a_line_break_or_direction_control_is_refused(
        project_dir: Path, field: str, value: str) -> None:
    path = project_dir / "groups.toml"
    shown = f'["{value}"]' if field == "aliases" else f'"{value}"'
    name = "" if field == "name" else 'name = "Themagroep Europa"\n'
    path.write_text(f'[[groups]]\nid = "europa"\n{name}{field} = {shown}\n', encoding="utf-8")
    try:
        load_registry(path)
    except UserError as error:
        messages = [p.format() for p in error.problems]
    else:
        raise AssertionError("accepted")
    assert len(messages) == 1 and f"'{field}' contains" in messages[0] and "U+" in messages[0]


def test_a_syntax_error_in_the_settings_is_named_in_words_at_its_line(project_dir: Path) -> None:
    (project_dir / "g40cal.toml").write_text(
        '[network]\nname = "G40"\nbase_url = “https://agenda.example.nl/”\n', encoding="utf-8")
    out = run(project_dir, "check")
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert "g40cal.toml:3: error: a curly quote “" in out.output
    assert 'straight quotes "' in out.output


def test_a_syntax_error_in_the_group_registry_is_named_in_words_at_its_line(
        project_dir: Path) -> None:
    path = project_dir / "groups.toml"
    path.write_text('[groups]\nid = "a"\nname = "A"\n\n[groups]\nid = "b"\nname = "B"\n',
                    encoding="utf-8")
    out = run(project_dir, "check")
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert "groups.toml:1: error: [groups] with single brackets" in out.output


@pytest.mark.parametrize("name", ["g40cal.toml", "groups.toml"])
def test_settings_and_registry_saved_with_a_byte_order_mark_are_read(
        project_dir: Path, name: str) -> None:
    # Windows Notepad saves UTF-8 with a byte order mark; the definitions already allow it.
    path = project_dir / name
    text = path.read_text(encoding="utf-8") if path.exists() else '[network]\nname = "G40"\n'
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = run(project_dir, "check")
    assert result.exit_code == 0, result.output
    assert "not valid TOML" not in result.output


def test_feeds_says_which_feeds_are_not_published_yet(project_dir: Path) -> None:
    # Their URLs answer 404 until a sync: handing one out before that fails the subscriber.
    before = run(project_dir, "feeds")
    assert before.exit_code == 0
    assert "not published yet" in before.output and "g40cal sync" in before.output
    assert all(not f["published"]
               for f in json.loads(run(project_dir, "feeds", "--json").output)["feeds"])
    sync_at(project_dir)
    after = run(project_dir, "feeds")
    assert "not published yet" not in after.output
    assert all(f["published"]
               for f in json.loads(run(project_dir, "feeds", "--json").output)["feeds"])

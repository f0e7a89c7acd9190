"""``g40cal check`` from the command line, and the project configuration."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from g40cal.cli import cli
from g40cal.config import load_config
from g40cal.errors import UserError
from g40cal.groups import load_registry
from tests.conftest import REPO


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
    out = run(project_dir, "check", str(path))
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
    assert "'ftp://x' is not an http(s) URL" in joined
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

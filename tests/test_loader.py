"""Loading definitions: every problem names file, line, item and field — never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from g40cal.cli import cli
from g40cal.definitions.groups import load_registry
from g40cal.definitions.loader import MAX_BYTES, parse_programme, programme_from_data
from g40cal.errors import Problem
from tests.conftest import REPO

REGISTRY = load_registry(REPO / "groups.toml")
GOOD = """\
id = "test-dag"
title = "Testdag"
kind = "ambtelijk"
city = "Almelo"

[[days]]
date = "2025-03-20"
venue = "Stadhuis"

[[items]]
id = "inloop"
title = "Inloop"
kind = "inloop"
start = "09:30"
end = "10:00"

[[items]]
id = "europa"
title = "Themagroep Europa"
kind = "keuzesessie"
start = "10.00"
end = "11:00"
groups = ["TG Europa"]
"""


def load(text: str | bytes):
    raw = text.encode() if isinstance(text, str) else text
    return parse_programme(raw, Path("programmes/test.toml"), REGISTRY)


def only_error(text: str):
    programme, problems = load(text)
    assert programme is None
    errors = [p for p in problems if p.severity == "error"]
    assert len(errors) == 1, [p.format() for p in errors]
    return errors[0]


def test_a_good_definition_loads_with_dotted_times_and_group_aliases() -> None:
    programme, problems = load(GOOD)
    assert problems == []
    assert programme is not None
    europa = programme.items[1]
    assert europa.start.hour == 10 and europa.groups[0].id == "europa"
    assert europa.optional is True and programme.items[0].optional is False


def test_an_unknown_group_suggests_the_nearest_known_name_with_its_line() -> None:
    problem = only_error(GOOD.replace('["TG Europa"]', '["Europaj"]'))
    assert (problem.item, problem.field, problem.line) == ("europa", "groups", 23)
    assert "unknown group 'Europaj'" in problem.message
    assert problem.hint == "did you mean 'Themagroep Europa'?"
    assert problem.format().startswith("programmes/test.toml:23: error: item 'europa',")


def test_end_before_start_is_an_error_on_the_end_field() -> None:
    problem = only_error(GOOD.replace('end = "11:00"', 'end = "09:00"'))
    assert (problem.item, problem.field, problem.code) == ("europa", "end", "end-before-start")
    assert "09:00 is not after start 10:00" in problem.message


def test_duplicate_item_ids_are_errors_naming_both_lines() -> None:
    problem = only_error(GOOD.replace('id = "europa"', 'id = "inloop"'))
    assert problem.code == "duplicate-id" and "also at line 10" in problem.message


def test_a_time_that_yaml_would_mistype_is_read_as_text_or_rejected_clearly() -> None:
    problem = only_error(GOOD.replace('start = "09:30"', 'start = "9:75"'))
    assert problem.field == "start" and 'start = "09:30"' in (problem.hint or "")


def test_unquoted_times_are_a_syntax_error_with_a_line_and_a_hint() -> None:
    programme, problems = load(GOOD.replace('start = "09:30"', "start = 09:30"))
    assert programme is None
    assert problems[0].code == "syntax" and problems[0].line == 14
    assert "double quotes" in (problems[0].hint or "")


def test_an_item_on_a_day_the_programme_does_not_have_is_an_error() -> None:
    problem = only_error(GOOD.replace('id = "inloop"', 'id = "inloop"\nday = 3'))
    assert problem.field == "day" and "no day 3" in problem.message


def test_several_days_require_a_day_on_every_item() -> None:
    text = GOOD.replace('[[items]]', '[[days]]\ndate = "2025-03-21"\nvenue = "LocHal"\n\n'
                        '[[items]]', 1)
    programme, problems = load(text)
    assert programme is None
    assert {p.item for p in problems if p.field == "day"} == {"inloop", "europa"}


def test_unknown_fields_and_kinds_get_did_you_mean_hints() -> None:
    _, problems = load(GOOD.replace('kind = "keuzesessie"', 'kind = "keuzesesie"')
                               .replace('title = "Inloop"', 'title = "Inloop"\nspeaker = ["X"]'))
    hints = {p.field: p.hint for p in problems}
    assert hints["kind"] == "did you mean 'keuzesessie'?"
    assert hints["speaker"] == "did you mean 'speakers'?"


def test_estimates_need_a_reason() -> None:
    problem = only_error(GOOD.replace('end = "10:00"', 'end = "10:00"\nestimated = ["end"]'))
    assert problem.field == "estimated" and "estimate_note" in (problem.hint or "")


def test_wrong_types_name_the_type_and_how_to_write_it() -> None:
    problem = only_error(GOOD.replace('title = "Inloop"', "title = 12"))
    assert problem.field == "title" and "expected text, got a number 12" in problem.message


def test_empty_and_comment_only_files_are_errors() -> None:
    for text in ("", "\n\n", "# only a comment\n"):
        problem = only_error(text)
        assert problem.code == "empty"


def test_a_file_in_another_encoding_names_the_line_and_how_to_fix_it() -> None:
    raw = GOOD.replace("Inloop", "Caf\u00e9").encode("latin-1")
    programme, problems = load(raw)
    assert programme is None
    assert problems[0].code == "encoding" and problems[0].line == 12
    assert "UTF-8" in (problems[0].hint or "")


def test_a_huge_file_is_refused_without_parsing_it() -> None:
    programme, problems = load(b"#" * (MAX_BYTES + 1))
    assert programme is None and problems[0].code == "too-large"


def test_a_utf8_bom_is_accepted() -> None:
    programme, problems = load(b"\xef\xbb\xbf" + GOOD.encode())
    assert problems == [] and programme is not None


# -- fuzzing: whatever the bytes, the loader answers with problems, never an exception ----

toml_scalars = st.one_of(st.text(max_size=20), st.integers(), st.booleans(), st.floats(),
                         st.none())


@st.composite
def mutated_definitions(draw: st.DrawFn) -> str:
    lines = GOOD.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "dup", "garble", "retype"]))
        if action == "drop":
            lines.pop(index)
        elif action == "dup":
            lines.insert(index, lines[index])
        elif action == "garble":
            lines[index] = draw(st.text(max_size=30))
        elif "=" in lines[index]:
            key = lines[index].split("=")[0]
            value = draw(toml_scalars)
            rendered = {True: "true", False: "false"}.get(value, repr(value)) \
                if not isinstance(value, str) else '"' + value.replace('"', "").replace(
                    "\\", "") + '"'
            lines[index] = f"{key}= {rendered}" if value is not None else f"{key}= []"
        if not lines:
            break
    return "\n".join(lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_definitions())
def test_fuzzed_definitions_give_problems_not_exceptions(text: str) -> None:
    programme, problems = load(text)
    assert (programme is None) == any(p.severity == "error" for p in problems)
    for problem in problems:
        assert problem.message and problem.format()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_give_problems_not_exceptions(raw: bytes) -> None:
    programme, problems = load(raw)
    assert programme is None or problems == []


any_value = st.recursive(
    toml_scalars | st.dates() | st.times(),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_value_in_any_field_gives_problems_not_exceptions(data: st.DataObject) -> None:
    import tomllib

    parsed = tomllib.loads(GOOD)
    target = data.draw(st.sampled_from(["top", "day", "item"]))
    table = {"top": parsed, "day": parsed["days"][0], "item": parsed["items"][1]}[target]
    key = data.draw(st.sampled_from([*table, "venue", "venues", "estimated", "capacity"]))
    table[key] = data.draw(any_value)
    programme, problems = programme_from_data(parsed, Path("x.toml"), REGISTRY)
    assert (programme is None) == any(p.severity == "error" for p in problems)


def test_check_exits_1_with_messages_for_broken_files(tmp_path: Path, project_dir: Path) -> None:
    broken = project_dir / "programmes" / "broken.toml"
    broken.write_text(GOOD.replace('["TG Europa"]', '["Europaj"]').replace(
        'id = "test-dag"', 'id = "broken-dag"'))
    out = CliRunner().invoke(cli, ["--root", str(project_dir), "check"])
    assert out.exit_code == 1
    assert "broken.toml:23: error: item 'europa', field 'groups': unknown group 'Europaj'" \
        in out.output
    assert "Traceback" not in out.output


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00garbage", b"[[items]\n", b"id = 1\n"])
def test_check_never_shows_a_traceback(project_dir: Path, content: bytes) -> None:
    (project_dir / "programmes" / "bad.toml").write_bytes(content)
    out = CliRunner().invoke(cli, ["--root", str(project_dir), "check"])
    assert out.exit_code == 1
    assert "bad.toml" in out.output and "Traceback" not in out.output


def test_organisers_inferred_from_a_title_can_be_marked_as_an_estimate() -> None:
    text = GOOD.replace('groups = ["TG Europa"]', 'groups = ["TG Europa"]\nestimated = ["groups"]\n'
                        'estimate_note = "Afgeleid uit de titel."')
    programme, problems = load(text)
    assert problems == []
    europa = next(i for i in programme.items if i.id == "europa")
    assert europa.estimated == frozenset({"groups"})
    assert programme.item_estimates(europa) == frozenset({"groups"})


def test_estimated_organisers_on_an_item_without_groups_is_an_error() -> None:
    text = GOOD.replace('end = "10:00"', 'end = "10:00"\nestimated = ["groups"]\n'
                        'estimate_note = "Afgeleid uit de titel."')
    problem = only_error(text)
    assert problem.item == "inloop" and problem.field == "estimated"
    assert "names no groups" in problem.message and "groups = [" in (problem.hint or "")


@pytest.mark.parametrize(("old", "new", "field", "line"), [
    ('title = "Themagroep Europa"', 'title = "Themagroep\\r\\nEuropa"', "title", 19),
    ('title = "Themagroep Europa"', 'title = "Themagroep\\u2028Europa"', "title", 19),
    ('title = "Themagroep Europa"', 'title = "Europa\\u0000"', "title", 19),
    ('id = "europa"', 'id = "euro\\npa"', "id", 18),
    ('groups = ["TG Europa"]', 'groups = ["TG Europa\\nBEGIN:VEVENT"]', "groups", 23),
    ('end = "11:00"', 'end = "11:00"\nroom = "Zaal\\u0085 1"', "room", 23),
    ('end = "11:00"', 'end = "11:00"\nspeakers = ["Anna", "Pi\\ret"]', "speakers", 23),
])
def test_a_line_break_or_control_character_in_a_one_line_field_is_an_error_with_its_place(
        old: str, new: str, field: str, line: int) -> None:
    problem = only_error(GOOD.replace(old, new))
    assert (problem.field, problem.line, problem.code) == (field, line, "character")
    assert problem.item == "europa" or field == "id"
    assert "U+" in problem.message


@pytest.mark.parametrize("bidi", ["\\u202a", "\\u202e", "\\u2066", "\\u2069"])
def test_a_bidi_override_is_refused_in_any_field_even_a_description(bidi: str) -> None:
    title = only_error(GOOD.replace('title = "Inloop"', f'title = "Inloop {bidi}pool"'))
    assert (title.item, title.field, title.line) == ("inloop", "title", 12)
    assert "direction" in title.message
    text = GOOD.replace('end = "10:00"', f'end = "10:00"\ndescription = """\nEen\n{bidi}x\n"""')
    described = only_error(text)
    assert (described.item, described.field) == ("inloop", "description")


def test_a_description_keeps_its_line_breaks_and_a_tab_in_a_title_is_fine() -> None:
    text = GOOD.replace('end = "10:00"',
                        'end = "10:00"\ndescription = "Een\\nTwee\\u2028Drie"\nroom = "A\\tB"')
    programme, problems = load(text)
    assert problems == [] and programme is not None
    assert programme.items[0].description == "Een\nTwee\u2028Drie"


# -- TOML syntax errors: in plain words, at the line where the mistake is ------------------

SHIPPED = sorted((REPO / "programmes").glob("*.toml"))


def syntax_error(text: str):
    problem = only_error(text)
    assert problem.code == "syntax", problem.format()
    return problem


def test_single_brackets_for_items_say_to_write_double_brackets_for_each_item() -> None:
    text = GOOD.replace("[[items]]", "[items]")
    problem = syntax_error(text)
    assert problem.line == 10  # the first [items]
    assert "[[items]]" in problem.message + (problem.hint or "")
    assert "Cannot declare" not in problem.message
    assert "also line 17" in (problem.hint or "")  # the other one


def test_one_item_with_single_brackets_is_named_at_its_line() -> None:
    lines = GOOD.splitlines()
    lines[16] = "[items]"  # the second item
    problem = syntax_error("\n".join(lines) + "\n")
    assert problem.line == 17 and "[[items]]" in problem.message + (problem.hint or "")


def test_an_unclosed_triple_quote_is_reported_where_the_text_was_opened() -> None:
    source = (REPO / "programmes" / "almelo-ambtelijk-2024.toml").read_text(encoding="utf-8")
    lines = source.splitlines()
    opened = next(n for n, line in enumerate(lines) if line.startswith('description = """')
                  and n > 30)
    closing = next(n for n in range(opened + 1, len(lines)) if lines[n] == '"""')
    lines[closing] = '""'
    problem = syntax_error("\n".join(lines) + "\n")
    assert problem.line == opened + 1
    assert '"""' in problem.message and f"line {closing + 1}" in (problem.hint or "")


def test_an_unclosed_triple_quote_at_the_end_of_the_file_is_reported_where_it_was_opened() -> None:
    problem = syntax_error(GOOD + 'description = """\nEen tekst\nzonder einde\n')
    assert problem.line == 24 and '"""' in problem.message


@pytest.mark.parametrize(("opening", "closing"), [("“", "”"), ("‘", "’"), ("„", "”")])
def test_curly_quotes_from_word_are_named_with_the_straight_quote_needed(
        opening: str, closing: str) -> None:
    problem = syntax_error(GOOD.replace('title = "Inloop"', f"title = {opening}Inloop{closing}"))
    assert problem.line == 12
    assert "curly quote" in problem.message and opening in problem.message
    assert 'straight quotes "' in (problem.hint or "")


def test_a_missing_closing_quote_says_which_line_has_no_closing_quote() -> None:
    problem = syntax_error(GOOD.replace('title = "Inloop"', 'title = "Inloop'))
    assert problem.line == 12
    assert "the text on line 12 has no closing quote" in problem.message
    assert "Illegal character" not in problem.message


def test_a_missing_closing_quote_on_the_last_line_is_found_too() -> None:
    problem = syntax_error(GOOD.rstrip("\n").removesuffix('"]') + "]\n")
    assert problem.line == 23 and "no closing quote" in problem.message


def test_a_key_given_twice_names_the_key() -> None:
    problem = syntax_error(GOOD.replace('title = "Inloop"', 'title = "Inloop"\ntitle = "X"'))
    assert problem.line == 13 and "'title'" in problem.message


@st.composite
def damaged_shipped_definitions(draw: st.DrawFn) -> tuple[Path, str, int]:
    path = draw(st.sampled_from(SHIPPED))
    text = path.read_text(encoding="utf-8")
    position = draw(st.integers(0, len(text) - 1))
    action = draw(st.sampled_from(["insert", "delete", "replace"]))
    char = draw(st.sampled_from(['"', "'", "[", "]", "{", "}", "=", "#", "\n", "\t", "\\",
                                 ",", ".", ":", "-", "“", "”", "‘", "’", "x", "1", " "]))
    if action == "insert":
        damaged = text[:position] + char + text[position:]
    elif action == "delete":
        damaged = text[:position] + text[position + 1:]
    else:
        damaged = text[:position] + char + text[position + 1:]
    return path, damaged, text.count("\n", 0, position) + 1


# Each example parses a whole shipped definition: bounded to stay a few seconds.
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_shipped_definitions())
def test_one_damaged_character_is_reported_within_two_lines_of_the_damage(
        case: tuple[Path, str, int]) -> None:
    path, damaged, line = case
    programme, problems = parse_programme(damaged.encode(), path, REGISTRY)
    errors = [p for p in problems if p.severity == "error"]
    assert (programme is None) == bool(errors)
    if not errors:
        return  # the damage made another valid definition (e.g. a letter in a description)
    for error in errors:
        assert error.format() and "Traceback" not in error.message
    def near(error: Problem) -> bool:  # its line, or a line its message or hint names
        named = {error.line or 0, *map(int, re.findall(r"line (\d+)", error.format()))}
        return any(abs(n - line) <= 2 for n in named)

    if errors[0].code == "syntax":  # one syntax error, and it is at the damage
        assert len(errors) == 1 and near(errors[0]), (line, errors[0].format())
    else:  # content errors: one is at the damage (others may follow from it, e.g. missing)
        assert any(near(e) for e in errors), (line, [e.format() for e in errors])


def test_a_lone_single_bracket_items_table_says_to_write_double_brackets() -> None:
    text = GOOD.replace("[[items]]", "[items]", 1).split("\n[[items]]")[0]
    problem = only_error(text)
    assert problem.line == 10 and "[[items]]" in problem.message + (problem.hint or "")


def test_check_shows_a_syntax_error_in_words_at_its_line(project_dir: Path) -> None:
    path = project_dir / "programmes" / "almelo-ambtelijk-2024.toml"
    text = path.read_text(encoding="utf-8").replace('title = "Opening"', "title = “Opening”")
    path.write_text(text, encoding="utf-8")
    line = text[:text.index("title = “Opening”")].count("\n") + 1
    out = CliRunner().invoke(cli, ["--root", str(project_dir), "check"])
    assert out.exit_code == 1
    assert f"almelo-ambtelijk-2024.toml:{line}: error: a curly quote “" in out.output
    assert "Traceback" not in out.output


def test_an_unclosed_list_is_reported_where_it_was_opened_and_where_it_should_end() -> None:
    text = GOOD.replace('end = "10:00"', 'end = "10:00"\nspeakers = [\n  "Anna",\n  "Piet",\n')
    problem = syntax_error(text)
    assert problem.line == 16 and "opened on line 16" in problem.message
    assert "before line 21" in problem.message

"""Every validation rule: a minimal edit of the valid fixture and the exact problems it gives."""

from pathlib import Path

import pytest
import yaml

from instruments import InstrumentError, Problem, loads, validate_file, validate_text

RULE_CASES = yaml.safe_load(
    (Path(__file__).parent / "fixtures" / "rule_cases.yaml").read_text(encoding="utf-8")
)


def test_the_fixture_is_valid(valid_path):
    assert validate_file(valid_path) == []


def test_every_rule_has_a_case():
    # Guards against the case file silently losing entries.
    assert len(RULE_CASES) == 48


@pytest.mark.parametrize("case", list(RULE_CASES), ids=list(RULE_CASES))
def test_rule_reports_its_exact_problems(edited, case):
    edits, expected = RULE_CASES[case]["edits"], RULE_CASES[case]["problems"]
    problems = validate_text(edited(*edits), "case.yaml")
    assert [str(problem) for problem in problems] == expected


def test_several_errors_are_all_reported_in_line_order(edited):
    text = edited(
        ('version: "1.0"', "version: 1.0"),
        ("    reverse: true", "    revers: true"),
        ("    mirrors: tr_own", "    mirrors: tr_meta"),
        ("[sales, other]", "[sales, others]"),
        ('{en: "Anything else?"', '{fr: "Autre chose ?", en: "Anything else?"'),
    )
    problems = validate_text(text, "many.yaml")
    assert [(problem.line, problem.field) for problem in problems] == [
        (3, "version"),
        (40, "items[2].revers"),
        (54, "items[5].mirrors"),
        (59, "items[6].audience[1]"),
        (66, "prompts[1].text.fr"),
    ]


def test_loading_an_invalid_text_raises_with_every_problem(edited):
    text = edited(
        ("estimated_minutes: 3", "estimated_minutes: three"), ("    kind: ordinal", "    kind: nominal")
    )
    with pytest.raises(InstrumentError) as caught:
        loads(text, "bad.yaml")
    assert caught.value.problems == (
        Problem("bad.yaml", 6, "estimated_minutes", "must be a whole number, got text 'three'"),
        Problem(
            "bad.yaml",
            12,
            "scales.agree5.kind",
            "must be one of ordinal, categorical, got text 'nominal'; did you mean 'ordinal'?",
        ),
    )
    assert str(caught.value).splitlines() == [
        "invalid instrument definition bad.yaml (2 problems):",
        "  bad.yaml:6: estimated_minutes: must be a whole number, got text 'three'",
        "  bad.yaml:12: scales.agree5.kind: must be one of ordinal, categorical, got text 'nominal'; "
        "did you mean 'ordinal'?",
    ]


def test_problem_str_without_line_or_field():
    assert str(Problem("a.yaml", None, "", "the file is empty")) == "a.yaml: the file is empty"
    assert str(Problem("a.yaml", 4, "", "oops")) == "a.yaml:4: oops"


NOT_A_MAPPING = (
    "x.yaml:1: must be a mapping with the keys id, version, title, introduction, estimated_minutes, "
    "citation, licence, languages, scales, dimensions, items, prompts, attributes, got a list"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["x.yaml: the file is empty"]),
        ("- a\n- b\n", [NOT_A_MAPPING]),
        (b"id: \xff\n", ["x.yaml: the file is not UTF-8 text (invalid start byte at byte 4)"]),
        ("a: 1\n---\nb: 2\n", ["x.yaml:2: YAML syntax error: but found another document"]),
        ("<<: {id: x}\n", ["x.yaml:1: YAML merge keys (<<) are not supported"]),
    ],
    ids=["empty", "not_a_mapping", "not_utf8", "two_documents", "merge_key"],
)
def test_unusable_files(text, expected):
    problems = [str(problem) for problem in validate_text(text, "x.yaml")]
    assert problems[: len(expected)] == expected


def test_a_missing_file_is_one_problem(tmp_path):
    missing = tmp_path / "nothing.yaml"
    assert [str(problem) for problem in validate_file(missing)] == [
        f"{missing}: cannot read the file: No such file or directory"
    ]


def test_a_categorical_scale_without_reverse_items_is_valid(edited):
    text = edited(("    kind: ordinal", "    kind: categorical"), ("    reverse: true\n", ""))
    instrument = loads(text)
    assert instrument.scales["agree5"].kind == "categorical"
    assert instrument.scales["agree5"].numeric is False


def test_libyaml_and_pure_python_parsers_give_the_same_problems(edited, monkeypatch):
    from instruments import validator

    text = edited(("    reverse: true", "    revers: true"), ("[sales, other]", "[sales, others]"))
    with_default = [str(problem) for problem in validate_text(text, "x.yaml")]
    monkeypatch.setattr(validator, "_FAST_LOADER", yaml.SafeLoader)
    assert [str(problem) for problem in validate_text(text, "x.yaml")] == with_default
    assert len(with_default) == 2


ODD_VALUES = ["[a]", "{a: b}", "null", "1", "true", "[[x]]", "{1: 2}", "''"]


def test_any_value_in_any_field_gives_problems_not_crashes(valid_text):
    # Replace the value of every `key: value` line by values of the wrong shape; the validator
    # must answer with problems (or accept), never with an exception of its own.
    lines = valid_text.splitlines()
    checked = 0
    for index, line in enumerate(lines):
        key, colon, _ = line.partition(":")
        if not colon or key.lstrip().startswith("#"):
            continue
        for value in ODD_VALUES:
            text = "\n".join([*lines[:index], f"{key}: {value}", *lines[index + 1 :]])
            problems = validate_text(text, "odd.yaml")
            if problems:
                with pytest.raises(InstrumentError):
                    loads(text)
            else:
                loads(text)
            checked += 1
    assert checked > 300

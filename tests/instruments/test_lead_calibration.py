"""The vignette item type (attributes and profiles) and the shipped lead-calibration instrument."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from benchmarks.lead_design import ATTRIBUTES, profiles
from instruments import load, validate_text
from instruments.spreadsheet import instrument_to_rows

#: A small valid instrument with two attributes and four vignettes (a full 2 x 2 factorial).
VIGNETTES = """\
id: vignette_check
version: "1.0"
title: {en: "Vignettes", de: "Vignetten"}
introduction: {en: "Judge each lead.", de: "Beurteilen Sie jeden Lead."}
estimated_minutes: 2
citation: ""
licence: "CC-BY-4.0"
languages: [en, de]
scales:
  readiness:
    labels:
      1: {en: "Not a lead", de: "Kein Lead"}
      2: {en: "Nurture", de: "Betreuen"}
      3: {en: "Ready for sales", de: "Bereit"}
  kinds:
    kind: categorical
    labels:
      1: {en: "A", de: "A"}
      2: {en: "B", de: "B"}
dimensions:
  - id: readiness
    name: {en: "Readiness", de: "Reife"}
attributes:
  - id: budget
    name: {en: "Budget", de: "Budget"}
    levels:
      confirmed: {en: "Confirmed", de: "Bestätigt"}
      unknown: {en: "Not mentioned", de: "Nicht erwähnt"}
  - id: timing
    name: {en: "Timing", de: "Zeitrahmen"}
    levels:
      soon: {en: "This quarter", de: "Dieses Quartal"}
      none: {en: "No timeline", de: "Kein Zeitplan"}
items:
  - id: v1
    dimension: readiness
    scale: readiness
    text: {en: "How would you classify this lead?", de: "Wie würden Sie diesen Lead einstufen?"}
    profile: {budget: confirmed, timing: soon}
  - id: v2
    dimension: readiness
    scale: readiness
    text: {en: "How would you classify this lead?", de: "Wie würden Sie diesen Lead einstufen?"}
    profile: {budget: confirmed, timing: none}
  - id: v3
    dimension: readiness
    scale: readiness
    text: {en: "How would you classify this lead?", de: "Wie würden Sie diesen Lead einstufen?"}
    profile: {budget: unknown, timing: soon}
  - id: v4
    dimension: readiness
    scale: readiness
    text: {en: "How would you classify this lead?", de: "Wie würden Sie diesen Lead einstufen?"}
    profile: {budget: unknown, timing: none}
"""


def _edit(*replacements: tuple[str, str]) -> str:
    text = VIGNETTES
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def _messages(text: str) -> list[str]:
    return [f"{problem.field}: {problem.message}" for problem in validate_text(text)]


def test_a_valid_vignette_instrument_loads_with_its_profiles(tmp_path):
    assert _messages(VIGNETTES) == []
    path = tmp_path / "vignettes.yaml"
    path.write_text(VIGNETTES, encoding="utf-8")
    instrument = load(path)
    assert [attribute.id for attribute in instrument.attributes] == ["budget", "timing"]
    assert instrument.attribute("timing").level("none").label("de") == "Kein Zeitplan"
    assert [item.id for item in instrument.vignettes] == ["v1", "v2", "v3", "v4"]
    assert instrument.design()["v3"] == {"budget": "unknown", "timing": "soon"}
    assert instrument.item("v1").is_vignette


V1 = "  - id: v1\n    dimension: readiness\n    scale: readiness"
SOON = '      soon: {en: "This quarter", de: "Dieses Quartal"}\n'
CASES = [
    (
        [("{budget: confirmed, timing: soon}", "{budget: confirmd, timing: soon}")],
        "items[0].profile.budget: unknown level 'confirmd'; did you mean 'confirmed'?",
    ),
    (
        [("{budget: confirmed, timing: none}", "{budget: confirmed, timng: none}")],
        "items[1].profile.timng: unknown attribute 'timng'; did you mean 'timing'?",
    ),
    (
        [("{budget: unknown, timing: soon}", "{budget: unknown}")],
        "items[2].profile.timing: item 'v3' shows no level of attribute 'timing'",
    ),
    (
        [("{budget: unknown, timing: none}", "{budget: unknown, timing: soon}")],
        "items[3].profile: vignette 'v4' shows the same profile as 'v3'",
    ),
    (
        [("{budget: unknown, timing: none}", "[unknown, none]")],
        "items[3].profile: must be a mapping of attribute id to level id, got a list",
    ),
    (
        [('      none: {en: "No timeline", de: "Kein Zeitplan"}\n', "")],
        "attributes[1].levels: an attribute needs at least two levels for its weight to be estimated",
    ),
    (
        [(SOON, SOON + '      later: {en: "Next year", de: "Nächstes Jahr"}\n')],
        "attributes[1].levels: no vignette shows level(s) later of attribute 'timing'",
    ),
    (
        [('confirmed: {en: "Confirmed", de: "Bestätigt"}', 'confirmed: {en: "Confirmed"}')],
        "attributes[0].levels.confirmed.de: the 'de' text is missing",
    ),
    (
        [(V1, V1.replace("scale: readiness", "scale: kinds"))],
        "items[0].scale: item 'v1' is a vignette, so its judgement scale 'kinds' must be ordinal",
    ),
    (
        [("  - id: timing\n    name:", "  - id: budget\n    name:")],
        "attributes[1].id: duplicate attribute id 'budget'",
    ),
]


@pytest.mark.parametrize(("replacements", "expected"), CASES)
def test_vignette_mistakes_are_named(replacements, expected):
    messages = _messages(_edit(*replacements))
    assert any(message.startswith(expected) for message in messages), messages


def test_a_profile_needs_attributes():
    start = VIGNETTES.index("attributes:")
    text = VIGNETTES[:start] + VIGNETTES[VIGNETTES.index("items:") :]
    assert "items[0].profile: item 'v1' has a profile, but the instrument defines no attributes" in _messages(
        text
    )


# --- the shipped instrument ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def calibration():
    return load("lead_calibration", "1.0")


def test_shipped_calibration_is_the_generated_design(calibration):
    assert calibration.design() == profiles()
    assert [attribute.id for attribute in calibration.attributes] == list(ATTRIBUTES)
    for attribute in calibration.attributes:
        assert [level.id for level in attribute.levels] == list(ATTRIBUTES[attribute.id])


def test_shipped_calibration_is_an_orthogonal_main_effects_plan(calibration):
    first = {attribute.id: attribute.levels[0].id for attribute in calibration.attributes}
    codes = np.array(
        [[1 if profile[a] == first[a] else -1 for a in first] for profile in calibration.design().values()]
    )
    assert codes.shape == (16, 6)
    np.testing.assert_array_equal(codes.sum(axis=0), 0)  # each level shown eight times
    np.testing.assert_array_equal(codes.T @ codes, 16 * np.eye(6))  # attributes orthogonal
    for j, (a, b) in itertools.product(range(6), itertools.combinations(range(6), 2)):
        assert codes[:, j] @ (codes[:, a] * codes[:, b]) == 0  # resolution IV


def test_shipped_calibration_takes_five_minutes_and_is_translated(calibration):
    assert 12 <= len(calibration.vignettes) <= 16
    assert calibration.estimated_minutes <= 5
    assert calibration.scales["readiness"].values == (1, 2, 3)
    for attribute in calibration.attributes:
        for language in calibration.languages:
            assert attribute.label(language)
            assert all(level.text[language] for level in attribute.levels)
    assert all(len(page) <= 4 for page in calibration.pages)


def test_item_tables_refuse_vignettes(calibration):
    with pytest.raises(ValueError, match="has vignettes .* which a table cannot carry"):
        instrument_to_rows(calibration)

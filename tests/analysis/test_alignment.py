"""Profile similarity and the alignment index.

Reference values: tests/analysis/reference/agreement_gaps.R -> agreement_gaps.json
(men vs women on the 25 bfi items; OVL = 2 pnorm(-|g| / 2) and the profile statistics
computed in R from their formulas).
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import analysis
from analysis.alignment import overlap

REFERENCE = Path(__file__).parent / "reference"
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def expected():
    return json.loads((REFERENCE / "agreement_gaps.json").read_text())


@pytest.fixture(scope="module")
def bfi():
    return pd.read_csv(REFERENCE / "data" / "bfi_gap.csv")


@pytest.fixture(scope="module")
def men_and_women(bfi):
    items = bfi.drop(columns="gender")
    return items[bfi["gender"] == 1], items[bfi["gender"] == 2]


@pytest.fixture(scope="module")
def teams():
    rng = np.random.default_rng(11)
    shift = {"north": 0.0, "south": 0.4, "east": 1.0, "west": 0.1}
    labels = pd.Series(rng.choice(list(shift), size=240), name="team")
    scores = pd.DataFrame(rng.normal(3, 1, size=(240, 4)), columns=["trust", "goals", "handover", "plan"])
    scores = scores.add(labels.map(shift).to_numpy()[:, None] * np.array([1.0, 0.5, 0.0, -0.5]))
    scores.iloc[::17, 2] = np.nan
    return scores, labels


@pytest.mark.parametrize(
    ("delta", "value"),
    [(0.0, 1.0), (1.0, 0.6170750774519738), (-1.0, 0.6170750774519738), (2.0, 0.31731050786291415)],
)
def test_overlap_of_two_normals(delta, value):
    assert overlap(delta) == pytest.approx(value, rel=1e-12)


def test_alignment_index_matches_r(men_and_women, expected):
    men, women = men_and_women
    assert analysis.alignment_index(men, women) == pytest.approx(
        expected["alignment"]["ovl_from_g"], abs=TOLERANCE
    )
    assert analysis.alignment_index(men, women, effect="d") == pytest.approx(
        expected["alignment"]["ovl_from_d"], abs=TOLERANCE
    )


def test_alignment_index_from_effect_sizes():
    assert analysis.alignment_index([0.0, 0.0]) == 100.0
    assert analysis.alignment_index([1.0]) == pytest.approx(61.70750774519738)
    assert analysis.alignment_index([0.0, -1.0, np.nan]) == pytest.approx(50 * (1 + 0.6170750774519738))
    assert math.isnan(analysis.alignment_index([np.nan]))


def test_alignment_index_is_symmetric(teams):
    scores, labels = teams
    north, east = scores[labels == "north"], scores[labels == "east"]
    assert analysis.alignment_index(north, east) == pytest.approx(analysis.alignment_index(east, north))


def test_alignment_table_equals_the_single_pair_value(teams):
    scores, labels = teams
    table = analysis.alignment_index(analysis.perception_gaps(scores, labels))
    assert list(table.columns) == ["team_a", "team_b", "alignment", "n_dimensions"]
    assert len(table) == 6
    assert (table["n_dimensions"] == 4).all()
    for row in table.itertuples(index=False):
        single = analysis.alignment_index(scores[labels == row.team_a], scores[labels == row.team_b])
        assert row.alignment == pytest.approx(single, rel=1e-12)
    by_pair = table.set_index(["team_a", "team_b"])["alignment"]
    # North and west differ by a tenth of the shift, north and east by all of it.
    assert by_pair[("east", "north")] < by_pair[("north", "west")]
    assert table["alignment"].between(0, 100).all()


def test_alignment_table_skips_missing_effects():
    gaps = pd.DataFrame(
        {
            "team_a": ["a", "a", "a", "b"],
            "team_b": ["b", "b", "c", "c"],
            "dimension": ["x", "y", "x", "x"],
            "g": [1.0, np.nan, 0.0, 2.0],
        }
    )
    table = analysis.alignment_index(gaps)
    assert table["n_dimensions"].tolist() == [1, 1, 1]
    assert table["alignment"].tolist() == pytest.approx([61.70750774519738, 100.0, 31.731050786291415])


def test_profile_similarity_matches_r(men_and_women, expected):
    men, women = men_and_women
    result = analysis.profile_similarity(men, women)
    assert result.correlation == pytest.approx(expected["profile"]["correlation"], abs=TOLERANCE)
    assert result.distance == pytest.approx(expected["profile"]["distance"], abs=TOLERANCE)
    assert result.n_dimensions == 25
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.distance = 0.0


def test_profile_similarity_table_equals_the_single_pair_values(teams):
    scores, labels = teams
    table = analysis.profile_similarity(analysis.perception_gaps(scores, labels))
    assert list(table.columns) == ["team_a", "team_b", "correlation", "distance", "n_dimensions"]
    for row in table.itertuples(index=False):
        single = analysis.profile_similarity(scores[labels == row.team_a], scores[labels == row.team_b])
        assert row.correlation == pytest.approx(single.correlation, rel=1e-10)
        assert row.distance == pytest.approx(single.distance, rel=1e-10)
        assert row.n_dimensions == single.n_dimensions


def test_profile_similarity_by_hand():
    # Means (1, 2, 3) and (2, 4, 6): perfectly correlated shapes, different levels.
    a = pd.DataFrame({"x": [0.0, 2.0], "y": [1.0, 3.0], "z": [2.0, 4.0]})
    b = pd.DataFrame({"x": [1.0, 3.0], "y": [3.0, 5.0], "z": [5.0, 7.0]})
    result = analysis.profile_similarity(a, b)
    assert result.correlation == pytest.approx(1.0)
    # Every pooled SD is sqrt(2): d = (-1, -2, -3) / sqrt(2).
    assert result.distance == pytest.approx(math.sqrt((1 + 4 + 9) / 2))


def test_profile_correlation_needs_three_dimensions():
    a = pd.DataFrame({"x": [0.0, 2.0], "y": [1.0, 3.0]})
    result = analysis.profile_similarity(a, a + 1)
    assert math.isnan(result.correlation)
    assert result.distance == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: analysis.alignment_index([0.1], effect="r"), "effect must be one of"),
        (lambda: analysis.alignment_index(pd.DataFrame({"g": [0.1]})), "must come from perception_gaps"),
        (lambda: analysis.alignment_index(3.0), "gaps must be a perception_gaps table"),
        (
            lambda: analysis.profile_similarity(pd.DataFrame({"x": [1.0, 2]}), pd.DataFrame({"y": [1.0, 2]})),
            "share at least one dimension",
        ),
        (lambda: analysis.profile_similarity([1, 2], pd.DataFrame({"x": [1.0]})), "a must be a DataFrame"),
    ],
)
def test_arguments_are_checked(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_all_pairs_of_200_teams_are_fast():
    import time

    rng = np.random.default_rng(5)
    scores = pd.DataFrame(rng.normal(size=(20_000, 11)), columns=[f"dim{i}" for i in range(11)])
    labels = pd.Series([f"team{i:03d}" for i in rng.integers(0, 200, size=20_000)])
    gaps = analysis.perception_gaps(scores, labels)
    start = time.perf_counter()
    alignment = analysis.alignment_index(gaps)
    similarity = analysis.profile_similarity(gaps)
    elapsed = time.perf_counter() - start
    assert len(alignment) == len(similarity) == 19_900
    assert elapsed < 1.0

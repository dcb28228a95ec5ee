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


# --------------------------------------------------------------------------- alignment_estimate


def _aligned_teams(seed, n_a=20, n_b=20, dimensions=8, points=5, shift=0.0):
    """Sales and marketing scores from the simulator (Likert answers); ``shift`` = latent gap on all."""
    instrument = analysis.synthetic_instrument(n_dimensions=dimensions, items_per_dimension=4, points=points)
    effects = {"S": {d.id: shift for d in instrument.dimensions}} if shift else None
    frame = analysis.simulate(instrument, {"S": "sales", "M": "marketing"}, {"S": n_a, "M": n_b},
                              effects=effects, seed=seed, icc=0.0, missing_rate=0.0,
                              careless_rate=0.0)  # fmt: skip
    scores = analysis.score(frame, instrument)
    sales = (frame["team"] == "S").to_numpy()
    return scores[sales], scores[~sales]


@pytest.mark.parametrize("seed", range(12))
def test_interval_contains_the_estimate_for_aligned_and_misaligned_teams(seed):
    shift = [0.0, 0.3, 1.0][seed % 3]
    a, b = _aligned_teams(seed, n_a=10 + seed, n_b=40 - seed, shift=shift)
    result = analysis.alignment_estimate(a, b, replicates=200, seed=seed)
    assert result.ci_low <= result.alignment <= result.ci_high
    assert result.ci_low >= 0
    assert result.ci_high <= 100
    low, high = result.interval(0.5)
    assert result.ci_low <= low <= result.alignment <= high <= result.ci_high


def test_interval_contains_the_estimate_for_identical_teams():
    a, _ = _aligned_teams(3)
    result = analysis.alignment_estimate(a, a.copy(), replicates=200, seed=1)
    assert result.alignment == 100
    assert result.ci_high == 100
    assert result.p_equal_profiles == pytest.approx(1.0)


def test_the_demo_shape_keeps_its_estimate():
    # The open demo wave's shape: 40 sales vs 30 marketing people, 12 dimensions, almost no gap.
    # The old percentile interval of the plug-in index (94.1, CI 84.9-93.7) excluded its estimate.
    for seed in range(5):
        a, b = _aligned_teams(seed, n_a=40, n_b=30, dimensions=12, shift=0.1)
        result = analysis.alignment_estimate(a, b, replicates=300, seed=seed)
        assert result.ci_low <= result.alignment <= result.ci_high


@pytest.mark.once
def test_the_corrected_index_is_not_biased_low_for_aligned_teams():
    corrected, plug_in = [], []
    for seed in range(200):
        a, b = _aligned_teams(seed)
        result = analysis.alignment_estimate(a, b, replicates=100, seed=seed)
        corrected.append(result.alignment)
        plug_in.append(result.uncorrected)
        assert result.uncorrected == pytest.approx(analysis.alignment_index(a, b), rel=1e-12)
    # 20 + 20 people, 8 dimensions, true index 100: the plug-in reads about 90 on average, the
    # reported (median-unbiased) index above 95: half of the pairs read exactly 100 and the
    # mean of the rest is the interval's width below it, the price of a small variance.
    assert np.mean(plug_in) < 92
    assert np.mean(corrected) > 95


def test_the_corrected_effect_is_unbiased_for_the_squared_difference():
    # E[(nu - 2) / nu * d^2 - 1/n_a - 1/n_b] = delta^2 for normal data: check by simulation.
    rng = np.random.default_rng(5)
    n_a, n_b, delta = 12, 15, 0.5
    a = rng.normal(delta, 1, size=(20000, n_a))
    b = rng.normal(0, 1, size=(20000, n_b))
    nu = n_a + n_b - 2
    pooled = ((n_a - 1) * a.var(axis=1, ddof=1) + (n_b - 1) * b.var(axis=1, ddof=1)) / nu
    d2 = (a.mean(axis=1) - b.mean(axis=1)) ** 2 / pooled
    assert np.mean((nu - 2) / nu * d2 - 1 / n_a - 1 / n_b) == pytest.approx(delta**2, abs=0.01)


def test_change_since_contains_the_change_and_agrees_with_its_p_value():
    for seed in range(6):
        a, b = _aligned_teams(seed, shift=0.0)
        c, d = _aligned_teams(seed + 100, n_a=30, n_b=30, shift=[0.0, 0.8][seed % 2])
        earlier = analysis.alignment_estimate(a, b, replicates=300, seed=seed)
        later = analysis.alignment_estimate(c, d, replicates=300, seed=seed)
        change, low, high, p = later.change_since(earlier)
        assert change == pytest.approx(later.alignment - earlier.alignment)
        assert low <= change <= high
        assert (p < 0.05) == (not low <= 0 <= high)
    with pytest.raises(ValueError, match="earlier"):
        later.change_since(0.5)


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        (pd.DataFrame({"x": [1.0, 2.0]}), pd.DataFrame({"x": [1.0, 2.0, 3.0]}), "a needs at least 3"),
        (pd.DataFrame({"x": [1.0, 2.0, 3.0]}), pd.DataFrame({"y": [1.0, 2.0, 3.0]}), "share at least one"),
        (pd.DataFrame({"x": [2.0] * 4}), pd.DataFrame({"x": [2.0] * 5}), r"constant scores"),
        (pd.DataFrame({"x": [1.0, np.inf, 3.0]}), pd.DataFrame({"x": [1.0, 2.0, 3.0]}), "a must be finite"),
        (
            pd.DataFrame({"x": [1.0, 2.0, 3.0]}),
            pd.DataFrame({"x": [1.0, np.nan, np.nan, 2.0]}),
            "b needs at least 3",
        ),
        (pd.DataFrame({"x": ["a", "b", "c"]}), pd.DataFrame({"x": [1.0, 2.0, 3.0]}), "a must be numeric"),
        ([1, 2, 3], pd.DataFrame({"x": [1.0, 2.0, 3.0]}), "a must be a DataFrame"),
    ],
)
def test_alignment_estimate_refuses_bad_input(a, b, message):
    with pytest.raises(ValueError, match=message):
        analysis.alignment_estimate(a, b, replicates=100)


@pytest.mark.parametrize(
    ("options", "message"),
    [({"confidence": 1.0}, "confidence"), ({"confidence": "0.9"}, "confidence"),
     ({"replicates": 10}, "replicates"), ({"seed": "x"}, "seed")],
)  # fmt: skip
def test_alignment_estimate_refuses_bad_options(options, message):
    a, b = _aligned_teams(1)
    with pytest.raises(ValueError, match=message):
        analysis.alignment_estimate(a, b, **options)


@pytest.mark.once
def test_coverage_smoke_for_aligned_teams():
    # 150 aligned organisations of 15 + 15: the interval holds 100 about 95 % of the time
    # (the full simulation is benchmarks/alignment_coverage.py).
    covered = [
        analysis.alignment_estimate(*_aligned_teams(seed, 15, 15, 6), replicates=100, seed=seed).ci_high
        == 100
        for seed in range(150)
    ]
    assert 0.88 <= np.mean(covered) <= 0.995


def _true_index(shift, dimensions=6, points=5):
    """Index of the observed scale scores of a planted latent gap (40,000 simulated people a side)."""
    a, b = _aligned_teams(2**30, 40_000, 40_000, dimensions, points, shift=shift)
    pooled = (a.var(ddof=0) + b.var(ddof=0)) / 2
    return analysis.alignment_index(((a.mean() - b.mean()) / np.sqrt(pooled)).to_numpy())


@pytest.mark.once
def test_coverage_smoke_for_misaligned_teams_fails_on_a_narrow_interval():
    # 120 organisations of 15 + 15 with a quarter-SD gap on every dimension (true index about
    # 90, where the old bootstrap intervals fell short): the 95 % interval covers the truth
    # about 95 % of the time. The same organisations' 80 % intervals, 0.75 times as wide, miss
    # it about one time in five, so a too-narrow 95 % interval fails the first bound.
    truth = _true_index(0.25)
    assert 85 < truth < 95
    wide, narrow = [], []
    for seed in range(120):
        result = analysis.alignment_estimate(
            *_aligned_teams(seed, 15, 15, 6, shift=0.25), replicates=200, seed=seed
        )
        wide.append(result.ci_low <= truth <= result.ci_high)
        low, high = result.interval(0.8)
        narrow.append(low <= truth <= high)
    assert 0.9 <= np.mean(wide) <= 0.99
    assert np.mean(narrow) < 0.88


@pytest.mark.once
def test_the_estimate_is_median_unbiased_for_aligned_teams():
    # Truly aligned pairs: about half read exactly 100 and the rest lie below it (the index
    # cannot exceed 100), so the truth is the estimate's median (up to the simulation's noise).
    # The positive-part statistic reaches 100 far less often.
    results = [
        analysis.alignment_estimate(*_aligned_teams(seed, 15, 15, 6), replicates=200, seed=seed)
        for seed in range(80)
    ]
    at_top = np.mean([r.alignment == 100 for r in results])
    assert 0.36 <= at_top <= 0.64
    assert np.mean([r.positive_part == 100 for r in results]) < at_top - 0.15
    assert all(r.ci_low <= r.alignment <= r.ci_high for r in results)


def test_median_unbiased_point_is_where_the_tails_balance():
    from analysis.alignment import _median_unbiased_point

    grid = np.linspace(100, 80, 21)
    below = np.linspace(0.1, 0.9, 21)
    # The two tail probabilities are equal at the 11th candidate (index 90).
    assert _median_unbiased_point(grid, 1 - below, below) == pytest.approx(90.0)
    # Already above the median under complete alignment: the point is 100.
    assert _median_unbiased_point(grid, below - 0.2, 1.2 - below) == 100.0
    # Never balanced on the grid: its lowest candidate.
    assert _median_unbiased_point(grid, np.ones(21), np.zeros(21)) == 80.0


def test_inverted_interval_spends_all_of_alpha_on_one_tail_near_complete_alignment():
    from analysis.alignment import _inverted_interval

    grid = np.linspace(100, 80, 21)
    above = np.linspace(1.0, 0.0, 21)  # P(estimate >= observed) falls as the candidate falls
    below = np.full(21, 0.04)  # P(estimate <= observed): between alpha / 2 and alpha everywhere
    # Where the estimate reaches 100 often (atom above alpha / 2) the lower-tail test works at
    # alpha and rejects these candidates; elsewhere it works at alpha / 2 and keeps them.
    atom = np.where(grid > 95, 0.5, 0.0)
    low, high = _inverted_interval(90.0, grid, above, below, atom, 0.95)
    assert high == pytest.approx(95.0, abs=1.0)
    assert low < 90
    low, high = _inverted_interval(90.0, grid, above, below, np.zeros(21), 0.95)
    assert high == 100


def test_interval_narrows_with_the_level_and_is_reproducible():
    a, b = _aligned_teams(4, n_a=25, n_b=25, shift=0.4)
    result = analysis.alignment_estimate(a, b, replicates=400, seed=9)
    again = analysis.alignment_estimate(a, b, replicates=400, seed=9)
    assert (result.ci_low, result.ci_high) == (again.ci_low, again.ci_high)
    wide, narrow = result.interval(0.99), result.interval(0.8)
    assert wide[0] <= result.ci_low <= narrow[0] <= result.alignment <= narrow[1] <= result.ci_high <= wide[1]


def _pickled_without(estimate, field):
    """``estimate`` as a release pickled before ``field`` existed would load it."""
    import pickle

    state = dict(estimate.__dict__)
    del state[field]
    old = object.__new__(type(estimate))
    old.__setstate__(state)
    return pickle.loads(pickle.dumps(old))  # noqa: S301 (our own bytes)


def test_an_estimate_pickled_before_positive_part_existed_still_loads():
    rng = np.random.default_rng(3)
    columns = ["d1", "d2", "d3", "d4"]
    a = pd.DataFrame(rng.normal(size=(30, 4)), columns=columns)
    b = pd.DataFrame(rng.normal(size=(25, 4)), columns=columns)
    estimate = analysis.alignment_estimate(a, b, replicates=200, seed=1)
    loaded = _pickled_without(estimate, "positive_part")
    assert loaded.positive_part == estimate.alignment
    assert "positive_part" in repr(loaded)


def test_upper_tail_test_spends_nothing_at_complete_alignment():
    from analysis.alignment import _inverted_interval

    grid = np.linspace(100, 80, 21)
    above = np.linspace(1.0, 0.0, 21)
    below = np.full(21, 0.04)  # between alpha / 2 and alpha
    atom = np.zeros(21)  # the estimate never reaches 100 (many dimensions)
    share = np.clip((100 - grid) / 5, 0, 1)  # the upper test gets its alpha / 2 from 95 down
    # At 100 the lower-tail test works at alpha and rejects; from 95 down at alpha / 2 and keeps.
    low, high = _inverted_interval(90.0, grid, above, below, atom, 0.95, share)
    assert 95 <= high < 100
    # Splitting alpha equally everywhere keeps 100 (the rule before the ramp, 97.5 % for 100).
    assert _inverted_interval(90.0, grid, above, below, atom, 0.95)[1] == 100


def test_aligned_teams_with_many_dimensions_lose_100_when_the_lower_tail_is_below_alpha():
    # 12 dimensions: the positive-part index is almost never exactly 100, so the upper-tail
    # rule alone could not move alpha to the lower tail; the ramp at 100 does.
    checked = 0
    for seed in range(200):
        a, b = _aligned_teams(seed, n_a=20, n_b=40, dimensions=12)
        result = analysis.alignment_estimate(a, b, replicates=400, seed=seed)
        assert result.upper_share[0] == 0
        assert result.upper_share[-1] == 1
        if result.atom[0] < 0.025 and 0.025 < result.below[0] < 0.05:
            assert result.ci_high < 100
            checked += 1
            if checked == 2:
                break
    assert checked == 2


def _two_team_side(seed, gap):
    """A side pooling two teams ``gap`` SDs apart on every dimension, and a single team."""
    rng = np.random.default_rng(seed)
    columns = [f"d{k}" for k in range(6)]
    first = rng.normal(size=(20, 6))
    second = rng.normal(size=(20, 6)) + gap
    side = pd.DataFrame(np.vstack([first, second]), columns=columns)
    other = pd.DataFrame(rng.normal(size=(40, 6)) + gap / 2 + 0.4, columns=columns)
    return side, other, np.array(["North"] * 20 + ["South"] * 20)


def test_teams_pooled_by_a_side_are_strata():
    side, other, teams = _two_team_side(4, gap=1.5)
    simple = analysis.alignment_estimate(side, other, replicates=400, seed=2)
    strata = analysis.alignment_estimate(side, other, groups_a=teams, replicates=400, seed=2)
    # The teams' difference is part of the side, so its mean is known better than 1/n says:
    # less is subtracted from d^2 and the interval is narrower.
    assert strata.positive_part < simple.positive_part
    assert strata.ci_high - strata.ci_low < 0.9 * (simple.ci_high - simple.ci_low)
    assert strata.uncorrected == simple.uncorrected
    # One team a side is the simple case, exactly.
    one = analysis.alignment_estimate(
        side, other, groups_a=["All"] * 40, groups_b=["All"] * 40, replicates=400, seed=2
    )
    assert (one.alignment, one.ci_low, one.ci_high) == (simple.alignment, simple.ci_low, simple.ci_high)


@pytest.mark.parametrize(
    ("groups", "message"),
    [(["North"] * 39, r"groups_a must hold one team label per row \(40\); got 39"),
     (["North"] * 39 + [None], r"groups_a must label every row; 1 labels are missing")],
)  # fmt: skip
def test_team_labels_are_checked(groups, message):
    side, other, _ = _two_team_side(1, gap=0.5)
    with pytest.raises(ValueError, match=message):
        analysis.alignment_estimate(side, other, groups_a=groups, replicates=200, seed=1)


def test_an_estimate_pickled_before_the_ramp_existed_splits_alpha_equally():
    side, other, _ = _two_team_side(2, gap=0.0)
    estimate = analysis.alignment_estimate(side, other, replicates=200, seed=1)
    loaded = _pickled_without(estimate, "upper_share")
    assert np.all(loaded.upper_share == 1)
    from analysis.alignment import _inverted_interval

    expected = _inverted_interval(
        loaded.alignment, loaded.candidates, loaded.above, loaded.below, loaded.atom, 0.9
    )
    assert loaded.interval(0.9) == expected

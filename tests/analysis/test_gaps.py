"""Gap indices, pairwise team gaps, meta-perception gaps and trends.

Reference values: tests/analysis/reference/agreement_gaps.R -> agreement_gaps.json
(R's t.test for Welch and paired tests; d, g, J and the CI of g from their formulas).
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
from instruments.model import Dimension, Instrument, Item, Scale, ScalePoint

REFERENCE = Path(__file__).parent / "reference"
TOLERANCE = 1e-4
GAP_FIELDS = (
    "n_a",
    "n_b",
    "mean_a",
    "mean_b",
    "difference",
    "d",
    "g",
    "g_ci_low",
    "g_ci_high",
    "t",
    "df",
    "p",
)
BFI_ITEMS = [f"{trait}{i}" for trait in "ACENO" for i in range(1, 6)]


@pytest.fixture(scope="module")
def expected():
    return json.loads((REFERENCE / "agreement_gaps.json").read_text())


@pytest.fixture(scope="module")
def bfi():
    return pd.read_csv(REFERENCE / "data" / "bfi_gap.csv")


def assert_gap_matches(result, reference: dict) -> None:
    for name in GAP_FIELDS:
        assert getattr(result, name) == pytest.approx(reference[name], abs=TOLERANCE), name


@pytest.mark.parametrize("item", BFI_ITEMS)
def test_gap_matches_r_on_bfi_by_gender(bfi, expected, item):
    men, women = bfi.loc[bfi["gender"] == 1, item], bfi.loc[bfi["gender"] == 2, item]
    assert_gap_matches(analysis.gap(men, women), expected["gap"][item])


def test_gap_in_small_unequal_samples(bfi, expected):
    reference = expected["gap_small"]
    men = bfi.loc[bfi["gender"] == 1, "A1"].head(4)
    women = bfi.loc[bfi["gender"] == 2, "A1"].head(9)
    result = analysis.gap(men, women)
    assert_gap_matches(result, reference)
    # With 11 degrees of freedom the correction is far from 1.
    assert result.g / result.d == pytest.approx(reference["J"], abs=1e-12)


def test_gap_by_hand():
    # a: mean 2, var 1; b: mean 4, var 1; pooled SD 1 -> d = -2.
    result = analysis.gap([1, 2, 3], [3, 4, 5, np.nan])
    assert (result.n_a, result.n_b) == (3, 3)
    assert result.difference == -2.0
    assert result.d == pytest.approx(-2.0)
    J = math.gamma(2) / (math.sqrt(2) * math.gamma(1.5))
    assert result.g == pytest.approx(J * -2.0)
    assert result.t == pytest.approx(-2 / math.sqrt(2 / 3))
    assert result.df == pytest.approx(4.0)


def test_gap_is_a_frozen_dataclass_with_the_documented_fields():
    result = analysis.gap([1, 2, 3], [2, 3, 5])
    assert tuple(field.name for field in dataclasses.fields(result)) == GAP_FIELDS
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.d = 0.0


def test_gap_without_variance_or_data_is_nan_not_an_error():
    constant = analysis.gap([3, 3, 3], [3, 3])
    assert constant.difference == 0.0
    assert math.isnan(constant.d)
    assert math.isnan(constant.t)
    assert math.isnan(constant.p)
    single = analysis.gap([1.0], [1.0, 2.0, 3.0])
    assert single.n_a == 1
    assert math.isnan(single.t)


def test_gap_is_antisymmetric():
    a, b = [1, 2, 2, 4, 5], [2, 3, 3, 4]
    forward, backward = analysis.gap(a, b), analysis.gap(b, a)
    assert forward.g == pytest.approx(-backward.g)
    assert forward.g_ci_low == pytest.approx(-backward.g_ci_high)
    assert forward.p == pytest.approx(backward.p)


def test_perception_gaps_equal_gap_for_every_pair_and_dimension():
    rng = np.random.default_rng(7)
    scores = pd.DataFrame(rng.normal(3, 1, size=(120, 3)), columns=["trust", "goals", "handover"])
    scores.iloc[::11, 1] = np.nan
    teams = pd.Series(rng.choice(["north", "south", "east", "west"], size=120))
    table = analysis.perception_gaps(scores, teams)
    assert list(table.columns) == ["team_a", "team_b", "dimension", *GAP_FIELDS]
    assert len(table) == 6 * 3
    for row in table.itertuples(index=False):
        single = analysis.gap(
            scores.loc[teams == row.team_a, row.dimension], scores.loc[teams == row.team_b, row.dimension]
        )
        for name in GAP_FIELDS:
            assert getattr(row, name) == pytest.approx(getattr(single, name), rel=1e-10, abs=1e-12)


def test_perception_gaps_match_r_through_the_bfi_split(bfi, expected):
    table = analysis.perception_gaps(bfi[BFI_ITEMS], bfi["gender"])
    assert (table["team_a"] == 1).all()
    assert (table["team_b"] == 2).all()
    for row in table.itertuples(index=False):
        reference = expected["gap"][row.dimension]
        for name in GAP_FIELDS:
            assert getattr(row, name) == pytest.approx(reference[name], abs=TOLERANCE)


def test_perception_gaps_pairs_and_min_n():
    scores = pd.DataFrame({"trust": [1, 2, 3, 4, 5, 6, 7, 8.0], "goals": [2, 2, 3, 3, 4, 4, 5, np.nan]})
    teams = ["a", "a", "a", "b", "b", "b", "c", "c"]
    chosen = analysis.perception_gaps(scores, teams, pairs=[("c", "a")], dimensions=["trust"])
    assert chosen[["team_a", "team_b", "dimension"]].values.tolist() == [["c", "a", "trust"]]
    assert chosen["difference"].iloc[0] == pytest.approx(7.5 - 2.0)
    # Team c has two trust scores but one goals score: with min_n=2 its goals pairs go.
    table = analysis.perception_gaps(scores, teams, min_n=2)
    assert len(table) == 3 * 2 - 2
    assert not ((table["dimension"] == "goals") & (table["team_b"] == "c")).any()
    assert len(analysis.perception_gaps(scores, teams, min_n=3)) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pairs": [("a", "zzz")]}, "teams that have no respondents: zzz"),
        ({"pairs": ["a"]}, "pairs must be a sequence"),
        ({"dimensions": ["nope"]}, "dimensions must be columns of scores"),
        ({"min_n": 0}, "min_n must be at least 1"),
    ],
)
def test_perception_gaps_checks_arguments(kwargs, message):
    scores = pd.DataFrame({"trust": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(ValueError, match=message):
        analysis.perception_gaps(scores, ["a", "a", "b", "b"], **kwargs)


def test_infinite_scores_are_refused():
    with pytest.raises(ValueError, match=r"a must be finite .*infinite at index \[1\]"):
        analysis.gap([1.0, np.inf, 3.0], [1.0, 2.0, 4.0])
    with pytest.raises(ValueError, match=r"b must be finite"):
        analysis.gap([1.0, 2.0, 3.0], pd.Series([1.0, -np.inf, 4.0]))
    scores = pd.DataFrame({"trust": [1.0, 2.0, 3.0, 4.0], "goals": [1.0, np.inf, 3.0, 4.0]})
    with pytest.raises(ValueError, match=r"scores must be finite .*infinite in \['goals'\]"):
        analysis.perception_gaps(scores, ["a", "a", "b", "b"])


def test_perception_gaps_with_team_labels_mixing_numbers_and_text():
    scores = pd.DataFrame({"trust": [1.0, 2.0, 3.0, 5.0, 4.0, 4.5]})
    table = analysis.perception_gaps(scores, [1, 1, "b", "b", 2, 2])
    assert list(zip(table["team_a"], table["team_b"], strict=True)) == [(1, 2), (1, "b"), (2, "b")]
    assert table["g"].iloc[1] == pytest.approx(analysis.gap([1.0, 2.0], [3.0, 5.0]).g)


def test_perception_gaps_for_200_teams_has_every_pair():
    # Its speed is measured in benchmarks/analysis.py, not here.
    rng = np.random.default_rng(3)
    scores = pd.DataFrame(rng.normal(size=(20_000, 11)), columns=[f"dim{i}" for i in range(11)])
    teams = pd.Series(rng.integers(0, 200, size=20_000))
    table = analysis.perception_gaps(scores, teams)
    assert len(table) == 19_900 * 11
    assert not table.duplicated(["team_a", "team_b", "dimension"]).any()


# ---- meta-perception ---------------------------------------------------------------


def _item(item_id, dimension, target, perspective="own", mirrors=None, audience=(), reverse=False):
    return Item(
        id=item_id,
        text={"en": f"Statement {item_id}"},
        dimension=dimension,
        scale="agree5",
        reverse=reverse,
        target=target,
        perspective=perspective,
        mirrors=mirrors,
        audience=audience,
    )


@pytest.fixture
def perception_instrument():
    scale = Scale(
        id="agree5",
        min=1,
        max=5,
        points=tuple(ScalePoint(value=v, labels={"en": str(v)}) for v in range(1, 6)),
    )
    items = (
        _item("mk_leads", "lead_quality", "marketing"),
        _item("mk_waste", "lead_quality", "marketing", reverse=True),
        _item("mk_leads_meta", "lead_quality_meta", "marketing", "meta", "mk_leads", ("marketing",)),
        _item(
            "mk_waste_meta",
            "lead_quality_meta",
            "marketing",
            "meta",
            "mk_waste",
            ("marketing",),
            reverse=True,
        ),
        _item("sa_follow", "follow_up", "sales"),
        _item("sa_follow_meta", "follow_up_meta", "sales", "meta", "sa_follow", ("sales",)),
        _item("sys_plan", "shared_plan", "system"),
    )
    dimensions = tuple(
        Dimension(
            id=dimension_id,
            name={"en": dimension_id},
            description={"en": ""},
            item_ids=tuple(i.id for i in items if i.dimension == dimension_id),
            min_valid=1,
        )
        for dimension_id in dict.fromkeys(i.dimension for i in items)
    )
    return Instrument(
        id="perception-test",
        version="1",
        title={"en": "Perception test"},
        introduction={"en": ""},
        estimated_minutes=5,
        citation="",
        licence="CC0",
        languages=("en",),
        scales={"agree5": scale},
        dimensions=dimensions,
        items=items,
    )


@pytest.fixture
def perception_responses():
    nan = np.nan
    # Two marketing teams (m1, m2), one sales team (s1), one "other" team (o1).
    rows = {
        #          mk_leads mk_waste mk_leads_meta mk_waste_meta sa_follow sa_follow_meta sys_plan
        "m1": [[5, 1, 3, 3, 2, nan, 4], [4, 2, 2, 4, 3, nan, 4], [5, 1, 3, nan, 2, nan, 3]],
        "m2": [[4, 1, 2, 4, 3, nan, 5], [5, 2, 3, 3, nan, nan, 4]],
        "s1": [
            [2, 4, nan, nan, 4, 3, 2],
            [3, 3, nan, nan, 5, 3, 2],
            [1, 5, nan, nan, 4, 2, 3],
            [2, 3, nan, nan, 5, 4, 1],
        ],
        "o1": [[1, 5, nan, nan, 1, nan, 1], [1, 5, nan, nan, 1, nan, 1]],
    }
    columns = [
        "mk_leads",
        "mk_waste",
        "mk_leads_meta",
        "mk_waste_meta",
        "sa_follow",
        "sa_follow_meta",
        "sys_plan",
    ]
    frame = pd.DataFrame([row for team in rows.values() for row in team], columns=columns)
    teams = pd.Series([team for team, team_rows in rows.items() for _ in team_rows], name="team")
    return frame, teams


TEAM_FUNCTIONS = {"m1": "marketing", "m2": "marketing", "s1": "sales", "o1": "other"}


def test_meta_perception_gaps_table(perception_instrument, perception_responses):
    responses, teams = perception_responses
    table = analysis.meta_perception_gaps(responses, teams, perception_instrument, TEAM_FUNCTIONS)
    assert list(table.columns[:8]) == [
        "target", "dimension", "comparison", "rating_a", "rating_b", "rated_by_a", "rated_by_b", "n_items",
    ]  # fmt: skip
    assert list(table.columns[8:]) == list(GAP_FIELDS)
    keys = table[["target", "dimension", "comparison"]].values.tolist()
    assert keys == [
        ["marketing", "lead_quality", "perception"],
        ["marketing", "lead_quality", "meta_accuracy"],
        ["sales", "follow_up", "perception"],
        ["sales", "follow_up", "meta_accuracy"],
    ]
    assert table["n_items"].tolist() == [2, 2, 1, 1]


def test_meta_perception_gaps_values(perception_instrument, perception_responses):
    responses, teams = perception_responses
    table = analysis.meta_perception_gaps(responses, teams, perception_instrument, TEAM_FUNCTIONS).set_index(
        ["target", "comparison"]
    )
    # Marketing about itself, mk_waste reversed (6 - x): means of (5, 5), (4, 4), (5, 5), (4, 5), (5, 4).
    self_marketing = [5.0, 4.0, 5.0, 4.5, 4.5]
    # Sales about marketing: (2, 2), (3, 3), (1, 1), (2, 3); the "other" team is ignored.
    other_marketing = [2.0, 3.0, 1.0, 2.5]
    # Marketing's expectation: (3, 3), (2, 2), (3, -) -> 3, (2, 2), (3, 3).
    expected_marketing = [3.0, 2.0, 3.0, 2.0, 3.0]
    perception = table.loc[("marketing", "perception")]
    reference = analysis.gap(self_marketing, other_marketing)
    for name in GAP_FIELDS:
        assert perception[name] == pytest.approx(getattr(reference, name), nan_ok=True)
    assert perception["difference"] == pytest.approx(4.6 - 2.125)
    accuracy = table.loc[("marketing", "meta_accuracy")]
    assert accuracy["mean_a"] == pytest.approx(np.mean(expected_marketing))
    assert accuracy["difference"] == pytest.approx(2.6 - 2.125)
    # Sales about itself (4, 5, 4, 5) vs marketing about sales (2, 3, 2, 3); one marketing nan.
    sales = table.loc[("sales", "perception")]
    assert (sales["n_a"], sales["n_b"]) == (4, 4)
    assert sales["difference"] == pytest.approx(4.5 - 2.5)
    assert table.loc[("sales", "meta_accuracy"), "mean_a"] == pytest.approx(3.0)


def test_meta_perception_gaps_needs_a_function_for_every_team(perception_instrument, perception_responses):
    responses, teams = perception_responses
    with pytest.raises(ValueError, match="no function for teams: o1"):
        analysis.meta_perception_gaps(
            responses, teams, perception_instrument, {"m1": "marketing", "m2": "marketing", "s1": "sales"}
        )


def test_meta_perception_gaps_accepts_a_series_of_functions(perception_instrument, perception_responses):
    responses, teams = perception_responses
    from_dict = analysis.meta_perception_gaps(responses, teams, perception_instrument, TEAM_FUNCTIONS)
    from_series = analysis.meta_perception_gaps(
        responses, teams, perception_instrument, pd.Series(TEAM_FUNCTIONS)
    )
    pd.testing.assert_frame_equal(from_dict, from_series)


# ---- trend -------------------------------------------------------------------------


def test_trend_between_independent_waves_matches_welch(bfi, expected):
    reference = expected["trend_independent"]
    # The R script's "waves": women's A2 first, men's A2 later.
    result = analysis.trend(bfi.loc[bfi["gender"] == 2, "A2"], bfi.loc[bfi["gender"] == 1, "A2"])
    assert result.paired is False
    assert (result.n_earlier, result.n_later) == (reference["n_b"], reference["n_a"])
    assert result.change == pytest.approx(reference["difference"], abs=TOLERANCE)
    assert result.ci_low == pytest.approx(reference["ci_low"], abs=TOLERANCE)
    assert result.ci_high == pytest.approx(reference["ci_high"], abs=TOLERANCE)
    assert result.t == pytest.approx(reference["t"], abs=TOLERANCE)
    assert result.df == pytest.approx(reference["df"], abs=TOLERANCE)
    assert result.p == pytest.approx(reference["p"], abs=TOLERANCE)
    assert result.g == pytest.approx(reference["g"], abs=TOLERANCE)
    assert math.isnan(result.d_z)


def test_trend_with_paired_respondents_matches_paired_t_test(bfi, expected):
    reference = expected["trend_paired"]
    result = analysis.trend(bfi["A4"], bfi["A5"], paired=True)
    assert result.paired is True
    assert result.n_earlier == result.n_later == reference["n_pairs"]
    assert result.mean_earlier == pytest.approx(reference["mean_earlier"], abs=TOLERANCE)
    assert result.change == pytest.approx(reference["change"], abs=TOLERANCE)
    assert result.ci_low == pytest.approx(reference["ci_low"], abs=TOLERANCE)
    assert result.ci_high == pytest.approx(reference["ci_high"], abs=TOLERANCE)
    assert result.t == pytest.approx(reference["t"], abs=TOLERANCE)
    assert result.df == reference["df"]
    assert result.p == pytest.approx(reference["p"], abs=1e-8)
    assert result.d_z == pytest.approx(reference["d_z"], abs=TOLERANCE)


def test_paired_trend_matches_respondents_by_id():
    earlier = pd.Series([1.0, 2.0, 3.0, 4.0], index=["ann", "bob", "cy", "dee"])
    later = pd.Series([3.0, 2.5, 4.0, np.nan], index=["cy", "bob", "ann", "dee"])
    result = analysis.trend(earlier, later, paired=True)
    # Pairs: ann 1 -> 4, bob 2 -> 2.5, cy 3 -> 3; dee has no later score.
    assert result.n_later == 3
    assert result.change == pytest.approx((3 + 0.5 + 0) / 3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"paired": "yes"}, "paired must be True or False"), ({"confidence": 95}, "confidence must lie")],
)
def test_trend_checks_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        analysis.trend([1.0, 2.0], [2.0, 3.0], **kwargs)

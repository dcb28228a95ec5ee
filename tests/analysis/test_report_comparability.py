"""The report's comparability table: sales and marketing, pooled from shown teams, per dimension."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import analysis
import instruments
from analysis.report import COMPARABILITY_PER_ITEM, organization_report, published_groups

TEAMS = pd.DataFrame(
    {
        "name": ["Sales North", "Sales South", "Brand", "Demand", "Tiny"],
        "function": ["sales", "sales", "marketing", "marketing", "marketing"],
        "parent": [None] * 5,
    },
    index=["S1", "S2", "M1", "M2", "M3"],
)
#: strategy's third statement: marketing answers it one point higher at the same trait level.
PLANTED_ITEM = "st_3"


def _wave(n_per_team, seed=11, plant=True) -> pd.DataFrame:
    alignment = instruments.load("alignment")
    functions = TEAMS["function"].to_dict()
    sizes = {team: n_per_team for team in functions} | {"M3": 3}
    data = analysis.simulate(alignment, functions, sizes, seed=seed, careless_rate=0.0)
    if plant:
        marketing = data["function"] == "marketing"
        data.loc[marketing, PLANTED_ITEM] = np.minimum(data.loc[marketing, PLANTED_ITEM] + 1, 5)
    return data.drop(columns=["function", "careless", "careless_type"])


@pytest.fixture(scope="module")
def alignment():
    return instruments.load("alignment")


@pytest.fixture(scope="module")
def planted(alignment):
    return organization_report(_wave(110), TEAMS, alignment, threshold=5)


def test_a_planted_item_makes_its_dimension_partly_or_not_comparable(planted, alignment):
    table = planted.comparability
    assert list(table.index) == [d.id for d in alignment.dimensions]
    assert table.loc["strategy", "status"] in {"partial", "not comparable"}
    assert PLANTED_ITEM in table.loc["strategy", "items"]
    # the other dimensions were simulated alike in both functions
    others = table.drop(index="strategy")
    assert (others["status"] == "comparable").mean() >= 0.8
    assert set(table["instrument"]) == {"alignment"}
    assert (table["n_min"] >= COMPARABILITY_PER_ITEM * table["n_items"]).all()


def test_the_table_uses_only_the_published_function_groups(alignment):
    # M3 (3 people) is below the threshold and M1 is hidden with it (complementary): the
    # table is comparability on the function groups the report already publishes, no other.
    responses = _wave(60, seed=4)
    report = organization_report(responses, TEAMS, alignment, threshold=5)
    groups = published_groups(responses, TEAMS, alignment, threshold=5)
    members = sorted(groups["function:sales"] | groups["function:marketing"])
    assert not set(responses.index[responses["team"].isin(["M1", "M3"])]) & set(members)
    rows = responses.loc[members]
    rows = rows.assign(f=rows["team"].map(TEAMS["function"]))
    direct = analysis.comparability(rows, alignment, "f", per_item=COMPARABILITY_PER_ITEM)
    pd.testing.assert_frame_equal(
        report.comparability[["status", "items", "reason", "scalar_pvalue"]],
        direct[["status", "items", "reason", "scalar_pvalue"]].astype({"scalar_pvalue": float}),
        check_dtype=False,
    )


def test_gap_recommendations_carry_the_status(planted):
    status = planted.comparability["status"].to_dict()
    gaps = [r for r in planted.recommendations if r.basis == "gap"]
    assert all(r.comparability == status[r.dimension] for r in gaps)
    assert all(r.comparability == "" for r in planted.recommendations if r.basis == "level")


def test_small_groups_are_not_tested_never_an_error(alignment):
    # 8 per team: 16 per function, fewer than 5 x 4 items of complete answers
    report = organization_report(_wave(8, plant=False), TEAMS, alignment, threshold=5)
    table = report.comparability
    assert set(table["status"]) == {"not tested"}
    assert set(table["reason"]) == {"too_few_respondents"}
    # a function below the threshold: nothing is fitted and no count is shown
    tiny = TEAMS.assign(parent=None)
    responses = _wave(8, plant=False)
    responses = responses[~responses["team"].isin(["M1", "M2"])]
    below = organization_report(responses, tiny, alignment, threshold=5)
    assert below.comparability.empty or below.comparability["n_min"].isna().all()


def test_without_sales_or_marketing_there_is_no_table(alignment):
    teams = TEAMS.assign(function="other")
    report = organization_report(_wave(10, plant=False), teams, alignment, threshold=5)
    assert report.comparability.empty


def test_invariance_false_leaves_the_table_empty(alignment):
    report = organization_report(_wave(10, plant=False), TEAMS, alignment, threshold=5, invariance=False)
    assert report.comparability.empty
    with pytest.raises(ValueError, match="invariance"):
        organization_report(_wave(10, plant=False), TEAMS, alignment, threshold=5, invariance="yes")

"""Cuts by roster attributes: threshold, too many values, and no subtraction reaching a small group."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import analysis
import instruments
from analysis.cuts import (
    BELOW_THRESHOLD,
    COMPLEMENTARY,
    UNCHECKABLE,
    cut_label,
    cut_results,
    parse_cut_label,
    report_cuts,
)
from analysis.differencing import disclosures


def frame(values: dict) -> pd.DataFrame:
    """Scores 1..n of one dimension and the attribute columns given as lists."""
    n = len(next(iter(values.values())))
    return pd.DataFrame({"d": np.arange(1.0, n + 1)}), pd.DataFrame(values)


def decisions(result) -> dict:
    return {(r.value, r.function): (r.shown, r.reason) for r in result.cells.itertuples()}


def attack(groups: dict, threshold: int) -> list:
    """Sums and differences of up to three groups (weights +-1) that isolate 1..threshold-1 people."""
    labels = list(groups)
    people = sorted({m for g in groups.values() for m in g})
    matrix = np.array([[m in groups[label] for m in people] for label in labels], dtype=int)
    found = []
    for size in (1, 2, 3):
        for chosen in itertools.combinations(range(len(labels)), size):
            for signs in itertools.product((1, -1), repeat=size - 1):
                total = matrix[chosen[0]] + sum(s * matrix[c] for s, c in zip(signs, chosen[1:], strict=True))
                nonzero = total[total != 0]
                if len(nonzero) and len(set(nonzero.tolist())) == 1 and abs(nonzero[0]) == 1:
                    if len(nonzero) < threshold:
                        found.append([labels[c] for c in chosen])
    return found


def test_values_below_the_threshold_are_hidden_and_the_next_smallest_with_them():
    scores, attributes = frame({"region": ["N"] * 7 + ["S"] * 6 + ["E"] * 5 + ["W"] * 2})
    result = cut_results(scores, attributes, threshold=5)
    assert decisions(result) == {
        ("E", "all"): (False, COMPLEMENTARY),
        ("N", "all"): (True, None),
        ("S", "all"): (True, None),
        ("W", "all"): (False, BELOW_THRESHOLD),
    }
    means = result.means.set_index("value")
    assert means.loc["N", "mean"] == pytest.approx(4.0)  # mean of 1..7
    assert means.loc["S", "n"] == 6
    assert set(result.groups) == {cut_label("region", "N"), cut_label("region", "S")}


def test_a_value_confined_to_one_team_is_hidden_when_the_team_minus_it_is_small():
    # Team A is Lyon (6) plus two Paris people: A - Lyon would give those two away.
    scores, attributes = frame({"city": ["Lyon"] * 6 + ["Paris"] * 2 + ["Paris"] * 9})
    teams = {"team A": set(range(8)), "team B": set(range(8, 17))}
    result = cut_results(scores, attributes, threshold=5, published=teams)
    assert decisions(result)[("Lyon", "all")] == (False, COMPLEMENTARY)
    assert attack({**teams, "org": set(range(17)), **result.groups}, 5) == []
    naive = cut_results(scores, attributes, threshold=5)  # the same cells without knowing the teams
    assert attack({**teams, "org": set(range(17)), **naive.groups}, 5)


def test_two_attributes_cannot_be_subtracted_from_each_other_to_isolate_anyone():
    # Every senior is in the North except two: North - senior = the two juniors of the North... and so on.
    region = ["N"] * 8 + ["S"] * 8
    level = ["senior"] * 6 + ["junior"] * 2 + ["senior"] * 2 + ["junior"] * 6
    scores, attributes = frame({"region": region, "level": level})
    result = cut_results(scores, attributes, threshold=5)
    groups = {"org": set(range(16)), **result.groups}
    assert attack(groups, 5) == []
    assert disclosures(groups, 5).safe


def test_within_function_cells_are_protected_with_the_whole_organisation_cells():
    # North: 4 sales and 2 marketing; South: 6 sales and 5 marketing; both functions are published.
    region = ["N"] * 6 + ["S"] * 11
    functions = pd.Series(["sales"] * 4 + ["marketing"] * 2 + ["sales"] * 6 + ["marketing"] * 5)
    scores, attributes = frame({"region": region})
    pooled = {f"function:{f}": set(functions.index[functions == f]) for f in ("sales", "marketing")}
    result = cut_results(scores, attributes, threshold=5, functions=functions, published=pooled)
    found = decisions(result)
    assert found[("N", "marketing")] == (False, BELOW_THRESHOLD)
    # Marketing minus South-in-marketing would be the two North marketers.
    assert found[("S", "marketing")] == (False, COMPLEMENTARY)
    # Sales minus South-in-sales would be the four North sellers: hidden too.
    assert found[("S", "sales")] == (False, COMPLEMENTARY)
    assert found[("N", "all")][0]
    assert found[("S", "all")][0]
    assert attack({"org": set(range(17)), **pooled, **result.groups}, 5) == []


def test_earlier_releases_count_a_value_that_grew_by_two_is_hidden():
    scores, attributes = frame({"region": ["N"] * 8 + ["S"] * 10})
    earlier = {
        ("release 1", "region N"): set(range(6)),
        ("release 1", "org"): set(range(6)) | set(range(8, 13)),
    }
    result = cut_results(scores, attributes, threshold=5, published=earlier)
    assert not decisions(result)[("N", "all")][0]
    assert attack({**earlier, "org": set(range(18)), **result.groups}, 5) == []


def test_an_attribute_with_too_many_values_is_refused_whole():
    scores, attributes = frame({"tenure_days": [str(d) for d in range(40)], "region": ["N", "S"] * 20})
    result = cut_results(scores, attributes, threshold=5)
    assert dict(result.refused) == {"tenure_days": 40}
    assert set(result.cells["attribute"]) == {"region"}


def test_missing_values_are_a_cell_of_their_own_and_hostile_text_stays_text():
    hostile = '<script>alert("x")</script>'
    scores, attributes = frame({"team": [hostile] * 6 + [None] * 3 + ["  "] * 3 + ["=cmd|' /C calc'!A0"] * 6})
    result = cut_results(scores, attributes, threshold=5)
    found = decisions(result)
    assert found[(hostile, "all")] == (True, None)
    assert (None, "all") in found  # six people with no value (blank counts as none)
    assert parse_cut_label(cut_label("team", hostile)) == ("team", hostile, "all")


def test_an_organisation_below_the_threshold_shows_no_cut():
    scores, attributes = frame({"region": ["N"] * 4})
    result = cut_results(scores, attributes, threshold=5)
    assert not result.cells["shown"].any()
    assert result.means.empty


def test_a_search_too_large_to_finish_drops_the_last_attribute():
    rng = np.random.default_rng(1)
    n = 60
    values = {f"a{i}": rng.choice(list("pqrst"), n).tolist() for i in range(3)}
    scores, attributes = frame(values)
    result = cut_results(scores, attributes, threshold=5, limit=50)
    reasons = result.cells.groupby("attribute")["reason"].apply(lambda r: set(r.dropna()))
    assert UNCHECKABLE in reasons["a2"]
    assert disclosures({"org": set(range(n)), **result.groups}, 5, limit=50).safe


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3), st.integers(0, 2)), min_size=5, max_size=40),
    st.booleans(),
)
def test_no_combination_of_teams_and_cuts_isolates_a_small_group(people, by_function):
    teams = [t for t, _, _ in people]
    scores = pd.DataFrame({"d": np.arange(float(len(people)))})
    attributes = pd.DataFrame(
        {"region": [f"r{r}" for _, r, _ in people], "level": [f"l{lv}" for *_, lv in people]}
    )
    functions = pd.Series(["sales" if t < 2 else "marketing" for t in teams]) if by_function else None
    decision = analysis.suppression(pd.Series(teams).value_counts().to_dict(), 5)
    published = {
        f"team {team}": {i for i, t in enumerate(teams) if t == team}
        for team in range(3)
        if team in decision.shown
    }
    result = cut_results(scores, attributes, threshold=5, functions=functions, published=published)
    groups = {**published, "org": set(range(len(people))), **result.groups}
    assert disclosures(groups, 5).safe
    assert attack(groups, 5) == []


def test_report_cuts_reads_the_analysed_respondents_of_a_report():
    instrument = instruments.load("alignment")
    responses = analysis.simulate(instrument, {"s": "sales", "m": "marketing"}, 12, seed=3,
                                  missing_rate=0.0, careless_rate=0.0)  # fmt: skip
    teams = pd.DataFrame({"name": ["S", "M"], "function": ["sales", "marketing"], "parent": [np.nan, np.nan]},
                         index=["s", "m"])  # fmt: skip
    attributes = pd.DataFrame({"region": ["N", "S"] * (len(responses) // 2)}, index=responses.index)
    result = report_cuts(responses, teams, instrument, attributes, threshold=5, by_function=True)
    assert result.by_function
    assert set(result.means["dimension"]) <= set(analysis.score(responses, instrument).columns)
    assert result.cells["shown"].any()


def test_bad_arguments_name_themselves():
    scores, attributes = frame({"region": ["N"] * 6})
    with pytest.raises(ValueError, match="threshold"):
        cut_results(scores, attributes, threshold=0)
    with pytest.raises(ValueError, match="attributes"):
        cut_results(scores, "region", threshold=5)
    with pytest.raises(ValueError, match="attributes has respondents"):
        cut_results(scores, attributes.set_axis(range(10, 16)), threshold=5)
    with pytest.raises(ValueError, match="label"):
        parse_cut_label("team:3")


def test_a_small_run_of_the_benchmark_is_safe_and_shows_something():
    """benchmarks/cuts.py at a small size (its figures are in docs/PERFORMANCE.md)."""
    from benchmarks import cuts as benchmark

    result = benchmark.run(60, 2, 3, seed=0)  # checks the result with analysis.disclosures itself
    assert 0 < result["shown"] <= result["cells"]
    assert result["seconds"] < 10

"""Difference in differences from group summaries, against statsmodels' OLS on the answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import analysis
from analysis.effects import (
    Cell,
    did_power,
    difference_in_differences,
    linear_contrast,
    pool,
    team_shock_variance,
)
from benchmarks.actions import simulate


def _answers(seed: int, sizes=(7, 9, 11, 5, 6, 8), effect: float = 0.6) -> pd.DataFrame:
    """Six teams (the first two treated) answering in two waves, unequal sizes."""
    rng = np.random.default_rng(seed)
    rows = []
    for team, size in enumerate(sizes):
        level = rng.normal(3.2, 0.3)
        for after in (0, 1):
            shift = 0.25 * after + (effect * after if team < 2 else 0.0)
            for value in rng.normal(level + shift, 0.8, size + after):
                rows.append({"team": team, "after": after, "treated": int(team < 2), "y": value})
    return pd.DataFrame(rows)


def _summaries(frame: pd.DataFrame, treated: int, after: int) -> list[tuple[int, float, float]]:
    cell = frame[(frame["treated"] == treated) & (frame["after"] == after)]
    return [(len(g), g["y"].mean(), g["y"].std(ddof=1)) for _, g in cell.groupby("team")]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_equals_statsmodels_ols_with_an_interaction(seed):
    frame = _answers(seed)
    ours = difference_in_differences(
        _summaries(frame, 1, 0), _summaries(frame, 1, 1), _summaries(frame, 0, 0), _summaries(frame, 0, 1)
    )
    fit = smf.ols("y ~ after * treated", data=frame).fit()
    low, high = fit.conf_int(0.05).loc["after:treated"]
    assert ours.estimate == pytest.approx(fit.params["after:treated"], rel=1e-10)
    assert ours.se == pytest.approx(fit.bse["after:treated"], rel=1e-10)
    assert ours.p == pytest.approx(fit.pvalues["after:treated"], rel=1e-8)
    assert (ours.ci_low, ours.ci_high) == pytest.approx((low, high), rel=1e-10)
    assert ours.df == int(fit.df_resid)
    assert ours.n == len(frame)


def test_a_gap_contrast_equals_the_three_way_interaction():
    # A pair's gap (team 0 minus team 2) changing against the gap of the others (1 minus 3).
    frame = _answers(4, sizes=(6, 7, 8, 9, 5, 5))
    frame = frame[frame["team"] < 4].copy()
    frame["pair"] = (frame["team"].isin([0, 2])).astype(int)
    frame["side"] = (frame["team"].isin([0, 1])).astype(int)
    cells, weights = [], []
    for team, sign in ((0, 1), (2, -1), (1, -1), (3, 1)):
        for after in (0, 1):
            values = frame[(frame["team"] == team) & (frame["after"] == after)]["y"]
            cells.append((len(values), values.mean(), values.std(ddof=1)))
            weights.append(sign * (1 if after else -1))
    ours = linear_contrast(cells, weights)
    fit = smf.ols("y ~ after * pair * side", data=frame).fit()
    assert ours.estimate == pytest.approx(fit.params["after:pair:side"], rel=1e-9)
    assert ours.se == pytest.approx(fit.bse["after:pair:side"], rel=1e-9)


def test_pool_equals_the_union():
    rng = np.random.default_rng(5)
    parts = [rng.normal(size=n) for n in (3, 1, 8)]
    union = np.concatenate(parts)
    pooled = pool([(len(p), p.mean(), p.std(ddof=1) if len(p) > 1 else np.nan) for p in parts])
    assert pooled == Cell(12, pytest.approx(union.mean()), pytest.approx(union.std(ddof=1)))


def test_bad_input_names_the_argument():
    good = (10, 3.0, 1.0)
    with pytest.raises(ValueError, match="treated_after"):
        difference_in_differences(good, (0, 3.0, 1.0), good, good)
    with pytest.raises(ValueError, match="control_before"):
        difference_in_differences(good, good, "many", good)
    with pytest.raises(ValueError, match="weights"):
        linear_contrast([good, good], [0, 0])
    with pytest.raises(ValueError, match="level"):
        linear_contrast([good, good], [1, -1], level=1.5)
    with pytest.raises(ValueError, match="more respondents than cells"):
        linear_contrast([(1, 3.0, 0.0), (1, 2.0, 0.0)], [1, -1])
    with pytest.raises(ValueError, match="no variation"):
        linear_contrast([(3, 3.0, 0.0), (3, 2.0, 0.0)], [1, -1])
    with pytest.raises(ValueError, match="cells"):
        pool([])
    with pytest.raises(ValueError, match="n_control"):
        did_power(0.5, 10, 1)


def test_power_grows_with_respondents_and_effect():
    assert did_power(0.5, 10, 40) < did_power(0.5, 20, 40) < did_power(0.8, 20, 40)
    assert did_power(0.0, 10, 40) == pytest.approx(0.05, abs=1e-9)
    assert did_power(0.5, 10, 40, tests=3) < did_power(0.5, 10, 40)


def test_small_simulation_keeps_the_error_rate_and_matches_the_analytic_power():
    # The benchmark (benchmarks/actions.py) at the demo's sizes, with few organisations.
    plain = simulate(200, effect=1.0, estimate_shocks=False, seed=4)
    assert plain.rate == pytest.approx(plain.analytic, abs=0.1)
    # Teams' own shocks between the waves: ignored, they make chance changes look like effects;
    # estimated from the comparison teams (as the report does), the error rate stays near 5 %.
    ignored = simulate(200, effect=0.0, shock_sd=0.4, estimate_shocks=False, seed=3)
    estimated = simulate(200, effect=0.0, shock_sd=0.4, seed=3)
    assert estimated.changed < 0.10
    assert ignored.changed > estimated.changed


def test_exported_from_the_package():
    assert analysis.difference_in_differences is difference_in_differences


def test_team_shock_variance_finds_team_level_changes_and_none_without():
    rng = np.random.default_rng(8)
    levels = rng.normal(0, 0.3, 12)

    def summaries(shift):
        values = rng.normal((levels + shift)[:, None], 1.0, size=(12, 40))
        return [(40, row.mean(), row.std(ddof=1)) for row in values]

    steady = team_shock_variance(summaries(0.0), summaries(0.1))
    before, after = summaries(0.0), summaries(rng.normal(0, 0.5, 12))
    shocked = team_shock_variance(before, after)
    assert steady == pytest.approx(0.0, abs=0.02)
    # Equal team sizes: the estimate is the variance of the changes less their sampling variance.
    changes = np.array([b[1] - a[1] for a, b in zip(before, after, strict=True)])
    within = np.mean([c[2] ** 2 for c in before + after])
    assert shocked == pytest.approx(changes.var(ddof=1) - within * (2 / 40))
    assert shocked > 0.1
    assert team_shock_variance([(5, 1.0, 1.0)], [(5, 2.0, 1.0)]) == 0.0  # one team cannot show it
    with pytest.raises(ValueError, match="same teams"):
        team_shock_variance([(5, 1.0, 1.0)], [])
    wider = difference_in_differences(
        (10, 3.0, 1.0), (10, 4.0, 1.0), (30, 3.0, 1.0), (30, 3.2, 1.0), shock_variance=0.1
    )
    plain = difference_in_differences((10, 3.0, 1.0), (10, 4.0, 1.0), (30, 3.0, 1.0), (30, 3.2, 1.0))
    assert wider.estimate == plain.estimate
    assert wider.se == pytest.approx(np.sqrt(plain.se**2 + 0.1 * 2))

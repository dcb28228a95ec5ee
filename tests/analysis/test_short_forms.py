"""Planned-missing (shorter) forms: alpha from pairwise covariances, Spearman-Brown, scoring rules,
r_wg(j) with the items answered, and the report of a wave whose respondents each answered a part.

Reference values: tests/analysis/reference/planned_missing.R -> planned_missing.json (psych 2.2.9).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import analysis
import instruments
from analysis.reliability import spearman_brown
from analysis.scoring import design_min_valid

REFERENCE = Path(__file__).parent / "reference"
PLANNED = json.loads((REFERENCE / "planned_missing.json").read_text())
TOLERANCE = 1e-10


@pytest.fixture(scope="module")
def planned_answers() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "data" / "planned_missing.csv", na_values="NA").astype(float)


@pytest.mark.parametrize("scale", ["m", "a"])
def test_pairwise_alpha_matches_psych_when_nobody_answered_every_item(planned_answers, scale):
    reference = PLANNED[scale]
    items = planned_answers[reference["items"]]
    assert not items.notna().all(axis=1).any()  # no complete row: listwise alpha is impossible
    result = analysis.cronbach_alpha(items, missing="pairwise")
    assert result.alpha == pytest.approx(reference["raw_alpha"], abs=TOLERANCE)
    assert result.alpha == pytest.approx(reference["covariance_alpha"], abs=TOLERANCE)
    assert result.std_alpha == pytest.approx(reference["std_alpha"], abs=TOLERANCE)
    assert result.average_r == pytest.approx(reference["average_r"], abs=TOLERANCE)
    assert result.item_stats["r_drop"].to_numpy() == pytest.approx(reference["r_drop"], abs=TOLERANCE)
    assert result.item_stats["alpha_if_dropped"].to_numpy() == pytest.approx(
        reference["alpha_if_dropped"], abs=TOLERANCE
    )
    with pytest.raises(ValueError, match="complete rows"):
        analysis.cronbach_alpha(items, missing="listwise")


@pytest.mark.parametrize("scale", ["m", "a"])
def test_alpha_of_the_pairwise_correlation_matrix_matches_psych(planned_answers, scale):
    reference = PLANNED[scale]
    correlations = analysis.correlation_matrix(planned_answers[reference["items"]], missing="pairwise")
    k = correlations.shape[0]
    alpha = k / (k - 1) * (1 - k / correlations.to_numpy().sum())
    assert alpha == pytest.approx(reference["correlation_alpha"], abs=TOLERANCE)
    assert (
        int(analysis.pairwise_counts(planned_answers[reference["items"]]).to_numpy().min())
        == (reference["joint_min"])
    )


def test_spearman_brown():
    assert spearman_brown(0.8, 0.5) == pytest.approx(0.4 / 0.6)
    assert spearman_brown(0.6, 1) == pytest.approx(0.6)
    assert spearman_brown(0.0, 3) == 0.0
    short = spearman_brown(0.85, 2 / 6)
    assert spearman_brown(short, 3) == pytest.approx(0.85)  # and back to the full length
    for bad in (1.0, -0.1, float("nan"), "0.8", True):
        with pytest.raises(ValueError, match="reliability"):
            spearman_brown(bad, 0.5)
    for bad in (0, -1, float("inf"), None):
        with pytest.raises(ValueError, match="length_ratio"):
            spearman_brown(0.8, bad)


def test_spearman_brown_predicts_the_reliability_of_short_scores():
    """Parallel items: alpha of k answered items equals the full alpha shortened by k/n."""
    rng = np.random.default_rng(5)
    n, n_items, k = 20_000, 6, 2
    true = rng.normal(size=n)
    items = pd.DataFrame(true[:, None] + rng.normal(scale=1.2, size=(n, n_items)))
    full = analysis.cronbach_alpha(items).alpha
    short = analysis.cronbach_alpha(items.iloc[:, :k]).alpha
    assert spearman_brown(full, k / n_items) == pytest.approx(short, abs=0.01)


@pytest.mark.parametrize(
    ("min_valid", "n_items", "answered", "expected"),
    [
        (3, 6, None, 3),
        (3, 6, 2, 1),
        (3, 4, 2, 2),
        (2, 4, 2, 1),
        (8, 16, 16, 8),
        (5, 4, None, 4),
        (3, 6, 9, 3),
    ],
)
def test_design_min_valid(min_valid, n_items, answered, expected):
    assert design_min_valid(min_valid, n_items, answered) == expected


def test_design_min_valid_refuses_bad_numbers():
    with pytest.raises(ValueError, match="answered"):
        design_min_valid(2, 4, 0)
    with pytest.raises(ValueError, match="n_items"):
        design_min_valid(2, 0)
    with pytest.raises(ValueError, match="min_valid"):
        design_min_valid(1.5, 4)


def test_scores_of_a_short_form_keep_the_share_of_valid_answers():
    instrument = instruments.load("mindset")
    items = [item.id for item in analysis.scored_dimensions(instrument)["time_horizon"]]
    row = {item_id: np.nan for item_id in instrument.item_ids}
    row.update({items[0]: 5.0, items[1]: 4.0})
    responses = pd.DataFrame([row])
    assert np.isnan(analysis.score(responses, instrument).at[0, "time_horizon"])  # 2 of 6 < min_valid 3
    scored = analysis.score(responses, instrument, answered=2).at[0, "time_horizon"]
    keyed = analysis.keyed_items(responses, instrument, "time_horizon")
    assert scored == pytest.approx(keyed[items[:2]].iloc[0].mean())


def test_rwg_j_with_the_items_answered_is_the_composite_of_that_length():
    frame = pd.DataFrame(
        {
            "x1": [1, 2, np.nan, 3, 4, np.nan, 2, np.nan],
            "x2": [np.nan, 3, 3, np.nan, 5, 4, np.nan, 1],
            "x3": [2, np.nan, 4, 4, np.nan, 5, 1, 2],
        },
        dtype=float,
    )
    groups = ["a"] * 4 + ["b"] * 4
    table = analysis.rwg_j_scales(frame, groups, {"s": ["x1", "x2", "x3"]}, 5, missing="pairwise", answered=2)
    null = (5**2 - 1) / 12
    for team, rows in (("a", slice(0, 4)), ("b", slice(4, 8))):
        variances = [frame[c].iloc[rows].dropna().var(ddof=1) for c in frame.columns]
        ratio = min(np.mean(variances), null) / null
        expected = 2 * (1 - ratio) / (2 * (1 - ratio) + ratio)
        assert table.set_index("team").at[team, "rwg_j"] == pytest.approx(expected)
    with pytest.raises(ValueError, match="pairwise"):
        analysis.rwg_j_scales(frame, groups, {"s": ["x1", "x2"]}, 5, answered=2)
    with pytest.raises(ValueError, match="answered has no entry"):
        analysis.rwg_j_scales(frame, groups, {"s": ["x1"]}, 5, missing="pairwise", answered={"t": 2})


# --------------------------------------------------------------------------- the report


TEAMS = {"S1": "sales", "S2": "sales", "M1": "marketing", "M2": "marketing"}
EFFECTS = {"lead_quality": -0.8, "handover": -0.5, "time_horizon": -0.6}


def _wave(n_per_team: int, seed: int):
    pair = (instruments.load("alignment"), instruments.load("mindset"))
    frames = []
    for offset, instrument in enumerate(pair):
        own = {d.id for d in instrument.dimensions}
        effects = {t: {d: v for d, v in EFFECTS.items() if d in own} for t in TEAMS if TEAMS[t] == "sales"}
        frames.append(analysis.simulate(instrument, TEAMS, n_per_team, effects, seed=seed + offset,
                                        careless_rate=0, missing_rate=0))  # fmt: skip
    data = pd.concat(
        [frames[0], frames[1].drop(columns=["team", "function", "careless", "careless_type"])], axis=1
    )
    teams = pd.DataFrame(
        {"name": list(TEAMS), "function": list(TEAMS.values()), "parent": np.nan}, index=list(TEAMS)
    )
    return pair, data, teams


def _short_form(data: pd.DataFrame, pair, k: int, seed: int) -> pd.DataFrame:
    """Each respondent keeps k random own items of every dimension and k of the meta items."""
    rng = np.random.default_rng(seed)
    masked = data.copy()
    pools = []
    for instrument in pair:
        for dimension in instrument.dimensions:
            pools.append([i.id for i in instrument.items_of(dimension.id) if i.perspective != "meta"])
        pools.append([i.id for i in instrument.items if i.perspective == "meta"])
    values = masked[[i for pool in pools for i in pool]].to_numpy(dtype=float, copy=True)
    columns = {item: n for n, item in enumerate(i for pool in pools for i in pool)}
    for row in range(len(masked)):
        for pool in pools:
            shown = [i for i in pool if not np.isnan(values[row, columns[i]])]
            if len(shown) > k:
                for item in rng.choice(shown, size=len(shown) - k, replace=False):
                    values[row, columns[item]] = np.nan
    masked[list(columns)] = values
    return masked


@pytest.fixture(scope="module")
def reports():
    pair, data, teams = _wave(80, seed=11)
    short = _short_form(data, pair, 2, seed=12)
    full_report = analysis.organization_report(data, teams, pair, threshold=5, invariance=False)
    short_report = analysis.organization_report(
        short, teams, pair, threshold=5, invariance=False, form_items=2
    )
    return full_report, short_report, short, pair, teams, data


@pytest.mark.once  # simulated reports: slow and database-independent
def test_short_form_report_matches_the_full_form_within_sampling_error(reports):
    full, short, short_answers, pair, _teams, answers = reports
    joined = full.means.merge(short.means, on=["team", "dimension"], suffixes=("_full", "_short"))
    assert len(joined) == len(full.means)
    # Everyone is scored under the design (the careless rule may judge a respondent or two differently).
    assert (joined["n_full"] - joined["n_short"]).abs().max() <= 2
    # Each short score averages k of a dimension's items where the full score averages all of
    # them: the team means may differ only by that item sampling, whose standard error the
    # respondents' own differences give.
    own = pd.concat(
        [analysis.score(short_answers, i, answered=2) - analysis.score(answers, i) for i in pair], axis=1
    )
    root = short.suppression.root
    labels = pd.concat([answers["team"], pd.Series(root, index=answers.index)])
    stacked = pd.concat([own, own])
    se = stacked.groupby(labels.to_numpy()).std() / np.sqrt(stacked.groupby(labels.to_numpy()).count())
    se = se.stack().rename("se").rename_axis(["team", "dimension"]).reset_index()
    joined = joined.merge(se, on=["team", "dimension"])
    z = (joined["mean_short"] - joined["mean_full"]) / joined["se"]
    assert len(z) == len(full.means)
    assert z.abs().max() < 4.5
    assert abs(z.mean()) < 0.5  # no drift in one direction: unbiased
    gaps = full.gaps.merge(short.gaps, on=["team_a", "team_b", "dimension"], suffixes=("_full", "_short"))
    planted = gaps[gaps["team_a"].isin(["S1", "S2"]) & gaps["team_b"].isin(["M1", "M2"])]
    lead = planted[planted["dimension"] == "lead_quality"]
    assert (lead["difference_short"] < -0.2).all()  # the planted gap shows under both forms
    errors = se.set_index(["team", "dimension"])["se"]
    gap_se = np.hypot(
        errors.reindex(list(zip(gaps["team_a"], gaps["dimension"], strict=True))).to_numpy(),
        errors.reindex(list(zip(gaps["team_b"], gaps["dimension"], strict=True))).to_numpy(),
    )
    assert (np.abs(gaps["difference_short"] - gaps["difference_full"]) / gap_se).max() < 4.5


@pytest.mark.once  # simulated reports: slow and database-independent
def test_short_form_reliability_and_agreement(reports):
    full, short, *_ = reports
    rel_full, rel_short = full.overview.reliability, short.overview.reliability
    assert "alpha_answered" not in rel_full.columns
    assert (rel_short["alpha"] - rel_full["alpha"]).abs().max() < 0.08  # the whole scale's alpha
    lengths = zip(rel_short["alpha"], rel_short["n_answered"], rel_short["n_items"], strict=True)
    expected = [spearman_brown(a, k / n) for a, k, n in lengths]
    assert rel_short["alpha_answered"].to_numpy() == pytest.approx(expected)
    assert (rel_short["alpha_answered"] < rel_short["alpha"]).all()
    assert rel_short["reason"].isna().all()
    rwg = short.agreement.rwg_j
    assert rwg["rwg_j"].notna().all()  # listwise deletion would leave nobody
    icc = short.agreement.icc
    assert icc.loc["lead_quality", "icc2"] > 0.5  # the planted gap makes team means reliable


@pytest.mark.once  # simulated reports: slow and database-independent
def test_no_answer_to_an_item_gives_a_reason_not_an_error(reports):
    _full, _short, short, pair, teams, _answers = reports
    empty = short[short["team"].isin(["S1", "M1"])].copy()
    item = analysis.scored_dimensions(pair[0])["trust"][0].id
    empty[item] = np.nan
    report = analysis.organization_report(empty, teams, pair, threshold=5, invariance=False, form_items=2)
    row = report.overview.reliability.loc["trust"]
    assert np.isnan(row["alpha"])
    assert np.isnan(row["alpha_answered"])
    assert row["reason"] == "too_few_answers"
    with pytest.raises(ValueError, match="form_items"):
        analysis.organization_report(short, teams, pair, threshold=5, invariance=False, form_items=0)


@pytest.mark.once  # simulated reports: slow and database-independent
def test_straight_lining_is_still_found_under_a_short_form(reports):
    _full, _short, short, pair, teams, _answers = reports
    careless = short.copy()
    answered = careless.columns[careless.iloc[0].notna()]
    items = [c for c in answered if c not in ("team", "function", "careless", "careless_type")]
    careless.loc[0, items] = 3.0
    flagged = analysis.report.careless_respondents(careless, pair, form_items=2)
    assert 0 in flagged
    assert len(flagged) < 10


@pytest.mark.once  # simulated reports: slow and database-independent
def test_benchmark_short_form_costs_some_team_level_precision_and_saves_time():
    """A small run of benchmarks/short_forms.py (its full figures are in docs/PERFORMANCE.md)."""
    from benchmarks import short_forms

    pair = short_forms.shipped()
    timing = short_forms.answering_time(pair, 2)
    assert (timing.xs("short", level=1)["minutes"] <= 10).all()
    assert (timing.xs("full", level=1)["minutes"] > 10).all()
    assert (timing.xs("short", level=1)["items"] == 40).all()
    summary = short_forms.run(4, k=2, icc=0.15, seed=3, pair=pair)
    ratio = summary["short"] / summary["full"]
    assert 1.0 < ratio["gap_se"] < 1.5  # wider intervals, not useless ones
    assert 1.0 < ratio["team_gap_ci_width"] < 1.5
    assert summary.at["icc2_median", "short"] < summary.at["icc2_median", "full"]
    assert summary.at["icc2_median_planted", "short"] > 0.2

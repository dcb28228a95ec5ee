"""The calibration summary of one wave: attribute statuses, the draft definition, splits and the threshold."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.calibration import instrument_design
from analysis.calibration_report import STATUSES, calibration_summary
from analysis.calibration_simulation import simulate_calibration
from instruments import load

SHARED = {"company=target": 0.5, "contact=decision_maker": 0.4}
#: The demo's planted difference: sales weighs budget and timing, marketing engagement.
WEIGHTS = {
    "sales": {**SHARED, "budget=confirmed": 0.8, "timing=this_quarter": 0.7},
    "marketing": {**SHARED, "engagement=high": 0.9},
}
THRESHOLDS = {"sales": [-0.2, 0.9], "marketing": [-0.6, 0.5]}


@pytest.fixture(scope="module")
def instrument():
    return load("lead_calibration", "1.0")


def _wave(instrument, n_sales=40, n_marketing=40, seed=3):
    judgements, functions = simulate_calibration(
        instrument_design(instrument),
        {"sales": n_sales, "marketing": n_marketing, "other": 3},
        {**WEIGHTS, "other": WEIGHTS["sales"]},
        {**THRESHOLDS, "other": THRESHOLDS["sales"]},
        leniency_sd=0.4,
        noise_sd=0.7,
        missing_rate=0.03,
        seed=seed,
    )
    # Answers to other instruments sit beside the vignettes in a wave's table.
    responses = judgements.assign(ld_1=4.0, ld_2=2.0)
    return responses, functions


def test_planted_difference_is_found_and_the_shared_criteria_make_the_draft(instrument):
    responses, functions = _wave(instrument)
    summary = calibration_summary(responses, functions, instrument, threshold=5, n_boot=200)
    assert summary.shown
    assert summary.n == (40, 40)
    status = summary.attributes["status"]
    assert set(status) <= set(STATUSES)
    assert status["budget"] == status["timing"] == status["engagement"] == "differs"
    assert summary.attributes.loc["budget", "weighs_more"] == "sales"
    assert summary.attributes.loc["timing", "weighs_more"] == "sales"
    assert summary.attributes.loc["engagement", "weighs_more"] == "marketing"
    assert status["company"] == status["contact"] == "agreed"
    # Source carries no planted weight. The thresholds make the expected judgement non-linear,
    # and in 16 runs its column is aliased with contact x budget x timing, so a small
    # difference may still show; it is far smaller than the planted ones.
    gap = (summary.attributes["importance_a"] - summary.attributes["importance_b"]).abs()
    assert gap["source"] < 0.25 * min(gap["budget"], gap["engagement"])
    assert summary.definition == (("company", "target"), ("contact", "decision_maker"))
    assert 0 < len(summary.split_vignettes) <= 3
    first = summary.splits.loc[summary.split_vignettes[0]]
    assert first["p_adjusted"] < 0.05
    assert abs(first["difference"]) == summary.splits["difference"].abs().max()
    assert summary.index.index < 90
    assert list(summary.agreement.index) == [
        "marketing", "sales", "all", "within_sales", "within_marketing", "between"
    ]  # fmt: skip


def test_nothing_is_computed_below_the_threshold(instrument):
    responses, functions = _wave(instrument, n_marketing=4)
    summary = calibration_summary(responses, functions, instrument, threshold=5, n_boot=0)
    assert not summary.shown
    assert summary.n == (40, 4)
    assert summary.attributes is None
    assert summary.index is None
    assert summary.definition == ()


def test_summary_refuses_bad_input(instrument):
    responses, functions = _wave(instrument)
    with pytest.raises(ValueError, match="lack the vignettes"):
        calibration_summary(responses.drop(columns="lead05"), functions, instrument, threshold=5)
    with pytest.raises(ValueError, match="threshold must be at least 1"):
        calibration_summary(responses, functions, instrument, threshold=0)
    with pytest.raises(ValueError, match="alpha must be"):
        calibration_summary(responses, functions, instrument, threshold=5, alpha=5)
    with pytest.raises(ValueError, match="has no vignettes"):
        calibration_summary(responses, functions, load("alignment", "1.0"), threshold=5)
    with pytest.raises(ValueError, match="must be a DataFrame"):
        calibration_summary(responses.to_numpy(), functions, instrument, threshold=5)
    assert isinstance(responses, pd.DataFrame)

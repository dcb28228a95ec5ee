"""organization_report with a lead calibration: the section, and a wave that adds the instrument."""

from __future__ import annotations

import numpy as np
import pandas as pd

import analysis
import instruments
from analysis.calibration import instrument_design
from analysis.calibration_simulation import simulate_calibration

TEAMS = pd.DataFrame(
    {"name": ["Sales", "Marketing"], "function": ["sales", "marketing"], "parent": [None, None]},
    index=["s", "m"],
)


def _wave(with_calibration: bool, seed: int) -> pd.DataFrame:
    mindset = instruments.load("mindset")
    sizes = {"s": 12, "m": 12}
    functions = TEAMS["function"].to_dict()
    frame = analysis.simulate(mindset, functions, sizes, {}, seed=seed)
    if with_calibration:
        design = instrument_design(instruments.load("lead_calibration"))
        weights = {"sales": {"budget=confirmed": 1.0}, "marketing": {"engagement=high": 1.0}}
        cuts = {"sales": (-0.5, 0.5), "marketing": (-0.5, 0.5)}
        blocks = []
        for position, team in enumerate(frame["team"].unique()):
            rows = frame.index[frame["team"] == team]
            judged, _ = simulate_calibration(design, {functions[team]: len(rows)}, weights, cuts,
                                             leniency_sd=0.3, noise_sd=0.5, seed=seed + position)  # fmt: skip
            blocks.append(judged.set_axis(rows))
        frame = pd.concat([frame, pd.concat(blocks)], axis=1)
    return frame


def test_a_wave_that_adds_the_calibration_reports_it_and_keeps_its_trend():
    loaded = [instruments.load("mindset"), instruments.load("lead_calibration")]
    report = analysis.organization_report(
        _wave(True, 2), TEAMS, loaded, threshold=5, history=[("before", _wave(False, 1))], wave="now"
    )
    summary = report.calibration
    assert summary.shown
    assert summary.n == (12, 12)
    assert summary.attributes.loc["budget", "weighs_more"] == "sales"
    assert summary.attributes.loc["engagement", "weighs_more"] == "marketing"
    trend = report.trend.dimensions
    readiness = trend[trend["dimension"] == "lead_readiness"]
    assert readiness["wave"].tolist() == ["now"]  # no empty point for the wave that did not ask it
    assert "lead_readiness" not in report.trend.latest_change["dimension"].tolist()
    assert np.isfinite(trend["mean"]).all()


def test_a_wave_without_vignettes_has_no_calibration():
    report = analysis.organization_report(_wave(False, 1), TEAMS, [instruments.load("mindset")], threshold=5)
    assert report.calibration is None

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
    # The judgements have their own trend line (the definition index), from the wave that asks them.
    assert "lead_readiness" not in trend["dimension"].tolist()
    assert report.trend.definition["wave"].tolist() == ["now"]
    assert "lead_readiness" not in report.trend.latest_change["dimension"].tolist()
    assert set(trend["wave"]) == {"before", "now"}
    assert np.isfinite(trend["mean"]).all()


def test_the_vignettes_are_neither_perception_nor_mindset():
    loaded = [
        instruments.load("alignment"),
        instruments.load("mindset"),
        instruments.load("lead_calibration"),
    ]
    alignment = analysis.simulate(loaded[0], TEAMS["function"].to_dict(), {"s": 12, "m": 12}, {}, seed=5)
    frame = pd.concat([_wave(True, 2), alignment[list(loaded[0].item_ids)]], axis=1)
    report = analysis.organization_report(frame, TEAMS, loaded, threshold=5, history=[("before", frame)])
    vignette_dims = {d.id for d in loaded[2].dimensions}
    mindset_dims = {d.id for d in loaded[1].dimensions}
    assert report.dimensions.loc[sorted(vignette_dims), "kind"].eq("calibration").all()
    assert report.dimensions.loc[sorted(mindset_dims), "kind"].eq("mindset").all()
    assert set(report.profiles.columns) == mindset_dims
    assert not vignette_dims & set(report.means["dimension"])
    assert not vignette_dims & set(report.gaps["dimension"])
    assert set(report.means["dimension"]) >= mindset_dims  # the others stay
    assert not vignette_dims & set(report.heatmap.item_dimension)
    assert not {item.id for item in loaded[2].items} & set(report.heatmap.means.columns)
    assert not vignette_dims & set(report.comparability.index)
    assert not vignette_dims & set(report.trend.dimensions["dimension"])
    assert report.calibration.shown  # its own section keeps them
    team = analysis.team_report(
        frame, TEAMS, loaded, "s", threshold=5, history=[("before", frame)], organization=report
    )
    assert not vignette_dims & set(team.profile["dimension"])
    assert not vignette_dims & set(team.trend["dimension"])
    assert not vignette_dims & set(team.gaps["dimension"])


def test_a_wave_without_vignettes_has_no_calibration():
    report = analysis.organization_report(_wave(False, 1), TEAMS, [instruments.load("mindset")], threshold=5)
    assert report.calibration is None

"""The lead-definition index among the report's alignment measures: one trend point per wave that shows it."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

import analysis
import instruments
from analysis import charts
from analysis.calibration import definition_index
from analysis.report import TrendSection, careless_respondents
from tests.analysis.test_report_calibration import TEAMS, _wave

LOADED = [instruments.load("mindset"), instruments.load("lead_calibration")]
VIGNETTES = [item.id for item in LOADED[1].vignettes]


def test_each_wave_that_shows_the_calibration_has_its_index_in_the_trend():
    before, without, now = _wave(True, 1), _wave(False, 3), _wave(True, 2)
    hidden = analysis.EarlierWave("hidden", _wave(True, 4), threshold=13)  # teams of 12: none shown
    report = analysis.organization_report(
        now, TEAMS, LOADED, threshold=5, wave="now",
        history=[("before", before), ("without", without), hidden],
    )  # fmt: skip
    definition = report.trend.definition.set_index("wave")
    # the wave without the calibration and the one whose teams are below its threshold have no point
    assert list(definition.index) == ["before", "now"]
    summary = report.calibration
    assert definition.loc["now", "index"] == summary.index.index
    assert (definition.loc["now", "ci_low"], definition.loc["now", "ci_high"]) == (
        summary.index.ci_low,
        summary.index.ci_high,
    )
    assert tuple(definition.loc["now", ["n_sales", "n_marketing"]]) == summary.n

    # an earlier wave's point is definition_index on its analysed (not careless) members
    kept = before.drop(index=careless_respondents(before, LOADED))
    functions = kept["team"].map(TEAMS["function"])
    expected = definition_index(kept[VIGNETTES], functions, seed=0)
    assert definition.loc["before", "index"] == pytest.approx(expected.index)
    assert definition.loc["before", "ci_low"] == pytest.approx(expected.ci_low)
    assert tuple(definition.loc["before", ["n_sales", "n_marketing"]]) == (expected.n_a, expected.n_b)
    assert definition["ci_low"].min() >= 0
    assert definition["ci_high"].max() <= 100


def test_without_the_calibration_the_trend_has_no_definition_rows():
    report = analysis.organization_report(_wave(False, 1), TEAMS, LOADED[:1], threshold=5)
    assert report.trend.definition.empty
    assert list(report.trend.definition.columns) == [
        "wave",
        "index",
        "ci_low",
        "ci_high",
        "n_sales",
        "n_marketing",
    ]


def test_the_trend_chart_draws_the_index_as_a_panel_after_the_alignment_index():
    report = analysis.organization_report(_wave(True, 2), TEAMS, LOADED, threshold=5, wave="now",
                                          history=[("before", _wave(True, 1))])  # fmt: skip
    panels = charts._panels(report.trend, None, {}, [], "Alignment", "Lead definition")[1]
    assert [panel[0] for panel in panels] == ["Lead definition"]  # no alignment: mindset has no perception
    _, x, value, low, high, _ = panels[0]
    assert list(x) == [1.0, 2.0]
    assert list(value) == pytest.approx(report.trend.definition["index"].tolist())
    assert len(charts.trend_panels(report.trend, scales={})) == 1


def test_a_release_stored_before_the_index_existed_reads_an_empty_trend():
    trend = TrendSection(pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    state = {key: value for key, value in trend.__dict__.items() if key != "definition"}
    old = TrendSection.__new__(TrendSection)
    old.__setstate__(state)
    assert old.definition.empty
    assert pickle.loads(pickle.dumps(old)).definition.empty  # noqa: S301 - our own bytes

"""Tables that mix answer scales name each dimension's scale; the lead calibration is in none of them."""

from __future__ import annotations

import pandas as pd

import analysis
import analysis.charts  # noqa: F401  (heatmap_table reads it; the app imports it with the figures)
import instruments
from survey.services.figures import heatmap_table, item_texts, perception_dimensions
from survey.services.report_view import Words
from survey.services.sections import gaps
from tests.analysis.test_report_calibration import TEAMS, _wave


def _report():
    loaded = [
        instruments.load("alignment"),
        instruments.load("mindset"),
        instruments.load("lead_calibration"),
    ]
    alignment = analysis.simulate(loaded[0], TEAMS["function"].to_dict(), {"s": 12, "m": 12}, {}, seed=5)
    frame = pd.concat([_wave(True, 2), alignment[list(loaded[0].item_ids)]], axis=1)
    return analysis.organization_report(frame, TEAMS, loaded, threshold=5), loaded


def test_a_dimension_is_named_with_its_scale_only_where_scales_mix():
    report, loaded = _report()
    words = Words(report, "en", set())
    perception = [d.id for d in loaded[0].dimensions]
    mindset = [d.id for d in loaded[1].dimensions]
    low, high = words.scales[perception[0]]
    assert (low, high) != words.scales[mindset[0]]
    assert words.on_scale(perception[0], perception + mindset) == (
        f"{words.dimension(perception[0])} ({low:.0f}–{high:.0f})"
    )
    assert words.on_scale(perception[0], perception) == words.dimension(perception[0])


def test_the_vignettes_reach_no_perception_chart_or_statement_table():
    report, loaded = _report()
    vignette_dims = {d.id for d in loaded[2].dimensions}
    assert not vignette_dims & set(perception_dimensions(report))
    heat = heatmap_table(report, tuple(loaded), "en")
    names = {Words(report, "en", set()).dimension(d) for d in vignette_dims}
    assert heat is not None
    assert not names & {group.heading for group in heat.groups}
    vignette_texts = set(item_texts((loaded[2],), "en").values())
    assert vignette_texts
    assert vignette_texts.isdisjoint(row.text for group in heat.groups for row in group.rows)


def test_the_team_means_and_gaps_name_the_scales_and_leave_out_the_vignettes():
    report, loaded = _report()
    words = Words(report, "en", set())
    section = gaps(words, {})
    means = section.tables[-1]
    labels = ["".join(segment.text for segment in row.cells[0]) for row in means.rows]
    scales = words.scales
    expected = {
        f"{words.dimension(d.id)} ({scales[d.id][0]:.0f}–{scales[d.id][1]:.0f})"
        for instrument in loaded[:2]
        for d in instrument.dimensions
    }
    assert set(labels) == expected  # every mean with its scale, and no lead readiness

"""Report charts: Figures built without pyplot, titled, labelled, with their labels in the SVG."""

from __future__ import annotations

import inspect

import pandas as pd
import pytest
from matplotlib.figure import Figure

import analysis
import instruments
from analysis import charts
from analysis.report import organization_report

TEAMS = pd.DataFrame(
    {
        "name": ["Field Sales", "Inside Sales", "Brand Marketing", "Demand Marketing", "Tiny Team"],
        "function": ["sales", "sales", "marketing", "marketing", "other"],
        "parent": [None] * 5,
    },
    index=["fs", "is", "bm", "dm", "tt"],
)
SIZES = {"fs": 40, "is": 35, "bm": 30, "dm": 30, "tt": 2}


def _simulate(seed):
    alignment, mindset = instruments.load("alignment"), instruments.load("mindset")
    functions = TEAMS["function"].to_dict()
    planted = {"fs": {"shared_definitions": 0.8}, "is": {"shared_definitions": 0.8}}
    first = analysis.simulate(alignment, functions, SIZES, effects=planted, seed=seed)
    second = analysis.simulate(mindset, functions, SIZES, seed=seed + 1)
    return pd.concat(
        [first.drop(columns=["function", "careless", "careless_type"]), second[list(mindset.item_ids)]],
        axis=1,
    )


@pytest.fixture(scope="module")
def report():
    used = (instruments.load("alignment"), instruments.load("mindset"))
    return organization_report(
        _simulate(1), TEAMS, used, threshold=5, history=[("Spring", _simulate(5))], wave="Autumn"
    )


@pytest.fixture(scope="module")
def names(report):
    return report.dimensions["name"]


def _figures(report, names):
    organization = report.means[report.means["team"] == report.suppression.root].set_index("dimension")[
        "mean"
    ]
    return {
        "quadrant": charts.quadrant_chart(
            report.alignment.pairs,
            midpoint=report.alignment.level_midpoint,
            headline=report.alignment.headline,
        ),
        "forest": charts.gap_forest_chart(report.means, report.gaps, "fs", "dm", dimension_names=names),
        "forest_reversed": charts.gap_forest_chart(
            report.means, report.gaps, "dm", "fs", dimension_names=names
        ),
        "meta": charts.meta_perception_chart(report.meta_perception, dimension_names=names),
        "parallel": charts.profile_chart(
            report.profiles, team_names=TEAMS["name"], dimension_names=names, organization=organization
        ),
        "radar": charts.profile_chart(
            report.profiles, team_names=TEAMS["name"], dimension_names=names, kind="radar", scale=(1, 7)
        ),
        "heatmap": charts.heatmap_chart(report.heatmap),
        "agreement": charts.agreement_chart(report.agreement.rwg_j, dimension_names=names),
        "trend": charts.trend_chart(report.trend, dimension_names=names),
    }


@pytest.fixture(scope="module")
def figures(report, names):
    return _figures(report, names)


def _titles(figure):
    titles = [axes.get_title() for axes in figure.axes]
    if figure._suptitle is not None:
        titles.append(figure._suptitle.get_text())
    return [t for t in titles if t]


@pytest.mark.parametrize(
    "name",
    ["quadrant", "forest", "forest_reversed", "meta", "parallel", "radar", "heatmap", "agreement", "trend"],
)
def test_every_chart_is_a_titled_figure_with_labelled_axes(figures, name):
    figure = figures[name]
    assert isinstance(figure, Figure)
    assert _titles(figure)
    plotted = [axes for axes in figure.axes if axes.get_label() != "<colorbar>"]
    assert plotted
    for axes in plotted:
        # Panels that share an axis may carry its label once (the bottom or left panel).
        x_siblings = axes.get_shared_x_axes().get_siblings(axes)
        y_siblings = axes.get_shared_y_axes().get_siblings(axes)
        assert any(sibling.get_xlabel() for sibling in x_siblings), name
        assert any(sibling.get_ylabel() for sibling in y_siblings), name


def test_svg_keeps_team_and_dimension_labels_as_text(figures):
    svg = charts.figure_to_svg(figures["forest"])
    assert svg.startswith("<?xml")
    for label in ("Field Sales", "Demand Marketing", "Shared definitions and language", "Hedges"):
        assert label in svg
    assert "Inside Sales" in charts.figure_to_svg(figures["parallel"])
    heatmap_svg = charts.figure_to_svg(figures["heatmap"])
    assert "Inside Sales" in heatmap_svg
    assert "sd_1" in heatmap_svg
    assert "Trust vs blame" in charts.figure_to_svg(figures["agreement"])
    trend_svg = charts.figure_to_svg(figures["trend"])
    assert "Spring" in trend_svg
    assert "Autumn" in trend_svg
    assert "Lead quality" in charts.figure_to_svg(figures["meta"])
    assert "sales vs marketing" in charts.figure_to_svg(figures["quadrant"])


def test_suppressed_teams_are_in_no_chart(report, figures):
    # Tiny Team is below the threshold; Brand Marketing is suppressed so that Tiny Team
    # cannot be found as the organisation minus the other teams.
    assert set(report.suppression.suppressed) == {"tt", "bm"}
    for name, figure in figures.items():
        svg = charts.figure_to_svg(figure)
        assert "Tiny Team" not in svg, name
        assert "Brand Marketing" not in svg, name


def test_png_bytes(figures):
    png = charts.figure_to_png(figures["quadrant"], dpi=50)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    small, large = (
        charts.figure_to_png(figures["meta"], dpi=40),
        charts.figure_to_png(figures["meta"], dpi=120),
    )
    assert len(large) > len(small)
    with pytest.raises(ValueError, match="dpi must be"):
        charts.figure_to_png(figures["meta"], dpi=0)


def test_reversed_pair_mirrors_the_effect(report):
    def g_values(figure):
        right = figure.axes[1]
        markers = [c for c in right.collections if type(c).__name__ == "PathCollection"]
        return sorted(round(float(x), 9) for collection in markers for x, _ in collection.get_offsets())

    forward = g_values(charts.gap_forest_chart(report.means, report.gaps, "fs", "dm"))
    backward = g_values(charts.gap_forest_chart(report.means, report.gaps, "dm", "fs"))
    assert len(forward) == 19
    assert forward == sorted(-x for x in backward)


def test_heatmap_is_centred_on_the_organisation_mean(figures, report):
    image = figures["heatmap"].axes[0].images[0]
    assert image.norm.vcenter == 0
    difference = report.heatmap.means - report.heatmap.organization
    assert image.get_array().max() == pytest.approx(difference.max().max())
    assert image.norm.vmax == pytest.approx(-image.norm.vmin)


def test_empty_inputs_draw_a_message_not_an_error(report):
    empty = report.gaps.iloc[:0]
    figure = charts.gap_forest_chart(report.means, empty, "fs", "dm")
    assert "cannot be shown" in charts.figure_to_svg(figure)
    figure = charts.quadrant_chart(report.alignment.pairs.iloc[:0], midpoint=3.0)
    assert "No pair" in charts.figure_to_svg(figure)
    with pytest.raises(ValueError, match="kind must be"):
        charts.profile_chart(report.profiles, kind="pie")


def test_charts_never_use_pyplot():
    source = inspect.getsource(charts)
    assert "import matplotlib.pyplot" not in source
    assert "from matplotlib import pyplot" not in source
    assert "plt." not in source


def test_trend_chart_takes_a_team_trend(report):
    from analysis.report import team_report

    team = team_report(None, TEAMS, (), "fs", threshold=5, organization=report)
    figure = charts.trend_chart(team.trend, dimension_names=report.dimensions["name"], dimensions=["trust"])
    svg = charts.figure_to_svg(figure)
    assert "Trust vs blame" in svg
    assert "Autumn" in svg


def test_profile_chart_makes_room_for_many_teams():
    import warnings

    import numpy as np
    import pandas as pd

    profiles = pd.DataFrame(
        np.random.default_rng(3).uniform(2, 6, size=(44, 7)),
        index=[f"team {n}" for n in range(44)],
        columns=[f"d{n}" for n in range(7)],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # constrained layout must not collapse
        svg = charts.figure_to_svg(charts.profile_chart(profiles))
    assert "team 43" in svg

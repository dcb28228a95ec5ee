"""Report charts: Figures built without pyplot, titled, labelled, with their labels in the SVG,
user text drawn literally, no label clipped or over another, one font."""

from __future__ import annotations

import inspect
import itertools
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
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


@pytest.fixture(scope="module")
def scales(report):
    return {d: (row.scale_min, row.scale_max) for d, row in report.dimensions.iterrows()}


ITEM_TEXT = {
    item.id: item.label("en") for key in ("alignment", "mindset") for item in instruments.load(key).items
}


def _figures(report, names, scales):
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
        "heatmap": charts.heatmap_chart(report.heatmap, item_text=ITEM_TEXT, dimension_names=names),
        "agreement": charts.agreement_chart(report.agreement.rwg_j, dimension_names=names),
        "trend": charts.trend_chart(report.trend, dimension_names=names, scales=scales),
        "panel": charts.trend_panels(report.trend, dimension_names=names, scales=scales)[1],
    }


@pytest.fixture(scope="module")
def figures(report, names, scales):
    return _figures(report, names, scales)


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
    plotted = [axes for axes in figure.axes if axes.get_label() != "<colorbar>" and axes.get_visible()]
    plotted = [axes for axes in plotted if axes.get_xticks().size or axes.get_yticks().size]
    if name in ("heatmap", "trend"):  # rows and columns named by their own texts, or a key below
        assert figure.texts or any(axes.texts for axes in figure.axes) or figure._supxlabel is not None
        return
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
    for label in ("Field Sales", "Demand Marketing", "Shared definitions and", "Hedges"):
        assert label in svg
    assert "Inside Sales" in charts.figure_to_svg(figures["parallel"])
    heatmap_svg = charts.figure_to_svg(figures["heatmap"])
    assert "Inside Sales" in heatmap_svg
    assert "Sales and marketing mean the same thing by a" in heatmap_svg  # wrapped on two lines
    assert "Shared definitions and language" in heatmap_svg
    assert "sd_1" not in heatmap_svg  # statements by their text, grouped under their dimension
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
    image = next(axes for axes in figures["heatmap"].axes if axes.images).images[0]
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
    scales = {"trust": (1, 5)}
    figure = charts.trend_chart(
        team.trend, dimension_names=report.dimensions["name"], dimensions=["trust"], scales=scales
    )
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


def _drawn_texts(figure):
    """Every text the renderer actually draws (tick labels outside the view are not drawn)."""
    drawn = []
    original = RendererAgg.draw_text

    def record(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if mtext is not None:
            drawn.append(mtext)
        return original(self, gc, x, y, s, prop, angle, ismath, mtext)

    RendererAgg.draw_text = record
    try:
        FigureCanvasAgg(figure).draw()
    finally:
        RendererAgg.draw_text = original
    renderer = figure.canvas.get_renderer()
    return [
        (text, text.get_window_extent(renderer)) for text in dict.fromkeys(drawn) if text.get_text().strip()
    ]


@pytest.mark.parametrize(
    "name", ["quadrant", "forest", "meta", "parallel", "heatmap", "agreement", "trend", "panel"]
)
def test_no_label_is_clipped_or_drawn_over_another(figures, name):
    figure = figures[name]
    texts = _drawn_texts(figure)
    assert texts
    width, height = figure.bbox.width, figure.bbox.height
    for text, box in texts:
        inside = box.x0 >= -1 and box.y0 >= -1 and box.x1 <= width + 1 and box.y1 <= height + 1
        assert inside, text.get_text()
    upright = [(text, box) for text, box in texts if text.get_rotation() in (0, 90)]
    for (first, a), (second, b) in itertools.combinations(upright, 2):
        overlap = min(a.x1, b.x1) - max(a.x0, b.x0), min(a.y1, b.y1) - max(a.y0, b.y0)
        assert not (overlap[0] > 1 and overlap[1] > 1), (first.get_text(), second.get_text())


def test_every_text_is_in_the_one_shipped_font(figures):
    for name, figure in figures.items():
        for text, _box in _drawn_texts(figure):
            assert text.get_fontfamily() == [charts.FONT_FAMILY], (name, text.get_text())
    assert charts.font_path().name == "DejaVuSans.ttf"
    assert charts.font_path(bold=True, italic=True).exists()


ODD = {
    "fs": r"$\alpha$ Field Sales",
    "is": "Inside $ales $5 and $6",
    "bm": "Brand Marketing",
    "dm": r"Demand \$ Marketing",
    "tt": "Tiny Team",
}


def test_team_and_wave_names_are_drawn_literally_never_as_mathtext():
    used = (instruments.load("alignment"), instruments.load("mindset"))
    teams = TEAMS.assign(name=pd.Series(ODD))
    report = organization_report(
        _simulate(1), teams, used, threshold=5, history=[("$x^2$ spring", _simulate(5))], wave="Autumn $"
    )
    names = report.dimensions["name"]
    scales = {d: (row.scale_min, row.scale_max) for d, row in report.dimensions.iterrows()}
    figures = [
        charts.quadrant_chart(report.alignment.pairs, midpoint=3.0, headline=report.alignment.headline),
        charts.gap_forest_chart(report.means, report.gaps, "fs", "dm", dimension_names=names),
        charts.profile_chart(report.profiles, team_names=teams["name"], dimension_names=names),
        charts.heatmap_chart(report.heatmap, item_text=ITEM_TEXT, dimension_names=names),
        charts.trend_chart(report.trend, dimension_names=names, scales=scales),
        charts.trend_chart(report.trend, dimension_names=names, scales=scales, title=ODD["fs"]),
    ]
    drawn = "\n".join(charts.figure_to_svg(figure) for figure in figures)  # mathtext would raise here
    for name in (ODD["fs"], ODD["is"], ODD["dm"], "$x^2$ spring", "Autumn $"):
        assert name.replace("\\$", "$") in drawn or name in drawn, name
    assert r"$\alpha$ Field Sales" in drawn
    for figure in figures:
        for text, _box in _drawn_texts(figure):
            assert not text._preprocess_math(text.get_text())[1], text.get_text()  # never mathtext
    assert charts.literal("a $b$ c") == r"a \$b\$ c"


def test_trend_panels_share_one_axis_from_zero_to_a_hundred(report, scales):
    panels = charts.trend_panels(report.trend, dimension_names=report.dimensions["name"], scales=scales)
    assert len(panels) == 1 + len(report.dimensions)  # the alignment index, then every dimension
    for figure in panels:
        axes = figure.axes[0]
        assert axes.get_ylim() == (0, 100)
        assert len(axes.lines[0].get_xdata()) == 2  # one line per panel, over both waves
    rows = report.trend.dimensions[report.trend.dimensions["dimension"] == "trust"]
    low, high = scales["trust"]
    assert charts.pomp(rows["mean"], low, high) == pytest.approx(100 * (rows["mean"] - low) / (high - low))
    assert charts.pomp([1, 5], 1, 5).tolist() == [0, 100]


def test_a_headline_interval_that_misses_its_estimate_still_draws(report):
    odd = SimpleNamespace(alignment=94.1, ci_low=84.9, ci_high=93.7, level=3.1, n_sales=20, n_marketing=33)
    figure = charts.quadrant_chart(report.alignment.pairs, midpoint=3.0, headline=odd)
    svg = charts.figure_to_svg(figure)  # a negative error bar used to raise here
    assert "sales vs marketing" in svg
    lines = [c for c in figure.axes[0].collections if type(c).__name__ == "LineCollection"]
    segment = lines[0].get_segments()[0]
    assert segment[:, 1].min() == pytest.approx(84.9)
    assert segment[:, 1].max() == pytest.approx(94.1)


def test_heatmap_pages_follow_the_dimensions_asked_for(report):
    groups = charts.heatmap_rows(report.heatmap)
    first = [dimension for dimension, _items in groups[:3]]
    figure = charts.heatmap_chart(
        report.heatmap, item_text=ITEM_TEXT, dimension_names=report.dimensions["name"], dimensions=first
    )
    image = next(axes for axes in figure.axes if axes.images).images[0]
    rows = sum(1 + len(items) for _dimension, items in groups[:3])
    assert image.get_array().shape == (rows, len(report.heatmap.means))
    assert np.ma.getmaskarray(image.get_array())[0].all()  # a heading row, not a cell row

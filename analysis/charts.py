"""Report charts as matplotlib Figures, built with the object API only (never pyplot).

Every function takes tables of :mod:`analysis.report` (already suppressed) and returns a
:class:`matplotlib.figure.Figure` with a title and labelled axes; the web layer turns it
into bytes with :func:`figure_to_svg` or :func:`figure_to_png`. pyplot keeps global state
that is not safe in a server, so a Figure is created directly and drawn by its own canvas.

Accessibility: colours are the Okabe-Ito palette (distinguishable with the common colour
vision deficiencies), and every series also has its own marker and line style, so the
charts read in greyscale print. The diverging heatmap uses ``PuOr``, which stays readable
for red-green deficiencies, and is centred on the organisation's mean with
:class:`~matplotlib.colors.TwoSlopeNorm`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

__all__ = [
    "MARKERS",
    "PALETTE",
    "agreement_chart",
    "figure_to_png",
    "figure_to_svg",
    "gap_forest_chart",
    "heatmap_chart",
    "meta_perception_chart",
    "profile_chart",
    "quadrant_chart",
    "trend_chart",
]

#: Okabe & Ito (2008) colour-blind-safe palette (black last).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
#: Markers and line styles that keep series apart without colour.
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 2)), (0, (8, 2)))
#: r_wg(j) line below which a team is said to have no consensus.
CONSENSUS_LINE = 0.70


def _style(position: int) -> dict:
    return {
        "color": PALETTE[position % len(PALETTE)],
        "marker": MARKERS[position % len(MARKERS)],
        "linestyle": LINESTYLES[position % len(LINESTYLES)],
    }


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    return figure


def _mapping(mapping) -> dict:
    """A plain dict from a Mapping, a Series or None."""
    if mapping is None:
        return {}
    return mapping.to_dict() if isinstance(mapping, pd.Series) else dict(mapping)


def _names(mapping, keys) -> list[str]:
    mapping = _mapping(mapping)
    return [str(mapping.get(key, key)) for key in keys]


def _empty(figure: Figure, axes, message: str) -> None:
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes)


def quadrant_chart(
    pairs: pd.DataFrame,
    *,
    midpoint: float,
    headline=None,
    label_count: int = 6,
    title: str = "Alignment quadrant: level of the ratings against the gap between teams",
) -> Figure:
    """Pairs of teams placed by level (how good both think things are) and alignment.

    Parameters
    ----------
    pairs : DataFrame
        ``OrganizationReport.alignment.pairs`` (columns ``name_a, name_b, alignment, level``).
    midpoint : float
        The answer scale's midpoint, where the level axis is split.
    headline : Headline, optional
        The sales-marketing headline, drawn as a larger labelled marker.
    label_count : int
        The least aligned pairs are labelled with their team names.
    """
    figure = _figure(7.5, 5.5)
    axes = figure.add_subplot()
    axes.set_title(title)
    axes.set_xlabel("Level: mean rating of both teams (higher = better)")
    axes.set_ylabel("Alignment index (100 = no difference)")
    if pairs.empty and headline is None:
        _empty(figure, axes, "No pair of teams can be shown")
        return figure
    axes.scatter(
        pairs["level"], pairs["alignment"], s=22, color=PALETTE[0], marker="o", alpha=0.75,
        edgecolors="white", linewidths=0.4, label="pair of teams",
    )  # fmt: skip
    if label_count and not pairs.empty:
        for row in pairs.nsmallest(label_count, "alignment").itertuples(index=False):
            axes.annotate(
                f"{row.name_a} – {row.name_b}", (row.level, row.alignment), textcoords="offset points",
                xytext=(4, -10), fontsize=7,
            )  # fmt: skip
    if headline is not None:
        axes.scatter(
            [headline.level], [headline.alignment], s=110, color=PALETTE[5], marker="D", edgecolors="black",
            label="sales vs marketing", zorder=3,
        )  # fmt: skip
        axes.errorbar(
            [headline.level], [headline.alignment],
            yerr=[[headline.alignment - headline.ci_low], [headline.ci_high - headline.alignment]],
            color="black", capsize=3, zorder=2,
        )  # fmt: skip
    axes.axvline(midpoint, color="grey", linestyle="--", linewidth=1)
    axes.axhline(80, color="grey", linestyle=":", linewidth=1)
    low = min(pairs["alignment"].min() if not pairs.empty else 100, headline.ci_low if headline else 100)
    axes.set_ylim(max(0, min(low - 5, 75)), 100.5)
    for x, y, text, align in (
        (0.98, 0.98, "aligned, positive", "right"),
        (0.02, 0.98, "aligned, critical", "left"),
        (0.98, 0.02, "apart, positive", "right"),
        (0.02, 0.02, "apart, critical", "left"),
    ):
        axes.text(
            x, y, text, transform=axes.transAxes, ha=align, va="top" if y > 0.5 else "bottom",
            fontsize=8, color="dimgrey", style="italic",
        )  # fmt: skip
    axes.legend(loc="center left", fontsize=8, frameon=False)
    return figure


def gap_forest_chart(
    means: pd.DataFrame,
    gaps: pd.DataFrame,
    team_a,
    team_b,
    *,
    dimension_names: Mapping | None = None,
    dimensions: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """Two groups' means with 95 % CIs per dimension, and Hedges' g with its CI.

    Significant gaps (``significant`` in the gap table, Benjamini-Hochberg adjusted) are
    drawn with filled markers and starred; a team mean without consensus is drawn hollow.

    Parameters
    ----------
    means : DataFrame
        ``OrganizationReport.means``.
    gaps : DataFrame
        ``OrganizationReport.gaps`` (the pair may be stored in either order).
    team_a, team_b : hashable
        The two groups (keys).
    dimension_names : Mapping, optional
        Dimension id -> name for the labels.
    dimensions : sequence of str, optional
        Dimensions to show, top to bottom (default: those of the pair, in table order).
    """
    forward = gaps[(gaps["team_a"] == team_a) & (gaps["team_b"] == team_b)]
    backward = gaps[(gaps["team_a"] == team_b) & (gaps["team_b"] == team_a)]
    table, sign = forward.set_index("dimension"), 1.0
    if table.empty and not backward.empty:
        table, sign = backward.set_index("dimension"), -1.0
    dimensions = list(dimensions) if dimensions is not None else list(table.index)
    figure = _figure(9, 0.34 * max(len(dimensions), 4) + 2.0)
    left, right = figure.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [3, 2]})
    team_names = dict(zip(means["team"], means["name"], strict=False))
    name_a, name_b = str(team_names.get(team_a, team_a)), str(team_names.get(team_b, team_b))
    figure.suptitle(title or f"Perception gaps: {name_a} vs {name_b}")
    left.set_title("Team means with 95 % CI (hollow = no consensus)", fontsize=10)
    right.set_title("Hedges' g with 95 % CI", fontsize=10)
    left.set_xlabel("Mean rating")
    right.set_xlabel("g (first team minus second)")
    left.set_ylabel("Dimension")
    if not dimensions:
        _empty(figure, left, "This pair cannot be shown")
        return figure
    positions = np.arange(len(dimensions))[::-1].astype(float)
    indexed = means.set_index(["team", "dimension"])
    for offset, (team, label, style) in enumerate(((team_a, name_a, _style(0)), (team_b, name_b, _style(1)))):
        rows = indexed.reindex([(team, d) for d in dimensions])
        y = positions + (0.15 if offset == 0 else -0.15)
        centre = rows["mean"].to_numpy(dtype=float)
        error = np.vstack(
            [centre - rows["ci_low"].to_numpy(dtype=float), rows["ci_high"].to_numpy(dtype=float) - centre]
        )
        left.errorbar(centre, y, xerr=error, color=style["color"], linestyle="none", capsize=2, label=None)
        agreed = rows["consensus"].fillna(False).to_numpy(dtype=bool)
        marker = {"marker": style["marker"], "s": 36, "zorder": 3}
        left.scatter(centre[agreed], y[agreed], color=style["color"], label=label, **marker)
        left.scatter(centre[~agreed], y[~agreed], facecolors="white", edgecolors=style["color"], **marker)
    rows = table.reindex(dimensions)
    g = sign * rows["g"].to_numpy(dtype=float)
    low, high = rows["g_ci_low"].to_numpy(dtype=float), rows["g_ci_high"].to_numpy(dtype=float)
    if sign < 0:
        low, high = -high, -low
    significant = rows["significant"].fillna(False).to_numpy(dtype=bool)
    right.errorbar(
        g, positions, xerr=np.vstack([g - low, high - g]), color="black", linestyle="none", capsize=2
    )
    square = {"marker": "s", "s": 30, "zorder": 3}
    right.scatter(
        g[significant],
        positions[significant],
        color="black",
        label="significant gap (*, adjusted p < .05)",
        **square,
    )
    right.scatter(
        g[~significant],
        positions[~significant],
        facecolors="white",
        edgecolors="black",
        label="no gap",
        **square,
    )
    for x, y in zip(high[significant], positions[significant], strict=True):
        right.annotate("*", (x, y), textcoords="offset points", xytext=(4, -4), fontsize=11)
    right.axvline(0, color="grey", linewidth=1)
    left.set_yticks(positions, _names(dimension_names, dimensions))
    figure.legend(loc="outside lower center", ncols=4, fontsize=8, frameon=False)
    return figure


_RATING_STYLE = {
    "self": ("How the team rates itself", 0),
    "other": ("How the other team rates it", 1),
    "expected": ("How it expects to be rated", 2),
}


def meta_perception_chart(
    meta: pd.DataFrame, *, dimension_names: Mapping | None = None, title: str | None = None
) -> Figure:
    """Self, other and expected ratings for each target function and paired dimension.

    Parameters
    ----------
    meta : DataFrame
        ``OrganizationReport.meta_perception`` (rows ``comparison = "perception"`` hold self
        vs other, ``"meta_accuracy"`` expected vs other).
    dimension_names : Mapping, optional
        Dimension id -> name.
    """
    figure = _figure(8, 5)
    axes = figure.add_subplot()
    axes.set_title(title or "Meta-perception: self, other and expected ratings")
    axes.set_xlabel("Mean rating")
    axes.set_ylabel("Rated team and dimension")
    if meta.empty:
        _empty(figure, axes, "No meta-perception items, or too few respondents")
        return figure
    perception = meta[meta["comparison"] == "perception"].set_index(["target", "dimension"])
    expected = meta[meta["comparison"] == "meta_accuracy"].set_index(["target", "dimension"])
    keys = list(perception.index)
    positions = np.arange(len(keys))[::-1]
    values = {
        "self": perception["mean_a"].reindex(keys).to_numpy(),
        "other": perception["mean_b"].reindex(keys).to_numpy(),
        "expected": expected["mean_a"].reindex(keys).to_numpy(),
    }
    for y, low, high in zip(positions, np.nanmin(list(values.values()), axis=0),
                            np.nanmax(list(values.values()), axis=0), strict=True):  # fmt: skip
        axes.plot([low, high], [y, y], color="lightgrey", linewidth=3, zorder=1)
    for rating, (label, position) in _RATING_STYLE.items():
        style = _style(position)
        axes.scatter(
            values[rating], positions, color=style["color"], marker=style["marker"], s=50, label=label,
            zorder=2, edgecolors="black", linewidths=0.5,
        )  # fmt: skip
    names = _mapping(dimension_names)
    axes.set_yticks(positions, [f"{target.capitalize()}: {names.get(d, d)}" for target, d in keys])
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=3, fontsize=8, frameon=False)
    return figure


def profile_chart(
    profiles: pd.DataFrame,
    *,
    team_names: Mapping | None = None,
    dimension_names: Mapping | None = None,
    organization: pd.Series | None = None,
    kind: str = "parallel",
    scale: tuple[float, float] | None = None,
    title: str = "Mindset profiles",
) -> Figure:
    """Teams' mean mindset profiles as parallel coordinates (default) or a radar chart.

    Parameters
    ----------
    profiles : DataFrame
        ``OrganizationReport.profiles`` (teams x mindset dimensions), or a selection of
        its rows; more than eight teams repeat colours, so pass the teams of interest.
    team_names, dimension_names : Mapping, optional
        Labels for teams and dimensions.
    organization : Series, optional
        The organisation's profile, drawn as a thick grey reference line.
    kind : {"parallel", "radar"}
    scale : (low, high), optional
        Limits of the value axis (e.g. the answer scale).
    """
    if kind not in ("parallel", "radar"):
        raise ValueError(f"kind must be 'parallel' or 'radar'; got {kind!r}")
    # The legend lists every team: give it room (and columns) when there are many.
    legend_columns = 1 if len(profiles) <= 18 else 2
    figure = _figure(8 + 1.5 * (legend_columns - 1), max(5.5, 0.24 * len(profiles) / legend_columns + 1.5))
    dimensions = list(profiles.columns)
    labels = _names(dimension_names, dimensions)
    if kind == "radar":
        axes = figure.add_subplot(projection="polar")
        angles = np.linspace(0, 2 * np.pi, len(dimensions), endpoint=False)
        closed = np.r_[angles, angles[:1]]
        axes.set_xticks(angles, labels, fontsize=8)
        axes.set_xlabel("Dimension (around the circle)")
        axes.set_ylabel("Mean score", labelpad=28)
    else:
        axes = figure.add_subplot()
        angles = np.arange(len(dimensions))
        closed = angles
        axes.set_xticks(angles, labels, rotation=20, ha="right", fontsize=8)
        axes.set_xlabel("Mindset dimension")
        axes.set_ylabel("Mean score")
        axes.grid(axis="x", color="lightgrey")
    axes.set_title(title)
    if profiles.empty or not dimensions:
        _empty(figure, axes, "No team can be shown")
        return figure

    def close(values):
        values = np.asarray(values, dtype=float)
        return np.r_[values, values[:1]] if kind == "radar" else values

    if organization is not None:
        axes.plot(
            closed, close(organization.reindex(dimensions)), color="grey", linewidth=4, alpha=0.5,
            label="Organisation",
        )  # fmt: skip
    for position, (team, row) in enumerate(profiles.iterrows()):
        style = _style(position)
        axes.plot(closed, close(row.to_numpy()), label=_names(team_names, [team])[0], markersize=5, **style)
    if scale is not None:
        axes.set_ylim(*scale)
    axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8, frameon=False, ncols=legend_columns)
    return figure


def heatmap_chart(heatmap, *, title: str = "Item ratings: each team against the organisation mean") -> Figure:
    """Team x item heatmap of the difference from the organisation's item mean.

    Diverging ``PuOr`` colours with :class:`~matplotlib.colors.TwoSlopeNorm` centred on 0,
    that is on the organisation's mean of each item; purple above it, orange below.

    Parameters
    ----------
    heatmap : Heatmap
        ``OrganizationReport.heatmap``.
    """
    means, organization = heatmap.means, heatmap.organization
    width, height = min(3 + 0.12 * max(means.shape[1], 10), 16), min(2 + 0.25 * max(len(means), 4), 14)
    # Fixed margins instead of the constrained layout: with 100+ tick labels the layout
    # engine's repeated text measuring would triple the drawing time.
    figure = Figure(figsize=(width, height))
    labels = _names(heatmap.names, means.index)
    left_inches = 0.7 + 0.055 * max((len(label) for label in labels), default=4)
    figure.subplots_adjust(left=left_inches / width, right=0.9, bottom=0.9 / height, top=1 - 0.5 / height)
    axes = figure.add_subplot()
    axes.set_title(title)
    axes.set_xlabel("Item")
    axes.set_ylabel("Team")
    if means.empty:
        _empty(figure, axes, "No team can be shown")
        return figure
    difference = (means - organization.reindex(means.columns)).to_numpy(dtype=float)
    limit = float(np.nanmax(np.abs(difference))) if np.isfinite(difference).any() else 1.0
    limit = max(limit, 1e-6)
    norm = TwoSlopeNorm(vmin=-limit, vcenter=0.0, vmax=limit)
    # One raster image rather than a mesh of cells: 40 teams x 96 items stay one element in SVG.
    image = axes.imshow(
        np.ma.masked_invalid(difference), cmap="PuOr", norm=norm, aspect="auto", interpolation="nearest"
    )
    axes.set_yticks(np.arange(len(means)), labels, fontsize=7)
    axes.set_xticks(np.arange(means.shape[1]), list(means.columns), rotation=90, fontsize=6)
    bar = figure.colorbar(image, ax=axes, shrink=0.8, fraction=0.04, pad=0.01)
    bar.set_label("Difference from the organisation mean (scale points)")
    return figure


def agreement_chart(
    rwg: pd.DataFrame,
    *,
    dimension_names: Mapping | None = None,
    title: str = "Within-team agreement r_wg(j) by dimension",
) -> Figure:
    """r_wg(j) of every shown team per dimension, with the .70 consensus line.

    Each team is a point (spread sideways so they do not overlap); the horizontal bar is
    the median team. Points below the line are teams without consensus on the dimension.

    Parameters
    ----------
    rwg : DataFrame
        ``OrganizationReport.agreement.rwg_j`` (``team, dimension, rwg_j``).
    """
    dimensions = list(dict.fromkeys(rwg["dimension"])) if not rwg.empty else []
    figure = _figure(max(6, 0.55 * len(dimensions) + 2), 5)
    axes = figure.add_subplot()
    axes.set_title(title)
    axes.set_xlabel("Dimension")
    axes.set_ylabel("r_wg(j) (1 = full agreement)")
    axes.set_ylim(-0.02, 1.02)
    axes.axhline(
        CONSENSUS_LINE, color=PALETTE[5], linestyle="--", linewidth=1.2, label="consensus line (.70)"
    )
    if not dimensions:
        _empty(figure, axes, "No team can be shown")
        return figure
    rng = np.random.default_rng(0)  # fixed spread: the same data draws the same chart
    for x, dimension in enumerate(dimensions):
        values = rwg.loc[rwg["dimension"] == dimension, "rwg_j"].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        spread = rng.uniform(-0.18, 0.18, len(values))
        below = values < CONSENSUS_LINE
        axes.scatter(x + spread[~below], values[~below], s=14, color=PALETTE[0], marker="o",
                     label="team" if x == 0 else None)  # fmt: skip
        axes.scatter(x + spread[below], values[below], s=18, color=PALETTE[5], marker="x",
                     label="team without consensus" if x == 0 else None)  # fmt: skip
        if len(values):
            axes.plot([x - 0.3, x + 0.3], [np.median(values)] * 2, color="black", linewidth=2,
                      label="median team" if x == 0 else None)  # fmt: skip
    axes.set_xticks(np.arange(len(dimensions)), _names(dimension_names, dimensions), rotation=35, ha="right",
                    fontsize=8)  # fmt: skip
    axes.legend(loc="lower left", fontsize=8, frameon=True)
    return figure


def trend_chart(
    trend,
    *,
    dimension_names: Mapping | None = None,
    dimensions: Sequence[str] | None = None,
    title: str = "Trend over waves",
) -> Figure:
    """Dimension means and the sales-marketing alignment index over waves, with 95 % CI bands.

    Parameters
    ----------
    trend : TrendSection or DataFrame
        ``OrganizationReport.trend``, or a table of means by wave alone such as
        ``TeamReport.trend`` (then only the upper panel has data).
    dimensions : sequence of str, optional
        Dimensions to draw (default: all; more than eight repeat colours).
    """
    figure = _figure(9, 6.5)
    top, bottom = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    figure.suptitle(title)
    top.set_title("Dimension means (95 % CI)", fontsize=10)
    top.set_ylabel("Mean rating")
    bottom.set_title("Sales-marketing alignment index (95 % bootstrap CI)", fontsize=10)
    bottom.set_ylabel("Alignment index")
    bottom.set_xlabel("Wave")
    if isinstance(trend, pd.DataFrame):
        table, alignment, latest = trend, pd.DataFrame(), pd.DataFrame()
    else:
        table, alignment, latest = trend.dimensions, trend.alignment, trend.latest_change
    waves = list(dict.fromkeys(table["wave"])) if not table.empty else []
    if not waves:
        _empty(figure, top, "No wave can be shown")
        return figure
    x_of = {wave: position for position, wave in enumerate(waves)}
    chosen = list(dimensions) if dimensions is not None else list(dict.fromkeys(table["dimension"]))
    significant = {}
    if not latest.empty:
        significant = dict(zip(latest["dimension"], latest["significant"], strict=True))
    for position, dimension in enumerate(chosen):
        rows = table[table["dimension"] == dimension]
        x = rows["wave"].map(x_of).to_numpy()
        style = _style(position)
        label = _names(dimension_names, [dimension])[0] + (" *" if significant.get(dimension) else "")
        top.plot(x, rows["mean"], label=label, markersize=5, **style)
        top.fill_between(x, rows["ci_low"], rows["ci_high"], color=style["color"], alpha=0.15, linewidth=0)
    if not alignment.empty:
        x = alignment["wave"].map(x_of).to_numpy()
        bottom.plot(x, alignment["alignment"], color="black", marker="D", label="sales vs marketing")
        bottom.fill_between(
            x, alignment["ci_low"], alignment["ci_high"], color="grey", alpha=0.25, linewidth=0
        )
        if significant.get("alignment"):
            bottom.annotate("*", (x[-1], alignment["alignment"].iloc[-1]), xytext=(6, 4),
                            textcoords="offset points", fontsize=12)  # fmt: skip
        bottom.legend(loc="lower left", fontsize=8, frameon=False)
    bottom.set_xticks(range(len(waves)), waves)
    top.legend(
        loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7, frameon=False,
        title="* = latest change p < .05", title_fontsize=7,
    )  # fmt: skip
    return figure


def figure_to_svg(figure: Figure) -> str:
    """The figure as SVG text, with text kept as text (searchable, read by screen readers)."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "mindgap"}):
        figure.savefig(buffer, format="svg")
    return buffer.getvalue()


def figure_to_png(figure: Figure, dpi: int = 150) -> bytes:
    """The figure as PNG bytes at ``dpi`` dots per inch."""
    if isinstance(dpi, bool) or not isinstance(dpi, int | float) or not 10 <= dpi <= 1200:
        raise ValueError(f"dpi must be a number between 10 and 1200; got {dpi!r}")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()

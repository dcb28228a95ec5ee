"""Report charts as matplotlib Figures, built with the object API only (never pyplot).

Every function takes tables of :mod:`analysis.report` (already suppressed) and returns a
:class:`matplotlib.figure.Figure` (or a list of them) with a title and labelled axes; the
web layer turns it into bytes with :func:`figure_to_svg` or :func:`figure_to_png`. pyplot
keeps global state that is not safe in a server, so a Figure is created directly and drawn
by its own canvas.

Text. Names of teams and waves, item texts and titles are drawn literally: every string
passes through :func:`literal`, so a team called ``$\\alpha$`` is never read as mathtext.
Every text uses one font, DejaVu Sans (:data:`FONT_FAMILY`), the font matplotlib ships
(:func:`font_path`), so that a page or PDF that loads the same file shows charts and text
alike on every host. Figures are sized for an A4 or Letter page (at most 7 inches wide)
and labels are placed, wrapped or keyed so that none is clipped or overlaps another.

Accessibility: colours are the Okabe-Ito palette (distinguishable with the common colour
vision deficiencies), and every series also has its own marker and line style, so the
charts read in greyscale print. The diverging heatmap uses ``PuOr``, which stays readable
for red-green deficiencies, is centred on the organisation's mean with
:class:`~matplotlib.colors.TwoSlopeNorm`, and with few teams prints the difference on the
cells that stand out.

Language. Every title, axis label, legend entry and note is written in English inside
``_("…")``, where ``_`` is the function's ``gettext`` keyword: the caller passes the
translation of the reader's language (``survey.services.figures`` passes the product's
catalogue), the default draws the English texts as written. Variable parts are
``{placeholders}`` filled after translation. A ``number`` keyword, ``number(value, digits)
-> str``, writes the numbers a chart prints (tick labels, differences on cells) with the
language's separators; without it matplotlib's own tick labels are drawn.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, ScalarFormatter

__all__ = [
    "FONT_FAMILY",
    "MARKERS",
    "PALETTE",
    "agreement_chart",
    "english",
    "figure_to_png",
    "figure_to_svg",
    "font_path",
    "gap_forest_chart",
    "heatmap_chart",
    "heatmap_rows",
    "literal",
    "meta_perception_chart",
    "pomp",
    "profile_chart",
    "quadrant_chart",
    "trend_chart",
    "trend_panels",
]

#: Okabe & Ito (2008) colour-blind-safe palette (black last).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
#: Markers and line styles that keep series apart without colour.
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 2)), (0, (8, 2)))
#: r_wg(j) line below which a team is said to have no consensus.
CONSENSUS_LINE = 0.70
#: The one font of every chart (and of the report pages that show them).
FONT_FAMILY = "DejaVu Sans"
#: Widest figure, in inches: the text width of an A4 or Letter page with 16 mm margins.
PAGE_WIDTH = 7.0
#: Rows of one heatmap figure at most (items and dimension headings): about one A4 page.
HEATMAP_PAGE_ROWS = 26

#: A translation: an English message -> the message in the reader's language.
Gettext = Callable[[str], str]
#: A number formatter: ``(value, digits) -> text`` with the reader's separators.
Number = Callable[[float, int], str]


def english(message: str) -> str:
    """The default ``gettext`` of every chart: the message as written, in English."""
    return message


def font_path(bold: bool = False, italic: bool = False) -> Path:
    """The DejaVu Sans file matplotlib ships and draws with (regular, bold, oblique)."""
    name = (
        "DejaVuSans"
        + ("-" if bold or italic else "")
        + ("Bold" if bold else "")
        + ("Oblique" if italic else "")
    )
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / f"{name}.ttf"


def literal(text) -> str:
    """``text`` as matplotlib must receive it to draw it literally (no mathtext).

    matplotlib reads a string with an even number of unescaped ``$`` as mathtext; an
    escaped ``\\$`` is drawn as ``$``. Nothing else in a string is special.
    """
    return str(text).replace("$", r"\$")


def pomp(values, low: float, high: float):
    """Percent of maximum possible: ``100 (x - low) / (high - low)`` (0 at the scale's bottom)."""
    return 100.0 * (np.asarray(values, dtype=float) - low) / (high - low)


def _style(position: int) -> dict:
    return {
        "color": PALETTE[position % len(PALETTE)],
        "marker": MARKERS[position % len(MARKERS)],
        "linestyle": LINESTYLES[position % len(LINESTYLES)],
    }


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(min(width, PAGE_WIDTH), height), layout="constrained")


def _decimals(values) -> int:
    """The fewest decimals (up to 4) that write every one of ``values`` exactly."""
    finite = [float(v) for v in values if np.isfinite(v)]
    for digits in range(5):
        if all(abs(round(v, digits) - v) <= 1e-9 * max(1.0, abs(v)) for v in finite):
            return digits
    return 4


def _number_ticks(axis, number: Number) -> None:
    """``axis``'s numeric tick labels written by ``number`` (labels set as text stay as they are)."""
    if not isinstance(axis.get_major_formatter(), ScalarFormatter):
        return

    def label(value, _position):
        return number(value, _decimals(axis.get_majorticklocs()))

    axis.set_major_formatter(FuncFormatter(label))


def _finish(figure: Figure, number: Number | None = None) -> Figure:
    """Every text of the figure in :data:`FONT_FAMILY`, ticks created later included; numeric
    tick labels written by ``number`` when one is given."""
    for axes in figure.axes:
        axes.tick_params(which="both", labelfontfamily=FONT_FAMILY)
        if number is not None:
            _number_ticks(axes.xaxis, number)
            _number_ticks(axes.yaxis, number)
    for text in figure.findobj(Text):
        text.set_fontfamily(FONT_FAMILY)
    return figure


def _mapping(mapping) -> dict:
    """A plain dict from a Mapping, a Series or None."""
    if mapping is None:
        return {}
    return mapping.to_dict() if isinstance(mapping, pd.Series) else dict(mapping)


def _names(mapping, keys) -> list[str]:
    mapping = _mapping(mapping)
    return [str(mapping.get(key, key)) for key in keys]


def _wrap(text, width: int, lines: int = 2) -> str:
    """``text`` wrapped at ``width`` characters into at most ``lines`` lines (an ellipsis if cut)."""
    return literal(textwrap.fill(str(text), width, max_lines=lines, placeholder=" …"))


def _title(target, text: str, width: int = 72, **options) -> None:
    """A title (``Axes.set_title`` or ``Figure.suptitle``) wrapped to fit the figure's width."""
    wrapped = _wrap(text, width, 3)
    if isinstance(target, Figure):
        target.suptitle(wrapped, fontsize=options.pop("fontsize", 10.5), **options)
    else:
        target.set_title(wrapped, fontsize=options.pop("fontsize", 10.5), **options)


def _written(number: Number | None, value, digits: int) -> str:
    """``value`` with ``digits`` decimals, by ``number`` if given (a real minus sign either way)."""
    if number is not None:
        return number(value, digits)
    return f"{value:.{digits}f}".replace("-", "\u2212")


def _empty(axes, message: str) -> None:
    axes.text(0.5, 0.5, literal(message), ha="center", va="center", transform=axes.transAxes)


def _legend(figure: Figure, handles, labels, **options):
    """A figure legend from explicit handles and labels (already :func:`literal`).

    Explicit labels keep a name that starts with ``_``, which matplotlib would otherwise drop.
    """
    options = {"fontsize": 8, "frameon": False, **options}
    return figure.legend(handles, labels, **options)


# --------------------------------------------------------------------------- quadrant


def quadrant_chart(
    pairs: pd.DataFrame,
    *,
    midpoint: float,
    headline=None,
    label_count: int = 5,
    title: str | None = None,
    gettext: Gettext = english,
    number: Number | None = None,
) -> Figure:
    """Pairs of teams placed by level (how good both think things are) and alignment.

    The ``label_count`` least aligned pairs are numbered on the chart and named in the
    legend below it, so that no name is drawn over a point or another name.

    Parameters
    ----------
    pairs : DataFrame
        ``OrganizationReport.alignment.pairs`` (columns ``name_a, name_b, alignment, level``).
    midpoint : float
        The answer scale's midpoint, where the level axis is split.
    headline : Headline, optional
        The sales-marketing headline, drawn as a larger marker with its interval.
    label_count : int
        How many of the least aligned pairs are numbered and named.
    gettext, number : callable, optional
        The reader's language (see the module's description).
    """
    _ = gettext
    figure = _figure(PAGE_WIDTH, 5.6)
    axes = figure.add_subplot()
    _title(axes, _("Alignment quadrant: level of the ratings against the gap between teams")
           if title is None else title)  # fmt: skip
    axes.set_xlabel(_("Level: mean rating of both teams (higher = better)"))
    axes.set_ylabel(_("Alignment index (100 = no difference)"))
    pairs = pairs.dropna(subset=["alignment", "level"]) if not pairs.empty else pairs
    if pairs.empty and headline is None:
        _empty(axes, _("No pair of teams can be shown"))
        return _finish(figure, number)
    handles, labels = [], []
    if not pairs.empty:
        handles.append(axes.scatter(
            pairs["level"], pairs["alignment"], s=22, color=PALETTE[0], marker="o", alpha=0.75,
            edgecolors="white", linewidths=0.4,
        ))  # fmt: skip
        labels.append(_("pair of teams"))
    values = [*pairs["alignment"]] if not pairs.empty else []
    if headline is not None and np.isfinite(headline.alignment):
        # The interval as given, widened to reach the estimate should it not contain it.
        ends = [v for v in (headline.ci_low, headline.ci_high) if np.isfinite(v)]
        low, high = min([*ends, headline.alignment]), max([*ends, headline.alignment])
        axes.vlines(headline.level, low, high, color="black", linewidth=1.2, zorder=2)
        handles.append(axes.scatter(
            [headline.level], [headline.alignment], s=110, color=PALETTE[5], marker="D", edgecolors="black",
            zorder=3,
        ))  # fmt: skip
        labels.append(_("sales vs marketing, with its 95 % interval"))
        values += [low, headline.alignment]
    bottom = min(values) if values else 50.0
    bottom = 0.0 if bottom < 40 else 10 * math.floor((bottom - 6) / 10)
    axes.set_ylim(bottom - 6, 108)
    axes.set_yticks([y for y in range(0, 101, 10) if y >= bottom])
    axes.axvline(midpoint, color="grey", linestyle="--", linewidth=1)
    axes.axhline(80, color="grey", linestyle=":", linewidth=1)
    # At least half a scale point either side of the midpoint, so small level differences look small.
    levels = [*pairs["level"]] if not pairs.empty else []
    if headline is not None and np.isfinite(headline.level):
        levels.append(headline.level)
    reach = max([0.5, *(abs(level - midpoint) + 0.1 for level in levels if np.isfinite(level))])
    if np.isfinite(midpoint):
        axes.set_xlim(midpoint - reach, midpoint + reach)
    for x, y, text, align in (
        (0.99, 104, _("aligned, positive"), "right"),
        (0.01, 104, _("aligned, critical"), "left"),
        (0.99, bottom - 3.2, _("apart, positive"), "right"),
        (0.01, bottom - 3.2, _("apart, critical"), "left"),
    ):
        axes.text(x, y, text, transform=axes.get_yaxis_transform(), ha=align, va="center", fontsize=8,
                  color="dimgrey", style="italic", zorder=5)  # fmt: skip
    if label_count and not pairs.empty:
        least = pairs.nsmallest(label_count, "alignment")
        for position, row in enumerate(least.itertuples(index=False), start=1):
            axes.annotate(
                str(position), (row.level, row.alignment), textcoords="offset points", xytext=(5, 4),
                fontsize=8, fontweight="bold", zorder=6,
            )  # fmt: skip
            handles.append(Line2D([], [], linestyle="none"))
            value = _written(number, row.alignment, 0)
            labels.append(_wrap(f"{position}  {row.name_a} – {row.name_b} ({value})", 60))
    _legend(figure, handles, labels, loc="outside lower center", ncols=1 if len(labels) < 4 else 2,
            handlelength=1.2, handletextpad=0.4)  # fmt: skip
    return _finish(figure, number)


# --------------------------------------------------------------------------- gaps


def gap_forest_chart(
    means: pd.DataFrame,
    gaps: pd.DataFrame,
    team_a,
    team_b,
    *,
    dimension_names: Mapping | None = None,
    dimensions: Sequence[str] | None = None,
    title: str | None = None,
    gettext: Gettext = english,
    number: Number | None = None,
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
    gettext, number : callable, optional
        The reader's language (see the module's description).
    """
    _ = gettext
    forward = gaps[(gaps["team_a"] == team_a) & (gaps["team_b"] == team_b)]
    backward = gaps[(gaps["team_a"] == team_b) & (gaps["team_b"] == team_a)]
    table, sign = forward.set_index("dimension"), 1.0
    if table.empty and not backward.empty:
        table, sign = backward.set_index("dimension"), -1.0
    dimensions = list(dimensions) if dimensions is not None else list(table.index)
    figure = _figure(PAGE_WIDTH, 0.36 * max(len(dimensions), 4) + 2.2)
    left, right = figure.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [3, 2]})
    team_names = dict(zip(means["team"], means["name"], strict=False))
    name_a, name_b = str(team_names.get(team_a, team_a)), str(team_names.get(team_b, team_b))
    _title(figure, title or _("Perception gaps: {team_a} and {team_b}").format(team_a=name_a, team_b=name_b))
    left.set_title(_("Team means, 95 % CI"), fontsize=9)
    right.set_title(_("Gap (Hedges' g), 95 % CI"), fontsize=9)
    left.set_xlabel(_("Mean rating"))
    left.set_ylabel(_("Dimension"))
    right.set_xlabel(_wrap(_("g: {team_a} minus {team_b}").format(team_a=name_a, team_b=name_b), 30, 3),
                     fontsize=8)  # fmt: skip
    if not dimensions:
        _empty(left, _("This pair cannot be shown"))
        return _finish(figure, number)
    positions = np.arange(len(dimensions))[::-1].astype(float)
    indexed = means.set_index(["team", "dimension"])
    handles, labels = [], []
    for offset, (team, label, style) in enumerate(((team_a, name_a, _style(0)), (team_b, name_b, _style(1)))):
        rows = indexed.reindex([(team, d) for d in dimensions])
        y = positions + (0.15 if offset == 0 else -0.15)
        centre = rows["mean"].to_numpy(dtype=float)
        error = np.abs(np.vstack(
            [centre - rows["ci_low"].to_numpy(dtype=float), rows["ci_high"].to_numpy(dtype=float) - centre]
        ))  # fmt: skip
        left.errorbar(centre, y, xerr=error, color=style["color"], linestyle="none", capsize=2)
        agreed = rows["consensus"].fillna(False).to_numpy(dtype=bool)
        marker = {"marker": style["marker"], "s": 36, "zorder": 3}
        handles.append(left.scatter(centre[agreed], y[agreed], color=style["color"], **marker))
        labels.append(_wrap(label, 40))
        left.scatter(centre[~agreed], y[~agreed], facecolors="white", edgecolors=style["color"], **marker)
    handles.append(
        Line2D([], [], marker="o", linestyle="none", markerfacecolor="white", markeredgecolor="grey")
    )
    labels.append(_("hollow: the team does not agree internally"))
    rows = table.reindex(dimensions)
    g = sign * rows["g"].to_numpy(dtype=float)
    low, high = rows["g_ci_low"].to_numpy(dtype=float), rows["g_ci_high"].to_numpy(dtype=float)
    if sign < 0:
        low, high = -high, -low
    significant = rows["significant"].fillna(False).to_numpy(dtype=bool)
    right.errorbar(
        g, positions, xerr=np.abs(np.vstack([g - low, high - g])), color="black", linestyle="none", capsize=2
    )
    square = {"marker": "s", "s": 30, "zorder": 3}
    handles.append(right.scatter(g[significant], positions[significant], color="black", **square))
    labels.append(_("significant gap (*, adjusted p < .05)"))
    handles.append(right.scatter(
        g[~significant], positions[~significant], facecolors="white", edgecolors="black", **square
    ))  # fmt: skip
    labels.append(_("could be chance"))
    for x, y in zip(high[significant], positions[significant], strict=True):
        right.annotate("*", (x, y), textcoords="offset points", xytext=(4, -4), fontsize=11)
    right.axvline(0, color="grey", linewidth=1)
    right.margins(x=0.15)
    left.set_yticks(positions, [_wrap(name, 28) for name in _names(dimension_names, dimensions)], fontsize=8)
    _legend(figure, handles, labels, loc="outside lower center", ncols=2)
    return _finish(figure, number)


def meta_perception_chart(
    meta: pd.DataFrame,
    *,
    dimension_names: Mapping | None = None,
    target_names: Mapping | None = None,
    title: str | None = None,
    gettext: Gettext = english,
    number: Number | None = None,
) -> Figure:
    """Self, other and expected ratings for each target function and paired dimension.

    Parameters
    ----------
    meta : DataFrame
        ``OrganizationReport.meta_perception`` (rows ``comparison = "perception"`` hold self
        vs other, ``"meta_accuracy"`` expected vs other).
    dimension_names : Mapping, optional
        Dimension id -> name.
    target_names : Mapping, optional
        Function code (``"sales"``, ``"marketing"``) -> the name to show.
    gettext, number : callable, optional
        The reader's language (see the module's description).
    """
    _ = gettext
    perception = meta[meta["comparison"] == "perception"] if not meta.empty else meta
    figure = _figure(PAGE_WIDTH, 0.42 * max(len(perception), 4) + 1.9)
    axes = figure.add_subplot()
    _title(axes, title or _("How each function sees itself, the other, and what it expects"))
    axes.set_xlabel(_("Mean rating"))
    axes.set_ylabel(_("Function rated and dimension"))
    if meta.empty:
        _empty(axes, _("No meta-perception items, or too few respondents"))
        return _finish(figure, number)
    perception = perception.set_index(["target", "dimension"])
    expected = meta[meta["comparison"] == "meta_accuracy"].set_index(["target", "dimension"])
    keys = list(perception.index)
    positions = np.arange(len(keys))[::-1]
    values = {
        "self": perception["mean_a"].reindex(keys).to_numpy(dtype=float),
        "other": perception["mean_b"].reindex(keys).to_numpy(dtype=float),
        "expected": expected["mean_a"].reindex(keys).to_numpy(dtype=float),
    }
    stacked = np.vstack(list(values.values()))
    for y, column in zip(positions, stacked.T, strict=True):
        finite = column[np.isfinite(column)]
        if len(finite):
            axes.plot([finite.min(), finite.max()], [y, y], color="lightgrey", linewidth=3, zorder=1)
    ratings = {
        "self": (_("How the team rates itself"), 0),
        "other": (_("How the other team rates it"), 1),
        "expected": (_("How it expects to be rated"), 2),
    }
    handles, labels = [], []
    for rating, (label, position) in ratings.items():
        style = _style(position)
        handles.append(axes.scatter(
            values[rating], positions, color=style["color"], marker=style["marker"], s=50, zorder=2,
            edgecolors="black", linewidths=0.5,
        ))  # fmt: skip
        labels.append(label)
    names = _mapping(dimension_names)
    targets = {"sales": _("Sales"), "marketing": _("Marketing"), **_mapping(target_names)}
    rows = [
        _("{function}: {dimension}").format(
            function=targets.get(t, str(t).capitalize()), dimension=names.get(d, d)
        )
        for t, d in keys
    ]
    axes.set_yticks(positions, [_wrap(row, 36) for row in rows], fontsize=8)
    _legend(figure, handles, labels, loc="outside lower center", ncols=3)
    return _finish(figure, number)


# --------------------------------------------------------------------------- profiles


def profile_chart(
    profiles: pd.DataFrame,
    *,
    team_names: Mapping | None = None,
    dimension_names: Mapping | None = None,
    organization: pd.Series | None = None,
    organization_label: str | None = None,
    kind: str = "parallel",
    scale: tuple[float, float] | None = None,
    title: str | None = None,
    gettext: Gettext = english,
    number: Number | None = None,
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
    organization_label : str, optional
        Its name in the legend (default: "Organisation").
    kind : {"parallel", "radar"}
    scale : (low, high), optional
        Limits of the value axis (e.g. the answer scale).
    gettext, number : callable, optional
        The reader's language (see the module's description).
    """
    _ = gettext
    if kind not in ("parallel", "radar"):
        raise ValueError(f"kind must be 'parallel' or 'radar'; got {kind!r}")
    entries = len(profiles) + (organization is not None)
    legend_columns = 1 if entries <= 16 else 2
    figure = _figure(PAGE_WIDTH, max(4.8, 0.2 * entries / legend_columns + 2.2))
    dimensions = list(profiles.columns)
    labels = [_wrap(name, 18) for name in _names(dimension_names, dimensions)]
    if kind == "radar":
        axes = figure.add_subplot(projection="polar")
        angles = np.linspace(0, 2 * np.pi, len(dimensions), endpoint=False)
        closed = np.r_[angles, angles[:1]]
        axes.set_xticks(angles, labels, fontsize=8)
        axes.set_xlabel(_("Dimension (around the circle)"))
        axes.set_ylabel(_("Mean score"), labelpad=28)
    else:
        axes = figure.add_subplot()
        angles = np.arange(len(dimensions))
        closed = angles
        axes.set_xticks(angles, labels, fontsize=7.5, rotation=30, ha="right", rotation_mode="anchor")
        axes.set_xlabel(_("Mindset dimension"))
        axes.set_ylabel(_("Mean score"))
        axes.grid(axis="x", color="lightgrey")
    _title(axes, _("Mindset profiles") if title is None else title, 60)
    if profiles.empty or not dimensions:
        _empty(axes, _("No team can be shown"))
        return _finish(figure, number)

    def close(values):
        values = np.asarray(values, dtype=float)
        return np.r_[values, values[:1]] if kind == "radar" else values

    handles, names = [], []
    if organization is not None:
        handles += axes.plot(
            closed, close(organization.reindex(dimensions)), color="grey", linewidth=4, alpha=0.5
        )
        names.append(_("Organisation") if organization_label is None else organization_label)
    for position, (team, row) in enumerate(profiles.iterrows()):
        handles += axes.plot(closed, close(row.to_numpy()), markersize=5, **_style(position))
        names.append(_wrap(_names(team_names, [team])[0], 26))
    if scale is not None:
        axes.set_ylim(*scale)
    _legend(figure, handles, names, loc="outside right upper", ncols=legend_columns)
    return _finish(figure, number)


# --------------------------------------------------------------------------- heatmap


def heatmap_rows(heatmap, dimensions: Sequence[str] | None = None) -> list[tuple[str, list[str]]]:
    """The heatmap's items grouped by dimension: ``[(dimension, [item ids]), …]`` in order."""
    item_dimension = heatmap.item_dimension
    order = list(dimensions) if dimensions is not None else list(dict.fromkeys(item_dimension))
    groups = []
    for dimension in order:
        items = [item for item in heatmap.means.columns if item_dimension.get(item) == dimension]
        if items:
            groups.append((dimension, items))
    return groups


def heatmap_chart(
    heatmap,
    *,
    item_text: Mapping | None = None,
    dimension_names: Mapping | None = None,
    dimensions: Sequence[str] | None = None,
    title: str | None = None,
    gettext: Gettext = english,
    number: Number | None = None,
) -> Figure:
    """Item x team heatmap of the difference from the organisation's item mean.

    Items are rows, grouped under their dimension's name and labelled with their text;
    teams are columns. Diverging ``PuOr`` colours with
    :class:`~matplotlib.colors.TwoSlopeNorm` centred on 0, that is on the organisation's
    mean of each item: purple above it, orange below. Answers are keyed (a reverse-keyed
    statement counts the other way round), so purple always means a more favourable view.
    With up to twelve teams the cells that stand out (a difference of at least 0.2 and a
    third of the largest) also print it, so that the sign reads in greyscale too.

    One figure holds about one A4 page of rows (:data:`HEATMAP_PAGE_ROWS`): pass the
    ``dimensions`` of one page (:func:`heatmap_rows` groups the items) for each figure.

    Parameters
    ----------
    heatmap : Heatmap
        ``OrganizationReport.heatmap``.
    item_text : Mapping, optional
        Item id -> the statement as respondents read it (default: the item id).
    dimension_names : Mapping, optional
        Dimension id -> name.
    dimensions : sequence of str, optional
        The dimensions to draw, in order (default: all, in the instrument's order).
    gettext, number : callable, optional
        The reader's language (see the module's description).
    """
    _ = gettext
    if title is None:
        title = _("Item ratings: each team against the organisation mean")
    means, organization = heatmap.means, heatmap.organization
    groups = heatmap_rows(heatmap, dimensions)
    texts, names = _mapping(item_text), _mapping(dimension_names)
    rows: list[tuple[str, str | None]] = []  # (label, item id or None for a heading)
    for dimension, items in groups:
        rows.append((str(names.get(dimension, dimension)), None))
        rows += [(str(texts.get(item, item)), item) for item in items]
    teams = list(means.index)
    team_labels = [_wrap(label, 30, 1) for label in _names(heatmap.names, teams)]
    # Fixed margins rather than a layout engine: measuring a hundred wrapped labels again
    # and again would multiply the drawing time. The label column fits 62 characters of
    # 6.5 pt text, the top the longest team name turned upright.
    title_height, bar_height, label_width = 0.45, 0.9, 3.3
    names_height = 0.15 + 0.048 * max((min(len(label), 30) for label in team_labels), default=4)
    row_height = 0.27
    body = row_height * max(len(rows), 3)
    height = title_height + names_height + body + bar_height
    figure = Figure(figsize=(PAGE_WIDTH, height))
    axes = figure.add_axes((label_width / PAGE_WIDTH, (bar_height) / height,
                            (PAGE_WIDTH - label_width - 0.1) / PAGE_WIDTH, body / height))  # fmt: skip
    figure.suptitle(_wrap(title, 80, 2), fontsize=10.5, y=1 - 0.08 / height, va="top")
    if means.empty or not rows:
        _empty(axes, _("No team can be shown"))
        return _finish(figure, number)
    matrix = np.full((len(rows), len(teams)), np.nan)
    centred = means.sub(organization.reindex(means.columns), axis=1)
    for position, (_label, item) in enumerate(rows):
        if item is not None:
            matrix[position] = centred[item].to_numpy(dtype=float)
    limit = float(np.nanmax(np.abs(matrix))) if np.isfinite(matrix).any() else 1.0
    limit = max(limit, 1e-6)
    norm = TwoSlopeNorm(vmin=-limit, vcenter=0.0, vmax=limit)
    # One raster image rather than a mesh of cells: many teams x items stay one element in SVG.
    image = axes.imshow(
        np.ma.masked_invalid(matrix), cmap="PuOr", norm=norm, aspect="auto", interpolation="nearest"
    )
    axes.set_facecolor("white")
    # Labels as plain texts, not ticks: a tick is several artists, and there are many rows.
    axes.set_xticks([])
    axes.set_yticks([])
    rows_at = axes.get_yaxis_transform()  # x in axes fraction, y in data (rows)
    for position, (label, item) in enumerate(rows):
        if item is None:
            axes.text(-0.015, position, _wrap(label, 48, 1), transform=rows_at, ha="right", va="center",
                      fontsize=7.5, fontweight="bold")  # fmt: skip
        else:
            axes.text(-0.015, position, _wrap(label, 58), transform=rows_at, ha="right", va="center",
                      fontsize=6.5)  # fmt: skip
    column_font = 7 if len(teams) <= 20 else max(4.5, 7 * 20 / len(teams))
    columns_at = axes.get_xaxis_transform()  # x in data (teams), y in axes fraction
    for position, label in enumerate(team_labels):
        axes.text(position, 1.01, label, transform=columns_at, rotation=90, ha="center", va="bottom",
                  fontsize=column_font)  # fmt: skip
    for position, (_label, item) in enumerate(rows):
        if item is None:
            axes.axhline(position - 0.5, color="black", linewidth=0.6)
    if len(teams) <= 12:
        # Numbers on the cells that stand out (dark in colour and in greyscale alike).
        marked = max(0.2, limit / 3)
        for (y, x), value in np.ndenumerate(matrix):
            if np.isfinite(value) and abs(value) >= marked:
                colour = "white" if abs(value) > 0.6 * limit else "black"
                text = ("+" if value > 0 else "") + _written(number, value, 1)
                axes.text(x, y, text, ha="center", va="center", fontsize=5.5, color=colour)
    bar_axes = figure.add_axes((0.55, 0.58 / height, 0.4, 0.1 / height))
    bar = figure.colorbar(image, cax=bar_axes, orientation="horizontal")
    bar.set_label(
        _("Difference from the organisation mean\n(scale points; purple = more favourable)"), fontsize=7
    )
    bar.ax.tick_params(labelsize=7)
    return _finish(figure, number)


# --------------------------------------------------------------------------- agreement


def agreement_chart(
    rwg: pd.DataFrame,
    *,
    dimension_names: Mapping | None = None,
    title: str | None = None,
    gettext: Gettext = english,
    number: Number | None = None,
) -> Figure:
    """r_wg(j) of every shown team per dimension, with the .70 consensus line.

    Dimensions are rows (their names read horizontally); each team is a point, spread a
    little up and down so that points do not hide each other; the vertical bar is the
    median team. Points left of the line are teams without consensus on the dimension.

    Parameters
    ----------
    rwg : DataFrame
        ``OrganizationReport.agreement.rwg_j`` (``team, dimension, rwg_j``).
    gettext, number : callable, optional
        The reader's language (see the module's description).
    """
    _ = gettext
    dimensions = list(dict.fromkeys(rwg["dimension"])) if not rwg.empty else []
    figure = _figure(PAGE_WIDTH, 0.24 * max(len(dimensions), 5) + 1.6)
    axes = figure.add_subplot()
    _title(axes, _("Agreement within teams, rwg(j), per dimension") if title is None else title)
    axes.set_xlabel(_("rwg(j) (1 = full agreement)"))
    axes.set_ylabel(_("Dimension"))
    axes.set_xlim(-0.02, 1.02)
    line = axes.axvline(CONSENSUS_LINE, color=PALETTE[5], linestyle="--", linewidth=1.2)
    if not dimensions:
        _empty(axes, _("No team can be shown"))
        return _finish(figure, number)
    team, outside, median = _("team"), _("team without consensus"), _("median team")
    rng = np.random.default_rng(0)  # fixed spread: the same data draws the same chart
    positions = np.arange(len(dimensions))[::-1].astype(float)
    handles = {}
    for y, dimension in zip(positions, dimensions, strict=True):
        values = rwg.loc[rwg["dimension"] == dimension, "rwg_j"].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        spread = rng.uniform(-0.22, 0.22, len(values))
        below = values < CONSENSUS_LINE
        handles[team] = axes.scatter(values[~below], y + spread[~below], s=14, color=PALETTE[0], marker="o")
        handles[outside] = axes.scatter(values[below], y + spread[below], s=20, color=PALETTE[5], marker="x")
        if len(values):
            handles[median] = axes.plot(
                [np.median(values)] * 2, [y - 0.35, y + 0.35], color="black", linewidth=2
            )[0]
    handles[_("consensus line (.70)")] = line
    axes.set_yticks(positions, [_wrap(n, 34) for n in _names(dimension_names, dimensions)], fontsize=8)
    _legend(figure, list(handles.values()), [literal(label) for label in handles], loc="outside lower center",
            ncols=4)  # fmt: skip
    return _finish(figure, number)


# --------------------------------------------------------------------------- trend


def _trend_tables(trend):
    if isinstance(trend, pd.DataFrame):
        return trend, pd.DataFrame(), pd.DataFrame()
    return trend.dimensions, trend.alignment, trend.latest_change


def _panels(trend, dimension_names, scales, dimensions, alignment_label, definition_label):
    """(title, x, value, low, high, significant) per panel: the alignment index, the lead-definition
    index (where waves ask the lead calibration), then each dimension."""
    table, alignment, latest = _trend_tables(trend)
    definition = getattr(trend, "definition", None)
    definition = definition if definition is not None and len(definition) else None
    waves = list(dict.fromkeys([*table["wave"], *(alignment["wave"] if not alignment.empty else []),
                                *(definition["wave"] if definition is not None else [])]))  # fmt: skip
    x_of = {wave: position + 1 for position, wave in enumerate(waves)}
    significant = {}
    if not latest.empty:
        significant = dict(zip(latest["dimension"], latest["significant"].fillna(False), strict=True))
    panels = []

    def panel(title, rows, columns, key, convert):
        x = rows["wave"].map(x_of).to_numpy(dtype=float)
        value, low, high = (convert(rows[column].to_numpy(dtype=float)) for column in columns)
        return (title, x, value, low, high, bool(significant.get(key)))

    if not alignment.empty:
        columns = ("alignment", "ci_low", "ci_high")
        panels.append(panel(alignment_label, alignment, columns, "alignment", lambda values: values))
    if definition is not None:
        columns = ("index", "ci_low", "ci_high")
        panels.append(panel(definition_label, definition, columns, "lead_definition", lambda values: values))
    scales = _mapping(scales)
    chosen = list(dimensions) if dimensions is not None else list(dict.fromkeys(table["dimension"]))
    for dimension in chosen:
        rows = table[table["dimension"] == dimension]
        low_end, high_end = scales.get(dimension, (np.nan, np.nan))
        if rows.empty or not (np.isfinite(low_end) and np.isfinite(high_end)) or high_end <= low_end:
            continue
        title = _names(dimension_names, [dimension])[0]
        convert = lambda values, a=low_end, b=high_end: pomp(values, a, b)  # noqa: E731
        panels.append(panel(title, rows, ("mean", "ci_low", "ci_high"), dimension, convert))
    return waves, panels


def _draw_panel(axes, panel, wave_count: int, position: int) -> None:
    title, x, value, low, high, significant = panel
    style = _style(0 if position == 0 else 2)
    axes.fill_between(x, np.clip(low, 0, 100), np.clip(high, 0, 100), color=style["color"], alpha=0.18,
                      linewidth=0)  # fmt: skip
    axes.plot(x, value, color=style["color"], marker="o", markersize=4, linewidth=1.6)
    if significant and len(x):
        ring = {"marker": "o", "markersize": 8, "markerfacecolor": "none", "markeredgecolor": "black"}
        axes.plot(x[-1:], value[-1:], linestyle="none", **ring)
    axes.set_title(_wrap(title, 24) + (" *" if significant else ""), fontsize=8.5)
    axes.set_ylim(0, 100)
    axes.set_yticks([0, 50, 100])
    axes.set_xlim(0.6, wave_count + 0.4)
    axes.set_xticks(range(1, wave_count + 1))
    axes.tick_params(labelsize=7.5)
    axes.grid(axis="y", color="#e4e4e4", linewidth=0.6)


def trend_panels(
    trend,
    *,
    dimension_names: Mapping | None = None,
    scales: Mapping | None = None,
    dimensions: Sequence[str] | None = None,
    alignment_label: str | None = None,
    definition_label: str | None = None,
    gettext: Gettext = english,
    number: Number | None = None,
) -> list[Figure]:
    """The trend as small multiples, one small Figure per panel, to be laid out by the page.

    Every panel has the same axis, 0-100 from 0: the alignment index (0-100 itself), the
    lead-definition index (0-100 itself; ``trend.definition``, when waves ask the lead
    calibration), then
    each dimension as percent of the maximum possible score (:func:`pomp`: 0 is the bottom
    of its answer scale, 100 the top), so that dimensions on 1-5 and 1-7 scales compare.
    The band is the 95 % CI; a ring and ``*`` mark a latest change with p < .05. The x
    axis numbers the waves 1, 2, … in order (the page names them).

    Parameters
    ----------
    trend : TrendSection or DataFrame
        ``OrganizationReport.trend``, or a table of means by wave alone such as
        ``TeamReport.trend`` (then there is no alignment panel).
    scales : Mapping
        Dimension id -> (scale minimum, scale maximum); dimensions without one are left out.
    dimensions : sequence of str, optional
        Dimensions to draw (default: all, in table order).
    alignment_label, definition_label : str, optional
        The titles of the alignment and lead-definition panels (default: their names).
    gettext, number : callable, optional
        The reader's language (see the module's description).
    """
    _ = gettext
    alignment_label = _("Sales-marketing alignment index") if alignment_label is None else alignment_label
    definition_label = _("Lead-definition index") if definition_label is None else definition_label
    waves, panels = _panels(trend, dimension_names, scales, dimensions, alignment_label, definition_label)
    figures = []
    for position, panel in enumerate(panels):
        # Fixed margins: twenty small figures through a layout engine would take seconds.
        width, height = 2.3, 1.75
        figure = Figure(figsize=(width, height))
        axes = figure.add_axes(
            (0.36 / width, 0.28 / height, (width - 0.46) / width, (height - 0.72) / height)
        )
        _draw_panel(axes, panel, len(waves), position)
        figures.append(_finish(figure, number))
    return figures


def trend_chart(
    trend,
    *,
    dimension_names: Mapping | None = None,
    scales: Mapping | None = None,
    dimensions: Sequence[str] | None = None,
    columns: int = 4,
    alignment_label: str | None = None,
    definition_label: str | None = None,
    title: str | None = None,
    gettext: Gettext = english,
    number: Number | None = None,
) -> Figure:
    """The panels of :func:`trend_panels` in one Figure, ``columns`` to a row, with a wave key."""
    _ = gettext
    alignment_label = _("Sales-marketing alignment index") if alignment_label is None else alignment_label
    definition_label = _("Lead-definition index") if definition_label is None else definition_label
    waves, panels = _panels(trend, dimension_names, scales, dimensions, alignment_label, definition_label)
    rows = max(1, math.ceil(len(panels) / columns))
    figure = _figure(PAGE_WIDTH, 1.7 * rows + 1.2)
    _title(figure, _("Trend over waves (0-100: percent of the maximum score)") if title is None else title)
    if not panels:
        _empty(figure.add_subplot(), _("No wave can be shown"))
        return _finish(figure, number)
    grid = figure.subplots(rows, columns, squeeze=False, sharex=True, sharey=True)
    for position, axes in enumerate(grid.ravel()):
        if position < len(panels):
            _draw_panel(axes, panels[position], len(waves), position)
        else:
            axes.set_visible(False)
    key = "   ".join(f"{number} = {wave}" for number, wave in enumerate(waves, start=1))
    figure.supxlabel(_wrap(_("Waves: {key}").format(key=key), 110, 3), fontsize=8)
    return _finish(figure, number)


# --------------------------------------------------------------------------- output


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

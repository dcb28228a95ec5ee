"""The charts of a report as inline SVG, each with a text alternative in words.

The charts themselves are :mod:`analysis.charts` Figures; this module chooses what each
draws (the pair of teams furthest apart, the teams whose profiles stand out, one heatmap
per page of statements), passes the names readers know (dimension names, item texts in
the report's language, team names), turns the Figures into SVG and writes the sentence
that says what a chart shows, for the figure's caption and for screen readers (the SVG
itself is hidden from them).

Every chart speaks the report's language: its titles, labels and legends are translated
by the product's catalogue (the ``gettext`` keyword of :mod:`analysis.charts`), its
numbers written with the language's separators (``number``), and the sentences that say
what it shows are messages of :mod:`survey.services.wording`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import analysis
from instruments import Instrument
from survey.i18n import translate
from survey.services.wording import join, number, say

#: Most teams drawn in a profile chart (its palette has eight colours and markers).
PROFILE_TEAMS = 8
#: Up to this many teams the statement-by-statement heatmap is a table (its text wraps
#: on a phone and prints fast); with more it is a chart, one per page of statements.
HEATMAP_TABLE_TEAMS = 12


@dataclass(frozen=True)
class Chart:
    """One chart of a page: its SVG drawing(s) and what it shows, in words."""

    #: One SVG per drawing; a chart of small multiples or of several pages has several.
    svgs: tuple[str, ...]
    description: str
    #: ``"panels"`` for small multiples laid out by the page, else ``""``.
    layout: str = ""


def chart_language(language: str) -> dict:
    """The keywords that make an :mod:`analysis.charts` chart speak ``language``."""
    return {
        "gettext": lambda message: translate(language, message),
        "number": lambda value, digits: number(value, digits, language),
    }


def _svg(figure) -> str:
    """Inline SVG without the XML prolog, hidden from screen readers (the caption says it)."""
    text = analysis.charts.figure_to_svg(figure)
    text = text[text.index("<svg") :]
    return text.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)


def item_texts(instruments: tuple[Instrument, ...], language: str) -> dict[str, str]:
    """Item id -> the statement as respondents read it, in ``language``."""
    return {item.id: item.label(language) for instrument in instruments for item in instrument.items}


def scales_of(report: analysis.OrganizationReport) -> dict[str, tuple[float, float]]:
    """Dimension id -> (lowest, highest answer) of its scale."""
    info = report.dimensions
    return {d: (float(info.at[d, "scale_min"]), float(info.at[d, "scale_max"])) for d in info.index}


def widest_pair(report: analysis.OrganizationReport):
    """The pair of shown teams furthest apart (lowest alignment index), or ``None``."""
    pairs = report.alignment.pairs.dropna(subset=["alignment"])
    if pairs.empty:
        return None
    row = pairs.sort_values("alignment", kind="stable").iloc[0]
    return row["team_a"], row["team_b"]


def perception_dimensions(report: analysis.OrganizationReport) -> list[str]:
    kinds = report.dimensions["kind"] if "kind" in report.dimensions else pd.Series(dtype=str)
    return [d for d in report.dimensions.index if kinds.get(d) not in ("mindset", "calibration")]


def _wave_key(waves: list[str]) -> str:
    return "; ".join(f"{number_} = {wave}" for number_, wave in enumerate(waves, start=1))


def organization_charts(
    report: analysis.OrganizationReport, instruments: tuple[Instrument, ...], language: str = "en"
) -> dict[str, Chart]:
    """Every chart of the organisation report, by name."""
    charts = analysis.charts
    names = report.dimensions["name"].to_dict()
    team_names = report.overview.teams["name"].astype(str).to_dict()
    alignment = report.alignment
    result: dict[str, Chart] = {}

    pairs = alignment.pairs.dropna(subset=["alignment"]) if len(alignment.pairs) else alignment.pairs
    if len(pairs) or alignment.headline is not None:
        least = pairs.nsmallest(5, "alignment") if len(pairs) else pairs
        listed = [
            f"{n} {row.name_a} – {row.name_b} ({number(row.alignment, 0, language)})"
            for n, row in enumerate(least.itertuples(index=False), start=1)
        ]
        description = say(language, "figure.quadrant", pairs="; ".join(listed) or "–")
        head = alignment.headline
        if head is not None:
            description += say(
                language,
                "figure.quadrant.headline",
                value=number(head.alignment, 0, language),
                low=number(head.ci_low, 0, language),
                high=number(head.ci_high, 0, language),
            )
        figure = charts.quadrant_chart(
            pairs,
            midpoint=alignment.level_midpoint,
            headline=head,
            title=say(language, "title.quadrant"),
            **chart_language(language),
        )
        result["quadrant"] = Chart((_svg(figure),), description)

    pair = widest_pair(report)
    perception = perception_dimensions(report)
    if pair is not None:
        title = say(
            language,
            "title.gaps",
            team_a=team_names.get(pair[0], pair[0]),
            team_b=team_names.get(pair[1], pair[1]),
        )
        figure = charts.gap_forest_chart(
            report.means,
            report.gaps,
            *pair,
            dimension_names=names,
            dimensions=perception or None,
            title=title,
            **chart_language(language),
        )
        rows = report.gaps[
            ((report.gaps["team_a"] == pair[0]) & (report.gaps["team_b"] == pair[1]))
            | ((report.gaps["team_a"] == pair[1]) & (report.gaps["team_b"] == pair[0]))
        ]
        rows = rows[rows["dimension"].isin(perception) & rows["significant"].fillna(False).astype(bool)]
        summary = (
            say(
                language,
                "figure.gaps.summary",
                dimensions=_and(language, [names.get(d, d) for d in rows["dimension"]]),
            )
            if len(rows)
            else say(language, "figure.gaps.none")
        )
        description = say(
            language,
            "figure.gaps",
            team_a=team_names.get(pair[0], pair[0]),
            team_b=team_names.get(pair[1], pair[1]),
            summary=summary,
        )
        result["gaps"] = Chart((_svg(figure),), description)

    meta = report.meta_perception
    if len(meta):
        targets = {"sales": say(language, "function.sales"), "marketing": say(language, "function.marketing")}
        figure = charts.meta_perception_chart(
            meta,
            dimension_names=names,
            target_names=targets,
            title=say(language, "title.meta"),
            **chart_language(language),
        )
        spread = meta.assign(size=meta["g"].abs()).sort_values("size", ascending=False, kind="stable")
        summary = ""
        if len(spread) and np.isfinite(spread["size"].iloc[0]):
            top = spread.iloc[0]
            summary = say(
                language,
                "figure.meta.summary",
                target=targets.get(top["target"], top["target"]),
                dimension=names.get(top["dimension"], top["dimension"]),
            )
        result["meta"] = Chart((_svg(figure),), say(language, "figure.meta", summary=summary))

    if len(report.profiles):
        result["profiles"] = _profiles(report, names, team_names, language)
    heatmap = report.heatmap
    if len(heatmap.means) and len(heatmap.means.columns) and len(heatmap.means) > HEATMAP_TABLE_TEAMS:
        result["heatmap"] = _heatmap(report, names, instruments, language)
    if len(report.agreement.rwg_j):
        figure = charts.agreement_chart(
            report.agreement.rwg_j,
            dimension_names=names,
            title=say(language, "title.agreement"),
            **chart_language(language),
        )
        below = int((report.agreement.rwg_j["rwg_j"] < charts.CONSENSUS_LINE).sum())
        description = say(
            language, "figure.agreement", summary=say(language, "figure.agreement.summary", count=below)
        )
        result["agreement"] = Chart((_svg(figure),), description)
    trend = report.trend
    definition_waves = getattr(trend, "definition", pd.DataFrame(columns=["wave"]))["wave"]
    waves = list(dict.fromkeys([*trend.dimensions["wave"], *trend.alignment["wave"], *definition_waves]))
    if len(waves) > 1:
        panels = charts.trend_panels(
            trend,
            dimension_names=names,
            scales=scales_of(report),
            alignment_label=say(language, "alignment.index"),
            definition_label=say(language, "definition.index"),
            **chart_language(language),
        )
        definition = getattr(trend, "definition", None)
        asked = definition is not None and len(definition) > 0
        result["trend"] = Chart(
            tuple(_svg(panel) for panel in panels),
            say(language, "figure.trend", waves=_wave_key(waves))
            + (say(language, "figure.trend.definition") if asked else ""),
            layout="panels",
        )
    return result


def _and(language: str, items: list[str]) -> str:
    return "".join(segment.text for segment in join(language, items))


def _profiles(report, names, team_names, language) -> Chart:
    root = report.suppression.root
    organization = report.means[report.means["team"] == root].set_index("dimension")["mean"]
    profiles = report.profiles
    total = len(profiles)
    if total > PROFILE_TEAMS:
        distance = ((profiles - organization.reindex(profiles.columns)) ** 2).sum(axis=1)
        profiles = profiles.loc[distance.sort_values(ascending=False, kind="stable").index[:PROFILE_TEAMS]]
    scales = scales_of(report)
    ends = [scales[d] for d in profiles.columns if d in scales]
    scale = (min(low for low, _ in ends), max(high for _, high in ends)) if ends else None
    figure = analysis.charts.profile_chart(
        profiles,
        team_names=team_names,
        dimension_names=names,
        organization=organization,
        organization_label=say(language, "organization"),
        scale=scale,
        title=say(language, "title.profiles"),
        **chart_language(language),
    )
    more = (
        say(language, "figure.profiles.more", shown=len(profiles), total=total)
        if total > len(profiles)
        else ""
    )
    teams = _and(language, [team_names.get(team, str(team)) for team in profiles.index])
    return Chart((_svg(figure),), say(language, "figure.profiles", teams=teams, more=more))


def _heatmap(report, names, instruments, language) -> Chart:
    charts = analysis.charts
    heatmap = report.heatmap
    texts = item_texts(instruments, language)
    pages, page, rows = [], [], 0
    for dimension, items in charts.heatmap_rows(heatmap):
        if page and rows + 1 + len(items) > charts.HEATMAP_PAGE_ROWS:
            pages.append(page)
            page, rows = [], 0
        page.append(dimension)
        rows += 1 + len(items)
    if page:
        pages.append(page)
    svgs = []
    for position, dimensions in enumerate(pages, start=1):
        title = say(language, "title.items")
        if len(pages) > 1:
            title = say(language, "title.items_page", page=position, pages=len(pages))
        figure = charts.heatmap_chart(
            heatmap,
            item_text=texts,
            dimension_names=names,
            dimensions=dimensions,
            title=title,
            **chart_language(language),
        )
        svgs.append(_svg(figure))
    return Chart(tuple(svgs), _heatmap_description(report, texts, language))


@dataclass(frozen=True)
class HeatCell:
    text: str
    background: str
    ink: str


@dataclass(frozen=True)
class HeatRow:
    text: str
    cells: tuple[HeatCell, ...]


@dataclass(frozen=True)
class HeatGroup:
    heading: str
    rows: tuple[HeatRow, ...]


@dataclass(frozen=True)
class HeatTable:
    """The heatmap as a table: statements grouped by dimension, a coloured cell per team."""

    caption: str
    #: Heading of the statements' column.
    statement: str
    teams: tuple[str, ...]
    groups: tuple[HeatGroup, ...]
    description: str


def heatmap_table(
    report: analysis.OrganizationReport, instruments: tuple[Instrument, ...], language: str = "en"
) -> HeatTable | None:
    """The statement-by-statement heatmap as a table, for up to :data:`HEATMAP_TABLE_TEAMS` teams.

    The colours are those of :func:`analysis.charts.heatmap_chart` (``PuOr`` centred on the
    organisation's mean); every cell that stands out also prints its difference.
    """
    import matplotlib
    from matplotlib.colors import TwoSlopeNorm, to_hex

    heatmap = report.heatmap
    means = heatmap.means
    if not len(means) or not len(means.columns) or len(means) > HEATMAP_TABLE_TEAMS:
        return None
    names = report.dimensions["name"].to_dict()
    texts = item_texts(instruments, language)
    difference = means - heatmap.organization.reindex(means.columns)
    values = difference.to_numpy(dtype=float)
    limit = max(float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0, 1e-6)
    norm = TwoSlopeNorm(vmin=-limit, vcenter=0.0, vmax=limit)
    colours = matplotlib.colormaps["PuOr"]
    marked = max(0.2, limit / 3)
    groups = []
    for dimension, items in analysis.charts.heatmap_rows(heatmap):
        rows = []
        for item in items:
            cells = []
            for team in means.index:
                value = float(difference.at[team, item])
                if not np.isfinite(value):
                    cells.append(HeatCell("–", "#ffffff", "#1d2430"))
                    continue
                rgba = colours(norm(value))
                light = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2] > 0.55
                text = number(value, 1, language, sign=True) if abs(value) >= marked else ""
                cells.append(HeatCell(text, to_hex(rgba), "#1d2430" if light else "#ffffff"))
            rows.append(HeatRow(texts.get(item, item), tuple(cells)))
        groups.append(HeatGroup(names.get(dimension, dimension), tuple(rows)))
    team_names = heatmap.names.astype(str).to_dict()
    chart = _heatmap_description(report, texts, language)
    return HeatTable(
        say(language, "title.items"),
        say(language, "col.statement"),
        tuple(team_names.get(t, str(t)) for t in means.index),
        tuple(groups),
        chart,
    )


def _heatmap_description(report, texts, language) -> str:
    heatmap = report.heatmap
    difference = heatmap.means - heatmap.organization.reindex(heatmap.means.columns)
    stacked = difference.stack().dropna()
    largest = stacked.reindex(stacked.abs().sort_values(ascending=False, kind="stable").index[:3])
    team_names = heatmap.names.astype(str).to_dict()
    items = [
        say(
            language,
            "figure.items.item",
            team=team_names.get(team, str(team)),
            text=texts.get(item, item),
            difference=number(value, 1, language, sign=True),
        )
        for (team, item), value in largest.items()
    ]
    summary = say(language, "figure.items.summary", items="; ".join(items)) if items else ""
    return say(language, "figure.items", summary=summary)


def team_charts(
    report: analysis.TeamReport, organization: analysis.OrganizationReport, language: str = "en"
) -> dict[str, Chart]:
    """The team report's charts: its mindset profile against the organisation, and its trend."""
    charts = analysis.charts
    if not report.shown:
        return {}
    names = organization.dimensions["name"].to_dict()
    result = {}
    if report.team in organization.profiles.index:
        root = organization.suppression.root
        means = organization.means[organization.means["team"] == root].set_index("dimension")["mean"]
        scales = scales_of(organization)
        ends = [scales[d] for d in organization.profiles.columns if d in scales]
        figure = charts.profile_chart(
            organization.profiles.loc[[report.team]],
            team_names={report.team: report.name},
            dimension_names=names,
            organization=means,
            organization_label=say(language, "organization"),
            scale=(min(a for a, _ in ends), max(b for _, b in ends)) if ends else None,
            title=say(language, "title.team_profile", team=report.name),
            **chart_language(language),
        )
        result["profile"] = Chart((_svg(figure),), say(language, "figure.team_profile", team=report.name))
    waves = list(dict.fromkeys(report.trend["wave"])) if len(report.trend) else []
    if len(waves) > 1:
        panels = charts.trend_panels(
            report.trend, dimension_names=names, scales=scales_of(organization), **chart_language(language)
        )
        description = say(language, "figure.team_trend", team=report.name, waves=_wave_key(waves))
        result["trend"] = Chart(tuple(_svg(panel) for panel in panels), description, layout="panels")
    return result

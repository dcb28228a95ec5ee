"""Alignment reports of a wave: inputs from the database, numbers from ``analysis``, outputs cached.

Every number comes from :func:`analysis.organization_report` / :func:`analysis.team_report`,
which suppress small groups before anything leaves them; this module only gathers the
inputs, turns results into tables, JSON and files, and caches rendered outputs in the
database (shared by all app instances) until the wave's results change.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import func, select

import analysis
from survey.db import upsert
from survey.extensions import db
from survey.models import ReportCache, Response, Wave, utcnow
from survey.services.wave_data import WaveData, load_wave_data, wave_state

#: Cell prefixes a spreadsheet would read as a formula (CSV/XLSX injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ReportInputs:
    wave: Wave
    data: WaveData
    #: Earlier waves of the organisation, oldest first: (label, responses).
    history: tuple[tuple[str, pd.DataFrame], ...]
    state: str


def earlier_waves(wave: Wave) -> list[Wave]:
    """The organisation's waves before ``wave`` (by opening date, then creation), drafts left out."""
    waves = db.session.scalars(
        select(Wave).where(Wave.organization_id == wave.organization_id, Wave.status != "draft")
    ).all()

    def order(w: Wave):
        return (w.opens_at or w.created_at, w.id)

    return sorted((w for w in waves if order(w) < order(wave)), key=order)


def submitted_count(wave: Wave) -> int:
    return db.session.scalar(
        select(func.count(Response.id)).where(Response.wave_id == wave.id, Response.status == "submitted")
    )


def report_state(wave: Wave) -> str:
    """Fingerprint of everything the report depends on: this wave and the earlier ones."""
    parts = [wave_state(w) for w in [*earlier_waves(wave), wave]]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]


def report_inputs(wave: Wave) -> ReportInputs:
    history = tuple((earlier.name, load_wave_data(earlier).responses) for earlier in earlier_waves(wave))
    return ReportInputs(wave, load_wave_data(wave), history, report_state(wave))


def organization_report(inputs: ReportInputs, language: str = "en") -> analysis.OrganizationReport:
    data = inputs.data
    return analysis.organization_report(
        data.responses, data.teams, data.instruments, threshold=data.threshold, history=inputs.history,
        invited=data.invited, comments=data.comments if len(data.comments) else None, wave=data.name,
        language=language,
    )  # fmt: skip


def team_report(inputs: ReportInputs, team_id: int, organization=None) -> analysis.TeamReport:
    data = inputs.data
    return analysis.team_report(
        data.responses, data.teams, data.instruments, team_id, threshold=data.threshold,
        history=inputs.history, invited=data.invited, organization=organization,
    )  # fmt: skip


# --- caching


def cached(
    wave: Wave, kind: str, language: str, build: Callable[[], bytes], state: str | None = None
) -> bytes:
    """The cached ``kind`` output of ``wave``'s report, built (and stored) when missing or stale."""
    state = state or report_state(wave)
    payload = db.session.scalar(
        select(ReportCache.payload).where(
            ReportCache.wave_id == wave.id, ReportCache.kind == kind, ReportCache.language == language,
            ReportCache.state == state,
        )
    )  # fmt: skip
    if payload is not None:
        return payload
    payload = build()
    upsert(
        ReportCache,
        [
            {
                "wave_id": wave.id,
                "kind": kind,
                "language": language,
                "state": state,
                "payload": payload,
                "created_at": utcnow(),
            }
        ],  # fmt: skip
        key=["wave_id", "kind", "language"],
        update=["state", "payload", "created_at"],
    )
    return payload


# --- tables, JSON and files


def plain(value):
    """A JSON-ready value: numpy scalars to Python, NaN and infinities to ``None``."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict]:
    frame = frame.reset_index() if frame.index.name or any(frame.index.names) else frame
    return [{str(k): plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def report_payload(report: analysis.OrganizationReport) -> dict:
    """The whole report as JSON-ready data: the same numbers the HTML page shows."""

    def convert(value):
        if isinstance(value, pd.DataFrame):
            return records(value)
        if isinstance(value, pd.Series):
            return {str(k): plain(v) for k, v in value.items()}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            if isinstance(value, analysis.Suppression):
                return {"threshold": value.threshold,
                        "suppressed": sorted(str(group) for group in value.suppressed)}  # fmt: skip
            return {f.name: convert(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, tuple | list):
            return [convert(v) for v in value]
        if isinstance(value, dict) or hasattr(value, "items"):
            return {str(k): convert(v) for k, v in value.items()}
        return plain(value)

    return convert(report)


def result_tables(report: analysis.OrganizationReport) -> dict[str, pd.DataFrame]:
    """The aggregated, suppressed results as named tables (one sheet or CSV section each)."""
    tables = {
        "teams": report.overview.teams,
        "reliability": report.overview.reliability,
        "means": report.means,
        "gaps": report.gaps,
        "alignment": report.alignment.pairs,
        "meta_perception": report.meta_perception,
        "profiles": report.profiles,
        "profile_similarity": report.profile_similarity,
        "agreement": report.agreement.rwg_j,
        "icc": report.agreement.icc,
        "trend": report.trend.dimensions,
        "trend_alignment": report.trend.alignment,
        "latest_change": report.trend.latest_change,
    }
    return {name: (table.reset_index() if table.index.name else table) for name, table in tables.items()}


def neutralise(value):
    """Stop a spreadsheet from reading a text cell as a formula (prefix it with an apostrophe)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame.columns = [neutralise(str(column)) for column in frame.columns]
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].map(neutralise)
    return frame


def results_csv(report: analysis.OrganizationReport) -> bytes:
    """All result tables in one CSV, each headed by a ``# table: name`` line."""
    out = io.StringIO()
    for name, table in result_tables(report).items():
        out.write(f"# table: {name}\n")
        _safe(table).to_csv(out, index=False, lineterminator="\n")
        out.write("\n")
    return out.getvalue().encode("utf-8-sig")


def results_xlsx(report: analysis.OrganizationReport) -> bytes:
    """The result tables as an Excel workbook, one sheet per table.

    Written row by row in openpyxl's write-only mode, which streams the sheets instead of
    building every cell as an object first: about twice as fast as ``DataFrame.to_excel``.
    """
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for name, table in result_tables(report).items():
        sheet = workbook.create_sheet(name[:31])
        table = _safe(table)
        sheet.append(list(table.columns))
        for row in table.itertuples(index=False, name=None):
            sheet.append([_cell(value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell(value):
    """A value as openpyxl writes it: Python numbers, and no cell at all for a missing one."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def raw_responses_csv(inputs: ReportInputs, report: analysis.OrganizationReport) -> bytes:
    """Submitted answers without anything that identifies a person: for consultants' own analyses.

    No ids, no timestamps, rows in random order; the team is named only when the report shows
    it, otherwise the row says "not shown (small group)"; free-text comments are left out.
    """
    data = inputs.data
    shown = report.suppression.shown
    names = data.teams["name"]
    frame = data.responses.copy()
    frame["team"] = [
        names.get(team, "") if team in shown else "not shown (small group)" for team in frame["team"]
    ]
    frame = frame.sample(frac=1.0, random_state=np.random.default_rng()).reset_index(drop=True)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([neutralise(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False):
        writer.writerow(
            [neutralise(v) if isinstance(v, str) else ("" if pd.isna(v) else int(v)) for v in row]
        )
    return out.getvalue().encode("utf-8-sig")


# --- charts


def dimension_names(report: analysis.OrganizationReport) -> dict[str, str]:
    return report.dimensions["name"].to_dict()


def report_charts(report: analysis.OrganizationReport) -> dict[str, str]:
    """Every chart of the organisation report as inline SVG (matplotlib's object API, no pyplot)."""
    import analysis.charts as charts

    names = dimension_names(report)
    kinds = report.dimensions["kind"] if "kind" in report.dimensions else pd.Series(dtype=str)
    perception = [d for d in report.dimensions.index if kinds.get(d) != "mindset"]
    alignment = report.alignment
    figures = {
        "quadrant": charts.quadrant_chart(
            alignment.pairs, midpoint=alignment.level_midpoint, headline=alignment.headline
        )
    }
    pair = widest_pair(report)
    if pair is not None:
        figures["gaps"] = charts.gap_forest_chart(
            report.means, report.gaps, *pair, dimension_names=names, dimensions=perception or None
        )
    if len(report.meta_perception):
        figures["meta"] = charts.meta_perception_chart(report.meta_perception, dimension_names=names)
    if len(report.profiles):
        team_names = report.overview.teams["name"].to_dict()
        figures["profiles"] = charts.profile_chart(
            report.profiles, team_names=team_names, dimension_names=names
        )
    if len(report.heatmap.means):
        figures["heatmap"] = charts.heatmap_chart(report.heatmap)
    if len(report.agreement.rwg_j):
        figures["agreement"] = charts.agreement_chart(report.agreement.rwg_j, dimension_names=names)
    if len(report.trend.dimensions):
        figures["trend"] = charts.trend_chart(report.trend, dimension_names=names)
    return {name: charts.figure_to_svg(figure) for name, figure in figures.items()}


def widest_pair(report: analysis.OrganizationReport):
    """The pair of shown teams furthest apart (lowest alignment index), or ``None``."""
    pairs = report.alignment.pairs.dropna(subset=["alignment"])
    if pairs.empty:
        return None
    row = pairs.sort_values("alignment").iloc[0]
    return row["team_a"], row["team_b"]


def team_charts(report: analysis.TeamReport, organization: analysis.OrganizationReport) -> dict[str, str]:
    """The team report's charts: its mindset profile against the organisation, and its trend."""
    import analysis.charts as charts

    if not report.shown:
        return {}
    names = dimension_names(organization)
    figures = {}
    if report.team in organization.profiles.index:
        figures["profile"] = charts.profile_chart(
            organization.profiles.loc[[report.team]],
            team_names={report.team: report.name},
            dimension_names=names,
            organization=organization.profiles.mean(),
            title=f"Mindset profile: {report.name} and the mean of the organisation's teams",
        )
    if len(report.trend):
        figures["trend"] = charts.trend_chart(
            report.trend, dimension_names=names, title=f"Trend: {report.name}"
        )
    return {name: charts.figure_to_svg(figure) for name, figure in figures.items()}


def top_gaps(report: analysis.OrganizationReport, limit: int = 12) -> pd.DataFrame:
    """The gaps worth reading first: every significant one, else the largest, at most ``limit``."""
    gaps = report.gaps
    if gaps.empty:
        return gaps
    ordered = gaps.reindex(gaps["g"].abs().sort_values(ascending=False).index)
    significant = ordered[ordered["significant"].fillna(False).astype(bool)]
    return (significant if len(significant) else ordered).head(limit)


def means_matrix(report: analysis.OrganizationReport) -> pd.DataFrame:
    """Dimensions × shown teams: each mean as text, or "no consensus" where the team disagrees."""
    means = report.means
    if means.empty:
        return pd.DataFrame()
    text = [note if isinstance(note, str) and note else ("–" if pd.isna(mean) else f"{mean:.2f}")
            for mean, note in zip(means["mean"], means["note"], strict=True)]  # fmt: skip
    frame = means.assign(text=text)
    order = list(dict.fromkeys(frame["name"]))
    dimensions = list(dict.fromkeys(frame["dimension"]))
    return frame.pivot(index="dimension", columns="name", values="text").reindex(
        index=dimensions, columns=order
    )


def organization_trend(organization) -> dict:
    """Dimension means and the sales–marketing alignment index over the organisation's waves.

    Taken from the report of the newest wave with answers, whose trend section covers every
    earlier wave; cached with that report. ``latest_wave_id`` is ``None`` without answers.
    """
    from survey.services.waves import waves_of

    waves = [wave for wave in waves_of(organization) if wave.status != "draft"]
    answered = [wave for wave in waves if submitted_count(wave)]
    if not answered:
        return {"organization_id": organization.id, "latest_wave_id": None, "waves": [], "dimensions": [],
                "alignment": [], "latest_change": []}  # fmt: skip
    latest = max(answered, key=lambda wave: (wave.opens_at or wave.created_at, wave.id))

    def build() -> bytes:
        report = organization_report(report_inputs(latest))
        payload = report_payload(report.trend)
        payload.update(organization_id=organization.id, latest_wave_id=latest.id,
                       waves=[wave.name for wave in [*earlier_waves(latest), latest]])  # fmt: skip
        return json.dumps(payload, allow_nan=False).encode()

    return json.loads(cached(latest, "trend-json", "en", build))

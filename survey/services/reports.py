"""Alignment reports of a wave: the latest release's numbers as tables, JSON, files and charts.

Every number comes from a results release (:mod:`survey.services.releases`), computed by
:func:`analysis.organization_report` / :func:`analysis.team_report`, which suppress small
groups before anything leaves them; this module turns them into tables, JSON and files, and
caches rendered outputs in the database (shared by all app instances) per release.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from collections.abc import Callable

import numpy as np
import pandas as pd
from sqlalchemy import select

import analysis
from survey.db import upsert
from survey.extensions import db
from survey.models import Release, ReportCache, Wave, utcnow
from survey.services import ServiceError
from survey.services.releases import (
    ReleaseInputs,
    current_release,
    not_released_text,
    release_inputs,
    release_report,
)
from survey.services.spreadsheets import neutralise


def organization_report(release: Release, language: str = "en") -> analysis.OrganizationReport:
    """The organisation report a release published."""
    return release_report(release, language)


def team_report(release: Release, team_id: int, organization=None) -> analysis.TeamReport:
    """One team's report from a release: its tree, threshold and the earlier waves' releases."""
    inputs = release_inputs(release)
    data = inputs.data
    return analysis.team_report(
        data.responses, data.teams, data.instruments, team_id, threshold=release.threshold,
        history=inputs.history, invited=data.invited, organization=organization,
    )  # fmt: skip


def release_teams(release: Release) -> set[int]:
    """Ids of the teams in a release's tree."""
    return {int(team["id"]) for team in release.snapshot["teams"]}


def release_state(release: Release) -> str:
    """Cache key of a release's outputs: a release never changes, so neither do they."""
    return f"release-{release.id}"


# --- caching


def cached(wave: Wave, kind: str, language: str, build: Callable[[], bytes], state: str) -> bytes:
    """The cached ``kind`` output of ``wave``'s report for ``state``, built (and stored) when missing."""
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


def raw_responses_csv(release: Release, report: analysis.OrganizationReport) -> bytes:
    """A release's submitted answers without anything that identifies a person: for consultants.

    No ids, no timestamps, rows in a new random order on every download; the team is named
    (as it was named in the release) only when the release shows it, otherwise the row says
    "not shown (small group)"; free-text comments are left out.
    """
    data = release_inputs(release).data
    shown = report.suppression.shown
    names = data.teams["name"]
    frame = data.responses.copy()
    frame["team"] = [
        names.get(team, "") if team in shown else "not shown (small group)" for team in frame["team"]
    ]
    frame = frame.iloc[np.random.default_rng().permutation(len(frame))].reset_index(drop=True)
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

    Taken from the latest release of the newest wave with one, whose trend section holds
    every earlier wave's own release (its tree and threshold); ``latest_wave_id`` is
    ``None`` before any results are released.
    """
    from survey.services.waves import waves_of

    waves = [wave for wave in waves_of(organization) if wave.status != "draft"]
    released = [(wave, current_release(wave)) for wave in waves]
    released = [(wave, release) for wave, release in released if release is not None]
    if not released:
        return {"organization_id": organization.id, "latest_wave_id": None, "waves": [], "dimensions": [],
                "alignment": [], "latest_change": []}  # fmt: skip
    latest, release = max(released, key=lambda pair: (pair[0].opens_at or pair[0].created_at, pair[0].id))

    def build() -> bytes:
        report = release_report(release)
        payload = report_payload(report.trend)
        labels = list(dict.fromkeys([*report.trend.dimensions["wave"], *report.trend.alignment["wave"]]))
        payload.update(organization_id=organization.id, latest_wave_id=latest.id, release=release.number,
                       waves=labels)  # fmt: skip
        return json.dumps(payload, allow_nan=False).encode()

    return json.loads(cached(latest, "trend-json", "en", build, release_state(release)))


def wave_release(wave: Wave) -> Release | None:
    """The release every output of ``wave`` reads now (a due live step is made first)."""
    return current_release(wave)


def report_inputs(wave: Wave) -> ReleaseInputs:
    """The frozen inputs of the release ``wave``'s outputs read now; a ServiceError when there is none."""
    release = wave_release(wave)
    if release is None:
        raise ServiceError(not_released_text(wave))
    return release_inputs(release)

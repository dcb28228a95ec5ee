"""A release's results as files and JSON: CSV and Excel tables, anonymised raw answers, the API's data.

Every value comes from a release's report (:func:`survey.services.reports.organization_report`),
already suppressed; this module only lays it out. Every text cell of a spreadsheet file is
neutralised (:func:`survey.services.spreadsheets.neutralise`), so a team named ``=HYPERLINK(…)``
stays text in Excel.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math

import numpy as np
import pandas as pd

import analysis
from survey.models import Release
from survey.services.calibration_tables import calibration_tables
from survey.services.cut_section import cut_table
from survey.services.releases import release_inputs
from survey.services.result_words import worded_report
from survey.services.spreadsheets import neutralise

__all__ = ["plain", "raw_responses_csv", "records", "report_payload", "result_tables", "results_csv",
           "results_xlsx"]  # fmt: skip


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
    """A DataFrame as a list of plain dicts (its index as columns when it is named)."""
    frame = frame.reset_index() if frame.index.name or any(frame.index.names) else frame
    return [{str(k): plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def report_payload(report) -> dict:
    """The whole report (or one of its sections) as JSON-ready data: the numbers the page shows."""

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


def result_tables(report: analysis.OrganizationReport, cuts: dict | None = None) -> dict[str, pd.DataFrame]:
    """The aggregated, suppressed results as named tables (one sheet or CSV section each).

    Codes come with their words (:func:`survey.services.result_words.worded_report`): a
    hidden team's ``reason`` and ``note``, a dimension's reliability ``warning``.
    """
    report = worded_report(report)
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
        "comparability": report.comparability,
        **calibration_tables(report),  # the lead calibration's, when the wave asks it
    }
    if cuts:  # the release's results by roster attribute (survey.services.cut_section)
        tables["cuts"] = cut_table(cuts)
    return {name: (table.reset_index() if table.index.name else table) for name, table in tables.items()}


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame.columns = [neutralise(str(column)) for column in frame.columns]
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].map(neutralise)
    return frame


def results_csv(report: analysis.OrganizationReport, cuts: dict | None = None) -> bytes:
    """All result tables in one CSV, each headed by a ``# table: name`` line."""
    out = io.StringIO()
    for name, table in result_tables(report, cuts).items():
        out.write(f"# table: {name}\n")
        _safe(table).to_csv(out, index=False, lineterminator="\n")
        out.write("\n")
    return out.getvalue().encode("utf-8-sig")


def results_xlsx(report: analysis.OrganizationReport, cuts: dict | None = None) -> bytes:
    """The result tables as an Excel workbook, one sheet per table.

    Written row by row in openpyxl's write-only mode, which streams the sheets instead of
    building every cell as an object first: about twice as fast as ``DataFrame.to_excel``.
    """
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for name, table in result_tables(report, cuts).items():
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

"""A release's results as files and JSON: CSV and Excel tables, anonymised raw answers, the API's data.

Every value comes from a release's report (:func:`survey.services.reports.organization_report`),
already suppressed; this module only lays it out. Every text cell of a spreadsheet file is
neutralised (:func:`survey.services.spreadsheets.neutralise`), so a team named ``=HYPERLINK(…)``
stays text in Excel.

Language. A results file is written in the export's language (the ``language`` argument,
else :func:`survey.i18n.current_language`): the notes and warnings in its cells are worded
in it. The CSV file is also read by scripts, so its table names (``# table: gaps``) and
column names (``g``, ``ci_low``) are the codes the JSON API uses, in every language. The
Excel workbook is for people: in another language than English its sheets and column
headings are named in words (:data:`SHEET_NAMES`, :data:`COLUMN_NAMES`), translated; in
English it keeps the codes, as the CSV file, so that the English workbook and the CSV file
read alike.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math

import numpy as np
import pandas as pd

import analysis
from survey.i18n import N_, current_language, translate
from survey.models import Release
from survey.services import calibration_tables as calibration
from survey.services.calibration_tables import calibration_tables
from survey.services.cut_section import cut_table
from survey.services.releases import release_inputs
from survey.services.result_words import worded_report
from survey.services.spreadsheets import neutralise

__all__ = ["COLUMN_NAMES", "SHEET_NAMES", "column_heading", "plain", "raw_responses_csv", "records",
           "report_payload", "result_tables", "results_csv", "results_xlsx", "sheet_names"]  # fmt: skip

#: Each result table's name in words, for the Excel sheets in the reader's language (at most 31
#: characters, the longest name of a sheet).
SHEET_NAMES = {
    "teams": N_("Teams"),
    "reliability": N_("Reliability"),
    "means": N_("Means"),
    "gaps": N_("Perception gaps"),
    "alignment": N_("Alignment of the pairs"),
    "meta_perception": N_("Meta-perception"),
    "profiles": N_("Mindset profiles"),
    "profile_similarity": N_("Similarity of the profiles"),
    "agreement": N_("Agreement within teams"),
    "icc": N_("Agreement, ICC"),
    "trend": N_("Trend"),
    "trend_alignment": N_("Trend of the alignment"),
    "latest_change": N_("Latest change"),
    "comparability": N_("Comparability of the functions"),
    "cuts": N_("Results by attribute"),
    **calibration.SHEET_NAMES,
}

#: Column headings in words, by column name (any table); a column ``…_a`` or ``…_b`` is headed
#: by its stem's heading and the side, ``…_sales`` or ``…_marketing`` by the function.
#: Statistical symbols (n, d, g, t, df, p, F) keep their code.
COLUMN_NAMES = {
    "team": N_("Team (id)"),
    "name": N_("Team"),
    "function": N_("Function"),
    "parent": N_("Parent team (id)"),
    "invited": N_("Invited"),
    "submitted": N_("Answered"),
    "response_rate": N_("Response rate"),
    "reason": N_("Reason (code)"),
    "note": N_("Note"),
    "dimension": N_("Dimension"),
    "instrument": N_("Instrument"),
    "n_items": N_("Number of items"),
    "alpha": N_("Cronbach's alpha"),
    "alpha_ci_low": N_("Alpha, lower 95 % limit"),
    "alpha_ci_high": N_("Alpha, upper 95 % limit"),
    "omega": N_("McDonald's omega"),
    "alpha_low": N_("Alpha low"),
    "omega_low": N_("Omega low"),
    "omega_note": N_("Note on omega"),
    "warning": N_("Warning"),
    "mean": N_("Mean"),
    "sd": N_("Standard deviation"),
    "ci_low": N_("Lower 95 % limit"),
    "ci_high": N_("Upper 95 % limit"),
    "low": N_("Lower 95 % limit"),
    "high": N_("Upper 95 % limit"),
    "consensus": N_("Consensus"),
    "rwg_j": N_("rwg(j)"),
    "icc1": N_("ICC(1)"),
    "icc2": N_("ICC(2)"),
    "team_a": N_("Team A (id)"),
    "team_b": N_("Team B (id)"),
    "name_a": N_("Team A"),
    "name_b": N_("Team B"),
    "difference": N_("Difference"),
    "g_ci_low": N_("g, lower 95 % limit"),
    "g_ci_high": N_("g, upper 95 % limit"),
    "p_adjusted": N_("p, adjusted"),
    "significant": N_("Significant"),
    "alignment": N_("Alignment index"),
    "n_dimensions": N_("Number of dimensions"),
    "level": N_("Level (mean rating)"),
    "mean_abs_g": N_("Mean absolute g"),
    "quadrant": N_("Quadrant"),
    "target": N_("Function rated"),
    "comparison": N_("Comparison"),
    "rating": N_("Rating"),
    "rated_by": N_("Rated by"),
    "correlation": N_("Correlation"),
    "distance": N_("Distance"),
    "n_teams": N_("Number of teams"),
    "wave": N_("Wave"),
    "change": N_("Change"),
    "status": N_("Status"),
    "items": N_("Items (ids)"),
    "n_min": N_("Smallest group (n)"),
    "metric_pvalue": N_("p, metric invariance"),
    "scalar_pvalue": N_("p, scalar invariance"),
    "scalar_cfi_diff": N_("CFI difference, scalar invariance"),
    "attribute": N_("Attribute"),
    "value": N_("Value"),
    "n_scored": N_("n with a score"),
}
#: Per table, headings that differ from :data:`COLUMN_NAMES` there.
TABLE_COLUMN_NAMES = {"cuts": {"attribute": N_("Roster attribute")}, **calibration.COLUMN_NAMES}
#: Headings of the columns of one side or function, from the stem's heading.
SUFFIXES = {
    "_a": N_("{column} (A)"),
    "_b": N_("{column} (B)"),
    "_sales": N_("{column}, sales"),
    "_marketing": N_("{column}, marketing"),
}
#: Characters an Excel sheet's name cannot hold, and its longest name.
SHEET_FORBIDDEN = str.maketrans({character: "-" for character in "[]:*?/\\"})
SHEET_LENGTH = 31


def _language(language: str | None) -> str:
    return language or current_language()


def column_heading(table: str, column: str, language: str, dimension_names: dict | None = None) -> str:
    """The heading of ``table``'s ``column`` in words, in ``language`` (the code if it has none).

    A column named after a dimension (those of the mindset profiles: pass ``dimension_names``,
    id -> name) is headed by the dimension's name.
    """
    if dimension_names and column in dimension_names:
        return str(dimension_names[column])
    words = {**COLUMN_NAMES, **TABLE_COLUMN_NAMES.get(table, {})}
    if column in words:
        return translate(language, words[column])
    for suffix, message in SUFFIXES.items():
        stem = column.removesuffix(suffix)
        if stem != column and stem:
            heading = translate(language, words[stem]) if stem in words else stem
            return translate(language, message, column=heading)
    return column


def sheet_names(tables, language: str) -> dict[str, str]:
    """Table name -> its Excel sheet's name in ``language``: in words (the code in English, or
    for a table without words), at most 31 characters, no character Excel refuses, no two alike."""
    names, taken = {}, set()
    for table in tables:
        name = table
        if language != "en" and table in SHEET_NAMES:
            name = translate(language, SHEET_NAMES[table])
        name = name.translate(SHEET_FORBIDDEN).strip("'")[:SHEET_LENGTH] or table[:SHEET_LENGTH]
        unique, number = name, 2
        while unique.casefold() in taken:
            tail = f" ({number})"
            unique, number = name[: SHEET_LENGTH - len(tail)] + tail, number + 1
        taken.add(unique.casefold())
        names[table] = unique
    return names


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


def result_tables(
    report: analysis.OrganizationReport, cuts: dict | None = None, language: str = "en"
) -> dict[str, pd.DataFrame]:
    """The aggregated, suppressed results as named tables (one sheet or CSV section each).

    Codes come with their words in ``language`` (:func:`survey.services.result_words.worded_report`):
    a hidden team's ``reason`` and ``note``, a dimension's reliability ``warning``.
    """
    report = worded_report(report, language)
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


def results_csv(
    report: analysis.OrganizationReport, cuts: dict | None = None, language: str | None = None
) -> bytes:
    """All result tables in one CSV, each headed by a ``# table: name`` line.

    For scripts as much as for people: the table and column names are codes in every
    language (those of the JSON API); the notes in the cells are in ``language`` (default:
    the current language).
    """
    out = io.StringIO()
    for name, table in result_tables(report, cuts, _language(language)).items():
        out.write(f"# table: {name}\n")
        _safe(table).to_csv(out, index=False, lineterminator="\n")
        out.write("\n")
    return out.getvalue().encode("utf-8-sig")


def results_xlsx(
    report: analysis.OrganizationReport, cuts: dict | None = None, language: str | None = None
) -> bytes:
    """The result tables as an Excel workbook, one sheet per table, in ``language`` (default:
    the current language).

    For people: in another language than English the sheets and column headings are named
    in words in that language (:func:`sheet_names`, :func:`column_heading`); in English they
    are the codes of the CSV file and the API (``gaps``, ``ci_low``). The notes in the cells
    are in ``language`` either way.

    Written row by row in openpyxl's write-only mode, which streams the sheets instead of
    building every cell as an object first: about twice as fast as ``DataFrame.to_excel``.
    """
    from openpyxl import Workbook

    language = _language(language)
    tables = result_tables(report, cuts, language)
    names = sheet_names(tables, language)
    dimensions = report.dimensions["name"].astype(str).to_dict() if "name" in report.dimensions else {}
    workbook = Workbook(write_only=True)
    for name, table in tables.items():
        sheet = workbook.create_sheet(names[name])
        if language != "en":
            named = dimensions if name == "profiles" else None
            headings = [column_heading(name, str(column), language, named) for column in table.columns]
            table = table.set_axis(_distinct(headings), axis=1)
        table = _safe(table)
        sheet.append(list(table.columns))
        for row in table.itertuples(index=False, name=None):
            sheet.append([_cell(value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _distinct(headings: list[str]) -> list[str]:
    """``headings`` with a number after any that repeats an earlier one ("Team", "Team (2)")."""
    seen: set[str] = set()
    result = []
    for heading in headings:
        unique, number = heading, 2
        while unique in seen:
            unique, number = f"{heading} ({number})", number + 1
        seen.add(unique)
        result.append(unique)
    return result


def _cell(value):
    """A value as openpyxl writes it: Python numbers, and no cell at all for a missing one."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def raw_responses_csv(
    release: Release, report: analysis.OrganizationReport, language: str | None = None
) -> bytes:
    """A release's submitted answers without anything that identifies a person: for consultants.

    No ids, no timestamps, rows in a new random order on every download; the team is named
    (as it was named in the release) only when the release shows it, otherwise the row says
    "not shown (small group)" in ``language`` (default: the current language); free-text
    comments are left out. The column names are the item ids, in every language.
    """
    hidden = translate(_language(language), "not shown (small group)")
    data = release_inputs(release).data
    shown = report.suppression.shown
    names = data.teams["name"]
    frame = data.responses.copy()
    frame["team"] = [names.get(team, "") if team in shown else hidden for team in frame["team"]]
    frame = frame.iloc[np.random.default_rng().permutation(len(frame))].reset_index(drop=True)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([neutralise(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False):
        writer.writerow(
            [neutralise(v) if isinstance(v, str) else ("" if pd.isna(v) else int(v)) for v in row]
        )
    return out.getvalue().encode("utf-8-sig")

"""``mindgap analyze``: the team analysis of a response export, from the command line.

Works on an export from any survey tool, CSV or XLSX: one row per respondent, one column
per item id of the instrument, plus a team column. :func:`read_responses` reads the file
with the shared table reader (:mod:`instruments.tables`: ``,``, ``;`` or tab separated
UTF-8 CSV, or an XLSX workbook's first sheet) and skips extra header rows;
:func:`item_columns` matches LimeSurvey's ``question[subquestion]`` headings and a column
map to item ids. :func:`team_analysis` blanks missing codes and computes the file's
:func:`analysis.organization_report` (the web report's assembly and rules, the teams as a
flat tree under one organisation); it returns the numbers as plain data (also written
with ``--json``), which :func:`format_summary` lays out for the ``analyze`` command.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

import click
import numpy as np
import pandas as pd

import instruments
from instruments.model import Instrument
from instruments.tables import TableError, read_cells

from .anonymity import COMPLEMENTARY
from .invariance import comparability
from .report import RELIABILITY_CUTOFF, careless_respondents, organization_report
from .scoring import scored_dimensions

__all__ = ["analyze", "item_columns", "read_responses", "team_analysis", "to_json"]


class BadInput(click.ClickException):
    """Input the command cannot analyse; exits with status 2 like a usage error."""

    exit_code = 2


def _finite(value) -> float | None:
    """A float for JSON and printing, ``None`` for NaN / missing."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts with NaN -> None and Python numbers (for the few rows printed)."""
    return json.loads(frame.to_json(orient="records", double_precision=15))


def to_json(result: dict) -> str:
    """The result of :func:`team_analysis` as JSON text; tables become lists of row objects.

    The two large tables go through pandas' C writer (15 significant digits, NaN ->
    ``null``): 200 teams give 238,800 gap rows, which ``json.dumps`` of row dicts
    takes ten seconds to write.
    """
    tables = {k: v for k, v in result.items() if isinstance(v, pd.DataFrame)}
    rest = json.dumps(
        {k: v for k, v in result.items() if k not in tables}, ensure_ascii=False, allow_nan=False
    )
    parts = [rest[:-1]]
    for name, table in tables.items():
        parts.append(
            f', "{name}": ' + table.to_json(orient="records", double_precision=15, force_ascii=False)
        )
    return "".join(parts) + "}"


def _blank_missing_codes(responses: pd.DataFrame, columns: list[str], codes: Iterable) -> pd.DataFrame:
    """``responses`` with the cells of ``columns`` that equal a code (as number or text) set to NaN."""
    codes = [str(code).strip() for code in codes]
    if not codes:
        return responses
    numbers = pd.to_numeric(pd.Series(codes, dtype=object), errors="coerce").dropna().tolist()
    responses = responses.copy()
    for column in columns:
        values = responses[column]
        missing = values.notna() & values.astype(str).str.strip().isin(codes)
        if numbers:
            missing |= pd.to_numeric(values, errors="coerce").isin(numbers)
        responses[column] = values.mask(missing)
    return responses


def _team_labels(labels: pd.Series) -> pd.Series:
    """Team labels as text; a whole number keeps no ``.0`` (a column with blanks is float)."""

    def text(label) -> str:
        if isinstance(label, float | np.floating) and float(label).is_integer():
            return str(int(label))
        return str(label)

    return labels.map(text)


def _teams_table(labels: pd.Series, functions: pd.Series | None) -> pd.DataFrame:
    """The file's teams as a flat tree under the organisation (``name`` = label)."""
    keys = sorted(pd.unique(labels))
    function = pd.Series("other", index=keys, dtype=object)
    if functions is not None:
        given = pd.DataFrame({"team": labels, "function": functions}).dropna()
        per_team = given.groupby("team")["function"].agg(lambda v: sorted(set(map(str, v))))
        mixed = [f"{team} ({', '.join(values)})" for team, values in per_team.items() if len(values) > 1]
        if mixed:
            listed = ", ".join(mixed[:5])
            raise ValueError(f"the function column gives a team more than one function: {listed}")
        function.update(per_team.map(lambda values: values[0].strip().lower()))
    return pd.DataFrame({"name": keys, "function": function.to_numpy(), "parent": None}, index=keys)


def team_analysis(
    responses: pd.DataFrame,
    instrument: Instrument,
    team_column: str = "team",
    *,
    min_n: int = 5,
    drop_careless: bool = True,
    strict: bool = False,
    missing_codes: Iterable = (),
    function_column: str | None = None,
    seed: int = 0,
) -> dict:
    """Analyse one response table by team: the web report's numbers, as plain data.

    The file's teams become a flat tree of teams under one organisation, and the result is
    :func:`analysis.organization_report` of it, with the web report's rules: respondents
    flagged by :func:`analysis.careless` are left out before any statistic; teams below
    ``min_n`` and teams that would let a hidden one be worked out by subtraction are
    suppressed (:func:`analysis.suppression`); gap p-values are Benjamini-Hochberg adjusted
    over the whole gap table.

    Parameters
    ----------
    responses : DataFrame
        One row per respondent, one column per item id (other columns are ignored)
        and a column of team labels. Rows without a team label are left out.
    instrument : Instrument
        The questionnaire the answers belong to.
    team_column : str
        Name of the team column.
    min_n : int
        Anonymity threshold, as a wave's.
    drop_careless : bool
        Careless respondents are always left out, as in the web report; ``False`` is
        refused (the argument stays for callers that pass ``True``).
    strict : bool
        Refuse columns that are neither items nor the team (or function) column (by
        default they are ignored and listed in ``ignored_columns``).
    missing_codes : iterable
        Answer codes that mean "no answer" (such as ``-99``): an item's cell equal to one,
        as a number or as text, counts as missing. The team column is left as it is.
    function_column : str, optional
        Column with each respondent's team function (``sales``, ``marketing``, other); one
        function per team. With it the result has the sales-marketing headline.
    seed : int
        Seed of the headline's bootstrap interval (the web report's default, 0).

    Returns
    -------
    dict
        ``n_respondents`` (rows with a team), ``n_analysed``, ``teams`` (team -> analysed
        n, None when suppressed), ``suppressed`` (team -> reason), ``careless`` (count
        and row labels), ``dimensions`` (alpha, omega, mean and median r_wg(j) over shown
        teams, ICC(1), ICC(2)), ``organization`` and ``means`` (dimension means of the
        organisation and of each shown team), ``gaps`` (DataFrame: the report's gap table,
        largest ``|g|`` first), ``alignment`` (DataFrame: alignment index per pair of
        shown teams, least aligned first), ``headline`` (sales vs marketing, or None),
        plus ``ignored_columns`` and ``absent_items``.

    Raises
    ------
    ValueError
        For a missing team or function column, a file without any item of the
        instrument, answers off their item's scale, or a team given two functions.
    """
    if not drop_careless:
        raise ValueError(
            "drop_careless=False: careless respondents are always left out, as in the web report"
        )
    for name, column in (("team", team_column), ("function", function_column)):
        if column is not None and column not in responses.columns:
            shown = ", ".join(repr(str(c)) for c in list(responses.columns)[:8])
            raise ValueError(f"{name} column {column!r} is not in the file; its columns are {shown}")
    item_ids = set(instrument.item_ids)
    present = [c for c in responses.columns if c in item_ids]
    if not present:
        shown = ", ".join(repr(str(c)) for c in list(responses.columns)[:8])
        raise ValueError(
            f"no column is an item of {instrument.key} (columns: {shown}); check --instrument "
            "or rename the columns to the item ids"
        )
    own_columns = {team_column, function_column}
    ignored = [str(c) for c in responses.columns if c not in item_ids and c not in own_columns]
    if strict and ignored:
        raise ValueError(
            f"unknown columns (not items of {instrument.key}, not the team column): {', '.join(ignored[:10])}"
        )
    absent = [i for i in instrument.item_ids if i not in responses.columns]

    responses = _blank_missing_codes(responses[responses[team_column].notna()], present, missing_codes)
    labels = _team_labels(responses[team_column])
    functions = responses[function_column] if function_column is not None else None
    teams = _teams_table(labels, functions)
    frame = responses[present].assign(team=labels.to_numpy())
    careless_rows = list(careless_respondents(frame, instrument))
    report = organization_report(frame, teams, instrument, threshold=min_n, wave="file", seed=seed)

    result = report.suppression
    root = result.root
    overview = report.overview.teams
    means = report.means
    team_means = means[means["team"] != root]
    dimensions: dict[str, dict] = {}
    rwg = report.agreement.rwg_j
    reliability = report.overview.reliability
    icc = report.agreement.icc
    for dimension_id, items in scored_dimensions(instrument).items():
        agreement = rwg.loc[rwg["dimension"] == dimension_id, "rwg_j"]
        dimensions[dimension_id] = {
            "n_items": len(items),
            "alpha": _finite(reliability["alpha"].get(dimension_id)) if len(reliability) else None,
            "omega": _finite(reliability["omega"].get(dimension_id)) if len(reliability) else None,
            "rwg_j_mean": _finite(agreement.mean()) if len(agreement) else None,
            "rwg_j_median": _finite(agreement.median()) if len(agreement) else None,
            "icc1": _finite(icc["icc1"].get(dimension_id)) if len(icc) else None,
            "icc2": _finite(icc["icc2"].get(dimension_id)) if len(icc) else None,
            "low_reliability": [
                name for name in ("alpha", "omega")
                if len(reliability) and bool(reliability[f"{name}_low"].get(dimension_id, False))
            ],
        }  # fmt: skip
    gaps = report.gaps
    gaps = gaps.iloc[np.argsort(-gaps["g"].abs().fillna(-1).to_numpy(), kind="stable")]
    alignment = report.alignment.pairs.sort_values("alignment", kind="stable")
    headline = report.alignment.headline
    return {
        "instrument": instrument.key,
        "team_column": team_column,
        "function_column": function_column,
        "min_n": min_n,
        "n_respondents": report.overview.n_submitted,
        "n_analysed": report.overview.n_analysed,
        "teams": {str(t): None if pd.isna(n) else int(n) for t, n in overview["n"].items()},
        "suppressed": {str(t): reason for t, reason in result.suppressed.items()},
        "careless": {
            "count": report.quality.n_careless,
            "dropped": True,
            "rows": [r.item() if isinstance(r, np.generic) else r for r in careless_rows],
        },
        "dimensions": dimensions,
        "organization": {
            row.dimension: _finite(row.mean) for row in means[means["team"] == root].itertuples(index=False)
        },
        "means": {
            str(team): {row.dimension: _finite(row.mean) for row in block.itertuples(index=False)}
            for team, block in team_means.groupby("team", sort=True)
        },
        "headline": None if headline is None else {k: _finite(v) for k, v in asdict(headline).items()},
        "gaps": gaps.reset_index(drop=True),
        "alignment": alignment.reset_index(drop=True),
        "ignored_columns": ignored,
        "absent_items": absent,
    }


def _hidden(reason: str, threshold: int) -> str:
    """Why a team is not shown, in the plain words of the summary."""
    if reason == COMPLEMENTARY:
        return "hidden so that a smaller team cannot be worked out by subtraction"
    return f"hidden: fewer than {threshold} responses"


def _number(value, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = ["  " + "  ".join(str(h).ljust(w) if i == 0 else str(h).rjust(w) for i, (h, w) in
                              enumerate(zip(header, widths, strict=True)))]  # fmt: skip
    for row in rows:
        cells = [
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  " + "  ".join(cells))
    return "\n".join(lines)


def format_summary(result: dict, *, top: int = 10) -> str:
    """The readable summary printed by ``mindgap analyze``."""
    out: list[str] = []
    teams = result["teams"]
    out.append(
        f"{result['n_respondents']} respondents in {len(teams)} teams, instrument {result['instrument']}"
    )
    careless_info = result["careless"]
    out.append(f"Careless respondents left out: {careless_info['count']}; analysed: {result['n_analysed']}")
    renamed = result.get("renamed_columns") or {}
    if renamed:
        pairs = [f"{column} as {item}" for column, item in renamed.items()]
        out.append("Columns read as items: " + ", ".join(pairs[:10]) + (", ..." if len(pairs) > 10 else ""))
    if result["ignored_columns"]:
        out.append("Columns ignored (not items): " + ", ".join(result["ignored_columns"][:10]))
    if result["absent_items"]:
        out.append("Items not in the file (counted as unanswered): " + ", ".join(result["absent_items"][:10]))

    headline = result.get("headline")
    if headline:
        out.append(
            f"\nSales-marketing alignment: {_number(headline['alignment'], 1)} "
            f"(95 % CI {_number(headline['ci_low'], 1)}-{_number(headline['ci_high'], 1)}; "
            f"n {headline['n_sales']:.0f} and {headline['n_marketing']:.0f})"
        )

    out.append("\nRespondents per team (analysed)")
    suppressed = result["suppressed"]
    out.append(_table(["team", "n"], [[t, "–" if n is None else str(n)] for t, n in teams.items()]))

    out.append("\nDimensions: reliability and team agreement")
    rows = [
        [d, str(e["n_items"]), _number(e["alpha"]), _number(e["omega"]), _number(e["rwg_j_mean"]),
         _number(e["rwg_j_median"]), _number(e["icc1"], 3), _number(e["icc2"])]
        for d, e in result["dimensions"].items()
    ]  # fmt: skip
    header = ["dimension", "items", "alpha", "omega", "rwg_j mean", "rwg_j median", "ICC(1)", "ICC(2)"]
    out.append(_table(header, rows))
    for dimension_id, entry in result["dimensions"].items():
        low = entry.get("low_reliability") or []
        if low:
            out.append(
                f"  {dimension_id}: {' and '.join(low)} below {RELIABILITY_CUTOFF:.2f}, read it with care"
            )

    dimensions = list(result["dimensions"])
    out.append(f"\nDimension means per team (threshold {result['min_n']})")
    means = result["means"]
    if means and len(means) <= 8:  # few teams: one column per team reads best
        rows = [[d, *(_number(m.get(d)) for m in means.values())] for d in dimensions]
        out.append(_table(["dimension", *means], rows))
    elif means:
        rows = [[t, *(_number(m.get(d)) for d in dimensions)] for t, m in means.items()]
        out.append(_table(["team", *dimensions], rows))
    for team, reason in suppressed.items():
        out.append(f"  {team} ({_hidden(reason, result['min_n'])})")

    gaps = result["gaps"]
    out.append(f"\nLargest team gaps (Hedges' g with 95 % CI, p adjusted by Benjamini-Hochberg; "
               f"{min(top, len(gaps))} of {len(gaps)})")  # fmt: skip
    if len(gaps):
        rows = [
            [f"{g['team_a']} - {g['team_b']}", g["dimension"], _number(g["mean_a"]), _number(g["mean_b"]),
             _number(g["g"]), f"[{_number(g['g_ci_low'])}, {_number(g['g_ci_high'])}]", _number(g["p"], 4),
             _number(g["p_adjusted"], 4)]
            for g in _records(gaps.head(top))
        ]  # fmt: skip
        out.append(_table(["teams", "dimension", "mean a", "mean b", "g", "95 % CI", "p", "p adj."], rows))
    else:
        out.append("  none: fewer than two shown teams")

    alignment = result["alignment"]
    out.append(f"\nAlignment index per pair of teams (0-100, least aligned first; {min(top, len(alignment))} "
               f"of {len(alignment)})")  # fmt: skip
    if len(alignment):
        rows = [
            [f"{a['team_a']} - {a['team_b']}", _number(a["alignment"], 1)]
            for a in _records(alignment.head(top))
        ]
        out.append(_table(["teams", "alignment"], rows))
    else:
        out.append("  none: fewer than two shown teams")
    return "\n".join(out)


def invariance_table(
    responses: pd.DataFrame, instrument: Instrument, group_column: str, *, missing_codes: Iterable = ()
) -> pd.DataFrame:
    """Whether each dimension measures the same thing in every group of ``group_column``.

    :func:`analysis.comparability` of the responses the report analyses: item cells equal to a
    missing code blanked, careless respondents (:func:`analysis.report.careless_respondents`)
    and rows without a group label left out.
    """
    if group_column not in responses.columns:
        raise ValueError(f"--invariance: the file has no column {group_column!r}")
    items = [item.id for item in instrument.items if item.id in responses.columns]
    frame = _blank_missing_codes(responses, items, missing_codes)
    frame = frame[frame[group_column].notna()]
    try:
        frame = frame.assign(**{item: pd.to_numeric(frame[item]) for item in items})
    except (TypeError, ValueError) as error:
        raise ValueError(f"--invariance: answers must be numbers ({error})") from error
    frame = frame.drop(index=careless_respondents(frame, instrument))
    return comparability(frame, instrument, group_column)


#: How the summary names a dimension's comparability.
_COMPARABILITY_WORDS = {
    "comparable": "comparable",
    "partial": "partly comparable",
    "not comparable": "not comparable",
    "not tested": "not tested",
}
_NOT_TESTED_WORDS = {
    "too_few_items": "fewer than 3 items asked of every group",
    "too_few_respondents": "too few respondents in a group",
    "unusable_data": "data unusable",
    "improper_solution": "no proper solution (not converged or a negative variance)",
}


def format_invariance(table: pd.DataFrame, group_column: str) -> str:
    """The comparability table (measurement invariance per dimension) as plain text."""
    rows = []
    for dimension, row in table.iterrows():
        if row["status"] == "not tested":
            detail = _NOT_TESTED_WORDS.get(row["reason"], row["reason"])
        else:
            detail = ", ".join(row["items"]) or "–"
        rows.append([
            str(dimension), _COMPARABILITY_WORDS[row["status"]], detail,
            _number(_finite(row["metric_pvalue"]), 3), _number(_finite(row["scalar_pvalue"]), 3),
            _number(_finite(row["scalar_cfi_diff"]), 3),
        ])  # fmt: skip
    header = ["dimension", "comparability", "items that differ", "p metric", "p scalar", "ΔCFI scalar"]
    title = (
        f"\nMeasurement invariance by {group_column} (configural, metric, scalar; a mean gap on a dimension "
        "that is not comparable is not a gap in the thing measured)"
    )
    return title + "\n" + _table(header, rows)


def _load_instrument(reference: str) -> Instrument:
    try:
        return instruments.load(reference)
    except (instruments.InstrumentNotFoundError, instruments.InstrumentError) as error:
        raise BadInput(f"--instrument {reference!r}: {error}") from error


#: LimeSurvey heads a subquestion's column ``question[subquestion]``.
_BRACKETED = re.compile(r"^(?P<question>[^\[\]]+)\[(?P<subquestion>[^\[\]]+)\]$")


def _table_cells(path: Path) -> list[list[str]]:
    # The command reads a file its user chose, on their own machine: in this process and
    # without the limits that guard the web server against uploads (large exports pass).
    try:
        return read_cells(path.read_bytes(), path.name, limits=None)
    except TableError as error:
        raise ValueError(f"cannot read {path}: {error}") from error


def read_responses(path: Path, *, header_rows: int = 1) -> pd.DataFrame:
    """A response export (``.csv`` or ``.xlsx``) as a table of cell text, empty cells as NaN.

    The file is read with :func:`instruments.tables.read_cells` (without its upload
    limits: ``limits=None``). Its first row names the
    columns; the ``header_rows - 1`` rows after it are dropped (a Qualtrics export has 3
    header rows: names, question texts, import ids). Blank rows are skipped. Cells stay
    text, so team ids keep the form they have in the file (``7``, not ``7.0``);
    :func:`analysis.score` reads answers written as numerals.

    Raises
    ------
    ValueError
        For an unreadable or empty file, a file with nothing below its header rows, column
        names that are empty or repeated, a cell beyond the named columns, or what looks
        like a Qualtrics export read with one header row.
    """
    cells = _table_cells(path)
    if not cells or not cells[0]:
        raise ValueError(f"cannot read {path}: its first row, which should name the columns, is empty")
    names = cells[0]
    _check_column_names(names, path)
    if header_rows == 1 and len(cells) > 2 and any(c.startswith('{"ImportId"') for c in cells[2]):
        raise ValueError(
            f"{path.name} looks like a Qualtrics export (its third row holds import ids): "
            "pass --header-rows 3"
        )
    rows = []
    for number, row in enumerate(cells[header_rows:], start=header_rows + 1):
        if not any(row):
            continue
        if len(row) > len(names):
            raise ValueError(
                f"row {number} of {path.name} has {len(row)} cells but only {len(names)} columns are named"
            )
        rows.append(row + [""] * (len(names) - len(row)))
    if not rows:
        raise ValueError(f"{path.name} has no respondents below its {header_rows} header row(s)")
    frame = pd.DataFrame(rows, columns=names, dtype=object)
    return frame.mask(frame == "")


def _check_column_names(names: list[str], path: Path) -> None:
    unnamed = [str(i) for i, name in enumerate(names, start=1) if not name]
    if unnamed:
        raise ValueError(f"{path.name}: column(s) {', '.join(unnamed[:5])} of the first row have no name")
    seen, repeated = set(), []
    for name in names:
        if name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    if repeated:
        raise ValueError(f"{path.name}: column names repeat: {', '.join(repr(n) for n in repeated[:5])}")


def item_columns(
    columns: Iterable[str], instrument: Instrument, column_map: dict[str, str] | None = None
) -> dict[str, str]:
    """Which columns hold which items, for columns not already named by an item id.

    A column named in ``column_map`` (export column -> item id) takes that item. A
    LimeSurvey heading ``question[subquestion]`` takes the item ``subquestion`` or
    ``question_subquestion`` if the instrument has it (LimeSurvey codes allow no ``_``, so
    ``sd[1]`` reads as item ``sd_1``). Returns the renaming ``{column: item id}``.

    Raises
    ------
    ValueError
        For a map naming columns the file lacks or item ids the instrument lacks, or two
        columns that would hold the same item.
    """
    columns = list(columns)
    item_ids = set(instrument.item_ids)
    column_map = dict(column_map or {})
    unknown_columns = [c for c in column_map if c not in columns]
    if unknown_columns:
        raise ValueError(f"the column map names columns the file does not have: {unknown_columns[:5]}")
    unknown_items = sorted({i for i in column_map.values() if i not in item_ids})
    if unknown_items:
        raise ValueError(f"the column map names items {instrument.key} does not have: {unknown_items[:5]}")
    renaming = {}
    for column in columns:
        if column in column_map:
            renaming[column] = column_map[column]
            continue
        match = _BRACKETED.match(column)
        if column in item_ids or match is None:
            continue
        question, subquestion = match["question"].strip(), match["subquestion"].strip()
        for candidate in (subquestion, f"{question}_{subquestion}"):
            if candidate in item_ids:
                renaming[column] = candidate
                break
    targets: dict[str, list[str]] = {}
    for column in columns:
        targets.setdefault(renaming.get(column, column), []).append(column)
    clashes = {item: held for item, held in targets.items() if item in item_ids and len(held) > 1}
    if clashes:
        item, held = next(iter(clashes.items()))
        raise ValueError(f"columns {held} would all hold item {item!r}; keep one")
    return renaming


def _read_column_map(path: Path) -> dict[str, str]:
    rows = [(number, row) for number, row in enumerate(_table_cells(path)[1:], start=2) if any(row)]
    bad = [str(number) for number, row in rows if len(row) != 2 or not all(row)]
    if bad:
        raise ValueError(
            f"--column-map {path.name}: rows {', '.join(bad[:5])} do not hold two cells "
            "(the column in the export, then the item id)"
        )
    return {column: item for _, (column, item) in rows}


@click.command("analyze")
@click.argument("responses_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--instrument",
    "instrument_reference",
    required=True,
    help="Instrument as ID or ID@VERSION (a shipped one), or the path of an instrument YAML file.",
)
@click.option(
    "--team-column", default="team", show_default=True, help="Column holding each respondent's team."
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write all results here.",
)
@click.option("--min-n", default=5, show_default=True, type=click.IntRange(min=1),
              help="Anonymity threshold: smaller teams are counted but not shown or compared.")  # fmt: skip
@click.option("--top", default=10, show_default=True, type=click.IntRange(min=1),
              help="How many gaps and team pairs to print.")  # fmt: skip
@click.option("--function-column", default=None,
              help="Column holding each respondent's team function (sales, marketing, ...), for the "
                   "sales-marketing headline.")  # fmt: skip
@click.option("--drop-careless", is_flag=True,
              help="Accepted for older scripts: careless respondents are always left out.")  # fmt: skip
@click.option("--strict", is_flag=True, help="Fail on columns that are neither items nor the team column.")
@click.option("--header-rows", default=1, show_default=True, type=click.IntRange(min=1),
              help="Rows above the answers; the first names the columns (Qualtrics exports: 3).")  # fmt: skip
@click.option("--missing-code", "missing_codes", multiple=True, metavar="CODE",
              help="An answer code meaning 'no answer', such as -99; repeat for several.")  # fmt: skip
@click.option(
    "--column-map",
    "column_map_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV/XLSX with a header row, then per row a column of the export and its item id.",
)
@click.option("--invariance", "invariance_column", default=None, metavar="GROUP",
              help="Also test per dimension whether the groups in column GROUP (function, wave, ...) "
                   "read the items the same way (measurement invariance).")  # fmt: skip
def analyze(
    responses_file: Path,
    instrument_reference: str,
    team_column: str,
    json_path: Path | None,
    min_n: int,
    top: int,
    function_column: str | None,
    drop_careless: bool,
    strict: bool,
    header_rows: int,
    missing_codes: tuple[str, ...],
    column_map_path: Path | None,
    invariance_column: str | None,
) -> None:
    """Score and analyse a response export (CSV or XLSX) by team.

    RESPONSES_FILE has one row per respondent and one column per item id of the
    instrument (answers as numbers, empty = missing) plus a team column; other columns
    are ignored (listed in the summary; --strict refuses them). CSV files are UTF-8 with
    commas, semicolons or tabs; XLSX files are read from their first sheet. LimeSurvey
    headings such as sd[1] or Q[sd_1] are read as item sd_1; --column-map names the item
    of any other column.

    The numbers are the web report's, with its rules: the teams form a flat tree under
    one organisation, careless respondents are left out, teams below --min-n (and those
    that would let a hidden one be worked out) are not shown, and gap p-values are
    adjusted by Benjamini-Hochberg. Prints respondents per team, alpha, omega, r_wg(j),
    ICC(1) and ICC(2) per dimension, dimension means per shown team, the largest team
    gaps (Hedges' g with 95 % CI, p and adjusted p), the alignment index of each pair of
    teams and, with --function-column, the sales-marketing alignment. Exits with status
    2 on unusable input.

    With --invariance GROUP it also prints, per dimension, whether its means can be
    compared across the groups of column GROUP: comparable, partly comparable (with the
    items that differ) or not comparable, from configural, metric and scalar invariance
    of a one-factor model with partial invariance (analysis.comparability).
    """
    instrument = _load_instrument(instrument_reference)
    try:
        column_map = _read_column_map(column_map_path) if column_map_path is not None else None
        responses = read_responses(responses_file, header_rows=header_rows)
        renaming = item_columns(responses.columns, instrument, column_map)
        result = team_analysis(
            responses.rename(columns=renaming),
            instrument,
            team_column,
            min_n=min_n,
            strict=strict,
            missing_codes=missing_codes,
            function_column=function_column,
        )
    except ValueError as error:
        raise BadInput(str(error)) from error
    result["file"] = str(responses_file)
    result["renamed_columns"] = renaming
    click.echo(f"Mindgap analysis of {responses_file.name}")
    click.echo(format_summary(result, top=top))
    if invariance_column is not None:
        try:
            table = invariance_table(
                responses.rename(columns=renaming), instrument, invariance_column, missing_codes=missing_codes
            )
        except ValueError as error:
            raise BadInput(str(error)) from error
        click.echo(format_invariance(table, invariance_column))
        result["invariance"] = table.reset_index()
    del drop_careless  # always on
    if json_path is not None:
        json_path.write_text(to_json(result), encoding="utf-8")
        click.echo(f"\nAll results written to {json_path}")

"""The lead calibration's results as tables for the CSV and Excel results files.

:func:`calibration_tables` lays out a release's :class:`analysis.CalibrationSummary` (the
numbers of the report section "What each team counts as a qualified lead") as tables: the
definition index with its interval, each attribute's weight per function and their
difference, each level's weight, the agreement on the lead profiles within and between the
functions (overall and per profile), the draft lead definition, and the definition index of
every wave in the trend (:attr:`analysis.TrendSection.definition`). Columns that the analysis
names ``_a`` and ``_b`` are named after the two functions (``share_sales``,
``share_marketing``). Below the threshold the tables have their columns and no rows, as the
section shows no number then; a wave without the calibration has none of them.

The tables' and columns' names are codes, the same in every language (the CSV file and
scripts rely on them); :data:`SHEET_NAMES` and :data:`COLUMN_NAMES` hold their names in
words, which the Excel workbook shows in the reader's language
(:func:`survey.services.exports.results_xlsx`).
"""

from __future__ import annotations

import pandas as pd

import analysis
from survey.i18n import N_

__all__ = ["COLUMN_NAMES", "SHEET_NAMES", "TABLES", "calibration_tables"]

#: The tables' names, in the order of the results files.
TABLES = (
    "lead_definition_index",
    "lead_attribute_weights",
    "lead_level_weights",
    "lead_agreement",
    "lead_vignettes",
    "lead_definition",
    "lead_definition_trend",
)

_INDEX = ["index", "ci_low", "ci_high", "confidence", "n_a", "n_b", "n_vignettes"]
_ATTRIBUTES = ["attribute", "importance_a", "importance_b", "share_a", "share_b", "p_a", "p_b", "F", "df_num",
               "df_denom", "p", "p_adjusted", "status", "weighs_more", "favoured_level"]  # fmt: skip
_LEVELS = [
    "attribute",
    "level",
    "weight_a",
    "se_a",
    "weight_b",
    "se_b",
    "difference",
    "se",
    "low",
    "high",
    "p",
]
_AGREEMENT = ["group", "alpha", "kappa", "raters", "units"]
_VIGNETTES = ["vignette", "split", "n_a", "n_b", "mean_a", "mean_b", "difference", "low", "high", "p",
              "p_adjusted", "ready_a", "ready_b", "ready_difference", "ready_low", "ready_high", "agree_a",
              "agree_b", "agree_between"]  # fmt: skip
_DEFINITION = ["attribute", "level"]
_TREND = ["wave", "index", "ci_low", "ci_high", "n_sales", "n_marketing"]

#: Each table's name in words (an Excel sheet's name: at most 31 characters in English).
SHEET_NAMES = {
    "lead_definition_index": N_("Lead-definition index"),
    "lead_attribute_weights": N_("Weights of the lead attributes"),
    "lead_level_weights": N_("Weights of the levels"),
    "lead_agreement": N_("Agreement on the leads"),
    "lead_vignettes": N_("Lead profiles"),
    "lead_definition": N_("Draft lead definition"),
    "lead_definition_trend": N_("Lead-definition index by wave"),
}
#: Column headings in words, by table and column; a column ``…_sales`` or ``…_marketing`` is
#: headed by its stem's heading and the function (:func:`survey.services.exports.results_xlsx`).
COLUMN_NAMES = {
    "lead_definition_index": {
        "index": N_("Lead-definition index"),
        "confidence": N_("Confidence"),
        "n_vignettes": N_("Lead profiles"),
    },
    "lead_attribute_weights": {
        "attribute": N_("Attribute"),
        "importance": N_("Importance"),
        "share": N_("Share of the decision"),
        "df_num": N_("df (numerator)"),
        "df_denom": N_("df (denominator)"),
        "status": N_("Status"),
        "weighs_more": N_("Weighs more for"),
        "favoured_level": N_("Favoured level"),
    },
    "lead_level_weights": {
        "attribute": N_("Attribute"),
        "level": N_("Level"),
        "weight": N_("Weight"),
        "se": N_("Standard error"),
        "difference": N_("Difference"),
    },
    "lead_agreement": {
        "group": N_("Group"),
        "alpha": N_("Krippendorff's alpha"),
        "kappa": N_("Fleiss' kappa"),
        "raters": N_("Raters"),
        "units": N_("Lead profiles rated"),
    },
    "lead_vignettes": {
        "vignette": N_("Lead profile"),
        "split": N_("Splits the functions"),
        "mean": N_("Mean"),
        "difference": N_("Difference"),
        "ready": N_("Share judging it ready for sales"),
        "ready_difference": N_("Share judging it ready for sales, difference"),
        "ready_low": N_("Share judging it ready for sales, lower 95 % limit"),
        "ready_high": N_("Share judging it ready for sales, upper 95 % limit"),
        "agree": N_("Share of pairs who agree"),
        "agree_between": N_("Share of pairs who agree, between the functions"),
    },
    "lead_definition": {"attribute": N_("Attribute"), "level": N_("Level")},
    "lead_definition_trend": {"index": N_("Lead-definition index")},
}


def _named(frame: pd.DataFrame, pair: tuple[str, str]) -> pd.DataFrame:
    """``…_a`` / ``…_b`` columns renamed after the functions of ``pair``."""

    def name(column: str) -> str:
        for suffix, function in zip(("_a", "_b"), pair, strict=True):
            if column.endswith(suffix):
                return column[: -len(suffix)] + "_" + function
        return column

    return frame.rename(columns={column: name(str(column)) for column in frame.columns})


def calibration_tables(report: analysis.OrganizationReport) -> dict[str, pd.DataFrame]:
    """The calibration tables of :data:`TABLES` (none when the wave does not ask the calibration)."""
    summary = getattr(report, "calibration", None)
    if summary is None:
        return {}
    pair = summary.pair
    trend = getattr(report.trend, "definition", None)
    trend = {"lead_definition_trend": trend if trend is not None else pd.DataFrame(columns=_TREND)}
    if not summary.shown:
        columns = (_INDEX, _ATTRIBUTES, _LEVELS, _AGREEMENT, _VIGNETTES, _DEFINITION)
        empty = zip(TABLES, columns, strict=False)  # the trend's table comes last
        return {name: _named(pd.DataFrame(columns=c), pair) for name, c in empty} | trend
    index = summary.index
    index_table = pd.DataFrame(
        [[index.index, index.ci_low, index.ci_high, index.confidence, index.n_a, index.n_b,
          index.n_vignettes]],
        columns=_INDEX,
    )  # fmt: skip
    attributes = summary.attributes.rename_axis("attribute").reset_index()[_ATTRIBUTES]
    levels = summary.weights.levels.rename_axis(["attribute", "level"]).reset_index()[_LEVELS]
    levels = levels[levels["attribute"] != "intercept"].reset_index(drop=True)
    agreement = summary.agreement.rename_axis("group").reset_index()[_AGREEMENT]
    splits = summary.splits.rename_axis("vignette").reset_index()
    splits.insert(1, "split", splits["vignette"].isin(summary.split_vignettes))
    definition = pd.DataFrame(list(summary.definition), columns=_DEFINITION)
    tables = (index_table, attributes, levels, agreement, splits[_VIGNETTES], definition)
    return {name: _named(table, pair) for name, table in zip(TABLES, tables, strict=False)} | trend

"""The reader's words next to the codes of the result tables, for the exports and the API.

:func:`analysis.organization_report` keeps its tables free of sentences: a suppressed team
carries a ``reason`` code (:data:`analysis.anonymity.BELOW_THRESHOLD` or
``COMPLEMENTARY``), a dimension ``alpha_low`` / ``omega_low`` flags, a team mean its
``consensus`` boolean. The CSV and Excel results and the JSON API are read by people and by
programs, so they carry both: the code, and a ``note`` (``warning``, ``omega_note``) worded
from :mod:`survey.services.wording` in the report's language, as the HTML report words it.

The words are made from the numbers and the suppression decision, not from the columns
themselves, so a report stored by an earlier version (with English notes in its tables)
is worded the same way.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

import analysis
from survey.services.wording import number, say

__all__ = ["consensus_text", "reason_text", "reliability_text", "worded_report"]

#: Columns an earlier version of the analysis wrote as English text; replaced here.
_OLD_TEXT_COLUMNS = ("note", "warning", "omega_note")


def reason_text(reason: str | None, threshold: int, language: str = "en") -> str:
    """Why a group is not shown, in words ("" for a shown group)."""
    if reason is None:
        return ""
    key = "note.complementary" if reason == analysis.anonymity.COMPLEMENTARY else "note.below"
    return say(language, key, threshold=threshold)


def _low(value) -> bool:
    return value is not None and not pd.isna(value) and float(value) < analysis.report.RELIABILITY_CUTOFF


def reliability_text(alpha, omega, language: str = "en") -> str:
    """The warning for a dimension whose alpha or omega is below the cut-off ("" otherwise)."""
    low = tuple(name for name, value in (("alpha", alpha), ("omega", omega)) if _low(value))
    if not low:
        return ""
    key = "reliability.low.both" if len(low) == 2 else f"reliability.low.{low[0]}"
    return say(language, key, cutoff=number(analysis.report.RELIABILITY_CUTOFF, 2, language))


def consensus_text(consensus, language: str = "en") -> str:
    """The words "no consensus" for a group whose members do not agree ("" otherwise or unknown)."""
    if consensus is None or pd.isna(consensus) or bool(consensus):
        return ""
    return say(language, "consensus.none")


def _without_old_text(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[c for c in _OLD_TEXT_COLUMNS if c in frame.columns])


def _teams(teams: pd.DataFrame, suppression: analysis.Suppression, language: str) -> pd.DataFrame:
    teams = _without_old_text(teams)
    reasons = [suppression.reason(key) for key in teams.index]
    teams["reason"] = pd.Series(reasons, index=teams.index, dtype=object)
    teams["note"] = [reason_text(reason, suppression.threshold, language) for reason in reasons]
    return teams


def _reliability(reliability: pd.DataFrame, language: str) -> pd.DataFrame:
    reliability = _without_old_text(reliability)
    if reliability.empty:
        for column in ("alpha_low", "omega_low", "omega_note", "warning"):
            reliability[column] = pd.Series(dtype=bool if column.endswith("_low") else object)
        return reliability
    reliability["alpha_low"] = [_low(value) for value in reliability["alpha"]]
    reliability["omega_low"] = [_low(value) for value in reliability["omega"]]
    not_computable = say(language, "reliability.not_computable")
    reliability["omega_note"] = np.where(reliability["omega"].notna(), "", not_computable)
    reliability["warning"] = [
        reliability_text(alpha, omega, language)
        for alpha, omega in zip(reliability["alpha"], reliability["omega"], strict=True)
    ]
    return reliability


def _means(means: pd.DataFrame, language: str) -> pd.DataFrame:
    means = _without_old_text(means)
    means["note"] = [consensus_text(value, language) for value in means["consensus"]] if len(means) else []
    return means


def worded_report(report: analysis.OrganizationReport, language: str = "en") -> analysis.OrganizationReport:
    """A copy of ``report`` whose team, reliability and means tables also carry the words.

    ``overview.teams`` gains ``reason`` (the code, None when shown) and ``note``;
    ``overview.reliability`` gains ``alpha_low``, ``omega_low``, ``omega_note`` ("not
    computable" where omega is missing) and ``warning``; ``means`` gains ``note`` ("no
    consensus"); ``comparability`` gains ``note`` (the status in words) and its ``items``
    become one text, the ids joined by ``"; "``. Every number is the report's own.
    """
    overview = dataclasses.replace(
        report.overview,
        teams=_teams(report.overview.teams, report.suppression, language),
        reliability=_reliability(report.overview.reliability, language),
    )
    return dataclasses.replace(
        report,
        overview=overview,
        means=_means(report.means, language),
        comparability=_comparability(getattr(report, "comparability", pd.DataFrame()), language),
    )


def _comparability(table: pd.DataFrame, language: str) -> pd.DataFrame:
    """The comparability table with ``items`` as ids joined by ``;`` and the status in words (``note``)."""
    columns = ["instrument", "status", "items", "reason", "n_items", "n_min", "metric_pvalue",
               "scalar_pvalue", "scalar_cfi_diff"]  # fmt: skip
    table = table.reindex(columns=columns).rename_axis("dimension")
    table["items"] = ["; ".join(items) if isinstance(items, tuple | list) else "" for items in table["items"]]
    table["note"] = [
        say(language, f"comparability.status.{status}") if status in analysis.invariance.STATUSES else ""
        for status in table["status"]
    ]
    return table

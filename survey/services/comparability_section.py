"""Whether sales and marketing read the statements alike, in words: the appendix table and the gap markers.

A release's report carries :attr:`analysis.OrganizationReport.comparability`: per dimension
a status code from :func:`analysis.comparability` (measurement invariance of sales against
marketing), the ids of the items that differ and, for a dimension not tested, a reason code.
Here they become what a reader sees:

* :func:`comparability_section`, the appendix table "Do sales and marketing read the
  statements the same way?": comparable, partly comparable naming the statements that differ
  by their text, not comparable, or not tested with the reason in a sentence. No code, no
  p-value: the numbers stay in the CSV/Excel results and the API.
* :func:`reading`, :func:`marked` and :func:`gap_reading`, which the perception-gap table and
  the first page use to mark a sales-marketing gap on a dimension that is not (or only partly)
  comparable, instead of presenting it as a plain difference.
"""

from __future__ import annotations

import pandas as pd

import analysis
from instruments import Instrument
from survey.services.report_view import Section, Table, Words, cells
from survey.services.wording import join, say

__all__ = ["MARKED", "comparability_section", "comparability_text", "gap_reading", "marked", "reading"]

#: Statuses whose sales-marketing gaps are marked.
MARKED = frozenset({"not comparable", "partial"})
_FUNCTIONS = frozenset({"sales", "marketing"})


def _table(report) -> pd.DataFrame:
    table = getattr(report, "comparability", None)
    return table if isinstance(table, pd.DataFrame) else pd.DataFrame()


def reading(words: Words, dimension) -> str:
    """The dimension's comparability status code, or ``""`` when the report has none."""
    table = _table(words.report)
    if table.empty or dimension not in table.index:
        return ""
    return str(table.at[dimension, "status"])


def marked(words: Words, team_a, team_b, dimension) -> str:
    """The status of a gap between a sales and a marketing group that must be marked, else ``""``.

    The test compares the sales members with the marketing members, so only a gap between a
    sales group and a marketing group is marked; two sales teams are not compared by it.
    """
    functions = words.report.overview.teams["function"]
    pair = {functions.get(team_a), functions.get(team_b)}
    status = reading(words, dimension)
    return status if pair == _FUNCTIONS and status in MARKED else ""


def _statement_texts(words: Words, instruments, items) -> list[str]:
    texts = {item.id: item.label(words.language) for instrument in instruments for item in instrument.items}
    return [f"“{texts.get(item, str(item))}”" for item in items]


def gap_reading(words: Words, status: str, dimension, instruments) -> str:
    """The sentence under a marked gap ("" for an unmarked one)."""
    if status == "not comparable":
        return words.say("reading.not comparable")
    if status == "partial":
        items = _table(words.report).at[dimension, "items"]
        statements = "; ".join(_statement_texts(words, instruments, items))
        return words.say("reading.partial", statements=statements)
    return ""


def comparability_text(status: str, language: str = "en") -> str:
    """A status code in words ("Partly comparable"); ``""`` for an unknown one."""
    if status not in analysis.invariance.STATUSES:
        return ""
    return say(language, f"comparability.status.{status}")


def _reason(words: Words, reason: str) -> str:
    if reason == "too_few_respondents":
        return words.say(
            "comparability.reason.too_few_respondents",
            per_item=analysis.report.COMPARABILITY_PER_ITEM,
            threshold=words.report.threshold,
        )
    if reason in analysis.invariance.NOT_TESTED:
        return words.say(f"comparability.reason.{reason}")
    return ""


def comparability_section(words: Words, instruments: tuple[Instrument, ...]) -> Section:
    """The appendix section: one row per dimension, in the report's dimension order."""
    table = _table(words.report)
    heading = words.say("appendix.comparability")
    if table.empty:
        return Section("comparability", heading, paragraphs=(words.phrase("comparability.none"),))
    rows, untested = [], {}
    for dimension, row in table.iterrows():
        status = str(row["status"])
        if status == "not tested":
            # Dimensions not tested for one reason share one sentence, not a row each.
            untested.setdefault(str(row["reason"]), []).append(words.dimension(dimension))
            continue
        if status == "comparable":
            detail = words.say("comparability.comparable")
        else:
            statements = _statement_texts(words, instruments, row["items"])
            detail = "; ".join(statements) if statements else words.say("reading.not comparable")
        rows.append(
            cells(
                words.dimension(dimension),
                comparability_text(status, words.language),
                detail,
                kind="warn" if status in MARKED else "",
            )
        )
    closing = tuple(
        words.phrase(
            "comparability.untested", dimensions=join(words.language, names), reason=_reason(words, reason)
        )
        for reason, names in untested.items()
    )
    columns = words.columns("col.dimension", "col.comparability", "col.differs")
    tables = (
        (
            Table(
                words.say("caption.comparability"), columns, tuple(rows), note=words.say("comparability.note")
            ),
        )
        if rows
        else ()
    )
    return Section(
        "comparability",
        heading,
        paragraphs=(words.phrase("comparability.intro"),),
        tables=tables,
        closing=closing,
    )

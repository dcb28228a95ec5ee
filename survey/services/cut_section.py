"""The report's "By <attribute>" sections and the cut table of the exports, in readers' words.

A release that is cut by roster attributes stores its cells (:attr:`survey.models.Release.cuts`,
written by :mod:`survey.services.cuts`): decisions for every cell, figures for the shown
ones. This module words them: one section per attribute, whose tables have a row per
dimension and a column per value (three columns a table, so that a phone shows them
without scrolling sideways), and a note naming the values not shown and why; the same cells
as one flat table for the CSV and Excel results and the API.

Attribute names and values are roster input: they are passed on as text and the templates
escape them; nothing here builds markup.
"""

from __future__ import annotations

import pandas as pd

import analysis.cuts
from survey.services.report_view import Column, Section, Table, Words, cells
from survey.services.wording import Phrase, Segment

#: Value columns per table (with the row headings, about what a 375 px screen holds).
COLUMNS = 3
#: Longest value name kept on one line above its column.
SHORT_NAME = 14

_FUNCTION = {"sales": "sales", "marketing": "marketing"}


def _value(value) -> str:
    return "not recorded" if value is None else str(value)


def _cell_name(cell: dict) -> str:
    name = _value(cell["value"])
    function = _FUNCTION.get(cell["function"])
    return f"{name} · {function}" if function else name


def reason_text(cell: dict, threshold: int) -> str:
    """Why a cell is not shown, in a sentence for readers."""
    reason = cell.get("reason")
    if reason == analysis.cuts.BELOW_THRESHOLD:
        return f"fewer than {threshold} people"
    if reason == analysis.cuts.UNCHECKABLE:
        return "too many overlapping groups to check that nobody's answers could be worked out"
    return "it could be worked out from other results shown (teams, other values or earlier releases)"


def refused_text(attribute: str, count: int) -> str:
    return (
        f"The results are not cut by {attribute}: it has {count} different values, more than the "
        f"{analysis.cuts.MAX_VALUES} a cut may have. Import it in bands (for example 0–1, 1–3 and 3+ years)."
    )


def cut_sections(words: Words, payload: dict | None) -> tuple[Section, ...]:
    """One section per attribute the release is cut by (none when it is not cut)."""
    if not payload:
        return ()
    threshold = int(payload.get("threshold") or words.report.threshold)
    dimensions = [str(d) for d in words.report.dimensions.index]
    found = []
    for position, attribute in enumerate(payload.get("attributes", [])):
        heading = f"By {attribute}"
        if attribute in payload.get("refused", {}):
            text = refused_text(attribute, payload["refused"][attribute])
            found.append(Section(f"cut-{position + 1}", heading, paragraphs=(words_of(text),)))
            continue
        mine = [c for c in payload.get("cells", []) if c["attribute"] == attribute]
        shown = [c for c in mine if c["shown"]]
        hidden = [c for c in mine if not c["shown"]]
        within = " and within sales and within marketing" if payload.get("by_function") else ""
        intro = (
            f"Mean scores of the people of each {attribute}, across the whole organisation{within}, from "
            f"their roster entry when they were invited. A value is shown only for at least {threshold} "
            "people, and only when no smaller group could be worked out by comparing it with the teams, "
            "the other values or earlier releases."
        )
        tables = []
        for start in range(0, len(shown), COLUMNS):
            chunk = shown[start : start + COLUMNS]
            # Numbers align right under short names; a long name is a plain column so that its
            # heading wraps on a phone instead of widening the table.
            columns = (
                Column("Dimension"),
                *(Column(_cell_name(c), len(_cell_name(c)) <= SHORT_NAME) for c in chunk),
            )
            rows = [cells("People", *(words.num(c["n"], 0) for c in chunk))]
            for dimension in dimensions:
                values = [c.get("dimensions", {}).get(dimension, {}).get("mean") for c in chunk]
                if all(v is None for v in values):
                    continue
                rows.append(cells(words.dimension(dimension), *(words.num(v) if v is not None else "–"
                                                                for v in values)))  # fmt: skip
            caption = f"Mean scores by {attribute}" + (
                f" ({start // COLUMNS + 1} of {-(-len(shown) // COLUMNS)})" if len(shown) > COLUMNS else ""
            )
            tables.append(Table(caption, columns, tuple(rows)))
        notes = [f"{_cell_name(c)} ({reason_text(c, threshold)})" for c in hidden]
        paragraphs = [words_of(intro)]
        if not shown:
            paragraphs.append(words_of(f"No value of {attribute} can be shown in this release."))
        closing = (words_of("Not shown: " + "; ".join(notes) + "."),) if notes else ()
        found.append(Section(f"cut-{position + 1}", heading, paragraphs=tuple(paragraphs),
                             tables=tuple(tables), closing=closing))  # fmt: skip
    return tuple(found)


def words_of(text: str) -> Phrase:
    """A sentence as a phrase (roster text stays text: the templates escape it)."""
    return (Segment(text),)


def cut_table(payload: dict | None) -> pd.DataFrame:
    """Every cell of a release's cuts as one table: a row per shown cell and dimension, one per hidden cell.

    Columns ``attribute, value, function, dimension, n, n_scored, mean, sd, reason, note``;
    ``value`` is empty for people with no value recorded, ``reason`` and ``note`` say why a
    cell (or a whole attribute) is not shown.
    """
    columns = ["attribute", "value", "function", "dimension", "n", "n_scored", "mean", "sd", "reason", "note"]
    if not payload:
        return pd.DataFrame(columns=columns)
    threshold = int(payload.get("threshold") or 0)
    rows = []
    for attribute, count in payload.get("refused", {}).items():
        rows.append({"attribute": attribute, "reason": analysis.cuts.TOO_MANY_VALUES,
                     "note": refused_text(attribute, count)})  # fmt: skip
    for cell in payload.get("cells", []):
        base = {"attribute": cell["attribute"], "value": cell["value"], "function": cell["function"]}
        if not cell["shown"]:
            rows.append(
                {**base, "reason": cell["reason"], "note": "Not shown: " + reason_text(cell, threshold) + "."}
            )
            continue
        for dimension, figures in cell.get("dimensions", {}).items():
            rows.append({**base, "dimension": dimension, "n": cell["n"], "n_scored": figures["n"],
                         "mean": figures["mean"], "sd": figures["sd"]})  # fmt: skip
    return pd.DataFrame(rows, columns=columns).astype(object).where(lambda f: f.notna(), None)

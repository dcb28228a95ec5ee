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
from survey.i18n import N_, translate
from survey.services.report_view import Column, Section, Table, Words, cells
from survey.services.wording import Phrase, Segment

#: Value columns per table (with the row headings, about what a 375 px screen holds).
COLUMNS = 3
#: Longest value name kept on one line above its column.
SHORT_NAME = 14

#: The section's words by key, in English; the catalogue translates them.
TEXT: dict[str, str] = {
    "heading": N_("By {attribute}"),
    "intro": N_(
        "Mean scores of the people of each {attribute}, across the whole organisation{within}, from "
        "their roster entry when they were invited. A value is shown only for at least {threshold} "
        "people, and only when no smaller group could be worked out by comparing it with the teams, "
        "the other values or earlier releases."
    ),
    "within": N_(" and within sales and within marketing"),
    "dimension": N_("Dimension"),
    "people": N_("People"),
    "caption": N_("Mean scores by {attribute}"),
    "part": N_(" ({part} of {parts})"),
    "none": N_("No value of {attribute} can be shown in this release."),
    "not_shown": N_("Not shown: {cells}."),
    "not_recorded": N_("not recorded"),
    "sales": N_("sales"),
    "marketing": N_("marketing"),
    "below": N_("fewer than {threshold} people"),
    "uncheckable": N_("too many overlapping groups to check that nobody's answers could be worked out"),
    "complementary": N_(
        "it could be worked out from other results shown (teams, other values or earlier releases)"
    ),
    "refused": N_(
        "The results are not cut by {attribute}: it has {count} different values, more than the "
        "{most} a cut may have. Import it in bands (for example 0–1, 1–3 and 3+ years)."
    ),
}


def text(language: str, key: str, **values) -> str:
    """The section's message ``key`` in ``language`` (English where it has none), fields filled."""
    return translate(language, TEXT[key], **values)


def _cell_name(cell: dict, language: str = "en") -> str:
    name = text(language, "not_recorded") if cell["value"] is None else str(cell["value"])
    if cell["function"] in ("sales", "marketing"):
        return f"{name} · {text(language, cell['function'])}"
    return name


def reason_text(cell: dict, threshold: int, language: str = "en") -> str:
    """Why a cell is not shown, in a phrase for readers."""
    reason = cell.get("reason")
    if reason == analysis.cuts.BELOW_THRESHOLD:
        return text(language, "below", threshold=threshold)
    if reason == analysis.cuts.UNCHECKABLE:
        return text(language, "uncheckable")
    return text(language, "complementary")


def refused_text(attribute: str, count: int, language: str = "en") -> str:
    return text(language, "refused", attribute=attribute, count=count, most=analysis.cuts.MAX_VALUES)


def cut_sections(words: Words, payload: dict | None) -> tuple[Section, ...]:
    """One section per attribute the release is cut by (none when it is not cut)."""
    if not payload:
        return ()
    threshold = int(payload.get("threshold") or words.report.threshold)
    dimensions = [str(d) for d in words.report.dimensions.index]
    found = []
    language = words.language
    for position, attribute in enumerate(payload.get("attributes", [])):
        heading = text(language, "heading", attribute=attribute)
        if attribute in payload.get("refused", {}):
            refused = refused_text(attribute, payload["refused"][attribute], language)
            found.append(Section(f"cut-{position + 1}", heading, paragraphs=(words_of(refused),)))
            continue
        mine = [c for c in payload.get("cells", []) if c["attribute"] == attribute]
        shown = [c for c in mine if c["shown"]]
        hidden = [c for c in mine if not c["shown"]]
        within = text(language, "within") if payload.get("by_function") else ""
        intro = text(language, "intro", attribute=attribute, within=within, threshold=threshold)
        tables = []
        parts = -(-len(shown) // COLUMNS)
        for start in range(0, len(shown), COLUMNS):
            chunk = shown[start : start + COLUMNS]
            names = [_cell_name(c, language) for c in chunk]
            # Numbers align right under short names; a long name is a plain column so that its
            # heading wraps on a phone instead of widening the table.
            columns = (Column(text(language, "dimension")), *(Column(n, len(n) <= SHORT_NAME) for n in names))
            rows = [cells(text(language, "people"), *(words.num(c["n"], 0) for c in chunk))]
            for dimension in dimensions:
                values = [c.get("dimensions", {}).get(dimension, {}).get("mean") for c in chunk]
                if all(v is None for v in values):
                    continue
                rows.append(cells(words.dimension(dimension), *(words.num(v) if v is not None else "–"
                                                                for v in values)))  # fmt: skip
            caption = text(language, "caption", attribute=attribute)
            if parts > 1:
                caption += text(language, "part", part=start // COLUMNS + 1, parts=parts)
            tables.append(Table(caption, columns, tuple(rows)))
        notes = [f"{_cell_name(c, language)} ({reason_text(c, threshold, language)})" for c in hidden]
        paragraphs = [words_of(intro)]
        if not shown:
            paragraphs.append(words_of(text(language, "none", attribute=attribute)))
        closing = (words_of(text(language, "not_shown", cells="; ".join(notes))),) if notes else ()
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
                {
                    **base,
                    "reason": cell["reason"],
                    "note": text("en", "not_shown", cells=reason_text(cell, threshold)),
                }
            )
            continue
        for dimension, figures in cell.get("dimensions", {}).items():
            rows.append({**base, "dimension": dimension, "n": cell["n"], "n_scored": figures["n"],
                         "mean": figures["mean"], "sd": figures["sd"]})  # fmt: skip
    return pd.DataFrame(rows, columns=columns).astype(object).where(lambda f: f.notna(), None)

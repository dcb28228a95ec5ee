"""The report pages as plain values: the view model the templates render, and its formatting.

Every text here is already worded (:mod:`survey.services.wording`) and every number
formatted for the report's language; templates only lay the values out. A cell or a
sentence is a phrase, a tuple of :class:`~survey.services.wording.Segment` s, so that a
team's name can link to its team report without markup in the words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

import analysis
from survey.services.figures import Chart, HeatTable, scales_of
from survey.services.wording import Phrase, Segment, number, phrase, say

__all__ = [
    "Column",
    "Cover",
    "Decision",
    "Gap",
    "Headline",
    "Level",
    "OrganizationView",
    "Row",
    "Section",
    "Statement",
    "Table",
    "TeamView",
    "Words",
    "cells",
    "significant",
]


@dataclass(frozen=True)
class Column:
    label: str
    numeric: bool = False


@dataclass(frozen=True)
class Row:
    #: One phrase per cell; the first is the row's heading.
    cells: tuple[Phrase, ...]
    #: CSS class: ``"significant"``, ``"warn"`` or ``""``.
    kind: str = ""


@dataclass(frozen=True)
class Table:
    caption: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    #: Under the table, e.g. "The 12 of 40 rows that matter most; …".
    note: str = ""


@dataclass(frozen=True)
class Section:
    id: str
    heading: str
    paragraphs: tuple[Phrase, ...] = ()
    charts: tuple[Chart, ...] = ()
    tables: tuple[Table, ...] = ()
    #: Sentences after the charts and tables, introducing :attr:`items`.
    closing: tuple[Phrase, ...] = ()
    #: A bulleted list (comments, links to team reports, the draft lead definition).
    items: tuple[Phrase, ...] = ()
    #: The statement-by-statement heatmap as a table.
    heat: HeatTable | None = None


@dataclass(frozen=True)
class Statement:
    text: str
    means: str


@dataclass(frozen=True)
class Gap:
    """One of the gaps that matter most: who, on what, where they split, and what to do."""

    title: Phrase
    detail: Phrase
    statements_intro: str
    statements: tuple[Statement, ...]
    cause: str
    action: str
    owners: Phrase
    #: A link to the report section the practice starts from (empty when none).
    see: Phrase = ()
    #: For a gap on a dimension sales and marketing read differently: the sentence that says
    #: so (empty otherwise).
    reading: str = ""


@dataclass(frozen=True)
class Level:
    """A dimension everyone rates low."""

    title: str
    detail: str
    cause: str
    action: str
    owners: str
    #: A link to the report section the practice starts from (empty when none).
    see: Phrase = ()


@dataclass(frozen=True)
class Headline:
    value: str
    label: str
    interval: str
    basis: str
    meaning: str


@dataclass(frozen=True)
class Decision:
    """The first page: what to decide."""

    heading: str
    headline: Headline | None
    headline_none: str
    change: str
    functions: str
    gaps_heading: str
    gaps: tuple[Gap, ...]
    gaps_none: str
    levels_heading: str
    levels: tuple[Level, ...]
    changes_heading: str
    changes: tuple[str, ...]


@dataclass(frozen=True)
class Cover:
    organization: str
    title: str
    wave: str
    #: (label, value) pairs: the wave's dates, responses, the release.
    facts: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class OrganizationView:
    language: str
    cover: Cover
    #: Set when nothing can be shown (the organisation is below the threshold).
    nothing: str
    decision: Decision | None
    sections: tuple[Section, ...]
    appendix_heading: str
    appendix_intro: str
    appendix: tuple[Section, ...]


@dataclass(frozen=True)
class TeamView:
    language: str
    eyebrow: str
    name: str
    back: str
    shown: bool
    note: str
    sections: tuple[Section, ...] = field(default_factory=tuple)


class Words:
    """Wording and formatting bound to one report: its language, names, and which teams link."""

    def __init__(self, report: analysis.OrganizationReport, language: str, linked: set):
        self.language = language
        self.report = report
        self.linked = set(linked)
        self.names = report.dimensions["name"].astype(str).to_dict()
        self.teams = report.overview.teams["name"].astype(str).to_dict()
        self.root = report.suppression.root
        self.scales = scales_of(report)

    def say(self, key: str, **values) -> str:
        return say(self.language, key, **values)

    def phrase(self, key: str, **values) -> Phrase:
        return phrase(self.language, key, **values)

    def num(self, value, digits: int = 2, sign: bool = False) -> str:
        return number(value, digits, self.language, sign)

    def rate(self, share) -> str:
        """A share (0-1) as a percentage."""
        if share is None or pd.isna(share):
            return "–"
        return self.say("rate", value=self.num(100 * share, 0))

    def interval(self, low, high, digits: int = 2, sign: bool = False) -> str:
        return self.say("interval", low=self.num(low, digits, sign), high=self.num(high, digits, sign))

    def p(self, value, relation: bool = True) -> str:
        """A p-value: "= 0.012" or "< 0.001" in a sentence, "0.012" or "< 0.001" in a table."""
        if value is None or not np.isfinite(value):
            return "–"
        if value < 0.001:
            return self.say("p.below", value=self.num(0.001, 3))
        return self.say("p.equals", value=self.num(value, 3)) if relation else self.num(value, 3)

    def dimension(self, code) -> str:
        """A dimension's name (the alignment and lead-definition indexes have one too); never its id."""
        if code == "alignment":
            return self.say("alignment.index")
        if code == "lead_definition":
            return self.say("definition.index")
        return self.names.get(code, str(code))

    def on_scale(self, code, dimensions=None) -> str:
        """A dimension's name with its answer scale, "Lead quality (1–5)", where ``dimensions``
        (the table's rows; default every dimension of the report) mix scales; else its name."""
        rows = list(self.scales) if dimensions is None else [d for d in dimensions if d in self.scales]
        if code not in self.scales or len({self.scales[d] for d in rows}) <= 1:
            return self.dimension(code)
        low, high = self.scales[code]
        return f"{self.dimension(code)} ({self.num(low, 0)}–{self.num(high, 0)})"

    def team(self, key) -> Segment:
        """A team's name, linked to its report when it is shown."""
        if key == self.root:
            return Segment(self.say("organization"))
        name = self.teams.get(key, str(key))
        return Segment(name, team=int(key) if key in self.linked else None)

    def function(self, code) -> str:
        if code in ("sales", "marketing"):
            return self.say(f"function.{code}")
        return self.say("function.other") if not code or code == "other" else str(code).capitalize()

    def quadrant(self, code) -> str:
        return self.say(f"quadrant.{code}") if isinstance(code, str) and code else "–"

    def scale(self, dimension) -> str:
        low, high = self.scales.get(dimension, (np.nan, np.nan))
        return f"{self.num(low, 0)}–{self.num(high, 0)}"

    def size(self, g: float) -> str:
        magnitude = abs(g)
        key = "small" if magnitude < 0.5 else "medium" if magnitude < 0.8 else "large"
        return self.say(f"gap.size.{key}")

    def columns(self, *keys: str) -> tuple[Column, ...]:
        """Table columns by message key; a key ending in ``#`` is a numeric column."""
        return tuple(Column(self.say(key.rstrip("#")), key.endswith("#")) for key in keys)

    def shown_note(self, shown: int, total: int) -> str:
        return self.say("first_rows", shown=shown, total=total) if total > shown else ""


def _cell(value) -> Phrase:
    if isinstance(value, tuple):
        return value
    return (value if isinstance(value, Segment) else Segment(str(value)),)


def cells(*values, kind: str = "") -> Row:
    """A table row from texts, segments and phrases."""
    return Row(tuple(_cell(value) for value in values), kind)


def significant(frame: pd.DataFrame) -> pd.Series:
    """The ``significant`` column as booleans (missing: not significant)."""
    if "significant" not in frame:
        return pd.Series(False, index=frame.index)
    return frame["significant"].fillna(False).astype(bool)

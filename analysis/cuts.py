"""Cuts by roster attributes: results per region, seniority or tenure band, kept as safe as teams.

A *cut* reports the respondents who share one value of a roster attribute (everyone whose
region is "North"), across the whole organisation and, optionally, within sales and within
marketing. A cut is a group like a team: it is shown only when it has at least the
threshold of respondents, and it must not let a reader work out a smaller group by adding
and subtracting it with anything else they hold — the teams and parents of the same
release, the other cuts, and every earlier release of the wave.

The rules, applied by :func:`cut_results`:

1. **Below threshold.** A cell (attribute value, or value x function) with fewer
   respondents than the threshold is hidden.
2. **Too many values.** An attribute with more than ``max_values`` distinct values (tenure
   in days, a free-text title) is not cut at all: almost every cell would be hidden and
   the rest would invite guessing. Roster values should be bands.
3. **No subtraction reaches a small group.** With the shown cells added to every other
   published group, :func:`analysis.differencing.disclosures` looks for any set of fewer
   than ``threshold`` respondents that a linear combination of published groups isolates
   (a cut minus a team, the organisation minus every shown value of an attribute, a value
   within sales minus the same value in release 1, …). For each one found, the smallest
   cut cell the combination uses is hidden (complementary suppression), and the search
   runs again until nothing is found. Teams are never hidden here: cuts give way.
4. **Checkable or not shown.** When the cells make too many small classes of respondents
   for the search to be exhaustive, the last attribute is dropped whole and the search is
   repeated; a cut is never shown unproven.

Respondents without a value for an attribute form a cell of their own (value ``None``),
treated like any other: hiding it does not hide that it exists, since the organisation
minus the shown values would give it back, which rule 3 checks.

For a shown cell, every dimension's mean is the plain mean of the respondents' dimension
scores (:func:`analysis.scoring.score`), :math:`\\bar s_{cD} = \\frac{1}{n_{cD}}\\sum_{i \\in c}
s_{iD}` over the ``n_cD`` members with a score, with the sample standard deviation, as for
teams. Careless respondents are left out exactly as in the report.

Reference: complementary suppression of tabular data and its audit by linear algebra are
described in Hundepool et al., *Statistical Disclosure Control* (Wiley, 2012), chapter 4;
the search itself is :func:`analysis.differencing.disclosures`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from ._validation import check_int
from .anonymity import BELOW_THRESHOLD, COMPLEMENTARY
from .differencing import DEFAULT_LIMIT, disclosures

__all__ = [
    "ALL",
    "BELOW_THRESHOLD",
    "COMPLEMENTARY",
    "MAX_VALUES",
    "TOO_MANY_VALUES",
    "UNCHECKABLE",
    "Cuts",
    "cut_label",
    "cut_results",
    "parse_cut_label",
    "report_cuts",
]

#: Most distinct values an attribute may have to be cut (missing values not counted).
MAX_VALUES = 12
#: The ``function`` of a cell over the whole organisation.
ALL = "all"
#: Reason: the attribute has more than ``max_values`` distinct values.
TOO_MANY_VALUES = "too many values"
#: Reason: the cells made the differencing search too large to be exhaustive.
UNCHECKABLE = "uncheckable"

_FUNCTIONS = ("sales", "marketing")


def cut_label(attribute: str, value, function: str = ALL) -> str:
    """The label of a cut cell among published groups, e.g. ``cut:["region", "North", "all"]``."""
    return "cut:" + json.dumps([attribute, value, function], ensure_ascii=False)


def parse_cut_label(label: str) -> tuple[str, str | None, str]:
    """``(attribute, value, function)`` of a :func:`cut_label`.

    Raises
    ------
    ValueError
        If ``label`` is not a cut label.
    """
    if not isinstance(label, str) or not label.startswith("cut:"):
        raise ValueError(f"label must be a cut label ('cut:[...]'); got {label!r}")
    try:
        attribute, value, function = json.loads(label[4:])
    except (ValueError, TypeError) as error:
        raise ValueError(f"label must be a cut label ('cut:[...]'); got {label!r}") from error
    return attribute, value, function


@dataclass(frozen=True)
class Cuts:
    """The result of :func:`cut_results`.

    ``cells`` holds decisions only (no size of a hidden cell); ``means`` only shown cells.
    """

    threshold: int
    attributes: tuple[str, ...]
    by_function: bool
    #: One row per cell: ``attribute``, ``value`` (None: no value recorded), ``function``
    #: (:data:`ALL`, ``"sales"``, ``"marketing"``), ``shown`` and ``reason`` (None when shown,
    #: else :data:`BELOW_THRESHOLD`, :data:`COMPLEMENTARY` or :data:`UNCHECKABLE`).
    cells: pd.DataFrame
    #: Shown cells only: ``attribute, value, function, n`` (respondents in the cell),
    #: ``dimension, n_scored, mean, sd``.
    means: pd.DataFrame
    #: Attribute -> number of distinct values, for attributes refused by rule 2.
    refused: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    #: :func:`cut_label` -> respondents (index labels) of every shown cell, for the
    #: differencing check of later releases.
    groups: Mapping[str, frozenset] = field(default_factory=lambda: MappingProxyType({}))


def _values(column: pd.Series) -> pd.Series:
    """Attribute values as text, None where missing or blank."""

    def clean(value):
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            return None
        text = str(value).strip()
        return text or None

    return column.map(clean).astype(object)


class _Derivable:
    """Whether a set of respondents is a linear combination of published groups (least squares)."""

    def __init__(self, groups: Mapping):
        self.keys = list(groups)
        people = sorted({m for members in groups.values() for m in members}, key=str)
        self.column = {m: i for i, m in enumerate(people)}
        self.matrix = np.zeros((len(self.keys), len(people)))
        for row, key in enumerate(self.keys):
            self.matrix[row, [self.column[m] for m in groups[key]]] = 1.0

    def __call__(self, members, hidden_keys=frozenset()) -> bool:
        target = np.zeros(self.matrix.shape[1])
        target[[self.column[m] for m in members]] = 1.0
        rows = [i for i, key in enumerate(self.keys) if key not in hidden_keys]
        if not rows:
            return False
        basis = self.matrix[rows].T
        weights, *_ = np.linalg.lstsq(basis, target, rcond=None)
        return bool(np.abs(basis @ weights - target).max() < 1e-7)


def _table(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """Rows as a table whose text columns keep None (not NaN) for a missing value."""
    text = {"attribute", "value", "function", "reason", "dimension"}
    return pd.DataFrame(
        {c: pd.Series([r[c] for r in rows], dtype=object if c in text else None) for c in columns},
        columns=columns,
    )


def cut_results(
    scores: pd.DataFrame,
    attributes: pd.DataFrame,
    *,
    threshold: int,
    functions: pd.Series | None = None,
    published: Mapping | None = None,
    max_values: int = MAX_VALUES,
    limit: int = DEFAULT_LIMIT,
) -> Cuts:
    """Cut the respondents' dimension scores by roster attributes, with suppression.

    Parameters
    ----------
    scores : DataFrame
        One row per analysed respondent (index: respondent id), one column per dimension
        (:func:`analysis.scoring.score`; NaN where a respondent has no score).
    attributes : DataFrame
        Same index as ``scores`` (missing rows: no value), one column per attribute to cut
        by, in the order of importance (rule 4 drops the last first). Values are compared
        as text, stripped; blank or missing is "no value".
    threshold : int
        Smallest number of respondents a shown cell, or anything derivable, may have.
    functions : Series, optional
        Each respondent's function (``"sales"``, ``"marketing"``, other); when given,
        every value is also cut within sales and within marketing.
    published : Mapping, optional
        Label -> respondents of every other group a reader holds (teams, parents, pooled
        functions of this release and of every earlier one, earlier releases' cuts).
        The organisation is assumed published whenever a cut is shown.
    max_values : int
        Most distinct values an attribute may have (rule 2).
    limit : int
        Passed to :func:`~analysis.differencing.disclosures`.

    Returns
    -------
    Cuts
        Decisions per cell, the shown cells' means, refused attributes and shown groups.

    Raises
    ------
    ValueError
        If ``scores`` or ``attributes`` is not a DataFrame, ``attributes`` has a
        respondent not in ``scores``, ``functions`` is not a Series, or a number is not a
        positive integer.

    Examples
    --------
    >>> scores = pd.DataFrame({"d": np.arange(12.0)})
    >>> region = pd.DataFrame({"region": ["N"] * 7 + ["S"] * 5})
    >>> result = cut_results(scores, region, threshold=5)
    >>> result.cells[["value", "shown"]].to_dict("records")
    [{'value': 'N', 'shown': True}, {'value': 'S', 'shown': True}]
    """
    if not isinstance(scores, pd.DataFrame):
        raise ValueError(f"scores must be a DataFrame; got {type(scores).__name__}")
    if not isinstance(attributes, pd.DataFrame):
        raise ValueError(f"attributes must be a DataFrame; got {type(attributes).__name__}")
    stray = attributes.index.difference(scores.index)
    if len(stray):
        raise ValueError(f"attributes has respondents not in scores: {list(stray[:3])}")
    if functions is not None and not isinstance(functions, pd.Series):
        raise ValueError(f"functions must be a Series or None; got {type(functions).__name__}")
    threshold = check_int(threshold, "threshold", minimum=1)
    max_values = check_int(max_values, "max_values", minimum=1)
    limit = check_int(limit, "limit", minimum=1)
    names = [str(name) for name in attributes.columns]
    index = scores.index
    frame = attributes.reindex(index)
    function_of = None
    if functions is not None:
        function_of = functions.reindex(index).astype(object).where(lambda f: f.isin(_FUNCTIONS), None)

    cells: list[dict] = []  # attribute, value, function, members
    refused: dict = {}
    for position, name in enumerate(names):
        values = _values(frame.iloc[:, position])
        distinct = pd.unique(values.dropna())
        if len(distinct) > max_values:
            refused[name] = len(distinct)
            continue
        order = sorted(distinct, key=str) + ([None] if values.isna().any() else [])
        for value in order:
            inside = values.isna() if value is None else values == value
            members = frozenset(index[inside.to_numpy(dtype=bool)])
            cells.append({"attribute": name, "value": value, "function": ALL, "members": members})
            if function_of is None:
                continue
            for function in _FUNCTIONS:
                within = frozenset(m for m in members if function_of.get(m) == function)
                if within:
                    cells.append({"attribute": name, "value": value, "function": function, "members": within})

    labels = [cut_label(c["attribute"], c["value"], c["function"]) for c in cells]
    hidden: dict = {}
    if len(index) < threshold:
        hidden = dict.fromkeys(labels, BELOW_THRESHOLD)
    for label, cell in zip(labels, cells, strict=True):
        if len(cell["members"]) < threshold:
            hidden.setdefault(label, BELOW_THRESHOLD)
    members_of = dict(zip(labels, (c["members"] for c in cells), strict=True))
    fixed = {("published", key): frozenset(m) for key, m in (published or {}).items()}
    fixed[("published", "organisation")] = frozenset(index)
    dropped: list[str] = []
    if not disclosures(fixed, threshold, limit=limit).safe:
        # What is published without cuts already gives someone away (the release will be
        # withheld): no cut can make that right, so none is shown.
        hidden.update({label: COMPLEMENTARY for label in labels if label not in hidden})
    while True:
        shown = {("cut", label): members_of[label] for label in labels if label not in hidden}
        if not shown:
            break
        check = disclosures({**fixed, **shown}, threshold, limit=limit)
        if not check.complete:
            attribute = next(a for a in reversed(names) if a not in dropped and any(
                c["attribute"] == a for label, c in zip(labels, cells, strict=True) if label not in hidden
            ))  # fmt: skip
            dropped.append(attribute)
            for label, cell in zip(labels, cells, strict=True):
                if cell["attribute"] == attribute and label not in hidden:
                    hidden[label] = UNCHECKABLE
            continue
        if not check.disclosures:
            break
        derivable = _Derivable({**fixed, **shown})
        for disclosure in check.disclosures:
            used = [key for key, _ in disclosure.combination if key[0] == "cut" and key[1] not in hidden]
            if not used or not derivable(disclosure.members, hidden_keys={("cut", h) for h in hidden}):
                continue  # resolved by a cell hidden for an earlier disclosure of this round
            ordered = sorted(used, key=lambda key: (len(members_of[key[1]]), key[1]))
            gone = {("cut", h) for h in hidden}
            # The smallest cell without which the set is no longer derivable; else the smallest.
            choice = next(
                (key for key in ordered if not derivable(disclosure.members, {*gone, key})), ordered[0]
            )
            hidden[choice[1]] = COMPLEMENTARY

    rows, means, groups = [], [], {}
    for label, cell in zip(labels, cells, strict=True):
        reason = hidden.get(label)
        rows.append({"attribute": cell["attribute"], "value": cell["value"], "function": cell["function"],
                     "shown": reason is None, "reason": reason})  # fmt: skip
        if reason is not None:
            continue
        groups[label] = cell["members"]
        chosen = scores.loc[sorted(cell["members"], key=lambda m: index.get_loc(m))]
        for dimension in scores.columns:
            column = chosen[dimension].dropna()
            means.append({
                "attribute": cell["attribute"], "value": cell["value"], "function": cell["function"],
                "n": len(cell["members"]), "dimension": dimension, "n_scored": len(column),
                "mean": float(column.mean()) if len(column) else np.nan,
                "sd": float(column.std(ddof=1)) if len(column) > 1 else np.nan,
            })  # fmt: skip
    return Cuts(
        threshold=threshold,
        attributes=tuple(names),
        by_function=functions is not None,
        cells=_table(rows, ["attribute", "value", "function", "shown", "reason"]),
        means=_table(means, ["attribute", "value", "function", "n", "dimension", "n_scored", "mean", "sd"]),
        refused=MappingProxyType(refused),
        groups=MappingProxyType(groups),
    )


def report_cuts(
    responses: pd.DataFrame,
    teams: pd.DataFrame,
    instruments,
    attributes: pd.DataFrame,
    *,
    threshold: int,
    by_function: bool = False,
    published: Mapping | None = None,
    max_values: int = MAX_VALUES,
    limit: int = DEFAULT_LIMIT,
) -> Cuts:
    """:func:`cut_results` for the respondents a report analyses (careless ones left out).

    Parameters
    ----------
    responses, teams, instruments, threshold
        As for :func:`analysis.report.organization_report`.
    attributes : DataFrame
        Index: response ids of ``responses``; one column per attribute to cut by.
    by_function : bool
        Also cut each value within sales and within marketing (the function of the
        respondent's own team).
    published, max_values, limit
        As for :func:`cut_results`; ``published`` should hold
        :func:`analysis.report.published_groups` of this report and every group of the
        earlier releases a reader holds.

    Returns
    -------
    Cuts

    Raises
    ------
    ValueError
        As :func:`analysis.report.organization_report` and :func:`cut_results`.
    """
    from .report import _check_instruments, _check_responses, _check_teams, _prepare

    teams = _check_teams(teams)
    instruments = _check_instruments(instruments)
    threshold = check_int(threshold, "threshold", minimum=1)
    responses = _check_responses(responses, teams)
    if not isinstance(attributes, pd.DataFrame):
        raise ValueError(f"attributes must be a DataFrame; got {type(attributes).__name__}")
    prepared = _prepare(responses, teams, instruments, threshold)
    scores = prepared.scores
    functions = prepared.analysed["team"].map(teams["function"]) if by_function else None
    chosen = attributes.loc[attributes.index.intersection(scores.index)]
    return cut_results(scores, chosen, threshold=threshold, functions=functions, published=published,
                       max_values=max_values, limit=limit)  # fmt: skip

"""Confidentiality of group results: which groups may be shown, and how comments are labelled.

A survey promises respondents that their answers are only reported for groups. Two
things break that promise: showing a group that is too small, and showing enough
neighbouring figures that a hidden group's figure can be worked out by arithmetic.

:func:`suppression` decides, for a tree of teams under the organisation, which groups'
results may be shown. The rules (also in ``docs/ANALYSIS.md``):

1. **Below threshold.** A group with fewer submitted responses than the threshold is
   suppressed. A group's size is its own members plus everyone in the teams nested
   under it; the organisation is the root of the tree.
2. **Direct members are a part too.** A team with sub-teams and members of its own is,
   for the arithmetic, the sum of its sub-teams and of its *direct members*. Those direct
   members are treated as a hidden part when there are fewer of them than the threshold,
   even though they are never shown as a group of their own.
3. **Complementary suppression.** When a shown group has exactly one hidden part with
   responses (a sub-team or its direct members), that part could be found as
   ``parent - sum(shown parts)``; the same holds for several hidden parts whose
   responses together number fewer than the threshold (they would be found as one small
   group), and for what is left of a shown group after subtracting every shown group
   below it, looking through hidden sub-teams. The next-smallest shown part is then
   suppressed too (ties broken by key), or, if there is none, the parent itself.
4. **No hidden group is the sum of shown ones.** A suppressed group whose parts are all
   shown could be found by adding them up; its smallest part is then suppressed as well.
5. Rules 3 and 4 are repeated until nothing changes.

With rules 3 and 4 in force every suppressed group with responses can be changed by
one respondent, with compensating changes in other suppressed groups, without changing
any shown figure, so no linear combination of shown totals equals a suppressed one. This
holds for counts and for every additive statistic (sums, and therefore means weighted by
n), because they follow the same tree of sums. Groups with no responses protect nothing
(an empty team is known to be empty) and are not counted as hidden parts.

:func:`comment_visibility` applies the separate, higher threshold for free-text
comments: a comment is labelled with the most specific team and attributes whose pool
of respondents reaches that threshold, and withheld when even the organisation does not.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from . import teamtree
from ._validation import check_int

__all__ = [
    "BELOW_THRESHOLD",
    "COMPLEMENTARY",
    "ORGANIZATION",
    "Suppression",
    "comment_visibility",
    "suppress_pairs",
    "suppress_rows",
    "suppression",
]

#: Reason for a group below the threshold.
BELOW_THRESHOLD = "below threshold"
#: Reason for a group hidden so that another one cannot be worked out by subtraction.
COMPLEMENTARY = "complementary"
#: Default key of the organisation, the root of the team tree (:data:`analysis.teamtree.ORGANIZATION`).
ORGANIZATION = teamtree.ORGANIZATION


@dataclass(frozen=True)
class _Direct:
    """The direct members of a team that also has sub-teams (a part, never a shown group)."""

    team: Hashable


@dataclass(frozen=True)
class Suppression:
    """Which groups may be shown (see :func:`suppression`).

    Only decisions are stored, never the size of a suppressed group, so the object can be
    passed to any layer without leaking what it protects.
    """

    threshold: int
    #: Key of the organisation (the root of the tree).
    root: Hashable
    #: Groups (teams and the organisation) whose results may be shown.
    shown: frozenset
    #: Suppressed group -> reason, :data:`BELOW_THRESHOLD` or :data:`COMPLEMENTARY`.
    suppressed: Mapping[Hashable, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Teams whose *direct* members (not counting sub-teams) form a part that may be
    #: computed on its own: every team without sub-teams that is shown, and every team
    #: with sub-teams whose direct members reach the threshold and were not suppressed.
    #: Statistics that pool respondents across the tree in another way (by function, for
    #: instance) must use only these teams' members.
    shown_members: frozenset = frozenset()

    def __post_init__(self):
        if not isinstance(self.suppressed, MappingProxyType):
            object.__setattr__(self, "suppressed", MappingProxyType(dict(self.suppressed)))

    def __reduce__(self):
        # A read-only mapping cannot be pickled; it is rebuilt from a plain dict.
        fields = (self.threshold, self.root, self.shown, dict(self.suppressed), self.shown_members)
        return (type(self), fields)

    def is_shown(self, group: Hashable) -> bool:
        """Whether ``group``'s results may be shown."""
        return group in self.shown

    def reason(self, group: Hashable) -> str | None:
        """Why ``group`` is not shown: :data:`BELOW_THRESHOLD` or :data:`COMPLEMENTARY`.

        None for a shown group. A key the decision does not know is treated as
        :data:`BELOW_THRESHOLD` unless it is shown (it must not be shown either). The
        words a reader sees belong to the presenter, with :attr:`threshold`.
        """
        if group in self.shown:
            return None
        return self.suppressed.get(group, BELOW_THRESHOLD)


def _as_sizes(sizes) -> dict:
    if isinstance(sizes, pd.Series):
        sizes = sizes.to_dict()
    if not isinstance(sizes, Mapping):
        raise ValueError(f"sizes must map group keys to response counts (dict or Series); got {sizes!r}")
    checked = {}
    for key, value in sizes.items():
        if isinstance(value, float) and float(value).is_integer():
            value = int(value)
        checked[key] = check_int(value, f"sizes[{key!r}]", minimum=0)
    return checked


def _as_parents(parents, sizes: dict, root: Hashable) -> dict:
    """Group -> parent, every group present, the root as the parent of top-level groups."""
    return teamtree.parent_map(parents, root=root, groups=sizes)


def _sort_key(node) -> tuple:
    # Direct members after teams of the same size; keys compared as text so that mixed
    # key types still order deterministically.
    if isinstance(node, _Direct):
        return (1, str(node.team))
    return (0, str(node))


def suppression(sizes, threshold: int, parents=None, *, root: Hashable = ORGANIZATION) -> Suppression:
    """Decide which groups of a team tree may be shown (rules in the module docstring).

    Parameters
    ----------
    sizes : Mapping or Series
        Group key -> number of submitted responses of the group's *own* members (not
        counting sub-teams). Groups missing here but named in ``parents`` have none. An
        entry for ``root`` counts respondents who belong to no team.
    threshold : int
        Smallest number of responses a group needs to be shown (at least 1).
    parents : Mapping or Series, optional
        Group key -> parent group key; ``None``, NaN or ``root`` for a top-level team.
        A parent that is not a key of ``sizes`` is a team with no members of its own.
        Default: every group is a top-level team.
    root : hashable
        Key of the organisation, the root of the tree.

    Returns
    -------
    Suppression
        ``shown``, ``suppressed`` (group -> reason) and ``shown_members``.

    Raises
    ------
    ValueError
        For a negative or non-integer size, a threshold below 1, a group that is its own
        parent, or a cycle.

    Examples
    --------
    >>> result = suppression({"a": 12, "b": 3, "c": 9}, 5)
    >>> sorted(result.shown), dict(result.suppressed)
    (['__organization__', 'a'], {'b': 'below threshold', 'c': 'complementary'})
    """
    threshold = check_int(threshold, "threshold", minimum=1)
    sizes = _as_sizes(sizes)
    tree = _as_parents(parents, sizes, root)

    children = teamtree.children(tree, root)
    # Parts of each node: its sub-teams and, if it has sub-teams and direct members, those.
    parts: dict = {}
    own = {group: sizes.get(group, 0) for group in children}
    for group, kids in children.items():
        parts[group] = list(kids)
        if kids and own[group] > 0:
            parts[group].append(_Direct(group))
    totals: dict = {}

    def total(node) -> int:
        if isinstance(node, _Direct):
            return own[node.team]
        if node not in totals:
            totals[node] = (
                own[node] + sum(total(kid) for kid in children[node]) if children[node] else own[node]
            )
        return totals[node]

    # Iterative post-order so that deep trees do not hit the recursion limit.
    order, stack = [], [root]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(children[node])
    for node in reversed(order):
        total(node)

    hidden: dict = {}
    for node in order:
        if total(node) < threshold:
            hidden[node] = BELOW_THRESHOLD
        for part in parts[node]:
            if isinstance(part, _Direct) and total(part) < threshold:
                hidden[part] = BELOW_THRESHOLD

    def by_size(nodes):
        return sorted(nodes, key=lambda n: (total(n), _sort_key(n)))

    def shown_below(node) -> list:
        """The highest shown parts under ``node``, looking through hidden sub-teams."""
        found, stack = [], list(parts[node])
        while stack:
            part = stack.pop()
            if part not in hidden:
                found.append(part)
            elif not isinstance(part, _Direct):
                stack.extend(parts[part])
        return found

    changed = True
    while changed:
        changed = False
        for node in order:
            with_responses = [p for p in parts[node] if total(p) > 0]
            hidden_parts = [p for p in with_responses if p in hidden]
            hidden_total = sum(total(p) for p in hidden_parts)
            if node not in hidden and (len(hidden_parts) == 1 or 0 < hidden_total < threshold):
                # Rule 3: the hidden parts together would be parent - sum(shown parts).
                candidates = by_size(p for p in with_responses if p not in hidden)
                target = candidates[0] if candidates else node
                hidden[target] = COMPLEMENTARY
                changed = True
            elif node in hidden and total(node) > 0 and with_responses and not hidden_parts:
                # Rule 4: a hidden group must not be the sum of shown parts.
                hidden[by_size(with_responses)[0]] = COMPLEMENTARY
                changed = True
            elif node not in hidden:
                # Rule 3 through hidden teams: the group minus every shown group below it
                # (found also inside hidden sub-teams) must be empty or reach the threshold.
                frontier = shown_below(node)
                remainder = total(node) - sum(total(p) for p in frontier)
                if 0 < remainder < threshold:
                    candidates = by_size(p for p in frontier if total(p) > 0)
                    hidden[candidates[0] if candidates else node] = COMPLEMENTARY
                    changed = True

    shown = frozenset(node for node in order if node not in hidden)
    suppressed = {node: reason for node, reason in hidden.items() if not isinstance(node, _Direct)}
    shown_members = frozenset(
        node
        for node in order
        if node != root or own[root] > 0
        if (not children[node] and node in shown)
        or (children[node] and own[node] > 0 and _Direct(node) not in hidden)
    )
    return Suppression(
        threshold=threshold,
        root=root,
        shown=shown,
        suppressed=MappingProxyType(dict(sorted(suppressed.items(), key=lambda kv: _sort_key(kv[0])))),
        shown_members=shown_members,
    )


def suppress_rows(
    table: pd.DataFrame, result: Suppression, *, column=None, how: str = "drop"
) -> pd.DataFrame:
    """Remove or blank the rows of suppressed groups in a result table.

    Parameters
    ----------
    table : DataFrame
        One row per group; the group key is in ``column`` or, if ``column`` is None, the
        index.
    result : Suppression
        The decision of :func:`suppression`.
    column : hashable, optional
        Column holding the group key (default: the index).
    how : {"drop", "blank"}
        ``"drop"`` removes the rows. ``"blank"`` keeps them but sets every other column
        to missing and adds a ``reason`` column (:data:`BELOW_THRESHOLD` or
        :data:`COMPLEMENTARY` for a blanked row, None for a shown one; see
        :meth:`Suppression.reason`), for tables that list every team.

    Returns
    -------
    DataFrame
        A new table. Keys that are neither shown nor suppressed (unknown to ``result``)
        are treated as suppressed.
    """
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table must be a DataFrame; got {type(table).__name__}")
    if how not in ("drop", "blank"):
        raise ValueError(f"how must be 'drop' or 'blank'; got {how!r}")
    keys = table.index if column is None else table[column]
    shown = np.fromiter((k in result.shown for k in keys), dtype=bool, count=len(table))
    if how == "drop":
        return table.loc[shown].copy()
    blanked = table.astype(object).copy() if (~shown).any() else table.copy()
    other = [c for c in table.columns if c != column]
    if (~shown).any():
        blanked.loc[~shown, other] = None
        blanked = blanked.infer_objects()
    blanked["reason"] = pd.Series(
        [None if visible else result.reason(k) for k, visible in zip(keys, shown, strict=True)],
        index=blanked.index,
        dtype=object,
    )
    return blanked


def suppress_pairs(table: pd.DataFrame, result: Suppression, columns=("team_a", "team_b")) -> pd.DataFrame:
    """Keep only the rows of a pair table (gaps, alignment) whose two groups are both shown."""
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table must be a DataFrame; got {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"columns must name columns of table; not found: {missing}")
    keep = np.ones(len(table), dtype=bool)
    for column in columns:
        keep &= table[column].isin(list(result.shown)).to_numpy()
    return table.loc[keep].copy()


def comment_visibility(
    comments: pd.DataFrame,
    respondents: pd.DataFrame,
    *,
    threshold: int = 10,
    parents=None,
    attributes: Iterable[str] = (),
    team_column: str = "team",
    root: Hashable = ORGANIZATION,
    suppressed: Iterable = (),
) -> pd.DataFrame:
    """Label free-text comments so that none points to fewer than ``threshold`` people.

    A comment is shown with the most specific label whose *pool* — the submitted
    respondents who match it — has at least ``threshold`` members. Labels are tried from
    the commenter's team (with all ``attributes``, then dropping attributes from the last
    to the first) up through the parent teams to the organisation (``root``), where
    attributes are tried the same way. A comment whose organisation pool is below the
    threshold is withheld. Comments are returned sorted by label and text, so the order
    of submission (which might identify someone) is not kept.

    Parameters
    ----------
    comments : DataFrame
        One row per comment: ``text``, ``team_column`` and the ``attributes`` columns.
    respondents : DataFrame
        One row per submitted response, with ``team_column`` and the ``attributes``
        columns: the pools are counted here.
    threshold : int
        Smallest pool a label may point to (default 10, above the usual result threshold
        of 5, because a comment's wording can identify its author).
    parents : Mapping or Series, optional
        Team -> parent team, for labelling with a parent team.
    attributes : iterable of str
        Descriptive columns (e.g. ``"function"``, ``"tenure"``) that may be shown with a
        comment, most important first.
    team_column : str
        Column with the team key.
    root : hashable
        Label used for the organisation as a whole.
    suppressed : iterable
        Teams never used as a label (e.g. ``Suppression.suppressed``): a report must not
        name a group whose results it hides, so their comments move up a level.

    Returns
    -------
    DataFrame
        Columns ``text``, ``team`` (the shown team, or ``root``), the attribute columns
        (missing where not shown) and ``pool`` (size of the labelled pool, at least
        ``threshold``). Withheld comments are left out.
    """
    threshold = check_int(threshold, "threshold", minimum=1)
    attributes = list(attributes)
    for name, frame, needed in (
        ("comments", comments, ["text", team_column, *attributes]),
        ("respondents", respondents, [team_column, *attributes]),
    ):
        if not isinstance(frame, pd.DataFrame):
            raise ValueError(f"{name} must be a DataFrame; got {type(frame).__name__}")
        absent = [c for c in needed if c not in frame.columns]
        if absent:
            raise ValueError(f"{name} must have the columns {needed}; missing: {absent}")
    tree = teamtree.parent_map(parents, root=root, groups=pd.unique(respondents[team_column]))
    # Teams of each group's subtree, for pool counts at every level.
    subtree_of = teamtree.descendants(tree, root)
    pools: dict = {}
    hidden_labels = set(suppressed)

    def pool(level, values: tuple) -> int:
        key = (level, values)
        if key not in pools:
            mask = np.ones(len(respondents), dtype=bool)
            if level != root:
                mask &= respondents[team_column].isin(list(subtree_of.get(level, ()))).to_numpy()
            for column, value in zip(attributes, values, strict=False):
                mask &= (respondents[column] == value).to_numpy()
            pools[key] = int(mask.sum())
        return pools[key]

    rows = []
    for record in comments.to_dict("records"):
        values = tuple(record[a] for a in attributes)
        chosen = None
        for level in teamtree.ancestors(record[team_column], tree, root):
            if level in hidden_labels:
                continue
            for kept in range(len(attributes), -1, -1):
                size = pool(level, values[:kept])
                if size >= threshold:
                    chosen = (level, kept, size)
                    break
            if chosen:
                break
        if chosen is None:
            continue
        level, kept, size = chosen
        row = {"text": record["text"], "team": level}
        for position, name in enumerate(attributes):
            row[name] = values[position] if position < kept else None
        row["pool"] = size
        rows.append(row)
    shown = pd.DataFrame(rows, columns=["text", "team", *attributes, "pool"])
    if len(shown):
        shown = shown.assign(_label=shown["team"].astype(str)).sort_values(["_label", "text"], kind="stable")
        shown = shown.drop(columns="_label").reset_index(drop=True)
    return shown

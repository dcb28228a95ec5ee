"""The team tree: teams nested under the organisation, and the groups a respondent belongs to.

An organisation's teams form a tree whose root is the organisation itself. A *group* is a
team with everyone in the teams nested under it, so a respondent of a sub-team counts in
that sub-team, in every team above it and in the organisation. Reports
(:mod:`analysis.report`) and confidentiality (:mod:`analysis.anonymity`) walk the tree with
the functions here, so both read it the same way.

The tree is given as a mapping ``team -> parent``; a missing parent (``None``, NaN) or the
root's key marks a top-level team. :func:`parent_map` checks it (no team its own parent,
no cycle) and returns it with the root written out.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "ORGANIZATION",
    "ancestors",
    "chains",
    "children",
    "descendants",
    "expand",
    "is_top",
    "membership",
    "parent_map",
]

#: Default key of the organisation, the root of the team tree.
ORGANIZATION = "__organization__"


def is_top(parent, root: Hashable = ORGANIZATION) -> bool:
    """Whether ``parent`` marks a top-level team: missing (None, NaN) or the root's key."""
    if parent is None or (isinstance(parent, float | np.floating) and np.isnan(parent)):
        return True
    return parent is pd.NA or parent == root


def parent_map(parents, *, root: Hashable = ORGANIZATION, groups: Iterable[Hashable] = ()) -> dict:
    """Every team's parent, with ``root`` as the parent of the top-level teams.

    Parameters
    ----------
    parents : Mapping or Series or None
        Team -> parent team; None, NaN or ``root`` for a top-level team. A parent that is
        not a key is a team of its own (at the top level).
    root : hashable
        Key of the organisation.
    groups : iterable
        Further teams that belong to the tree (e.g. the keys of a count table); those not
        in ``parents`` are top-level teams.

    Returns
    -------
    dict
        Team -> parent (``root`` for top-level teams), for every team named in ``groups``,
        as a key of ``parents`` or as a parent; the root itself is not a key.

    Raises
    ------
    ValueError
        For ``parents`` that is not a mapping, a team that is its own parent, or a cycle.
    """
    if parents is None:
        parents = {}
    if isinstance(parents, pd.Series):
        parents = parents.to_dict()
    if not isinstance(parents, Mapping):
        raise ValueError(
            f"parents must map group keys to their parent's key (dict or Series); got {parents!r}"
        )
    named = [*groups, *parents, *(p for p in parents.values() if not is_top(p, root))]
    tree = {}
    for group in dict.fromkeys(named):
        if group == root:
            continue
        parent = parents.get(group)
        if is_top(parent, root):
            parent = root
        elif parent == group:
            raise ValueError(f"parents[{group!r}] names the group itself")
        tree[group] = parent
    for group in tree:  # every chain must reach the root: no cycles
        seen, current = {group}, tree[group]
        while current != root:
            if current in seen:
                raise ValueError(f"parents has a cycle through {group!r}")
            seen.add(current)
            current = tree[current]
    return tree


def ancestors(
    team: Hashable, tree: Mapping, root: Hashable = ORGANIZATION, *, include_root: bool = True
) -> list:
    """``[team, parent, grandparent, ..., root]``; a team unknown to ``tree`` is top-level.

    ``tree`` is a :func:`parent_map` (or any mapping whose top-level teams map to ``root``).
    With ``include_root=False`` the organisation is left off the end.
    """
    chain = [team]
    while chain[-1] != root:
        chain.append(tree.get(chain[-1], root))
    return chain if include_root else chain[:-1]


def chains(tree: Mapping, root: Hashable = ORGANIZATION, *, include_root: bool = False) -> dict:
    """Team -> :func:`ancestors` of the team, for every team of ``tree`` (root left off by default)."""
    found: dict = {}
    for team in tree:
        path, node = [], team
        while node != root and node not in found:
            path.append(node)
            node = tree.get(node, root)
        chain = [] if node == root else found[node]
        for member in reversed(path):
            chain = [member, *chain]
            found[member] = chain
    if include_root:
        return {team: [*chain, root] for team, chain in found.items()}
    return found


def children(tree: Mapping, root: Hashable = ORGANIZATION) -> dict:
    """Node -> its direct sub-teams (in the order of ``tree``), for the root and every team."""
    kids: dict = {root: []}
    for team in tree:
        kids.setdefault(team, [])
    for team, parent in tree.items():
        kids.setdefault(parent, []).append(team)
    return kids


def descendants(tree: Mapping, root: Hashable = ORGANIZATION) -> dict:
    """Node -> the set of teams in its subtree, itself included (the root: every team)."""
    below: dict = {root: set(tree)}
    for team, chain in chains(tree, root).items():
        for group in chain:
            below.setdefault(group, set()).add(team)
    return below


def expand(labels: pd.Series, team_chains: Mapping, keep: Iterable[Hashable]) -> tuple[np.ndarray, pd.Series]:
    """Repeat each respondent once per kept group it belongs to, for one grouped pass over all groups.

    Parameters
    ----------
    labels : Series
        Each respondent's own team.
    team_chains : Mapping
        :func:`chains` of the tree (team -> the team and the teams above it).
    keep : iterable
        The groups to expand into (e.g. the shown ones); others are skipped.

    Returns
    -------
    positions : ndarray
        Row positions of ``labels``, each repeated once per kept group the respondent is in.
    groups : Series
        The group of each repeated row (``RangeIndex``, name ``"team"``).
    """
    keep = frozenset(keep)
    groups = labels.map(lambda team: [g for g in team_chains[team] if g in keep]).explode().dropna()
    positions = labels.index.get_indexer(groups.index)
    return positions, pd.Series(groups.to_numpy(), index=pd.RangeIndex(len(groups)), name="team")


def membership(team_chains: Mapping, order: Sequence[Hashable]) -> np.ndarray:
    """Matrix ``M`` with ``M[g, t] = 1`` when team ``t`` is group ``g`` or nested under it.

    Rows and columns follow ``order``; ``M @ counts`` rolls each team's own counts up into
    its group totals in one product.
    """
    position = {team: i for i, team in enumerate(order)}
    matrix = np.zeros((len(order), len(order)))
    for team, chain in team_chains.items():
        if team in position:
            matrix[[position[g] for g in chain if g in position], position[team]] = 1.0
    return matrix

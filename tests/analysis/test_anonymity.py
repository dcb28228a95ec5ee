"""Suppression of small groups and of groups that could be worked out by subtraction.

The property tests build random team trees with random sizes and check, with linear
algebra, that no suppressed group's count (or sum, hence mean) is a linear combination
of the figures that stay visible: the strongest form of "parent minus the shown
children" at every level and across levels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.anonymity import (
    BELOW_THRESHOLD,
    COMPLEMENTARY,
    ORGANIZATION,
    comment_visibility,
    suppress_pairs,
    suppress_rows,
    suppression,
)

ROOT = ORGANIZATION


def _tree(sizes: dict, parents: dict):
    """Children per node (root included) and each node's total (own + descendants)."""
    groups = list(dict.fromkeys([*sizes, *parents, *(p for p in parents.values() if p)]))
    parent_of = {g: (parents.get(g) or ROOT) for g in groups if g != ROOT}
    children = {g: [] for g in [ROOT, *parent_of]}
    for group, parent in parent_of.items():
        children[parent].append(group)

    def total(node):
        return sizes.get(node, 0) + sum(total(kid) for kid in children[node])

    return children, {node: total(node) for node in children}


def _derivable(sizes: dict, parents: dict, result) -> list:
    """Suppressed groups (with responses) whose total is fixed by the visible figures.

    Unknowns: the totals of suppressed groups and the direct members of teams with
    sub-teams that may not be computed on their own. Equations: every node's total equals
    the sum of its parts. A value is derivable exactly when its unit vector lies in the row
    space of the equations.
    """
    children, totals = _tree(sizes, parents)
    unknowns = {}

    def unknown(name):
        return unknowns.setdefault(name, len(unknowns))

    rows = []
    for node, kids in children.items():
        if not kids:
            continue
        equation = {}
        if node not in result.shown and totals[node] > 0:
            equation[unknown(node)] = 1.0
        for kid in kids:
            if kid not in result.shown and totals[kid] > 0:
                equation[unknown(kid)] = equation.get(unknown(kid), 0.0) - 1.0
        direct = sizes.get(node, 0)
        if direct > 0 and node not in result.shown_members:
            equation[unknown(("direct", node))] = -1.0
        if equation:
            rows.append(equation)
    if not unknowns:
        return []
    matrix = np.zeros((len(rows), len(unknowns)))
    for r, equation in enumerate(rows):
        for c, value in equation.items():
            matrix[r, c] = value
    rank = np.linalg.matrix_rank(matrix) if len(rows) else 0
    found = []
    for name, column in unknowns.items():
        unit = np.zeros(len(unknowns))
        unit[column] = 1.0
        if len(rows) and np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            found.append(name)
    return found


@st.composite
def team_trees(draw):
    n_groups = draw(st.integers(1, 12))
    names = [f"t{i}" for i in range(n_groups)]
    parents = {}
    for position, name in enumerate(names):
        choice = draw(st.integers(-1, position - 1))
        parents[name] = None if choice < 0 else names[choice]
    sizes = {name: draw(st.integers(0, 14)) for name in names}
    if draw(st.booleans()):
        sizes[ROOT] = draw(st.integers(0, 3))
    threshold = draw(st.integers(1, 8))
    return sizes, parents, threshold


@settings(max_examples=400, deadline=None)
@given(team_trees())
def test_no_suppressed_group_can_be_derived(tree):
    sizes, parents, threshold = tree
    result = suppression(sizes, threshold, parents)
    _, totals = _tree(sizes, parents)
    # Rule 1: every group below the threshold is suppressed.
    for node, size in totals.items():
        if size < threshold:
            assert node not in result.shown
            assert result.suppressed[node] == BELOW_THRESHOLD
    # Nothing is shown and suppressed at once; every group is one or the other.
    assert set(result.shown).isdisjoint(result.suppressed)
    assert set(result.shown) | set(result.suppressed) == set(totals)
    # No linear combination of visible totals gives a suppressed one.
    assert _derivable(sizes, parents, result) == []


@settings(max_examples=200, deadline=None)
@given(team_trees())
def test_parent_minus_shown_children_never_isolates_one_group(tree):
    """The plain subtraction attack, at every shown parent, with sums of a statistic too."""
    sizes, parents, threshold = tree
    result = suppression(sizes, threshold, parents)
    children, totals = _tree(sizes, parents)
    for node, kids in children.items():
        if node not in result.shown or not kids:
            continue
        hidden_parts = [k for k in kids if k not in result.shown and totals[k] > 0]
        if sizes.get(node, 0) > 0 and node not in result.shown_members:
            hidden_parts.append(("direct", node))
        assert len(hidden_parts) != 1, (node, hidden_parts)


def test_example_in_docstring():
    result = suppression({"a": 12, "b": 3, "c": 9}, 5)
    assert sorted(result.shown) == [ROOT, "a"]
    assert dict(result.suppressed) == {"b": BELOW_THRESHOLD, "c": COMPLEMENTARY}
    # Codes and the threshold, never words: the presenter words them.
    assert [result.reason(group) for group in "bca"] == [BELOW_THRESHOLD, COMPLEMENTARY, None]
    assert result.reason("unknown") == BELOW_THRESHOLD  # not shown either
    assert result.threshold == 5


def test_next_smallest_sibling_is_the_one_suppressed():
    result = suppression({"small": 2, "big": 40, "medium": 8, "large": 20}, 5)
    assert dict(result.suppressed) == {"medium": COMPLEMENTARY, "small": BELOW_THRESHOLD}
    assert result.shown == {ROOT, "big", "large"}


def test_two_small_siblings_protect_each_other():
    result = suppression({"a": 2, "b": 3, "c": 20}, 5)
    assert dict(result.suppressed) == {"a": BELOW_THRESHOLD, "b": BELOW_THRESHOLD}


def test_direct_members_of_a_parent_are_a_part():
    # Sales = 2 direct members + S1 (6) + S2 (7): Sales - S1 - S2 would give the 2.
    parents = {"S1": "S", "S2": "S"}
    result = suppression({"S": 2, "S1": 6, "S2": 7, "M": 10}, 5, parents)
    assert dict(result.suppressed) == {"S1": COMPLEMENTARY}
    assert result.shown == {ROOT, "S", "S2", "M"}
    assert "S" not in result.shown_members
    assert "S2" in result.shown_members


def test_large_direct_membership_may_be_pooled():
    result = suppression({"S": 9, "S1": 6, "S2": 7}, 5, {"S1": "S", "S2": "S"})
    assert result.suppressed == {}
    assert result.shown_members == {"S", "S1", "S2"}


def test_only_child_suppressed_takes_the_parent_with_it():
    # S has one sub-team of 3 and no direct members: S's total is the sub-team's.
    result = suppression({"S": 0, "S1": 3, "M": 10, "X": 11}, 5, {"S1": "S"})
    assert result.suppressed["S1"] == BELOW_THRESHOLD
    assert result.suppressed["S"] == BELOW_THRESHOLD
    # Then the organisation minus M and X would give S: the next-smallest (M) goes too.
    assert result.suppressed["M"] == COMPLEMENTARY


def test_subtraction_across_levels():
    # A = A1 (5) + A2 (5); B (2) is hidden, so A (10) is suppressed to protect it. A hidden
    # group must not be the sum of shown sub-teams, so A1 is suppressed as well.
    parents = {"A1": "A", "A2": "A"}
    result = suppression({"A1": 5, "A2": 5, "B": 2, "C": 30}, 5, parents)
    assert dict(result.suppressed) == {"A": COMPLEMENTARY, "A1": COMPLEMENTARY, "B": BELOW_THRESHOLD}
    assert _derivable({"A1": 5, "A2": 5, "B": 2, "C": 30}, parents, result) == []


def test_subtraction_through_a_grandparent():
    # Org = North (N1 3 + N2 9) + South (30): N1 hidden, N2 next; North (12) stays shown.
    parents = {"N1": "North", "N2": "North"}
    sizes = {"N1": 3, "N2": 9, "South": 30}
    result = suppression(sizes, 5, parents)
    assert dict(result.suppressed) == {"N1": BELOW_THRESHOLD, "N2": COMPLEMENTARY}
    assert {"North", "South", ROOT} <= result.shown
    assert _derivable(sizes, parents, result) == []


def test_organization_below_threshold_hides_everything():
    result = suppression({"a": 1, "b": 2}, 5)
    assert result.shown == frozenset()
    assert result.suppressed[ROOT] == BELOW_THRESHOLD


def test_empty_groups_do_not_count_as_protection():
    # "empty" has no responses: it is known to be empty, so "small" still needs a partner.
    result = suppression({"small": 2, "empty": 0, "a": 10, "b": 12}, 5)
    assert result.suppressed == {"empty": BELOW_THRESHOLD, "small": BELOW_THRESHOLD, "a": COMPLEMENTARY}


def test_the_threshold_is_inclusive():
    result = suppression({"a": 5, "b": 5}, 5)
    assert result.shown == {ROOT, "a", "b"}


def test_series_input_and_custom_root():
    sizes = pd.Series({"a": 7, "b": 8})
    parents = pd.Series({"a": np.nan, "b": "org"})
    result = suppression(sizes, 5, parents, root="org")
    assert result.shown == {"org", "a", "b"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (({"a": -1}, 5), "sizes\\['a'\\] must be at least 0"),
        (({"a": 2.5}, 5), "sizes\\['a'\\] must be an integer"),
        (({"a": 2}, 0), "threshold must be at least 1"),
        (({"a": 2}, 5, {"a": "a"}), "names the group itself"),
        (({"a": 2, "b": 1}, 5, {"a": "b", "b": "a"}), "cycle"),
        (([1, 2], 5), "sizes must map group keys"),
    ],
)
def test_bad_arguments_are_named(arguments, message):
    with pytest.raises(ValueError, match=message):
        suppression(*arguments)


def test_suppress_rows_drop_and_blank():
    result = suppression({"a": 12, "b": 3, "c": 9}, 5)
    table = pd.DataFrame({"mean": [3.1, 2.0, 4.0], "n": [12, 3, 9]}, index=["a", "b", "c"])
    assert list(suppress_rows(table, result).index) == ["a"]
    blanked = suppress_rows(table, result, how="blank")
    assert blanked.loc["a", "mean"] == 3.1
    assert blanked.loc[["b", "c"], ["mean", "n"]].isna().all().all()
    assert list(blanked["reason"]) == [None, BELOW_THRESHOLD, COMPLEMENTARY]
    assert "note" not in blanked
    by_column = suppress_rows(table.rename_axis("team").reset_index(), result, column="team")
    assert list(by_column["team"]) == ["a"]
    with pytest.raises(ValueError, match="how must be"):
        suppress_rows(table, result, how="hide")


def test_a_pair_is_shown_only_when_both_groups_are():
    result = suppression({"a": 12, "b": 3, "c": 9, "d": 20}, 5)
    pairs = pd.DataFrame({"team_a": ["a", "a", "b", "c"], "team_b": ["d", "b", "d", "d"], "g": [0.1] * 4})
    kept = suppress_pairs(pairs, result)
    assert list(zip(kept["team_a"], kept["team_b"], strict=True)) == [("a", "d")]


def _respondents():
    teams = ["S1"] * 12 + ["S2"] * 4 + ["M1"] * 6
    functions = ["sales"] * 16 + ["marketing"] * 6
    tenure = ["new"] * 3 + ["long"] * 9 + ["long"] * 4 + ["new"] * 6
    return pd.DataFrame({"team": teams, "function": functions, "tenure": tenure})


def test_comments_are_labelled_no_narrower_than_the_threshold():
    respondents = _respondents()
    comments = pd.DataFrame(
        {
            "text": ["from S1 long", "from S1 new", "from S2", "from M1"],
            "team": ["S1", "S1", "S2", "M1"],
            "function": ["sales", "sales", "sales", "marketing"],
        }
    )
    parents = {"S1": "Sales", "S2": "Sales", "M1": None}
    shown = comment_visibility(comments, respondents, parents=parents, attributes=["function"])
    labels = dict(zip(shown["text"], shown["team"], strict=True))
    # S1 has 12 respondents: its comments keep the team. S2 (4) moves up to Sales (16).
    # M1 (6) has no parent team: the organisation (22), where "marketing" (6) is too narrow.
    assert labels == {"from S1 long": "S1", "from S1 new": "S1", "from S2": "Sales", "from M1": ORGANIZATION}
    marketing = shown.loc[shown["text"] == "from M1"].iloc[0]
    assert pd.isna(marketing["function"])
    assert marketing["pool"] == 22
    assert (shown["pool"] >= 10).all()


def test_comment_attributes_are_dropped_before_the_team():
    respondents = _respondents()
    comments = pd.DataFrame({"text": ["x"], "team": ["S1"], "tenure": ["new"]})
    shown = comment_visibility(comments, respondents, attributes=["tenure"])
    # S1 and "new" is 3 people: the tenure is dropped, the team (12) kept.
    assert shown.loc[0, "team"] == "S1"
    assert pd.isna(shown.loc[0, "tenure"])
    assert shown.loc[0, "pool"] == 12


def test_comments_withheld_when_the_organisation_is_too_small():
    respondents = _respondents().iloc[:8]
    comments = pd.DataFrame({"text": ["x"], "team": ["S1"]})
    assert comment_visibility(comments, respondents).empty
    assert len(comment_visibility(comments, respondents, threshold=8)) == 1


def test_comments_never_carry_a_suppressed_team():
    respondents = _respondents()
    comments = pd.DataFrame({"text": ["x"], "team": ["S1"]})
    parents = {"S1": "Sales", "S2": "Sales"}
    shown = comment_visibility(comments, respondents, parents=parents, suppressed={"S1"})
    assert list(shown["team"]) == ["Sales"]
    shown = comment_visibility(comments, respondents, parents=parents, suppressed={"S1", "Sales"})
    assert list(shown["team"]) == [ORGANIZATION]


def test_hidden_means_cannot_be_recovered_from_shown_means():
    """Two data sets that agree on every shown group's n and mean but not on a hidden one's."""
    parents = {"S1": "Sales", "S2": "Sales", "S3": "Sales", "S4": "Sales"}
    result = suppression({"S1": 60, "S2": 50, "S3": 3, "S4": 9, "M": 40}, 5, parents)
    assert set(result.suppressed) == {"S3", "S4"}

    def shown_figures(cells):
        """(n, mean) of every shown group from per-team (n, sum) cells."""
        members = {"Sales": ["S1", "S2", "S3", "S4"], ORGANIZATION: list(cells)}
        members.update({team: [team] for team in cells})
        figures = {}
        for group in result.shown:
            n = sum(cells[t][0] for t in members[group])
            figures[group] = (n, sum(cells[t][1] for t in members[group]) / n)
        return figures

    # The same totals for S3 + S4 (12 people, sum 42), split differently.
    first = {"S1": (60, 210.0), "S2": (50, 160.0), "S3": (3, 6.0), "S4": (9, 36.0), "M": (40, 120.0)}
    second = {**first, "S3": (3, 12.0), "S4": (9, 30.0)}
    assert shown_figures(first) == shown_figures(second)
    assert first["S3"][1] / 3 != second["S3"][1] / 3

"""The team tree shared by the report and the confidentiality rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import anonymity, teamtree
from analysis.teamtree import ORGANIZATION

#   org -- sales -- north -- north_east
#       |        `- south
#       `- marketing
#       `- ops (parent given as NaN)
PARENTS = {"sales": None, "north": "sales", "north_east": "north", "south": "sales",
           "marketing": ORGANIZATION, "ops": float("nan")}  # fmt: skip


@pytest.fixture
def tree():
    return teamtree.parent_map(PARENTS)


def test_parent_map_writes_the_root_out(tree):
    assert tree == {"sales": ORGANIZATION, "north": "sales", "north_east": "north", "south": "sales",
                    "marketing": ORGANIZATION, "ops": ORGANIZATION}  # fmt: skip
    # Teams named only in groups or only as a parent are top-level teams of their own.
    assert teamtree.parent_map({"a": "b"}, groups=["c"]) == {"c": ORGANIZATION, "a": "b", "b": ORGANIZATION}
    assert teamtree.parent_map(pd.Series({"x": np.nan}), root="root") == {"x": "root"}


@pytest.mark.parametrize(
    ("parents", "message"),
    [
        ({"a": "a"}, r"parents\['a'\] names the group itself"),
        ({"a": "b", "b": "a"}, "parents has a cycle through 'a'"),
        ([("a", "b")], "parents must map group keys"),
    ],
)
def test_bad_trees_are_refused(parents, message):
    with pytest.raises(ValueError, match=message):
        teamtree.parent_map(parents)


def test_ancestors_and_chains(tree):
    assert teamtree.ancestors("north_east", tree) == ["north_east", "north", "sales", ORGANIZATION]
    assert teamtree.ancestors("north_east", tree, include_root=False) == ["north_east", "north", "sales"]
    assert teamtree.ancestors("unknown", tree) == ["unknown", ORGANIZATION]
    chains = teamtree.chains(tree)
    assert chains == {team: teamtree.ancestors(team, tree, include_root=False) for team in tree}
    assert teamtree.chains(tree, include_root=True)["south"] == ["south", "sales", ORGANIZATION]


def test_children_and_descendants(tree):
    kids = teamtree.children(tree)
    assert kids[ORGANIZATION] == ["sales", "marketing", "ops"]
    assert kids["sales"] == ["north", "south"]
    assert kids["north_east"] == []
    below = teamtree.descendants(tree)
    assert below["sales"] == {"sales", "north", "north_east", "south"}
    assert below[ORGANIZATION] == set(tree)
    assert below["ops"] == {"ops"}


def test_expand_repeats_each_respondent_into_every_kept_group(tree):
    labels = pd.Series(["north_east", "south", "ops", "north_east"], index=[10, 11, 12, 13])
    positions, groups = teamtree.expand(labels, teamtree.chains(tree), {"north_east", "sales", "ops"})
    assert list(zip(positions.tolist(), groups, strict=True)) == [
        (0, "north_east"), (0, "sales"), (1, "sales"), (2, "ops"), (3, "north_east"), (3, "sales"),
    ]  # fmt: skip
    assert groups.index.equals(pd.RangeIndex(6))


def test_membership_rolls_counts_up(tree):
    order = list(tree)
    own = pd.Series({"sales": 1, "north": 2, "north_east": 3, "south": 4, "marketing": 5, "ops": 6})
    totals = teamtree.membership(teamtree.chains(tree), order) @ own.reindex(order).to_numpy()
    assert dict(zip(order, totals, strict=True)) == {"sales": 10, "north": 5, "north_east": 3, "south": 4,
                                                     "marketing": 5, "ops": 6}  # fmt: skip


def test_anonymity_reads_the_same_tree():
    # suppression and comment_visibility refuse the same bad trees and see the same subtrees.
    with pytest.raises(ValueError, match="parents has a cycle through 'a'"):
        anonymity.suppression({"a": 5, "b": 5}, 5, {"a": "b", "b": "a"})
    with pytest.raises(ValueError, match="parents has a cycle"):
        anonymity.comment_visibility(
            pd.DataFrame({"text": ["x"], "team": ["a"]}), pd.DataFrame({"team": ["a", "b"]}),
            threshold=1, parents={"a": "b", "b": "a"},
        )  # fmt: skip
    respondents = pd.DataFrame({"team": ["north_east"] * 3 + ["south"] * 4})
    comments = pd.DataFrame({"text": ["hello"], "team": ["north_east"]})
    shown = anonymity.comment_visibility(comments, respondents, threshold=7, parents=PARENTS)
    # north_east (3) and north (3) are too small; sales holds all 7 respondents.
    assert shown.loc[0, "team"] == "sales"
    assert shown.loc[0, "pool"] == 7

"""Differencing across published figures: every small set that addition and subtraction expose."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import analysis
from analysis.differencing import disclosures


def test_a_team_that_grew_by_fewer_than_the_threshold_is_exposed():
    check = disclosures({"r1": set(range(10)), "r2": set(range(12))}, 5)
    assert not check.safe
    (found,) = check.disclosures
    assert found.members == {10, 11}
    assert dict(found.combination) == {"r2": pytest.approx(1.0), "r1": pytest.approx(-1.0)}


def test_growth_of_at_least_the_threshold_exposes_nobody():
    assert disclosures({"r1": set(range(10)), "r2": set(range(15))}, 5).safe


def test_a_team_moved_out_of_its_parent_is_the_difference_of_the_parent():
    before = {"parent": set(range(20)), "north": set(range(10))}  # south (10..19) hidden? no: 10 people
    after = {"parent'": set(range(17)), "north'": set(range(10))}  # three people moved out of the parent
    check = disclosures({**before, **after}, 5)
    assert [d.members for d in check.disclosures] == [frozenset({17, 18, 19})]


def test_a_union_of_atoms_is_found_when_no_single_atom_is():
    # x = a1+a3, y = a2+a4, z = a3+a4: x + y - z = a1 + a2, though neither alone follows.
    a1, a2, a3, a4 = {1}, {2}, {3, 4, 5, 6, 7, 8}, {9, 10, 11, 12, 13, 14}
    check = disclosures({"x": a1 | a3, "y": a2 | a4, "z": a3 | a4}, 5)
    assert [d.members for d in check.disclosures] == [frozenset({1, 2})]
    weights = dict(check.disclosures[0].combination)
    assert weights == {"x": pytest.approx(1), "y": pytest.approx(1), "z": pytest.approx(-1)}


def test_only_minimal_sets_are_reported_and_large_ones_are_not_disclosures():
    check = disclosures({"all": set(range(12)), "part": set(range(10)), "tiny": {0}}, 5)
    assert sorted(sorted(d.members) for d in check.disclosures) == [[0], [10, 11]]
    assert disclosures({"all": set(range(12)), "part": set(range(5))}, 5).safe  # 7 derived: shown anyway


def test_the_search_says_when_it_could_not_finish():
    groups = {f"g{i}": {i} for i in range(30)} | {"all": set(range(30)) | {99, 100, 101, 102, 103}}
    partial = disclosures(groups, 5, limit=3)
    assert not partial.complete
    assert not partial.safe


@pytest.mark.parametrize(
    ("groups", "threshold", "message"),
    [
        ([1, 2], 5, "groups must map"),
        ({"a": "abc"}, 5, r"groups\['a'\]"),
        ({"a": 3}, 5, r"groups\['a'\]"),
        ({"a": {1}}, 0, "threshold"),
    ],
)
def test_bad_arguments_name_the_argument(groups, threshold, message):
    with pytest.raises(ValueError, match=message):
        disclosures(groups, threshold)


def _brute_force(groups: dict, threshold: int) -> set[frozenset]:
    """Every combination of up to three groups with weights ±1 that equals a small set."""
    found = set()
    labels = list(groups)
    for size in (1, 2, 3):
        for chosen in itertools.combinations(labels, size):
            for signs in itertools.product((1, -1), repeat=size):
                total = Counter()
                for label, sign in zip(chosen, signs, strict=True):
                    for member in groups[label]:
                        total[member] += sign
                values = {v for v in total.values() if v}
                members = frozenset(m for m, v in total.items() if v)
                if values == {1} and 0 < len(members) < threshold:
                    found.add(members)
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sets(st.integers(0, 24), min_size=1, max_size=25), min_size=1, max_size=5),
    st.integers(2, 6),
)
def test_nothing_a_brute_force_attacker_finds_is_missed(sets, threshold):
    groups = {f"g{i}": members for i, members in enumerate(sets)}
    check = disclosures(groups, threshold)
    assert check.complete
    attacker = _brute_force(groups, threshold)
    # Every set the attacker derives contains (or is) a reported minimal disclosure.
    for members in attacker:
        assert any(d.members <= members for d in check.disclosures), members
    # And every reported disclosure really follows from the groups (its combination rebuilds it).
    for disclosure in check.disclosures:
        total = Counter()
        for label, weight in disclosure.combination:
            for member in groups[label]:
                total[member] += weight
        assert {m for m, v in total.items() if abs(v) > 1e-6} == set(disclosure.members)
        assert all(abs(v - 1) < 1e-6 for m, v in total.items() if abs(v) > 1e-6)


# --- one report on its own never exposes a small group


def _tree(draw_sizes, parents):
    teams = pd.DataFrame(
        {
            "name": [f"team {k}" for k in range(len(parents))],
            "function": ["sales" if k % 2 else "marketing" for k in range(len(parents))],
            "parent": [np.nan if p is None else float(p) for p in parents],
        },
        index=pd.Index(range(len(parents)), name="team"),
    )
    return teams


@st.composite
def team_trees(draw):
    n = draw(st.integers(2, 7))
    parents = [None]
    for k in range(1, n):
        parents.append(draw(st.one_of(st.none(), st.integers(0, k - 1))))
    sizes = [draw(st.integers(0, 12)) for _ in range(n)]
    return parents, sizes


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(team_trees(), st.integers(3, 6))
def test_a_single_report_exposes_nobody(tree, threshold):
    parents, sizes = tree
    instrument = analysis.synthetic_instrument(2, 3)
    rng = np.random.default_rng(7)
    rows = []
    for team, size in enumerate(sizes):
        for _ in range(size):
            rows.append({"team": team, **{i: float(rng.integers(1, 6)) for i in instrument.item_ids}})
    responses = pd.DataFrame(rows, columns=["team", *instrument.item_ids])
    if responses.empty:
        return
    teams = _tree(sizes, parents)
    groups = analysis.published_groups(responses, teams, [instrument], threshold=threshold)
    check = disclosures(groups, threshold)
    assert check.safe, (parents, sizes, [sorted(d.members) for d in check.disclosures])


def test_two_small_hidden_teams_are_not_left_as_one_small_remainder():
    # Organisation minus the one shown team would be the four people of b and c together.
    result = analysis.suppression({"a": 6, "b": 2, "c": 2}, 5)
    assert result.shown == {"__organization__"}
    assert dict(result.suppressed) == {"a": "complementary", "b": "below threshold", "c": "below threshold"}
    # With enough people in the hidden part together, the shown team stays.
    assert "a" in analysis.suppression({"a": 6, "b": 3, "c": 3}, 5).shown


def test_the_search_runs_per_independent_part_and_finds_the_same_sets():
    # Two unrelated structures side by side: a team that grew by two, and x + y - z = {1, 2}.
    grown = {"r1": set(range(100, 110)), "r2": set(range(100, 112))}
    a1, a2, a3, a4 = {1}, {2}, {3, 4, 5, 6, 7, 8}, {9, 10, 11, 12, 13, 14}
    crossed = {"x": a1 | a3, "y": a2 | a4, "z": a3 | a4}
    check = disclosures({**grown, **crossed}, 5)
    assert sorted(sorted(d.members) for d in check.disclosures) == [[1, 2], [110, 111]]
    # The parts: each structure's small atoms on their own; an atom in no dependency in none.
    rows = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0], [0.0, 0.0], [3.0, 5.0]])
    parts = analysis.differencing._dependent_parts(rows[:5])
    assert sorted(parts) == [[0, 1], [2, 3], [4]]
    # A row that needs both structures joins them into one part.
    assert analysis.differencing._dependent_parts(rows[[0, 1, 2, 3, 5]]) == [[0, 1, 2, 3, 4]]


def test_an_atom_in_no_dependency_is_left_out_of_the_search():
    # Row 2 is independent of the others: no set containing it sums to zero.
    rows = np.array([[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    assert analysis.differencing._dependent_parts(rows) == [[0, 1]]

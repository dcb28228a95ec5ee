"""Krippendorff's alpha and Fleiss' kappa against the published worked examples and against
independent implementations (the ``krippendorff`` package and statsmodels).

Published examples:

* Krippendorff (2011), *Computing Krippendorff's alpha-reliability*, section C: four coders,
  twelve units, with missing values; alpha = 0.743 (nominal), 0.815 (ordinal), 0.849 (interval).
* Fleiss (1971), Table 1: 30 patients, six psychiatrists per patient, five diagnoses;
  kappa = 0.430 (data in reference/data/fleiss1971.csv).
* The ten subjects x five categories x fourteen raters table often quoted with Fleiss' kappa
  (e.g. on Wikipedia and in statsmodels' own tests): kappa = 0.210. It is an illustration of
  the formula, not a table of Fleiss' paper.
"""

from __future__ import annotations

from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from statsmodels.stats import inter_rater

import analysis

DATA = Path(__file__).parent / "reference" / "data"
nan = np.nan

#: Krippendorff (2011), section C, as coders x units; the functions take units x coders.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
).T

QUOTED_14_RATERS = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)


@pytest.mark.parametrize(
    ("level", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)]
)
def test_krippendorff_2011_worked_example(level, published):
    assert analysis.krippendorff_alpha(KRIPPENDORFF_2011, level=level) == pytest.approx(published, abs=5e-4)


def test_krippendorff_2011_coincidences():
    # Krippendorff (2011) prints the coincidence matrix (here in thirds) and its margins
    # n_c = 9, 13, 10, 5, 3 (n.. = 40).
    values, matrix = analysis.interrater.coincidences(KRIPPENDORFF_2011)
    assert values.tolist() == [1, 2, 3, 4, 5]
    thirds = [
        [21, 4, 1, 1, 0],
        [4, 30, 4, 1, 0],
        [1, 4, 24, 1, 0],
        [1, 1, 1, 12, 0],
        [0, 0, 0, 0, 9],
    ]
    np.testing.assert_allclose(matrix * 3, thirds, atol=1e-12)
    np.testing.assert_allclose(matrix.sum(axis=1), [9, 13, 10, 5, 3])


def test_fleiss_1971_table_1():
    counts = pd.read_csv(DATA / "fleiss1971.csv")
    assert counts.shape == (30, 5)
    assert (counts.sum(axis=1) == 6).all()
    assert analysis.fleiss_kappa(counts) == pytest.approx(0.430, abs=5e-4)
    assert analysis.fleiss_kappa(counts) == pytest.approx(
        inter_rater.fleiss_kappa(counts.to_numpy()), abs=1e-12
    )


def test_quoted_fourteen_rater_example():
    assert analysis.fleiss_kappa(QUOTED_14_RATERS) == pytest.approx(0.210, abs=5e-4)


def test_perfect_and_chance_agreement():
    perfect = np.array([[1, 1, 1], [2, 2, 2], [3, 3, nan]])
    for level in analysis.interrater.LEVELS:
        assert analysis.krippendorff_alpha(perfect, level=level) == pytest.approx(1.0)
    assert analysis.fleiss_kappa([[3, 0], [0, 3]]) == pytest.approx(1.0)


def test_nominal_alpha_ignores_the_codes_and_units_judged_once():
    relabelled = np.where(np.isnan(KRIPPENDORFF_2011), nan, 10 - 2 * KRIPPENDORFF_2011)
    assert analysis.krippendorff_alpha(relabelled) == pytest.approx(
        analysis.krippendorff_alpha(KRIPPENDORFF_2011)
    )
    with_single = np.vstack([KRIPPENDORFF_2011, [7, nan, nan, nan]])
    for level in analysis.interrater.LEVELS:
        assert analysis.krippendorff_alpha(with_single, level=level) == pytest.approx(
            analysis.krippendorff_alpha(KRIPPENDORFF_2011, level=level)
        )


def test_dataframe_input_is_read_as_units_by_raters():
    frame = pd.DataFrame(KRIPPENDORFF_2011, columns=list("ABCD"))
    assert analysis.krippendorff_alpha(frame, level="ordinal") == pytest.approx(0.815, abs=5e-4)


@pytest.mark.parametrize(
    ("ratings", "level", "message"),
    [
        (KRIPPENDORFF_2011, "ratio", "level must be one of"),
        ([[1, nan], [nan, 2]], "nominal", "at least two pairable values"),
        ([[1, 1], [1, 1]], "nominal", "no variation"),
        ([1, 2, 3], "nominal", "2-dimensional"),
        ([["a", "b"], ["a", "a"]], "nominal", "numeric"),
        (pd.DataFrame({"a": ["x", "y"], "b": ["x", "x"]}), "nominal", "non-numeric columns"),
        ([[1, np.inf], [2, 2]], "interval", "finite"),
    ],
)
def test_krippendorff_alpha_refuses_bad_input(ratings, level, message):
    with pytest.raises(ValueError, match=message):
        analysis.krippendorff_alpha(ratings, level=level)


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ([[3, 0], [2, 2]], "same number of raters on every unit .* unit 0 has 3, unit 1 has 4"),
        ([[1, 0], [0, 1]], "at least two raters"),
        ([[-1, 3], [1, 1]], "whole numbers"),
        ([[1.5, 0.5], [1, 1]], "whole numbers"),
        ([[1, nan], [1, 1]], "missing"),
        ([[2], [2]], "two categories"),
        ([[3, 0], [3, 0]], "one category"),
        ([["a", "b"]], "numeric"),
    ],
)
def test_fleiss_kappa_refuses_bad_input(counts, message):
    with pytest.raises(ValueError, match=message):
        analysis.fleiss_kappa(counts)


@st.composite
def _ratings(draw):
    units = draw(st.integers(2, 12))
    raters = draw(st.integers(2, 7))
    codes = draw(arrays(np.float64, (units, raters), elements=st.integers(1, 5).map(float)))
    gaps = draw(arrays(np.bool_, (units, raters), elements=st.booleans()))
    ratings = np.where(gaps, nan, codes)
    present = ~np.isnan(ratings)
    pairable = present.sum(axis=1) >= 2
    values = ratings[pairable][present[pairable]]
    if values.size < 2 or np.unique(values).size < 2:
        ratings[0, :2] = [1.0, 2.0]  # always something to agree or disagree on
    return ratings


@settings(max_examples=60, deadline=None, derandomize=True)
@given(ratings=_ratings(), level=st.sampled_from(["nominal", "ordinal", "interval"]))
def test_krippendorff_alpha_matches_the_krippendorff_package(ratings, level):
    ours = analysis.krippendorff_alpha(ratings, level=level)
    theirs = krippendorff.alpha(reliability_data=ratings.T, level_of_measurement=level)
    assert ours == pytest.approx(theirs, abs=1e-9)


@st.composite
def _counts(draw):
    units = draw(st.integers(1, 15))
    categories = draw(st.integers(2, 5))
    raters = draw(st.integers(2, 9))
    rows = []
    for _ in range(units):
        cuts = sorted(
            draw(st.lists(st.integers(0, raters), min_size=categories - 1, max_size=categories - 1))
        )
        edges = [0, *cuts, raters]
        rows.append([edges[i + 1] - edges[i] for i in range(categories)])
    table = np.array(rows)
    if (table.sum(axis=0) == table.sum()).any():
        table[0, :2] = [raters - 1, 1] if raters > 1 else table[0, :2]
        table[0, 2:] = 0
    return table


@settings(max_examples=60, deadline=None, derandomize=True)
@given(counts=_counts())
def test_fleiss_kappa_matches_statsmodels(counts):
    assert analysis.fleiss_kappa(counts) == pytest.approx(
        inter_rater.fleiss_kappa(counts, method="fleiss"), abs=1e-9
    )

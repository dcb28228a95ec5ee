"""Careless-responding indices against base R (rle, sd, mahalanobis) on the 25 bfi items.

Reference values: tests/analysis/reference/agreement_gaps.R -> agreement_gaps.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import analysis

REFERENCE = Path(__file__).parent / "reference"
TOLERANCE = 1e-4
COLUMNS = [
    "n_answered",
    "longstring",
    "irv",
    "mahalanobis",
    "mahalanobis_p",
    "flag_longstring",
    "flag_irv",
    "flag_mahalanobis",
    "careless",
]


@pytest.fixture(scope="module")
def reference():
    return json.loads((REFERENCE / "agreement_gaps.json").read_text())["careless"]


@pytest.fixture(scope="module")
def bfi_items():
    return pd.read_csv(REFERENCE / "data" / "bfi_gap.csv").drop(columns="gender")


def as_array(values: list) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@pytest.fixture(scope="module")
def table(bfi_items):
    return analysis.careless(bfi_items)


@pytest.mark.parametrize("index", ["longstring", "irv", "mahalanobis"])
def test_indices_match_base_r(table, reference, index):
    ours, theirs = table[index].to_numpy(), as_array(reference[index])
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=TOLERANCE, equal_nan=True)


def test_mahalanobis_p_matches_pchisq(table, reference):
    np.testing.assert_allclose(
        table["mahalanobis_p"].to_numpy(), as_array(reference["mahalanobis_p"]), atol=1e-10, equal_nan=True
    )


def test_incomplete_respondents_get_no_mahalanobis(table, bfi_items):
    incomplete = bfi_items.isna().any(axis=1)
    assert incomplete.sum() == 364
    assert table.loc[incomplete, "mahalanobis"].isna().all()
    assert table.loc[~incomplete, "mahalanobis"].notna().all()


def test_table_shape_and_flags(table, bfi_items):
    assert list(table.columns) == COLUMNS
    assert table.index.equals(bfi_items.index)
    # 25 items: the longstring cut-off is 13.
    assert table["flag_longstring"].equals(table["longstring"] >= 13)
    assert table["flag_mahalanobis"].equals(table["mahalanobis_p"] < 0.001)
    assert table["careless"].equals(table[["flag_longstring", "flag_irv", "flag_mahalanobis"]].any(axis=1))
    assert table["flag_mahalanobis"].sum() == 84


def test_flags_on_constructed_respondents():
    rng = np.random.default_rng(4)
    answers = pd.DataFrame(
        rng.integers(1, 6, size=(200, 12)).astype(float), columns=[f"q{i}" for i in range(12)]
    )
    answers.iloc[0] = 3.0  # the same answer everywhere
    answers.iloc[1] = [1, 2, 3, 4, 4, 4, 4, 4, 4, 5, 1, 2]  # a run of six: half of twelve
    answers.iloc[2] = [1, 2, 1, 2, 1, 2, 1, 2, 1, 2, np.nan, np.nan]
    table = analysis.careless(answers)
    assert table.loc[0, "longstring"] == 12
    assert table.loc[0, "irv"] == 0.0
    assert table.loc[0, ["flag_longstring", "flag_irv", "careless"]].tolist() == [True, True, True]
    assert table.loc[1, "longstring"] == 6
    assert bool(table.loc[1, "flag_longstring"])
    assert not table.loc[1, "flag_irv"]
    assert table.loc[2, "n_answered"] == 10
    assert table.loc[2, "longstring"] == 1
    assert table.loc[2, "irv"] == pytest.approx(np.std([1, 2] * 5, ddof=1))
    assert np.isnan(table.loc[2, "mahalanobis"])
    stricter = analysis.careless(answers, longstring_min=7, irv_min_items=13)
    assert not stricter.loc[1, "flag_longstring"]
    assert not stricter.loc[0, "flag_irv"]


def test_longstring_treats_missing_answers_as_breaks():
    answers = pd.DataFrame([[2, 2, np.nan, 2, 2, 2], [np.nan] * 6, [1, 1, 1, 1, 5, 5]], dtype=float)
    assert analysis.longstring(answers).tolist()[0] == 3
    assert np.isnan(analysis.longstring(answers).iloc[1])
    assert analysis.longstring(answers).iloc[2] == 4


def test_irv_needs_two_answers():
    values = analysis.irv(pd.DataFrame([[1.0, np.nan, np.nan], [1.0, 3.0, np.nan]]))
    assert np.isnan(values.iloc[0])
    assert values.iloc[1] == pytest.approx(np.sqrt(2.0))


def test_mahalanobis_with_a_singular_covariance_is_nan():
    answers = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": [2.0, 4, 6, 8, 10], "c": [1.0, 3, 2, 5, 4]})
    assert analysis.mahalanobis(answers)["mahalanobis"].isna().all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"longstring_min": 1}, "longstring_min must be at least 2"),
        ({"irv_min_items": 1}, "irv_min_items must be at least 2"),
        ({"irv_max": -0.5}, "irv_max must be a number >= 0"),
        ({"mahalanobis_alpha": 0}, "mahalanobis_alpha must lie strictly between 0 and 1"),
    ],
)
def test_arguments_are_checked(bfi_items, kwargs, message):
    with pytest.raises(ValueError, match=message):
        analysis.careless(bfi_items.head(50), **kwargs)

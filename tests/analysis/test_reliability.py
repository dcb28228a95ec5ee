"""Cronbach's alpha and McDonald's omega against R's psych package (bfi, HolzingerSwineford1939).

Reference values: tests/analysis/reference/reliability_factors.R -> reliability_factors.json;
for an ultra-Heywood case tests/analysis/reference/edge_cases.R -> edge_cases.json.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import analysis

REFERENCE = Path(__file__).parent / "reference"
DATA = REFERENCE / "data"
REVERSE_KEYED = ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]
# The shared tolerances are 1e-4 (alpha) and 1e-3 (omega, loadings); the
# implementation lands within about 1e-12 of psych, so hold it to 1e-6.
TOLERANCE = 1e-6
ALPHA_CASES = [
    (scale, missing)
    for scale in ["agreeableness", "conscientiousness", "extraversion", "neuroticism", "openness"]
    for missing in ["pairwise", "listwise"]
] + [("holzinger_x1_x9", "pairwise"), ("holzinger_x1_x9", "listwise"), ("two_items", "pairwise")]
OMEGA_CASES = [
    "holzinger_3",
    "holzinger_2",
    "bfi_pairwise_5",
    "bfi_pairwise_3",
    "bfi_listwise_5",
    "neuroticism_openness_3",
]


@pytest.fixture(scope="module")
def expected():
    return json.loads((REFERENCE / "reliability_factors.json").read_text())


@pytest.fixture(scope="module")
def bfi_keyed():
    items = pd.read_csv(DATA / "bfi.csv.gz")
    items[REVERSE_KEYED] = 7 - items[REVERSE_KEYED]
    return items


@pytest.fixture(scope="module")
def holzinger():
    return pd.read_csv(DATA / "holzinger.csv")


def _data(name, items, bfi_keyed, holzinger):
    # psych marks items that omega reversed with a trailing "-".
    columns = [item.rstrip("-") for item in items]
    return holzinger[columns] if name.startswith("holzinger") else bfi_keyed[columns]


# ---------------------------------------------------------------------------
# Cronbach's alpha


@pytest.mark.parametrize(("scale", "missing"), ALPHA_CASES)
def test_alpha_matches_psych(expected, bfi_keyed, holzinger, scale, missing):
    ref = expected["alpha"][scale][missing]
    result = analysis.cronbach_alpha(_data(scale, ref["items"], bfi_keyed, holzinger), missing=missing)
    assert result.alpha == pytest.approx(ref["alpha"], abs=TOLERANCE)
    assert result.std_alpha == pytest.approx(ref["std_alpha"], abs=TOLERANCE)
    assert result.average_r == pytest.approx(ref["average_r"], abs=TOLERANCE)
    assert result.n_items == ref["n_items"]
    assert result.n_obs == ref["n_obs"]
    assert result.ci_low == pytest.approx(ref["ci_low"], abs=TOLERANCE)
    assert result.ci_high == pytest.approx(ref["ci_high"], abs=TOLERANCE)
    assert list(result.item_stats.index) == ref["items"]
    np.testing.assert_allclose(result.item_stats["r_drop"], ref["r_drop"], atol=TOLERANCE)
    np.testing.assert_allclose(result.item_stats["alpha_if_dropped"], ref["alpha_if_dropped"], atol=TOLERANCE)


def test_alpha_pairwise_keeps_every_row_and_differs_from_listwise(bfi_keyed):
    scale = bfi_keyed[["C1", "C2", "C3", "C4", "C5"]]
    pairwise = analysis.cronbach_alpha(scale, missing="pairwise")
    listwise = analysis.cronbach_alpha(scale, missing="listwise")
    assert pairwise.n_obs == len(scale) == 2800
    assert listwise.n_obs == int(scale.notna().all(axis=1).sum()) < 2800
    assert abs(pairwise.alpha - listwise.alpha) > 1e-4


def test_alpha_on_complete_data_is_the_textbook_formula(holzinger):
    data = holzinger[["x4", "x5", "x6"]]
    k = data.shape[1]
    textbook = k / (k - 1) * (1 - data.var(ddof=1).sum() / data.sum(axis=1).var(ddof=1))
    assert analysis.cronbach_alpha(data).alpha == pytest.approx(textbook, abs=1e-12)
    assert analysis.cronbach_alpha(data, "listwise").alpha == pytest.approx(textbook, abs=1e-12)


def test_alpha_drops_when_a_reverse_keyed_item_is_left_unreversed(bfi_keyed):
    keyed = bfi_keyed[["A1", "A2", "A3", "A4", "A5"]]
    unkeyed = keyed.assign(A1=7 - keyed["A1"])
    assert analysis.cronbach_alpha(unkeyed).alpha < analysis.cronbach_alpha(keyed).alpha - 0.05


def test_alpha_ci_contains_alpha_and_narrows_with_more_respondents(bfi_keyed):
    scale = bfi_keyed[["E1", "E2", "E3", "E4", "E5"]]
    full = analysis.cronbach_alpha(scale)
    small = analysis.cronbach_alpha(scale.iloc[:200])
    assert full.ci_low < full.alpha < full.ci_high
    assert (full.ci_high - full.ci_low) < (small.ci_high - small.ci_low)


def test_feldt_interval_matches_psych_alpha_ci(expected):
    ref = expected["alpha"]["agreeableness"]["pairwise"]
    low, high = analysis.feldt_interval(ref["alpha"], ref["n_obs"], ref["n_items"])
    assert (low, high) == pytest.approx((ref["ci_low"], ref["ci_high"]), abs=1e-12)


def test_alpha_result_is_frozen(holzinger):
    result = analysis.cronbach_alpha(holzinger[["x1", "x2", "x3"]])
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.alpha = 0.5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"missing": "mean"}, "missing must be one of"),
        ({"items": pd.DataFrame({"a": [1.0, 2.0, 3.0]})}, "at least 2 columns"),
        ({"items": pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [2.0, 2.0, 2.0]})}, "variance"),
        (
            {"items": pd.DataFrame({"a": [1.0, 2.0, np.nan, np.nan], "b": [np.nan, np.nan, 3.0, 4.0]})},
            r"the pairs \[\('a', 'b'\)\] have fewer than two joint answers",
        ),
        ({"items": pd.DataFrame({"a": ["x", "y"], "b": [1, 2]})}, "must be numeric"),
    ],
)
def test_alpha_rejects_bad_arguments(holzinger, kwargs, message):
    arguments = {"items": holzinger[["x1", "x2", "x3"]], **kwargs}
    with pytest.raises(ValueError, match=message):
        analysis.cronbach_alpha(**arguments)


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (
            {"A1": [1.0, 2, 3, 4], "A2": [2.0, 2, 2, 2], "A3": [1.0, 3, 2, 4]},
            r"items: \['A2'\] have no variance",
        ),
        (
            {"A1": [1.0, 2, 3, 4], "A2": [np.nan, 2, np.nan, np.nan], "A3": [1.0, 3, 2, 4]},
            r"\['A2'\] have no",
        ),
        (
            {"A1": [1.0, 2, 3, 4], "A2": [2.0, np.inf, 3, 1], "A3": [1.0, 3, 2, 4]},
            r"items must be finite .*infinite values in \['A2'\], the first in row 1 of 'A2'",
        ),
    ],
)
def test_alpha_names_the_item_it_cannot_use(items, message):
    with pytest.raises(ValueError, match=message):
        analysis.cronbach_alpha(pd.DataFrame(items))


# ---------------------------------------------------------------------------
# omega


@pytest.mark.parametrize("case", OMEGA_CASES)
def test_omega_matches_psych(expected, bfi_keyed, holzinger, case):
    ref = expected["omega"][case]
    missing = "listwise" if "listwise" in case else "pairwise"
    data = _data(case, ref["items"], bfi_keyed, holzinger)
    result = analysis.omega(data, n_factors=ref["n_factors"], missing=missing)
    assert result.n_factors == ref["n_factors"]
    assert result.total == pytest.approx(ref["total"], abs=TOLERANCE)
    assert result.hierarchical == pytest.approx(ref["hierarchical"], abs=TOLERANCE)
    np.testing.assert_allclose(result.general_loadings, ref["general_loadings"], atol=TOLERANCE)
    np.testing.assert_allclose(result.group_loadings, ref["group_loadings"], atol=TOLERANCE)
    np.testing.assert_allclose(result.communalities, ref["communalities"], atol=TOLERANCE)
    np.testing.assert_allclose(result.phi, ref["phi"], atol=TOLERANCE)


def test_omega_total_exceeds_hierarchical_and_general_loadings_are_positive(bfi_keyed):
    result = analysis.omega(bfi_keyed, n_factors=5)
    assert 0 < result.hierarchical < result.total < 1
    assert (result.general_loadings > 0).all()
    assert list(result.group_loadings.columns) == ["F1*", "F2*", "F3*", "F4*", "F5*"]
    assert result.n_obs == 2800


def test_omega_total_does_not_depend_on_the_rotation_choice(holzinger):
    # omega total uses only the minres communalities, which no rotation
    # changes, so it follows from efa's unrotated uniquenesses.
    result = analysis.omega(holzinger, n_factors=3)
    fit = analysis.efa(holzinger, 3, method="minres", rotation=None)
    corr = holzinger.corr().to_numpy()
    expected_total = (corr.sum() - fit.uniquenesses.sum()) / corr.sum()
    assert result.total == pytest.approx(expected_total, abs=1e-10)


@pytest.mark.parametrize("n_factors", [1, 0])
def test_omega_refuses_fewer_than_two_factors(holzinger, n_factors):
    with pytest.raises(ValueError, match="n_factors must be at least 2"):
        analysis.omega(holzinger, n_factors=n_factors)


def test_omega_rejects_bad_missing_policy(holzinger):
    with pytest.raises(ValueError, match="missing must be one of"):
        analysis.omega(holzinger, missing="none")


def test_omega_warns_of_an_ultra_heywood_case_as_psych_does():
    edge = json.loads((REFERENCE / "edge_cases.json").read_text())["omega_epi_3"]
    assert any("ultra-Heywood" in warning for warning in edge["warnings"])
    items = pd.read_csv(DATA / "epi_bfi.csv")
    with pytest.warns(analysis.FactorSolutionWarning, match=r"omega: ultra-Heywood case.*epiE \(1\.050\)"):
        result = analysis.omega(items, n_factors=3)
    # At the boundary R's and scipy's L-BFGS-B stop a little apart: hold it to 1e-3.
    np.testing.assert_allclose(result.communalities, edge["communalities"], atol=1e-3)


# ---------------------------------------------------------------------------
# one-factor omega total (the model of a scale score)

ONE_FACTOR = json.loads((REFERENCE / "omega_one_factor.json").read_text())


@pytest.mark.parametrize(
    ("scale", "missing"),
    [
        (scale, missing)
        for scale, ref in ONE_FACTOR.items()
        for missing in ("pairwise", "listwise")
        if missing in ref
    ],
)
def test_omega_total_matches_psych_with_one_factor(scale, missing, bfi_keyed, holzinger):
    reference = ONE_FACTOR[scale]
    data = (bfi_keyed if reference["data"] == "bfi" else holzinger)[reference["items"]]
    assert analysis.omega_total(data, missing=missing) == pytest.approx(reference[missing], abs=TOLERANCE)


def test_omega_total_is_the_reports_reliability_omega(bfi_keyed):
    # The formula written out: (V - sum(1 - h2)) / V from a one-factor minres solution.
    items = bfi_keyed[["C1", "C2", "C3", "C4", "C5"]]
    solution = analysis.efa(items, 1, method="minres", rotation=None)
    r = analysis.correlation_matrix(items).to_numpy()
    expected = (r.sum() - (1 - solution.communalities.to_numpy()).sum()) / r.sum()
    assert analysis.omega_total(items) == pytest.approx(expected, rel=1e-12)


def test_omega_total_needs_three_items(bfi_keyed):
    with pytest.raises(ValueError, match="items needs at least 3 columns"):
        analysis.omega_total(bfi_keyed[["C1", "C2"]])
    with pytest.raises(ValueError, match="missing must be one of"):
        analysis.omega_total(bfi_keyed[["C1", "C2", "C3"]], missing="everything")


def test_alpha_pairwise_leaves_r_drop_undefined_when_the_rest_has_no_variance():
    # Pairwise covariances of three items that are not positive semi-definite: item c's rest
    # (a + b) has a negative variance, so its item-rest correlation does not exist.
    a = [1, 2, 3, 4, 5, np.nan, np.nan, np.nan, np.nan, np.nan, 1, 2, 3, 4, 5]
    b = [np.nan, np.nan, np.nan, np.nan, np.nan, 1, 2, 3, 4, 5, 5, 4, 3, 2, 1]
    c = [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, np.nan, np.nan, np.nan, np.nan, np.nan]
    frame = pd.DataFrame({"a": a, "b": b, "c": c})
    cov = frame.cov().to_numpy()
    assert cov[0, 0] + cov[1, 1] + 2 * cov[0, 1] <= 0  # the variance of a + b
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = analysis.cronbach_alpha(frame, missing="pairwise")
    assert np.isnan(result.item_stats.at["c", "r_drop"])
    assert np.isfinite(result.item_stats.loc[["a", "b"], "alpha_if_dropped"]).all()

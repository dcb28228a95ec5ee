"""Correlation helpers, KMO, Bartlett, parallel analysis and EFA against R's psych package.

Reference values: tests/analysis/reference/reliability_factors.R -> reliability_factors.json
(psych::fa on the correlation matrix with n.obs, psych::KMO, psych::cortest.bartlett), and for
degenerate solutions and parallel analysis on klein2000
tests/analysis/reference/edge_cases.R -> edge_cases.json.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import analysis

REFERENCE = Path(__file__).parent / "reference"
DATA = REFERENCE / "data"
REVERSE_KEYED = ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]
# Shared tolerances: 1e-4 (KMO), 1e-3 (loadings, communalities, Phi, relative
# chi-square). psych's own optimiser settings are reproduced, so the results
# agree to about 1e-12; hold them to 1e-6.
TOLERANCE = 1e-6
EFA_CASES = [
    f"{data}_{method}_{rotation}"
    for method in ["minres", "ml"]
    for data, rotation in [
        ("holzinger", "oblimin"),
        ("holzinger", "promax"),
        ("holzinger", "varimax"),
        ("holzinger", "none"),
        ("bfi_pairwise", "oblimin"),
        ("bfi_pairwise", "promax"),
        ("bfi_listwise", "varimax"),
    ]
] + [
    "holzinger_minres_oblimin_1factor",
    "holzinger_ml_oblimin_2factors",
    "holzinger_x1_x5_minres_promax_4factors",
]


@pytest.fixture(scope="module")
def expected():
    return json.loads((REFERENCE / "reliability_factors.json").read_text())


@pytest.fixture(scope="module")
def edge():
    return json.loads((REFERENCE / "edge_cases.json").read_text())


@pytest.fixture(scope="module")
def bfi():
    return pd.read_csv(DATA / "bfi.csv.gz")


@pytest.fixture(scope="module")
def bfi_keyed(bfi):
    items = bfi.copy()
    items[REVERSE_KEYED] = 7 - items[REVERSE_KEYED]
    return items


@pytest.fixture(scope="module")
def holzinger():
    return pd.read_csv(DATA / "holzinger.csv")


# ---------------------------------------------------------------------------
# correlation helpers


def test_pairwise_correlation_matches_r(expected, bfi):
    # R: eigen(cor(bfi, use = "pairwise"))$values pins the whole matrix down.
    corr = analysis.correlation_matrix(bfi, missing="pairwise")
    eigenvalues = np.linalg.eigvalsh(corr.to_numpy())[::-1]
    np.testing.assert_allclose(eigenvalues, expected["eigenvalues"]["bfi_pairwise"], atol=1e-10)


def test_pairwise_helpers_agree_with_pandas(bfi):
    # pandas' DataFrame.corr / .cov use pairwise-complete observations as well.
    np.testing.assert_allclose(analysis.correlation_matrix(bfi), bfi.corr(), atol=1e-12)
    np.testing.assert_allclose(analysis.covariance_matrix(bfi), bfi.cov(), atol=1e-12)


def test_listwise_helpers_use_complete_rows_only(bfi):
    complete = bfi.dropna()
    np.testing.assert_allclose(analysis.correlation_matrix(bfi, "listwise"), complete.corr(), atol=1e-12)
    np.testing.assert_allclose(analysis.covariance_matrix(bfi, "listwise"), complete.cov(), atol=1e-12)
    assert not np.allclose(analysis.correlation_matrix(bfi, "listwise"), analysis.correlation_matrix(bfi))


def test_pairwise_counts(bfi):
    counts = analysis.pairwise_counts(bfi)
    np.testing.assert_array_equal(np.diag(counts), bfi.notna().sum())
    assert counts.loc["A1", "A2"] == int((bfi["A1"].notna() & bfi["A2"].notna()).sum())


def test_pairs_without_joint_answers_are_nan():
    items = pd.DataFrame({"a": [1.0, 2.0, 3.0, np.nan, np.nan], "b": [np.nan, np.nan, 1.0, 2.0, 4.0]})
    corr = analysis.correlation_matrix(items)
    assert np.isnan(corr.loc["a", "b"])
    assert corr.loc["a", "a"] == 1.0


def test_correlation_rejects_unknown_policy(bfi):
    with pytest.raises(ValueError, match="missing must be one of 'pairwise', 'listwise'"):
        analysis.correlation_matrix(bfi, missing="complete")


# ---------------------------------------------------------------------------
# KMO and Bartlett


@pytest.mark.parametrize("case", ["bfi_pairwise", "bfi_listwise", "holzinger"])
def test_kmo_and_bartlett_match_psych(expected, bfi, holzinger, case):
    ref = expected["kmo_bartlett"][case]
    data = holzinger if case == "holzinger" else bfi
    missing = "listwise" if case.endswith("listwise") else "pairwise"
    measure = analysis.kmo(data, missing=missing)
    assert measure.overall == pytest.approx(ref["kmo_overall"], abs=TOLERANCE)
    assert list(measure.per_item.index) == ref["items"]
    np.testing.assert_allclose(measure.per_item, ref["kmo_per_item"], atol=TOLERANCE)
    test = analysis.bartlett(data, missing=missing)
    assert test.chi2 == pytest.approx(ref["chi2"], rel=TOLERANCE)
    assert test.df == ref["df"]
    assert test.n == ref["n"]
    assert test.p == pytest.approx(ref["p"], abs=1e-12)


def test_kmo_of_independent_items_is_low_and_bartlett_not_significant():
    rng = np.random.default_rng(1)
    noise = pd.DataFrame(rng.standard_normal((400, 6)), columns=list("abcdef"))
    assert analysis.kmo(noise).overall < 0.6
    assert analysis.bartlett(noise).p > 0.01


def test_kmo_rejects_singular_correlations(holzinger):
    duplicated = holzinger.assign(x10=holzinger["x1"])
    with pytest.raises(ValueError, match="singular"):
        analysis.kmo(duplicated)


# ---------------------------------------------------------------------------
# parallel analysis


def test_parallel_analysis_finds_three_holzinger_factors(expected, holzinger):
    for seed in range(5):
        result = analysis.parallel_analysis(holzinger, n_iter=20, seed=seed)
        assert result.n_factors == 3
    np.testing.assert_allclose(result.observed, expected["eigenvalues"]["holzinger"], atol=1e-10)
    assert result.threshold == "p95"
    assert result.n_iter == 20


@pytest.mark.parametrize(("case", "monte_carlo_tolerance"), [("bfi", 0.015), ("holzinger", 0.05)])
def test_parallel_analysis_agrees_with_psych_fa_parallel(
    expected, bfi, holzinger, case, monte_carlo_tolerance
):
    # psych::fa.parallel(x, fa = "pc") is the same variant; its simulation is
    # random (20 data sets), so its simulated means are matched only to about
    # four Monte Carlo standard errors (larger for Holzinger's 301 rows).
    ref = expected["parallel"][case]
    data = bfi if case == "bfi" else holzinger
    result = analysis.parallel_analysis(data, n_iter=200, seed=2)
    assert result.n_factors == ref["n_components"]
    np.testing.assert_allclose(result.simulated_mean, ref["simulated_mean"], atol=monte_carlo_tolerance)


def test_parallel_analysis_on_bfi_with_missing_data(bfi):
    # Six components clear the bar on bfi (as psych reports), five of them by far.
    result = analysis.parallel_analysis(bfi, n_iter=10, seed=7, threshold="p95")
    assert result.n_factors == 6
    assert (result.observed.iloc[:5] > result.simulated_p95.iloc[:5] + 0.3).all()


def test_parallel_analysis_finds_no_factor_in_noise():
    rng = np.random.default_rng(3)
    noise = pd.DataFrame(rng.standard_normal((500, 8)))
    assert analysis.parallel_analysis(noise, n_iter=30, seed=4, threshold="p95").n_factors <= 1


def test_parallel_analysis_simulated_eigenvalues(holzinger):
    result = analysis.parallel_analysis(holzinger, n_iter=50, seed=11)
    # Eigenvalues of a correlation matrix sum to the number of items.
    assert result.simulated_mean.sum() == pytest.approx(9, abs=1e-9)
    assert result.observed.sum() == pytest.approx(9, abs=1e-9)
    assert result.simulated_mean.is_monotonic_decreasing
    assert (result.simulated_p95 >= result.simulated_mean).all()
    # Random 301 x 9 data: the leading eigenvalue lies a little above 1.
    assert 1.1 < result.simulated_mean.iloc[0] < 1.5


def test_parallel_analysis_is_reproducible_with_a_seed(holzinger):
    first = analysis.parallel_analysis(holzinger, n_iter=5, seed=42)
    second = analysis.parallel_analysis(holzinger, n_iter=5, seed=42)
    other = analysis.parallel_analysis(holzinger, n_iter=5, seed=43)
    pd.testing.assert_series_equal(first.simulated_mean, second.simulated_mean)
    assert not np.allclose(first.simulated_mean, other.simulated_mean)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"n_iter": 0}, "n_iter must be at least 1"), ({"threshold": "median"}, "threshold must be one of")],
)
def test_parallel_analysis_rejects_bad_arguments(holzinger, kwargs, message):
    with pytest.raises(ValueError, match=message):
        analysis.parallel_analysis(holzinger, **kwargs)


# ---------------------------------------------------------------------------
# EFA


def _efa_data(case, bfi_keyed, holzinger):
    if case.startswith("holzinger"):
        return holzinger, "pairwise"
    return bfi_keyed, "listwise" if case.startswith("bfi_listwise") else "pairwise"


@pytest.mark.parametrize("case", EFA_CASES)
def test_efa_matches_psych(expected, bfi_keyed, holzinger, case):
    ref = expected["efa"][case]
    data, missing = _efa_data(case, bfi_keyed, holzinger)
    data = data[ref["items"]]
    rotation = None if ref["rotation"] == "none" else ref["rotation"]
    result = analysis.efa(data, ref["n_factors"], method=ref["method"], rotation=rotation, missing=missing)
    loadings = np.reshape(ref["loadings"], (len(ref["items"]), ref["n_factors"]))
    assert list(result.loadings.index) == ref["items"]
    np.testing.assert_allclose(result.loadings, loadings, atol=TOLERANCE)
    np.testing.assert_allclose(result.communalities, ref["communalities"], atol=TOLERANCE)
    np.testing.assert_allclose(result.uniquenesses, ref["uniquenesses"], atol=TOLERANCE)
    if ref["phi"] is None:
        assert result.phi is None
    else:
        np.testing.assert_allclose(result.phi, ref["phi"], atol=TOLERANCE)
    np.testing.assert_allclose(result.variance.loc["ss_loadings"], ref["ss_loadings"], atol=TOLERANCE)
    np.testing.assert_allclose(result.variance.loc["proportion"], ref["proportion"], atol=TOLERANCE)
    assert result.n_obs == ref["n_obs"]
    assert result.df == ref["df"]
    assert result.objective == pytest.approx(ref["objective"], rel=TOLERANCE, abs=1e-9)
    assert result.chi2 == pytest.approx(ref["chi2"], rel=TOLERANCE, abs=1e-9)
    if ref["df"] > 0:
        assert result.rmsea == pytest.approx(ref["rmsea"], abs=TOLERANCE)
    else:
        # psych reports no RMSEA without positive degrees of freedom.
        assert ref["rmsea"] is None
        assert np.isnan(result.rmsea)
    assert result.tli == pytest.approx(ref["tli"], abs=TOLERANCE)


def test_efa_pairwise_fit_equals_psych_on_raw_data(expected, bfi_keyed):
    # psych::fa(raw data) with its default use = "pairwise" gives the same fit.
    ref = expected["efa"]["bfi_pairwise_minres_oblimin"]
    result = analysis.efa(bfi_keyed, 5, method="minres", rotation="oblimin", missing="pairwise")
    assert result.chi2 == pytest.approx(ref["raw_data_chi2"], rel=TOLERANCE)
    assert result.rmsea == pytest.approx(ref["raw_data_rmsea"], abs=TOLERANCE)
    assert result.tli == pytest.approx(ref["raw_data_tli"], abs=TOLERANCE)


@pytest.mark.parametrize("rotation", ["oblimin", "promax"])
def test_oblique_communalities_include_factor_correlations(holzinger, rotation):
    # factor_analyzer's fault: rowSums(P^2) ignores Phi after an oblique rotation.
    result = analysis.efa(holzinger, 3, method="minres", rotation=rotation)
    pattern, phi = result.loadings.to_numpy(), result.phi.to_numpy()
    np.testing.assert_allclose(result.communalities, np.diag(pattern @ phi @ pattern.T), atol=1e-12)
    assert not np.allclose(result.communalities, (pattern**2).sum(axis=1), atol=1e-3)
    unrotated = analysis.efa(holzinger, 3, method="minres", rotation=None)
    np.testing.assert_allclose(result.communalities, unrotated.communalities, atol=1e-8)
    np.testing.assert_allclose(result.variance.loc["ss_loadings"].sum(), unrotated.communalities.sum())


def test_efa_factors_are_ordered_by_explained_variance_and_labelled(bfi_keyed):
    result = analysis.efa(bfi_keyed, 5, method="minres", rotation="oblimin")
    assert list(result.loadings.columns) == ["F1", "F2", "F3", "F4", "F5"]
    assert list(result.phi.index) == list(result.phi.columns) == ["F1", "F2", "F3", "F4", "F5"]
    assert result.variance.loc["ss_loadings"].is_monotonic_decreasing
    assert result.variance.loc["cumulative"].iloc[-1] == pytest.approx(result.communalities.sum() / 25)
    # Each bfi scale's items load most on one and the same factor.
    strongest = result.loadings.abs().idxmax(axis=1)
    for scale in "ACENO":
        assert strongest[[f"{scale}{i}" for i in range(1, 6)]].nunique() == 1


def test_efa_listwise_uses_complete_rows(bfi_keyed):
    result = analysis.efa(bfi_keyed, 5, method="ml", rotation="varimax", missing="listwise")
    assert result.n_obs == 2436
    assert result.phi is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "pa"}, "method must be one of 'minres', 'ml'"),
        ({"rotation": "quartimax"}, "rotation must be one of"),
        ({"missing": "mean"}, "missing must be one of"),
        ({"n_factors": 9}, "n_factors must be at most 8"),
        ({"n_factors": 0}, "n_factors must be at least 1"),
        ({"n_factors": 2.5}, "n_factors must be an integer"),
    ],
)
def test_efa_rejects_bad_arguments(holzinger, kwargs, message):
    arguments = {"items": holzinger, "n_factors": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        analysis.efa(**arguments)


# ---------------------------------------------------------------------------
# inputs at the edge


@pytest.fixture(scope="module")
def bfi_duplicated(bfi):
    return bfi.assign(A1_copy=bfi["A1"])


@pytest.mark.parametrize(
    "call",
    [
        lambda items: analysis.kmo(items),
        lambda items: analysis.bartlett(items),
        lambda items: analysis.efa(items, 1),
        lambda items: analysis.parallel_analysis(items, n_iter=2, seed=1),
        lambda items: analysis.correlation_matrix(items),
    ],
)
def test_infinite_answers_are_refused_naming_the_item(holzinger, call):
    items = holzinger.copy()
    items.loc[4, "x7"] = np.inf
    with pytest.raises(ValueError, match=r"items must be finite .*\['x7'\], the first in row 4 of 'x7'"):
        call(items)


def test_bartlett_refuses_a_duplicated_item(edge, bfi_duplicated, holzinger):
    # psych: det(R) of the duplicated bfi item is zero, chi2 = Inf and p = 0.
    assert edge["bartlett_duplicated"]["chi2"] == "Inf"
    message = r"singular: items 'A1', 'A1_copy' are linearly dependent.*Bartlett's test is undefined"
    with pytest.raises(ValueError, match=message):
        analysis.bartlett(bfi_duplicated)
    # Rounding can leave the determinant of such a matrix positive (chi2 in the hundred
    # thousands): the test looks at the eigenvalues, not at the sign of det(R).
    for missing in ("pairwise", "listwise"):
        with pytest.raises(ValueError, match="'A1', 'A1_copy' are linearly dependent"):
            analysis.bartlett(bfi_duplicated, missing=missing)
    summed = holzinger.assign(total=holzinger[["x1", "x2", "x3"]].sum(axis=1))
    with pytest.raises(ValueError, match="items 'x1', 'x2', 'x3', 'total' are linearly dependent"):
        analysis.bartlett(summed)


def test_kmo_names_the_items_of_a_singular_matrix(edge, bfi_duplicated):
    assert edge["kmo_duplicated"]["messages"] == ["matrix is not invertible, image not found"]
    with pytest.raises(ValueError, match="singular: items 'A1', 'A1_copy' are linearly dependent"):
        analysis.kmo(bfi_duplicated)


def test_bartlett_with_fewer_respondents_than_items(bfi):
    with pytest.raises(ValueError, match="24 respondents cannot determine the correlations of 25 items"):
        analysis.bartlett(bfi.dropna().iloc[:24])


def _edge_data(case, bfi, bfi_duplicated):
    if case.startswith("epi"):
        return pd.read_csv(DATA / "epi_bfi.csv")
    if case.startswith("spi"):
        return pd.read_csv(DATA / "spi_40x80.csv")
    if case.startswith("bfi_24"):
        return bfi.dropna().iloc[:24]
    return bfi_duplicated


@pytest.mark.parametrize("case", ["bfi_24_ml_2", "bfi_duplicated_ml_5"])
def test_efa_ml_stops_where_psych_stops(edge, bfi, bfi_duplicated, case):
    ref = edge["efa"][case]
    assert ref["error"] == "L-BFGS-B needs finite values of 'fn'"
    items = _edge_data(case, bfi, bfi_duplicated)
    assert list(items.columns) == ref["items"]
    reason = "24 respondents cannot determine" if case.startswith("bfi_24") else "items 'A1', 'A1_copy' are"
    with pytest.raises(
        ValueError, match=f"items: the correlation matrix is singular: {reason}.*maximum likelihood"
    ):
        analysis.efa(items, ref["n_factors"], method="ml", rotation=ref["rotation"])


# Each degenerate case, the warning psych gives and ours.
DEGENERATE_CASES = {
    "epi_minres_3": (
        "An ultra-Heywood case was detected",
        r"ultra-Heywood case, communalities above 1 for epiE",
    ),
    "spi_minres_2": ("Chi square is based upon observed residuals", "chi2 are the sum of squared residuals"),
    "bfi_24_minres_2": (
        "Matrix was not positive definite, smoothing was done",
        r"singular: 24 respondents cannot determine .* it was smoothed",
    ),
    "bfi_duplicated_minres_5": (
        "Matrix was not positive definite, smoothing was done",
        r"singular: items 'A1', 'A1_copy' are linearly dependent .* it was smoothed",
    ),
}


@pytest.mark.parametrize("case", list(DEGENERATE_CASES))
def test_efa_warns_where_psych_warns_and_matches_its_numbers(edge, bfi, bfi_duplicated, case):
    ref = edge["efa"][case]
    theirs, ours = DEGENERATE_CASES[case]
    assert any(theirs in text for text in ref["warnings"] + ref["messages"])
    items = _edge_data(case, bfi, bfi_duplicated)
    assert list(items.columns) == ref["items"]
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        result = analysis.efa(items, ref["n_factors"], method=ref["method"], rotation=ref["rotation"])
    assert {type(w.message) for w in seen} == {analysis.FactorSolutionWarning}
    assert any(re.search(ours, str(w.message)) for w in seen), [str(w.message) for w in seen]
    # The ultra-Heywood solution sits at the optimiser's bound, where R's and scipy's
    # L-BFGS-B stop about 1e-5 apart; the others agree as closely as the regular cases.
    tolerance = 1e-3 if case.startswith("epi") else TOLERANCE
    loadings = np.reshape(ref["loadings"], (len(ref["items"]), ref["n_factors"]))
    np.testing.assert_allclose(result.loadings, loadings, atol=tolerance)
    np.testing.assert_allclose(result.communalities, ref["communalities"], atol=tolerance)
    assert result.df == ref["df"]
    # The objective sits at a flat minimum: 1e-6 in the loadings is about 1e-7 in it,
    # which is where scipy releases differ in their last iterations.
    assert result.objective == pytest.approx(ref["objective"], rel=tolerance)
    assert result.chi2 == pytest.approx(ref["chi2"], rel=tolerance)
    assert result.tli == pytest.approx(ref["tli"], abs=tolerance)
    assert result.rmsea == pytest.approx(ref["rmsea"], abs=tolerance)


def test_residual_based_chi_square_is_psychs(edge):
    # With 40 respondents and 80 items det(R) underflows: psych's objective becomes the sum
    # of squared residuals, including the diagonal.
    ref = edge["efa"]["spi_minres_2"]
    items = pd.read_csv(DATA / "spi_40x80.csv")
    with pytest.warns(analysis.FactorSolutionWarning):
        result = analysis.efa(items, 2, method="minres", rotation="oblimin")
    r = analysis.correlation_matrix(items).to_numpy()
    pattern, phi = result.loadings.to_numpy(), result.phi.to_numpy()
    assert result.objective == pytest.approx(((r - pattern @ phi @ pattern.T) ** 2).sum(), rel=1e-12)
    assert result.objective == pytest.approx(ref["objective"], rel=1e-9)


def test_efa_on_well_behaved_data_does_not_warn(holzinger):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        analysis.efa(holzinger, 3, method="ml")


def test_factor_solution_warning_is_a_user_warning():
    assert issubclass(analysis.FactorSolutionWarning, UserWarning)


@pytest.fixture(scope="module")
def klein(edge):
    items = pd.read_csv(DATA / "klein2000_350.csv").drop(columns="GRPID")
    assert list(items.columns) == edge["parallel_klein2000"]["items"]
    return items


def test_parallel_analysis_default_rule_is_psychs_on_klein2000(edge, klein):
    # On these 350 respondents the 95th-percentile rule (psych's ncomp) retains one
    # component and the mean rule three, however the random data fall.
    ref = edge["parallel_klein2000"]
    assert set(ref["ncomp_200"]) == {1}
    for seed in range(10):
        default = analysis.parallel_analysis(klein, n_iter=200, seed=seed)
        assert default.n_factors == 1
        assert default.threshold == "p95"
        assert analysis.parallel_analysis(klein, n_iter=200, seed=seed, threshold="mean").n_factors == 3
    np.testing.assert_allclose(default.observed, ref["observed"], atol=1e-12)


def test_parallel_analysis_varies_with_the_seed_as_psych_does(edge, klein):
    # With psych's 20 data sets, psych retains 1 component for most seeds and 2 for some;
    # the shares agree within Monte Carlo error (two binomial SEs of 100 runs each).
    ref = np.array(edge["parallel_klein2000"]["ncomp_20"])
    ours = np.array([analysis.parallel_analysis(klein, seed=seed).n_factors for seed in range(100)])
    assert abs((ours == 1).mean() - (ref == 1).mean()) < 2 * np.sqrt(2 * 0.88 * 0.12 / 100)

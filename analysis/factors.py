"""Factor structure of a set of items: KMO, Bartlett's test, parallel analysis and EFA.

Every function accepts item data with missing answers and works from a correlation
matrix we build ourselves (:func:`analysis.correlation_matrix`, pairwise or
listwise), never from imputed data: factor_analyzer imputes item medians by
default and its ``calculate_kmo`` / ``calculate_bartlett_sphericity`` fail on NaN.

The exploratory factor analysis reproduces R's ``psych::fa`` (psych 2.2.9) step
by step rather than wrapping factor_analyzer, whose oblique results have known
faults (communalities and explained variance that ignore the factor
correlations, a factor-correlation matrix not reordered with the sorted
loadings). The steps, each mirroring psych and GPArotation:

1. extraction by minimum residual (``"minres"``) or maximum likelihood
   (``"ml"``), with uniquenesses found by L-BFGS-B from ``1 - SMC`` in
   ``[0.005, 1]`` using psych's objective and gradient and the optimiser
   settings of R's ``optim`` (memory 5, ``factr = 1e7``, ``parscale = 0.01``);
2. columns signed so that each sums to a positive number;
3. rotation: ``stats::varimax`` (Kaiser-normalised), ``GPArotation::oblimin``
   (quartimin, gradient projection, not normalised, ``eps = 1e-5``) or psych's
   ``"promax"`` (Kaiser normalisation, varimax, then the power-4 target fitted by
   least squares and rescaled: psych's own ``Promax``, which differs from
   ``stats::promax`` and factor_analyzer's);
4. columns signed again and ordered by the variance they explain,
   ``diag(Phi P'P)``, with ``Phi`` reordered alongside;
5. fit statistics as ``psych::factor.stats`` computes them, with its fallback to a
   residual-based chi-square when the determinant of the smoothed matrices is zero.

Where psych warns about a degenerate solution, so do these functions, with a
:class:`FactorSolutionWarning`: a correlation matrix that is not positive definite
and is smoothed for the fit statistics, an ultra-Heywood case (a communality above
1), the residual-based fallback. Where psych stops (maximum likelihood on a singular
correlation matrix) they raise a ``ValueError`` naming the items.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ._validation import as_items, check_choice, check_int
from .correlation import MISSING_POLICIES, correlation_matrix

__all__ = [
    "BartlettResult",
    "EFAResult",
    "FactorSolutionWarning",
    "KMOResult",
    "ParallelAnalysisResult",
    "bartlett",
    "efa",
    "kmo",
    "parallel_analysis",
]

EXTRACTION_METHODS = ("minres", "ml")
ROTATIONS = ("oblimin", "promax", "varimax", None)
_EPS = np.finfo(float).eps


class FactorSolutionWarning(UserWarning):
    """A factor solution or fit statistic that psych flags as degenerate, computed as psych does.

    Raised as a warning (not an error) where ``psych::fa`` warns: the correlation
    matrix or the fitted model is not positive definite and was smoothed, a
    communality exceeds 1 (an ultra-Heywood case), or the fit statistics fall back
    to the residuals. The numbers are psych's; read them with care.
    """


# ---------------------------------------------------------------------------
# shared helpers


def _checked_correlation(items, missing: str, name: str = "items") -> tuple[pd.DataFrame, int]:
    """Correlation matrix and the number of respondents that psych would report.

    With pairwise deletion that is every row (psych uses ``nrow(x)``); with
    listwise deletion only the complete rows.
    """
    frame = as_items(items, name, min_columns=2, min_rows=3)
    check_choice(missing, "missing", MISSING_POLICIES)
    corr = correlation_matrix(frame, missing=missing)
    if corr.isna().to_numpy().any():
        bad = corr.columns[corr.isna().any(axis=0).to_numpy()].tolist()
        raise ValueError(
            f"{name}: the correlations of {bad[:5]} cannot be computed (fewer than two joint "
            "answers or no variance); drop those items"
        )
    n_obs = len(frame) if missing == "pairwise" else int(frame.notna().all(axis=1).sum())
    return corr, n_obs


def _dependent_items(r: np.ndarray, names, n_rows: int) -> str | None:
    """Why ``r`` is not positive definite, naming the items involved; None if it is.

    The test is numpy's ``matrix_rank`` tolerance: an eigenvalue at most ``p * eps``
    times the largest counts as zero. The items named are those that carry the
    eigenvectors of the zero or negative eigenvalues (for a duplicated item, the item
    and its copy).
    """
    values, vectors = _eigh_desc(r)
    n_items = r.shape[0]
    tolerance = n_items * _EPS * values[0]
    bad = values <= tolerance
    if not bad.any():
        return None
    weight = (vectors[:, bad] ** 2).sum(axis=1)
    heaviest = np.argsort(-weight, kind="stable")
    heaviest = heaviest[weight[heaviest] >= 0.1 * weight[heaviest[0]]]
    involved = [str(names[i]) for i in sorted(heaviest[:5])]  # in column order
    shown = ", ".join(repr(name) for name in involved) + (", ..." if len(heaviest) > 5 else "")
    if n_rows <= n_items:
        return (
            f"singular: {n_rows} respondents cannot determine the correlations of {n_items} items "
            "(at least one more respondent than items is needed)"
        )
    if values[-1] < -tolerance:
        return (
            f"not positive definite (smallest eigenvalue {values[-1]:.3g}, a pairwise matrix that "
            f"no data could give), mostly through items {shown}"
        )
    return f"singular: items {shown} are linearly dependent (one is a copy or a combination of the others)"


def _pinv(matrix: np.ndarray) -> np.ndarray:
    # psych::Pinv: singular values below sqrt(eps) x the largest are dropped.
    return np.linalg.pinv(matrix, rcond=np.sqrt(_EPS))


def _smc(corr: np.ndarray) -> np.ndarray:
    """Squared multiple correlations, ``1 - 1 / diag(R^-1)``, clipped to [0, 1] (psych::smc)."""
    smc = 1.0 - 1.0 / np.diag(_pinv(corr))
    return np.clip(smc, 0.0, 1.0)


def _eigh_desc(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values, vectors = np.linalg.eigh(matrix)
    return values[::-1], vectors[:, ::-1]


def _cor_smooth(corr: np.ndarray) -> tuple[np.ndarray, bool]:
    """psych::cor.smooth: lift eigenvalues below machine epsilon, rescale to a correlation matrix.

    Returns the matrix and whether it had to be smoothed (where psych warns "Matrix was
    not positive definite, smoothing was done"). psych smooths when the smallest
    eigenvalue is below machine epsilon; a singular matrix's zero eigenvalue comes out
    of any computation as rounding noise on either side of that, so an eigenvalue
    within numpy's ``matrix_rank`` tolerance (``p * eps`` times the largest) counts as
    zero too, and a singular matrix is smoothed whatever its rounding.
    """
    values, vectors = _eigh_desc(corr)
    if values.min() >= max(_EPS, corr.shape[0] * _EPS * values[0]):
        return corr, False
    tol = 1e-12
    values = np.where(values < tol, 100 * tol, values)
    values = values * corr.shape[0] / values.sum()
    smoothed = (vectors * values) @ vectors.T
    scale = 1.0 / np.sqrt(np.diag(smoothed))
    return smoothed * np.outer(scale, scale), True


def _log_det_as_r(matrix: np.ndarray) -> float:
    """``log(det(matrix))`` as R computes it.

    R's ``det`` is ``sign * exp(log|det|)`` from the LU factors: it underflows to 0 (so
    the logarithm is ``-inf``) below about 1e-308, and a negative determinant gives NaN.
    psych's fit statistics depend on both, so they are kept rather than using the
    log-determinant directly.
    """
    sign, log_abs = np.linalg.slogdet(matrix)
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        return float(np.log(sign * np.exp(log_abs)))


# ---------------------------------------------------------------------------
# KMO and Bartlett


@dataclass(frozen=True)
class KMOResult:
    """Kaiser-Meyer-Olkin measure of sampling adequacy.

    Attributes
    ----------
    overall : float
        The overall MSA.
    per_item : Series
        The MSA of each item.
    """

    overall: float
    per_item: pd.Series


def kmo(items, missing: str = "pairwise") -> KMOResult:
    r"""Kaiser-Meyer-Olkin measure of sampling adequacy, overall and per item.

    With ``R`` the correlation matrix and ``Q`` the partial (anti-image)
    correlations, ``Q_ij = -R^{-1}_ij / sqrt(R^{-1}_ii R^{-1}_jj)``, summed over
    the off-diagonal entries:

    .. math:: \mathrm{MSA} = \frac{\sum r_{ij}^2}{\sum r_{ij}^2 + \sum q_{ij}^2},

    and per item the same ratio over its column. Values above about 0.6 are
    usually wanted before a factor analysis. Matches ``psych::KMO``.

    Parameters
    ----------
    items : DataFrame
        Rows are respondents, columns items; NaN marks a missing answer.
    missing : {"pairwise", "listwise"}
        How the correlation matrix treats missing answers (see
        :func:`analysis.correlation_matrix`). factor_analyzer's ``calculate_kmo``
        cannot take NaN at all.

    Returns
    -------
    KMOResult

    Raises
    ------
    ValueError
        When R's ``solve`` would refuse to invert the correlation matrix (reciprocal
        condition number below machine epsilon), naming the items that make it
        singular. psych then uses ``R`` in place of its inverse and reports a number.

    References
    ----------
    Kaiser, H. F. (1970). A second generation little jiffy. *Psychometrika*, 35, 401-415.
    """
    corr, n_obs = _checked_correlation(items, missing)
    r = corr.to_numpy()
    # R's solve() refuses a reciprocal condition number below machine epsilon.
    if 1.0 / np.linalg.cond(r, 1) < _EPS:
        reason = _dependent_items(r, corr.columns, n_obs) or "singular"
        raise ValueError(f"items: the correlation matrix is {reason}, so KMO is undefined")
    inverse = np.linalg.inv(r)
    if not (np.diag(inverse) > 0).all():
        # Pairwise correlations can form a matrix that is not positive definite.
        raise ValueError("items: the correlation matrix is not positive definite, so KMO is undefined")
    scale = 1.0 / np.sqrt(np.diag(inverse))
    partial = inverse * np.outer(scale, scale)
    np.fill_diagonal(partial, 0.0)
    off = r.copy()
    np.fill_diagonal(off, 0.0)
    r2 = (off**2).sum(axis=0)
    q2 = (partial**2).sum(axis=0)
    overall = float(r2.sum() / (r2.sum() + q2.sum()))
    return KMOResult(overall=overall, per_item=pd.Series(r2 / (r2 + q2), index=corr.columns, name="msa"))


@dataclass(frozen=True)
class BartlettResult:
    """Bartlett's test of sphericity (``chi2`` on ``df`` degrees of freedom, p-value, sample size)."""

    chi2: float
    df: int
    p: float
    n: int


def bartlett(items, missing: str = "pairwise") -> BartlettResult:
    r"""Bartlett's test that the items' correlation matrix is an identity matrix.

    .. math:: \chi^2 = -\ln|R| \left(n - 1 - \frac{2p + 5}{6}\right), \qquad df = p(p-1)/2,

    with ``p`` items and ``n`` respondents. Matches ``psych::cortest.bartlett(R, n)``.

    Parameters
    ----------
    items : DataFrame
        Rows are respondents, columns items; NaN marks a missing answer.
    missing : {"pairwise", "listwise"}
        ``"pairwise"`` (default) builds ``R`` from pairwise-complete correlations and
        takes ``n`` as the number of rows, as psych does when given raw data;
        ``"listwise"`` uses complete rows for both.

    Returns
    -------
    BartlettResult

    Raises
    ------
    ValueError
        When ``R`` is singular or not positive definite by numpy's ``matrix_rank``
        tolerance (smallest eigenvalue at most ``p * eps`` times the largest), naming
        the items involved, e.g. an item and its duplicate, or with no more respondents
        than items. psych computes ``-log(det(R))`` regardless: for a duplicated item
        chi2 = Inf, or a huge finite chi2 where rounding leaves the determinant positive.

    References
    ----------
    Bartlett, M. S. (1951). The effect of standardization on a chi square
    approximation in factor analysis. *Biometrika*, 38, 337-344.
    """
    corr, n_obs = _checked_correlation(items, missing)
    p = corr.shape[0]
    reason = _dependent_items(corr.to_numpy(), corr.columns, n_obs)
    if reason is not None:
        raise ValueError(f"items: the correlation matrix is {reason}, so Bartlett's test is undefined")
    logdet = np.linalg.slogdet(corr.to_numpy())[1]
    chi2 = float(-logdet * (n_obs - 1 - (2 * p + 5) / 6))
    df = p * (p - 1) // 2
    return BartlettResult(chi2=chi2, df=df, p=float(stats.chi2.sf(chi2, df)), n=n_obs)


# ---------------------------------------------------------------------------
# parallel analysis


@dataclass(frozen=True)
class ParallelAnalysisResult:
    """Horn's parallel analysis.

    Attributes
    ----------
    n_factors : int
        Number of leading observed eigenvalues above the threshold (the number of
        components to retain; psych's ``ncomp``).
    observed : Series
        Eigenvalues of the items' correlation matrix, largest first.
    simulated_mean, simulated_p95 : Series
        Mean and 95th percentile of the eigenvalues of random normal data of the
        same shape.
    threshold : str
        Which simulated series decided ``n_factors`` (``"mean"`` or ``"p95"``).
    n_iter : int
        Number of simulated data sets.
    """

    n_factors: int
    observed: pd.Series
    simulated_mean: pd.Series
    simulated_p95: pd.Series
    threshold: str
    n_iter: int


def parallel_analysis(
    items, n_iter: int = 20, seed=None, *, missing: str = "pairwise", threshold: str = "p95"
) -> ParallelAnalysisResult:
    """How many components to retain, by parallel analysis (Horn, 1965).

    The eigenvalues of the observed correlation matrix (principal components, ones
    on the diagonal) are compared with the eigenvalues of the correlation matrices
    of ``n_iter`` data sets of independent standard normal values with the same
    number of rows and columns. The number retained is the count of leading
    observed eigenvalues above the simulated 95th percentile (``threshold="p95"``,
    the default; Glorfeld, 1995) or above the simulated mean (``threshold="mean"``,
    Horn's original rule); the count stops at the first eigenvalue that is not.

    The default is the rule behind the number of components that
    ``psych::fa.parallel(x, fa = "pc")`` reports (``ncomp``): its ``quant = .95``
    applied to the eigenvalues of its simulated normal data sets, whose 95th
    percentile is R's default quantile (type 7, numpy's ``"linear"``). psych also
    draws resampled data sets (each column bootstrapped); with ``fa = "pc"`` they
    are only plotted and do not enter ``ncomp``, so they are not drawn here. The
    two rules can disagree by several components: on the first 350 respondents of
    ``multilevel::klein2000`` psych and the default retain 1 component (2 for some
    seeds with 20 data sets), the mean rule 3.

    Parameters
    ----------
    items : DataFrame
        Rows are respondents, columns items; NaN marks a missing answer.
    n_iter : int
        Number of simulated data sets (at least 1).
    seed : int, numpy Generator or None
        Seed for ``numpy.random.default_rng``; results are random without one.
    missing : {"pairwise", "listwise"}
        Missing-data policy of the observed correlation matrix. The simulated data
        sets have as many rows as respondents used (all rows for pairwise).
    threshold : {"p95", "mean"}
        Simulated eigenvalue that an observed one must exceed: the 95th percentile
        (psych's rule, the default) or the mean.

    Returns
    -------
    ParallelAnalysisResult

    References
    ----------
    Horn, J. L. (1965). A rationale and test for the number of factors in factor
    analysis. *Psychometrika*, 30, 179-185.
    Glorfeld, L. W. (1995). An improvement on Horn's parallel analysis methodology
    for selecting the correct number of factors to retain. *Educational and
    Psychological Measurement*, 55, 377-393.
    """
    n_iter = check_int(n_iter, "n_iter", minimum=1)
    check_choice(threshold, "threshold", ("p95", "mean"))
    corr, n_obs = _checked_correlation(items, missing)
    n_items = corr.shape[0]
    observed = np.linalg.eigvalsh(corr.to_numpy())[::-1]
    rng = np.random.default_rng(seed)
    simulated = np.empty((n_iter, n_items))
    for i in range(n_iter):
        noise = rng.standard_normal((n_obs, n_items))
        simulated[i] = np.linalg.eigvalsh(np.corrcoef(noise, rowvar=False))[::-1]
    mean = simulated.mean(axis=0)
    p95 = np.quantile(simulated, 0.95, axis=0)
    bar = mean if threshold == "mean" else p95
    below = np.flatnonzero(observed <= bar)
    n_factors = int(below[0]) if below.size else n_items
    index = pd.RangeIndex(1, n_items + 1, name="component")
    return ParallelAnalysisResult(
        n_factors=n_factors,
        observed=pd.Series(observed, index=index, name="observed"),
        simulated_mean=pd.Series(mean, index=index, name="simulated_mean"),
        simulated_p95=pd.Series(p95, index=index, name="simulated_p95"),
        threshold=threshold,
        n_iter=n_iter,
    )


# ---------------------------------------------------------------------------
# extraction (psych::fa's "fit" for minres and ml)


def _lbfgsb_like_r(fun, grad, start: np.ndarray, lower: float, upper: float) -> np.ndarray:
    """Minimise as R's ``optim(method="L-BFGS-B", control=list(parscale=0.01))`` does.

    psych optimises with R's defaults (memory 5, ``factr = 1e7``, ``pgtol = 0``,
    100 iterations); using the same settings and scaling lands on the same point
    as psych rather than on a more tightly converged one.
    """
    scale = 0.01
    result = optimize.minimize(
        lambda x: fun(x * scale),
        start / scale,
        jac=lambda x: grad(x * scale) * scale,
        method="L-BFGS-B",
        bounds=[(lower / scale, upper / scale)] * len(start),
        options={"maxcor": 5, "ftol": 1e7 * _EPS, "gtol": 0.0, "maxiter": 100, "maxls": 20},
    )
    return result.x * scale


def _principal_loadings(matrix: np.ndarray, n_factors: int) -> np.ndarray:
    values, vectors = _eigh_desc(matrix)
    return vectors[:, :n_factors] * np.sqrt(np.maximum(values[:n_factors], 0.0))


def _extract_minres(r: np.ndarray, n_factors: int) -> np.ndarray:
    """Minimum-residual (unweighted least squares) loadings, as psych's ``fm="minres"``."""
    lower_tri = np.tril_indices_from(r, k=-1)

    def residual_ss(psi):
        reduced = r.copy()
        np.fill_diagonal(reduced, 1.0 - psi)
        values, vectors = _eigh_desc(reduced)
        values = np.where(values < _EPS, 100 * _EPS, values)
        loadings = vectors[:, :n_factors] * np.sqrt(values[:n_factors])
        residual = (reduced - loadings @ loadings.T)[lower_tri]
        return float(residual @ residual)

    def gradient(psi):
        loadings = _principal_loadings(r - np.diag(psi), n_factors)
        return np.einsum("ij,ij->i", loadings, loadings) + psi - np.diag(r)

    smc = _smc(r)
    psi = _lbfgsb_like_r(residual_ss, gradient, np.diag(r) - smc, 0.005, max(smc.max(), 1.0))
    return _principal_loadings(r - np.diag(psi), n_factors)


def _extract_ml(r: np.ndarray, n_factors: int) -> np.ndarray:
    """Maximum-likelihood loadings, as psych's ``fm="ml"`` (Joreskog's concentrated criterion)."""
    n_items = r.shape[0]

    def scaled_eigen(psi):
        scale = 1.0 / np.sqrt(psi)
        return _eigh_desc(r * np.outer(scale, scale))

    def loadings_at(psi):
        values, vectors = scaled_eigen(psi)
        load = vectors[:, :n_factors] * np.sqrt(np.maximum(values[:n_factors] - 1.0, 0.0))
        return np.sqrt(psi)[:, None] * load

    def discrepancy(psi):
        values, _ = scaled_eigen(psi)
        rest = values[n_factors:]
        return float(-(np.sum(np.log(rest) - rest) - n_factors + n_items))

    def gradient(psi):
        load = loadings_at(psi)
        return (np.einsum("ij,ij->i", load, load) + psi - np.diag(r)) / psi**2

    smc = _smc(r)
    psi = _lbfgsb_like_r(discrepancy, gradient, np.diag(r) - smc, 0.005, max(smc.max(), 1.0))
    return loadings_at(psi)


def _extract(r: np.ndarray, n_factors: int, method: str) -> np.ndarray:
    loadings = _extract_minres(r, n_factors) if method == "minres" else _extract_ml(r, n_factors)
    signs = np.sign(loadings.sum(axis=0))
    signs[signs == 0] = 1.0
    loadings = loadings * signs
    # psych replaces exact zeros so that later divisions stay finite.
    loadings[loadings == 0] = 1e-15
    return loadings


# ---------------------------------------------------------------------------
# rotations


def _varimax(loadings: np.ndarray, eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray]:
    """``stats::varimax(x, normalize=TRUE, eps=1e-5)``: loadings and rotation matrix."""
    n_items, n_factors = loadings.shape
    row_norm = np.sqrt((loadings**2).sum(axis=1))
    x = loadings / row_norm[:, None]
    rotation = np.eye(n_factors)
    criterion = 0.0
    for _ in range(1000):
        z = x @ rotation
        target = x.T @ (z**3 - z * ((z**2).sum(axis=0) / n_items))
        u, singular, vt = np.linalg.svd(target)
        rotation = u @ vt
        previous, criterion = criterion, singular.sum()
        if criterion < previous * (1 + eps):
            break
    return (x @ rotation) * row_norm[:, None], rotation


def _quartimin(loadings: np.ndarray) -> tuple[np.ndarray, float]:
    """Oblimin criterion with gamma = 0 (quartimin) and its gradient (GPArotation's vgQ.oblimin)."""
    squared = loadings**2
    cross = squared.sum(axis=1, keepdims=True) - squared
    return loadings * cross, float((squared * cross).sum() / 4)


def _oblimin(loadings: np.ndarray, eps: float = 1e-5, max_iter: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """``GPArotation::oblimin(A)``: gradient projection (GPFoblq), not normalised.

    Returns the pattern loadings and the factor correlations ``T'T``.
    """
    rotation = np.eye(loadings.shape[1])
    pattern = loadings @ np.linalg.inv(rotation).T
    gradient_q, value = _quartimin(pattern)
    gradient = -(pattern.T @ gradient_q @ np.linalg.inv(rotation)).T
    step = 1.0
    for _ in range(max_iter + 1):
        projected = gradient - rotation * (rotation * gradient).sum(axis=0)
        norm = np.sqrt((projected**2).sum())
        if norm < eps:
            break
        step *= 2
        for _ in range(11):
            candidate = rotation - step * projected
            candidate = candidate / np.sqrt((candidate**2).sum(axis=0))
            pattern = loadings @ np.linalg.inv(candidate).T
            candidate_q, candidate_value = _quartimin(pattern)
            if value - candidate_value > 0.5 * norm**2 * step:
                break
            step /= 2
        rotation, value = candidate, candidate_value
        gradient = -(pattern.T @ candidate_q @ np.linalg.inv(candidate)).T
    else:
        warnings.warn(
            f"oblimin rotation did not converge in {max_iter} iterations (as GPArotation warns)",
            RuntimeWarning,
            stacklevel=3,
        )
    return pattern, rotation.T @ rotation


def _promax_psych(loadings: np.ndarray, power: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """psych's ``rotate="promax"``: ``kaiser(f, rotate="Promax")`` with psych's ``Promax(m=4)``."""
    row_norm = np.sqrt((loadings**2).sum(axis=1))
    x, varimax_rotation = _varimax(loadings / row_norm[:, None])
    target = x * np.abs(x) ** (power - 1)
    transform = np.linalg.lstsq(x, target, rcond=None)[0]
    transform = transform * np.sqrt(np.diag(np.linalg.inv(transform.T @ transform)))
    pattern = x @ transform
    inverse = np.linalg.inv(varimax_rotation @ transform)
    return pattern * row_norm[:, None], inverse @ inverse.T


def _rotate(loadings: np.ndarray, rotation: str | None) -> tuple[np.ndarray, np.ndarray | None]:
    if loadings.shape[1] < 2 or rotation is None:
        return loadings, None
    if rotation == "varimax":
        return _varimax(loadings)[0], None
    if rotation == "oblimin":
        return _oblimin(loadings)
    return _promax_psych(loadings)


def _sign_and_sort(loadings: np.ndarray, phi: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Make each factor's loadings sum positive, then order factors by ``diag(Phi P'P)``."""
    signs = np.sign(loadings.sum(axis=0))
    signs[signs == 0] = 1.0
    loadings = loadings * signs
    if phi is not None:
        phi = phi * np.outer(signs, signs)
    if loadings.shape[1] > 1:
        explained = np.diag(loadings.T @ loadings) if phi is None else np.diag(phi @ loadings.T @ loadings)
        order = np.argsort(-explained, kind="stable")
        loadings = loadings[:, order]
        if phi is not None:
            phi = phi[np.ix_(order, order)]
    return loadings, phi


def _warn_heywood(communalities: np.ndarray, names, caller: str) -> None:
    """Warn, as psych's ``fa`` does, when a communality exceeds 1 (an ultra-Heywood case)."""
    above = np.flatnonzero(communalities > 1)
    if above.size:
        shown = ", ".join(f"{names[i]!s} ({communalities[i]:.3f})" for i in above[:5])
        warnings.warn(
            f"{caller}: ultra-Heywood case, communalities above 1 for {shown}: an improper "
            "solution (psych warns too); try fewer factors or look for items that are nearly "
            "sums of others",
            FactorSolutionWarning,
            stacklevel=3,
        )


def _fa(r: np.ndarray, n_factors: int, method: str, rotation: str | None):
    """psych::fa on a correlation matrix: sorted, signed pattern loadings and Phi."""
    loadings = _extract(r, n_factors, method)
    rotated, phi = _rotate(loadings, rotation)
    return _sign_and_sort(rotated, phi)


# ---------------------------------------------------------------------------
# fit statistics (psych::factor.stats)


def _fit_statistics(
    r: np.ndarray, loadings: np.ndarray, phi: np.ndarray | None, n_obs: int, names
) -> tuple[dict, list[str]]:
    """psych's fit statistics, and the warnings psych gives on the way (as sentences)."""
    n_items, n_factors = loadings.shape
    notes: list[str] = []
    dof = n_items * (n_items - 1) / 2 - n_items * n_factors + n_factors * (n_factors - 1) / 2
    model = loadings @ (np.eye(n_factors) if phi is None else phi) @ loadings.T
    residual_ss = float(((r - model) ** 2).sum())  # psych's fallback objective, diagonal included
    np.fill_diagonal(model, np.diag(r))
    model, model_smoothed = _cor_smooth(model)
    smoothed, r_smoothed = _cor_smooth(r)
    if model_smoothed:
        notes.append(
            "the fitted correlation matrix P Phi P' + U^2 is not positive definite; it was smoothed "
            "for the fit statistics, as psych's cor.smooth does"
        )
    if r_smoothed:
        reason = _dependent_items(r, names, n_obs) or "not positive definite"
        notes.append(
            f"the items' correlation matrix is {reason}; it was smoothed for the fit statistics, "
            "as psych's cor.smooth does"
        )
    # R's solve() refuses a reciprocal condition number below machine epsilon; psych then
    # uses the identity matrix.
    with np.errstate(divide="ignore"):
        model_rcond = 1.0 / np.linalg.cond(model, 1)
    if not model_rcond >= _EPS:
        notes.append(
            "the fitted correlation matrix is singular; as psych does, the identity matrix stands "
            "in for its inverse times R, so the fit statistics are not meaningful"
        )
        ratio = np.eye(n_items)
    else:
        ratio = np.linalg.solve(model, smoothed)
    objective = float(np.trace(ratio) - _log_det_as_r(ratio) - n_items)
    if np.isinf(objective):
        objective = residual_ss
        notes.append(
            "the determinant of the smoothed correlation matrix is zero, so the likelihood "
            "objective is undefined; as psych does, objective and chi2 are the sum of squared "
            "residuals (and its multiple)"
        )
    multiplier = (n_obs - 1) - (2 * n_items + 5) / 6 - (2 * n_factors) / 3
    chi2 = objective * multiplier
    null_objective = float(np.trace(smoothed) - _log_det_as_r(smoothed) - n_items)
    if np.isinf(null_objective):
        # psych's null model then uses the sum of squared correlations (diagonal included).
        null_objective = float((r**2).sum())
    null_per_df = null_objective * 2 / (n_items * (n_items - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        model_per_df = objective / dof if dof != 0 else np.nan
        tli = (null_per_df - model_per_df) / (null_per_df - 1 / multiplier)
    # psych takes RMSEA from the chi-square before it clips negatives to zero.
    rmsea = float(np.sqrt(max(chi2 / (dof * n_obs) - 1 / (n_obs - 1), 0.0))) if dof > 0 else np.nan
    statistics = {
        "objective": objective,
        "chi2": max(chi2, 0.0),
        "df": dof,
        "p": float(stats.chi2.sf(max(chi2, 0.0), dof)) if dof > 0 else np.nan,
        "rmsea": rmsea,
        "tli": float(tli),
    }
    return statistics, notes


# ---------------------------------------------------------------------------
# EFA


@dataclass(frozen=True)
class EFAResult:
    """An exploratory factor analysis.

    Attributes
    ----------
    loadings : DataFrame
        Pattern loadings, items x factors (``F1``, ``F2``, ... in decreasing order of
        explained variance).
    communalities : Series
        ``diag(P Phi P')`` (``diag(P P')`` when orthogonal).
    uniquenesses : Series
        ``1 - communalities`` (the diagonal of the correlation matrix minus them).
    phi : DataFrame or None
        Factor correlations after an oblique rotation; None for orthogonal
        solutions and for one factor.
    variance : DataFrame
        Rows ``ss_loadings`` (``diag(Phi P'P)``), ``proportion`` (of the number of
        items) and ``cumulative``; one column per factor.
    chi2, df, p : float
        psych's likelihood-ratio ``STATISTIC`` with Bartlett's correction, its
        degrees of freedom and p-value.
    rmsea, tli : float
        Root mean square error of approximation and Tucker-Lewis index (NaN when
        ``df <= 0``).
    objective : float
        The maximum-likelihood discrepancy of the fitted model.
    n_obs : int
        Respondents used for the fit statistics.
    method, rotation, missing : str or None
        The options used.
    """

    loadings: pd.DataFrame
    communalities: pd.Series
    uniquenesses: pd.Series
    phi: pd.DataFrame | None
    variance: pd.DataFrame
    chi2: float
    df: float
    p: float
    rmsea: float
    tli: float
    objective: float
    n_obs: int
    n_factors: int
    method: str
    rotation: str | None
    missing: str


def efa(
    items, n_factors: int, method: str = "minres", rotation: str | None = "oblimin", missing: str = "pairwise"
) -> EFAResult:
    r"""Exploratory factor analysis reproducing ``psych::fa``.

    Fits the common factor model ``R = P Phi P' + U^2`` to the items' correlation
    matrix, rotates it and reports fit as psych does:

    * ``objective`` :math:`F = \operatorname{tr}(\hat\Sigma^{-1}R) - \ln|\hat\Sigma^{-1}R| - p`
      with :math:`\hat\Sigma = P\Phi P'` given a unit diagonal;
    * ``chi2`` :math:`= F\,[(n - 1) - (2p + 5)/6 - 2k/3]` (Bartlett's correction),
      on ``df`` :math:`= p(p-1)/2 - pk + k(k-1)/2`;
    * ``rmsea`` :math:`= \sqrt{\max(\chi^2/(df\,n) - 1/(n-1), 0)}`;
    * ``tli`` :math:`= (M_0 - M_k)/(M_0 - 1/m)` with :math:`M_0 = 2F_0/(p(p-1))`,
      :math:`M_k = F/df` and :math:`m` the multiplier of ``chi2``.

    See the module docstring for the steps of extraction and rotation. As in
    ``psych::factor.stats``, ``R`` and the fitted matrix are smoothed (``cor.smooth``)
    when they are not positive definite, and when the determinant of the smoothed
    matrices underflows to zero (many more items than respondents) ``objective``
    becomes the sum of squared residuals :math:`\sum (R - P\Phi P')^2` and ``chi2``
    that times the multiplier; ``tli`` then uses :math:`F_0 = \sum R^2`.

    Parameters
    ----------
    items : DataFrame
        Rows are respondents, columns items; NaN marks a missing answer.
    n_factors : int
        Number of factors, at least 1 and fewer than the number of items.
    method : {"minres", "ml"}
        Minimum residual (unweighted least squares) or maximum likelihood.
    rotation : {"oblimin", "promax", "varimax", None}
        ``"oblimin"`` and ``"promax"`` are oblique (``phi`` is returned);
        ``"promax"`` is psych's (Kaiser-normalised, power 4). ``None`` keeps the
        unrotated solution. Ignored with one factor.
    missing : {"pairwise", "listwise"}
        Correlation matrix from pairwise-complete pairs with ``n_obs`` = all rows
        (psych's behaviour on raw data), or from complete rows only.

    Returns
    -------
    EFAResult

    Raises
    ------
    ValueError
        For ``method="ml"`` on a correlation matrix that is singular or not positive
        definite (no more respondents than items, an item duplicating or summing
        others), naming the items, where psych stops with an optimiser error; for an
        item whose correlations cannot be computed; for infinite answers.

    Warns
    -----
    FactorSolutionWarning
        Where psych warns: a communality above 1 (ultra-Heywood case), ``R`` or the
        fitted matrix smoothed, the residual-based chi-square. psych's warnings about
        factor-score weights have no counterpart, since no scores are computed.

    References
    ----------
    Revelle, W. (2022). psych: Procedures for Psychological, Psychometric, and
    Personality Research (version 2.2.9), function ``fa``.
    Bernaards, C. A., & Jennrich, R. I. (2005). Gradient projection algorithms and
    software for arbitrary rotation criteria in factor analysis. *Educational and
    Psychological Measurement*, 65, 676-696.
    Hendrickson, A. E., & White, P. O. (1964). Promax: a quick method for rotation
    to oblique simple structure. *British Journal of Statistical Psychology*, 17, 65-70.
    """
    check_choice(method, "method", EXTRACTION_METHODS)
    check_choice(rotation, "rotation", ROTATIONS)
    corr, n_obs = _checked_correlation(items, missing)
    n_items = corr.shape[0]
    n_factors = check_int(n_factors, "n_factors", minimum=1, maximum=n_items - 1)
    r = corr.to_numpy()
    if method == "ml":
        reason = _dependent_items(r, corr.columns, n_obs)
        if reason is not None:
            raise ValueError(
                f"items: the correlation matrix is {reason}; maximum likelihood needs a positive "
                "definite matrix (psych stops here too). Use method='minres' or drop items"
            )
    loadings, phi = _fa(r, n_factors, method, rotation)
    factor_names = [f"F{i + 1}" for i in range(n_factors)]
    phi_or_identity = np.eye(n_factors) if phi is None else phi
    communalities = np.einsum("ij,jk,ik->i", loadings, phi_or_identity, loadings)
    ss_loadings = np.diag(phi_or_identity @ loadings.T @ loadings)
    # psych divides by the total variance, sum(communalities + uniquenesses) = p.
    proportion = ss_loadings / np.trace(r)
    fit, notes = _fit_statistics(r, loadings, phi, n_obs, corr.columns)
    _warn_heywood(communalities, corr.index, "efa")
    for note in notes:
        warnings.warn(f"efa: {note}", FactorSolutionWarning, stacklevel=2)
    return EFAResult(
        loadings=pd.DataFrame(loadings, index=corr.index, columns=factor_names),
        communalities=pd.Series(communalities, index=corr.index, name="communality"),
        uniquenesses=pd.Series(np.diag(r) - communalities, index=corr.index, name="uniqueness"),
        phi=None if phi is None else pd.DataFrame(phi, index=factor_names, columns=factor_names),
        variance=pd.DataFrame(
            [ss_loadings, proportion, np.cumsum(proportion)],
            index=["ss_loadings", "proportion", "cumulative"],
            columns=factor_names,
        ),
        n_obs=n_obs,
        n_factors=n_factors,
        method=method,
        rotation=rotation,
        missing=missing,
        **fit,
    )

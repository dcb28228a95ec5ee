"""Reliability of a scale: Cronbach's alpha and McDonald's omega.

Both reproduce R's psych package (version 2.2.9): ``psych::alpha`` with its
default pairwise handling of missing answers, ``psych::omega`` (a
Schmid-Leiman transformation of an oblimin-rotated minres factoring) and, for the
single common factor a scale score assumes, :func:`omega_total` (``psych::omega`` with
``nfactors = 1``).

Items must already be keyed in one direction: rescore reverse-keyed items
(``min + max - answer``) before calling these functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ._validation import as_items, check_choice, check_int
from .correlation import MISSING_POLICIES, correlation_matrix, covariance_array
from .factors import _fa, _oblimin, _warn_heywood, efa

__all__ = [
    "AlphaResult",
    "OmegaResult",
    "cronbach_alpha",
    "feldt_interval",
    "omega",
    "omega_total",
    "spearman_brown",
]


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha of one scale.

    Attributes
    ----------
    alpha : float
        Raw alpha, from the covariance matrix.
    std_alpha : float
        Standardised alpha, from the correlation matrix.
    average_r : float
        Mean inter-item correlation.
    n_items : int
        Number of items.
    n_obs : int
        Respondents, as psych reports them: every row with pairwise deletion,
        complete rows with listwise deletion. Used for the confidence interval.
    ci_low, ci_high : float
        Feldt's 95 % confidence interval of raw alpha.
    item_stats : DataFrame
        Indexed by item: ``r_drop`` (correlation of the item with the sum of the
        other items) and ``alpha_if_dropped`` (raw alpha of the other items).
    missing : str
        The missing-data policy used.
    """

    alpha: float
    std_alpha: float
    average_r: float
    n_items: int
    n_obs: int
    ci_low: float
    ci_high: float
    item_stats: pd.DataFrame
    missing: str


def _raw_alpha(total: np.ndarray, trace: np.ndarray, n_items: int) -> np.ndarray:
    return (1.0 - trace / total) * n_items / (n_items - 1)


def feldt_interval(alpha: float, n_obs: int, n_items: int, level: float = 0.95) -> tuple[float, float]:
    """Feldt's confidence interval for Cronbach's alpha (``psych::alpha.ci``).

    ``(1 - alpha) / (1 - alpha_pop)`` follows an F distribution with ``n - 1``
    and ``(n - 1)(k - 1)`` degrees of freedom, so the bounds are
    ``1 - (1 - alpha) F_{1-p/2}`` and ``1 - (1 - alpha) F_{p/2}``.

    References
    ----------
    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for
    coefficient alpha. *Applied Psychological Measurement*, 11, 93-103.
    """
    n_obs = check_int(n_obs, "n_obs", minimum=2)
    n_items = check_int(n_items, "n_items", minimum=2)
    if not (isinstance(level, int | float) and 0 < level < 1):
        raise ValueError(f"level must be a number between 0 and 1; got {level!r}")
    if not (isinstance(alpha, int | float) and np.isfinite(alpha) and alpha <= 1):
        raise ValueError(f"alpha must be a finite number of at most 1; got {alpha!r}")
    tail = (1.0 - level) / 2
    df1, df2 = n_obs - 1, (n_obs - 1) * (n_items - 1)
    with np.errstate(over="ignore", invalid="ignore"):
        low = 1.0 - (1.0 - alpha) * stats.f.ppf(1.0 - tail, df1, df2)
        high = 1.0 - (1.0 - alpha) * stats.f.ppf(tail, df1, df2)
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(f"alpha = {alpha!r} is too far below 0 for Feldt's interval to be computed")
    return float(low), float(high)


def _check_covariances(cov: np.ndarray, names: pd.Index) -> None:
    """Raise a ``ValueError`` naming the items whose (co)variances leave alpha undefined."""
    variances = np.diag(cov)
    flat = [str(names[i]) for i in np.flatnonzero(~(variances > 0))]
    if flat:
        raise ValueError(
            f"items: {flat[:5]} have no variance (constant, or fewer than two answers); "
            "alpha needs every item to vary: drop those items"
        )
    first, second = np.nonzero(np.triu(np.isnan(cov), k=1))
    if first.size:
        pairs = [(str(names[i]), str(names[j])) for i, j in zip(first[:5], second[:5], strict=True)]
        raise ValueError(
            f"items: the pairs {pairs} have fewer than two joint answers, so their covariance "
            "is undefined; drop one item of each pair"
        )


def cronbach_alpha(items, missing: str = "pairwise") -> AlphaResult:
    r"""Cronbach's alpha, standardised alpha and item statistics, as ``psych::alpha``.

    With ``C`` the item covariance matrix, ``R`` the correlation matrix and ``k``
    items:

    .. math::

        \alpha = \frac{k}{k-1}\Big(1 - \frac{\operatorname{tr} C}{\mathbf 1'C\mathbf 1}\Big),\qquad
        \alpha_{std} = \frac{k}{k-1}\Big(1 - \frac{k}{\mathbf 1'R\mathbf 1}\Big),\qquad
        \bar r = \frac{\mathbf 1'R\mathbf 1 - k}{k(k-1)}.

    ``r_drop`` of item *i* is :math:`(\sum_j C_{ij} - C_{ii}) / \sqrt{C_{ii}\,
    \mathbf 1'C_{-i}\mathbf 1}` and ``alpha_if_dropped`` is raw alpha of
    :math:`C_{-i}`; with ``missing="pairwise"`` a matrix that is not positive semi-definite can
    leave :math:`\mathbf 1'C_{-i}\mathbf 1 \le 0`, and ``r_drop`` of that item is NaN (undefined).
    The confidence interval is Feldt's (:func:`feldt_interval`).

    Parameters
    ----------
    items : DataFrame
        Rows are respondents, columns the (already keyed) items of one scale;
        NaN marks a missing answer. At least two items.
    missing : {"pairwise", "listwise"}
        ``"pairwise"`` does what ``psych::alpha`` does by default: ``C`` holds
        pairwise-complete covariances (each variance over all of the item's
        answers), ``R`` is ``C`` rescaled to unit diagonal (``cov2cor``, not the
        pairwise correlations), and ``n_obs`` counts every row, also for the
        confidence interval. ``"listwise"`` drops incomplete rows first, as
        ``psych::alpha(na.omit(x))``.

    Returns
    -------
    AlphaResult

    Raises
    ------
    ValueError
        Naming the items: an infinite answer, an item without variance (constant or
        answered fewer than twice), or a pair of items with fewer than two joint answers.

    Notes
    -----
    With exactly two items psych reports, for the item dropped, the other
    item's covariance with it divided by that other item's variance (a
    regression slope, not an alpha); that value is mirrored here.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16, 297-334.
    """
    frame = as_items(items, min_columns=2)
    check_choice(missing, "missing", MISSING_POLICIES)
    values = frame.to_numpy(dtype=float)
    if missing == "listwise":
        values = values[~np.isnan(values).any(axis=1)]
        if len(values) < 2:
            raise ValueError(f"items has {len(values)} complete rows; listwise deletion needs at least 2")
    cov = covariance_array(values)
    _check_covariances(cov, frame.columns)
    n_items = cov.shape[0]
    n_obs = len(values)
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)

    total = cov.sum()
    trace = np.trace(cov)
    alpha = float(_raw_alpha(total, trace, n_items))
    corr_total = corr.sum()
    std_alpha = float((1.0 - n_items / corr_total) * n_items / (n_items - 1))
    average_r = float((corr_total - n_items) / (n_items * (n_items - 1)))

    # Statistics of each item against the rest, from the full matrix without loops.
    variances = np.diag(cov)
    column_sums = cov.sum(axis=0)
    rest_total = total - 2 * column_sums + variances
    # With pairwise covariances the matrix need not be positive semi-definite, and the rest
    # of the items can then have a variance of zero or below: r_drop is undefined (NaN).
    denominator = variances * rest_total
    r_drop = np.full(n_items, np.nan)
    defined = denominator > 0
    r_drop[defined] = (column_sums - variances)[defined] / np.sqrt(denominator[defined])
    if n_items > 2:
        alpha_if_dropped = _raw_alpha(rest_total, trace - variances, n_items - 1)
    else:
        alpha_if_dropped = cov[0, 1] / variances[::-1]
    ci_low, ci_high = feldt_interval(alpha, n_obs, n_items)
    item_stats = pd.DataFrame({"r_drop": r_drop, "alpha_if_dropped": alpha_if_dropped}, index=frame.columns)
    return AlphaResult(
        alpha=alpha,
        std_alpha=std_alpha,
        average_r=average_r,
        n_items=n_items,
        n_obs=n_obs,
        ci_low=ci_low,
        ci_high=ci_high,
        item_stats=item_stats,
        missing=missing,
    )


@dataclass(frozen=True)
class OmegaResult:
    """McDonald's omega from a Schmid-Leiman solution.

    Attributes
    ----------
    total : float
        Omega total: share of the scale score's variance due to all common factors.
    hierarchical : float
        Omega hierarchical: share due to the general factor alone.
    general_loadings : Series
        Loadings on the general factor ``g``.
    group_loadings : DataFrame
        Residualised group-factor loadings, columns ``F1*``, ``F2*``, ...
    communalities : Series
        ``h2`` of the minres solution.
    phi : DataFrame
        Correlations of the oblimin-rotated group factors (before the
        Schmid-Leiman transformation).
    n_factors : int
        Number of group factors.
    n_obs : int
        Respondents used (all rows with pairwise deletion).
    """

    total: float
    hierarchical: float
    general_loadings: pd.Series
    group_loadings: pd.DataFrame
    communalities: pd.Series
    phi: pd.DataFrame
    n_factors: int
    n_obs: int


def _general_loadings_on_factors(phi: np.ndarray) -> np.ndarray:
    """Loadings of the group factors on one higher-order factor (psych::schmid)."""
    n_factors = phi.shape[0]
    if n_factors > 2:
        loadings, _ = _fa(phi, 1, "minres", None)
        return loadings[:, 0]
    # Two factors cannot identify a higher-order factor; psych's default
    # option="equal" gives both the loading sqrt(|phi_12|).
    root = np.sqrt(abs(phi[0, 1]))
    return np.array([root, np.sign(phi[0, 1]) * root])


def omega(items, n_factors: int = 3, missing: str = "pairwise") -> OmegaResult:
    r"""McDonald's omega total and hierarchical, as ``psych::omega``.

    The steps of ``psych::omega(x, nfactors, fm="minres", rotate="oblimin")``:
    a minres factoring of the correlation matrix ``R`` (varimax, sorted); an
    oblimin rotation of it, giving pattern ``P`` and factor correlations
    :math:`\Phi`; a one-factor minres factoring of :math:`\Phi`, giving the group
    factors' loadings ``b`` on a general factor; then the Schmid-Leiman
    loadings :math:`g = Pb` and :math:`s_{ij} = \operatorname{sign}(P_{ij})
    P_{ij}\sqrt{1 - b_j^2}`. Items with a negative general loading are reversed
    (as psych's ``flip=TRUE``). With :math:`V = \mathbf 1'R\mathbf 1` and
    :math:`h^2_i` the communalities,

    .. math:: \omega_t = \frac{V - \sum_i (1 - h^2_i)}{V}, \qquad
              \omega_h = \frac{(\sum_i g_i)^2}{V}.

    Parameters
    ----------
    items : DataFrame
        Rows are respondents, columns items (already keyed); NaN marks a missing
        answer.
    n_factors : int
        Number of group factors, at least 2. With 2, psych's default
        identification is used (both group factors load ``sqrt(|phi_12|)`` on the
        general factor), which psych itself flags as a guess; 3 or more is
        advised.
    missing : {"pairwise", "listwise"}
        ``R`` from pairwise-complete correlations (psych's behaviour on raw data)
        or from complete rows only.

    Returns
    -------
    OmegaResult

    Warns
    -----
    FactorSolutionWarning
        When a communality of the minres solution exceeds 1 (an ultra-Heywood case),
        where ``psych::omega`` warns as well.

    References
    ----------
    McDonald, R. P. (1999). *Test theory: A unified treatment*. Erlbaum.
    Schmid, J., & Leiman, J. M. (1957). The development of hierarchical factor
    solutions. *Psychometrika*, 22, 53-61.
    Zinbarg, R. E., Revelle, W., Yovel, I., & Li, W. (2005). Cronbach's alpha,
    Revelle's beta, and McDonald's omega_h. *Psychometrika*, 70, 123-133.
    """
    frame = as_items(items, min_columns=3, min_rows=3)
    check_choice(missing, "missing", MISSING_POLICIES)
    n_items = frame.shape[1]
    if isinstance(n_factors, int | np.integer) and not isinstance(n_factors, bool) and n_factors < 2:
        raise ValueError(
            f"n_factors must be at least 2 for omega (omega hierarchical needs group factors); "
            f"got {n_factors}. For one factor use omega_total()"
        )
    n_factors = check_int(n_factors, "n_factors", minimum=2, maximum=n_items - 1)
    corr_frame = correlation_matrix(frame, missing=missing)
    r = corr_frame.to_numpy()
    if np.isnan(r).any():
        raise ValueError("items: some correlations cannot be computed; drop empty or constant items")
    n_obs = len(frame) if missing == "pairwise" else int(frame.notna().all(axis=1).sum())

    orthogonal, _ = _fa(r, n_factors, "minres", "varimax")
    pattern, phi = _oblimin(orthogonal)
    higher_order = _general_loadings_on_factors(phi)
    general = pattern @ higher_order
    communalities = (orthogonal**2).sum(axis=1)
    _warn_heywood(communalities, corr_frame.index, "omega")
    residual_sq = np.clip(pattern**2 * (1.0 - higher_order**2), 0.0, None)
    group = np.sign(pattern) * np.sqrt(residual_sq)

    flip = np.where(np.sign(general) < 0, -1.0, 1.0)
    general = general * flip
    group = group * flip[:, None]
    r_keyed = r * np.outer(flip, flip)

    total_variance = r_keyed.sum()
    omega_total = (total_variance - (1.0 - communalities).sum()) / total_variance
    omega_hierarchical = general.sum() ** 2 / total_variance
    names = corr_frame.index
    factor_names = [f"F{i + 1}" for i in range(n_factors)]
    return OmegaResult(
        total=float(omega_total),
        hierarchical=float(omega_hierarchical),
        general_loadings=pd.Series(general, index=names, name="g"),
        group_loadings=pd.DataFrame(group, index=names, columns=[f"{f}*" for f in factor_names]),
        communalities=pd.Series(communalities, index=names, name="h2"),
        phi=pd.DataFrame(phi, index=factor_names, columns=factor_names),
        n_factors=n_factors,
        n_obs=n_obs,
    )


def omega_total(items, missing: str = "pairwise") -> float:
    r"""McDonald's omega total of one scale under a single common factor.

    The model a scale score assumes: every item measures one factor. From a one-factor
    minres factoring of the items' correlation matrix ``R`` (:func:`analysis.efa`, no
    rotation), with communalities :math:`h^2_i` and :math:`V = \mathbf 1'R\mathbf 1`,

    .. math:: \omega_t = \frac{V - \sum_i (1 - h^2_i)}{V},

    the value ``psych::omega(x, nfactors = 1, fm = "minres")$omega.tot`` gives (psych then
    warns that omega hierarchical is not meaningful for one factor; it is not returned).

    Parameters
    ----------
    items : DataFrame
        Respondents x items of one scale, already keyed (at least three items; NaN =
        missing answer).
    missing : {"pairwise", "listwise"}
        ``R`` from pairwise-complete correlations (psych's behaviour on raw data) or from
        complete rows only.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For fewer than three items or rows, or a correlation matrix that cannot be
        factored (an empty or constant item).

    Warns
    -----
    FactorSolutionWarning
        From :func:`analysis.efa`, for an ultra-Heywood solution.

    References
    ----------
    McDonald, R. P. (1999). *Test theory: A unified treatment*. Erlbaum.
    Revelle, W., & Zinbarg, R. E. (2009). Coefficients alpha, beta, omega, and the glb.
    *Psychometrika, 74*, 145-154.
    """
    check_choice(missing, "missing", MISSING_POLICIES)
    frame = as_items(items, min_columns=3, min_rows=3)
    solution = efa(frame, 1, method="minres", rotation=None, missing=missing)
    correlations = correlation_matrix(frame, missing=missing).to_numpy()
    total = correlations.sum()
    return float((total - (1.0 - solution.communalities.to_numpy()).sum()) / total)


def spearman_brown(reliability: float, length_ratio: float) -> float:
    r"""Reliability of a scale lengthened or shortened by ``length_ratio`` (Spearman-Brown).

    For a scale of parallel (or essentially tau-equivalent) items with reliability
    :math:`\rho` and a form with :math:`m` times as many items,

    .. math:: \rho_m = \frac{m \rho}{1 + (m - 1) \rho}.

    Under a planned-missing design in which each respondent answers ``k`` of a dimension's
    ``n`` items, :math:`\rho` is the whole scale's alpha estimated from the pairwise
    covariances (:func:`cronbach_alpha` with ``missing="pairwise"``: every covariance is
    estimated without bias when the items left out are chosen at random) and ``m = k / n``
    gives the reliability of the scores actually computed, each the mean of ``k`` answers.

    Parameters
    ----------
    reliability : float
        Reliability of the scale as it is, below 1 (a negative alpha is refused: the
        formula has no meaning there).
    length_ratio : float
        Items of the new form divided by items of the scale (> 0).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Naming the argument: a reliability outside ``[0, 1)`` or not finite, a ratio that
        is not a positive finite number.

    References
    ----------
    Spearman, C. (1910). Correlation calculated from faulty data. *British Journal of
    Psychology, 3*, 271-295. Brown, W. (1910). Some experimental results in the correlation of
    mental abilities. *British Journal of Psychology, 3*, 296-322.
    Graham, J. W., Taylor, B. J., Olchowski, A. E., & Cumsille, P. E. (2006). Planned missing
    data designs in psychological research. *Psychological Methods, 11*, 323-343.
    """
    if (
        isinstance(reliability, bool)
        or not isinstance(reliability, int | float)
        or not np.isfinite(reliability)
    ):
        raise ValueError(f"reliability must be a finite number; got {reliability!r}")
    if not 0 <= reliability < 1:
        raise ValueError(f"reliability must lie in [0, 1); got {reliability!r}")
    if isinstance(length_ratio, bool) or not isinstance(length_ratio, int | float):
        raise ValueError(f"length_ratio must be a positive number; got {length_ratio!r}")
    if not (np.isfinite(length_ratio) and length_ratio > 0):
        raise ValueError(f"length_ratio must be a positive finite number; got {length_ratio!r}")
    return float(length_ratio * reliability / (1 + (length_ratio - 1) * reliability))

"""Adjusting p-values when many hypotheses are tested at once.

A report tests every pair of teams on every dimension: with a few dozen tests some are
"significant" by chance alone. :func:`adjust_p` corrects a family of p-values for that,
with the methods of R's ``p.adjust`` (and the names statsmodels and pingouin use);
:func:`multicomp` also says which hypotheses are rejected at a level.

Missing p-values (NaN, a test that could not be run) stay missing and do not count in
the number of tests ``m``, as ``p.adjust(..., n = sum(!is.na(p)))`` does.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_choice

__all__ = ["METHODS", "adjust_p", "multicomp"]

#: Accepted ``method`` values.
METHODS = ("fdr_bh", "bonferroni", "holm")


def _as_pvalues(pvalues) -> np.ndarray:
    try:
        p = np.asarray(pvalues, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"pvalues must be numbers (NaN for a missing test); got {pvalues!r}") from error
    if p.ndim > 1:
        raise ValueError(f"pvalues must be one-dimensional; got {p.ndim} dimensions")
    p = p.reshape(-1)
    bad = ~np.isnan(p) & ((p < 0) | (p > 1))
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise ValueError(f"pvalues must lie in [0, 1]; pvalues[{position}] is {float(p[position])!r}")
    return p


def adjust_p(pvalues, method: str = "fdr_bh") -> np.ndarray:
    r"""Adjusted p-values of a family of ``m`` tests, as R's ``p.adjust``.

    With the p-values sorted, :math:`p_{(1)} \le \dots \le p_{(m)}`:

    * ``"bonferroni"``: :math:`\tilde p_i = \min(1, m\,p_i)` (controls the family-wise
      error rate);
    * ``"holm"`` (Holm, 1979): :math:`\tilde p_{(i)} = \max_{j \le i} \min(1, (m - j + 1)\,p_{(j)})`,
      step-down, uniformly more powerful than Bonferroni for the same error rate;
    * ``"fdr_bh"`` (Benjamini & Hochberg, 1995): :math:`\tilde p_{(i)} = \min_{j \ge i}
      \min(1, m\,p_{(j)} / j)`, controlling the false discovery rate of independent or
      positively dependent tests (R's ``"BH"``).

    Parameters
    ----------
    pvalues : array_like
        One-dimensional p-values in [0, 1]; NaN marks a test that was not run, stays NaN
        and is not counted in ``m``.
    method : {"fdr_bh", "bonferroni", "holm"}
        The adjustment.

    Returns
    -------
    ndarray
        Adjusted p-values, in the order given.

    Raises
    ------
    ValueError
        For an unknown method, a p-value outside [0, 1] (naming its position) or input
        that is not a one-dimensional sequence of numbers.

    References
    ----------
    Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate: A practical
    and powerful approach to multiple testing. *Journal of the Royal Statistical Society
    B, 57*, 289-300.
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    *Scandinavian Journal of Statistics, 6*, 65-70.

    Examples
    --------
    >>> adjust_p([0.01, 0.04, 0.03, 0.005], "fdr_bh")
    array([0.02, 0.04, 0.04, 0.02])
    """
    check_choice(method, "method", METHODS)
    p = _as_pvalues(pvalues)
    adjusted = np.full(p.shape, np.nan)
    valid = ~np.isnan(p)
    m = int(valid.sum())
    if m == 0:
        return adjusted
    values = p[valid]
    if method == "bonferroni":
        adjusted[valid] = np.minimum(values * m, 1.0)
        return adjusted
    result = np.empty(m)
    if method == "holm":
        order = np.argsort(values, kind="stable")
        stepped = np.maximum.accumulate(values[order] * np.arange(m, 0, -1))
        result[order] = np.minimum(stepped, 1.0)
    else:
        order = np.argsort(values, kind="stable")[::-1]
        stepped = np.minimum.accumulate(values[order] * m / np.arange(m, 0, -1))
        result[order] = np.minimum(stepped, 1.0)
    adjusted[valid] = result
    return adjusted


def multicomp(pvalues, alpha: float = 0.05, method: str = "fdr_bh") -> tuple[np.ndarray, np.ndarray]:
    """Which of a family of tests are rejected at ``alpha`` after adjustment (pingouin's shape).

    Parameters
    ----------
    pvalues : array_like
        As for :func:`adjust_p`.
    alpha : float
        Level in (0, 1) at which an adjusted p-value counts as significant.
    method : {"fdr_bh", "bonferroni", "holm"}
        As for :func:`adjust_p`.

    Returns
    -------
    reject : ndarray of bool
        ``adjusted < alpha`` (False where the p-value is missing).
    adjusted : ndarray
        :func:`adjust_p` of ``pvalues``.
    """
    alpha = float(alpha)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1; got {alpha!r}")
    adjusted = adjust_p(pvalues, method)
    with np.errstate(invalid="ignore"):
        reject = adjusted < alpha
    return reject, adjusted

"""Covariance and correlation matrices of item data with missing answers.

Two missing-data policies, named as in R's ``cor(x, use=...)``:

``"pairwise"``
    Each entry uses every respondent who answered *both* items
    (``use = "pairwise.complete.obs"``), so no answer is thrown away but the
    matrix may not be positive semi-definite.
``"listwise"``
    Only respondents who answered *every* item are kept
    (``use = "complete.obs"``).

The pairwise matrices are built with a handful of matrix products over the
answered-mask, so their cost grows with respondents x items^2 and does not loop
over item pairs in Python.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._validation import as_items, check_choice

__all__ = [
    "MISSING_POLICIES",
    "correlation_matrix",
    "covariance_array",
    "covariance_matrix",
    "pairwise_counts",
]

#: Missing-data policies accepted by the functions of this module.
MISSING_POLICIES = ("pairwise", "listwise")


def _complete_rows(frame: pd.DataFrame) -> pd.DataFrame:
    complete = frame.dropna(how="any")
    if len(complete) < 2:
        raise ValueError(
            f"items has {len(complete)} complete rows; listwise deletion needs at least 2 "
            "(use missing='pairwise')"
        )
    return complete


def _pairwise_moments(values: np.ndarray, *, squares: bool) -> tuple[np.ndarray, ...]:
    """Sums over the respondents who answered both items of each pair.

    Returns ``(n, sum_x, sum_xy, sum_xx)`` where, for the pair (i, j), ``n[i, j]``
    counts joint answers, ``sum_x[i, j]`` sums item i over them, ``sum_xy[i, j]``
    sums the cross-products and ``sum_xx[i, j]`` the squares of item i (None
    unless ``squares``). Values are centred on each item's mean first, which
    keeps the one-pass formulas free of cancellation.
    """
    n_rows, n_items = values.shape
    answered = ~np.isnan(values)
    # One matrix [X | M] (X centred with zeros where missing, M the answered
    # mask) gives X'X, X'M and M'M in a single product.
    stacked = np.empty((n_rows, 2 * n_items), order="F")
    filled, mask = stacked[:, :n_items], stacked[:, n_items:]
    mask[...] = answered
    np.copyto(filled, values)
    filled[~answered] = 0.0
    # An item without answers keeps centre 0; its entries come out NaN later.
    centre = filled.sum(axis=0) / np.maximum(mask.sum(axis=0), 1.0)
    filled -= mask * centre
    products = stacked.T @ stacked
    sum_xy = products[:n_items, :n_items]
    sum_x = products[:n_items, n_items:]
    n = products[n_items:, n_items:]
    sum_xx = (filled * filled).T @ mask if squares else None
    return n, sum_x, sum_xy, sum_xx


def _pairwise_covariance(values: np.ndarray) -> np.ndarray:
    n, sum_x, sum_xy, _ = _pairwise_moments(values, squares=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = (sum_xy - sum_x * sum_x.T / n) / (n - 1)
    cov[n < 2] = np.nan
    return cov


def _pairwise_correlation(values: np.ndarray) -> np.ndarray:
    n, sum_x, sum_xy, sum_xx = _pairwise_moments(values, squares=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = sum_xy - sum_x * sum_x.T / n
        # Each variance over the same respondents as the cross-product, as R's
        # pairwise.complete.obs does.
        var_row = sum_xx - sum_x**2 / n
        corr = cross / np.sqrt(var_row * var_row.T)
    corr[n < 2] = np.nan
    np.fill_diagonal(corr, np.where(np.diag(n) >= 2, 1.0, np.nan))
    return corr


def covariance_array(values: np.ndarray) -> np.ndarray:
    """Covariance matrix of a float array with NaN for missing (pairwise), without checks.

    For callers that have already validated their data and need speed; most
    code should call :func:`covariance_matrix`.
    """
    if not np.isnan(values).any():
        return np.cov(values, rowvar=False, ddof=1).reshape(values.shape[1], values.shape[1])
    return _pairwise_covariance(values)


def covariance_matrix(items, missing: str = "pairwise") -> pd.DataFrame:
    """Sample covariance matrix of the items (denominator ``n - 1``).

    Parameters
    ----------
    items : DataFrame
        Rows are respondents, columns items; NaN marks a missing answer.
    missing : {"pairwise", "listwise"}
        ``"pairwise"``: each covariance uses the respondents who answered both
        items (R ``cov(x, use = "pairwise")``); ``"listwise"``: complete rows only.

    Returns
    -------
    DataFrame
        Items x items, labelled with the item names. Pairs with fewer than two
        joint answers are NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> covariance_matrix(pd.DataFrame({"a": [1, 2, 3, None], "b": [2, 4, 5, 1]})).round(3)
         a      b
    a  1.0  1.500
    b  1.5  3.333
    """
    frame = as_items(items)
    check_choice(missing, "missing", MISSING_POLICIES)
    if missing == "listwise":
        frame = _complete_rows(frame)
    cov = covariance_array(frame.to_numpy(dtype=float))
    return pd.DataFrame(cov, index=frame.columns, columns=frame.columns)


def correlation_matrix(items, missing: str = "pairwise") -> pd.DataFrame:
    """Pearson correlation matrix of the items.

    Parameters
    ----------
    items : DataFrame
        Rows are respondents, columns items; NaN marks a missing answer.
    missing : {"pairwise", "listwise"}
        ``"pairwise"``: each correlation uses the respondents who answered both
        items, with both standard deviations taken over those same respondents
        (R ``cor(x, use = "pairwise")``); ``"listwise"``: complete rows only.

    Returns
    -------
    DataFrame
        Items x items with ones on the diagonal. Pairs with fewer than two joint
        answers, or with no variance among them, are NaN.
    """
    frame = as_items(items)
    check_choice(missing, "missing", MISSING_POLICIES)
    if missing == "listwise":
        frame = _complete_rows(frame)
    values = frame.to_numpy(dtype=float)
    if not np.isnan(values).any():
        with np.errstate(divide="ignore", invalid="ignore"):
            corr = np.corrcoef(values, rowvar=False).reshape(values.shape[1], values.shape[1])
    else:
        corr = _pairwise_correlation(values)
    return pd.DataFrame(corr, index=frame.columns, columns=frame.columns)


def pairwise_counts(items) -> pd.DataFrame:
    """Number of respondents who answered both items, for every pair of items.

    The diagonal holds each item's own number of answers (psych's
    ``pairwiseCount``).
    """
    frame = as_items(items, min_rows=1)
    answered = frame.notna().to_numpy(dtype=float)
    counts = (answered.T @ answered).round().astype(np.int64)
    return pd.DataFrame(counts, index=frame.columns, columns=frame.columns)

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

__all__ = ["MISSING_POLICIES", "correlation_matrix", "covariance_matrix", "pairwise_counts"]

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


def _pairwise_moments(values: np.ndarray) -> tuple[np.ndarray, ...]:
    """Sums over the respondents who answered both items of each pair.

    Returns ``(n, sum_x, sum_xx, sum_xy)`` where, for the pair (i, j), ``n[i, j]``
    counts joint answers, ``sum_x[i, j]`` sums item i over them, ``sum_xx[i, j]``
    sums its squares and ``sum_xy[i, j]`` sums the cross-products.
    """
    answered = ~np.isnan(values)
    # Centre on each item's own mean first: it keeps the sums small, so the
    # one-pass formula below loses no precision to cancellation.
    centred = values - np.nanmean(values, axis=0)
    filled = np.where(answered, centred, 0.0)
    mask = answered.astype(float)
    n = mask.T @ mask
    sum_x = filled.T @ mask
    sum_xx = (filled * filled).T @ mask
    sum_xy = filled.T @ filled
    return n, sum_x, sum_xx, sum_xy


def _pairwise_covariance(values: np.ndarray) -> np.ndarray:
    n, sum_x, _, sum_xy = _pairwise_moments(values)
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = (sum_xy - sum_x * sum_x.T / n) / (n - 1)
    cov[n < 2] = np.nan
    return cov


def _pairwise_correlation(values: np.ndarray) -> np.ndarray:
    n, sum_x, sum_xx, sum_xy = _pairwise_moments(values)
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = sum_xy - sum_x * sum_x.T / n
        # Each variance over the same respondents as the cross-product, as R's
        # pairwise.complete.obs does.
        var_row = sum_xx - sum_x**2 / n
        corr = cross / np.sqrt(var_row * var_row.T)
    corr[n < 2] = np.nan
    np.fill_diagonal(corr, np.where(np.diag(n) >= 2, 1.0, np.nan))
    return corr


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
    values = frame.to_numpy(dtype=float)
    if not np.isnan(values).any():
        cov = np.cov(values, rowvar=False, ddof=1).reshape(values.shape[1], values.shape[1])
    else:
        cov = _pairwise_covariance(values)
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

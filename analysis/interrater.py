"""Agreement among raters who judge the same units: Krippendorff's alpha and Fleiss' kappa.

The indices in :mod:`analysis.agreement` ask how much the members of one team agree on a
rating *of their own team*; the ones here ask how much raters agree when they judge the same
set of objects, e.g. sales and marketing staff classifying the same lead profiles. Both
functions take the shapes the field uses:

* :func:`krippendorff_alpha` takes a *units x raters* table of values (NaN where a rater did
  not judge a unit), as Krippendorff's reliability data matrix transposed;
* :func:`fleiss_kappa` takes a *units x categories* table of counts (how many raters put each
  unit in each category), as ``statsmodels.stats.inter_rater.fleiss_kappa`` takes it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._validation import check_choice

__all__ = ["LEVELS", "coincidences", "fleiss_kappa", "krippendorff_alpha"]

#: Levels of measurement :func:`krippendorff_alpha` knows, each with its distance function.
LEVELS = ("nominal", "ordinal", "interval")


def _as_table(values, name: str) -> np.ndarray:
    """A 2-D float array from a DataFrame or array-like, refusing text and infinite values."""
    if isinstance(values, pd.DataFrame):
        non_numeric = [str(c) for c in values.columns if not pd.api.types.is_numeric_dtype(values[c])]
        if non_numeric:
            raise ValueError(f"{name} must be numeric; non-numeric columns: {non_numeric[:5]}")
        array = values.to_numpy(dtype=float)
    else:
        try:
            array = np.asarray(values, dtype=float)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{name} must be a numeric table; {error}") from None
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-dimensional; got {array.ndim} dimension(s)")
    if np.isinf(array).any():
        raise ValueError(f"{name} must be finite (NaN marks a missing value); it holds infinite values")
    return array


def coincidences(ratings) -> tuple[np.ndarray, np.ndarray]:
    r"""Krippendorff's coincidence matrix of a units x raters table.

    .. math:: o_{ck} = \sum_u \frac{\text{number of } c\text{-}k \text{ pairs in unit } u}{m_u - 1}

    where :math:`m_u` is the number of values in unit :math:`u`; units with fewer than two
    values are not pairable and contribute nothing. Pairs are ordered, so the matrix is
    symmetric and its total is the number of pairable values :math:`n_{..}`.

    Parameters
    ----------
    ratings : DataFrame or 2-D array
        Units as rows, raters as columns, NaN where a rater did not judge a unit.

    Returns
    -------
    values : ndarray
        The distinct values that occur in pairable units, sorted.
    matrix : ndarray
        The coincidences :math:`o_{ck}`, in the order of ``values``.
    """
    array = _as_table(ratings, "ratings")
    present = ~np.isnan(array)
    pairable = present.sum(axis=1) >= 2
    array, present = array[pairable], present[pairable]
    values = np.unique(array[present])
    if values.size == 0:
        return values, np.zeros((0, 0))
    codes = np.searchsorted(values, np.where(present, array, values[0]))
    counts = np.zeros((array.shape[0], values.size))
    rows = np.broadcast_to(np.arange(array.shape[0])[:, None], array.shape)
    np.add.at(counts, (rows[present], codes[present]), 1.0)
    weight = 1.0 / (present.sum(axis=1) - 1.0)
    matrix = (counts * weight[:, None]).T @ counts
    matrix[np.diag_indices_from(matrix)] -= (counts * weight[:, None]).sum(axis=0)
    return values, matrix


def _distances(values: np.ndarray, margins: np.ndarray, level: str) -> np.ndarray:
    """Squared distances delta^2 between the values for the level of measurement."""
    if level == "nominal":
        return 1.0 - np.eye(values.size)
    if level == "interval":
        return (values[:, None] - values[None, :]) ** 2
    # ordinal: the margins from c to k, less half of the two end points
    cumulative = np.cumsum(margins)
    low = np.minimum.outer(np.arange(values.size), np.arange(values.size))
    high = np.maximum.outer(np.arange(values.size), np.arange(values.size))
    between = cumulative[high] - np.where(low > 0, cumulative[low - 1], 0.0)
    return (between - (margins[:, None] + margins[None, :]) / 2.0) ** 2


def krippendorff_alpha(ratings, level: str = "nominal") -> float:
    r"""Krippendorff's alpha of a units x raters table, from its coincidence matrix.

    .. math::

        \alpha = 1 - \frac{D_o}{D_e}
               = 1 - (n_{..} - 1)\,
                 \frac{\sum_c \sum_k o_{ck}\, \delta^2_{ck}}{\sum_c \sum_k n_c\, n_k\, \delta^2_{ck}}

    with :math:`o_{ck}` the coincidences (:func:`coincidences`), :math:`n_c = \sum_k o_{ck}`
    the pairable values equal to :math:`c` and :math:`n_{..}` their total. The squared
    distance :math:`\delta^2_{ck}` depends on ``level``:

    * nominal: 0 when :math:`c = k`, else 1;
    * ordinal: :math:`\bigl(\sum_{g=c}^{k} n_g - (n_c + n_k)/2\bigr)^2` (values ranked, the
      distance counts the pairable values between them);
    * interval: :math:`(c - k)^2`.

    Raters need not judge every unit; units with fewer than two values are left out, as
    Krippendorff prescribes. Alpha is 1 for perfect agreement, 0 when agreement is what
    chance would give, and negative for systematic disagreement.

    Parameters
    ----------
    ratings : DataFrame or 2-D array
        Units (e.g. vignettes) as rows, raters as columns; NaN where a rater did not judge a
        unit. Values are numeric codes (categories for ``"nominal"``, ranks for
        ``"ordinal"``).
    level : {"nominal", "ordinal", "interval"}
        Level of measurement of the values.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For a ``level`` that is not one of :data:`LEVELS`, for non-numeric or infinite
        values, for fewer than two pairable values, and when every pairable value is the same
        (no variation: the expected disagreement is 0 and alpha is undefined).

    References
    ----------
    Krippendorff, K. (2011). *Computing Krippendorff's alpha-reliability*. Annenberg School
    for Communication, University of Pennsylvania. https://repository.upenn.edu/asc_papers/43

    Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a standard reliability
    measure for coding data. *Communication Methods and Measures, 1*, 77-89.

    Examples
    --------
    >>> import numpy as np
    >>> ratings = np.array([[1, 1, np.nan], [2, 2, 3], [3, 3, 3], [1, 2, 1]])
    >>> round(krippendorff_alpha(ratings, level="ordinal"), 3)
    0.62
    """
    check_choice(level, "level", LEVELS)
    values, observed = coincidences(ratings)
    total = observed.sum()
    if total < 2:
        raise ValueError(
            "ratings need at least two pairable values (a unit judged by two raters or more); "
            f"got {int(total)}"
        )
    margins = observed.sum(axis=1)
    delta = _distances(values, margins, level)
    expected = (np.outer(margins, margins) * delta).sum()
    if expected <= 0:
        raise ValueError(
            "ratings hold a single value in every pairable unit (no variation), so alpha is undefined"
        )
    return float(1.0 - (total - 1.0) * (observed * delta).sum() / expected)


def fleiss_kappa(counts) -> float:
    r"""Fleiss' kappa for a fixed number of raters per unit, from a units x categories table.

    With :math:`N` units, :math:`n` raters per unit and :math:`n_{ij}` raters putting unit
    :math:`i` into category :math:`j`:

    .. math::

        P_i = \frac{\sum_j n_{ij}^2 - n}{n (n - 1)}, \quad
        \bar P = \frac{1}{N} \sum_i P_i, \quad
        p_j = \frac{1}{N n} \sum_i n_{ij}, \quad
        \bar P_e = \sum_j p_j^2, \quad
        \kappa = \frac{\bar P - \bar P_e}{1 - \bar P_e}

    The raters need not be the same people on every unit, but there must be as many on each.

    Parameters
    ----------
    counts : DataFrame or 2-D array
        Units as rows, categories as columns, each cell the number of raters who chose that
        category for that unit (as ``statsmodels.stats.inter_rater.fleiss_kappa`` takes it).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For non-numeric, negative, fractional or missing counts, a table without units or
        with fewer than two categories, units with unequal numbers of raters (name the
        first two), fewer than two raters per unit, and when every rating falls into one
        category (the chance agreement is 1 and kappa is undefined).

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
    *Psychological Bulletin, 76*, 378-382.

    Examples
    --------
    >>> round(fleiss_kappa([[3, 0], [0, 3], [2, 1]]), 3)
    0.55
    """
    table = _as_table(counts, "counts")
    if np.isnan(table).any():
        raise ValueError("counts must not be missing (NaN); a category no rater chose counts 0")
    if (table < 0).any() or (table != np.round(table)).any():
        raise ValueError("counts must be whole numbers of raters, 0 or more")
    units, categories = table.shape
    if units < 1 or categories < 2:
        raise ValueError(f"counts needs at least one unit and two categories; got {units} x {categories}")
    raters = table.sum(axis=1)
    if (raters != raters[0]).any():
        other = int(np.flatnonzero(raters != raters[0])[0])
        raise ValueError(
            "counts must have the same number of raters on every unit (Fleiss' kappa assumes it); "
            f"unit 0 has {int(raters[0])}, unit {other} has {int(raters[other])}"
        )
    n = raters[0]
    if n < 2:
        raise ValueError(f"counts needs at least two raters per unit; got {int(n)}")
    p_unit = ((table**2).sum(axis=1) - n) / (n * (n - 1.0))
    p_category = table.sum(axis=0) / (units * n)
    chance = float((p_category**2).sum())
    if chance >= 1.0:
        raise ValueError("every rating in counts falls into one category, so kappa is undefined")
    return float((p_unit.mean() - chance) / (1.0 - chance))

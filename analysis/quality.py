"""Careless responding: answers given without reading the questions.

Three standard indices per respondent (Curran, 2016; Meade & Craig, 2012), each with a
flag at a cut-off taken from that literature, and an overall flag when any fires:

* **longstring**: the longest run of identical consecutive answers (straightlining).
* **IRV**, intra-individual response variability: the SD of a respondent's answers
  across the items (Dunn, Heggestad, Shanock & Theilgard, 2018). Zero on a long
  scale means the same answer everywhere.
* **Mahalanobis D²**: how far a response pattern lies from the sample's multivariate
  centre; under multivariate normality D² follows chi-square with as many degrees of
  freedom as items, and p < .001 is the usual outlier criterion (Tabachnick & Fidell,
  2013; used for careless responding by Meade & Craig, 2012).

The flags are screening aids for a consultant to look at, not verdicts: a respondent who
truly agrees with everything also straightlines.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import linalg, special

from ._validation import as_items, check_int

__all__ = ["careless", "irv", "longstring", "mahalanobis"]


def longstring(items) -> pd.Series:
    """Longest run of identical consecutive answers per respondent.

    Items are taken in column order, which should be the order of presentation. A
    missing answer ends a run and starts none (as R's ``rle`` treats ``NA``, except that
    a respondent with no answer gets NaN here rather than 1).

    Parameters
    ----------
    items : DataFrame
        Answers, rows = respondents, columns = items in the order shown (NaN = missing).

    Returns
    -------
    Series
        Longest run length per respondent (float, NaN when nothing was answered).
    """
    frame = as_items(items, "items", min_rows=1)
    answers = frame.to_numpy()
    answered = ~np.isnan(answers)
    run = answered[:, 0].astype(np.int64)
    longest = run.copy()
    # A loop over items (tens), each step vectorised over all respondents.
    for column in range(1, answers.shape[1]):
        same = answers[:, column] == answers[:, column - 1]
        run = np.where(same, run + 1, answered[:, column].astype(np.int64))
        np.maximum(longest, run, out=longest)
    result = longest.astype(float)
    result[~answered.any(axis=1)] = np.nan
    return pd.Series(result, index=frame.index, name="longstring")


def _row_sd(answers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row SD over valid answers (denominator n - 1) and the number of valid answers."""
    answered = ~np.isnan(answers)
    count = answered.sum(axis=1)
    filled = np.where(answered, answers, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = filled.sum(axis=1) / count
        squares = np.where(answered, (answers - mean[:, None]) ** 2, 0.0).sum(axis=1)
        sd = np.where(count > 1, np.sqrt(squares / (count - 1)), np.nan)
    return sd, count


def irv(items) -> pd.Series:
    r"""Intra-individual response variability: each respondent's SD across items.

    .. math:: IRV_i = \sqrt{\frac{1}{J_i - 1} \sum_{j} (x_{ij} - \bar x_i)^2}

    over the :math:`J_i` items respondent ``i`` answered (as R's ``sd(x, na.rm = TRUE)``);
    NaN with fewer than two answers. Reverse-keyed items should be left unreversed, so
    that straightlining shows as zero variability (Dunn et al., 2018).

    References
    ----------
    Dunn, A. M., Heggestad, E. D., Shanock, L. R., & Theilgard, N. (2018). Intra-individual
    response variability as an indicator of insufficient effort responding. *Journal of
    Business and Psychology, 33*, 105-121.
    """
    frame = as_items(items, "items", min_rows=1)
    sd, _ = _row_sd(frame.to_numpy())
    return pd.Series(sd, index=frame.index, name="irv")


def mahalanobis(items) -> pd.DataFrame:
    r"""Mahalanobis distance of each response pattern from the sample centre.

    .. math:: D_i^2 = (x_i - \bar x)^\top S^{-1} (x_i - \bar x), \qquad
              p_i = P(\chi^2_J > D_i^2)

    with :math:`\bar x` and :math:`S` (denominator n - 1) from the respondents who
    answered every item, as R's ``mahalanobis(x, colMeans(x), cov(x))`` on complete
    cases. Respondents with a missing answer get NaN. If the covariance matrix is
    singular (a constant item, fewer complete respondents than items) every D² is NaN.

    Returns
    -------
    DataFrame
        Columns ``mahalanobis`` (D²) and ``mahalanobis_p``.
    """
    frame = as_items(items, "items", min_rows=1)
    answers = frame.to_numpy()
    complete = ~np.isnan(answers).any(axis=1)
    n_items = answers.shape[1]
    distance = np.full(len(answers), np.nan)
    if complete.sum() > n_items:
        block = answers[complete]
        centred = block - block.mean(axis=0)
        covariance = centred.T @ centred / (len(block) - 1)
        try:
            factor = linalg.cholesky(covariance, lower=True)
        except linalg.LinAlgError:
            factor = None
        if factor is not None:
            # D^2 = |L^-1 (x - mean)|^2 with S = L L^T: no explicit inverse.
            whitened = linalg.solve_triangular(factor, centred.T, lower=True)
            distance[complete] = np.einsum("ij,ij->j", whitened, whitened)
    p = special.chdtrc(n_items, distance)
    return pd.DataFrame({"mahalanobis": distance, "mahalanobis_p": p}, index=frame.index)


def careless(
    items,
    *,
    longstring_min: int | None = None,
    irv_max: float = 0.0,
    irv_min_items: int = 10,
    mahalanobis_alpha: float = 0.001,
) -> pd.DataFrame:
    """Careless-responding indices and flags per respondent.

    Cut-offs (defaults), from the literature:

    * ``flag_longstring``: longstring >= ``longstring_min``, by default half the number
      of items rounded up. Curran (2016) gives "a run as long as half the scale or
      more" as a conservative rule of thumb; Johnson (2005) derived item-specific
      cut-offs from the distribution of runs.
    * ``flag_irv``: IRV <= ``irv_max`` (default 0: the same answer to every item) on at
      least ``irv_min_items`` answered items (default 10), because on a short scale an
      identical answer everywhere can be sincere (Dunn et al., 2018, discuss low IRV as
      the signature of straightlining).
    * ``flag_mahalanobis``: chi-square p of D² below ``mahalanobis_alpha`` (default
      .001; Tabachnick & Fidell, 2013; Meade & Craig, 2012).
    * ``careless``: any of the three.

    Parameters
    ----------
    items : DataFrame
        Raw answers (reverse-keyed items *not* reversed), rows = respondents, columns =
        items in the order shown; NaN = missing.
    longstring_min : int, optional
        Run length that raises the longstring flag (at least 2).
    irv_max : float
        IRV at or below which the IRV flag is raised (at least 0).
    irv_min_items : int
        Answered items needed before the IRV flag can be raised (at least 2).
    mahalanobis_alpha : float
        Chi-square p-value below which the Mahalanobis flag is raised (0 < alpha < 1).

    Returns
    -------
    DataFrame
        Index of ``items``; columns ``n_answered, longstring, irv, mahalanobis,
        mahalanobis_p, flag_longstring, flag_irv, flag_mahalanobis, careless``.

    References
    ----------
    Curran, P. G. (2016). Methods for the detection of carelessly invalid responses in
    survey data. *Journal of Experimental Social Psychology, 66*, 4-19.
    Dunn, A. M., et al. (2018), see :func:`irv`.
    Johnson, J. A. (2005). Ascertaining the validity of individual protocols from
    web-based personality inventories. *Journal of Research in Personality, 39*, 103-129.
    Meade, A. W., & Craig, S. B. (2012). Identifying careless responses in survey data.
    *Psychological Methods, 17*, 437-455.
    Tabachnick, B. G., & Fidell, L. S. (2013). *Using multivariate statistics* (6th ed.). Pearson.
    """
    frame = as_items(items, "items", min_columns=2, min_rows=2)
    n_items = frame.shape[1]
    if longstring_min is None:
        longstring_min = math.ceil(n_items / 2)
    longstring_min = check_int(longstring_min, "longstring_min", minimum=2)
    irv_min_items = check_int(irv_min_items, "irv_min_items", minimum=2)
    if not (isinstance(irv_max, int | float) and irv_max >= 0):
        raise ValueError(f"irv_max must be a number >= 0; got {irv_max!r}")
    if not (isinstance(mahalanobis_alpha, int | float) and 0 < mahalanobis_alpha < 1):
        raise ValueError(f"mahalanobis_alpha must lie strictly between 0 and 1; got {mahalanobis_alpha!r}")

    runs = longstring(frame)
    sd, count = _row_sd(frame.to_numpy())
    distance = mahalanobis(frame)
    table = pd.DataFrame(
        {
            "n_answered": count,
            "longstring": runs.to_numpy(),
            "irv": sd,
            "mahalanobis": distance["mahalanobis"].to_numpy(),
            "mahalanobis_p": distance["mahalanobis_p"].to_numpy(),
        },
        index=frame.index,
    )
    table["flag_longstring"] = (table["longstring"] >= longstring_min).to_numpy()
    table["flag_irv"] = ((table["irv"] <= irv_max) & (table["n_answered"] >= irv_min_items)).to_numpy()
    table["flag_mahalanobis"] = (table["mahalanobis_p"] < mahalanobis_alpha).to_numpy()
    table["careless"] = table[["flag_longstring", "flag_irv", "flag_mahalanobis"]].any(axis=1)
    return table

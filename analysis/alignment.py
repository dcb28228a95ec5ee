"""How close two teams are across all dimensions: profile similarity and the alignment index.

Both work for one pair of teams (two tables of members' dimension scores) and for all
pairs at once from the long table of :func:`analysis.perception_gaps`, which already
holds every pair's means and standardised differences, so nothing is recomputed per pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from ._validation import check_choice
from .gaps import _gap_arrays

__all__ = ["ProfileSimilarity", "alignment_index", "overlap", "profile_similarity"]

_PAIR_COLUMNS = ("team_a", "team_b", "dimension")


@dataclass(frozen=True)
class ProfileSimilarity:
    """Similarity of two teams' mean profiles (see :func:`profile_similarity`)."""

    #: Pearson correlation of the two mean profiles across dimensions (shape).
    correlation: float
    #: Euclidean distance of the profiles in pooled-SD units, sqrt(sum d_k^2) (level and shape).
    distance: float
    #: Dimensions that entered (both teams have a mean and a pooled SD).
    n_dimensions: int


def overlap(effect):
    r"""Overlapping coefficient of two normal distributions with equal SD, ``delta`` apart.

    .. math:: OVL(\delta) = 2\, \Phi(-|\delta| / 2)

    1 when the distributions coincide, 0.62 at one SD apart, 0.32 at two (Inman &
    Bradley, 1989). Vectorised; NaN stays NaN.

    References
    ----------
    Inman, H. F., & Bradley, E. L. (1989). The overlapping coefficient as a measure of
    agreement between probability distributions and point estimation of the overlap of
    two normal densities. *Communications in Statistics - Theory and Methods, 18*, 3851-3874.
    """
    return 2 * special.ndtr(-np.abs(np.asarray(effect, dtype=float)) / 2)


def _check_scores(frame, name: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(
            f"{name} must be a DataFrame of dimension scores (members x dimensions); "
            f"got {type(frame).__name__}"
        )
    non_numeric = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if non_numeric:
        raise ValueError(f"{name} must be numeric; non-numeric columns: {non_numeric[:5]}")
    return frame.astype(float)


def _check_gap_table(table: pd.DataFrame, needed: tuple[str, ...]) -> None:
    missing = [c for c in (*_PAIR_COLUMNS, *needed) if c not in table.columns]
    if missing:
        raise ValueError(f"the gap table must come from perception_gaps; missing columns: {missing}")


def _per_dimension_effects(a: pd.DataFrame, b: pd.DataFrame) -> dict[str, np.ndarray]:
    """Means and d / g of two teams on their common dimensions (the formulas of ``gap``)."""
    a = _check_scores(a, "a")
    b = _check_scores(b, "b")
    common = [c for c in a.columns if c in b.columns]
    if not common:
        raise ValueError("a and b must share at least one dimension column")
    a, b = a[common], b[common]
    statistics = _gap_arrays(
        a.count().to_numpy(), a.mean().to_numpy(), a.var(ddof=1).to_numpy(),
        b.count().to_numpy(), b.mean().to_numpy(), b.var(ddof=1).to_numpy(),
    )  # fmt: skip
    statistics["mean_a"] = a.mean().to_numpy()
    statistics["mean_b"] = b.mean().to_numpy()
    return statistics


def _correlation_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row of ``x`` with the same row of ``y`` (NaN-free rows)."""
    x = x - x.mean(axis=1, keepdims=True)
    y = y - y.mean(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (x * y).sum(axis=1) / np.sqrt((x * x).sum(axis=1) * (y * y).sum(axis=1))


def profile_similarity(a, b=None):
    r"""Profile correlation and standardised distance of two teams' mean profiles.

    For dimensions :math:`k = 1..K` with team means :math:`\bar a_k, \bar b_k` and
    Cohen's :math:`d_k = (\bar a_k - \bar b_k) / s_{p,k}` (pooled within-team SD, as in
    :func:`analysis.gap`):

    * ``correlation`` = Pearson :math:`r(\bar a_\cdot, \bar b_\cdot)` across dimensions:
      do the teams rank the dimensions alike (shape), whatever their level?
    * ``distance`` = :math:`\sqrt{\sum_k d_k^2}`, the Euclidean distance after dividing
      each dimension by its pooled within-team SD, so dimensions on different scales
      weigh alike and the unit is "SDs of people" (level and shape together; Cronbach &
      Gleser, 1953, on profile distance).

    Parameters
    ----------
    a : DataFrame
        Either one team's members' dimension scores (rows = members, columns =
        dimensions), with ``b`` the other team's; or, with ``b=None``, the table of
        :func:`analysis.perception_gaps` (all pairs at once).
    b : DataFrame, optional
        The second team's scores. Only dimensions in both tables are used.

    Returns
    -------
    ProfileSimilarity or DataFrame
        For one pair: ``correlation``, ``distance``, ``n_dimensions``. For a gap table:
        one row per pair with columns ``team_a, team_b, correlation, distance,
        n_dimensions``; a pair's dimensions with a missing ``d`` are left out, and its
        correlation is NaN with fewer than three dimensions.

    References
    ----------
    Cronbach, L. J., & Gleser, G. C. (1953). Assessing similarity between profiles.
    *Psychological Bulletin, 50*, 456-473.
    """
    if b is None:
        return _profile_similarity_table(a)
    statistics = _per_dimension_effects(a, b)
    usable = ~np.isnan(statistics["d"])
    n = int(usable.sum())
    distance = float(np.sqrt(np.sum(statistics["d"][usable] ** 2))) if n else np.nan
    correlation = np.nan
    if n >= 3:
        correlation = float(
            _correlation_rows(statistics["mean_a"][usable][None, :], statistics["mean_b"][usable][None, :])[0]
        )
    return ProfileSimilarity(correlation=correlation, distance=distance, n_dimensions=n)


def _pair_groups(table: pd.DataFrame):
    """Integer code per (team_a, team_b) pair, in order of first appearance, and the pair labels."""
    # Factorising each column and then the combined integer is much faster than
    # factorising a MultiIndex of strings.
    codes_a, labels_a = pd.factorize(table["team_a"])
    codes_b, labels_b = pd.factorize(table["team_b"])
    codes, combined = pd.factorize(codes_a.astype(np.int64) * len(labels_b) + codes_b)
    pairs = pd.MultiIndex.from_arrays(
        [labels_a.take(combined // len(labels_b)), labels_b.take(combined % len(labels_b))]
    )
    return codes, pairs


def _profile_similarity_table(table) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"a must be a DataFrame; got {type(table).__name__}")
    _check_gap_table(table, ("mean_a", "mean_b", "d"))
    usable = table["d"].notna().to_numpy()
    table = table.loc[usable]
    codes, pairs = _pair_groups(table)
    n_pairs = len(pairs)
    d = table["d"].to_numpy(dtype=float)
    n = np.bincount(codes, minlength=n_pairs)
    distance = np.sqrt(np.bincount(codes, weights=d * d, minlength=n_pairs))
    # Correlation from per-pair sums (one pass, no loop over pairs).
    x, y = table["mean_a"].to_numpy(dtype=float), table["mean_b"].to_numpy(dtype=float)

    def total(values):
        return np.bincount(codes, weights=values, minlength=n_pairs)

    with np.errstate(divide="ignore", invalid="ignore"):
        mean_x, mean_y = total(x) / n, total(y) / n
        dx, dy = x - mean_x[codes], y - mean_y[codes]
        correlation = total(dx * dy) / np.sqrt(total(dx * dx) * total(dy * dy))
    correlation[n < 3] = np.nan
    return pd.DataFrame(
        {
            "team_a": pairs.get_level_values(0),
            "team_b": pairs.get_level_values(1),
            "correlation": correlation,
            "distance": np.where(n > 0, distance, np.nan),
            "n_dimensions": n,
        }
    )


def alignment_index(gaps, b=None, *, effect: str = "g"):
    r"""Alignment index: 0-100 summary of how close two teams are across dimensions.

    .. math:: AI = \frac{100}{K} \sum_{k=1}^{K} 2\, \Phi\!\left(-\frac{|\delta_k|}{2}\right)

    the mean over the ``K`` dimensions of the overlapping coefficient (:func:`overlap`)
    of two normal distributions ``|delta_k|`` standard deviations apart, where
    ``delta_k`` is the teams' standardised difference (Hedges' g by default).

    Why this form: it is bounded (0-100), symmetric in the two teams, free of the
    answer scale, and it reads directly: 100 = the teams' score distributions are
    indistinguishable, 92 = a fifth of an SD apart on average (a small difference),
    80 = half an SD, 62 = one SD, 32 = two SDs. Averaging overlaps rather than ``|d|``
    keeps one extreme dimension from dominating. ``g`` is the default because it corrects
    d's upward bias in small teams.

    Parameters
    ----------
    gaps : DataFrame or array-like
        One of:

        * the table of :func:`analysis.perception_gaps` (``b=None``): the index of every
          pair in it, vectorised;
        * one team's members' dimension scores, with ``b`` the other team's;
        * a 1-D sequence of standardised differences of one pair (``b=None``).
    b : DataFrame, optional
        The second team's dimension scores (only dimensions in both tables are used).
    effect : {"g", "d"}
        Which standardised difference to use: Hedges' g or Cohen's d.

    Returns
    -------
    float or DataFrame
        For one pair a float (NaN if no dimension has an effect size). For a gap table
        a DataFrame with ``team_a, team_b, alignment, n_dimensions``, one row per pair in
        the table's order; dimensions with a missing effect size are skipped.

    References
    ----------
    Inman, H. F., & Bradley, E. L. (1989), see :func:`overlap`.

    Examples
    --------
    >>> round(alignment_index([0.0, 1.0]), 1)     # one dimension equal, one 1 SD apart
    80.9
    """
    check_choice(effect, "effect", ("g", "d"))
    if b is not None:
        effects = _per_dimension_effects(gaps, b)[effect]
        return _mean_overlap(effects)
    if isinstance(gaps, pd.DataFrame):
        return _alignment_table(gaps, effect)
    if isinstance(gaps, pd.Series) or np.ndim(gaps) == 1:
        return _mean_overlap(np.asarray(gaps, dtype=float))
    raise ValueError(
        "gaps must be a perception_gaps table, a 1-D sequence of effect sizes, or a DataFrame of scores "
        f"with b; got {type(gaps).__name__}"
    )


def _mean_overlap(effects: np.ndarray) -> float:
    effects = effects[~np.isnan(effects)]
    if effects.size == 0:
        return float("nan")
    return float(100 * overlap(effects).mean())


def _alignment_table(table: pd.DataFrame, effect: str) -> pd.DataFrame:
    _check_gap_table(table, (effect,))
    table = table.loc[table[effect].notna().to_numpy()]
    codes, pairs = _pair_groups(table)
    n = np.bincount(codes, minlength=len(pairs))
    total = np.bincount(codes, weights=overlap(table[effect].to_numpy(dtype=float)), minlength=len(pairs))
    return pd.DataFrame(
        {
            "team_a": pairs.get_level_values(0),
            "team_b": pairs.get_level_values(1),
            "alignment": 100 * total / n,
            "n_dimensions": n,
        }
    )

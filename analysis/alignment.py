"""How close two teams are across all dimensions: profile similarity and the alignment index.

Both work for one pair of teams (two tables of members' dimension scores) and for all
pairs at once from the long table of :func:`analysis.perception_gaps`, which already
holds every pair's means and standardised differences, so nothing is recomputed per pair.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from ._validation import check_choice, check_int
from .gaps import _gap_arrays

__all__ = [
    "AlignmentEstimate",
    "ProfileSimilarity",
    "alignment_estimate",
    "alignment_index",
    "overlap",
    "profile_similarity",
]

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


# --------------------------------------------------------------------------- estimate and interval


@dataclass(frozen=True)
class AlignmentEstimate:
    """Bias-corrected alignment index of two teams and its interval (see :func:`alignment_estimate`)."""

    #: Median-unbiased alignment index (0-100): the true index lies above it about as often as below.
    alignment: float
    #: Confidence interval of the index; always contains ``alignment``.
    ci_low: float
    ci_high: float
    #: Confidence level of the interval.
    confidence: float
    #: The plug-in index ``100 * mean_k OVL(g_k)`` (biased low when the teams are close).
    uncorrected: float
    #: The index of the positive-part estimates of ``|delta_k|``: the test statistic that the
    #: interval and ``alignment`` are built from (mean-biased near 100 and for small gaps).
    positive_part: float
    #: p-value of the test of equal mean profiles (Hotelling's T², or Bonferroni-combined Welch
    #: tests when T² cannot be computed), reported beside the interval (it does not set it).
    p_equal_profiles: float
    #: Which test gave ``p_equal_profiles``: ``"hotelling"`` or ``"bonferroni"``.
    profile_test: str
    #: Respondents in each table and dimensions used.
    n_a: int
    n_b: int
    n_dimensions: int
    #: Estimates simulated from the fitted sampling model at the corrected effects (parametric
    #: bootstrap replicates of ``alignment``).
    replicates: np.ndarray = field(repr=False, compare=False)
    #: Candidate true indices and the simulated tail probabilities of the estimate at each,
    #: kept so that the interval can be read at another level (:meth:`interval`) at once.
    candidates: np.ndarray = field(repr=False, compare=False)
    above: np.ndarray = field(repr=False, compare=False)
    below: np.ndarray = field(repr=False, compare=False)
    atom: np.ndarray = field(repr=False, compare=False)
    #: Share (0-1) of the upper tail's alpha / 2 spent at each candidate: 0 at 100, rising to 1
    #: over the estimate's sampling spread under complete alignment (see :func:`alignment_estimate`).
    upper_share: np.ndarray = field(repr=False, compare=False)

    def __setstate__(self, state: dict) -> None:
        # Estimates pickled in releases before ``positive_part`` existed reported that
        # statistic as ``alignment``; those before ``upper_share`` split alpha equally.
        state = dict(state)
        state.setdefault("positive_part", state.get("alignment"))
        if "upper_share" not in state and state.get("candidates") is not None:
            state["upper_share"] = np.ones_like(np.asarray(state["candidates"], dtype=float))
        self.__dict__.update(state)

    def change_since(
        self, earlier: AlignmentEstimate, confidence: float = 0.95
    ) -> tuple[float, float, float, float]:
        r"""Change of the index since ``earlier`` (an independent sample), its interval and p-value.

        The interval is Zou & Donner's (2008) MOVER for a difference of two independent
        estimates, built from the two intervals :math:`[l_1, u_1]` (earlier) and
        :math:`[l_2, u_2]` (this one):

        .. math::

            \Delta = \hat\theta_2 - \hat\theta_1, \quad
            L = \Delta - \sqrt{(\hat\theta_2 - l_2)^2 + (u_1 - \hat\theta_1)^2}, \quad
            U = \Delta + \sqrt{(u_2 - \hat\theta_2)^2 + (\hat\theta_1 - l_1)^2}

        so it contains :math:`\Delta` and inherits each wave's handling of the boundary at
        100. The p-value is the smallest :math:`\alpha` at which the :math:`1 - \alpha`
        interval excludes 0 (found by bisection on the same replicates, floored at one over
        the number of replicates), so ``p < 1 - confidence`` exactly when 0 lies outside.

        Returns
        -------
        tuple of float
            ``(change, ci_low, ci_high, p)``.

        References
        ----------
        Zou, G. Y., & Donner, A. (2008). Construction of confidence limits about effect
        measures: A general approach. *Statistics in Medicine, 27*, 1693-1702.
        """
        if not isinstance(earlier, AlignmentEstimate):
            raise ValueError(f"earlier must be an AlignmentEstimate; got {type(earlier).__name__}")
        confidence = _check_confidence(confidence)
        change = self.alignment - earlier.alignment

        def limits(level):
            low_2, high_2 = self.interval(level)
            low_1, high_1 = earlier.interval(level)
            low = change - np.hypot(self.alignment - low_2, high_1 - earlier.alignment)
            high = change + np.hypot(high_2 - self.alignment, earlier.alignment - low_1)
            return float(low), float(high)

        def excludes_zero(alpha):
            low, high = limits(1 - alpha)
            return low > 0 or high < 0

        floor = 1 / min(self.replicates.size, earlier.replicates.size)
        if change == 0 or not excludes_zero(1 - floor):
            p = 1.0
        elif excludes_zero(floor):
            p = floor
        else:
            inside, outside = floor, 1 - floor  # 0 is inside the interval at `inside`, outside at `outside`
            for _ in range(50):
                middle = (inside + outside) / 2
                inside, outside = (inside, middle) if excludes_zero(middle) else (middle, outside)
            p = outside
        low, high = limits(confidence)
        return float(change), low, high, float(p)

    def interval(self, confidence: float) -> tuple[float, float]:
        """The interval at another ``confidence`` level, from the same replicates."""
        confidence = _check_confidence(confidence)
        return _inverted_interval(
            self.alignment, self.candidates, self.above, self.below, self.atom, confidence, self.upper_share
        )


def _check_confidence(confidence) -> float:
    if isinstance(confidence, bool) or not isinstance(confidence, int | float | np.floating):
        raise ValueError(f"confidence must be a number strictly between 0 and 1; got {confidence!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1; got {confidence!r}")
    return float(confidence)


def _score_table(frame, name: str) -> pd.DataFrame:
    frame = _check_scores(frame, name)
    infinite = np.isinf(frame.to_numpy())
    if infinite.any():
        columns = [str(frame.columns[i]) for i in np.flatnonzero(infinite.any(axis=0))[:5]]
        raise ValueError(f"{name} must be finite (NaN marks a missing score); infinite values in {columns}")
    return frame


def _corrected_effect(count_a, mean_a, var_a, count_b, mean_b, var_b, noise=None) -> np.ndarray:
    r"""Positive-part estimate of :math:`|\delta|` per dimension, elementwise over any shape.

    Under normality :math:`E[d^2] = \frac{\nu}{\nu - 2}\,(\delta^2 + 1/n_a + 1/n_b)` with
    :math:`\nu = n_a + n_b - 2`, so :math:`\frac{\nu - 2}{\nu} d^2 - 1/n_a - 1/n_b` is unbiased
    for :math:`\delta^2`; its positive part's square root estimates :math:`|\delta|`. ``noise``
    replaces :math:`1/n_a + 1/n_b` (the variance of the mean difference in units of the pooled
    variance) when the sampling is stratified.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        df = count_a + count_b - 2
        pooled = ((count_a - 1) * var_a + (count_b - 1) * var_b) / df
        d = (mean_a - mean_b) / np.sqrt(pooled)
        return _corrected_effect_of_d(d, df, 1 / count_a + 1 / count_b if noise is None else noise)


def _corrected_effect_of_d(d, df, noise) -> np.ndarray:
    """:func:`_corrected_effect` from Cohen's d, its degrees of freedom and its noise variance."""
    with np.errstate(divide="ignore", invalid="ignore"):
        squared = (df - 2) / df * d * d - noise
    return np.sqrt(np.maximum(squared, 0.0))


def _index_of(effects: np.ndarray) -> np.ndarray:
    """100 x mean OVL over the last axis."""
    return 100 * overlap(effects).mean(axis=-1)


def _weighted_moments(values: np.ndarray, weights: np.ndarray):
    """Count, mean and variance (ddof = 1) of each column under each row of ``weights``; NaN = missing."""
    answered = ~np.isnan(values)
    filled = np.where(answered, values, 0.0)
    count = weights @ answered
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = (weights @ filled) / count
        variance = ((weights @ (filled * filled)) - count * mean**2) / (count - 1)
    return count, mean, np.maximum(variance, 0.0)


def _group_centred(values: np.ndarray, groups) -> np.ndarray:
    """``values`` minus their column means within each group (all rows one group when None)."""
    if groups is None:
        return values - np.nanmean(values, axis=0)
    centred = np.empty_like(values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a group with no answer on a column
        for group in pd.unique(groups):
            rows = groups == group
            centred[rows] = values[rows] - np.nanmean(values[rows], axis=0)
    return centred


def _pooled_correlation(centred_a: np.ndarray, centred_b: np.ndarray) -> np.ndarray:
    """Within-team correlation of the dimensions from team-centred scores (pairwise; NaN = missing)."""
    answered = np.vstack([~np.isnan(v) for v in (centred_a, centred_b)]).astype(float)
    centred = np.nan_to_num(np.vstack([centred_a, centred_b]))
    with np.errstate(divide="ignore", invalid="ignore"):
        covariance = (centred.T @ centred) / np.maximum(answered.T @ answered, 1.0)
    scale = np.sqrt(np.diag(covariance))
    correlation = np.nan_to_num(covariance / np.outer(scale, scale))
    np.fill_diagonal(correlation, 1.0)
    values, vectors = np.linalg.eigh(correlation)  # pairwise estimates need not be positive definite
    correlation = (vectors * np.maximum(values, 1e-6)) @ vectors.T
    scale = np.sqrt(np.diag(correlation))
    return correlation / np.outer(scale, scale)


def _sampling_draws(correlation: np.ndarray, df: int, replicates: int, rng: np.random.Generator):
    """Standard normal mean differences and pooled-SD ratios of ``replicates`` simulated samples.

    The mean-difference vector is :math:`N(0, R)`; the pooled covariance is Wishart
    :math:`W(R, \\nu)/\\nu`, of which only the diagonal (the SDs) is kept, drawn with
    Bartlett's decomposition when :math:`\\nu \\ge K` and as a sum of :math:`\\nu` outer
    products otherwise.
    """
    k = len(correlation)
    root = np.linalg.cholesky(correlation)
    normal = rng.standard_normal((replicates, k)) @ root.T
    if df >= k:
        bartlett = np.zeros((replicates, k, k))
        below = np.tril_indices(k, -1)
        bartlett[:, below[0], below[1]] = rng.standard_normal((replicates, below[0].size))
        bartlett[:, np.arange(k), np.arange(k)] = np.sqrt(
            rng.chisquare(df - np.arange(k), size=(replicates, k))
        )
        product = root @ bartlett
        variance = (product * product).sum(axis=2) / df
    else:
        rows = rng.standard_normal((replicates, df, k)) @ root.T
        variance = (rows * rows).sum(axis=1) / df
    return normal, np.sqrt(variance)


def _path_grid(direction: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Multipliers ``c`` with ``index(c * direction) = target`` for each target (index decreasing in c)."""
    top = 50.0 / np.abs(direction).max()
    scales = np.concatenate([[0.0], np.geomspace(top * 1e-6, top, 4000)])
    index = _index_of(np.abs(scales[:, None] * direction))
    return np.interp(-targets, -index, scales)


def _simulated_estimates(direction, scales, normal, sd, df, noise) -> np.ndarray:
    """The corrected index of samples drawn at ``delta = c * direction`` for each multiplier c."""
    d = (scales[:, None, None] * direction + np.sqrt(noise) * normal) / sd
    return _index_of(_corrected_effect_of_d(d, df, noise))


_TIE = 1e-9
_GRID = 120


def _tail_curves(d, df, noise, estimate, correlation, replicates, rng):
    """Candidate true indices and, at each, the simulated tail probabilities of the estimate.

    Returns ``(grid, above, below, atom, upper_share, bootstrap)``: ``above`` is
    P(estimate >= observed) along the flat path, ``atom`` P(estimate = 100) there, ``below``
    P(estimate <= observed) along the path through the corrected estimates, ``upper_share``
    the share of alpha / 2 the upper-tail test spends at each candidate (0 at 100, 1 from
    ``100 - w`` on, with ``w`` the distance from 100 of the estimate's 5 % quantile under
    complete alignment), ``bootstrap`` the simulated estimates at the corrected estimates
    themselves.
    """
    se = np.sqrt(noise)
    sign = np.where(d < 0, -1.0, 1.0)
    normal, sd = _sampling_draws(correlation, int(round(float(np.mean(df)))), replicates, rng)
    lowest = float(_index_of(np.abs(d) + 5 * se))
    grid = np.linspace(100.0, lowest, _GRID)
    flat = sign
    fitted = sign * np.maximum(_corrected_effect_of_d(d, df, noise), 0.01 * se)
    flat_draws = _simulated_estimates(flat, _path_grid(flat, grid), normal, sd, df, noise)
    fitted_scales = np.append(_path_grid(fitted, grid), 1.0)
    fitted_draws = _simulated_estimates(fitted, fitted_scales, normal, sd, df, noise)
    above = np.mean(flat_draws >= estimate - _TIE, axis=1)
    atom = np.mean(flat_draws >= 100 - _TIE, axis=1)
    below = np.mean(fitted_draws[:-1] <= estimate + _TIE, axis=1)
    spread = 100.0 - float(np.quantile(flat_draws[0], 0.05))  # grid[0] is complete alignment
    upper_share = np.clip((100.0 - grid) / max(spread, 1e-6), 0.0, 1.0)
    return grid, above, below, atom, upper_share, fitted_draws[-1]


def _inverted_interval(
    estimate, grid, above, below, atom, confidence, upper_share=None
) -> tuple[float, float]:
    """The candidate indices that neither tail test rejects, widened to contain ``estimate``."""
    alpha = 1 - confidence
    # The upper-tail test spends a share of alpha / 2 that grows from 0 at complete alignment
    # (no true index lies above 100, so a high estimate speaks for 100, not against it) to all
    # of it one sampling spread below; the lower-tail test spends the rest of alpha. Where the
    # estimate reaches 100 more often than the upper level, the upper test cannot reject at
    # all, and the lower test gets all of alpha.
    upper_level = alpha / 2 * (np.ones_like(grid) if upper_share is None else upper_share)
    upper_level = np.where(atom > upper_level, 0.0, upper_level)
    lower_level = alpha - upper_level
    upper_margin = np.where(upper_level > 0, above - upper_level, np.inf)
    margin = np.minimum(upper_margin, below - lower_level)
    accepted = np.flatnonzero(margin > 0)
    if accepted.size == 0:
        return float(estimate), float(estimate)
    limits = []
    for inside, outside in ((accepted[0], accepted[0] - 1), (accepted[-1], accepted[-1] + 1)):
        if outside < 0 or outside >= grid.size:
            limits.append(float(grid[inside]))
            continue
        share = margin[inside] / (margin[inside] - margin[outside])
        limits.append(float(grid[inside] + share * (grid[outside] - grid[inside])))
    high, low = limits
    return min(low, estimate), max(high, estimate)


def _median_unbiased_point(grid, above, below) -> float:
    """The candidate index at which the two tail probabilities of the estimate are equal.

    ``above`` falls and ``below`` rises as the candidate falls from 100, so their difference
    changes sign once; where it is already negative at 100 (the estimate lies above its median
    under complete alignment) the point is 100.
    """
    margin = above - below
    if margin[0] <= 0:
        return 100.0
    crossed = np.flatnonzero(margin <= 0)
    if crossed.size == 0:
        return float(grid[-1])
    after = crossed[0]
    before = after - 1
    share = margin[before] / (margin[before] - margin[after])
    return float(grid[before] + share * (grid[after] - grid[before]))


def _check_groups(groups, rows: int, name: str):
    """``groups`` as an array of one label per row, or None."""
    if groups is None:
        return None
    labels = pd.Series(groups) if not isinstance(groups, pd.Series) else groups
    if len(labels) != rows:
        raise ValueError(f"{name} must hold one team label per row ({rows}); got {len(labels)}")
    if labels.isna().any():
        raise ValueError(f"{name} must label every row; {int(labels.isna().sum())} labels are missing")
    return labels.to_numpy()


#: Least within-team share of a side's variance used (teams that answer almost identically
#: inside but differ from each other would otherwise make the sampling noise vanish).
_LEAST_WITHIN_SHARE = 0.05


def _within_share(centred: np.ndarray, groups, variance: np.ndarray) -> np.ndarray:
    r"""The within-team share of each column's variance, :math:`s^2_W / s^2` (1 when no groups).

    With the team sizes fixed (stratified sampling), the mean of a side with teams :math:`t`
    has variance :math:`\sum_t (n_t/n)^2 \sigma_t^2 / n_t \approx \sigma_W^2 / n`: the
    differences between its teams are part of the side, not sampling noise (Cochran, 1977,
    section 5.3). Pooled within-team variance :math:`s^2_W = \sum_t \sum_i (x_{ti} -
    \bar x_t)^2 / (n - T)` over teams with answers; a side with fewer than two degrees of
    freedom within its teams keeps a share of 1. ``centred`` holds the scores minus their
    team's means (:func:`_group_centred`).
    """
    if groups is None:
        return np.ones(centred.shape[1])
    answered = ~np.isnan(centred)
    teams = np.array([answered[groups == g].any(axis=0) for g in pd.unique(groups)]).sum(axis=0)
    df = answered.sum(axis=0) - teams
    with np.errstate(divide="ignore", invalid="ignore"):
        within = np.nansum(centred * centred, axis=0) / df
        share = np.where((df >= 2) & (variance > 0), within / variance, 1.0)
    return np.clip(share, _LEAST_WITHIN_SHARE, None)


def _equal_profiles_test(a: np.ndarray, b: np.ndarray, welch_p: np.ndarray) -> tuple[float, str]:
    """Hotelling's two-sample T² on complete rows; Bonferroni over Welch tests when it cannot be computed."""
    k = a.shape[1]
    a = a[~np.isnan(a).any(axis=1)]
    b = b[~np.isnan(b).any(axis=1)]
    n_a, n_b = len(a), len(b)
    df_error = n_a + n_b - k - 1
    if n_a >= 2 and n_b >= 2 and df_error >= 1:
        pooled = ((n_a - 1) * np.cov(a, rowvar=False) + (n_b - 1) * np.cov(b, rowvar=False)) / (n_a + n_b - 2)
        pooled = np.atleast_2d(pooled)
        scale = np.sqrt(np.diag(pooled))
        if np.all(scale > 0):
            correlation = pooled / np.outer(scale, scale)
            if np.linalg.cond(correlation) < 1e10:
                difference = (a.mean(axis=0) - b.mean(axis=0)) / scale
                t2 = n_a * n_b / (n_a + n_b) * difference @ np.linalg.solve(correlation, difference)
                f = df_error / (k * (n_a + n_b - 2)) * t2
                return float(special.fdtrc(k, df_error, f)), "hotelling"
    return float(min(1.0, k * np.nanmin(welch_p))), "bonferroni"


def alignment_estimate(
    a, b, *, groups_a=None, groups_b=None, confidence: float = 0.95, replicates: int = 1000, seed=None
):
    r"""Alignment index of two teams, median-unbiased, with an interval that keeps its estimate.

    The test statistic is :func:`alignment_index` with each dimension's standardised
    difference replaced by a positive-part estimate of its size (``positive_part``):

    .. math::

        \widehat{|\delta_k|} = \sqrt{\max\!\left(0,\ \frac{\nu_k - 2}{\nu_k}\, d_k^2
            - \frac{1}{n_{a,k}} - \frac{1}{n_{b,k}}\right)}, \qquad
        T = \frac{100}{K} \sum_{k=1}^{K} 2\,\Phi\!\left(-\widehat{|\delta_k|}/2\right)

    with :math:`d_k` Cohen's d, :math:`n_{a,k}, n_{b,k}` the answers on dimension ``k`` and
    :math:`\nu_k = n_{a,k} + n_{b,k} - 2`. Under normality
    :math:`E[d^2] = \frac{\nu}{\nu-2}(\delta^2 + 1/n_a + 1/n_b)` (the second moment of the
    noncentral t; Hedges & Olkin, 1985), so the expression under the root is unbiased for
    :math:`\delta^2`, and taking its positive part can only bring it closer to the truth.

    The reported index ``alignment`` is the median-unbiased estimate of the same test
    inversion that gives the interval (the point where the interval shrinks to as the
    confidence falls to 0; Lehmann & Romano, 2005, section 3.5):

    .. math::

        \tilde\theta = \text{the } \theta_0 \text{ with }
        P_{\theta_0}(T^* \ge T) = P_{\theta_0}(T^* \le T), \quad
        \tilde\theta = 100 \text{ when } P_{100}(T^* \ge T) \le P_{100}(T^* \le T)

    (the probabilities of the sampling model below, each along its tail's configuration),
    so the estimate lies below the true index about as often as above it, also for aligned
    teams: it is exactly 100 for about half of the truly aligned pairs (whenever ``T`` is at
    least its median under complete alignment), which no estimator that follows real gaps can
    better in the mean, because 100 is the boundary. Why not ``T`` itself: ``|g|`` is
    positive in every sample, so the plug-in index ``100 * mean OVL(g)`` reads about 90 for
    a perfectly aligned pair with 20 people a side; ``T`` removes most of that (the positive
    part is exactly 0 for about two dimensions in three when the teams are equal) but still
    reads 5.8 points low at 10+10 for aligned pairs and up to 4 points high for small
    misaligned ones (gaps below about ``sqrt(1/n_a + 1/n_b)`` are often read as 0). The
    median-unbiased point, figures in ``docs/PERFORMANCE.md``, has half the estimates of
    aligned pairs at 100 and a mean error under 2 points for misaligned ones at every size
    simulated.

    The interval inverts a test of each candidate true index :math:`\theta_0` (Neyman's
    construction) with a parametric model of the sampling of the ``d`` vector, chosen by the
    coverage simulation in ``benchmarks/alignment_coverage.py``:

    * model: the mean differences in units of the pooled SD are :math:`N(\delta, \Sigma)`,
      :math:`\Sigma_{kl} = \sigma_k \sigma_l R_{kl}`, :math:`\sigma_k^2 = 1/n_{a,k} + 1/n_{b,k}`,
      with :math:`R` the teams' pooled within-team correlation of the dimensions (pairwise), and the pooled
      covariance is Wishart :math:`W(R, \nu)/\nu` (Bartlett's decomposition), so each
      simulated :math:`d_k^*` carries both the noise of its mean and of its SD, as the
      noncentral t does. ``replicates`` such samples are drawn once and reused for every
      candidate (common random numbers), so the whole interval is a few array operations
      on ``replicates x K`` numbers per candidate, whatever the team sizes;
    * the index depends on the whole vector :math:`\delta`, so a candidate
      :math:`\theta_0` needs a configuration: for the upper-tail test (is the observed
      estimate too high for :math:`\theta_0`?) the flat one,
      :math:`\delta_k = c\,\operatorname{sign}(d_k)` with :math:`c` set so that the index is
      :math:`\theta_0` (equal small gaps are where the positive part reads highest, so this
      is the cautious choice); for the lower-tail test, the corrected estimates
      :math:`c\,\widehat{|\delta_k|}\operatorname{sign}(d_k)` scaled to :math:`\theta_0`
      (zeros kept at a hundredth of :math:`\sigma_k` so that the direction exists);
    * :math:`\theta_0` is kept when :math:`P_{\theta_0}(T^* \ge T) > \alpha_U(\theta_0)`
      and :math:`P_{\theta_0}(T^* \le T) > \alpha - \alpha_U(\theta_0)`: the two tails share
      :math:`\alpha`, so each candidate's test has size :math:`\alpha` whatever the split.
      Away from 100 the split is equal, :math:`\alpha_U = \alpha/2`. No true index lies
      above 100, so near complete alignment a high estimate speaks for the candidate, not
      against it: :math:`\alpha_U` falls linearly to 0 at :math:`\theta_0 = 100` over
      :math:`w = 100 - q_{0.05}`, the distance from 100 of the estimate's 5 % quantile under
      complete alignment, and the lower-tail test gets the rest (a unified interval near a
      boundary, as Feldman & Cousins, 1998, order theirs). Where the estimate reaches 100
      with probability above :math:`\alpha_U` the upper-tail test cannot reject at all and
      the lower-tail test gets all of :math:`\alpha`. This is what puts 100 in about 95 % of
      the intervals of aligned teams, not 97.5 %, with 6 or 12 dimensions alike;
    * ``groups_a`` and ``groups_b`` name the teams that a side pools (the report's
      headline pools each function's teams). Their answering numbers are fixed by the
      survey, so the side's mean is a stratified mean and the differences between its teams
      are part of the side, not noise: :math:`\sigma_k^2 = r_{a,k}/n_{a,k} + r_{b,k}/n_{b,k}`
      with :math:`r` the within-team share of the side's variance (pooled within-team
      variance over the side's variance; Cochran, 1977, section 5.3), and :math:`R` is the
      within-team correlation. Without groups :math:`r = 1`;
    * candidates are a grid of 120 indices from 100 down to the index of
      :math:`|d_k| + 5\sigma_k`, the limits interpolated between the last kept and first
      rejected candidate, and finally widened to contain the estimate (a safeguard: the
      median-unbiased point is a candidate both tests keep at any level below about 50 %).

    Rejected by the same simulation: the BCa bootstrap of the corrected index (resampling
    respondents) with the upper limit set to 100 when Hotelling's :math:`T^2` does not
    reject, used before: 88-93 % where most gaps are near the size the positive part sets
    to 0 (true index about 80-90); test inversion along the observed ``|d|`` (91-92 % there,
    too flat a configuration fits too well) or along the corrected estimates for both tails
    (87-90 % at 20+40); an equal-tailed inversion without the boundary rule (98 % for
    aligned teams).

    Measured (``benchmarks/alignment_coverage.py``, 1,000 simulated organisations per
    setting, Likert answers from a latent model, 10+10 to 200+200 respondents, 6-12
    correlated dimensions, true index 64-100): see ``docs/PERFORMANCE.md``. ``p_equal_profiles``
    (Hotelling's :math:`T^2`) is still reported but no longer sets the interval.

    Parameters
    ----------
    a, b : DataFrame
        The two teams' members' dimension scores (rows = members, columns = dimensions);
        NaN marks a missing score. Only dimensions in both tables are used.
    groups_a, groups_b : array-like or None
        The team of each row of ``a`` (``b``) when a side pools several teams, one label per
        row; None (the default) treats the side as one simple random sample.
    confidence : float
        Confidence level of the interval, strictly between 0 and 1.
    replicates : int
        Samples simulated from the fitted sampling model (at least 100; 1,000 or more for a
        95 % interval).
    seed : int, numpy Generator or None
        Seed of the simulation; the same seed gives the same interval.

    Returns
    -------
    AlignmentEstimate
        ``alignment`` (median-unbiased), ``ci_low``, ``ci_high``, ``positive_part``, ``uncorrected``,
        ``p_equal_profiles`` and the counts; :meth:`AlignmentEstimate.interval` reads the
        interval at another level.

    Raises
    ------
    ValueError
        If ``a`` or ``b`` is not a numeric table of finite scores, they share no
        dimension, a team has fewer than 3 scores on a dimension, a dimension has no
        variance within the teams, ``groups_a`` or ``groups_b`` does not label every row
        once, or ``confidence``, ``replicates`` or ``seed`` is invalid.

    References
    ----------
    Cochran, W. G. (1977). *Sampling techniques* (3rd ed.). Wiley.

    Feldman, G. J., & Cousins, R. D. (1998). Unified approach to the classical statistical
    analysis of small signals. *Physical Review D, 57*, 3873-3889.

    Hedges, L. V., & Olkin, I. (1985). *Statistical methods for meta-analysis*. Academic Press.

    Hotelling, H. (1931). The generalization of Student's ratio. *Annals of Mathematical
    Statistics, 2*, 360-378.

    Lehmann, E. L., & Romano, J. P. (2005). *Testing statistical hypotheses* (3rd ed.). Springer.

    Neyman, J. (1937). Outline of a theory of statistical estimation based on the classical
    theory of probability. *Philosophical Transactions of the Royal Society A, 236*, 333-380.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> a = pd.DataFrame(rng.normal(size=(40, 6)))
    >>> b = pd.DataFrame(rng.normal(size=(40, 6)))
    >>> result = alignment_estimate(a, b, seed=1)
    >>> result.ci_low <= result.alignment <= result.ci_high
    True
    """
    a = _score_table(a, "a")
    b = _score_table(b, "b")
    confidence = _check_confidence(confidence)
    replicates = check_int(replicates, "replicates", minimum=100, maximum=100_000)
    if isinstance(seed, np.random.Generator):
        rng = seed
    elif seed is None or (isinstance(seed, int | np.integer) and not isinstance(seed, bool)):
        rng = np.random.default_rng(seed)
    else:
        raise ValueError(f"seed must be an integer, a numpy Generator or None; got {seed!r}")
    common = [c for c in a.columns if c in b.columns]
    if not common:
        raise ValueError("a and b must share at least one dimension column; they have none in common")
    values_a = a[common].to_numpy(dtype=float)
    values_b = b[common].to_numpy(dtype=float)
    groups_a = _check_groups(groups_a, len(values_a), "groups_a")
    groups_b = _check_groups(groups_b, len(values_b), "groups_b")
    ones_a, ones_b = np.ones((1, len(values_a))), np.ones((1, len(values_b)))
    moments_a = tuple(m[0] for m in _weighted_moments(values_a, ones_a))
    moments_b = tuple(m[0] for m in _weighted_moments(values_b, ones_b))
    for name, moments in (("a", moments_a), ("b", moments_b)):
        few = [str(c) for c, n in zip(common, moments[0], strict=True) if n < 3]
        if few:
            raise ValueError(f"{name} needs at least 3 scores on every dimension; fewer on {few[:5]}")
    spread = np.fmax(np.nanmax(values_a, axis=0) - np.nanmin(values_a, axis=0), 0) + np.fmax(
        np.nanmax(values_b, axis=0) - np.nanmin(values_b, axis=0), 0
    )
    constant = [str(c) for c, s in zip(common, spread, strict=True) if not s > 0]
    if constant:
        raise ValueError(f"a and b have no variance within the teams on {constant[:5]}: constant scores")

    statistics = _gap_arrays(*moments_a, *moments_b)
    uncorrected = float(_index_of(statistics["g"]))
    count_a, mean_a, var_a = moments_a
    count_b, mean_b, var_b = moments_b
    # The variance of each side's mean difference in units of the pooled variance: 1/n per side,
    # times the within-team share of the side's variance when its teams are strata.
    centred_a, centred_b = _group_centred(values_a, groups_a), _group_centred(values_b, groups_b)
    share_a = _within_share(centred_a, groups_a, var_a)
    share_b = _within_share(centred_b, groups_b, var_b)
    noise = share_a / count_a + share_b / count_b
    df = count_a + count_b - 2
    estimate = float(_index_of(_corrected_effect(*moments_a, *moments_b, noise=noise)))
    d = (mean_a - mean_b) / np.sqrt(((count_a - 1) * var_a + (count_b - 1) * var_b) / df)
    correlation = _pooled_correlation(centred_a, centred_b)
    candidates, above, below, atom, upper_share, boot = _tail_curves(
        d, df, noise, estimate, correlation, replicates, rng
    )
    p_equal, test = _equal_profiles_test(values_a, values_b, statistics["p"])
    point = _median_unbiased_point(candidates, above, below)
    low, high = _inverted_interval(point, candidates, above, below, atom, confidence, upper_share)
    return AlignmentEstimate(
        alignment=point,
        ci_low=low,
        ci_high=high,
        confidence=confidence,
        uncorrected=uncorrected,
        positive_part=estimate,
        p_equal_profiles=p_equal,
        profile_test=test,
        n_a=len(values_a),
        n_b=len(values_b),
        n_dimensions=len(common),
        replicates=boot,
        candidates=candidates,
        above=above,
        below=below,
        atom=atom,
        upper_share=upper_share,
    )

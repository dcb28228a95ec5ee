"""Gap indices: how far apart two groups are on a score, and whether it moved.

* :func:`gap` compares two samples (two teams, two functions, two waves) with the raw
  difference, Cohen's d, Hedges' g with its 95 % confidence interval and Welch's t-test.
* :func:`perception_gaps` does the same for every pair of teams on every dimension at
  once, from per-team counts, means and variances (no loop over pairs).
* :func:`meta_perception_gaps` compares how a function rates itself, how the other
  function rates it, and how it expects to be rated.
* :func:`trend` is the change of a score between two waves.

Conventions (also in ``docs/ANALYSIS.md``):

* ``difference = mean_a - mean_b``: positive when ``a`` scores higher.
* ``d`` is Cohen's d with the pooled SD (denominator ``n_a + n_b - 2``); ``g`` is
  Hedges' g = J d with the exact small-sample correction
  ``J = Gamma(df / 2) / (sqrt(df / 2) Gamma((df - 1) / 2))``, ``df = n_a + n_b - 2``.
* The 95 % CI of g is ``g +/- z_.975 SE(g)`` with ``SE(g) = J sqrt((n_a + n_b) / (n_a n_b)
  + d^2 / (2 (n_a + n_b)))`` (Borenstein, Hedges, Higgins & Rothstein, 2009, eqs. 4.20
  and 4.24).
* ``t``, ``df`` and ``p`` are Welch's unequal-variance t-test, as R's
  ``t.test(a, b, var.equal = FALSE)``; ``p`` is two-sided.
* Missing values are dropped; infinite values raise a ``ValueError`` naming the argument
  and the column or position. Statistics that need more data than there is (fewer than
  two answers in a group, no variance at all) are NaN rather than errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from instruments.model import Instrument

from ._validation import as_groups, as_values, check_int
from .scoring import keyed_items

__all__ = ["GAP_FIELDS", "Gap", "Trend", "gap", "meta_perception_gaps", "perception_gaps", "trend"]

#: The statistics of a gap, in the order of :class:`Gap` and of the table columns.
GAP_FIELDS = (
    "n_a",
    "n_b",
    "mean_a",
    "mean_b",
    "difference",
    "d",
    "g",
    "g_ci_low",
    "g_ci_high",
    "t",
    "df",
    "p",
)

# z_.975 of the standard normal, for the 95 % interval of g.
_Z_975 = float(special.ndtri(0.975))


@dataclass(frozen=True)
class Gap:
    """Difference between two samples ``a`` and ``b`` (see :func:`gap`)."""

    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    #: ``mean_a - mean_b``.
    difference: float
    #: Cohen's d, pooled SD with denominator ``n_a + n_b - 2``.
    d: float
    #: Hedges' g = J d (exact J).
    g: float
    g_ci_low: float
    g_ci_high: float
    #: Welch's t statistic, its Satterthwaite degrees of freedom and two-sided p.
    t: float
    df: float
    p: float


def _gap_arrays(n_a, mean_a, var_a, n_b, mean_b, var_b) -> dict[str, np.ndarray]:
    """All gap statistics from group sizes, means and variances (ddof = 1), elementwise.

    Works on scalars or arrays of any (broadcastable) shape, so the same formulas serve
    one pair and all pairs of teams.
    """
    n_a = np.asarray(n_a, dtype=float)
    n_b = np.asarray(n_b, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        difference = mean_a - mean_b
        pooled_df = n_a + n_b - 2
        pooled_sd = np.sqrt(((n_a - 1) * var_a + (n_b - 1) * var_b) / pooled_df)
        d = np.where(pooled_sd > 0, difference / pooled_sd, np.nan)
        # Exact small-sample correction through log-gamma (Gamma overflows for df > 340).
        J = np.where(
            pooled_df > 1,
            np.exp(
                special.gammaln(pooled_df / 2)
                - 0.5 * np.log(pooled_df / 2)
                - special.gammaln((pooled_df - 1) / 2)
            ),
            np.nan,
        )
        g = J * d
        se_g = J * np.sqrt((n_a + n_b) / (n_a * n_b) + d**2 / (2 * (n_a + n_b)))
        share_a = var_a / n_a
        share_b = var_b / n_b
        se_difference = np.sqrt(share_a + share_b)
        usable = (se_difference > 0) & (n_a >= 2) & (n_b >= 2)
        t = np.where(usable, difference / se_difference, np.nan)
        welch_df = np.where(
            usable, (share_a + share_b) ** 2 / (share_a**2 / (n_a - 1) + share_b**2 / (n_b - 1)), np.nan
        )
        p = 2 * special.stdtr(welch_df, -np.abs(t))
    return {
        "difference": difference,
        "d": d,
        "g": g,
        "g_ci_low": g - _Z_975 * se_g,
        "g_ci_high": g + _Z_975 * se_g,
        "t": t,
        "df": welch_df,
        "p": p,
    }


def _describe(series: pd.Series) -> tuple[int, float, float]:
    values = series.dropna().to_numpy()
    n = len(values)
    mean = float(values.mean()) if n else np.nan
    variance = float(values.var(ddof=1)) if n > 1 else np.nan
    return n, mean, variance


def gap(a, b) -> Gap:
    r"""Standardised difference and Welch test between two samples.

    .. math::

        d = \frac{\bar a - \bar b}{s_p}, \quad
        s_p^2 = \frac{(n_a - 1) s_a^2 + (n_b - 1) s_b^2}{n_a + n_b - 2}, \quad
        g = J d, \quad
        J = \frac{\Gamma(\nu / 2)}{\sqrt{\nu / 2}\, \Gamma((\nu - 1) / 2)}, \ \nu = n_a + n_b - 2

    The 95 % interval of g is :math:`g \pm 1.96\, SE_g` with
    :math:`SE_g = J \sqrt{(n_a + n_b)/(n_a n_b) + d^2 / (2 (n_a + n_b))}`
    (Borenstein et al., 2009). Welch's test uses
    :math:`t = (\bar a - \bar b) / \sqrt{s_a^2/n_a + s_b^2/n_b}` with Satterthwaite's
    degrees of freedom, as R's ``t.test(a, b, var.equal = FALSE)``.

    Parameters
    ----------
    a, b : Series or 1-D array
        The two samples (e.g. the members' scores of two teams); NaN values are dropped,
        an infinite value raises a ``ValueError`` naming ``a`` or ``b`` and its position.

    Returns
    -------
    Gap
        ``n_a, n_b, mean_a, mean_b, difference`` (a - b), ``d``, ``g``,
        ``g_ci_low, g_ci_high``, ``t, df, p``. Statistics that cannot be computed
        (a sample with fewer than two values, no variance) are NaN.

    References
    ----------
    Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and
    related estimators. *Journal of Educational Statistics, 6*, 107-128.
    Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009).
    *Introduction to meta-analysis*, ch. 4. Wiley.
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. *Biometrika, 34*, 28-35.

    Examples
    --------
    >>> result = gap(scores[team == "sales"], scores[team == "marketing"])  # doctest: +SKIP
    >>> round(result.g, 2), round(result.p, 3)                              # doctest: +SKIP
    """
    n_a, mean_a, var_a = _describe(as_values(a, "a"))
    n_b, mean_b, var_b = _describe(as_values(b, "b"))
    statistics = _gap_arrays(n_a, mean_a, var_a, n_b, mean_b, var_b)
    return Gap(n_a=n_a, n_b=n_b, mean_a=mean_a, mean_b=mean_b, **{k: float(v) for k, v in statistics.items()})


def _team_summaries(scores: pd.DataFrame, labels: pd.Series):
    """Counts, means and variances per team (teams x dimensions), grouped once."""
    grouped = scores.groupby(labels, sort=True)
    counts = grouped.count()
    return (
        counts.index,
        counts.to_numpy(dtype=float),
        grouped.mean().to_numpy(),
        grouped.var(ddof=1).to_numpy(),
    )


def _pair_positions(teams: pd.Index, pairs) -> tuple[np.ndarray, np.ndarray]:
    if pairs is None:
        return np.triu_indices(len(teams), k=1)
    pairs = list(pairs)
    if not pairs:
        raise ValueError("pairs must hold at least one (team_a, team_b) pair; got none")
    try:
        first, second = zip(*pairs, strict=True)
    except (TypeError, ValueError):
        raise ValueError("pairs must be a sequence of (team_a, team_b) tuples") from None
    position_a = teams.get_indexer(pd.Index(first))
    position_b = teams.get_indexer(pd.Index(second))
    unknown = sorted(
        {
            str(label)
            for label, at in zip(first + second, np.r_[position_a, position_b], strict=True)
            if at < 0
        }
    )
    if unknown:
        raise ValueError(f"pairs name teams that have no respondents: {', '.join(unknown[:5])}")
    return position_a, position_b


def perception_gaps(scores, teams, *, dimensions: Iterable[str] | None = None, pairs=None, min_n: int = 2):
    r"""Gap statistics for every pair of teams on every dimension, as one long table.

    Team sizes, means and variances are computed once per team and dimension; the
    statistics of all pairs are then computed together with the formulas of
    :func:`gap` (Cohen's d, Hedges' g with exact J and Borenstein's 95 % CI, Welch's t).
    With 200 teams that is 19,900 pairs per dimension.

    Parameters
    ----------
    scores : DataFrame
        Dimension scores, one row per respondent, one column per dimension (NaN = missing).
    teams : Series or sequence
        Team label per respondent, aligned with ``scores``.
    dimensions : iterable of str, optional
        Columns of ``scores`` to compare; default all.
    pairs : iterable of (team_a, team_b), optional
        Only these pairs, in this order (``difference`` is ``team_a - team_b``). Default:
        every unordered pair once, ``team_a`` before ``team_b`` in sorted label order.
    min_n : int
        A pair is left out on a dimension when either team has fewer than ``min_n``
        scores on it (default 2, the least for a variance). Raise it to the anonymity
        threshold to compare only teams whose results may be shown.

    Returns
    -------
    DataFrame
        One row per pair and dimension (pair-major order), columns ``team_a, team_b,
        dimension`` then :data:`GAP_FIELDS`; ``n_a`` and ``n_b`` are integers.

    Examples
    --------
    >>> table = perception_gaps(scores, responses["team"], min_n=5)       # doctest: +SKIP
    >>> table.loc[table["p"] < 0.05, ["team_a", "team_b", "dimension", "g"]]  # doctest: +SKIP
    """
    if not isinstance(scores, pd.DataFrame):
        raise ValueError(f"scores must be a DataFrame of dimension scores; got {type(scores).__name__}")
    min_n = check_int(min_n, "min_n", minimum=1)
    if dimensions is not None:
        dimensions = list(dimensions)
        missing = [d for d in dimensions if d not in scores.columns]
        if missing:
            raise ValueError(f"dimensions must be columns of scores; not found: {missing[:5]}")
        scores = scores[dimensions]
    non_numeric = [c for c in scores.columns if not pd.api.types.is_numeric_dtype(scores[c])]
    if non_numeric:
        raise ValueError(f"scores must be numeric; non-numeric columns: {non_numeric[:5]}")
    scores = scores.astype(float)
    infinite = [str(c) for c, bad in np.isinf(scores).any().items() if bad]
    if infinite:
        raise ValueError(f"scores must be finite (NaN marks a missing score); infinite in {infinite[:5]}")
    labels = as_groups(teams, scores.index, "teams")
    team_index, counts, means, variances = _team_summaries(scores, labels)
    position_a, position_b = _pair_positions(team_index, pairs)
    statistics = _gap_arrays(
        counts[position_a], means[position_a], variances[position_a],
        counts[position_b], means[position_b], variances[position_b],
    )  # fmt: skip
    n_pairs, n_dimensions = len(position_a), scores.shape[1]
    columns = {
        "team_a": np.repeat(team_index.to_numpy()[position_a], n_dimensions),
        "team_b": np.repeat(team_index.to_numpy()[position_b], n_dimensions),
        "dimension": np.tile(np.asarray(scores.columns, dtype=object), n_pairs),
        "n_a": counts[position_a].ravel().astype(np.int64),
        "n_b": counts[position_b].ravel().astype(np.int64),
        "mean_a": means[position_a].ravel(),
        "mean_b": means[position_b].ravel(),
    }
    columns.update({name: values.ravel() for name, values in statistics.items()})
    keep = (columns["n_a"] >= min_n) & (columns["n_b"] >= min_n)
    if not keep.all():
        columns = {name: values[keep] for name, values in columns.items()}
    return pd.DataFrame(columns)


#: The function whose members rate a target function ("the other team").
_COUNTERPART = {"sales": "marketing", "marketing": "sales"}


def _function_of_respondents(labels: pd.Series, team_functions) -> pd.Series:
    if isinstance(team_functions, pd.Series):
        team_functions = team_functions.to_dict()
    if not isinstance(team_functions, Mapping):
        raise ValueError(
            "team_functions must map team labels to functions (dict or Series); "
            f"got {type(team_functions).__name__}"
        )
    unknown_teams = sorted({str(t) for t in pd.unique(labels) if t not in team_functions})
    if unknown_teams:
        raise ValueError(f"team_functions has no function for teams: {', '.join(unknown_teams[:5])}")
    return labels.map(team_functions)


def _paired_items(instrument: Instrument) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(target, dimension) -> [(own item id, meta item id), ...] from the meta items' ``mirrors``."""
    paired: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for meta in instrument.items:
        if meta.perspective != "meta" or meta.target not in _COUNTERPART or meta.mirrors is None:
            continue
        own = instrument.item(meta.mirrors)
        paired.setdefault((meta.target, own.dimension), []).append((own.id, meta.id))
    return paired


def _rating(keyed: pd.DataFrame, item_ids: list[str], min_valid: int) -> pd.Series:
    """Mean of a respondent's valid answers on ``item_ids``; NaN below ``min_valid`` answers."""
    block = keyed[item_ids]
    valid = block.notna().sum(axis=1)
    return block.mean(axis=1, skipna=True).where(valid >= min_valid)


def meta_perception_gaps(responses, teams, instrument: Instrument, team_functions) -> pd.DataFrame:
    """Perception and meta-perception gaps between sales and marketing.

    For a target function T (sales or marketing), its counterpart O (the other one) and
    each dimension in which T is the target of paired items (own items, and the meta
    items that ``mirror`` them), three ratings are formed per respondent as the mean of
    the keyed answers (reverse keys applied) on the paired items:

    * **self**: T's members on the own items about T (how T sees itself);
    * **other**: O's members on the same own items (how O sees T);
    * **expected**: T's members on the meta items (how T expects O to see it).

    and two comparisons, each with the statistics of :func:`gap`:

    * ``comparison = "perception"``: ``a`` = self, ``b`` = other. A positive
      ``difference`` means T rates itself more favourably than O rates it.
    * ``comparison = "meta_accuracy"``: ``a`` = expected, ``b`` = other. Near zero: T
      knows how O sees it; positive: T expects a better rating than it gets.

    Only the paired items enter all three ratings, so they are on the same items. A
    respondent needs at least ``min(min_valid of the dimension, number of pairs)``
    valid answers for a rating. Respondents are pooled per function across teams
    (the organisation's view); teams whose function is neither sales nor marketing
    take no part. Self and expected are answered by the same people: compare each
    with ``other`` only (which is what the table does).

    Parameters
    ----------
    responses : DataFrame
        Item answers, one row per respondent, columns = item ids (NaN = missing).
    teams : Series or sequence
        Team label per respondent.
    instrument : Instrument
        The instrument with the perception items (``target``, ``perspective``,
        ``mirrors``).
    team_functions : Mapping or Series
        Team label -> function (``"sales"``, ``"marketing"``, or anything else).

    Returns
    -------
    DataFrame
        One row per target, dimension and comparison, columns ``target, dimension,
        comparison, rating_a, rating_b, rated_by_a, rated_by_b, n_items`` then
        :data:`GAP_FIELDS`. Empty (with those columns) if the instrument has no paired
        items.
    """
    if not isinstance(responses, pd.DataFrame):
        raise ValueError(f"responses must be a DataFrame of item answers; got {type(responses).__name__}")
    if not isinstance(instrument, Instrument):
        raise ValueError(
            f"instrument must be an instruments.model.Instrument; got {type(instrument).__name__}"
        )
    labels = as_groups(teams, responses.index, "teams")
    functions = _function_of_respondents(labels, team_functions)
    keyed = keyed_items(responses, instrument)
    rows = []
    for (target, dimension_id), item_pairs in _paired_items(instrument).items():
        own_ids = [own for own, _ in item_pairs]
        meta_ids = [meta for _, meta in item_pairs]
        min_valid = min(instrument.dimension(dimension_id).min_valid, len(item_pairs))
        counterpart = _COUNTERPART[target]
        is_target, is_counterpart = (functions == target).to_numpy(), (functions == counterpart).to_numpy()
        self_rating = _rating(keyed, own_ids, min_valid)[is_target]
        other_rating = _rating(keyed, own_ids, min_valid)[is_counterpart]
        expected_rating = _rating(keyed, meta_ids, min_valid)[is_target]
        for comparison, rating_a, values_a in (
            ("perception", "self", self_rating),
            ("meta_accuracy", "expected", expected_rating),
        ):
            result = gap(values_a, other_rating)
            rows.append(
                {
                    "target": target,
                    "dimension": dimension_id,
                    "comparison": comparison,
                    "rating_a": rating_a,
                    "rating_b": "other",
                    "rated_by_a": target,
                    "rated_by_b": counterpart,
                    "n_items": len(item_pairs),
                    **{name: getattr(result, name) for name in GAP_FIELDS},
                }
            )
    columns = [
        "target",
        "dimension",
        "comparison",
        "rating_a",
        "rating_b",
        "rated_by_a",
        "rated_by_b",
        "n_items",
    ]
    return pd.DataFrame(rows, columns=[*columns, *GAP_FIELDS])


@dataclass(frozen=True)
class Trend:
    """Change of a score from an earlier to a later wave (see :func:`trend`)."""

    #: True when the waves were matched by respondent id (paired t-test).
    paired: bool
    n_earlier: int
    n_later: int
    mean_earlier: float
    mean_later: float
    #: ``mean_later - mean_earlier``.
    change: float
    #: 95 % confidence interval of ``change`` (Welch or paired t).
    ci_low: float
    ci_high: float
    #: Hedges' g of later vs earlier (pooled SD of the two waves, exact J).
    g: float
    #: Paired only: mean change / SD of the changes (Cohen's d_z); NaN otherwise.
    d_z: float
    t: float
    df: float
    p: float


def trend(earlier, later, *, paired: bool = False, confidence: float = 0.95) -> Trend:
    r"""Change of a team's (or the organisation's) score between two waves.

    ``change = mean(later) - mean(earlier)``.

    * ``paired=False`` (default): the waves are treated as **independent samples**, as
      they usually are (anonymous surveys, people join and leave). Welch's t-test and
      its interval, as R's ``t.test(later, earlier, var.equal = FALSE)``.
    * ``paired=True``: ``earlier`` and ``later`` are Series indexed by the same
      respondent ids; only ids with a score in both waves are used, and the test is the
      paired t-test on the changes (R's ``t.test(later, earlier, paired = TRUE)``),
      with :math:`d_z = \bar\Delta / s_\Delta`.

    ``g`` is always Hedges' g of later vs earlier with the pooled SD of the two waves,
    i.e. the change in units of the spread between people (see :func:`gap`).

    Parameters
    ----------
    earlier, later : Series or 1-D array
        Scores in the two waves (NaN = missing). Series indexed by respondent id when
        ``paired=True``.
    paired : bool
        Match respondents by index (see above).
    confidence : float
        Level of the interval for ``change``, between 0 and 1 (default 0.95).

    Returns
    -------
    Trend
    """
    if not isinstance(paired, bool):
        raise ValueError(f"paired must be True or False; got {paired!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1; got {confidence!r}")
    earlier = as_values(earlier, "earlier")
    later = as_values(later, "later")
    quantile_level = 0.5 + confidence / 2
    if paired:
        if not (earlier.index.is_unique and later.index.is_unique):
            raise ValueError("earlier and later must have unique respondent ids as index when paired=True")
        joined = pd.concat({"earlier": earlier, "later": later}, axis=1, join="inner").dropna()
        earlier, later = joined["earlier"], joined["later"]
    effect = gap(later, earlier)
    if not (effect.n_a and effect.n_b):
        raise ValueError("earlier and later need at least one value each (after dropping missing ones)")
    if paired:
        changes = (later - earlier).to_numpy()
        n = len(changes)
        with np.errstate(divide="ignore", invalid="ignore"):
            sd = changes.std(ddof=1) if n > 1 else np.nan
            se = sd / np.sqrt(n)
            t = float(changes.mean() / se) if se > 0 else np.nan
            df = float(n - 1) if n > 1 else np.nan
            d_z = float(changes.mean() / sd) if sd > 0 else np.nan
        p = float(2 * special.stdtr(df, -abs(t)))
        margin = float(special.stdtrit(df, quantile_level) * se)
    else:
        t, df, p, d_z = effect.t, effect.df, effect.p, np.nan
        with np.errstate(invalid="ignore"):
            se = float(np.sqrt(earlier.var(ddof=1) / effect.n_b + later.var(ddof=1) / effect.n_a))
        margin = float(special.stdtrit(df, quantile_level) * se)
    change = effect.difference
    return Trend(
        paired=paired,
        n_earlier=effect.n_b,
        n_later=effect.n_a,
        mean_earlier=effect.mean_b,
        mean_later=effect.mean_a,
        change=change,
        ci_low=change - margin,
        ci_high=change + margin,
        g=effect.g,
        d_z=d_z,
        t=t,
        df=df,
        p=p,
    )

"""Lead calibration: do sales and marketing judge the same lead profiles alike, and why not?

Every respondent classifies the same vignettes (lead profiles built from attributes such as
company fit, budget and timing) on one ordered judgement scale. Four questions follow, one
function each:

* :func:`function_agreement` -- how much raters agree within each function, in everyone
  together, and across the two functions (Krippendorff's alpha, Fleiss' kappa);
* :func:`vignette_splits` -- on which vignettes the two functions differ most, with intervals
  for the difference of mean judgement and of the share judging "ready for sales";
* :func:`policy_weights` -- policy capturing: the weight each function gives each attribute
  (a linear model of the judgement on effect-coded attributes, standard errors clustered by
  respondent) and the difference between the functions, with interval and test;
* :func:`definition_index` -- a 0-100 summary on the scale of
  :func:`analysis.alignment_index` (100 = the two functions judge every vignette alike).

Inputs share one shape: ``judgements`` is a respondents x vignettes table of judgement codes
(NaN where a respondent did not judge a vignette), ``functions`` the function of each
respondent (aligned with its rows), ``design`` a vignettes x attributes table of the level
each vignette shows. Respondents of other functions than the two compared are left out of
the comparisons and kept in "all".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from ._validation import as_groups, as_items, check_choice, check_int
from .alignment import alignment_estimate, overlap
from .gaps import _gap_arrays
from .interrater import LEVELS, _distances, coincidences, fleiss_kappa, krippendorff_alpha

__all__ = [
    "DefinitionIndex",
    "PolicyWeights",
    "definition_index",
    "effect_codes",
    "function_agreement",
    "instrument_design",
    "policy_weights",
    "vignette_splits",
]

_PAIR = ("sales", "marketing")


# --- inputs -------------------------------------------------------------------------------------


def _check_confidence(confidence) -> float:
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 < confidence < 1:
        raise ValueError(f"confidence must be a number between 0 and 1; got {confidence!r}")
    return float(confidence)


def _inputs(judgements, functions, pair) -> tuple[pd.DataFrame, pd.Series, tuple[str, str]]:
    frame = as_items(judgements, "judgements", min_columns=1, min_rows=1)
    labels = as_groups(functions, frame.index, "functions")
    if not isinstance(pair, tuple | list) or len(pair) != 2 or pair[0] == pair[1]:
        raise ValueError(f"pair must name two different functions, such as {_PAIR!r}; got {pair!r}")
    for function in pair:
        if not (labels == function).any():
            raise ValueError(f"functions has no respondent in {function!r} (pair {tuple(pair)!r})")
    return frame, labels, (pair[0], pair[1])


def _one_hot(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Distinct judgement codes, and a respondents x vignettes x codes indicator array."""
    array = frame.to_numpy()
    present = ~np.isnan(array)
    values = np.unique(array[present])
    codes = np.searchsorted(values, np.where(present, array, values[0] if values.size else 0))
    indicator = (codes[..., None] == np.arange(values.size)) & present[..., None]
    return values, indicator.astype(float)


def _alpha_or_nan(table: np.ndarray, level: str) -> float:
    try:
        return krippendorff_alpha(table, level=level)
    except ValueError:
        return float("nan")


def _fleiss_or_nan(table: np.ndarray, values: np.ndarray) -> float:
    """Fleiss' kappa over the raters who judged every unit (NaN with fewer than two)."""
    complete = table[:, ~np.isnan(table).any(axis=0)]
    if complete.shape[1] < 2 or values.size < 2:
        return float("nan")
    counts = (complete[..., None] == values).sum(axis=1)
    try:
        return fleiss_kappa(counts)
    except ValueError:
        return float("nan")


# --- agreement ----------------------------------------------------------------------------------


def function_agreement(judgements, functions, *, level: str = "ordinal", pair=_PAIR) -> pd.DataFrame:
    r"""Agreement on the vignettes within each function, in everyone, and between two functions.

    For each function and for all respondents together: Krippendorff's alpha
    (:func:`analysis.krippendorff_alpha`, vignettes as units, respondents as raters) and Fleiss'
    kappa (:func:`analysis.fleiss_kappa`, over the respondents who judged every vignette).

    Between the two functions of ``pair``, alpha is taken over cross-function pairs only:

    .. math:: \alpha_{AB} = 1 - \frac{D_{AB}}{D_e}, \qquad
              D_{AB} = \frac{\sum_u \sum_{i \in A_u} \sum_{j \in B_u} \delta^2(x_{ui}, x_{uj})}
                            {\sum_u |A_u|\,|B_u|}

    with :math:`D_e` the expected disagreement of everyone's pooled values and
    :math:`\delta^2` the distance of ``level``. The rows ``within_<function>`` give the same
    quantity for pairs inside each function, with the same :math:`D_e`; when the functions
    share one standard, :math:`\alpha_{AB}` is as high as the within-function values, and it
    falls below them as the standards part.

    Parameters
    ----------
    judgements : DataFrame
        Respondents x vignettes, judgement codes (NaN = not judged).
    functions : Series or sequence
        Function of each respondent, aligned with ``judgements``.
    level : {"nominal", "ordinal", "interval"}
        Level of measurement of the judgement scale.
    pair : tuple of two str
        The functions compared.

    Returns
    -------
    DataFrame
        Indexed by group (each function, ``"all"``, ``within_<a>``, ``within_<b>``,
        ``"between"``), columns ``alpha``, ``kappa`` (NaN for the pair rows), ``raters`` and
        ``units`` (vignettes with two values or more). NaN where a group has fewer than two
        pairable values or no variation.

    References
    ----------
    Krippendorff, K. (2011). *Computing Krippendorff's alpha-reliability*. University of
    Pennsylvania. Fleiss, J. L. (1971), see :func:`analysis.fleiss_kappa`.
    """
    check_choice(level, "level", LEVELS)
    frame, labels, pair = _inputs(judgements, functions, pair)
    rows: dict[str, dict[str, float]] = {}
    groups = [*sorted(labels.unique(), key=str), "all"]
    for group in groups:
        members = frame if group == "all" else frame[(labels == group).to_numpy()]
        table = members.to_numpy().T  # units x raters
        values = np.unique(table[~np.isnan(table)])
        rows[str(group)] = {
            "alpha": _alpha_or_nan(table, level),
            "kappa": _fleiss_or_nan(table, values),
            "raters": float(table.shape[1]),
            "units": float(((~np.isnan(table)).sum(axis=1) >= 2).sum()),
        }
    within_a, within_b, between, units = _pair_disagreements(frame, labels, pair, level)
    for name, disagreement in (
        (f"within_{pair[0]}", within_a),
        (f"within_{pair[1]}", within_b),
        ("between", between),
    ):
        rows[name] = {
            "alpha": 1.0 - disagreement,
            "kappa": float("nan"),
            "raters": float(
                (labels == pair[0]).sum()
                if name.endswith(pair[0])
                else (labels == pair[1]).sum()
                if name.endswith(pair[1])
                else labels.isin(pair).sum()
            ),
            "units": float(units),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "group"
    table[["raters", "units"]] = table[["raters", "units"]].astype(int)
    return table


def _pair_disagreements(frame: pd.DataFrame, labels: pd.Series, pair, level: str):
    """Within-a, within-b and between disagreements relative to the pooled D_e."""
    values, observed = coincidences(frame.to_numpy().T)
    nan = float("nan")
    total = observed.sum()
    if total < 2:
        return nan, nan, nan, 0
    margins = observed.sum(axis=1)
    delta = _distances(values, margins, level)
    expected = (np.outer(margins, margins) * delta).sum() / (total * (total - 1.0))
    if expected <= 0:
        return nan, nan, nan, 0
    codes, indicator = _one_hot(frame)
    # The pooled codes may include values only unpaired respondents gave; map onto ``values``.
    position = np.searchsorted(values, codes)
    known = (position < values.size) & (values[np.minimum(position, values.size - 1)] == codes)
    counts_a = _counts(indicator, labels == pair[0], position, known, values.size)
    counts_b = _counts(indicator, labels == pair[1], position, known, values.size)
    within_a = _within(counts_a, delta)
    within_b = _within(counts_b, delta)
    cross = np.einsum("uc,ck,uk->", counts_a, delta, counts_b)
    cross_pairs = (counts_a.sum(axis=1) * counts_b.sum(axis=1)).sum()
    between = cross / cross_pairs if cross_pairs > 0 else nan
    units = int(((counts_a.sum(axis=1) > 0) & (counts_b.sum(axis=1) > 0)).sum())
    return within_a / expected, within_b / expected, between / expected, units


def _counts(indicator, mask, position, known, size) -> np.ndarray:
    """Vignettes x codes: how many respondents in ``mask`` gave each code."""
    summed = indicator[np.asarray(mask)].sum(axis=0)  # vignettes x pooled codes
    counts = np.zeros((summed.shape[0], size))
    counts[:, position[known]] = summed[:, known]
    return counts


def _within(counts: np.ndarray, delta: np.ndarray) -> float:
    """Mean distance over ordered pairs of different raters on the same unit."""
    pairs = counts.sum(axis=1) * (counts.sum(axis=1) - 1.0)
    if pairs.sum() <= 0:
        return float("nan")
    return float(np.einsum("uc,ck,uk->", counts, delta, counts) / pairs.sum())


# --- vignettes on which the functions split -------------------------------------------------------


def _share_interval(x_a, n_a, x_b, n_b, z: float):
    """Newcombe's hybrid score interval for a difference of proportions (method 10)."""
    with np.errstate(divide="ignore", invalid="ignore"):

        def wilson(x, n):
            p = x / n
            centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
            half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
            return p, centre - half, centre + half

        p_a, low_a, high_a = wilson(x_a, n_a)
        p_b, low_b, high_b = wilson(x_b, n_b)
        difference = p_a - p_b
        low = difference - np.sqrt((p_a - low_a) ** 2 + (high_b - p_b) ** 2)
        high = difference + np.sqrt((high_a - p_a) ** 2 + (p_b - low_b) ** 2)
    return p_a, p_b, difference, low, high


def vignette_splits(judgements, functions, *, ready, pair=_PAIR, confidence: float = 0.95) -> pd.DataFrame:
    r"""Per vignette: how each function judges it, and how far apart the two functions are.

    Mean judgement per function and its difference (``a - b``) with Welch's interval and
    test; the share judging the vignette "ready for sales" per function and its difference
    with Newcombe's hybrid score interval (method 10, from Wilson intervals):

    .. math:: L = \hat\delta - \sqrt{(\hat p_a - l_a)^2 + (u_b - \hat p_b)^2},\quad
              U = \hat\delta + \sqrt{(u_a - \hat p_a)^2 + (\hat p_b - l_b)^2}

    and the agreement of pairs of raters (the share of pairs giving the same code) within
    each function and across them.

    Parameters
    ----------
    judgements, functions, pair
        As for :func:`function_agreement`.
    ready : number or sequence of numbers
        The judgement code(s) that mean "ready for sales".
    confidence : float
        Level of the intervals.

    Returns
    -------
    DataFrame
        One row per vignette, sorted by the absolute difference of mean judgement (largest
        first, so the first rows are where the functions split most); columns ``n_a``,
        ``n_b``, ``mean_a``, ``mean_b``, ``difference``, ``low``, ``high``, ``p``,
        ``ready_a``, ``ready_b``, ``ready_difference``, ``ready_low``, ``ready_high``,
        ``agree_a``, ``agree_b``, ``agree_between``. Columns ending in ``_a`` describe
        ``pair[0]``. Statistics a vignette has too few answers for are NaN.

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. *Statistics in Medicine, 17*, 873-890.

    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. *Biometrika, 34*, 28-35.
    """
    confidence = _check_confidence(confidence)
    frame, labels, pair = _inputs(judgements, functions, pair)
    ready_codes = np.atleast_1d(np.asarray(ready, dtype=float))
    if ready_codes.size == 0 or not np.isfinite(ready_codes).all():
        raise ValueError(f"ready must be one or more judgement codes; got {ready!r}")
    z = float(special.ndtri(0.5 + confidence / 2))
    a = frame[(labels == pair[0]).to_numpy()]
    b = frame[(labels == pair[1]).to_numpy()]
    n_a, n_b = a.notna().sum(), b.notna().sum()
    gaps = _gap_arrays(
        n_a.to_numpy(), a.mean().to_numpy(), a.var(ddof=1).to_numpy(),
        n_b.to_numpy(), b.mean().to_numpy(), b.var(ddof=1).to_numpy(),
    )  # fmt: skip
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(a.var(ddof=1).to_numpy() / n_a.to_numpy() + b.var(ddof=1).to_numpy() / n_b.to_numpy())
        t_crit = stats.t.ppf(0.5 + confidence / 2, gaps["df"])
    ready_a = a.isin(ready_codes).sum().to_numpy().astype(float)
    ready_b = b.isin(ready_codes).sum().to_numpy().astype(float)
    share_a, share_b, share_diff, share_low, share_high = _share_interval(
        ready_a, n_a.to_numpy(), ready_b, n_b.to_numpy(), z
    )
    codes, indicator = _one_hot(frame)
    counts_a = indicator[(labels == pair[0]).to_numpy()].sum(axis=0)
    counts_b = indicator[(labels == pair[1]).to_numpy()].sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        m_a, m_b = counts_a.sum(axis=1), counts_b.sum(axis=1)
        agree_a = ((counts_a**2).sum(axis=1) - m_a) / (m_a * (m_a - 1))
        agree_b = ((counts_b**2).sum(axis=1) - m_b) / (m_b * (m_b - 1))
        agree_between = (counts_a * counts_b).sum(axis=1) / (m_a * m_b)
    table = pd.DataFrame(
        {
            "n_a": n_a.to_numpy(),
            "n_b": n_b.to_numpy(),
            "mean_a": a.mean().to_numpy(),
            "mean_b": b.mean().to_numpy(),
            "difference": gaps["difference"],
            "low": gaps["difference"] - t_crit * se,
            "high": gaps["difference"] + t_crit * se,
            "p": gaps["p"],
            "ready_a": share_a,
            "ready_b": share_b,
            "ready_difference": share_diff,
            "ready_low": share_low,
            "ready_high": share_high,
            "agree_a": agree_a,
            "agree_b": agree_b,
            "agree_between": agree_between,
        },
        index=frame.columns,
    )
    table.index.name = "vignette"
    order = np.argsort(-np.nan_to_num(np.abs(table["difference"].to_numpy()), nan=-1.0), kind="stable")
    return table.iloc[order]


# --- policy capturing ---------------------------------------------------------------------------


def instrument_design(instrument) -> pd.DataFrame:
    """The design of an instrument's vignettes as :func:`policy_weights` takes it.

    Returns a vignettes x attributes DataFrame (index: the vignettes' item ids, in order), each
    column categorical with the attribute's level ids in the instrument's order, so the effect
    codes contrast the levels as the instrument lists them.
    """
    vignettes = instrument.vignettes
    if not vignettes:
        raise ValueError(f"instrument {instrument.key} has no vignettes (items with a profile)")
    columns = {
        attribute.id: pd.Categorical(
            [item.profile[attribute.id] for item in vignettes],
            categories=[level.id for level in attribute.levels],
        )
        for attribute in instrument.attributes
    }
    frame = pd.DataFrame(columns, index=pd.Index([item.id for item in vignettes], name="vignette"))
    return frame


def effect_codes(design) -> tuple[pd.DataFrame, dict[str, list]]:
    """Effect-code a vignettes x attributes design (sum-to-zero contrasts).

    An attribute with levels ``l_1 ... l_k`` (a categorical column's categories in their order,
    else in order of first appearance) becomes ``k - 1``
    columns ``attribute=l_j``: 1 where the vignette shows ``l_j``, -1 where it shows the last
    level ``l_k``, 0 otherwise. A coefficient is then the level's deviation from the mean of
    the attribute's levels, and the last level's effect is minus the sum of the others.

    Returns
    -------
    codes : DataFrame
        Vignettes x coded columns, float.
    levels : dict
        The levels of each attribute, in coding order.
    """
    if not isinstance(design, pd.DataFrame) or design.empty:
        raise ValueError("design must be a non-empty DataFrame (vignettes x attributes)")
    if design.isna().any().any():
        column = design.columns[design.isna().any()][0]
        raise ValueError(f"design must give every vignette a level; attribute {column!r} has gaps")
    columns: dict[str, np.ndarray] = {}
    levels: dict[str, list] = {}
    for attribute in design.columns:
        series = design[attribute]
        column = np.asarray(series.to_numpy(), dtype=object)
        present = list(pd.unique(column))
        if isinstance(series.dtype, pd.CategoricalDtype):
            present = [c for c in series.cat.categories if c in set(present)]
        if len(present) < 2:
            raise ValueError(f"design attribute {attribute!r} shows one level only ({present[0]!r})")
        levels[str(attribute)] = present
        for level in present[:-1]:
            columns[f"{attribute}={level}"] = np.where(
                column == level, 1.0, np.where(column == present[-1], -1.0, 0.0)
            )
    return pd.DataFrame(columns, index=design.index), levels


@dataclass(frozen=True)
class PolicyWeights:
    """Each function's weights on the vignette attributes (see :func:`policy_weights`).

    Attributes
    ----------
    levels : DataFrame
        Indexed by ``(attribute, level)`` (and ``("intercept", "")``): ``weight_a``,
        ``se_a``, ``weight_b``, ``se_b``, ``difference`` (a - b), ``se``, ``low``, ``high``,
        ``p``. A level's weight is its effect on the judgement, in scale points, against the
        mean of the attribute's levels.
    attributes : DataFrame
        Indexed by attribute: ``importance_a``, ``importance_b`` (range of the level
        weights), ``p_a``, ``p_b`` (Wald F test that the function gives the attribute no
        weight), ``share_a``, ``share_b`` (importance as percent of the function's total),
        and the Wald test that the two functions weigh the attribute alike: ``F``,
        ``df_num``, ``df_denom``, ``p``.
    pair : tuple of str
        The functions compared (``_a`` is ``pair[0]``).
    n_respondents : tuple of int
        Respondents with a judgement, per function of ``pair``.
    n_observations : int
        Judgements used.
    """

    levels: pd.DataFrame
    attributes: pd.DataFrame
    pair: tuple[str, str]
    n_respondents: tuple[int, int]
    n_observations: int


def policy_weights(judgements, functions, design, *, pair=_PAIR, confidence: float = 0.95) -> PolicyWeights:
    r"""Policy capturing: each function's weights on the attributes, and where they differ.

    One linear model with a separate intercept and slopes per function,

    .. math:: y_{rv} = \sum_{f \in \{a, b\}} [f_r = f]\,
                       \bigl(\beta_{f0} + \textstyle\sum_j \beta_{fj}\, x_{vj}\bigr) + e_{rv}

    fitted by ordinary least squares to every judgement :math:`y_{rv}` of respondent
    :math:`r` on vignette :math:`v`, where :math:`x_{vj}` are the effect codes of the
    vignette's attribute levels (:func:`effect_codes`). A respondent's judgements are not
    independent, so the covariance is clustered by respondent (CR1, as Stata and statsmodels
    compute it):

    .. math:: \hat V = \frac{G}{G - 1}\,\frac{N - 1}{N - K}\,
                       (X'X)^{-1} \Bigl(\sum_g X_g' e_g e_g' X_g\Bigr) (X'X)^{-1}

    with :math:`G` respondents, :math:`N` judgements and :math:`K` coefficients. Intervals
    and tests use Student's t (and F) with :math:`G - 1` denominator degrees of freedom. The
    difference :math:`\beta_{aj} - \beta_{bj}` is the function x attribute interaction;
    an attribute's :math:`k - 1` differences are tested together by a Wald F test.

    Parameters
    ----------
    judgements, functions, pair
        As for :func:`function_agreement`; the judgement codes are taken as interval
        (scale points).
    design : DataFrame
        Vignettes x attributes, the level each vignette shows; its index holds the vignette
        ids, which must all be columns of ``judgements``.
    confidence : float
        Level of the intervals.

    Returns
    -------
    PolicyWeights

    References
    ----------
    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust
    inference. *Journal of Human Resources, 50*, 317-372.

    Aiman-Smith, L., Scullen, S. E., & Barr, S. H. (2002). Conducting studies of decision
    making in organizational contexts: a tutorial for policy-capturing and other regression-
    based techniques. *Organizational Research Methods, 5*, 388-414.
    """
    confidence = _check_confidence(confidence)
    frame, labels, pair = _inputs(judgements, functions, pair)
    codes, levels = effect_codes(design)
    missing = [v for v in codes.index if v not in frame.columns]
    if missing:
        raise ValueError(f"design has vignettes that judgements lacks: {[str(v) for v in missing[:5]]}")
    in_pair = labels.isin(pair).to_numpy()
    y_wide = frame.loc[in_pair, list(codes.index)].to_numpy()
    group_of = (labels[in_pair] == pair[1]).to_numpy().astype(int)
    respondent, vignette = np.nonzero(~np.isnan(y_wide))
    y = y_wide[respondent, vignette]
    x_vignette = np.column_stack([np.ones(len(codes)), codes.to_numpy()])
    p = x_vignette.shape[1]
    x = np.zeros((y.size, 2 * p))
    side = group_of[respondent]
    for f in (0, 1):
        rows = side == f
        x[np.ix_(rows, np.arange(f * p, (f + 1) * p))] = x_vignette[vignette[rows]]
    clusters, cluster = np.unique(respondent, return_inverse=True)
    n_clusters = clusters.size
    n_resp = (int((group_of[clusters] == 0).sum()), int((group_of[clusters] == 1).sum()))
    if min(n_resp) < 2:
        raise ValueError(
            f"policy_weights needs judgements from at least two respondents in each function; "
            f"got {n_resp[0]} in {pair[0]!r} and {n_resp[1]} in {pair[1]!r}"
        )
    xtx = x.T @ x
    if np.linalg.matrix_rank(xtx) < xtx.shape[0]:
        raise ValueError(
            "the attributes cannot be separated on the vignettes judged (the design's effect codes "
            "are collinear); use a design in which every attribute varies independently"
        )
    bread = np.linalg.inv(xtx)
    beta = bread @ (x.T @ y)
    residual = y - x @ beta
    scores = x * residual[:, None]
    summed = np.column_stack(
        [np.bincount(cluster, weights=scores[:, k], minlength=n_clusters) for k in range(x.shape[1])]
    )
    n_obs, k_params = x.shape
    factor = n_clusters / (n_clusters - 1) * (n_obs - 1) / (n_obs - k_params)
    cov = factor * bread @ (summed.T @ summed) @ bread
    df = n_clusters - 1
    t_crit = float(stats.t.ppf(0.5 + confidence / 2, df))

    # Level weights (coded levels and the derived last level) as linear combinations.
    rows_index: list[tuple[str, str]] = [("intercept", "")]
    combos: list[np.ndarray] = [np.eye(p)[0]]
    column = 1
    attribute_rows: dict[str, list[int]] = {}
    for attribute, attribute_levels in levels.items():
        first = column
        attribute_rows[attribute] = list(range(len(rows_index), len(rows_index) + len(attribute_levels)))
        for level in attribute_levels[:-1]:
            rows_index.append((attribute, str(level)))
            combos.append(np.eye(p)[column])
            column += 1
        rows_index.append((attribute, str(attribute_levels[-1])))
        combos.append(-np.eye(p)[first:column].sum(axis=0))
    combo = np.vstack(combos)
    block_a = np.hstack([combo, np.zeros_like(combo)])
    block_b = np.hstack([np.zeros_like(combo), combo])
    contrast = block_a - block_b
    weight_a, weight_b, difference = block_a @ beta, block_b @ beta, contrast @ beta
    se_a = np.sqrt(np.einsum("ij,jk,ik->i", block_a, cov, block_a))
    se_b = np.sqrt(np.einsum("ij,jk,ik->i", block_b, cov, block_b))
    se = np.sqrt(np.einsum("ij,jk,ik->i", contrast, cov, contrast))
    with np.errstate(divide="ignore", invalid="ignore"):
        p_value = 2 * stats.t.sf(np.abs(difference / se), df)
    level_table = pd.DataFrame(
        {
            "weight_a": weight_a,
            "se_a": se_a,
            "weight_b": weight_b,
            "se_b": se_b,
            "difference": difference,
            "se": se,
            "low": difference - t_crit * se,
            "high": difference + t_crit * se,
            "p": p_value,
        },
        index=pd.MultiIndex.from_tuples(rows_index, names=["attribute", "level"]),
    )

    attribute_records = {}
    importance_totals = [0.0, 0.0]
    for attribute, positions in attribute_rows.items():
        imp_a = float(np.ptp(weight_a[positions]))
        imp_b = float(np.ptp(weight_b[positions]))
        importance_totals[0] += imp_a
        importance_totals[1] += imp_b
        coded = positions[:-1]  # the free differences of this attribute
        r = contrast[coded]
        d = r @ beta
        v = r @ cov @ r.T
        q = len(coded)
        f_stat = float(d @ np.linalg.solve(v, d) / q)
        record = {"importance_a": imp_a, "importance_b": imp_b}
        for side, block in (("a", block_a), ("b", block_b)):
            own = block[coded]
            weight = own @ beta
            f_own = float(weight @ np.linalg.solve(own @ cov @ own.T, weight) / q)
            record[f"p_{side}"] = float(stats.f.sf(f_own, q, df))
        attribute_records[attribute] = {
            **record,
            "F": f_stat,
            "df_num": q,
            "df_denom": df,
            "p": float(stats.f.sf(f_stat, q, df)),
        }
    attribute_table = pd.DataFrame.from_dict(attribute_records, orient="index")
    attribute_table.index.name = "attribute"
    with np.errstate(divide="ignore", invalid="ignore"):
        attribute_table.insert(2, "share_a", 100 * attribute_table["importance_a"] / importance_totals[0])
        attribute_table.insert(3, "share_b", 100 * attribute_table["importance_b"] / importance_totals[1])
    return PolicyWeights(
        levels=level_table,
        attributes=attribute_table,
        pair=pair,
        n_respondents=n_resp,
        n_observations=int(n_obs),
    )


# --- definition index ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DefinitionIndex:
    """How alike two functions judge the vignettes, 0-100 (see :func:`definition_index`).

    Attributes
    ----------
    index : float
        100 = the two functions' judgements of every vignette are indistinguishable.
    ci_low, ci_high : float
        Interval of the true index by test inversion (see :func:`definition_index`); it
        contains ``index``.
    n_a, n_b : int
        Respondents of each function with at least one judgement.
    n_vignettes : int
        Vignettes with an effect size.
    confidence : float
        Level of the interval.
    """

    index: float
    ci_low: float
    ci_high: float
    n_a: int
    n_b: int
    n_vignettes: int
    confidence: float


def _overlaps_from_moments(count_a, sum_a, square_a, count_b, sum_b, square_b) -> np.ndarray:
    """Overlap per vignette (last axis) from per-function counts, sums and sums of squares."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_a, mean_b = sum_a / count_a, sum_b / count_b
        var_a = np.maximum((square_a - count_a * mean_a**2) / (count_a - 1), 0.0)
        var_b = np.maximum((square_b - count_b * mean_b**2) / (count_b - 1), 0.0)
        g = _gap_arrays(count_a, mean_a, var_a, count_b, mean_b, var_b)["g"]
        # No spread at all: the same mean is full overlap, different means none.
        flat = np.isnan(g) & (count_a >= 2) & (count_b >= 2)
        same = np.isclose(mean_a, mean_b)
        return np.where(flat, np.where(same, 1.0, 0.0), overlap(g))


def _resample_counts(rng: np.random.Generator, n: int, n_boot: int) -> np.ndarray:
    """How often each of ``n`` respondents is drawn in each of ``n_boot`` resamples of size ``n``."""
    drawn = rng.integers(0, n, size=(n_boot, n)) + (np.arange(n_boot) * n)[:, None]
    return np.bincount(drawn.ravel(), minlength=n_boot * n).reshape(n_boot, n).astype(float)


def _mean_index(overlaps: np.ndarray) -> np.ndarray:
    usable = np.isfinite(overlaps)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100.0 * np.where(usable, overlaps, 0.0).sum(axis=-1) / usable.sum(axis=-1)


def _definition_interval(sides, overlaps, point, n_boot, confidence, seed) -> tuple[float, float]:
    """Interval of the definition index by the alignment index's test inversion, holding ``point``.

    Vignettes with at least 3 judgements on each side and some spread enter
    :func:`analysis.alignment_estimate` (vignettes as dimensions); the others (a side
    without spread, or only 2 judgements) count with their observed overlap, fixed. When none
    can enter, or the inversion refuses the data, the percentile interval of resampled
    respondents is used instead; either way it is widened to contain ``point``.
    """
    counts = [(~np.isnan(side)).sum(axis=0) for side in sides]
    with np.errstate(invalid="ignore"):
        spread = [np.nanmax(side, axis=0) - np.nanmin(side, axis=0) for side in sides]
    finite = np.isfinite(overlaps)
    usable = finite & (counts[0] >= 3) & (counts[1] >= 3) & ((spread[0] > 0) | (spread[1] > 0))
    low = high = float("nan")
    if usable.any():
        try:
            estimate = alignment_estimate(
                pd.DataFrame(sides[0][:, usable]), pd.DataFrame(sides[1][:, usable]),
                confidence=confidence, replicates=max(n_boot, 100), seed=seed,
            )  # fmt: skip
        except ValueError:
            pass
        else:
            fixed = 100.0 * overlaps[finite & ~usable].sum()
            share = int(usable.sum())
            low = (share * estimate.ci_low + fixed) / int(finite.sum())
            high = (share * estimate.ci_high + fixed) / int(finite.sum())
    if np.isnan(low):
        rng = np.random.default_rng(seed)

        def moments(values, weights):
            present = ~np.isnan(values)
            filled = np.where(present, values, 0.0)
            return weights @ present, weights @ filled, weights @ filled**2

        draws = [_resample_counts(rng, len(side), n_boot) for side in sides]
        boot = _mean_index(_overlaps_from_moments(*moments(sides[0], draws[0]), *moments(sides[1], draws[1])))
        tail = (1 - confidence) / 2
        low, high = (float(v) for v in np.nanquantile(boot, [tail, 1 - tail]))
    return min(float(low), point), max(float(high), point)


def definition_index(
    judgements,
    functions,
    *,
    pair=_PAIR,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int | None = 0,
) -> DefinitionIndex:
    r"""Definition index: 0-100 summary of how alike two functions judge the same vignettes.

    .. math:: DI = \frac{100}{V} \sum_{v=1}^{V} 2\, \Phi\!\left(-\frac{|g_v|}{2}\right)

    the mean over the :math:`V` vignettes of the overlap of the two functions' judgements,
    :math:`g_v` being Hedges' g between them on vignette :math:`v`. It is the formula of
    :func:`analysis.alignment_index` with vignettes in place of dimensions, so it reads on
    the same scale and can stand beside the alignment dimensions: 100 = indistinguishable
    judgements, 80 = half an SD apart on average, 62 = one SD. A vignette on which neither
    function varies counts 100 when their judgements agree and 0 when they do not.

    Parameters
    ----------
    judgements, functions, pair
        As for :func:`function_agreement`.
    n_boot : int
        Samples simulated for the interval (at least 100 are used); 0 gives no interval (NaN).
        The interval inverts the test of :func:`analysis.alignment_estimate` with the
        vignettes as its dimensions, so it has close to nominal coverage also when the two
        functions judge alike (a percentile bootstrap of this index, biased low near 100,
        almost never reaches 100 there and can exclude the index itself), and it is widened
        to contain ``index``, which is the plug-in value (about 90 for indistinguishable
        judgements of 20 people a side, while the interval then reaches 100).
    confidence : float
        Level of the interval.
    seed : int or None
        Seed of the simulation, so the interval is reproducible.

    Returns
    -------
    DefinitionIndex

    References
    ----------
    Inman, H. F., & Bradley, E. L. (1989). The overlapping coefficient as a measure of
    agreement between probability distributions and point estimation of the overlap of two
    normal densities. *Communications in Statistics - Theory and Methods, 18*, 3851-3874.

    Efron, B., & Tibshirani, R. J. (1993). *An introduction to the bootstrap*. Chapman & Hall.
    """
    check_int(n_boot, "n_boot", minimum=0)
    confidence = _check_confidence(confidence)
    frame, labels, pair = _inputs(judgements, functions, pair)
    sides = []
    for function in pair:
        values = frame[(labels == function).to_numpy()].to_numpy()
        values = values[~np.isnan(values).all(axis=1)]
        sides.append(values)
    if min(len(side) for side in sides) < 2:
        raise ValueError(
            f"definition_index needs at least two respondents with judgements in each of {pair!r}; "
            f"got {len(sides[0])} and {len(sides[1])}"
        )

    def moments(values, weights):
        present = ~np.isnan(values)
        filled = np.where(present, values, 0.0)
        return weights @ present, weights @ filled, weights @ filled**2

    ones = [np.ones(len(side)) for side in sides]
    overlaps = _overlaps_from_moments(*moments(sides[0], ones[0]), *moments(sides[1], ones[1]))
    point = _mean_index(overlaps)
    usable = int(np.isfinite(overlaps).sum())
    low = high = float("nan")
    if n_boot > 0:
        low, high = _definition_interval(sides, overlaps, float(point), n_boot, confidence, seed)
    return DefinitionIndex(
        index=float(point),
        ci_low=low,
        ci_high=high,
        n_a=len(sides[0]),
        n_b=len(sides[1]),
        n_vignettes=usable,
        confidence=confidence,
    )

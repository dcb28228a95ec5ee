"""Within-team agreement and the reliability of team means.

Agreement indices (r_wg, r_wg(j), a_wg, AD) say how much the members of one team
agree with each other; ICC(1) and ICC(2) say how much of the variance lies between
teams and how reliable a team's mean is. Together they are the evidence that a team
score is a property of the team and not of a few members.

Every function follows R's ``multilevel`` package (Bliese) in formula and in its
handling of small groups, so the numbers can be checked against it:

* groups with a single member get a missing value;
* several items are deleted *listwise* (a member missing any item is left out), as
  ``multilevel`` does through ``na.exclude``; ``missing="pairwise"`` uses every
  available answer per item instead;
* values must be finite: an infinite value raises a ``ValueError`` naming the argument
  and the item (NaN marks a missing answer);
* teams are returned sorted by label (numbers before text when the labels mix both, as
  pandas' ``groupby`` sorts them). Teams left with no member after missing answers are
  removed stay in the table with ``n = 0`` and a missing value (``multilevel`` drops
  them), so the table can be joined to other team tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._validation import as_groups, as_items, as_values, check_choice, check_int, label_order

__all__ = ["ad_index", "awg", "icc1", "icc2", "icc_scores", "rwg", "rwg_j", "rwg_j_scales"]

_MISSING = ("listwise", "pairwise")
_EPS = np.finfo(float).eps


def _uniform_null_variance(n_options: int) -> float:
    """Variance of the uniform ("no agreement") null on ``A`` options: (A^2 - 1) / 12."""
    return (n_options**2 - 1) / 12.0


def _values_and_groups(values, groups, name: str) -> tuple[pd.Series, pd.Series]:
    series = as_values(values, name)
    labels = as_groups(groups, series.index)
    return series, labels


def _items_and_groups(items, groups, name: str, missing: str) -> tuple[pd.DataFrame, pd.Series]:
    """Return items and aligned labels, listwise-deleted if ``missing == "listwise"``.

    A one-dimensional input (one item) is accepted as a one-column table.
    """
    check_choice(missing, "missing", _MISSING)
    if not isinstance(items, pd.DataFrame) and np.ndim(items) == 1:
        items = as_values(items, name).to_frame()
    frame = as_items(items, name, min_columns=1, min_rows=1)
    labels = as_groups(groups, frame.index)
    return frame, labels


def _team_index(labels: pd.Series) -> pd.Index:
    index = label_order(labels).copy()
    index.name = labels.name if labels.name is not None else "team"
    return index


def _table(labels: pd.Series, columns: dict[str, pd.Series]) -> pd.DataFrame:
    """Assemble a per-team table on all teams in ``labels`` (missing teams -> n = 0)."""
    index = _team_index(labels)
    table = pd.DataFrame({name: column.reindex(index) for name, column in columns.items()}, index=index)
    if "n" in table:
        table["n"] = table["n"].fillna(0).astype(int)
    return table


def rwg(values, groups, n_options: int) -> pd.DataFrame:
    r"""Within-group agreement r_wg on a single item (James, Demaree & Wolf, 1984).

    .. math:: r_{wg} = 1 - s_x^2 / \sigma_{EU}^2, \qquad \sigma_{EU}^2 = (A^2 - 1) / 12

    where :math:`s_x^2` is the team's sample variance (denominator n - 1) and
    :math:`\sigma_{EU}^2` the variance of the uniform null distribution on ``A``
    answer options. As in ``multilevel::rwg``, a variance above the null variance is
    truncated to it, so r_wg lies in [0, 1].

    Parameters
    ----------
    values : Series or 1-D array
        One answer per respondent (NaN = missing, dropped).
    groups : Series or sequence
        Team label per respondent, aligned with ``values``.
    n_options : int
        Number of answer options ``A`` of the response scale (at least 2).

    Returns
    -------
    DataFrame
        Indexed by team (sorted), columns ``rwg`` and ``n`` (respondents with an
        answer). Teams with fewer than two answers have a missing ``rwg``.

    References
    ----------
    James, L. R., Demaree, R. G., & Wolf, G. (1984). Estimating within-group interrater
    reliability with and without response bias. *Journal of Applied Psychology, 69*, 85-98.
    """
    check_int(n_options, "n_options", minimum=2)
    series, labels = _values_and_groups(values, groups, "values")
    null_variance = _uniform_null_variance(n_options)
    valid = series.notna()
    grouped = series[valid].groupby(labels[valid], sort=True)
    variance = grouped.var(ddof=1)
    value = 1.0 - variance.clip(upper=null_variance) / null_variance
    return _table(labels, {"rwg": value, "n": grouped.size()})


def _item_variances(frame: pd.DataFrame, labels: pd.Series, missing: str):
    """Per team: item variances (teams x items) and the number of members used."""
    if missing == "listwise":
        complete = frame.notna().all(axis=1).to_numpy()
        frame, labels = frame[complete], labels[complete]
    grouped = frame.groupby(labels, sort=True)
    variances = grouped.var(ddof=1)
    if missing == "listwise":
        sizes = grouped.size()
    else:
        # With pairwise use a team's size is its number of members who answered anything.
        sizes = frame.notna().any(axis=1).groupby(labels, sort=True).sum()
    return variances, sizes, grouped


def rwg_j(items, groups, n_options: int, *, missing: str = "listwise") -> pd.DataFrame:
    r"""Multi-item within-group agreement r_wg(j) (James, Demaree & Wolf, 1984).

    .. math::

        r_{wg(J)} = \frac{J (1 - \bar s^2_{x_j} / \sigma_{EU}^2)}
                         {J (1 - \bar s^2_{x_j} / \sigma_{EU}^2) + \bar s^2_{x_j} / \sigma_{EU}^2}

    with :math:`\bar s^2_{x_j}` the mean of the team's item variances, ``J`` the number
    of items that enter that mean and :math:`\sigma_{EU}^2 = (A^2 - 1)/12` the uniform null variance. As in
    ``multilevel::rwg.j``, a mean variance above the null variance is truncated to it
    (r_wg(j) = 0).

    Parameters
    ----------
    items : DataFrame
        Respondents x items of one scale (NaN = missing).
    groups : Series or sequence
        Team label per respondent.
    n_options : int
        Number of answer options ``A`` (at least 2).
    missing : {"listwise", "pairwise"}
        ``"listwise"`` (as ``multilevel``) drops a respondent missing any item;
        ``"pairwise"`` computes each item's variance from the answers available, and an
        item that fewer than two of a team's members answered is left out of that team's
        mean variance and of its ``J``.

    Returns
    -------
    DataFrame
        Indexed by team, columns ``rwg_j`` and ``n``. Teams with fewer than two
        members have a missing ``rwg_j``.

    References
    ----------
    James, L. R., Demaree, R. G., & Wolf, G. (1984). *Journal of Applied Psychology, 69*, 85-98.
    Bliese, P. D. (2016). multilevel: Multilevel functions. R package.
    """
    check_int(n_options, "n_options", minimum=2)
    frame, labels = _items_and_groups(items, groups, "items", missing)
    null_variance = _uniform_null_variance(n_options)
    variances, sizes, _ = _item_variances(frame, labels, missing)
    # J counts the items whose variance the team has (with pairwise use an item answered
    # by fewer than two members has none), so J and the mean variance agree.
    n_items = variances.notna().sum(axis=1)
    ratio = variances.mean(axis=1).clip(upper=null_variance) / null_variance
    value = n_items * (1 - ratio) / (n_items * (1 - ratio) + ratio)
    value[sizes.reindex(value.index) < 2] = np.nan
    return _table(labels, {"rwg_j": value, "n": sizes})


def awg(values_or_items, groups, low: float, high: float, *, missing: str = "listwise") -> pd.DataFrame:
    r"""Agreement index a_wg (Brown & Hauenstein, 2005), as ``multilevel::awg``.

    For one item answered by ``k`` members with mean ``M`` and variance ``s^2`` on a
    scale from ``L`` (``low``) to ``H`` (``high``):

    .. math:: a_{wg} = 1 - \frac{2 s^2}{[(H + L) M - M^2 - H L] \; k / (k - 1)}

    i.e. the observed variance relative to the largest variance possible for that mean.
    Following ``multilevel``: a mean outside ``[(L (k-1) + H)/k, (H (k-1) + L)/k]``
    (where that maximum cannot be reached) gives a missing value; a mean equal to ``L``
    or ``H`` gives 1. For several items the index is the mean of the item indices,
    skipping the missing ones.

    Parameters
    ----------
    values_or_items : Series or DataFrame
        One item (Series) or the items of one scale (DataFrame); NaN = missing.
    groups : Series or sequence
        Team label per respondent.
    low, high : float
        Lowest and highest answer options of the response scale.
    missing : {"listwise", "pairwise"}
        For several items: ``"listwise"`` (as ``multilevel``) or per-item available answers.

    Returns
    -------
    DataFrame
        Indexed by team, columns ``awg``, ``n`` and, for several items, ``n_items``.

    References
    ----------
    Brown, R. D., & Hauenstein, N. M. A. (2005). Interrater agreement reconsidered: An
    alternative to the rwg indices. *Organizational Research Methods, 8*, 165-184.
    """
    low, high = float(low), float(high)
    if not high > low:
        raise ValueError(f"high must be greater than low; got low={low}, high={high}")
    several = isinstance(values_or_items, pd.DataFrame) or np.ndim(values_or_items) == 2
    frame, labels = _items_and_groups(values_or_items, groups, "values_or_items", missing)
    if missing == "listwise":
        complete = frame.notna().all(axis=1).to_numpy()
        frame, labels_used = frame[complete], labels[complete]
    else:
        labels_used = labels
    grouped = frame.groupby(labels_used, sort=True)
    k = grouped.count()
    sums = grouped.sum()
    mean = sums / k.where(k > 0)
    variance = grouped.var(ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        largest = ((high + low) * mean - mean**2 - high * low) * (k / (k - 1))
        item_index = 1 - 2 * variance / largest
    # Bounds compared on sums (exact for whole-number answers) rather than on means.
    outside = (sums < low * (k - 1) + high) | (sums > high * (k - 1) + low)
    item_index = item_index.mask(outside)
    item_index = item_index.mask((mean == high) | (mean == low), 1.0)
    item_index = item_index.mask(k < 2)
    value = item_index.mean(axis=1, skipna=True)
    if missing == "listwise":
        sizes = grouped.size()
    else:
        sizes = frame.notna().any(axis=1).groupby(labels_used, sort=True).sum()
    value[sizes.reindex(value.index) < 2] = np.nan
    columns = {"awg": value, "n": sizes}
    table = _table(labels, columns)
    if several:
        table["n_items"] = frame.shape[1]
    return table


def ad_index(items, groups, *, type: str = "mean", missing: str = "listwise") -> pd.DataFrame:
    r"""Average deviation index AD (Burke, Finkelstein & Dusig, 1999), as ``multilevel::ad.m``.

    For one item, the mean absolute deviation of the members' answers from the team's
    mean (``type="mean"``) or median (``type="median"``):

    .. math:: AD = \frac{1}{k} \sum_{i=1}^{k} |x_i - \bar x|

    For several items, the mean of the item ADs. Smaller is more agreement; Burke and
    Dunlap (2002) suggest AD <= A / 6 on ``A`` options as the limit of practical agreement.

    Parameters
    ----------
    items : Series or DataFrame
        One item or the items of one scale (NaN = missing).
    groups : Series or sequence
        Team label per respondent.
    type : {"mean", "median"}
        Centre the deviations on the team's mean or median (the name follows ``multilevel``).
    missing : {"listwise", "pairwise"}
        For several items: ``"listwise"`` (as ``multilevel``) or per-item available answers.

    Returns
    -------
    DataFrame
        Indexed by team, columns ``ad`` and ``n``; teams with fewer than two members
        have a missing ``ad``.

    References
    ----------
    Burke, M. J., Finkelstein, L. M., & Dusig, M. S. (1999). On average deviation indices
    for estimating interrater agreement. *Organizational Research Methods, 2*, 49-68.
    """
    check_choice(type, "type", ("mean", "median"))
    frame, labels = _items_and_groups(items, groups, "items", missing)
    if missing == "listwise":
        complete = frame.notna().all(axis=1).to_numpy()
        frame, labels_used = frame[complete], labels[complete]
    else:
        labels_used = labels
    grouped = frame.groupby(labels_used, sort=True)
    centre = grouped.transform(type)
    deviations = (frame - centre).abs()
    item_ad = deviations.groupby(labels_used, sort=True).mean()
    value = item_ad.mean(axis=1, skipna=True)
    if missing == "listwise":
        sizes = grouped.size()
    else:
        sizes = frame.notna().any(axis=1).groupby(labels_used, sort=True).sum()
    value[sizes.reindex(value.index) < 2] = np.nan
    return _table(labels, {"ad": value, "n": sizes})


def _one_way_mean_squares(values, groups) -> tuple[float, float, int, int]:
    """Between and within mean squares of a one-way ANOVA, with N and the number of groups."""
    series, labels = _values_and_groups(values, groups, "values")
    valid = series.notna().to_numpy()
    series, labels = series[valid], labels[valid]
    grouped = series.groupby(labels, sort=False)
    sizes = grouped.size().to_numpy(dtype=float)
    means = grouped.mean().to_numpy()
    n_total, n_groups = int(sizes.sum()), len(sizes)
    if n_groups < 2 or n_total <= n_groups:
        raise ValueError(
            "values need at least two groups and more answers than groups for a one-way ANOVA; "
            f"got {n_groups} groups and {n_total} answers"
        )
    if series.min() == series.max():
        raise ValueError(
            f"values have no variance (every value is {series.iloc[0]:g}), so the ICC is undefined"
        )
    grand_mean = series.mean()
    between = float(np.sum(sizes * (means - grand_mean) ** 2))
    # Team means that differ by less than the rounding error of a mean are equal.
    if np.abs(means - grand_mean).max() <= n_total * _EPS * np.abs(series).max():
        between = 0.0
    within = float(((series - grouped.transform("mean")) ** 2).sum())
    return between / (n_groups - 1), within / (n_total - n_groups), n_total, n_groups


def icc1(values, groups) -> float:
    r"""ICC(1): the share of variance that lies between teams (Bliese, 2000).

    From the one-way ANOVA of ``values`` on team (as ``multilevel::ICC1`` on
    ``aov(values ~ as.factor(groups))``):

    .. math:: ICC(1) = \frac{MS_B - MS_W}{MS_B + (\bar n - 1) MS_W}

    Group-size convention: :math:`\bar n = N / K` is the *mean* team size, as in
    ``multilevel``. (For unbalanced teams some texts use the ANOVA-adjusted
    :math:`n_0 = (N - \sum n_j^2 / N) / (K - 1)` instead; it gives a slightly larger
    ICC(1) when team sizes vary a lot.) Missing values are dropped.

    Parameters
    ----------
    values : Series or 1-D array
        A score per respondent (NaN = missing).
    groups : Series or sequence
        Team label per respondent.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For fewer than two teams or no more answers than teams, an infinite value, or
        values without any variance (where ``multilevel`` returns NaN).

    References
    ----------
    Bliese, P. D. (2000). Within-group agreement, non-independence, and reliability:
    Implications for data aggregation and analysis. In K. J. Klein & S. W. J. Kozlowski
    (Eds.), *Multilevel theory, research, and methods in organizations* (pp. 349-381).
    """
    ms_between, ms_within, n_total, n_groups = _one_way_mean_squares(values, groups)
    mean_size = n_total / n_groups
    return float((ms_between - ms_within) / (ms_between + (mean_size - 1) * ms_within))


def icc2(values, groups) -> float:
    r"""ICC(2): the reliability of the team means (Bliese, 2000).

    .. math:: ICC(2) = \frac{MS_B - MS_W}{MS_B}

    from the one-way ANOVA of ``values`` on team, as ``multilevel::ICC2``. It needs no
    group-size convention (the sizes enter through :math:`MS_B`). Missing values are
    dropped.

    Parameters
    ----------
    values : Series or 1-D array
        A score per respondent (NaN = missing).
    groups : Series or sequence
        Team label per respondent.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        As :func:`icc1`, and when every team has the same mean (``MS_B = 0``; ``multilevel``
        then returns a rounding artefact such as -4e31).

    References
    ----------
    Bliese, P. D. (2000), see :func:`icc1`.
    """
    ms_between, ms_within, _, _ = _one_way_mean_squares(values, groups)
    if ms_between == 0:
        raise ValueError(
            "values: every team has the same mean (MS_B = 0), so ICC(2) = 1 - MS_W / MS_B is undefined"
        )
    return float((ms_between - ms_within) / ms_between)


# --------------------------------------------------------------------------- many scales at once


def _scale_columns(frame: pd.DataFrame, scales) -> dict:
    if not hasattr(scales, "items") or not scales:
        raise ValueError("scales must map each scale's name to the columns of its items (a non-empty dict)")
    checked = {}
    for scale, columns in scales.items():
        columns = [columns] if isinstance(columns, str) else list(columns)
        if not columns:
            raise ValueError(f"scales[{scale!r}] names no items")
        absent = [c for c in columns if c not in frame.columns]
        if absent:
            raise ValueError(f"scales[{scale!r}] names columns that are not in items: {absent[:5]}")
        checked[scale] = columns
    return checked


def rwg_j_scales(
    items, groups, scales, n_options, *, missing: str = "listwise", answered=None
) -> pd.DataFrame:
    r"""r_wg(j) of every team on several scales, from one grouped pass over all their items.

    The statistic, the truncation and the missing-data rules are those of :func:`rwg_j`
    (and of ``multilevel::rwg.j``):

    .. math::

        r_{wg(J)} = \frac{J (1 - \bar s^2_{x_j} / \sigma_{EU}^2)}
                         {J (1 - \bar s^2_{x_j} / \sigma_{EU}^2) + \bar s^2_{x_j} / \sigma_{EU}^2},
        \qquad \sigma_{EU}^2 = (A^2 - 1) / 12,

    computed for each scale as ``rwg_j(items[scales[s]], groups, n_options[s],
    missing=missing)`` would, but with the item variances of every team and scale taken in
    one ``groupby``: for many teams and scales (a report with a few hundred groups) that is
    one pass instead of one per scale. With ``missing="listwise"`` a member missing any
    item of a scale has all of that scale's items blanked, so the NaN-skipping variance is
    the listwise one.

    Parameters
    ----------
    items : DataFrame
        Respondents x items (NaN = missing).
    groups : Series or sequence
        Team label per respondent.
    scales : Mapping
        Scale name -> the columns of ``items`` that form it.
    n_options : int or Mapping
        Number of answer options ``A`` of the response scale (at least 2), one for all
        scales or one per scale name.
    missing : {"listwise", "pairwise"}
        As for :func:`rwg_j`.
    answered : int, Mapping or None
        For a planned-missing design, in which each member answers only ``k`` of a scale's
        items chosen at random: ``J = k`` (one for all scales or one per scale name, capped
        at the scale's items), with ``missing="pairwise"``. Each item variance is then
        estimated from the members who answered that item, so
        :math:`\bar s^2_{x_j}` stays an unbiased estimate of the mean item variance, and
        ``J`` is the length of the composite each member's score is the mean of (Lindell,
        Brandt & Whitney, 1999: the index describes the composite that is scored, not the
        full scale). ``None`` (default): ``J`` is the number of items with a variance.

    Returns
    -------
    DataFrame
        Long table ``team, scale, rwg_j, n``: scales in the order given, teams sorted as
        in :func:`rwg_j`, every team of ``groups`` on every scale (``n = 0`` and a missing
        ``rwg_j`` for a team without a usable member).

    References
    ----------
    James, L. R., Demaree, R. G., & Wolf, G. (1984). *Journal of Applied Psychology, 69*, 85-98.
    Bliese, P. D. (2016). multilevel: Multilevel functions. R package.
    Lindell, M. K., Brandt, C. J., & Whitney, D. J. (1999). A revised index of interrater
    agreement for multi-item ratings of a single target. *Applied Psychological Measurement,
    23*, 127-135.
    """
    check_choice(missing, "missing", _MISSING)
    frame = as_items(items, "items", min_columns=1, min_rows=1)
    labels = as_groups(groups, frame.index)
    scales = _scale_columns(frame, scales)
    lengths = _planned_lengths(answered, scales, missing)
    options = {}
    for scale in scales:
        value = n_options.get(scale) if hasattr(n_options, "get") else n_options
        if value is None:
            raise ValueError(f"n_options has no entry for scale {scale!r}")
        options[scale] = check_int(value, f"n_options[{scale!r}]", minimum=2)
    order = _team_index(labels)
    codes = order.get_indexer(labels)
    blocks, answered = [], []
    for columns in scales.values():
        block = frame[columns].to_numpy(dtype=float)
        if missing == "listwise":
            usable = ~np.isnan(block).any(axis=1)
            block = np.where(usable[:, None], block, np.nan)
        else:
            usable = ~np.isnan(block).all(axis=1)
        blocks.append(block)
        answered.append(usable)
    combined = pd.DataFrame(np.concatenate(blocks, axis=1))
    variances = combined.groupby(codes, sort=True).var(ddof=1).reindex(range(len(order))).to_numpy()
    tables, start = [], 0
    for (scale, columns), usable in zip(scales.items(), answered, strict=True):
        null_variance = _uniform_null_variance(options[scale])
        own = variances[:, start : start + len(columns)]
        start += len(columns)
        sizes = np.bincount(codes[usable], minlength=len(order))
        n_items = (~np.isnan(own)).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_variance = np.where(n_items > 0, np.nansum(own, axis=1) / np.maximum(n_items, 1), np.nan)
            if lengths is not None:
                n_items = np.where(n_items > 0, min(lengths[scale], len(columns)), 0)
            ratio = np.minimum(mean_variance, null_variance) / null_variance
            value = n_items * (1 - ratio) / (n_items * (1 - ratio) + ratio)
        value[sizes < 2] = np.nan
        tables.append(pd.DataFrame({"team": order, "scale": scale, "rwg_j": value, "n": sizes}))
    return pd.concat(tables, ignore_index=True)


def _planned_lengths(answered, scales: dict, missing: str) -> dict | None:
    """``answered`` of :func:`rwg_j_scales` checked: scale name -> J, or ``None``."""
    if answered is None:
        return None
    if missing != "pairwise":
        raise ValueError("answered (a planned-missing design) needs missing='pairwise'")
    lengths = {}
    for scale in scales:
        value = answered.get(scale) if hasattr(answered, "get") else answered
        if value is None:
            raise ValueError(f"answered has no entry for scale {scale!r}")
        lengths[scale] = check_int(value, f"answered[{scale!r}]", minimum=1)
    return lengths


def icc_scores(scores, groups) -> pd.DataFrame:
    r"""ICC(1) and ICC(2) of several scores at once (one grouped pass), as :func:`icc1` / :func:`icc2`.

    For each column, from the one-way ANOVA of its answered values on team:

    .. math::

        ICC(1) = \frac{MS_B - MS_W}{MS_B + (\bar n - 1) MS_W}, \qquad
        ICC(2) = \frac{MS_B - MS_W}{MS_B}, \qquad \bar n = N / K,

    with the group-size convention of ``multilevel`` (mean team size) described in
    :func:`icc1`. Where :func:`icc1` or :func:`icc2` would raise (fewer than two teams
    with an answer, no more answers than teams, no variance at all, or for ICC(2) every
    team with the same mean) the value is missing, so one degenerate score leaves the
    others' values standing.

    Parameters
    ----------
    scores : DataFrame
        Respondents x scores (e.g. scale scores; NaN = missing, dropped per column).
    groups : Series or sequence
        Team label per respondent.

    Returns
    -------
    DataFrame
        Indexed by the columns of ``scores``: ``icc1, icc2, n_teams, n`` (teams and
        respondents with an answer).

    References
    ----------
    Bliese, P. D. (2000), see :func:`icc1`.
    """
    frame = as_items(scores, "scores", min_columns=1, min_rows=1)
    labels = as_groups(groups, frame.index)
    codes = _team_index(labels).get_indexer(labels)
    grouped = frame.groupby(codes, sort=True)
    sizes, means = grouped.count(), grouped.mean()
    within = ((frame - grouped.transform("mean")) ** 2).groupby(codes, sort=True).sum().sum()
    n_total = sizes.sum()
    n_groups = (sizes > 0).sum()
    grand = frame.mean()
    between = (sizes * (means - grand) ** 2).sum()
    # Team means that differ by less than the rounding error of a mean are equal (as icc1).
    spread = (means - grand).abs().max()
    between = between.mask(spread <= n_total * _EPS * frame.abs().max(), 0.0)
    constant = frame.max() == frame.min()
    with np.errstate(divide="ignore", invalid="ignore"):
        ms_between = between / (n_groups - 1)
        ms_within = within / (n_total - n_groups)
        mean_size = n_total / n_groups
        first = (ms_between - ms_within) / (ms_between + (mean_size - 1) * ms_within)
        second = (ms_between - ms_within) / ms_between
    usable = (n_groups >= 2) & (n_total > n_groups) & ~constant
    return pd.DataFrame(
        {
            "icc1": first.where(usable).astype(float),
            "icc2": second.where(usable & (ms_between != 0)).astype(float),
            "n_teams": n_groups.astype(int),
            "n": n_total.astype(int),
        }
    )

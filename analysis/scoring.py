"""Scale scores from item answers, following an instrument's scoring keys.

A dimension's score is the mean of its valid item answers after reverse keying, or
missing when fewer than the dimension's ``min_valid`` answers are valid. This is what
``psych::scoreItems(keys, items, totals = FALSE, impute = "none", min = , max = )``
computes in R, with one addition: the ``min_valid`` rule (psych scores a respondent
from a single valid answer). Meta-perception and categorical items are not scored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from instruments.model import Instrument, Item, Scale

from ._validation import check_int

__all__ = ["design_min_valid", "keyed_items", "score", "scored_dimensions"]


def _is_scored(item: Item, instrument: Instrument) -> bool:
    return instrument.scale_of(item).numeric and item.perspective != "meta"


def scored_dimensions(instrument: Instrument) -> dict[str, tuple[Item, ...]]:
    """Return the scored dimensions of ``instrument`` and their scored items.

    A dimension score is the respondent's own view, so two kinds of items are left out:
    items on categorical scales (codes such as a role level, never averaged) and
    meta-perception items (``perspective="meta"``: what the respondent expects the other
    team to answer; only one function answers them, and they enter
    :func:`analysis.meta_perception_gaps` instead). A dimension with no scored item is
    left out.

    Returns
    -------
    dict
        Dimension id -> its scored items, in instrument order.
    """
    scored: dict[str, tuple[Item, ...]] = {}
    for dimension in instrument.dimensions:
        items = tuple(item for item in instrument.items_of(dimension.id) if _is_scored(item, instrument))
        if items:
            scored[dimension.id] = items
    return scored


def _check_responses(responses) -> pd.DataFrame:
    if not isinstance(responses, pd.DataFrame):
        raise ValueError(
            f"responses must be a pandas DataFrame (one row per respondent, one column per item id); "
            f"got {type(responses).__name__}"
        )
    return responses


def _item_rows(responses: pd.DataFrame, items: tuple[Item, ...]) -> np.ndarray:
    """Answers to ``items`` as a float array with one row per item; absent columns are all-missing.

    Item-major so that each item's answers are contiguous: every later step works on whole
    rows, and the transpose is the column layout pandas keeps (no copy to build a frame).
    """
    rows = np.empty((len(items), len(responses)))
    for position, item in enumerate(items):
        if item.id not in responses.columns:
            rows[position] = np.nan
            continue
        column = responses[item.id]
        if not (pd.api.types.is_numeric_dtype(column) or column.isna().all()):
            # A text column from a CSV export: accept numerals, refuse anything else.
            converted = pd.to_numeric(column, errors="coerce")
            bad = column[converted.isna() & column.notna()].unique()
            if len(bad):
                shown = ", ".join(repr(v) for v in bad[:5])
                raise ValueError(f"responses[{item.id!r}] has non-numeric answers: {shown}")
            column = converted
        values = column.to_numpy()
        if values.dtype.kind == "f":
            rows[position] = values  # plain float column: one copy, NaN already marks missing
        else:
            rows[position] = column.to_numpy(dtype=float, na_value=np.nan)
    return rows


def _is_contiguous(scale: Scale) -> bool:
    """Whether the scale offers every whole number from ``min`` to ``max``."""
    return sorted(scale.values) == list(range(scale.min, scale.max + 1))


def _check_on_scale(row: np.ndarray, item: Item, scale: Scale) -> None:
    """Raise a ``ValueError`` naming ``item`` if it has an answer its scale does not offer."""
    if row.size == 0:
        return  # no respondents, nothing off the scale
    if _is_contiguous(scale):
        # Fast path, no temporaries beyond one: NaN-ignoring min/max and a whole-number count.
        lowest, highest = np.fmin.reduce(row), np.fmax.reduce(row)
        n_answered = row.size - np.count_nonzero(np.isnan(row))
        n_whole = np.count_nonzero(row == np.floor(row))
        if not (lowest < scale.min or highest > scale.max or n_whole != n_answered):
            return
    answered = row[~np.isnan(row)]
    bad = np.unique(answered[~np.isin(answered, np.asarray(scale.values, dtype=float))])
    if len(bad):
        shown = ", ".join(f"{v:g}" for v in bad[:10])
        raise ValueError(
            f"responses[{item.id!r}] has values outside scale {scale.id!r} "
            f"(allowed {', '.join(str(v) for v in scale.values)}): {shown}"
        )


def _keyed_rows(
    responses: pd.DataFrame, instrument: Instrument, items: tuple[Item, ...], reverse: bool = True
) -> np.ndarray:
    """Checked answers to ``items`` (one row per item), reverse-keyed items reversed if ``reverse``."""
    rows = _item_rows(responses, items)
    for row, item in zip(rows, items, strict=True):
        scale = instrument.scale_of(item)
        _check_on_scale(row, item, scale)
        if reverse and item.reverse:
            # min + max - x, in place; NaN stays NaN.
            np.subtract(scale.min + scale.max, row, out=row)
    return rows


def keyed_items(
    responses: pd.DataFrame, instrument: Instrument, dimension: str | None = None, *, reverse: bool = True
) -> pd.DataFrame:
    """Return the scored item answers with reverse-keyed items reversed.

    The input to reliability and agreement statistics: every item on an ordinal scale
    (own and meta perspective, in instrument order), or the scored items of one
    ``dimension`` (those :func:`score` averages, see :func:`scored_dimensions`), with
    reverse-keyed items scored as ``min + max - x`` on the item's own scale.

    Parameters
    ----------
    responses : DataFrame
        One row per respondent, one column per item id; NaN is a missing answer.
        Other columns are ignored; an absent item column is all-missing.
    instrument : Instrument
        Supplies the items, their scales and reverse keys.
    dimension : str, optional
        Restrict to the scored items of this dimension.
    reverse : bool
        Apply the reverse keys (default). ``False`` returns the checked answers as
        given, which is what careless-responding indices need.

    Returns
    -------
    DataFrame
        Float answers, index = ``responses.index``, columns = item ids in instrument order.

    Raises
    ------
    ValueError
        If an answer is not a point of its item's scale, or ``dimension`` is unknown.
    """
    responses = _check_responses(responses)
    scored = scored_dimensions(instrument)
    if dimension is None:
        items = tuple(item for item in instrument.items if instrument.scale_of(item).numeric)
    elif dimension in scored:
        items = scored[dimension]
    else:
        allowed = ", ".join(repr(d) for d in scored)
        raise ValueError(f"dimension must be one of the scored dimensions {allowed}; got {dimension!r}")
    rows = _keyed_rows(responses, instrument, items, reverse)
    return pd.DataFrame(rows.T, index=responses.index, columns=[item.id for item in items], copy=False)


def design_min_valid(min_valid: int, n_items: int, answered: int | None = None) -> int:
    r"""The fewest valid answers a score needs when each respondent is shown ``answered`` items.

    With the full form (``answered`` ``None`` or at least ``n_items``) this is ``min_valid``
    capped at ``n_items``. Under a planned-missing design showing :math:`k` of the
    dimension's :math:`n` items the rule keeps its share of the items shown:

    .. math:: m_k = \max\big(1, \lceil m \, \min(k, n) / n \rceil\big),

    so "3 of 6" becomes "1 of 2" and "3 of 4" becomes "2 of 2".

    Parameters
    ----------
    min_valid : int
        The dimension's rule for the full form (at least 1).
    n_items : int
        Scored items of the dimension (at least 1).
    answered : int or None
        Items of the dimension each respondent is shown (at least 1), or ``None``.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        Naming the argument that is not a whole number in range.
    """
    min_valid = check_int(min_valid, "min_valid", minimum=1)
    n_items = check_int(n_items, "n_items", minimum=1)
    capped = min(min_valid, n_items)
    if answered is None:
        return capped
    answered = check_int(answered, "answered", minimum=1)
    if answered >= n_items:
        return capped
    return max(1, -(-capped * answered // n_items))


def score(responses: pd.DataFrame, instrument: Instrument, *, answered: int | None = None) -> pd.DataFrame:
    r"""Score every dimension of ``instrument`` for every respondent.

    For respondent :math:`i` and dimension :math:`D` with items :math:`j \in D`,

    .. math::

        s_{iD} = \frac{1}{|V_{iD}|} \sum_{j \in V_{iD}} \tilde x_{ij},
        \qquad \tilde x_{ij} = \begin{cases} \min_j + \max_j - x_{ij} & j \text{ reverse-keyed} \\
        x_{ij} & \text{otherwise} \end{cases}

    where :math:`V_{iD}` are the items of :math:`D` that respondent :math:`i` answered;
    :math:`s_{iD}` is missing when :math:`|V_{iD}| <` ``min_valid`` of the dimension.
    This is the mean score of ``psych::scoreItems(..., totals = FALSE, impute = "none")``
    (Revelle, *psych* package) plus the ``min_valid`` rule.

    Only own-perspective items on ordinal scales are scored (see
    :func:`scored_dimensions`): categorical and meta-perception items are skipped, and a
    dimension with no scored item gets no column. ``min_valid`` is capped at the number
    of scored items, so a dimension whose ``min_valid`` counted its meta items can still
    be scored.

    Parameters
    ----------
    responses : DataFrame
        One row per respondent, one column per item id (numbers; NaN = missing answer,
        including "prefer not to say"). Columns that are not items (team, timestamps …)
        are ignored; an item with no column counts as unanswered by everyone.
    instrument : Instrument
        The questionnaire that defines dimensions, item scales and reverse keys.
    answered : int or None
        Under a planned-missing design, the items of each dimension every respondent is
        shown (``None``: the full form). ``min_valid`` then becomes
        :func:`design_min_valid`, so a respondent who answered what they were shown is
        scored; the score is still the mean of the valid answers.

    Returns
    -------
    DataFrame
        Scores, index = ``responses.index``, columns = dimension ids in instrument order.

    Raises
    ------
    ValueError
        If ``responses`` is not a DataFrame, or an answer is not a point of its item's
        scale (the message names the item and the offending values).

    Examples
    --------
    >>> scores = score(responses, instrument)        # doctest: +SKIP
    >>> scores.groupby(responses["team"]).mean()     # doctest: +SKIP
    """
    responses = _check_responses(responses)
    columns: dict[str, np.ndarray] = {}
    for dimension_id, items in scored_dimensions(instrument).items():
        rows = _keyed_rows(responses, instrument, items)
        min_valid = design_min_valid(instrument.dimension(dimension_id).min_valid, len(items), answered)
        columns[dimension_id] = _mean_of_valid(rows, min_valid)
    return pd.DataFrame(columns, index=responses.index, columns=list(columns))


def _mean_of_valid(rows: np.ndarray, min_valid: int) -> np.ndarray:
    """Means over the non-missing entries of each column of ``rows`` (items x respondents).

    NaN where fewer than ``min_valid`` entries are valid. Overwrites ``rows``.
    """
    count = rows.shape[0] - np.isnan(rows).sum(axis=0)
    total = np.nan_to_num(rows, copy=False, nan=0.0).sum(axis=0)
    means = np.full(rows.shape[1], np.nan)
    np.divide(total, count, out=means, where=count >= max(min_valid, 1))
    return means

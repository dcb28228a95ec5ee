"""Scale scores from item answers, following an instrument's scoring keys.

A dimension's score is the mean of its valid item answers after reverse keying, or
missing when fewer than the dimension's ``min_valid`` answers are valid. This is what
``psych::scoreItems(keys, items, totals = FALSE, impute = "none", min = , max = )``
computes in R, with one addition: the ``min_valid`` rule (psych scores a respondent
from a single valid answer).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from instruments.model import Instrument, Item, Scale

__all__ = ["keyed_items", "score", "scored_dimensions"]


def scored_dimensions(instrument: Instrument) -> dict[str, tuple[Item, ...]]:
    """Return the scored dimensions of ``instrument`` and their scored items.

    Only items on ordinal (numeric) scales are scored; items on categorical scales
    (e.g. a role level) are skipped, and a dimension with no ordinal item is left out.

    Returns
    -------
    dict
        Dimension id -> its ordinal items, in instrument order.
    """
    scored: dict[str, tuple[Item, ...]] = {}
    for dimension in instrument.dimensions:
        items = tuple(item for item in instrument.items_of(dimension.id) if instrument.scale_of(item).numeric)
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


def _item_block(responses: pd.DataFrame, items: tuple[Item, ...]) -> np.ndarray:
    """Answers to ``items`` as a float array; absent columns are all-missing."""
    block = np.full((len(responses), len(items)), np.nan)
    for position, item in enumerate(items):
        if item.id not in responses.columns:
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
        block[:, position] = column.to_numpy(dtype=float, na_value=np.nan)
    return block


def _check_on_scale(block: np.ndarray, items: tuple[Item, ...], scales: list[Scale]) -> None:
    """Raise a ``ValueError`` naming the first item with an answer its scale does not offer."""
    for position, (item, scale) in enumerate(zip(items, scales, strict=True)):
        column = block[:, position]
        answered = column[~np.isnan(column)]
        allowed = np.asarray(scale.values, dtype=float)
        contiguous = len(allowed) == scale.max - scale.min + 1 and np.array_equal(
            np.sort(allowed), np.arange(scale.min, scale.max + 1, dtype=float)
        )
        if contiguous:
            # Cheaper than a set lookup: whole numbers between min and max.
            off = (answered < scale.min) | (answered > scale.max) | (answered != np.floor(answered))
        else:
            off = ~np.isin(answered, allowed)
        if off.any():
            bad = np.unique(answered[off])
            shown = ", ".join(f"{v:g}" for v in bad[:10])
            raise ValueError(
                f"responses[{item.id!r}] has values outside scale {scale.id!r} "
                f"(allowed {', '.join(str(v) for v in scale.values)}): {shown}"
            )


def _keyed_block(
    responses: pd.DataFrame, instrument: Instrument, items: tuple[Item, ...]
) -> tuple[np.ndarray, list[Scale]]:
    scales = [instrument.scale_of(item) for item in items]
    block = _item_block(responses, items)
    _check_on_scale(block, items, scales)
    for position, (item, scale) in enumerate(zip(items, scales, strict=True)):
        if item.reverse:
            # min + max - x; NaN stays NaN.
            block[:, position] = (scale.min + scale.max) - block[:, position]
    return block, scales


def keyed_items(
    responses: pd.DataFrame, instrument: Instrument, dimension: str | None = None
) -> pd.DataFrame:
    """Return the scored item answers with reverse-keyed items reversed.

    The input to reliability and agreement statistics: every ordinal item of the
    instrument (or of one ``dimension``), reverse-keyed items scored as
    ``min + max - x`` on the item's own scale.

    Parameters
    ----------
    responses : DataFrame
        One row per respondent, one column per item id; NaN is a missing answer.
        Other columns are ignored; an absent item column is all-missing.
    instrument : Instrument
        Supplies the items, their scales and reverse keys.
    dimension : str, optional
        Restrict to the ordinal items of this dimension.

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
        items = tuple(item for dimension_items in scored.values() for item in dimension_items)
    elif dimension in scored:
        items = scored[dimension]
    else:
        allowed = ", ".join(repr(d) for d in scored)
        raise ValueError(f"dimension must be one of the scored dimensions {allowed}; got {dimension!r}")
    block, _ = _keyed_block(responses, instrument, items)
    return pd.DataFrame(block, index=responses.index, columns=[item.id for item in items])


def score(responses: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
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

    Only ordinal scales are scored: categorical items are skipped and a dimension with no
    ordinal item gets no column.

    Parameters
    ----------
    responses : DataFrame
        One row per respondent, one column per item id (numbers; NaN = missing answer,
        including "prefer not to say"). Columns that are not items (team, timestamps …)
        are ignored; an item with no column counts as unanswered by everyone.
    instrument : Instrument
        The questionnaire that defines dimensions, item scales and reverse keys.

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
        block, _ = _keyed_block(responses, instrument, items)
        columns[dimension_id] = _mean_of_valid(block, instrument.dimension(dimension_id).min_valid)
    return pd.DataFrame(columns, index=responses.index, columns=list(columns))


def _mean_of_valid(block: np.ndarray, min_valid: int) -> np.ndarray:
    """Row means over non-missing entries; NaN where fewer than ``min_valid`` are valid."""
    valid = ~np.isnan(block)
    count = valid.sum(axis=1)
    total = np.where(valid, block, 0.0).sum(axis=1)
    enough = count >= max(min_valid, 1)
    means = np.full(len(block), np.nan)
    np.divide(total, count, out=means, where=enough)
    return means

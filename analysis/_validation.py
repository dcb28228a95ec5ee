"""Argument checks shared by the analysis modules.

Each check names the offending argument and what it accepts, in the manner of
statsmodels' validators, so a notebook user sees at once what to change.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd


def _plain(label):
    """A numpy scalar label as the Python value, so messages show ``3`` and not ``np.int64(3)``."""
    return label.item() if isinstance(label, np.generic) else label


def check_choice(value, name: str, allowed: Iterable[str]):
    """Return ``value`` if it is one of ``allowed``, else raise a ``ValueError``."""
    allowed = tuple(allowed)
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return value


def check_int(value, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an ``int`` within ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be an integer; got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}; got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}; got {value}")
    return int(value)


def as_items(items, name: str = "items", *, min_columns: int = 1, min_rows: int = 2) -> pd.DataFrame:
    """Return ``items`` as a float DataFrame (rows = respondents, columns = items).

    Accepts a DataFrame or a 2-D array; NaN marks a missing answer. Raises a
    ``ValueError`` naming ``name`` for non-numeric columns, infinite values (naming the
    columns and the first row) or too small a table.
    """
    if isinstance(items, pd.DataFrame):
        frame = items
    elif isinstance(items, np.ndarray | list):
        array = np.asarray(items, dtype=float)
        if array.ndim != 2:
            raise ValueError(f"{name} must be 2-dimensional (respondents x items); got {array.ndim} dims")
        frame = pd.DataFrame(array, columns=[f"item{i + 1}" for i in range(array.shape[1])])
    else:
        raise ValueError(f"{name} must be a pandas DataFrame or a 2-D array; got {type(items).__name__}")
    non_numeric = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if non_numeric:
        raise ValueError(f"{name} must be numeric; non-numeric columns: {non_numeric[:5]}")
    if frame.shape[1] < min_columns:
        raise ValueError(f"{name} needs at least {min_columns} columns; got {frame.shape[1]}")
    if frame.shape[0] < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} rows; got {frame.shape[0]}")
    frame = frame.astype(float)
    infinite = np.isinf(frame.to_numpy())
    if infinite.any():
        positions = np.flatnonzero(infinite.any(axis=0))
        columns = [str(frame.columns[i]) for i in positions[:5]]
        row = _plain(frame.index[np.flatnonzero(infinite[:, positions[0]])[0]])
        raise ValueError(
            f"{name} must be finite (NaN marks a missing answer); infinite values in {columns}, "
            f"the first in row {row!r} of {columns[0]!r}"
        )
    return frame


def as_values(values, name: str = "values") -> pd.Series:
    """Return a 1-D numeric input as a float Series (NaN = missing); infinite values are refused."""
    if isinstance(values, pd.DataFrame):
        raise ValueError(f"{name} must be one-dimensional; got a DataFrame")
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    if not pd.api.types.is_numeric_dtype(series):
        raise ValueError(f"{name} must be numeric; got dtype {series.dtype}")
    series = series.astype(float)
    infinite = np.isinf(series.to_numpy())
    if infinite.any():
        labels = [_plain(series.index[i]) for i in np.flatnonzero(infinite)[:5]]
        raise ValueError(f"{name} must be finite (NaN marks a missing value); infinite at index {labels!r}")
    return series


def as_groups(groups, index: pd.Index, name: str = "groups") -> pd.Series:
    """Return group labels as a Series aligned with ``index``.

    A Series must carry the same index as the data; a plain sequence must have the
    same length. Missing labels are not allowed (drop those rows first).
    """
    if isinstance(groups, pd.Series):
        if not groups.index.equals(index):
            if len(groups) != len(index) or not groups.index.sort_values().equals(index.sort_values()):
                raise ValueError(f"{name} must be aligned with the data (same index)")
            groups = groups.reindex(index)
    else:
        groups = pd.Series(list(groups), index=index) if len(groups) == len(index) else None
        if groups is None:
            raise ValueError(f"{name} must have one label per row of the data")
    if groups.isna().any():
        raise ValueError(f"{name} has {int(groups.isna().sum())} missing labels; drop those rows first")
    return groups


def label_order(labels: pd.Series) -> pd.Index:
    """The distinct labels of ``labels``, sorted as ``groupby(sort=True)`` sorts them.

    That order also holds when labels mix numbers and text (numbers first, then text),
    which plain sorting refuses; a categorical keeps its categories' order.
    """
    return labels.groupby(labels, sort=True, observed=True).size().index

"""Series as users pass them: one table or many, a long DataFrame with a ``series_id``
column, checked for time order and missing values."""

from __future__ import annotations

import numpy as np

from .._validation import as_float_array, is_sparse

__all__ = ["check_series", "index_values", "is_many_series", "long_series"]


def is_many_series(X) -> bool:
    """A list of numpy arrays or pandas objects is many series; a list of numbers (or of
    rows given as lists) is one."""
    return (
        isinstance(X, list | tuple)
        and len(X) > 0
        and all(isinstance(x, np.ndarray) or hasattr(x, "iloc") for x in X)
    )


def long_series(X, column, *, allow_nan_target=False, target_gaps=False):
    """(id, table, index values) of each series of a long DataFrame, in order of first
    appearance; every row must name its series."""
    if not hasattr(X, "groupby") or column not in getattr(X, "columns", ()):
        raise ValueError(f"series_id={column!r} needs a pandas DataFrame with a {column!r} column.")
    missing = np.flatnonzero(X[column].isna().to_numpy())
    if len(missing):
        raise ValueError(
            f"The {column!r} column is missing in {len(missing)} row(s) (positions "
            f"{missing[:5].tolist()}); every row needs the id of its series, or its steps "
            "would be left out of that series."
        )
    for key, rows in X.groupby(column, sort=False):
        key = key.item() if isinstance(key, np.generic) else key
        values = rows.drop(columns=column)
        table = check_series(
            values, f"Series {key!r}", allow_nan_target=allow_nan_target, target_gaps=target_gaps
        )
        yield key, table, index_values(values)


def index_values(X) -> np.ndarray | None:
    """The time positions of a pandas series or table's steps, comparable across calls:
    datetime64[ns] for dates (and periods), float64 for numbers (years, say); None for
    input without an index, or with pandas' default index 0, 1, ... (which says
    nothing about time)."""
    index = getattr(X, "index", None)
    if not hasattr(index, "is_monotonic_increasing") or len(index) == 0:
        return None
    if hasattr(index, "to_timestamp"):  # a PeriodIndex
        index = index.to_timestamp()
    if index.dtype.kind == "M":
        return np.asarray(index.tz_localize(None) if index.tz else index, dtype="datetime64[ns]")
    if index.dtype.kind in "iuf":
        if getattr(index, "start", None) == 0 and getattr(index, "step", None) == 1:
            return None  # a RangeIndex from 0: positions, not times
        return np.asarray(index, dtype=np.float64)
    return None


def _float_array(X, name) -> np.ndarray:
    """``X`` as a float64 array (NaN where pandas has missing values), with
    scikit-learn's messages for sparse, complex, non-numeric and empty input. Numpy
    alone: the torch-free runtime forecasts with it."""
    if is_sparse(X):
        raise TypeError(
            f"Sparse data was passed for {name}, but dense data is required. Use "
            "'.toarray()' to convert to a dense numpy array."
        )
    if hasattr(X, "to_numpy"):  # pandas, nullable dtypes included
        _check_numeric_columns(X, name)
        X = X.to_numpy(dtype=np.float64, na_value=np.nan)
    X = as_float_array(np.asarray(X), np.float64, name)
    if X.ndim == 0 or len(X) == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is required."
        )
    return X


def _check_numeric_columns(X, name) -> None:
    """Refuse a pandas column of dates (the time belongs in the index, or the forecaster
    would fit nanoseconds since 1970 as values) or of anything else that is not numbers,
    naming the column."""
    columns = X.items() if hasattr(X, "columns") else [(getattr(X, "name", None), X)]
    for column, values in columns:
        what = f"{name}: column {column!r}" if hasattr(X, "columns") else name
        if getattr(values.dtype, "kind", "") in "mM":
            raise ValueError(
                f"{what} holds dates or durations. The forecaster reads each step's time from "
                f"the index: make the column the index (X.set_index({column!r})), or drop it."
            )
        try:
            values.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            bad = next(v for v in values if not _is_number(v))
            raise ValueError(
                f"{what} holds values that are not numbers ({bad!r}); the target and the "
                "covariates must be numeric."
            ) from None


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def check_series(X, name, *, allow_nan_target=False, target_gaps=False) -> np.ndarray:
    """The series as a float64 (n_steps, n_columns) array, checked for order and NaN:
    ``allow_nan_target`` leaves the target unchecked (future steps, whose target is not
    read); ``target_gaps`` lets the target have gaps (NaN, the forecaster learns from
    them) but not infinity, and needs two observed values."""
    index = getattr(X, "index", None)  # a pandas index (a list's .index is a method)
    if hasattr(index, "is_monotonic_increasing") and not (
        index.is_monotonic_increasing and index.is_unique
    ):
        raise ValueError(
            f"{name} is not in time order: its index must be increasing without duplicates "
            "(sort it with .sort_index())."
        )
    table = _float_array(X, name)
    if table.ndim == 1:  # one series without covariates
        table = table[:, None]
    if table.ndim != 2 or table.shape[1] == 0:
        raise ValueError(
            f"{name} must be a 1-D series or a 2-D table (n_steps, 1 + n_covariates) with at "
            f"least one column; got shape {table.shape}. 0 feature(s) (shape={table.shape}) "
            "while a minimum of 1 is required."
        )
    checked = table[:, 1:] if allow_nan_target or target_gaps else table
    bad = ~np.isfinite(checked).all(axis=1)
    if bad.any():
        raise ValueError(
            f"{name} contains NaN or infinity at step {int(np.argmax(bad))}; fill or drop "
            "missing values first."
        )
    if target_gaps:
        target = table[:, 0]
        if np.isinf(target).any():
            raise ValueError(
                f"{name} contains infinity at step {int(np.argmax(np.isinf(target)))}."
            )
        if np.isnan(target).any() and np.isfinite(target).sum() < 2:
            raise ValueError(
                f"{name} has {int(np.isfinite(target).sum())} observed value(s) (the rest "
                "NaN); a series needs at least 2 to learn from."
            )
    return table

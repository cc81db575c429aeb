"""Classification labels: one normalisation step for the classifier's and the tagger's.

Users pass labels as lists, numpy arrays, or pandas Series of any dtype: the default
``str`` dtype, ``object``, ``Categorical``, nullable ``Int64``/``boolean``. They become one
1-D numpy array of strings, booleans, integers or floats (what the safe format stores),
read by position, with the values the user gave: predictions come back as those labels.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

__all__ = ["check_declared_classes", "check_labels", "fitted_class_weight"]


def check_labels(y, name: str = "y") -> np.ndarray:
    """``y`` as a 1-D array of classification labels.

    Raises
    ------
    TypeError
        Labels that mix strings and numbers, or that are neither.
    ValueError
        Missing labels (None, NaN, pandas' NA), naming the first sample with one;
        continuous numbers (a regression target); not 1-D.
    """
    if isinstance(y, str) or not (hasattr(y, "__len__") or hasattr(y, "__array__")):
        raise TypeError(f"{name} must be an array-like of labels, got {type(y).__name__}.")
    values = np.asarray(_with_numpy_missing(y), dtype=None if hasattr(y, "dtype") else object)
    if values.dtype == object:
        values = _typed(values.ravel() if values.ndim == 1 else values, name)
    elif values.dtype.kind == "f" and np.isnan(values).any():
        sample = int(np.flatnonzero(np.isnan(values.reshape(len(values), -1)).any(1))[0])
        raise ValueError(f"Sample {sample} of {name} has no label (NaN); every sample needs one.")
    values = column_or_1d(values, warn=True)
    check_classification_targets(values)
    return values


def _with_numpy_missing(y):
    """pandas' nullable and categorical values (and polars' Series and one-column
    frames), with missing entries as NaN/None."""
    to_numpy = getattr(y, "to_numpy", None)
    if to_numpy is None:
        return y
    if type(y).__module__.startswith("polars"):  # polars' to_numpy takes no dtype
        values = to_numpy()
        return values.astype(object) if values.dtype.kind in "OUS" else values
    return to_numpy(dtype=object) if str(getattr(y, "dtype", "")) != "category" else to_numpy()


def _typed(values: np.ndarray, name: str) -> np.ndarray:
    """An object array of labels as strings, booleans, integers or floats."""
    flat = values.reshape(-1)
    missing = next(
        (i for i, v in enumerate(flat) if v is None or (isinstance(v, float) and v != v)), None
    )
    if missing is None:
        missing = next((i for i, v in enumerate(flat) if type(v).__name__ == "NAType"), None)
    if missing is not None:
        raise ValueError(
            f"Sample {missing} of {name} has no label ({flat[missing]!r}); every sample needs one."
        )
    strings = [isinstance(v, str) for v in flat]
    if all(strings):
        return values.astype(str)
    if any(strings):
        raise TypeError(f"{name} mixes strings and numbers; use one type for all labels.")
    if all(isinstance(v, bool | np.bool_) for v in flat):
        return values.astype(bool)
    if all(isinstance(v, numbers.Integral) for v in flat):
        return values.astype(np.int64)
    if all(isinstance(v, numbers.Real) for v in flat):
        return values.astype(np.float64)
    odd = next(v for v in flat if not isinstance(v, numbers.Real))
    raise TypeError(
        f"{name} contains {odd!r} ({type(odd).__name__}); labels must be strings or numbers."
    )


def fitted_class_weight(
    class_weight, classes: np.ndarray, labels: np.ndarray, sample_weight=None
) -> np.ndarray:
    """The weight of each of ``classes`` in the loss: ones for None, else as scikit-learn's
    classifiers compute it from ``labels`` ("balanced": frequencies weighted by
    ``sample_weight``) or a dict."""
    if class_weight is None:
        return np.ones(len(classes))
    return compute_class_weight(
        class_weight, classes=classes, y=labels, sample_weight=sample_weight
    )


def check_declared_classes(class_weight, classes) -> None:
    """A first ``partial_fit`` that declares ``classes`` sees only one batch of labels,
    too little for "balanced" weights."""
    if classes is not None and isinstance(class_weight, str) and class_weight == "balanced":
        raise ValueError(
            "class_weight='balanced' needs the class frequencies of all of y, which "
            "partial_fit does not see; pass class_weight as a dict, or use fit."
        )

"""Input validation: what users pass as ``X`` (and sample weights) checked and turned,
by position, into :class:`~sk_rnn._sequences.Sequences`, with errors that name the
offending sample before anything is trained.

The sequence checks need numpy alone: :mod:`sk_rnn.runtime` validates a deployed model's
input with them where scikit-learn and scipy are not installed."""

from __future__ import annotations

import numbers

import numpy as np

from ._sequences import Sequences

__all__ = [
    "as_float_array",
    "check_sample_weight",
    "check_same_length",
    "check_sequences",
    "is_sparse",
    "positional",
]


def _is_scalar_number(x) -> bool:
    return isinstance(x, numbers.Number | np.number) and not isinstance(x, bool | np.bool_)


def is_sparse(X) -> bool:
    """Whether ``X`` is a scipy sparse matrix or array (without importing scipy)."""
    return type(X).__module__.startswith("scipy.sparse")


def positional(X, name: str = "X"):
    """``X`` as a list or a numpy array, whose samples are read by position.

    The one normalisation step every estimator applies to its input (and to sequence
    targets): lists and numpy arrays (of any dtype, read-only or memory-mapped) are kept;
    tuples become lists; a pandas Series, whatever its index, becomes the list of its
    values; a DataFrame becomes a 2-D array (numeric columns: one univariate sequence per
    row), the list of its one column (texts, token lists or arrays), or, with a sequence
    in every cell (sktime's nested layout), one ``(n_steps, n_columns)`` array per row.
    Other array-likes become arrays.

    Raises
    ------
    TypeError
        Sparse matrices, single strings, and objects that are not a collection of samples.
    """
    if is_sparse(X):
        raise TypeError(
            f"{name} is a sparse matrix; sk_rnn needs dense sequences. "
            "Convert it with X.toarray() if it fits in memory."
        )
    read_table = getattr(X, "__sk_rnn_sequences__", None)
    if read_table is not None:  # a SequenceTable: its sequences, read from its rows
        return read_table()
    if isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 2 and X.shape[1] == 1:
        # A column of sequences, as meta-estimators hand on a DataFrame column.
        return list(X[:, 0])
    if isinstance(X, list | np.ndarray):
        return X
    if isinstance(X, tuple):
        return list(X)
    if hasattr(X, "iloc") and hasattr(X, "columns"):
        return _frame_samples(X, name)
    if hasattr(X, "iloc"):  # a pandas Series: its values, in order
        return list(X)
    if hasattr(X, "__array__") and not isinstance(X, str | bytes):
        return np.asarray(X)
    if isinstance(X, str | bytes) or not hasattr(X, "__len__"):
        raise TypeError(
            f"{name} must be a list of sequences or an array (or a pandas Series or "
            f"DataFrame), one sample per entry; got {type(X).__name__}."
        )
    return list(X)


def _frame_samples(frame, name: str):
    """The samples of a DataFrame, by position (see :func:`positional`)."""
    if frame.shape[1] == 0:
        raise ValueError(f"{name} is a DataFrame with no columns.")
    first = frame.iloc[0, 0] if len(frame) else None
    nested = isinstance(first, np.ndarray | list | tuple | str) or hasattr(first, "iloc")
    if not nested:
        # numpy dtypes and pandas' nullable ones (Int64, Float64, boolean) have a kind.
        if not all(getattr(dtype, "kind", "O") in "biuf" for dtype in frame.dtypes):
            raise TypeError(
                f"{name} is a DataFrame with non-numeric columns; numeric sequences need "
                "numbers in every column (one sequence per row), texts one column of strings."
            )
        return frame.to_numpy(dtype=np.float64, na_value=np.nan)
    if frame.shape[1] == 1:
        return list(frame.iloc[:, 0])
    if isinstance(first, str):
        raise TypeError(
            f"{name} is a DataFrame with {frame.shape[1]} text columns; pass one column of "
            "texts (e.g. X['text'])."
        )
    # One sequence per cell, one column per feature (sktime's nested DataFrame).
    return [
        np.column_stack([np.asarray(cell, dtype=np.float64) for cell in row])
        for row in frame.itertuples(index=False)
    ]


def check_sequences(
    X,
    *,
    n_features: int | None = None,
    name: str = "X",
    first_index: int = 0,
    allow_nan: bool = False,
) -> Sequences:
    """Validate numeric sequence input and return it as float32 :class:`Sequences`.

    Accepted forms:

    - a list (or 1-D object array) of arrays of shape ``(n_steps_i, n_features)`` or
      ``(n_steps_i,)`` (univariate), of different lengths;
    - a 3-D array ``(n_samples, n_steps, n_features)``;
    - a 2-D array or DataFrame ``(n_samples, n_steps)``: one univariate sequence per row.

    Parameters
    ----------
    X : see above
        The input.
    n_features : int or None
        If given, every sequence must have this many features per step.
    name : str
        Name of the argument, used in error messages.
    first_index : int
        Index of ``X[0]`` in the user's data, when ``X`` is a chunk of it (for messages).
    allow_nan : bool
        Accept NaN (gaps, which the model learns from); infinity and a sequence with no
        observed value at all are still refused.

    Raises
    ------
    TypeError
        Sparse input, strings or other non-numeric values (naming the sample).
    ValueError
        Empty input, zero-length sequences, NaN or infinity, mixed feature counts,
        arrays with more than 3 dimensions (naming the sample where there is one).
    """
    X = positional(X, name)
    if hasattr(X, "__sk_rnn_sequences__"):  # a streamed table (a block of it): read here
        X = X.sequences()
    if isinstance(X, np.ndarray) and X.dtype.kind in "mM":
        raise TypeError(
            f"{name} holds dates or durations (dtype {X.dtype}); convert them to numbers "
            "first (for example seconds since a reference time)."
        )
    if isinstance(X, np.ndarray) and (X.dtype != object or X.ndim == 2):
        sequences = _check_array_input(X, name, allow_nan)
    elif isinstance(X, list | tuple | np.ndarray):
        sequences = _check_list_input(X, name, first_index, allow_nan)
    else:
        raise TypeError(f"{name} must be a list of sequences or an array, got {type(X).__name__}.")
    if n_features is not None and sequences.n_features != n_features:
        raise ValueError(
            f"{name} has {sequences.n_features} features per step, but the estimator was "
            f"fitted with {n_features} features per step (n_features_in_={n_features})."
        )
    return sequences


def _check_array_input(X: np.ndarray, name: str, allow_nan: bool = False) -> Sequences:
    if X.ndim == 2:
        sequences = Sequences.from_padded(_check_table(X, name, allow_nan)[:, :, None])
        if allow_nan:
            _check_finite(sequences.values, name, sequences, allow_nan=True)
        return sequences
    if X.ndim == 3:
        if X.shape[0] == 0:
            raise ValueError(f"{name} contains 0 sequences; at least one is required.")
        if X.shape[1] == 0:
            raise ValueError(f"{name} has sequences of 0 steps; every sequence needs a step.")
        if X.shape[2] == 0:
            raise ValueError(f"{name} has 0 features per step; at least one is required.")
        values = _as_float32(X, name)
        if not allow_nan:
            _check_finite(values, name)
            return Sequences.from_padded(values)
        sequences = Sequences.from_padded(values)
        _check_finite(sequences.values, name, sequences, allow_nan=True)
        return sequences
    if X.ndim < 2:
        raise ValueError(
            f"Expected a 2-D array (one univariate sequence per row), a 3-D array "
            f"(n_samples, n_steps, n_features) or a list of sequences for {name}, got a "
            f"{X.ndim}-D array of shape {X.shape}. Reshape your data: X.reshape(1, -1) for a "
            "single univariate sequence, or wrap sequences in a list."
        )
    raise ValueError(
        f"{name} has {X.ndim} dimensions (shape {X.shape}); sequences must be 2-D per sample: "
        "pass a 3-D array (n_samples, n_steps, n_features) or a list of 2-D arrays."
    )


def _check_table(X: np.ndarray, name: str, allow_nan: bool = False) -> np.ndarray:
    """A 2-D array of univariate rows as float32, with scikit-learn's messages for 2-D
    input (its estimator checks match them)."""
    X = as_float_array(X, np.float32, name)
    for axis, what in enumerate(("sample(s)", "feature(s)")):
        if X.shape[axis] == 0:
            raise ValueError(
                f"Found array with 0 {what} (shape={X.shape}) while a minimum of 1 is required."
            )
    if not allow_nan and not np.isfinite(X).all():
        what = "NaN" if np.isnan(X).any() else "infinity or a value too large for dtype('float32')"
        raise ValueError(f"Input {name} contains {what}.")
    return X


def as_float_array(X: np.ndarray, dtype, name: str) -> np.ndarray:
    """``X`` as an array of ``dtype``, with scikit-learn's message for complex data and
    the conversion's own for non-numeric values (its estimator checks match them)."""
    if np.iscomplexobj(X):
        raise ValueError(f"Complex data not supported\n{X}\n")
    try:
        return X.astype(dtype, copy=False)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{name} contains non-numeric values: {exc}") from None


def _check_list_input(X, name: str, first_index: int = 0, allow_nan: bool = False) -> Sequences:
    if len(X) == 0:
        raise ValueError(f"{name} contains 0 sequences; at least one is required.")
    if all(_is_scalar_number(x) for x in X):
        raise ValueError(
            f"{name} is a flat list of numbers. Wrap a single univariate sequence in a list "
            f"({name}=[seq]) or pass one sequence per sample."
        )
    arrays = []
    n_features = None
    for i, sequence in enumerate(X, start=first_index):
        if isinstance(sequence, str | bytes):
            raise TypeError(f"Sample {i} of {name} is a string; numeric sequences were expected.")
        if is_sparse(sequence):
            raise TypeError(f"Sample {i} of {name} is a sparse matrix; pass dense arrays.")
        try:
            array = np.asarray(sequence)
        except ValueError as exc:  # ragged nested lists inside one sample
            raise ValueError(f"Sample {i} of {name} is not a rectangular array: {exc}") from None
        array = _as_float32(array, f"Sample {i} of {name}")
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2:
            raise ValueError(
                f"Sample {i} of {name} has shape {array.shape}; each sequence must be "
                "(n_steps, n_features) or (n_steps,)."
            )
        if array.shape[0] == 0:
            raise ValueError(f"Sample {i} of {name} has 0 steps; every sequence needs a step.")
        if array.shape[1] == 0:
            raise ValueError(f"Sample {i} of {name} has 0 features per step.")
        if n_features is None:
            n_features = array.shape[1]
        elif array.shape[1] != n_features:
            raise ValueError(
                f"Sample {i} of {name} has {array.shape[1]} features per step, but sample "
                f"{first_index} has {n_features}; all sequences need the same number of "
                "features."
            )
        arrays.append(array)
    sequences = Sequences.from_list(arrays)
    _check_finite(sequences.values, name, sequences, first_index, allow_nan)
    return sequences


def _as_float32(array: np.ndarray, what: str) -> np.ndarray:
    if np.iscomplexobj(array):
        raise ValueError(f"{what}: complex data not supported; pass real numbers.")
    if array.dtype.kind in "mM":
        raise TypeError(
            f"{what} holds dates or durations (dtype {array.dtype}); convert them to numbers "
            "first (for example seconds since a reference time)."
        )
    if array.dtype.kind in "biuf":
        return array.astype(np.float32, copy=False)
    try:
        return array.astype(np.float32)
    except (TypeError, ValueError):
        raise TypeError(
            f"{what} contains non-numeric values (dtype {array.dtype}); numeric sequences "
            "were expected."
        ) from None


def _check_finite(
    values: np.ndarray,
    name: str,
    sequences: Sequences | None = None,
    first_index: int = 0,
    allow_nan: bool = False,
) -> None:
    if allow_nan:  # gaps are learned from; infinity, and a sequence with no value, are not
        _check_gaps(values, name, sequences, first_index)
        return
    bad = ~np.isfinite(values).all(axis=tuple(range(1, values.ndim)))
    if not bad.any():
        return
    if sequences is None:  # values are (n * n_steps, ...) of a padded array
        raise ValueError(f"{name} contains NaN or infinity; clean or impute it first.")
    step = int(np.argmax(bad))
    sample = int(np.searchsorted(sequences.offsets, step, side="right") - 1)
    raise ValueError(
        f"Sample {first_index + sample} of {name} contains NaN or infinity (step "
        f"{step - sequences.offsets[sample]}); clean or impute it first (a model learns "
        "from NaN gaps when its training input has them and missing='auto')."
    )


def _check_gaps(values, name: str, sequences: Sequences, first_index: int) -> None:
    infinite = np.isinf(values).any(axis=1)
    if infinite.any():
        step = int(np.argmax(infinite))
        sample = int(np.searchsorted(sequences.offsets, step, side="right") - 1)
        raise ValueError(
            f"Sample {first_index + sample} of {name} contains infinity (step "
            f"{step - sequences.offsets[sample]}); gaps are NaN, and infinity is no gap."
        )
    observed = np.add.reduceat((~np.isnan(values)).any(axis=1), sequences.offsets)
    if not observed.all():
        sample = int(np.argmin(observed))
        raise ValueError(
            f"Sample {first_index + sample} of {name} has no observed value at all (every "
            "value is NaN); there is nothing in it to learn from or predict with."
        )


def check_same_length(n_sequences: int, n_targets: int, targets: str = "targets") -> None:
    """Refuse ``y`` whose number of samples differs from ``X``'s (``targets`` names what
    ``y`` holds, as the message says it)."""
    if n_sequences != n_targets:
        raise ValueError(
            f"X and y have different numbers of samples: {n_sequences} sequences in X, "
            f"{n_targets} {targets} in y."
        )


def check_sample_weight(sample_weight, n_samples: int) -> np.ndarray | None:
    """``sample_weight`` as float32 weights, one per sample, or None for equal weights.

    The weights are divided by their mean over the samples that count: scaling every
    weight by a constant does not change training (the loss is a weighted mean), and
    weights of 1e-300 or 1e300 neither underflow nor overflow in float32.
    """
    if sample_weight is None:
        return None
    from sklearn.utils.validation import check_array  # here: the runtime never weights

    if hasattr(sample_weight, "to_numpy"):  # pandas, nullable dtypes included: NA is NaN
        sample_weight = sample_weight.to_numpy(dtype=np.float64, na_value=np.nan)
    weights = check_array(
        positional(sample_weight, "sample_weight"),
        ensure_2d=False,
        dtype=np.float64,
        ensure_all_finite=False,
        input_name="sample_weight",
    )
    if weights.ndim != 1 or len(weights) != n_samples:
        raise ValueError(
            f"sample_weight has shape {weights.shape}; it needs one weight per sample, "
            f"shape ({n_samples},)."
        )
    bad = ~np.isfinite(weights)
    if bad.any():
        sample = int(np.argmax(bad))
        what = "NaN (a missing weight)" if np.isnan(weights[sample]) else "an infinite weight"
        raise ValueError(f"sample_weight has {what} at sample {sample}; weights must be finite.")
    if (weights < 0).any():
        raise ValueError(
            f"sample_weight must be non-negative; sample {int(np.argmax(weights < 0))} has "
            f"weight {weights[weights < 0][0]}."
        )
    if not weights.any():
        raise ValueError("sample_weight is zero for every sample: nothing to learn from.")
    weights = weights / weights.max()  # first into [0, 1], so that the mean cannot overflow
    return (weights / weights[weights > 0].mean()).astype(np.float32)

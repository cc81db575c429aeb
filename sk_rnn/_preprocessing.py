"""SequenceScaler: standardisation for ragged sequences."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, _fit_context
from sklearn.utils.validation import check_is_fitted

from ._output import TableOutputMixin
from ._sequences import Sequences
from ._validation import check_sequences

__all__ = ["SequenceScaler"]


class SequenceScaler(
    TableOutputMixin,
    OneToOneFeatureMixin,
    TransformerMixin,
    BaseEstimator,
    auto_wrap_output_keys=None,  # TableOutputMixin wraps tables, never sequences
):
    """Standardise the features of sequences of any length.

    By default each feature is centred and scaled with its mean and standard deviation
    over every step of every training sequence. With ``per_sequence=True`` each
    sequence is standardised by its own statistics instead (the usual convention for
    univariate time-series benchmarks: only the shape of a series matters).

    Accepts the same input forms as the estimators (ragged list, 3-D array, 2-D array of
    univariate rows) and returns the same form it was given.

    Parameters
    ----------
    per_sequence : bool, default=False
        Standardise each sequence with its own statistics; nothing is learned in fit.
    with_mean : bool, default=True
        Centre the data.
    with_std : bool, default=True
        Scale to unit variance. Features with zero variance are left unscaled.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,) or None
        Per-feature mean over all training steps (None when ``per_sequence=True``).
    scale_ : ndarray of shape (n_features,) or None
        Per-feature standard deviation (None when ``per_sequence=True``).
    n_features_in_ : int
        Features per step.
    n_steps_in_ : int or None
        For a 2-D table (one univariate sequence per row): its number of columns, whose
        names :meth:`get_feature_names_out` gives (so ``set_output(transform="pandas")``
        returns a DataFrame with the table's columns); None for other input.
    feature_names_in_ : ndarray of str
        The column names of a DataFrame seen in fit (only when they are all strings).

    Examples
    --------
    >>> import numpy as np
    >>> from sk_rnn import SequenceScaler
    >>> X = [np.array([[1.0], [3.0]]), np.array([[5.0], [7.0], [9.0]])]
    >>> scaled = SequenceScaler().fit_transform(X)
    >>> print(np.round(np.concatenate(scaled).ravel(), 2))
    [-1.41 -0.71  0.    0.71  1.41]
    """

    _parameter_constraints: dict = {
        "per_sequence": ["boolean"],
        "with_mean": ["boolean"],
        "with_std": ["boolean"],
    }

    def __init__(self, *, per_sequence=False, with_mean=True, with_std=True):
        self.per_sequence = per_sequence
        self.with_mean = with_mean
        self.with_std = with_std

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the per-feature statistics (nothing with ``per_sequence=True``)."""
        sequences = check_sequences(X)
        self.n_features_in_ = sequences.n_features
        table = not isinstance(X, list | tuple) and np.ndim(X) == 2 and _numeric(X)
        self.n_steps_in_ = np.shape(X)[1] if table else None
        columns = getattr(X, "columns", None)
        if columns is not None and all(isinstance(c, str) for c in columns):
            self.feature_names_in_ = np.asarray(columns, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        if self.per_sequence:
            self.mean_ = self.scale_ = None
        else:
            values = sequences.values.astype(np.float64)
            self.mean_ = values.mean(axis=0)
            self.scale_ = _nonzero(values.std(axis=0))
        return self

    def transform(self, X):
        """Standardise ``X``; the output has the same form as ``X``."""
        check_is_fitted(self)
        sequences = check_sequences(X, n_features=self.n_features_in_)
        values = sequences.values.astype(np.float64)
        if self.per_sequence:
            sample = np.repeat(np.arange(len(sequences)), sequences.lengths)
            counts = sequences.lengths[:, None].astype(np.float64)
            mean = np.add.reduceat(values, sequences.offsets, axis=0) / counts
            variance = np.add.reduceat(values**2, sequences.offsets, axis=0) / counts - mean**2
            mean, scale = mean[sample], _nonzero(np.sqrt(np.maximum(variance, 0)))[sample]
        else:
            mean, scale = self.mean_, self.scale_
        if self.with_mean:
            values = values - mean
        if self.with_std:
            values = values / scale
        scaled = Sequences(values.astype(np.float32), sequences.lengths, sequences.offsets)
        return self._as_configured(_like_input(scaled, X), X)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns.

        For a scaler fitted on a 2-D table (one univariate sequence per row), the
        table's columns: its DataFrame column names, or ``t0, t1, ...``. For sequences,
        one name per feature, as scikit-learn's one-to-one transformers give them.
        """
        check_is_fitted(self)
        if self.n_steps_in_ is None:
            return super().get_feature_names_out(input_features)
        if input_features is not None:
            return np.asarray(input_features, dtype=object)
        if hasattr(self, "feature_names_in_"):
            return self.feature_names_in_.copy()
        return np.asarray([f"t{i}" for i in range(self.n_steps_in_)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


def _nonzero(scale: np.ndarray) -> np.ndarray:
    return np.where(scale > 1e-12, scale, 1.0)


def _like_input(sequences: Sequences, X):
    """``sequences`` in the container form of ``X``: a list for a list (or object array,
    or pandas Series) of sequences, its samples 1-D where ``X``'s were; else an array of
    the shape of ``X``."""
    if isinstance(X, list | tuple) or (isinstance(X, np.ndarray) and X.dtype == object):
        samples = sequences.to_list()
        first = X[0] if len(X) else None
        if isinstance(X, np.ndarray) and X.ndim == 2:  # a column of sequences
            first = X[0, 0]
        return [s[:, 0] for s in samples] if np.ndim(first) == 1 else samples
    if hasattr(X, "iloc") and not hasattr(X, "columns"):  # a Series of sequences
        return _like_input(sequences, list(X))
    return sequences.values.reshape(np.shape(X))


def _numeric(X) -> bool:
    """Whether a 2-D ``X`` holds numbers (a table), not a column of sequences."""
    return getattr(X, "dtype", None) is not np.dtype(object) or hasattr(X, "columns")

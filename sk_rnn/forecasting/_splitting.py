"""Cross-validation over forecast origins, for scikit-learn's searches."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.model_selection import BaseCrossValidator

__all__ = ["OriginSplit"]


class OriginSplit(BaseCrossValidator):
    """Splits a series, or many in a long DataFrame, at forecast origins near their ends:
    each split trains on every step before its origin and tests on the ``horizon`` steps
    after it, so that ``GridSearchCV(forecaster, grid, cv=OriginSplit(...))`` scores each
    candidate as it would forecast.

    With one series (an array or a pandas object, one row per step) it is
    :class:`~sklearn.model_selection.TimeSeriesSplit` with ``test_size=horizon`` and the
    origins ``stride`` apart. With many series in a long DataFrame (``series_id`` names
    the column; each series' rows in time order, as the forecaster reads them) the
    origins are counted back from each series' own end, so every series is forecast at
    every split; a series too short to have at least ``min_train`` steps before an
    origin is left out of that split's training and test rows.

    Parameters
    ----------
    n_splits : int, default=3
    horizon : int, default=1
        Steps tested after each origin: the forecaster's ``horizon``, or fewer.
    stride : int, default=None
        Steps between origins; None: ``horizon``.
    series_id : str, default=None
        The column naming each row's series in a long DataFrame; None: one series.
    min_train : int, default=2

    Examples
    --------
    >>> import numpy as np
    >>> from sk_rnn.forecasting import OriginSplit
    >>> splits = OriginSplit(2, horizon=2).split(np.arange(10))
    >>> [(len(train), test.tolist()) for train, test in splits]
    [(6, [6, 7]), (8, [8, 9])]
    """

    def __init__(self, n_splits=3, *, horizon=1, stride=None, series_id=None, min_train=2):
        self.n_splits = n_splits
        self.horizon = horizon
        self.stride = stride
        self.series_id = series_id
        self.min_train = min_train

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        return self.n_splits

    def split(self, X, y=None, groups=None):
        stride = self.horizon if self.stride is None else self.stride
        for name, value in (
            ("n_splits", self.n_splits),
            ("horizon", self.horizon),
            ("stride", stride),
            ("min_train", self.min_train),
        ):
            if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        positions, series, ends = self._positions(X)
        rows = np.arange(len(positions))
        splits = []
        for k in range(self.n_splits):
            origins = ends - self.horizon - stride * (self.n_splits - 1 - k)
            origin = origins[series]
            member = origin >= self.min_train
            train = rows[member & (positions < origin)]
            test = rows[member & (positions >= origin) & (positions < origin + self.horizon)]
            if not len(test):  # checked before any split is used
                raise ValueError(
                    f"No series is long enough for origin {k + 1} of {self.n_splits} "
                    f"({stride} steps apart, horizon={self.horizon}): it needs at least "
                    f"{self.min_train} steps before it."
                )
            splits.append((train, test))
        yield from splits

    def _positions(self, X):
        """Each row's position in its series, each row's series (a number), and each
        series' length."""
        if self.series_id is None:
            n = len(X)
            return np.arange(n), np.zeros(n, dtype=int), np.array([n])
        try:
            keys = np.asarray(X[self.series_id])
        except (KeyError, TypeError, IndexError) as error:
            raise ValueError(
                f"series_id={self.series_id!r}: X has no such column; pass the long "
                "DataFrame the forecaster is fitted on."
            ) from error
        _, series = np.unique(keys, return_inverse=True)
        counts = np.bincount(series)
        # A row's position: how many rows of its series come before it.
        order = np.argsort(series, kind="stable")
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        positions = np.empty(len(keys), dtype=int)
        positions[order] = np.arange(len(keys)) - np.repeat(starts, counts)
        return positions, series, counts

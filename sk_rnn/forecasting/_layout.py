"""How the forecaster's series come in and go out: the training series and the future
blocks checked (one series or many; arrays, pandas objects or a long DataFrame), and
forecasts put back in the caller's layout."""

from __future__ import annotations

import numpy as np

from ._series import check_series, index_values, is_many_series, long_series

__all__ = ["SeriesLayoutMixin", "index_ends"]


class SeriesLayoutMixin:
    """The input and output layout of :class:`RNNForecaster` (its fitted ``many_series_``,
    ``series_ids_``, ``n_features_in_``, ``n_covariates_``, ``index_ends_``, ``series_``)."""

    def _names(self) -> list[str]:
        """How errors name each series: "X" for one series, else by its id."""
        if not self.many_series_:
            return ["X"]
        return [f"Series {i!r}" for i in self.series_ids_.tolist()]

    def _tables(self) -> list[np.ndarray]:
        return list(self.series_) if self.many_series_ else [self.series_]

    def _future_tables(self, X, *, allow_nan_target, with_index=False):
        """(series index, table) for each series that ``X`` gives steps of: ``X`` in the
        layout of fit (one table, a list with one per series, or a long DataFrame); with
        ``with_index``, (series index, table, index values or None)."""
        check = dict(allow_nan_target=allow_nan_target)
        if not self.many_series_:
            triples = [(0, check_series(X, "X", **check), index_values(X))]
        elif hasattr(X, "time_values"):  # a SequenceTable: its series by id
            ids = self.series_ids_.tolist()
            triples = []
            for key, table, index in _table_series(X, **check):
                if key not in ids:
                    raise ValueError(f"Series {key!r} was not seen in fit.")
                triples.append((ids.index(key), table, index))
        elif self.series_id is not None:
            ids = self.series_ids_.tolist()
            triples = []
            for key, table, index in long_series(X, self.series_id, **check):
                if key not in ids:
                    raise ValueError(f"Series {key!r} was not seen in fit.")
                triples.append((ids.index(key), table, index))
        else:
            if not isinstance(X, list | tuple) or len(X) != len(self.series_ids_):
                raise ValueError(
                    f"The forecaster was fitted on {len(self.series_ids_)} series: pass a list "
                    "with one table (or None) per series."
                )
            triples = [
                (i, check_series(x, f"Series {i}", **check), index_values(x))
                for i, x in enumerate(X)
                if x is not None
            ]
        for _, table, _ in triples:
            if table.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {table.shape[1]} features, but {type(self).__name__} is "
                    f"expecting {self.n_features_in_} features as input (the target and "
                    f"{self.n_covariates_} covariates)."
                )
        return triples if with_index else [(i, table) for i, table, _ in triples]

    def _check_index_continues(self, i: int, index, ends) -> None:
        """New steps of series ``i`` (``update``) must be indexed by the kind of index it
        was fitted on, after its last step ``ends[i]``; ``ends[i]`` moves to their end."""
        if ends is None or index is None:
            return
        if index.dtype != ends.dtype:
            known = not np.isnat(ends[i]) if ends.dtype.kind == "M" else np.isfinite(ends[i])
            if known:
                kinds = {"M": "dates", "f": "numbers"}
                raise ValueError(
                    f"{self._names()[i]}: the new steps are indexed by "
                    f"{kinds.get(index.dtype.kind, index.dtype)}, but the series was "
                    f"fitted on an index of {kinds.get(ends.dtype.kind, ends.dtype)} "
                    f"(last step {ends[i]}); give the new steps an index of the same kind."
                )
            return
        if index[0] <= ends[i]:  # NaN and NaT (an end not known) compare False
            raise ValueError(
                f"{self._names()[i]}: the new steps start at {index[0]}, which is not "
                f"after the last step seen ({ends[i]}); update appends later steps "
                "only (a repeated or older step would be appended as a new one)."
            )
        ends[i] = index[-1]

    def _in_layout(self, X, pairs, per_series: list[np.ndarray]):
        """Per-series results (of the series in ``pairs``; one row per step) in the layout
        of ``X``: one array for one series, a list for a list of series, one row per row
        for a long DataFrame."""
        if not self.many_series_:
            return per_series[0]
        if self.series_id is None:
            return per_series
        out = np.empty((len(X), *np.shape(per_series[0])[1:]))
        keys = X[self.series_id].to_numpy()
        for (i, _), values in zip(pairs, per_series, strict=True):
            out[keys == self.series_ids_[i]] = values
        return out

    def _check_fit_series(self, X):
        """(tables, ids, many, index values) from what fit was given."""
        if hasattr(X, "time_values"):  # a SequenceTable: a series per id
            triples = list(_table_series(X, target_gaps=True))
            tables = [table for _, table, _ in triples]
            return tables, np.asarray(X.ids), True, [index for _, _, index in triples]
        if self.series_id is not None:
            triples = list(long_series(X, self.series_id, target_gaps=True))
            ids = np.array([key for key, _, _ in triples])
            if ids.dtype.kind not in "biuU":
                raise ValueError(
                    f"The {self.series_id!r} column must hold numbers or strings, got {ids.dtype}."
                )
            tables = [table for _, table, _ in triples]
            indexes = [index for _, _, index in triples]
        elif is_many_series(X):
            tables = [check_series(x, f"Series {i}", target_gaps=True) for i, x in enumerate(X)]
            ids = np.arange(len(tables))
            indexes = [index_values(x) for x in X]
        else:
            return [check_series(X, "X", target_gaps=True)], np.arange(1), False, [index_values(X)]
        widths = {t.shape[1] for t in tables}
        if len(widths) > 1:
            raise ValueError(
                f"The series have different numbers of columns {sorted(widths)}; every "
                "series needs the target and the same covariates."
            )
        return tables, ids, True, indexes

    def _check_lengths(self, tables) -> int:
        """Refuse series too short to forecast, or training with none long enough to
        learn from; the steps a series needs to be learned from."""
        # A series is forecast from as little as one step after the transform; it is
        # learned from when it has at least one step before a whole horizon.
        shortest = max(2, (self.difference or 0) + 1)
        for table, name in zip(tables, self._names(), strict=True):
            if len(table) < shortest:
                raise ValueError(
                    f"{name} has {len(table)} time step(s) (n_samples={len(table)}); a "
                    f"forecast needs at least {shortest} (difference={self.difference})."
                )
        learnable = (self.difference or 0) + 1 + self.horizon
        if max(len(t) for t in tables) < learnable:
            raise ValueError(
                f"No series is long enough to learn from: with horizon={self.horizon} and "
                f"difference={self.difference}, a series needs at least {learnable} steps "
                f"(the longest has {max(len(t) for t in tables)})."
            )
        return learnable

    def _check_future_covariates(self, exog, steps):
        if self.n_covariates_ == 0:
            if exog is not None:
                raise ValueError(
                    "exog was given, but the forecaster was fitted without covariates."
                )
            return None
        if exog is None:
            raise ValueError(
                f"The forecaster was fitted with {self.n_covariates_} covariates; pass their "
                f"values for the {steps} forecast steps as exog."
            )
        exog = np.asarray(exog, dtype=np.float64).reshape(len(exog), -1)
        if exog.shape != (steps, self.n_covariates_):
            raise ValueError(
                f"exog has shape {exog.shape}; expected ({steps}, {self.n_covariates_})."
            )
        if not np.isfinite(exog).all():
            raise ValueError("exog contains NaN or infinity.")
        return exog


def _table_series(table, **check):
    """(id, checked table, time values or None) of each series of a SequenceTable: its
    feature columns (the target first, then covariates) read as float64."""
    times = table.time_values() or [None] * len(table)
    series = zip(table.ids.tolist(), table.sequences(np.float64), times, strict=True)
    for key, values, index in series:
        yield key, check_series(values, f"Series {key!r}", **check), index


def index_ends(indexes: list) -> np.ndarray | None:
    """The last time position of each series (NaT or NaN where a series had no index),
    or None when none had one or their kinds differ: what update() checks new steps
    against."""
    known = [index for index in indexes if index is not None]
    if not known or len({index.dtype for index in known}) > 1:
        return None
    missing = np.datetime64("NaT") if known[0].dtype.kind == "M" else np.nan
    return np.array([missing if i is None else i[-1] for i in indexes], dtype=known[0].dtype)

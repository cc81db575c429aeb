"""Sequences as users store them: a long table (one row per sequence id and time step) read
as a collection of sequences, from pandas, polars or Parquet files.

:class:`SequenceTable` is what every estimator, ``Pipeline``, ``cross_val_score``,
``GridSearchCV`` and ``train_test_split`` take where they take a list of sequences: its
length is the number of sequences and indexing with integers selects sequences, so
scikit-learn's splitters split by sequence, never by row. A Parquet-backed table reads
only its id and time columns when made; a sequence's rows are read when it is used, and a
pickled table (what a joblib or Dask worker receives) holds the path and the selection,
never the data.
"""

from __future__ import annotations

import numpy as np

from ._table_sources import Frame, Parquet, plain

# Older pickles of a table name its sources here.
_Frame, _Parquet = Frame, Parquet

__all__ = ["BLOCK_ROWS", "STREAM_ABOVE_BYTES", "SequenceTable", "TimedSequences", "as_seconds"]

# A streamed table is read in blocks of about this many rows (training reads a pool of 4
# at a time, and the next pool ahead): about a million rows in memory, whatever the size
# of the table. A row group (pyarrow writes 1Mi rows) is decoded whole for each block.
BLOCK_ROWS = 2**18
# streamed="auto" streams a table whose feature values take more than this (as float32).
STREAM_ABOVE_BYTES = 2**30


class _Collection:
    """A collection of sequences as scikit-learn's tools see it: its length is the number
    of sequences, ``shape`` is ``(n_sequences,)`` (so splitters count and index
    sequences), an integer gives a sequence and an array of them (or a slice) a view."""

    def __len__(self) -> int:
        raise NotImplementedError

    def _sequence(self, position: int):
        raise NotImplementedError

    def _view(self, positions: np.ndarray):
        raise NotImplementedError

    @property
    def shape(self) -> tuple[int]:
        return (len(self),)

    def __getitem__(self, key):
        if isinstance(key, tuple):  # scikit-learn indexes arrays as X[indices, ...]
            key = key[0]
        if isinstance(key, int | np.integer):
            return self._sequence(int(key))
        return self._view(np.arange(len(self))[key])


class SequenceTable(_Collection):
    """A long table (one row per sequence id and time step) as a collection of sequences.

    Parameters
    ----------
    data : pandas or polars DataFrame, default=None
        One row per (id, time step); required. A pandas frame may instead carry (id,
        time) as a two-level MultiIndex (sktime's layout), whose levels then give the id
        and the time. For a Parquet file or folder of files, use :meth:`from_parquet`.
    id_column : str, default=None
        The column naming each row's sequence; None takes the first level of a
        MultiIndex.
    time_column : str, default=None
        The column that orders the rows of a sequence (numbers or dates); rows are sorted
        by it within each sequence, and the estimators can read the time between steps
        from it (their ``elapsed`` parameter; dates are read in seconds). None keeps the
        rows' order (the second level of a MultiIndex, if there is one).
    feature_columns : list of str, default=None
        The columns that make a step: numbers (one feature each), or one column of
        strings (one token per row, as in CoNLL files). None: every column but the id,
        time and target columns.
    target_column : str, default=None
        A column of targets: constant within a sequence (one target per sequence, as
        :attr:`y` gives it) or one per step (for the tagger and ``per_step``).

    Attributes
    ----------
    ids : ndarray of shape (n_sequences,)
        Each sequence's id, in the order of the sequences (that of first appearance).
    lengths : ndarray of shape (n_sequences,)
        Steps per sequence.

    See Also
    --------
    TimedSequences : Arrays with the time of each step.

    Examples
    --------
    >>> import pandas as pd
    >>> from sk_rnn import SequenceTable
    >>> log = pd.DataFrame({"patient": [7, 7, 9, 7], "hour": [0, 1, 0, 2],
    ...                     "pulse": [80.0, 84.0, 60.0, 90.0], "label": [1, 1, 0, 1]})
    >>> table = SequenceTable(log, id_column="patient", time_column="hour",
    ...                       target_column="label")
    >>> len(table), table.ids.tolist(), table.lengths.tolist()
    (2, [7, 9], [3, 1])
    >>> table[0].ravel().tolist(), table.y.tolist()
    ([80.0, 84.0, 90.0], [1, 0])
    """

    def __init__(
        self,
        data=None,
        *,
        id_column=None,
        time_column=None,
        feature_columns=None,
        target_column=None,
    ):
        self._source = Frame(data, id_column, time_column)
        self._columns = (feature_columns, target_column)
        self._selection = None
        self._streamed = False
        self._build()

    @classmethod
    def from_parquet(
        cls,
        path,
        *,
        id_column,
        time_column=None,
        feature_columns=None,
        target_column=None,
        streamed="auto",
    ) -> SequenceTable:
        """A table over a Parquet file or a folder of them (read with pyarrow).

        Only the id and time columns are read now, a row group at a time; the steps of a
        sequence are read when it is used, and pickling sends the path and the
        selection, never the data.

        Parameters
        ----------
        streamed : bool or "auto", default="auto"
            Whether estimators read the table a block of rows at a time (fit, predict,
            score and transform), so that memory depends on the batch and block sizes,
            not on the size of the data. Streaming needs each id's rows together in the
            file, in time order (as ``ORDER BY id, time`` writes them); "auto" streams
            such a file when its feature values take more than
            ``STREAM_ABOVE_BYTES`` (1 GiB as float32), and reads smaller ones into
            memory. A streamed fit shuffles blocks of the file and the sequences within
            a few blocks, not every sequence at once; see "Tables and files" in the user
            guide.
        """
        if streamed not in (True, False, "auto"):
            raise ValueError(f"streamed must be True, False or 'auto'; got {streamed!r}.")
        table = cls.__new__(cls)
        table._source = Parquet(path, id_column, time_column)
        table._columns = (feature_columns, target_column)
        table._selection = None
        table._streamed = streamed
        table._build()
        return table

    # -- the index: which rows make which sequence ----------------------------------------

    def _build(self) -> None:
        features, target = self._columns
        source = self._source
        names = source.column_names()
        for role, column in (("id_column", source.id_column), ("time_column", source.time)):
            if column is not None and column not in names:
                raise ValueError(f"{role}={column!r} is not a column of the table ({names}).")
        if target is not None and target not in names:
            raise ValueError(f"target_column={target!r} is not a column of the table ({names}).")
        if features is None:
            features = [c for c in names if c not in (source.id_column, source.time, target)]
        missing = [c for c in features if c not in names]
        if missing:
            raise ValueError(f"feature_columns {missing} are not columns of the table ({names}).")
        if not features:
            raise ValueError("The table has no feature columns besides the id and time columns.")
        self.feature_columns = list(features)
        self.target_column = target
        self._index()
        requested = getattr(self, "_streamed", False)
        if requested is True and self._order is not None:
            raise ValueError(
                f"streamed=True needs each id's rows together and in time order in "
                f"{source.description}; sort it by ({source.id_column!r}, "
                f"{source.time!r}) and write it again, or pass streamed='auto'."
            )
        size = int(self._offsets[-1]) * len(self.feature_columns) * 4
        self.streamed = requested is True or (
            requested == "auto" and self._order is None and size > STREAM_ABOVE_BYTES
        )

    def _index(self) -> None:
        """Which rows make which sequence: row ranges when the source holds each id's
        rows together in time order (read a row group at a time, so memory grows with
        the number of sequences, not of rows), else a row order for every row."""
        grouped = self._source.grouped_index()
        if grouped is not None:
            self._offsets, self._all_ids = grouped
            self._order = None
            return
        ids, times = self._source.ids_and_times()
        self._order, self._offsets, self._all_ids = _sequence_index(ids, times)

    def _rows_of(self, position) -> np.ndarray:
        start, stop = self._offsets[position], self._offsets[position + 1]
        return np.arange(start, stop) if self._order is None else self._order[start:stop]

    @property
    def _positions(self) -> np.ndarray:
        n = len(self._all_ids)
        return np.arange(n) if self._selection is None else self._selection

    @property
    def ids(self) -> np.ndarray:
        return self._all_ids[self._positions]

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self._offsets)[self._positions]

    # -- a collection of sequences --------------------------------------------------------

    def __len__(self) -> int:
        return len(self._positions)

    def _sequence(self, position: int):
        return self._sequences([self._positions[position]], self.feature_columns)[0]

    def _view(self, positions: np.ndarray) -> SequenceTable:
        view = self.__class__.__new__(self.__class__)
        view.__dict__.update(self.__dict__)
        view._selection = self._positions[positions]
        return view

    def __iter__(self):
        return iter(self.sequences())

    def __repr__(self) -> str:
        return (
            f"SequenceTable({len(self)} sequences of {len(self.feature_columns)} column(s), "
            f"from {self._source.description})"
        )

    def sequences(self, dtype=np.float32) -> list:
        """Every selected sequence: an array ``(n_steps, n_features)`` of ``dtype`` each,
        or a list of tokens for a column of strings."""
        return self._sequences(self._positions, self.feature_columns, dtype=dtype)

    def time_values(self) -> list | None:
        """Each selected sequence's times as the time column holds them (dates as
        ``datetime64[ns]``, numbers as float64), or None without a time column."""
        if self._source.time is None:
            return None
        times = self._sequences(self._positions, [self._source.time], as_values=True)
        return [t.astype("datetime64[ns]" if t.dtype.kind == "M" else np.float64) for t in times]

    @property
    def y(self):
        """The target column: one value per sequence (an array) where it is constant
        within each sequence, else one array of values per sequence (per step)."""
        if self.target_column is None:
            raise AttributeError("This table has no target_column.")
        # Read a block at a time: a streamed table's target column may not fit in memory,
        # so it keeps one value per sequence (its targets must be constant within each).
        blocks = self.blocks()
        read = []
        for block in blocks:
            part = self._sequences(self._positions[block], [self.target_column], as_values=True)
            if self.streamed:
                varying = [i for i, v in zip(block, part, strict=True) if (v != v[0]).any()]
                if varying:
                    raise ValueError(
                        f"target_column={self.target_column!r} varies within sequence "
                        f"{plain(self.ids[varying[0]])!r}: a streamed table has one "
                        "target per sequence (per-step targets need streamed=False)."
                    )
                part = [v[:1].copy() for v in part]  # not views that keep the block
            read.extend(part)
        if not blocks:
            return np.array([])
        per_step = [read[i] for i in np.argsort(np.concatenate(blocks))]
        if all(len(v) and (v == v[0]).all() for v in per_step):
            return np.array([v[0] for v in per_step])
        return per_step

    def blocks(self, max_rows: int | None = None) -> list[np.ndarray]:
        """The sequences, as positions into this table, in the order of their rows in
        the source, cut into blocks of at most ``max_rows`` rows (default
        ``BLOCK_ROWS``; a longer sequence is a block of its own): the units a streamed
        table is read in."""
        max_rows = BLOCK_ROWS if max_rows is None else max_rows
        positions = self._positions
        order = np.argsort(self._offsets[positions], kind="stable")
        ends = np.cumsum(np.diff(self._offsets)[positions][order])
        blocks, start, first = [], 0, 0
        while start < len(order):
            # the last sequence that still ends within max_rows of the block's first row
            stop = max(start + 1, int(np.searchsorted(ends, first + max_rows, side="right")))
            blocks.append(order[start:stop])
            first, start = int(ends[stop - 1]), stop
        return blocks

    def align(self, targets) -> np.ndarray:
        """``targets`` keyed by id (a pandas Series or a dict) in the order of the
        sequences; ids of the table that ``targets`` lacks are refused, naming a few."""
        lookup = targets.to_dict() if hasattr(targets, "to_dict") else dict(targets)
        missing = [i for i in self.ids.tolist() if i not in lookup]
        if missing:
            raise ValueError(
                f"targets lack {len(missing)} of the table's ids, for example {missing[:5]}."
            )
        return np.array([lookup[i] for i in self.ids.tolist()])

    def _sequences(self, positions, columns, as_values=False, dtype=np.float32) -> list:
        rows = [self._rows_of(p) for p in positions]
        values = self._source.rows(
            np.concatenate(rows) if rows else np.array([], int), columns, as_values
        )
        out, start = [], 0
        for r in rows:
            out.append(values[start : start + len(r)])
            start += len(r)
        if as_values:
            return [v[:, 0] for v in out]
        if values.dtype.kind in "OUS":
            if len(columns) > 1:
                raise ValueError(
                    f"The feature columns {list(columns)} mix strings and numbers: a sequence "
                    "is numbers (any number of columns) or tokens (one column of strings); "
                    "choose them with feature_columns."
                )
            return [list(v[:, 0]) for v in out]
        return [v.astype(dtype, copy=False) for v in out]

    def __sk_rnn_sequences__(self):
        """What estimators read from the table (``sk_rnn._validation.positional``): its
        sequences, or the table itself when it is streamed (read a block at a time) or
        has step times (read beside the sequences)."""
        return self if self.streamed or self._source.time else self.sequences()

    def __sk_rnn_times__(self) -> list | None:
        """Each selected sequence's step times as float64 (dates in seconds), or None
        without a time column."""
        if self._source.time is None:
            return None
        times = self._sequences(self._positions, [self._source.time], as_values=True)
        return [as_seconds(t, f"time_column={self._source.time!r}") for t in times]

    # -- pickling: a file-backed table travels as its path and selection -------------------

    def __getstate__(self):
        state = dict(self.__dict__)
        if isinstance(self._source, Parquet):
            for name in ("_order", "_offsets", "_all_ids"):
                state.pop(name, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "_order" not in state:
            self._index()


class TimedSequences(_Collection):
    """Sequences with the time of each of their steps, for steps that are not equally far
    apart (a patient measured when a nurse comes by).

    Every estimator takes it where it takes a list of arrays; its ``elapsed`` parameter
    decides whether the network also reads the time since the previous step. Its
    length is the number of sequences and integer indexing selects sequences, so
    scikit-learn's splitters and searches split it by sequence.

    Parameters
    ----------
    sequences : list of arrays of shape (n_steps_i, n_features) or (n_steps_i,)
    times : list of arrays of shape (n_steps_i,)
        Each step's time, increasing within a sequence: numbers (in any unit) or dates
        (``datetime64`` or pandas timestamps, read in seconds).

    See Also
    --------
    SequenceTable : A long table, with an optional time column.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_rnn import TimedSequences
    >>> X = TimedSequences([np.ones((3, 2)), np.zeros((2, 2))], [[0, 1, 5], [0, 2]])
    >>> len(X), X[1].shape, [t.tolist() for t in X.__sk_rnn_times__()]
    (2, (2, 2), [[0.0, 1.0, 5.0], [0.0, 2.0]])
    """

    def __init__(self, sequences, times):
        if len(sequences) != len(times):
            raise ValueError(
                f"TimedSequences got {len(sequences)} sequences but {len(times)} time arrays."
            )
        self._steps = list(sequences)
        self._times = [as_seconds(t, f"times[{i}]") for i, t in enumerate(times)]
        for i, (x, t) in enumerate(zip(self._steps, self._times, strict=True)):
            if len(x) != len(t):
                raise ValueError(
                    f"Sample {i} has {len(x)} steps but {len(t)} times: each step needs one."
                )

    def __len__(self) -> int:
        return len(self._steps)

    def _sequence(self, position: int):
        return self._steps[position]

    def _view(self, positions: np.ndarray) -> TimedSequences:
        view = self.__class__.__new__(self.__class__)
        view._steps = [self._steps[i] for i in positions]
        view._times = [self._times[i] for i in positions]
        return view

    def __iter__(self):
        return iter(self._steps)

    def __repr__(self) -> str:
        return f"TimedSequences({len(self)} sequences)"

    def sequences(self) -> list:
        return self._steps

    def __sk_rnn_sequences__(self):
        return self

    def __sk_rnn_times__(self) -> list:
        return self._times


def as_seconds(times, name: str) -> np.ndarray:
    """Step times as float64: numbers as they are; dates and durations in seconds since
    the sequence's first step (counted in whole nanoseconds first: seconds since 1970 as
    float64 would round away the microseconds that separate quick steps)."""
    values = np.asarray(times)
    if values.dtype == object:
        try:  # pandas Timestamps, datetime objects
            values = values.astype("datetime64[ns]")
        except (TypeError, ValueError):
            pass
    if values.dtype.kind in "mM":
        unit = "datetime64[ns]" if values.dtype.kind == "M" else "timedelta64[ns]"
        nanoseconds = values.astype(unit).astype(np.int64)
        return (nanoseconds - nanoseconds[:1]) / 1e9
    if values.dtype.kind not in "biuf":
        raise TypeError(f"{name} holds {values.dtype} values; times are numbers or dates.")
    return values.astype(np.float64)


def _sequence_index(ids: np.ndarray, times: np.ndarray | None):
    """The rows of each sequence, in time order: (row order, offsets, ids in order of
    first appearance); duplicate (id, time) pairs are refused, naming a few."""
    distinct, first, codes = np.unique(ids, return_index=True, return_inverse=True)
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(distinct))
    sequence = rank[codes.ravel()]
    if times is None:
        order = np.argsort(sequence, kind="stable")
    else:
        order = np.lexsort((times, sequence))
        same = (np.diff(sequence[order]) == 0) & (times[order][1:] == times[order][:-1])
        if same.any():
            rows = order[1:][same][:3]
            pairs = [(plain(ids[r]), plain(times[r])) for r in rows]
            raise ValueError(
                f"The table has {int(same.sum())} duplicate (id, time) pairs, for example "
                f"{pairs}: each time step of a sequence needs one row."
            )
    offsets = np.concatenate([[0], np.cumsum(np.bincount(sequence, minlength=len(distinct)))])
    return order, offsets, distinct[np.argsort(first, kind="stable")]

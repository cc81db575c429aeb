"""Where a SequenceTable's rows come from: an in-memory pandas or polars frame, or Parquet
files read with pyarrow a row group at a time; and how a column's values become steps."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

__all__ = ["Frame", "Parquet", "column_values", "plain"]


def plain(value):
    """A numpy scalar as the Python value it holds (for messages)."""
    return value.item() if isinstance(value, np.generic) else value


def column_values(values: np.ndarray, name: str) -> np.ndarray:
    """A column as numbers, or as strings (tokens); a column mixing the two is refused."""
    if values.dtype == np.float32:
        return values  # kept as stored: features become float32 anyway, at half the memory
    if values.dtype.kind in "biuf":
        return values.astype(np.float64)
    if values.dtype.kind in "mM":
        raise ValueError(f"Column {name!r} holds dates; use it as time_column, or drop it.")
    kinds = {type(v).__name__ for v in values.tolist()}
    if kinds <= {"str"}:
        return values.astype(object)
    numeric = {"int", "float", "bool"}
    if kinds <= numeric | {"NoneType"}:
        return np.array([np.nan if v is None else v for v in values.tolist()], dtype=np.float64)
    raise ValueError(
        f"Column {name!r} mixes types ({', '.join(sorted(kinds))}): a feature column holds "
        "numbers, or strings (one token per row)."
    )


class Frame:
    """An in-memory pandas or polars long table."""

    def __init__(self, data, id_column, time_column):
        if hasattr(data, "index") and getattr(data.index, "nlevels", 1) == 2 and id_column is None:
            id_column, level_time = data.index.names
            time_column = time_column or level_time
            data = data.reset_index()
        if type(data).__module__.startswith("polars"):
            data = data.to_pandas()
        if not (hasattr(data, "columns") and hasattr(data, "iloc")):
            raise TypeError(
                "SequenceTable takes a pandas or polars DataFrame (use "
                "SequenceTable.from_parquet for Parquet files)."
            )
        if id_column is None:
            raise ValueError("id_column is required (or a frame with an (id, time) MultiIndex).")
        self.data, self.id_column, self.time = data, id_column, time_column
        self.description = f"a {type(data).__name__} of {len(data)} rows"

    def column_names(self) -> list:
        return [str(c) for c in self.data.columns]

    def grouped_index(self):
        return None  # in memory: the row order of every row costs little beside the data

    def ids_and_times(self):
        ids = self.data[self.id_column].to_numpy()
        times = None if self.time is None else self.data[self.time].to_numpy()
        return ids, times

    def rows(self, rows: np.ndarray, columns, raw=False) -> np.ndarray:
        """The ``rows`` of ``columns``: steps (numbers or tokens), or the values as they
        are (``raw``: targets keep their type)."""
        frame = self.data.iloc[rows]
        read = (lambda v, c: v) if raw else column_values
        return np.stack([read(frame[c].to_numpy(), c) for c in columns], axis=1)


class Parquet:
    """A Parquet file or folder of files, read with pyarrow a row group at a time: the id
    and time columns to index the sequences, the rows of the sequences used when they
    are used."""

    def __init__(self, path, id_column, time_column):
        try:
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise ImportError(
                "Reading Parquet needs pyarrow: pip install 'sk_rnn[tables]'."
            ) from None
        self.path, self.id_column, self.time = os.fspath(path), id_column, time_column
        self.description = f"Parquet {self.path}"
        self._schema = tuple(self.column_names())
        self._layout = None

    def __getstate__(self):
        return {**self.__dict__, "_layout": None}  # read again where unpickled

    def _dataset(self):
        import pyarrow.dataset as ds

        if not Path(self.path).exists():
            raise ValueError(f"The Parquet data {self.path} no longer exists.")
        return ds.dataset(self.path, format="parquet")

    def column_names(self) -> list:
        # pandas writes its index as a column; it is not a feature
        names = [n for n in self._dataset().schema.names if not n.startswith("__index_level_")]
        known = getattr(self, "_schema", None)
        if known is not None and tuple(names) != known:
            raise ValueError(
                f"The Parquet data {self.path} changed schema since the table was made: "
                f"columns {list(known)} then, {names} now."
            )
        return names

    def row_groups(self):
        """The files, and the first row (counted across files) of each of their row
        groups, with a final entry for the total; read from the files' footers, again
        whenever a file's size or time stamp changed (a table whose number of rows
        changed since it was indexed is refused, not misread)."""
        import pyarrow.parquet as pq

        files = self._dataset().files
        stamp = [(f, os.stat(f).st_size, os.stat(f).st_mtime_ns) for f in files]
        if self._layout is not None and self._layout[0] == stamp:
            return self._layout[1]
        starts, where = [0], []
        for number, name in enumerate(files):
            metadata = pq.ParquetFile(name).metadata
            for group in range(metadata.num_row_groups):
                starts.append(starts[-1] + metadata.row_group(group).num_rows)
                where.append((number, group))
        if self._layout is not None and starts[-1] != self._layout[1][1][-1]:
            raise ValueError(
                f"The Parquet data {self.path} changed since the table was made: "
                f"{self._layout[1][1][-1]} rows then, {starts[-1]} now."
            )
        self._layout = (stamp, (files, np.array(starts), where))
        return self._layout[1]

    def _read_groups(self, groups, columns):
        """The given row groups' ``columns``, one pyarrow table."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        files, _, where = self.row_groups()
        opened, pieces = {}, []
        for g in groups:
            number, group = where[g]
            if number not in opened:
                opened[number] = pq.ParquetFile(files[number])
            pieces.append(opened[number].read_row_group(group, columns=list(columns)))
        return pa.concat_tables(pieces) if pieces else None

    def grouped_index(self):
        """(row offsets, ids) of the sequences when each id's rows are together and in
        strictly increasing time order, read a row group at a time; None otherwise (the
        table is then indexed row by row, which sorts and checks duplicates)."""
        _, starts, _ = self.row_groups()
        columns = [self.id_column] + ([self.time] if self.time else [])
        seen, offsets, ids = set(), [], []
        last_id = last_time = None
        for g in range(len(starts) - 1):
            table = self._read_groups([g], columns)
            group_ids = table.column(self.id_column).to_numpy(zero_copy_only=False)
            new = np.ones(len(group_ids), bool)
            new[1:] = group_ids[1:] != group_ids[:-1]
            if len(group_ids) and last_id is not None:
                new[0] = group_ids[0] != last_id
            if self.time:
                times = table.column(self.time).to_numpy(zero_copy_only=False)
                before = np.concatenate(
                    [[times[0] if last_time is None else last_time], times[:-1]]
                )
                if len(times) and not (new | (times > before)).all():
                    return None  # out of time order, or a duplicate time
                last_time = times[-1] if len(times) else last_time
            for row in np.flatnonzero(new).tolist():
                key = plain(group_ids[row])
                if key in seen:
                    return None  # an id whose rows are not together
                seen.add(key)
                offsets.append(starts[g] + row)
                ids.append(group_ids[row])
            last_id = group_ids[-1] if len(group_ids) else last_id
        offsets.append(starts[-1])
        return np.array(offsets, dtype=np.int64), np.array(ids)

    def ids_and_times(self):
        columns = [self.id_column] + ([self.time] if self.time else [])
        table = self._dataset().to_table(columns=columns)
        ids = table.column(self.id_column).to_numpy()
        times = None if self.time is None else table.column(self.time).to_numpy()
        return ids, times

    def rows(self, rows: np.ndarray, columns, raw=False) -> np.ndarray:
        """The ``rows`` of ``columns``, reading only the row groups that hold them."""
        import pyarrow as pa

        self.column_names()  # a file replaced since: refused, not misread
        _, starts, _ = self.row_groups()
        rows = np.asarray(rows, dtype=np.int64)
        group_of = np.searchsorted(starts, rows, side="right") - 1
        read = (lambda v, c: v) if raw else column_values
        # One row group decoded at a time, and only its wanted rows kept: memory holds a
        # row group and the result, not every group the rows touch.
        pieces = []
        for group in np.unique(group_of).tolist():
            wanted = np.flatnonzero(group_of == group)
            table = self._read_groups([group], columns)
            local = rows[wanted] - starts[group]
            values = [read(table.column(c).take(local).to_numpy(), c) for c in columns]
            pieces.append((wanted, np.stack(values, axis=1)))
            del table
            pa.default_memory_pool().release_unused()
        if not pieces:
            return np.empty((0, len(columns)))
        result = np.empty((len(rows), len(columns)), np.result_type(*(p.dtype for _, p in pieces)))
        for wanted, values in pieces:
            result[wanted] = values
        return result

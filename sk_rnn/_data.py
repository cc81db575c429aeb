"""Sequence input: validation, ragged storage, framing, bucketing and batch collation.

Every estimator turns its ``X`` into one :class:`Sequences` object here, once per call to
``fit``/``predict``. Training batches are then gathered from that flat storage with a few
vectorised tensor operations per batch; no per-sample Python runs inside the training loop.
"""

from __future__ import annotations

import numbers
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils.validation import check_array

from ._tokens import BOS_ID, EOS_ID, IGNORE_INDEX, PAD_ID

__all__ = [
    "Sequences",
    "SequenceDataset",
    "StepTargets",
    "BucketBatchIterator",
    "check_sequences",
    "frame_sequences",
    "length_order",
    "make_dataset",
]


@dataclass(frozen=True)
class Sequences:
    """Ragged sequences stored as one flat array.

    Sequence ``i`` is ``values[offsets[i] : offsets[i] + lengths[i]]``.

    Attributes
    ----------
    values : ndarray of shape (total_steps, n_features)
        All time steps of all sequences, concatenated.
    lengths : ndarray of shape (n_sequences,), dtype int64
        Number of steps of each sequence (at least one).
    offsets : ndarray of shape (n_sequences,), dtype int64
        Start row of each sequence in ``values``.
    """

    values: np.ndarray
    lengths: np.ndarray
    offsets: np.ndarray

    @classmethod
    def from_list(cls, arrays: list[np.ndarray]) -> Sequences:
        lengths = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
        return cls(np.concatenate(arrays), lengths, offsets_of(lengths))

    @classmethod
    def from_padded(cls, array: np.ndarray) -> Sequences:
        """Equal-length sequences from an array of shape (n, n_steps, ...)."""
        n, n_steps = array.shape[:2]
        lengths = np.full(n, n_steps, dtype=np.int64)
        return cls(array.reshape(n * n_steps, *array.shape[2:]), lengths, offsets_of(lengths))

    def __len__(self) -> int:
        return len(self.lengths)

    @property
    def n_features(self) -> int:
        return self.values.shape[1]

    def to_list(self) -> list[np.ndarray]:
        return [self.values[o : o + n] for o, n in zip(self.offsets, self.lengths, strict=True)]


def offsets_of(lengths: np.ndarray) -> np.ndarray:
    """Start of each sequence when sequences of these lengths are stored back to back."""
    offsets = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=offsets[1:])
    return offsets


def sequence_steps(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every step of sequences stored back to back: its sequence and its position in it."""
    sample = np.repeat(np.arange(len(lengths)), lengths)
    step = np.arange(len(sample)) - np.repeat(offsets_of(lengths), lengths)
    return sample, step


def _is_scalar_number(x) -> bool:
    return isinstance(x, numbers.Number | np.number) and not isinstance(x, bool | np.bool_)


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
    if sp.issparse(X):
        raise TypeError(
            f"{name} is a sparse matrix; sk_rnn needs dense sequences. "
            "Convert it with X.toarray() if it fits in memory."
        )
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
    X, *, n_features: int | None = None, name: str = "X", first_index: int = 0
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

    Raises
    ------
    TypeError
        Sparse input, strings or other non-numeric values (naming the sample).
    ValueError
        Empty input, zero-length sequences, NaN or infinity, mixed feature counts,
        arrays with more than 3 dimensions (naming the sample where there is one).
    """
    X = positional(X, name)
    if isinstance(X, np.ndarray) and (X.dtype != object or X.ndim == 2):
        sequences = _check_array_input(X, name)
    elif isinstance(X, list | tuple | np.ndarray):
        sequences = _check_list_input(X, name, first_index)
    else:
        raise TypeError(f"{name} must be a list of sequences or an array, got {type(X).__name__}.")
    if n_features is not None and sequences.n_features != n_features:
        raise ValueError(
            f"{name} has {sequences.n_features} features per step, but the estimator was "
            f"fitted with {n_features} features per step (n_features_in_={n_features})."
        )
    return sequences


def _check_array_input(X: np.ndarray, name: str) -> Sequences:
    if X.ndim == 2:
        # sklearn's own 2-D validation gives the usual messages for NaN, complex, empty input.
        X = check_array(X, dtype=np.float32, input_name=name, ensure_min_samples=1)
        return Sequences.from_padded(X[:, :, None])
    if X.ndim == 3:
        if X.shape[0] == 0:
            raise ValueError(f"{name} contains 0 sequences; at least one is required.")
        if X.shape[1] == 0:
            raise ValueError(f"{name} has sequences of 0 steps; every sequence needs a step.")
        if X.shape[2] == 0:
            raise ValueError(f"{name} has 0 features per step; at least one is required.")
        values = _as_float32(X, name)
        _check_finite(values, name)
        return Sequences.from_padded(values)
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


def _check_list_input(X, name: str, first_index: int = 0) -> Sequences:
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
        if sp.issparse(sequence):
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
    _check_finite(sequences.values, name, sequences, first_index)
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
    values: np.ndarray, name: str, sequences: Sequences | None = None, first_index: int = 0
) -> None:
    bad = ~np.isfinite(values).all(axis=tuple(range(1, values.ndim)))
    if not bad.any():
        return
    if sequences is None:  # values are (n * n_steps, ...) of a padded array
        raise ValueError(f"{name} contains NaN or infinity; clean or impute it first.")
    step = int(np.argmax(bad))
    sample = int(np.searchsorted(sequences.offsets, step, side="right") - 1)
    raise ValueError(
        f"Sample {first_index + sample} of {name} contains NaN or infinity (step "
        f"{step - sequences.offsets[sample]}); clean or impute it first."
    )


def weighted_mean_and_std(values: np.ndarray, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (population) standard deviation of each column of ``values``, in float64,
    weighted by ``weights`` (one per row) when given: integer weights give the statistics
    of rows repeated that many times."""
    if weights is None:
        return values.mean(axis=0, dtype=np.float64), values.std(axis=0, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    mean = np.average(values, axis=0, weights=weights)
    variance = np.average((values - mean) ** 2, axis=0, weights=weights)
    return mean, np.sqrt(variance)


def truncate_sequences(sequences: Sequences, max_length: int | None, keep: str) -> Sequences:
    """Each sequence cut to its first (``keep="first"``) or last (``"last"``)
    ``max_length`` steps; the kept steps are stored back to back (a copy only if some
    sequence is longer)."""
    if max_length is None or sequences.lengths.max(initial=0) <= max_length:
        return sequences
    lengths = np.minimum(sequences.lengths, max_length)
    starts = sequences.offsets + (sequences.lengths - lengths if keep == "last" else 0)
    sample, step = sequence_steps(lengths)
    return Sequences(sequences.values[starts[sample] + step], lengths, offsets_of(lengths))


def frame_sequences(sequences: Sequences, frame_size: int) -> Sequences:
    """Stack each run of ``frame_size`` consecutive steps into one step.

    A sequence of ``n`` steps with ``f`` features becomes ``ceil(n / frame_size)`` steps
    with ``frame_size * f`` features; the last partial frame is zero-padded.
    """
    if frame_size == 1:
        return sequences
    lengths = -(-sequences.lengths // frame_size)
    offsets = offsets_of(lengths)
    n_features = sequences.n_features
    framed = np.zeros((lengths.sum() * frame_size, n_features), dtype=sequences.values.dtype)
    # Row j of sequence i lands at row offsets[i] * frame_size + j of the framed storage.
    sample, step = sequence_steps(sequences.lengths)
    framed[offsets[sample] * frame_size + step] = sequences.values
    return Sequences(framed.reshape(-1, frame_size * n_features), lengths, offsets)


def length_order(lengths: np.ndarray) -> np.ndarray:
    """Deterministic order, shortest first, in which inference batches are formed."""
    return np.argsort(lengths, kind="stable")


@dataclass(frozen=True)
class StepTargets:
    """One target per step, aligned with a :class:`Sequences`' ``values``.

    Integer targets (labels) are padded with ``IGNORE_INDEX`` in batches, so losses skip
    padding; float targets are padded with 0 (their losses mask padding by length).
    """

    values: np.ndarray


def make_dataset(sequences: Sequences, targets=None, weights=None) -> SequenceDataset:
    """The training or scoring dataset of ``sequences`` and their encoded ``targets``.

    ``targets`` is None, an array with one target per sequence, :class:`StepTargets`, or
    :class:`Sequences` of target token ids (sequence to sequence); ``weights`` is None or
    one weight per sequence.
    """
    if isinstance(targets, Sequences):
        return SequencePairDataset(sequences, targets, weights=weights)
    if isinstance(targets, StepTargets):
        return SequenceDataset(sequences, step_targets=targets.values, weights=weights)
    return SequenceDataset(sequences, targets, weights=weights)


class SequenceDataset(torch.utils.data.Dataset):
    """Torch dataset over :class:`Sequences` that is indexed by whole batches.

    ``dataset[indices]`` returns ``({"x": padded, "lengths": lengths}, targets)`` where
    ``padded`` has shape ``(len(indices), max_length, n_features)``: each batch is padded
    only to its own longest sequence. ``targets`` is None when the dataset has none. With
    sample weights the inputs also hold ``"weight"``, one per sequence (the nets take it
    out before the module sees the inputs, and weight the loss with it).

    Parameters
    ----------
    sequences : Sequences
    targets : array of shape (n_sequences, ...) or None
        One target per sequence.
    step_targets : array of shape (total_steps, ...) or None
        One target per step instead, aligned with ``sequences.values``; batches hold them
        padded to shape ``(len(indices), max_length, ...)`` (see :class:`StepTargets`).
    weights : array of shape (n_sequences,) or None
        Sample weights, applied to every unit of a sample's loss.
    """

    def __init__(
        self,
        sequences: Sequences,
        targets: np.ndarray | None = None,
        *,
        step_targets: np.ndarray | None = None,
        weights: np.ndarray | None = None,
    ):
        if targets is not None and step_targets is not None:
            raise ValueError("Pass targets or step_targets, not both.")
        # A padding row after the data: padding positions gather it, so one indexing
        # operation builds a padded batch.
        self.values = _with_padding_row(sequences.values, PAD_ID)
        self.lengths = torch.from_numpy(sequences.lengths)
        self.offsets = torch.from_numpy(sequences.offsets)
        self.targets = None if targets is None else torch.as_tensor(targets)
        self.step_targets = None
        if step_targets is not None:
            step_targets = np.asarray(step_targets)
            fill = 0 if step_targets.dtype.kind == "f" else IGNORE_INDEX
            self.step_targets = _with_padding_row(step_targets, fill)
        self.weights = None if weights is None else torch.as_tensor(weights, dtype=torch.float32)
        self.indices = torch.arange(len(sequences))

    def __len__(self) -> int:
        return len(self.indices)

    def subset(self, positions) -> SequenceDataset:
        """A view on some samples; the flat storage is shared, not copied."""
        subset = object.__new__(type(self))
        subset.__dict__.update(self.__dict__)
        subset.indices = self.indices[torch.as_tensor(positions)]
        return subset

    def sample_lengths(self) -> np.ndarray:
        return self.lengths[self.indices].numpy()

    def sample_targets(self) -> np.ndarray | None:
        return None if self.targets is None else self.targets[self.indices].numpy()

    def _gather_positions(self, rows):
        """Row of the flat storage of each step of a padded batch of ``rows``."""
        lengths = self.lengths[rows]
        steps = torch.arange(int(lengths.max()))
        inside = steps[None, :] < lengths[:, None]
        padding_row = len(self.values) - 1
        return torch.where(inside, self.offsets[rows, None] + steps, padding_row)

    def __getitem__(self, positions):
        rows = self.indices[torch.as_tensor(positions)]
        gather = self._gather_positions(rows)
        inputs = {"x": self.values[gather], "lengths": self.lengths[rows]}
        if self.step_targets is not None:
            targets = self.step_targets[gather]
        else:
            targets = None if self.targets is None else self.targets[rows]
        if self.weights is not None:
            inputs["weight"] = self.weights[rows]
        return inputs, targets


class SequencePairDataset(SequenceDataset):
    """SequenceDataset of (source, target) sequence pairs, for sequence to sequence.

    ``dataset[indices]`` returns ``({"x", "lengths", "target_in"}, target_out)``: the
    padded sources as for SequenceDataset (and their weights), the decoder inputs
    ``<bos>`` + target (padded with ``PAD_ID``) and the next-token targets target +
    ``<eos>`` (padded with ``IGNORE_INDEX``), both of shape ``(len(indices), longest
    target + 1)``.

    Parameters
    ----------
    sequences : Sequences
        The sources.
    targets : Sequences
        The target token ids (one flat int64 array), without ``<bos>``/``<eos>``.
    weights : array of shape (n_sequences,) or None
    """

    def __init__(self, sequences: Sequences, targets: Sequences, *, weights=None):
        super().__init__(sequences, weights=weights)
        self.target_values = _with_padding_row(targets.values, PAD_ID)
        self.target_lengths = torch.from_numpy(targets.lengths)
        self.target_offsets = torch.from_numpy(targets.offsets)

    def __getitem__(self, positions):
        inputs, _ = super().__getitem__(positions)
        rows = self.indices[torch.as_tensor(positions)]
        lengths = self.target_lengths[rows, None]
        steps = torch.arange(int(lengths.max()) + 1)[None, :]
        padding_row = len(self.target_values) - 1
        offsets = self.target_offsets[rows, None]
        # Decoder input at step s is target token s - 1 (<bos> first); output is token s.
        before = torch.where((steps >= 1) & (steps <= lengths), offsets + steps - 1, padding_row)
        target_in = self.target_values[before]
        target_in[:, 0] = BOS_ID
        target_out = self.target_values[torch.where(steps < lengths, offsets + steps, padding_row)]
        target_out = torch.where(steps == lengths, EOS_ID, target_out)
        target_out = torch.where(steps > lengths, IGNORE_INDEX, target_out)
        return {**inputs, "target_in": target_in}, target_out


def _with_padding_row(values: np.ndarray, fill) -> torch.Tensor:
    """``values`` and one row of ``fill`` after them, as a new tensor (so read-only or
    memory-mapped input is neither written to nor shared)."""
    padding = np.full((1, *values.shape[1:]), fill, values.dtype)
    return torch.from_numpy(np.concatenate([values, padding]))


class BucketBatchIterator:
    """Length-bucketed batches over a :class:`SequenceDataset`.

    Training (``shuffle=True``): each pass draws a random permutation, cuts it into pools
    of ``pool_batches`` batches, sorts each pool by length and shuffles the resulting
    batches, so batches hold sequences of similar length yet differ from epoch to epoch.
    Inference (``shuffle=False``): batches follow :func:`length_order`.

    Parameters
    ----------
    dataset : SequenceDataset
    batch_size : int
    shuffle : bool, default=False
    epoch_seed : callable returning int, or None
        Called at the start of each shuffled pass for the seed of that pass. Seeding by
        epoch number makes 3 + 3 epochs of continued training shuffle exactly like 6.
    pool_batches : int, default=50
    shard : (int, int), default=(0, 1)
        ``(rank, world_size)`` for data-parallel training: every process draws the same
        shuffled batches and keeps every ``world_size``-th one from ``rank`` on (the last
        few are dropped so that all processes take the same number of steps).
    device : str, torch.device or None, default=None
        Where the batches go. On a CUDA device, each batch is gathered by a background
        thread into pinned memory while the previous one trains, and copied without
        blocking, so the GPU does not wait for the CPU between batches. Otherwise
        batches stay on the CPU (the net moves them).
    """

    def __init__(
        self,
        dataset,
        batch_size,
        shuffle=False,
        epoch_seed=None,
        pool_batches=50,
        shard=(0, 1),
        device=None,
    ):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.epoch_seed = epoch_seed
        self.pool_batches = pool_batches
        self.shard = shard
        self.device = device

    def __len__(self) -> int:
        return -(-len(self.dataset) // self.batch_size) // self.shard[1]

    def batches(self) -> list[np.ndarray]:
        """Positions (into the dataset) of each batch, in iteration order."""
        lengths = self.dataset.sample_lengths()
        size = self.batch_size
        if not self.shuffle:
            order = length_order(lengths)
            return [order[i : i + size] for i in range(0, len(order), size)]
        generator = torch.Generator().manual_seed(self.epoch_seed() if self.epoch_seed else 0)
        perm = torch.randperm(len(lengths), generator=generator).numpy()
        pool = size * self.pool_batches
        batches = []
        for start in range(0, len(perm), pool):
            chunk = perm[start : start + pool]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches.extend(chunk[i : i + size] for i in range(0, len(chunk), size))
        shuffled = torch.randperm(len(batches), generator=generator).numpy()
        batches = [batches[i] for i in shuffled]
        rank, world_size = self.shard
        return batches[rank : len(batches) // world_size * world_size : world_size]

    def __iter__(self):
        # The order is drawn here, in the caller's thread, where the epoch seed is current.
        gathered = (self.dataset[positions] for positions in self.batches())
        if self.device is None or torch.device(self.device).type != "cuda":
            yield from gathered
            return
        for batch in in_background(map(pin_memory, gathered)):
            yield to_device(batch, self.device, non_blocking=True)


def _map_tensors(function, batch):
    """``function`` applied to every tensor in nested tuples, lists and dicts."""
    if isinstance(batch, torch.Tensor):
        return function(batch)
    if isinstance(batch, dict):
        return {key: _map_tensors(function, value) for key, value in batch.items()}
    if isinstance(batch, tuple | list):
        return type(batch)(_map_tensors(function, value) for value in batch)
    return batch


def pin_memory(batch):
    """The batch with every tensor in page-locked memory (needed for asynchronous copies)."""
    return _map_tensors(torch.Tensor.pin_memory, batch)


def to_device(batch, device, non_blocking=False):
    """The batch with every tensor on ``device``."""
    return _map_tensors(lambda t: t.to(device, non_blocking=non_blocking), batch)


_DONE = object()


def in_background(items: Iterable, ahead: int = 2) -> Iterator:
    """Iterate ``items`` in a background thread, at most ``ahead`` items in advance.

    Torch releases the GIL inside its kernels, so the thread's tensor work overlaps the
    caller's. An exception raised by ``items`` is raised to the caller; closing the
    returned generator early (``break``, an exception in the caller) stops the thread.
    """
    ready: queue.Queue = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for item in items:
                if not put((item, None)):
                    return
        except BaseException as error:  # handed to the caller, raised there
            put((_DONE, error))
            return
        put((_DONE, None))

    thread = threading.Thread(target=produce, name="sk_rnn-batches", daemon=True)
    thread.start()
    try:
        while True:
            item, error = ready.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        thread.join()

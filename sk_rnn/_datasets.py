"""Datasets over encoded sequences: one target per sequence, per step, or a target
sequence, gathered into padded batches by whole-batch indexing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ._sequences import Sequences
from ._tokens import BOS_ID, EOS_ID, IGNORE_INDEX, PAD_ID

__all__ = [
    "SequenceDataset",
    "SequencePairDataset",
    "StepTargets",
    "StreamedDataset",
    "StreamedSequences",
    "make_dataset",
]


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
    if isinstance(sequences, StreamedSequences):
        return StreamedDataset(sequences, targets, weights=weights)
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


@dataclass(frozen=True)
class StreamedSequences:
    """Training sequences left in a streamed :class:`~sk_rnn.SequenceTable`: ``encode``
    turns a selection of the table (a view) into the model's :class:`Sequences`;
    ``lengths`` are the sequences' lengths in input steps (for batching by length)."""

    table: object
    encode: object
    lengths: np.ndarray

    def __len__(self) -> int:
        return len(self.lengths)


class StreamedDataset(torch.utils.data.Dataset):
    """A training dataset read from a streamed table a selection at a time.

    The sequences stay in the table's file; :meth:`load` reads and encodes a selection
    into a :class:`SequenceDataset`, and :meth:`blocks` tells which sequences are read
    together cheaply (``sk_rnn._batching.BlockBatchIterator`` trains from them). Targets
    and weights, one per sequence, are held in memory.
    """

    def __init__(self, sequences: StreamedSequences, targets=None, *, weights=None):
        if isinstance(targets, StepTargets | Sequences):
            raise ValueError("A streamed table trains with one target per sequence.")
        self.source = sequences
        self.targets = None if targets is None else np.asarray(targets)
        self.weights = None if weights is None else np.asarray(weights, dtype=np.float32)
        self.indices = np.arange(len(sequences))

    def __len__(self) -> int:
        return len(self.indices)

    def subset(self, positions) -> StreamedDataset:
        subset = object.__new__(type(self))
        subset.__dict__.update(self.__dict__)
        subset.indices = self.indices[np.asarray(positions)]
        return subset

    def sample_lengths(self) -> np.ndarray:
        return self.source.lengths[self.indices]

    def sample_targets(self) -> np.ndarray | None:
        return None if self.targets is None else self.targets[self.indices]

    def blocks(self) -> list[np.ndarray]:
        """Positions of this dataset's sequences, in blocks of the table's rows."""
        return self.source.table[self.indices].blocks()

    def load(self, positions) -> SequenceDataset:
        """The sequences at ``positions``, read, encoded and held in memory."""
        rows = self.indices[np.asarray(positions)]
        sequences = self.source.encode(self.source.table[rows])
        targets = None if self.targets is None else self.targets[rows]
        weights = None if self.weights is None else self.weights[rows]
        return SequenceDataset(sequences, targets, weights=weights)

    def __getitem__(self, positions):
        data = self.load(positions)
        return data[np.arange(len(data))]

    def holdout(self, fraction: float, seed: int):
        """(training, validation) subsets that keep blocks whole, so a validation pass
        reads its own blocks only; None when there are too few blocks to hold some out
        (the caller then holds out single sequences)."""
        blocks = self.blocks()
        n_valid = int(np.ceil(fraction * len(blocks)))
        if len(blocks) < 10 or n_valid >= len(blocks):
            return None
        chosen = np.random.default_rng(seed).permutation(len(blocks))
        valid = np.concatenate([blocks[i] for i in chosen[:n_valid]])
        train = np.concatenate([blocks[i] for i in chosen[n_valid:]])
        return self.subset(np.sort(train)), self.subset(np.sort(valid))


def _with_padding_row(values: np.ndarray, fill) -> torch.Tensor:
    """``values`` and one row of ``fill`` after them, as a new tensor (so read-only or
    memory-mapped input is neither written to nor shared)."""
    padding = np.full((1, *values.shape[1:]), fill, values.dtype)
    return torch.from_numpy(np.concatenate([values, padding]))

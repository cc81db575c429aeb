"""Ragged sequences in flat storage: the one internal form of sequence input, and the
vectorised operations on it (cutting, framing, locating steps)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "Sequences",
    "frame_sequences",
    "offsets_of",
    "sequence_steps",
    "truncate_sequences",
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

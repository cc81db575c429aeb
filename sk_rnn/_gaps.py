"""Gaps in numeric sequences: a missing value (NaN) becomes an imputed value, an
observed-or-not flag and the time since the feature was last observed (Lipton et al. 2016,
"Directly modeling missing data in sequences with RNNs"; Che et al. 2018, GRU-D), so the
network learns from which channels went silent, and for how long."""

from __future__ import annotations

import numpy as np

from ._scaling import scaled_sequences
from ._sequences import Sequences, frame_sequences

__all__ = [
    "IMPUTATIONS",
    "elapsed_channel",
    "gap_channels",
    "numeric_model_steps",
    "observed_means",
    "observed_sums",
]

# How a missing value is filled: the feature's last observed value in its sequence (its
# mean there before the first observation), its mean over the sequence, or the training
# mean of the feature ("zero" once standardised).
IMPUTATIONS = ("last", "mean", "zero")


def observed_sums(sequences: Sequences) -> tuple[np.ndarray, np.ndarray]:
    """Each feature's sum and count of observed values in ``sequences`` (float64; blocks
    of sequences add up)."""
    values = sequences.values.astype(np.float64)
    observed = ~np.isnan(values)
    return np.where(observed, values, 0.0).sum(axis=0), observed.sum(axis=0)


def observed_means(sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Each feature's mean over its observed values (0 for a feature never observed),
    from :func:`observed_sums`: the fill of last resort, and the "zero" imputation."""
    return np.divide(sums, counts, out=np.zeros(len(sums)), where=counts > 0)


def gap_channels(
    sequences: Sequences, imputation: str, fill: np.ndarray
) -> tuple[Sequences, np.ndarray, np.ndarray]:
    """``sequences`` with each missing value imputed, the observed mask (1.0 observed, 0.0
    missing) and, per feature, ``log1p`` of the steps since it was last observed (0 where
    observed; counted from the sequence's start before a first observation).

    ``fill`` (one value per feature) fills what the sequence itself cannot: a feature
    never observed in the sequence, or every value with ``imputation="zero"``.
    """
    values = sequences.values.astype(np.float64)
    observed = ~np.isnan(values)
    n_steps, n_features = values.shape
    row = np.arange(n_steps)
    sample = np.repeat(np.arange(len(sequences.lengths)), sequences.lengths)
    start = sequences.offsets[sample][:, None]
    # The row of each feature's last observation at or before each step (-1: none yet in
    # this sequence), by a running maximum over observed rows, reset at each sequence.
    last_seen = np.where(observed, row[:, None], -1)
    last_seen = np.maximum.accumulate(np.maximum(last_seen, start - 1), axis=0)
    seen = last_seen >= start
    since = np.where(seen, row[:, None] - last_seen, row[:, None] - start + 1)
    own_counts = np.add.reduceat(observed, sequences.offsets, axis=0)
    own_sums = np.add.reduceat(np.where(observed, values, 0.0), sequences.offsets, axis=0)
    own_mean = np.divide(
        own_sums, own_counts, out=np.broadcast_to(fill, own_sums.shape).copy(), where=own_counts > 0
    )[sample]
    if imputation == "last":
        filled = np.where(seen, values[np.maximum(last_seen, 0), np.arange(n_features)], own_mean)
    elif imputation == "mean":
        filled = own_mean
    else:
        filled = np.broadcast_to(fill, values.shape)
    imputed = np.where(observed, values, filled).astype(np.float32)
    return (
        Sequences(imputed, sequences.lengths, sequences.offsets),
        observed.astype(np.float32),
        np.log1p(since).astype(np.float32),
    )


def elapsed_channel(times: np.ndarray, sequences: Sequences, time_scale: float) -> np.ndarray:
    """``log1p`` of the time since each step's previous step, in units of ``time_scale``
    (the training's median step; 0 at a sequence's first step), one column."""
    elapsed = np.diff(times, prepend=times[:1])
    elapsed[sequences.offsets[sequences.lengths > 0]] = 0.0
    return np.log1p(elapsed / time_scale).astype(np.float32)[:, None]


def numeric_model_steps(
    sequences: Sequences,
    *,
    scaling,
    mean,
    scale,
    frame_size: int,
    gaps=None,
    fill=None,
    times=None,
    time_scale=None,
) -> Sequences:
    """Numeric sequences as the network reads them: gaps imputed (with ``gaps``), scaled
    as fitted (``scaling``, ``mean``, ``scale``), the gap channels joined after the
    values and, with ``time_scale``, the time elapsed since the previous step (from
    ``times``, one per step), then framed. The estimators and the torch-free runtime
    both encode with it."""
    if gaps is None and time_scale is None:
        return frame_sequences(scaled_sequences(sequences, scaling, mean, scale), frame_size)
    columns = []
    if gaps is not None:
        sequences, observed, since = gap_channels(sequences, gaps, fill)
        columns = [observed, since]
    scaled = scaled_sequences(sequences, scaling, mean, scale)
    if time_scale is not None:
        columns.append(elapsed_channel(times, scaled, time_scale))
    values = np.concatenate([scaled.values, *columns], axis=1)
    return frame_sequences(Sequences(values, scaled.lengths, scaled.offsets), frame_size)

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
    "step_times",
    "time_scale_of",
]

# How a missing value is filled: the feature's last observed value in its sequence (its
# mean there before the first observation), its mean over the sequence, the training
# mean of the feature ("zero" once standardised), or the straight line between the
# observations on either side (the nearest one before the first or after the last).
IMPUTATIONS = ("last", "mean", "zero", "linear")


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
    columns = np.arange(n_features)
    if imputation == "last":
        filled = np.where(seen, values[np.maximum(last_seen, 0), columns], own_mean)
    elif imputation == "linear":
        filled = _interpolated(values, observed, last_seen, seen, sequences, sample, own_mean)
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


def _interpolated(values, observed, last_seen, seen, sequences, sample, own_mean):
    """Each step's value on the straight line between its feature's observations on
    either side, within its sequence (the nearest observation where there is one side
    only; ``own_mean`` where there is none)."""
    n_steps, n_features = values.shape
    row = np.arange(n_steps)[:, None]
    end = (sequences.offsets + sequences.lengths)[sample][:, None]
    # The row of each feature's next observation at or after each step, by a running
    # minimum from the end; a value at or past the sequence's end means none.
    next_seen = np.minimum(np.where(observed, row, n_steps), end)
    next_seen = np.minimum.accumulate(next_seen[::-1], axis=0)[::-1]
    ahead = next_seen < end
    columns = np.arange(n_features)
    before = values[np.maximum(last_seen, 0), columns]
    after = values[np.minimum(next_seen, n_steps - 1), columns]
    between = seen & ahead
    span = np.maximum(next_seen - last_seen, 1)  # 0 at an observed step
    low, high = np.where(between, before, 0.0), np.where(between, after, 0.0)
    line = low + (high - low) * (row - last_seen) / span
    nearest = np.where(seen, before, np.where(ahead, after, own_mean))
    return np.where(between, line, nearest)


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
    with_gap_channels=True,
) -> Sequences:
    """Numeric sequences as the network reads them: gaps imputed (with ``gaps``), scaled
    as fitted (``scaling``, ``mean``, ``scale``), the gap channels joined after the
    values (unless ``with_gap_channels`` is False) and, with ``time_scale``, the time
    elapsed since the previous step (from ``times``, one per step), then framed. The
    estimators and the torch-free runtime both encode with it."""
    if gaps is None and time_scale is None:
        return frame_sequences(scaled_sequences(sequences, scaling, mean, scale), frame_size)
    columns = []
    if gaps is not None:
        sequences, observed, since = gap_channels(sequences, gaps, fill)
        columns = [observed, since] if with_gap_channels else []
    scaled = scaled_sequences(sequences, scaling, mean, scale)
    if time_scale is not None:
        columns.append(elapsed_channel(times, scaled, time_scale))
    values = np.concatenate([scaled.values, *columns], axis=1)
    return frame_sequences(Sequences(values, scaled.lengths, scaled.offsets), frame_size)


def step_times(X, sequences: Sequences, first_index: int) -> np.ndarray | None:
    """The step times ``X`` carries (a TimedSequences, or a SequenceTable with a time
    column), one float64 per step of ``sequences``, checked to be finite and increasing
    within each sequence; None when ``X`` carries none."""
    read = getattr(X, "__sk_rnn_times__", None)
    times = None if read is None else read()
    if times is None:
        return None
    for i, (t, n) in enumerate(zip(times, sequences.lengths.tolist(), strict=True)):
        sample = first_index + i
        if len(t) != n:
            raise ValueError(f"Sample {sample} of X has {n} steps but {len(t)} times.")
        if not np.isfinite(t).all():
            raise ValueError(f"Sample {sample} of X has a time that is NaN or infinite.")
        if (np.diff(t) <= 0).any():
            raise ValueError(
                f"Sample {sample} of X has times that do not increase from step to step."
            )
    return np.concatenate(times) if times else np.empty(0)


def time_scale_of(elapsed, times: np.ndarray | None, sequences: Sequences) -> float | None:
    """The scale of the elapsed-time channel (the median time between steps) for an
    ``elapsed`` value and the training times; None: no channel ("auto": none when the
    steps are equally far apart, or the input has no times)."""
    if times is None or elapsed is False:
        if elapsed is True:
            raise ValueError(
                "elapsed=True needs each step's time: pass X as a TimedSequences or as a "
                "SequenceTable with a time_column."
            )
        return None
    inside = np.ones(len(times), bool)
    inside[sequences.offsets[sequences.lengths > 0]] = False  # a sequence's first step
    steps = np.diff(times, prepend=times[:1])[inside]
    if not len(steps):
        return None if elapsed == "auto" else 1.0
    median = float(np.median(steps))
    if elapsed == "auto" and np.ptp(steps) <= 1e-9 * median:
        return None  # equally far apart: nothing to learn from
    return median

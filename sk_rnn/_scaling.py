"""Standardisation statistics: the means and scales that inputs and targets are
standardised with inside the estimators, learned in ``fit`` and saved with the model."""

from __future__ import annotations

import numpy as np

from ._sequences import Sequences

# standardize="auto" scales each sequence on its own when the training sequences' scales
# span more than this many decades between their 10th and 90th percentiles.
AUTO_SCALE_DECADES = 2.0

__all__ = [
    "AUTO_SCALE_DECADES",
    "in_target_units",
    "scaled_sequences",
    "input_mean_and_scale",
    "mean_and_nonzero_scale",
    "per_sequence_standardised",
    "RunningMoments",
    "sequence_moments",
    "scales_span_decades",
    "weighted_mean_and_std",
]


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


def mean_and_nonzero_scale(values: np.ndarray, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """Targets' (weighted) mean and standard deviation per column, float64; a column that
    never varies keeps scale 1."""
    mean, scale = weighted_mean_and_std(values, weights)
    return mean, np.where(scale > 0, scale, 1.0)


def input_mean_and_scale(mean: np.ndarray, std: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inputs' per-feature mean and scale (float32) from their (weighted) mean and
    standard deviation over all steps (:class:`RunningMoments`); a feature that never
    varies keeps scale 1, as in scikit-learn's StandardScaler. "Never varies" is relative
    to the feature's own magnitude (a spread within float32 rounding of its mean), so a
    feature in tiny units (a gain of 1e-7) is scaled like any other."""
    scale = np.array(std, dtype=np.float64)
    scale[scale <= 10 * np.finfo(np.float32).eps * np.abs(mean)] = 1.0
    return mean.astype(np.float32), scale.astype(np.float32)


class RunningMoments:
    """Per-column (weighted) mean and standard deviation of rows that come in blocks,
    merged as Chan et al. (1979) do; one block gives exactly
    :func:`weighted_mean_and_std`'s figures."""

    def __init__(self):
        self.blocks = 0

    def add(self, values: np.ndarray, weights=None) -> None:
        total = len(values) if weights is None else float(np.sum(weights, dtype=np.float64))
        if total <= 0:
            return  # rows that all weigh nothing add nothing
        mean, std = weighted_mean_and_std(values, weights)
        if self.blocks == 0:
            self.weight, self.mean, self.std = float(total), mean, std
        else:
            merged = self.weight + total
            delta = mean - self.mean
            m2 = (
                self.std**2 * self.weight + std**2 * total + delta**2 * self.weight * total / merged
            )
            self.mean = self.mean + delta * (total / merged)
            self.std = np.sqrt(m2 / merged)
            self.weight = merged
        self.blocks += 1

    def mean_and_std(self) -> tuple[np.ndarray, np.ndarray]:
        return self.mean, self.std


def sequence_moments(sequences: Sequences) -> tuple[np.ndarray, np.ndarray]:
    """The mean and standard deviation of each sequence over all its steps and features
    together (float64)."""
    values = sequences.values.astype(np.float64)
    counts = sequences.lengths.astype(np.float64) * values.shape[1]
    mean = np.add.reduceat(values.sum(axis=1), sequences.offsets) / counts
    deviations = values - np.repeat(mean, sequences.lengths)[:, None]
    scale = np.sqrt(np.add.reduceat((deviations**2).sum(axis=1), sequences.offsets) / counts)
    return mean, scale


def scales_span_decades(scales: np.ndarray, decades: float = AUTO_SCALE_DECADES) -> bool:
    """Whether the sequences' ``scales`` (from :func:`sequence_moments`; the constant ones
    left out) span more than ``decades`` decades between their 10th and 90th
    percentiles: series in raw units with gains that differ by orders of magnitude
    (currents, counts, prices), which one global scale would flatten, rather than series
    in one unit whose size may tell them apart."""
    logs = np.log10(scales[scales > 0])
    if len(logs) < 2:
        return False
    return float(np.percentile(logs, 90) - np.percentile(logs, 10)) > decades


def per_sequence_standardised(sequences: Sequences) -> Sequences:
    """Each sequence minus its own mean, divided by its own standard deviation, both taken
    over all its steps and features together (float64 sums, float32 values).

    One location and one scale per sequence: a sequence multiplied by any gain, plus any
    offset, comes out the same, so magnitudes that span decades across sequences (raw
    currents, counts, prices) all reach the network on one scale; the features keep their
    levels relative to one another. A constant sequence becomes zeros.
    """
    mean, scale = sequence_moments(sequences)
    # A scale that is float32 rounding noise on the mean's magnitude means none; relative
    # only, so that series in tiny units (a gain of 1e-3) are not taken for constants.
    constant = scale <= 10 * np.finfo(np.float32).eps * np.abs(mean)
    scale[constant] = 1.0
    row_mean = np.repeat(mean, sequences.lengths)[:, None]
    row_scale = np.repeat(scale, sequences.lengths)[:, None]
    standardised = (sequences.values.astype(np.float64) - row_mean) / row_scale
    return Sequences(standardised.astype(np.float32), sequences.lengths, sequences.offsets)


def scaled_sequences(sequences: Sequences, scaling, mean, scale) -> Sequences:
    """Numeric sequences scaled as a model was fitted to read them (``input_scaling_``):
    each by its own statistics ("per_series"), all by the training ``mean`` and ``scale``
    ("global"), or as they are (None)."""
    if scaling == "per_series":
        return per_sequence_standardised(sequences)
    if scaling == "global":
        values = (sequences.values - mean) / scale
        return Sequences(
            values.astype(np.float32, copy=False), sequences.lengths, sequences.offsets
        )
    return sequences


def in_target_units(outputs, mean, scale, shrinkage, single_output: bool) -> np.ndarray:
    """A regression network's outputs in the units of ``y``: unstandardised, pulled towards
    the training ``mean`` by ``shrinkage``; one column dropped for a single output."""
    outputs = outputs.astype(np.float64) * (scale * shrinkage) + mean
    return outputs[..., 0] if single_output else outputs

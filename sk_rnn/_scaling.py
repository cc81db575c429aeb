"""Standardisation statistics: the means and scales that inputs and targets are
standardised with inside the estimators, learned in ``fit`` and saved with the model."""

from __future__ import annotations

import numpy as np

__all__ = ["input_mean_and_scale", "mean_and_nonzero_scale", "weighted_mean_and_std"]


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


def input_mean_and_scale(values: np.ndarray, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """Inputs' per-feature (weighted) mean and standard deviation over all steps (float64
    sums, float32 results); a feature that never varies keeps scale 1, as in
    scikit-learn's StandardScaler."""
    mean, scale = weighted_mean_and_std(values, weights)
    scale[scale < 10 * np.finfo(np.float32).eps * np.maximum(np.abs(mean), 1)] = 1.0
    return mean.astype(np.float32), scale.astype(np.float32)

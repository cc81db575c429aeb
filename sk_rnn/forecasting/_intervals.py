"""Split conformal prediction intervals: calibration errors at each step ahead, and the
interval widths they give for a coverage."""

from __future__ import annotations

import numpy as np

__all__ = ["calibration_error", "conformal_widths"]


def calibration_error(truth: np.ndarray, forecasts: np.ndarray, relative: bool) -> np.ndarray:
    """Absolute errors of ``forecasts``, or (``relative``, for log-scale models) relative
    to the forecast."""
    error = np.abs(truth - forecasts)
    return error / np.abs(forecasts) if relative else error


def conformal_widths(errors: np.ndarray, coverage: float) -> np.ndarray:
    """Interval half-widths of shape (n_series, horizon) from calibration ``errors`` of
    shape (n_series, n_origins, horizon): the conformal quantile over the origins, which
    holds the truth with probability at least ``coverage`` when calibration errors are
    exchangeable with future ones (with ``n`` origins, a ``coverage`` above
    ``n / (n + 1)`` gives the largest error seen)."""
    n = errors.shape[1]
    level = min(1.0, np.ceil((n + 1) * coverage) / n)
    return np.quantile(errors, level, axis=1, method="higher")

"""Split conformal prediction intervals: calibration errors at each step ahead, and the
interval widths they give for a coverage."""

from __future__ import annotations

import numpy as np

__all__ = ["IntervalsMixin", "calibration_error", "conformal_widths"]


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


class IntervalsMixin:
    """Conformal prediction intervals of :class:`RNNForecaster`: calibrated at fit on the
    last ``interval_windows`` origins of each series (``interval_errors_``)."""

    def _calibrate(self, tables, weights, minimum) -> np.ndarray:
        """Calibration errors, shape (n_series, interval_windows, horizon), of a network
        fitted on each series before its last ``interval_windows`` origins."""
        firsts = [len(t) - self.interval_windows - self.horizon + 1 for t in tables]
        for first, table, name in zip(firsts, tables, self._names(), strict=True):
            if first < minimum:
                raise ValueError(
                    f"{name} has {len(table)} steps, too short to calibrate intervals on "
                    f"interval_windows={self.interval_windows} origins: it needs at least "
                    f"{minimum + self.interval_windows + self.horizon - 1} (or fit it "
                    "without intervals)."
                )
        self._fit_network(
            [t[:first] for t, first in zip(tables, firsts, strict=True)],
            None if weights is None else [w[:f] for w, f in zip(weights, firsts, strict=True)],
        )
        errors = np.empty((len(tables), self.interval_windows, self.horizon))
        for k in range(self.interval_windows):
            futures = [
                t[first + k : first + k + self.horizon]
                for t, first in zip(tables, firsts, strict=True)
            ]
            forecasts = self._continue(
                range(len(tables)),
                [t[: first + k] for t, first in zip(tables, firsts, strict=True)],
                self.horizon,
                [f[:, 1:] for f in futures],
            )
            truth = np.array([f[:, 0] for f in futures])
            if np.isnan(truth).any():
                raise ValueError(
                    "Intervals are calibrated on the last interval_windows + horizon - 1 "
                    "steps of each series, and some of them are missing (NaN); fit without "
                    "intervals (interval_windows=0), or with fewer interval_windows."
                )
            errors[:, k] = calibration_error(truth, forecasts, relative=self.log)
        return errors

    def _predict_interval(self, X, coverage):
        """:meth:`RNNForecaster.predict_interval` of a fitted forecaster."""
        if self.interval_errors_ is None:
            raise ValueError("Prediction intervals need interval_windows > 0 at fit.")
        if not 0 < coverage < 1:
            raise ValueError(f"coverage must be in (0, 1), got {coverage!r}.")
        pairs = self._future_tables(X, allow_nan_target=True)
        longest = max(len(table) for _, table in pairs)
        if longest > self.horizon:
            raise ValueError(
                f"Intervals are calibrated up to horizon={self.horizon} steps ahead; X asks "
                f"for {longest}."
            )
        errors = np.reshape(self.interval_errors_, (-1, *np.shape(self.interval_errors_)[-2:]))
        widths = conformal_widths(errors, coverage)
        lower, upper = [], []
        for (i, _), forecast in zip(pairs, self._forecasts(pairs), strict=True):
            width = widths[i, : len(forecast)] * (np.abs(forecast) if self.log else 1.0)
            lower.append(forecast - width)
            upper.append(forecast + width)
        return self._in_layout(X, pairs, lower), self._in_layout(X, pairs, upper)

"""Split conformal prediction intervals and quantiles: calibration residuals at each step
ahead, and the interval widths and quantile offsets they give."""

from __future__ import annotations

import numpy as np

__all__ = ["IntervalsMixin", "calibration_residual", "conformal_offsets", "conformal_widths"]


def calibration_residual(truth: np.ndarray, forecasts: np.ndarray, relative: bool) -> np.ndarray:
    """Signed errors ``truth - forecasts``, or (``relative``, for log-scale models)
    relative to the forecast; their absolute values are the interval errors."""
    residual = truth - forecasts
    return residual / np.abs(forecasts) if relative else residual


def conformal_offsets(values: np.ndarray, quantiles, scales: np.ndarray) -> np.ndarray:
    """Offsets of shape (n_series, horizon, n_quantiles) from calibration ``values``
    (signed residuals, or absolute errors) of shape (n_series, n_origins, horizon), NaN
    where a series had no such origin.

    For a quantile ``q``, ``forecast + offset`` is a split conformal bound: the truth is
    below it with probability at least ``q`` (for ``q >= 0.5``, the ``ceil((n + 1) q)``-th
    smallest of ``n`` values) or above it with probability at least ``1 - q`` (below 0.5,
    the ``floor((n + 1) q)``-th), when calibration values are exchangeable with future
    ones. Each series reads its own values where its origins give that rank; otherwise
    the values of all series pooled, each divided by its series' ``scales`` and the
    offset multiplied by its own (beyond the pooled values too: the extreme one).
    """
    quantiles = np.asarray(quantiles, dtype=np.float64)
    horizon = values.shape[2]
    ordered = np.sort(values, axis=1)  # NaN (no origin) last
    counts = np.isfinite(values[:, :, 0]).sum(axis=1)
    pooled = np.sort((values / scales[:, None, None]).transpose(1, 0, 2).reshape(-1, horizon), 0)
    pooled_ranks = np.clip(_conformal_ranks(counts.sum(), quantiles), 1, max(counts.sum(), 1))
    pooled_offsets = pooled[pooled_ranks - 1].T  # (horizon, n_quantiles)
    ranks = _conformal_ranks(counts[:, None], quantiles[None, :])  # (n_series, n_quantiles)
    own = (ranks >= 1) & (ranks <= counts[:, None])
    series = np.arange(len(values))[:, None]
    own_offsets = ordered[series, np.clip(ranks, 1, ordered.shape[1]) - 1]
    own_offsets = np.moveaxis(np.nan_to_num(own_offsets), 1, 2)  # (n_series, horizon, n_q)
    return np.where(own[:, None, :], own_offsets, pooled_offsets[None] * scales[:, None, None])


def _conformal_ranks(n, quantiles):
    """The 1-based rank of a conformal bound at ``quantiles`` among ``n`` values (0 or
    ``n + 1``: beyond them)."""
    upper = np.ceil((n + 1) * quantiles)
    lower = np.floor((n + 1) * quantiles)
    return np.where(quantiles >= 0.5, upper, lower).astype(int)


def conformal_widths(errors: np.ndarray, coverage: float, scales: np.ndarray) -> np.ndarray:
    """Interval half-widths of shape (n_series, horizon) from absolute calibration
    ``errors`` (see :func:`conformal_offsets`): the intervals hold the truth with
    probability at least ``coverage``."""
    return conformal_offsets(errors, [coverage], scales)[:, :, 0]


class IntervalsMixin:
    """Conformal prediction intervals of :class:`RNNForecaster`: calibrated at fit on the
    last ``interval_windows`` origins of each series (``interval_errors_``)."""

    def _calibrate(self, tables, weights, minimum) -> np.ndarray:
        """Calibration residuals, shape (n_series, interval_windows, horizon), of a network
        fitted on each series before its calibration origins: the last
        ``interval_windows`` from which ``horizon`` steps are known, or as many as the
        series has after its first ``minimum`` steps (NaN in place of the others)."""
        windows, horizon = self.interval_windows, self.horizon
        # Origin k of series i is at len - horizon - (windows - 1 - k): the last one
        # forecasts the series' last horizon steps.
        lasts = np.array([len(t) - horizon for t in tables])
        origins = lasts[:, None] - np.arange(windows - 1, -1, -1)[None, :]
        valid = origins >= minimum
        if not valid.any():
            raise ValueError(
                f"Every series is too short to calibrate intervals: one needs at least "
                f"{minimum + horizon} steps (the longest has {lasts.max() + horizon}); "
                "fit without intervals (interval_windows=0)."
            )
        firsts = np.where(valid.any(axis=1), np.where(valid, origins, lasts[:, None]).min(1), 0)
        firsts = np.minimum(np.maximum(firsts, minimum), [len(t) for t in tables])
        self._fit_network(
            [t[:first] for t, first in zip(tables, firsts, strict=True)],
            None if weights is None else [w[:f] for w, f in zip(weights, firsts, strict=True)],
        )
        residuals = np.full((len(tables), windows, horizon), np.nan)
        for k in range(windows):
            members = np.flatnonzero(valid[:, k])
            if not len(members):
                continue
            futures = [tables[i][origins[i, k] : origins[i, k] + horizon] for i in members]
            forecasts = self._continue(
                members,
                [tables[i][: origins[i, k]] for i in members],
                horizon,
                [f[:, 1:] for f in futures],
            )
            truth = np.array([f[:, 0] for f in futures])
            if np.isnan(truth).any():
                raise ValueError(
                    "Intervals are calibrated on the last interval_windows + horizon - 1 "
                    "steps of each series, and some of them are missing (NaN); fit without "
                    "intervals (interval_windows=0), or with fewer interval_windows."
                )
            residuals[members, k] = calibration_residual(truth, forecasts, relative=self.log)
        return residuals

    def _interval_scales(self) -> np.ndarray:
        """Each series' unit for pooling calibration values across series: its target
        scale (ones for log-scale models, whose residuals are relative already)."""
        scales = np.asarray(self.target_scale_, dtype=np.float64).reshape(-1)
        return np.ones_like(scales) if self.log else scales

    def _calibrated_pairs(self, X):
        """The (series, future table) pairs of ``X``, checked to be within ``horizon``
        steps of a forecaster with calibration errors."""
        if self.interval_errors_ is None:
            raise ValueError("Prediction intervals need interval_windows > 0 at fit.")
        pairs = self._future_tables(X, allow_nan_target=True)
        longest = max(len(table) for _, table in pairs)
        if longest > self.horizon:
            raise ValueError(
                f"Intervals are calibrated up to horizon={self.horizon} steps ahead; X asks "
                f"for {longest}."
            )
        return pairs

    def _predict_quantiles(self, X, quantiles):
        """:meth:`RNNForecaster.predict_quantiles` of a fitted forecaster."""
        levels = np.asarray(quantiles, dtype=np.float64).reshape(-1)
        if not len(levels) or not ((levels > 0) & (levels < 1)).all():
            raise ValueError(f"quantiles must be numbers in (0, 1), got {quantiles!r}.")
        pairs = self._calibrated_pairs(X)
        if getattr(self, "interval_residuals_", None) is None:
            raise ValueError(
                "This forecaster holds its calibration errors without their signs (it was "
                "saved before quantile forecasts); fit it again to forecast quantiles."
            )
        residuals = self.interval_residuals_
        offsets = conformal_offsets(
            np.reshape(residuals, (-1, *np.shape(residuals)[-2:])), levels, self._interval_scales()
        )
        out = []
        for (i, _), forecast in zip(pairs, self._forecasts(pairs), strict=True):
            offset = offsets[i, : len(forecast)]
            scale = np.abs(forecast)[:, None] if self.log else 1.0
            out.append(forecast[:, None] + offset * scale)
        return self._in_layout(X, pairs, out)

    def _predict_interval(self, X, coverage):
        """:meth:`RNNForecaster.predict_interval` of a fitted forecaster."""
        if not 0 < coverage < 1:
            raise ValueError(f"coverage must be in (0, 1), got {coverage!r}.")
        pairs = self._calibrated_pairs(X)
        lower, upper = [], []
        for (i, _), forecast in zip(pairs, self._forecasts(pairs), strict=True):
            width = self._half_widths([i], forecast[None, :], coverage)[0]
            lower.append(forecast - width)
            upper.append(forecast + width)
        return self._in_layout(X, pairs, lower), self._in_layout(X, pairs, upper)

    def _half_widths(self, positions, forecasts: np.ndarray, coverage) -> np.ndarray:
        """Interval half-widths for ``forecasts`` (one row per fitted series at
        ``positions``) at ``coverage``: the conformal widths of their steps ahead, relative
        to the forecast for log-scale models."""
        errors = np.reshape(self.interval_errors_, (-1, *np.shape(self.interval_errors_)[-2:]))
        widths = conformal_widths(errors, coverage, self._interval_scales())
        widths = widths[positions, : forecasts.shape[1]]
        return widths * (np.abs(forecasts) if self.log else 1.0)

"""Sliding windows: a series cut into supervised (past, future) pairs."""

from __future__ import annotations

import numpy as np

from .._scaling import mean_and_nonzero_scale
from ._transforms import interpolated

__all__ = [
    "AUTO_WINDOW_HORIZONS",
    "MIN_SCALE_STEPS",
    "WindowEncodingMixin",
    "make_windows",
    "scale_steps_for",
    "mean_step",
    "typical_step",
    "window_inputs",
]

# window="auto" reads at most this many horizons of history.
AUTO_WINDOW_HORIZONS = 4
# A window with fewer observed steps than this (or than its full length, for windows set
# shorter) is scaled by its series' typical step: the
# mean of one to three steps is too noisy a scale (the first windows of every series
# gave targets of hundreds of units, most of the training loss; bench_many_series.py).
# M1 validation origins, seeds 0-2, against 1: MASE yearly 2.286 (2.342), monthly 1.610
# (1.711), quarterly 1.631 (1.604).
MIN_SCALE_STEPS = 4


def scale_steps_for(window: int) -> int:
    """The fewest changes a window of ``window`` steps must show to be scaled by them."""
    return max(1, min(MIN_SCALE_STEPS, int(window) - 1))


def make_windows(series, window: int, horizon: int, *, exog=None):
    """Cut a series into supervised windows.

    Parameters
    ----------
    series : array-like of shape (n_steps,), or a list of them
        The target series, in time order. Several series (a list) give the windows of
        each, one after the other; no window crosses from one series into the next.
    window : int
        Past steps per input.
    horizon : int
        Future steps per target.
    exog : array-like of shape (n_steps, n_covariates), a list of them, or None
        Covariates known in advance (calendar, prices set ahead, ...), one table per
        series. Each input then spans ``window + horizon`` steps: the past (target,
        covariates, 0) and the future (0, covariates, 1), so the network sees the
        covariates of the steps it forecasts.

    Returns
    -------
    X : ndarray of shape (n_windows, window (+ horizon), n_features), float32
    Y : ndarray of shape (n_windows, horizon), float32
        ``Y[i]`` holds the ``horizon`` values that follow input ``i``.

    Examples
    --------
    >>> import numpy as np
    >>> X, Y = make_windows(np.arange(6.0), window=3, horizon=2)
    >>> X[:, :, 0].tolist(), Y.tolist()
    ([[0.0, 1.0, 2.0], [1.0, 2.0, 3.0]], [[3.0, 4.0], [4.0, 5.0]])
    """
    if isinstance(series, list | tuple) and len(series) and np.ndim(series[0]) == 1:
        tables = [None] * len(series) if exog is None else exog
        if len(tables) != len(series):
            raise ValueError(f"exog has {len(tables)} tables for {len(series)} series.")
        pairs = [
            make_windows(s, window, horizon, exog=e) for s, e in zip(series, tables, strict=True)
        ]
        return np.concatenate([X for X, _ in pairs]), np.concatenate([Y for _, Y in pairs])
    values = np.asarray(series, dtype=np.float32)
    n_windows = len(values) - window - horizon + 1
    if n_windows < 1:
        raise ValueError(
            f"The series has {len(values)} steps, too short for window={window} + "
            f"horizon={horizon}: it needs at least {window + horizon}."
        )
    starts = np.arange(n_windows)[:, None]
    Y = values[starts + window + np.arange(horizon)]
    X = window_inputs(values, starts + np.arange(window), horizon, exog)
    return X, Y


def window_inputs(values, past_steps, horizon, exog):
    """Inputs for windows whose past steps are ``past_steps`` (n_windows, window)."""
    past = values[past_steps][:, :, None]
    if exog is None:
        return past.astype(np.float32)
    exog = np.asarray(exog, dtype=np.float32)
    future_steps = past_steps[:, -1:] + 1 + np.arange(horizon)
    n = len(past_steps)
    past = np.concatenate([past, exog[past_steps], np.zeros((n, past_steps.shape[1], 1))], 2)
    future = np.concatenate(
        [np.zeros((n, horizon, 1)), exog[future_steps], np.ones((n, horizon, 1))], 2
    )
    return np.concatenate([past, future], 1).astype(np.float32)


# The forecaster's network: windows are standardised and short already, and this recipe


class WindowEncodingMixin:
    """How :class:`RNNForecaster` cuts a series into the network's windows (its
    ``window``, ``horizon``, ``scaling`` and fitted ``window_``)."""

    def _fitted_window(self, tables) -> int:
        """``window``, with "auto" resolved from the lengths of the training series (after
        the transform): as many steps as the median series has before its last horizon,
        at least ``horizon`` and one season (``season_length_``), at most
        ``AUTO_WINDOW_HORIZONS`` horizons or two seasons, whichever is longer."""
        if self.window != "auto":
            return int(self.window)
        lengths = [len(t) - (self.difference or 0) - self.horizon for t in tables]
        median = int(np.median([n for n in lengths if n > 0]))
        least = max(self.horizon, self.season_length_)
        most = max(AUTO_WINDOW_HORIZONS * self.horizon, 2 * self.season_length_)
        return int(np.clip(median, least, most))

    def _window_input(self, z, exog, cut, fallback_scale):
        """The network's input for the window of ``z`` (a series' target after the
        transform; standardised with ``scaling="series"``) that ends before step ``cut``:
        its last ``window_`` steps (fewer where the series has fewer), relative to the
        window's last value in units of its mean step with ``scaling="window"``, then the
        covariates (rows of ``exog``, scaled) of the ``horizon`` steps after it.
        Returns the input and the window's level and scale."""
        start = max(0, cut - self.window_)
        level, scale = self._window_scaling(z, cut, fallback_scale)
        values = (z[start:cut] - level) / scale
        covariates = None if exog is None else exog[start : cut + self.horizon]
        past = np.arange(cut - start)[None, :]
        x = window_inputs(
            np.concatenate([values, np.zeros(self.horizon)]), past, self.horizon, covariates
        )[0]
        return x, level, scale

    def _target_scaling(self, targets) -> tuple[np.ndarray, np.ndarray]:
        """Each series' target mean and scale (of its observed values): its own with
        ``scaling="series"``; else no mean and its typical step (for windows that do not
        move). A scaling that overflows is refused, naming the series."""
        if self.scaling == "series":
            with np.errstate(over="ignore", invalid="ignore"):  # refused just below
                mean, scale = np.array(
                    [mean_and_nonzero_scale(target[np.isfinite(target)]) for target in targets]
                ).T
        else:
            mean = np.zeros(len(targets))
            scale = np.array([typical_step(target) for target in targets])
        _check_finite_scaling(mean, scale, self._names())
        return mean, scale

    def _training_windows(self, z, exog, fallback_scale):
        """``(cut, input, future)`` of each window of ``z`` the network learns from: every
        cut with an observed value before it. A gap in the horizon a window learns is
        interpolated between its observed neighbours, while the window reads its own gaps
        as they are (chosen over learning fully observed horizons only, and over
        interpolating the inputs too, on M1 yearly's validation split; benchmarks.md)."""
        learned = interpolated(z)
        for cut in range(1, len(z) - self.horizon + 1):
            x, level, _ = self._window_input(z, exog, cut, fallback_scale)
            if np.isfinite(level):
                yield cut, x, self._scaled_future(z, cut, fallback_scale, learned)

    def _scaled_future(self, z, cut, fallback_scale, targets=None):
        """The ``horizon`` steps of ``z`` (or of ``targets``, ``z`` with its gaps
        filled) from ``cut`` on, as the network learns them: in the level and scale of
        the window before them, read from ``z`` as the forecast will read it.

        After a window that does not move (scaled by the series' typical step), the
        future is kept within ``horizon`` typical steps of the window: one outlier after
        a flat stretch would otherwise teach every flat window to expect a share of it.
        """
        window = z[max(0, cut - self.window_) : cut]
        level, scale = self._window_scaling(z, cut, fallback_scale)
        future = ((z if targets is None else targets)[cut : cut + self.horizon] - level) / scale
        if self.scaling == "window" and len(window) > 1 and mean_step(window, 0.0) == 0.0:
            future = np.clip(future, -self.horizon, self.horizon)
        return future

    def _window_scaling(self, z, cut, fallback_scale) -> tuple[float, float]:
        """The level and scale the window of ``z`` before ``cut`` is read in: its last
        observed value (before the window, if it has none) and its mean step; none with
        ``scaling="series"`` (the series is standardised already)."""
        if self.scaling == "series":
            return 0.0, 1.0
        window = z[max(0, cut - self.window_) : cut]
        level = last_observed(window)
        if np.isnan(level):  # a window of gaps only
            level = last_observed(z[:cut])
        return level, self._window_scale(window, fallback_scale)

    def _window_scale(self, window, fallback_scale) -> float:
        """A window's scale: the mean absolute change from one season to the next over
        it (``season_length_``; the steps themselves without a season), or without
        ``scale_steps_`` such changes observed, the mean step, or without as many steps,
        ``fallback_scale`` (the series' typical step). The seasonal change is the size
        of what a seasonal series does beyond its season: on the validation origins of M1
        quarterly and monthly, MASE 1.508 and 1.488 against 1.631 and 1.610 scaled by
        the steps (seeds 0-2; a seasonal difference gave 1.670 on quarterly)."""
        lags = (self.season_length_, 1) if self.season_length_ > 1 else (1,)
        for lag in lags:
            steps = _observed_steps(window, lag)
            if len(steps) >= self.scale_steps_:
                step = _nonzero_mean(steps, window, 0.0)
                if step > 0.0:
                    return step
        return float(fallback_scale)


def last_observed(values) -> float:
    """The last value that is not NaN (NaN if there is none): a window's level."""
    observed = np.flatnonzero(np.isfinite(values))
    return float(values[observed[-1]]) if len(observed) else float("nan")


def typical_step(values, fallback=1.0) -> float:
    """A series' typical absolute change between consecutive values: the mean of its
    steps without the outlying ones (beyond the upper quartile plus three interquartile
    ranges), so that a spike cannot set the scale of the windows that do not move;
    ``fallback`` where there is none or it is 0."""
    steps = _observed_steps(values)
    if not len(steps):
        return float(fallback)
    lower, upper = np.quantile(steps, [0.25, 0.75])
    step = float(np.mean(steps[steps <= upper + 3 * (upper - lower)]))
    return step if step > 1e-12 * _largest(values) else float(fallback)


def mean_step(values, fallback=1.0, lag: int = 1) -> float:
    """The mean absolute change between consecutive values, or values ``lag`` steps
    apart (a window's scale: the size of its steps, as MASE scales errors); ``fallback``
    where there is none or it is 0."""
    return _nonzero_mean(_observed_steps(values, lag), values, fallback)


def _nonzero_mean(steps, values, fallback) -> float:
    """The mean of ``steps``, changes of ``values``; ``fallback`` where there is none
    or it is 0 next to the values' size."""
    if not len(steps):
        return float(fallback)
    step = float(np.mean(steps))
    return step if step > 1e-12 * _largest(values) else float(fallback)


def _observed_steps(values, lag: int = 1) -> np.ndarray:
    """Absolute changes between values ``lag`` steps apart (consecutive by default),
    those that touch a gap (NaN) left out."""
    values = np.asarray(values, dtype=np.float64)
    steps = np.abs(values[lag:] - values[:-lag]) if len(values) > lag else np.empty(0)
    return steps[np.isfinite(steps)]


def _largest(values) -> float:
    observed = np.abs(values[np.isfinite(values)])
    return max(float(observed.max()), 1e-300) if len(observed) else 1e-300


def _check_finite_scaling(mean, scale, names) -> None:
    """Refuse series whose scaling overflows (values near the float64 limit): every
    forecast of theirs would be infinite."""
    bad = ~(np.isfinite(mean) & np.isfinite(scale))
    if bad.any():
        raise ValueError(
            f"{names[np.argmax(bad)]} has values too large to scale (its mean "
            "or spread overflows float64); divide it by a constant before fitting."
        )

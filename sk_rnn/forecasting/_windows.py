"""Sliding windows: a series cut into supervised (past, future) pairs."""

from __future__ import annotations

import numpy as np

__all__ = ["make_windows", "window_inputs"]


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

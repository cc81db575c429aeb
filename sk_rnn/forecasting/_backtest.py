"""Backtesting: a forecaster's error over several forecast origins, the way a forecaster
would be used (each origin forecast from the history before it only)."""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import numpy as np
from sklearn.base import clone

from ..metrics import FORECAST_ERRORS
from ._seasons import scaled_by_season, season_from_index

__all__ = ["Backtest", "backtest"]


@dataclass(frozen=True)
class Backtest:
    """What :func:`backtest` measured, per series and origin.

    Attributes
    ----------
    series_ids : ndarray of shape (n_series,)
        The series, as the forecaster names them (positions for a list; the
        ``series_id`` values of a long DataFrame).
    origins : ndarray of shape (n_series, n_origins)
        Each origin's position in its series: the number of steps the forecast saw.
        -1 where the series was too short to be forecast from that origin.
    forecasts, truth : ndarrays of shape (n_series, n_origins, steps)
        The forecast and the true values after each origin (NaN where not forecast, or
        where the truth is missing).
    lower, upper : ndarrays of that shape, or None
        The prediction intervals at ``coverage``, when :func:`backtest` was asked for it.
    scores : dict of str to ndarray of shape (n_series, n_origins)
        "mase", "rmsse" and "smape" (:mod:`sk_rnn.metrics`; the scales from the history
        before each origin, one season back with a season) and, with intervals,
        "coverage"; NaN where undefined (an origin not forecast, or a constant history
        for the scaled errors).
    """

    series_ids: np.ndarray
    origins: np.ndarray
    forecasts: np.ndarray
    truth: np.ndarray
    scores: dict
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None

    def summary(self) -> dict:
        """Each score's mean over every series and origin where it is defined."""
        return {name: float(np.nanmean(values)) for name, values in self.scores.items()}

    def to_frame(self):
        """One row per series, origin and step ahead (needs pandas): ``series_id``,
        ``origin``, ``step`` (1 is the first step after the origin), ``forecast``,
        ``truth`` and, with intervals, ``lower`` and ``upper``."""
        import pandas as pd

        n_series, n_origins, steps = self.forecasts.shape
        columns = {
            "series_id": np.repeat(self.series_ids, n_origins * steps),
            "origin": np.repeat(self.origins.reshape(-1), steps),
            "step": np.tile(np.arange(1, steps + 1), n_series * n_origins),
            "forecast": self.forecasts.reshape(-1),
            "truth": self.truth.reshape(-1),
        }
        if self.lower is not None:
            columns.update(lower=self.lower.reshape(-1), upper=self.upper.reshape(-1))
        frame = pd.DataFrame(columns)
        return frame[frame["origin"] >= 0].reset_index(drop=True)


def backtest(
    forecaster, X, *, n_origins=3, stride=None, steps=None, refit=True, coverage=None, static=None
) -> Backtest:
    """Forecast each series from several origins near its end, each from the history
    before the origin only, and score every forecast.

    The origins are the last ``n_origins`` positions ``stride`` steps apart whose next
    ``steps`` values are known: the last one is ``steps`` before the series' end. With
    ``refit=True`` (the honest default) a clone of ``forecaster`` is fitted at each
    origin on every series' history before it; with ``refit=False`` one clone is fitted
    at the first origin, and later origins are forecast from their longer histories with
    that network and scaling (much cheaper: one fit). A series too short at an origin is
    left out of it (``origins`` -1 there).

    Parameters
    ----------
    forecaster : RNNForecaster
        Unfitted, or fitted (it is cloned; its own fit is not touched).
    X : as for :meth:`RNNForecaster.fit`
        The series, with their covariates if the forecaster reads any.
    n_origins : int, default=3
    stride : int, default=None
        Steps between origins; None: ``steps`` (forecasts that do not overlap).
    steps : int, default=None
        Steps forecast from each origin; None: the forecaster's ``horizon``.
    refit : bool, default=True
    coverage : float in (0, 1), default=None
        Also compute prediction intervals at this coverage (the forecaster needs
        ``interval_windows > 0``; at most ``horizon`` steps) and score their coverage.
    static : array-like or DataFrame, default=None
        The series' static covariates, as :meth:`RNNForecaster.fit` takes them.

    Returns
    -------
    Backtest
        Forecasts, truth, and per-series scores at every origin; ``summary()`` averages
        them.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_rnn import RNNRegressor
    >>> from sk_rnn.forecasting import RNNForecaster, backtest
    >>> series = np.sin(np.arange(120) / 4) + np.arange(120) / 30
    >>> model = RNNForecaster(window=12, horizon=6, regressor=RNNRegressor(
    ...     hidden_size=8, max_epochs=5, random_state=0))
    >>> result = backtest(model, series, n_origins=2)
    >>> result.forecasts.shape, sorted(result.summary())
    ((1, 2, 6), ['mase', 'rmsse', 'smape'])
    """
    steps = forecaster.horizon if steps is None else steps
    stride = steps if stride is None else stride
    for name, value in (("n_origins", n_origins), ("stride", stride), ("steps", steps)):
        if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    if coverage is not None:
        if not 0 < coverage < 1:
            raise ValueError(f"coverage must be in (0, 1), got {coverage!r}.")
        if not forecaster.interval_windows:
            raise ValueError("coverage needs a forecaster with interval_windows > 0.")
        if steps > forecaster.horizon:
            raise ValueError(
                f"Intervals are calibrated up to horizon={forecaster.horizon} steps ahead; "
                f"steps={steps} asks for more."
            )
    tables, ids, many, indexes = clone(forecaster)._check_fit_series(X)
    if forecaster.season_length == "auto":  # the histories are cut from X without its index
        forecaster = clone(forecaster).set_params(season_length=season_from_index(indexes))
    if static is not None:  # one row per series, in their order, for each fit's subset
        static = np.asarray(static.reindex(ids) if hasattr(static, "reindex") else static)
    shortest = max(2, (forecaster.difference or 0) + 1)
    ends = np.array([len(t) for t in tables])[:, None]
    origins = ends - steps - stride * np.arange(n_origins - 1, -1, -1)[None, :]
    origins[origins < shortest] = -1
    if (origins < 0).all():
        raise ValueError(
            f"No series is long enough for a backtest: each origin needs at least {shortest} "
            f"steps before it and {steps} after it (n_origins={n_origins}, stride={stride})."
        )
    shape = (len(tables), n_origins, steps)
    forecasts, truth = np.full(shape, np.nan), np.full(shape, np.nan)
    lower = upper = None
    if coverage is not None:
        lower, upper = np.full(shape, np.nan), np.full(shape, np.nan)
    model, fitted_on = None, None
    for k in range(n_origins):
        members = np.flatnonzero(origins[:, k] >= 0)
        if not len(members):
            continue
        if refit or model is None:
            fitted_on = members
            histories = [tables[i][: origins[i, k]] for i in members]
            try:
                model = clone(forecaster).fit(
                    histories if many else histories[0],
                    static=None if static is None else static[members],
                )
            except ValueError as error:
                cut = steps + stride * (n_origins - 1 - k)
                raise ValueError(
                    f"Fitting at origin {k + 1} of {n_origins} (each series without its last "
                    f"{cut} steps): {error}"
                ) from error
        members = np.intersect1d(members, fitted_on)  # refit=False: those fitted at first
        positions = np.searchsorted(fitted_on, members)
        futures = [tables[i][origins[i, k] : origins[i, k] + steps] for i in members]
        covariates = [
            model._check_future_covariates(f[:, 1:] if model.n_covariates_ else None, steps)
            for f in futures
        ]
        histories = [tables[i][: origins[i, k]] for i in members]
        predicted = model._continue(positions, histories, steps, covariates)
        forecasts[members, k] = predicted
        truth[members, k] = [f[:, 0] for f in futures]
        if coverage is not None:
            widths = model._half_widths(positions, predicted, coverage)
            lower[members, k], upper[members, k] = predicted - widths, predicted + widths
    origins[np.isnan(forecasts[:, :, 0])] = -1  # refit=False: series not fitted at first
    season = model.season_length_ if model is not None else 1
    scores = _scores(tables, origins, forecasts, truth, lower, upper, season)
    return Backtest(ids, origins, forecasts, truth, scores, lower, upper)


def _scores(tables, origins, forecasts, truth, lower, upper, season_length) -> dict:
    """Each metric per series and origin, over the steps whose truth is known (the
    scaled errors one season back, with a season)."""
    scores = {name: np.full(origins.shape, np.nan) for name in FORECAST_ERRORS}
    if lower is not None:
        scores["coverage"] = np.full(origins.shape, np.nan)
    for i, k in zip(*np.nonzero(origins >= 0), strict=True):
        known = np.isfinite(truth[i, k])
        if not known.any():
            continue
        history = tables[i][: origins[i, k], 0]
        for name, metric in FORECAST_ERRORS.items():
            try:
                (scores[name][i, k],) = scaled_by_season(
                    metric,
                    [truth[i, k][known]],
                    [forecasts[i, k][known]],
                    [history],
                    season_length,
                )
            except ValueError:  # a constant history: scaled errors are undefined
                pass
        if lower is not None:
            t = truth[i, k][known]
            inside = (lower[i, k][known] <= t) & (t <= upper[i, k][known])
            scores["coverage"][i, k] = inside.mean()
    return scores

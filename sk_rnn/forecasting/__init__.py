"""Time-series forecasting: sliding windows and :class:`RNNForecaster`.

One long series (optionally with exogenous columns) becomes supervised windows: ``window``
past steps in, the next ``horizon`` steps out. :class:`RNNForecaster` fits an
:class:`~sk_rnn.RNNRegressor` on them and forecasts any number of steps: ``horizon`` at a
time, feeding its own forecasts back for longer ranges.

It follows scikit-learn's conventions for a series ``S`` (1-D, or 2-D with the target in
column 0 and known covariates in the other columns): ``fit(S_past)``, ``predict(S_future)``
forecasts ``len(S_future)`` steps after the end of ``S_past`` (using only the covariate
columns of ``S_future``), and ``score(S_future)`` is minus the mean absolute scaled error
(MASE; other scores in :mod:`sk_rnn.metrics`). So
``GridSearchCV(forecaster, grid, cv=TimeSeriesSplit(...)).fit(S)`` evaluates every
candidate on blocks that follow its training block, without leakage: each fit sees only
the past. :func:`backtest` scores a forecaster over several origins of each series.
"""

from .._lazy import lazy_exports

# Imported on first use, as in the package above (sk_rnn.runtime reads _windows alone).
_EXPORTS = {
    "RNNForecaster": "._forecaster",
    "make_windows": "._windows",
    "backtest": "._backtest",
    "Backtest": "._backtest",
    "OriginSplit": "._splitting",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = list(_EXPORTS)

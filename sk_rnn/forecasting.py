"""Time-series forecasting: sliding windows and :class:`RNNForecaster`.

One long series (optionally with exogenous columns) becomes supervised windows: ``window``
past steps in, the next ``horizon`` steps out. :class:`RNNForecaster` fits an
:class:`~sk_rnn.RNNRegressor` on them and forecasts any number of steps: ``horizon`` at a
time, feeding its own forecasts back for longer ranges.

It follows scikit-learn's conventions for a series ``S`` (1-D, or 2-D with the target in
column 0 and known covariates in the other columns): ``fit(S_past)``, ``predict(S_future)``
forecasts ``len(S_future)`` steps after the end of ``S_past`` (using only the covariate
columns of ``S_future``), and ``score(S_future)`` is minus the mean absolute percentage
error. So ``GridSearchCV(forecaster, grid, cv=TimeSeriesSplit(...)).fit(S)`` evaluates
every candidate on blocks that follow its training block, without leakage: each fit sees
only the past.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted

from ._constraints import Count
from ._persistence import SafeSaving
from ._regressor import RNNRegressor

__all__ = ["RNNForecaster", "make_windows"]


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
    X = _window_inputs(values, starts + np.arange(window), horizon, exog)
    return X, Y


def _window_inputs(values, past_steps, horizon, exog):
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
# is the one docs/benchmarks.md measures on the airline series.
DEFAULT_REGRESSOR = dict(
    cell="gru",
    hidden_size=32,
    bidirectional=False,
    pooling="last",
    conv_channels=None,
    dropout=0.0,
    max_epochs=200,
    lr=3e-3,
    lr_schedule="constant",
    optimizer=torch.optim.Adam,
    early_stopping=False,
)


class RNNForecaster(SafeSaving, BaseEstimator):
    """Forecast a time series with a recurrent network on sliding windows.

    The target is optionally log-transformed and differenced (``difference=12`` removes
    a yearly pattern from monthly data, ``1`` a trend), standardised, and cut into
    windows of ``window`` steps followed by ``horizon`` steps to predict. The regressor
    learns all ``horizon`` steps at once (direct multi-output); longer forecasts repeat
    it on its own output. Forecasts are mapped back to the original units.

    Parameters
    ----------
    window : int, default=24
        Past steps the network reads.
    horizon : int, default=12
        Steps predicted at once. ``horizon=1`` is the classic recursive one-step model.
    log : bool, default=False
        Model the logarithm of the series (for positive series whose variation grows
        with their level, like sales or passengers).
    difference : int or None, default=None
        Model ``y[t] - y[t - difference]`` (after the log, if any): 1 removes a trend,
        the season length removes a seasonal pattern. Inverted on the forecasts.
    regressor : RNNRegressor or None, default=None
        The network (cloned at fit); None uses a unidirectional GRU-32 read at the last
        step, trained for 200 epochs at a constant lr of 0.003 with Adam
        (``DEFAULT_REGRESSOR``: the windows are already scaled and short). Its parameters
        are searchable as ``regressor__hidden_size`` etc.
    interval_windows : int, default=0
        Calibrate prediction intervals (:meth:`predict_interval`) on this many forecast
        origins at the end of the training series: a first network, fitted on the
        series before them, forecasts ``horizon`` steps from each, and the errors it
        makes at each step ahead set the interval widths (split conformal prediction,
        relative errors with ``log=True``). The final network is then fitted on the
        whole series, so fitting takes twice as long. 0 disables intervals.
    random_state : int, RandomState instance or None, default=None
        When set, seeds the network (in place of the regressor's own ``random_state``):
        the same value gives the same forecasts.

    Attributes
    ----------
    regressor_ : RNNRegressor
        The fitted network.
    n_features_in_ : int
        Columns of the series seen in fit: the target and the covariates.
    n_covariates_ : int
        Number of exogenous columns seen in fit.
    series_ : ndarray of shape (n_steps, 1 + n_covariates)
        The training series (target first), from which forecasts continue.
    interval_errors_ : ndarray of shape (interval_windows, horizon) or None
        Calibration errors of each origin at each step ahead (absolute, or relative to
        the forecast with ``log=True``).

    Examples
    --------
    >>> import numpy as np
    >>> from sk_rnn import RNNRegressor
    >>> from sk_rnn.forecasting import RNNForecaster
    >>> t = np.arange(120)
    >>> series = 10 + np.sin(2 * np.pi * t / 12)
    >>> model = RNNForecaster(window=24, horizon=6, regressor=RNNRegressor(
    ...     hidden_size=16, max_epochs=30, lr=0.01, random_state=0)).fit(series[:108])
    >>> model.predict(series[108:]).shape
    (12,)
    """

    _parameter_constraints: dict = {
        "window": [Count(1)],
        "horizon": [Count(1)],
        "log": ["boolean"],
        "difference": [Count(1), None],
        "regressor": [RNNRegressor, None],
        "interval_windows": [Count(0)],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        window=24,
        horizon=12,
        *,
        log=False,
        difference=None,
        regressor=None,
        interval_windows=0,
        random_state=None,
    ):
        self.window = window
        self.horizon = horizon
        self.log = log
        self.difference = difference
        self.regressor = regressor
        self.interval_windows = interval_windows
        self.random_state = random_state

    def fit(self, X, y=None):
        """Fit on the series ``X``.

        Parameters
        ----------
        X : array-like or pandas Series/DataFrame of shape (n_steps,) or (n_steps, 1 + k)
            The series in time order: the target, or the target in column 0 and ``k``
            covariates after it. A pandas index must be increasing.
        y : None
            Ignored; the targets are the series' own future values.

        Returns
        -------
        self : RNNForecaster
        """
        self._validate_params()
        self._fitted_params_ = self.get_params(deep=False)
        table = _check_series(X, "X")
        self.n_features_in_ = table.shape[1]
        self.n_covariates_ = table.shape[1] - 1
        minimum = self.window + self.horizon + (self.difference or 0)
        if len(table) < minimum:
            steps = "1 sample (time step)" if len(table) == 1 else f"{len(table)} time steps"
            raise ValueError(
                f"X has {steps}, too short for window={self.window}, "
                f"horizon={self.horizon} and difference={self.difference}: it needs at "
                f"least {minimum}."
            )
        self.interval_errors_ = None
        if self.interval_windows:
            first_origin = len(table) - self.interval_windows - self.horizon + 1
            if first_origin < minimum:
                raise ValueError(
                    f"X has {len(table)} steps, too short to calibrate intervals on "
                    f"interval_windows={self.interval_windows} origins: it needs at least "
                    f"{minimum + self.interval_windows + self.horizon - 1}."
                )
            self._fit_network(table[:first_origin])
            errors = []
            for origin in range(first_origin, len(table) - self.horizon + 1):
                future = table[origin : origin + self.horizon]
                forecast = self._continue(table[:origin], self.horizon, future[:, 1:])
                error = np.abs(future[:, 0] - forecast)
                errors.append(error / np.abs(forecast) if self.log else error)
            interval_errors = np.asarray(errors)
        self._fit_network(table)
        if self.interval_windows:
            self.interval_errors_ = interval_errors
        return self

    def _fit_network(self, table):
        """Fit the scaling and the network on ``table``, which forecasts then continue."""
        self.series_ = table
        target = self._transform(table[:, 0])
        self.target_mean_, self.target_scale_ = _mean_and_scale(target)
        covariates = table[len(table) - len(target) :, 1:] if self.n_covariates_ else None
        if covariates is not None:
            self.covariate_mean_, self.covariate_scale_ = _mean_and_scale(covariates, axis=0)
            covariates = (covariates - self.covariate_mean_) / self.covariate_scale_
        windows, targets = make_windows(
            (target - self.target_mean_) / self.target_scale_,
            self.window,
            self.horizon,
            exog=covariates,
        )
        regressor = self.regressor
        if regressor is None:
            regressor = RNNRegressor(**DEFAULT_REGRESSOR)
        regressor = clone(regressor)
        if self.random_state is not None:
            seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
            regressor.set_params(random_state=int(seed))
        self.regressor_ = regressor.fit(windows, targets)

    def forecast(self, steps: int, exog=None) -> np.ndarray:
        """The next ``steps`` values after the training series.

        Parameters
        ----------
        steps : int
            Number of steps to forecast (any number; beyond ``horizon`` the model
            continues from its own forecasts).
        exog : array-like of shape (steps, n_covariates) or None
            The covariates of the forecast steps; required if fit saw covariates.

        Returns
        -------
        forecast : ndarray of shape (steps,)
        """
        check_is_fitted(self)
        if not isinstance(steps, Integral) or steps < 1:
            raise ValueError(f"steps must be a positive integer, got {steps!r}.")
        return self._continue(self.series_, steps, self._check_future_covariates(exog, steps))

    def _continue(self, history, steps, covariates):
        """Forecast ``steps`` values after the series ``history`` (a table)."""
        target = (self._transform(history[:, 0]) - self.target_mean_) / self.target_scale_
        n_blocks = -(-steps // self.horizon)
        if not self.n_covariates_:
            covariates = None
        if covariates is not None:
            past = history[len(history) - len(target) :, 1:]
            future = np.concatenate(
                [covariates, np.repeat(covariates[-1:], n_blocks * self.horizon - steps, 0)]
            )
            covariates = np.concatenate([past, future]) - self.covariate_mean_
            covariates = covariates / self.covariate_scale_
        for _ in range(n_blocks):
            end = len(target)
            past_steps = np.arange(end - self.window, end)[None, :]
            inputs = _window_inputs(target, past_steps, self.horizon, covariates)
            block = self.regressor_.predict(inputs).reshape(-1)
            target = np.concatenate([target, block])
        forecast = target[len(target) - n_blocks * self.horizon :][:steps]
        return self._inverse_transform(forecast * self.target_scale_ + self.target_mean_, history)

    def predict_interval(self, X, coverage=0.9):
        """Prediction intervals for the forecast of ``len(X)`` steps (at most ``horizon``).

        The interval of step ``h`` ahead is the forecast plus or minus the calibration
        errors' conformal quantile at step ``h``: with calibration errors exchangeable
        with future ones, it holds the truth with probability at least ``coverage``.
        Needs ``interval_windows > 0``; the more origins, the tighter (with ``n``
        origins, ``coverage`` above ``n / (n + 1)`` gives the largest error seen).

        Parameters
        ----------
        X : array-like, as for :meth:`predict`
        coverage : float in (0, 1), default=0.9

        Returns
        -------
        lower, upper : ndarrays of shape (n_steps,)
        """
        check_is_fitted(self)
        if self.interval_errors_ is None:
            raise ValueError("Prediction intervals need interval_windows > 0 at fit.")
        if not 0 < coverage < 1:
            raise ValueError(f"coverage must be in (0, 1), got {coverage!r}.")
        forecast = self.predict(X)
        if len(forecast) > self.horizon:
            raise ValueError(
                f"Intervals are calibrated up to horizon={self.horizon} steps ahead; X asks "
                f"for {len(forecast)}."
            )
        n = len(self.interval_errors_)
        level = min(1.0, np.ceil((n + 1) * coverage) / n)
        width = np.quantile(self.interval_errors_, level, axis=0, method="higher")
        width = width[: len(forecast)] * (np.abs(forecast) if self.log else 1.0)
        return forecast - width, forecast + width

    def predict(self, X) -> np.ndarray:
        """Forecast ``len(X)`` steps after the training series.

        Parameters
        ----------
        X : array-like of shape (n_steps,) or (n_steps, 1 + n_covariates)
            The steps to forecast, in the layout of fit: only its covariate columns are
            used (the target column may hold anything, NaN included).

        Returns
        -------
        forecast : ndarray of shape (n_steps,)
        """
        check_is_fitted(self)
        table = _check_series(X, "X", allow_nan_target=True)
        if table.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {table.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input (the target and "
                f"{self.n_covariates_} covariates)."
            )
        return self.forecast(len(table), exog=table[:, 1:] if self.n_covariates_ else None)

    def score(self, X, y=None) -> float:
        """Minus the mean absolute percentage error of the forecast of ``X``'s target
        column (higher is better, as GridSearchCV expects).
        """
        table = _check_series(X, "X")
        truth = table[:, 0]
        return -float(np.mean(np.abs((self.predict(table) - truth) / truth)))

    # -- target transforms ------------------------------------------------------------

    def _transform(self, values):
        if self.log:
            if np.any(values <= 0):
                raise ValueError("log=True needs a strictly positive series.")
            values = np.log(values)
        if self.difference:
            values = values[self.difference :] - values[: -self.difference]
        return values

    def _inverse_transform(self, forecast, history):
        if self.difference:
            level = history[:, 0]
            level = np.log(level) if self.log else level
            extended = list(level)
            for change in forecast:
                extended.append(extended[-self.difference] + change)
            forecast = np.asarray(extended[len(level) :])
        return np.exp(forecast) if self.log else forecast

    def _check_future_covariates(self, exog, steps):
        if self.n_covariates_ == 0:
            if exog is not None:
                raise ValueError(
                    "exog was given, but the forecaster was fitted without covariates."
                )
            return None
        if exog is None:
            raise ValueError(
                f"The forecaster was fitted with {self.n_covariates_} covariates; pass their "
                f"values for the {steps} forecast steps as exog."
            )
        exog = np.asarray(exog, dtype=np.float64).reshape(len(exog), -1)
        if exog.shape != (steps, self.n_covariates_):
            raise ValueError(
                f"exog has shape {exog.shape}; expected ({steps}, {self.n_covariates_})."
            )
        if not np.isfinite(exog).all():
            raise ValueError("exog contains NaN or infinity.")
        return exog


def _mean_and_scale(values, axis=None):
    mean = values.mean(axis=axis)
    scale = values.std(axis=axis)
    return mean, np.where(scale > 0, scale, 1.0)


def _check_series(X, name, *, allow_nan_target=False) -> np.ndarray:
    """The series as a float64 (n_steps, n_columns) array, checked for order and NaN."""
    index = getattr(X, "index", None)  # a pandas index (a list's .index is a method)
    if hasattr(index, "is_monotonic_increasing") and not (
        index.is_monotonic_increasing and index.is_unique
    ):
        raise ValueError(
            f"{name} is not in time order: its index must be increasing without duplicates "
            "(sort it with .sort_index())."
        )
    # scikit-learn's validation gives its usual messages for sparse, complex, non-numeric
    # and empty input; a 1-D X is one series.
    table = check_array(
        X,
        dtype=np.float64,
        ensure_2d=False,
        allow_nd=True,
        ensure_all_finite=False,
        ensure_min_samples=1,
        input_name=name,
    )
    if table.ndim == 1:
        table = table[:, None]
    if table.ndim != 2 or table.shape[1] == 0:
        raise ValueError(
            f"{name} must be a 1-D series or a 2-D table (n_steps, 1 + n_covariates) with at "
            f"least one column; got shape {table.shape}. 0 feature(s) (shape={table.shape}) "
            "while a minimum of 1 is required."
        )
    checked = table[:, 1:] if allow_nan_target else table
    bad = ~np.isfinite(checked).all(axis=1)
    if bad.any():
        raise ValueError(
            f"{name} contains NaN or infinity at step {int(np.argmax(bad))}; fill or drop "
            "missing values first."
        )
    return table

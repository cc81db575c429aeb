"""RNNForecaster: the estimator that forecasts one series or many with a recurrent
network on sliding windows."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from .._constraints import Count
from .._mixins.export import OnnxExportMixin
from .._regressor import RNNRegressor
from .._saving import fitted_schema as schema
from .._saving.migrations import filled_pickle_state
from .._saving.persistence import SafeSaving
from .._scaling import mean_and_nonzero_scale
from .._validation import check_sample_weight
from ..metrics import mean_absolute_scaled_error
from ._export import ForecasterExportMixin
from ._intervals import IntervalsMixin
from ._layout import SeriesLayoutMixin, index_ends
from ._network import training_network
from ._recursion import ForecastingMixin
from ._seasons import season_from_index
from ._static import StaticCovariatesMixin
from ._windows import WindowEncodingMixin, scale_steps_for

__all__ = ["RNNForecaster"]


class RNNForecaster(
    SeriesLayoutMixin,
    WindowEncodingMixin,
    ForecastingMixin,
    StaticCovariatesMixin,
    IntervalsMixin,
    ForecasterExportMixin,
    OnnxExportMixin,
    SafeSaving,
    BaseEstimator,
):
    """Forecast one time series, or many related ones, with a recurrent network on
    sliding windows.

    The target is optionally log-transformed and differenced (``difference=12`` removes
    a yearly pattern from monthly data, ``1`` a trend) and cut into windows of
    ``window`` steps followed by ``horizon`` steps to predict. Each window is read
    relative to its own last value, in units of its own mean step (``scaling="window"``),
    so series in any units, and series whose level moves by decades, reach the network
    on one scale. The regressor learns all ``horizon`` steps at once (direct
    multi-output); longer forecasts repeat it on its own output. Forecasts are mapped
    back to the original units.

    **Many series, one model.** ``fit`` also takes several related series (stores,
    sensors, products): a list of arrays or pandas objects, or a long DataFrame with a
    ``series_id`` column. Each series may have its own length, and the same covariate
    columns with its own values. Every window is scaled on its own (so series of
    different scales share one network), the windows of all of them train one global
    network, and forecasts, intervals and :meth:`update` work per series. A series
    shorter than ``window + horizon`` is still learned from (its windows are shorter)
    and forecast, down to 2 steps.

    Parameters
    ----------
    window : int or "auto", default="auto"
        Past steps the network reads (fewer where a series has fewer). "auto": as many
        as the median training series has before its last horizon, at least
        ``horizon`` and one season, and at most 4 horizons or 2 seasons, whichever is
        longer; the fitted value is ``window_``.
    horizon : int, default=12
        Steps predicted at once. ``horizon=1`` is the classic recursive one-step model.
    scaling : {"window", "series"}, default="window"
        "window": each window minus its last value, divided by its mean absolute step,
        or with a season (``season_length_`` > 1) by its mean absolute change from one
        season to the next (the series' typical step for a window that does not move or
        shows fewer than ``scale_steps_`` changes); the network predicts the next steps
        in the same units. "series": each series standardised once by
        its mean and standard deviation over the training steps (a level far from the
        training range then falls outside what the network saw).
    log : bool, default=False
        Model the logarithm of the series (for positive series whose variation grows
        with their level, like sales or passengers).
    difference : int or None, default=None
        Model ``y[t] - y[t - difference]`` (after the log, if any): 1 removes a trend,
        the season length removes a seasonal pattern. Inverted on the forecasts.
    regressor : RNNRegressor or None, default=None
        The network (cloned at fit); None uses a unidirectional GRU-32 read at the last
        step, trained for up to 200 epochs but at most 960,000 windows read (in larger
        batches from 32,000 windows on: the cost of a fit stops growing with the number
        of series) at a constant lr of 0.003 with Adam, with early stopping from 1,000
        windows on (``early_stopping="auto"``; ``DEFAULT_REGRESSOR``: the windows are
        already scaled and short). Its parameters are searchable as
        ``regressor__hidden_size`` etc.
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
    series_id : str or None, default=None
        For a long-format DataFrame of many series: the column naming each row's series.
        The other columns are the target, then the covariates; rows of a series are in
        time order. None: ``X`` is one series, a list of series, or a
        :class:`~sk_rnn.SequenceTable` (pandas, polars or Parquet; a series per id, its
        feature columns the target then the covariates, its rows sorted by its time
        column; forecasts come as a list in the order of ``table.ids``).
    season_length : int or "auto", default="auto"
        Steps in one season (12 for monthly data with a yearly pattern, 7 for daily data
        with a weekly one); 1 is none. "auto": read from the spacing of the series'
        time index (a pandas ``DatetimeIndex`` or ``PeriodIndex``, a long DataFrame's
        index, or a :class:`~sk_rnn.SequenceTable`'s time column): 12 for months, 4 for
        quarters, 7 for days (5 for business days), 24 for hours (48 for half hours, 96
        for quarter hours), 52 for weeks, and 1 for years, for series without dates and
        for other spacings. The fitted value is
        ``season_length_``; ``window="auto"`` reads at least one season.

    Attributes
    ----------
    regressor_ : RNNRegressor
        The fitted network.
    n_features_in_ : int
        Columns of a series seen in fit: the target and the covariates.
    n_covariates_ : int
        Number of exogenous columns seen in fit.
    window_ : int
        The past steps the network reads (``window``, with "auto" resolved).
    season_length_ : int
        The steps of one season (``season_length``, with "auto" resolved; 1: none).
    scale_steps_ : int
        The fewest changes a window must show to be scaled by them (else by its
        series' typical step): 4, or one fewer than ``window_`` steps; 1 in files saved
        before this rule.
    many_series_ : bool
        Whether fit saw many series (a list, or a DataFrame with ``series_id``); if so,
        forecasts come per series.
    series_ids_ : ndarray of shape (n_series,)
        The series' ids (values of the ``series_id`` column, else 0, 1, ...).
    series_ : ndarray of shape (n_steps, 1 + n_covariates), or a list of them
        The training series (target first), from which forecasts continue; one table,
        or one per series with many series. :meth:`update` extends them.
    interval_errors_ : ndarray of shape (interval_windows, horizon) or None
        Calibration errors of each origin at each step ahead (absolute, or relative to
        the forecast with ``log=True``); with many series, shape
        ``(n_series, interval_windows, horizon)``.
    static_ : ndarray of shape (n_series, n_static) or None
        The static covariates fit was given (None: none).
    static_mean_, static_scale_ : ndarray of shape (n_static,) or None
        Their mean and standard deviation over the series, which standardise them.
    interval_residuals_ : ndarray, shaped as ``interval_errors_``, or None
        The same errors with their signs (truth minus forecast), which
        :meth:`predict_quantiles` reads.
    target_mean_, target_scale_ : ndarray of shape (n_series,)
        Each series' scaling: its mean and standard deviation with ``scaling="series"``;
        with ``scaling="window"`` zeros and its typical step (the mean absolute change
        without outlying steps), the scale of windows that do not move.
    covariate_mean_, covariate_scale_ : ndarray of shape (n_series, n_covariates)
        Each series' covariate standardisation (absent without covariates).
    index_ends_ : ndarray of shape (n_series,) or None
        The last time (date or number) of each series' index, which ``update`` checks
        new steps against; None when the series had no index.

    See Also
    --------
    sk_rnn.forecasting.backtest : The forecaster's errors over several origins.
    sk_rnn.forecasting.OriginSplit : Cross-validation over forecast origins.
    sk_rnn.metrics.mean_absolute_scaled_error : The score that ``score`` negates.

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

    Many series, one network:

    >>> stores = [10 + k + np.sin(2 * np.pi * t / 12) for k in range(3)]
    >>> model = RNNForecaster(window=24, horizon=6, regressor=RNNRegressor(
    ...     hidden_size=16, max_epochs=5, random_state=0)).fit(stores)
    >>> model.forecast(12).shape
    (3, 12)
    """

    _parameter_constraints: dict = {
        "window": [Count(1), StrOptions({"auto"})],
        "horizon": [Count(1)],
        "scaling": [StrOptions({"window", "series"})],
        "log": ["boolean"],
        "difference": [Count(1), None],
        "regressor": [RNNRegressor, None],
        "interval_windows": [Count(0)],
        "random_state": ["random_state"],
        "series_id": [str, None],
        "season_length": [Count(1), StrOptions({"auto"})],
    }
    _fitted_constraints: dict = {
        "n_features_in_": schema.integer(1),
        "window_": schema.integer(1),
        "season_length_": schema.integer(1),
        "scale_steps_": lambda value, fitted: (
            schema.integer(1)(value, fitted)
            or (
                None  # 1: files from before the rule
                if value in (1, scale_steps_for(fitted.get("window_", 1)))
                else "does not fit window_"
            )
        ),
        "n_covariates_": lambda value, fitted: (
            schema.integer(0)(value, fitted)
            or (
                None
                if value == fitted.get("n_features_in_", 1) - 1
                else "must be n_features_in_ - 1 (the columns after the target)"
            )
        ),
        "many_series_": schema.boolean,
        "series_ids_": schema.series_ids,
        "series_": schema.series_tables,
        "target_mean_": schema.per_target_vector(),
        "target_scale_": schema.per_target_vector(positive=True),
        "covariate_mean_": schema.optional(schema.covariate_statistics("covariate_mean_")),
        "covariate_scale_": schema.optional(schema.covariate_statistics("covariate_scale_")),
        "interval_errors_": schema.nonnegative_errors,
        "interval_residuals_": schema.calibration_residuals,
        "static_": schema.static_covariates,
        "static_mean_": schema.static_statistics(positive=False),
        "static_scale_": schema.static_statistics(positive=True),
        "index_ends_": schema.index_ends,
        "regressor_": lambda value, fitted: (
            None if isinstance(value, RNNRegressor) else "must be a fitted RNNRegressor"
        ),
    }
    _onnx_runtime = "Forecaster"  # on the class itself: a subclass is not exported

    def __init__(
        self,
        window="auto",
        horizon=12,
        *,
        scaling="window",
        log=False,
        difference=None,
        regressor=None,
        interval_windows=0,
        random_state=None,
        series_id=None,
        season_length="auto",
    ):
        self.window = window
        self.horizon = horizon
        self.scaling = scaling
        self.log = log
        self.difference = difference
        self.regressor = regressor
        self.interval_windows = interval_windows
        self.random_state = random_state
        self.series_id = series_id
        self.season_length = season_length

    # The regressor is a user's estimator: its parameters are validated in its own fit.
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, sample_weight=None, static=None):
        """Fit on the series ``X``: one series, or many.

        Parameters
        ----------
        X : array-like or pandas Series/DataFrame of shape (n_steps,) or (n_steps, 1 + k); \
a list of them; or a long DataFrame with a ``series_id`` column
            The series in time order: the target, or the target in column 0 and ``k``
            covariates after it. A pandas index must be increasing. A list of numpy
            arrays or pandas objects is many series (a list of plain numbers, or of
            rows, is one series).
        y : None
            Ignored; the targets are the series' own future values.
        sample_weight : array-like, default=None
            With many series, shape (n_series,): every window cut from series ``i``
            weighs ``sample_weight[i]`` in the loss. With one series, shape (n_steps,):
            one weight per time step, and a window weighs what the first step it
            predicts weighs (weigh recent steps more to follow a changing series).
        static : array-like of shape (n_series, n_static) or DataFrame, default=None
            Attributes fixed for each series (a store's region, one-hot; a sensor's
            size): numbers, one row per series in the order of the series, or a
            DataFrame indexed by the series ids. The network reads them, standardised
            over the series, beside every step; forecasts of a series use its row.

        Returns
        -------
        self : RNNForecaster
        """
        self._fitted_params_ = self.get_params(deep=False)
        tables, self.series_ids_, self.many_series_, indexes = self._check_fit_series(X)
        self.index_ends_ = index_ends(indexes)
        weights = None  # one weight per step of each series
        if sample_weight is not None and self.many_series_:
            per_series = check_sample_weight(sample_weight, len(tables))
            weights = [np.full(len(t), w) for t, w in zip(tables, per_series, strict=True)]
        elif sample_weight is not None:
            weights = [check_sample_weight(sample_weight, len(tables[0]))]
        self.n_features_in_ = tables[0].shape[1]
        self.n_covariates_ = tables[0].shape[1] - 1
        self._fit_static(static, len(tables))
        learnable = self._check_lengths(tables)
        self.season_length_ = (
            season_from_index(indexes) if self.season_length == "auto" else self.season_length
        )
        self.window_ = self._fitted_window(tables)
        self.scale_steps_ = scale_steps_for(self.window_)
        self.interval_errors_ = self.interval_residuals_ = None
        if self.interval_windows:
            residuals = self._calibrate(tables, weights, learnable)
        self._fit_network(tables, weights)
        if self.interval_windows:
            self.interval_residuals_ = residuals if self.many_series_ else residuals[0]
            self.interval_errors_ = np.abs(self.interval_residuals_)
        return self

    def _fit_network(self, tables, weights):
        """Fit each series' scaling and the one network on ``tables``, which forecasts then
        continue."""
        self.series_ = tables if self.many_series_ else tables[0]
        targets = [self._transformed(t[:, 0]) for t in tables]
        self.target_mean_, self.target_scale_ = self._target_scaling(targets)
        covariates = [
            table[len(table) - len(target) :, 1:]
            for table, target in zip(tables, targets, strict=True)
        ]
        if self.n_covariates_:
            scales = [mean_and_nonzero_scale(c) for c in covariates]
            self.covariate_mean_ = np.array([mean for mean, _ in scales])
            self.covariate_scale_ = np.array([scale for _, scale in scales])
            covariates = [
                (c - mean) / scale
                for c, mean, scale in zip(
                    covariates, self.covariate_mean_, self.covariate_scale_, strict=True
                )
            ]
        inputs, outputs, window_weights = [], [], []
        for i, (target, covariate) in enumerate(zip(targets, covariates, strict=True)):
            z = (
                (target - self.target_mean_[i]) / self.target_scale_[i]
                if self.scaling == "series"
                else target
            )
            exog = self._with_static(i, covariate if self.n_covariates_ else None, len(z))
            for cut, x, future in self._training_windows(z, exog, self.target_scale_[i]):
                inputs.append(x)
                outputs.append(future)
                if weights is not None:  # a window weighs what its first predicted step weighs
                    window_weights.append(weights[i][(self.difference or 0) + cut])
        if not inputs:
            raise ValueError(
                f"No window of the series (horizon={self.horizon}) has an observed value "
                "before it: too many gaps (NaN) to learn from."
            )
        regressor = training_network(self.regressor, inputs, self.random_state)
        self.regressor_ = regressor.fit(
            inputs,
            np.asarray(outputs),
            sample_weight=np.asarray(window_weights) if weights is not None else None,
        )

    def forecast(self, steps: int, exog=None) -> np.ndarray:
        """The next ``steps`` values after the training series (after each one, with many).

        Parameters
        ----------
        steps : int
            Number of steps to forecast (any number; beyond ``horizon`` the model
            continues from its own forecasts).
        exog : array-like of shape (steps, n_covariates), a list of them (one per series),
            or None
            The covariates of the forecast steps; required if fit saw covariates.

        Returns
        -------
        forecast : ndarray of shape (steps,), or (n_series, steps) with many series
        """
        check_is_fitted(self)
        return self._forecast(steps, exog)

    def update(self, X):
        """Append newly observed steps to the series, so that forecasts continue from them,
        without refitting: the network and the scaling stay as fitted.

        Parameters
        ----------
        X : array-like of shape (n_new_steps,) or (n_new_steps, 1 + n_covariates)
            The new steps, in the layout of fit (target and covariates known). With many
            series: a list with one table (or None, for no new steps) per series, or a
            long DataFrame with the ``series_id`` column.

        Returns
        -------
        self : RNNForecaster
        """
        check_is_fitted(self)
        tables = self._tables()
        ends = None if self.index_ends_ is None else self.index_ends_.copy()
        for i, new, index in self._future_tables(X, allow_nan_target=False, with_index=True):
            self._check_index_continues(i, index, ends)
            tables[i] = np.concatenate([tables[i], new])
        self.series_ = tables if self.many_series_ else tables[0]
        self.index_ends_ = ends
        return self

    def predict(self, X):
        """Forecast ``len(X)`` steps after the training series (after each, with many).

        Parameters
        ----------
        X : array-like of shape (n_steps,) or (n_steps, 1 + n_covariates)
            The steps to forecast, in the layout of fit: only its covariate columns are
            used (the target column may hold anything, NaN included). With many series: a
            list with one such table per series, or a long DataFrame with the
            ``series_id`` column.

        Returns
        -------
        forecast : ndarray of shape (n_steps,); with many series, a list with one array
            per series, or for a long DataFrame one value per row, in its order
        """
        check_is_fitted(self)
        return self._predict(X)

    def predict_interval(self, X, coverage=0.9):
        """Prediction intervals for the forecast of ``len(X)`` steps (at most ``horizon``).

        The interval of step ``h`` ahead is the forecast plus or minus the calibration
        errors' conformal quantile at step ``h`` (of the same series, with many): with
        calibration errors exchangeable with future ones, it holds the truth with
        probability at least ``coverage``. Needs ``interval_windows > 0``; the more
        origins, the tighter (with ``n`` origins, ``coverage`` above ``n / (n + 1)`` gives
        the largest error seen).

        Parameters
        ----------
        X : array-like, as for :meth:`predict`
        coverage : float in (0, 1), default=0.9

        Returns
        -------
        lower, upper : ndarrays of shape (n_steps,), shaped as :meth:`predict` returns
        """
        check_is_fitted(self)
        return self._predict_interval(X, coverage)

    def predict_quantiles(self, X, quantiles=(0.1, 0.5, 0.9)):
        """Quantile forecasts for ``len(X)`` steps (at most ``horizon``): the forecast plus
        the signed calibration residuals' conformal ``q`` quantile at each step ahead, so
        that the truth falls below it with probability at least ``q`` (for ``q >= 0.5``;
        below, above it with probability at least ``1 - q``). Needs ``interval_windows``;
        a level a series' own origins cannot give reads the residuals of all series.

        Parameters
        ----------
        X : array-like, as for :meth:`predict`
        quantiles : sequence of float in (0, 1), default=(0.1, 0.5, 0.9)

        Returns
        -------
        forecasts : ndarray of shape (n_steps, n_quantiles), shaped as :meth:`predict`
            returns with one column per quantile
        """
        check_is_fitted(self)
        return self._predict_quantiles(X, quantiles)

    def score(self, X, y=None) -> float:
        """Minus the mean absolute scaled error (MASE) of the forecast of ``X``'s target
        column: its mean absolute error over that of the naive forecast in the series'
        history (the value one season back, ``season_length_``; the previous value
        without a season), averaged over series with many. Higher is better,
        as GridSearchCV expects; other scores and their scorers: :mod:`sk_rnn.metrics`.
        """
        check_is_fitted(self)
        return -self._forecast_error(X, mean_absolute_scaled_error)

    def __setstate__(self, state):
        if "regressor_" in state:  # a pickle from before a parameter or attribute existed
            state = filled_pickle_state(type(self), state)
        super().__setstate__(state)

    def _restore_state(self, state, tensors, prefix, device) -> None:
        """A loaded forecaster's parameters must fit its network (a file's header could
        pair a horizon with a network that predicts another)."""
        if self.regressor_.n_outputs_ != self.horizon:
            raise ValueError(
                f"horizon={self.horizon}, but the network predicts "
                f"{self.regressor_.n_outputs_} steps"
            )

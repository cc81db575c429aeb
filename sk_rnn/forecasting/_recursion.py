"""How the forecaster forecasts from its fitted state: each series continued ``horizon``
steps at a time, the network fed its own forecasts for longer ranges, and the target
transforms undone. Numpy alone: the estimator and the torch-free runtime
(:mod:`sk_rnn.runtime`) share it, each with its own ``regressor_``."""

from __future__ import annotations

from numbers import Integral

import numpy as np

from ._seasons import scaled_by_season
from ._transforms import inverse_transform_target, transform_target

__all__ = ["ForecastingMixin", "forward_filled"]


class ForecastingMixin:
    """Forecasts of a fitted forecaster: needs ``regressor_`` (whose ``predict`` reads a
    list of window inputs), the fitted series and scaling, and the methods of
    :class:`~sk_rnn.forecasting._layout.SeriesLayoutMixin` and
    :class:`~sk_rnn.forecasting._windows.WindowEncodingMixin`."""

    def _forecast(self, steps, exog) -> np.ndarray:
        """:meth:`RNNForecaster.forecast` of a fitted forecaster."""
        if not isinstance(steps, Integral) or steps < 1:
            raise ValueError(f"steps must be a positive integer, got {steps!r}.")
        tables = self._tables()
        if not self.many_series_:
            exog = [exog]
        elif exog is None:
            exog = [None] * len(tables)
        elif not isinstance(exog, list | tuple) or len(exog) != len(tables):
            raise ValueError(
                f"exog needs one table of covariates per series ({len(tables)}), as a list."
            )
        covariates = [self._check_future_covariates(e, steps) for e in exog]
        forecasts = self._continue(range(len(tables)), tables, steps, covariates)
        return forecasts if self.many_series_ else forecasts[0]

    def _continue(self, positions, histories, steps, covariates) -> np.ndarray:
        """Forecast ``steps`` values after ``histories`` (tables), the histories of the
        fitted series at ``positions`` (in ``series_ids_``, whose scaling they use),
        with the future ``covariates`` of each (tables, or None); shape
        (len(positions), steps). The series are forecast together: one network call per
        block of ``horizon`` steps."""
        positions = list(positions)
        n_series = len(positions)
        mean, scale = self.target_mean_[positions], self.target_scale_[positions]
        n_blocks = -(-steps // self.horizon)
        targets, extended = [], []
        for k, (i, history) in enumerate(zip(positions, histories, strict=True)):
            targets.append(
                (self._transformed(history[:, 0]) - mean[k]) / scale[k]
                if self.scaling == "series"
                else self._transformed(history[:, 0])
            )
            extended.append(None)
            if self.n_covariates_:
                past = history[len(history) - len(targets[k]) :, 1:]
                padding = np.repeat(covariates[k][-1:], n_blocks * self.horizon - steps, 0)
                future = np.concatenate([covariates[k], padding])
                extended[k] = (np.concatenate([past, future]) - self.covariate_mean_[i]) / (
                    self.covariate_scale_[i]
                )
            rows = len(targets[k]) + n_blocks * self.horizon
            extended[k] = self._with_static(i, extended[k], rows)
        for _ in range(n_blocks):
            inputs, levels, scales = [], [], []
            for k, (t, c) in enumerate(zip(targets, extended, strict=True)):
                x, level, window_scale = self._window_input(t, c, len(t), scale[k])
                inputs.append(x)
                levels.append(level)
                scales.append(window_scale)
            blocks = self.regressor_.predict(self._readable(inputs)).reshape(n_series, -1)
            blocks = np.asarray(levels)[:, None] + np.asarray(scales)[:, None] * blocks
            targets = [np.concatenate([t, b]) for t, b in zip(targets, blocks, strict=True)]
        forecasts = np.empty((n_series, steps))
        for k, (target, history) in enumerate(zip(targets, histories, strict=True)):
            forecast = target[len(target) - n_blocks * self.horizon :][:steps]
            if self.scaling == "series":
                forecast = forecast * scale[k] + mean[k]
            forecasts[k] = self._in_units(forecast, history)
        return forecasts

    def _predict(self, X):
        """:meth:`RNNForecaster.predict` of a fitted forecaster."""
        pairs = self._future_tables(X, allow_nan_target=True)
        return self._in_layout(X, pairs, self._forecasts(pairs))

    def _forecast_error(self, X, metric) -> float:
        """``metric`` (a forecast metric of :mod:`sk_rnn.metrics`) of the forecast of the
        future steps ``X`` against their target column, each series scaled by its
        history as the forecaster holds it (one season back, with a season)."""
        pairs = self._future_tables(X, allow_nan_target=False)
        tables = self._tables()
        truths = [future[:, 0] for _, future in pairs]
        histories = [tables[i][:, 0] for i, _ in pairs]
        scores = scaled_by_season(
            metric, truths, self._forecasts(pairs), histories, self.season_length_
        )
        return float(np.mean(scores))

    def _forecasts(self, pairs) -> list[np.ndarray]:
        """The forecast of each (series, future table) pair, as many steps as the table;
        pairs of one length are forecast together."""
        tables = self._tables()
        forecasts = [None] * len(pairs)
        for steps in {len(future) for _, future in pairs}:
            same = [k for k, (_, future) in enumerate(pairs) if len(future) == steps]
            covariates = [
                self._check_future_covariates(
                    pairs[k][1][:, 1:] if self.n_covariates_ else None, steps
                )
                for k in same
            ]
            positions = [pairs[k][0] for k in same]
            histories = [tables[i] for i in positions]
            for k, forecast in zip(
                same, self._continue(positions, histories, steps, covariates), strict=True
            ):
                forecasts[k] = forecast
        return forecasts

    def _readable(self, inputs):
        """Window inputs as the network can read them: as they are when it learned from
        gaps, else with each gap filled by the last observed value (a history whose gaps
        the training windows never saw: its last steps, say)."""
        reads_gaps = getattr(self.regressor_, "input_gaps_", None) is not None
        if reads_gaps or not any(np.isnan(x).any() for x in inputs):
            return inputs
        return [forward_filled(x) for x in inputs]

    # -- target transforms ------------------------------------------------------------

    def _transformed(self, values):
        return transform_target(values, self.log, self.difference)

    def _in_units(self, forecast, history):
        return inverse_transform_target(forecast, history, self.log, self.difference)


def forward_filled(x: np.ndarray) -> np.ndarray:
    """``x`` (steps, features) with each NaN replaced by the last value before it in its
    column (the first observed value where none comes before; 0, the window's level,
    in a column with none)."""
    x = np.array(x, dtype=np.float64)
    for column in x.T:
        observed = np.flatnonzero(~np.isnan(column))
        if not len(observed):
            column[:] = 0.0
            continue
        last = np.maximum.accumulate(np.where(np.isnan(column), -1, np.arange(len(column))))
        column[:] = column[np.where(last >= 0, last, observed[0])]
    return x.astype(np.float32)

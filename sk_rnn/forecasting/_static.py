"""Static covariates: attributes fixed for each series (a store's region, a sensor's
type), read by the network beside every step of every window, standardised over the
series. Numpy alone: the estimator and the torch-free runtime share it."""

from __future__ import annotations

import numpy as np

__all__ = ["StaticCovariatesMixin"]


class StaticCovariatesMixin:
    """The static covariates of :class:`RNNForecaster`: its fitted ``static_`` (one row
    per series, as given) and ``static_mean_`` and ``static_scale_`` (over the series);
    None when fit had none."""

    def _fit_static(self, static, n_series: int) -> None:
        """Check and keep ``static`` (the ``fit`` argument), aligned with the series."""
        self.static_ = self.static_mean_ = self.static_scale_ = None
        if static is None:
            return
        if hasattr(static, "reindex") and hasattr(static, "index") and self.many_series_:
            missing = [i for i in self.series_ids_.tolist() if i not in static.index]
            if missing:
                raise ValueError(
                    f"static has no row for {len(missing)} series, for example {missing[:5]}; "
                    "index it by the series ids (or give one row per series, in order)."
                )
            static = static.reindex(self.series_ids_)
        try:
            values = np.asarray(static, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise TypeError(
                "static must hold numbers (one row per series); encode categories first, "
                "for example with pandas.get_dummies."
            ) from error
        values = values.reshape(len(values), -1) if values.ndim < 2 else values
        if values.ndim != 2 or len(values) != n_series or values.shape[1] == 0:
            raise ValueError(
                f"static has shape {np.shape(static)}; it needs one row per series "
                f"({n_series}) and at least one column."
            )
        if not np.isfinite(values).all():
            raise ValueError("static contains NaN or infinity; every series needs its values.")
        mean, scale = values.mean(axis=0), values.std(axis=0)
        self.static_, self.static_mean_ = values, mean
        self.static_scale_ = np.where(scale > 0, scale, 1.0)

    def _with_static(self, i: int, covariates, n_rows: int):
        """``covariates`` (rows of scaled covariates, or None) of series ``i`` with its
        standardised static covariates joined to each of ``n_rows`` rows."""
        static = getattr(self, "static_", None)
        if static is None:
            return covariates
        row = (static[i] - self.static_mean_) / self.static_scale_
        columns = np.repeat(row[None, :], n_rows, axis=0)
        return columns if covariates is None else np.concatenate([covariates, columns], 1)

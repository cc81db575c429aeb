"""The forecaster's ONNX export hooks (``sk_rnn._mixins.export``): its network, and
the header that the torch-free runtime (:mod:`sk_rnn.runtime`) forecasts from."""

from __future__ import annotations

from .._regressor import RNNRegressor
from .._saving.onnx_format import encode_array

__all__ = ["ForecasterExportMixin"]


class ForecasterExportMixin:
    """What :class:`~sk_rnn._mixins.export.OnnxExportMixin` asks of :class:`RNNForecaster`."""

    def _onnx_network(self) -> RNNRegressor:
        if type(self.regressor_) is not RNNRegressor:
            raise TypeError(
                f"This forecaster's regressor is a {type(self.regressor_).__name__}; export "
                "covers the default RNNRegressor only."
            )
        return self.regressor_

    def _onnx_header(self) -> dict:
        arrays = (
            "target_mean_",
            "target_scale_",
            "covariate_mean_",
            "covariate_scale_",
            "static_",
            "static_mean_",
            "static_scale_",
        )
        forecaster = {name.rstrip("_"): encode_array(getattr(self, name, None)) for name in arrays}
        forecaster.update(
            interval_errors=encode_array(self.interval_errors_),
            horizon=int(self.horizon),
            window=int(self.window_),
            season_length=int(self.season_length_),
            scale_steps=int(self.scale_steps_),
            scaling=self.scaling,
            log=bool(self.log),
            difference=None if self.difference is None else int(self.difference),
            series_id=self.series_id,
            series_ids=encode_array(self.series_ids_),
            many_series=bool(self.many_series_),
            n_features_in=int(self.n_features_in_),
            n_covariates=int(self.n_covariates_),
            series=[encode_array(t) for t in self._tables()],
        )
        return {**self.regressor_._onnx_header(), "forecaster": forecaster}

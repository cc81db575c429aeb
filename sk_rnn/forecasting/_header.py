"""The checks of an exported forecaster's header (its ``forecaster`` entry), which the
torch-free runtime (:mod:`sk_rnn.runtime`) runs before it forecasts from it."""

from __future__ import annotations

import numpy as np

from .._saving import onnx_format as schema
from ._windows import scale_steps_for

__all__ = ["check_forecaster_header"]


def check_forecaster_header(header: dict, graph: dict) -> None:
    """Refuse a ``forecaster`` entry that does not fit the graph or itself, naming the
    field (after the regressor's own checks of the header)."""
    spec = schema.field_dict(header, "forecaster")
    where = "forecaster."
    horizon = schema.field_int(spec, "horizon", where, minimum=1)
    if graph["output"] not in (None, horizon) or header["per_step"]:
        raise ValueError("header field 'forecaster.horizon' does not fit the graph's outputs")
    window = schema.field_int(spec, "window", where, minimum=1)
    if header["format_version"] >= 4:  # before version 4: no season, every window's steps
        schema.field_int(spec, "season_length", where, minimum=1)
        if schema.field_int(spec, "scale_steps", where, minimum=1) != scale_steps_for(window):
            raise ValueError("header field 'forecaster.scale_steps' does not fit 'window'")
    schema.field_choice(spec, "scaling", ("window", "series"), where)
    schema.field_bool(spec, "log", where)
    schema.field_int(spec, "difference", where, minimum=1, optional=True)
    if not (spec["series_id"] is None or isinstance(spec["series_id"], str)):
        raise ValueError("header field 'forecaster.series_id' must be null or a string")
    ids = schema.field_array(spec, "series_ids", where, kinds="biuU")
    many = schema.field_bool(spec, "many_series", where)
    if len(ids) == 0 or len(np.unique(ids)) != len(ids) or (not many and len(ids) != 1):
        raise ValueError("header field 'forecaster.series_ids' must be distinct ids")
    width = schema.field_int(spec, "n_features_in", where, minimum=1)
    n_covariates = schema.field_int(spec, "n_covariates", where, minimum=0)
    if n_covariates != width - 1:
        raise ValueError("header field 'forecaster.n_covariates' is not n_features_in - 1")
    n = len(ids)
    schema.field_array(spec, "target_mean", where, shape=(n,))
    schema.field_array(spec, "target_scale", where, shape=(n,), positive=True)
    for name in ("covariate_mean", "covariate_scale"):
        covariates = schema.field_array(
            spec, name, where, ndim=2, shape=(n, n_covariates), positive=name.endswith(
                "scale"
            ), optional=True,
        )  # fmt: skip
        if (covariates is None) != (n_covariates == 0):
            raise ValueError(f"header field 'forecaster.{name}' does not fit n_covariates")
    if header["format_version"] >= 3:  # static covariates (none before version 3)
        static = schema.field_array(spec, "static", where, ndim=2, optional=True)
        if static is not None and len(static) != n:
            raise ValueError(f"header field 'forecaster.static' must hold {n} rows")
        for name in ("static_mean", "static_scale"):
            columns = None if static is None else (static.shape[1],)
            statistics = schema.field_array(
                spec, name, where, shape=columns, positive=name == "static_scale", optional=True
            )
            if (statistics is None) != (static is None):
                raise ValueError(f"header field 'forecaster.{name}' does not fit 'static'")
    errors = schema.field_array(  # NaN: an origin a short series did not have
        spec, "interval_errors", where, ndim=3 if many else 2, optional=True, gaps=True
    )
    if errors is not None and (errors < 0).any():
        raise ValueError("header field 'forecaster.interval_errors' holds negative errors")
    series = spec["series"]
    if not isinstance(series, list) or len(series) != n:
        raise ValueError(f"header field 'forecaster.series' must hold {n} series")
    for i in range(n):
        table = schema.field_array(dict(enumerate(series)), i, where + "series.", ndim=2, gaps=True)
        if not np.isfinite(table[:, 1:]).all():
            raise ValueError(f"header field 'forecaster.series' {i} has gaps in covariates")
        if np.isnan(table[:, 0]).any() and np.isfinite(table[:, 0]).sum() < 2:
            raise ValueError(
                f"header field 'forecaster.series' {i} has fewer than 2 observed values"
            )
        if table.shape[1] != width or len(table) == 0:
            raise ValueError(
                f"header field 'forecaster.series' {i} must have {width} columns and steps"
            )

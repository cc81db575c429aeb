"""Target transforms of the forecaster: the log and seasonal or trend differencing of a
series, and their inverse on forecasts."""

from __future__ import annotations

import numpy as np

__all__ = ["interpolated", "inverse_transform_target", "transform_target"]


def transform_target(values, log: bool, difference: int | None):
    """``values`` (a series' target, in time order) on the scale the network models."""
    if log:
        if np.any(values <= 0):
            raise ValueError("log=True needs a strictly positive series.")
        values = np.log(values)
    if difference:
        values = values[difference:] - values[:-difference]
    return values


def inverse_transform_target(forecast, history, log: bool, difference: int | None):
    """A ``forecast`` on the modelled scale back in the units of the target, continuing
    the series ``history`` (a table whose column 0 is the target)."""
    if difference:
        level = interpolated(history[:, 0])
        level = np.log(level) if log else level
        extended = list(level)
        for change in forecast:
            extended.append(extended[-difference] + change)
        forecast = np.asarray(extended[len(level) :])
    return np.exp(forecast) if log else forecast


def interpolated(values: np.ndarray) -> np.ndarray:
    """``values`` with gaps (NaN) filled linearly between observed neighbours (and by the
    nearest observed value at the ends): the levels a differenced forecast continues, and
    the horizons windows learn."""
    missing = np.isnan(values)
    if not missing.any():
        return values
    steps = np.arange(len(values))
    return np.interp(steps, steps[~missing], values[~missing])

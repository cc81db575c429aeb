"""The season length of a series: given, or read from the spacing of its time index."""

from __future__ import annotations

import numpy as np

__all__ = ["scaled_by_season", "season_from_index"]

_HOUR = 3600.0
_DAY = 24 * _HOUR
# (typical spacing of consecutive steps in seconds, the season in steps): the cycle a
# calendar gives each frequency (a day of hours, a week of days, a year of months).
_CALENDAR = (
    (15 * 60.0, 96),
    (30 * 60.0, 48),
    (_HOUR, 24),
    (_DAY, 7),
    (7 * _DAY, 52),
    (30.44 * _DAY, 12),
    (91.31 * _DAY, 4),
    (365.25 * _DAY, 1),
)
# How far the median spacing may be from a frequency's: months run 28 to 31 days.
_TOLERANCE = 0.1


def season_from_index(indexes) -> int:
    """The season length the time indexes of the training series imply: the calendar
    cycle of their median spacing (12 for months, 4 for quarters, 7 for days, 5 for
    business days, 24 for hours, 52 for weeks); 1 (no season) for years, for numeric or
    absent indexes and for spacings that match no calendar frequency."""
    dated = [np.asarray(i) for i in indexes if i is not None and np.asarray(i).dtype.kind == "M"]
    spacings = [np.diff(i).astype("timedelta64[s]").astype(np.float64) for i in dated]
    spacings = np.concatenate([s[s > 0] for s in spacings]) if spacings else np.empty(0)
    if not len(spacings):
        return 1
    typical = float(np.median(spacings))
    for spacing, season in _CALENDAR:
        if abs(typical - spacing) <= _TOLERANCE * spacing:
            if season == 7 and _business_days(dated):
                return 5
            return season
    return 1


def _business_days(dated) -> bool:
    """Whether daily steps skip weekends: no step falls on a Saturday or a Sunday."""
    days = np.concatenate(dated).astype("datetime64[D]").astype(np.int64)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday (3, counting Monday as 0)
    return bool(len(days) > 7 and not np.isin(weekday, (5, 6)).any())


def scaled_by_season(metric, truths, forecasts, histories, season_length: int) -> list[float]:
    """``metric`` (a scaled error of :mod:`sk_rnn.metrics`) of each series' forecast, its
    naive scale taken ``season_length`` steps back, as the forecasting literature scores
    seasonal data; one step back for a history no longer than a season, or whose changes
    from season to season are all zero. Raises ValueError for a constant history."""
    scores = []
    for truth, forecast, history in zip(truths, forecasts, histories, strict=True):
        lag = season_length if len(history) > season_length else 1
        try:
            scores.append(metric(truth, forecast, y_train=history, season_length=lag))
        except ValueError:
            if lag == 1:
                raise
            scores.append(metric(truth, forecast, y_train=history, season_length=1))
    return scores

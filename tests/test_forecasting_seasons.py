"""Seasons read from the time index, the window scale of short windows, and the step cap
that keeps a many-series fit's cost from growing with the number of series."""

import numpy as np
import pandas as pd
import polars as pl
import pytest

from sk_rnn import RNNRegressor, SequenceTable
from sk_rnn.forecasting import RNNForecaster, backtest
from sk_rnn.forecasting._network import (
    DEFAULT_REGRESSOR,
    DEFAULT_WINDOW_VISITS,
    EPOCH_BATCHES,
    LARGEST_BATCH,
    _within_budget,
)
from sk_rnn.forecasting._seasons import season_from_index
from sk_rnn.forecasting._series import index_values
from sk_rnn.forecasting._windows import MIN_SCALE_STEPS

TINY = RNNRegressor(
    hidden_size=8, bidirectional=False, conv_channels=None, max_epochs=3, random_state=0
)


def indexed(freq, n=60):
    return pd.Series(
        np.arange(n, dtype=float), index=pd.date_range("2020-01-01", periods=n, freq=freq)
    )


@pytest.mark.parametrize(
    "freq, season",
    [
        ("MS", 12),
        ("ME", 12),
        ("QS", 4),
        ("D", 7),
        ("B", 5),
        ("h", 24),
        ("W", 52),
        ("YS", 1),
        ("30min", 48),
        ("17min", 1),
    ],
)
def test_season_is_the_calendar_cycle_of_the_index_spacing(freq, season):
    assert season_from_index([index_values(indexed(freq))]) == season


def test_a_series_without_dates_has_no_season():
    assert season_from_index([None]) == 1
    assert season_from_index([np.arange(10.0)]) == 1
    periods = pd.Series(np.ones(30), index=pd.period_range("2000Q1", periods=30, freq="Q"))
    assert season_from_index([index_values(periods)]) == 4


def test_forecaster_reads_the_season_and_the_window_covers_one():
    series = indexed("MS", 80)
    auto = RNNForecaster(horizon=3, regressor=TINY).fit(series)
    assert auto.season_length_ == 12
    assert auto.window_ == 24  # at least one season, at most 4 horizons or 2 seasons
    plain = RNNForecaster(horizon=3, regressor=TINY).fit(series.to_numpy())
    assert plain.season_length_ == 1 and plain.window_ == 12  # 4 horizons
    given = RNNForecaster(horizon=3, season_length=7, regressor=TINY).fit(series.to_numpy())
    assert given.season_length_ == 7 and given.window_ == 14  # 2 seasons


def test_season_is_read_from_a_long_table_time_column():
    months = pd.date_range("2015-01-01", periods=40, freq="MS")
    frame = pl.DataFrame(
        {
            "id": np.repeat(["a", "b"], 40),
            "month": np.tile(months.to_numpy(), 2),
            "sales": np.arange(80, dtype=float),
        }
    )
    table = SequenceTable(frame, id_column="id", time_column="month", feature_columns=["sales"])
    model = RNNForecaster(horizon=3, regressor=TINY).fit(table)
    assert model.season_length_ == 12


def test_season_length_is_validated():
    with pytest.raises(ValueError, match="season_length"):
        RNNForecaster(season_length=0).fit(np.arange(30.0))


def test_backtest_keeps_the_season_of_the_index():
    series = indexed("MS", 70) + np.sin(np.arange(70))
    auto = backtest(RNNForecaster(horizon=3, regressor=TINY, random_state=0), series, n_origins=2)
    given = backtest(
        RNNForecaster(horizon=3, regressor=TINY, random_state=0, season_length=12),
        series.to_numpy(),
        n_origins=2,
    )
    np.testing.assert_array_equal(auto.forecasts, given.forecasts)


def test_a_window_of_few_steps_is_scaled_by_its_series_typical_step():
    # The first windows move by 0.001, then the series steps by about 1: scaled by their
    # own mean step, their futures would be about a thousand units.
    rng = np.random.default_rng(0)
    z = np.concatenate([[100.0, 100.001], 100 + np.cumsum(rng.normal(size=40))])
    model = RNNForecaster(horizon=4, regressor=TINY)
    model.window_, model.season_length_, model.many_series_ = 8, 1, False
    model.scale_steps_ = MIN_SCALE_STEPS
    scale = model._target_scaling([z])[1][0]
    futures = np.array([f for _, _, f in model._training_windows(z, None, scale)])
    assert MIN_SCALE_STEPS > 1
    assert np.abs(futures).max() < 50


def test_many_windows_cap_what_the_default_network_reads():
    network = RNNRegressor(**DEFAULT_REGRESSOR)
    small = _within_budget(network, 500)  # small data: the network as chosen
    assert small == {"max_epochs": 200, "batch_size": network.batch_size}
    n_train = int(100_000 * (1 - network.validation_fraction))
    many = _within_budget(network, 100_000)
    assert many["batch_size"] == int(np.ceil(n_train / EPOCH_BATCHES))
    assert many["max_epochs"] == DEFAULT_WINDOW_VISITS // n_train
    huge = _within_budget(network, 10_000_000)
    assert huge == {"max_epochs": 1, "batch_size": LARGEST_BATCH}


def test_a_seasonal_window_is_scaled_by_its_changes_from_season_to_season():
    # A strong 4-step season on a slow trend: the steps are about 10, the changes from
    # one season to the next about 0.4 (the trend over 4 steps).
    t = np.arange(40.0)
    z = 100 + 0.1 * t + 10 * np.sin(np.pi * t / 2)
    model = RNNForecaster(horizon=4, regressor=TINY)
    model.window_, model.many_series_, model.scale_steps_ = 16, False, MIN_SCALE_STEPS
    model.season_length_ = 1
    _, plain = model._window_scaling(z, 30, 1.0)
    model.season_length_ = 4
    _, seasonal = model._window_scaling(z, 30, 1.0)
    assert plain == pytest.approx(np.mean(np.abs(np.diff(z[14:30]))))
    assert seasonal == pytest.approx(0.4)


def test_a_seasonal_forecaster_saves_and_exports_with_its_season(tmp_path):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from sk_rnn import load, runtime

    rng = np.random.default_rng(0)
    t = np.arange(48)
    series = [
        level * (2 + np.sin(2 * np.pi * t / 4)) + rng.normal(size=48)
        for level in rng.uniform(5, 500, size=6)
    ]
    model = RNNForecaster(horizon=2, season_length=4, regressor=TINY, random_state=0).fit(series)
    assert model.season_length_ == 4 and model.scale_steps_ == MIN_SCALE_STEPS
    model.save(tmp_path / "model.skrnn")
    loaded = load(tmp_path / "model.skrnn")
    assert loaded.season_length_ == 4
    np.testing.assert_array_equal(loaded.forecast(5), model.forecast(5))
    exported = runtime.load(model.to_onnx(tmp_path / "model.onnx"))
    np.testing.assert_allclose(exported.forecast(5), model.forecast(5), rtol=1e-5, atol=1e-4)


def test_score_and_backtest_scale_errors_one_season_back():
    from sk_rnn.metrics import mean_absolute_scaled_error

    t = np.arange(72.0)
    series = 10 + 5 * np.sin(2 * np.pi * t / 12) + 0.05 * t
    model = RNNForecaster(horizon=6, season_length=12, regressor=TINY).fit(series[:-6])
    forecast = model.forecast(6)
    seasonal = mean_absolute_scaled_error(
        series[-6:], forecast, y_train=series[:-6], season_length=12
    )
    one_step = mean_absolute_scaled_error(series[-6:], forecast, y_train=series[:-6])
    assert seasonal != pytest.approx(one_step)  # the test can tell them apart
    assert model.score(series[-6:]) == pytest.approx(-seasonal)
    result = backtest(model, series, n_origins=1, steps=6)
    assert result.scores["mase"][0, 0] == pytest.approx(seasonal)
    # A history no longer than a season has no change one season back: one step back.
    short = RNNForecaster(horizon=2, window=3, season_length=12, regressor=TINY)
    short.fit(series[:10])
    expected = mean_absolute_scaled_error(series[10:12], short.forecast(2), y_train=series[:10])
    assert short.score(series[10:12]) == pytest.approx(-expected)

"""Sliding windows and RNNForecaster: learning, covariates, time-ordered search, errors."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_val_score

import sk_rnn
from sk_rnn import RNNRegressor
from sk_rnn.forecasting import RNNForecaster, make_windows

# A forecaster-sized network (like DEFAULT_REGRESSOR: one direction, no convolution).
TINY = dict(
    hidden_size=16,
    bidirectional=False,
    conv_channels=None,
    max_epochs=60,
    lr=0.01,
    batch_size=16,
    random_state=0,
)


def seasonal_series(n=156, seed=0):
    """Monthly-like series: trend times a 12-step season, with a little noise."""
    t = np.arange(n)
    noise = np.random.default_rng(seed).normal(scale=0.01, size=n)
    return (100 + t) * (1 + 0.2 * np.sin(2 * np.pi * t / 12)) * (1 + noise)


def mape(truth, forecast):
    return np.mean(np.abs(forecast - truth) / truth)


def test_make_windows_layout():
    X, Y = make_windows(np.arange(10.0), window=4, horizon=3)
    assert X.shape == (4, 4, 1) and Y.shape == (4, 3)
    assert X[1, :, 0].tolist() == [1, 2, 3, 4] and Y[1].tolist() == [5, 6, 7]
    exog = np.arange(20.0).reshape(10, 2)
    X, Y = make_windows(np.arange(10.0), window=4, horizon=3, exog=exog)
    assert X.shape == (4, 7, 4)
    # Past steps: target, covariates, flag 0; future steps: 0, their covariates, flag 1.
    assert X[1, :4, 0].tolist() == [1, 2, 3, 4] and X[1, 4:, 0].tolist() == [0, 0, 0]
    assert X[1, :, 1].tolist() == exog[1:8, 0].tolist()
    assert X[1, :, 3].tolist() == [0, 0, 0, 0, 1, 1, 1]


def test_make_windows_from_several_series():
    X, Y = make_windows([np.arange(5.0), 10 + np.arange(4.0)], window=2, horizon=1)
    assert X[:, :, 0].tolist() == [[0, 1], [1, 2], [2, 3], [10, 11], [11, 12]]
    assert Y[:, 0].tolist() == [2, 3, 4, 12, 13]
    with pytest.raises(ValueError, match="1 tables for 2 series"):
        make_windows([np.arange(5.0)] * 2, 2, 1, exog=[np.zeros((5, 1))])


def test_learns_trend_and_season():
    series = seasonal_series()
    train, test = series[:-24], series[-24:]
    model = RNNForecaster(
        window=24, horizon=12, log=True, difference=12, regressor=RNNRegressor(**TINY)
    )
    forecast = model.fit(train).forecast(24)
    assert mape(test, forecast) < 0.03
    # The seasonal naive forecast misses the trend: the network must do better.
    assert mape(test, np.resize(train[-12:], 24)) > 2 * mape(test, forecast)
    np.testing.assert_allclose(model.predict(test), forecast)
    naive_error = np.mean(np.abs(np.diff(train)))  # MASE's scale: the in-sample naive error
    assert model.score(test) == pytest.approx(-np.mean(np.abs(test - forecast)) / naive_error)


def test_recursive_one_step_model():
    series = seasonal_series()
    model = RNNForecaster(window=24, horizon=1, difference=12, regressor=RNNRegressor(**TINY))
    forecast = model.fit(series[:-12]).forecast(12)
    assert forecast.shape == (12,)
    assert mape(series[-12:], forecast) < 0.05


def test_covariates_known_in_advance():
    rng = np.random.default_rng(0)
    promotion = rng.random(200) < 0.3
    sales = 50 + 30 * promotion + rng.normal(scale=1, size=200)
    table = np.column_stack([sales, promotion])
    # Both directions: each forecast step's output reads the covariates of every step.
    regressor = RNNRegressor(**dict(TINY, bidirectional=True))
    # A level set by the covariate, not by the recent past: read in the series' own
    # standardised units, not relative to each window's last value.
    model = RNNForecaster(window=12, horizon=6, scaling="series", regressor=regressor)
    model.fit(table[:-12])
    with_covariates = model.predict(table[-12:])
    assert model.n_covariates_ == 1
    assert np.mean(np.abs(with_covariates - sales[-12:])) < 4
    blind = RNNForecaster(window=12, horizon=6, regressor=RNNRegressor(**TINY)).fit(sales[:-12])
    assert np.mean(np.abs(blind.forecast(12) - sales[-12:])) > 8
    # The target column of the future block is not used: unknown values are fine.
    future = table[-12:].copy()
    future[:, 0] = np.nan
    np.testing.assert_allclose(model.predict(future), with_covariates)


def test_time_series_split_search_fits_only_on_the_past():
    series = seasonal_series(120)
    forecaster = RNNForecaster(window=12, horizon=6, difference=12, regressor=RNNRegressor(**TINY))
    cv = TimeSeriesSplit(n_splits=2, test_size=12)
    scores = cross_val_score(forecaster, series, cv=cv)
    for score, (train, test) in zip(scores, cv.split(series), strict=True):
        assert train.max() < test.min()
        manual = clone(forecaster).fit(series[train]).score(series[test])
        assert score == pytest.approx(manual)
    search = GridSearchCV(forecaster, {"window": [12, 24]}, cv=cv).fit(series)
    # The refitted best model continues from the whole series.
    assert search.best_estimator_.series_.shape == (120, 1)


def test_prediction_intervals_follow_the_noise():
    rng = np.random.default_rng(0)
    t = np.arange(240)
    season = 10 * np.sin(2 * np.pi * t / 12)
    widths, covered = [], []
    for noise in (0.5, 5.0):
        series = 100 + season + rng.normal(scale=noise, size=240)
        model = RNNForecaster(
            window=24, horizon=6, interval_windows=40, regressor=RNNRegressor(**TINY)
        ).fit(series[:-6])
        lower, upper = model.predict_interval(series[-6:], coverage=0.9)
        assert np.all(lower < model.predict(series[-6:])) and np.all(
            model.predict(series[-6:]) < upper
        )
        assert model.interval_errors_.shape == (40, 6)
        widths.append(np.mean(upper - lower))
        covered.append(np.mean((lower <= series[-6:]) & (series[-6:] <= upper)))
    # Ten times the noise gives several times wider intervals (the tiny network's own
    # error sets a floor under the narrow ones); most truths fall inside.
    assert widths[1] > 3 * widths[0]
    assert np.mean(covered) >= 0.75
    with pytest.raises(ValueError, match="calibrated up to horizon=6"):
        model.predict_interval(np.zeros(7))


def test_prediction_interval_errors():
    series = seasonal_series(80)
    model = RNNForecaster(window=12, horizon=6, regressor=RNNRegressor(**dict(TINY, max_epochs=1)))
    with pytest.raises(ValueError, match="need interval_windows > 0"):
        model.fit(series).predict_interval(np.zeros(3))
    with pytest.raises(ValueError, match="Every series is too short to calibrate intervals"):
        model.set_params(interval_windows=3).fit(series[:8])


def test_pickle_round_trip():
    series = seasonal_series(80)
    model = RNNForecaster(window=12, horizon=6, regressor=RNNRegressor(**TINY)).fit(series)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.forecast(8), model.forecast(8))
    assert clone(model).get_params()["window"] == 12


@pytest.mark.parametrize(
    "X, params, match",
    [
        (np.arange(18.0), dict(horizon=6, difference=12), "No series is long enough"),
        (np.arange(12.0), dict(horizon=6, difference=12), "needs at least 13"),
        (np.r_[np.arange(40.0), np.inf], {}, "infinity at step 40"),
        (np.r_[1.0, np.full(40, np.nan)], {}, "has 1 observed value"),
        (np.c_[np.arange(40.0), np.r_[np.zeros(39), np.nan]], {}, "NaN or infinity at step 39"),
        (pd.Series(np.arange(50.0), index=np.arange(50)[::-1]), {}, "not in time order"),
        (pd.Series(np.arange(50.0), index=[0] * 50), {}, "not in time order"),
        (np.r_[np.arange(40.0), -1.0], dict(log=True), "strictly positive"),
        (np.zeros((50, 2, 2)), {}, "1-D series or a 2-D table"),
    ],
)
def test_bad_series(X, params, match):
    with pytest.raises(ValueError, match=match):
        RNNForecaster(**dict(dict(window=12, horizon=6), **params)).fit(X)


def test_bad_forecast_requests():
    table = np.column_stack([np.arange(60.0) + 1, np.arange(60.0) % 2])
    model = RNNForecaster(window=12, horizon=6, regressor=RNNRegressor(**dict(TINY, max_epochs=1)))
    model.fit(table)
    with pytest.raises(ValueError, match="pass their values for the 5 forecast steps"):
        model.forecast(5)
    with pytest.raises(ValueError, match=r"expected \(5, 1\)"):
        model.forecast(5, exog=np.zeros((4, 1)))
    with pytest.raises(ValueError, match="X has 1 features, but RNNForecaster is expecting 2"):
        model.predict(np.arange(5.0))
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        model.forecast(0, exog=np.zeros((0, 1)))


def test_plain_lists_and_tuples_are_series():
    series = list(seasonal_series(60))
    model = RNNForecaster(window=12, horizon=6, regressor=RNNRegressor(**TINY), random_state=0)
    np.testing.assert_array_equal(
        model.fit(series).predict([0.0] * 4), model.fit(tuple(series)).predict(np.zeros(4))
    )


# -- many series, one model ------------------------------------------------------------


def related_series(n_series=12, n_steps=96, seed=0):
    """Seasonal series of one family: their own levels (1 to 1,000), amplitudes, phases
    and lengths, with a little noise."""
    rng = np.random.default_rng(seed)
    series = []
    for _ in range(n_series):
        t = np.arange(n_steps - rng.integers(0, 24))
        level = 10 ** rng.uniform(0, 3)
        season = np.sin(2 * np.pi * (t + rng.integers(12)) / 12)
        wiggle = rng.normal(scale=0.05, size=len(t))
        series.append(level * (2 + rng.uniform(0.5, 1) * season + wiggle))
    return series


GLOBAL = dict(
    window=24,
    horizon=12,
    regressor=RNNRegressor(**dict(TINY, max_epochs=40)),
)


@pytest.fixture(scope="module")
def global_model():
    series = related_series()
    return RNNForecaster(**GLOBAL).fit([s[:-12] for s in series]), series


def test_global_forecaster_beats_per_series_naive_forecasts(global_model):
    model, series = global_model
    forecasts = model.forecast(12)
    assert forecasts.shape == (12, 12) and model.many_series_
    truth = np.array([s[-12:] for s in series])
    last = np.array([s[-13] for s in series])[:, None]  # naive: the last value goes on
    relative = lambda f: np.mean(np.abs(f - truth) / truth)  # noqa: E731 (scales differ)
    assert relative(forecasts) < 0.3 * relative(last)
    # The per-series scaling lets a series of level ~1 and one of ~1,000 share a network.
    levels = np.array([s.mean() for s in series])
    assert levels.max() / levels.min() > 100


def test_many_series_layouts_agree(global_model):
    model, series = global_model
    futures = [s[-12:] for s in series]
    by_list = model.predict(futures)
    assert [len(f) for f in by_list] == [12] * len(series)
    np.testing.assert_allclose(np.array(by_list), model.forecast(12))
    # A long DataFrame: the same series under string ids, one row per step.
    long = pd.DataFrame(
        {
            "store": np.repeat([f"s{i}" for i in range(len(series))], [len(s) for s in series]),
            "sales": np.concatenate(series),
        }
    )
    is_past = np.concatenate([np.arange(len(s)) < len(s) - 12 for s in series])
    past, future = long[is_past], long[~is_past]
    long_model = RNNForecaster(series_id="store", **GLOBAL).fit(past)
    assert long_model.series_ids_.tolist() == [f"s{i}" for i in range(len(series))]
    per_row = long_model.predict(future)
    assert per_row.shape == (len(future),)
    np.testing.assert_allclose(per_row, np.concatenate(by_list), rtol=1e-6)
    # Some of the series, in another order: each keeps its own scaling.
    few = pd.concat([future[future.store == "s5"], future[future.store == "s0"]])
    np.testing.assert_allclose(
        long_model.predict(few), np.concatenate([by_list[5], by_list[0]]), rtol=1e-6
    )
    with pytest.raises(ValueError, match="Series 'x' was not seen in fit"):
        long_model.predict(pd.DataFrame({"store": ["x"], "sales": [1.0]}))


def test_update_continues_from_new_observations():
    # Random walks: only the latest observations say where a walk is now.
    rng = np.random.default_rng(0)
    walks = [100 + np.cumsum(rng.normal(size=n)) for n in rng.integers(60, 80, size=40)]
    model = RNNForecaster(
        window=12, horizon=6, difference=1, regressor=RNNRegressor(**dict(TINY, max_epochs=5))
    ).fit([w[:-12] for w in walks])
    stale = model.forecast(12)[:, 6:]
    model.update([w[-12:-6] for w in walks])
    assert [len(t) for t in model.series_] == [len(w) - 6 for w in walks]
    fresh = model.forecast(6)
    truth = np.array([w[-6:] for w in walks])
    assert np.mean(np.abs(fresh - truth)) < 0.8 * np.mean(np.abs(stale - truth))
    model.update([None] * (len(walks) - 1) + [walks[-1][-6:]])  # one series only
    assert len(model.series_[-1]) == len(walks[-1])
    assert len(model.series_[0]) == len(walks[0]) - 6
    with pytest.raises(ValueError, match="one table \\(or None\\) per series"):
        model.update(walks[0][-6:])


def test_one_series_update_and_save(tmp_path):
    series = seasonal_series(120)
    model = RNNForecaster(window=12, horizon=6, regressor=RNNRegressor(**TINY)).fit(series[:-12])
    model.update(series[-12:-6])
    assert model.series_.shape == (114, 1)
    model.save(tmp_path / "f.skrnn")
    np.testing.assert_allclose(sk_rnn.load(tmp_path / "f.skrnn").forecast(6), model.forecast(6))


def test_many_series_intervals_and_save(tmp_path):
    rng = np.random.default_rng(0)
    t = np.arange(120)
    calm = 100 + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(scale=0.5, size=120)
    noisy = 100 + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(scale=5, size=120)
    model = RNNForecaster(
        window=24, horizon=6, interval_windows=20, regressor=RNNRegressor(**TINY)
    ).fit([calm, noisy])
    assert model.interval_errors_.shape == (2, 20, 6)
    lower, upper = model.predict_interval([np.zeros(6), np.zeros(6)])
    assert np.mean(upper[1] - lower[1]) > 3 * np.mean(upper[0] - lower[0])
    model.save(tmp_path / "m.skrnn")
    loaded = sk_rnn.load(tmp_path / "m.skrnn")
    np.testing.assert_allclose(loaded.forecast(6), model.forecast(6))
    # Quantiles come from the same calibration, per series, with the residuals' signs.
    quantiles = model.predict_quantiles([np.zeros(6), np.zeros(6)], [0.05, 0.5, 0.95])
    assert [q.shape for q in quantiles] == [(6, 3), (6, 3)]
    assert all((np.diff(q, axis=1) >= 0).all() for q in quantiles)
    np.testing.assert_allclose(np.abs(model.interval_residuals_), model.interval_errors_)
    np.testing.assert_allclose(
        loaded.predict_quantiles([np.zeros(6)] * 2, [0.5])[1], quantiles[1][:, 1:2]
    )


def test_quantiles_are_conformal_order_statistics_of_the_signed_residuals():
    from sk_rnn.forecasting._intervals import conformal_offsets

    residuals = np.arange(1.0, 10.0)[None, :, None]  # 9 origins, one step: 1, 2, ..., 9
    levels = [0.05, 0.1, 0.5, 0.9, 0.95]
    offsets = conformal_offsets(residuals, levels, np.ones(1))
    # (n + 1) q = 0.5, 1, 5, 9, 9.5: floor below the median, ceil from it, then clipped.
    np.testing.assert_array_equal(offsets[0, 0], [1, 1, 5, 9, 9])
    # A series with two origins cannot give the 0.9 rank (ceil(3 * 0.9) = 3 > 2): it
    # reads the values of all series pooled, in units of each series' scale.
    short = np.full((1, 9, 1), np.nan)
    short[0, -2:, 0] = [10.0, 20.0]
    both = conformal_offsets(np.concatenate([residuals, short]), [0.5, 0.9], np.array([1.0, 10.0]))
    np.testing.assert_array_equal(both[1, 0], [20.0, 10 * 9.0])  # own median; pooled 0.9
    # pooled: 1..9 and 1, 2 (scaled by 10): ceil(12 * 0.9) = 11th of 11 values, 9
    series = seasonal_series(120)
    model = RNNForecaster(
        window=12, horizon=6, interval_windows=9, regressor=RNNRegressor(**dict(TINY, max_epochs=5))
    ).fit(series[:-6])
    quantiles = model.predict_quantiles(series[-6:], [0.1, 0.5, 0.9])
    forecast = model.predict(series[-6:])
    ordered = np.sort(model.interval_residuals_, axis=0)
    np.testing.assert_allclose(quantiles[:, 1], forecast + ordered[4])  # the 5th of 9
    np.testing.assert_allclose(quantiles[:, 2], forecast + ordered[8])
    frame = pd.DataFrame({"id": np.repeat(["a", "b"], 60), "y": np.r_[series[:60], series[:60]]})
    many = RNNForecaster(
        window=12,
        horizon=6,
        interval_windows=4,
        series_id="id",
        regressor=RNNRegressor(**dict(TINY, max_epochs=2)),
    ).fit(frame)
    future = pd.DataFrame({"id": ["b", "a", "b"], "y": np.nan})
    rows = many.predict_quantiles(future, [0.2, 0.8])
    assert rows.shape == (3, 2) and (rows[:, 0] <= rows[:, 1]).all()
    with pytest.raises(ValueError, match="quantiles must be numbers in"):
        model.predict_quantiles(series[-6:], [0.0, 0.5])
    with pytest.raises(ValueError, match="need interval_windows > 0"):
        model.set_params(interval_windows=0).fit(series).predict_quantiles(series[-6:])


class _WeightSpy(RNNRegressor):
    def fit(self, X, y, sample_weight=None):
        type(self).seen = sample_weight
        return super().fit(X, y, sample_weight)


def test_sample_weight_per_series_reaches_every_window():
    series = [seasonal_series(60), seasonal_series(72, seed=1)]
    spy = _WeightSpy(**dict(TINY, max_epochs=1))
    RNNForecaster(window=12, horizon=6, regressor=spy).fit(series, sample_weight=[2.0, 0.0])
    # Weights reach the windows in proportion (they are normalised to a mean of 1).
    # Windows end after every step but the last horizon (short ones at the start).
    expected = np.repeat([2.0, 0.0], [60 - 6, 72 - 6])
    np.testing.assert_allclose(_WeightSpy.seen / _WeightSpy.seen.max(), expected / 2.0)
    # One series: one weight per step; a window weighs its first predicted step.
    steps = np.arange(60.0)
    RNNForecaster(window=12, horizon=6, regressor=spy).fit(series[0], sample_weight=steps)
    expected = steps[1 : 1 + 54]
    np.testing.assert_allclose(
        _WeightSpy.seen / _WeightSpy.seen.max(), expected / expected.max(), rtol=1e-6
    )


def test_many_series_errors_name_the_series():
    short = [seasonal_series(60), np.array([1.0])]
    with pytest.raises(
        ValueError, match=r"Series 1 has 1 time step\(s\) \(n_samples=1\); a forecast needs"
    ):
        RNNForecaster(window=12, horizon=6).fit(short)
    with pytest.raises(ValueError, match="different numbers of columns"):
        RNNForecaster(window=12, horizon=6).fit([np.ones((60, 2)), np.ones(60)])
    with pytest.raises(ValueError, match="series_id='id' needs a pandas DataFrame"):
        RNNForecaster(series_id="id").fit(np.ones(60))


def test_short_series_are_learned_from_and_forecast():
    # M1-like: a few long series and some far shorter than window + horizon, down to 2.
    long = [seasonal_series(40, seed=k) for k in range(3)]
    short = [np.array([5.0, 6.0]), np.arange(1.0, 6.0) * 100]
    model = RNNForecaster(horizon=6, regressor=RNNRegressor(**dict(TINY, max_epochs=2)))
    model.fit(long + short)
    # window="auto": the median series' history before its last horizon, clipped to
    # [horizon, 4 horizons].
    assert model.window_ == 24
    forecasts = model.forecast(6)
    assert forecasts.shape == (5, 6) and np.isfinite(forecasts).all()
    # A window is read relative to its last value: a constant series stays put.
    flat = RNNForecaster(horizon=3, regressor=RNNRegressor(**dict(TINY, max_epochs=1)))
    np.testing.assert_allclose(
        flat.fit([np.full(10, 7.0), np.full(4, 3e6)]).forecast(3)[1], 3e6, rtol=1e-5
    )


def test_gaps_in_the_history_are_learned_from_and_forecast(tmp_path):
    """NaN in the training series: windows read the gaps (the regressor's gap channels)
    and learn only futures observed in full; the forecast continues past a last step
    that is missing, and saved, pickled and exported models forecast the same."""
    series = seasonal_series()
    train, test = series[:-12], series[-12:]
    holed = train.copy()
    holed[np.random.default_rng(0).random(len(holed)) < 0.15] = np.nan
    holed[-1] = np.nan
    settings = dict(window=24, horizon=6, regressor=RNNRegressor(**TINY))
    complete = RNNForecaster(**settings).fit(train).forecast(12)
    model = RNNForecaster(**settings).fit(holed)
    forecast = model.forecast(12)
    assert model.regressor_.input_gaps_ == "last"
    assert np.isfinite(forecast).all()
    assert mape(test, forecast) < max(2 * mape(test, complete), 0.05)
    model.save(tmp_path / "gaps.safetensors")
    np.testing.assert_array_equal(sk_rnn.load(tmp_path / "gaps.safetensors").forecast(12), forecast)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).forecast(12), forecast)
    pytest.importorskip("onnxruntime")
    from sk_rnn import runtime

    exported = runtime.load(model.to_onnx(tmp_path / "gaps.onnx"))
    np.testing.assert_allclose(exported.forecast(12), forecast, rtol=1e-4)


def test_a_gap_only_in_the_last_steps_is_filled_for_a_network_without_gaps():
    series = seasonal_series()[:120]
    holed = series.copy()
    holed[-2:] = np.nan  # no training window reads them: the network learns no gaps
    model = RNNForecaster(window=24, horizon=6, regressor=RNNRegressor(**TINY)).fit(holed)
    assert model.regressor_.input_gaps_ is None
    assert np.isfinite(model.forecast(6)).all()


def test_intervals_refuse_gaps_where_they_are_calibrated():
    series = seasonal_series()[:120]
    series[-3] = np.nan
    model = RNNForecaster(window=24, horizon=6, interval_windows=4, regressor=RNNRegressor(**TINY))
    with pytest.raises(ValueError, match="some of them are missing"):
        model.fit(series)


def test_scores_and_scorers_read_the_forecast_against_the_future():
    from sk_rnn.metrics import mase_scorer, rmsse_scorer, smape_scorer

    series = seasonal_series(120)
    model = RNNForecaster(window=12, horizon=6, difference=12, regressor=RNNRegressor(**TINY))
    model.fit(series[:-6])
    forecast, truth = model.predict(series[-6:]), series[-6:]
    assert mase_scorer(model, truth) == model.score(truth)
    smape = np.mean(2 * np.abs(truth - forecast) / (np.abs(truth) + np.abs(forecast)))
    assert smape_scorer(model, truth) == pytest.approx(-smape)
    naive = np.sqrt(np.mean(np.diff(series[:-6]) ** 2))
    rmsse = np.sqrt(np.mean((truth - forecast) ** 2)) / naive
    assert rmsse_scorer(model, truth) == pytest.approx(-rmsse)
    cv = TimeSeriesSplit(n_splits=2, test_size=6)
    search = GridSearchCV(model, {"window": [12]}, cv=cv, scoring=smape_scorer).fit(series)
    assert search.best_score_ < 0


def test_backtest_forecasts_each_origin_from_its_past_only():
    from sk_rnn.forecasting import backtest

    series = seasonal_series(120)
    model = RNNForecaster(window=12, horizon=6, difference=12, regressor=RNNRegressor(**TINY))
    result = backtest(model, series, n_origins=2, stride=6)
    np.testing.assert_array_equal(result.origins, [[108, 114]])
    for k, origin in enumerate([108, 114]):  # a clone fitted on the steps before the origin
        np.testing.assert_allclose(
            result.forecasts[0, k], clone(model).fit(series[:origin]).forecast(6), rtol=1e-6
        )
        np.testing.assert_array_equal(result.truth[0, k], series[origin : origin + 6])
    assert set(result.summary()) == {"mase", "rmsse", "smape"}
    assert result.summary()["mase"] == pytest.approx(np.mean(result.scores["mase"]))
    # refit=False: fitted once at the first origin, later origins read their history.
    once = backtest(model, series, n_origins=2, stride=6, refit=False)
    np.testing.assert_allclose(once.forecasts[0, 0], result.forecasts[0, 0])
    first = clone(model).fit(series[:108])
    first.update(series[108:114])
    np.testing.assert_allclose(once.forecasts[0, 1], first.forecast(6), rtol=1e-6)
    assert len(result.to_frame()) == 12


def test_backtest_of_many_series_leaves_short_ones_out_and_scores_intervals():
    from sk_rnn.forecasting import backtest

    long, short = seasonal_series(100), seasonal_series(40, seed=1)
    model = RNNForecaster(
        window=12, horizon=4, interval_windows=4, regressor=RNNRegressor(**dict(TINY, max_epochs=5))
    )
    result = backtest(model, [long, short], n_origins=3, stride=20, coverage=0.8)
    np.testing.assert_array_equal(result.origins, [[56, 76, 96], [-1, 16, 36]])
    assert np.isnan(result.forecasts[1, 0]).all() and np.isfinite(result.forecasts[1, 1:]).all()
    assert np.isnan(result.scores["mase"][1, 0]) and np.isfinite(result.scores["mase"][1, 1:]).all()
    inside = (result.lower <= result.truth) & (result.truth <= result.upper)
    np.testing.assert_allclose(result.scores["coverage"][0], inside[0].mean(axis=1))
    assert (result.upper[0] > result.lower[0]).all()


def test_backtest_refuses_what_it_cannot_do():
    from sk_rnn.forecasting import backtest

    model = RNNForecaster(window=12, horizon=6, regressor=RNNRegressor(**TINY))
    with pytest.raises(ValueError, match="n_origins must be a positive integer"):
        backtest(model, seasonal_series(60), n_origins=0)
    with pytest.raises(ValueError, match="coverage needs a forecaster with interval_windows"):
        backtest(model, seasonal_series(60), coverage=0.9)
    with pytest.raises(ValueError, match="No series is long enough for a backtest"):
        backtest(model, seasonal_series(7), n_origins=2)
    with pytest.raises(ValueError, match="Fitting at origin 1 of 2 .* No series is long enough"):
        backtest(model, seasonal_series(14), n_origins=2)


def test_origin_split_tests_the_steps_after_each_series_origin():
    from sk_rnn.forecasting import OriginSplit

    frame = pd.DataFrame({"id": ["a"] * 10 + ["b"] * 6, "y": np.arange(16.0)})
    # the two series' rows interleaved, each series' in time order
    frame = frame.iloc[[0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15, 6, 7, 8, 9]]
    splits = list(OriginSplit(2, horizon=2, series_id="id", min_train=3).split(frame))
    assert len(splits) == 2
    (train0, test0), (train1, test1) = splits
    values = frame["y"].to_numpy()
    # a (10 steps): origins 6 and 8; b (6 steps): origins 2 (too short: left out) and 4
    assert values[test0].tolist() == [6.0, 7.0]
    assert values[train0].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert sorted(values[test1].tolist()) == [8.0, 9.0, 14.0, 15.0]
    assert sorted(values[train1].tolist()) == [*np.arange(8.0), 10.0, 11.0, 12.0, 13.0]
    one = [(t.tolist(), s.tolist()) for t, s in OriginSplit(1, horizon=3).split(np.arange(7))]
    assert one == [([0, 1, 2, 3], [4, 5, 6])]
    with pytest.raises(ValueError, match="No series is long enough"):
        list(OriginSplit(3, horizon=4).split(np.arange(6)))
    with pytest.raises(ValueError, match="series_id='key': X has no such column"):
        list(OriginSplit(series_id="key").split(frame))


def test_a_search_over_origins_of_many_series_scores_each_forecast():
    from sk_rnn.forecasting import OriginSplit

    series = [seasonal_series(60), seasonal_series(48, seed=1)]
    frame = pd.DataFrame({"id": np.repeat([0, 1], [60, 48]), "y": np.concatenate(series)})
    model = RNNForecaster(
        window=12, horizon=6, series_id="id", regressor=RNNRegressor(**dict(TINY, max_epochs=5))
    )
    cv = OriginSplit(2, horizon=6, series_id="id")
    search = GridSearchCV(model, {"window": [12]}, cv=cv).fit(frame)
    train, test = next(iter(cv.split(frame)))
    manual = clone(model).fit(frame.iloc[train]).score(frame.iloc[test])
    assert search.cv_results_["split0_test_score"][0] == pytest.approx(manual)


def trends_by_category(n=40, length=30, seed=0):
    """Series that rise or fall by one a step, by a category fixed for each series;
    standardised per series, one step does not tell which way a series goes."""
    rng = np.random.default_rng(seed)
    category = np.arange(n) % 2
    t = np.arange(length)
    series = [(1 if c else -1) * t + rng.normal(0, 0.05, length) for c in category]
    return series, category


def test_static_covariates_tell_the_network_what_the_history_cannot(tmp_path):
    series, category = trends_by_category()
    settings = dict(window=1, horizon=1, scaling="series")
    regressor = RNNRegressor(**dict(TINY, max_epochs=80))
    history, truth = [s[:-1] for s in series], np.array([s[-1] for s in series])
    with_static = RNNForecaster(**settings, regressor=regressor).fit(
        history, static=category[:, None]
    )
    blind = RNNForecaster(**settings, regressor=regressor).fit(history)
    error = np.mean(np.abs(with_static.forecast(1)[:, 0] - truth))
    blind_error = np.mean(np.abs(blind.forecast(1)[:, 0] - truth))
    assert error <= 0.5 * blind_error, (error, blind_error)
    assert with_static.static_.shape == (40, 1)
    # A DataFrame indexed by the series ids lines up with them, whatever its order.
    frame = pd.DataFrame({"rises": category}, index=np.arange(40))[::-1]
    aligned = RNNForecaster(**settings, regressor=regressor).fit(history, static=frame)
    np.testing.assert_array_equal(aligned.static_, with_static.static_)
    # Saved, pickled and exported, forecasts read the static covariates as fit did.
    with_static.save(tmp_path / "static.skrnn")
    loaded = sk_rnn.load(tmp_path / "static.skrnn")
    np.testing.assert_allclose(loaded.forecast(1), with_static.forecast(1))
    pytest.importorskip("onnxruntime")
    from sk_rnn import runtime

    exported = runtime.load(with_static.to_onnx(tmp_path / "static.onnx"))
    np.testing.assert_allclose(exported.forecast(1), with_static.forecast(1), atol=1e-4)


def test_static_covariates_that_cannot_be_read_are_refused():
    series, category = trends_by_category(n=6)
    model = RNNForecaster(window=2, horizon=1, regressor=RNNRegressor(**dict(TINY, max_epochs=1)))
    with pytest.raises(ValueError, match=r"one row per series \(6\)"):
        model.fit(series, static=category[:4, None])
    with pytest.raises(ValueError, match="static contains NaN"):
        model.fit(series, static=np.full((6, 1), np.nan))
    with pytest.raises(TypeError, match="pandas.get_dummies"):
        model.fit(series, static=np.array([["north"]] * 6, dtype=object))
    with pytest.raises(ValueError, match="static has no row for 1 series"):
        model.fit(series, static=pd.DataFrame({"c": category[:5]}, index=range(5)))

"""Forecasting the airline passengers series: RNNForecaster against seasonal naive,
statsmodels ETS and SARIMA (the "airline model"), and darts' LSTM RNNModel.

Split: the first 120 months train, the last 24 are forecast in one go (no refits). Score:
mean absolute percentage error (MAPE) of the 24 forecasts. Neural models are fitted with 5
seeds; the table gives the mean and the spread (min-max).

Usage::

    python -m pip install statsmodels darts   # darts is optional; its row is skipped without it
    python benchmarks/bench_forecasting.py                      # print the table
    python benchmarks/bench_forecasting.py --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import csv
import time
import warnings
from pathlib import Path

import numpy as np
from common import markdown_table, write_section

from sk_rnn import RNNRegressor
from sk_rnn.forecasting import RNNForecaster

N_TEST = 24
SEASON = 12
SEEDS = (0, 1, 2, 3, 4)
FORECASTER = dict(window=24, horizon=24, log=True, difference=SEASON)
INTERVAL_WINDOWS = 12
REGRESSOR = dict(cell="gru", hidden_size=32, max_epochs=100, lr=3e-3, batch_size=16)


def mape(truth, forecast) -> float:
    return float(np.mean(np.abs((np.asarray(forecast) - truth) / truth)) * 100)


def seasonal_naive(train, steps):
    return np.resize(train[-SEASON:], steps)


def ets(train, steps):
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    model = ExponentialSmoothing(train, trend="add", seasonal="mul", seasonal_periods=SEASON)
    return model.fit().forecast(steps)


def sarima(train, steps):
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    model = SARIMAX(np.log(train), order=(0, 1, 1), seasonal_order=(0, 1, 1, SEASON))
    return np.exp(model.fit(disp=False).forecast(steps))


def sk_rnn_forecast(train, steps, seed):
    regressor = RNNRegressor(random_state=seed, **REGRESSOR)
    return RNNForecaster(regressor=regressor, **FORECASTER).fit(train).forecast(steps)


def interval_coverage(train, test, seed, coverage=0.9):
    """Share of test months inside RNNForecaster's conformal intervals, and their width."""
    regressor = RNNRegressor(random_state=seed, **REGRESSOR)
    model = RNNForecaster(regressor=regressor, interval_windows=INTERVAL_WINDOWS, **FORECASTER)
    lower, upper = model.fit(train).predict_interval(test, coverage=coverage)
    inside = (lower <= test) & (test <= upper)
    return inside.mean(), np.mean((upper - lower) / test)


def darts_lstm(train, steps, seed):
    """The LSTM configuration of darts' own air-passengers RNN example, on scaled data."""
    from darts import TimeSeries
    from darts.dataprocessing.transformers import Scaler
    from darts.models import RNNModel

    scaler = Scaler()
    series = scaler.fit_transform(TimeSeries.from_values(train.astype(np.float32)))
    model = RNNModel(
        model="LSTM",
        hidden_dim=20,
        dropout=0,
        batch_size=16,
        n_epochs=300,
        optimizer_kwargs={"lr": 1e-3},
        random_state=seed,
        training_length=20,
        input_chunk_length=14,
        pl_trainer_kwargs={"enable_progress_bar": False, "logger": False},
    )
    model.fit(series, verbose=False)
    return scaler.inverse_transform(model.predict(steps)).values().ravel()


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).parents[2] / "shared" / "data")
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    with open(args.data / "Airline" / "airline.csv") as f:
        series = np.array([float(row["Passengers"]) for row in csv.DictReader(f)])
    train, test = series[:-N_TEST], series[-N_TEST:]

    rows = []
    for name, function in [
        ("seasonal naive", seasonal_naive),
        ("statsmodels ETS (additive trend, multiplicative season)", ets),
        ("statsmodels SARIMA (0,1,1)(0,1,1)12 on log (airline model)", sarima),
    ]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            forecast, seconds = timed(function, train, N_TEST)
        rows.append([name, f"{mape(test, forecast):.1f}", f"{seconds:.2f}"])
        print(rows[-1], flush=True)
    neural = [("sk_rnn RNNForecaster", sk_rnn_forecast)]
    try:
        import darts  # noqa: F401

        neural.append(("darts RNNModel (LSTM)", darts_lstm))
    except ImportError:
        print("darts is not installed: skipping its row")
    for name, function in neural:
        errors, seconds = [], []
        for seed in SEEDS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                forecast, elapsed = timed(function, train, N_TEST, seed)
            errors.append(mape(test, forecast))
            seconds.append(elapsed)
        rows.append(
            [
                name,
                f"{np.mean(errors):.1f} ({min(errors):.1f}-{max(errors):.1f})",
                f"{np.mean(seconds):.1f} ({min(seconds):.1f}-{max(seconds):.1f})",
            ]
        )
        print(rows[-1], flush=True)
    coverage = [interval_coverage(train, test, seed) for seed in SEEDS]
    intervals = (
        f"90 % prediction intervals (`interval_windows={INTERVAL_WINDOWS}`, same seeds): "
        f"{np.mean([c for c, _ in coverage]):.0%} of the 24 test months inside, mean width "
        f"{np.mean([w for _, w in coverage]):.0%} of the true value."
    )
    print(intervals)
    settings = ", ".join(f"{k}={v}" for k, v in {**FORECASTER, **REGRESSOR}.items())
    table = markdown_table(["model", "MAPE % (last 24 months)", "fit + forecast s"], rows)
    body = (
        f"### Airline passengers, {len(train)} training months, {N_TEST} forecast at once\n\n"
        f"RNNForecaster settings: {settings}; seeds {list(SEEDS)}, mean (min-max).\n\n{table}"
        f"\n\n{intervals}"
    )
    print(body)
    if args.write:
        write_section(
            args.write,
            "forecasting",
            "python benchmarks/bench_forecasting.py --write docs/benchmarks.md",
            body,
        )


if __name__ == "__main__":
    main()

"""Many series, one model: RNNForecaster fitted on a set of related series, against darts'
RNNModel fitted on the same series, and per-series naive forecasts.

Data: ACSF1 (UCR archive), the power consumption of 100 household appliances (10 types)
over a day, one z-normalised series each (train and test split together: the task here
is forecasting, not classification). Each series keeps its last ``HISTORY + HORIZON``
steps; the first ``HISTORY`` train, the last ``HORIZON`` are forecast in one go from the
end of the history (no refits). Score: RMSE over all forecast steps of all series.

Both networks are global (one network trained on the windows of every series), a GRU
with 32 units, ``WINDOW`` input steps, ``EPOCHS`` passes, lr 0.003, batch size 64, seeds
0-2; sk_rnn predicts the ``HORIZON`` steps at once (direct), darts' RNNModel one step at a
time (recurrent, on its own outputs). darts is scaled per series the same way (its
``Scaler`` fitted on each training series).

Usage::

    python -m pip install -e ".[bench]"
    python benchmarks/bench_global_forecasting.py                 # print the table
    python benchmarks/bench_global_forecasting.py --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
from common import (
    load_series,
    markdown_table,
    write_section,
)

from sk_rnn import RNNRegressor
from sk_rnn.forecasting import RNNForecaster

HISTORY, HORIZON, WINDOW = 300, 24, 48
EPOCHS = 20
SEEDS = (0, 1, 2)


def appliance_series() -> tuple[list[np.ndarray], np.ndarray]:
    series = []
    for split in ("train", "test"):
        X, _ = load_series("ACSF1", split)
        series += [x[-(HISTORY + HORIZON) :, 0].astype(np.float64) for x in X]
    history = [s[:HISTORY] for s in series]
    truth = np.array([s[HISTORY:] for s in series])
    return history, truth


def sk_rnn_global(history, seed):
    network = RNNRegressor(
        cell="gru",
        hidden_size=32,
        bidirectional=False,
        pooling="last",
        conv_channels=None,
        dropout=0.0,
        max_epochs=EPOCHS,
        lr=3e-3,
        lr_schedule="constant",
        batch_size=64,
        early_stopping=False,
        random_state=seed,
    )
    # Pinned as measured: each series standardised once (the default reads each window on
    # its own scale since; not re-measured here).
    model = RNNForecaster(window=WINDOW, horizon=HORIZON, scaling="series", regressor=network)
    return model.fit(history).forecast(HORIZON)


def darts_global(history, seed):
    from darts import TimeSeries
    from darts.dataprocessing.transformers import Scaler
    from darts.models import RNNModel

    scaler = Scaler()
    series = scaler.fit_transform([TimeSeries.from_values(h.astype(np.float32)) for h in history])
    model = RNNModel(
        model="GRU",
        hidden_dim=32,
        dropout=0.0,
        batch_size=64,
        n_epochs=EPOCHS,
        optimizer_kwargs={"lr": 3e-3},
        random_state=seed,
        input_chunk_length=WINDOW,
        training_length=WINDOW + HORIZON,
        pl_trainer_kwargs={"enable_progress_bar": False, "logger": False, "accelerator": "cpu"},
    )
    model.fit(series, verbose=False)
    forecasts = scaler.inverse_transform(model.predict(HORIZON, series=series, verbose=False))
    return np.array([f.values().ravel() for f in forecasts])


def rmse(truth, forecast) -> float:
    return float(np.sqrt(np.mean((np.asarray(forecast) - truth) ** 2)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    history, truth = appliance_series()
    rows = [
        ["last value (per series)", f"{rmse(truth, [[h[-1]] * HORIZON for h in history]):.3f}"]
        + ["", "0"],
        ["series mean (per series)", f"{rmse(truth, [[h.mean()] * HORIZON for h in history]):.3f}"]
        + ["", "0"],
    ]
    runs = {"sk_rnn RNNForecaster (global)": [], "darts RNNModel (global)": []}
    contenders = {"sk_rnn RNNForecaster (global)": sk_rnn_global, "darts RNNModel (global)": None}
    try:
        import darts  # noqa: F401

        contenders["darts RNNModel (global)"] = darts_global
    except ImportError:
        print("darts is not installed: its row is skipped")
    warnings.filterwarnings("ignore")
    for seed in SEEDS:  # interleaved, so that both see the same machine state
        for name, fit_forecast in contenders.items():
            if fit_forecast is None:
                continue
            start = time.perf_counter()
            forecast = fit_forecast(history, seed)
            runs[name].append((rmse(truth, forecast), time.perf_counter() - start))
            print(name, seed, runs[name][-1], flush=True)
    for name, results in runs.items():
        if results:
            scores = [score for score, _ in results]
            rows.append(
                [
                    name,
                    f"{statistics.mean(scores):.3f}",
                    " ".join(f"{s:.3f}" for s in scores),
                    f"{statistics.median(t for _, t in results):.0f}",
                ]
            )
    headers = ["forecaster", "RMSE (mean)", "per seed (0-2)", "fit + forecast s"]
    table = markdown_table(headers, rows)
    body = (
        f"{len(history)} ACSF1 appliance series, {HISTORY} steps of history each, "
        f"{HORIZON} steps forecast; both networks GRU-32, window {WINDOW}, {EPOCHS} "
        "epochs, lr 0.003, batch 64.\n\n" + table
    )
    print(body)
    if args.write:
        write_section(
            args.write,
            "global-forecasting",
            "python benchmarks/bench_global_forecasting.py --write docs/benchmarks.md",
            body,
        )


if __name__ == "__main__":
    main()

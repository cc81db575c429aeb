"""Data as users hold it: the defaults on series in raw units.

Three checks, each with nothing set but ``random_state`` (seeds 0-2, mean):

- every visible classification set beside a *rescaled* copy of it (each series times
  ``10**u``, ``u`` uniform in [-3, 3], plus an offset; train and test drawn with their
  own seeds, independently of the label): the default ``RNNClassifier`` should score
  the same on both;
- M1 yearly (181 series, 2.8 to 47 million): one global ``RNNForecaster(horizon=6)``
  forecasts the last 6 years of every series, against the naive, drift, Theta and ETS
  forecasts (statsforecast, per series), in MASE and sMAPE;
- three regression tasks (GasPrices; M1 growth over the last 6 years from the years
  before, raw units; syllables per word from its spelling): the default ``RNNRegressor``
  against the training mean, ridge regression and a random forest, in test RMSE.

Usage::

    python benchmarks/bench_raw_units.py --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from common import (
    CLASSIFICATION,
    DATA,
    char_count_forest,
    char_ngram_ridge,
    load_series,
    m1_forecast_split,
    m1_growth_split,
    markdown_table,
    mase_smape,
    naive_and_drift,
    padded_ridge,
    random_forest,
    rescaled,
    statistical_forecasts,
    syllables_split,
    write_section,
)

from sk_rnn import RNNClassifier, RNNRegressor
from sk_rnn.forecasting import RNNForecaster

COMMAND = "python benchmarks/bench_raw_units.py --write docs/benchmarks.md"


def fit_seconds(model, *fit_args):
    start = time.perf_counter()
    model.fit(*fit_args)
    return time.perf_counter() - start


def classification(seeds, data) -> str:
    rows, gaps = [], []
    for name in CLASSIFICATION:
        X, y = load_series(name, "train", data)
        X_test, y_test = load_series(name, "test", data)
        copies = {"original": (X, X_test), "rescaled": (rescaled(X, 0), rescaled(X_test, 1))}
        scores, seconds, scaling = {c: [] for c in copies}, [], {}
        for seed in seeds:  # the copies interleaved, so a slow spell hits both alike
            for copy, (train, test) in copies.items():
                model = RNNClassifier(random_state=seed)
                seconds.append(fit_seconds(model, train, y))
                scores[copy].append(model.score(test, y_test))
                scaling[copy] = model.input_scaling_
        original, scaled = (float(np.mean(scores[c])) for c in copies)
        gaps.append(scaled - original)
        rows.append(
            [
                name,
                f"{original:.3f} ({scaling['original']})",
                f"{scaled:.3f} ({scaling['rescaled']})",
                f"{scaled - original:+.3f}",
                f"{statistics.median(seconds):.0f}",
            ]
        )
    headers = ["set", "original (scaling)", "rescaled (scaling)", "rescaled - original", "fit s"]
    return (
        f"### Classification: the archive's units and raw units (seeds {seeds[0]}-{seeds[-1]})\n\n"
        + markdown_table(headers, rows)
        + f"\n\nLargest drop on a rescaled copy: {-min(gaps):.3f}; mean difference "
        f"{np.mean(gaps):+.3f}. The scaling column is the fitted ``input_scaling_``.\n"
    )


def forecasting(seeds, data) -> str:
    histories, futures = m1_forecast_split(data=data)
    rows = []
    anchors = {**naive_and_drift(histories), **statistical_forecasts(histories)}
    for name, forecasts in anchors.items():
        mase, smape = mase_smape(histories, futures, forecasts)
        rows.append([name + " (per series)", f"{mase:.3f}", f"{smape:.1f}%", "", ""])
    results, seconds = [], []
    for seed in seeds:
        model = RNNForecaster(horizon=6, random_state=seed)
        seconds.append(fit_seconds(model, histories))
        results.append(mase_smape(histories, futures, model.forecast(6)))
    mase, smape = np.mean(results, axis=0)
    per_seed = " ".join(f"{m:.3f}" for m, _ in results)
    rows.append(
        [
            "sk_rnn RNNForecaster(horizon=6), global",
            f"{mase:.3f}",
            f"{smape:.1f}%",
            per_seed,
            f"{statistics.median(seconds):.0f}",
        ]
    )
    headers = ["forecast", "MASE", "sMAPE", "MASE per seed", "fit s"]
    return (
        f"### M1 yearly: the last 6 years of 181 series in raw units (seeds {seeds[0]}-{seeds[-1]})"
        f"\n\nWindow chosen from the lengths: {model.window_} years.\n\n"
        + markdown_table(headers, rows)
        + "\n"
    )


def regression(seeds, data) -> str:
    gas = (*load_series("GasPrices", "train", data), *load_series("GasPrices", "test", data))
    tasks = {
        "GasPrices": (gas, padded_ridge, lambda *a: random_forest(True, *a)),
        "M1 growth": (m1_growth_split(data), padded_ridge, lambda *a: random_forest(True, *a)),
        "Syllables": (syllables_split(data=data), char_ngram_ridge, char_count_forest),
    }
    rows = []
    for name, ((X, y, X_test, y_test), ridge, forest) in tasks.items():

        def rmse(predictions, truth=y_test):
            return float(np.sqrt(np.mean((np.asarray(predictions) - truth) ** 2)))

        scores, shrinkage, seconds = [], [], []
        for seed in seeds:
            model = RNNRegressor(random_state=seed)
            seconds.append(fit_seconds(model, X, y))
            scores.append(rmse(model.predict(X_test)))
            shrinkage.append(float(model.shrinkage_[0]))
        rows.append(
            [
                name,
                f"{len(X)}/{len(X_test)}",
                f"{rmse(np.full(len(y_test), y.mean())):.4f}",
                f"{rmse(ridge(X, y, X_test)):.4f}",
                f"{rmse(forest(X, y, X_test)):.4f}",
                f"{np.mean(scores):.4f} ({' '.join(f'{s:.4f}' for s in scores)})",
                f"{np.mean(shrinkage):.2f}",
                f"{statistics.median(seconds):.0f}",
            ]
        )
    headers = [
        "task",
        "train/test",
        "training mean",
        "ridge",
        "forest",
        "RNNRegressor() (per seed)",
        "shrinkage_",
        "fit s",
    ]
    return (
        f"### Regression in raw units: test RMSE (seeds {seeds[0]}-{seeds[-1]})\n\n"
        + markdown_table(headers, rows)
        + "\n\nRidge and forest: on the padded series and their summary statistics; for "
        "Syllables, TF-IDF of character 1-3-grams and character counts.\n"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--only", choices=["classification", "forecasting", "regression"])
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    seeds = list(range(args.seeds))
    parts = {"classification": classification, "forecasting": forecasting, "regression": regression}
    if args.only:
        parts = {args.only: parts[args.only]}
    body = "\n".join(part(seeds, args.data) for part in parts.values())
    print(body)
    if args.write and not args.only:
        write_section(args.write, "raw-units", COMMAND, body)


if __name__ == "__main__":
    main()

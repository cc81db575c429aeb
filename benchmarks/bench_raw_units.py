"""Data as users hold it: the defaults on series in raw units.

Three checks, each with nothing set but ``random_state`` (seeds 0-2, mean):

- every visible classification set beside a *rescaled* copy of it (each series times
  ``10**u``, ``u`` uniform in [-3, 3], plus an offset; train and test drawn with their
  own seeds, independently of the label): the default ``RNNClassifier`` should score
  the same on both;
- M1 yearly (181 series, 2.8 to 47 million), quarterly (203, h = 8) and monthly (617,
  h = 18): one global ``RNNForecaster`` (the horizon set, and the season length, as a
  date index gives it) forecasts the last horizon of every series, against the naive,
  seasonal naive, drift, Theta and ETS forecasts (statsforecast, per series, with the
  season), in MASE (seasonal scale) and sMAPE;
- three regression tasks (GasPrices; M1 growth over the last 6 years from the years
  before, raw units; syllables per word from its spelling): the default ``RNNRegressor``
  against the training mean, ridge regression and a random forest, in test RMSE.

Usage::

    python benchmarks/bench_raw_units.py --write docs/benchmarks.md
    python benchmarks/bench_raw_units.py --only forecasting --write docs/benchmarks.md  # one part
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
    load_m1,
    load_series,
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
COMMAND_ONLY = "python benchmarks/bench_raw_units.py --only"
# Each part's section of docs/benchmarks.md.
TIMED_SEEDS = 7
SECTIONS = {
    "classification": "raw-units",
    "forecasting": "m1-forecasting",
    "regression": "raw-units-regression",
}


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


M1_SETS = ("Yearly", "Quarterly", "Monthly")


def forecasting(seeds, data) -> str:
    return "\n".join(m1_frequency(frequency, seeds, data) for frequency in M1_SETS)


def m1_frequency(frequency, seeds, data) -> str:
    """One M1 set: the last horizon of every series forecast from the rest, by the naive,
    drift, Theta and ETS forecasts per series and one global RNNForecaster (the horizon
    and, where the data has one, the season length set, as a date index would give it)."""
    series, horizon, season = load_m1(frequency, data)
    histories = [s[:-horizon] for s in series]
    futures = [s[-horizon:] for s in series]
    rows = []
    anchors = naive_and_drift(histories, horizon)
    if season > 1:  # the last season repeated
        anchors["seasonal naive"] = [np.resize(h[-season:], horizon) for h in histories]
    anchors.update(statistical_forecasts(histories, horizon, season))
    for name, forecasts in anchors.items():
        mase, smape = mase_smape(histories, futures, forecasts, season)
        rows.append([name + " (per series)", f"{mase:.3f}", f"{smape:.1f}%", "", ""])
    settings = f"horizon={horizon}" + (f", season_length={season}" if season > 1 else "")
    results, seconds = [], []
    for seed in seeds:
        model = RNNForecaster(horizon=horizon, season_length=season, random_state=seed)
        seconds.append(fit_seconds(model, histories))
        results.append(mase_smape(histories, futures, model.forecast(horizon), season))
    mase, smape = np.mean(results, axis=0)
    per_seed = " ".join(f"{m:.3f}" for m, _ in results)
    rows.append(
        [
            f"sk_rnn RNNForecaster({settings}), global",
            f"{mase:.3f}",
            f"{smape:.1f}%",
            per_seed,
            f"{statistics.median(seconds):.0f}",
        ]
    )
    headers = ["forecast", "MASE", "sMAPE", "MASE per seed", "fit s"]
    scale = "MASE scaled by the in-sample naive error" + (
        f" {season} steps back (the seasonal naive)" if season > 1 else ""
    )
    return (
        f"### M1 {frequency.lower()}: the last {horizon} steps of {len(series)} series in raw "
        f"units (seeds {seeds[0]}-{seeds[-1]})\n\nWindow chosen from the lengths: "
        f"{model.window_} steps; {scale}.\n\n" + markdown_table(headers, rows) + "\n"
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

        scores, shrinkage, seconds, single = [], [], [], []
        # Timed over at least TIMED_SEEDS seeds, interleaved with one network's fit (what
        # the guarantee's cost is measured against): single fits here vary by half.
        for seed in range(max(TIMED_SEEDS, len(seeds))):
            model = RNNRegressor(random_state=seed)
            seconds.append(fit_seconds(model, X, y))
            single.append(fit_seconds(RNNRegressor(random_state=seed, shrink_to_mean=False), X, y))
            if seed in seeds:
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
                f"{statistics.median(seconds):.1f}",
                f"{statistics.median(single):.1f}",
                f"{statistics.median(seconds) / statistics.median(single):.2f}x",
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
        "one network's fit s",
        "ratio",
    ]
    return (
        f"### Regression in raw units: test RMSE (seeds {seeds[0]}-{seeds[-1]})\n\n"
        + markdown_table(headers, rows)
        + "\n\nRidge and forest: on the padded series and their summary statistics; for "
        "Syllables, TF-IDF of character 1-3-grams and character counts. Fit seconds: medians "
        f"over seeds 0-{max(TIMED_SEEDS, len(seeds)) - 1}, each default fit followed by one "
        "network's (``shrink_to_mean=False``); the ratio is the cost of the shrinkage, which "
        "is on below 1,000 training sequences.\n"
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
    bodies = {name: part(seeds, args.data) for name, part in parts.items()}
    print("\n".join(bodies.values()))
    for name, body in bodies.items() if args.write else ():
        command = COMMAND if not args.only else f"{COMMAND_ONLY} {name} --write docs/benchmarks.md"
        write_section(args.write, SECTIONS[name], command, body)


if __name__ == "__main__":
    main()

"""Prediction intervals and quantiles of the forecaster on the M1 test horizons: how often
the truth falls inside the 80% and 95% intervals (nominal: 80% and 95%), over every series
and step of M1 yearly, quarterly and monthly.

Each set's default ``RNNForecaster`` (the horizon and season length set) is fitted with
``interval_windows=--windows`` calibration origins (fewer for a short series, which then
takes the pooled, scaled residuals of all series) on every series but its last
``horizon`` values, which are then forecast. Two intervals read the same calibration
residuals: ``predict_interval`` (symmetric: the forecast plus or minus
the conformal quantile of the absolute errors) and the quantile forecasts
``predict_quantiles`` at ``(1 - c) / 2`` and ``(1 + c) / 2`` (asymmetric: each tail from
the signed residuals). MASE uses the seasonal scale.

Usage::

    python benchmarks/bench_intervals.py [--seeds 3] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from common import DATA, load_m1, markdown_table, mase_smape, write_section

from sk_rnn.forecasting import RNNForecaster
from sk_rnn.metrics import interval_coverage

COMMAND = "python benchmarks/bench_intervals.py --write docs/benchmarks.md"
COVERAGES = (0.8, 0.95)


def measure(frequency, seeds, data, windows) -> list:
    series, horizon, season = load_m1(frequency, data)
    histories = [s[:-horizon] for s in series]
    futures = [s[-horizon:] for s in series]
    blank = [np.full(horizon, np.nan)] * len(series)
    rows = []
    for seed in seeds:
        model = RNNForecaster(
            horizon=horizon, season_length=season, interval_windows=windows, random_state=seed
        )
        start = time.perf_counter()
        model.fit(histories)
        seconds = time.perf_counter() - start
        forecasts = model.predict(blank)
        row = {"mase": mase_smape(histories, futures, forecasts, season)[0], "s": seconds}
        for coverage in COVERAGES:
            lower, upper = model.predict_interval(blank, coverage=coverage)
            row[f"sym {coverage}"] = interval_coverage(futures, lower, upper)
            tails = [(1 - coverage) / 2, (1 + coverage) / 2]
            quantiles = model.predict_quantiles(blank, tails)
            row[f"q {coverage}"] = interval_coverage(
                futures, [q[:, 0] for q in quantiles], [q[:, 1] for q in quantiles]
            )
        print(frequency, seed, {k: round(v, 3) for k, v in row.items()}, flush=True)
        rows.append(row)
    mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    return [
        f"M1 {frequency.lower()} ({len(series)} series, h={horizon})",
        windows,
        f"{mean['mase']:.3f}",
        *(f"{100 * mean[f'sym {c}']:.1f}%" for c in COVERAGES),
        *(f"{100 * mean[f'q {c}']:.1f}%" for c in COVERAGES),
        f"{statistics.median(r['s'] for r in rows):.0f}",
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--windows", type=int, default=12)
    parser.add_argument("--sets", nargs="+", default=["Yearly", "Quarterly", "Monthly"])
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    seeds = list(range(args.seeds))
    rows = [measure(f, seeds, args.data, args.windows) for f in args.sets]
    headers = [
        "set",
        "calibration origins",
        "MASE",
        "80% interval",
        "95% interval",
        "80% from quantiles",
        "95% from quantiles",
        "fit s",
    ]
    body = (
        f"### Interval coverage on the M1 test horizons (seeds {seeds[0]}-{seeds[-1]})\n\n"
        "Share of the test values inside each interval, over every series and step "
        '(nominal 80% and 95%). "Interval": `predict_interval` (symmetric, from the '
        'absolute calibration errors); "from quantiles": `predict_quantiles` at the two '
        "tails (asymmetric, from the signed residuals).\n\n" + markdown_table(headers, rows) + "\n"
    )
    print(body)
    if args.write:
        write_section(args.write, "intervals", COMMAND, body)


if __name__ == "__main__":
    main()

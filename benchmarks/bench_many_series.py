"""Many series: the default RNNForecaster's fit time as the number of series grows (100,
1,000 and 10,000 generated monthly series of 100 steps), beside statsforecast's AutoTheta
fitted on the same series, with both forecasts scored on the held-out last year.

The series are generated (seeded): a level drawn over three decades, a trend, a yearly
season of random amplitude and phase, and noise; every series is positive. Each keeps
its last 12 steps for scoring: the forecaster (``horizon=12``, nothing else set) and
AutoTheta (``season_length=12``) are fitted on the first 88 and forecast the 12. MASE uses
the seasonal (12-step) naive scale. Times are wall-clock seconds of ``fit`` (Theta: fit
and forecast, which is one pass), one process, 2 threads.

Usage::

    python benchmarks/bench_many_series.py [--sizes 100 1000 10000] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from common import markdown_table, mase_smape, write_section

from sk_rnn.forecasting import RNNForecaster

COMMAND = "python benchmarks/bench_many_series.py --write docs/benchmarks.md"
LENGTH, HORIZON, SEASON = 100, 12, 12


def generated_monthly(n_series: int, seed: int = 0) -> list[np.ndarray]:
    """``n_series`` positive monthly series of ``LENGTH`` steps: level, trend, season, noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(LENGTH)
    level = 10 ** rng.uniform(1, 4, size=(n_series, 1))
    trend = rng.normal(0, 0.004, size=(n_series, 1)) * t
    amplitude = rng.uniform(0, 0.3, size=(n_series, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(n_series, 1))
    season = amplitude * np.sin(2 * np.pi * t / SEASON + phase)
    noise = rng.normal(0, rng.uniform(0.02, 0.1, size=(n_series, 1)), size=(n_series, LENGTH))
    return list(level * np.exp(trend + season + noise))


def theta(histories) -> tuple[list[np.ndarray], float]:
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import AutoTheta

    frame = pd.concat(
        pd.DataFrame({"unique_id": i, "ds": np.arange(len(h)), "y": h})
        for i, h in enumerate(histories)
    )
    start = time.perf_counter()
    out = StatsForecast(models=[AutoTheta(season_length=SEASON)], freq=1, n_jobs=1).forecast(
        df=frame, h=HORIZON
    )
    seconds = time.perf_counter() - start
    out = out.reset_index() if "unique_id" not in out.columns else out
    forecasts = out.groupby("unique_id", sort=True)["AutoTheta"].apply(np.asarray)
    return list(forecasts), seconds


def forecaster(histories, seed: int) -> tuple[list[np.ndarray], float]:
    model = RNNForecaster(horizon=HORIZON, random_state=seed)
    start = time.perf_counter()
    model.fit(histories)
    seconds = time.perf_counter() - start
    return list(model.forecast(HORIZON)), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000, 10_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-theta", action="store_true", help="skip statsforecast")
    parser.add_argument("--write", type=Path, help="write the table into this Markdown file")
    args = parser.parse_args()

    rows = []
    for size in args.sizes:
        series = generated_monthly(size, seed=args.seed)
        histories = [s[:-HORIZON] for s in series]
        futures = [s[-HORIZON:] for s in series]
        forecasts, seconds = forecaster(histories, args.seed)
        mase, _ = mase_smape(histories, futures, forecasts, SEASON)
        row = [f"{size:,}", f"{seconds:.0f}", f"{mase:.3f}"]
        if not args.no_theta:
            forecasts, theta_seconds = theta(histories)
            theta_mase, _ = mase_smape(histories, futures, forecasts, SEASON)
            row += [f"{theta_seconds:.0f}", f"{theta_mase:.3f}"]
        rows.append(row)
        print(" | ".join(row), flush=True)
    headers = ["series", "sk_rnn fit (s)", "sk_rnn MASE"]
    if not args.no_theta:
        headers += ["AutoTheta (s)", "AutoTheta MASE"]
    table = markdown_table(headers, rows)
    print(table)
    if args.write:
        write_section(args.write, "many-series-time", COMMAND, table)


if __name__ == "__main__":
    main()

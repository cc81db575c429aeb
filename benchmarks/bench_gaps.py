"""Gaps: the defaults on data with missing values and irregular steps, against imputing
by hand and against the complete data.

- Forecasting (``--only forecasting``): M1 yearly with 20% of every history's values
  removed at random (seeded; at least two kept per series), one global
  ``RNNForecaster(horizon=6)`` against the same on the complete histories, MASE on the
  last 6 years (scaled by the complete history's mean step, as for the complete run).
- Classification (``--only classification``): every benchmark classification set with
  10%, 30% and 50% of its values removed at random (train and test alike; ``--pattern
  values``: single values, ``steps``: whole steps), the default ``RNNClassifier`` fitted
  on the data with gaps, on the gaps filled with each feature's training mean or with
  the last observed value, and on the complete data.
- Times (``--only times``): a random half of each series' steps kept, the default
  fitted with their times (``TimedSequences``) and without them.

Each cell is the mean test accuracy (or MASE) over ``--seeds`` seeds; the gaps are drawn
once per data set, level and pattern (seed 0), so seeds vary the network only.

Usage::

    python benchmarks/bench_gaps.py --only forecasting [--write docs/benchmarks.md]
    python benchmarks/bench_gaps.py --only classification --sets JapaneseVowels GunPoint
    python benchmarks/bench_gaps.py --only times --write docs/benchmarks.md
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
    load_series,
    m1_forecast_split,
    markdown_table,
    mase_smape,
    write_section,
)

from sk_rnn import RNNClassifier, TimedSequences
from sk_rnn.forecasting import RNNForecaster

COMMAND = "python benchmarks/bench_gaps.py --only {part} --write docs/benchmarks.md"


def removed(values: np.ndarray, share: float, rng, pattern: str = "values") -> np.ndarray:
    """``values`` (steps, features) with ``share`` of its values (or of its whole steps)
    set to NaN, keeping at least one observed value per feature and two steps."""
    out = np.array(values, dtype=np.float64, copy=True)
    if out.ndim == 1:
        out = out[:, None]
    if pattern == "steps":
        out[rng.random(len(out)) < share] = np.nan
    else:
        out[rng.random(out.shape) < share] = np.nan
    for column in out.T:  # a feature never observed is refused: keep one of each
        if np.isfinite(column).sum() < 2:
            keep = rng.choice(len(column), size=min(2, len(column)), replace=False)
            column[keep] = np.asarray(values, dtype=np.float64).reshape(len(column), -1)[keep, 0]
    return out if np.ndim(values) > 1 else out[:, 0]


def forecasting(seeds, data) -> str:
    histories, futures = m1_forecast_split(data=data)
    rng = np.random.default_rng(0)
    holed = [removed(h, 0.2, rng) for h in histories]
    share = np.mean([np.isnan(h).mean() for h in holed])
    rows = []
    for name, train in (("complete histories", histories), ("20% removed", holed)):
        results, seconds = [], []
        for seed in seeds:
            model = RNNForecaster(horizon=6, random_state=seed)
            start = time.perf_counter()
            model.fit(train)
            seconds.append(time.perf_counter() - start)
            results.append(mase_smape(histories, futures, model.forecast(6)))
        mase = [m for m, _ in results]
        rows.append(
            [
                name,
                f"{np.mean(mase):.3f}",
                " ".join(f"{m:.3f}" for m in mase),
                f"{np.mean([s for _, s in results]):.1f}%",
                f"{statistics.median(seconds):.0f}",
            ]
        )
        print(rows[-1], flush=True)
    ratio = float(rows[1][1]) / float(rows[0][1])
    headers = ["training histories", "MASE", "MASE per seed", "sMAPE", "fit s"]
    return (
        f"### Gaps in M1 yearly histories (seeds {seeds[0]}-{seeds[-1]})\n\n"
        f"{100 * share:.1f}% of the history values removed at random; each window reads "
        "its gaps (the regressor's gap channels) and learns the 6 years after it with "
        "their gaps interpolated.\n\n"
        + markdown_table(headers, rows)
        + f"\n\nWith gaps, MASE is {ratio:.3f}x that of the complete histories.\n"
    )


def _filled(X, X_other, how: str):
    """``X`` and ``X_other`` with their gaps filled as users do by hand: each feature's
    training mean, or the last observed value (the training mean before the first)."""
    means = np.nanmean(np.concatenate(X), axis=0)

    def fill(x):
        x = np.array(x, dtype=np.float64)
        if how == "mean":
            return np.where(np.isnan(x), means, x)
        for j, column in enumerate(x.T):
            last = np.maximum.accumulate(np.where(np.isnan(column), -1, np.arange(len(column))))
            column[:] = np.where(last >= 0, column[np.maximum(last, 0)], means[j])
        return x

    return [fill(x) for x in X], [fill(x) for x in X_other]


def _halved(sequences, seed):
    """A random half of each sequence's steps (at least two), and their step numbers."""
    rng = np.random.default_rng(seed)
    kept = [np.sort(rng.choice(len(x), max(2, len(x) // 2), replace=False)) for x in sequences]
    return [np.asarray(x)[k] for x, k in zip(sequences, kept, strict=True)], kept


def _accuracy(seeds, X, y, X_test, y_test) -> float:
    return float(
        np.mean([RNNClassifier(random_state=s).fit(X, y).score(X_test, y_test) for s in seeds])
    )


def classification(seeds, data, sets, levels, pattern) -> str:
    rows = []
    for name in sets:
        X, y = load_series(name, "train", data)
        X_test, y_test = load_series(name, "test", data)
        complete = _accuracy(seeds, X, y, X_test, y_test)
        for level in levels:
            rng = np.random.default_rng(0)
            gappy = [removed(x, level, rng, pattern) for x in X]
            gappy_test = [removed(x, level, rng, pattern) for x in X_test]
            contenders = {"default with gaps": (gappy, gappy_test)}
            for how in ("mean", "last"):
                contenders[f"{how}-filled"] = _filled(gappy, gappy_test, how)
            scores = {k: _accuracy(seeds, a, y, b, y_test) for k, (a, b) in contenders.items()}
            rows.append([name, f"{level:.0%}", *scores.values(), complete])
            print(rows[-1], flush=True)
    return gaps_table(rows, pattern, seeds)


def gaps_table(rows, pattern, seeds) -> str:
    """The classification rows (set, level, with gaps, mean-filled, last-filled,
    complete), with each level's mean over the sets."""
    means = []
    for level in dict.fromkeys(row[1] for row in rows):
        at_level = [row[2:] for row in rows if row[1] == level]
        means.append(["mean over the sets", level, *np.mean(at_level, axis=0)])
    cells = [[*row[:2], *(f"{v:.3f}" for v in row[2:])] for row in rows + means]
    headers = ["set", "missing", "default with gaps", "mean-filled", "last-filled", "complete"]
    return (
        f"### Classification with gaps ({pattern} removed; seeds {seeds[0]}-{seeds[-1]})\n\n"
        + markdown_table(headers, cells)
        + "\n"
    )


def times(seeds, data, sets) -> str:
    """A random half of each series' steps, with and without their times."""
    rows = []
    for name in sets:
        X, y = load_series(name, "train", data)
        X_test, y_test = load_series(name, "test", data)
        (X_half, t), (X_test_half, t_test) = _halved(X, 0), _halved(X_test, 1)
        timed = _accuracy(
            seeds, TimedSequences(X_half, t), y, TimedSequences(X_test_half, t_test), y_test
        )
        untimed = _accuracy(seeds, X_half, y, X_test_half, y_test)
        rows.append([name, timed, untimed])
        print(rows[-1], flush=True)
    rows.append(["mean over the sets", *np.mean([row[1:] for row in rows], axis=0)])
    cells = [[row[0], *(f"{v:.3f}" for v in row[1:])] for row in rows]
    return (
        f"### Half the steps kept, with and without their times (seeds {seeds[0]}-{seeds[-1]})"
        "\n\n" + markdown_table(["set", "with times", "without times"], cells) + "\n"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--only", choices=["classification", "times", "forecasting"], required=True)
    parser.add_argument("--sets", nargs="+", default=list(CLASSIFICATION))
    parser.add_argument("--levels", type=float, nargs="+", default=[0.1, 0.3, 0.5])
    parser.add_argument("--pattern", choices=["values", "steps"], default="values")
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    seeds = list(range(args.seeds))
    if args.only == "forecasting":
        body = forecasting(seeds, args.data)
    elif args.only == "times":
        body = times(seeds, args.data, args.sets)
    else:
        body = classification(seeds, args.data, args.sets, args.levels, args.pattern)
    print(body)
    if args.write:
        part, section = args.only, f"gaps-{args.only}"
        if args.only == "classification" and args.pattern == "steps":  # beside the values
            part, section = f"{part} --pattern steps", f"{section}-steps"
        if args.only == "classification" and args.levels != [0.1, 0.3, 0.5]:
            part += " --levels " + " ".join(f"{level:g}" for level in args.levels)
        write_section(args.write, section, COMMAND.format(part=part), body)


if __name__ == "__main__":
    main()

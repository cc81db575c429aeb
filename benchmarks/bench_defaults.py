"""The defaults on the visible suite: every estimator with nothing set but random_state,
against what a user would run instead.

- Classification (JapaneseVowels, BasicMotions, GunPoint, ItalyPowerDemand, ACSF1, Coffee,
  PigCVP, Trace): ``RNNClassifier(random_state=s)`` on the raw series, seeds 0-2, against
  a random forest on summary statistics, 1-NN DTW (series up to 300 steps; longer ones
  take minutes) and MiniRocket (aeon). Accuracy on the archive's test split.
- Regression (GasPrices): ``RNNRegressor(random_state=s)`` against the training mean,
  ridge regression and the same forest and MiniRocket. RMSE on the test split.
- Text (fortunes categories): ``RNNClassifier(random_state=s)`` on the raw texts against
  TF-IDF words (1-2 grams) + logistic regression. Accuracy on the fixed 20 % test split.
- Tagging (hironsan_ner): ``RNNTagger(random_state=s)`` against a feature CRF
  (sklearn-crfsuite). Entity F1 on the last 60 sentences.
- Growth: fit seconds of the default classifier on 100 synthetic series of 100 to 10,000
  steps.

The test splits are read here once, after the defaults were chosen by cross-validation
inside the training splits (``select_defaults.py``). Unequal lengths are padded with each
series' last value where a baseline needs equal lengths.

Usage::

    python -m pip install -e ".[bench]"
    python benchmarks/bench_defaults.py                       # print the tables
    python benchmarks/bench_defaults.py --write docs/benchmarks.md
    python benchmarks/bench_defaults.py --quick               # one seed, no growth table
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from common import (
    CLASSIFICATION,
    REGRESSION,
    crfsuite_baseline,
    fortunes_split,
    load_series,
    markdown_table,
    minirocket,
    ner_split,
    one_nn_dtw,
    padded_ridge,
    random_forest,
    timed,
    write_section,
)
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import mean_squared_error
from sklearn.pipeline import make_pipeline

from sk_rnn import RNNClassifier, RNNRegressor, RNNTagger
from sk_rnn.metrics import entity_f1_score

SEEDS = (0, 1, 2)
DTW_MAX_STEPS = 300
GROWTH_STEPS = (100, 1_000, 10_000)


# -- the suite --------------------------------------------------------------------------


def accuracy(y, predicted) -> float:
    return float(np.mean(np.asarray(y) == np.asarray(predicted)))


def rmse(y, predicted) -> float:
    return float(np.sqrt(mean_squared_error(y, predicted)))


def default_runs(make, X, y, X_test, seeds):
    """(predictions, fit seconds) of the default estimator for each seed."""
    runs = []
    for seed in seeds:
        model = make(seed)
        start = time.perf_counter()
        model.fit(X, y)
        runs.append((model.predict(X_test), time.perf_counter() - start))
    return runs


def series_rows(seeds):
    """One row per classification data set, and the GasPrices regression row."""
    rows, scores = [], {}
    for name in CLASSIFICATION + REGRESSION:
        X, y = load_series(name, "train")
        X_test, y_test = load_series(name, "test")
        regression = name in REGRESSION
        metric = rmse if regression else accuracy
        make = (
            (lambda s: RNNRegressor(random_state=s))
            if regression
            else (lambda s: RNNClassifier(random_state=s))
        )
        runs = default_runs(make, X, y, X_test, seeds)
        ours = [metric(y_test, p) for p, _ in runs]
        contenders = {
            "RF summary": timed(random_forest, regression, X, y, X_test),
            "MiniRocket": timed(minirocket, regression, X, y, X_test),
        }
        if not regression and max(len(x) for x in X + X_test) <= DTW_MAX_STEPS:
            contenders["1NN-DTW"] = timed(one_nn_dtw, X, y, X_test)
        if regression:
            contenders["training mean"] = (np.full(len(y_test), np.mean(y)), 0.0)
            contenders["ridge (padded)"] = timed(padded_ridge, X, y, X_test)
        theirs = {k: metric(y_test, p) for k, (p, _) in contenders.items()}
        scores[name] = {"sk_rnn": statistics.mean(ours), **theirs}
        lengths = [len(x) for x in X + X_test]
        row = [
            name,
            f"{min(lengths)}-{max(lengths)}" if min(lengths) < max(lengths) else str(lengths[0]),
            f"{statistics.mean(ours):.3f} ({' '.join(f'{v:.3f}' for v in ours)})",
            f"{statistics.median(t for _, t in runs):.1f}",
        ]
        for key in ("RF summary", "1NN-DTW", "MiniRocket"):
            row.append(f"{theirs[key]:.3f}" if key in theirs else "-")
        if not regression:
            majority = max(np.mean(y_test == c) for c in np.unique(y))
            row.append(f"{majority:.3f}")
        else:
            row.append(f"mean {theirs['training mean']:.3f}, ridge {theirs['ridge (padded)']:.3f}")
        rows.append(row)
        print(row, flush=True)
    return rows, scores


def mean_rank(scores) -> dict:
    """Mean rank of each contender over the classification sets (1 is best; ties share)."""
    ranks: dict[str, list[float]] = {}
    for name in CLASSIFICATION:
        values = scores[name]
        for contender, value in values.items():
            better = sum(v > value for v in values.values())
            ties = sum(v == value for v in values.values())
            ranks.setdefault(contender, []).append(better + (ties + 1) / 2)
    return {k: statistics.mean(v) for k, v in ranks.items()}


def text_row(seeds):
    X, X_test, y, y_test = fortunes_split()
    tfidf = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        LogisticRegression(C=10, max_iter=2000),
    )
    baseline, baseline_time = timed(lambda: tfidf.fit(X, y).predict(X_test))
    runs = default_runs(lambda s: RNNClassifier(random_state=s), X, y, X_test, seeds)
    ours = [accuracy(y_test, p) for p, _ in runs]
    baseline_row = ("TF-IDF words + logistic regression", accuracy(y_test, baseline), baseline_time)
    return task_row("fortunes (10 categories), accuracy", ours, runs, *baseline_row)


def task_row(task, ours, runs, baseline, baseline_score, baseline_time):
    return [
        task,
        f"{statistics.mean(ours):.3f} ({' '.join(f'{v:.3f}' for v in ours)})",
        f"{statistics.median(t for _, t in runs):.1f}",
        baseline,
        f"{baseline_score:.3f}",
        f"{baseline_time:.1f}",
    ]


def tagging_row(seeds):
    X, X_test, y, y_test = ner_split()
    baseline, baseline_time = crfsuite_baseline(X, y, X_test)
    runs = default_runs(lambda s: RNNTagger(random_state=s), X, y, X_test, seeds)
    ours = [entity_f1_score(y_test, p) for p, _ in runs]
    baseline_score = entity_f1_score(y_test, baseline)
    baseline_row = ("feature CRF (sklearn-crfsuite)", baseline_score, baseline_time)
    return task_row("hironsan_ner, entity F1", ours, runs, *baseline_row)


def growth_rows():
    """Fit seconds of the default classifier as the series grow (100 series, 2 classes)."""
    rows = []
    rng = np.random.default_rng(0)
    for n_steps in GROWTH_STEPS:
        y = rng.integers(0, 2, 100)
        X = [rng.normal(size=(n_steps, 1)).astype(np.float32) + label for label in y]
        model = RNNClassifier(random_state=0)
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
        rows.append(
            [
                f"{n_steps:,}",
                model.frame_size_,
                -(-n_steps // model.frame_size_),
                len(model.history_),
                f"{seconds:.1f}",
            ]
        )
        print(rows[-1], flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", type=Path)
    parser.add_argument("--quick", action="store_true", help="one seed, no growth table")
    parser.add_argument("--only", choices=["series", "text", "tagging", "growth"], nargs="*")
    args = parser.parse_args()
    seeds = SEEDS[:1] if args.quick else SEEDS
    only = set(args.only or ["series", "text", "tagging", "growth"])
    if args.quick:
        only.discard("growth")
    parts = []
    if "series" in only:
        rows, scores = series_rows(seeds)
        headers = [
            "data set",
            "steps",
            f"RNN defaults: mean (seeds {seeds[0]}-{seeds[-1]})",
            "fit s",
            "RF summary",
            "1NN-DTW",
            "MiniRocket",
            "majority class / GasPrices anchors",
        ]
        ranks = mean_rank(scores)
        means = {
            k: statistics.mean(scores[n][k] for n in CLASSIFICATION)
            for k in ("sk_rnn", "RF summary", "MiniRocket")
        }
        parts.append(
            "### Time series: accuracy (GasPrices: RMSE, lower is better)\n\n"
            + markdown_table(headers, rows)
            + "\n\nMean accuracy over the 8 classification sets: "
            + ", ".join(f"{k} {v:.3f}" for k, v in means.items())
            + ". Mean rank (1 is best; 1NN-DTW ranks only where it ran): "
            + ", ".join(f"{k} {v:.2f}" for k, v in sorted(ranks.items(), key=lambda kv: kv[1]))
            + "."
        )
    other = []
    if "text" in only:
        other.append(text_row(seeds))
        print(other[-1], flush=True)
    if "tagging" in only:
        other.append(tagging_row(seeds))
        print(other[-1], flush=True)
    if other:
        headers = [
            "task",
            "RNN defaults: mean (per seed)",
            "fit s",
            "baseline",
            "baseline score",
            "baseline fit s",
        ]
        parts.append("### Text and tagging\n\n" + markdown_table(headers, other))
    if "growth" in only:
        headers = ["steps per series", "frame_size_", "model steps", "epochs", "fit s"]
        parts.append(
            "### Fit time as series grow (100 series, default RNNClassifier)\n\n"
            + markdown_table(headers, growth_rows())
        )
    body = "\n\n".join(parts)
    print(body)
    if args.write:
        write_section(
            args.write,
            "defaults",
            "python benchmarks/bench_defaults.py --write docs/benchmarks.md",
            body,
        )


if __name__ == "__main__":
    main()

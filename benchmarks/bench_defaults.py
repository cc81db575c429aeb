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
- Language model (fortunes, the split of ``bench_language_model.py``):
  ``RNNLanguageModel(tokenizer="char", random_state=0)`` against a character 5-gram with
  interpolated absolute discounting. Bits per character of the validation texts.
- Sequence to sequence (50,000 cmudict words, the split of ``bench_seq2seq.py``):
  ``RNNSeq2Seq(random_state=0)`` given spelled words and phoneme lists, against the
  documented recipe (the same network, 12 epochs). Word and phoneme error rates (greedy)
  on the 10,000 test words. These two write their own section (``defaults-generative``).

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
    bits_per_character,
    crfsuite_baseline,
    five_gram_bits_per_character,
    fortunes_split,
    g2p_split,
    language_model_split,
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

from sk_rnn import RNNClassifier, RNNLanguageModel, RNNRegressor, RNNSeq2Seq, RNNTagger
from sk_rnn.metrics import entity_f1_score, token_error_rate

SEEDS = (0, 1, 2)
DTW_MAX_STEPS = 300
GROWTH_STEPS = (100, 1_000, 10_000)
G2P_WORDS = 50_000
# The seq2seq recipe of docs/user_guide/seq2seq.rst and bench_seq2seq.py.
G2P_RECIPE = dict(max_epochs=12, lr_schedule="cosine", lr=3e-3, hidden_size=128, dropout=0.2)


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


def series_rows(seeds, names=None):
    """One row per classification data set, and the GasPrices regression row (or the
    rows of ``names`` alone)."""
    rows, scores = [], {}
    for name in names or CLASSIFICATION + REGRESSION:
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


def language_model_row():
    train, valid = language_model_split()
    model = RNNLanguageModel(tokenizer="char", random_state=0)
    start = time.perf_counter()
    ngram_bpc = five_gram_bits_per_character(model, train, valid)
    ngram_time = time.perf_counter() - start
    start = time.perf_counter()
    model.fit(train)
    seconds = time.perf_counter() - start
    ours = bits_per_character(model, valid)
    return [
        "fortunes, bits per character (lower is better)",
        f"{ours:.3f} ({ours / ngram_bpc:.3f}x the 5-gram)",
        f"{seconds:.0f} ({len(model.history_)} epochs)",
        "char 5-gram, absolute discounting",
        f"{ngram_bpc:.3f}",
        f"{ngram_time:.0f}",
    ]


def seq2seq_row():
    words, phonemes, test_words, test_phonemes = g2p_split(G2P_WORDS)
    results = {}
    for name, settings in (("defaults", {}), ("recipe", G2P_RECIPE)):
        start = time.perf_counter()
        model = RNNSeq2Seq(random_state=0, **settings).fit(words, phonemes)
        seconds = time.perf_counter() - start
        predicted = model.predict(test_words)
        word_error = np.mean([p != t for p, t in zip(predicted, test_phonemes, strict=True)])
        results[name] = (
            f"WER {word_error:.3f}, PER {token_error_rate(test_phonemes, predicted):.3f}",
            f"{seconds:.0f} ({len(model.history_)} epochs)",
        )
        print(name, results[name], model.vectorizer_.tokenizer, flush=True)
    return [
        f"cmudict, {len(words):,} words, spelling to phonemes",
        *results["defaults"],
        "the documented recipe (12 epochs)",
        *results["recipe"],
    ]


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
    parts_names = ["series", "text", "tagging", "growth", "language_model", "seq2seq"]
    parser.add_argument("--only", choices=parts_names, nargs="*")
    parser.add_argument(
        "--sets", nargs="+", help="series rows of these sets only (printed, not written)"
    )
    args = parser.parse_args()
    seeds = SEEDS[:1] if args.quick else SEEDS
    only = set(args.only or parts_names)
    if args.quick:
        only.discard("growth")
    parts = []
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
    if args.sets:  # rows to check or splice by hand: no suite means, nothing written
        print(markdown_table(headers, series_rows(seeds, args.sets)[0]))
        return
    if "series" in only:
        rows, scores = series_rows(seeds)
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
    generative = []
    if "language_model" in only:
        generative.append(language_model_row())
        print(generative[-1], flush=True)
    if "seq2seq" in only:
        generative.append(seq2seq_row())
        print(generative[-1], flush=True)
    sections = {"defaults": parts, "defaults-generative": []}
    if generative:
        headers = ["task", "RNN defaults", "fit s", "baseline", "baseline score", "fit s"]
        sections["defaults-generative"].append(
            "### Language model and sequence to sequence\n\n" + markdown_table(headers, generative)
        )
    command = "python benchmarks/bench_defaults.py --write docs/benchmarks.md"
    for name, section in sections.items():
        if section:  # a section is written only by a run that measured it
            body = "\n\n".join(section)
            print(body)
            if args.write:
                write_section(args.write, name, command, body)


if __name__ == "__main__":
    main()

"""Helpers shared by the benchmark scripts: the visible suite of ``../shared/data``
(loaded raw, as a user has it), markdown tables, writing docs/benchmarks.md, and what
users run instead of sk_rnn (forests, 1-NN DTW, ridge, MiniRocket, a feature CRF).
Scripts share code only through this module.

Time series come as lists of float32 arrays of shape ``(n_steps, n_features)``; labels
are strings (classification) or floats (regression)."""

from __future__ import annotations

import gzip
import json
import math
import os
import platform
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import torch
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import RidgeCV


def markdown_table(headers, rows) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    )


def write_section(path: Path, name: str, command: str, body: str, measured=True) -> None:
    """Replace (or append) the section between this benchmark's markers in ``path``
    (``measured=False``: a section written from others, with no machine to name)."""
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    made = f"Measured with `{command}` on {machine()}" if measured else f"Written by `{command}`"
    block = f"{begin}\n{made}.\n\n{body}\n{end}"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if begin in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def generated_sections(text: str) -> dict[str, str]:
    """The sections of a page that the scripts write, by name."""
    pattern = r"<!-- begin ([\w -]+?) -->(.*?)<!-- end \1 -->"
    return {m.group(1): m.group(2) for m in re.finditer(pattern, text, re.S)}


# -- what users run instead -------------------------------------------------------------


def padded(X, n_steps=None) -> np.ndarray:
    """Shape (n, n_features, n_steps) as aeon wants, each series padded with its last value."""
    n_steps = n_steps or max(len(x) for x in X)
    out = np.empty((len(X), X[0].shape[1], n_steps), np.float64)
    for i, x in enumerate(X):
        out[i, :, : len(x)] = x.T
        out[i, :, len(x) :] = x[-1][:, None]
    return out


def summary_features(X) -> np.ndarray:
    """Each feature's mean, std, min, max and mean |diff|, and the length."""
    rows = []
    for x in X:
        diff = np.abs(np.diff(x, axis=0)).mean(0) if len(x) > 1 else np.zeros(x.shape[1])
        rows.append(np.concatenate([x.mean(0), x.std(0), x.min(0), x.max(0), diff, [len(x)]]))
    return np.asarray(rows)


def random_forest(regression, X, y, X_test, seed=0):
    forest = (RandomForestRegressor if regression else RandomForestClassifier)(
        n_estimators=500, random_state=seed, n_jobs=1
    )
    forest.fit(summary_features(X), y)
    return forest.predict(summary_features(X_test))


def one_nn_dtw(X, y, X_test):
    from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier

    n_steps = max(len(x) for x in X + X_test)
    model = KNeighborsTimeSeriesClassifier(distance="dtw", n_neighbors=1)
    model.fit(padded(X, n_steps), y)
    return model.predict(padded(X_test, n_steps))


def padded_ridge(X, y, X_test):
    n_steps = max(len(x) for x in X + X_test)
    model = RidgeCV().fit(padded(X, n_steps).reshape(len(X), -1), y)
    return model.predict(padded(X_test, n_steps).reshape(len(X_test), -1))


def char_ngram_ridge(X, y, X_test):
    """Text regression as users do it: TF-IDF of character 1-3-grams, ridge (CV alpha)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3)), RidgeCV())
    return model.fit(X, y).predict(X_test)


def char_count_forest(X, y, X_test, seed=0):
    """A random forest on each text's character counts."""
    from sklearn.feature_extraction.text import CountVectorizer

    counts = CountVectorizer(analyzer="char")
    forest = RandomForestRegressor(n_estimators=500, random_state=seed, n_jobs=1)
    return forest.fit(counts.fit_transform(X), y).predict(counts.transform(X_test))


def rescaled(X, seed: int):
    """Each series in its own units: ``(x + o) * 10**u`` with ``u`` uniform in [-3, 3]
    and ``o`` in [-10, 10], drawn per series (independently of the label) from ``seed``.
    Series that were z-normalised now span six decades of scale, as raw recordings of
    currents, counts or prices do."""
    rng = np.random.default_rng(seed)
    gains = 10.0 ** rng.uniform(-3, 3, len(X))
    offsets = rng.uniform(-10, 10, len(X))
    return [((x + o) * g).astype(np.float32) for x, g, o in zip(X, gains, offsets, strict=True)]


def minirocket(regression, X, y, X_test, seed=0):
    from aeon.classification.convolution_based import MiniRocketClassifier
    from aeon.regression.convolution_based import MiniRocketRegressor

    n_steps = max(len(x) for x in X + X_test)
    model = (MiniRocketRegressor if regression else MiniRocketClassifier)(random_state=seed)
    model.fit(padded(X, n_steps), y)
    return model.predict(padded(X_test, n_steps))


def timed(fit_predict, *args):
    start = time.perf_counter()
    predictions = fit_predict(*args)
    return predictions, time.perf_counter() - start


def crf_features(sentence, i):
    """Word, prefix, suffixes, digits and the neighbours' words and suffixes."""
    word = sentence[i]
    features = {
        "bias": 1.0,
        "word": word,
        "prefix1": word[:1],
        "suffix1": word[-1:],
        "suffix2": word[-2:],
        "suffix3": word[-3:],
        "is_digit": word.isdigit(),
        "length": min(len(word), 5),
    }
    for offset in (-2, -1, 1, 2):
        j = i + offset
        inside = 0 <= j < len(sentence)
        features[f"{offset}:word"] = sentence[j] if inside else "<edge>"
        features[f"{offset}:suffix2"] = sentence[j][-2:] if inside else "<edge>"
    return features


def crfsuite_baseline(X_train, y_train, X_dev):
    """(predictions, fit seconds) of a linear-chain CRF on :func:`crf_features`."""
    import sklearn_crfsuite

    def featurize(X):
        return [[crf_features(s, i) for i in range(len(s))] for s in X]

    crf = sklearn_crfsuite.CRF(
        algorithm="lbfgs", c1=0.1, c2=0.1, max_iterations=200, all_possible_transitions=True
    )
    start = time.perf_counter()
    crf.fit(featurize(X_train), y_train)
    return crf.predict(featurize(X_dev)), time.perf_counter() - start


def auto_frame_size(lengths, model_steps: int) -> int:
    """``frame_size="auto"``'s rule with another budget of model steps (the median series
    takes at most ``model_steps``), for candidates scored before the budget changed."""
    return max(1, int(np.ceil(np.median(lengths) / model_steps)))


# -- the visible suite -----------------------------------------------------------------

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CLASSIFICATION = (
    "JapaneseVowels",
    "BasicMotions",
    "GunPoint",
    "ItalyPowerDemand",
    "ACSF1",
    "Coffee",
    "PigCVP",
    "Trace",
)
REGRESSION = ("GasPrices",)


def _records(path: Path) -> list[dict]:
    with gzip.open(path, "rt") as lines:
        return [json.loads(line) for line in lines]


def load_series(name: str, split: str, data: Path = DATA):
    """``(X, y)`` of one split ("train" or "test") of a time-series data set."""
    records = _records(data / name / f"{split}.jsonl.gz")
    X = [np.asarray(r["x"], np.float32).reshape(len(r["x"]), -1) for r in records]
    if name in REGRESSION:
        return X, np.array([float(r["y"]) for r in records])
    return X, np.array([str(r["y"]) for r in records])


def load_fortunes(data: Path = DATA):
    """``(texts, categories)`` of all fortunes, in file order."""
    records = _records(data / "fortunes" / "fortunes.jsonl.gz")
    return [r["text"] for r in records], np.array([r["category"] for r in records])


def load_ner(data: Path = DATA):
    """``(token lists, IOB2 tag lists)`` of the hironsan_ner sentences, in file order."""
    path = next((data / "hironsan_ner").glob("*.jsonl.gz"))
    records = _records(path)
    return [r["tokens"] for r in records], [r["ner"] for r in records]


def fortunes_split(data: Path = DATA):
    """The fixed fortunes split: 80 % train, 20 % test, stratified (random_state 0)."""
    from sklearn.model_selection import train_test_split

    texts, labels = load_fortunes(data)
    return train_test_split(texts, labels, test_size=0.2, stratify=labels, random_state=0)


NER_TRAIN = 240


def ner_split(data: Path = DATA):
    """The fixed hironsan_ner split: the first 240 sentences train, the last 60 test."""
    X, y = load_ner(data)
    return X[:NER_TRAIN], X[NER_TRAIN:], y[:NER_TRAIN], y[NER_TRAIN:]


# -- regression tasks built from the visible data -------------------------------------------

M1_HORIZON = 6


def load_m1_yearly(data: Path = DATA) -> list[np.ndarray]:
    """The 181 M1 yearly series (raw units, 2.8 to 47 million), float64, in file order."""
    return [np.asarray(r["y"], np.float64) for r in _records(data / "M1Yearly" / "series.jsonl.gz")]


def load_m1(frequency: str, data: Path = DATA) -> tuple[list[np.ndarray], int, int]:
    """An M1 set ("Yearly", "Quarterly" or "Monthly") in raw units: (series, horizon,
    season length); the last ``horizon`` values of each series are its test part."""
    if frequency == "Yearly":
        return load_m1_yearly(data), M1_HORIZON, 1
    records = _records(data / f"M1{frequency}" / "series.jsonl.gz")
    series = [np.asarray(r["y"], np.float64) for r in records]
    return series, int(records[0]["h"]), int(records[0]["season_length"])


def m1_forecast_split(validation: bool = False, data: Path = DATA):
    """M1 yearly forecasting: (histories, futures): the last 6 values of each series are
    forecast from the rest. ``validation=True`` moves both back 6 years, for choosing
    settings inside the training part (the last 6 values are then never read)."""
    series = load_m1_yearly(data)
    end = M1_HORIZON if validation else 0
    histories = [s[: len(s) - M1_HORIZON - end] for s in series]
    futures = [s[len(s) - M1_HORIZON - end : len(s) - end] for s in series]
    return histories, futures


def mase_smape(histories, futures, forecasts, season_length: int = 1) -> tuple[float, float]:
    """Mean MASE (scaled by each history's in-sample seasonal naive error) and mean sMAPE
    (in %) over the series, as the forecasting competitions score them
    (:mod:`sk_rnn.metrics`)."""
    from sk_rnn.metrics import (
        mean_absolute_scaled_error,
        symmetric_mean_absolute_percentage_error,
    )

    forecasts = [np.asarray(f, dtype=np.float64) for f in forecasts]
    mase = mean_absolute_scaled_error(
        list(futures), forecasts, y_train=list(histories), season_length=season_length
    )
    return mase, 100 * symmetric_mean_absolute_percentage_error(list(futures), forecasts)


def naive_and_drift(histories, horizon: int = M1_HORIZON) -> dict:
    """The last value, and the last value plus the history's average change per step."""
    steps = np.arange(1, horizon + 1)
    return {
        "naive": [np.full(horizon, h[-1]) for h in histories],
        "drift": [h[-1] + (h[-1] - h[0]) / (len(h) - 1) * steps for h in histories],
    }


def statistical_forecasts(histories, horizon: int = M1_HORIZON, season_length: int = 1) -> dict:
    """AutoTheta and AutoETS (statsforecast, with the season length given; 1, yearly:
    none), fitted per series; a series too short for a model gets the drift forecast from
    it (statsforecast's ``fallback_model``; only the validation split's shortest histories
    need it)."""
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, AutoTheta, RandomWalkWithDrift

    frame = pd.concat(
        pd.DataFrame({"unique_id": i, "ds": np.arange(len(h)), "y": h})
        for i, h in enumerate(histories)
    )
    models = [AutoTheta(season_length=season_length), AutoETS(season_length=season_length)]
    out = StatsForecast(
        models=models, freq=1, n_jobs=1, fallback_model=RandomWalkWithDrift()
    ).forecast(df=frame, h=horizon)
    out = out.reset_index() if "unique_id" not in out.columns else out
    return {
        name: [out.loc[out["unique_id"] == i, column].to_numpy() for i in range(len(histories))]
        for name, column in (("Theta", "AutoTheta"), ("ETS", "AutoETS"))
    }


def m1_growth_split(data: Path = DATA):
    """M1 growth: from all the years of a series but its last 6 (raw units), predict its
    growth over those 6 years, ``log(y[-1] / y[-7])``. A forecaster's question on series
    whose magnitudes span seven decades. Every third series (from the first) is held out
    for testing: 120 train, 61 test."""
    series = load_m1_yearly(data)
    X = [s[:-M1_HORIZON].astype(np.float32)[:, None] for s in series]
    y = np.array([np.log(s[-1] / s[-1 - M1_HORIZON]) for s in series])
    test = np.arange(len(series)) % 3 == 0
    pick = lambda mask: ([x for x, m in zip(X, mask, strict=True) if m], y[mask])  # noqa: E731
    return (*pick(~test), *pick(test))


CMUDICT_TEST = 10_000


def load_cmudict(data: Path = DATA):
    """CMUdict words and their phonemes, shuffled with seed 0: the last 10,000 are the
    test words (as ``bench_seq2seq.py`` and the seq2seq defaults use them)."""
    rows = _records(data / "cmudict" / "train.jsonl.gz")
    order = np.random.default_rng(0).permutation(len(rows))
    rows = [rows[i] for i in order]
    return [r["word"] for r in rows], [r["phonemes"] for r in rows]


def syllables_split(n_train: int = 3_000, n_test: int = 3_000, data: Path = DATA):
    """Syllables: how many syllables a word has (its vowel phonemes, the ones with a
    stress digit), from its spelling: the count readability formulas need, and a text
    regression whose rules English spelling only half keeps. The first ``n_train`` words
    of the cmudict training part, and the first ``n_test`` of its test part."""
    words, phonemes = load_cmudict(data)
    counts = np.array([sum(p[-1].isdigit() for p in ph) for ph in phonemes], dtype=np.float64)
    test = slice(len(words) - CMUDICT_TEST, len(words) - CMUDICT_TEST + n_test)
    return words[:n_train], counts[:n_train], words[test], counts[test]


def g2p_split(train_size: int, data: Path = DATA):
    """Spelling to sound (``bench_seq2seq.py``, the seq2seq defaults): the first
    ``train_size`` words of cmudict's training part with their phonemes, then the 10,000
    test words with theirs."""
    words, phonemes = load_cmudict(data)
    n_train = min(train_size, len(words) - CMUDICT_TEST)
    return words[:n_train], phonemes[:n_train], words[-CMUDICT_TEST:], phonemes[-CMUDICT_TEST:]


# -- language models ----------------------------------------------------------------------


def language_model_split():
    """The fortunes shipped with sk_rnn, shuffled with seed 0: 90 % train, 10 % validation
    (``bench_language_model.py``, the language model defaults)."""
    from sk_rnn.datasets import load_fortunes

    texts, _ = load_fortunes()
    order = np.random.default_rng(0).permutation(len(texts))
    cut = int(0.9 * len(texts))
    return [texts[i] for i in order[:cut]], [texts[i] for i in order[cut:]]


def five_gram_bits_per_character(model, train, texts) -> float:
    """Bits per character of ``texts`` under a 5-gram fitted on ``train``, both read as the
    language model ``model`` reads them: lowercased when it lowercases (its bits/char are
    those of that text, so the baseline must read the same)."""

    def as_read(some_texts):
        return [text.lower() for text in some_texts] if model.lowercase else list(some_texts)

    total, symbols = AbsoluteDiscountingNgram().fit(as_read(train)).bits(as_read(texts))
    return total / symbols


def bits_per_character(model, texts) -> float:
    """An RNNLanguageModel's bits per character of ``texts`` (each text's end included)."""
    total, n_tokens = model._total_log_likelihood(texts)
    return -total / n_tokens / math.log(2)


END = "\x00"  # the end-of-text symbol of the n-gram model


class AbsoluteDiscountingNgram:
    """Character n-gram model with interpolated absolute discounting (Ney et al. 1994).

    ``p(c | h) = max(n(h, c) - D, 0) / n(h) + D * N1+(h) / n(h) * p(c | h')``, where
    ``h'`` drops the oldest character of ``h``, ``D = n1 / (n1 + 2 n2)`` per order, and the
    recursion ends in the uniform distribution over the training characters plus one
    unknown-character slot. Histories never seen fall through to the shorter history.
    """

    def __init__(self, order=5):
        self.order = order

    def fit(self, texts):
        self.counts = [defaultdict(Counter) for _ in range(self.order)]
        for text in texts:
            padded = END * (self.order - 1) + text + END
            for i in range(self.order - 1, len(padded)):
                for n in range(self.order):
                    self.counts[n][padded[i - n : i]][padded[i]] += 1
        self.alphabet = {c for text in texts for c in text} | {END}
        self.discounts = []
        for n in range(self.order):
            frequency = Counter(v for counter in self.counts[n].values() for v in counter.values())
            n1, n2 = frequency[1], frequency[2]
            self.discounts.append(n1 / (n1 + 2 * n2) if n1 + n2 else 0.5)
        self.totals = [{h: sum(c.values()) for h, c in level.items()} for level in self.counts]
        return self

    def probability(self, history, char):
        p = 1.0 / (len(self.alphabet) + 1)
        for n in range(self.order):
            h = history[len(history) - n :] if n else ""
            total = self.totals[n].get(h)
            if not total:
                continue
            counter = self.counts[n][h]
            d = self.discounts[n]
            p = max(counter.get(char, 0) - d, 0) / total + d * len(counter) / total * p
        return p

    def bits(self, texts) -> tuple[float, int]:
        total, symbols = 0.0, 0
        for text in texts:
            padded = END * (self.order - 1) + text + END
            for i in range(self.order - 1, len(padded)):
                total -= math.log2(self.probability(padded[i - self.order + 1 : i], padded[i]))
                symbols += 1
        return total, symbols

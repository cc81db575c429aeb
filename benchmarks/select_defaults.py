"""How the defaults were chosen: candidate settings scored by cross-validation inside
the training splits of the visible suite (the test splits are never read here).

Each candidate is one set of settings for every data set. For each data set, its
training split is cut into stratified folds (3, or fewer where a class has fewer
members); the candidate is fitted on all folds but one and scored on the one left out.
The table gives each candidate's mean CV accuracy (R^2 for GasPrices) per data set, the
mean over the classification sets, its mean rank, and the median fit time; a second
table its mean CV log-loss, which still ranks candidates where accuracy saturates at
1.000. The test splits are scored once, with the chosen defaults, by ``bench_defaults.py``.

Usage::

    python benchmarks/select_defaults.py                      # all candidates
    python benchmarks/select_defaults.py --candidates A B     # some of them
    python benchmarks/select_defaults.py --task regression    # also: tagging, text
    python benchmarks/select_defaults.py --task regression --candidates R1 U1 U2 U3
                                          # the default against what users run instead
    python benchmarks/select_defaults.py --task text --folds-seed 1   # other folds
    python benchmarks/select_defaults.py --candidates F H --repeats 3 # 3 splits into folds
    python benchmarks/select_defaults.py --task units         # raw units: the scaling,
    python benchmarks/select_defaults.py --task units_regression   # the shrinkage and
    python benchmarks/select_defaults.py --task units_forecasting  # the M1 forecaster
    python benchmarks/select_defaults.py --task text_regression    # the regressor's
                                          # pooling for text (Syllables)
    python benchmarks/select_defaults.py --task long          # long univariate series
    python benchmarks/select_defaults.py --task language_model    # the character
                                          # language model (--folds-seed: its seed)
    python benchmarks/select_defaults.py --task seq2seq       # spelling to sound
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

import numpy as np
import torch
from common import (
    CLASSIFICATION,
    REGRESSION,
    auto_frame_size,
    bits_per_character,
    char_count_forest,
    char_ngram_ridge,
    five_gram_bits_per_character,
    fortunes_split,
    g2p_split,
    language_model_split,
    load_series,
    m1_forecast_split,
    m1_growth_split,
    markdown_table,
    mase_smape,
    minirocket,
    naive_and_drift,
    ner_split,
    padded_ridge,
    random_forest,
    rescaled,
    statistical_forecasts,
    syllables_split,
)
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import VotingRegressor
from sklearn.metrics import log_loss
from sklearn.model_selection import KFold, RepeatedKFold, StratifiedKFold
from skorch.callbacks import Callback

from sk_rnn import RNNClassifier, RNNLanguageModel, RNNRegressor, RNNSeq2Seq, RNNTagger
from sk_rnn._modules.convolution import ConvolutionBranch
from sk_rnn.forecasting import RNNForecaster
from sk_rnn.metrics import entity_f1_score

# Settings shared by every candidate below: every setting a candidate was scored with is
# pinned here or in the candidate, so that a re-run reproduces the documented figures
# whatever the defaults are today. The candidates were scored with frames for at most 64
# model steps, the "auto" budget then (see settings_for); F is the 128 of the default.
COMMON = dict(
    standardize=True,
    model_steps=64,
    hidden_size=64,
    num_layers=1,
    batch_size=32,
    max_epochs="auto",
    early_stopping="auto",
    lr_schedule="cosine",
    lr=3e-3,
    optimizer=torch.optim.AdamW,
    clip_grad_norm=5.0,
    dropout=0.2,
    conv_channels=None,
)
CANDIDATES = {
    "A: LSTM-64 bi, mean": dict(cell="lstm", bidirectional=True, pooling="mean"),
    "B: LSTM-64 bi, mean, conv 64": dict(
        cell="lstm", bidirectional=True, pooling="mean", conv_channels=64
    ),
    "C: GRU-64 bi, mean, conv 64": dict(
        cell="gru", bidirectional=True, pooling="mean", conv_channels=64
    ),
    "D: LSTM-64 bi, last, conv 64": dict(
        cell="lstm", bidirectional=True, pooling="last", conv_channels=64
    ),
    "E: LSTM-64 uni, last": dict(cell="lstm", bidirectional=False, pooling="last"),
    "F: B, 128 model steps": dict(
        cell="lstm", bidirectional=True, pooling="mean", conv_channels=64, model_steps=128
    ),
    "G: B, 128 channels": dict(cell="lstm", bidirectional=True, pooling="mean", conv_channels=128),
}
# A round on F, today's default, scored by CV log-loss too (accuracy saturates at 1.000 on
# the small sets, BasicMotions among them, and cannot rank candidates there).
CANDIDATES |= {
    name: {**CANDIDATES["F: B, 128 model steps"], **change}
    for name, change in {
        "H: F, dropout 0.5": dict(dropout=0.5),
        "I: F, batches of 16": dict(batch_size=16),
        "J: F, weight decay 0.1": dict(optimizer_params={"weight_decay": 0.1}),
        "K: F, max pooling": dict(pooling="max"),
        "L: F, GRU": dict(cell="gru"),
        "M: F, mean and max pooling joined": dict(pooling="mean_max"),
        "N: F, attention pooling": dict(pooling="attention"),
    }.items()
}


def settings_for(cfg, X):
    """The estimator settings of candidate ``cfg`` on training series ``X``.

    ``model_steps`` is the budget of ``frame_size="auto"``: frames such that the median
    series has at most that many model steps, as "auto" computes them.
    """
    settings = {**COMMON, **cfg, "random_state": 0}
    settings["frame_size"] = auto_frame_size([len(x) for x in X], settings.pop("model_steps"))
    return settings


# The training settings every text and tagging candidate was scored with.
TRAINING = dict(
    hidden_size=64,
    num_layers=1,
    bidirectional=True,
    batch_size=32,
    max_epochs="auto",
    early_stopping="auto",
    lr=3e-3,
    lr_schedule="cosine",
    optimizer=torch.optim.AdamW,
    clip_grad_norm=5.0,
)
# Taggers: scored by 3-fold CV (entity F1) inside the 240 training sentences.
# Every tagger candidate pins the settings it was scored with (T1-T9 read neither the
# 128-d embeddings nor the affixes of the tagger's default), so that a re-run
# reproduces them.
TAGGER_BASE = dict(
    TRAINING,
    crf=True,
    cell="lstm",
    dropout=0.5,
    tokenizer="word",
    lowercase=True,
    min_frequency=1,
    token_dropout=0.5,
    character_features=False,
)
TAGGER_BEFORE = dict(TAGGER_BASE, embedding_dim=64, affix_features=False)
TAGGER_CANDIDATES = {
    "T1: CRF, dropout 0.5, token dropout 0.5": dict(
        TAGGER_BEFORE, crf=True, dropout=0.5, token_dropout=0.5
    ),
    "T2: CRF, dropout 0.2, token dropout 0.2": dict(
        TAGGER_BEFORE, crf=True, dropout=0.2, token_dropout=0.2
    ),
    "T3: softmax, dropout 0.5, token dropout 0.5": dict(
        TAGGER_BEFORE, crf=False, dropout=0.5, token_dropout=0.5
    ),
    "T4: T1, batches of 8": dict(TAGGER_BEFORE, crf=True, batch_size=8),
    "T5: T1, batches of 8, lr 0.005, 60 epochs": dict(
        TAGGER_BEFORE, crf=True, batch_size=8, lr=0.005, max_epochs=60
    ),
    "T6: T1, hidden 128": dict(TAGGER_BEFORE, crf=True, hidden_size=128),
    # The text classifier's recipe, part by part.
    "T7: T1, GRU": dict(TAGGER_BEFORE, cell="gru"),
    "T8: T1, embeddings of 128": dict(TAGGER_BEFORE, embedding_dim=128),
    "T9: T1, words seen once as <unk>, token dropout 0.2": dict(
        TAGGER_BEFORE, min_frequency=2, token_dropout=0.2
    ),
    # What the feature CRF reads and T8 did not: affixes and shape (today's default).
    "T10: T8, affixes and shape": dict(TAGGER_BASE, embedding_dim=128, affix_features=True),
}
# Text: stratified 3-fold CV inside the training texts. Every candidate pins the settings
# it was scored with, so that a re-run reproduces the documented figures whatever today's
# defaults are. The first round started from the classifier's text settings then:
TEXT_BEFORE = dict(
    TRAINING,
    tokenizer="word",
    cell="lstm",
    pooling="mean",
    dropout=0.2,
    conv_channels=64,
    lowercase=True,
    min_frequency=1,
    embedding_dim=None,  # 64
    token_dropout=0.2,
)
X4 = {**TEXT_BEFORE, "conv_channels": None, "token_dropout": 0.5}  # the first round's choice
# The second round's choice: the recipe bench_text.py found on a development split inside
# the training texts, with the automatic epochs. The third round added the layout (X24).
TEXT_RECIPE = dict(
    TRAINING,
    tokenizer="word",
    cell="gru",
    pooling="max",
    dropout=0.5,
    conv_channels=None,
    lowercase=False,
    min_frequency=2,
    embedding_dim=128,
    token_dropout=0.2,
)
X18 = {**X4, "cell": "gru", "pooling": "max", "dropout": 0.5}
TEXT_CANDIDATES = {
    "X1: token dropout 0.2": TEXT_BEFORE,
    "X2: no token dropout": {**TEXT_BEFORE, "token_dropout": 0.0},
    "X3: no convolution branch": {**TEXT_BEFORE, "conv_channels": None},
    "X4: no convolution branch, token dropout 0.5": X4,
    "X5: X4, embeddings of 128": {**X4, "embedding_dim": 128},
    "X6: X4, words seen twice": {**X4, "min_frequency": 2},
    "X7: X4, line breaks and tabs as tokens": {**X4, "tokenizer": "word_layout"},
    "X8: X4, max pooling": {**X4, "pooling": "max"},
    "X9: text benchmark recipe (12 epochs)": {**TEXT_RECIPE, "max_epochs": 12},
    "X10: X4, GRU": {**X4, "cell": "gru"},
    "X11: X4, max pooling, dropout 0.5": {**X4, "pooling": "max", "dropout": 0.5},
    "X12: X4, case kept": {**X4, "lowercase": False},
    "X13: X9, LSTM": {**TEXT_RECIPE, "cell": "lstm", "max_epochs": 12},
    "X14: text benchmark recipe, epochs auto": TEXT_RECIPE,
    "X15: X14's token settings only": {
        **X4,
        **{k: TEXT_RECIPE[k] for k in ("lowercase", "min_frequency", "embedding_dim")},
        "token_dropout": 0.2,
    },
    "X16: X14, mean pooling": {**TEXT_RECIPE, "pooling": "mean"},
    "X17: X14, dropout 0.2": {**TEXT_RECIPE, "dropout": 0.2},
    "X18: GRU, max pooling, dropout 0.5": X18,
    "X19: X18, token dropout 0.2": {**X18, "token_dropout": 0.2},
    "X20: X14, embeddings of 64": {**TEXT_RECIPE, "embedding_dim": 64},
    "X21: X14, hidden 128": {**TEXT_RECIPE, "hidden_size": 128},
    "X22: X14, 2 layers": {**TEXT_RECIPE, "num_layers": 2},
    "X23: X14, batches of 64": {**TEXT_RECIPE, "batch_size": 64},
    # The third round's choice, today's text default.
    "X24: X14, line breaks and tabs as tokens": {**TEXT_RECIPE, "tokenizer": "word_layout"},
}
# The regressor on GasPrices: repeated 3-fold CV inside its 20 training series. R1 is the
# regressor's default of the rounds R1-R25, pinned; the others change it.
R1 = dict(
    cell="lstm",
    hidden_size=64,
    bidirectional=True,
    pooling="mean",
    conv_channels=64,
    dropout=0.2,
    standardize=True,
    frame_size="auto",
    batch_size=32,
    max_epochs="auto",
    early_stopping="auto",
    lr=3e-3,
    lr_schedule="cosine",
    optimizer=torch.optim.AdamW,
    clip_grad_norm=5.0,
)
REGRESSOR_CANDIDATES = {
    name: {**R1, **change}
    for name, change in {
        "R1: the default of rounds 1-5": {},
        "R4: 100 epochs": dict(max_epochs=100),
        "R6: no convolution branch": dict(conv_channels=None),
        "R7: no convolution branch, 100 epochs": dict(conv_channels=None, max_epochs=100),
        "R8: no convolution branch, 50 epochs": dict(conv_channels=None, max_epochs=50),
        "R9: no convolution branch, 200 epochs": dict(conv_channels=None, max_epochs=200),
        "R10: 30 epochs": dict(max_epochs=30),
        "R13: 60 epochs": dict(max_epochs=60),
        "R14: 15 epochs": dict(max_epochs=15),
        # Levers that do not tie the training length to this one data set's size.
        "R15: weight decay 0.1": dict(optimizer_params={"weight_decay": 0.1}),
        "R16: dropout 0.5": dict(dropout=0.5),
        "R17: hidden 32": dict(hidden_size=32),
        "R18: batches of 8": dict(batch_size=8),
        "R19: lr 0.001": dict(lr=1e-3),
        "R20: unidirectional": dict(bidirectional=False),
        "R23: max pooling": dict(pooling="max"),
        "R24: mean and max pooling joined": dict(pooling="mean_max"),
        "R25: attention pooling": dict(pooling="attention"),
    }.items()
}
REGRESSOR_CANDIDATES |= {
    # Not settings: ways of fitting, each a function of the seed that makes the model.
    "R21: epochs chosen on held-out thirds": lambda seed: HeldOutEpochsRegressor(seed),
    "R22: mean of 3 seeds": lambda seed: VotingRegressor(
        [(f"seed {s}", RNNRegressor(**R1, random_state=3 * seed + s)) for s in range(3)]
    ),
    # Not candidates: what a user would run instead (bench_defaults.py), on the same folds,
    # to show how the CV inside the training split ranks the default against them.
    "U1: ridge on padded series": lambda seed: Anchor(padded_ridge),
    "U2: random forest on summary statistics": lambda seed: Anchor(
        lambda X, y, X_test: random_forest(True, X, y, X_test, seed=seed)
    ),
    "U3: MiniRocket": lambda seed: Anchor(
        lambda X, y, X_test: minirocket(True, X, y, X_test, seed=seed)
    ),
}


class Anchor(RegressorMixin, BaseEstimator):
    """A ``fit_predict(X, y, X_test)`` function of bench_defaults.py as an estimator."""

    def __init__(self, fit_predict):
        self.fit_predict = fit_predict

    def fit(self, X, y):
        self.X_, self.y_ = X, y
        return self

    def predict(self, X):
        return self.fit_predict(self.X_, self.y_, X)


class StopAfter(Callback):
    """Stop a run after ``epochs`` epochs, whatever its ``max_epochs`` (the lr schedule's
    length) says."""

    def __init__(self, epochs):
        self.epochs = epochs

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) >= self.epochs:
            raise KeyboardInterrupt  # how skorch's own EarlyStopping ends a run


class HeldOutEpochsRegressor(RegressorMixin, BaseEstimator):
    """The default regressor, trained for the number of epochs at which the mean
    validation loss of three runs, each holding out a random third of the training data,
    was lowest; then trained on all of it, on the same lr schedule, stopped there."""

    def __init__(self, seed=0, repeats=3, epochs=500):
        self.seed = seed
        self.repeats = repeats
        self.epochs = epochs

    def fit(self, X, y):
        curves = []
        for repeat in range(self.repeats):
            run = RNNRegressor(
                **{**R1, "max_epochs": self.epochs},
                early_stopping=True,
                validation_fraction=1 / 3,
                n_iter_no_change=self.epochs,
                random_state=100 * self.seed + repeat,
            )
            curves.append(run.fit(X, y).history_[:, "valid_loss"])
        self.best_epochs_ = int(np.argmin(np.mean(curves, axis=0))) + 1
        self.model_ = RNNRegressor(
            **{**R1, "max_epochs": self.epochs},
            callbacks=[StopAfter(self.best_epochs_)],
            random_state=self.seed,
        ).fit(X, y)
        return self

    def predict(self, X):
        return self.model_.predict(X)


def tagging_cv(settings, folds_seed=0):
    X, _, y, _ = ner_split()
    scores = []
    for train, test in KFold(3, shuffle=True, random_state=folds_seed).split(X):
        model = RNNTagger(**settings).fit([X[i] for i in train], [y[i] for i in train])
        scores.append(entity_f1_score([y[i] for i in test], model.predict([X[i] for i in test])))
    return float(np.mean(scores))


def text_cv(settings, folds_seed=0):
    X, _, y, _ = fortunes_split()
    X, y = np.asarray(X, dtype=object), np.asarray(y)
    scores = []
    folds = StratifiedKFold(3, shuffle=True, random_state=folds_seed)
    for train, test in folds.split(X, y):
        model = RNNClassifier(**settings).fit(list(X[train]), y[train])
        scores.append(model.score(list(X[test]), y[test]))
    return float(np.mean(scores))


def rmse_relative_to_mean(predicted, train_targets, test_targets) -> float:
    """Test RMSE over that of predicting the training mean (below 1 beats the mean)."""
    mean_error = np.sqrt(np.mean((train_targets.mean() - test_targets) ** 2))
    return float(np.sqrt(np.mean((predicted - test_targets) ** 2)) / mean_error)


def regression_cv(settings, folds_seed=0):
    """Test-fold RMSE relative to predicting the training fold's mean (below 1 is better).

    3-fold CV repeated 3 times, for seeds 0 and 1: 20 series make single splits noisy.
    """
    X, y = load_series("GasPrices", "train")
    ratios = []
    for seed in (0, 1):
        for train, test in RepeatedKFold(n_splits=3, n_repeats=3, random_state=folds_seed).split(X):
            if callable(settings):
                model = settings(seed)
            else:
                model = RNNRegressor(**{**settings, "random_state": seed})
            predicted = model.fit([X[i] for i in train], y[train]).predict([X[i] for i in test])
            ratios.append(rmse_relative_to_mean(predicted, y[train], y[test]))
    return float(np.mean(ratios))


# -- raw units (issue 33): every candidate is today's default with one setting changed ----

# Each scored on every classification set and on its rescaled copy (common.rescaled, seed
# 0); the rule: the highest mean CV accuracy over the 16.
UNITS_CANDIDATES = {
    "P0: one global scale (before)": dict(standardize="global"),
    "J: each series on its own": dict(standardize="per_series"),
    "auto: per series beyond two decades": dict(standardize="auto"),
}
# The rule: the lowest worst-task CV RMSE relative to the mean (a default must not lose
# to the mean anywhere), then the lowest mean.
SHRINK_CANDIDATES = {
    "no shrinkage": dict(shrink_to_mean=False),
    "shrunk to the mean, 3 folds": dict(shrink_to_mean=True),
}
# The regressor's pooling for text, on the suite's text regression (Syllables): today's
# default otherwise. Rule: the lowest CV RMSE relative to the mean, over seeds 0-2.
TEXT_REGRESSOR_CANDIDATES = {
    "T0: max pooling (before)": dict(pooling="max"),
    "T1: mean pooling": dict(pooling="mean"),
    "T2: last step": dict(pooling="last"),
    "T3: mean and max joined": dict(pooling="mean_max"),
    "T4: attention pooling": dict(pooling="attention"),
    # Not candidates: what users run instead (bench_raw_units.py), on the same folds.
    "U1: TF-IDF character ridge": lambda seed: Anchor(char_ngram_ridge),
    "U2: forest on character counts": lambda seed: Anchor(
        lambda X, y, X_test: char_count_forest(X, y, X_test, seed=seed)
    ),
}
# M1 yearly with the last 6 years never read: forecast the 6 before them. The network as
# RNNForecaster builds it by default (pinned here, as scored).
DEFAULT_REGRESSOR = dict(
    cell="gru",
    hidden_size=32,
    bidirectional=False,
    pooling="last",
    conv_channels=None,
    dropout=0.0,
    max_epochs=200,
    lr=3e-3,
    lr_schedule="constant",
    optimizer=torch.optim.Adam,
    early_stopping="auto",
    shrink_to_mean=False,
)
FORECASTER_CANDIDATES = {
    "series scaling, 200 epochs (before)": dict(
        scaling="series", regressor=RNNRegressor(**{**DEFAULT_REGRESSOR, "early_stopping": False})
    ),
    "window scaling, 200 epochs": dict(
        regressor=RNNRegressor(**{**DEFAULT_REGRESSOR, "early_stopping": False})
    ),
    "window scaling, 50 epochs": dict(
        regressor=RNNRegressor(**{**DEFAULT_REGRESSOR, "max_epochs": 50, "early_stopping": False})
    ),
    "window scaling, early stopping (default)": {},
    "window scaling, log": dict(log=True),
}


def units_cv(settings, folds_seed=0):
    """Mean CV accuracy on the classification sets, original and rescaled."""
    scores = []
    for data_set in CLASSIFICATION:
        X, y = load_series(data_set, "train")
        for copy in (X, rescaled(X, 0)):
            make = lambda: RNNClassifier(**settings)  # noqa: E731
            accuracy, _, _ = cv_score(make, copy, y, regression=False, seed=folds_seed)
            scores.append(accuracy)
            print(f"  {data_set:18s} {accuracy:.3f}", flush=True)
    return float(np.mean(scores))


def units_regression_cv(settings, folds_seed=0):
    """The worst task's CV RMSE relative to the fold's mean (GasPrices: 3 folds
    repeated 3 times; M1 growth and Syllables: 3 folds)."""
    X_m1, y_m1, _, _ = m1_growth_split()
    words, counts, _, _ = syllables_split()
    tasks = {
        "GasPrices": (*load_series("GasPrices", "train"), 3),
        "M1 growth": (X_m1, y_m1, 1),
        "Syllables": (words, counts, 1),
    }
    worst = 0.0
    for name, (X, y, repeats) in tasks.items():
        ratios = []
        folds = RepeatedKFold(n_splits=3, n_repeats=repeats, random_state=folds_seed)
        for train, test in folds.split(X):
            model = RNNRegressor(**settings).fit([X[i] for i in train], y[train])
            predicted = model.predict([X[i] for i in test])
            ratios.append(rmse_relative_to_mean(predicted, y[train], y[test]))
        print(f"  {name:12s} {np.mean(ratios):.3f}", flush=True)
        worst = max(worst, float(np.mean(ratios)))
    return worst


def text_regression_cv(settings, folds_seed=0):
    """Syllables: CV RMSE relative to the fold's mean (3 folds), the mean over seeds 0-2."""
    words, counts, _, _ = syllables_split()
    ratios = []
    for seed in (0, 1, 2):
        for train, test in KFold(3, shuffle=True, random_state=folds_seed).split(words):
            if callable(settings):
                model = settings(seed)
            else:
                model = RNNRegressor(**{**settings, "random_state": seed})
            model.fit([words[i] for i in train], counts[train])
            predicted = model.predict([words[i] for i in test])
            ratios.append(rmse_relative_to_mean(predicted, counts[train], counts[test]))
        print(f"  seed {seed}: {np.mean(ratios[-3:]):.4f}", flush=True)
    return float(np.mean(ratios))


# Long univariate series, where frames of 12-16 steps may blur what happens inside each:
# the defaults against frames that also carry their minimum, maximum and slope, and
# against twice the model steps. Scored on the two long sets first; a candidate that led
# on both would then go over the whole suite.
LONG_SETS = ("ACSF1", "PigCVP")
LONG_CANDIDATES = {
    "L1: the defaults": dict(),
    "L2: frames with their minimum, maximum and slope": dict(frame_summaries=True),
    "L3: 256 model steps": dict(model_steps=256),
    "L4: the convolutions dilated 1, 2 and 4": dict(dilations=(1, 2, 4)),
    "L5: the convolutions dilated 1, 2 and 2": dict(dilations=(1, 2, 2)),
    "L6: the convolutions dilated 1, 1 and 2": dict(dilations=(1, 1, 2)),
    "L7: L5 with L2's frame summaries": dict(frame_summaries=True, dilations=(1, 2, 2)),
}


@contextlib.contextmanager
def dilated_convolutions(dilations):
    """The convolution branch with its three convolutions dilated, each padded to keep
    every step centred (a candidate measured here, not an option of the package)."""
    original = ConvolutionBranch.__init__

    def dilated_init(self, input_size, channels):
        original(self, input_size, channels)
        for convolution, dilation in zip(self.convolutions, dilations, strict=True):
            convolution.dilation = (dilation,)
            convolution.padding = (dilation * (convolution.kernel_size[0] // 2),)

    ConvolutionBranch.__init__ = dilated_init
    try:
        yield
    finally:
        ConvolutionBranch.__init__ = original


def frames_with_summaries(X, frame_size):
    """Each univariate series cut into frames of ``frame_size`` steps (the last one
    padded with its last value), each frame followed by its minimum, maximum and
    least-squares slope."""
    centred = np.arange(frame_size) - (frame_size - 1) / 2
    framed = []
    for x in X:
        values = np.asarray(x, dtype=np.float64)[:, 0]
        padded_length = -(-len(values) // frame_size) * frame_size
        values = np.concatenate([values, np.full(padded_length - len(values), values[-1])])
        frames = values.reshape(-1, frame_size)
        slope = (frames - frames.mean(1, keepdims=True)) @ centred / (centred @ centred)
        columns = [frames, frames.min(1), frames.max(1), slope]
        framed.append(np.column_stack(columns).astype(np.float32))
    return framed


def long_cv(settings, folds_seed=0):
    """Mean CV accuracy over ``LONG_SETS``, each set's accuracy, log-loss and fit time
    printed."""
    settings = dict(settings)
    summaries = settings.pop("frame_summaries", False)
    model_steps = settings.pop("model_steps", 128)  # frame_size="auto"'s budget
    dilations = settings.pop("dilations", None)
    accuracies = []
    for data_set in LONG_SETS:
        X, y = load_series(data_set, "train")
        frame_size = auto_frame_size([len(x) for x in X], model_steps)
        here = {**settings, "frame_size": 1 if summaries else frame_size}
        if summaries:
            X = frames_with_summaries(X, frame_size)
        make = lambda s=here: RNNClassifier(**s)  # noqa: E731
        with dilated_convolutions(dilations) if dilations else contextlib.nullcontext():
            accuracy, loss, seconds = cv_score(make, X, np.asarray(y), False, seed=folds_seed)
        print(f"  {data_set:8s} {accuracy:.3f} log-loss {loss:.3f} {seconds:.1f}s", flush=True)
        accuracies.append(accuracy)
    return float(np.mean(accuracies))


# -- the character language model (issue 49): inside the training texts of
# bench_language_model.py's split, their last tenth held out, seeds 0, 1 and 2
# (--folds-seed) for the leaders. The rule: the lowest held-out bits/char within 300 s of
# fit; within the spread between seeds, the cheaper. Each candidate states its lr and
# weight drop: the defaults moved after the first round (M1-M9), and the later rounds'
# candidates were measured against those of M8.
LANGUAGE_MODEL_FIRST_ROUND = dict(lr=3e-3, weight_drop=0.0)
_LANGUAGE_MODEL_SETTINGS = {
    "M1: LSTM-256, 3,000 steps (the defaults before)": dict(hidden_size=256),
    "M2: LSTM-256, 4,200 steps": dict(hidden_size=256, optimizer_steps=4200),
    "M3: M2 with weight drop 0.25": dict(hidden_size=256, optimizer_steps=4200, weight_drop=0.25),
    "M4: M3 without dropout": dict(
        hidden_size=256, optimizer_steps=4200, weight_drop=0.25, dropout=0.0
    ),
    "M5: LSTM-512": dict(hidden_size=512),
    "M6: two layers of LSTM-256": dict(hidden_size=256, num_layers=2),
    "M7: GRU-512": dict(cell="gru", hidden_size=512),
    "M8: LSTM-384 (the defaults before)": dict(hidden_size=384),
    "M9: LSTM-384, 24 epochs (about 4,000 steps)": dict(hidden_size=384, max_epochs=24),
    "M10: LSTM-384, dropout 0.3": dict(hidden_size=384, dropout=0.3),
    "M11: LSTM-384, weight drop 0.2": dict(hidden_size=384, weight_drop=0.2),
    "M12: LSTM-384, lr 0.005": dict(hidden_size=384, lr=5e-3),
    "M13: LSTM-448": dict(hidden_size=448),
    "M14: LSTM-384, tied weights (embeddings of 384)": dict(
        hidden_size=384, embedding_dim=384, tie_weights=True
    ),
    "M15: LSTM-384, weight drop 0.3": dict(hidden_size=384, weight_drop=0.3),
    "M16: M11 at lr 0.005 (the defaults)": dict(hidden_size=384, weight_drop=0.2, lr=5e-3),
    "M17: M16, 3,800 steps": dict(hidden_size=384, weight_drop=0.2, lr=5e-3, optimizer_steps=3800),
    "M18: M16 at lr 0.008": dict(hidden_size=384, weight_drop=0.2, lr=8e-3),
}
LANGUAGE_MODEL_CANDIDATES = {
    name: {**LANGUAGE_MODEL_FIRST_ROUND, **settings}
    for name, settings in _LANGUAGE_MODEL_SETTINGS.items()
}


def with_step_budget(model, steps):
    """``model``, whose ``max_epochs="auto"`` aims for ``steps`` optimizer steps (None:
    its class's budget), its batches counted as the estimator counts them."""
    if steps is not None:
        model._auto_updates = steps
    return model


def language_model_cv(settings, folds_seed=0):
    """Bits per character on the last tenth of the training texts (one split, no folds:
    ``folds_seed`` seeds the model); ``optimizer_steps``: see :func:`with_step_budget`."""
    train, _ = language_model_split()
    cut = int(0.9 * len(train))
    fit_texts, held_out = train[:cut], train[cut:]
    settings = {"tokenizer": "char", **settings, "random_state": folds_seed}
    steps = settings.pop("optimizer_steps", None)
    model = with_step_budget(RNNLanguageModel(**settings), steps)
    start = time.perf_counter()
    model.fit(fit_texts)
    seconds = time.perf_counter() - start
    five_gram = five_gram_bits_per_character(model, fit_texts, held_out)
    bits = bits_per_character(model, held_out)
    print(
        f"  {bits:.3f} bits/char ({bits / five_gram:.3f}x the 5-gram's {five_gram:.3f}), "
        f"{len(model.history_)} epochs, {seconds:.0f} s fit",
        flush=True,
    )
    return bits


# -- spelling to sound (issue 49): inside the 50,000 CMUdict training words of
# bench_defaults.py, a tenth held out at random (seed 0). The rule: the lowest held-out
# word error rate (greedy decoding) with a fit within 600 s; within 0.01 (about the
# standard error of a rate near 0.38 on 5,000 words), the cheaper.
SEQ2SEQ_CANDIDATES = {
    "S1: the defaults (LSTM-128, 12,000 steps)": dict(),
    "S2: LSTM-256": dict(hidden_size=256),
    "S3: 24,000 steps": dict(optimizer_steps=24_000),
    "S4: additive attention": dict(attention="additive"),
    "S5: the defaults, beam search of 5": dict(beam_size=5),
}


def seq2seq_cv(settings, folds_seed=0):
    """Word error rate on a tenth of the training words (``folds_seed`` seeds the model);
    ``optimizer_steps``: see :func:`with_step_budget`."""
    words, phonemes, _, _ = g2p_split(50_000)
    order = np.random.default_rng(0).permutation(len(words))
    cut = int(0.9 * len(words))
    fit, held_out = order[:cut], order[cut:]
    settings = {**settings, "random_state": folds_seed}
    steps = settings.pop("optimizer_steps", None)
    start = time.perf_counter()
    model = with_step_budget(RNNSeq2Seq(**settings), steps)
    model.fit([words[i] for i in fit], [phonemes[i] for i in fit])
    seconds = time.perf_counter() - start
    predicted = model.predict([words[i] for i in held_out])
    wrong = np.mean(
        [list(p) != list(phonemes[i]) for p, i in zip(predicted, held_out, strict=True)]
    )
    print(f"  WER {wrong:.3f}, {len(model.history_)} epochs, {seconds:.0f} s fit", flush=True)
    return float(wrong)


def units_forecasting_cv(settings, folds_seed=0):
    """MASE on M1's validation split (the 6 years before the last 6)."""
    histories, futures = m1_forecast_split(validation=True)
    if settings.get("random_state") == 0:  # the anchors on the same split, for comparison
        anchors = {**naive_and_drift(histories), **statistical_forecasts(histories)}
        for name, forecasts in anchors.items():
            print(f"  {name:12s} {mase_smape(histories, futures, forecasts)[0]:.3f}")
    model = RNNForecaster(horizon=6, **settings).fit(histories)
    return mase_smape(histories, futures, model.forecast(6))[0]


def cv_score(make, X, y, regression, seed=0, repeats=1):
    """Mean CV score (accuracy, or R^2), mean CV log-loss (NaN for regression) and the
    median fit seconds, over ``repeats`` splits into folds (seeds ``seed``, ``seed + 1``, ...)."""
    scores, losses, times = [], [], []
    for repeat in range(repeats):
        if regression:
            folds = KFold(3, shuffle=True, random_state=seed + repeat).split(X)
        else:
            n_folds = min(3, int(np.unique(y, return_counts=True)[1].min()))
            folds = StratifiedKFold(n_folds, shuffle=True, random_state=seed + repeat).split(X, y)
        for train, test in folds:
            model = make()
            start = time.perf_counter()
            model.fit([X[i] for i in train], y[train])
            times.append(time.perf_counter() - start)
            held_out = [X[i] for i in test]
            scores.append(model.score(held_out, y[test]))
            if not regression:
                probabilities = model.predict_proba(held_out)
                losses.append(log_loss(y[test], probabilities, labels=model.classes_))
    loss = float(np.mean(losses)) if losses else float("nan")
    return float(np.mean(scores)), loss, float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", nargs="*", help="candidate name prefixes (A, B, ...)")
    parser.add_argument("--sets", nargs="*", default=list(CLASSIFICATION + REGRESSION))
    parser.add_argument(
        "--task",
        choices=[
            "series",
            "tagging",
            "text",
            "regression",
            "units",
            "units_regression",
            "units_forecasting",
            "text_regression",
            "long",
            "language_model",
            "seq2seq",
        ],
        default="series",
    )
    parser.add_argument("--folds-seed", type=int, default=0, help="seed of the folds")
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="series: how many splits into folds (seeds folds-seed, folds-seed + 1, ...)",
    )
    args = parser.parse_args()
    if args.task != "series":
        candidates, score = {
            "tagging": (TAGGER_CANDIDATES, tagging_cv),
            "text": (TEXT_CANDIDATES, text_cv),
            "regression": (REGRESSOR_CANDIDATES, regression_cv),
            "units": (UNITS_CANDIDATES, units_cv),
            "units_regression": (SHRINK_CANDIDATES, units_regression_cv),
            "units_forecasting": (FORECASTER_CANDIDATES, units_forecasting_cv),
            "text_regression": (TEXT_REGRESSOR_CANDIDATES, text_regression_cv),
            "long": (LONG_CANDIDATES, long_cv),
            "language_model": (LANGUAGE_MODEL_CANDIDATES, language_model_cv),
            "seq2seq": (SEQ2SEQ_CANDIDATES, seq2seq_cv),
        }[args.task]
        for name, cfg in candidates.items():
            if args.candidates and name.split(":")[0] not in args.candidates:
                continue
            start = time.perf_counter()
            settings = cfg if callable(cfg) else {**cfg, "random_state": 0}
            value = score(settings, folds_seed=args.folds_seed)
            print(f"{name:48s} {value:.3f} {time.perf_counter() - start:.0f}s", flush=True)
        return
    chosen = {
        name: cfg
        for name, cfg in CANDIDATES.items()
        if not args.candidates or name.split(":")[0] in args.candidates
    }
    results = {}
    for data_set in args.sets:
        X, y = load_series(data_set, "train")
        regression = data_set in REGRESSION
        for name, cfg in chosen.items():
            settings = settings_for(cfg, X)
            if regression:
                make = lambda s=settings: RNNRegressor(**s)  # noqa: E731
            else:
                make = lambda s=settings: RNNClassifier(**s)  # noqa: E731
            results[name, data_set] = cv_score(
                make, X, y, regression, seed=args.folds_seed, repeats=args.repeats
            )
            accuracy, loss, seconds = results[name, data_set]
            print(
                f"{data_set:18s} {name:32s} {accuracy:.3f} log-loss {loss:.3f} {seconds:.1f}s",
                flush=True,
            )
    classification = [s for s in args.sets if s not in REGRESSION]
    ranks = {name: [] for name in chosen}
    for data_set in args.sets:
        order = sorted(chosen, key=lambda n: -results[n, data_set][0])
        for rank, name in enumerate(order, 1):
            ranks[name].append(rank)
    rows = []
    for name in chosen:
        row = [name] + [f"{results[name, s][0]:.3f}" for s in args.sets]
        row.append(f"{statistics.mean(results[name, s][0] for s in classification):.3f}")
        row.append(f"{statistics.mean(ranks[name]):.2f}")
        row.append(f"{statistics.median(results[name, s][2] for s in args.sets):.1f}")
        rows.append(row)
    headers = ["candidate", *args.sets, "mean CV acc.", "mean rank", "median fit s"]
    print(markdown_table(headers, rows))
    if classification:
        print("\nCV log-loss (lower is better):\n")
        rows = [
            [name]
            + [f"{results[name, s][1]:.3f}" for s in classification]
            + [f"{statistics.mean(results[name, s][1] for s in classification):.3f}"]
            for name in chosen
        ]
        print(markdown_table(["candidate", *classification, "mean"], rows))


if __name__ == "__main__":
    main()

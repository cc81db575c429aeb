"""Metrics for sequences of labels and for forecasts, and scorers for
``GridSearchCV(scoring=...)``.

For labels, ``y_true`` and ``y_pred`` are lists of label sequences, as
:meth:`RNNTagger.predict` returns them, or lists of output sequences, as
:meth:`RNNSeq2Seq.predict` returns them. Entity-level scores are computed by seqeval (the
implementation of the CoNLL ``conlleval`` script that the NER literature reports).

For forecasts, ``y_true`` and ``y_pred`` are one series' future values and its forecast
(1-D), or many series' (a list of 1-D arrays, or a 2-D array with one row per series);
the scaled errors (MASE, RMSSE) also take each series' training history ``y_train``.
With many series, each metric is computed per series and averaged over them, as the
forecasting competitions (M3, M4, M5) score.

Examples
--------
>>> from sk_rnn.metrics import entity_f1_score, token_accuracy_score
>>> y_true = [["B-PER", "I-PER", "O"], ["B-LOC", "O"]]
>>> y_pred = [["B-PER", "I-PER", "O"], ["B-PER", "O"]]
>>> token_accuracy_score(y_true, y_pred)
0.8
>>> entity_f1_score(y_true, y_pred)
0.5
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import make_scorer

__all__ = [
    "token_accuracy_score",
    "sentence_accuracy_score",
    "entity_precision_score",
    "entity_recall_score",
    "entity_f1_score",
    "token_accuracy_scorer",
    "sentence_accuracy_scorer",
    "entity_f1_scorer",
    "edit_distance",
    "token_error_rate",
    "token_error_rate_scorer",
    "mean_absolute_scaled_error",
    "root_mean_squared_scaled_error",
    "symmetric_mean_absolute_percentage_error",
    "interval_coverage",
    "pinball_loss",
    "mase_scorer",
    "rmsse_scorer",
    "smape_scorer",
    "FORECAST_ERRORS",
]

# Scheme name -> seqeval's class name (seqeval calls BIOES "IOBES").
SCHEMES = {"IOB1": "IOB1", "IOB2": "IOB2", "BIOES": "IOBES", "IOBES": "IOBES", "BILOU": "BILOU"}


def _check_label_sequences(y_true, y_pred) -> tuple[list[list], list[list]]:
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true has {len(y_true)} sequences but y_pred has {len(y_pred)}; they must "
            "match one to one."
        )
    true_lists, pred_lists = [], []
    for i, (truth, guess) in enumerate(zip(y_true, y_pred, strict=True)):
        if isinstance(truth, str) or isinstance(guess, str):
            raise TypeError(f"Sample {i} is a string; pass one sequence of labels per sample.")
        truth, guess = list(truth), list(guess)
        if len(truth) != len(guess):
            raise ValueError(
                f"Sample {i} has {len(truth)} true labels but {len(guess)} predicted labels."
            )
        true_lists.append(truth)
        pred_lists.append(guess)
    return true_lists, pred_lists


def token_accuracy_score(y_true, y_pred, *, sample_weight=None) -> float:
    """Fraction of all steps (tokens) whose label is predicted correctly.

    ``sample_weight`` weights whole sequences (each of their steps).
    """
    true_lists, pred_lists = _check_label_sequences(y_true, y_pred)
    lengths = [len(t) for t in true_lists]
    pairs = zip(true_lists, pred_lists, strict=True)
    correct = np.array([a == b for t, p in pairs for a, b in zip(t, p, strict=True)], dtype=float)
    weights = None if sample_weight is None else np.repeat(sample_weight, lengths)
    return float(np.average(correct, weights=weights))


def sentence_accuracy_score(y_true, y_pred, *, sample_weight=None) -> float:
    """Fraction of sequences whose labels are all predicted correctly."""
    true_lists, pred_lists = _check_label_sequences(y_true, y_pred)
    exact = [t == p for t, p in zip(true_lists, pred_lists, strict=True)]
    return float(np.average(exact, weights=sample_weight))


def _seqeval(function, y_true, y_pred, scheme):
    true_lists, pred_lists = _check_label_sequences(y_true, y_pred)
    true_lists = [[str(label) for label in t] for t in true_lists]
    pred_lists = [[str(label) for label in p] for p in pred_lists]
    if scheme is None:
        return float(function(true_lists, pred_lists, zero_division=0))
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {sorted(SCHEMES)} or None, got {scheme!r}.")
    from seqeval import scheme as schemes

    return float(
        function(
            true_lists,
            pred_lists,
            mode="strict",
            scheme=getattr(schemes, SCHEMES[scheme]),
            zero_division=0,
        )
    )


_SCHEME_DOC = """
    Parameters
    ----------
    y_true, y_pred : list of sequences of str
        True and predicted tags (e.g. ``"B-PER"``, ``"I-PER"``, ``"O"``).
    scheme : {"IOB1", "IOB2", "BIOES", "IOBES", "BILOU"} or None, default=None
        ``None`` reads entities as CoNLL's ``conlleval`` does (an ``I-`` tag after an
        ``O`` still starts an entity). A scheme evaluates strictly: an entity counts
        only if its tags are well formed in that scheme and match exactly.
"""


def entity_precision_score(y_true, y_pred, *, scheme=None) -> float:
    from seqeval.metrics import precision_score

    return _seqeval(precision_score, y_true, y_pred, scheme)


def entity_recall_score(y_true, y_pred, *, scheme=None) -> float:
    from seqeval.metrics import recall_score

    return _seqeval(recall_score, y_true, y_pred, scheme)


def entity_f1_score(y_true, y_pred, *, scheme=None) -> float:
    from seqeval.metrics import f1_score

    return _seqeval(f1_score, y_true, y_pred, scheme)


entity_precision_score.__doc__ = (
    "Micro-averaged precision of the predicted entities (exact span and type).\n" + _SCHEME_DOC
)
entity_recall_score.__doc__ = (
    "Micro-averaged recall of the true entities (exact span and type).\n" + _SCHEME_DOC
)
entity_f1_score.__doc__ = (
    "Micro-averaged F1 of entities (exact span and type), the standard NER score.\n" + _SCHEME_DOC
)

#: Scorer for ``GridSearchCV(scoring=...)``: token accuracy of ``estimator.predict``.
token_accuracy_scorer = make_scorer(token_accuracy_score)
#: Scorer: fraction of sequences labelled entirely correctly.
sentence_accuracy_scorer = make_scorer(sentence_accuracy_score)
#: Scorer: entity-level F1 (conlleval reading); for a strict scheme use
#: ``make_scorer(entity_f1_score, scheme="IOB2")``.
entity_f1_scorer = make_scorer(entity_f1_score)


def edit_distance(a, b) -> int:
    """Levenshtein distance between two sequences: the fewest insertions, deletions and
    substitutions of single items that turn ``a`` into ``b``."""
    a, b = list(a), list(b)
    previous = list(range(len(b) + 1))
    for i, item in enumerate(a, start=1):
        current = [i]
        for j, other in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (item != other))
            )
        previous = current
    return previous[-1]


def token_error_rate(y_true, y_pred, *, sample_weight=None) -> float:
    """Edit distance between predicted and true sequences per true token.

    The sum over samples of :func:`edit_distance` divided by the total length of the
    true sequences: the word error rate of speech recognition, or the phoneme error
    rate of grapheme-to-phoneme conversion. Strings are compared character by
    character, token lists token by token. Lower is better; it can exceed 1.

    ``sample_weight`` weights each sample's edits and length.
    """
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true has {len(y_true)} sequences but y_pred has {len(y_pred)}; they must "
            "match one to one."
        )
    weights = np.ones(len(y_true)) if sample_weight is None else np.asarray(sample_weight)
    edits = np.array([edit_distance(t, p) for t, p in zip(y_true, y_pred, strict=True)])
    lengths = np.array([len(t) for t in y_true])
    if not np.any(lengths * weights):
        raise ValueError("The true sequences are all empty; the token error rate is undefined.")
    return float(np.dot(edits, weights) / np.dot(lengths, weights))


def token_error_rate_scorer(estimator, X, y, sample_weight=None) -> float:
    """Scorer for ``GridSearchCV(scoring=...)``: the negated :func:`token_error_rate`.

    For an :class:`~sk_rnn.RNNSeq2Seq` (not wrapped in a pipeline), predictions and
    targets are compared token by token as the model splits them (``target_tokenizer``);
    otherwise as :func:`token_error_rate` compares ``estimator.predict(X)`` with ``y``.
    """
    if hasattr(estimator, "predict_tokens"):
        truth = estimator.tokenize_targets(y)
        predicted = estimator.predict_tokens(X)
    else:
        truth, predicted = y, estimator.predict(X)
    return -token_error_rate(truth, predicted, sample_weight=sample_weight)


# -- forecasts -------------------------------------------------------------------------


def _series(values, name: str, n_series: int | None = None) -> list[np.ndarray]:
    """``values`` as a list of 1-D float64 arrays, one per series: a 1-D array is one
    series; a list of arrays, or a 2-D array (a row per series), is many."""
    if isinstance(values, list | tuple) and len(values) and np.ndim(values[0]) > 0:
        series = [np.asarray(v, dtype=np.float64) for v in values]
    else:
        array = np.asarray(values, dtype=np.float64)
        if array.ndim not in (1, 2):
            raise ValueError(
                f"{name} has shape {array.shape}; pass one series (1-D), or many (a list of "
                "1-D arrays, or a 2-D array with one row per series)."
            )
        series = [array] if array.ndim == 1 else list(array)
    for i, s in enumerate(series):
        if s.ndim != 1:
            raise ValueError(f"Series {i} of {name} has shape {s.shape}; each must be 1-D.")
    if n_series is not None and len(series) != n_series:
        raise ValueError(f"{name} has {len(series)} series, but y_true has {n_series}.")
    return series


def _paired_series(y_true, y_pred) -> list[tuple[np.ndarray, np.ndarray]]:
    truth = _series(y_true, "y_true")
    forecasts = _series(y_pred, "y_pred", len(truth))
    for i, (t, f) in enumerate(zip(truth, forecasts, strict=True)):
        if len(t) != len(f):
            raise ValueError(f"Series {i} has {len(t)} true values but {len(f)} forecasts.")
        if not len(t):
            raise ValueError(f"Series {i} has no values to score.")
        if not (np.isfinite(t).all() and np.isfinite(f).all()):
            raise ValueError(f"Series {i} has a true value or forecast that is NaN or infinite.")
    return list(zip(truth, forecasts, strict=True))


def _naive_scales(y_train, n_series: int, season_length: int, power: int) -> list[float]:
    """Per series, the in-sample error of the seasonal naive forecast (the value
    ``season_length`` steps before): its mean absolute value (``power=1``, MASE) or root
    mean square (``power=2``, RMSSE), over the steps where both values are observed."""
    if not (isinstance(season_length, int | np.integer) and season_length >= 1):
        raise ValueError(f"season_length must be a positive integer, got {season_length!r}.")
    scales = []
    for i, history in enumerate(_series(y_train, "y_train", n_series)):
        changes = history[season_length:] - history[:-season_length]
        changes = np.abs(changes[np.isfinite(changes)])
        if not len(changes):
            raise ValueError(
                f"Series {i} of y_train has no two observed values {season_length} step(s) "
                "apart: its naive error, the scale of the scaled errors, is undefined."
            )
        scale = changes.mean() if power == 1 else np.sqrt(np.mean(changes**2))
        if scale == 0:
            raise ValueError(
                f"Series {i} of y_train is constant ({season_length} step(s) apart): its "
                "naive forecast makes no error, so scaled errors are undefined. Score it "
                "with symmetric_mean_absolute_percentage_error instead."
            )
        scales.append(float(scale))
    return scales


def mean_absolute_scaled_error(y_true, y_pred, *, y_train, season_length=1) -> float:
    """Mean absolute scaled error (MASE; Hyndman and Koehler 2006): the forecast's mean
    absolute error divided by that of the seasonal naive forecast in the training
    history; below 1 beats the naive forecast in-sample. Averaged over series with many.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (horizon,); a list of them, or a 2-D array
        The true future values and the forecasts: one series, or one per series.
    y_train : array-like, or a list of them
        Each series' training history (NaN steps are skipped in the scale).
    season_length : int, default=1
        The naive forecast's lag: 1 repeats the last value, 12 the same month last year.

    Examples
    --------
    >>> from sk_rnn.metrics import mean_absolute_scaled_error
    >>> mean_absolute_scaled_error([5, 6], [5, 8], y_train=[1, 2, 3, 4])
    1.0
    """
    pairs = _paired_series(y_true, y_pred)
    scales = _naive_scales(y_train, len(pairs), season_length, power=1)
    errors = [np.mean(np.abs(t - f)) / s for (t, f), s in zip(pairs, scales, strict=True)]
    return float(np.mean(errors))


def root_mean_squared_scaled_error(y_true, y_pred, *, y_train, season_length=1) -> float:
    """Root mean squared scaled error (RMSSE, the M5 competition's score): the forecast's
    root mean squared error divided by that of the seasonal naive forecast in the
    training history. Parameters as :func:`mean_absolute_scaled_error`."""
    pairs = _paired_series(y_true, y_pred)
    scales = _naive_scales(y_train, len(pairs), season_length, power=2)
    errors = [np.sqrt(np.mean((t - f) ** 2)) / s for (t, f), s in zip(pairs, scales, strict=True)]
    return float(np.mean(errors))


def symmetric_mean_absolute_percentage_error(y_true, y_pred) -> float:
    """Symmetric mean absolute percentage error (sMAPE, as M3 and M4 score it), as a
    fraction in [0, 2] (times 100 for the percentages those competitions report):
    the mean of ``2 |y - f| / (|y| + |f|)``, a step where both are 0 counting 0.

    Examples
    --------
    >>> from sk_rnn.metrics import symmetric_mean_absolute_percentage_error
    >>> symmetric_mean_absolute_percentage_error([100, 0], [50, 0])
    0.3333333333333333
    """
    errors = []
    for t, f in _paired_series(y_true, y_pred):
        total = np.abs(t) + np.abs(f)
        ratio = np.divide(2 * np.abs(t - f), total, out=np.zeros_like(total), where=total > 0)
        errors.append(np.mean(ratio))
    return float(np.mean(errors))


def interval_coverage(y_true, lower, upper) -> float:
    """The share of true values inside their prediction interval ``[lower, upper]``
    (over all steps of all series): 0.9 for well-calibrated 90% intervals."""
    low = _paired_series(y_true, lower)
    high = _paired_series(y_true, upper)
    inside = [(lo <= t) & (t <= hi) for (t, lo), (_, hi) in zip(low, high, strict=True)]
    return float(np.mean(np.concatenate(inside)))


def pinball_loss(y_true, y_quantiles, quantiles) -> float:
    """Mean pinball (quantile) loss of quantile forecasts, averaged over the
    ``quantiles``, steps and series: for the quantile ``q`` forecast ``f`` of ``y``,
    ``q (y - f)`` when ``y >= f`` and ``(1 - q) (f - y)`` otherwise. Lower is better;
    for ``q = 0.5`` it is half the absolute error.

    Parameters
    ----------
    y_true : array-like of shape (horizon,), or a list of them (one per series)
    y_quantiles : array-like of shape (horizon, n_quantiles), or a list of them
        The forecasts of each quantile, as :meth:`RNNForecaster.predict_quantiles`
        returns them.
    quantiles : sequence of float in (0, 1)
    """
    quantiles = np.asarray(quantiles, dtype=np.float64).reshape(-1)
    if not len(quantiles) or not ((quantiles > 0) & (quantiles < 1)).all():
        raise ValueError(f"quantiles must be numbers in (0, 1), got {quantiles.tolist()}.")
    truth = _series(y_true, "y_true")
    one = not (isinstance(y_true, list | tuple) or np.ndim(y_true) == 2)
    forecasts = [np.asarray(y_quantiles, dtype=np.float64)] if one else list(y_quantiles)
    if len(forecasts) != len(truth):
        raise ValueError(f"y_quantiles has {len(forecasts)} series, but y_true has {len(truth)}.")
    losses = []
    for i, (t, f) in enumerate(zip(truth, forecasts, strict=True)):
        f = np.asarray(f, dtype=np.float64)
        if f.shape != (len(t), len(quantiles)):
            raise ValueError(
                f"Series {i} of y_quantiles has shape {f.shape}; it needs "
                f"({len(t)}, {len(quantiles)}): a forecast per step and quantile."
            )
        below = t[:, None] - f
        losses.append(np.mean(np.maximum(quantiles * below, (quantiles - 1) * below)))
    return float(np.mean(losses))


def _forecast_scorer(metric, doc: str):
    def scorer(estimator, X, y=None) -> float:
        return -estimator._forecast_error(X, metric)

    scorer.__doc__ = doc
    return scorer


mase_scorer = _forecast_scorer(
    mean_absolute_scaled_error,
    """Scorer for a forecaster in ``GridSearchCV(scoring=...)``: minus the MASE of its
    forecast of ``X`` (future steps in the layout of fit), scaled by each series'
    history as the forecaster holds it, one season back where it has a season (what
    :meth:`RNNForecaster.score` returns).""",
)
rmsse_scorer = _forecast_scorer(
    root_mean_squared_scaled_error,
    """Scorer for a forecaster: minus the RMSSE of its forecast of ``X``.""",
)


def _smape_beside_history(y_true, y_pred, y_train, season_length=1) -> float:
    """sMAPE with the scaled errors' signature (it reads no history)."""
    return symmetric_mean_absolute_percentage_error(y_true, y_pred)


smape_scorer = _forecast_scorer(
    _smape_beside_history, """Scorer for a forecaster: minus the sMAPE of its forecast of ``X``."""
)

# The forecast errors by name, each called as ``error(y_true, y_pred, y_train=...)``
# (sk_rnn.forecasting.backtest scores every origin with them).
FORECAST_ERRORS = {
    "mase": mean_absolute_scaled_error,
    "rmsse": root_mean_squared_scaled_error,
    "smape": _smape_beside_history,
}

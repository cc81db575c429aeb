"""Metrics for sequences of labels, and scorers for ``GridSearchCV(scoring=...)``.

``y_true`` and ``y_pred`` are lists of label sequences, as :meth:`RNNTagger.predict`
returns them, or lists of output sequences, as :meth:`RNNSeq2Seq.predict` returns them.
Entity-level scores are computed by seqeval (the implementation of the
CoNLL ``conlleval`` script that the NER literature reports).

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

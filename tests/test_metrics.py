"""Sequence-label metrics, checked against hand-counted cases."""

import pytest

from sk_rnn.metrics import (
    entity_f1_score,
    entity_precision_score,
    entity_recall_score,
    sentence_accuracy_score,
    token_accuracy_score,
)

Y_TRUE = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG", "I-ORG"]]
Y_PRED = [["B-PER", "I-PER", "O", "O"], ["O", "B-ORG", "I-ORG"]]


def test_token_and_sentence_accuracy():
    assert token_accuracy_score(Y_TRUE, Y_PRED) == pytest.approx(6 / 7)
    assert sentence_accuracy_score(Y_TRUE, Y_PRED) == 0.5
    assert token_accuracy_score(Y_TRUE, Y_PRED, sample_weight=[0, 1]) == 1.0
    assert sentence_accuracy_score(Y_TRUE, Y_PRED, sample_weight=[1, 3]) == 0.75


def test_entity_scores():
    # True entities: PER, LOC, ORG; predicted: PER, ORG (both right).
    assert entity_precision_score(Y_TRUE, Y_PRED) == 1.0
    assert entity_recall_score(Y_TRUE, Y_PRED) == pytest.approx(2 / 3)
    assert entity_f1_score(Y_TRUE, Y_PRED) == pytest.approx(0.8)


def test_schemes():
    # "I-PER" after "O": conlleval reads an entity; strict IOB2 does not.
    y_true = [["O", "B-PER", "I-PER"]]
    y_pred = [["O", "I-PER", "I-PER"]]
    assert entity_f1_score(y_true, y_pred) == 1.0
    assert entity_f1_score(y_true, y_pred, scheme="IOB2") == 0.0
    bioes = [["S-PER", "O", "B-LOC", "E-LOC"]]
    assert entity_f1_score(bioes, bioes, scheme="BIOES") == 1.0
    with pytest.raises(ValueError, match="scheme must be one of"):
        entity_f1_score(y_true, y_pred, scheme="XYZ")


def test_mismatched_inputs():
    with pytest.raises(ValueError, match="Sample 1 has 3 true labels but 2 predicted"):
        token_accuracy_score(Y_TRUE, [Y_PRED[0], ["O", "O"]])
    with pytest.raises(ValueError, match="2 sequences but y_pred has 1"):
        entity_f1_score(Y_TRUE, Y_PRED[:1])
    with pytest.raises(TypeError, match="Sample 0 is a string"):
        sentence_accuracy_score(["BIO"], ["BIO"])

"""Sequence-label and forecast metrics, checked against hand-counted cases."""

import numpy as np
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


# -- forecasts ---------------------------------------------------------------------------


def test_scaled_errors_divide_by_the_naive_error_in_the_history():
    from sk_rnn.metrics import mean_absolute_scaled_error, root_mean_squared_scaled_error

    history = np.array([1.0, 3.0, 2.0, 4.0])  # naive changes 2, 1, 2
    truth, forecast = np.array([5.0, 6.0]), np.array([4.0, 8.0])
    mae, naive = 1.5, 5 / 3
    mase = mean_absolute_scaled_error(truth, forecast, y_train=history)
    assert mase == pytest.approx(mae / naive)
    rmse, naive_rms = np.sqrt(2.5), np.sqrt(3.0)
    assert root_mean_squared_scaled_error(truth, forecast, y_train=history) == pytest.approx(
        rmse / naive_rms
    )
    # A season: the naive forecast is the value two steps before (changes 1, 1).
    seasonal = mean_absolute_scaled_error(truth, forecast, y_train=history, season_length=2)
    assert seasonal == pytest.approx(1.5)
    # Many series: the mean of each one's MASE; gaps in a history are skipped.
    many = mean_absolute_scaled_error(
        [truth, truth], np.array([forecast, truth]), y_train=[history, [1.0, np.nan, 3.0, 4.0]]
    )
    assert many == pytest.approx((mae / naive + 0.0) / 2)


def test_smape_coverage_and_pinball():
    from sk_rnn.metrics import (
        interval_coverage,
        pinball_loss,
        symmetric_mean_absolute_percentage_error,
    )

    assert symmetric_mean_absolute_percentage_error([100, 0], [50, 0]) == pytest.approx(1 / 3)
    assert interval_coverage([1.0, 2.0, 3.0, 4.0], [0, 0, 0, 5], [2, 2, 2, 6]) == 0.5
    truth = np.array([1.0, 2.0, 4.0])
    forecast = np.array([2.0, 2.0, 2.0])
    # q = 0.5: half the absolute error; q = 0.9 punishes forecasts below the truth more.
    assert pinball_loss(truth, forecast[:, None], [0.5]) == pytest.approx(0.5 * 1.0)
    high = pinball_loss(truth, forecast[:, None], [0.9])
    assert high == pytest.approx((0.1 * 1 + 0 + 0.9 * 2) / 3)
    both = pinball_loss([truth, truth], [np.c_[forecast, forecast]] * 2, [0.5, 0.9])
    assert both == pytest.approx((0.5 + high) / 2)


def test_forecast_metrics_refuse_what_they_cannot_score():
    from sk_rnn.metrics import mean_absolute_scaled_error, pinball_loss

    with pytest.raises(ValueError, match="Series 0 of y_train is constant"):
        mean_absolute_scaled_error([1.0], [2.0], y_train=[3.0, 3.0, 3.0])
    with pytest.raises(ValueError, match="Series 1 has 2 true values but 1 forecasts"):
        mean_absolute_scaled_error([[1.0], [1.0, 2.0]], [[1.0], [1.0]], y_train=[[0, 1]] * 2)
    with pytest.raises(ValueError, match="y_train has 1 series, but y_true has 2"):
        mean_absolute_scaled_error([[1.0], [2.0]], [[1.0], [2.0]], y_train=[0.0, 1.0])
    with pytest.raises(ValueError, match="NaN or infinite"):
        mean_absolute_scaled_error([np.nan], [2.0], y_train=[0.0, 1.0])
    with pytest.raises(ValueError, match="season_length must be a positive integer"):
        mean_absolute_scaled_error([1.0], [2.0], y_train=[0.0, 1.0], season_length=0)
    with pytest.raises(ValueError, match="quantiles must be numbers in"):
        pinball_loss([1.0], [[1.0]], [1.5])
    with pytest.raises(ValueError, match=r"needs \(1, 2\)"):
        pinball_loss([1.0], [[1.0]], [0.1, 0.9])

import numpy as np
import pytest

from sk_rnn import RNNRegressor
from sk_rnn._modules import CELLS

# No convolution branch: with one, the sum is learned without the recurrent cell under test.
FAST = dict(hidden_size=16, conv_channels=None, max_epochs=30, lr=0.01, random_state=0)


@pytest.mark.parametrize("cell", CELLS)
def test_learns_sum_of_ragged_sequence(sum_data, cell):
    (X, y), (X_test, y_test) = sum_data
    reg = RNNRegressor(cell=cell, **FAST).fit(X, y)
    assert reg.score(X_test, y_test) > 0.85


def test_predictions_in_original_units_and_shapes(sum_data):
    (X, y), _ = sum_data
    big = 1000.0 + 50.0 * y
    reg = RNNRegressor(**FAST).fit(X, big)
    pred = reg.predict(X)
    assert pred.shape == (len(X),) and pred.dtype == np.float64
    assert abs(pred.mean() - big.mean()) < 0.2 * big.std()
    np.testing.assert_allclose(reg.target_mean_, [big.mean()])

    two = np.column_stack([y, -2 * y])
    multi = RNNRegressor(**FAST).fit(X, two)
    assert multi.n_outputs_ == 2
    assert multi.predict(X).shape == (len(X), 2)
    assert multi.score(X, two) > 0.8
    column = RNNRegressor(hidden_size=4, max_epochs=1).fit(X, y[:, None])
    assert column.predict(X[:3]).shape == (3, 1)


def test_constant_target_is_not_divided_by_zero():
    X = [np.ones((3, 1))] * 10
    reg = RNNRegressor(hidden_size=4, max_epochs=1).fit(X, [5.0] * 10)
    np.testing.assert_array_equal(reg.target_scale_, [1.0])
    assert np.isfinite(reg.predict(X)).all()


def test_no_predict_proba():
    assert not hasattr(RNNRegressor(), "predict_proba")


@pytest.mark.parametrize(
    "y, match",
    [
        ([1.0, np.nan, 2.0], "NaN"),
        ([1.0, 2.0], "3 sequences in X, 2 targets"),
        (np.zeros((3, 2, 2)), "dim"),
    ],
)
def test_bad_targets(y, match):
    with pytest.raises(ValueError, match=match):
        RNNRegressor(max_epochs=1).fit([np.zeros((2, 1))] * 3, y)

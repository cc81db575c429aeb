"""Gaps (NaN) in numeric input, learned from: imputed values, observed flags and the time
since each feature was last observed (issue 46, the estimators' part)."""

import pickle

import numpy as np
import pytest

import sk_rnn
from sk_rnn import RNNClassifier, RNNRegressor, RNNTagger
from sk_rnn._gaps import gap_channels
from sk_rnn._sequences import Sequences


def silent_channel(n, rng):
    """The label is which of two noise channels goes silent for six steps: only the gaps
    carry it."""
    X, y = [], []
    for i in range(n):
        x = rng.normal(size=(20, 2))
        start = rng.integers(2, 12)
        x[start : start + 6, i % 2] = np.nan
        X.append(x)
        y.append(i % 2)
    return X, np.array(y)


def test_gap_channels_impute_flag_and_count_steps_since_observed():
    x = np.array([[np.nan, 1.0], [2.0, np.nan], [np.nan, np.nan], [4.0, 5.0]], np.float32)
    sequences = Sequences.from_list([x, np.array([[np.nan, 7.0]], np.float32)])
    fill = np.array([10.0, 20.0])
    last, observed, since = gap_channels(sequences, "last", fill)
    np.testing.assert_array_equal(
        last.values[:4], [[3.0, 1.0], [2.0, 1.0], [2.0, 1.0], [4.0, 5.0]]
    )  # before its first observation, a feature takes its sequence's mean (2 and 4: 3)
    np.testing.assert_array_equal(last.values[4], [10.0, 7.0])  # never observed: the fill
    np.testing.assert_array_equal(observed[:4], [[0, 1], [1, 0], [0, 0], [1, 1]])
    np.testing.assert_allclose(np.expm1(since[:4]), [[1, 0], [0, 1], [1, 2], [0, 0]])
    mean, _, _ = gap_channels(sequences, "mean", fill)
    np.testing.assert_array_equal(mean.values[:4, 1], [1.0, 3.0, 3.0, 5.0])
    zero, _, _ = gap_channels(sequences, "zero", fill)
    np.testing.assert_array_equal(zero.values[:3, 0], [10.0, 2.0, 10.0])


def test_the_classifier_learns_from_which_channel_went_silent():
    rng = np.random.default_rng(0)
    X, y = silent_channel(200, rng)
    X_test, y_test = silent_channel(100, rng)
    model = RNNClassifier(hidden_size=16, max_epochs=20, random_state=0).fit(X, y)
    assert model.input_gaps_ == "last"
    assert model.net_.module_.encoder.input_vector_size == 6  # values, observed flags, time since
    assert model.score(X_test, y_test) >= 0.95
    # The values alone, gaps filled, say less: the flags are what the network reads.
    filled = [np.nan_to_num(x) for x in X]
    plain = RNNClassifier(hidden_size=16, max_epochs=20, random_state=0, missing="error")
    plain.fit(filled, y)
    assert plain.score([np.nan_to_num(x) for x in X_test], y_test) < model.score(X_test, y_test)


@pytest.mark.parametrize("missing", ["last", "mean", "zero"])
def test_gaps_predict_alike_after_save_load_and_pickle(tmp_path, missing):
    rng = np.random.default_rng(1)
    X, y = silent_channel(40, rng)
    model = RNNClassifier(hidden_size=4, max_epochs=2, random_state=0, missing=missing)
    model.fit(X, y)
    assert model.input_gaps_ == missing
    model.save(tmp_path / "m.safetensors")
    loaded = sk_rnn.load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    unpickled = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(unpickled.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.transform(X), model.transform(X))


def test_a_step_with_every_feature_missing_is_a_step():
    rng = np.random.default_rng(2)
    X, y = silent_channel(20, rng)
    X[0][3] = np.nan  # every feature of one step
    model = RNNRegressor(hidden_size=4, max_epochs=2, random_state=0).fit(X, y * 1.0)
    assert np.isfinite(model.predict(X)).all()
    model.partial_fit(X, y * 1.0)


def test_the_tagger_and_per_step_regression_read_gaps():
    rng = np.random.default_rng(3)
    X, _ = silent_channel(30, rng)
    silent = [np.isnan(x[:, 0]).astype(int) for x in X]
    tagger = RNNTagger(hidden_size=8, max_epochs=30, random_state=0, lr=0.02).fit(X, silent)
    accuracy = np.mean(np.concatenate(tagger.predict(X)) == np.concatenate(silent))
    assert accuracy > 0.95  # each step's label is whether it is observed
    steps = RNNRegressor(hidden_size=4, max_epochs=2, per_step=True).fit(X, silent)
    assert [len(p) for p in steps.predict(X[:3])] == [20, 20, 20]


def test_what_cannot_be_learned_from_is_refused():
    rng = np.random.default_rng(4)
    X, y = silent_channel(10, rng)
    with pytest.raises(ValueError, match="Sample 2 of X contains infinity"):
        RNNClassifier(max_epochs=1).fit(X[:2] + [np.full((3, 2), np.inf)] + X[3:], y)
    with pytest.raises(ValueError, match="Sample 1 of X has no observed value at all"):
        RNNClassifier(max_epochs=1).fit(X[:1] + [np.full((3, 2), np.nan)] + X[2:], y)
    with pytest.raises(ValueError, match="Sample 0 of X contains NaN"):
        RNNClassifier(max_epochs=1, missing="error").fit(X, y)
    complete = RNNClassifier(hidden_size=4, max_epochs=1).fit([np.nan_to_num(x) for x in X], y)
    assert complete.input_gaps_ is None  # no gaps in training: no gap channels
    with pytest.raises(ValueError, match="Sample 0 of X contains NaN"):
        complete.predict(X)


@pytest.mark.parametrize("missing", ["last", "mean", "zero"])
def test_the_onnx_runtime_reads_gaps_as_the_estimator_does(tmp_path, missing):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from sk_rnn import runtime

    X, y = silent_channel(40, np.random.default_rng(5))
    model = RNNClassifier(hidden_size=4, max_epochs=2, random_state=0, missing=missing)
    model.fit(X, y)
    exported = runtime.load(model.to_onnx(tmp_path / "m.onnx"))
    np.testing.assert_array_equal(exported.predict(X), model.predict(X))
    np.testing.assert_allclose(exported.predict_proba(X), model.predict_proba(X), atol=1e-4)
    with pytest.raises(ValueError, match="Sample 0 of X has no observed value"):
        exported.predict([np.full((3, 2), np.nan)])

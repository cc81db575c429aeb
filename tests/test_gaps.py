"""Gaps (NaN) in numeric input, learned from: imputed values, observed flags and the time
since each feature was last observed (issue 46, the estimators' part)."""

import pickle
import warnings

import numpy as np
import pytest

import sk_rnn
from sk_rnn import RNNClassifier, RNNRegressor, RNNTagger
from sk_rnn._gap_choice import gap_summaries, predicts_target
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
    # the line between the observations on either side; the nearest one beyond them
    linear, _, _ = gap_channels(sequences, "linear", fill)
    np.testing.assert_allclose(linear.values[:4], [[2, 1], [2, 7 / 3], [3, 11 / 3], [4, 5]])
    np.testing.assert_array_equal(linear.values[4], [10.0, 7.0])


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


@pytest.mark.parametrize("missing", ["last", "mean", "zero", "linear"])
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


def random_gaps(n, rng, share=0.2):
    """The label is the sign of the first feature's mean; values are missing at random,
    so where the gaps are says nothing about it."""
    X, y = [], []
    for i in range(n):
        x = rng.normal(size=(15, 2))
        x[:, 0] += 1.0 if i % 2 else -1.0
        x[rng.random(x.shape) < share] = np.nan
        x[0] = np.nan_to_num(x[0])  # every feature observed somewhere
        X.append(x)
        y.append(i % 2)
    return X, np.array(y)


def test_gap_summaries_say_where_each_feature_is_missing():
    x = np.zeros((8, 2))
    x[0:2, 0] = np.nan  # the first quarter of feature 0
    x[4:8, 1] = np.nan  # the second half of feature 1
    summaries = gap_summaries(Sequences.from_list([x, np.zeros((3, 2))]))
    # quarter by quarter, each feature's share of steps missing
    np.testing.assert_array_equal(summaries[0], [1, 0, 0, 0, 0, 1, 0, 1])
    np.testing.assert_array_equal(summaries[1], np.zeros(8))


def test_the_choice_sees_signal_in_gaps_and_none_in_random_gaps():
    rng = np.random.default_rng(0)
    labels = np.arange(200) % 3
    informative = np.eye(3)[labels] + rng.normal(0, 0.5, (200, 3))
    assert predicts_target(informative, labels, np.arange(200))
    assert not predicts_target(rng.normal(size=(200, 3)), labels, np.arange(200))
    values = informative[:, :1] * 2.0
    assert predicts_target(informative, values, np.arange(200))
    assert not predicts_target(rng.normal(size=(200, 3)), values, np.arange(200))
    assert not predicts_target(informative[:8], labels[:8], np.arange(8))  # too few to tell
    many_classes = np.arange(100) % 60  # the linear models' warnings stay inside the check
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        predicts_target(rng.normal(size=(100, 3)), many_classes, np.arange(100))


def test_auto_reads_the_channels_only_where_the_predicts_target(tmp_path):
    pytest.importorskip("onnxruntime")
    from sk_rnn import runtime

    rng = np.random.default_rng(6)
    X, y = random_gaps(120, rng)
    settings = dict(hidden_size=8, max_epochs=15, random_state=0)
    model = RNNClassifier(**settings).fit(X, y)
    assert model.input_gaps_ == "last" and model.input_gap_channels_ is False
    assert model.net_.module_.encoder.input_vector_size == 2  # the imputed values only
    assert model.score(*random_gaps(60, rng)) > 0.9
    forced = RNNClassifier(**settings, missing="last").fit(X, y)
    assert forced.input_gap_channels_ is True  # an imputation set by hand keeps them
    assert forced.net_.module_.encoder.input_vector_size == 6
    # Without the channels, gaps are read alike after saving, pickling and export.
    model.save(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(
        sk_rnn.load(tmp_path / "m.safetensors").predict_proba(X), model.predict_proba(X)
    )
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(model)).predict_proba(X), model.predict_proba(X)
    )
    exported = runtime.load(model.to_onnx(tmp_path / "m.onnx"))
    np.testing.assert_array_equal(exported.predict(X), model.predict(X))
    np.testing.assert_allclose(exported.predict_proba(X), model.predict_proba(X), atol=1e-4)
    # Per step, the choice reads each step's flags: a tag that says which steps are
    # missing keeps them; the random gaps' regression targets do not.
    silent = [np.isnan(x[:, 1]).astype(int) for x in X]
    tagger = RNNTagger(hidden_size=4, max_epochs=1).fit(X, silent)
    assert tagger.input_gap_channels_ is True
    steps = [np.nan_to_num(x[:, 0]) for x in X]
    regressor = RNNRegressor(hidden_size=4, max_epochs=1, per_step=True).fit(X, steps)
    assert regressor.input_gap_channels_ is False


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


@pytest.mark.parametrize("missing", ["last", "mean", "zero", "linear"])
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


def irregular_times(n, rng):
    """Noise whose label is only in the time between steps: bursts of quick steps come
    early in class 1 and late in class 0, with the same values and step counts."""
    X, times, y = [], [], []
    for i in range(n):
        steps = rng.exponential(1.0, 20)
        burst = slice(2, 8) if i % 2 else slice(12, 18)
        steps[burst] = 0.05
        X.append(rng.normal(size=(20, 1)))
        times.append(np.cumsum(steps))
        y.append(i % 2)
    return X, times, np.array(y)


def test_the_classifier_learns_from_the_time_between_steps():
    from sk_rnn import TimedSequences

    X, times, y = irregular_times(200, np.random.default_rng(0))
    settings = dict(hidden_size=16, max_epochs=20, random_state=0)
    timed = RNNClassifier(**settings).fit(TimedSequences(X, times), y)
    assert timed.input_time_scale_ == pytest.approx(np.median(np.diff(times, axis=1)))
    X_test, times_test, y_test = irregular_times(100, np.random.default_rng(1))
    assert timed.score(TimedSequences(X_test, times_test), y_test) > 0.9
    blind = RNNClassifier(**settings).fit(X, y)  # the values alone carry no label
    assert blind.input_time_scale_ is None and blind.score(X_test, y_test) < 0.7
    with pytest.raises(ValueError, match="reads the time between steps"):
        timed.predict(X_test)


def test_auto_reads_the_time_between_steps_only_where_the_timing_carries_signal():
    from sk_rnn import TimedSequences

    rng = np.random.default_rng(7)
    X, y = random_gaps(120, rng, share=0.0)  # the label is in the values
    times = [np.sort(rng.choice(40, 15, replace=False)).astype(float) for _ in X]
    settings = dict(hidden_size=4, max_epochs=1, random_state=0)
    model = RNNClassifier(**settings).fit(TimedSequences(X, times), y)
    assert model.input_time_scale_ is None  # steps kept at random: the timing is noise
    forced = RNNClassifier(**settings, elapsed=True).fit(TimedSequences(X, times), y)
    assert forced.input_time_scale_ is not None


def test_times_as_dates_read_in_seconds_and_regular_steps_add_nothing(tmp_path):
    from sk_rnn import TimedSequences

    X, times, y = irregular_times(40, np.random.default_rng(2))
    milliseconds = [np.round(t * 1000).astype(np.int64) for t in times]
    times = [t / 1000 for t in milliseconds]
    settings = dict(hidden_size=4, max_epochs=2, random_state=0)
    seconds = RNNClassifier(**settings).fit(TimedSequences(X, times), y)
    start = np.datetime64("2026-01-01T00:00:00")
    dates = [start + t.astype("timedelta64[ms]") for t in milliseconds]
    dated = RNNClassifier(**settings).fit(TimedSequences(X, dates), y)
    assert dated.input_time_scale_ == pytest.approx(seconds.input_time_scale_)
    np.testing.assert_allclose(
        dated.predict_proba(TimedSequences(X, dates)),
        seconds.predict_proba(TimedSequences(X, times)),
        atol=1e-5,
    )
    dated.save(tmp_path / "timed.safetensors")
    loaded = sk_rnn.load(tmp_path / "timed.safetensors")
    np.testing.assert_array_equal(
        loaded.predict_proba(TimedSequences(X, dates)),
        dated.predict_proba(TimedSequences(X, dates)),
    )
    copy = pickle.loads(pickle.dumps(dated))
    np.testing.assert_array_equal(
        copy.predict(TimedSequences(X, dates)), dated.predict(TimedSequences(X, dates))
    )
    with pytest.raises(ValueError, match="cannot be exported"):
        dated.to_onnx(tmp_path / "timed.onnx")
    regular = [np.arange(len(x), dtype=float) for x in X]
    plain = RNNClassifier(**settings).fit(X, y)
    same = RNNClassifier(**settings).fit(TimedSequences(X, regular), y)
    assert same.input_time_scale_ is None
    np.testing.assert_array_equal(same.predict_proba(X), plain.predict_proba(X))


def test_bad_times_are_refused_naming_the_sample():
    from sk_rnn import TimedSequences

    X = [np.ones((3, 1)), np.ones((2, 1))]
    with pytest.raises(ValueError, match="Sample 1 has 2 steps but 3 times"):
        TimedSequences(X, [[0, 1, 2], [0, 1, 2]])
    model = RNNClassifier(hidden_size=4, max_epochs=1, elapsed=True)
    with pytest.raises(ValueError, match="Sample 1 of X has times that do not increase"):
        model.fit(TimedSequences(X, [[0, 1, 2], [3, 3]]), [0, 1])
    with pytest.raises(ValueError, match="Sample 0 of X has a time that is NaN"):
        model.fit(TimedSequences(X, [[0, np.nan, 2], [0, 1]]), [0, 1])
    with pytest.raises(ValueError, match="elapsed=True needs each step's time"):
        model.fit(X, [0, 1])
    with pytest.raises(TypeError, match="times are numbers or dates"):
        TimedSequences(X, [["a", "b", "c"], ["a", "b"]])


def test_a_table_time_column_gives_the_times_to_every_numeric_estimator():
    import pandas as pd

    from sk_rnn import SequenceTable, TimedSequences

    X, times, y = irregular_times(30, np.random.default_rng(3))
    rows = [
        (i, t, v[0], y[i])
        for i, (x, ts) in enumerate(zip(X, times, strict=True))
        for t, v in zip(ts, x, strict=True)
    ]
    frame = pd.DataFrame(rows, columns=["id", "t", "v", "label"])
    table = SequenceTable(frame, id_column="id", time_column="t", target_column="label")
    settings = dict(hidden_size=4, max_epochs=2, random_state=0)
    tabled = RNNClassifier(**settings).fit(table, table.y)
    listed = RNNClassifier(**settings).fit(TimedSequences(X, times), y)
    assert tabled.input_time_scale_ == pytest.approx(listed.input_time_scale_)
    np.testing.assert_allclose(
        tabled.predict_proba(table), listed.predict_proba(TimedSequences(X, times)), atol=1e-6
    )
    steps = [(x[:, 0] > 0).astype(int) for x in X]
    # These tags do not depend on the timing: elapsed=True reads it all the same.
    tagger = RNNTagger(**settings, elapsed=True).fit(TimedSequences(X, times), steps)
    assert tagger.input_time_scale_ is not None
    assert [len(p) for p in tagger.predict(TimedSequences(X, times))] == [len(x) for x in X]
    regressor = RNNRegressor(**settings).fit(TimedSequences(X, times), y.astype(float))
    assert regressor.predict(TimedSequences(X, times)).shape == (30,)

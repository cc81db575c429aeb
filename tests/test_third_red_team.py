"""The fourteen problems a third red team found (issue 47), each reproduced as it was
reported, with tiny models: each test failed before its fix."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from skorch.callbacks import Callback
from test_persistence import _rewrite_header

import sk_rnn
from sk_rnn import (
    RNNClassifier,
    RNNForecaster,
    RNNRegressor,
    RNNTagger,
    SequenceVectorizer,
)

TINY = dict(hidden_size=8, max_epochs=2, random_state=0)


def _series(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(int(k), 2)) for k in rng.integers(3, 12, n)]


# -- 1 (high): a tagger with character features exports a file that predicts ----------------


def test_1_character_feature_tagger_exports_a_file_that_predicts_long_words(tmp_path):
    pytest.importorskip("onnx")
    from sk_rnn import runtime

    X = [["Anna", "saw", "Bob"], ["the", "cat", "slept"]] * 6
    y = [["B", "O", "B"], ["O", "O", "O"]] * 6
    tagger = RNNTagger(character_features=True, **TINY).fit(X, y)
    tagger.to_onnx(tmp_path / "t.onnx")
    model = runtime.load(tmp_path / "t.onnx")
    words = [["Anna"], ["Extraordinarily", "long", "words"], ["a"]]
    assert [p.tolist() for p in model.predict(words)] == [p.tolist() for p in tagger.predict(words)]
    for got, expected in zip(model.predict_proba(words), tagger.predict_proba(words), strict=True):
        np.testing.assert_allclose(got, expected, atol=1e-5)


# -- 2: a diverged fit is refused, not kept ---------------------------------------------------


@pytest.mark.parametrize("max_epochs", [1, 5])
def test_2_a_regressor_whose_fit_diverged_is_refused(max_epochs):
    X = [np.random.default_rng(i).normal(size=(8, 2)) for i in range(40)]
    model = RNNRegressor(hidden_size=8, max_epochs=max_epochs, lr=1e6, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"diverged.*lower lr \(now 1000000"):
            model.fit(X, np.arange(40.0))
    assert not hasattr(model, "net_")  # left unfitted, not predicting NaN


def test_2_a_classifier_whose_kept_weights_give_nan_is_refused():
    class Poison(Callback):  # weights that no longer give finite outputs, a finite loss
        def on_epoch_end(self, net, **kwargs):
            for parameter in net.module_.parameters():
                parameter.data.fill_(float("nan"))

    X, y = _series(), [0, 1] * 20
    with pytest.raises(ValueError, match="NaN or infinite outputs"):
        RNNClassifier(callbacks=[Poison()], **TINY).fit(X, y)


# -- 3: very small features are scaled, not taken for constants ------------------------------


def test_3_a_feature_in_tiny_units_scores_as_in_unit_ones():
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(10, 1)) for _ in range(60)]
    y = np.array([int(x[-1, 0] > 0) for x in X])
    scores = []
    for gain in (1.0, 1e-7):
        model = RNNClassifier(hidden_size=8, max_epochs=30, random_state=0, standardize=True)
        model.fit([x * gain for x in X], y)
        assert model.input_scale_[0] == pytest.approx(gain * np.concatenate(X).std(), rel=1e-3)
        scores.append(model.score([x * gain for x in X], y))
    assert scores[0] == pytest.approx(scores[1], abs=0.02)


# -- 4: one outlier does not wreck a flat series' forecast -----------------------------------


def test_4_an_outlier_leaves_a_flat_series_forecast_flat():
    series = np.r_[np.full(30, 5.0), 1e6, np.full(30, 5.0)]
    forecast = RNNForecaster(window=4, horizon=2, random_state=0).fit(series).forecast(4)
    assert np.abs(forecast - 5).max() < 1  # it was about [19513, 18652, 6748, 8539]


# -- 5: a datetime column is refused, not fitted as values -----------------------------------


def test_5_a_datetime_column_is_refused_naming_it():
    dates = pd.date_range("2020", periods=40)
    y = np.sin(np.arange(40) / 3)
    with pytest.raises(ValueError, match=r"column 'date' holds dates.*set_index\('date'\)"):
        RNNForecaster(horizon=2).fit(pd.DataFrame({"date": dates, "y": y}))
    long = pd.DataFrame({"s": ["a"] * 20 + ["b"] * 20, "date": dates, "y": y})
    with pytest.raises(ValueError, match="Series 'a': column 'date' holds dates"):
        RNNForecaster(horizon=2, series_id="s").fit(long)


# -- 6 and 8: the runtime's header is checked (and fuzzed, tests/test_crafted_headers.py) -----


def test_6_runtime_headers_that_gave_garbage_or_raw_errors_are_refused(tmp_path):
    pytest.importorskip("onnx")
    from test_crafted_headers import exported, load_mutated_runtime

    path, _ = exported(tmp_path, "classifier")
    edits = {
        "NaN scale": lambda h: h["input"].update(
            scale=dict(h["input"]["scale"], values=[float("nan")] * 2)
        ),
        "unknown scaling": lambda h: h["input"].update(scaling="sideways"),
        "batch_size 0": lambda h: h.update(batch_size=0),
        "frame_size 0": lambda h: h["input"].update(frame_size=0),
        "unknown estimator": lambda h: h.update(estimator="RNNWhatever"),
        "missing key": lambda h: h.pop("classes"),
        "a list header": lambda h: "[1, 2]",
        "bad JSON": lambda h: "{not json",
        "format_version '2'": lambda h: h.update(format_version="2"),
    }
    for i, edit in enumerate(edits.values()):
        with pytest.raises(ValueError, match=f"mutated{i}.onnx"):
            load_mutated_runtime(path, edit, tmp_path / f"mutated{i}.onnx")
    forecaster, _ = exported(tmp_path, "forecaster")
    for edit in (
        lambda h: h["forecaster"].update(horizon=-1),
        lambda h: h["forecaster"].update(horizon=0),
        lambda h: h["forecaster"].update(difference=-1),
    ):
        with pytest.raises(ValueError, match="not a valid sk_rnn ONNX file"):
            load_mutated_runtime(forecaster, edit, tmp_path / "f.onnx")


def test_8_a_tiny_header_entry_cannot_allocate_hundreds_of_megabytes(tmp_path):
    from test_persistence import load_in_a_fresh_process

    model = RNNClassifier(**TINY).fit(_series(), [0, 1] * 20)
    path = tmp_path / "m.safetensors"
    model.save(path)
    wide = {"__ndarray__": ["a"] * 5, "dtype": "<U20000000"}  # 381 MiB as the dtype says
    _rewrite_header(path, lambda m: m["fitted"].update(zzz_=wide))
    loaded = load_in_a_fresh_process(path)
    assert "'zzz_' is not a fitted attribute" in loaded["error"]
    assert loaded["grew_mb"] < 50
    _rewrite_header(path, lambda m: m["fitted"].pop("zzz_") and m["fitted"].update(classes_=wide))
    loaded = load_in_a_fresh_process(path)
    assert loaded["grew_mb"] < 50
    assert loaded["error"] is None or "classes_" in loaded["error"]


# -- 7: a small file cannot make loading run for minutes -------------------------------------


def test_7_a_header_asking_for_100000_layers_is_refused_at_once(tmp_path):
    from test_persistence import load_in_a_fresh_process

    model = RNNClassifier(**TINY).fit(_series(), [0, 1] * 20)
    path = tmp_path / "m.safetensors"
    model.save(path)
    _rewrite_header(path, lambda m: m["params"].update(num_layers=100000))
    loaded = load_in_a_fresh_process(path)
    assert "num_layers=100000" in loaded["error"]
    assert loaded["seconds"] < 2 and loaded["grew_mb"] < 50


# -- 9: a saved file predicts what the model that saved it predicts --------------------------

# An alternative value of every parameter of the classifier; those that change predict's
# output must be saved as they are at save time (_prediction_parameters).
ALTERNATIVES = {
    "batch_size": 3,
    "max_length": 3,
    "keep": "last",
    "verbose": 0,
    "lr": 0.5,
    "max_epochs": 1,
    "dropout": 0.5,
    "token_dropout": 0.1,
    "optimizer_params": {"weight_decay": 0.1},
    "clip_grad_norm": 0.1,
    "early_stopping": True,
    "validation_fraction": 0.3,
    "n_iter_no_change": 2,
    "lr_schedule": "constant",
    "random_state": 3,
    "warm_start": True,
    "device": "cpu",
    "precision": "32",
    "class_weight": "balanced",
}


@pytest.mark.parametrize("name", sorted(ALTERNATIVES))
def test_9_a_loaded_model_predicts_as_the_model_did_when_saved(tmp_path, name):
    X, y = _series(), [0, 1] * 20
    model = RNNClassifier(**TINY).fit(X, y)
    model.set_params(**{name: ALTERNATIVES[name]})
    model.save(tmp_path / "m.safetensors")
    loaded = sk_rnn.load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    unpickled = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(unpickled.predict_proba(X), model.predict_proba(X))


def test_9_the_reported_case_max_length_and_keep(tmp_path):
    X, y = _series(), [0, 1] * 20
    model = RNNClassifier(**TINY).fit(X, y)
    before = model.predict_proba(X)
    model.set_params(max_length=3, keep="last")
    assert np.abs(model.predict_proba(X) - before).max() > 1e-3  # predict reads them
    model.save(tmp_path / "m.safetensors")
    loaded = sk_rnn.load(tmp_path / "m.safetensors")
    assert (loaded.max_length, loaded.keep) == (3, "last")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


# -- 10: a batch of one single-step sequence trains ------------------------------------------


def test_10_one_step_sequences_train_with_the_convolution_branch():
    rng = np.random.default_rng(0)
    model = RNNRegressor(hidden_size=8, max_epochs=2, random_state=0)
    model.fit(rng.random((33, 1)), rng.random(33))  # 33 sequences of one step, batch 32
    assert np.isfinite(model.predict(rng.random((5, 1)))).all()
    assert model.net_.module_.convolution is not None
    RNNForecaster(window=1, horizon=1, random_state=0).fit(np.array([1.0, 2.0]))


# -- 11: huge targets are refused in fit, not saved unloadable -------------------------------


def test_11_huge_targets_are_refused_before_training():
    X = [np.ones((3, 1))] * 5
    with pytest.raises(ValueError, match="y has values too large to standardise"):
        RNNRegressor(max_epochs=1).fit(X, [1e300, 1, 2, 3, 4])
    series = np.r_[np.ones(20), 1e160, np.ones(5)]
    with pytest.raises(ValueError, match="too large to scale"):
        RNNForecaster(scaling="series", window=4, horizon=2).fit(series)


# -- 12: set_output on the vectorizer ---------------------------------------------------------


def test_12_set_output_leaves_the_vectorizers_sequences_as_they_are():
    texts = ["a b", "c", "a c b"]
    ids = SequenceVectorizer().set_output(transform="pandas").fit_transform(texts)
    assert [list(i) for i in ids] == [list(i) for i in SequenceVectorizer().fit_transform(texts)]
    assert "sequences" in SequenceVectorizer.set_output.__doc__


# -- 13: raw or misleading errors -------------------------------------------------------------


def test_13_ragged_y_for_the_regressor_names_the_sample():
    with pytest.raises(ValueError, match="y holds rows of different lengths.*sample 1.*per_step"):
        RNNRegressor(max_epochs=1).fit([np.ones((3, 1))] * 3, [[1, 2], [1], [3, 4]])


def test_13_a_string_covariate_names_its_column():
    table = pd.DataFrame({"y": np.arange(30.0), "promo": ["x"] + [1.0] * 29})
    with pytest.raises(ValueError, match=r"column 'promo' holds values that are not numbers \('x'"):
        RNNForecaster(horizon=2).fit(table)


def test_13_runtime_load_of_a_missing_or_non_onnx_file(tmp_path):
    pytest.importorskip("onnxruntime")
    from sk_rnn import runtime

    with pytest.raises(FileNotFoundError, match="missing.onnx"):
        runtime.load(tmp_path / "missing.onnx")
    (tmp_path / "text.onnx").write_text("not a graph")
    with pytest.raises(ValueError, match="text.onnx is not a readable ONNX file"):
        runtime.load(tmp_path / "text.onnx")


def test_13_a_file_without_params_and_a_history_that_is_not_a_list(tmp_path):
    model = RNNClassifier(**TINY).fit(_series(), [0, 1] * 20)
    path = tmp_path / "m.safetensors"
    model.save(path)
    _rewrite_header(path, lambda m: m.update(format_version=1) or m.pop("params"))
    with pytest.raises(ValueError, match="has no 'params'"):
        sk_rnn.load(path)
    model.save(path)
    _rewrite_header(path, lambda m: m.update(history="xyz"))
    with pytest.raises(ValueError, match="history is not a list of epochs"):
        sk_rnn.load(path)


# -- 14: update() checks the kind of index ----------------------------------------------------


def test_14_update_refuses_new_steps_indexed_by_another_kind():
    dates = pd.date_range("2020", periods=40)
    series = pd.Series(np.sin(np.arange(40) / 3), index=dates)
    model = RNNForecaster(window=4, horizon=2, regressor=RNNRegressor(**TINY)).fit(series)
    with pytest.raises(ValueError, match="indexed by numbers.*fitted on an index of dates"):
        model.update(pd.Series([1.0], index=[3]))
    assert len(model.series_) == 40  # nothing appended
    model.update(pd.Series([1.0], index=[dates[-1] + pd.Timedelta(days=1)]))
    assert len(model.series_) == 41

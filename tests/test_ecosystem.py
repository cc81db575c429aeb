"""The scikit-learn ecosystem all the way: set_output, skops, text pipelines, tags,
sequences in a column, and what a second round of hostile use broke."""

import json
import struct
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.pipeline import FeatureUnion, make_pipeline
from tasks import delayed_recall

import sk_rnn
from sk_rnn import (
    RNNClassifier,
    RNNForecaster,
    RNNRegressor,
    RNNSeq2Seq,
    RNNTagger,
    SequenceScaler,
    SequenceVectorizer,
)
from sk_rnn.metrics import token_error_rate

TINY = dict(hidden_size=4, max_epochs=2, random_state=0, conv_channels=4)


@pytest.fixture(scope="module")
def recall():
    rng = np.random.default_rng(0)
    return delayed_recall(60, rng)


# -- set_output ------------------------------------------------------------------------------


def test_transform_gives_a_named_dataframe_when_asked(recall):
    X, y = recall
    model = RNNClassifier(**TINY).set_output(transform="pandas").fit(X, y)
    features = model.transform(X)
    assert isinstance(features, pd.DataFrame)
    assert features.columns.tolist() == model.get_feature_names_out().tolist()
    np.testing.assert_allclose(
        features.to_numpy(), model.set_output(transform="default").transform(X)
    )
    per_step = RNNRegressor(per_step=True)
    assert not hasattr(per_step, "set_output") and not hasattr(per_step, "transform")


@pytest.mark.parametrize("form", ["ragged", "3-D", "2-D"])
def test_a_scaler_and_classifier_pipeline_under_global_pandas_output(recall, form):
    X, y = recall
    X = {
        "ragged": X,
        "3-D": np.stack([x[:6] for x in X]),
        "2-D": pd.DataFrame(np.stack([x[:6, 0] for x in X])),
    }[form]
    with sklearn.config_context(transform_output="pandas"):
        pipe = make_pipeline(SequenceScaler(), RNNClassifier(**TINY)).fit(X, y)
        assert pipe.predict(X).shape == (60,)
        scaled = pipe[0].transform(X)
    if form == "2-D":  # a table stays a table: a DataFrame with the input's columns
        assert isinstance(scaled, pd.DataFrame) and scaled.shape == X.shape
    else:  # sequences pass through unchanged, as no table holds them
        assert isinstance(scaled, type(X)) and len(scaled) == 60


def test_set_output_configures_through_meta_estimators(recall):
    X, y = recall
    table = pd.DataFrame(np.stack([x[:6, 0] for x in X]), columns=[f"t{i}" for i in range(6)])
    pipe = make_pipeline(SequenceScaler(), RNNClassifier(**TINY)).set_output(transform="pandas")
    score = pipe.fit(table, y).score(table, y)
    assert score == np.mean(pipe.predict(table) == np.asarray(y))
    assert isinstance(pipe[0].transform(table), pd.DataFrame)  # configured through the pipe
    union = FeatureUnion(
        [("scaled", SequenceScaler()), ("centred", SequenceScaler(with_std=False))]
    )
    out = union.set_output(transform="pandas").fit_transform(table)
    assert isinstance(out, pd.DataFrame) and out.shape == (60, 12)
    assert out.columns[0] == "scaled__t0"


# -- skops ---------------------------------------------------------------------------------


def _fitted_models(recall):
    X, y = recall
    tokens = [["the", "cat", "sat"], ["a", "dog", "ran"]] * 10
    tags = [["D", "N", "V"]] * 20
    t = np.arange(80.0)
    return {
        "classifier": (RNNClassifier(**TINY).fit(X, y), X),
        "regressor": (RNNRegressor(**TINY).fit(X, [x.sum() for x in X]), X),
        "tagger": (
            RNNTagger(hidden_size=4, max_epochs=2, random_state=0).fit(tokens, tags),
            tokens,
        ),
        "forecaster": (
            RNNForecaster(
                window=6, horizon=2, regressor=RNNRegressor(hidden_size=4, max_epochs=2)
            ).fit(10 + np.sin(t / 4)),
            np.zeros(2),
        ),
    }


def _outputs(model, X):
    predicted = model.predict(X)
    return [np.asarray(p) for p in predicted] if isinstance(predicted, list) else [predicted]


def test_fitted_estimators_dump_and_load_with_skops(recall, tmp_path):
    skops_io = pytest.importorskip("skops.io")
    for name, (model, X) in _fitted_models(recall).items():
        path = tmp_path / f"{name}.skops"
        skops_io.dump(model, path)
        untrusted = skops_io.get_untrusted_types(file=path)
        assert all(t.startswith(("sk_rnn.", "torch.")) for t in untrusted), (name, untrusted)
        loaded = skops_io.load(path, trusted=untrusted)
        for a, b in zip(_outputs(loaded, X), _outputs(model, X), strict=True):
            np.testing.assert_array_equal(a, b)


def test_pickle_carries_the_optimizer_state_and_continues_training(recall):
    import pickle

    X, y = recall
    model = RNNClassifier(warm_start=True, **TINY).fit(X, y)
    copy = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(copy.predict_proba(X), model.predict_proba(X))
    # The same continued run from the original and from the copy.
    np.testing.assert_array_equal(copy.fit(X, y).predict_proba(X), model.fit(X, y).predict_proba(X))


# -- text pipelines, tags, a column of sequences ------------------------------------------


def test_a_vectorizer_then_a_classifier_is_a_text_model():
    rng = np.random.default_rng(0)
    words = ["good", "bad", "fine", "poor", "the", "a", "film", "play"]
    texts = [" ".join(rng.choice(words, size=6)) for _ in range(200)]
    y = ["pos" if "good" in t.split() else "neg" for t in texts]
    pipe = make_pipeline(
        SequenceVectorizer(), RNNClassifier(hidden_size=8, max_epochs=15, random_state=0)
    )
    pipe.fit(texts, y)
    model = pipe[-1]
    # Read as tokens (an embedding), never as numbers: no n_features_in_, a vocabulary.
    assert model.vectorizer_ is not None and not hasattr(model, "n_features_in_")
    assert model.net_.module_.encoder.embedding is not None
    assert pipe.score(texts, y) > 0.9


def test_tags_say_what_the_estimators_take():
    for estimator in (RNNClassifier(), RNNRegressor(), RNNTagger(), RNNSeq2Seq()):
        tags = estimator.__sklearn_tags__()
        assert tags.input_tags.three_d_array and tags.input_tags.string
    assert RNNClassifier().__sklearn_tags__().transformer_tags.preserves_dtype == []


def test_sequences_in_a_column_are_one_sequence_per_row(recall):
    X, y = recall
    column = np.empty((len(X), 1), dtype=object)
    for i, x in enumerate(X):
        column[i, 0] = x
    model = RNNClassifier(**TINY)
    np.testing.assert_array_equal(
        model.fit(column, y).predict_proba(column), model.fit(X, y).predict_proba(X)
    )


# -- training that goes wrong is reported ---------------------------------------------------


def test_verbose_output_has_no_colour_codes_outside_a_terminal(recall, capsys):
    X, y = recall
    RNNClassifier(verbose=1, **TINY).fit(X, y)
    printed = capsys.readouterr().out
    assert "train_loss" in printed and "\x1b[" not in printed


def test_a_loss_that_explodes_is_reported_and_the_last_good_epoch_kept(recall):
    X, y = recall
    with pytest.warns(UserWarning, match=r"diverged.*lr \(now 1000000.0\)"):
        model = RNNClassifier(lr=1e6, hidden_size=8, max_epochs=10, random_state=0).fit(X, y)
    # Stopped, with the weights from before the explosion: finite, calibrated outputs.
    assert len(model.history_) < 10
    assert all(np.isfinite(epoch["train_loss"]) for epoch in model.history_)
    assert np.isfinite(model.predict_proba(X)).all()


# -- what the second red team broke ----------------------------------------------------------


def test_dates_are_refused_as_inputs_and_as_targets():
    dates = np.arange("2020-01-01", "2020-01-31", dtype="datetime64[D]").reshape(5, 6)
    with pytest.raises(TypeError, match="dates or durations"):
        RNNClassifier().fit(dates, [0, 1, 0, 1, 0])
    with pytest.raises(TypeError, match="dates or durations"):
        RNNRegressor().fit(dates.astype(float), dates[:, 0])
    X = [np.zeros((3, 1))] * 4
    with pytest.raises(TypeError, match="Sample 0 of y holds dates"):
        RNNRegressor(per_step=True).fit(X, [dates[0, :3]] * 4)


def test_the_scaler_returns_the_form_it_was_given():
    lists = [[1.0, 2.0, 3.0], [4.0, 6.0]]
    scaled = SequenceScaler().fit_transform(lists)
    assert isinstance(scaled, list) and [s.shape for s in scaled] == [(3,), (2,)]
    arrays = [np.array([[1.0], [2.0]]), np.array([[3.0]])]
    assert [s.shape for s in SequenceScaler().fit_transform(arrays)] == [(2, 1), (1, 1)]


def test_seq2seq_score_is_the_exact_match_rate():
    words = ["abc", "cab", "bca", "ba", "acb", "ab", "cba", "bac"] * 8
    model = RNNSeq2Seq(
        tokenizer="char", target_tokenizer="char", hidden_size=16, max_epochs=3, lr=0.02,
        random_state=0,
    ).fit(words, [w[::-1] for w in words])  # fmt: skip
    truth = [w[::-1] for w in words]
    predicted = model.predict(words)
    exact = np.mean([p == t for p, t in zip(predicted, truth, strict=True)])
    assert 0 < exact < 1  # partly trained: some targets right, some wrong
    assert model.score(words, truth) == pytest.approx(exact)
    error = token_error_rate([list(t) for t in truth], [list(p) for p in predicted])
    assert 0 < error < 1 and (error == 0) == (exact == 1)


def test_a_frame_longer_than_every_sequence_is_refused_before_allocating(recall):
    X, y = recall
    for frame_size in (10**7, 10**12):
        with pytest.raises(ValueError, match=f"frame_size={frame_size} is longer"):
            RNNClassifier(frame_size=frame_size).fit(X, y)


def _edit_header(path, edit):
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    meta = json.loads(header["__metadata__"]["sk_rnn"])
    edit(meta["fitted"])
    header["__metadata__"]["sk_rnn"] = json.dumps(meta)
    new = json.dumps(header).encode()
    new += b" " * (-len(new) % 8)
    path.write_bytes(struct.pack("<Q", len(new)) + new + raw[8 + n :])


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda f: f.update(classes_="ab"), "classes_ is str"),
        (lambda f: f.update(n_features_in_="3"), "n_features_in_ is '3'"),
        (lambda f: f["input_mean_"]["__ndarray__"].append(0.0), "input_mean_ has 3 entries"),
        (lambda f: f.update(input_scale_={"__ndarray__": [0, 0], "dtype": "<f4"}), "not positive"),
        (lambda f: f.update(classes_={"__ndarray__": ["a", "a"], "dtype": "<U1"}), "same label"),
        (lambda f: f["auto_settings_"].update(pooling="sum"), "pooling the value 'sum'"),
        (lambda f: f["auto_settings_"].update(size=3), "names 'size'"),
        (lambda f: f.update(auto_settings_=["attention"]), "auto_settings_ is list"),
    ],
)
def test_fitted_attributes_of_a_file_are_checked_on_load(recall, tmp_path, edit, match):
    X, y = recall
    path = tmp_path / "m.safetensors"
    RNNClassifier(**TINY).fit(X, np.where(y == "pos", "a", "b")).save(path)
    _edit_header(path, edit)
    with pytest.raises(ValueError, match=match):
        sk_rnn.load(path)


def test_update_refuses_steps_that_are_not_after_the_series():
    index = pd.date_range("2020-01-01", periods=60, freq="D")
    series = pd.Series(10 + np.sin(np.arange(60) / 4), index=index)
    model = RNNForecaster(window=6, horizon=2, regressor=RNNRegressor(hidden_size=4, max_epochs=1))
    model.fit(series[:50])
    for stale in (series[49:52], series[40:43]):  # a repeated date, older dates
        with pytest.raises(ValueError, match="not after the last step seen"):
            model.update(stale)
    model.update(series[50:55]).update(series[55:])
    assert len(model.series_) == 60


def test_a_row_without_its_series_id_is_refused():
    frame = pd.DataFrame({"store": ["a"] * 30 + ["b"] * 30, "sales": np.arange(60.0)})
    frame.loc[[3, 40], "store"] = None
    model = RNNForecaster(window=4, horizon=2, series_id="store")
    with pytest.raises(ValueError, match=r"missing in 2 row\(s\) \(positions \[3, 40\]\)"):
        model.fit(frame)


def test_partial_fit_refuses_other_classes_than_the_first_call(recall):
    X, y = recall
    model = RNNClassifier(**TINY).partial_fit(X, y, classes=["neg", "pos"])
    model.partial_fit(X, y, classes=["neg", "pos"])  # the same: fine
    with pytest.raises(ValueError, match="not the same as on the first call"):
        model.partial_fit(X, y, classes=["neg", "pos", "other"])


def test_sample_weight_with_missing_values_gets_a_clear_error(recall):
    X, y = recall
    weights = pd.Series([1.0] * 59 + [None], dtype="Float64")
    with pytest.raises(ValueError, match="sample_weight has NaN .* at sample 59"):
        RNNClassifier(**TINY).fit(X, y, sample_weight=weights)


@pytest.mark.parametrize("weight", [1e-300, 1e-46, 1e-40, 1e308])
def test_scaling_every_weight_by_a_constant_does_not_change_training(recall, weight):
    X, y = recall
    model = RNNClassifier(**TINY)
    unweighted = model.fit(X, y).predict_proba(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing overflows, underflows or diverges
        weighted = model.fit(X, y, sample_weight=np.full(60, weight)).predict_proba(X)
    np.testing.assert_allclose(weighted, unweighted, atol=1e-6)


@pytest.mark.parametrize("container", ["Series", "DataFrame"])
def test_polars_labels_work_where_pandas_labels_do(recall, container):
    pl = pytest.importorskip("polars")
    X, y = recall
    labels = np.where(np.asarray(y) == y[0], "yes", "no")
    polars_y = pl.Series("y", labels) if container == "Series" else pl.DataFrame({"y": labels})
    ours = RNNClassifier(**TINY).fit(X, polars_y)
    theirs = RNNClassifier(**TINY).fit(X, pd.Series(labels))
    np.testing.assert_array_equal(ours.classes_, ["no", "yes"])
    np.testing.assert_array_equal(ours.predict_proba(X), theirs.predict_proba(X))

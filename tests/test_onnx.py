"""ONNX export and the torch-free runtime: parity with the estimators, a runtime that
never imports torch, scikit-learn or skorch, and clear refusals."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from tasks import neighbour_tags, typed_entities

from sk_rnn import (
    RNNClassifier,
    RNNForecaster,
    RNNLanguageModel,
    RNNRegressor,
    RNNSeq2Seq,
    RNNTagger,
)

pytest.importorskip("onnx", reason="ONNX export needs the optional onnx package ([onnx] extra)")
pytest.importorskip(
    "onnxruntime", reason="the runtime needs the optional onnxruntime package ([onnx] extra)"
)
from sk_rnn import runtime  # noqa: E402
from sk_rnn._parameters import fitted_value  # noqa: E402

TINY = dict(hidden_size=8, max_epochs=1, batch_size=32, random_state=0)
N_SEQUENCES = 200
ATOL = 1e-4


@pytest.fixture(scope="module")
def ragged():
    """200 ragged 3-feature sequences of 1 to 60 steps, in raw units (offset and scaled),
    with a class label and a real target of unit scale."""
    rng = np.random.default_rng(0)
    X = [
        (rng.normal(size=(n, 3)) * [1, 10, 100] + [0, 5, -50]).astype(np.float32)
        for n in rng.integers(1, 60, size=N_SEQUENCES)
    ]
    labels = np.array(["low", "mid", "high"])[[int(np.sign(x[:, 0].sum())) + 1 for x in X]]
    target = np.array([x[:, 0].mean() for x in X])
    return X, labels, target


@pytest.fixture(scope="module")
def texts():
    words = "the cat sat on a mat while dogs ran far away from home".split()
    rng = np.random.default_rng(1)
    docs = [" ".join(rng.choice(words, size=rng.integers(1, 15))) for _ in range(N_SEQUENCES)]
    return docs, np.array(["cat" in d for d in docs])


def exported(model, tmp_path, name="model.onnx"):
    return runtime.load(model.to_onnx(tmp_path / name))


def assert_same_rows(runtime_model, model, X):
    np.testing.assert_array_equal(runtime_model.predict(X), model.predict(X))
    if hasattr(model, "predict_proba"):
        np.testing.assert_allclose(
            runtime_model.predict_proba(X), model.predict_proba(X), rtol=0, atol=ATOL
        )


CELLS_AND_DIRECTIONS = [(c, b) for c in ("rnn", "lstm", "gru") for b in (False, True)]


@pytest.mark.parametrize(("cell", "bidirectional"), CELLS_AND_DIRECTIONS)
def test_classifier_with_todays_defaults_matches(ragged, tmp_path, cell, bidirectional):
    X, labels, _ = ragged
    model = RNNClassifier(cell=cell, bidirectional=bidirectional, **TINY).fit(X, labels)
    # Today's defaults for numeric series: the convolution branch and attention pooling.
    assert fitted_value(model, "pooling") == "attention"
    assert fitted_value(model, "conv_channels") is not None
    assert_same_rows(exported(model, tmp_path), model, X)


@pytest.mark.parametrize(
    "settings",
    [
        dict(pooling="last", conv_channels=None, cell="rnn_relu"),
        dict(pooling="mean_max", frame_size=3, standardize="per_series"),
        dict(pooling="max", num_layers=2, bidirectional=True, max_length=20, keep="last"),
    ],
)
def test_classifier_poolings_frames_and_scaling_match(ragged, tmp_path, settings):
    X, labels, _ = ragged
    model = RNNClassifier(**{**TINY, **settings}).fit(X, labels)
    assert_same_rows(exported(model, tmp_path), model, X)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_text_classifier_matches(texts, tmp_path, bidirectional):
    docs, labels = texts
    model = RNNClassifier(bidirectional=bidirectional, **TINY).fit(docs, labels)
    runtime_model = exported(model, tmp_path)
    unseen = ["an unseen word or two", "cat"]
    assert_same_rows(runtime_model, model, docs + unseen)
    assert runtime_model.classes_.dtype == model.classes_.dtype


def test_the_runtime_takes_arrays_and_dataframes_as_the_estimator_does(tmp_path):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(9)
    rows = rng.normal(size=(N_SEQUENCES, 30)) * 50 + 7  # one univariate series per row
    labels = rows[:, :5].mean(1) > 7
    model = RNNClassifier(**TINY).fit(rows, labels)
    runtime_model = exported(model, tmp_path)
    assert_same_rows(runtime_model, model, rows)
    assert_same_rows(runtime_model, model, pd.DataFrame(rows))
    cube = rng.normal(size=(40, 12, 3)).astype(np.float32)
    model = RNNClassifier(**TINY).fit(cube, labels[:40])
    assert_same_rows(exported(model, tmp_path, "cube.onnx"), model, cube)


@pytest.mark.parametrize(("cell", "bidirectional"), CELLS_AND_DIRECTIONS)
def test_regressor_matches(ragged, tmp_path, cell, bidirectional):
    X, _, target = ragged
    model = RNNRegressor(cell=cell, bidirectional=bidirectional, **TINY).fit(X, target)
    np.testing.assert_allclose(
        exported(model, tmp_path).predict(X), model.predict(X), rtol=0, atol=ATOL
    )


def test_multi_output_regressor_on_text_matches(texts, tmp_path):
    docs, labels = texts
    y = np.c_[labels, [len(d) / 50 for d in docs]]
    model = RNNRegressor(shrink_to_mean=True, **TINY).fit(docs, y)
    assert 0 <= model.shrinkage_.min() <= 1
    predicted = exported(model, tmp_path).predict(docs)
    assert predicted.shape == (len(docs), 2)
    np.testing.assert_allclose(predicted, model.predict(docs), rtol=0, atol=ATOL)


@pytest.mark.parametrize(("cell", "bidirectional"), [("lstm", True), ("gru", False)])
def test_per_step_regressor_matches(ragged, tmp_path, cell, bidirectional):
    X, _, _ = ragged
    y = [np.cumsum(x[:, 0]) / 10 for x in X]
    model = RNNRegressor(per_step=True, cell=cell, bidirectional=bidirectional, **TINY)
    model.fit(X, y)
    predicted = exported(model, tmp_path).predict(X)
    for ours, theirs, x in zip(predicted, model.predict(X), X, strict=True):
        assert ours.shape == (len(x),)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=ATOL)


def assert_same_steps(runtime_model, model, X):
    for ours, theirs in zip(runtime_model.predict(X), model.predict(X), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    for ours, theirs in zip(runtime_model.predict_proba(X), model.predict_proba(X), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=ATOL)


@pytest.mark.parametrize(("cell", "crf"), [("rnn", True), ("lstm", True), ("gru", False)])
def test_tagger_on_text_matches(tmp_path, cell, crf):
    X, y = typed_entities(N_SEQUENCES, np.random.default_rng(2))
    # Affix features are on by default; characters are the one optional extra.
    model = RNNTagger(cell=cell, crf=crf, character_features=True, **TINY).fit(X, y)
    # Real words too: the character columns are as wide as a batch's longest word.
    words = [["Anna", "met", "Bartholomew"], ["in", "Copenhagen", "yesterday", "x"]]
    assert_same_steps(exported(model, tmp_path), model, X + words)


def test_tagger_on_numbers_matches(tmp_path):
    X, y = neighbour_tags(N_SEQUENCES, np.random.default_rng(3))
    model = RNNTagger(bidirectional=False, **TINY).fit(X, y)
    assert_same_steps(exported(model, tmp_path), model, X)


def test_viterbi_paths_match_on_a_trained_crf(tmp_path):
    """The paths must agree where the CRF's transitions matter, not only at random weights."""
    X, y = typed_entities(N_SEQUENCES, np.random.default_rng(4))
    model = RNNTagger(hidden_size=16, max_epochs=15, lr=0.02, random_state=0).fit(X, y)
    assert np.abs(model.net_.module_.crf.transitions.detach().numpy()).max() > 0.1
    assert_same_steps(exported(model, tmp_path), model, X)


def test_forecaster_with_covariates_and_intervals_matches(tmp_path):
    steps = np.arange(160)
    covariate = np.sin(steps / 4)
    series = np.c_[
        100 + steps + 10 * covariate + np.random.default_rng(5).normal(size=160), covariate
    ]
    model = RNNForecaster(
        horizon=4, log=True, difference=1, interval_windows=6, random_state=0,
        regressor=RNNRegressor(hidden_size=8, max_epochs=3, random_state=0),
    ).fit(series[:140])  # fmt: skip
    runtime_model = exported(model, tmp_path)
    future = series[140:]
    np.testing.assert_allclose(runtime_model.predict(future), model.predict(future), atol=ATOL)
    exog = future[:9, 1:]
    np.testing.assert_allclose(runtime_model.forecast(9, exog), model.forecast(9, exog), atol=ATOL)
    for ours, theirs in zip(
        runtime_model.predict_interval(future[:4]), model.predict_interval(future[:4]), strict=True
    ):
        np.testing.assert_allclose(ours, theirs, atol=ATOL)


def test_many_series_forecaster_matches(tmp_path):
    rng = np.random.default_rng(6)
    series = [rng.gamma(2, 50) * (1 + np.arange(n) / 10) for n in rng.integers(6, 30, size=40)]
    model = RNNForecaster(
        horizon=3, random_state=0, regressor=RNNRegressor(hidden_size=8, max_epochs=2)
    ).fit(series)
    runtime_model = exported(model, tmp_path)
    np.testing.assert_allclose(runtime_model.forecast(7), model.forecast(7), rtol=1e-6, atol=ATOL)
    futures = [np.zeros(2)] * 40
    for ours, theirs in zip(runtime_model.predict(futures), model.predict(futures), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=ATOL)


def test_the_graph_keeps_batch_and_time_dynamic(ragged, tmp_path):
    """The exporter is chosen for dynamic shapes (torch's dynamo exporter freezes the time
    dimension of recurrent layers): the graph's dimensions are named, not numbers, and a
    sequence far longer than any traced runs exactly, alone or with short ones."""
    import onnx

    X, labels, _ = ragged
    model = RNNClassifier(cell="lstm", bidirectional=True, **TINY).fit(X, labels)
    path = model.to_onnx(tmp_path / "model.onnx")
    graph = onnx.load(path).graph
    for tensor in graph.input:
        dims = tensor.type.tensor_type.shape.dim
        assert not any(d.HasField("dim_value") for d in dims[:2]), tensor
    long = [np.random.default_rng(7).normal(size=(700, 3)).astype(np.float32)]
    runtime_model = runtime.load(path)
    assert_same_rows(runtime_model, model, long)
    assert_same_rows(runtime_model, model, long + X[:5])


def test_the_runtime_imports_no_torch_sklearn_or_skorch(ragged, texts, tmp_path):
    X, labels, _ = ragged
    docs, text_labels = texts
    classifier = RNNClassifier(**TINY).fit(docs, text_labels)
    tagger = RNNTagger(**TINY).fit(*typed_entities(50, np.random.default_rng(8)))
    forecaster = RNNForecaster(horizon=2, regressor=RNNRegressor(**TINY)).fit(np.arange(1.0, 40))
    classifier.to_onnx(tmp_path / "classifier.onnx")
    tagger.to_onnx(tmp_path / "tagger.onnx")
    forecaster.to_onnx(tmp_path / "forecaster.onnx")
    expected = {
        "classifier": classifier.predict_proba(docs[:20]).tolist(),
        "tagger": [p.tolist() for p in tagger.predict([["Ann", "saw", "Bob"]])],
        "forecaster": forecaster.forecast(5).tolist(),
    }
    (tmp_path / "expected.json").write_text(json.dumps({"docs": docs[:20], **expected}))
    script = textwrap.dedent(
        f"""
        import importlib.abc, json, sys
        import numpy as np

        class Forbidden(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("torch", "sklearn", "skorch", "scipy"):
                    raise ImportError(f"{{name}} must not be imported by the runtime")

        sys.meta_path.insert(0, Forbidden())
        from sk_rnn import runtime

        folder = {str(tmp_path)!r}
        expected = json.load(open(folder + "/expected.json"))
        probabilities = runtime.load(folder + "/classifier.onnx").predict_proba(expected["docs"])
        assert np.abs(probabilities - expected["classifier"]).max() < 1e-4
        tags = runtime.load(folder + "/tagger.onnx").predict([["Ann", "saw", "Bob"]])
        assert [t.tolist() for t in tags] == expected["tagger"], tags
        forecast = runtime.load(folder + "/forecaster.onnx").forecast(5)
        assert np.abs(forecast - expected["forecaster"]).max() < 1e-4
        print("ok", sorted(m for m in ("torch", "sklearn", "skorch") if m in sys.modules))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok []"


# -- refusals: clear errors, and no file written --------------------------------------------


def assert_refused(model, tmp_path, error, match):
    path = tmp_path / "refused.onnx"
    with pytest.raises(error, match=match):
        model.to_onnx(path)
    assert not path.exists()
    assert not list(tmp_path.iterdir())


def test_language_model_and_seq2seq_are_refused(tmp_path):
    words = ["abc", "bca", "cab"] * 4
    lm = RNNLanguageModel(tokenizer="char", hidden_size=4, max_epochs=1).fit(words)
    assert_refused(lm, tmp_path, TypeError, "RNNLanguageModel cannot be exported.*generation")
    seq2seq = RNNSeq2Seq(hidden_size=4, max_epochs=1).fit(words, words)
    assert_refused(seq2seq, tmp_path, TypeError, "RNNSeq2Seq cannot be exported.*decoding")


def test_a_subclass_with_its_own_module_is_refused(ragged, tmp_path):
    class Mine(RNNClassifier):
        pass

    X, labels, _ = ragged
    assert_refused(Mine(**TINY).fit(X[:20], labels[:20]), tmp_path, TypeError, "Mine cannot be")


def test_a_callable_tokenizer_is_refused(texts, tmp_path):
    docs, labels = texts
    model = RNNClassifier(tokenizer=str.split, **TINY).fit(docs, labels)
    assert_refused(model, tmp_path, ValueError, "tokenizer is a callable.*built-in tokenizers")


def test_a_forecaster_with_a_users_regressor_is_refused(tmp_path):
    class MyRegressor(RNNRegressor):
        pass

    forecaster = RNNForecaster(horizon=2, regressor=MyRegressor(**TINY)).fit(np.arange(1.0, 30))
    assert_refused(forecaster, tmp_path, TypeError, "regressor is a MyRegressor")


def test_an_unfitted_model_is_refused(tmp_path):
    assert_refused(RNNClassifier(), tmp_path, NotFittedError, "not fitted")


def test_the_runtime_checks_its_input_and_its_file(ragged, texts, tmp_path):
    X, labels, _ = ragged
    model = RNNClassifier(**TINY).fit(X, labels)
    runtime_model = exported(model, tmp_path)
    with pytest.raises(ValueError, match="fitted with 3 features"):
        runtime_model.predict([np.ones((4, 2))])
    with pytest.raises(ValueError, match="Sample 1 of X contains NaN"):
        runtime_model.predict([np.ones((4, 3)), np.full((2, 3), np.nan)])
    docs, text_labels = texts
    text_model = exported(RNNClassifier(**TINY).fit(docs, text_labels), tmp_path, "text.onnx")
    with pytest.raises(TypeError, match="fitted on text"):
        text_model.predict(X[:2])
    import onnx

    proto = onnx.load(tmp_path / "model.onnx")
    del proto.metadata_props[:]
    onnx.save(proto, tmp_path / "foreign.onnx")
    with pytest.raises(ValueError, match="not one written by sk_rnn"):
        runtime.load(tmp_path / "foreign.onnx")
    proto.metadata_props.add(
        key="sk_rnn", value=json.dumps({"format": "sk_rnn.onnx", "format_version": 99})
    )
    onnx.save(proto, tmp_path / "future.onnx")
    with pytest.raises(ValueError, match="format version 99"):
        runtime.load(tmp_path / "future.onnx")


def test_a_file_of_format_version_1_loads_and_predicts_as_before(ragged, tmp_path):
    """Version 1 files (before gaps) have no 'gaps', 'fill' or 'gap_channels' in their
    input."""
    import onnx

    X, labels, _ = ragged
    model = RNNClassifier(**TINY).fit(X, labels)
    proto = onnx.load(model.to_onnx(tmp_path / "model.onnx"))
    entry = next(p for p in proto.metadata_props if p.key == "sk_rnn")
    header = json.loads(entry.value)
    assert header["format_version"] == 4 and header["input"]["gaps"] is None
    header["format_version"] = 1
    del header["input"]["gaps"], header["input"]["fill"], header["input"]["gap_channels"]
    entry.value = json.dumps(header)
    onnx.save(proto, tmp_path / "v1.onnx")
    assert_same_rows(runtime.load(tmp_path / "v1.onnx"), model, X)
    with pytest.raises(ValueError, match="contains NaN"):
        runtime.load(tmp_path / "v1.onnx").predict([np.full((2, 3), np.nan)])

"""Safe save/load: no pickle, atomic writes, clear errors for bad files."""

import json
import os
import pickle
import stat
import struct
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone

import sk_rnn
from sk_rnn import RNNClassifier, RNNRegressor

TINY = dict(hidden_size=8, max_epochs=2, lr=0.01, random_state=0)


@pytest.fixture(scope="module")
def fitted(recall_data, sum_data):
    (Xc, yc), _ = recall_data
    (Xr, yr), _ = sum_data
    labels = np.where(yc == "pos", 10, 20)
    return {
        "classifier": (
            RNNClassifier(bidirectional=True, **TINY).fit(Xc[:80], labels[:80]),
            Xc[:80],
        ),
        "strings": (RNNClassifier(cell="gru", **TINY).fit(Xc[:80], yc[:80]), Xc[:80]),
        "attention": (RNNClassifier(pooling="attention", **TINY).fit(Xc[:80], yc[:80]), Xc[:80]),
        "regressor": (RNNRegressor(frame_size=2, **TINY).fit(Xr[:80], np.c_[yr, yr][:80]), Xr[:80]),
    }


def predictions(est, X):
    return est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X)


@pytest.mark.parametrize("name", ["classifier", "strings", "attention", "regressor"])
def test_round_trip_without_pickle(fitted, name, tmp_path, monkeypatch):
    est, X = fitted[name]
    path = tmp_path / "model.safetensors"
    est.save(path)

    def forbidden(*args, **kwargs):
        raise AssertionError("sk_rnn.load must not unpickle")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "Unpickler", forbidden)
    monkeypatch.setattr(torch, "load", forbidden)
    loaded = sk_rnn.load(path)
    assert type(loaded) is type(est)
    np.testing.assert_array_equal(predictions(loaded, X), predictions(est, X))
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    assert loaded.get_params() == est.get_params()
    assert len(loaded.history_) == len(est.history_)
    if hasattr(est, "classes_"):
        assert loaded.classes_.dtype == est.classes_.dtype


def test_loaded_model_can_continue_training(fitted, tmp_path):
    est, X = fitted["classifier"]
    est.save(tmp_path / "m.safetensors")
    loaded = sk_rnn.load(tmp_path / "m.safetensors")
    loaded.partial_fit(X, est.predict(X))
    assert len(loaded.history_) == len(est.history_) + 1


def test_save_is_atomic(fitted, tmp_path, monkeypatch):
    est, X = fitted["classifier"]
    path = tmp_path / "model.safetensors"
    est.save(path)
    good = path.read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    # Interrupted after the new file is written, before it is flushed and renamed.
    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        est.save(path)
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]


def _read_header(path) -> dict:
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    return json.loads(json.loads(raw[8 : 8 + n])["__metadata__"]["sk_rnn"])


def _rewrite_header(path, edit):
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    meta = json.loads(header["__metadata__"]["sk_rnn"])
    edit(meta)
    header["__metadata__"]["sk_rnn"] = json.dumps(meta)
    new = json.dumps(header).encode()
    new += b" " * (-len(new) % 8)
    path.write_bytes(struct.pack("<Q", len(new)) + new + raw[8 + n :])


@pytest.mark.parametrize(
    "damage, match",
    [
        (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "not a readable"),
        (lambda p: p.write_bytes(b"\x00" * 100), "not a readable"),
        (lambda p: p.write_text("hello"), "not a readable"),
        (lambda p: _rewrite_header(p, lambda m: m.update(format_version=99)), "Upgrade sk_rnn"),
        (lambda p: _rewrite_header(p, lambda m: m.update(estimator="os.system")), "unknown"),
        (lambda p: _rewrite_header(p, lambda m: m["params"].update(hidden_size=3)), "not a valid"),
    ],
)
def test_bad_files_give_clear_errors(fitted, tmp_path, damage, match):
    est, _ = fitted["classifier"]
    path = tmp_path / "bad.safetensors"
    est.save(path)
    damage(path)
    with pytest.raises(ValueError, match=match) as info:
        sk_rnn.load(path)
    assert "bad.safetensors" in str(info.value)


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="nowhere.safetensors"):
        sk_rnn.load("nowhere.safetensors")


def test_unsaveable_things_fail_at_save_time(recall_data, tmp_path):
    (X, y), _ = recall_data

    class MyOptimizer(torch.optim.SGD):
        pass

    est = RNNClassifier(optimizer=MyOptimizer, **TINY).fit(X[:20], y[:20])
    with pytest.raises(ValueError, match="optimizer"):
        est.save(tmp_path / "m.safetensors")
    assert not (tmp_path / "m.safetensors").exists()


def test_gpu_saved_model_loads_on_cpu(fitted, tmp_path, monkeypatch):
    est, X = fitted["classifier"]
    path = tmp_path / "m.safetensors"
    est.save(path)
    _rewrite_header(path, lambda m: m.update(device="cuda:0"))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = sk_rnn.load(path)
    assert loaded.device_ == "cpu"
    assert any("not available here" in str(w.message) for w in caught)
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))


def test_save_before_fit():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        RNNClassifier().save("never.safetensors")


# -- the file holds the fitted model, whatever set_params did since --------------------------


@pytest.mark.parametrize(
    "change",
    [
        dict(hidden_size=16),
        dict(cell="gru"),
        dict(cell="rnn_relu"),
        dict(pooling="mean"),
        dict(frame_size=3),
        dict(bidirectional=False),
    ],
    ids=lambda change: next(iter(change)),
)
def test_save_writes_the_fitted_parameters_not_the_current_ones(recall_data, tmp_path, change):
    (X, y), _ = recall_data
    model = RNNClassifier(cell="rnn", bidirectional=True, **TINY).fit(X[:60], y[:60])
    expected = model.predict_proba(X[:60])
    model.set_params(**change)
    np.testing.assert_array_equal(model.predict_proba(X[:60]), expected)  # frame_size too
    model.save(tmp_path / "m.safetensors")
    loaded = sk_rnn.load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(loaded.predict_proba(X[:60]), expected)
    assert loaded.get_params()["cell"] == "rnn"


def test_prediction_parameters_are_saved_as_they_are_now(recall_data, tmp_path):
    (X, y), _ = recall_data
    model = RNNClassifier(**TINY).fit(X[:40], y[:40]).set_params(batch_size=7)
    model.save(tmp_path / "m.safetensors")
    assert sk_rnn.load(tmp_path / "m.safetensors").batch_size == 7


@pytest.mark.parametrize("estimator", ["classifier", "tagger", "language model"])
def test_pretrained_embeddings_without_embedding_dim_round_trip(estimator, tmp_path):
    from sk_rnn import RNNLanguageModel, RNNTagger

    texts = [["a", "b", "c"], ["c", "b", "a"], ["a", "a", "b"], ["b", "c", "c"]] * 3
    vectors = {t: np.arange(5.0) + i for i, t in enumerate("abc")}
    params = dict(embeddings=vectors, hidden_size=4, max_epochs=1, random_state=0)
    if estimator == "classifier":
        model = RNNClassifier(**params).fit(texts, [0, 1] * 6)
    elif estimator == "tagger":
        model = RNNTagger(**params).fit(texts, [["x", "y", "x"]] * 12)
    else:
        model = RNNLanguageModel(**params).fit(texts)
    with pytest.warns(UserWarning, match="embeddings are only needed to fit"):
        model.save(tmp_path / "m.safetensors")
    loaded = sk_rnn.load(tmp_path / "m.safetensors")
    assert loaded.embedding_dim == 5 and loaded.embeddings is None
    method = "score_samples" if estimator == "language model" else "predict"
    np.testing.assert_array_equal(
        np.concatenate([np.ravel(v) for v in getattr(loaded, method)(texts)]),
        np.concatenate([np.ravel(v) for v in getattr(model, method)(texts)]),
    )


def test_parameters_keep_their_types(recall_data, tmp_path):
    (X, _), _ = recall_data
    y = [0, 1] * 20
    model = RNNClassifier(
        class_weight={0: 1.0, 1: 3.0},
        random_state=np.int64(5),
        device=torch.device("cpu"),
        optimizer_params={"betas": (0.8, 0.9)},
        hidden_size=4,
        max_epochs=1,
    ).fit(X[:40], y)
    model.save(tmp_path / "m.safetensors")
    loaded = sk_rnn.load(tmp_path / "m.safetensors")
    assert loaded.class_weight == {0: 1.0, 1: 3.0}
    assert loaded.random_state == 5
    assert loaded.device == torch.device("cpu")
    assert loaded.optimizer_params == {"betas": (0.8, 0.9)}
    np.testing.assert_array_equal(
        clone(loaded).fit(X[:40], y).predict_proba(X[:40]), model.predict_proba(X[:40])
    )


def test_history_values_that_are_not_numbers(recall_data, tmp_path):
    from skorch.callbacks import Callback

    class Note(Callback):
        def on_epoch_end(self, net, **kwargs):
            net.history.record("note", object())

    (X, y), _ = recall_data
    model = RNNClassifier(callbacks=[Note()], **TINY).fit(X[:20], y[:20])
    with pytest.warns(UserWarning) as caught:
        model.save(tmp_path / "m.safetensors")
    assert {str(w.message)[:60] for w in caught} == {
        "The training history holds values that are not numbers: 'not",
        "callbacks are only needed to fit and not saved; the loaded m",
    }
    assert all(w.filename == __file__ for w in caught)
    assert "object" in sk_rnn.load(tmp_path / "m.safetensors").history_[-1, "note"]


@pytest.mark.parametrize(
    "labels",
    [
        lambda y: pd.Series(y),  # pandas' default str dtype
        lambda y: pd.Series(y, dtype=object),
        lambda y: pd.Series(pd.Categorical(y)),
        lambda y: pd.Series(y, dtype="string"),
        lambda y: pd.array(np.where(np.asarray(y) == "pos", 1, 0), dtype="Int64"),
    ],
    ids=["str", "object", "categorical", "string", "Int64"],
)
def test_pandas_labels_save_and_come_back(recall_data, tmp_path, labels):
    (X, y), _ = recall_data
    model = RNNClassifier(**TINY).fit(X[:40], labels(y[:40]))
    model.save(tmp_path / "m.safetensors")
    loaded = sk_rnn.load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(loaded.predict(X[:40]), model.predict(X[:40]))
    assert set(model.predict(X[:40])) <= set(np.asarray(labels(y[:40])).tolist())


# -- files from strangers ---------------------------------------------------------------------


def load_in_a_fresh_process(path) -> dict:
    """Load ``path`` in a fresh interpreter: how its peak memory grew while loading (MB;
    the process's own peak, which no earlier test has raised), the seconds it took, and
    the error's message if loading failed."""
    script = f"""
import json, resource, sys, time
import sk_rnn
for name in ("load", "RNNClassifier", "RNNForecaster"):  # imported before timing
    getattr(sk_rnn, name)
def peak_mb():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes there, kB here
before, start = peak_mb(), time.perf_counter()
try:
    sk_rnn.load({str(path)!r})
    error = None
except ValueError as exc:
    error = str(exc)
print(json.dumps({{"grew_mb": peak_mb() - before, "seconds": time.perf_counter() - start,
                  "error": error}}))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_header_sizes_are_checked_before_anything_is_built(fitted, tmp_path):
    est, _ = fitted["classifier"]
    path = tmp_path / "m.safetensors"
    est.save(path)
    # 4000 units in 2 LSTM layers would be about 1 GB of weights.
    _rewrite_header(path, lambda m: m["params"].update(hidden_size=4000, num_layers=2))
    loaded = load_in_a_fresh_process(path)
    assert "do not fit the network" in loaded["error"]
    assert loaded["grew_mb"] < 50


@pytest.mark.parametrize(
    "edit, match",
    [
        (
            lambda m: (
                m.clear()
                or m.update(format="sk_rnn", format_version=2, estimator=[1], params={}, fitted={})
            ),
            "unknown",
        ),
        (lambda m: m.update(fitted=[1, 2]), "not a JSON object"),
        (lambda m: m["fitted"].update(__class__="x"), "not a fitted attribute"),
        (lambda m: m["fitted"].update(vocabulary_="x"), "not a fitted attribute"),
        (lambda m: m["fitted"].update(hidden_size="x"), "not a fitted attribute"),
        (lambda m: m["params"].update(batch_size=0), "batch_size"),
        (lambda m: m["params"].update(cell="transformer"), "cell"),
    ],
)
def test_malformed_headers(fitted, tmp_path, edit, match):
    est, _ = fitted["classifier"]
    path = tmp_path / "m.safetensors"
    est.save(path)
    _rewrite_header(path, edit)
    with pytest.raises(ValueError, match=match):
        sk_rnn.load(path)


@pytest.mark.parametrize("header", ["[1, 2]", "null", '"text"'])
def test_headers_that_are_not_objects(fitted, tmp_path, header):
    est, _ = fitted["classifier"]
    path = tmp_path / "m.safetensors"
    est.save(path)
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    outer = json.loads(raw[8 : 8 + n])
    outer["__metadata__"]["sk_rnn"] = header
    new = json.dumps(outer).encode()
    new += b" " * (-len(new) % 8)
    path.write_bytes(struct.pack("<Q", len(new)) + new + raw[8 + n :])
    with pytest.raises(ValueError, match="not a valid sk_rnn model file"):
        sk_rnn.load(path)


# -- files on disk ------------------------------------------------------------------------


def test_overwriting_keeps_the_files_permissions(fitted, tmp_path):
    est, _ = fitted["classifier"]
    path = tmp_path / "m.safetensors"
    est.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~_umask()
    path.chmod(0o640)
    est.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_saving_through_a_symlink_writes_its_target(fitted, tmp_path):
    est, X = fitted["classifier"]
    (tmp_path / "models").mkdir()
    real = tmp_path / "models" / "real.safetensors"
    link = tmp_path / "latest.safetensors"
    link.symlink_to(real)
    est.save(link)
    assert link.is_symlink() and real.is_file()
    np.testing.assert_array_equal(sk_rnn.load(link).predict(X), est.predict(X))


def test_a_temporary_file_left_by_a_killed_save_does_not_block_saving(fitted, tmp_path):
    est, X = fitted["classifier"]
    path = tmp_path / "m.safetensors"
    (tmp_path / "m.safetensors.partial").write_bytes(b"left by a save that was killed")
    est.save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors", "m.safetensors.partial"]
    np.testing.assert_array_equal(sk_rnn.load(path).predict_proba(X), est.predict_proba(X))


def test_concurrent_saves_to_one_path_all_succeed(fitted, tmp_path):
    est, X = fitted["classifier"]
    path = tmp_path / "m.safetensors"
    errors = []

    def save_many():
        for _ in range(30):
            try:
                est.save(path)
            except Exception as error:  # noqa: BLE001 - collected, then asserted empty
                errors.append(error)

    threads = [threading.Thread(target=save_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]
    np.testing.assert_array_equal(sk_rnn.load(path).predict_proba(X), est.predict_proba(X))


def test_a_read_only_folder_is_named_as_the_destination(fitted, tmp_path, monkeypatch):
    est, _ = fitted["classifier"]

    def read_only(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    # Nothing can be created, and removing (even what is not there) fails as well.
    monkeypatch.setattr(os, "open", read_only)
    monkeypatch.setattr(Path, "unlink", read_only)
    with pytest.raises(OSError, match=r"Cannot save to .*m\.safetensors: Read-only") as info:
        est.save(tmp_path / "m.safetensors")
    assert ".partial" not in str(info.value)


def test_errors_name_the_destination(fitted, tmp_path):
    est, _ = fitted["classifier"]
    with pytest.raises(FileNotFoundError, match="no_such_folder"):
        est.save(tmp_path / "no_such_folder" / "m.safetensors")
    with pytest.raises(ValueError, match="path of a file"):
        est.save("")
    with pytest.raises(ValueError, match="path of a file"):
        est.save(tmp_path)


def test_a_folder_that_refuses_writing_is_named_in_the_error(fitted, tmp_path, monkeypatch):
    est, _ = fitted["classifier"]
    real_open = os.open

    def refuse(path, *args, **kwargs):  # as a read-only folder does (root ignores chmod)
        if str(path).endswith(".partial"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(PermissionError, match="Cannot save to .*m.safetensors: Permission") as info:
        est.save(tmp_path / "m.safetensors")
    assert ".partial" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_forecaster_saves_and_loads_without_pickle(tmp_path, monkeypatch):
    from sk_rnn import RNNForecaster

    t = np.arange(120.0)
    series = np.c_[10 + np.sin(2 * np.pi * t / 12), np.cos(t)]
    model = RNNForecaster(
        window=12, horizon=4, regressor=RNNRegressor(hidden_size=8, max_epochs=3), random_state=0
    ).fit(series[:100])
    model.save(tmp_path / "f.safetensors")
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("unpickled"))
    loaded = sk_rnn.load(tmp_path / "f.safetensors")
    assert type(loaded) is RNNForecaster and type(loaded.regressor) is RNNRegressor
    np.testing.assert_array_equal(loaded.predict(series[100:]), model.predict(series[100:]))
    assert loaded.get_params()["regressor__hidden_size"] == 8


def test_files_name_classes_by_qualified_name_in_the_current_format(fitted, tmp_path):
    fitted["classifier"][0].save(tmp_path / "m.safetensors")
    header = _read_header(tmp_path / "m.safetensors")
    assert header["format_version"] == 3
    assert header["estimator"] == "sk_rnn.RNNClassifier"


def test_two_classes_with_one_qualified_name_are_an_error():
    namespace = {"__module__": "users_models", "__qualname__": "Model"}
    first = type("Model", (RNNClassifier,), dict(namespace))
    with pytest.raises(TypeError, match="already saved as 'users_models.Model'"):
        type("Model", (RNNClassifier,), dict(namespace))
    # Other modules, or a notebook cell run again, are no collision.
    other = type("Model", (RNNClassifier,), {"__module__": "other_models"})
    rerun = [type("Model", (RNNClassifier,), {"__module__": "__main__"}) for _ in range(2)]
    assert sk_rnn._saving.persistence._REGISTRY["users_models.Model"] is first
    assert sk_rnn._saving.persistence._REGISTRY["other_models.Model"] is other
    assert sk_rnn._saving.persistence._REGISTRY["__main__.Model"] is rerun[-1]


def test_a_vocabulary_saves_and_loads_like_an_estimator(tmp_path):
    vectorizer = sk_rnn.SequenceVectorizer(min_frequency=2).fit(["a b b", "a c", "b d"])
    vectorizer.save(tmp_path / "v.safetensors")
    loaded = sk_rnn.load(tmp_path / "v.safetensors")
    assert type(loaded) is sk_rnn.SequenceVectorizer and loaded.min_frequency == 2
    assert loaded.vocabulary_ == vectorizer.vocabulary_
    assert loaded.n_unknown_ == vectorizer.n_unknown_
    assert [x.tolist() for x in loaded.transform(["b a e"])] == [[4, 5, 1]]


def test_a_fresh_process_loads_with_load_alone(fitted, tmp_path):
    """``from sk_rnn import load`` is all a script needs: the estimators are imported on
    first use, so loading imports the class the file names (sk_rnn's own only)."""
    import subprocess
    import sys

    est, X = fitted["regressor"]
    est.save(tmp_path / "model.safetensors")
    data = {"X": [x.tolist() for x in X[:5]], "expected": est.predict(X[:5]).tolist()}
    (tmp_path / "data.json").write_text(json.dumps(data))
    script = (
        "import json, numpy as np\n"
        "from sk_rnn import load\n"
        f"folder = {str(tmp_path)!r}\n"
        "model = load(folder + '/model.safetensors')\n"
        "data = json.load(open(folder + '/data.json'))\n"
        "X = [np.array(x, dtype=np.float32) for x in data['X']]\n"
        "assert np.array_equal(model.predict(X), data['expected'])\n"
        "print(type(model).__name__)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "RNNRegressor"

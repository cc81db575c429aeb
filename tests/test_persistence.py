"""Safe save/load: no pickle, atomic writes, clear errors for bad files."""

import json
import pickle
import struct
import warnings

import numpy as np
import pytest
import torch

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
        "regressor": (RNNRegressor(frame_size=2, **TINY).fit(Xr[:80], np.c_[yr, yr][:80]), Xr[:80]),
    }


def predictions(est, X):
    return est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X)


@pytest.mark.parametrize("name", ["classifier", "strings", "regressor"])
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

    monkeypatch.setattr(sk_rnn._persistence, "save_file", interrupted)
    with pytest.raises(KeyboardInterrupt):
        est.save(path)
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]


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

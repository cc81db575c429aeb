"""Behaviour every estimator shares: reproducibility, sklearn composition, devices."""

import io
import pickle
import warnings

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from skorch.callbacks import Callback

import sk_rnn
from sk_rnn import RNNClassifier, RNNRegressor

TINY = dict(hidden_size=8, max_epochs=3, lr=0.01)
ESTIMATORS = [RNNClassifier, RNNRegressor]


def data_for(estimator_class, recall_data, sum_data):
    (X, y), _ = recall_data if estimator_class is RNNClassifier else sum_data
    return X[:120], y[:120]


def outputs(est, X):
    return est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X)


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_same_random_state_gives_bit_identical_predictions(
    estimator_class, bidirectional, recall_data, sum_data
):
    X, y = data_for(estimator_class, recall_data, sum_data)
    params = dict(TINY, bidirectional=bidirectional, dropout=0.3, num_layers=2, random_state=3)
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    first = outputs(estimator_class(**params).fit(X, y), X)
    second = outputs(estimator_class(**params).fit(X, y), X)
    np.testing.assert_array_equal(first, second)
    # The library forks torch's global RNG instead of reseeding it.
    assert torch.equal(torch.random.get_rng_state(), before)
    other = outputs(estimator_class(**dict(params, random_state=4)).fit(X, y), X)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
def test_clone_pickle_joblib_round_trips(estimator_class, recall_data, sum_data, tmp_path):
    X, y = data_for(estimator_class, recall_data, sum_data)
    est = estimator_class(random_state=0, **TINY).fit(X, y)
    expected = outputs(est, X)
    np.testing.assert_array_equal(outputs(pickle.loads(pickle.dumps(est)), X), expected)
    joblib.dump(est, tmp_path / "model.joblib")
    np.testing.assert_array_equal(outputs(joblib.load(tmp_path / "model.joblib"), X), expected)
    cloned = clone(est)
    assert not hasattr(cloned, "net_")
    np.testing.assert_array_equal(outputs(cloned.fit(X, y), X), expected)


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
def test_grid_search_with_two_jobs(estimator_class, recall_data, sum_data):
    X, y = data_for(estimator_class, recall_data, sum_data)
    grid = {"cell": ["lstm", "gru"], "bidirectional": [False, True]}
    # No convolution branch: its sums depend on the thread count (one per worker, all
    # cores when serial), and the searches are compared to rounding.
    model = estimator_class(random_state=0, conv_channels=None, **TINY)
    search = GridSearchCV(model, grid, cv=2, n_jobs=2)
    search.fit(X, y)
    # A failed fit would score NaN; worker processes must reproduce the serial fits.
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    serial = GridSearchCV(model, grid, cv=2).fit(X, y)
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"], rtol=1e-6
    )
    assert search.best_estimator_.get_params().items() >= search.best_params_.items()


def test_cross_val_score_and_pipeline(recall_data):
    (X, y), _ = recall_data
    scores = cross_val_score(RNNClassifier(random_state=0, **TINY), X[:90], y[:90], cv=3)
    assert scores.shape == (3,)
    flip = FunctionTransformer(lambda X: [x[::-1] for x in X])
    pipe = make_pipeline(flip, RNNClassifier(random_state=0, **TINY)).fit(X[:60], y[:60])
    assert pipe.predict(X[:5]).shape == (5,)


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_prediction_does_not_depend_on_batch_mates(estimator_class, bidirectional, sum_data):
    (X, _), _ = sum_data
    rng = np.random.default_rng(0)
    X = [np.stack([x, x**2], axis=1) for x in X[:60]]
    y = rng.integers(0, 3, 60) if estimator_class is RNNClassifier else rng.normal(size=60)
    est = estimator_class(bidirectional=bidirectional, random_state=0, batch_size=4, **TINY)
    est.fit(X, y)
    short = [X[0][:3]]
    long_batch = [rng.normal(size=(200, 2)) for _ in range(3)] + short
    alone = outputs(est, short)
    together = outputs(est, long_batch)[-1:]
    np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-6)


def test_input_forms_give_the_same_model():
    rng = np.random.default_rng(0)
    X3 = rng.normal(size=(30, 6, 1)).astype(np.float32)
    y = (X3[:, 0, 0] > 0).astype(int)
    forms = [X3, list(X3), X3[:, :, 0], list(X3[:, :, 0])]
    probas = [RNNClassifier(random_state=0, **TINY).fit(X, y).predict_proba(X) for X in forms]
    for proba in probas[1:]:
        np.testing.assert_allclose(proba, probas[0], rtol=1e-6)


def test_frame_size_stacks_steps(sum_data):
    (X, y), _ = sum_data
    est = RNNRegressor(frame_size=4, random_state=0, **TINY).fit(X, y)
    assert est.n_features_in_ == 1
    assert est.net_.module_.encoder.input_vector_size == 4
    assert est.predict(X[:5]).shape == (5,)


def test_early_stopping_holds_out_data_and_stops(recall_data):
    (X, y), _ = recall_data
    clf = RNNClassifier(
        early_stopping=True,
        n_iter_no_change=2,
        max_epochs=200,
        lr=0.05,
        hidden_size=8,
        validation_fraction=0.2,
        random_state=0,
    ).fit(X, y)
    history = clf.history_
    assert len(history) < 200
    assert "valid_loss" in history[-1]
    assert history[-1, "train_batch_count"] == int(np.ceil(0.8 * len(X) / clf.batch_size))


def test_callbacks_are_copied_and_called(recall_data):
    (X, y), _ = recall_data

    class CountEpochs(Callback):
        def __init__(self):
            self.epochs = 0

        def on_epoch_end(self, net, **kwargs):
            self.epochs += 1

    counter = CountEpochs()
    clf = RNNClassifier(callbacks=[counter], **TINY).fit(X[:20], y[:20])
    assert counter.epochs == 0
    fitted = [cb for _, cb in clf.net_.callbacks_ if isinstance(cb, CountEpochs)]
    assert fitted[0].epochs == TINY["max_epochs"]


def test_verbose_prints_a_table_and_silent_by_default(recall_data, capsys):
    (X, y), _ = recall_data
    RNNClassifier(**TINY).fit(X[:20], y[:20])
    assert capsys.readouterr().out == ""
    RNNClassifier(verbose=1, **TINY).fit(X[:20], y[:20])
    assert "train_loss" in capsys.readouterr().out


def test_gradient_clipping_is_on_by_default():
    clf = RNNClassifier(**TINY).fit([np.zeros((3, 1))] * 4, [0, 1, 0, 1])
    names = [name for name, _ in clf.net_.callbacks_]
    assert "clip_grad_norm" in names
    off = RNNClassifier(clip_grad_norm=None, **TINY).fit([np.zeros((3, 1))] * 4, [0, 1, 0, 1])
    assert "clip_grad_norm" not in [name for name, _ in off.net_.callbacks_]


def test_cuda_trained_pickle_loads_on_cpu(recall_data, monkeypatch):
    """The map-location path: a pickle that says 'cuda' loads on a CPU-only machine."""
    (X, y), _ = recall_data
    clf = RNNClassifier(random_state=0, **TINY).fit(X[:40], y[:40])
    expected = clf.predict_proba(X[:40])
    # Make the fitted model look as if it had been trained on a GPU.
    clf.net_.device = "cuda"
    payload = pickle.dumps(clf)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        loaded = pickle.load(io.BytesIO(payload))
    assert loaded.device_ == "cpu"
    np.testing.assert_array_equal(loaded.predict_proba(X[:40]), expected)


def test_device_auto_resolves_to_cpu_here(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    clf = RNNClassifier(device="auto", **TINY).fit([np.zeros((3, 1))] * 4, [0, 1, 0, 1])
    assert clf.device_ == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_fit_predict_matches_cpu_closely(recall_data, tmp_path):
    (X, y), _ = recall_data
    gpu = RNNClassifier(device="cuda", random_state=0, **TINY).fit(X, y)
    assert next(gpu.net_.module_.parameters()).is_cuda
    proba = gpu.predict_proba(X)
    assert isinstance(proba, np.ndarray)
    # The same weights on the CPU predict the same probabilities, to float32 rounding.
    gpu.save(tmp_path / "gpu.safetensors")
    cpu = sk_rnn.load(tmp_path / "gpu.safetensors", device="cpu")
    assert cpu.device_ == "cpu"
    np.testing.assert_allclose(cpu.predict_proba(X), proba, atol=1e-4)


def test_skorch_scoring_callbacks_see_labels_and_targets(recall_data, sum_data):
    from skorch.callbacks import EpochScoring

    (X, y), _ = recall_data
    accuracy = EpochScoring("accuracy", lower_is_better=False)
    clf = RNNClassifier(
        callbacks=[accuracy], early_stopping=True, validation_fraction=0.25, **TINY
    ).fit(X, y)
    scores = clf.history_[:, "accuracy"]
    assert len(scores) == TINY["max_epochs"] and all(0 <= s <= 1 for s in scores)
    (X, y), _ = sum_data
    r2 = EpochScoring("r2", lower_is_better=False)
    reg = RNNRegressor(callbacks=[r2], early_stopping=True, **TINY).fit(X, y)
    assert np.isfinite(reg.history_[:, "r2"]).all()

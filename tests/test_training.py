"""Fault-tolerant and continued training."""

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from sk_rnn import RNNClassifier, RNNRegressor

# A constant learning rate and no dropout: these tests compare runs of different lengths
# (a cosine schedule depends on the length of each run, and each run draws its own
# dropout masks).
TINY = dict(
    hidden_size=8, max_epochs=3, lr=0.01, lr_schedule="constant", dropout=0.0, random_state=0
)


class FailAt(Callback):
    """Turn the loss into NaN, or press Ctrl+C, at a given epoch and batch."""

    def __init__(self, epoch, batch=1, action="nan"):
        self.epoch, self.batch, self.action = epoch, batch, action

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        at = len(net.history) == self.epoch and len(net.history[-1]["batches"]) == self.batch
        if training and at:
            if self.action == "interrupt":
                raise KeyboardInterrupt
            with torch.no_grad():
                net.module_.head.bias.fill_(float("nan"))


def weights(est):
    return [p.detach().clone() for p in est.net_.module_.parameters()]


def test_nan_loss_stops_with_clear_error_and_keeps_last_good_epoch(recall_data):
    (X, y), _ = recall_data
    reference = RNNClassifier(**dict(TINY, max_epochs=2)).fit(X, y)
    clf = RNNClassifier(callbacks=[FailAt(epoch=3)], **TINY)
    with pytest.raises(FloatingPointError, match=r"epoch 3.*weights of epoch 2.*lower lr"):
        clf.fit(X, y)
    for kept, expected in zip(weights(clf), weights(reference), strict=True):
        torch.testing.assert_close(kept, expected)
    assert len(clf.history_) == 2
    np.testing.assert_array_equal(clf.predict_proba(X), reference.predict_proba(X))


def test_nan_in_first_epoch_restores_initial_weights(sum_data):
    (X, y), _ = sum_data
    reg = RNNRegressor(callbacks=[FailAt(epoch=1, batch=2)], **TINY)
    with pytest.raises(FloatingPointError, match="epoch 1.*before this training run"):
        reg.fit(X, y)
    assert np.isfinite(reg.predict(X)).all()


def test_keyboard_interrupt_keeps_last_completed_epoch(recall_data):
    (X, y), _ = recall_data
    reference = RNNClassifier(**dict(TINY, max_epochs=1)).fit(X, y)
    clf = RNNClassifier(callbacks=[FailAt(epoch=2, batch=3, action="interrupt")], **TINY)
    with pytest.warns(UserWarning, match="interrupted in epoch 2.*weights of epoch 1"):
        clf.fit(X, y)
    assert len(clf.history_) == 1
    np.testing.assert_array_equal(clf.predict_proba(X), reference.predict_proba(X))


def test_warm_start_continues_and_cold_start_restarts(recall_data):
    (X, y), _ = recall_data
    warm = RNNClassifier(warm_start=True, **TINY).fit(X, y)
    after_first = weights(warm)
    warm.fit(X, y)
    assert len(warm.history_) == 2 * TINY["max_epochs"]
    assert not torch.equal(weights(warm)[0], after_first[0])
    cold = RNNClassifier(**TINY).fit(X, y)
    cold.fit(X, y)
    assert len(cold.history_) == TINY["max_epochs"]
    # Weights, optimizer state and the per-epoch shuffling carry over: 3 + 3 epochs of
    # continued training match 6 epochs in one go.
    six = RNNClassifier(**dict(TINY, max_epochs=6)).fit(X, y)
    np.testing.assert_allclose(warm.predict_proba(X), six.predict_proba(X), rtol=1e-4, atol=1e-5)


def test_warm_start_rejects_new_classes(recall_data):
    (X, y), _ = recall_data
    clf = RNNClassifier(warm_start=True, **TINY).fit(X, y)
    with pytest.raises(ValueError, match="not in classes_"):
        clf.fit(X[:3], ["pos", "neg", "other"])


def test_partial_fit_with_declared_classes(recall_data):
    (X, y), _ = recall_data
    clf = RNNClassifier(**TINY)
    first = y == "pos"
    clf.partial_fit(
        [x for x, f in zip(X, first, strict=True) if f], y[first], classes=["neg", "pos"]
    )
    assert list(clf.classes_) == ["neg", "pos"]
    for _ in range(4):
        clf.partial_fit(X, y)
    assert len(clf.history_) == 5
    assert clf.score(X, y) > 0.5


def test_partial_fit_regressor_keeps_target_scaling(sum_data):
    (X, y), _ = sum_data
    reg = RNNRegressor(**TINY).partial_fit(X, y)
    mean = reg.target_mean_.copy()
    reg.partial_fit(X, y + 100)
    np.testing.assert_array_equal(reg.target_mean_, mean)
    with pytest.raises(ValueError, match="fitted with y of shape"):
        reg.partial_fit(X, np.c_[y, y])


def test_warm_start_applies_new_training_parameters(recall_data):
    (X, y), _ = recall_data
    model = RNNClassifier(warm_start=True, **dict(TINY, dropout=0.2)).fit(X, y)
    optimizer_state = model.net_.optimizer_.state_dict()["state"]
    model.set_params(lr=0.5, max_epochs=2, dropout=0.0, batch_size=64).fit(X, y)
    assert model.net_.optimizer_.param_groups[0]["lr"] == 0.5
    assert model.net_.batch_size == 64
    assert len(model.history_) == TINY["max_epochs"] + 2
    assert all(m.p == 0.0 for m in model.net_.module_.modules() if isinstance(m, torch.nn.Dropout))
    # Adam's running averages carried over (they were not reset with the new lr).
    assert model.net_.optimizer_.state_dict()["state"].keys() == optimizer_state.keys()
    assert model.history_[-1, "train_batch_count"] == int(np.ceil(len(X) / 64))


@pytest.mark.parametrize(
    "change", [dict(hidden_size=32), dict(cell="gru"), dict(pooling="max"), dict(frame_size=2)]
)
def test_warm_start_refuses_parameters_that_shape_the_network(recall_data, change):
    (X, y), _ = recall_data
    model = RNNClassifier(warm_start=True, **TINY).fit(X, y)
    before = weights(model)
    name = next(iter(change))
    with pytest.raises(ValueError, match=f"fitted with {name}=.*cannot continue with {name}="):
        model.set_params(**change).fit(X, y)
    for kept, original in zip(weights(model), before, strict=True):
        torch.testing.assert_close(kept, original)
    with pytest.raises(ValueError, match=name):
        model.partial_fit(X, y)
    model.set_params(warm_start=False).fit(X, y)  # a fresh fit takes it
    numeric_default = RNNClassifier._auto_by_input["pooling"][0]
    assert getattr(model.net_.module_, "pooling", None) == change.get("pooling", numeric_default)

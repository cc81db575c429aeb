"""plot_history: learning curves from the skorch history."""

import sys

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sk_rnn import RNNClassifier, SequenceScaler, plot_history

from .tasks import delayed_recall

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


@pytest.fixture(scope="module")
def fitted():
    X, y = delayed_recall(80, np.random.default_rng(0))
    model = RNNClassifier(hidden_size=8, max_epochs=4, early_stopping=True, random_state=0)
    return make_pipeline(SequenceScaler(), model).fit(X, y)


def test_draws_the_losses_of_every_epoch(fitted):
    axes = plot_history(fitted)
    history = fitted[-1].history_
    lines = {line.get_label(): line for line in axes[0].get_lines()}
    np.testing.assert_allclose(lines["train_loss"].get_ydata(), history[:, "train_loss"])
    np.testing.assert_allclose(lines["valid_loss"].get_ydata(), history[:, "valid_loss"])
    best = [e["epoch"] for e in history if e["valid_loss_best"]][-1]
    assert lines["best valid_loss"].get_xdata()[0] == best


def test_named_metrics_and_given_axes(fitted):
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    axes = plot_history(fitted, metrics=["dur"], ax=ax)
    assert axes[0] is ax and len(axes) == 2
    assert [line.get_label() for line in axes[1].get_lines()] == ["dur"]
    with pytest.raises(ValueError, match="'accuracy', which is not in"):
        plot_history(fitted, metrics=["accuracy"])


def test_errors(monkeypatch):
    with pytest.raises(NotFittedError):
        plot_history(RNNClassifier())
    with pytest.raises(ValueError, match="no training history"):
        plot_history(LogisticRegression().fit([[0], [1]], [0, 1]))
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_history(RNNClassifier())

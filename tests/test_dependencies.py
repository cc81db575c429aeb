"""What sk_rnn relies on in its dependencies beyond their public API, checked directly so
that a release that changes it fails here, loudly, rather than somewhere downstream.

- scikit-learn: ``sklearn.base._fit_context`` and ``sklearn.utils._param_validation``
  (the parameter validation every scikit-learn estimator uses);
- skorch: the history layout its epoch loop writes, which ``SequenceNet.run_single_epoch``
  reproduces without a host synchronisation per batch;
- scikit-learn: ``sklearn.utils._set_output._get_container_adapter`` and its adapters'
  ``create_container(data, original_input, columns=callable)`` (``set_output`` for outputs
  that are tables or sequences, ``sk_rnn._output``);
- skorch: ``NeuralNet._default_callbacks`` and ``PrintLog.format_row(row, key, color)``
  (the epoch table without colour outside a terminal);
- CPython on Windows only: ``multiprocessing.current_process()._identity``, the worker
  number behind "one GPU per worker" where no lock files are available (elsewhere slots
  are claimed with ``fcntl.flock``; checked in tests/test_scale_out.py).
"""

import numpy as np
import pytest
import torch
from skorch import NeuralNet

from sk_rnn import RNNClassifier
from sk_rnn._net import SequenceNet


def test_scikit_learn_parameter_validation():
    from numbers import Integral

    from sklearn.base import _fit_context
    from sklearn.utils._param_validation import (
        HasMethods,
        Interval,
        InvalidParameterError,
        StrOptions,
    )

    # The constraint classes sk_rnn declares its parameters with, as it uses them.
    assert Interval(Integral, 1, None, closed="left").is_satisfied_by(3)
    assert not Interval(Integral, 1, None, closed="left").is_satisfied_by(0)
    assert StrOptions({"auto"}).is_satisfied_by("auto")
    assert not StrOptions({"auto"}).is_satisfied_by("other")
    assert HasMethods(["fit"]).is_satisfied_by(RNNClassifier())
    assert callable(_fit_context(prefer_skip_nested_validation=True))
    with pytest.raises(InvalidParameterError, match="'hidden_size' parameter"):
        RNNClassifier(hidden_size=0).fit([np.zeros((2, 1))] * 2, [0, 1])


def _history_without_timings(history):
    return [
        {
            key: value
            for key, value in epoch.items()
            if key not in ("dur", "batches") and not key.endswith("_best")
        }
        | {"batches": epoch["batches"]}
        for epoch in history
    ]


def test_epoch_loop_records_what_skorchs_own_loop_records(monkeypatch, recall_data):
    (X, y), _ = recall_data
    params = dict(hidden_size=8, max_epochs=3, lr=0.01, random_state=0, early_stopping=True)
    ours = RNNClassifier(**params).fit(X[:100], y[:100])
    # The same fit through skorch's own run_single_epoch (loss.item() after every batch).
    monkeypatch.setattr(SequenceNet, "run_single_epoch", NeuralNet.run_single_epoch)
    skorchs = RNNClassifier(**params).fit(X[:100], y[:100])
    assert _history_without_timings(ours.history_) == _history_without_timings(skorchs.history_)
    np.testing.assert_array_equal(ours.predict_proba(X), skorchs.predict_proba(X))
    batches = ours.history_[-1, "batches"]
    assert {"train_loss", "train_batch_size"} <= set(batches[0])
    assert {"valid_loss", "valid_batch_size"} <= set(batches[-1])


def test_scikit_learn_output_containers():
    import pandas as pd
    from sklearn import config_context
    from sklearn.utils._set_output import _get_container_adapter

    class Named:
        def get_feature_names_out(self):
            return np.array(["a", "b"])

    with config_context(transform_output="pandas"):
        adapter = _get_container_adapter("transform", Named())
    table = adapter.create_container(np.zeros((3, 2)), None, columns=Named().get_feature_names_out)
    assert isinstance(table, pd.DataFrame) and table.columns.tolist() == ["a", "b"]
    assert _get_container_adapter("transform", Named()) is None  # "default"


def test_skorch_default_callbacks_and_print_log():
    from skorch.callbacks import PrintLog

    net = NeuralNet(torch.nn.Linear(1, 1), criterion=torch.nn.MSELoss)
    names = [name for name, _ in net._default_callbacks]
    assert names[-1] == "print_log"
    log = PrintLog().initialize()
    row = {"epoch": 1, "train_loss": 0.5, "train_loss_best": True}
    assert log.format_row(row, "train_loss", color="\x1b[32m") == "\x1b[32m0.5000\x1b[0m"

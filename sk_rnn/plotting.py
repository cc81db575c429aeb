"""Learning curves from the training history (matplotlib, an optional dependency)."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

__all__ = ["plot_history"]

_LOSSES = ("train_loss", "valid_loss")
# Bookkeeping entries of skorch's history, not curves.
_NOT_CURVES = ("epoch", "dur", "batches")


def plot_history(estimator, *, metrics=None, ax=None):
    """Plot the training and validation loss (and other metrics) of each epoch.

    Reads the skorch history of a fitted sk_rnn estimator (``history_``), of the last
    step of a :class:`~sklearn.pipeline.Pipeline`, or of an
    :class:`~sk_rnn.RNNForecaster`'s regressor. The epoch with the best validation loss
    is marked. Validation curves exist when the model was fitted with
    ``early_stopping=True`` (or another skorch ``train_split``).

    Parameters
    ----------
    estimator : fitted sk_rnn estimator, or Pipeline ending in one
    metrics : list of str or None, default=None
        Other per-epoch entries of the history to draw on a second panel (e.g. the
        names of skorch ``EpochScoring`` callbacks). None draws every numeric entry
        besides the losses, timings and bookkeeping.
    ax : matplotlib Axes or None, default=None
        Where to draw the losses; a new figure is made if None (with a second panel
        when there are metrics).

    Returns
    -------
    axes : list of matplotlib Axes
        The loss panel, then the metrics panel if any.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "plot_history needs matplotlib, an optional dependency of sk_rnn: "
            "pip install matplotlib"
        ) from None
    epochs = _history(estimator)
    if metrics is None:
        metrics = _metric_names(epochs)
    for name in metrics:
        if not all(name in epoch for epoch in epochs):
            raise ValueError(
                f"metrics contains {name!r}, which is not in every epoch of the history; "
                f"available: {sorted(set().union(*epochs))}."
            )
    if ax is None:
        _, axes = plt.subplots(1, 2 if metrics else 1, figsize=(10 if metrics else 5.5, 3.5))
        axes = list(np.atleast_1d(axes))
    else:
        axes = [ax] + ([ax.twinx()] if metrics else [])
    epoch_numbers = [epoch["epoch"] for epoch in epochs]
    loss_axes = axes[0]
    for name in _LOSSES:
        if all(name in epoch for epoch in epochs):
            loss_axes.plot(epoch_numbers, [epoch[name] for epoch in epochs], label=name)
    best = [e["epoch"] for e in epochs if e.get("valid_loss_best")]
    if best:
        best_loss = next(e["valid_loss"] for e in epochs if e["epoch"] == best[-1])
        loss_axes.plot(best[-1], best_loss, "o", color="black", label="best valid_loss")
    loss_axes.set(xlabel="epoch", ylabel="loss", title="Loss per epoch")
    loss_axes.legend()
    if metrics:
        metric_axes = axes[1]
        for name in metrics:
            metric_axes.plot(epoch_numbers, [epoch[name] for epoch in epochs], "--", label=name)
        metric_axes.set(xlabel="epoch", title="Metrics per epoch")
        metric_axes.legend()
    return axes


def _history(estimator) -> list[dict]:
    if isinstance(estimator, Pipeline):
        estimator = estimator[-1]
    estimator = getattr(estimator, "regressor_", estimator)
    check_is_fitted(estimator)
    net = getattr(estimator, "net_", None)
    epochs = [] if net is None else list(net.history)
    if not epochs:
        raise ValueError(
            f"{type(estimator).__name__} has no training history to plot; plot_history "
            "takes a fitted sk_rnn estimator."
        )
    return epochs


def _metric_names(epochs: list[dict]) -> list[str]:
    first = epochs[0]
    return [
        name
        for name, value in first.items()
        if name not in _LOSSES + _NOT_CURVES
        and isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and not name.endswith(("_best", "_dur", "_batch_count"))
    ]

"""The forecaster's network: the default recipe, and how any regressor is set up for
the windows it learns from."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import clone

from .._device import draw_seed
from .._regressor import RNNRegressor

__all__ = ["DEFAULT_REGRESSOR", "DEFAULT_WINDOW_VISITS", "training_network"]

# The network: windows are short and standardised already (docs/benchmarks.md, airline).
DEFAULT_REGRESSOR = dict(
    cell="gru",
    hidden_size=32,
    bidirectional=False,
    pooling="last",
    conv_channels=None,
    dropout=0.0,
    max_epochs=200,
    lr=3e-3,
    lr_schedule="constant",
    optimizer=torch.optim.Adam,
    # From 1,000 windows on (many series), 200 epochs overfit: M1 yearly validation.
    early_stopping="auto",
)
# With many series, the default network's cost stops growing with the number of
# windows: it reads at most this many windows in all (fewer epochs with more windows;
# 30,000 steps of 32: on M1 monthly's validation origin, MASE 1.488 against 1.655 for
# 1,200,000, seeds 0-2), and from 32,000 windows on, batches grow to keep an epoch near
# 1,000 steps (up to 256 windows a batch, which the CPU reads 3x faster per window than
# 32), so 10,000 series fit in about the time of 1,000 (bench_many_series.py).
DEFAULT_WINDOW_VISITS = 960_000
EPOCH_BATCHES = 1_000
LARGEST_BATCH = 256


def training_network(regressor, inputs, random_state) -> RNNRegressor:
    """An unfitted clone of ``regressor`` (None: the default network) set up to learn
    from the windows ``inputs``."""
    if regressor is None:
        regressor = RNNRegressor(**DEFAULT_REGRESSOR)
        regressor.set_params(**_within_budget(regressor, len(inputs)))
    regressor = clone(regressor)
    if regressor.shrink_to_mean == "auto":
        # Windows of one series overlap: a held-out fold of them is not unseen data.
        regressor.set_params(shrink_to_mean=False)
    if regressor.missing == "auto" and any(np.isnan(x).any() for x in inputs):
        # A window's gaps are read with their channels: on M1 yearly with 20% of the
        # history removed, MASE 3.88 with them against 3.97 without (6 seeds).
        regressor.set_params(missing="last")
    if random_state is not None:
        seed = draw_seed(random_state)
        regressor.set_params(random_state=int(seed))
    return regressor


def _within_budget(network: RNNRegressor, n_windows: int) -> dict:
    """The default network's ``max_epochs`` and ``batch_size`` for ``n_windows``
    windows: its own, or fewer epochs (at least one) where they would read more than
    ``DEFAULT_WINDOW_VISITS`` windows, in batches large enough for about
    ``EPOCH_BATCHES`` a epoch."""
    held_out = network._resolve_early_stopping(n_windows)
    n_train = max(1, int(n_windows * (1 - network.validation_fraction if held_out else 1)))
    batch_size = int(np.clip(np.ceil(n_train / EPOCH_BATCHES), network.batch_size, LARGEST_BATCH))
    epochs = int(np.clip(DEFAULT_WINDOW_VISITS // n_train, 1, network.max_epochs))
    return {"max_epochs": epochs, "batch_size": batch_size}

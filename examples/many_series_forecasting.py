"""
Many series, one forecaster
===========================

Recurrent forecasters are usually trained on many related series at once: the sales of
every store, the load of every feeder. Here 30 stores' daily sales share a weekly pattern
and a slow trend, at levels from tens to thousands, with short histories (10 to 16
weeks). ``RNNForecaster`` fits **one** network on the windows of all of them, each store
scaled on its own, and forecasts the next two weeks of every store at once. It is
compared with one network per store (same settings, fitted on that store alone) and with
the seasonal naive forecast (last week again).
"""

import time

import numpy as np

from sk_rnn import RNNForecaster, RNNRegressor

rng = np.random.default_rng(0)
weekly = np.array([0.8, 0.9, 0.95, 1.0, 1.2, 1.5, 0.6])  # Monday .. Sunday
stores = []
for _ in range(30):
    days = np.arange(7 * rng.integers(10, 17) + 14)
    level = 10 ** rng.uniform(1, 3.5)
    trend = 1 + rng.uniform(-0.3, 0.6) * days / days[-1]
    shape = weekly[(days + rng.integers(7)) % 7] ** rng.uniform(0.5, 1.5)
    stores.append(level * trend * shape * np.exp(rng.normal(scale=0.08, size=len(days))))
history = [s[:-14] for s in stores]
truth = [s[-14:] for s in stores]


def network():
    return RNNRegressor(
        cell="gru",
        hidden_size=32,
        bidirectional=False,
        pooling="last",
        conv_channels=None,
        max_epochs=60,
        random_state=0,
    )


def mape(forecasts):
    return np.mean([np.mean(np.abs(f - t) / t) for f, t in zip(forecasts, truth, strict=True)])


start = time.perf_counter()
global_model = RNNForecaster(window=28, horizon=14, log=True, regressor=network())
global_model.fit(history)
global_forecasts = global_model.forecast(14)  # shape (30, 14): one row per store
global_seconds = time.perf_counter() - start

start = time.perf_counter()
local_forecasts = [
    RNNForecaster(window=28, horizon=14, log=True, regressor=network()).fit(h).forecast(14)
    for h in history
]
local_seconds = time.perf_counter() - start

naive = [np.resize(h[-7:], 14) for h in history]
print(f"{'one global network':>26}: MAPE {mape(global_forecasts):.1%} ({global_seconds:.0f} s)")
print(f"{'one network per store':>26}: MAPE {mape(local_forecasts):.1%} ({local_seconds:.0f} s)")
print(f"{'seasonal naive':>26}: MAPE {mape(naive):.1%}")

try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
if plt is not None:
    fig, axes = plt.subplots(1, 3, figsize=(10, 3))
    for ax, k in zip(axes, [0, 1, 2], strict=True):
        n = len(history[k])
        ax.plot(np.arange(n - 42, n), history[k][-42:], label="history")
        ax.plot(np.arange(n, n + 14), truth[k], label="truth")
        ax.plot(np.arange(n, n + 14), global_forecasts[k], "--", label="global")
        ax.plot(np.arange(n, n + 14), local_forecasts[k], ":", label="per store")
        ax.set_title(f"store {k}")
    axes[0].legend()
    fig.tight_layout()
    plt.show()

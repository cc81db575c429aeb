"""
Forecasting airline passengers
==============================

``RNNForecaster`` turns one series into sliding windows and fits an ``RNNRegressor`` to
predict the next ``horizon`` steps. On the classic airline series it models the log
series' 12-month differences, so the network only learns how the yearly growth goes on,
and forecasts the 24 held-out months at once. A figure shows history, forecast and truth
when matplotlib is installed.
"""

import time

import numpy as np

from sk_rnn import RNNForecaster, RNNRegressor
from sk_rnn.datasets import load_airline

months, passengers = load_airline()
train, test = passengers[:-24], passengers[-24:]

model = RNNForecaster(
    window=24,
    horizon=24,
    log=True,
    difference=12,
    interval_windows=12,  # calibrate 90% intervals on the errors at the last 12 origins
    regressor=RNNRegressor(cell="gru", hidden_size=32, max_epochs=100, lr=3e-3, random_state=0),
)
start = time.perf_counter()
model.fit(train)
forecast = model.forecast(24)
lower, upper = model.predict_interval(np.full(24, np.nan), coverage=0.9)
print(f"fitted in {time.perf_counter() - start:.1f} s")
print(f"MAPE over the last 24 months: {np.mean(np.abs(forecast - test) / test):.1%}")
print(f"seasonal naive MAPE: {np.mean(np.abs(np.resize(train[-12:], 24) - test) / test):.1%}")
print(f"test months inside the 90% interval: {np.mean((lower <= test) & (test <= upper)):.0%}")

try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
if plt is not None:
    steps = np.arange(len(passengers))
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.plot(steps[:-24], train, label="history")
    ax.plot(steps[-24:], test, label="truth")
    ax.fill_between(steps[-24:], lower, upper, alpha=0.25, label="90% interval")
    ax.plot(steps[-24:], forecast, "--", label="RNNForecaster")
    ax.set_xticks(steps[::24], months[::24])
    ax.set_ylabel("passengers (thousands)")
    ax.legend()
    fig.tight_layout()
    plt.show()

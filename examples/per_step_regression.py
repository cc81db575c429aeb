"""
Denoising a recording at every step
===================================

``RNNRegressor(per_step=True)`` predicts a value at every step of every sequence. Here
the sequences are real speech recordings (Japanese Vowels: 12 cepstrum coefficients per
10 ms frame) with noise added to every frame, and the model learns to give back the
clean coefficients at each frame. A bidirectional network reads the frames on both sides
of each step; it is compared with the noisy input itself and with a 3-frame moving
average, the usual hand-made smoother.
"""

import time

import numpy as np
from sklearn.metrics import r2_score

from sk_rnn import RNNRegressor
from sk_rnn.datasets import load_japanese_vowels

X_clean, _ = load_japanese_vowels(subset="train")
X_test_clean, _ = load_japanese_vowels(subset="test")
rng = np.random.default_rng(0)
scale = np.concatenate(X_clean).std(axis=0)  # noise as strong as each coefficient varies


def noisy(sequences):
    return [x + rng.normal(size=x.shape) * scale for x in sequences]


X, X_test = noisy(X_clean), noisy(X_test_clean)

model = RNNRegressor(per_step=True, random_state=0)
start = time.perf_counter()
model.fit(X, X_clean)  # y[i] has one 12-value target per step of X[i]
print(f"fitted in {time.perf_counter() - start:.1f} s")
denoised = model.predict(X_test)  # one (n_steps_i, 12) array per recording


def moving_average(x, width=3):
    kernel = np.ones(width) / width
    padded = np.pad(x, ((width // 2, width // 2), (0, 0)), mode="edge")
    return np.column_stack([np.convolve(padded[:, j], kernel, "valid") for j in range(x.shape[1])])


truth = np.concatenate(X_test_clean)
for name, estimate in [
    ("noisy input", X_test),
    ("3-frame moving average", [moving_average(x) for x in X_test]),
    ("RNNRegressor(per_step=True)", denoised),
]:
    print(f"{name:>28}: R^2 {r2_score(truth, np.concatenate(estimate)):.3f}")

try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
if plt is not None:
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.plot(X_test[0][:, 0], ".", color="0.6", label="noisy")
    ax.plot(X_test_clean[0][:, 0], label="clean")
    ax.plot(denoised[0][:, 0], "--", label="denoised")
    ax.set_xlabel("frame")
    ax.set_ylabel("coefficient 1")
    ax.legend()
    fig.tight_layout()
    plt.show()

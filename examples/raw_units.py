"""
Series in raw units
===================

Recordings rarely arrive normalised. A current sensor reads milliamps on one machine and
amps on the next; sales are counted in units for one shop and thousands for another.
Here every Japanese Vowels recording is multiplied by its own gain of ``10**u`` (``u``
uniform in [-3, 3], the same for all its features) and shifted: six decades of scale
that say nothing about the speaker.

With ``standardize="auto"`` (the default) the classifier sees that the training
series' scales span more than two decades and scales each series on its own
(``input_scaling_ == "per_series"``): one mean and one standard deviation per series,
over all its steps and features, computed again for every series it predicts. One
global scale, learned over all the training steps, flattens the small series to zeros.
"""

import numpy as np

from sk_rnn import RNNClassifier
from sk_rnn.datasets import load_japanese_vowels

try:
    import matplotlib.pyplot as plt
except ImportError:  # the core install has no matplotlib: the example runs without pictures
    plt = None

X, y = load_japanese_vowels(subset="train")
X_test, y_test = load_japanese_vowels(subset="test")


def in_raw_units(sequences, seed):
    rng = np.random.default_rng(seed)
    return [(x + rng.uniform(-10, 10)) * 10.0 ** rng.uniform(-3, 3) for x in sequences]


X_raw, X_test_raw = in_raw_units(X, seed=0), in_raw_units(X_test, seed=1)

settings = dict(hidden_size=32, max_epochs=15, random_state=0)
per_series = RNNClassifier(**settings).fit(X_raw, y)
one_scale = RNNClassifier(standardize="global", **settings).fit(X_raw, y)
print(f"fitted scaling: {per_series.input_scaling_!r}")
print(f"per series:   test accuracy {per_series.score(X_test_raw, y_test):.3f}")
print(f"one scale:    test accuracy {one_scale.score(X_test_raw, y_test):.3f}")

# %%
# What the model sees
# -------------------
#
# Left, the first coefficient of three recordings as they arrive; middle, the same
# recordings as the network reads them; right, why "auto" chose per-series scaling: the
# spread of the training series' standard deviations (log scale), far wider than the
# two decades at which it switches.

if plt is not None:
    scales = np.array([x.std() for x in X_raw])
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    for x in X_raw[:3]:
        axes[0].plot(x[:, 0])
        axes[1].plot(((x - x.mean()) / x.std())[:, 0])
    axes[0].set(title="as recorded (raw units)", xlabel="step", yscale="symlog")
    axes[1].set(title="what the network reads", xlabel="step")
    axes[2].hist(np.log10(scales), bins=30, color="grey")
    low, high = np.percentile(np.log10(scales), [10, 90])
    for edge in (low, high):
        axes[2].axvline(edge, color="black", linestyle="--")
    axes[2].set(
        title=f"series scales: {high - low:.1f} decades (p10-p90)",
        xlabel="log10 of a series' standard deviation",
    )
    fig.tight_layout()
    plt.show()

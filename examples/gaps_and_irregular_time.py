"""
Gaps and irregular time
=======================

Recordings have holes, and their steps are not always equally far apart: a sensor
drops out, a patient is measured when a nurse comes by. Here 30% of the values of every
Japanese Vowels recording are removed at random, and a random 70% of its steps are kept
with their times (the frames were 10 ms apart; now the gaps between kept frames vary).

Passed as they are (NaN for a missing value, the step times in a
:class:`~sk_rnn.TimedSequences`), the classifier imputes each missing value with the
feature's last observed value. Where the gaps say something about the label it also
reads, at every step, which features were observed and ``log1p`` of the steps since each
one was; where the timing does, ``log1p`` of the time since the previous step (in units
of the training's median step). Here values are removed and steps kept at random, and
the fit finds that neither says anything about the speaker (``input_gap_channels_`` is
False, ``input_time_scale_`` None), so it reads the imputed values alone: on small data,
channels that carry no signal cost accuracy. The usual workaround fills the gaps with
each feature's mean and drops the times.
"""

import numpy as np

from sk_rnn import RNNClassifier, TimedSequences
from sk_rnn.datasets import load_japanese_vowels

try:
    import matplotlib.pyplot as plt
except ImportError:  # the core install has no matplotlib: the example runs without pictures
    plt = None

X, y = load_japanese_vowels(subset="train")
X_test, y_test = load_japanese_vowels(subset="test")


def with_gaps(sequences, seed, missing=0.3, kept=0.7):
    """Each sequence with ``missing`` of its values set to NaN, and a random ``kept``
    share of its steps (at least two) kept, with their times in milliseconds."""
    rng = np.random.default_rng(seed)
    values, times = [], []
    for x in sequences:
        steps = np.sort(rng.choice(len(x), max(2, round(kept * len(x))), replace=False))
        x = x[steps].copy()
        x[rng.random(x.shape) < missing] = np.nan
        x[0, np.isnan(x).all(axis=0)] = 0.0  # nothing at all observed is refused: keep one
        values.append(x)
        times.append(10.0 * steps)
    return values, times


X_gaps, times = with_gaps(X, seed=0)
X_test_gaps, times_test = with_gaps(X_test, seed=1)

settings = dict(hidden_size=32, max_epochs=15, random_state=0)
learned = RNNClassifier(**settings).fit(TimedSequences(X_gaps, times), y)
print("imputation:", learned.input_gaps_, "; gap channels:", learned.input_gap_channels_)
print("time between steps read:", learned.input_time_scale_ is not None)
test = TimedSequences(X_test_gaps, times_test)
print(f"gaps and times learned from: {learned.score(test, y_test):.3f}")

# The usual workaround: fill each gap with the feature's training mean, drop the times.
means = np.nanmean(np.concatenate(X_gaps), axis=0)


def mean_filled(sequences):
    return [np.where(np.isnan(x), means, x) for x in sequences]


filled = RNNClassifier(**settings).fit(mean_filled(X_gaps), y)
print(f"mean-filled, times dropped: {filled.score(mean_filled(X_test_gaps), y_test):.3f}")

# %%
# What the network reads
# ----------------------
# One feature of a recording: the values that were kept (dots) and the imputed line
# the network reads; then the channels it would read where they carry signal (and
# always with ``missing="last"`` and ``elapsed=True``): whether the value was observed,
# the steps since it last was, and the time since the previous step, ``log1p``-scaled as
# the model reads them.
first = next(i for i, x in enumerate(X_gaps) if not np.isnan(x[0, 0]))  # starts observed
x, t = X_gaps[first][:, 0], times[first]
observed = ~np.isnan(x)
last_seen = np.maximum.accumulate(np.where(observed, np.arange(len(x)), 0))
imputed = x[last_seen]
since = np.log1p(np.arange(len(x)) - last_seen)
median_step = np.median(np.concatenate([np.diff(ts) for ts in times]))  # 10 ms
elapsed = np.log1p(np.diff(t, prepend=t[0]) / median_step)

if plt is not None:
    fig, axes = plt.subplots(4, 1, sharex=True, figsize=(7, 6))
    axes[0].plot(t, imputed, drawstyle="steps-post", color="0.6", label="imputed (last)")
    axes[0].plot(t[observed], x[observed], "o", markersize=4, label="observed")
    axes[0].legend(loc="upper right", fontsize="small")
    panels = [
        (observed.astype(float), "observed"),
        (since, "log1p(steps\nsince observed)"),
        (elapsed, "log1p(elapsed /\nmedian step)"),
    ]
    for ax, (channel, label) in zip(axes[1:], panels, strict=True):
        ax.plot(t, channel, drawstyle="steps-post")
        ax.set_ylabel(label, fontsize="small")
    axes[0].set_ylabel("feature 0")
    axes[-1].set_xlabel("time, ms")
    fig.tight_layout()
    plt.show()

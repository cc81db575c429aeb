"""Synthetic tasks that only a network with memory can solve."""

import numpy as np

CELLS = ["rnn", "rnn_relu", "lstm", "gru"]


def delayed_recall(n_samples, rng, min_length=6, max_length=12):
    """Label = sign of the value at a marked step; only a network with memory can solve it.

    Feature 0 is noise, feature 1 is 1 at one random step in the first half of each
    sequence and 0 elsewhere. With last-step readout the network must carry the marked
    value to the end of the sequence (and, backwards, to its start).
    """
    X, y = [], []
    for length in rng.integers(min_length, max_length + 1, size=n_samples):
        x = np.zeros((length, 2), dtype=np.float32)
        x[:, 0] = rng.normal(size=length)
        mark = rng.integers(0, length // 2)
        x[mark, 1] = 1.0
        X.append(x)
        y.append("pos" if x[mark, 0] > 0 else "neg")
    return X, np.array(y)


def ragged_sum(n_samples, rng, min_length=3, max_length=20):
    """Target = sum of a ragged univariate sequence."""
    X = [
        rng.normal(size=n).astype(np.float32)
        for n in rng.integers(min_length, max_length, size=n_samples)
    ]
    return X, np.array([x.sum() for x in X])

"""
Choosing the recurrent cell with a grid search
==============================================

Every sk_rnn setting is a flat scikit-learn parameter, so ``GridSearchCV`` compares cell
types and directions like any other hyperparameter, in parallel with ``n_jobs``. Here:
Elman RNNs (tanh and ReLU), LSTM and GRU, each one- and bidirectional, on the speaker
recognition recordings, with 3-fold cross-validation.
"""

import time

import numpy as np
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sk_rnn import RNNClassifier, SequenceScaler
from sk_rnn.datasets import load_japanese_vowels

try:
    import matplotlib.pyplot as plt
except ImportError:  # the core install has no matplotlib: the example runs without pictures
    plt = None

X, y = load_japanese_vowels(subset="train")
pipeline = make_pipeline(
    SequenceScaler(),
    RNNClassifier(hidden_size=32, lr=5e-3, max_epochs=25, random_state=0),
)
grid = {
    "rnnclassifier__cell": ["rnn", "rnn_relu", "lstm", "gru"],
    "rnnclassifier__bidirectional": [False, True],
}
search = GridSearchCV(pipeline, grid, cv=3, n_jobs=2)
start = time.perf_counter()
search.fit(X, y)
print(f"{len(search.cv_results_['params']) * 3} fits in {time.perf_counter() - start:.0f} s")
print("best:", search.best_params_, f"accuracy {search.best_score_:.3f}")

# %%
# Cross-validated accuracy of each combination
# --------------------------------------------
if plt is not None:
    results = search.cv_results_
    cells = grid["rnnclassifier__cell"]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for offset, bidirectional in zip((-0.2, 0.2), (False, True), strict=True):
        chosen = [
            i
            for i, p in enumerate(results["params"])
            if p["rnnclassifier__bidirectional"] == bidirectional
        ]
        order = [
            next(i for i in chosen if results["params"][i]["rnnclassifier__cell"] == c)
            for c in cells
        ]
        ax.bar(
            np.arange(len(cells)) + offset,
            results["mean_test_score"][order],
            width=0.4,
            yerr=results["std_test_score"][order],
            label="bidirectional" if bidirectional else "one direction",
        )
    ax.set_xticks(np.arange(len(cells)), cells)
    ax.set_ylim(0.5, 1.0)
    ax.set_ylabel("3-fold CV accuracy")
    ax.legend(loc="lower right")
    plt.tight_layout()
    plt.show()

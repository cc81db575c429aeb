"""
Speaker recognition on variable-length recordings
=================================================

Nine speakers each said the Japanese vowels /ae/; every recording is a sequence of 7 to
29 frames of 12 cepstrum coefficients. A bidirectional GRU reads each recording whole,
whatever its length, and names the speaker. Early stopping holds out a tenth of the
training recordings; the learning curves show where it stopped, and the confusion
matrix which speakers the model mixes up; the attention weights show which frames of a
recording the model reads its answer from.
"""

import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.pipeline import make_pipeline

from sk_rnn import RNNClassifier, SequenceScaler, plot_history
from sk_rnn.datasets import load_japanese_vowels

try:
    import matplotlib.pyplot as plt
except ImportError:  # the core install has no matplotlib: the example runs without pictures
    plt = None

X_train, y_train = load_japanese_vowels(subset="train")
X_test, y_test = load_japanese_vowels(subset="test")
lengths = [len(x) for x in X_train]
print(f"{len(X_train)} training recordings of {min(lengths)} to {max(lengths)} frames")

model = make_pipeline(
    SequenceScaler(),
    RNNClassifier(
        cell="gru",
        bidirectional=True,
        hidden_size=64,
        dropout=0.3,
        lr=3e-3,
        max_epochs=80,
        early_stopping=True,
        n_iter_no_change=15,
        random_state=0,
    ),
)
model.fit(X_train, y_train)
print(f"trained for {len(model[-1].history_)} epochs")
print(f"test accuracy: {model.score(X_test, y_test):.3f}")

# %%
# Learning curves
# ---------------
# Training and validation loss per epoch; the dot marks the epoch whose weights were kept.
if plt is not None:
    plot_history(model)
    plt.tight_layout()

# %%
# Which speakers are confused
# ---------------------------
if plt is not None:
    predicted = model.predict(X_test)
    ConfusionMatrixDisplay.from_predictions(
        y_test, predicted, labels=np.unique(y_test), colorbar=False
    )
    plt.title("Test recordings: true vs predicted speaker")
    plt.tight_layout()

# %%
# Where the model looks
# ---------------------
# The classifier pools the recurrent outputs of a recording with attention (its default
# for numeric series): a weighted mean whose weights ``attention_weights`` gives. Above,
# a test recording's 12 coefficients frame by frame; below, the weight of each frame.
if plt is not None:
    scaled = model[:-1].transform(X_test[:1])  # what the classifier reads
    weights = model[-1].attention_weights(scaled)[0]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 4), sharex=True)
    top.imshow(X_test[0].T, aspect="auto", cmap="viridis")
    top.set_ylabel("coefficient")
    bottom.bar(np.arange(len(weights)), weights, color="grey")
    bottom.set(xlabel="frame", ylabel="attention weight")
    fig.tight_layout()
    plt.show()

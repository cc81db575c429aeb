"""
Quick start: recognise speakers from variable-length recordings
================================================================

Japanese Vowels (shipped with sk_rnn): nine speakers each say /ae/; every utterance is a
sequence of 7-29 frames of 12 cepstrum coefficients. ``RNNClassifier`` takes the ragged
list of sequences as it is: no padding, truncation or reshaping by hand. As in speech
recognition, each frame also gets its coefficients' change over time (delta features).

One network's test score depends on its random initialisation by about a point; a soft
vote of five networks that differ only in ``random_state`` evens that out.
"""

import time

import numpy as np
from sklearn.ensemble import VotingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sk_rnn import RNNClassifier, SequenceScaler
from sk_rnn.datasets import load_japanese_vowels

X_train, y_train = load_japanese_vowels(subset="train")
X_test, y_test = load_japanese_vowels(subset="test")
print(
    f"{len(X_train)} training and {len(X_test)} test sequences, "
    f"{min(map(len, X_train))}-{max(map(len, X_train))} steps of {X_train[0].shape[1]} features"
)


def with_deltas(sequences):
    """Append each coefficient's change over time (central differences per sequence)."""
    return [np.hstack([x, np.gradient(x, axis=0) if len(x) > 1 else 0 * x]) for x in sequences]


def speaker_model(random_state):
    return RNNClassifier(
        cell="gru",
        bidirectional=True,
        hidden_size=128,
        dropout=0.3,
        lr=3e-3,
        max_epochs=60,
        random_state=random_state,
    )


features = make_pipeline(
    FunctionTransformer(with_deltas),  # 12 coefficients + their 12 deltas
    SequenceScaler(),  # standardise each of the 24 features
)
model = make_pipeline(features, speaker_model(0))
start = time.perf_counter()
model.fit(X_train, y_train)
print(f"one network: trained in {time.perf_counter() - start:.1f} s")
print(f"test accuracy: {model.score(X_test, y_test):.3f}")

vote = make_pipeline(
    features,
    VotingClassifier([(f"seed{s}", speaker_model(s)) for s in range(5)], voting="soft"),
)
start = time.perf_counter()
vote.fit(X_train, y_train)
print(f"five networks, soft vote: trained in {time.perf_counter() - start:.1f} s")
print(f"test accuracy: {vote.score(X_test, y_test):.3f}")

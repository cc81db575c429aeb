"""
Quick start: recognise speakers from variable-length recordings
================================================================

Japanese Vowels (shipped with sk_rnn): nine speakers each say /ae/; every utterance is a
sequence of 7-29 frames of 12 cepstrum coefficients (7-26 in the training split).
``RNNClassifier`` takes the ragged list of sequences as it is: no padding, truncation,
scaling or reshaping by hand, and no settings but ``random_state``.

One network's test score depends on its random initialisation by about a point; a soft
vote of three networks that differ only in ``random_state`` evens that out.
"""

import time

from sklearn.ensemble import VotingClassifier

from sk_rnn import RNNClassifier
from sk_rnn.datasets import load_japanese_vowels

X_train, y_train = load_japanese_vowels(subset="train")
X_test, y_test = load_japanese_vowels(subset="test")
print(
    f"{len(X_train)} training and {len(X_test)} test sequences, "
    f"{min(map(len, X_train))}-{max(map(len, X_train))} steps of {X_train[0].shape[1]} features"
)

model = RNNClassifier(random_state=0)
start = time.perf_counter()
model.fit(X_train, y_train)
print(f"one network, default settings: trained in {time.perf_counter() - start:.1f} s")
print(f"test accuracy: {model.score(X_test, y_test):.3f}")

vote = VotingClassifier(
    [(f"seed{s}", RNNClassifier(random_state=s)) for s in range(3)], voting="soft"
)
start = time.perf_counter()
vote.fit(X_train, y_train)
print(f"three networks, soft vote: trained in {time.perf_counter() - start:.1f} s")
print(f"test accuracy: {vote.score(X_test, y_test):.3f}")

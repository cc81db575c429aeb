"""Synthetic tasks that only a network with memory can solve."""

import numpy as np


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


def neighbour_tags(n_samples, rng, min_length=4, max_length=12):
    """Token tagging that needs both left and right context.

    Tokens are drawn from "a", "b", "c"; each token's tag names its left and right
    neighbours ("ab": left "a", right "b"; sentence edges are "#"). A left-to-right
    model cannot see the right neighbour, so it gets at most about a third of the tags.
    """
    X, y = [], []
    for length in rng.integers(min_length, max_length + 1, size=n_samples):
        tokens = list(rng.choice(["a", "b", "c"], size=length))
        padded = ["#", *tokens, "#"]
        X.append(tokens)
        y.append([padded[t] + padded[t + 2] for t in range(length)])
    return X, y


def typed_entities(n_samples, rng, max_entities=3):
    """Entity spans whose type only their last token reveals.

    A sentence mixes "o" tokens (tag O) with entities of 2 to 4 tokens: "n" tokens closed
    by "p" (a person, B-PER I-PER ...) or "l" (a location, B-LOC I-LOC ...). A
    left-to-right tagger sees an entity's type only at its end, so it can label the
    earlier tokens right only by decoding the best tag *sequence* with learned label
    transitions (a CRF: I-LOC never follows B-PER).
    """
    X, y = [], []
    for _ in range(n_samples):
        tokens, tags = [], []
        for _ in range(rng.integers(1, max_entities + 1)):
            n_outside = int(rng.integers(0, 3))
            tokens += ["o"] * n_outside
            tags += ["O"] * n_outside
            kind, closer = ("PER", "p") if rng.random() < 0.5 else ("LOC", "l")
            size = int(rng.integers(2, 5))
            tokens += ["n"] * (size - 1) + [closer]
            tags += [f"B-{kind}"] + [f"I-{kind}"] * (size - 1)
        tokens.append("o")
        tags.append("O")
        X.append(tokens)
        y.append(tags)
    return X, y


def suffix_tags(n_samples, rng, min_length=3, max_length=8):
    """Random made-up words tagged "V" when they end in "ing", "N" otherwise.

    Every call draws new words, so nearly all test words are unseen in training: only a
    model that reads characters can tag them.
    """
    letters = list("bcdfghklmnprstvz")
    X, y = [], []
    for length in rng.integers(min_length, max_length + 1, size=n_samples):
        words, tags = [], []
        for _ in range(length):
            stem = "".join(rng.choice(letters, size=rng.integers(3, 7)))
            verb = rng.random() < 0.4
            words.append(stem + ("ing" if verb else rng.choice(["er", "ment", "s", "ion"])))
            tags.append("V" if verb else "N")
        X.append(words)
        y.append(tags)
    return X, y


def spelling_to_sound(n_samples, rng, min_length=3, max_length=7):
    """Words over a small alphabet and their "pronunciations" (phoneme token lists).

    ``c`` sounds ``S`` before ``e`` or ``i`` and ``K`` elsewhere (right context), ``ph``
    is one phoneme ``F`` and ``sh`` one phoneme ``SH`` (outputs shorter than inputs);
    every other letter is its upper-case self.
    """
    letters = list("abceihopst")
    words = [
        "".join(rng.choice(letters, n)) for n in rng.integers(min_length, max_length + 1, n_samples)
    ]
    return words, [pronounce(w) for w in words]


def pronounce(word):
    phonemes, i = [], 0
    while i < len(word):
        pair = word[i : i + 2]
        if pair in ("ph", "sh"):
            phonemes.append("F" if pair == "ph" else "SH")
            i += 2
            continue
        if word[i] == "c":
            phonemes.append("S" if word[i + 1 : i + 2] in ("e", "i") else "K")
        else:
            phonemes.append(word[i].upper())
        i += 1
    return phonemes

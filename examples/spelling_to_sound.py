"""
Spelling to pronunciation with an encoder-decoder
=================================================

``RNNSeq2Seq`` reads a word letter by letter and writes its pronunciation phoneme by
phoneme (ARPAbet, with stress marks), a sequence of another length: "phone" has five
letters and three phonemes. A bidirectional LSTM encodes the spelling; an attentional
decoder emits phonemes until ``<eos>``. Trained here on 8,000 words of the CMU
Pronouncing Dictionary for a few epochs; ``benchmarks/bench_seq2seq.py`` trains on the
whole dictionary.
"""

import time

import numpy as np

from sk_rnn import RNNSeq2Seq
from sk_rnn.datasets import load_cmudict
from sk_rnn.metrics import token_error_rate

try:
    import matplotlib.pyplot as plt
except ImportError:  # the core install has no matplotlib: the example runs without pictures
    plt = None

words, phonemes = load_cmudict()
train_words, train_phonemes = words[:8000], phonemes[:8000]
test_words, test_phonemes = words[-1000:], phonemes[-1000:]

model = RNNSeq2Seq(
    tokenizer="char",
    hidden_size=96,
    embedding_dim=48,
    attention="general",
    batch_size=64,
    lr=3e-3,
    max_epochs=8,
    random_state=0,
)
start = time.perf_counter()
model.fit(train_words, train_phonemes)
print(f"fitted in {time.perf_counter() - start:.0f} s")

for beam_size in (1, 4):
    model.set_params(beam_size=beam_size)
    predicted = model.predict(test_words)
    word_errors = 1 - model.score(test_words, test_phonemes)
    print(
        f"beam_size={beam_size}: word error rate {word_errors:.1%}, "
        f"phoneme error rate {token_error_rate(test_phonemes, predicted):.1%}"
    )

for word in ["python", "tensor", "gradient", "sequence"]:
    print(f"{word:<10}{' '.join(model.predict([word])[0])}")

# %%
# Errors grow with word length
# ----------------------------
# Phoneme error rate of the held-out words, grouped by their number of letters.
model.set_params(beam_size=1)
predicted = model.predict(test_words)
lengths = np.array([len(w) for w in test_words])
groups = [(2, 5), (6, 7), (8, 9), (10, 20)]
rates = [
    token_error_rate(
        [t for t, n in zip(test_phonemes, lengths, strict=True) if low <= n <= high],
        [p for p, n in zip(predicted, lengths, strict=True) if low <= n <= high],
    )
    for low, high in groups
]
if plt is not None:
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar([f"{low}-{high}" for low, high in groups], rates)
    ax.set_xlabel("letters in the word")
    ax.set_ylabel("phoneme error rate")
    plt.tight_layout()
    plt.show()

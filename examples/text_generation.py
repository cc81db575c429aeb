"""
Train a character language model, then generate text
=====================================================

``RNNLanguageModel`` reads the fortunes corpus (quotations, jokes, poems) one character
at a time and learns which character comes next. It then scores how likely new texts
are, and writes new "fortunes" at several temperatures: low temperatures repeat the
most likely patterns, high ones take more risks. A longer run (see
``benchmarks/bench_language_model.py``) gives far better text; this one takes about a
minute on two CPU cores.
"""

import time

from sk_rnn import RNNLanguageModel
from sk_rnn.datasets import load_fortunes

texts, _ = load_fortunes()
train, valid = texts[:3700], texts[3700:]

lm = RNNLanguageModel(
    tokenizer="char",
    lowercase=False,
    hidden_size=128,
    embedding_dim=32,
    bptt=100,
    batch_size=64,
    lr=3e-3,
    max_epochs=6,
    random_state=0,
)
start = time.perf_counter()
lm.fit(train)
print(f"fitted in {time.perf_counter() - start:.0f} s")
print(f"validation perplexity per character: {lm.perplexity(valid):.2f}")

likely, unlikely = lm.score_samples(["The truth is out there.", "Teh rtuht si uto ehter."])
print(f"log-probability of a sentence {likely:.1f}, of its scramble {unlikely:.1f}")

for temperature in (0.3, 0.7, 1.0):
    text = lm.sample(1, prompt="Life ", max_length=120, temperature=temperature, random_state=0)
    print(f"\ntemperature {temperature}:\n{text[0]}")

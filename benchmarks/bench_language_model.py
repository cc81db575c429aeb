"""Character language model on the fortunes corpus: bits per character of RNNLanguageModel
against a character 5-gram model with interpolated absolute discounting, and training
throughput against a hand-written truncated-BPTT PyTorch loop of the same model.

Split: texts shuffled with seed 0, 90 % train, 10 % validation. Every text ends with an
end-of-text symbol that both models must predict; bits per character = total bits / (chars
+ one end symbol per text).

Usage::

    python benchmarks/bench_language_model.py                      # print the tables
    python benchmarks/bench_language_model.py --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import torch
from common import markdown_table, write_section

from sk_rnn import RNNLanguageModel
from sk_rnn.datasets import load_fortunes

END = "\x00"  # the end-of-text symbol of the n-gram model
MODEL = dict(
    tokenizer="char",
    lowercase=False,
    cell="lstm",
    hidden_size=256,
    embedding_dim=64,
    bptt=100,
    batch_size=64,
    lr=3e-3,
)
TRAINING = dict(dropout=0.3, max_epochs=40, early_stopping=True, n_iter_no_change=3)
BUDGET_S = 600


class AbsoluteDiscountingNgram:
    """Character n-gram model with interpolated absolute discounting (Ney et al. 1994).

    ``p(c | h) = max(n(h, c) - D, 0) / n(h) + D * N1+(h) / n(h) * p(c | h')``, where
    ``h'`` drops the oldest character of ``h``, ``D = n1 / (n1 + 2 n2)`` per order, and the
    recursion ends in the uniform distribution over the training characters plus one
    unknown-character slot. Histories never seen fall through to the shorter history.
    """

    def __init__(self, order=5):
        self.order = order

    def fit(self, texts):
        self.counts = [defaultdict(Counter) for _ in range(self.order)]
        for text in texts:
            padded = END * (self.order - 1) + text + END
            for i in range(self.order - 1, len(padded)):
                for n in range(self.order):
                    self.counts[n][padded[i - n : i]][padded[i]] += 1
        self.alphabet = {c for text in texts for c in text} | {END}
        self.discounts = []
        for n in range(self.order):
            frequency = Counter(v for counter in self.counts[n].values() for v in counter.values())
            n1, n2 = frequency[1], frequency[2]
            self.discounts.append(n1 / (n1 + 2 * n2) if n1 + n2 else 0.5)
        self.totals = [{h: sum(c.values()) for h, c in level.items()} for level in self.counts]
        return self

    def probability(self, history, char):
        p = 1.0 / (len(self.alphabet) + 1)
        for n in range(self.order):
            h = history[len(history) - n :] if n else ""
            total = self.totals[n].get(h)
            if not total:
                continue
            counter = self.counts[n][h]
            d = self.discounts[n]
            p = max(counter.get(char, 0) - d, 0) / total + d * len(counter) / total * p
        return p

    def bits(self, texts) -> tuple[float, int]:
        total, symbols = 0.0, 0
        for text in texts:
            padded = END * (self.order - 1) + text + END
            for i in range(self.order - 1, len(padded)):
                total -= math.log2(self.probability(padded[i - self.order + 1 : i], padded[i]))
                symbols += 1
        return total, symbols


def hand_written_epoch(model_parts, streams, bptt):
    """One epoch of the plain TBPTT loop people write: embedding, LSTM, linear, Adam."""
    embedding, lstm, head, optimizer = model_parts
    inputs, targets = streams
    hidden = None
    for start in range(0, inputs.size(1), bptt):
        x = inputs[:, start : start + bptt]
        y = targets[:, start : start + bptt]
        output, hidden = lstm(embedding(x), hidden)
        hidden = tuple(h.detach() for h in hidden)
        loss = torch.nn.functional.cross_entropy(head(output).transpose(1, 2), y)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(
            [p for group in optimizer.param_groups for p in group["params"]], 5.0
        )
        optimizer.step()


def throughput(train, n_chars, repeats=5):
    """Characters per second of one training epoch: sk_rnn vs the hand-written loop.

    sk_rnn's time is the epoch's duration in its history (the training loop, without the
    one-off tokenizing and vocabulary building of fit); the hand-written loop is timed the
    same way, without building its streams. Best of ``repeats`` interleaved runs.
    """
    timings = {"sk_rnn RNNLanguageModel": [], "hand-written TBPTT loop": []}
    for _ in range(repeats):
        model = RNNLanguageModel(max_epochs=1, random_state=0, **MODEL).fit(train)
        timings["sk_rnn RNNLanguageModel"].append(model.history_[-1, "dur"])

        torch.manual_seed(0)
        vocabulary = len(model.vocabulary_)
        embedding = torch.nn.Embedding(vocabulary, MODEL["embedding_dim"])
        lstm = torch.nn.LSTM(MODEL["embedding_dim"], MODEL["hidden_size"], batch_first=True)
        head = torch.nn.Linear(MODEL["hidden_size"], vocabulary)
        parameters = [*embedding.parameters(), *lstm.parameters(), *head.parameters()]
        optimizer = torch.optim.Adam(parameters, lr=MODEL["lr"])
        # The same streams sk_rnn trains on: texts joined after <eos>.
        eos = model.vocabulary_["<eos>"]
        texts = model.vectorizer_.transform(train)
        stream = np.concatenate([np.r_[eos, text] for text in texts] + [[eos]])
        length = (len(stream) - 1) // MODEL["batch_size"]
        inputs = torch.from_numpy(stream[: MODEL["batch_size"] * length].reshape(-1, length))
        targets = torch.from_numpy(stream[1 : MODEL["batch_size"] * length + 1].reshape(-1, length))
        start = time.perf_counter()
        hand_written_epoch((embedding, lstm, head, optimizer), (inputs, targets), MODEL["bptt"])
        timings["hand-written TBPTT loop"].append(time.perf_counter() - start)
    return {name: n_chars / min(seconds) for name, seconds in timings.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    texts, _ = load_fortunes()
    order = np.random.default_rng(0).permutation(len(texts))
    cut = int(0.9 * len(texts))
    train = [texts[i] for i in order[:cut]]
    valid = [texts[i] for i in order[cut:]]
    n_train_chars = sum(map(len, train))

    start = time.perf_counter()
    ngram = AbsoluteDiscountingNgram().fit(train)
    bits, symbols = ngram.bits(valid)
    ngram_bpc = bits / symbols
    ngram_time = time.perf_counter() - start
    print(f"5-gram: {ngram_bpc:.3f} bits/char ({ngram_time:.0f} s)", flush=True)

    speeds = throughput(train, n_train_chars)
    print(speeds, flush=True)

    start = time.perf_counter()
    lm = RNNLanguageModel(random_state=0, **MODEL, **TRAINING).fit(train)
    fit_time = time.perf_counter() - start
    total, n_tokens = lm._total_log_likelihood(valid)
    lm_bpc = -total / n_tokens / math.log(2)
    print(f"RNNLanguageModel: {lm_bpc:.3f} bits/char ({fit_time:.0f} s)", flush=True)

    start = time.perf_counter()
    default = RNNLanguageModel(tokenizer="char", random_state=0).fit(train)
    default_time = time.perf_counter() - start
    total, n_tokens = default._total_log_likelihood(valid)
    default_bpc = -total / n_tokens / math.log(2)
    print(f"RNNLanguageModel defaults: {default_bpc:.3f} bits/char ({default_time:.0f} s)")

    settings = ", ".join(f"{k}={v}" for k, v in {**MODEL, **TRAINING}.items())
    quality = markdown_table(
        ["model", "validation bits/char", "vs 5-gram", "fit s"],
        [
            [
                "char 5-gram, interpolated absolute discounting",
                f"{ngram_bpc:.3f}",
                "",
                f"{ngram_time:.0f}",
            ],
            [
                "RNNLanguageModel (LSTM-256)",
                f"{lm_bpc:.3f}",
                f"{(lm_bpc / ngram_bpc - 1) * 100:+.1f} %",
                f"{fit_time:.0f} ({len(lm.history_)} epochs)",
            ],
            [
                'RNNLanguageModel(tokenizer="char"), defaults',
                f"{default_bpc:.3f}",
                f"{(default_bpc / ngram_bpc - 1) * 100:+.1f} %",
                f"{default_time:.0f} ({len(default.history_)} epochs)",
            ],
        ],
    )
    hand = speeds["hand-written TBPTT loop"]
    speed = markdown_table(
        ["training loop", "chars/s", "ratio"],
        [[name, f"{value:,.0f}", f"{value / hand:.2f}"] for name, value in speeds.items()],
    )
    samples = "\n".join(
        f"- temperature {t}: `{s[:160]!r}`"
        for t in (0.5, 0.8, 1.0)
        for s in lm.sample(1, max_length=160, temperature=t, random_state=0)
    )
    body = (
        f"### fortunes: {len(train)} training texts ({n_train_chars:,} chars), "
        f"{len(valid)} validation texts\n\nRNNLanguageModel settings: {settings} (CPU "
        f"budget {BUDGET_S} s).\n\n{quality}\n\nTraining throughput, one epoch's training "
        f"loop, best of five (interleaved):\n\n"
        f"{speed}\n\nGenerated samples:\n\n{samples}"
    )
    print(body)
    if args.write:
        write_section(
            args.write,
            "language_model",
            "python benchmarks/bench_language_model.py --write docs/benchmarks.md",
            body,
        )


if __name__ == "__main__":
    main()

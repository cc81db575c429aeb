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
import time
from pathlib import Path

import numpy as np
import torch
from common import (
    bits_per_character,
    five_gram_bits_per_character,
    language_model_split,
    markdown_table,
    write_section,
)

from sk_rnn import RNNLanguageModel

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
    train, valid = language_model_split()
    n_train_chars = sum(map(len, train))

    lm = RNNLanguageModel(random_state=0, **MODEL, **TRAINING)
    start = time.perf_counter()
    ngram_bpc = five_gram_bits_per_character(lm, train, valid)
    ngram_time = time.perf_counter() - start
    print(f"5-gram: {ngram_bpc:.3f} bits/char ({ngram_time:.0f} s)", flush=True)

    speeds = throughput(train, n_train_chars)
    print(speeds, flush=True)

    start = time.perf_counter()
    lm.fit(train)
    fit_time = time.perf_counter() - start
    lm_bpc = bits_per_character(lm, valid)
    print(f"RNNLanguageModel: {lm_bpc:.3f} bits/char ({fit_time:.0f} s)", flush=True)

    default = RNNLanguageModel(tokenizer="char", random_state=0)
    default_ngram_bpc = five_gram_bits_per_character(default, train, valid)  # lowercased
    start = time.perf_counter()
    default.fit(train)
    default_time = time.perf_counter() - start
    default_bpc = bits_per_character(default, valid)
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
                "char 5-gram, the texts lowercased (as the defaults read them)",
                f"{default_ngram_bpc:.3f}",
                "",
                "",
            ],
            [
                'RNNLanguageModel(tokenizer="char"), defaults (lowercased)',
                f"{default_bpc:.3f}",
                f"{(default_bpc / default_ngram_bpc - 1) * 100:+.1f} %",
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
        f"{len(valid)} validation texts\n\nRNNLanguageModel settings: {settings}."
        f"\n\n{quality}\n\nTraining throughput, one epoch's training "
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

"""Grapheme-to-phoneme conversion on CMUdict with RNNSeq2Seq (spelling -> ARPAbet).

Split: the words of ``../shared/data/cmudict`` are shuffled with seed 0; the last
10,000 are held out for testing, the first ``--train-size`` of the rest train the
model. Reported: word error rate (a word is wrong unless every phoneme, stress
included, is right), phoneme error rate (edit distance per true phoneme), for greedy
decoding and beam search, plus fit time and decoding throughput.

Usage::

    python benchmarks/bench_seq2seq.py                        # print the table
    python benchmarks/bench_seq2seq.py --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from common import g2p_split, markdown_table, write_section

from sk_rnn import RNNSeq2Seq
from sk_rnn.metrics import token_error_rate

MODEL = dict(
    tokenizer="char",
    cell="lstm",
    hidden_size=128,
    embedding_dim=64,
    bidirectional=True,
    attention="general",
    dropout=0.2,
    batch_size=64,
    lr=3e-3,
    random_state=0,
)


def evaluate(model, words, phonemes, beam_size):
    model.set_params(beam_size=beam_size)
    start = time.perf_counter()
    predicted = model.predict(words)
    seconds = time.perf_counter() - start
    word_error = 1 - np.mean([p == t for p, t in zip(predicted, phonemes, strict=True)])
    return word_error, token_error_rate(phonemes, predicted), len(words) / seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-size", type=int, default=102_433)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--write", type=Path, help="write the results into this markdown file")
    args = parser.parse_args()

    train_words, train_phonemes, test_words, test_phonemes = g2p_split(args.train_size)
    # The learning rate decays to 0 over the run (cosine): with a fixed budget of epochs
    # this beats a constant rate.
    model = RNNSeq2Seq(max_epochs=args.epochs, lr_schedule="cosine", device=args.device, **MODEL)
    start = time.perf_counter()
    model.fit(train_words, train_phonemes)
    fit_seconds = time.perf_counter() - start
    print(f"fit on {len(train_words)} words, {args.epochs} epochs: {fit_seconds:.0f} s")

    rows = []
    for name, beam in (("greedy", 1), (f"beam search ({args.beam_size})", args.beam_size)):
        word_error, phoneme_error, words_per_second = evaluate(
            model, test_words, test_phonemes, beam
        )
        rows.append(
            [
                name,
                f"{100 * word_error:.1f}%",
                f"{100 * phoneme_error:.1f}%",
                f"{words_per_second:,.0f}",
            ]
        )
    headers = ["decoding", "word error rate", "phoneme error rate", "words/s decoded"]
    table = markdown_table(headers, rows)
    examples = model.set_params(beam_size=1).predict(["sklearn", "recurrent", "pytorch"])
    print(table)
    print("examples:", examples)
    if args.write:
        body = (
            f"RNNSeq2Seq ({MODEL['cell'].upper()} {MODEL['hidden_size']} per direction, "
            f"bidirectional encoder, {MODEL['attention']} attention, dropout "
            f"{MODEL['dropout']}, lr {MODEL['lr']} with cosine decay) trained on "
            f"{len(train_words):,} CMUdict words for {args.epochs} epochs in "
            f"{fit_seconds / 60:.1f} minutes on `{args.device}`; "
            f"tested on {len(test_words):,} held-out words.\n\n{table}\n\n"
            f"Greedy outputs for words not in the dictionary: "
            + ", ".join(
                f"`{w}` → `{' '.join(p)}`"
                for w, p in zip(["sklearn", "recurrent", "pytorch"], examples, strict=True)
            )
        )
        write_section(args.write, "seq2seq", "python benchmarks/bench_seq2seq.py", body)


if __name__ == "__main__":
    main()

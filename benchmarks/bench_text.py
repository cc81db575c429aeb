"""Text classification on the fortunes corpus: RNNClassifier against TF-IDF + logistic
regression, on the same stratified split (80/20, random_state=0).

Usage::

    python benchmarks/bench_text.py                      # print the table
    python benchmarks/bench_text.py --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from pathlib import Path

from common import markdown_table, write_section
from sklearn.ensemble import VotingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from sk_rnn import RNNClassifier

RNN = dict(
    cell="gru",
    bidirectional=True,
    hidden_size=64,
    pooling="max",
    dropout=0.3,
    lr=3e-3,
    random_state=0,
)
# Chosen on a development split inside the training part (never the test split):
# token dropout, more dropout, larger embeddings, and case kept.
WORDS = dict(
    RNN,
    tokenizer="word",
    lowercase=False,
    min_frequency=2,
    embedding_dim=128,
    token_dropout=0.2,
    dropout=0.5,
    max_epochs=12,
)
# Words, punctuation, and the line breaks and tabs that "word" drops: poems, songs and
# tab-indented "-- Author" signatures are told apart by their layout.
WORDS_AND_LAYOUT = {**WORDS, "tokenizer": "word_layout"}


CONTENDERS = {
    "TF-IDF words (1-2 grams) + logistic regression": lambda: make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        LogisticRegression(C=10, max_iter=2000),
    ),
    "TF-IDF char 2-5 grams + logistic regression": lambda: make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        LogisticRegression(C=10, max_iter=2000),
    ),
    "RNNClassifier, word tokens": lambda: RNNClassifier(**WORDS),
    # Layout tokens and the 3-model vote were also chosen on the development split.
    "RNNClassifier, words and line breaks": lambda: RNNClassifier(**WORDS_AND_LAYOUT),
    "3 x RNNClassifier (words and line breaks, random_state 0-2), soft vote": lambda: (
        VotingClassifier(
            [
                (
                    f"seed{seed}",
                    RNNClassifier(**{**WORDS_AND_LAYOUT, "random_state": seed}),
                )
                for seed in range(3)
            ],
            voting="soft",
        )
    ),
    "RNNClassifier, characters": lambda: RNNClassifier(
        tokenizer="char", lowercase=False, embedding_dim=32, max_epochs=8, **RNN
    ),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).parents[2] / "shared" / "data")
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    with gzip.open(args.data / "fortunes" / "fortunes.jsonl.gz", "rt") as lines:
        records = [json.loads(line) for line in lines]
    texts = [r["text"] for r in records]
    labels = [r["category"] for r in records]
    X_train, X_test, y_train, y_test = train_test_split(
        texts, labels, test_size=0.2, stratify=labels, random_state=0
    )
    rows = []
    for name, make in CONTENDERS.items():
        model = make()
        start = time.perf_counter()
        model.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        rows.append([name, f"{model.score(X_test, y_test):.3f}", f"{fit_time:.1f}"])
        print(rows[-1], flush=True)
    table = markdown_table(["model", "test accuracy", "fit s"], rows)
    body = (
        f"### fortunes: category of a text, 10 classes, {len(X_train)} training and "
        f"{len(X_test)} test texts\n\n{table}"
    )
    print(body)
    if args.write:
        write_section(
            args.write, "text", "python benchmarks/bench_text.py --write docs/benchmarks.md", body
        )


if __name__ == "__main__":
    main()

"""Peak memory of prediction and scoring as the number of samples grows 10x and 100x.

For the classifier (predict_proba), the language model (score_samples) and sequence to
sequence (predict, greedy decoding, and score_samples), each size runs in a fresh
process: it builds the input, records its resident memory, then predicts and records the
peak. The difference is what prediction itself needs; every estimator works through its
input a chunk of batches at a time (one runner, RNNBase._run), so it should stay flat.

Usage::

    python benchmarks/bench_memory.py [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from common import markdown_table, write_section

CHILD = r"""
import json, resource, sys
import numpy as np
from sk_rnn import RNNClassifier, RNNLanguageModel, RNNSeq2Seq

task, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
settings = dict(hidden_size=64, max_epochs=1, batch_size=64, random_state=0)
letters = np.array(list("abcdefghij"))


def words(count):
    return ["".join(rng.choice(letters, k)) for k in rng.integers(10, 60, count)]


if task == "classifier":
    train = [rng.normal(size=(k, 12)).astype(np.float32) for k in rng.integers(10, 60, 200)]
    model = RNNClassifier(**settings).fit(train, rng.integers(0, 5, 200))
    X = [rng.normal(size=(k, 12)).astype(np.float32) for k in rng.integers(10, 60, n)]
    input_mb = sum(x.nbytes for x in X) / 2**20
    run = lambda: model.predict_proba(X)
else:
    X = words(n)
    input_mb = sum(len(x) for x in X) / 2**20
    train = words(200)
    if task == "language model":
        model = RNNLanguageModel(tokenizer="char", **settings).fit(train)
        run = lambda: model.score_samples(X)
    else:
        model = RNNSeq2Seq(tokenizer="char", target_tokenizer="char", max_output_length=60,
                           **settings).fit(train, [w[::-1] for w in train])
        targets = [w[::-1] for w in X]
        run = {"seq2seq predict": lambda: model.predict(X),
               "seq2seq score_samples": lambda: model.score_samples(X, targets)}[task]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
run()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(dict(n=n, input_mb=input_mb, before_mb=before / 1024, after_mb=after / 1024)))
"""

TASKS = {
    "classifier": ("predict_proba", "LSTM-64, 10-60 steps x 12 features", 2_000),
    "language model": ("score_samples", "character LSTM-64, texts of 10-60 characters", 2_000),
    "seq2seq predict": ("predict (greedy)", "character encoder-decoder, 64 units", 500),
    "seq2seq score_samples": ("score_samples", "character encoder-decoder, 64 units", 500),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every size")
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    headers = [
        "estimator",
        "method",
        "sequences",
        "input MB",
        "peak RSS before, MB",
        "peak RSS after, MB",
        "added by the call, MB",
    ]
    rows, models = [], []
    for task, (method, model, base) in TASKS.items():
        models.append(f"{task}: {model}")
        for factor in (1, 10, 100):
            n = int(base * factor * args.scale)
            out = subprocess.run(
                [sys.executable, "-c", CHILD, task, str(n)],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(
                [
                    task,
                    method,
                    f"{r['n']:,}",
                    f"{r['input_mb']:.1f}",
                    f"{r['before_mb']:.0f}",
                    f"{r['after_mb']:.0f}",
                    f"{r['after_mb'] - r['before_mb']:.0f}",
                ]
            )
            print(rows[-1], flush=True)
    body = (
        "### Peak memory of prediction and scoring (batch_size=64)\n\n"
        + "".join(f"- {m}\n" for m in models)
        + "\n"
        + markdown_table(headers, rows)
    )
    print(body)
    if args.write:
        write_section(
            args.write,
            "memory",
            "python benchmarks/bench_memory.py --write docs/benchmarks.md",
            body,
        )


if __name__ == "__main__":
    main()

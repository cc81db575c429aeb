"""Peak memory of predict_proba as the number of samples grows 10x and 100x.

Each size runs in a fresh process: it builds the input, records its resident memory, then
predicts and records the peak. The difference is what prediction itself needs; with
predict working through the input a chunk of batches at a time it should stay flat.

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
from sk_rnn import RNNClassifier

n = int(sys.argv[1])
rng = np.random.default_rng(0)
train = [rng.normal(size=(k, 12)).astype(np.float32) for k in rng.integers(10, 60, 200)]
clf = RNNClassifier(hidden_size=64, max_epochs=1, batch_size=64, random_state=0)
clf.fit(train, rng.integers(0, 5, 200))
X = [rng.normal(size=(k, 12)).astype(np.float32) for k in rng.integers(10, 60, n)]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
proba = clf.predict_proba(X)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
input_mb = sum(x.nbytes for x in X) / 2**20
print(json.dumps(dict(n=n, input_mb=input_mb, before_mb=before / 1024, after_mb=after / 1024)))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=int, default=2_000)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    rows = []
    for factor in (1, 10, 100):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(args.base * factor)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(
            [
                f"{r['n']:,}",
                f"{r['input_mb']:.0f}",
                f"{r['before_mb']:.0f}",
                f"{r['after_mb']:.0f}",
                f"{r['after_mb'] - r['before_mb']:.0f}",
            ]
        )
        print(rows[-1], flush=True)
    headers = [
        "sequences",
        "input MB",
        "peak RSS before predict, MB",
        "peak RSS after predict, MB",
        "added by predict, MB",
    ]
    body = (
        "### predict_proba peak memory (LSTM-64, batch_size=64, 10-60 steps x 12 features)\n\n"
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

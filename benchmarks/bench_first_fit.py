"""The first fit of a process: what it costs beyond the fits after it, and where that goes.

Each measurement runs in a fresh interpreter: the seconds to import sk_rnn, then of a first
and a second tiny fit (40 sequences of 8 steps, 1 epoch). A second set of runs imports
``torch._dynamo`` before the first fit: torch's optimizers import it on their first
construction (``torch/_compile.py``, ``Optimizer.__init__`` -> ``add_param_group``), and
the difference between the two sets attributes the first fit's extra cost. The last rows
time 8 such fits under ``joblib`` with ``n_jobs=2`` against serially, where every worker
process pays the first-fit cost once.

Usage::

    python benchmarks/bench_first_fit.py
    python benchmarks/bench_first_fit.py --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from common import markdown_table, write_section

RUN = r"""
import json, sys, time
start = time.perf_counter()
if {pre_import}:
    import torch._dynamo
import numpy as np
from sk_rnn import RNNClassifier
imported = time.perf_counter() - start
rng = np.random.default_rng(0)
X = [rng.normal(size=(8, 2)).astype(np.float32) for _ in range(40)]
y = rng.integers(0, 2, 40)
times = []
for _ in range(2):
    start = time.perf_counter()
    RNNClassifier(hidden_size=4, max_epochs=1, random_state=0).fit(X, y)
    times.append(time.perf_counter() - start)
print(json.dumps(dict(imported=imported, first=times[0], second=times[1])))
"""

PARALLEL = r"""
import json, time
import numpy as np
from joblib import Parallel, delayed
from sk_rnn import RNNClassifier

def fit(seed):
    rng = np.random.default_rng(seed)
    X = [rng.normal(size=(8, 2)).astype(np.float32) for _ in range(40)]
    RNNClassifier(hidden_size=4, max_epochs=1, random_state=seed).fit(X, rng.integers(0, 2, 40))

start = time.perf_counter()
Parallel(n_jobs={n_jobs})(delayed(fit)(seed) for seed in range(8))
print(json.dumps(dict(seconds=time.perf_counter() - start)))
"""


def fresh(code: str) -> dict:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(result.stderr[-2000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    runs = {False: [], True: []}
    for _ in range(args.repeats):  # interleaved, so a slow spell hits both alike
        for pre_import in (False, True):
            runs[pre_import].append(fresh(RUN.format(pre_import=pre_import)))
    rows = []
    for pre_import, label in ((False, "as users run it"), (True, "torch._dynamo imported first")):
        median = {k: statistics.median(r[k] for r in runs[pre_import]) for k in runs[False][0]}
        rows.append(
            [
                label,
                f"{median['imported']:.2f}",
                f"{median['first']:.2f}",
                f"{median['second']:.2f}",
                f"{median['first'] - median['second']:.2f}",
            ]
        )
    parallel = {n: [] for n in (1, 2)}
    for _ in range(max(1, args.repeats // 2)):
        for n_jobs in (1, 2):
            parallel[n_jobs].append(fresh(PARALLEL.format(n_jobs=n_jobs))["seconds"])
    headers = ["process", "import s", "first fit s", "second fit s", "first - second"]
    body = (
        f"### The first fit of a process (medians of {args.repeats} fresh processes)\n\n"
        + markdown_table(headers, rows)
        + "\n\n8 tiny fits with joblib: "
        + ", ".join(f"n_jobs={n}: {statistics.median(t):.1f} s" for n, t in parallel.items())
        + "."
    )
    print(body)
    if args.write:
        write_section(
            args.write,
            "first-fit",
            "python benchmarks/bench_first_fit.py --write docs/benchmarks.md",
            body,
        )


if __name__ == "__main__":
    main()

"""Parallel grid search on a 2-core CPU: does n_jobs=2 pay, and do threads oversubscribe?

GridSearchCV over 4 settings x 3 folds (12 fits) of RNNClassifier on the Japanese Vowels
training set, timed with n_jobs=1 (one process, PyTorch's threads on all cores), n_jobs=2
(joblib gives each worker cores // 2 threads), and n_jobs=2 with each fit forced to
use all cores (what happens when threads are not limited: oversubscription).

Usage::

    python benchmarks/bench_parallel.py
    python benchmarks/bench_parallel.py --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import torch
from common import markdown_table, write_section
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from skorch.callbacks import Callback

from sk_rnn import RNNClassifier, SequenceScaler
from sk_rnn.datasets import load_japanese_vowels

GRID = {"rnnclassifier__cell": ["lstm", "gru"], "rnnclassifier__hidden_size": [32, 64]}


class AllCoreThreads(Callback):
    """Set PyTorch's threads to the number of cores at the start of each fit."""

    def on_train_begin(self, net, **kwargs):
        torch.set_num_threads(os.cpu_count())


def search(n_jobs, callbacks=None):
    model = make_pipeline(
        SequenceScaler(),
        RNNClassifier(lr=5e-3, max_epochs=30, random_state=0, callbacks=callbacks),
    )
    return GridSearchCV(model, GRID, cv=3, n_jobs=n_jobs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="write the results into this markdown file")
    args = parser.parse_args()
    X, y = load_japanese_vowels(subset="train")
    runs = {
        "n_jobs=1 (one process, all cores' threads)": search(1),
        "n_jobs=2 (joblib: cores // 2 threads per worker)": search(2),
        "n_jobs=2, every fit forced to all cores": search(2, [AllCoreThreads()]),
    }
    rows, baseline = [], None
    for name, estimator in runs.items():
        start = time.perf_counter()
        estimator.fit(X, y)
        seconds = time.perf_counter() - start
        baseline = baseline or seconds
        rows.append(
            [name, f"{seconds:.1f}", f"{baseline / seconds:.2f}x", f"{estimator.best_score_:.3f}"]
        )
        print(rows[-1])
    table = markdown_table(["search", "wall time (s)", "speed-up", "best CV accuracy"], rows)
    print(table)
    if args.write:
        body = (
            f"GridSearchCV, {len(GRID['rnnclassifier__cell']) * 2} settings x 3 folds = 12 "
            f"fits of RNNClassifier (30 epochs) on the 270 Japanese Vowels training "
            f"recordings, {os.cpu_count()} CPU cores.\n\n{table}"
        )
        write_section(args.write, "parallel", "python benchmarks/bench_parallel.py", body)


if __name__ == "__main__":
    main()

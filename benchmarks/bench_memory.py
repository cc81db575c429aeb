"""Peak memory of prediction and scoring as the number of samples grows 10x and 100x, and
of fitting, from memory and from Parquet files up to larger than this machine's memory.

Prediction: for the classifier (predict_proba), the language model (score_samples) and
sequence to sequence (predict, greedy decoding, and score_samples), each size runs in a
fresh process: it builds the input, records its resident memory, then predicts and
records the peak. The difference is what prediction itself needs; every estimator works
through its input a chunk of batches at a time (one runner, RNNBase._run), so it should
stay flat.

Fitting (``--fit``): a generated data set (float32 sequences of 200-600 steps x 8
features, labelled by the sign of the first feature's sum) written as Parquet, each id's
rows together in time order, in row groups of 1Mi rows. One epoch of
``RNNClassifier(hidden_size=16, batch_size=256)`` in a fresh process per size: from a
list of arrays in memory (the list read from the file first) at the ``--memory-gb``
sizes, and from the file (``SequenceTable.from_parquet(..., streamed=True)``) at the
``--file-gb`` sizes. Throughput is compared on the smallest size, file against memory,
the two runs interleaved and the median of ``--repeats`` taken.

Usage::

    python benchmarks/bench_memory.py [--write docs/benchmarks.md]
    python benchmarks/bench_memory.py --fit --file-gb 1 8 25 [--data-dir /tmp/sk_rnn_fit]
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

FIT_CHILD = r"""
import json, resource, sys, time
import numpy as np
from sk_rnn import RNNClassifier, SequenceTable

path, source = sys.argv[1], sys.argv[2]
table = SequenceTable.from_parquet(path, id_column="id", time_column="t", target_column="label",
                                   feature_columns=[f"f{j}" for j in range(8)], streamed=True)
y = table.y
X = table if source == "file" else table.sequences()
input_mb = 0 if source == "file" else sum(x.nbytes for x in X) / 2**20
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
model = RNNClassifier(hidden_size=16, max_epochs=1, batch_size=256, early_stopping=False,
                      random_state=0).fit(X, y)
seconds = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(dict(n=len(table), steps=int(table.lengths.sum()), input_mb=input_mb,
                      before_mb=before / 1024, after_mb=after / 1024, seconds=seconds)))
"""


def generated_parquet(folder: Path, gigabytes: float, n_features: int = 8) -> Path:
    """A Parquet file of about ``gigabytes`` of float32 feature values (made once, then
    reused), written a few thousand sequences at a time."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = folder / f"sequences_{gigabytes:g}gb.parquet"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    fields = [("id", pa.int64()), ("t", pa.int32()), ("label", pa.int8())]
    fields += [(f"f{j}", pa.float32()) for j in range(n_features)]
    target, written, next_id = int(gigabytes * 2**30 / 4), 0, 0
    partial = path.with_suffix(".partial")
    with pq.ParquetWriter(partial, pa.schema(fields)) as writer:
        while written < target:
            lengths = rng.integers(200, 600, 2000)
            values = rng.standard_normal((int(lengths.sum()), n_features), dtype=np.float32)
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            label = (np.add.reduceat(values[:, 0], starts) > 0).astype(np.int8)
            columns = {
                "id": np.repeat(np.arange(next_id, next_id + len(lengths)), lengths),
                "t": (np.arange(len(values)) - np.repeat(starts, lengths)).astype(np.int32),
                "label": np.repeat(label, lengths),
                **{f"f{j}": values[:, j] for j in range(n_features)},
            }
            writer.write_table(pa.table(columns), row_group_size=2**20)
            written, next_id = written + values.size, next_id + len(lengths)
    partial.rename(path)  # a run cut short leaves no file that looks finished
    return path


def fit_run(path: Path, source: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", FIT_CHILD, str(path), source],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def fit_section(args) -> str:
    import statistics

    headers = [
        "input",
        "data set, GB of float32",
        "on disk, GB",
        "sequences",
        "steps",
        "peak RSS before fit, MB",
        "peak RSS after, MB",
        "added by fit, MB",
        "fit s (1 epoch)",
        "steps/s",
    ]
    rows = []
    runs = [("memory", gb) for gb in args.memory_gb] + [("file", gb) for gb in args.file_gb]
    for source, gb in runs:
        path = generated_parquet(args.data_dir, gb)
        r = fit_run(path, source)
        rows.append(
            [
                "list in memory" if source == "memory" else "Parquet, streamed",
                f"{gb:g}",
                f"{path.stat().st_size / 1e9:.1f}",
                f"{r['n']:,}",
                f"{r['steps']:,}",
                f"{r['before_mb']:,.0f}",
                f"{r['after_mb']:,.0f}",
                f"{r['after_mb'] - r['before_mb']:,.0f}",
                f"{r['seconds']:.0f}",
                f"{r['steps'] / r['seconds']:,.0f}",
            ]
        )
        print(rows[-1], flush=True)
    slice_gb = min(args.memory_gb)
    path = generated_parquet(args.data_dir, slice_gb)
    times = {"memory": [], "file": []}
    for _ in range(args.repeats):  # interleaved
        for source in times:
            times[source].append(fit_run(path, source)["seconds"])
    medians = {k: statistics.median(v) for k, v in times.items()}
    ratio = medians["memory"] / medians["file"]
    print(times, flush=True)
    return (
        "### Peak memory of fit, from memory and from Parquet files\n\n"
        "One epoch of `RNNClassifier(hidden_size=16, batch_size=256, early_stopping=False)` "
        "on generated sequences of 200-600 steps x 8 features (float32; each size in a "
        "fresh process). The list in memory holds the whole data set before fit starts "
        '(counted in "before"); the streamed Parquet table holds its index (one entry '
        "per sequence) and reads pools of blocks as training goes.\n\n"
        + markdown_table(headers, rows)
        + f"\n\nThroughput on the {slice_gb:g} GB data set (median of {args.repeats}, "
        f"interleaved): in memory {medians['memory']:.1f} s, streamed from Parquet "
        f"{medians['file']:.1f} s: the file-backed fit runs at {ratio:.2f}x the "
        "in-memory fit's speed.\n"
    )


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
    parser.add_argument("--fit", action="store_true", help="measure fit instead of predict")
    parser.add_argument("--memory-gb", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    parser.add_argument("--file-gb", type=float, nargs="+", default=[1.0, 8.0, 25.0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/sk_rnn_fit"))
    args = parser.parse_args()
    if args.fit:
        body = fit_section(args)
        print(body)
        if args.write:
            command = "python benchmarks/bench_memory.py --fit --write docs/benchmarks.md"
            write_section(args.write, "memory of fit", command, body)
        return
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

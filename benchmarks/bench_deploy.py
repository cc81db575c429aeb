"""Deploying a model: the torch-free ONNX runtime against ``model.predict``.

Two fitted defaults: RNNClassifier on JapaneseVowels (ragged series, 12 features) and
RNNTagger on hironsan_ner (text, CRF). Each is saved in the safe format and exported with
``to_onnx``; then, interleaved and repeated (medians reported):

- one-sequence latency: ``predict([x])`` for single test sequences, in a warm process;
- throughput: ``predict`` on 1,000 test sequences (the test split repeated), sequences/s;
- cold start: a fresh interpreter that imports, loads the file and predicts one sequence
  (``sk_rnn.load`` + the estimator, or ``sk_rnn.runtime.load``), timed inside the process
  and as the whole process's wall time.

Parity on the test split is checked on the way (identical labels, largest probability
difference).

Usage::

    python benchmarks/bench_deploy.py
    python benchmarks/bench_deploy.py --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import load_series, markdown_table, ner_split, write_section

from sk_rnn import RNNClassifier, RNNTagger, runtime

COLD = r"""
import json, sys, time
start = time.perf_counter()
{load}
model = load({path!r})
sample = json.loads({sample!r})
model.predict([sample])
print(json.dumps(time.perf_counter() - start))
"""
# How each contender loads a file in a fresh process.
LOADERS = {
    "estimator (torch)": "from sk_rnn import load",
    "runtime (onnxruntime)": "from sk_rnn.runtime import load",
}


def fitted_models():
    X, y = load_series("JapaneseVowels", "train")
    X_test, _ = load_series("JapaneseVowels", "test")
    start = time.perf_counter()
    classifier = RNNClassifier(random_state=0).fit(X, y)
    print(f"classifier fitted in {time.perf_counter() - start:.0f} s")
    tokens, tokens_test, tags, _ = ner_split()
    start = time.perf_counter()
    tagger = RNNTagger(random_state=0).fit(tokens, tags)
    print(f"tagger fitted in {time.perf_counter() - start:.0f} s")
    as_json = lambda sample: sample.tolist() if hasattr(sample, "tolist") else sample  # noqa: E731
    return [
        ("classifier (JapaneseVowels)", classifier, X_test, as_json),
        ("tagger (hironsan_ner, CRF)", tagger, tokens_test, as_json),
    ]


def same_predictions(model, deployed, X) -> tuple[bool, float]:
    ours, theirs = deployed.predict(X), model.predict(X)
    labels = all(np.array_equal(a, b) for a, b in zip(ours, theirs, strict=True))
    gap = max(
        float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
        for a, b in zip(deployed.predict_proba(X), model.predict_proba(X), strict=True)
    )
    return labels, gap


def latency(predict, X, repeats: int) -> float:
    """Median seconds of ``predict([x])`` over ``repeats`` single sequences."""
    times = []
    for i in range(repeats):
        sample = [X[i % len(X)]]
        start = time.perf_counter()
        predict(sample)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def throughput(predict, X) -> float:
    start = time.perf_counter()
    predict(X)
    return len(X) / (time.perf_counter() - start)


def cold_start(loader: str, path: Path, sample) -> tuple[float, float]:
    """(seconds inside the process, seconds of the whole process) for one cold start."""
    code = COLD.format(load=loader, path=str(path), sample=json.dumps(sample))
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode:
        raise RuntimeError(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1]), wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--write", type=Path, help="write the results into this markdown file")
    args = parser.parse_args()
    rows, parity = [], []
    folder = Path(tempfile.mkdtemp())
    for name, model, X_test, as_json in fitted_models():
        saved, exported = folder / f"{name[:4]}.safetensors", folder / f"{name[:4]}.onnx"
        model.save(saved)
        model.to_onnx(exported)
        deployed = runtime.load(exported)
        labels, gap = same_predictions(model, deployed, X_test)
        parity.append(f"{name}: labels identical: {labels}; largest probability gap {gap:.1e}")
        many = [X_test[i % len(X_test)] for i in range(1000)]
        contenders = {
            "estimator (torch)": (model.predict, saved),
            "runtime (onnxruntime)": (deployed.predict, exported),
        }
        figures = {c: {"latency": [], "throughput": [], "cold": [], "wall": []} for c in LOADERS}
        for _ in range(args.repeats):
            for contender, (predict, path) in contenders.items():
                figures[contender]["latency"].append(latency(predict, X_test, 200))
                figures[contender]["throughput"].append(throughput(predict, many))
                inside, wall = cold_start(LOADERS[contender], path, as_json(X_test[0]))
                figures[contender]["cold"].append(inside)
                figures[contender]["wall"].append(wall)
        medians = {c: {k: statistics.median(v) for k, v in f.items()} for c, f in figures.items()}
        torch_latency = medians["estimator (torch)"]["latency"]
        for contender, m in medians.items():
            rows.append(
                [
                    name,
                    contender,
                    f"{1000 * m['latency']:.2f}",
                    f"{torch_latency / m['latency']:.1f}x",
                    f"{m['throughput']:,.0f}",
                    f"{m['cold']:.2f}",
                    f"{m['wall']:.2f}",
                ]
            )
        print(markdown_table(HEADERS, rows[-2:]), flush=True)
    table = markdown_table(HEADERS, rows)
    print(table)
    print("\n".join(parity))
    if args.write:
        body = (
            f"Medians of {args.repeats} interleaved rounds; latency over 200 single test "
            "sequences per round; throughput on 1,000 test sequences; cold start: a fresh "
            "interpreter's import, load and first prediction (inside the process; and the "
            "whole process, interpreter start included). Targets: cold start at most 0.5 s "
            "with the runtime, one-sequence latency at least 2x better than `predict`.\n\n"
            f"{table}\n\nParity on the test splits: " + "; ".join(parity) + "."
        )
        write_section(args.write, "deploy", "python benchmarks/bench_deploy.py", body)


HEADERS = [
    "model",
    "predicts with",
    "one sequence (ms)",
    "latency gain",
    "sequences/s (1,000)",
    "cold start (s)",
    "process wall (s)",
]

if __name__ == "__main__":
    main()

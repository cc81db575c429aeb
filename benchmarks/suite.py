"""The visible suite of ``../shared/data``: loaders shared by the defaults benchmarks.

Every data set comes raw, as a user has it: no scaling, no framing. Time series are lists
of float32 arrays of shape ``(n_steps, n_features)``; labels are strings (classification)
or floats (regression).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CLASSIFICATION = (
    "JapaneseVowels",
    "BasicMotions",
    "GunPoint",
    "ItalyPowerDemand",
    "ACSF1",
    "Coffee",
    "PigCVP",
    "Trace",
)
REGRESSION = ("GasPrices",)


def _records(path: Path) -> list[dict]:
    with gzip.open(path, "rt") as lines:
        return [json.loads(line) for line in lines]


def load_series(name: str, split: str, data: Path = DATA):
    """``(X, y)`` of one split ("train" or "test") of a time-series data set."""
    records = _records(data / name / f"{split}.jsonl.gz")
    X = [np.asarray(r["x"], np.float32).reshape(len(r["x"]), -1) for r in records]
    if name in REGRESSION:
        return X, np.array([float(r["y"]) for r in records])
    return X, np.array([str(r["y"]) for r in records])


def load_fortunes(data: Path = DATA):
    """``(texts, categories)`` of all fortunes, in file order."""
    records = _records(data / "fortunes" / "fortunes.jsonl.gz")
    return [r["text"] for r in records], np.array([r["category"] for r in records])


def load_ner(data: Path = DATA):
    """``(token lists, IOB2 tag lists)`` of the hironsan_ner sentences, in file order."""
    path = next((data / "hironsan_ner").glob("*.jsonl.gz"))
    records = _records(path)
    return [r["tokens"] for r in records], [r["ner"] for r in records]


def fortunes_split(data: Path = DATA):
    """The fixed fortunes split: 80 % train, 20 % test, stratified (random_state 0)."""
    from sklearn.model_selection import train_test_split

    texts, labels = load_fortunes(data)
    return train_test_split(texts, labels, test_size=0.2, stratify=labels, random_state=0)


NER_TRAIN = 240


def ner_split(data: Path = DATA):
    """The fixed hironsan_ner split: the first 240 sentences train, the last 60 test."""
    X, y = load_ner(data)
    return X[:NER_TRAIN], X[NER_TRAIN:], y[:NER_TRAIN], y[NER_TRAIN:]

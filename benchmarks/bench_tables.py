"""Sequences as users store them: the same fit from every table layout.

Each task is fitted (``random_state=0``, defaults otherwise) on its list of sequences and
on the same data as a long table (one row per sequence id and time step) in each
layout: a pandas frame with id and time columns, a pandas (id, time) MultiIndex, a
polars frame and a Parquet file (read through pyarrow). The table prints, per layout,
whether the test predictions are identical to the list fit's and the largest
difference in probability (or predicted value). The rows of every table are shuffled
first: the table sorts them by time within each sequence.

- RNNClassifier on JapaneseVowels and BasicMotions;
- RNNRegressor on GasPrices;
- RNNTagger on hironsan_ner as a token table (one row per token, its tag per row);
- RNNForecaster on M1 yearly, as a long table of (series, year, value);
- RNNLanguageModel on the fortunes as a text column (one row per text: pandas, polars,
  Parquet through pyarrow), one epoch.

Usage::

    python benchmarks/bench_tables.py [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from common import (
    DATA,
    load_fortunes,
    load_m1_yearly,
    load_series,
    markdown_table,
    ner_split,
    write_section,
)

from sk_rnn import (
    RNNClassifier,
    RNNForecaster,
    RNNLanguageModel,
    RNNRegressor,
    RNNTagger,
    SequenceTable,
)

COMMAND = "python benchmarks/bench_tables.py --write docs/benchmarks.md"
LAYOUTS = ("pandas", "MultiIndex", "polars", "Parquet")


def long_frame(X, y=None, column="value") -> pd.DataFrame:
    """One row per (id, step) of sequences ``X`` (numbers: a column per feature; token
    lists: one ``column`` of tokens), with the sequence's or step's target in "y";
    rows shuffled."""
    frames = []
    for i, x in enumerate(X):
        frame = pd.DataFrame({"id": i, "t": np.arange(len(x))})
        values = np.asarray(x)
        if values.dtype.kind in "OUS":
            frame[column] = values
        else:
            for j, feature in enumerate(values.reshape(len(x), -1).T):
                frame[f"f{j}"] = feature
        if y is not None:
            frame["y"] = y[i] if np.ndim(y[i]) == 0 else np.asarray(y[i])
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    return frame.sample(frac=1, random_state=0).reset_index(drop=True)


def tables(frame: pd.DataFrame, folder: Path, target="y") -> dict:
    import polars as pl

    columns = dict(id_column="id", time_column="t", target_column=target)
    path = folder / f"{id(frame)}.parquet"
    frame.to_parquet(path)
    return {
        "pandas": SequenceTable(frame, **columns),
        "MultiIndex": SequenceTable(frame.set_index(["id", "t"]), target_column=target),
        "polars": SequenceTable(pl.from_pandas(frame), **columns),
        "Parquet": SequenceTable.from_parquet(path, **columns),
    }


def in_table_order(table, X, y):
    order = [int(i) for i in table.ids]
    targets = [y[i] for i in order]
    return [X[i] for i in order], np.asarray(targets) if np.ndim(y[0]) == 0 else targets


def compare(name, make, X, y, X_test, folder, outputs) -> list:
    """Fit ``make()`` on the list and on each layout; one row per layout."""
    table_test = tables(long_frame(X_test), folder, target=None)
    layouts = tables(long_frame(X, y), folder)
    listed_X, listed_y = in_table_order(layouts["pandas"], X, y)  # every layout's order
    listed_model = make().fit(listed_X, listed_y)
    rows = []
    for layout, table in layouts.items():
        start = time.perf_counter()
        model = make().fit(table, table.y)
        seconds = time.perf_counter() - start
        test = table_test[layout]
        listed_test = [X_test[int(i)] for i in test.ids]
        same = _same(model.predict(test), listed_model.predict(listed_test))
        largest = _largest(outputs(model, test), outputs(listed_model, listed_test))
        rows.append([name, layout, "yes" if same else "NO", f"{largest:.1e}", f"{seconds:.0f}"])
        print(rows[-1], flush=True)
    return rows


def _same(a, b) -> bool:
    if isinstance(a, list):
        return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(np.array_equal(a, b))


def _largest(a, b) -> float:
    if isinstance(a, list):
        pairs = zip(a, b, strict=True)
        return max(float(np.max(np.abs(np.asarray(x) - np.asarray(y)))) for x, y in pairs)
    return float(np.max(np.abs(np.asarray(a, float) - np.asarray(b, float))))


def proba(model, X):
    return model.predict_proba(X)


def predictions(model, X):
    return model.predict(X)


def forecaster_rows(folder) -> list:
    series = load_m1_yearly(DATA)
    histories = [s[:-6] for s in series]
    frame = pd.concat(
        pd.DataFrame({"id": i, "t": np.arange(len(h)), "value": h}) for i, h in enumerate(histories)
    ).sample(frac=1, random_state=0)
    layouts = tables(frame, folder, target=None)
    order = [int(i) for i in layouts["pandas"].ids]  # every layout's order of series
    listed = RNNForecaster(horizon=6, random_state=0).fit([histories[i] for i in order])
    listed = listed.forecast(6)
    rows = []
    for layout, table in layouts.items():
        start = time.perf_counter()
        model = RNNForecaster(horizon=6, random_state=0).fit(table)
        seconds = time.perf_counter() - start
        forecast = model.forecast(6)
        same = np.array_equal(forecast, listed)
        largest = float(np.max(np.abs(forecast - listed) / np.abs(listed)))
        rows.append(["M1 yearly (forecaster)", layout, "yes" if same else "NO", f"{largest:.1e}"])
        rows[-1].append(f"{seconds:.0f}")
        print(rows[-1], flush=True)
    return rows


def language_model_rows(folder) -> list:
    """The fortunes as a text column (one row per text): a pandas column, a polars
    column and a Parquet column read with pyarrow, against the list of texts. One epoch
    (the layout does not touch training; the default's 20 epochs take minutes each)."""
    import polars as pl
    import pyarrow.parquet as pq

    texts, _ = load_fortunes(DATA)
    frame = pd.DataFrame({"id": np.arange(len(texts)), "text": texts})
    frame.to_parquet(folder / "fortunes.parquet")
    columns = {
        "pandas column": frame["text"],
        "polars column": pl.from_pandas(frame)["text"],
        "Parquet column": pq.read_table(folder / "fortunes.parquet", columns=["text"])["text"],
    }
    listed = RNNLanguageModel(max_epochs=1, random_state=0).fit(texts)
    expected = listed.score_samples(texts[:300])
    rows = []
    for layout, column in columns.items():
        start = time.perf_counter()
        model = RNNLanguageModel(max_epochs=1, random_state=0).fit(column)
        seconds = time.perf_counter() - start
        scores = model.score_samples(texts[:300])
        same = np.array_equal(scores, expected)
        largest = float(np.max(np.abs(scores - expected)))
        rows.append(["fortunes (language model)", layout, "yes" if same else "NO"])
        rows[-1] += [f"{largest:.1e}", f"{seconds:.0f}"]
        print(rows[-1], flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    rows = []
    for name in ("JapaneseVowels", "BasicMotions"):
        X, y = load_series(name, "train", DATA)
        X_test, _ = load_series(name, "test", DATA)
        rows += compare(name, lambda: RNNClassifier(random_state=0), X, y, X_test, folder, proba)
    X, y = load_series("GasPrices", "train", DATA)
    X_test, _ = load_series("GasPrices", "test", DATA)
    rows += compare(
        "GasPrices", lambda: RNNRegressor(random_state=0), X, y, X_test, folder, predictions
    )
    X, X_test, y, _ = ner_split(DATA)
    rows += compare(
        "hironsan_ner (tagger)",
        lambda: RNNTagger(random_state=0),
        X,
        y,
        X_test,
        folder,
        proba,
    )
    rows += forecaster_rows(folder)
    rows += language_model_rows(folder)
    headers = ["task", "layout", "test predictions identical", "largest difference", "fit s"]
    body = (
        "### The same fit from every table layout\n\n"
        "Each layout against the fit on the list of sequences (`random_state=0`); the "
        "largest difference is in probabilities (the classifier, the tagger's per-token "
        "marginals), in predicted values (the regressor), relative in forecasts, and in "
        "log-likelihoods (the language model's `score_samples` of 300 texts).\n\n"
        + markdown_table(headers, rows)
        + "\n"
    )
    print(body)
    if args.write:
        write_section(args.write, "tables", COMMAND, body)


if __name__ == "__main__":
    main()

"""Crafted headers: every field of a saved model's header (``sk_rnn.load``) and of an
exported one's (``sk_rnn.runtime.load``) mutated to a wrong type, NaN, a negative, zero, a
huge or an unknown value, or removed. Each mutation must give a ValueError that names the
file, or a model whose predictions equal the unmutated one's; no load may take 2 s or
raise the process's peak memory by 200 MB.

The mutations run in a fresh interpreter, whose peak memory no other test has raised; a
mutation that is a valid setting of its field (a window of another length, a statistic of
0) would make another valid model, so the values tried are chosen to be invalid for the
field's kind, or to be settings with which the model must predict the same.
"""

import json
import math
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

TESTS = Path(__file__).parent
HUGE = 10**12


# -- the mutations ----------------------------------------------------------------------------


def _is_array(value) -> bool:
    return isinstance(value, dict) and {"dtype", "shape", "values"} <= set(value)


def _is_saved_array(value) -> bool:
    return isinstance(value, dict) and "__ndarray__" in value


def _replacements(value) -> list:
    """Values to put where ``value`` is: wrong types, NaN, negative, zero, huge, unknown."""
    if _is_array(value):
        return [
            {**value, "dtype": "<U20000000"},
            {**value, "dtype": "<f16"},
            {**value, "dtype": "object"},
            {**value, "shape": [HUGE]},
            {**value, "values": "x"},
            {**value, "values": np.full(np.shape(value["values"]), math.nan).tolist()},
            "x",
            [],
        ]
    if _is_saved_array(value):
        return [
            {**value, "dtype": "<U20000000"},
            {**value, "dtype": "<f16"},
            {**value, "dtype": "object"},
            {**value, "__ndarray__": "x"},
            "x",
        ]
    if isinstance(value, bool):
        return ["x", 2, None]
    if isinstance(value, int):
        return ["x", 1.5, math.nan, -1, 0, HUGE, None]
    if isinstance(value, float):
        return ["x", math.nan, math.inf, None]
    if isinstance(value, str):
        return [7, "unknown", None]
    if value is None:
        return ["x", -1, {"unknown": 1}]
    if isinstance(value, dict):
        return ["x", [], None]
    if isinstance(value, list):
        return ["x", {}, None, [[]]]
    return []


def _leaves(value, path=()):
    """Paths of the header's fields: every key of every object, arrays as one field; the
    first entry of lists (vocabularies, series) and of mappings to ids."""
    yield path
    if _is_array(value) or _is_saved_array(value):
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list) and value:
        yield from _leaves(value[0], (*path, 0))


# Replacements that are valid settings of their field, making another valid model that
# predicts otherwise: left out.
VALID_ALTERNATIVES = {
    ("crf", "null"),  # a tagger without a CRF reads the same graph (softmax over emissions)
    ("forecaster.window", str(HUGE)),  # a window of the whole history is a valid setting
    ("fitted.window_", str(HUGE)),
}


def _migrated() -> set[str]:
    """Names that files from before they existed lack: removing one reads the file as such
    an older file (sk_rnn._saving.migrations), another valid model."""
    from sk_rnn._saving import migrations

    tables = [*migrations.PARAMETERS_ADDED.values(), *migrations.FITTED_ADDED.values()]
    return {name for table in tables for name in table}


def mutations(header: dict, kept=frozenset()):
    """(name, mutated header) pairs: each field replaced by each of its replacements, and
    each key of an object removed (but entries of a vocabulary, a smaller vocabulary being
    a valid one, and the names in ``kept``)."""
    for path in _leaves(header):
        if not path:
            continue
        parent = header
        for key in path[:-1]:
            parent = parent[key]
        name = ".".join(map(str, path))
        for replacement in _replacements(parent[path[-1]]):
            if (name, json.dumps(replacement)) not in VALID_ALTERNATIVES:
                yield f"{name}={json.dumps(replacement)[:30]}", _set(header, path, replacement)
        is_vocabulary = isinstance(parent, dict) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in parent.values()
        )
        if isinstance(parent, dict) and not is_vocabulary and path[-1] not in kept:
            yield f"{name} removed", _set(header, path, _REMOVED)


_REMOVED = object()


def _set(header, path, value):
    copy = json.loads(json.dumps(header))
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    if value is _REMOVED:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return copy


# -- files to mutate --------------------------------------------------------------------------

KINDS = ("classifier", "text_tagger", "regressor", "forecaster")


def fitted(kind):
    """A tiny fitted model of ``kind`` and the input its predictions are compared on."""
    from sk_rnn import RNNClassifier, RNNForecaster, RNNRegressor, RNNTagger

    tiny = dict(hidden_size=4, max_epochs=1, random_state=0)
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(int(n), 2)) for n in rng.integers(3, 9, 20)]
    if kind == "classifier":  # with gaps, so their header fields are mutated too
        for x in X[::3]:
            x[1, 0] = np.nan
        return RNNClassifier(**tiny).fit(X, ["a", "b"] * 10), X[:6]
    if kind == "regressor":
        return RNNRegressor(**tiny).fit(X, np.arange(20.0)), X[:6]
    if kind == "text_tagger":
        words = [["Anna", "saw", "Bob"], ["the", "cat", "sat", "down"]] * 5
        tags = [["B", "O", "B"], ["O", "O", "O", "O"]] * 5
        model = RNNTagger(**tiny, character_features=True).fit(words, tags)
        return model, [["Anna", "ran"], ["a", "cat"]]
    series = [np.sin(np.arange(30) / 3 + i) + 5 for i in range(3)]
    model = RNNForecaster(window=4, horizon=2, interval_windows=2, regressor=RNNRegressor(**tiny))
    return model.fit(series), 3


def outputs(model, X):
    """What the model predicts on ``X`` (the forecaster: ``forecast(X)``), as arrays."""
    if isinstance(X, int):
        return [np.asarray(model.forecast(X))]
    if hasattr(model, "predict_proba"):
        result = model.predict_proba(X)
        return list(result) if isinstance(result, list) else [result]
    result = model.predict(X)
    return list(result) if isinstance(result, list) else [result]


def exported(tmp_path, kind):
    """``kind`` fitted and exported to ONNX: its path and the input to compare on."""
    return _written(tmp_path, kind, ".onnx", lambda model, path: model.to_onnx(path))


def saved(tmp_path, kind):
    """``kind`` fitted and saved in the safe format: its path and the input to compare on."""
    return _written(tmp_path, kind, ".safetensors", lambda model, path: model.save(path))


def _written(tmp_path, kind, suffix, write):
    model, X = fitted(kind)
    path = Path(tmp_path) / f"{kind}{suffix}"
    write(model, path)
    return path, X


def onnx_header(path) -> dict:
    import onnx

    proto = onnx.load(str(path))
    return json.loads(next(p.value for p in proto.metadata_props if p.key == "sk_rnn"))


def write_onnx_header(path, header, out):
    import onnx

    proto = onnx.load(str(path))
    for prop in proto.metadata_props:
        if prop.key == "sk_rnn":
            prop.value = json.dumps(header) if isinstance(header, dict) else header
    onnx.save(proto, str(out))


def load_mutated_runtime(path, edit, out):
    """``runtime.load`` of ``path`` with its header changed by ``edit`` (in place, or the
    new header or JSON text returned)."""
    from sk_rnn import runtime

    header = onnx_header(path)
    header = edit(header) or header
    write_onnx_header(path, header, out)
    return runtime.load(out)


def safetensors_header(path) -> dict:
    raw = Path(path).read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    return json.loads(json.loads(raw[8 : 8 + n])["__metadata__"]["sk_rnn"])


def write_safetensors_header(path, header, out):
    raw = Path(path).read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    outer = json.loads(raw[8 : 8 + n])
    outer["__metadata__"]["sk_rnn"] = json.dumps(header)
    new = json.dumps(outer).encode()
    new += b" " * (-len(new) % 8)
    Path(out).write_bytes(struct.pack("<Q", len(new)) + new + raw[8 + n :])


# -- the fuzz, in a fresh interpreter --------------------------------------------------------


def fuzz(folder: str, loader: str) -> dict:
    """Mutate the header of every file in ``folder`` (made by the test) and load each
    mutation with ``loader`` ("runtime" or "load"); the outcomes, summed up."""
    import resource
    import time

    import sk_rnn
    from sk_rnn import runtime

    folder = Path(folder)
    load = runtime.load if loader == "runtime" else sk_rnn.load
    suffix = ".onnx" if loader == "runtime" else ".safetensors"
    read, write = (
        (onnx_header, write_onnx_header)
        if loader == "runtime"
        else (safetensors_header, write_safetensors_header)
    )
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    results = {"mutations": 0, "refused": 0, "same": 0, "problems": [], "slowest": 0.0}
    for kind in KINDS:
        path = folder / f"{kind}{suffix}"
        X = json.loads((folder / f"{kind}.input.json").read_text())
        X = X if isinstance(X, int) else (X if kind == "text_tagger" else [np.array(x) for x in X])
        expected = outputs(load(path), X)
        out = folder / f"mutated{suffix}"
        kept = _migrated() if loader == "load" else frozenset()
        for name, header in mutations(read(path), kept):
            write(path, header, out)
            results["mutations"] += 1
            start = time.perf_counter()
            try:
                got = outputs(load(out), X)
            except ValueError as exc:
                if out.name not in str(exc):
                    results["problems"].append(f"{kind} {name}: error without the file: {exc}")
                else:
                    results["refused"] += 1
            except Exception as exc:  # anything but a ValueError is a problem
                results["problems"].append(f"{kind} {name}: {type(exc).__name__}: {exc}")
            else:
                same = len(got) == len(expected) and all(
                    np.shape(g) == np.shape(e) and np.allclose(g, e, equal_nan=False)
                    for g, e in zip(got, expected, strict=True)
                )
                if same:
                    results["same"] += 1
                else:
                    results["problems"].append(f"{kind} {name}: loaded, predicts differently")
            seconds = time.perf_counter() - start
            results["slowest"] = max(results["slowest"], seconds)
            if seconds > 2:
                results["problems"].append(f"{kind} {name}: took {seconds:.1f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    results["grew_mb"] = peak / 2**20 if sys.platform == "darwin" else peak / 2**10
    return results


def _prepared(tmp_path, make) -> str:
    for kind in KINDS:
        path, X = make(tmp_path, kind)
        data = X if isinstance(X, int) else [x if isinstance(x, list) else x.tolist() for x in X]
        (tmp_path / f"{kind}.input.json").write_text(json.dumps(data))
    return str(tmp_path)


def _fuzz_in_a_fresh_process(folder, loader) -> dict:
    script = (
        f"import json, sys; sys.path.insert(0, {str(TESTS)!r})\n"
        "from test_crafted_headers import fuzz\n"
        f"print(json.dumps(fuzz({folder!r}, {loader!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_crafted_runtime_headers_are_refused_naming_the_file(tmp_path):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    results = _fuzz_in_a_fresh_process(_prepared(tmp_path, exported), "runtime")
    assert results["problems"] == []
    assert results["mutations"] >= 200
    assert results["refused"] > results["same"]  # most mutations are refused
    assert results["grew_mb"] < 200


def test_crafted_saved_headers_are_refused_naming_the_file(tmp_path):
    results = _fuzz_in_a_fresh_process(_prepared(tmp_path, saved), "load")
    assert results["problems"] == []
    assert results["mutations"] >= 200
    assert results["refused"] > results["same"]
    assert results["grew_mb"] < 200


def test_the_fuzz_finds_a_loader_that_accepts_a_bad_field(tmp_path, monkeypatch):
    """The check can fail: with the runtime's header check switched off, mutations load
    and predict garbage or fail with raw errors."""
    pytest.importorskip("onnx")
    folder = _prepared(tmp_path, exported)
    shutil.copy(Path(folder) / "classifier.onnx", tmp_path / "kept.onnx")
    from sk_rnn import runtime

    monkeypatch.setattr(runtime, "check_header", lambda *args, **kwargs: None)
    monkeypatch.setattr(runtime._Labelling, "check_header", classmethod(lambda *a: None))
    path = tmp_path / "kept.onnx"
    header = onnx_header(path)
    header["input"]["scale"]["values"] = [math.nan] * 2
    write_onnx_header(path, header, tmp_path / "nan.onnx")
    assert np.isnan(runtime.load(tmp_path / "nan.onnx").predict_proba([np.ones((3, 2))])).all()

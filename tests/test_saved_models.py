"""Files saved by earlier versions of sk_rnn load and predict exactly as the code that
wrote them predicted (tests/saved_models: written by make_saved_models.py at each format
version, never rewritten)."""

import json
import pickle
from pathlib import Path

import joblib
import numpy as np
import pytest

import sk_rnn

SAVED = Path(__file__).parent / "saved_models"
# v1: format version 1 (commit 755e7ff); v2-early: format version 2 as first written
# (2bd6c69: no tagger class weights or affixes, a forecaster of one series); v2: format
# version 2 as the last code that wrote it left it; v3: format version 3 as written before
# models recorded what "auto" stood for (1929156: a text regressor pooled by max).
TAGS = ("v1", "v2-early", "v2", "v3")
CASES = [
    (tag, name, record)
    for tag in TAGS
    for name, record in json.loads((SAVED / f"{tag}.json").read_text()).items()
]
# p1: pickle and joblib files written by a9a633d (make_saved_models.py p1 --pickled), before
# the private modules were regrouped: the class paths they record must stay loadable.
PICKLED = [
    (name, file, record)
    for name, record in json.loads((SAVED / "p1.json").read_text()).items()
    for file in record["files"]
]


def _outputs(model, name, inputs):
    X = inputs.get("X")
    if name in ("classifier", "regressor"):
        X = [np.asarray(x, dtype=np.float32) for x in X]
    if name == "forecaster":
        return {"forecast": model.forecast(inputs["steps"])}
    if name == "language_model":
        return {"score_samples": model.score_samples(X)}
    if name == "seq2seq":
        return {"predict": model.predict(X), "score_samples": model.score_samples(X, inputs["y"])}
    outputs = {"predict": model.predict(X)}
    if hasattr(model, "predict_proba"):
        outputs["predict_proba"] = model.predict_proba(X)
    return outputs


@pytest.mark.parametrize(("tag", "name", "record"), CASES, ids=[f"{t}-{n}" for t, n, _ in CASES])
def test_an_older_file_loads_and_predicts_as_it_did(tag, name, record):
    _check_outputs(sk_rnn.load(SAVED / record["file"]), name, record)


@pytest.mark.parametrize(("name", "file", "record"), PICKLED, ids=[f for _, f, _ in PICKLED])
def test_an_older_pickle_or_joblib_file_loads_and_predicts_as_it_did(name, file, record):
    if file.endswith(".joblib"):
        model = joblib.load(SAVED / file)
    else:
        model = pickle.loads((SAVED / file).read_bytes())
    _check_outputs(model, name, record)


def _check_outputs(model, name, record):
    outputs = _outputs(model, name, record["inputs"])
    assert set(outputs) == set(record["outputs"])
    for key, expected in record["outputs"].items():
        got = outputs[key]
        if key == "predict" and name in ("tagger",):
            assert [list(p) for p in got] == expected
        elif key in ("predict",) and name not in ("regressor", "text_regressor"):
            assert list(got) == expected
        elif name == "tagger":
            for p, e in zip(got, expected, strict=True):
                np.testing.assert_allclose(p, e, rtol=1e-6, atol=1e-7)
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)

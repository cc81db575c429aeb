"""Every container users' data arrive in, for every estimator: fit, predict, score, save
and load, and cross-validation. Samples are read by position, so each container must
give exactly the model and the predictions that the same data as a plain list gives."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.model_selection import cross_val_score

import sk_rnn
from sk_rnn import (
    RNNClassifier,
    RNNForecaster,
    RNNLanguageModel,
    RNNRegressor,
    RNNSeq2Seq,
    RNNTagger,
)

TINY = dict(hidden_size=4, max_epochs=2, lr=0.05, batch_size=4, random_state=0)
RNG = np.random.default_rng(0)
N = 12
NUMERIC = [RNG.normal(size=(6, 2)).astype(np.float32) for _ in range(N)]  # equal lengths
RAGGED = [RNG.normal(size=(int(n), 2)).astype(np.float32) for n in RNG.integers(3, 8, N)]
UNIVARIATE = RNG.normal(size=(N, 5))
TEXTS = [
    " ".join(RNG.choice(["red", "green", "blue", "dark"], int(n))) for n in RNG.integers(2, 5, N)
]
LABELS = np.array(["yes", "no", "maybe"] * 4)
NUMBERS = RNG.normal(size=N)
OFFSET = np.arange(100, 100 + N)  # an index that does not start at 0


def memmapped(array, tmp_path_factory):
    path = tmp_path_factory.mktemp("memmap") / "x.npy"
    np.save(path, array)
    return np.load(path, mmap_mode="r")


def read_only(array):
    array = array.copy()
    array.flags.writeable = False
    return array


def nested_frame(sequences):
    """sktime's nested layout: a column per feature, a Series per cell."""
    return pd.DataFrame(
        {f"dim_{j}": [pd.Series(s[:, j]) for s in sequences] for j in range(2)}, index=OFFSET
    )


# (name, reference as a plain list, the same samples in another container)
NUMERIC_CONTAINERS = [
    ("tuple", RAGGED, lambda: tuple(RAGGED)),
    ("3-D array", list(np.stack(NUMERIC)), lambda: np.stack(NUMERIC)),
    ("read-only 3-D array", list(np.stack(NUMERIC)), lambda: read_only(np.stack(NUMERIC))),
    ("float64 list", RAGGED, lambda: [x.astype(np.float64) for x in RAGGED]),
    ("nested lists", RAGGED, lambda: [x.tolist() for x in RAGGED]),
    ("object array", RAGGED, lambda: np.array(RAGGED + [None], dtype=object)[:-1]),
    ("Series of arrays", RAGGED, lambda: pd.Series(RAGGED, index=OFFSET)),
    ("nested DataFrame", NUMERIC, lambda: nested_frame(NUMERIC)),
    ("2-D array", list(UNIVARIATE), lambda: UNIVARIATE),
    ("int 2-D array", list((UNIVARIATE * 10).astype(int)), lambda: (UNIVARIATE * 10).astype(int)),
    (
        "DataFrame, named columns",
        list(UNIVARIATE),
        lambda: pd.DataFrame(UNIVARIATE, columns=[f"t{i}" for i in range(5)], index=OFFSET),
    ),
]
TEXT_CONTAINERS = [
    ("tuple", TEXTS, lambda: tuple(TEXTS)),
    ("str array", TEXTS, lambda: np.array(TEXTS)),
    ("object array", TEXTS, lambda: np.array(TEXTS, dtype=object)),
    ("Series", TEXTS, lambda: pd.Series(TEXTS, index=OFFSET)),
    ("Series, string dtype", TEXTS, lambda: pd.Series(TEXTS, index=OFFSET, dtype="string")),
    ("DataFrame column", TEXTS, lambda: pd.DataFrame({"text": TEXTS}, index=OFFSET)),
    ("token lists", [t.split() for t in TEXTS], lambda: [tuple(t.split()) for t in TEXTS]),
    (
        "Series of token lists",
        [t.split() for t in TEXTS],
        lambda: pd.Series([t.split() for t in TEXTS], index=OFFSET),
    ),
]
LABEL_CONTAINERS = [
    ("list", lambda y: list(y)),
    ("Series", lambda y: pd.Series(y, index=OFFSET)),
    ("object Series", lambda y: pd.Series(y, index=OFFSET, dtype=object)),
    ("Categorical", lambda y: pd.Series(pd.Categorical(y), index=OFFSET)),
    ("string dtype", lambda y: pd.Series(y, index=OFFSET, dtype="string")),
]


def flat(outputs):
    """Predictions of any estimator as one float or string array, for comparison."""
    if isinstance(outputs, np.ndarray) and outputs.dtype != object:
        return outputs
    return np.concatenate([np.ravel(np.asarray(o)) for o in outputs])


def check_container(model, X_list, X_other, y_list, y_other, tmp_path, method="predict"):
    """fit, predict, score, save and load, cross-validate with the other container."""
    reference = flat(getattr(clone(model).fit(X_list, y_list), method)(X_list))
    model.fit(X_other, y_other)
    np.testing.assert_array_equal(flat(getattr(model, method)(X_other)), reference)
    score_args = (X_other,) if y_other is None else (X_other, y_other)
    assert np.isfinite(model.score(*score_args))
    model.save(tmp_path / "model.safetensors")
    loaded = sk_rnn.load(tmp_path / "model.safetensors")
    np.testing.assert_array_equal(flat(getattr(loaded, method)(X_other)), reference)
    scores = cross_val_score(model, X_other, y_other, cv=2)
    assert np.isfinite(scores).all()


@pytest.mark.parametrize("estimator", ["classifier", "regressor", "tagger", "seq2seq"])
@pytest.mark.parametrize(
    "name, X_list, X_other", NUMERIC_CONTAINERS, ids=[c[0] for c in NUMERIC_CONTAINERS]
)
def test_numeric_containers(estimator, name, X_list, X_other, tmp_path, tmp_path_factory):
    X_other = X_other()
    y, y_other = _targets(estimator, X_list)
    check_container(_model(estimator), X_list, X_other, y, y_other, tmp_path)


@pytest.mark.parametrize(
    "estimator", ["classifier", "regressor", "tagger", "seq2seq", "language model"]
)
@pytest.mark.parametrize(
    "name, X_list, X_other", TEXT_CONTAINERS, ids=[c[0] for c in TEXT_CONTAINERS]
)
def test_text_containers(estimator, name, X_list, X_other, tmp_path):
    X_other = X_other()
    y, y_other = _targets(estimator, X_list)
    method = "score_samples" if estimator == "language model" else "predict"
    check_container(_model(estimator), X_list, X_other, y, y_other, tmp_path, method)


@pytest.mark.parametrize("name, container", LABEL_CONTAINERS, ids=[c[0] for c in LABEL_CONTAINERS])
def test_label_containers(name, container, tmp_path):
    check_container(_model("classifier"), RAGGED, RAGGED, list(LABELS), container(LABELS), tmp_path)


def test_memmapped_input(tmp_path, tmp_path_factory):
    X = memmapped(np.stack(NUMERIC), tmp_path_factory)
    y = list(LABELS)
    check_container(_model("classifier"), list(np.stack(NUMERIC)), X, y, y, tmp_path)


def test_nullable_integer_labels(tmp_path):
    labels = pd.array(np.arange(N) % 3, dtype="Int64")
    check_container(_model("classifier"), RAGGED, RAGGED, list(np.arange(N) % 3), labels, tmp_path)


@pytest.mark.parametrize(
    "series",
    [
        lambda s: list(s),
        lambda s: tuple(s),
        lambda s: pd.Series(s, index=pd.date_range("2020-01-01", periods=len(s), freq="D")),
        lambda s: pd.DataFrame({"target": s}, index=np.arange(1000, 1000 + len(s))),
    ],
    ids=["list", "tuple", "dated Series", "DataFrame"],
)
def test_forecaster_containers(series, tmp_path):
    values = np.sin(np.arange(60.0) / 3)
    model = RNNForecaster(window=6, horizon=2, regressor=RNNRegressor(**TINY), random_state=0)
    expected = model.fit(values).predict(np.zeros(4))
    other = series(values)
    np.testing.assert_array_equal(model.fit(other).predict(np.zeros(4)), expected)
    model.save(tmp_path / "f.safetensors")
    np.testing.assert_array_equal(
        sk_rnn.load(tmp_path / "f.safetensors").predict(np.zeros(4)), expected
    )


@settings(max_examples=10, deadline=None)
@given(st.permutations(range(N)))
def test_any_index_is_read_by_position(order):
    index = np.asarray(order) * 7 + 3  # unsorted, not starting at 0
    model = RNNClassifier(**TINY).fit(RAGGED, LABELS)
    as_series = model.predict_proba(pd.Series(RAGGED, index=index))
    np.testing.assert_array_equal(as_series, model.predict_proba(RAGGED))
    texts = RNNClassifier(**TINY).fit(TEXTS, LABELS)
    np.testing.assert_array_equal(
        texts.predict_proba(pd.Series(TEXTS, index=index)), texts.predict_proba(TEXTS)
    )


def _model(estimator):
    return {
        "classifier": RNNClassifier,
        "regressor": RNNRegressor,
        "tagger": RNNTagger,
        "seq2seq": RNNSeq2Seq,
        "language model": RNNLanguageModel,
    }[estimator](**TINY)


def _targets(estimator, X_list):
    """Targets for ``X_list``, and the same targets in a pandas Series (index 100..)."""
    if estimator == "classifier":
        y = list(LABELS)
    elif estimator == "regressor":
        y = list(NUMBERS)
    elif estimator == "tagger":
        lengths = [len(x.split()) if isinstance(x, str) else len(x) for x in X_list]
        y = [["a" if i % 2 else "b" for i in range(n)] for n in lengths]
    elif estimator == "seq2seq":
        y = [["x", "y"][: 1 + i % 2] for i in range(N)]
    else:
        return None, None
    return y, pd.Series(y, index=OFFSET)

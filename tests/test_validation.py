"""Bad input, for every estimator: a clear ValueError/TypeError (or NotFittedError) that
names the parameter or the sample, raised before any training starts."""

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError

from sk_rnn import RNNClassifier, RNNRegressor, RNNSeq2Seq, RNNTagger

ESTIMATORS = [RNNClassifier, RNNRegressor, RNNTagger, RNNSeq2Seq]
GOOD_X = [np.zeros((3, 2)), np.ones((4, 2)), np.zeros((2, 2)), np.ones((5, 2))]


def targets(estimator_class, n=4):
    if estimator_class is RNNTagger:  # one label per step of GOOD_X
        labels = [[(i + j) % 2 for j in range(len(x))] for i, x in enumerate(GOOD_X)]
        return labels if n == len(GOOD_X) else [[0, 1]] * n
    if estimator_class is RNNSeq2Seq:
        return [["x", "y"][: 1 + i % 2] for i in range(n)]
    return [0, 1] * (n // 2) if estimator_class is RNNClassifier else np.arange(float(n))


BAD_X = [
    (
        "nothing observed",
        [np.zeros((3, 2)), np.array([[np.nan, np.nan]])] * 2,
        ValueError,
        "Sample 1 .*(no observed value|NaN)",  # seq2seq has no gap channels
    ),
    ("inf", [np.zeros((3, 2)), np.array([[np.inf, 0.0]])] * 2, ValueError, "Sample 1 .*infinity"),
    ("empty X", [], ValueError, "0 sequences"),
    ("zero-length", [np.zeros((3, 2)), np.zeros((0, 2))] * 2, ValueError, "Sample 1 .*0 steps"),
    ("mixed features", [np.zeros((3, 2)), np.zeros((3, 3))] * 2, ValueError, "Sample 1 .*3 feat"),
    ("4-D", np.zeros((4, 2, 2, 2)), ValueError, "4 dimensions"),
    ("junk", [np.zeros((3, 2)), object()] * 2, TypeError, "Sample 1"),
    ("strings in numbers", [np.zeros((3, 2)), [["a", "b"]]] * 2, TypeError, "Sample 1"),
    ("numbers in text", ["a b", 3.0, "c", "d"], TypeError, "Sample 1 of X is float"),
    ("None in text", ["a b", None, "c", "d"], TypeError, "Sample 1 of X is NoneType"),
    ("empty text", ["a b", "", "c", "d"], ValueError, "Sample 1 of X has no tokens"),
]


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
@pytest.mark.parametrize("case, X, error, match", BAD_X, ids=[c[0] for c in BAD_X])
def test_bad_X(estimator_class, case, X, error, match):
    with pytest.raises(error, match=match):
        estimator_class(max_epochs=1).fit(X, targets(estimator_class, max(len(X), 4)))


@pytest.mark.parametrize(
    "estimator_class", [e for e in ESTIMATORS if "missing" in e._get_param_names()]
)
def test_nan_is_refused_with_missing_error(estimator_class):
    X = [np.zeros((3, 2)), np.array([[0.0, np.nan]])] * 2
    with pytest.raises(ValueError, match="Sample 1 .*NaN"):
        estimator_class(max_epochs=1, missing="error").fit(X, targets(estimator_class, 4))


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
def test_mismatched_X_and_y(estimator_class):
    with pytest.raises(ValueError, match="4 sequences in X, 2 (targets|label sequences)"):
        estimator_class(max_epochs=1).fit(GOOD_X, targets(estimator_class)[:2])


def test_single_class():
    with pytest.raises(ValueError, match="only one class"):
        RNNClassifier(max_epochs=1).fit(GOOD_X, ["a"] * 4)


BAD_PARAMS = [
    ("hidden_size", 0),
    ("num_layers", 0),
    ("dropout", 1.5),
    ("cell", "transformer"),
    ("lr", -0.1),
    ("max_epochs", 0),
    ("batch_size", 0),
    ("frame_size", 0),
    ("clip_grad_norm", -1.0),
    ("validation_fraction", 0.0),
    ("n_iter_no_change", 0),
    ("tokenizer", "sentencepiece"),
    ("min_frequency", 0),
    ("embedding_dim", 0),
    ("optimizer_params", "fast"),
]


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
@pytest.mark.parametrize("name, value", BAD_PARAMS, ids=[p[0] for p in BAD_PARAMS])
def test_out_of_range_parameters(estimator_class, name, value):
    if name not in estimator_class().get_params():
        pytest.skip(f"{estimator_class.__name__} has no {name}")
    with pytest.raises(ValueError, match=f"'{name}' parameter"):
        estimator_class(**{name: value}).fit(GOOD_X, targets(estimator_class))


@pytest.mark.parametrize("device, match", [("tpu", "device"), ("cuda:0", "CUDA is not available")])
def test_unavailable_devices(device, match, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=match):
        RNNClassifier(device=device).fit(GOOD_X, targets(RNNClassifier))


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
def test_predict_before_fit_and_wrong_feature_count(estimator_class):
    with pytest.raises(NotFittedError):
        estimator_class().predict(GOOD_X)
    est = estimator_class(hidden_size=4, max_epochs=1).fit(GOOD_X, targets(estimator_class))
    with pytest.raises(ValueError, match="3 features per step.*fitted with 2"):
        est.predict([np.zeros((3, 3))])
    with pytest.raises(ValueError, match="Sample 160 of X contains NaN"):
        # Predict validates in chunks; the index still counts from the start of X.
        est.set_params(batch_size=2).predict(GOOD_X * 40 + [np.full((2, 2), np.nan)])


def test_numpy_integers_are_parameters_like_ints():
    from sklearn.model_selection import GridSearchCV

    X, y = GOOD_X * 3, targets(RNNClassifier, 12)
    model = RNNClassifier(
        hidden_size=np.int64(4), num_layers=np.int32(2), frame_size=np.int64(2), max_epochs=1
    ).fit(X, y)
    assert model.net_.module_.encoder.hidden_size == 4
    grid = {"hidden_size": np.array([4, 8]), "embedding_dim": np.array([3])}
    search = GridSearchCV(RNNClassifier(max_epochs=1), grid, cv=2, error_score="raise")
    search.fit([["a", "b"], ["b"], ["a"], ["b", "a"]] * 3, [0, 1] * 6)
    RNNTagger(character_features=np.int64(3), max_epochs=1).fit([["ab", "c"]] * 2, [[0, 1]] * 2)


@pytest.mark.parametrize("name", ["hidden_size", "num_layers", "max_epochs", "batch_size"])
def test_booleans_are_not_integers(name):
    with pytest.raises(ValueError, match=f"'{name}' parameter.*Got True"):
        RNNClassifier(**{name: True}).fit(GOOD_X, targets(RNNClassifier))


def test_datetimes_are_not_silently_turned_into_numbers():
    dates = np.arange("2024-01-01", "2024-01-04", dtype="datetime64[D]").reshape(3, 1)
    with pytest.raises(TypeError, match="Sample 0 of X holds dates"):
        RNNRegressor(max_epochs=1).fit([dates, dates], [1.0, 2.0])


def test_sparse_input_gets_sk_rnn_s_message():
    import scipy.sparse as sp

    for estimator_class in ESTIMATORS:
        with pytest.raises(TypeError, match="X is a sparse matrix"):
            estimator_class(max_epochs=1).fit(
                sp.csr_matrix(np.ones((4, 3))), targets(estimator_class)
            )

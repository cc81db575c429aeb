"""The task shapes beyond one target per sequence: per-step regression, sample weights
(and their routing), embeddings from ``transform``, long inputs cut by ``max_length``,
log-probabilities, tagger class weights, continued training of the language model and
seq2seq, and generating a sequence from one vector."""

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from tasks import delayed_recall

import sk_rnn
from sk_rnn import RNNClassifier, RNNLanguageModel, RNNRegressor, RNNSeq2Seq, RNNTagger
from sk_rnn._sequences import Sequences, truncate_sequences

# Deterministic, quick training: no dropout, one fixed schedule.
PLAIN = dict(
    hidden_size=16,
    dropout=0.0,
    token_dropout=0.0,
    lr=0.02,
    lr_schedule="constant",
    early_stopping=False,
    random_state=0,
)


# -- per-step regression -----------------------------------------------------------------


def running_mean(n_samples, rng, min_length=5, max_length=20):
    X = [rng.normal(size=n) for n in rng.integers(min_length, max_length + 1, size=n_samples)]
    y = [np.cumsum(x) / np.arange(1, len(x) + 1) for x in X]
    return X, y


@pytest.fixture(scope="module")
def per_step_model():
    X, y = running_mean(300, np.random.default_rng(0))
    model = RNNRegressor(per_step=True, bidirectional=False, max_epochs=40, **PLAIN)
    return model.fit(X, y)


def test_per_step_regression_learns_a_running_mean(per_step_model):
    X, y = running_mean(100, np.random.default_rng(1))
    predicted = per_step_model.predict(X)
    assert [p.shape for p in predicted] == [t.shape for t in y]
    assert per_step_model.score(X, y) > 0.9
    # score is R^2 over all true steps
    flat, truth = np.concatenate(predicted), np.concatenate(y)
    expected = 1 - ((flat - truth) ** 2).sum() / ((truth - truth.mean()) ** 2).sum()
    assert per_step_model.score(X, y) == pytest.approx(expected)


def test_per_step_regression_learns_a_delayed_copy_bidirectional_exact_padding():
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(n, 1)) for n in rng.integers(4, 16, size=300)]
    y = [np.concatenate([[0.0, 0.0], x[:-2, 0]]) for x in X]  # the input two steps back
    model = RNNRegressor(per_step=True, max_epochs=40, **PLAIN).fit(X, y)
    assert model.score(X[:100], y[:100]) > 0.9
    # A sequence predicted alone or beside much longer ones gets the same outputs.
    alone = model.predict([X[0]])[0]
    beside = model.predict([X[0], rng.normal(size=(40, 1))])[0]
    np.testing.assert_allclose(alone, beside, atol=1e-5)


def test_per_step_multi_output_targets_save_and_load(tmp_path):
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(n, 2)) for n in rng.integers(3, 9, size=40)]
    y = [np.column_stack([x.sum(1), 1000 + x[:, 0]]) for x in X]
    model = RNNRegressor(per_step=True, max_epochs=3, **PLAIN).fit(X, y)
    predicted = model.predict(X[:5])
    assert [p.shape for p in predicted] == [(len(x), 2) for x in X[:5]]
    assert abs(np.concatenate(predicted)[:, 1].mean() - 1000) < 5  # original units
    model.save(tmp_path / "m.skrnn")
    loaded = sk_rnn.load(tmp_path / "m.skrnn")
    for a, b in zip(loaded.predict(X[:5]), predicted, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_per_step_targets_are_checked_before_training():
    X = [np.zeros(4), np.zeros(6)]
    with pytest.raises(ValueError, match=r"Sample 1 of y .*\(6 steps, as X\[1\]\)"):
        RNNRegressor(per_step=True).fit(X, [np.zeros(4), np.zeros(5)])
    with pytest.raises(ValueError, match="max_length"):
        RNNRegressor(per_step=True, max_length=3).fit(X, [np.zeros(4), np.zeros(6)])
    with pytest.raises(ValueError, match="frame_size"):
        RNNRegressor(per_step=True, frame_size=2).fit(X, [np.zeros(4), np.zeros(6)])
    # No per-step flag: per-step targets are not one number per sequence.
    with pytest.raises(ValueError):
        RNNRegressor().fit(X, [np.zeros(4), np.zeros(6)])


# -- sample weights ------------------------------------------------------------------------


def full_batch(**params):
    # One batch per epoch and no convolution branch: its batch normalisation takes
    # statistics over every sample of a batch, weighted or not (see the user guide).
    return RNNClassifier(batch_size=256, max_epochs=15, conv_channels=None, **{**PLAIN, **params})


def test_zero_weight_samples_have_no_influence():
    rng = np.random.default_rng(0)
    X, y = delayed_recall(60, rng)
    X_noise, y_noise = delayed_recall(30, rng)
    X_noise = [x * 50 + 3 for x in X_noise]  # would move the input scaling, too
    X_test, _ = delayed_recall(20, rng)
    weighted = full_batch().fit(X + X_noise, np.r_[y, y_noise], np.r_[np.ones(60), np.zeros(30)])
    alone = full_batch().fit(X, y)
    np.testing.assert_allclose(
        weighted.predict_proba(X_test), alone.predict_proba(X_test), atol=1e-4
    )


def test_integer_weights_match_repeated_samples():
    rng = np.random.default_rng(0)
    X, y = delayed_recall(40, rng)
    X_test, _ = delayed_recall(20, rng)
    weights = rng.integers(1, 4, size=40)
    repeated = [x for x, w in zip(X, weights, strict=True) for _ in range(w)]
    weighted = full_batch().fit(X, y, sample_weight=weights)
    duplicated = full_batch().fit(repeated, np.repeat(y, weights))
    np.testing.assert_allclose(
        weighted.predict_proba(X_test), duplicated.predict_proba(X_test), atol=1e-4
    )


def test_weights_ignore_mislabelled_data():
    rng = np.random.default_rng(0)
    X, y = delayed_recall(300, rng)
    X_bad, y_bad = delayed_recall(300, rng)
    y_bad = np.where(y_bad == "pos", "neg", "pos")  # every label flipped
    X_test, y_test = delayed_recall(200, rng)
    weights = np.r_[np.ones(300), np.zeros(300)]
    model = RNNClassifier(max_epochs=30, conv_channels=None, **PLAIN)  # 3x faster, same lesson
    weighted = model.fit(X + X_bad, np.r_[y, y_bad], sample_weight=weights).score(X_test, y_test)
    unweighted = model.fit(X + X_bad, np.r_[y, y_bad]).score(X_test, y_test)
    assert weighted > 0.85
    assert unweighted < weighted - 0.2


def test_weights_reach_every_estimator_and_partial_fit():
    rng = np.random.default_rng(0)
    X = [list(rng.choice(["a", "b", "c"], size=5)) for _ in range(20)]
    w = np.r_[np.ones(10), np.zeros(10)]
    tiny = dict(hidden_size=4, max_epochs=1, random_state=0)
    tags = [["x" if t == "a" else "y" for t in s] for s in X]
    targets = rng.normal(size=20)
    fits = {
        "RNNTagger.fit": lambda w: RNNTagger(**tiny).fit(X, tags, w),
        "RNNLanguageModel.fit": lambda w: RNNLanguageModel(**tiny).fit(X, sample_weight=w),
        "RNNSeq2Seq.fit": lambda w: RNNSeq2Seq(**tiny).fit(X, [s[::-1] for s in X], w),
        "RNNRegressor.partial_fit": lambda w: RNNRegressor(**tiny).partial_fit(X, targets, w),
        "RNNClassifier.partial_fit": lambda w: RNNClassifier(**tiny).partial_fit(
            X, ["p", "q"] * 10, sample_weight=w
        ),
        "RNNLanguageModel.partial_fit": lambda w: RNNLanguageModel(**tiny).partial_fit(
            X, sample_weight=w
        ),
    }
    for name, fit in fits.items():
        # Half the samples weigh nothing: the first epoch's loss is another one.
        weighted, unweighted = (fit(weights).history_[-1, "train_loss"] for weights in (w, None))
        assert weighted != pytest.approx(unweighted, rel=1e-4), name


@pytest.mark.parametrize(
    "sample_weight, match",
    [
        (np.ones(3), r"shape \(4,\)"),
        (np.array([1.0, -1.0, 1.0, 1.0]), "non-negative; sample 1"),
        (np.zeros(4), "zero for every sample"),
        (np.array([1.0, np.nan, 1.0, 1.0]), "NaN"),
    ],
)
def test_bad_weights_are_refused_before_training(sample_weight, match):
    X = [np.zeros((3, 1))] * 4
    with pytest.raises(ValueError, match=match):
        RNNClassifier().fit(X, [0, 1, 0, 1], sample_weight=sample_weight)


def test_routed_search_equals_a_manual_loop():
    rng = np.random.default_rng(0)
    X, y = delayed_recall(60, rng)
    w = rng.uniform(0.2, 2.0, size=60)
    grid = {"hidden_size": [4, 8]}
    cv = KFold(3)
    with sklearn.config_context(enable_metadata_routing=True):
        model = RNNClassifier(max_epochs=3, **{**PLAIN, "hidden_size": 4})
        model.set_fit_request(sample_weight=True).set_score_request(sample_weight=True)
        search = GridSearchCV(model, grid, cv=cv).fit(X, y, sample_weight=w)
    for i, hidden_size in enumerate(grid["hidden_size"]):
        scores = []
        for train, test in cv.split(X):
            fitted = RNNClassifier(max_epochs=3, **{**PLAIN, "hidden_size": hidden_size}).fit(
                [X[j] for j in train], y[train], sample_weight=w[train]
            )
            scores.append(fitted.score([X[j] for j in test], y[test], sample_weight=w[test]))
        assert search.cv_results_["mean_test_score"][i] == pytest.approx(np.mean(scores))


def test_weighted_statistics_match_repetition():
    rng = np.random.default_rng(0)
    X = [rng.normal(5, 3, size=(n, 2)) for n in (3, 4, 5)]
    y = np.array([1.0, 10.0, 100.0])
    w = np.array([2, 0, 1])
    weighted = RNNRegressor(max_epochs=1, random_state=0).fit(X, y, sample_weight=w)
    repeated = RNNRegressor(max_epochs=1, random_state=0).fit([X[0], X[0], X[2]], y[[0, 0, 2]])
    for name in ("input_mean_", "input_scale_", "target_mean_", "target_scale_"):
        np.testing.assert_allclose(getattr(weighted, name), getattr(repeated, name), rtol=1e-5)


# -- embeddings ----------------------------------------------------------------------------


def test_transform_gives_embeddings_a_linear_model_can_read():
    rng = np.random.default_rng(0)
    X, y = delayed_recall(300, rng)
    X_test, y_test = delayed_recall(200, rng)
    model = RNNClassifier(max_epochs=30, **PLAIN).fit(X[:150], y[:150])
    embeddings = model.transform(X)
    assert embeddings.shape == (300, model.get_feature_names_out().shape[0])
    assert model.get_feature_names_out()[0] == "rnnclassifier0"
    # A linear model on the embeddings of other sequences reads the classes.
    linear = LogisticRegression(max_iter=1000).fit(embeddings[150:], y[150:])
    assert linear.score(model.transform(X_test), y_test) > 0.85
    # ... and the same in one pipeline (here the RNN and the head see the same data).
    stacked = make_pipeline(RNNClassifier(max_epochs=30, **PLAIN), LogisticRegression())
    assert stacked.fit(X, y).score(X_test, y_test) > 0.85


def test_transform_is_per_sequence_only():
    X, y = running_mean(10, np.random.default_rng(0))
    regressor = RNNRegressor(per_step=True, max_epochs=1, random_state=0).fit(X, y)
    assert not hasattr(regressor, "transform")
    assert RNNRegressor(conv_channels=None).fit(X, np.arange(10.0)).transform(X).shape[0] == 10


def test_predict_log_proba_is_the_log_of_predict_proba():
    X, y = delayed_recall(40, np.random.default_rng(0))
    model = RNNClassifier(max_epochs=2, random_state=0).fit(X, y)
    np.testing.assert_allclose(np.exp(model.predict_log_proba(X)), model.predict_proba(X))


# -- long inputs ---------------------------------------------------------------------------


def test_truncation_keeps_the_first_or_last_steps():
    values = np.arange(10.0)[:, None]
    sequences = Sequences(values, np.array([3, 7]), np.array([0, 3]))
    first = truncate_sequences(sequences, 4, "first")
    last = truncate_sequences(sequences, 4, "last")
    assert [s[:, 0].tolist() for s in first.to_list()] == [[0, 1, 2], [3, 4, 5, 6]]
    assert [s[:, 0].tolist() for s in last.to_list()] == [[0, 1, 2], [6, 7, 8, 9]]
    assert truncate_sequences(sequences, 7, "first") is sequences


def test_max_length_reads_the_chosen_end_of_each_text():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(20)]
    # The label is the last word of a long text; its start is noise.
    texts, y = [], []
    for _ in range(300):
        label = rng.choice(["good", "bad"])
        texts.append(" ".join([*rng.choice(words, size=rng.integers(30, 60)), label]))
        y.append(label)
    train, test = slice(0, 200), slice(200, None)
    last = RNNClassifier(max_length=5, keep="last", max_epochs=15, **PLAIN)
    first = RNNClassifier(max_length=5, keep="first", max_epochs=15, **PLAIN)
    assert last.fit(texts[train], y[train]).score(texts[test], y[test]) == 1.0
    assert first.fit(texts[train], y[train]).score(texts[test], y[test]) < 0.7
    assert last._encode_inputs(texts).lengths.max() == 5


# -- smaller gaps --------------------------------------------------------------------------


def test_tagger_class_weight_favours_the_rare_label():
    rng = np.random.default_rng(0)
    # "x" is tagged R (rare) half the time and O otherwise: no context tells which.
    X = [list(rng.choice(["x", "y"], size=6, p=[0.2, 0.8])) for _ in range(200)]
    y = [["R" if t == "x" and rng.random() < 0.4 else "O" for t in s] for s in X]
    params = dict(crf=False, max_epochs=10, **PLAIN)
    plain = RNNTagger(**params).fit(X, y)
    weighted = RNNTagger(class_weight={"O": 1.0, "R": 4.0}, **params).fit(X, y)
    rare = lambda model: np.mean([t == "R" for s in model.predict([["x"] * 6]) for t in s])  # noqa: E731
    assert rare(plain) == 0.0
    assert rare(weighted) == 1.0
    balanced = RNNTagger(class_weight="balanced", max_epochs=1, random_state=0).fit(X, y)
    flat = np.concatenate(y)
    np.testing.assert_allclose(
        balanced.class_weight_, len(flat) / (2 * np.array([np.sum(flat == c) for c in "OR"]))
    )


def test_language_model_and_seq2seq_continue_training_with_partial_fit():
    rng = np.random.default_rng(0)
    X = [list(rng.choice(list("abcd"), size=rng.integers(2, 6))) for _ in range(200)]
    lm = RNNLanguageModel(hidden_size=16, lr=0.02, random_state=0)
    before = None
    for _ in range(5):
        lm.partial_fit(X)
        before = lm.score(X) if before is None else before
    assert lm.score(X) > before  # higher likelihood per token
    seq2seq = RNNSeq2Seq(**{**PLAIN, "hidden_size": 32})
    for _ in range(40):
        seq2seq.partial_fit(X, [s[::-1] for s in X])
    assert np.mean([p == s[::-1] for p, s in zip(seq2seq.predict(X), X, strict=True)]) > 0.8
    with pytest.raises(ValueError, match="token 'z'"):
        seq2seq.partial_fit([["a"]], [["z"]])


def test_one_to_many_generates_a_sequence_from_one_vector():
    """A numeric source of one step (a style vector) decoded into a token sequence."""
    words = {0: "one two", 1: "three four five", 2: "six"}
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 3, size=150)
    X = np.eye(3)[codes][:, None, :]  # (n, 1 step, 3 features)
    y = [words[c] for c in codes]
    model = RNNSeq2Seq(max_epochs=60, **{**PLAIN, "hidden_size": 32}).fit(X, y)
    assert model.predict(np.eye(3)[:, None, :]) == [words[0], words[1], words[2]]

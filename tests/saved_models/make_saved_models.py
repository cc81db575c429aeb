"""Write the saved-model fixtures of ``tests/test_saved_models.py`` with the sk_rnn found
on the path: tiny fitted models of every estimator, and what each predicted.

Each file is written by the code of its time and never rewritten: a later sk_rnn must
load it and predict exactly what the code that wrote it predicted. Run it from a checkout
of the version to record, e.g. for format version 1::

    git worktree add /tmp/v1 755e7ff
    PYTHONPATH=/tmp/v1 python tests/saved_models/make_saved_models.py v1

It writes ``<tag>-<estimator>.safetensors`` and ``<tag>.json`` (inputs and outputs) here.
With ``--pickled`` it writes each model with pickle (``.pkl``) and joblib (``.joblib``)
instead: the files scikit-learn's tools write, which record the import path of every
class they hold, so that a later layout of the package must keep those paths loadable.
Only public API is used, and only parameters that version has.
"""

import json
import pickle
import sys
from pathlib import Path

import numpy as np

import sk_rnn
from sk_rnn import RNNClassifier, RNNLanguageModel, RNNRegressor, RNNSeq2Seq, RNNTagger

HERE = Path(__file__).parent


def small(cls, **settings):
    """``cls`` with the tiny settings this version accepts."""
    params = cls().get_params()
    tiny = dict(hidden_size=4, embedding_dim=4, max_epochs=2, random_state=0, conv_channels=4)
    wanted = {**tiny, **settings}
    return cls(**{k: v for k, v in wanted.items() if k in params})


def series(rng, n, n_features):
    return [rng.normal(size=(int(k), n_features)).round(3) for k in rng.integers(5, 12, n)]


def main(tag, pickled=False):
    rng = np.random.default_rng(0)
    records = {}

    def record(name, model, inputs, outputs):
        if pickled:
            import joblib

            (HERE / f"{tag}-{name}.pkl").write_bytes(pickle.dumps(model))
            joblib.dump(model, HERE / f"{tag}-{name}.joblib")
            files = {"files": [f"{tag}-{name}.pkl", f"{tag}-{name}.joblib"]}
        else:
            path = HERE / f"{tag}-{name}.safetensors"
            model.save(path)
            files = {"file": path.name}
        records[name] = {**files, "inputs": inputs, "outputs": outputs}

    X = series(rng, 30, 3)
    y = np.array(["a", "b", "c"])[rng.integers(0, 3, 30)]
    model = small(RNNClassifier).fit(X, y)
    inputs = {"X": [x.tolist() for x in X[:6]]}
    record(
        "classifier",
        model,
        inputs,
        {
            "predict": model.predict(X[:6]).tolist(),
            "predict_proba": model.predict_proba(X[:6]).tolist(),
        },
    )

    texts = ["the cat sat", "a dog ran far", "the dog sat", "a cat ran"] * 6
    labels = ["cat" if "cat" in t else "dog" for t in texts]
    model = small(RNNClassifier).fit(texts, labels)
    unseen = ["the cat ran", "a bird sat"]
    record(
        "text_classifier",
        model,
        {"X": unseen},
        {
            "predict": model.predict(unseen).tolist(),
            "predict_proba": model.predict_proba(unseen).tolist(),
        },
    )

    targets = rng.normal(size=30).round(3) * 100 + 50
    model = small(RNNRegressor).fit(X, targets)
    record("regressor", model, inputs, {"predict": model.predict(X[:6]).tolist()})

    lengths = np.array([len(t.split()) for t in texts], dtype=np.float64)
    model = small(RNNRegressor, shrink_to_mean=False, max_epochs=20).fit(texts, lengths * 10 + 5)
    record("text_regressor", model, {"X": unseen}, {"predict": model.predict(unseen).tolist()})

    tokens = [t.split() for t in texts]
    tags = [
        ["D" if w in ("the", "a") else "N" if w in ("cat", "dog") else "V" for w in s]
        for s in tokens
    ]
    model = small(RNNTagger).fit(tokens, tags)
    sentences = [["the", "bird", "sat"], ["a", "cat", "ran", "far"]]
    record(
        "tagger",
        model,
        {"X": sentences},
        {
            "predict": [p.tolist() for p in model.predict(sentences)],
            "predict_proba": [p.tolist() for p in model.predict_proba(sentences)],
        },
    )

    model = small(RNNLanguageModel, tokenizer="char", bptt=8).fit(texts)
    record(
        "language_model",
        model,
        {"X": unseen},
        {"score_samples": model.score_samples(unseen).tolist()},
    )

    words = ["abc", "cab", "bca", "ba", "acb", "ab"] * 4
    model = small(RNNSeq2Seq, tokenizer="char", target_tokenizer="char").fit(
        words, [w[::-1] for w in words]
    )
    record(
        "seq2seq",
        model,
        {"X": ["abc", "ca"], "y": ["cba", "ac"]},
        {
            "predict": model.predict(["abc", "ca"]),
            "score_samples": model.score_samples(["abc", "ca"], ["cba", "ac"]).tolist(),
        },
    )

    if hasattr(sk_rnn, "RNNForecaster") and hasattr(sk_rnn.RNNForecaster, "save"):
        t = np.arange(60)
        level = (20 + np.sin(t / 3) * 5).round(3)
        model = sk_rnn.RNNForecaster(
            window=6, horizon=3, regressor=small(RNNRegressor, bidirectional=False)
        ).fit(level)
        record("forecaster", model, {"steps": 5}, {"forecast": model.forecast(5).tolist()})

    (HERE / f"{tag}.json").write_text(json.dumps(records, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], pickled="--pickled" in sys.argv[2:])

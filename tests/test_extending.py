"""Extending sk_rnn from outside the package, as docs/developers.rst shows: a new estimator
through the documented hooks only, and a user's subclass of a shipped estimator. Both fit,
save in the safe format and load, with no registry to edit. The subclass contract the
guide writes down is checked here, on them and on every shipped estimator."""

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import TransformerMixin

import sk_rnn
from sk_rnn import (
    RNNClassifier,
    RNNForecaster,
    RNNLanguageModel,
    RNNRegressor,
    RNNSeq2Seq,
    RNNTagger,
    SequenceVectorizer,
)
from sk_rnn.base import (
    ABSENT_PARAMETER_VALUES,
    SHARED_DOCS,
    RNNBase,
    StepTargets,
    document_parameters,
    fitted_checks,
    length_mask,
    store_parameters,
)


class Reconstruction(torch.nn.Module):
    """Encoder, then a linear layer back to the input features at every step."""

    def __init__(self, encoder, n_features):
        super().__init__()
        self.encoder = encoder
        self.output = torch.nn.Linear(encoder.output_size, n_features)

    def forward(self, x, lengths):
        outputs, _, _ = self.encoder(x, lengths)
        return self.output(outputs)

    def code(self, x, lengths):
        return self.encoder(x, lengths)[1]

    def loss(self, outputs, targets, lengths):
        inside = length_mask(lengths.to(outputs.device), outputs.size(1)).to(outputs.dtype)
        errors = ((outputs - targets.to(outputs.device)) ** 2).sum(2) * inside
        return errors.sum(1), inside.sum(1) * outputs.size(2)


@document_parameters
class RNNAutoencoder(TransformerMixin, RNNBase):
    """Learns to reproduce each step of its input; ``transform`` gives a sequence's code.

    Parameters
    ----------
    %(shared_parameters)s
    """

    def __init__(self, *, cell="gru", hidden_size=8, bidirectional=True, frame_size=1,
                 num_layers=1, dropout=0.0, tokenizer="word", lowercase=True,
                 min_frequency=1, max_vocabulary=None, embedding_dim=None, embeddings=None,
                 freeze_embeddings=False, token_dropout=0.0, max_epochs=30, batch_size=16,
                 lr=0.01, optimizer=torch.optim.Adam, optimizer_params=None,
                 clip_grad_norm=5.0, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=10, callbacks=None, device="cpu", precision="32",
                 accelerator=None, random_state=None, warm_start=False, verbose=0):  # fmt: skip
        store_parameters(self, locals())

    def fit(self, X, y=None):
        return super().fit(X, y)

    def _encode_targets(self, y, sequences):
        return StepTargets(sequences.values)  # the input itself, step by step

    def _build_task_module(self, encoder):
        return Reconstruction(encoder, self.n_features_in_ * self.frame_size)

    def transform(self, X):
        return self._predict_rows(X, lambda module, inputs, targets: module.code(**inputs))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags


def smooth_series(n, rng):
    t = np.arange(20)
    return [np.sin(t[: rng.integers(8, 20)] / 3 + rng.uniform(0, 6))[:, None] for _ in range(n)]


def test_a_new_estimator_from_outside_the_package_fits_saves_and_loads(tmp_path):
    rng = np.random.default_rng(0)
    X = smooth_series(60, rng)
    model = RNNAutoencoder(random_state=0).fit(X)
    losses = model.history_[:, "train_loss"]
    assert losses[-1] < 0.2 * losses[0]  # it learned to reproduce its input
    codes = model.transform(X)
    assert codes.shape == (60, 16)
    model.save(tmp_path / "autoencoder.safetensors")
    loaded = sk_rnn.load(tmp_path / "autoencoder.safetensors")
    assert type(loaded) is RNNAutoencoder
    np.testing.assert_array_equal(loaded.transform(X), codes)
    assert 'frame_size : int or "auto", default=1' in RNNAutoencoder.__doc__


class SmoothedClassifier(RNNClassifier):
    """A user's subclass: predicts from probabilities averaged with a uniform prior."""

    def predict_proba(self, X):
        return 0.9 * super().predict_proba(X) + 0.1 / len(self.classes_)


def test_a_users_subclass_of_a_shipped_estimator_saves_and_loads(tmp_path):
    rng = np.random.default_rng(1)
    X = [rng.normal(size=(n, 2)) for n in rng.integers(3, 9, 40)]
    y = ["up" if x[0, 0] > 0 else "down" for x in X]
    model = SmoothedClassifier(hidden_size=4, max_epochs=2, random_state=0).fit(X, y)
    model.save(tmp_path / "smoothed.safetensors")
    loaded = sk_rnn.load(tmp_path / "smoothed.safetensors")
    assert type(loaded) is SmoothedClassifier
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


# -- the contract ----------------------------------------------------------------------------

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "developers.rst"


def documented(table: str) -> dict[str, bool]:
    """The names of the guide's table under ``table`` (Hooks, Class attributes), and for
    hooks whether each is required."""
    section = GUIDE.read_text(encoding="utf-8").split(f"\n{table}\n", 1)[1].split("\n\n\n")[0]
    section = re.split(r"\n[A-Z][a-z ]+\n~+\n", section)[0]
    rows = re.findall(r"\* - ``(_\w+)(?:\(.*?\))?``\n     - (\w+)", section)
    return {name: second == "yes" for name, second in rows}


HOOKS = documented("Hooks")
CLASS_ATTRIBUTES = documented("Class attributes")
SHIPPED = [RNNClassifier, RNNRegressor, RNNTagger, RNNLanguageModel, RNNSeq2Seq]


def contract_problems(cls) -> list[str]:
    """What ``cls`` does against the written contract (empty when it keeps it)."""
    problems = []
    for hook, required in HOOKS.items():
        if required and getattr(cls, hook) is getattr(RNNBase, hook):
            problems.append(f"does not implement the required hook {hook}")
    base = {n for k in RNNBase.__mro__ for n in vars(k) if n.startswith("_") and n[1] != "_"}
    for klass in cls.__mro__[: cls.__mro__.index(RNNBase)]:
        for name in vars(klass):
            if name in base and name not in HOOKS and name not in CLASS_ATTRIBUTES:
                problems.append(f"{klass.__name__} overrides {name}, which is not a hook")
    params = set(cls._get_param_names())
    for name in sorted(set(SHARED_DOCS) - set(ABSENT_PARAMETER_VALUES) - params):
        if name not in ("pooling", "conv_channels"):  # the sequence-level estimators' own
            problems.append(f"lacks the shared parameter {name}")
    for name in sorted(params - set(SHARED_DOCS)):
        kinds = [name in cls._training_parameters, name in cls._network_parameters]
        if sum(kinds) != 1:
            problems.append(f"{name} must be in one of _training_parameters, _network_parameters")
    for name in sorted(params - set(cls._parameter_constraints)):
        problems.append(f"{name} has no entry in _parameter_constraints")
    return problems


def test_the_guide_lists_the_bases_hooks_and_attributes():
    assert {"_encode_targets", "_build_task_module", "_fit_targets"} <= set(HOOKS)
    assert [h for h, required in HOOKS.items() if required] == [
        "_encode_targets",
        "_build_task_module",
    ]
    assert {"_training_parameters", "_network_parameters", "_auto_by_input"} <= set(
        CLASS_ATTRIBUTES
    )
    for name in [*HOOKS, *CLASS_ATTRIBUTES]:
        assert hasattr(RNNBase, name), name


@pytest.mark.parametrize(
    "cls", [*SHIPPED, RNNAutoencoder, SmoothedClassifier], ids=lambda c: c.__name__
)
def test_every_estimator_keeps_the_contract(cls):
    assert contract_problems(cls) == []


def _without(cls, **changes):
    """``cls`` with class attributes changed (a value of None deletes the override)."""
    return type(cls.__name__, (cls,), {k: v for k, v in changes.items() if v is not None})


def test_breaking_the_contract_fails_the_check():
    # A training parameter missing from _training_parameters (warm_start would refuse it).
    lm = _without(RNNLanguageModel, _training_parameters=RNNBase._training_parameters)
    assert contract_problems(lm) == [
        "bptt must be in one of _training_parameters, _network_parameters"
    ]
    # A private method of the base overridden instead of a hook.
    tagger = _without(RNNTagger, _encode_inputs=lambda self, X, **kw: None)
    assert contract_problems(tagger) == ["RNNTagger overrides _encode_inputs, which is not a hook"]

    # A required hook left out, and a shared parameter missing from the signature.
    class NoHead(RNNBase):
        def __init__(self, *, cell="lstm"):
            self.cell = cell

        def _encode_targets(self, y, sequences):
            return None

    problems = contract_problems(NoHead)
    assert "does not implement the required hook _build_task_module" in problems
    assert "lacks the shared parameter hidden_size" in problems


# -- fitted attributes: each one declared, so that a saved file is checked whole -------------

FITTED_NAME = re.compile(r"[a-z][a-z0-9_]*_")  # what the safe format saves, as fit writes it


def undeclared_fitted_attributes(model) -> list[str]:
    """The fitted attributes ``model`` holds (and a file of it would) that its class does
    not declare in ``_fitted_constraints``."""
    saved = {n for n in vars(model) if FITTED_NAME.fullmatch(n)} - set(model._unsaved_attributes)
    return sorted(saved - set(type(model)._fitted_constraints))


def _fitted_models():
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(n, 2)) for n in rng.integers(3, 9, 24)]
    y = np.array([int(x[0, 0] > 0) for x in X])
    texts = ["the cat sat", "a dog ran", "cats nap"] * 8
    tokens = [t.split() for t in texts]
    tiny = {"hidden_size": 4, "max_epochs": 1, "random_state": 0}
    series = np.c_[np.arange(40.0), np.sin(np.arange(40.0))]
    return {
        "classifier": lambda: RNNClassifier(**tiny).fit(X, y),
        "text classifier": lambda: RNNClassifier(**tiny).fit(texts, y),
        "regressor": lambda: RNNRegressor(**tiny, shrink_to_mean=True).fit(X, y * 1.0),
        "per-step regressor": lambda: RNNRegressor(**tiny, per_step=True).fit(X, X),
        "tagger": lambda: RNNTagger(**tiny, affix_features=True, character_features=True).fit(
            tokens, [["A"] * len(t) for t in tokens[:-1]] + [["B"] * 2]
        ),
        "language model": lambda: RNNLanguageModel(**tiny).fit(texts),
        "seq2seq": lambda: RNNSeq2Seq(**tiny).fit(texts, texts),
        "forecaster": lambda: RNNForecaster(
            window=4, horizon=2, interval_windows=2, regressor=RNNRegressor(**tiny)
        ).fit(series),
        "vectorizer": lambda: SequenceVectorizer().fit(texts),
        "autoencoder": lambda: RNNAutoencoder(max_epochs=1).fit(X),
    }


@pytest.mark.parametrize("name", list(_fitted_models()))
def test_every_fitted_attribute_is_declared_with_a_check(name):
    model = _fitted_models()[name]()
    assert undeclared_fitted_attributes(model) == []
    assert all(callable(check) for check in type(model)._fitted_constraints.values())


def test_an_undeclared_fitted_attribute_is_found_and_refused_on_load(tmp_path):
    class Remembering(RNNClassifier):
        def _after_training(self, X, y, sample_weight):
            self.training_size_ = len(X)

    rng = np.random.default_rng(2)
    X = [rng.normal(size=(4, 1)) for _ in range(12)]
    model = Remembering(hidden_size=4, max_epochs=1).fit(X, [0, 1] * 6)
    assert undeclared_fitted_attributes(model) == ["training_size_"]
    model.save(tmp_path / "remembering.safetensors")
    with pytest.raises(ValueError, match="'training_size_' is not a fitted attribute"):
        sk_rnn.load(tmp_path / "remembering.safetensors")

    # Declared (with a check), it saves and loads.
    class Declared(Remembering):
        _fitted_constraints = {
            **RNNClassifier._fitted_constraints,
            "training_size_": fitted_checks.integer(1),
        }

    Declared(hidden_size=4, max_epochs=1).fit(X, [0, 1] * 6).save(tmp_path / "d.safetensors")
    assert sk_rnn.load(tmp_path / "d.safetensors").training_size_ == 12

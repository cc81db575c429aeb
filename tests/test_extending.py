"""Extending sk_rnn from outside the package, as docs/developers.rst shows: a new estimator
through the documented hooks only, and a user's subclass of a shipped estimator. Both fit,
save in the safe format and load, with no registry to edit."""

import numpy as np
import torch
from sklearn.base import TransformerMixin

import sk_rnn
from sk_rnn import RNNClassifier
from sk_rnn._base import RNNBase
from sk_rnn._data import StepTargets
from sk_rnn._modules import length_mask
from sk_rnn._parameters import document_parameters, store_parameters


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

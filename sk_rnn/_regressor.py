"""RNNRegressor: one or more real values per sequence."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_array

from ._base import RNNBase
from ._modules import POOLINGS, SequencePredictor
from ._parameters import document_parameters, store_parameters


@document_parameters
class RNNRegressor(RegressorMixin, RNNBase):
    """Recurrent neural network regressor for variable-length sequences.

    Reads each sequence with a recurrent encoder (and, by default, a convolutional
    branch beside it: ``conv_channels``), pools it into one vector and predicts
    one or more real targets with a linear head trained on mean squared error. Targets
    are standardised inside and predictions come back in the original units.

    Parameters
    ----------
    pooling : {"last", "mean", "max"}, default="mean"
        How a sequence's outputs become one vector: the output at the true last step
        (of each direction), or the mean or maximum over its steps; padding is ignored.
    %(shared_parameters)s

    Attributes
    ----------
    n_outputs_ : int
        Number of targets per sequence.
    n_features_in_ : int
        Features per time step seen in fit (1 for 2-D input, one sequence per row);
        numeric input only.
    vectorizer_ : SequenceVectorizer or None
        The tokenizer and vocabulary learned from text input (None for numeric input);
        ``vocabulary_`` is its token-to-id mapping.
    target_mean_, target_scale_ : ndarray of shape (n_outputs,)
        Standardisation of the targets learned in fit.
    single_output_ : bool
        Whether ``y`` was 1-D, so that ``predict`` returns shape (n_samples,).
    net_ : skorch.NeuralNet
        The trained skorch net holding the torch module (``net_.module_``).
    history_ : skorch.History
        Per-epoch losses and timings.
    device_ : str
        The device the model was trained on.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_rnn import RNNRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.normal(size=n) for n in rng.integers(5, 15, size=60)]
    >>> y = [x.sum() for x in X]
    >>> reg = RNNRegressor(hidden_size=16, max_epochs=5, random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints: dict = {
        **RNNBase._parameter_constraints,
        "pooling": [StrOptions(set(POOLINGS))],
    }

    def __init__(
        self,
        *,
        pooling="mean",
        conv_channels=64,
        cell="lstm",
        hidden_size=64,
        num_layers=1,
        bidirectional=True,
        dropout=0.2,
        tokenizer="word",
        lowercase=True,
        min_frequency=1,
        max_vocabulary=None,
        embedding_dim=None,
        embeddings=None,
        freeze_embeddings=False,
        token_dropout=0.2,
        standardize=True,
        frame_size="auto",
        max_epochs="auto",
        batch_size=32,
        lr=3e-3,
        lr_schedule="cosine",
        optimizer=torch.optim.AdamW,
        optimizer_params=None,
        clip_grad_norm=5.0,
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=10,
        callbacks=None,
        device="cpu",
        precision="32",
        accelerator=None,
        random_state=None,
        warm_start=False,
        verbose=0,
    ):
        store_parameters(self, locals())

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y):
        """Train for one epoch, continuing from the current weights if fitted.

        The target scaling is learned on the first call and kept afterwards.

        Parameters
        ----------
        X : list of arrays, 3-D array or 2-D array
            Training sequences, as for :meth:`fit`.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.

        Returns
        -------
        self : RNNRegressor
        """
        return self._fit(X, y, epochs=1, reset=not hasattr(self, "net_"))

    def _fit_targets(self, y):
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        y2d = y.reshape(len(y), -1)
        self.n_outputs_ = y2d.shape[1]
        self.target_mean_ = y2d.mean(axis=0)
        scale = y2d.std(axis=0)
        self.target_scale_ = np.where(scale > 0, scale, 1.0)
        self.single_output_ = y.ndim == 1

    def _encode_targets(self, y, sequences):
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        y2d = y.reshape(len(y), -1)
        if len(y) != len(sequences):
            raise ValueError(
                f"X and y have different numbers of samples: {len(sequences)} sequences "
                f"in X, {len(y)} targets in y."
            )
        if y2d.shape[1] != self.n_outputs_ or (y.ndim == 1) != self.single_output_:
            fitted_shape = (
                "(n_samples,)" if self.single_output_ else f"(n_samples, {self.n_outputs_})"
            )
            raise ValueError(
                f"y has shape {y.shape}, but the model was fitted with y of shape {fitted_shape}."
            )
        return ((y2d - self.target_mean_) / self.target_scale_).astype(np.float32)

    def predict(self, X) -> np.ndarray:
        """Predicted targets, shape (n_samples,) or (n_samples, n_outputs)."""
        outputs = self._forward(X).astype(np.float64) * self.target_scale_ + self.target_mean_
        return outputs.ravel() if self.single_output_ else outputs

    def _build_task_module(self, encoder):
        return SequencePredictor(
            encoder,
            self.n_outputs_,
            self.pooling,
            self.dropout,
            task="regression",
            conv_channels=self.conv_channels,
        )

    def score(self, X, y, sample_weight=None) -> float:
        """Coefficient of determination R^2 of the predictions (1 is perfect).

        Parameters
        ----------
        X : sequences, as for :meth:`predict`
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,) or None

        Returns
        -------
        score : float
        """
        return super().score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

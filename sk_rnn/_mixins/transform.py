"""``transform``: a trained sequence-level model as a featurizer."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin
from sklearn.utils import TransformerTags
from sklearn.utils._available_if import available_if

from .._output import TableOutputMixin

__all__ = ["SequenceFeaturesMixin", "SequenceFeaturesNeeds"]


class SequenceFeaturesNeeds(Protocol):
    """What :class:`SequenceFeaturesMixin` needs from the estimator it is mixed into: the
    fitted net and ``fit`` (for scikit-learn's ``fit_transform``), the inference runner's
    row and step readers (:class:`~sk_rnn._mixins.inference.InferenceMixin`) and the output
    container (``TableOutputMixin``)."""

    net_: Any

    def fit(self, X, y=None, **params) -> Any: ...

    def _predict_rows(self, X, step) -> np.ndarray: ...

    def _predict_steps(self, X, step) -> list: ...


def _reads_one_vector_per_sequence(estimator) -> bool:
    return not estimator._outputs_per_step


def _pools_with_attention(estimator) -> bool:
    if not _reads_one_vector_per_sequence(estimator):
        return False
    if not hasattr(estimator, "net_"):  # "auto" may resolve to attention at fit
        return estimator.pooling in ("attention", "auto")
    return getattr(estimator.net_.task_module, "attention", None) is not None


class SequenceFeaturesMixin(TableOutputMixin, ClassNamePrefixFeaturesOutMixin):
    """``transform``: the vector a sequence-level model's head reads.

    For estimators whose task module follows the
    :class:`~sk_rnn._modules.protocols.FeatureModule` protocol (``features(x, lengths)``
    and ``features_size``).
    """

    @available_if(_reads_one_vector_per_sequence)
    def transform(self, X) -> np.ndarray:
        """The vector the model's head reads for each sequence: the pooled recurrent
        outputs, joined by the convolution branch's features when there is one.

        Use it to cluster, plot or search sequences, or as features for another model.
        The vectors of the training sequences are fitted ones: a model stacked on them
        should be trained on other sequences (or on ``cross_val_predict``-style
        out-of-fold vectors), as for any stacking.

        Parameters
        ----------
        X : sequences, as for :meth:`predict`

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            Named by :meth:`get_feature_names_out`.
        """
        features = self._predict_rows(X, _module_features).astype(np.float64)
        return self._as_configured(features, X)

    @available_if(_pools_with_attention)
    def attention_weights(self, X) -> list[np.ndarray]:
        """How much each step of each sequence counts in its pooled vector, with
        ``pooling="attention"`` (the classifier's default for numeric series).

        The weights of a sequence are non-negative and sum to 1; plot them over the
        sequence to see which steps the model reads its answer from. They are per model
        step: with ``frame_size_ > 1`` each weight covers ``frame_size_`` input steps, and
        ``max_length`` keeps the steps it keeps.

        Parameters
        ----------
        X : sequences, as for :meth:`predict`

        Returns
        -------
        weights : list of ndarray of shape (n_model_steps_i,)
        """
        steps = self._predict_steps(X, _attention_weights)
        return [w.astype(np.float64) for w in steps]

    @available_if(_reads_one_vector_per_sequence)
    def fit_transform(self, X, y, **fit_params) -> np.ndarray:
        """Fit on ``X, y`` (``fit_params`` as for :meth:`fit`), then :meth:`transform` ``X``."""
        return self.fit(X, y, **fit_params).transform(X)

    @available_if(_reads_one_vector_per_sequence)
    def set_output(self, *, transform=None):
        """Set the output container of :meth:`transform`: "pandas" or "polars" gives a
        DataFrame whose columns are named by :meth:`get_feature_names_out`; "default"
        a numpy array; None leaves it unchanged.

        Returns
        -------
        self : object
        """
        return super().set_output(transform=transform)

    @property
    def _n_features_out(self) -> int:
        return self.net_.task_module.features_size

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if _reads_one_vector_per_sequence(self):  # RNNRegressor(per_step=True) has none
            # The vectors are float64 whatever the input's dtype: no dtype is preserved.
            tags.transformer_tags = TransformerTags(preserves_dtype=[])
        return tags


def _module_features(module, inputs, targets):
    return module.features(**inputs)


def _attention_weights(module, inputs, targets):
    return module.attention_weights(**inputs)

"""RNNClassifier: one label per sequence."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.utils._param_validation import StrOptions

from ._base import DeclaredClassesMixin, RNNBase
from ._labels import check_labels, fitted_class_weight
from ._mixins.transform import SequenceFeaturesMixin
from ._modules import SequencePredictor
from ._net import ClassifierNet
from ._parameters import (
    CLASSIFIER_AUTO_BY_INPUT,
    SEQUENCE_LEVEL_CONSTRAINTS,
    document_parameters,
    fitted_value,
    store_parameters,
)
from ._saving import fitted_schema as schema
from ._saving.onnx_format import encode_array
from ._validation import check_same_length

__all__ = ["RNNClassifier"]


@document_parameters
class RNNClassifier(SequenceFeaturesMixin, DeclaredClassesMixin, ClassifierMixin, RNNBase):
    """Recurrent neural network classifier for variable-length sequences.

    Reads each sequence with a recurrent encoder (and, by default for numeric
    sequences, a convolutional branch beside it: ``conv_channels``), pools it into one
    vector (``pooling``) and predicts its class with a linear softmax head trained with
    cross-entropy.

    Parameters
    ----------
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss, as in scikit-learn's classifiers.
    %(shared_parameters)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels seen in fit.
    class_weight_ : ndarray of shape (n_classes,)
        Weight of each class in the loss (ones unless ``class_weight`` is set).
    n_features_in_ : int
        Features per time step seen in fit (1 for 2-D input, one sequence per row);
        numeric input only.
    vectorizer_ : SequenceVectorizer or None
        The tokenizer and vocabulary learned from text input (None for numeric input);
        ``vocabulary_`` is its token-to-id mapping.
    auto_settings_ : dict
        What "auto" stood for at fit, for this kind of input: ``cell``, ``pooling``,
        ``dropout`` and ``conv_channels``. Saved with the model, so that a model keeps
        its network when a later version changes a default.
    %(shared_attributes)s
    net_ : skorch.NeuralNet
        The trained skorch net holding the torch module (``net_.module_``).
    history_ : skorch.History
        Per-epoch losses and timings (``history_[:, "train_loss"]``).
    device_ : str
        The device the model was trained on.

    See Also
    --------
    RNNRegressor : One number (or several) per sequence, or per step.
    RNNTagger : One label per step.
    SequenceTable : A long table (one row per id and step) as sequences.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_rnn import RNNClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.normal(size=(n, 3)) for n in rng.integers(5, 15, size=60)]
    >>> y = ["up" if x[0, 0] > 0 else "down" for x in X]
    >>> clf = RNNClassifier(hidden_size=16, max_epochs=5, random_state=0).fit(X, y)
    >>> clf.classes_
    array(['down', 'up'], dtype='<U4')
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints: dict = {
        **RNNBase._parameter_constraints,
        **SEQUENCE_LEVEL_CONSTRAINTS,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }
    _fitted_constraints: dict = {
        **RNNBase._fitted_constraints,
        "classes_": schema.labels,
        "class_weight_": schema.class_weights,
    }
    _network_parameters = frozenset({"class_weight"})
    _auto_by_input = CLASSIFIER_AUTO_BY_INPUT
    _net_class = ClassifierNet
    _stratify_validation = True
    _onnx_runtime = "Classifier"

    def _onnx_header(self) -> dict:
        return {"classes": encode_array(self.classes_)}  # numbers or strings (fit checks)

    def __init__(
        self,
        *,
        class_weight=None,
        pooling="auto",
        conv_channels="auto",
        cell="auto",
        hidden_size=64,
        num_layers=1,
        bidirectional=True,
        dropout="auto",
        tokenizer="auto",
        lowercase=False,
        min_frequency=2,
        max_vocabulary=None,
        embedding_dim="auto",
        embeddings=None,
        freeze_embeddings=False,
        token_dropout=0.2,
        standardize="auto",
        missing="auto",
        elapsed="auto",
        frame_size="auto",
        max_length=None,
        keep="first",
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

    def _fit_targets(self, y, sample_weight=None):
        y = check_labels(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(
                f"y has only one class ({self.classes_[0]!r}); a classifier needs at "
                "least 2 classes."
            )
        self.class_weight_ = fitted_class_weight(self.class_weight, self.classes_, y, sample_weight)

    def _encode_targets(self, y, sequences):
        y = check_labels(y)
        check_same_length(len(sequences), len(y))
        unknown = np.setdiff1d(y, self.classes_)
        if len(unknown):
            raise ValueError(
                f"y contains labels {unknown[:5].tolist()} that are not in classes_ "
                f"{self.classes_.tolist()}."
            )
        return np.searchsorted(self.classes_, y)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order."""
        logits = torch.from_numpy(self._forward(X))
        return torch.softmax(logits.double(), dim=1).numpy()

    def predict_log_proba(self, X) -> np.ndarray:
        """Natural-log class probabilities, shape (n_samples, n_classes), computed from
        the logits (finite where :meth:`predict_proba` underflows to 0)."""
        logits = torch.from_numpy(self._forward(X))
        return torch.log_softmax(logits.double(), dim=1).numpy()

    def predict(self, X) -> np.ndarray:
        """Predicted class label of each sequence."""
        logits = self._forward(X)
        return self.classes_[logits.argmax(axis=1)]

    def _build_task_module(self, encoder):
        return SequencePredictor(
            encoder,
            len(self.classes_),
            fitted_value(self, "pooling"),
            fitted_value(self, "dropout"),
            task="classification",
            class_weight=torch.as_tensor(self.class_weight_, dtype=torch.float32),
            conv_channels=fitted_value(self, "conv_channels"),
        )

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy: the fraction of sequences whose class is predicted correctly.

        Parameters
        ----------
        X : sequences, as for :meth:`predict`
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,) or None

        Returns
        -------
        score : float
        """
        return super().score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags

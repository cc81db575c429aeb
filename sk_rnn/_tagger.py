"""RNNTagger: one label per input step (part-of-speech tagging, named entities)."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import DeclaredClassesMixin, RNNBase
from ._constraints import Count
from ._datasets import StepTargets
from ._labels import check_labels, fitted_class_weight
from ._modules import AffixEncoder, CharacterEncoder, SequenceTagger, length_mask
from ._parameters import AUTO_EMBEDDING_CONSTRAINTS, document_parameters, store_parameters
from ._saving import fitted_schema as schema
from ._saving.onnx_format import encode_array
from ._token_features import (
    AFFIXES,
    RESERVED_AFFIX_IDS,
    RESERVED_CHARACTER_IDS,
    affix_vocabularies,
    character_vocabulary,
    token_feature_columns,
)
from ._validation import check_same_length, positional

__all__ = ["RNNTagger"]


_DEFAULT_CHARACTER_FILTERS = 50
_AFFIX_EMBEDDING_DIM = 16


@document_parameters
class RNNTagger(DeclaredClassesMixin, RNNBase):
    """Recurrent sequence tagger: one label per token or time step.

    Reads each sequence with a (by default bidirectional) recurrent encoder and predicts
    a label at every step, from softmax scores or, with ``crf=True``, with a
    linear-chain CRF that also learns which labels may follow which (e.g. ``I-PER``
    only after ``B-PER`` or ``I-PER``) and decodes the best label sequence (Viterbi).

    Parameters
    ----------
    crf : bool, default=True
        Add a linear-chain CRF head: trained by the negative log-likelihood of whole
        label sequences, predicted by Viterbi decoding; ``predict_proba`` gives the
        CRF's per-step marginal probabilities. ``False``: a softmax per step, trained by
        per-step cross-entropy (faster; labels chosen independently).
    affix_features : bool, default=True
        For text input: beside each token's embedding, embed its first character, its
        last one, two and three characters and its *shape* (the classes of its
        characters: digits, Latin capitals and small letters, hiragana, katakana, CJK
        ideographs, other letters; punctuation as itself; repeats merged), as spaCy's
        taggers and the feature CRF do. An unseen word is then read by its affixes and
        shape. Affixes seen once in fit share the unknown embedding, and
        ``token_dropout`` hides affixes as it hides words, so the model learns to tag
        from either. The affixes are those of the tokens after ``lowercase``. Ignored for
        numeric sequences.
    character_features : bool or int, default=False
        For text input: also read every token's characters with a small convolutional
        encoder whose output joins the token's embedding, so that unseen and rare words
        are recognised by their spelling. ``True`` uses 50 filters, an int sets their
        number. The characters are those of the tokens after ``lowercase``; set
        ``lowercase=False`` to let the model see capitals.
    class_weight : dict, "balanced" or None, default=None
        Weights of the labels in the loss, as in scikit-learn's classifiers; "balanced"
        counts labels over all steps of ``y``. Use it when one label dominates (the
        ``O`` tag of named-entity data). With ``crf=True`` a sequence's likelihood is
        weighted by the mean weight of its labels.
    %(shared_parameters)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_labels,)
        The labels seen in fit, sorted; columns of ``predict_proba``.
    class_weight_ : ndarray of shape (n_labels,)
        Weight of each label in the loss (ones unless ``class_weight`` is set).
    affix_vocabularies_ : dict of str to dict or None
        For each affix (``"prefix1"``, ``"suffix1"``, ``"suffix2"``, ``"suffix3"``,
        ``"shape"``), value to id (with ``affix_features`` and text input), else None.
    character_vocabulary_ : dict of str to int or None
        Character to id (with ``character_features``), else None.
    n_features_in_ : int
        Features per time step seen in fit; numeric input only.
    vectorizer_ : SequenceVectorizer or None
        The tokenizer and vocabulary learned from text input (None for numeric input).
    %(shared_attributes)s
    auto_settings_ : dict
        Empty: none of this estimator's settings means something else for numeric input
        and for text (the entry keeps every estimator's files alike).
    net_ : skorch.NeuralNet
        The trained skorch net holding the torch module (``net_.module_``).
    history_ : skorch.History
        Per-epoch losses and timings.
    device_ : str
        The device the model was trained on.

    See Also
    --------
    RNNClassifier : One label per sequence.
    RNNSeq2Seq : An output sequence of any length.
    sk_rnn.metrics.entity_f1_score : The entity-level score of named-entity tags.

    Examples
    --------
    >>> from sk_rnn import RNNTagger
    >>> X = [["the", "dog", "runs"], ["a", "cat", "sleeps"], ["the", "cat", "runs"]] * 10
    >>> y = [["DET", "NOUN", "VERB"]] * 30
    >>> tagger = RNNTagger(hidden_size=16, max_epochs=20, lr=0.02, random_state=0).fit(X, y)
    >>> tagger.predict([["a", "dog", "sleeps"]])[0].tolist()
    ['DET', 'NOUN', 'VERB']
    """

    _parameter_constraints: dict = {
        **RNNBase._parameter_constraints,
        "crf": ["boolean"],
        "affix_features": ["boolean"],
        "character_features": ["boolean", Count(1)],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        **AUTO_EMBEDDING_CONSTRAINTS,
    }
    _fitted_constraints: dict = {
        **RNNBase._fitted_constraints,
        "classes_": schema.labels,
        "class_weight_": schema.class_weights,
        "affix_vocabularies_": schema.affix_vocabularies(tuple(AFFIXES)),
        "character_vocabulary_": schema.character_vocabulary,
    }

    def __init__(
        self,
        *,
        crf=True,
        affix_features=True,
        character_features=False,
        class_weight=None,
        cell="lstm",
        hidden_size=64,
        num_layers=1,
        bidirectional=True,
        dropout=0.5,
        tokenizer="word",
        lowercase=True,
        min_frequency=1,
        max_vocabulary=None,
        embedding_dim="auto",
        embeddings=None,
        freeze_embeddings=False,
        token_dropout=0.5,
        standardize=True,
        missing="auto",
        elapsed="auto",
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

    _network_parameters = frozenset({"crf", "affix_features", "character_features", "class_weight"})

    @property
    def _outputs_per_step(self) -> bool:
        return True

    _onnx_runtime = "Tagger"

    def _onnx_header(self) -> dict:
        crf = self.net_.module_.crf
        parts = ("start", "transitions", "end")
        return {
            "classes": encode_array(self.classes_),
            "crf": None
            if crf is None
            else {part: encode_array(getattr(crf, part).detach().cpu().numpy()) for part in parts},
        }

    def fit(self, X, y, sample_weight=None):
        """Fit the tagger.

        Parameters
        ----------
        X : list of str, list of token lists, or numeric sequences
            Training sequences, in any form :class:`RNNClassifier` accepts.
        y : list of sequences of labels
            One label per step: ``y[i]`` has as many labels as ``X[i]`` has tokens (or
            steps). Labels may be strings or numbers.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence: every step of sequence ``i`` counts
            ``sample_weight[i]`` times in the loss. Routed by scikit-learn's metadata
            routing (``set_fit_request``).

        Returns
        -------
        self : RNNTagger
        """
        return super().fit(X, y, sample_weight=sample_weight)

    # -- input and targets -----------------------------------------------------------------

    def _check_params(self, text):
        super()._check_params(text)
        if self.character_features and not text:
            raise ValueError("character_features applies to text input, not numeric sequences.")

    def _declared_targets(self, classes):
        return [list(classes)]  # the declared labels, as one "sequence" that y would hold

    def _fit_token_features(self, tokens):
        text = tokens is not None
        self.affix_vocabularies_ = (
            affix_vocabularies(tokens) if text and self.affix_features else None
        )
        self.character_vocabulary_ = None
        if text and self.character_features:
            self.character_vocabulary_ = character_vocabulary(tokens)

    def _token_features(self, tokens):
        """Each token's affix ids, then its character ids (as many as it reads)."""
        return token_feature_columns(tokens, self.affix_vocabularies_, self.character_vocabulary_)

    def _build_token_feature_encoder(self):
        if self.vectorizer_ is None:
            return None
        characters = None
        if self.character_vocabulary_ is not None:
            n_filters = self.character_features
            if n_filters is True:
                n_filters = _DEFAULT_CHARACTER_FILTERS
            n_characters = len(self.character_vocabulary_) + RESERVED_CHARACTER_IDS
            characters = CharacterEncoder(n_characters, n_filters=n_filters)
        if self.affix_vocabularies_ is None:
            return characters
        sizes = [len(self.affix_vocabularies_[name]) + RESERVED_AFFIX_IDS for name in AFFIXES]
        return AffixEncoder(
            sizes, _AFFIX_EMBEDDING_DIM, token_dropout=self.token_dropout, characters=characters
        )

    def _fit_targets(self, y, sample_weight=None):
        labels = _flat_labels(y)
        self.classes_ = np.unique(labels)
        if len(self.classes_) < 2:
            raise ValueError(
                f"y has only one class of label ({self.classes_[0]!r}); a tagger needs at least 2."
            )
        if sample_weight is not None:  # each label carries its sequence's weight
            sample_weight = np.repeat(sample_weight, [len(s) for s in positional(y, "y")])
        self.class_weight_ = fitted_class_weight(
            self.class_weight, self.classes_, labels, sample_weight
        )

    def _encode_targets(self, y, sequences):
        return StepTargets(self._label_ids(_flat_labels(y, sequences.lengths)))

    def _label_ids(self, labels: np.ndarray) -> np.ndarray:
        unknown = np.setdiff1d(labels, self.classes_)
        if len(unknown):
            raise ValueError(
                f"y contains labels {unknown[:5].tolist()} that were not seen in fit; the "
                f"known labels are classes_={self.classes_.tolist()}."
            )
        return np.searchsorted(self.classes_, labels)

    def _build_task_module(self, encoder):
        weights = None  # equal weights: the unweighted losses are the faster path
        if not np.all(self.class_weight_ == 1):
            weights = torch.as_tensor(self.class_weight_, dtype=torch.float32)
        return SequenceTagger(
            encoder, len(self.classes_), self.dropout, crf=self.crf, class_weight=weights
        )

    # -- prediction ------------------------------------------------------------------------

    def predict(self, X) -> list[np.ndarray]:
        """Predicted labels: a list with one array per sequence, as long as the sequence."""
        ids = self._predict_steps(X, _best_labels)
        return [self.classes_[i] for i in ids]

    def predict_proba(self, X) -> list[np.ndarray]:
        """Per-step label probabilities: a list of ``(n_steps_i, n_labels)`` arrays.

        Columns follow ``classes_``. With ``crf=True`` these are the CRF's marginal
        probabilities of each label at each step.
        """
        return self._predict_steps(X, _label_probabilities)

    def score(self, X, y, sample_weight=None) -> float:
        """Token-level accuracy: the fraction of all steps labelled correctly.

        Parameters
        ----------
        X : sequences, as for :meth:`predict`
        y : list of sequences of labels, one per step
        sample_weight : array-like of shape (n_samples,) or None
            Weight of each sequence (applied to each of its steps).

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        predicted = self.predict(X)
        lengths = np.array([len(p) for p in predicted])
        truth = self._label_ids(_flat_labels(y, lengths))
        guess = np.searchsorted(self.classes_, np.concatenate(predicted))
        weights = None if sample_weight is None else np.repeat(sample_weight, lengths)
        return float(np.average(truth == guess, weights=weights))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


def _emissions_and_mask(module, inputs):
    emissions = module(**inputs).float()
    return emissions, length_mask(inputs["lengths"].to(emissions.device), emissions.size(1))


def _best_labels(module, inputs, targets):
    return module.predict_labels(*_emissions_and_mask(module, inputs))


def _label_probabilities(module, inputs, targets):
    return module.label_probabilities(*_emissions_and_mask(module, inputs))


def _flat_labels(y, lengths: np.ndarray | None = None) -> np.ndarray:
    """Check that ``y[i]`` is a sequence of labels (of ``lengths[i]`` labels, when
    given) and return them concatenated."""
    if isinstance(y, str) or not hasattr(y, "__len__"):
        raise TypeError(
            "y must be a list of label sequences, one per sample (e.g. [['B-PER', 'O'], ...])."
        )
    y = positional(y, "y")
    if lengths is None:
        lengths = [None] * len(y)
    else:
        check_same_length(len(lengths), len(y), "label sequences")
    flat = []
    for i, (labels, n) in enumerate(zip(y, lengths, strict=True)):
        if hasattr(labels, "iloc"):  # a pandas Series of labels
            labels = positional(labels)
        if isinstance(labels, str) or np.ndim(labels) != 1:
            raise ValueError(
                f"Sample {i} of y is {labels!r:.40}, not a sequence of labels; RNNTagger needs "
                "one label per step of each sequence."
            )
        if n is not None and len(labels) != n:
            raise ValueError(
                f"Sample {i} of y has {len(labels)} labels, but sample {i} of X has {n} steps "
                "(tokens); every step needs exactly one label."
            )
        flat.extend(labels)
    return check_labels(np.asarray(flat, dtype=object), "the labels of y")

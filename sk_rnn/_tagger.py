"""RNNTagger: one label per input step (part-of-speech tagging, named entities)."""

from __future__ import annotations

from collections import Counter
from numbers import Integral

import numpy as np
import torch
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from ._base import RNNBase, fill_shared_doc
from ._data import SequenceDataset, Sequences
from ._modules import CharacterEncoder, SequenceTagger, length_mask
from ._net import TaggingNet

# Reserved character ids: padding, characters unseen in fit, and the start and end
# markers around each token (they let the convolution tell prefixes and suffixes).
_CHARACTER_PADDING, _CHARACTER_UNKNOWN, _TOKEN_START, _TOKEN_END = range(4)
_RESERVED_CHARACTER_IDS = 4
# Longer tokens keep their first characters only: enough for prefixes and shape.
_MAX_TOKEN_CHARACTERS = 24
_DEFAULT_CHARACTER_FILTERS = 50
_MIN_CHARACTER_FREQUENCY = 2


@fill_shared_doc
class RNNTagger(RNNBase):
    """Recurrent sequence tagger: one label per token or time step.

    Reads each sequence with a (by default bidirectional) recurrent encoder and predicts
    a label at every step, from softmax scores or, with ``crf=True``, with a
    linear-chain CRF that also learns which labels may follow which (e.g. ``I-PER``
    only after ``B-PER`` or ``I-PER``) and decodes the best label sequence (Viterbi).

    Parameters
    ----------
    crf : bool, default=False
        Add a linear-chain CRF head: trained by the negative log-likelihood of whole
        label sequences, predicted by Viterbi decoding; ``predict_proba`` gives the
        CRF's per-step marginal probabilities.
    character_features : bool or int, default=False
        For text input: also read every token's characters with a small convolutional
        encoder whose output joins the token's embedding, so that unseen and rare words
        are recognised by their spelling. ``True`` uses 50 filters, an int sets their
        number. The characters are those of the tokens after ``lowercase``; set
        ``lowercase=False`` to let the model see capitals.
    %(shared_parameters)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_labels,)
        The labels seen in fit, sorted; columns of ``predict_proba``.
    character_vocabulary_ : dict of str to int or None
        Character to id (with ``character_features``), else None.
    n_features_in_ : int
        Features per time step seen in fit; numeric input only.
    vectorizer_ : SequenceVectorizer or None
        The tokenizer and vocabulary learned from text input (None for numeric input).
    net_ : skorch.NeuralNet
        The trained skorch net holding the torch module (``net_.module_``).
    history_ : skorch.History
        Per-epoch losses and timings.
    device_ : str
        The device the model was trained on.

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
        "character_features": ["boolean", Interval(Integral, 1, None, closed="left")],
    }
    _net_class = TaggingNet

    def __init__(
        self,
        *,
        crf=False,
        character_features=False,
        cell="lstm",
        hidden_size=64,
        num_layers=1,
        bidirectional=True,
        dropout=0.0,
        tokenizer="word",
        lowercase=True,
        min_frequency=1,
        max_vocabulary=None,
        embedding_dim=None,
        embeddings=None,
        freeze_embeddings=False,
        token_dropout=0.0,
        frame_size=1,
        max_epochs=50,
        batch_size=32,
        lr=1e-3,
        optimizer=torch.optim.Adam,
        optimizer_params=None,
        clip_grad_norm=5.0,
        early_stopping=False,
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
        super().__init__(
            cell=cell,
            hidden_size=hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
            tokenizer=tokenizer,
            lowercase=lowercase,
            min_frequency=min_frequency,
            max_vocabulary=max_vocabulary,
            embedding_dim=embedding_dim,
            embeddings=embeddings,
            freeze_embeddings=freeze_embeddings,
            token_dropout=token_dropout,
            frame_size=frame_size,
            max_epochs=max_epochs,
            batch_size=batch_size,
            lr=lr,
            optimizer=optimizer,
            optimizer_params=optimizer_params,
            clip_grad_norm=clip_grad_norm,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            callbacks=callbacks,
            device=device,
            precision=precision,
            accelerator=accelerator,
            random_state=random_state,
            warm_start=warm_start,
            verbose=verbose,
        )
        self.crf = crf
        self.character_features = character_features

    def fit(self, X, y):
        """Fit the tagger.

        Parameters
        ----------
        X : list of str, list of token lists, or numeric sequences
            Training sequences, in any form :class:`RNNClassifier` accepts.
        y : list of sequences of labels
            One label per step: ``y[i]`` has as many labels as ``X[i]`` has tokens (or
            steps). Labels may be strings or numbers.

        Returns
        -------
        self : RNNTagger
        """
        return super().fit(X, y)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None):
        """Train for one epoch, continuing from the current weights if fitted.

        Parameters
        ----------
        X, y : as for :meth:`fit`
        classes : array-like or None, default=None
            All labels that will ever be seen; needed on the first call when ``y`` may
            not contain every label.

        Returns
        -------
        self : RNNTagger
        """
        return self._fit(X, y, epochs=1, reset=not hasattr(self, "net_"), classes=classes)

    # -- input and targets -----------------------------------------------------------------

    def _encode_inputs(self, X, *, reset, first_index=0):
        if reset and self.frame_size != 1:
            raise ValueError("frame_size must be 1 for RNNTagger: labels belong to single steps.")
        if reset:
            self.character_vocabulary_ = None
        return super()._encode_inputs(X, reset=reset, first_index=first_index)

    def _encode_tokens(self, tokens, *, reset):
        words = super()._encode_tokens(tokens, reset=reset)
        if not self.character_features:
            return words
        if reset:
            counts = Counter(c for sentence in tokens for token in sentence for c in token)
            # Characters seen once train the unknown-character embedding instead, which
            # new characters at predict time then get (as min_frequency does for words).
            kept = sorted(
                (c for c in counts if counts[c] >= _MIN_CHARACTER_FREQUENCY),
                key=lambda c: (-counts[c], c),
            )
            self.character_vocabulary_ = {
                c: i for i, c in enumerate(kept, start=_RESERVED_CHARACTER_IDS)
            }
        characters = _character_ids(tokens, self.character_vocabulary_)
        return Sequences(np.column_stack([words.values, characters]), words.lengths, words.offsets)

    def _build_character_encoder(self):
        if getattr(self, "character_vocabulary_", None) is None:
            return None
        n_filters = self.character_features
        if n_filters is True:
            n_filters = _DEFAULT_CHARACTER_FILTERS
        n_characters = len(self.character_vocabulary_) + _RESERVED_CHARACTER_IDS
        return CharacterEncoder(n_characters, n_filters=n_filters)

    def _make_dataset(self, sequences, y, *, reset, classes=None):
        labels = _flat_labels(y, sequences.lengths)
        if reset:
            known = labels if classes is None else np.asarray(classes)
            self.classes_ = np.unique(known)
            if len(self.classes_) < 2:
                raise ValueError(
                    f"y has only one class of label ({self.classes_[0]!r}); a tagger needs "
                    "at least 2."
                )
        return SequenceDataset(sequences, step_targets=self._label_ids(labels))

    def _label_ids(self, labels: np.ndarray) -> np.ndarray:
        unknown = np.setdiff1d(labels, self.classes_)
        if len(unknown):
            raise ValueError(
                f"y contains labels {unknown[:5].tolist()} that were not seen in fit; the "
                f"known labels are classes_={self.classes_.tolist()}."
            )
        return np.searchsorted(self.classes_, labels)

    def _build_head(self, encoder):
        if self.vectorizer_ is None and self.character_features:
            raise ValueError("character_features applies to text input, not numeric sequences.")
        return SequenceTagger(encoder, len(self.classes_), self.dropout, crf=self.crf)

    def _criterion(self):
        return torch.nn.CrossEntropyLoss, {}

    # -- prediction ------------------------------------------------------------------------

    def _per_step(self, X, decode) -> list[np.ndarray]:
        """``decode(emissions, mask)`` of every batch, cut into one array per sequence."""
        check_is_fitted(self)
        out = [None] * len(X)
        crf = self.net_.module_.crf
        device = self.net_.device
        for samples, emissions, lengths in self._forward_batches(X):
            mask = length_mask(torch.as_tensor(lengths, device=device), emissions.size(1))
            with torch.inference_mode():
                decoded = decode(emissions.float(), mask, crf).cpu().numpy()
            for sample, values, n in zip(samples, decoded, lengths, strict=True):
                out[sample] = values[:n]
        return out

    def predict(self, X) -> list[np.ndarray]:
        """Predicted labels: a list with one array per sequence, as long as the sequence."""
        ids = self._per_step(X, _best_labels)
        return [self.classes_[i] for i in ids]

    def predict_proba(self, X) -> list[np.ndarray]:
        """Per-step label probabilities: a list of ``(n_steps_i, n_labels)`` arrays.

        Columns follow ``classes_``. With ``crf=True`` these are the CRF's marginal
        probabilities of each label at each step.
        """
        return self._per_step(X, _label_probabilities)

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


def _best_labels(emissions, mask, crf):
    if crf is None:
        return emissions.argmax(2)
    return crf.decode(emissions, mask)


def _label_probabilities(emissions, mask, crf):
    if crf is None:
        return torch.softmax(emissions.double(), 2)
    return crf.marginals(emissions.double(), mask)


def _flat_labels(y, lengths: np.ndarray) -> np.ndarray:
    """Check that ``y[i]`` has ``lengths[i]`` labels and return them concatenated."""
    if isinstance(y, str) or not hasattr(y, "__len__"):
        raise TypeError(
            "y must be a list of label sequences, one per sample (e.g. [['B-PER', 'O'], ...])."
        )
    if len(y) != len(lengths):
        raise ValueError(
            f"X and y have different numbers of samples: {len(lengths)} sequences in X, "
            f"{len(y)} label sequences in y."
        )
    flat = []
    for i, (labels, n) in enumerate(zip(y, lengths, strict=True)):
        if isinstance(labels, str) or np.ndim(labels) != 1:
            raise ValueError(
                f"Sample {i} of y is {labels!r:.40}, not a sequence of labels; RNNTagger needs "
                "one label per step of each sequence."
            )
        if len(labels) != n:
            raise ValueError(
                f"Sample {i} of y has {len(labels)} labels, but sample {i} of X has {n} steps "
                "(tokens); every step needs exactly one label."
            )
        flat.extend(labels)
    labels = np.asarray(flat, dtype=object)
    kinds = {isinstance(v, str) for v in flat}
    if len(kinds) > 1:
        raise TypeError("y mixes strings and numbers; use one type for all labels.")
    if any(v is None for v in flat):
        raise TypeError("y contains None; every step needs a label.")
    return labels.astype(str) if kinds == {True} else np.asarray(flat)


def _character_ids(tokens: list[list[str]], vocabulary: dict) -> np.ndarray:
    """Character ids of every token between start and end markers, 0-padded:
    shape ``(total_tokens, width)``.

    Each distinct token is spelled out once; the rows are then gathered by token.
    """
    distinct: dict[str, int] = {}
    token_rows = np.fromiter(
        (distinct.setdefault(t, len(distinct)) for sentence in tokens for t in sentence),
        dtype=np.int64,
    )
    width = min(max(map(len, distinct), default=1), _MAX_TOKEN_CHARACTERS)
    spelled = np.full((len(distinct), width + 2), _CHARACTER_PADDING, dtype=np.int64)
    lookup = vocabulary.get
    for row, token in enumerate(distinct):
        ids = [_TOKEN_START, *(lookup(c, _CHARACTER_UNKNOWN) for c in token[:width]), _TOKEN_END]
        spelled[row, : len(ids)] = ids
    return spelled[token_rows]

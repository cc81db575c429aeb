"""Input encoding: from what the user passed as ``X`` to the model's input sequences.

:class:`InputEncodingMixin` gives an estimator one entry point, ``_encode_inputs``, that
validates ``X`` once, learns what ``fit`` learns from it (the number of features, or the
vocabulary) and returns :class:`~sk_rnn._data.Sequences` of model steps: numeric
sequences framed by ``frame_size``, or token ids. It also tells the module builder the
size of the input layer and fills in pretrained embeddings.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from ._data import (
    Sequences,
    check_sequences,
    frame_sequences,
    positional,
    truncate_sequences,
    weighted_mean_and_std,
)
from ._text import (
    SequenceVectorizer,
    is_text_input,
    pretrained_dimension,
    pretrained_matrix,
    tokenize,
)

DEFAULT_EMBEDDING_DIM = 64
# embedding_dim="auto" (the classifier's, regressor's and tagger's default), without
# ``embeddings``.
AUTO_EMBEDDING_DIM = 128
# frame_size="auto" frames sequences so that the median one has at most this many steps.
AUTO_FRAME_STEPS = 128


def auto_frame_size(lengths, model_steps: int = AUTO_FRAME_STEPS) -> int:
    """Frames so that the median of ``lengths`` takes at most ``model_steps`` model steps."""
    return max(1, int(np.ceil(np.median(lengths) / model_steps)))


class InputEncodingMixin:
    """Encodes numeric or text ``X`` for an estimator with the shared input parameters.

    Fitted attributes: ``n_features_in_``, ``frame_size_`` (1 for text),
    ``input_mean_`` and ``input_scale_`` (None for text or ``standardize=False``) for
    numeric input; ``vectorizer_`` (text input; None for numeric input, so that
    ``vectorizer_`` tells which kind the model was fitted on).
    """

    # What an estimator without these parameters reads: whole sequences.
    max_length = None
    keep = "first"

    def _encode_inputs(
        self, X, *, reset: bool, first_index: int = 0, sample_weight=None
    ) -> Sequences:
        """Validate and encode ``X`` (numeric or text) once; a fresh fit (``reset``)
        records ``n_features_in_`` or learns the vocabulary. ``sample_weight`` (one per
        sequence, or None) weights the standardisation statistics; the vocabulary and
        the frame size are learned from every sequence."""
        X = positional(X)
        text = is_text_input(X)
        if reset:
            self.vectorizer_ = self.input_mean_ = self.input_scale_ = None
            self.frame_size_ = 1
            if text:
                self.vectorizer_ = SequenceVectorizer(
                    tokenizer=self.tokenizer,
                    lowercase=self.lowercase,
                    min_frequency=self.min_frequency,
                    max_vocabulary=self.max_vocabulary,
                )
                tokens = _checked_tokens(X, self.tokenizer, self.lowercase, first_index)
                self.vectorizer_._fit_tokens(tokens)
                return self._token_steps(tokens, reset=True)
            sequences = self._truncated(check_sequences(X))
            self.n_features_in_ = sequences.n_features
            self.frame_size_ = self._fitted_frame_size(sequences.lengths)
            if self.standardize:
                step_weights = None
                if sample_weight is not None:
                    step_weights = np.repeat(sample_weight, sequences.lengths)
                self.input_mean_, self.input_scale_ = _mean_and_scale(
                    sequences.values, step_weights
                )
            return self._model_steps(sequences)
        check_is_fitted(self)
        if self.vectorizer_ is None:
            if text:
                raise TypeError("This model was fitted on numeric sequences, but X holds text.")
            sequences = check_sequences(X, n_features=self.n_features_in_, first_index=first_index)
            return self._model_steps(self._truncated(sequences))
        if not text and len(X) and not isinstance(X[0], list | tuple | str):
            raise TypeError(
                "This model was fitted on text, but X holds numeric sequences; pass strings "
                "or token lists."
            )
        tokens = _checked_tokens(
            X, self.vectorizer_.tokenizer, self.vectorizer_.lowercase, first_index
        )
        return self._token_steps(tokens, reset=False)

    def _fitted_frame_size(self, lengths: np.ndarray) -> int:
        """``frame_size``, with "auto" resolved from the training lengths."""
        if self.frame_size != "auto":
            return int(self.frame_size)
        return auto_frame_size(lengths)

    def _truncated(self, sequences: Sequences) -> Sequences:
        """Sequences cut to ``max_length`` input steps (tokens or time steps)."""
        return truncate_sequences(sequences, self.max_length, self.keep)

    def _token_steps(self, tokens: list[list[str]], *, reset: bool):
        return self._truncated(self._encode_tokens(tokens, reset=reset))

    def _model_steps(self, sequences: Sequences) -> Sequences:
        """Numeric sequences standardised with the fitted scaling, then framed."""
        mean = getattr(self, "input_mean_", None)  # absent in files of format version 1
        if mean is not None:
            values = (sequences.values - mean) / self.input_scale_  # float32: no copy below
            sequences = Sequences(
                values.astype(np.float32, copy=False), sequences.lengths, sequences.offsets
            )
        return frame_sequences(sequences, self.frame_size_)

    def _encode_tokens(self, tokens: list[list[str]], *, reset: bool) -> Sequences:
        """Token lists as model input (ids from ``vectorizer_``, fitted already).

        An estimator that reads more than the token ids (the tagger's characters)
        extends this.
        """
        return self.vectorizer_.encode_tokens(tokens)

    @property
    def vocabulary_(self) -> dict:
        """Token to id, for models fitted on text."""
        if getattr(self, "vectorizer_", None) is None:
            raise AttributeError("vocabulary_ exists only for models fitted on text.")
        return self.vectorizer_.vocabulary_

    def _input_layer_sizes(self) -> tuple[int, int | None]:
        """(encoder input size, vocabulary size or None for numeric input)."""
        if self.vectorizer_ is None:
            return self.n_features_in_ * self.frame_size_, None
        return self._embedding_size(), len(self.vectorizer_.vocabulary_)

    def _embedding_size(self) -> int:
        if self.embedding_dim not in (None, "auto"):
            return self.embedding_dim
        if self.embeddings is not None:
            return pretrained_dimension(self.embeddings)
        return AUTO_EMBEDDING_DIM if self.embedding_dim == "auto" else DEFAULT_EMBEDDING_DIM

    def _load_pretrained_embeddings(self, module: torch.nn.Module) -> None:
        """Copy the ``embeddings`` vectors of vocabulary tokens into the module."""
        if self.embeddings is None or self.vectorizer_ is None:
            return
        vectors = pretrained_matrix(
            self.embeddings, self.vectorizer_.get_feature_names_out(), self._embedding_size()
        )
        with torch.no_grad():
            known = ~torch.isnan(vectors[:, 0])
            module.encoder.embedding.weight[known] = vectors[known]


def _mean_and_scale(values: np.ndarray, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature (weighted) mean and standard deviation over all steps (float64 sums);
    a feature that never varies keeps scale 1, as in scikit-learn's StandardScaler."""
    mean, scale = weighted_mean_and_std(values, weights)
    scale[scale < 10 * np.finfo(np.float32).eps * np.maximum(np.abs(mean), 1)] = 1.0
    return mean.astype(np.float32), scale.astype(np.float32)


def _checked_tokens(X, tokenizer, lowercase: bool, first_index: int) -> list[list[str]]:
    """The token lists of texts ``X``, checked (before any vocabulary is learned) to hold
    at least one token each."""
    tokens = tokenize(X, tokenizer, lowercase)
    empty = [i for i, sample in enumerate(tokens) if not sample]
    if empty:
        raise ValueError(
            f"Sample {first_index + empty[0]} of X has no tokens ({len(empty)} empty texts "
            "in all); every text needs at least one token."
        )
    return tokens

"""Input encoding: from what the user passed as ``X`` to the model's input sequences.

:class:`InputEncodingMixin` gives an estimator one entry point, ``_encode_inputs``, that
validates ``X`` once, learns what ``fit`` learns from it (the number of features and the
scaling, or the vocabulary and per-token features) and returns
:class:`~sk_rnn._sequences.Sequences` of model steps: numeric sequences standardised and
framed by ``frame_size``, or token ids. It also tells the module builder the size of the
input layer and fills in pretrained embeddings.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from ._embeddings import pretrained_dimension, pretrained_matrix
from ._parameters import (
    AUTO_EMBEDDING_DIM,
    DEFAULT_EMBEDDING_DIM,
    auto_frame_size,
    parameter_value,
)
from ._scaling import input_mean_and_scale, scaled_sequences, scales_span_decades
from ._sequences import Sequences, frame_sequences, truncate_sequences
from ._text import SequenceVectorizer, is_text_input, tokenize
from ._token_features import with_token_features
from ._tokenizing import check_not_empty, resolved_tokenizer
from ._validation import check_sequences, positional

__all__ = ["InputEncodingMixin"]


class InputEncodingMixin:
    """Encodes numeric or text ``X`` for an estimator with the shared input parameters.

    Fitted attributes: ``n_features_in_``, ``frame_size_`` (1 for text),
    ``input_scaling_`` ("per_series", "global" or None: how numeric input is scaled),
    ``input_mean_`` and ``input_scale_`` (the statistics of "global" scaling, else None)
    for numeric input; ``vectorizer_`` (text input; None for numeric input, so that
    ``vectorizer_`` tells which kind the model was fitted on).

    Token input may carry more than the word ids: the hooks ``_fit_token_features``,
    ``_token_features`` and ``_build_token_feature_encoder`` (see ``sk_rnn._base``)
    add per-token id columns and the module that reads them.
    """

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
            self.input_scaling_ = None
            self.frame_size_ = 1
            if text:
                tokenizer = resolved_tokenizer(self.tokenizer, X)
                self.vectorizer_ = SequenceVectorizer(
                    tokenizer=tokenizer,
                    lowercase=self.lowercase,
                    min_frequency=self.min_frequency,
                    max_vocabulary=self.max_vocabulary,
                )
                tokens = _checked_tokens(X, tokenizer, self.lowercase, first_index)
                self.vectorizer_._fit_tokens(tokens)
                self._fit_token_features(tokens)
                return self._token_steps(tokens)
            self._fit_token_features(None)
            sequences = self._truncated(check_sequences(X))
            self.n_features_in_ = sequences.n_features
            self.frame_size_ = self._fitted_frame_size(sequences.lengths)
            self.input_scaling_ = _scaling_of(parameter_value(self, "standardize"), sequences)
            if self.input_scaling_ == "global":
                step_weights = None
                if sample_weight is not None:
                    step_weights = np.repeat(sample_weight, sequences.lengths)
                self.input_mean_, self.input_scale_ = input_mean_and_scale(
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
        return self._token_steps(tokens)

    def _fitted_frame_size(self, lengths: np.ndarray) -> int:
        """``frame_size``, with "auto" resolved from the training lengths (1 for a model
        whose outputs are per step: frames would merge steps that have targets)."""
        frame_size = parameter_value(self, "frame_size")
        if frame_size == "auto":
            return 1 if self._outputs_per_step else auto_frame_size(lengths)
        longest = int(lengths.max())
        if frame_size > longest:  # refused before any frame is allocated
            raise ValueError(
                f"frame_size={frame_size} is longer than the longest training sequence "
                f"({longest} steps): every sequence would be one zero-padded frame. Use "
                f"frame_size <= {longest}, or 'auto'."
            )
        return int(frame_size)

    def _truncated(self, sequences: Sequences) -> Sequences:
        """Sequences cut to ``max_length`` input steps (tokens or time steps)."""
        return truncate_sequences(
            sequences, parameter_value(self, "max_length"), parameter_value(self, "keep")
        )

    def _token_steps(self, tokens: list[list[str]]) -> Sequences:
        """Token lists as model input: the word ids from ``vectorizer_``, joined by the
        estimator's per-token feature columns if it has any; cut to ``max_length``."""
        words = self.vectorizer_.encode_tokens(tokens)
        return self._truncated(with_token_features(words, self._token_features(tokens)))

    def _model_steps(self, sequences: Sequences) -> Sequences:
        """Numeric sequences scaled as fitted (each by its own statistics, or all by the
        training statistics), then framed."""
        scaling = (self.input_scaling_, self.input_mean_, self.input_scale_)
        return frame_sequences(scaled_sequences(sequences, *scaling), self.frame_size_)

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


def _scaling_of(standardize, sequences: Sequences) -> str | None:
    """The fitted scaling a ``standardize`` value means for the training ``sequences``
    (True is "global", from before "per_series"; "auto" is decided by
    :func:`scales_span_decades`)."""
    if standardize == "auto":
        return "per_series" if scales_span_decades(sequences) else "global"
    if standardize is True or standardize == "global":
        return "global"
    return "per_series" if standardize == "per_series" else None


def _checked_tokens(X, tokenizer, lowercase: bool, first_index: int) -> list[list[str]]:
    """The token lists of texts ``X``, checked (before any vocabulary is learned) to hold
    at least one token each."""
    return check_not_empty(tokenize(X, tokenizer, lowercase), first_index)

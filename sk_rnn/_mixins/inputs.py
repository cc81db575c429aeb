"""Input encoding: from what the user passed as ``X`` to the model's input sequences.

Encoding has two halves. *Learning* it (once per fresh fit) reads the training input and
gives one :class:`InputEncoding`: for numeric sequences the number of features, the frame
size and the scaling statistics; for text the fitted vectorizer (tokenizer and
vocabulary). *Applying* it (to the training input, and at every prediction) validates
``X`` against it and returns :class:`~sk_rnn._sequences.Sequences` of model steps:
numeric sequences scaled and framed, or token ids. :class:`InputEncodingMixin` keeps the
learned encoding as the estimator's fitted attributes (the names saved files hold), and
tells the module builder the size of the input layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from .._datasets import StreamedSequences
from .._embeddings import pretrained_dimension, pretrained_matrix
from .._gap_choice import GapEvidence, channels_predict
from .._gaps import (
    elapsed_channel,
    gap_channels,
    numeric_model_steps,
    observed_means,
    observed_sums,
    step_times,
    time_scale_of,
)
from .._parameters import (
    AUTO_EMBEDDING_DIM,
    DEFAULT_EMBEDDING_DIM,
    auto_frame_size,
    parameter_value,
)
from .._scaling import (
    RunningMoments,
    input_mean_and_scale,
    scales_span_decades,
    sequence_moments,
)
from .._sequences import Sequences, truncate_sequences
from .._text import SequenceVectorizer, is_text_input, tokenize
from .._token_features import with_token_features
from .._tokenizing import check_not_empty, resolved_tokenizer
from .._validation import check_sequences, positional

__all__ = ["InputEncoding", "InputEncodingMixin", "InputEncodingNeeds"]


class InputEncodingNeeds(Protocol):
    """What :class:`InputEncodingMixin` needs from the estimator it is mixed into,
    besides the shared parameters: whether outputs are per step (no frames then), and
    the token-feature hooks (``sk_rnn._base``)."""

    _outputs_per_step: bool

    def _fit_token_features(self, tokens: list[list[str]] | None) -> None: ...

    def _token_features(self, tokens: list[list[str]]) -> np.ndarray | None: ...


@dataclass(frozen=True)
class InputEncoding:
    """What a fit learned about its input, and all that applying the encoding needs.

    Numeric input: ``n_features``, ``frame_size``, ``scaling`` ("per_series", "global" or
    None) and, for "global", the per-feature ``mean`` and ``scale``; with gaps, the
    imputation (``gaps``: "last", "mean" or "zero"; None: no gaps), the per-feature
    ``fill`` of last resort and whether the network reads the gap channels
    (``gap_channels``; without them it reads the imputed values only); with step times,
    ``time_scale`` (the training's median time between steps; None: no elapsed-time
    channel); ``vectorizer`` is None. Text: the fitted ``vectorizer``; ``n_features`` is
    None and ``frame_size`` 1.
    """

    n_features: int | None = None
    frame_size: int = 1
    scaling: str | None = None
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None
    vectorizer: SequenceVectorizer | None = None
    gaps: str | None = None
    fill: np.ndarray | None = None
    gap_channels: bool = True
    time_scale: float | None = None

    @property
    def is_text(self) -> bool:
        return self.vectorizer is not None

    @property
    def step_width(self) -> int:
        """Values per input step the network reads: the features, with gaps each one's
        observed flag and time since it was observed, and with times the time elapsed
        since the previous step."""
        channels = 3 if self.gaps and self.gap_channels else 1
        return self.n_features * channels + (self.time_scale is not None)

    def model_steps(self, sequences: Sequences, times: np.ndarray | None = None) -> Sequences:
        """Numeric sequences scaled as learned (each by its own statistics, or all by the
        training statistics), with gaps imputed first and their channels joined after,
        and the elapsed-time channel (from ``times``, one per step), then framed."""
        if self.time_scale is not None and times is None:
            raise ValueError(
                "This model reads the time between steps (it was fitted on sequences with "
                "irregular step times): pass X with its times, as a TimedSequences or a "
                "SequenceTable with its time_column."
            )
        return numeric_model_steps(
            sequences,
            scaling=self.scaling,
            mean=self.mean,
            scale=self.scale,
            frame_size=self.frame_size,
            gaps=self.gaps,
            fill=self.fill,
            times=times,
            time_scale=self.time_scale,
            with_gap_channels=self.gap_channels,
        )

    def tokens(self, X, first_index: int = 0) -> list[list[str]]:
        """The token lists of texts ``X`` (tokenized as learned), each checked to hold a
        token."""
        return _checked_tokens(X, self.vectorizer.tokenizer, self.vectorizer.lowercase, first_index)


class InputEncodingMixin:
    """Learns and applies the input encoding of an estimator with the shared input
    parameters.

    Fitted attributes (the fields of :class:`InputEncoding`, under the names saved files
    hold): ``n_features_in_`` (numeric input), ``frame_size_`` (1 for text),
    ``input_scaling_``, ``input_mean_`` and ``input_scale_``, and ``vectorizer_`` (text
    input; None for numeric input, so that ``vectorizer_`` tells which kind the model was
    fitted on).

    Token input may carry more than the word ids: the hooks ``_fit_token_features``,
    ``_token_features`` and ``_build_token_feature_encoder`` (see ``sk_rnn._base``)
    add per-token id columns and the module that reads them.

    Needs from the estimator: :class:`InputEncodingNeeds`.
    """

    # -- learning ------------------------------------------------------------------------

    def _fit_input_encoding(self, X, sample_weight=None, targets=None) -> Sequences:
        """Learn the input encoding from the training ``X`` (validated once), keep it as
        fitted attributes, and return ``X`` encoded with it. ``sample_weight`` (one per
        sequence, or None) weights the standardisation statistics; the vocabulary and the
        frame size are learned from every sequence. ``targets(sequences)`` gives the
        encoded targets of the training sequences, for ``missing="auto"`` to tell whether
        the gaps carry signal (None: the gap channels are read whenever there are gaps)."""
        X = positional(X)
        if is_text_input(X):
            tokenizer = resolved_tokenizer(self.tokenizer, X)
            tokens = _checked_tokens(X, tokenizer, self.lowercase, 0)
            vectorizer = SequenceVectorizer(
                tokenizer=tokenizer,
                lowercase=self.lowercase,
                min_frequency=self.min_frequency,
                max_vocabulary=self.max_vocabulary,
            )
            vectorizer._fit_tokens(tokens)
            self._keep_input_encoding(InputEncoding(vectorizer=vectorizer))
            self._fit_token_features(tokens)
            return self._token_steps(tokens)
        allow_nan = parameter_value(self, "missing") != "error"
        elapsed = parameter_value(self, "elapsed")
        if self._reads_in_blocks(X):
            # A streamed table: learned from its blocks, read again as training goes.
            if elapsed is True:
                raise ValueError(
                    "elapsed=True reads the times of a table in memory; a streamed table's "
                    "times only order its rows. Use elapsed='auto' or False, or "
                    "streamed=False."
                )

            def blocks():
                for block in X.blocks():
                    sequences = check_sequences(
                        X[block], allow_nan=allow_nan, first_index=int(block[0])
                    )
                    yield block, self._truncated(sequences), _weights_of(sample_weight, block)

            streamed = StreamedSequences(X, self._encode_inputs, self._truncated_lengths(X))
            encoding = self._learned_numeric_encoding(
                blocks, streamed.lengths, targets=targets and (lambda: targets(streamed))
            )
            self._keep_input_encoding(encoding)
            self._fit_token_features(None)
            return streamed
        checked = check_sequences(X, allow_nan=allow_nan)
        times = self._truncated_times(step_times(X, checked, 0), checked)
        sequences = self._truncated(checked)
        time_scale = time_scale_of(elapsed, times, sequences)
        if time_scale is not None and elapsed == "auto" and targets is not None:
            # elapsed="auto" reads the time between steps only where it carries signal.
            channel = elapsed_channel(times, sequences, time_scale)
            timing = Sequences(channel, sequences.lengths, sequences.offsets)
            if not channels_predict(timing, targets(sequences), self._outputs_per_step):
                time_scale = None
        encoding = self._learned_numeric_encoding(
            lambda: [(np.arange(len(sequences)), sequences, sample_weight)],
            sequences.lengths,
            time_scale=time_scale,
            targets=targets and (lambda: targets(sequences)),
        )
        self._keep_input_encoding(encoding)
        self._fit_token_features(None)
        return encoding.model_steps(sequences, times)

    def _learned_numeric_encoding(
        self, blocks, lengths: np.ndarray, time_scale: float | None = None, targets=None
    ) -> InputEncoding:
        """The encoding of numeric training sequences that ``blocks()`` yields as
        ``(positions, sequences, sample weights or None)``: all in one block, or a
        streamed table's blocks, read once (twice with gaps: their statistics are learned
        on the imputed values). ``lengths`` are the training sequences' lengths;
        ``time_scale`` that of their elapsed-time channel (None: none); ``targets()``
        their encoded targets (see :meth:`_fit_input_encoding`)."""
        standardize = parameter_value(self, "standardize")
        missing = parameter_value(self, "missing")
        statistics = _InputStatistics(standardize)
        for _, sequences, weights in blocks():
            statistics.add(sequences, weights)
        gaps = _imputation_of(missing, statistics.has_nan)
        fill, channels = None, gaps is not None
        if gaps is not None:
            fill = observed_means(*statistics.observed)
            statistics = _InputStatistics(standardize)
            # missing="auto" reads the gap channels only where the gaps carry signal.
            evidence = None
            if missing == "auto" and targets is not None:
                evidence = GapEvidence(self._outputs_per_step)
            for positions, sequences, weights in blocks():
                imputed, observed, since = gap_channels(sequences, gaps, fill)
                statistics.add(imputed, weights)
                if evidence is not None:
                    evidence.add(positions, sequences, observed, since)
            if evidence is not None:
                channels = evidence.carries_signal(targets())
        scaling = _scaling_of(standardize, statistics)
        mean = scale = None
        if scaling == "global":
            mean, scale = input_mean_and_scale(*statistics.moments.mean_and_std())
        return InputEncoding(
            n_features=statistics.n_features,
            frame_size=self._fitted_frame_size(lengths),
            scaling=scaling,
            mean=mean,
            scale=scale,
            gaps=gaps,
            fill=fill,
            gap_channels=channels,
            time_scale=time_scale,
        )

    def _reads_in_blocks(self, X) -> bool:
        """Whether training reads ``X`` a block at a time: a streamed table of numeric
        sequences, with one target per sequence."""
        return bool(getattr(X, "streamed", False)) and not self._outputs_per_step

    def _training_steps(self, X) -> Sequences | StreamedSequences:
        """``X`` encoded with the fitted encoding for continued training; a streamed
        table stays in its file, read as training goes."""
        if self._reads_in_blocks(X) and self.vectorizer_ is None:
            return StreamedSequences(X, self._encode_inputs, self._truncated_lengths(X))
        return self._encode_inputs(X)

    def _truncated_lengths(self, table) -> np.ndarray:
        """A table's sequence lengths in input steps (cut to ``max_length``)."""
        max_length = parameter_value(self, "max_length")
        return table.lengths if max_length is None else np.minimum(table.lengths, max_length)

    def _keep_input_encoding(self, encoding: InputEncoding) -> None:
        """The learned encoding as fitted attributes (the one place that writes them)."""
        if encoding.n_features is not None:
            self.n_features_in_ = encoding.n_features
        self.frame_size_ = encoding.frame_size
        self.input_scaling_ = encoding.scaling
        self.input_mean_, self.input_scale_ = encoding.mean, encoding.scale
        self.input_gaps_, self.input_fill_ = encoding.gaps, encoding.fill
        self.input_gap_channels_ = encoding.gap_channels
        self.input_time_scale_ = encoding.time_scale
        self.vectorizer_ = encoding.vectorizer

    @property
    def input_encoding_(self) -> InputEncoding:
        """The input encoding this model learned in ``fit``."""
        check_is_fitted(self)
        if self.vectorizer_ is not None:
            return InputEncoding(vectorizer=self.vectorizer_)
        return InputEncoding(
            n_features=self.n_features_in_,
            frame_size=self.frame_size_,
            scaling=self.input_scaling_,
            mean=self.input_mean_,
            scale=self.input_scale_,
            gaps=self.input_gaps_,
            fill=self.input_fill_,
            gap_channels=self.input_gap_channels_,
            time_scale=self.input_time_scale_,
        )

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

    # -- applying ------------------------------------------------------------------------

    def _encode_inputs(self, X, *, first_index: int = 0) -> Sequences:
        """``X`` validated against the fitted input encoding and encoded with it, as for
        prediction and continued training; ``first_index`` is the position of ``X[0]``
        in what the user passed (for errors that name a sample)."""
        encoding = self.input_encoding_
        X = positional(X)
        text = is_text_input(X)
        if not encoding.is_text:
            if text:
                raise TypeError("This model was fitted on numeric sequences, but X holds text.")
            sequences = check_sequences(
                X,
                n_features=encoding.n_features,
                first_index=first_index,
                allow_nan=encoding.gaps is not None,
            )
            times = None
            if encoding.time_scale is not None:
                times = self._truncated_times(step_times(X, sequences, first_index), sequences)
            return encoding.model_steps(self._truncated(sequences), times)
        if not text and len(X) and not isinstance(X[0], list | tuple | str):
            raise TypeError(
                "This model was fitted on text, but X holds numeric sequences; pass strings "
                "or token lists."
            )
        return self._token_steps(encoding.tokens(X, first_index))

    def _truncated_times(self, times: np.ndarray | None, sequences: Sequences):
        """Step times cut as :meth:`_truncated` cuts ``sequences``' steps."""
        if times is None:
            return None
        as_steps = Sequences(times[:, None], sequences.lengths, sequences.offsets)
        return self._truncated(as_steps).values[:, 0]

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

    # -- the input layer -----------------------------------------------------------------

    @property
    def vocabulary_(self) -> dict:
        """Token to id, for models fitted on text."""
        if getattr(self, "vectorizer_", None) is None:
            raise AttributeError("vocabulary_ exists only for models fitted on text.")
        return self.vectorizer_.vocabulary_

    def _input_layer_sizes(self) -> tuple[int, int | None]:
        """(encoder input size, vocabulary size or None for numeric input)."""
        if self.vectorizer_ is None:
            return self.input_encoding_.step_width * self.frame_size_, None
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


class _InputStatistics:
    """What the input encoding is learned from, gathered over blocks of training
    sequences: NaN seen, each feature's observed sums and counts, and, as
    ``standardize`` needs them, each sequence's scale and the features' moments."""

    def __init__(self, standardize):
        self.needs_scales = standardize == "auto"
        self.needs_moments = standardize in ("auto", "global", True)
        self.n_features = None
        self.has_nan = False
        self.observed = (0.0, 0)
        self.scales = []
        self.moments = RunningMoments()

    def add(self, sequences: Sequences, weights) -> None:
        if self.n_features is not None and sequences.n_features != self.n_features:
            raise ValueError(
                f"The training sequences have {self.n_features} features, then "
                f"{sequences.n_features}: every sequence needs the same features."
            )
        self.n_features = sequences.n_features
        self.has_nan = self.has_nan or bool(np.isnan(sequences.values).any())
        sums, counts = observed_sums(sequences)
        self.observed = (self.observed[0] + sums, self.observed[1] + counts)
        if self.needs_scales:
            self.scales.append(sequence_moments(sequences)[1])
        if self.needs_moments:
            step_weights = None if weights is None else np.repeat(weights, sequences.lengths)
            self.moments.add(sequences.values, step_weights)


def _weights_of(sample_weight, positions):
    return None if sample_weight is None else sample_weight[positions]


def _scaling_of(standardize, statistics: _InputStatistics) -> str | None:
    """The fitted scaling a ``standardize`` value means for the training sequences
    (True is "global", from before "per_series"; "auto" is decided by
    :func:`scales_span_decades`)."""
    if standardize == "auto":
        return "per_series" if scales_span_decades(np.concatenate(statistics.scales)) else "global"
    if standardize is True or standardize == "global":
        return "global"
    return "per_series" if standardize == "per_series" else None


def _imputation_of(missing: str, has_nan: bool) -> str | None:
    """How the gaps of the training sequences are imputed (None: no gap channels), for a
    ``missing`` value and whether they hold NaN."""
    if missing == "error":
        return None
    if missing == "auto":
        return "last" if has_nan else None
    return missing


def _checked_tokens(X, tokenizer, lowercase: bool, first_index: int) -> list[list[str]]:
    """The token lists of texts ``X``, checked (before any vocabulary is learned) to hold
    at least one token each."""
    return check_not_empty(tokenize(X, tokenizer, lowercase), first_index)

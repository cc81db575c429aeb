"""RNNSeq2Seq: encoder-decoder with attention, from one sequence to another."""

from __future__ import annotations

from numbers import Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import RNNBase
from ._constraints import Count
from ._datasets import make_dataset
from ._modules import ATTENTIONS, EncoderDecoder, target_log_probabilities
from ._parameters import AUTO_EPOCHS, AUTO_UPDATES, document_parameters, store_parameters
from ._saving import fitted_schema as schema
from ._search import beam_search, greedy_search
from ._text import SequenceVectorizer, tokenize
from ._tokenizing import TOKENIZERS, resolved_tokenizer
from ._tokens import BOS_ID, EOS_ID, NEVER_GENERATED, PAD_ID
from ._validation import check_same_length, positional

__all__ = ["RNNSeq2Seq"]


@document_parameters
class RNNSeq2Seq(RNNBase):
    """Recurrent encoder-decoder with attention: maps a sequence to another sequence.

    The encoder (the shared recurrent core, bidirectional by default) reads the whole
    source; the decoder, started from the encoder's exact summary of the source, emits
    the target one token at a time until ``<eos>``, attending at each step over the
    encoder's outputs (padding masked out). Training feeds the true previous token
    (teacher forcing). Source and target have separate vocabularies. Transliteration,
    spelling to pronunciation, normalisation and small translation tasks fit this shape.

    The defaults are the spelling-to-sound recipe of :doc:`/benchmarks` (CMUdict): a
    bidirectional LSTM-128 encoder, general attention, dropout 0.2, character tokens for
    single words (``tokenizer="auto"``), Adam at lr 0.003 with a cosine decay, and
    ``max_epochs="auto"``: about 12,000 optimizer steps of 64 pairs whatever the data size
    (at least one epoch), 3.5 minutes on this project's 2-core CPU for short words.

    Parameters
    ----------
    attention : {"general", "dot", "additive"} or None, default="general"
        How decoder states score encoder outputs: ``"dot"`` product, ``"general"``
        (bilinear, Luong et al. 2015), ``"additive"`` (Bahdanau et al. 2015), or None for
        a plain encoder-decoder that sees the source only through its initial state.
    target_tokenizer : {"auto", "word", "word_layout", "char", "whitespace"} or callable, \
default="auto"
        How string targets are split into tokens (token-list targets are used as
        given). "auto": characters when the median training target is a single word,
        else ``"word_layout"`` (the fitted one is ``target_vectorizer_.tokenizer``).
        Targets are never lowercased. String targets are predicted as strings: tokens
        joined without a separator for ``"char"``, with a space otherwise.
    teacher_forcing : float, default=1.0
        In training, the probability of feeding the true previous target token instead
        of the model's own prediction (scheduled sampling). 1.0 is fastest: the decoder
        reads the whole target in one call.
    beam_size : int, default=1
        1 decodes greedily; more keeps that many hypotheses per sequence and returns the
        one with the highest log-probability per token (length-normalised beam search).
    max_output_length : int or None, default=None
        Most tokens emitted per sequence (``<eos>`` excluded); None means twice the
        longest training target.
    %(shared_parameters)s

    Attributes
    ----------
    vectorizer_ : SequenceVectorizer or None
        The source tokenizer and vocabulary (None for numeric sources).
    target_vectorizer_ : SequenceVectorizer
        The target tokenizer and vocabulary (with ``<bos>`` and ``<eos>``).
    max_target_length_ : int
        Tokens in the longest training target.
    targets_are_text_ : bool
        Whether the targets were texts (``predict`` returns strings) rather than token
        lists (it returns lists of tokens).
    n_features_in_ : int
        Features per step of numeric sources.
    %(shared_attributes)s
    auto_settings_ : dict
        Empty: none of this estimator's settings means something else for numeric input
        and for text (the entry keeps every estimator's files alike).
    net_ : skorch.NeuralNet
        The trained skorch net holding the torch module.
    history_ : skorch.History
        Per-epoch losses: mean cross-entropy per target token (``<eos>`` included).

    See Also
    --------
    RNNTagger : One label per input step (outputs as long as the inputs).
    RNNLanguageModel : Scores and generates sequences without an input.
    sk_rnn.metrics.token_error_rate : The word or phoneme error rate.

    Examples
    --------
    >>> from sk_rnn import RNNSeq2Seq
    >>> words = ["abc", "cab", "bca", "ba", "acb", "ab", "cba", "bac"] * 8
    >>> model = RNNSeq2Seq(hidden_size=32, max_epochs=60, lr=0.02, random_state=0)
    >>> model.fit(words, [w[::-1] for w in words]).predict(["abc", "ba"])
    ['cba', 'ab']
    """

    _parameter_constraints: dict = {
        **RNNBase._parameter_constraints,
        "attention": [StrOptions(set(ATTENTIONS)), None],
        "target_tokenizer": [StrOptions({"auto", *TOKENIZERS}), callable],
        "teacher_forcing": [Interval(Real, 0, 1, closed="both")],
        "beam_size": [Count(1)],
        "max_output_length": [Count(1), None],
    }
    _fitted_constraints: dict = {
        **RNNBase._fitted_constraints,
        "max_target_length_": schema.integer(1),
        "targets_are_text_": schema.boolean,
        "target_vectorizer_": schema.fitted_vectorizer,
    }

    def __init__(
        self,
        *,
        attention="general",
        target_tokenizer="auto",
        teacher_forcing=1.0,
        beam_size=1,
        max_output_length=None,
        cell="lstm",
        hidden_size=128,
        num_layers=1,
        bidirectional=True,
        dropout=0.2,
        tokenizer="auto",
        lowercase=True,
        min_frequency=1,
        max_vocabulary=None,
        embedding_dim=None,
        embeddings=None,
        freeze_embeddings=False,
        token_dropout=0.0,
        standardize=True,
        frame_size=1,
        max_epochs="auto",
        batch_size=64,
        lr=3e-3,
        lr_schedule="cosine",
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
        store_parameters(self, locals())

    # A step budget, not an epoch count: larger data costs the same steps (how the
    # budget was measured: the changelog).
    _auto_updates = 12 * AUTO_UPDATES
    _auto_epochs = (1, AUTO_EPOCHS[1])
    _training_parameters = RNNBase._training_parameters | {"beam_size", "max_output_length"}
    _network_parameters = frozenset({"attention", "target_tokenizer", "teacher_forcing"})
    _prediction_parameters = (*RNNBase._prediction_parameters, "beam_size", "max_output_length")

    def fit(self, X, y, sample_weight=None):
        """Fit the encoder-decoder.

        Parameters
        ----------
        X : list of str, list of token lists, or numeric sequences
            Source sequences, in any form :class:`RNNClassifier` accepts.
        y : list of str or list of token lists
            Target sequences, at least one token each.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each pair: every target token of pair ``i`` counts
            ``sample_weight[i]`` times in the loss. Routed by scikit-learn's metadata
            routing (``set_fit_request``).

        Returns
        -------
        self : RNNSeq2Seq
        """
        return super().fit(X, y, sample_weight=sample_weight)

    # -- targets -------------------------------------------------------------------------

    def tokenize_targets(self, y) -> list[list[str]]:
        """Target sequences split into tokens as the model reads them.

        Strings are split with ``target_tokenizer`` (never lowercased); token lists are
        used as given.

        Parameters
        ----------
        y : list of str or list of token lists

        Returns
        -------
        tokens : list of list of str
        """
        if isinstance(y, str) or not hasattr(y, "__len__"):
            raise TypeError("y must be a list of target sequences (strings or token lists).")
        y = positional(y, "y")
        if hasattr(self, "target_vectorizer_"):
            tokenizer = self.target_vectorizer_.tokenizer
        else:
            tokenizer = resolved_tokenizer(self.target_tokenizer, y)
        tokens = tokenize(y, tokenizer, lowercase=False, name="y")
        empty = next((i for i, t in enumerate(tokens) if not t), None)
        if empty is not None:
            raise ValueError(
                f"Sample {empty} of y is an empty target; every target needs at least one token."
            )
        return tokens

    def _fit_targets(self, y, sample_weight=None):
        tokens = self.tokenize_targets(y)
        self.target_vectorizer_ = SequenceVectorizer(
            tokenizer=resolved_tokenizer(self.target_tokenizer, positional(y, "y")),
            lowercase=False,
        )
        self.target_vectorizer_._fit_tokens(tokens)
        self.targets_are_text_ = isinstance(positional(y)[0], str)
        self.max_target_length_ = max(map(len, tokens))

    def _encode_targets(self, y, sequences, *, unseen_allowed=False):
        """Target ids; a token no training target had is an error when training (the
        model could never produce it) and ``<unk>`` when scoring."""
        tokens = self.tokenize_targets(y)
        check_same_length(len(sequences), len(tokens))
        if not unseen_allowed:
            i, token = next(self._unseen_tokens(tokens), (None, None))
            if i is not None:
                raise ValueError(
                    f"Sample {i} of y contains the token {token!r}, which no target had in "
                    "fit; the model can never produce it."
                )
        return self.target_vectorizer_.encode_tokens(tokens, name="y")

    def _unseen_tokens(self, tokens: list[list[str]]):
        """(sample, token) of every target with a token that no training target had."""
        vocabulary = self.target_vectorizer_.vocabulary_
        for i, target in enumerate(tokens):
            token = next((t for t in target if t not in vocabulary), None)
            if token is not None:
                yield i, token

    def _build_task_module(self, encoder):
        return EncoderDecoder(
            encoder,
            len(self.target_vectorizer_.vocabulary_),
            self._embedding_size(),
            self.cell,
            self.num_layers,
            self.attention,
            self.dropout,
            self.teacher_forcing,
        )

    # -- prediction ----------------------------------------------------------------------

    def predict_tokens(self, X) -> list[list[str]]:
        """Decode a target for every source, as a list of tokens.

        Greedy, or beam search with ``beam_size``; each output stops at its ``<eos>`` (not
        included) or after ``max_output_length`` tokens.

        Returns
        -------
        tokens : list of list of str
        """
        check_is_fitted(self)
        names = self.target_vectorizer_.get_feature_names_out()
        settings = dict(
            max_length=self.max_output_length or 2 * self.max_target_length_,
            bos=BOS_ID,
            eos=EOS_ID,
            banned=NEVER_GENERATED,
        )
        search = greedy_search
        if self.beam_size > 1:
            search, settings["beam_size"] = beam_search, self.beam_size

        def step(module, inputs, targets):
            return search(module, inputs["x"], inputs["lengths"], **settings)

        out = [None] * len(positional(X))
        for samples, ids in self._run(self._inference_batches(X), step):
            for sample, row in zip(samples, ids.numpy(), strict=True):
                end = np.flatnonzero((row == EOS_ID) | (row == PAD_ID))
                out[sample] = names[row[: end[0] if len(end) else len(row)]].tolist()
        return out

    def predict(self, X) -> list:
        """Decode a target for every source (greedy, or beam search with ``beam_size``).

        Returns
        -------
        y_pred : list of str or list of token lists
            Strings if the training targets were strings, else token lists.
        """
        tokens = self.predict_tokens(X)
        if not self.targets_are_text_:
            return tokens
        separator = "" if self.target_vectorizer_.tokenizer == "char" else " "
        return [separator.join(t) for t in tokens]

    def score_samples(self, X, y) -> np.ndarray:
        """Log-probability (natural log) of each target given its source.

        Sums the log-probabilities of the target's tokens and of the final ``<eos>``. A
        target with a token that no training target had is impossible for the model:
        ``-inf``.

        Returns
        -------
        log_probabilities : ndarray of shape (n_samples,)
        """

        def dataset(sequences, targets):
            ids = self._encode_targets(targets, sequences, unseen_allowed=True)
            return make_dataset(sequences, ids)

        scores = self._predict_rows(X, _target_log_probability, y=y, dataset=dataset)
        unseen = [i for i, _ in self._unseen_tokens(self.tokenize_targets(y))]
        scores[unseen] = -np.inf
        return scores

    def score(self, X, y, sample_weight=None) -> float:
        """Exact-match accuracy: the fraction of targets predicted token for token.

        See :func:`sk_rnn.metrics.token_error_rate_scorer` for a finer measure.
        """
        check_is_fitted(self)
        truth = self.tokenize_targets(y)  # a target with unseen tokens simply counts as wrong
        predicted = self.predict_tokens(X)
        correct = [p == t for p, t in zip(predicted, truth, strict=True)]
        return float(np.average(correct, weights=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


def _target_log_probability(module, inputs, targets):
    return target_log_probabilities(module(**inputs), targets).sum(1)

"""Text input: the vocabulary (SequenceVectorizer) every estimator shares, and the
tokenizing of texts and :class:`TokenIds` (the tokenizers are in ``_tokenizing``)."""

from __future__ import annotations

from collections import Counter

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from ._constraints import Count
from ._output import TableOutputMixin
from ._saving import fitted_schema as schema
from ._saving.persistence import SafeSaving
from ._sequences import Sequences
from ._tokenizing import TOKENIZERS, token_ids, tokenize_texts
from ._tokens import SPECIAL_TOKENS, UNK_ID

__all__ = ["SequenceVectorizer", "TokenIds", "is_text_input", "tokenize"]


class TokenIds(list):
    """Token-id sequences that remember the vocabulary they index, as
    :meth:`SequenceVectorizer.transform` returns them.

    A list of int64 arrays, one per text. The sk_rnn estimators read them as the tokens
    they stand for, so ``make_pipeline(SequenceVectorizer(), RNNClassifier())`` is a text
    model (with embeddings), never a model of ids as magnitudes; a plain list of integer
    arrays is a numeric sequence. Slices keep the vocabulary.

    Parameters
    ----------
    sequences : iterable of int arrays, default=()
        The token ids of each text.
    names : ndarray of str or None, default=None
        The vocabulary: ``names[i]`` is the token of id ``i``.

    Examples
    --------
    >>> from sk_rnn import SequenceVectorizer
    >>> ids = SequenceVectorizer().fit(["a b", "b c"]).transform(["b a d"])
    >>> ids[0].tolist(), ids.tokens()
    ([4, 5, 1], [['b', 'a', '<unk>']])
    """

    def __init__(self, sequences=(), names=None):
        super().__init__(sequences)
        self.names = names

    def __getitem__(self, index):
        if isinstance(index, slice):
            return TokenIds(list.__getitem__(self, index), self.names)
        return list.__getitem__(self, index)

    def tokens(self) -> list[list[str]]:
        """The token of each id (``<unk>`` for ids the vocabulary mapped to it)."""
        return [self.names[np.asarray(ids, dtype=np.int64)].tolist() for ids in self]


def is_text_input(X) -> bool:
    """Whether ``X`` is text (strings, token lists or :class:`TokenIds`) rather than
    numeric sequences.

    Decided by the first sample: a string, or a list/tuple of strings. The encoders then
    check every sample, so text mixed with numbers is an error naming the sample.
    """
    if isinstance(X, TokenIds):
        return True
    if isinstance(X, str | bytes) or not hasattr(X, "__len__") or len(X) == 0:
        return False
    if isinstance(X, np.ndarray) and X.dtype.kind in "US":
        return True
    first = X[0]
    if isinstance(first, str):
        return True
    return isinstance(first, list | tuple) and len(first) > 0 and isinstance(first[0], str)


def tokenize(texts, tokenizer, lowercase: bool, name: str = "X") -> list[list[str]]:
    """Turn strings, token lists or :class:`TokenIds` into token lists, checking every
    sample (:func:`~sk_rnn._tokenizing.tokenize_texts`)."""
    if isinstance(texts, TokenIds):
        texts = texts.tokens()
    return tokenize_texts(texts, tokenizer, lowercase, name)


class SequenceVectorizer(
    TableOutputMixin,
    SafeSaving,
    TransformerMixin,
    BaseEstimator,
    auto_wrap_output_keys=None,  # its output is sequences of ids, which no table holds
):
    """Turn texts or token lists into sequences of integer token ids.

    The vocabulary learned in ``fit`` always starts with the reserved tokens
    ``<pad>`` (0), ``<unk>`` (1), ``<bos>`` (2) and ``<eos>`` (3), then the kept tokens from
    most to least frequent (ties in order of first appearance). Tokens seen fewer than
    ``min_frequency`` times in training, beyond ``max_vocabulary``, or unseen in training
    become ``<unk>``, so a model also learns what to do with rare words. The sk_rnn
    estimators encode text input with this very class.

    Parameters
    ----------
    tokenizer : {"word", "word_layout", "char", "whitespace"} or callable, default="word"
        "word": runs of letters/digits (any script) and single punctuation or symbol
        characters; "word_layout": the same, and each line break and tab as a token;
        "char": every character; "whitespace": ``str.split``; or a function from a string
        to a list of string tokens. Token lists are used as given.
    lowercase : bool, default=True
        Lowercase before tokenizing (and token lists).
    min_frequency : int, default=1
        Tokens seen fewer times in fit become ``<unk>``.
    max_vocabulary : int or None, default=None
        Keep at most this many tokens besides the reserved ones (the most frequent).

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Token to id.
    n_unknown_ : int
        Token occurrences in the training texts that map to ``<unk>``.

    Examples
    --------
    >>> from sk_rnn import SequenceVectorizer
    >>> vec = SequenceVectorizer().fit(["not good", "good, good!"])
    >>> vec.get_feature_names_out()[4:].tolist()
    ['good', 'not', ',', '!']
    >>> vec.transform(["not bad"])[0].tolist()
    [5, 1]
    >>> vec.inverse_transform(vec.transform(["not bad"]))
    [['not', '<unk>']]
    """

    _parameter_constraints: dict = {
        "tokenizer": [StrOptions(set(TOKENIZERS)), callable],
        "lowercase": ["boolean"],
        "min_frequency": [Count(1)],
        "max_vocabulary": [Count(1), None],
    }
    _fitted_constraints: dict = {"vocabulary_": schema.vocabulary, "n_unknown_": schema.integer(0)}

    def __init__(self, *, tokenizer="word", lowercase=True, min_frequency=1, max_vocabulary=None):
        self.tokenizer = tokenizer
        self.lowercase = lowercase
        self.min_frequency = min_frequency
        self.max_vocabulary = max_vocabulary

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the vocabulary of ``X`` (a list of strings or of token lists)."""
        self._fit_tokens(tokenize(X, self.tokenizer, self.lowercase))
        return self

    def _fit_tokens(self, token_lists: list[list[str]]) -> None:
        self._fitted_params_ = self.get_params(deep=False)  # what save() records
        counts = Counter(t for tokens in token_lists for t in tokens)
        if not counts:
            raise ValueError("X contains no tokens at all (every text is empty).")
        kept = [t for t, c in counts.most_common() if c >= self.min_frequency]
        kept = [t for t in kept if t not in SPECIAL_TOKENS][: self.max_vocabulary]
        if not kept:
            raise ValueError(
                f"The vocabulary is empty: no token occurs at least min_frequency="
                f"{self.min_frequency} times in {sum(counts.values())} training tokens."
            )
        self.vocabulary_ = {t: i for i, t in enumerate(SPECIAL_TOKENS + tuple(kept))}
        self.n_unknown_ = sum(c for t, c in counts.items() if t not in self.vocabulary_)

    def transform(self, X) -> TokenIds:
        """Token ids of each text, as a list of int64 arrays (without ``<bos>``/``<eos>``).

        The list is a :class:`TokenIds`: an sk_rnn estimator after this one in a pipeline
        reads the tokens the ids stand for (its own tokenizer and vocabulary then apply
        to them), so ids are never taken for magnitudes.
        """
        return TokenIds(self.encode(X).to_list(), self.get_feature_names_out())

    def encode(self, X, *, name: str = "X") -> Sequences:
        """Token ids of ``X`` as :class:`Sequences` (one flat int64 array)."""
        check_is_fitted(self)
        return self.encode_tokens(tokenize(X, self.tokenizer, self.lowercase, name), name=name)

    def encode_tokens(self, token_lists, *, name: str = "X") -> Sequences:
        return token_ids(token_lists, self.vocabulary_, name)

    def unknown_rate(self, X) -> float:
        """Fraction of the tokens of ``X`` that map to ``<unk>``."""
        sequences = self.encode(X)
        return float(np.mean(sequences.values == UNK_ID)) if len(sequences.values) else 0.0

    def inverse_transform(self, X) -> list[list[str]]:
        """Token lists from sequences of ids."""
        names = self.get_feature_names_out()
        out = []
        for i, ids in enumerate(X):
            ids = np.asarray(ids)
            if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
                raise ValueError(f"Sample {i} of X is not a sequence of integer token ids.")
            outside = (ids < 0) | (ids >= len(names))
            if outside.any():
                raise ValueError(
                    f"Sample {i} of X contains the id {ids[outside][0]}, outside the "
                    f"vocabulary (ids 0 to {len(names) - 1})."
                )
            out.append(names[ids.astype(np.int64)].tolist())
        return out

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """The vocabulary as an array of tokens, indexed by id."""
        check_is_fitted(self)
        names = np.empty(len(self.vocabulary_), dtype=object)
        for token, index in self.vocabulary_.items():
            names[index] = token
        return names

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags

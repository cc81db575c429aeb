"""Tokenizers and token ids, with numpy alone (:mod:`sk_rnn.runtime` reads a deployed
model's text with them): the built-in tokenizers, the "auto" rule, and the lookup of
tokens in a vocabulary."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from ._sequences import Sequences, offsets_of
from ._tokens import BOS_ID, EOS_ID, PAD_ID, SPECIAL_TOKENS, UNK_ID

__all__ = ["TOKENIZERS", "check_not_empty", "resolved_tokenizer", "token_ids", "tokenize_texts"]

# Words (letters, digits, underscore in any script) or single other non-space characters.
_WORD_PATTERN = re.compile(r"\w+|[^\w\s]")
# The same, and line breaks and tabs: the layout of poems, lists and signatures.
_WORD_LAYOUT_PATTERN = re.compile(r"\w+|[^\w\s]|\n|\t")
# The built-in tokenizers: name -> function from a string to its tokens.
_BUILT_IN_TOKENIZERS = {
    "word": _WORD_PATTERN.findall,
    "word_layout": _WORD_LAYOUT_PATTERN.findall,
    "char": list,
    "whitespace": str.split,
}
TOKENIZERS = tuple(_BUILT_IN_TOKENIZERS)


def resolved_tokenizer(tokenizer, texts):
    """``tokenizer``, with "auto" resolved for the training ``texts``: "char" when the
    median text is one word, or when most word tokens are words seen only once (codes,
    names, spellings: a vocabulary of words would learn nothing that carries over), else
    "word_layout"."""
    if tokenizer != "auto":
        return tokenizer
    words = [_WORD_PATTERN.findall(t) for t in texts if isinstance(t, str)]
    if not words:
        return "word_layout"
    if np.median([len(w) for w in words]) <= 1:
        return "char"
    counts = Counter(word for text in words for word in text)
    seen_once = sum(count == 1 for count in counts.values())
    return "char" if seen_once > 0.5 * sum(counts.values()) else "word_layout"


def tokenize_texts(texts, tokenizer, lowercase: bool, name: str = "X") -> list[list[str]]:
    """Turn strings (or token lists) into token lists, checking every sample.

    Empty strings a callable tokenizer returns (``"a  b".split(" ")``) are not tokens and
    are left out.
    """
    if isinstance(texts, str):
        raise TypeError(f"{name} must be a list of texts, not a single string; use [text].")
    if len(texts) == 0:
        raise ValueError(f"{name} contains 0 texts; at least one is required.")
    split = _tokenizer_function(tokenizer)
    out = []
    for i, sample in enumerate(texts):
        if isinstance(sample, str):
            tokens = split(sample.lower() if lowercase else sample)
            if not isinstance(tokens, list | tuple):
                raise TypeError(
                    f"The tokenizer returned {type(tokens).__name__} for sample {i} of {name}; "
                    "it must return a list of string tokens."
                )
            if not all(isinstance(t, str) for t in tokens):
                raise TypeError(
                    f"The tokenizer returned non-string tokens for sample {i} of {name}."
                )
            tokens = [t for t in tokens if t]
        elif isinstance(sample, list | tuple | np.ndarray):
            tokens = list(sample)
            bad = [t for t in tokens if not isinstance(t, str) or not t]
            if bad:
                raise TypeError(
                    f"Sample {i} of {name} is a token list containing {bad[0]!r}; tokens must "
                    "be non-empty strings."
                )
            if lowercase:
                tokens = [t.lower() for t in tokens]
        else:
            raise TypeError(
                f"Sample {i} of {name} is {type(sample).__name__} ({sample!r:.40}); text input "
                "needs every sample to be a string or a list of string tokens."
            )
        out.append(tokens)
    return out


def _tokenizer_function(tokenizer):
    if callable(tokenizer):
        return tokenizer
    if tokenizer in _BUILT_IN_TOKENIZERS:
        return _BUILT_IN_TOKENIZERS[tokenizer]
    raise ValueError(f"tokenizer must be one of {TOKENIZERS} or a callable, got {tokenizer!r}.")


def token_ids(token_lists, vocabulary: dict, name: str = "X") -> Sequences:
    """The ids of every token (``<unk>`` for tokens not in ``vocabulary``), as
    :class:`~sk_rnn._sequences.Sequences`; the reserved tokens are refused."""
    lookup = vocabulary.get
    ids = [[lookup(t, UNK_ID) for t in tokens] for tokens in token_lists]
    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    values = np.fromiter((i for seq in ids for i in seq), dtype=np.int64, count=lengths.sum())
    offsets = offsets_of(lengths)
    reserved = np.flatnonzero(np.isin(values, (PAD_ID, BOS_ID, EOS_ID)))
    if len(reserved):
        sample = int(np.searchsorted(offsets, reserved[0], side="right") - 1)
        raise ValueError(
            f"Sample {sample} of {name} contains the reserved token "
            f"{SPECIAL_TOKENS[values[reserved[0]]]!r}; <pad>, <bos> and <eos> are added by "
            "sk_rnn and cannot appear in the data (a literal <unk> can: it means unknown)."
        )
    return Sequences(values, lengths, offsets)


def check_not_empty(tokens: list[list[str]], first_index: int = 0) -> list[list[str]]:
    """``tokens`` (one list per text), checked to hold at least one token each; the error
    names the first empty text (``first_index`` is the position of ``tokens[0]``)."""
    empty = [i for i, sample in enumerate(tokens) if not sample]
    if empty:
        raise ValueError(
            f"Sample {first_index + empty[0]} of X has no tokens ({len(empty)} empty texts "
            "in all); every text needs at least one token."
        )
    return tokens

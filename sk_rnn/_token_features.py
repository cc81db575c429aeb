"""Per-token features of text beyond the word: affixes, shape and characters, each
mapped to ids through a vocabulary learned in ``fit`` (the tagger reads them)."""

from __future__ import annotations

import unicodedata
from collections import Counter

import numpy as np

from ._sequences import Sequences
from ._tokens import PAD_ID, UNK_ID

__all__ = [
    "AFFIXES",
    "token_feature_columns",
    "with_token_features",
    "RESERVED_AFFIX_IDS",
    "RESERVED_CHARACTER_IDS",
    "affix_ids",
    "affix_vocabularies",
    "character_ids",
    "character_vocabulary",
    "token_shape",
]

# Reserved character ids: padding, characters unseen in fit, and the start and end
# markers around each token (they let the convolution tell prefixes and suffixes).
_CHARACTER_PADDING, _CHARACTER_UNKNOWN, _TOKEN_START, _TOKEN_END = PAD_ID, 1, 2, 3
RESERVED_CHARACTER_IDS = 4
# Longer tokens keep their first characters only: enough for prefixes and shape.
_MAX_TOKEN_CHARACTERS = 24
_MIN_CHARACTER_FREQUENCY = 2
# Affix ids: 0 pads, 1 stands for an affix unseen (or seen once) in fit.
_AFFIX_UNKNOWN = UNK_ID
RESERVED_AFFIX_IDS = 2
_MIN_AFFIX_FREQUENCY = 2
_MAX_SHAPE_RUNS = 4


def _character_class(character: str) -> str:
    """The class a token's shape spells a character as (punctuation stays itself)."""
    if character.isdigit():
        return "d"
    if character.isascii() and character.isalpha():
        return "X" if character.isupper() else "x"
    name = unicodedata.name(character, "")
    for script, letter in (("HIRAGANA", "h"), ("KATAKANA", "k"), ("CJK", "c")):
        if name.startswith(script):
            return letter
    return "o" if character.isalnum() else character


def token_shape(token: str) -> str:
    """Character classes with repeats merged, the first few runs: "Paris" -> "Xx"."""
    runs: list[str] = []
    for character in token:
        kind = _character_class(character)
        if not runs or runs[-1] != kind:
            runs.append(kind)
    return "".join(runs[:_MAX_SHAPE_RUNS])


# The affixes of affix_features, by name; their order is that of the id columns.
AFFIXES = {
    "prefix1": lambda token: token[:1],
    "suffix1": lambda token: token[-1:],
    "suffix2": lambda token: token[-2:],
    "suffix3": lambda token: token[-3:],
    "shape": token_shape,
}


def affix_vocabularies(tokens: list[list[str]]) -> dict[str, dict[str, int]]:
    """For each affix, value to id for the values seen at least twice, most frequent first."""
    counts = Counter(t for sentence in tokens for t in sentence)
    vocabularies = {}
    for name, affix in AFFIXES.items():
        affix_counts: Counter = Counter()
        for token, n in counts.items():
            affix_counts[affix(token)] += n
        vocabularies[name] = _frequent_ids(affix_counts, _MIN_AFFIX_FREQUENCY, RESERVED_AFFIX_IDS)
    return vocabularies


def _frequent_ids(counts: Counter, min_count: int, first_id: int) -> dict[str, int]:
    """Ids from ``first_id`` for the values counted at least ``min_count`` times, most
    frequent first (ties by value, so that a fit is reproducible)."""
    kept = sorted((v for v in counts if counts[v] >= min_count), key=lambda v: (-counts[v], v))
    return {v: i for i, v in enumerate(kept, start=first_id)}


def _distinct_tokens(tokens: list[list[str]]) -> tuple[list[str], np.ndarray]:
    """The distinct tokens, and each token's row among them: per-token features are
    computed once per distinct token, then gathered by these rows."""
    distinct: dict[str, int] = {}
    token_rows = np.fromiter(
        (distinct.setdefault(t, len(distinct)) for sentence in tokens for t in sentence),
        dtype=np.int64,
    )
    return list(distinct), token_rows


def affix_ids(tokens: list[list[str]], vocabularies: dict) -> np.ndarray:
    """Affix ids of every token, shape ``(total_tokens, n_affixes)``."""
    distinct, token_rows = _distinct_tokens(tokens)
    lookups = [(vocabularies[name].get, affix) for name, affix in AFFIXES.items()]
    ids = np.array(
        [[lookup(affix(token), _AFFIX_UNKNOWN) for lookup, affix in lookups] for token in distinct],
        dtype=np.int64,
    ).reshape(len(distinct), len(AFFIXES))
    return ids[token_rows]


def character_vocabulary(tokens: list[list[str]]) -> dict[str, int]:
    """Character to id, for the characters seen at least twice, most frequent first.

    Characters seen once train the unknown-character embedding instead, which new
    characters at predict time then get (as min_frequency does for words).
    """
    counts = Counter(c for sentence in tokens for token in sentence for c in token)
    return _frequent_ids(counts, _MIN_CHARACTER_FREQUENCY, RESERVED_CHARACTER_IDS)


def character_ids(tokens: list[list[str]], vocabulary: dict) -> np.ndarray:
    """Character ids of every token between start and end markers, 0-padded:
    shape ``(total_tokens, width)``.

    Each distinct token is spelled out once; the rows are then gathered by token.
    """
    distinct, token_rows = _distinct_tokens(tokens)
    width = min(max(map(len, distinct), default=1), _MAX_TOKEN_CHARACTERS)
    spelled = np.full((len(distinct), width + 2), _CHARACTER_PADDING, dtype=np.int64)
    lookup = vocabulary.get
    for row, token in enumerate(distinct):
        ids = [_TOKEN_START, *(lookup(c, _CHARACTER_UNKNOWN) for c in token[:width]), _TOKEN_END]
        spelled[row, : len(ids)] = ids
    return spelled[token_rows]


def token_feature_columns(tokens, affix_vocabularies, character_vocabulary) -> np.ndarray | None:
    """Each token's affix ids, then its character ids, for the vocabularies a model has
    (None for one it has not); None when it has neither."""
    columns = []
    if affix_vocabularies is not None:
        columns.append(affix_ids(tokens, affix_vocabularies))
    if character_vocabulary is not None:
        columns.append(character_ids(tokens, character_vocabulary))
    return np.concatenate(columns, axis=1) if columns else None


def with_token_features(words: Sequences, features: np.ndarray | None) -> Sequences:
    """Word ids joined by each token's feature columns: values of shape ``(n_tokens, 1 +
    k)``, or the word ids alone when there are none."""
    if features is None:
        return words
    return Sequences(
        np.concatenate([words.values[:, None], features], axis=1), words.lengths, words.offsets
    )

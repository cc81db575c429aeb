"""Pretrained token vectors (``embeddings``): their size, and their rows aligned with a
vocabulary."""

from __future__ import annotations

import numpy as np
import torch

from ._tokens import SPECIAL_TOKENS
from ._warnings import warn_user

__all__ = ["pretrained_dimension", "pretrained_matrix"]


def pretrained_dimension(embeddings) -> int:
    """Vector size of pretrained ``embeddings`` (a dict, or a (tokens, matrix) tuple)."""
    tokens, vectors = _pretrained_items(embeddings)
    return vectors.shape[1]


def pretrained_matrix(embeddings, vocabulary: np.ndarray, dim: int):
    """Rows of pretrained vectors aligned with ``vocabulary``; NaN rows where a token has
    none (the caller keeps their random initialisation). Warns with the count of those."""
    tokens, vectors = _pretrained_items(embeddings)
    if vectors.shape[1] != dim:
        raise ValueError(f"embeddings have {vectors.shape[1]} dimensions but embedding_dim={dim}.")
    row = {token: i for i, token in enumerate(tokens)}
    matrix = torch.full((len(vocabulary), dim), float("nan"))
    missing = 0
    for index, token in enumerate(vocabulary):
        if token in row:
            matrix[index] = torch.as_tensor(vectors[row[token]], dtype=torch.float32)
        elif token not in SPECIAL_TOKENS:
            missing += 1
    if missing:
        warn_user(
            f"{missing} of {len(vocabulary) - len(SPECIAL_TOKENS)} vocabulary tokens have no "
            "pretrained vector; they are initialised randomly."
        )
    return matrix


def _pretrained_items(embeddings):
    if isinstance(embeddings, dict):
        tokens = list(embeddings)
        vectors = np.asarray([np.asarray(embeddings[t], dtype=np.float32) for t in tokens])
    elif isinstance(embeddings, tuple) and len(embeddings) == 2:
        tokens, vectors = list(embeddings[0]), np.asarray(embeddings[1], dtype=np.float32)
    else:
        raise TypeError("embeddings must be a dict {token: vector} or a tuple (tokens, matrix).")
    if vectors.ndim != 2 or len(tokens) != len(vectors) or len(tokens) == 0:
        raise ValueError(
            "embeddings must give one vector of the same size to each token; got "
            f"{len(tokens)} tokens and vectors of shape {vectors.shape}."
        )
    if not np.isfinite(vectors).all():
        raise ValueError("embeddings contain NaN or infinity.")
    return tokens, vectors

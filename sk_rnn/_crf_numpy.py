"""The numerics of :mod:`sk_rnn.runtime` in numpy alone: softmax, and the linear-chain
CRF's best label sequences (Viterbi) and per-step marginals (forward-backward), computed
as the torch module computes them."""

from __future__ import annotations

import numpy as np

__all__ = ["log_softmax", "marginals", "step_mask", "viterbi"]


def log_softmax(values: np.ndarray, axis: int) -> np.ndarray:
    shifted = values - values.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _logsumexp(values: np.ndarray, axis: int) -> np.ndarray:
    top = values.max(axis=axis, keepdims=True)
    return (top + np.log(np.exp(values - top).sum(axis=axis, keepdims=True))).squeeze(axis)


def step_mask(lengths: np.ndarray, n_steps: int) -> np.ndarray:
    return np.arange(n_steps)[None, :] < lengths[:, None]


def viterbi(emissions, mask, start, transitions, end) -> np.ndarray:
    """The CRF's best label sequences, as ``LinearChainCRF.viterbi`` computes them (in
    float32, step by step in the same order)."""
    batch, length, n_labels = emissions.shape
    score = start + emissions[:, 0]
    keep = np.broadcast_to(np.arange(n_labels), (batch, n_labels))
    backpointers = []
    for t in range(1, length):
        candidates = score[:, :, None] + transitions
        previous, best = candidates.argmax(1), candidates.max(1)
        inside = mask[:, t, None]
        score = np.where(inside, best + emissions[:, t], score)
        backpointers.append(np.where(inside, previous, keep))
    labels = [(score + end).argmax(1)]
    for previous in reversed(backpointers):
        labels.append(np.take_along_axis(previous, labels[-1][:, None], 1)[:, 0])
    return np.stack(labels[::-1], 1)


def marginals(emissions, mask, start, transitions, end) -> np.ndarray:
    """``p(y_t = label | emissions)`` by the forward-backward algorithm (in float64)."""
    length = emissions.shape[1]
    alphas = [start + emissions[:, 0]]
    for t in range(1, length):
        scores = alphas[-1][:, :, None] + transitions + emissions[:, t, None, :]
        alphas.append(np.where(mask[:, t, None], _logsumexp(scores, 1), alphas[-1]))
    betas = [np.broadcast_to(end, alphas[0].shape)]
    for t in range(length - 2, -1, -1):
        scores = transitions + (emissions[:, t + 1] + betas[-1])[:, None, :]
        betas.append(np.where(mask[:, t + 1, None], _logsumexp(scores, 2), betas[-1]))
    alpha, beta = np.stack(alphas, 1), np.stack(betas[::-1], 1)
    log_partition = _logsumexp(alphas[-1] + end, 1)
    return np.exp(alpha + beta - log_partition[:, None, None])

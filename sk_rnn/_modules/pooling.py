"""Many-to-one readouts: pooling a sequence's encoder outputs into one vector."""

from __future__ import annotations

import torch
from torch import nn

from .encoder import length_mask

__all__ = ["POOLINGS", "AttentionPooling", "pool_outputs"]

POOLINGS = ("last", "mean", "max", "mean_max", "attention")


def pool_outputs(outputs, last, lengths, pooling):
    """Many-to-one readout of encoder outputs, ignoring padding (``"attention"`` has
    weights of its own: see :class:`AttentionPooling`)."""
    if pooling == "last":
        return last
    lengths = lengths.to(outputs.device)
    inside = length_mask(lengths, outputs.size(1))[:, :, None]
    if pooling == "mean":
        return (outputs * inside).sum(1) / lengths[:, None].to(outputs.dtype)
    if pooling == "max":
        return outputs.masked_fill(~inside, float("-inf")).amax(1)
    if pooling == "mean_max":
        return torch.cat([pool_outputs(outputs, last, lengths, p) for p in ("mean", "max")], 1)
    raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}.")


class AttentionPooling(nn.Module):
    """A learned weighted mean over each sequence's true steps (Yang et al. 2016,
    "Hierarchical attention networks"): step ``t`` scores ``v @ tanh(W h_t + b)``, and a
    softmax over the true steps turns the scores into weights; padding gets none.

    Inputs: ``outputs`` of shape ``(batch, n_steps, size)``, ``lengths`` of shape ``(batch,)``.
    Output: shape ``(batch, size)``.
    """

    def __init__(self, size: int):
        super().__init__()
        self.project = nn.Linear(size, size)
        self.score = nn.Linear(size, 1, bias=False)

    def step_weights(self, outputs, lengths):
        """Each step's weight, shape ``(batch, n_steps)``: 0 on padding, 1 in all."""
        inside = length_mask(lengths.to(outputs.device), outputs.size(1))
        scores = self.score(torch.tanh(self.project(outputs))).squeeze(2)
        return scores.masked_fill(~inside, float("-inf")).softmax(1)

    def forward(self, outputs, lengths):
        return (self.step_weights(outputs, lengths)[:, :, None] * outputs).sum(1)

"""The language model's module: next-token logits over a vocabulary, state in and out."""

from __future__ import annotations

import torch
from torch import nn

from .encoder import RecurrentEncoder
from .losses import step_cross_entropy

__all__ = ["NextTokenPredictor"]


class NextTokenPredictor(nn.Module):
    """A unidirectional encoder with a linear layer over the vocabulary: a language model.

    Stateless: the recurrent state goes in and out of every call. ``forward(x, lengths,
    state=None)`` reads token ids ``x`` of shape ``(batch, steps)`` from ``state`` (None:
    zeros) and returns the next-token logits, of shape ``(batch, steps,
    vocabulary_size)``, and the state after ``x``; training on streams passes that state
    on to the next chunk (``sk_rnn._streams.StreamNet``). ``start``/``step`` are the
    :class:`Decoder` protocol for generation.
    """

    def __init__(self, encoder: RecurrentEncoder, dropout=0.0, tie_weights=False):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        embedding = encoder.embedding
        self.head = nn.Linear(encoder.output_size, embedding.num_embeddings)
        if tie_weights:
            self.head.weight = embedding.weight

    def forward(self, x, lengths, state=None):
        outputs, _, state = self.encoder(x, lengths, state)
        return self.head(self.dropout(outputs)), state

    def start(self, x=None, lengths=None):
        """No source to read: no memory, and a zero state."""
        return None, None

    def step(self, tokens, state=None, memory=None):
        lengths = torch.full((tokens.size(0),), tokens.size(1), dtype=torch.long)
        return self(tokens, lengths, state)

    def loss(self, outputs, targets, lengths):
        return step_cross_entropy(outputs, targets)

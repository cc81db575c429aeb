"""Sequence to sequence: the recurrent encoder-decoder and its attention."""

from __future__ import annotations

import torch
from torch import nn

from .._tokens import PAD_ID
from .encoder import length_mask, make_rnn
from .losses import step_cross_entropy

__all__ = ["ATTENTIONS", "Attention", "EncoderDecoder"]


ATTENTIONS = ("dot", "general", "additive")


class Attention(nn.Module):
    """Attention of decoder states over encoder outputs, ignoring padding.

    ``"dot"``: score = query · key (Luong et al. 2015); ``"general"``: query · W key;
    ``"additive"``: v · tanh(W_q query + W_k key) (Bahdanau et al. 2015).

    ``keys(memory)`` projects the encoder outputs once per batch; ``forward(queries,
    keys, memory, mask)`` then gives one context vector per query (the average of
    ``memory`` weighted by the softmax of the scores over unmasked steps) and the weights.
    """

    def __init__(self, kind, size):
        super().__init__()
        if kind not in ATTENTIONS:
            raise ValueError(f"attention must be one of {ATTENTIONS} or None, got {kind!r}.")
        self.kind = kind
        if kind == "general":
            self.key_projection = nn.Linear(size, size, bias=False)
        elif kind == "additive":
            self.key_projection = nn.Linear(size, size)
            self.query_projection = nn.Linear(size, size, bias=False)
            self.score = nn.Linear(size, 1, bias=False)

    def keys(self, memory):
        return memory if self.kind == "dot" else self.key_projection(memory)

    def forward(self, queries, keys, memory, mask):
        """queries (batch, steps, size), keys and memory (batch, source_steps, size),
        mask (batch, source_steps) True inside each source -> context (batch, steps, size),
        weights (batch, steps, source_steps)."""
        if self.kind == "additive":
            hidden = self.query_projection(queries)[:, :, None] + keys[:, None]
            scores = self.score(torch.tanh(hidden)).squeeze(3)
        else:
            scores = queries @ keys.transpose(1, 2)
        scores = scores.masked_fill(~mask[:, None, :], float("-inf"))
        weights = torch.softmax(scores, dim=2)
        return weights @ memory, weights


class EncoderDecoder(nn.Module):
    """Recurrent encoder-decoder with optional attention (sequence to sequence).

    The decoder is a unidirectional stack as wide as the encoder's output (both
    directions), started from ``tanh(W last)`` where ``last`` is the encoder's exact
    readout of each source (so padding never reaches it). At each step the decoder state
    attends over the encoder outputs, and ``tanh(W [state; context])`` predicts the next
    token (Luong et al. 2015). With teacher forcing the whole target is decoded in one
    call of the recurrent layer. It follows the :class:`Decoder` protocol.

    Parameters
    ----------
    encoder : RecurrentEncoder
    n_target_tokens : int
        Size of the target vocabulary (``PAD_ID`` is padding).
    embedding_dim : int
        Size of the target token embeddings.
    cell : str
        Decoder cell, as for the encoder.
    num_layers : int
        Decoder layers.
    attention : {"dot", "general", "additive"} or None
    dropout : float
        Dropout between decoder layers and before the output layer.
    teacher_forcing : float
        In training, the probability of feeding the true previous token rather than the
        model's own prediction (scheduled sampling, Bengio et al. 2015); 1.0 always feeds
        the truth.

    Inputs of ``forward``: ``x, lengths`` as for :class:`RecurrentEncoder`, and
    ``target_in`` of shape ``(batch, target_steps)``: ``<bos>`` then the target ids,
    right-padded. Output: next-token logits of shape ``(batch, target_steps, n_target_tokens)``.
    """

    def __init__(
        self,
        encoder,
        n_target_tokens,
        embedding_dim,
        cell,
        num_layers=1,
        attention="general",
        dropout=0.0,
        teacher_forcing=1.0,
    ):
        super().__init__()
        size = encoder.output_size
        n_target_tokens, embedding_dim, num_layers = (
            int(n_target_tokens),
            int(embedding_dim),
            int(num_layers),
        )
        self.encoder = encoder
        self.num_layers = num_layers
        self.is_lstm = cell == "lstm"
        self.teacher_forcing = teacher_forcing
        self.target_embedding = nn.Embedding(n_target_tokens, embedding_dim, padding_idx=PAD_ID)
        self.bridge = nn.Linear(size, num_layers * size)
        self.decoder = make_rnn(cell, embedding_dim, size, num_layers, dropout)
        self.attention = None if attention is None else Attention(attention, size)
        self.combine = nn.Linear(size * (1 if attention is None else 2), size)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(size, n_target_tokens)

    def start(self, x, lengths):
        """The decoder's memory ``(outputs, keys, mask)`` and initial state."""
        outputs, last, _ = self.encoder(x, lengths)
        mask = length_mask(lengths.to(outputs.device), outputs.size(1))
        keys = None if self.attention is None else self.attention.keys(outputs)
        state = torch.tanh(self.bridge(last)).view(len(last), self.num_layers, -1)
        state = state.transpose(0, 1).contiguous()
        if self.is_lstm:
            state = (state, torch.zeros_like(state))
        return (outputs, keys, mask), state

    def step(self, tokens, state, memory):
        """Logits for ``tokens`` (batch, steps) fed from ``state``, and the state after."""
        states, state = self.decoder(self.target_embedding(tokens), state)
        if self.attention is not None:
            outputs, keys, mask = memory
            context, _ = self.attention(states, keys, outputs, mask)
            states = torch.cat([states, context], 2)
        return self.output(self.dropout(torch.tanh(self.combine(states)))), state

    def forward(self, x, lengths, target_in):
        memory, state = self.start(x, lengths)
        if not self.training or self.teacher_forcing >= 1:
            return self.step(target_in, state, memory)[0]
        logits = []
        tokens = target_in[:, :1]
        for position in range(target_in.size(1)):
            step_logits, state = self.step(tokens, state, memory)
            logits.append(step_logits)
            if position + 1 < target_in.size(1):
                truth = target_in[:, position + 1 : position + 2]
                own = step_logits.argmax(2)
                use_truth = torch.rand(truth.shape, device=truth.device) < self.teacher_forcing
                tokens = torch.where(use_truth | (truth == PAD_ID), truth, own)
        return torch.cat(logits, 1)

    def loss(self, outputs, targets, lengths):
        return step_cross_entropy(outputs, targets)

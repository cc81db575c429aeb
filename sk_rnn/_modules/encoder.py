"""The recurrent encoder over right-padded batches, exact without packing.

Batches are right-padded; a unidirectional layer's output at step ``t`` only depends on
steps ``<= t``, and the backward direction of a bidirectional layer runs on each sequence
reversed *within its own length*, so padding never enters it. On CPU this is several
times faster than ``pack_padded_sequence`` (see docs/benchmarks.md). Token input is
embedded here, with token dropout; recurrent weights may be dropped in training.
"""

from __future__ import annotations

import torch
from torch import nn

from .._tokens import PAD_ID, UNK_ID

__all__ = [
    "CELLS",
    "RecurrentEncoder",
    "TokenHiding",
    "hide_ids",
    "length_mask",
    "make_rnn",
    "reverse_padded",
    "set_dropout",
]

CELLS = ("rnn", "rnn_relu", "lstm", "gru")


def make_rnn(cell, input_size, hidden_size, num_layers=1, dropout=0.0) -> nn.RNNBase:
    # Sizes may arrive as numpy integers (a searched grid); torch wants ints.
    input_size, hidden_size, num_layers = int(input_size), int(hidden_size), int(num_layers)
    kwargs = dict(num_layers=num_layers, dropout=float(dropout) if num_layers > 1 else 0.0)
    if cell == "lstm":
        return nn.LSTM(input_size, hidden_size, batch_first=True, **kwargs)
    if cell == "gru":
        return nn.GRU(input_size, hidden_size, batch_first=True, **kwargs)
    if cell in ("rnn", "rnn_relu"):
        nonlinearity = "relu" if cell == "rnn_relu" else "tanh"
        return nn.RNN(
            input_size, hidden_size, nonlinearity=nonlinearity, batch_first=True, **kwargs
        )
    raise ValueError(f"cell must be one of {CELLS}, got {cell!r}.")


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each sequence of a right-padded batch within its own length.

    Step ``t < lengths[b]`` of the result is step ``lengths[b] - 1 - t`` of ``x[b]``;
    padding steps stay where they are. The operation is its own inverse.

    Parameters
    ----------
    x : Tensor of shape (batch, max_length, features)
    lengths : Tensor of shape (batch,)
    """
    steps = torch.arange(x.size(1), device=x.device)
    source = lengths.to(x.device)[:, None] - 1 - steps[None, :]
    source = torch.where(source >= 0, source, steps[None, :])
    return x.gather(1, source[:, :, None].expand(-1, -1, x.size(2)))


class TokenHiding(nn.Module):
    """A module that hides known token ids (makes them ``<unk>``) in training, with
    probability ``token_dropout`` (:func:`set_dropout` changes it)."""

    token_dropout: float = 0.0

    def hide(self, ids: torch.Tensor) -> torch.Tensor:
        return hide_ids(ids, self.token_dropout) if self.training else ids


class RecurrentEncoder(TokenHiding):
    """Stacked (bi)directional RNN/LSTM/GRU over right-padded batches.

    Parameters
    ----------
    input_size : int
        Features per input step.
    cell : {"rnn", "rnn_relu", "lstm", "gru"}
    hidden_size : int
        Hidden units per direction.
    num_layers : int
    bidirectional : bool
    dropout : float
        Dropout between stacked layers.
    vocabulary_size : int or None
        For token input: ids in ``[0, vocabulary_size)`` are embedded into vectors of
        ``input_size`` (id 0 is padding); ``None`` for numeric input.
    token_feature_encoder : nn.Module or None
        For token input with per-token features (the tagger's affix and character
        encoders): ``x[..., 0]`` holds the
        token ids and ``x[..., 1:]`` each token's feature ids; the encoder's vector of
        each token joins its embedding.
    token_dropout : float
        For token input, in training: the probability of replacing a token id by the
        ``<unk>`` id (1), so that the ``<unk>`` embedding is trained on real contexts.
    weight_drop : float
        In training, the probability of dropping each hidden-to-hidden weight of the
        recurrent layers: one mask per call, shared by every step and sequence of the
        batch (DropConnect, as in Merity et al. 2018).

    Inputs: ``x, lengths, hidden``
        - **x** of shape ``(batch, max_length, input_size)``, right-padded, or token ids
          of shape ``(batch, max_length)`` (``(batch, max_length, 1 + max_chars)`` with a
          character encoder);
        - **lengths** of shape ``(batch,)``, on any device;
        - **hidden** (unidirectional only): initial state as for ``torch.nn.LSTM``/``GRU``,
          or ``None`` for zeros.

    Outputs: ``outputs, last, hidden``
        - **outputs** of shape ``(batch, max_length, num_directions * hidden_size)``;
          steps past a sequence's length hold unspecified values;
        - **last** of shape ``(batch, num_directions * hidden_size)``: the forward
          direction's output at each sequence's true last step, joined (if bidirectional)
          with the backward direction's output after it has read the whole sequence;
        - **hidden**: the final state of a unidirectional stack at the *padded* end of
          the batch (meant for streams of equal-length chunks), else ``None``.
    """

    weight_drop: float = 0.0  # modules pickled before weight_drop existed have none

    def __init__(
        self,
        input_size,
        cell,
        hidden_size,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        vocabulary_size=None,
        token_feature_encoder=None,
        token_dropout=0.0,
        weight_drop=0.0,
    ):
        super().__init__()
        input_size, hidden_size, num_layers = int(input_size), int(hidden_size), int(num_layers)
        self.token_dropout = token_dropout
        self.weight_drop = weight_drop
        self.embedding = None
        if vocabulary_size is not None:
            self.embedding = nn.Embedding(int(vocabulary_size), input_size, padding_idx=PAD_ID)
        self.token_feature_encoder = token_feature_encoder
        if token_feature_encoder is not None:
            input_size += token_feature_encoder.output_size
        self.input_vector_size = input_size  # the size of embed()'s vectors
        self.bidirectional = bidirectional
        self.hidden_size = hidden_size
        if bidirectional:
            # One module per layer and direction: the backward one reads reversed input.
            self.forward_layers = nn.ModuleList()
            self.backward_layers = nn.ModuleList()
            for layer in range(num_layers):
                size = input_size if layer == 0 else 2 * hidden_size
                self.forward_layers.append(make_rnn(cell, size, hidden_size))
                self.backward_layers.append(make_rnn(cell, size, hidden_size))
            self.layer_dropout = nn.Dropout(dropout)
        else:
            self.rnn = make_rnn(cell, input_size, hidden_size, num_layers, dropout)

    @property
    def output_size(self) -> int:
        return self.hidden_size * (2 if self.bidirectional else 1)

    def embed(self, x):
        """The input vectors the recurrent layers read: ``x`` itself for numeric input,
        token embeddings (and character features) for token ids."""
        if self.token_feature_encoder is not None:
            words = self.hide(x[..., 0])
            return torch.cat([self.embedding(words), self.token_feature_encoder(x[..., 1:])], 2)
        if self.embedding is not None:
            return self.embedding(self.hide(x))
        return x

    def forward(self, x, lengths, hidden=None):
        return self.recur(self.embed(x), lengths, hidden)

    def recur(self, x, lengths, hidden=None):
        """The recurrent layers over input vectors ``x`` (see :meth:`embed`)."""
        lengths = lengths.to(x.device)
        last_index = (lengths - 1)[:, None, None]
        if not self.bidirectional:
            outputs, hidden = self._run(self.rnn, x, hidden)
            last = outputs.gather(1, last_index.expand(-1, 1, outputs.size(2))).squeeze(1)
            return outputs, last, hidden
        if hidden is not None:
            raise ValueError(
                "An initial hidden state is only supported for unidirectional encoders."
            )
        layer_input = x
        pairs = zip(self.forward_layers, self.backward_layers, strict=True)
        for i, (forward_rnn, backward_rnn) in enumerate(pairs):
            if i > 0:
                layer_input = self.layer_dropout(layer_input)
            forward_out, _ = self._run(forward_rnn, layer_input)
            backward_out_reversed, _ = self._run(backward_rnn, reverse_padded(layer_input, lengths))
            backward_out = reverse_padded(backward_out_reversed, lengths)
            layer_input = torch.cat([forward_out, backward_out], dim=2)
        size = self.hidden_size
        forward_last = forward_out.gather(1, last_index.expand(-1, 1, size)).squeeze(1)
        backward_last = backward_out[:, 0]
        return layer_input, torch.cat([forward_last, backward_last], dim=1), None

    def _run(self, rnn: nn.RNNBase, x, hidden=None):
        """``rnn`` over ``x``, its hidden-to-hidden weights dropped in training."""
        if not (self.training and self.weight_drop):
            return rnn(x, hidden)
        weights = {
            name: nn.functional.dropout(weight, self.weight_drop)
            if name.startswith("weight_hh")
            else weight
            for name, weight in rnn.named_parameters()
        }
        return torch.func.functional_call(rnn, weights, (x, hidden))


def length_mask(lengths: torch.Tensor, n_steps: int) -> torch.Tensor:
    """Mask of shape (batch, n_steps), True at the steps inside each sequence."""
    return torch.arange(n_steps, device=lengths.device)[None, :] < lengths[:, None]


def hide_ids(ids: torch.Tensor, probability: float) -> torch.Tensor:
    """``ids`` with each known id (above ``UNK_ID``) made ``UNK_ID`` with ``probability``:
    the token dropout of words and of the tagger's affixes."""
    if probability == 0:
        return ids
    hidden = torch.rand(ids.shape, device=ids.device) < probability
    return ids.masked_fill(hidden & (ids > UNK_ID), UNK_ID)


def set_dropout(module: nn.Module, dropout: float, token_dropout: float) -> None:
    """Change the dropout probabilities of a built module in place (they only act in
    training): every dropout layer, the dropout between stacked recurrent layers, and
    the token dropout of words and affixes (every :class:`TokenHiding`)."""
    for part in module.modules():
        if isinstance(part, nn.Dropout):
            part.p = float(dropout)
        elif isinstance(part, nn.RNNBase) and part.num_layers > 1:
            part.dropout = float(dropout)
        elif isinstance(part, TokenHiding):
            part.token_dropout = float(token_dropout)

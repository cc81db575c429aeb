"""Pure torch building blocks: the recurrent encoder and small task heads.

Nothing here imports scikit-learn; the estimators build these modules from fitted sizes.

Padding is exact without packing: batches are right-padded, a unidirectional layer's output
at step ``t`` only depends on steps ``<= t``, and the backward direction of a bidirectional
layer runs on each sequence reversed *within its own length*, so padding never enters it.
On CPU this is several times faster than ``pack_padded_sequence`` (see docs/benchmarks.md).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["CELLS", "POOLINGS", "RecurrentEncoder", "SequencePredictor", "reverse_padded"]

CELLS = ("rnn", "rnn_relu", "lstm", "gru")
POOLINGS = ("last", "mean", "max")


def _make_rnn(cell, input_size, hidden_size, num_layers=1, dropout=0.0) -> nn.RNNBase:
    kwargs = dict(num_layers=num_layers, dropout=dropout if num_layers > 1 else 0.0)
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


class RecurrentEncoder(nn.Module):
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

    Inputs: ``x, lengths, hidden``
        - **x** of shape ``(batch, max_length, input_size)``, right-padded, or token ids
          of shape ``(batch, max_length)``;
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

    def __init__(
        self,
        input_size,
        cell,
        hidden_size,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        vocabulary_size=None,
    ):
        super().__init__()
        self.embedding = None
        if vocabulary_size is not None:
            self.embedding = nn.Embedding(vocabulary_size, input_size, padding_idx=0)
        self.bidirectional = bidirectional
        self.hidden_size = hidden_size
        if bidirectional:
            # One module per layer and direction: the backward one reads reversed input.
            self.forward_layers = nn.ModuleList()
            self.backward_layers = nn.ModuleList()
            for layer in range(num_layers):
                size = input_size if layer == 0 else 2 * hidden_size
                self.forward_layers.append(_make_rnn(cell, size, hidden_size))
                self.backward_layers.append(_make_rnn(cell, size, hidden_size))
            self.layer_dropout = nn.Dropout(dropout)
        else:
            self.rnn = _make_rnn(cell, input_size, hidden_size, num_layers, dropout)

    @property
    def output_size(self) -> int:
        return self.hidden_size * (2 if self.bidirectional else 1)

    def forward(self, x, lengths, hidden=None):
        if self.embedding is not None:
            x = self.embedding(x)
        lengths = lengths.to(x.device)
        last_index = (lengths - 1)[:, None, None]
        if not self.bidirectional:
            outputs, hidden = self.rnn(x, hidden)
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
            forward_out, _ = forward_rnn(layer_input)
            backward_out_reversed, _ = backward_rnn(reverse_padded(layer_input, lengths))
            backward_out = reverse_padded(backward_out_reversed, lengths)
            layer_input = torch.cat([forward_out, backward_out], dim=2)
        size = self.hidden_size
        forward_last = forward_out.gather(1, last_index.expand(-1, 1, size)).squeeze(1)
        backward_last = backward_out[:, 0]
        return layer_input, torch.cat([forward_last, backward_last], dim=1), None


def pool_outputs(outputs, last, lengths, pooling):
    """Many-to-one readout of encoder outputs, ignoring padding."""
    if pooling == "last":
        return last
    lengths = lengths.to(outputs.device)
    inside = torch.arange(outputs.size(1), device=outputs.device)[None, :] < lengths[:, None]
    inside = inside[:, :, None]
    if pooling == "mean":
        return (outputs * inside).sum(1) / lengths[:, None].to(outputs.dtype)
    if pooling == "max":
        return outputs.masked_fill(~inside, float("-inf")).amax(1)
    raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}.")


class SequencePredictor(nn.Module):
    """Encoder, many-to-one pooling, dropout and a linear head.

    Inputs: ``x, lengths`` as for :class:`RecurrentEncoder`.
    Output: a tensor of shape ``(batch, n_outputs)`` (logits or standardised targets).
    """

    def __init__(self, encoder: RecurrentEncoder, n_outputs: int, pooling="last", dropout=0.0):
        super().__init__()
        self.encoder = encoder
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.output_size, n_outputs)

    def forward(self, x, lengths):
        outputs, last, _ = self.encoder(x, lengths)
        pooled = pool_outputs(outputs, last, lengths, self.pooling)
        return self.head(self.dropout(pooled))

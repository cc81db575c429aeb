"""The heads of the classifier and the regressor: one output per sequence, or per step."""

from __future__ import annotations

import torch
from torch import nn

from .convolution import ConvolutionBranch
from .encoder import RecurrentEncoder, length_mask
from .losses import class_cross_entropy, squared_error
from .pooling import AttentionPooling, pool_outputs

__all__ = ["SequencePredictor", "StepRegressor"]


class SequencePredictor(nn.Module):
    """Encoder, many-to-one pooling, dropout and a linear head.

    Parameters
    ----------
    encoder : RecurrentEncoder
    n_outputs : int
        Classes (logits) or regression targets.
    pooling : {"last", "mean", "max", "mean_max", "attention"}
        ``"mean_max"`` joins the mean and the maximum, twice the encoder's output size;
        ``"attention"`` learns a weighted mean (:class:`AttentionPooling`).
    dropout : float
    task : {"classification", "regression"}
        Chooses the loss: cross-entropy (weighted by ``class_weight``) or squared error.
    class_weight : Tensor of shape (n_outputs,) or None
        Weight of each class in the classification loss.
    conv_channels : int or None
        Add a :class:`ConvolutionBranch` with this many channels beside the encoder; it
        reads the encoder's input vectors, and its features join the pooled ones.

    Inputs: ``x, lengths`` as for :class:`RecurrentEncoder`.
    Output: a tensor of shape ``(batch, n_outputs)`` (logits or standardised targets).
    """

    def __init__(
        self,
        encoder: RecurrentEncoder,
        n_outputs: int,
        pooling="last",
        dropout=0.0,
        task="classification",
        class_weight=None,
        conv_channels=None,
    ):
        super().__init__()
        if task not in ("classification", "regression"):
            raise ValueError(f"task must be 'classification' or 'regression', got {task!r}.")
        self.encoder = encoder
        self.pooling = pooling
        self.task = task
        self.dropout = nn.Dropout(dropout)
        self.convolution = None
        self.attention = AttentionPooling(encoder.output_size) if pooling == "attention" else None
        size = encoder.output_size * (2 if pooling == "mean_max" else 1)
        if conv_channels is not None:
            self.convolution = ConvolutionBranch(encoder.input_vector_size, conv_channels)
            size += self.convolution.output_size
        self.features_size = size  # what transform() returns per sequence
        self.head = nn.Linear(size, n_outputs)
        # Not part of the state dict: it comes from the estimator's fitted class_weight_.
        self.register_buffer("class_weight", class_weight, persistent=False)

    def features(self, x, lengths):
        """The representation the head reads: the pooled encoder outputs, joined by the
        convolution branch's features if there is one."""
        vectors = self.encoder.embed(x)
        outputs, last, _ = self.encoder.recur(vectors, lengths)
        if self.attention is None:
            pooled = pool_outputs(outputs, last, lengths, self.pooling)
        else:
            pooled = self.attention(outputs, lengths)
        if self.convolution is None:
            return pooled
        return torch.cat([pooled, self.convolution(vectors, lengths)], 1)

    def forward(self, x, lengths):
        return self.head(self.dropout(self.features(x, lengths)))

    def attention_weights(self, x, lengths):
        """The weight attention pooling gives each step, shape ``(batch, n_steps)`` (0 on
        padding, 1 in all per sequence); needs ``pooling="attention"``."""
        outputs, _, _ = self.encoder.recur(self.encoder.embed(x), lengths)
        return self.attention.step_weights(outputs, lengths)

    def loss(self, outputs, targets, lengths):
        if self.task == "classification":
            return class_cross_entropy(outputs, targets, self.class_weight)
        return squared_error(outputs, targets)


class StepRegressor(nn.Module):
    """Encoder, dropout and a linear layer giving real outputs at every step.

    Inputs: ``x, lengths`` as for :class:`RecurrentEncoder`.
    Output: shape ``(batch, max_length, n_outputs)`` (standardised targets).
    The loss is the squared error over the true steps of each sequence; padding steps
    count for nothing.
    """

    def __init__(self, encoder: RecurrentEncoder, n_outputs: int, dropout=0.0):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.output_size, n_outputs)

    def forward(self, x, lengths):
        outputs, _, _ = self.encoder(x, lengths)
        return self.head(self.dropout(outputs))

    def loss(self, outputs, targets, lengths):
        inside = length_mask(lengths.to(outputs.device), outputs.size(1)).to(outputs.dtype)
        errors = ((outputs - targets.to(outputs.device)) ** 2).sum(2)
        return errors * inside, inside * outputs.size(2)

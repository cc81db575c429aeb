"""The fully convolutional branch of LSTM-FCN, for padded batches."""

from __future__ import annotations

import torch
from torch import nn

from .encoder import length_mask

__all__ = ["ConvolutionBranch"]


class ConvolutionBranch(nn.Module):
    """The fully convolutional branch of LSTM-FCN (Karim et al. 2018, "LSTM Fully
    Convolutional Networks for Time Series Classification"), for padded batches.

    Three blocks of a convolution (kernel 7, 5 and 3, where the paper has 8, 5 and 3: odd
    widths keep every step centred; ``channels``, ``2 * channels`` and
    ``channels`` filters), batch normalisation and ReLU, then the mean over each
    sequence's own steps. Padding is zeroed before every convolution and left out of the
    mean, so a sequence's features do not depend on the batch it is in (up to the batch
    statistics of normalisation during training).

    Inputs: ``x`` of shape ``(batch, max_length, input_size)`` and ``lengths``.
    Output: shape ``(batch, channels)``.
    """

    def __init__(self, input_size, channels):
        super().__init__()
        input_size, channels = int(input_size), int(channels)
        sizes = (input_size, channels, 2 * channels, channels)
        self.convolutions = nn.ModuleList(
            nn.Conv1d(n_in, n_out, width, padding=width // 2)
            for n_in, n_out, width in zip(sizes, sizes[1:], (7, 5, 3), strict=False)
        )
        self.norms = nn.ModuleList(nn.BatchNorm1d(n) for n in sizes[1:])
        self.output_size = channels

    def forward(self, x, lengths):
        lengths = lengths.to(x.device)
        inside = length_mask(lengths, x.size(1))[:, None, :].to(x.dtype)
        h = x.transpose(1, 2)
        for convolution, norm in zip(self.convolutions, self.norms, strict=True):
            h = torch.relu(_normalised(norm, convolution(h * inside)))
        return (h * inside).sum(2) / lengths[:, None].to(h.dtype)


def _normalised(norm: nn.BatchNorm1d, h: torch.Tensor) -> torch.Tensor:
    """``norm(h)``; a training batch of one value per channel (one sequence of one step)
    has no batch statistics, so it is normalised with the running ones."""
    if norm.training and h.size(0) * h.size(2) == 1:
        return nn.functional.batch_norm(
            h, norm.running_mean, norm.running_var, norm.weight, norm.bias, False, 0.0, norm.eps
        )
    return norm(h)

"""The protocols through which the estimators and the training loop meet the modules.

:class:`TaskModule` (every module an estimator trains)
    ``forward(x, lengths, **inputs) -> outputs`` for a batch as the datasets of
    ``sk_rnn._datasets`` produce it (a language model also returns its recurrent state,
    see :class:`~sk_rnn._modules.NextTokenPredictor`), and ``loss(outputs, targets,
    lengths) -> (losses, counts)``: per-sample (shape ``(batch,)``) or per-step (``(batch,
    steps)``) loss sums and the number of units they sum over. The training loss is
    ``sum(w * losses) / sum(w * counts)`` with sample weights ``w``
    (``sk_rnn._net.WeightedLoss``), so every estimator's loss is defined in exactly one
    place: its module's ``loss``.
:class:`FeatureModule` (task modules whose estimator has ``transform``)
    ``features(x, lengths) -> (batch, features_size)``: the vector the head reads, and
    ``features_size``, its length.
:class:`Decoder` (modules that generate tokens one step at a time)
    ``start(x, lengths) -> (memory, state)`` reads the source (``memory`` a tuple of
    batch-first tensors, ``state`` a recurrent state with the batch in dimension 1), and
    ``step(tokens, state, memory) -> (logits, state)`` feeds tokens of shape ``(batch,
    steps)``. The searches of ``sk_rnn._search`` and the language model's sampling use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import torch

if TYPE_CHECKING:
    from .encoder import RecurrentEncoder

__all__ = ["Decoder", "FeatureModule", "TaskModule"]


class TaskModule(Protocol):
    """What the training loop and the estimators require of a module (see module docs)."""

    encoder: RecurrentEncoder

    def forward(self, x: torch.Tensor, lengths: torch.Tensor, **inputs) -> torch.Tensor: ...

    def loss(
        self, outputs: torch.Tensor, targets: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]: ...


class Decoder(Protocol):
    """What token generation requires of a module (see module docs)."""

    def start(self, x: torch.Tensor | None, lengths: torch.Tensor | None) -> tuple: ...

    def step(self, tokens: torch.Tensor, state, memory) -> tuple[torch.Tensor, object]: ...


class FeatureModule(TaskModule, Protocol):
    """What ``transform`` requires of a task module (see module docs)."""

    features_size: int

    def features(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor: ...

"""The losses of the task modules: per-sample or per-step sums, and the units they count
(see :class:`~sk_rnn._modules.protocols.TaskModule`)."""

from __future__ import annotations

import torch
from torch import nn

from .._tokens import IGNORE_INDEX

__all__ = [
    "class_cross_entropy",
    "squared_error",
    "step_cross_entropy",
    "target_log_probabilities",
]


def class_cross_entropy(logits, labels, class_weight=None):
    """Cross-entropy of one label per sample, shape (batch,) each: losses, counts.

    With ``class_weight``, a sample of class ``c`` counts ``class_weight[c]`` times (in
    its loss and in the normaliser), as ``torch.nn.CrossEntropyLoss(weight=...)`` does.
    """
    losses = nn.functional.cross_entropy(logits, labels.to(logits.device), reduction="none")
    if class_weight is None:
        return losses, torch.ones_like(losses)
    weight = class_weight[labels.to(logits.device)]
    return losses * weight, weight


def squared_error(predictions, targets):
    """Squared error summed over the outputs of each sample, and the number of outputs."""
    errors = (predictions - targets.to(predictions.device)) ** 2
    errors = errors.reshape(len(errors), -1)
    return errors.sum(1), torch.full_like(errors[:, 0], errors.size(1))


def step_cross_entropy(logits, labels, class_weight=None):
    """Cross-entropy at every step whose label is not ``IGNORE_INDEX``, shape (batch,
    steps) each: losses (0 at ignored steps), counts (0 or the class weight)."""
    labels = labels.to(logits.device)
    losses = nn.functional.cross_entropy(logits.transpose(1, 2), labels, reduction="none")
    counted = (labels != IGNORE_INDEX).to(losses.dtype)
    if class_weight is not None:
        counted = counted * class_weight[labels.clamp(min=0)]
    return losses * counted, counted


def target_log_probabilities(logits, targets):
    """Log-probability (float64) of each per-step target under ``logits`` of shape
    (batch, steps, classes); 0 where the target is ``IGNORE_INDEX``."""
    targets = targets.to(logits.device)
    log_probabilities = torch.log_softmax(logits.double(), -1)
    picked = log_probabilities.gather(2, targets.clamp(min=0)[:, :, None]).squeeze(2)
    return picked.masked_fill(targets == IGNORE_INDEX, 0.0)

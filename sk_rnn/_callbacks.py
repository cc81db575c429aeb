"""The training callbacks sk_rnn adds to every net: the cosine learning-rate schedule,
the fallback to the last good epoch on a NaN or exploding loss or an interruption, and
the epoch table (in colour on a terminal only)."""

from __future__ import annotations

import copy
import re
import sys

import numpy as np
import torch
from skorch.callbacks import Callback, PrintLog

from ._warnings import warn_user

__all__ = ["CosineSchedule", "LastGoodEpoch", "PlainPrintLog"]


class CosineSchedule(Callback):
    """Cosine learning-rate decay over the epochs of one training run.

    Epoch ``e`` of a run of ``E`` epochs (``net.max_epochs``; one ``fit``, or one
    ``partial_fit`` call) trains at ``lr * (1 + cos(pi * e / E)) / 2``: the full rate at
    first, decaying smoothly towards zero (Loshchilov & Hutter 2017, "SGDR", without
    restarts). The optimizer's rates are put back when the run ends, so that continued
    training (``warm_start``, ``partial_fit``) starts from the full rate again; a run of
    one epoch trains at the full rate. The rate of each epoch is recorded in the history
    as ``lr``.
    """

    def on_train_begin(self, net, **kwargs):
        self.first_epoch_ = len(net.history)
        self.base_rates_ = [group["lr"] for group in net.optimizer_.param_groups]

    def on_epoch_begin(self, net, **kwargs):
        epoch = len(net.history) - 1 - self.first_epoch_
        factor = 0.5 * (1.0 + np.cos(np.pi * epoch / max(net.max_epochs, 1)))
        for group, rate in zip(net.optimizer_.param_groups, self.base_rates_, strict=True):
            group["lr"] = rate * factor
        net.history.record("lr", float(self.base_rates_[0] * factor))

    def on_train_end(self, net, **kwargs):
        for group, rate in zip(net.optimizer_.param_groups, self.base_rates_, strict=True):
            group["lr"] = rate


class LastGoodEpoch(Callback):
    """Keep the weights of the last completed epoch, and fall back to them when needed.

    - A NaN or infinite training loss stops training with a ``FloatingPointError`` naming
      the epoch; the module and optimizer are restored to the last completed epoch (or to
      their initial state if the first epoch diverged). The loss is checked every
      ``check_every`` batches and at the end of each epoch, so the host does not wait for
      the GPU after every batch.
    - A training loss that explodes without becoming NaN (an epoch's mean loss more
      than ``diverged_factor`` times the loss of the run's first batch, or than
      ``diverged_factor`` where that was below 1) stops training with a warning naming
      the learning rate; the weights of the last completed epoch before it are kept.
    - A ``KeyboardInterrupt`` (which skorch turns into a normal return) mid-epoch
      restores the last completed epoch, drops the partial epoch from the history and
      warns.
    """

    def __init__(self, check_every=16, diverged_factor=10.0):
        self.check_every = check_every
        self.diverged_factor = diverged_factor

    def on_train_begin(self, net, **kwargs):
        self._snapshot(net)
        self.epoch_complete_ = True
        self.first_loss_ = None

    def on_epoch_begin(self, net, **kwargs):
        self.epoch_complete_ = False
        self.finite_ = None
        self.unchecked_ = 0

    def on_batch_end(self, net, batch=None, training=None, loss=None, **kwargs):
        if not training or loss is None:
            return
        if self.first_loss_ is None:  # one read from the device per run
            self.first_loss_ = float(loss.detach())
        finite = torch.isfinite(loss.detach())
        self.finite_ = finite if self.finite_ is None else self.finite_ & finite
        self.unchecked_ += 1
        if self.unchecked_ >= self.check_every:
            self._check(net)

    def _check(self, net):
        self.unchecked_ = 0
        if self.finite_ is None or bool(self.finite_):
            return
        epoch = len(net.history)
        self._restore(net)
        raise FloatingPointError(
            f"The training loss became NaN or infinite in epoch {epoch}; training stopped "
            f"and the model keeps the weights of "
            f"{self._kept(epoch)}. Try a lower lr (now {net.lr}), gradient clipping "
            "(clip_grad_norm), or standardised inputs and targets."
        )

    def on_epoch_end(self, net, **kwargs):
        self._check(net)
        loss = net.history[-1].get("train_loss")
        first = self.first_loss_
        # Against at least 1: a first batch that happens to fit well (a loss of 0.03 on 4
        # samples) is no measure; untrained losses are about 1 (standardised targets) or
        # more (the log of the number of classes or tokens).
        if loss is not None and first is not None and loss > self.diverged_factor * max(first, 1):
            epoch = len(net.history)
            self._restore(net)
            self.epoch_complete_ = True
            warn_user(
                f"The training loss exploded in epoch {epoch} (from {first:.4g} at the start "
                f"to {loss:.4g}): training diverged and stopped, and the model keeps the "
                f"weights of {self._kept(epoch)}. Try a lower lr (now {net.lr})."
            )
            raise KeyboardInterrupt  # how skorch's own callbacks end training
        self._snapshot(net)
        self.epoch_complete_ = True

    def on_train_end(self, net, **kwargs):
        if self.epoch_complete_:
            return
        epoch = len(net.history)
        self._restore(net)
        warn_user(
            f"Training was interrupted in epoch {epoch}; the model keeps the weights of "
            f"{self._kept(epoch)}."
        )
        self.epoch_complete_ = True

    @staticmethod
    def _kept(epoch: int) -> str:
        return f"epoch {epoch - 1}" if epoch > 1 else "its state before this training run"

    def _snapshot(self, net):
        self.module_state_ = _clone_state(net.module_.state_dict())
        self.optimizer_state_ = _clone_state(net.optimizer_.state_dict())
        self.n_epochs_ = len(net.history)

    def _restore(self, net):
        net.module_.load_state_dict(self.module_state_)
        net.optimizer_.load_state_dict(self.optimizer_state_)
        del net.history[self.n_epochs_ :]


def _clone_state(state):
    """Copy of a (nested) state dict: tensors cloned, containers rebuilt.

    Several times faster than ``copy.deepcopy``, which matters at every epoch's end.
    """
    if isinstance(state, torch.Tensor):
        return state.detach().clone()
    if isinstance(state, dict):
        return {key: _clone_state(value) for key, value in state.items()}
    if isinstance(state, list | tuple):
        return type(state)(_clone_state(value) for value in state)
    return copy.copy(state)


_ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")


class PlainPrintLog(PrintLog):
    """skorch's ``PrintLog`` (``verbose=1``'s table), in colour on a terminal only: where
    standard output is a file or a pipe (logs, CI), without ANSI colour codes."""

    def format_row(self, row, key, color):
        formatted = super().format_row(row, key, color)
        if isinstance(formatted, str) and not _on_terminal():
            return _ANSI_CODE.sub("", formatted)
        return formatted


def _on_terminal() -> bool:
    stream = sys.stdout
    return bool(getattr(stream, "isatty", None) and stream.isatty())

"""The skorch side: the nets every estimator trains with, their loss and safety callback.

Nothing here is estimator-specific. A net trains any :class:`~sk_rnn._modules.TaskModule`:
the module defines its loss (``module.loss``), :class:`WeightedLoss` (the skorch
criterion) applies sample weights and normalises. The one training loop is skorch's; the
nets customise it through its documented hooks (``get_iterator``, ``infer``,
``get_loss``, ``train_step_single``, ``train_step``, ``evaluation_step``,
``run_single_epoch``).
"""

from __future__ import annotations

import copy
import functools
import sys
import warnings

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback
from skorch.hf import AccelerateMixin
from skorch.utils import TeeGenerator

from ._data import BucketBatchIterator, sequence_steps
from ._device import autocast
from ._modules import detach_state
from ._tokens import EOS_ID


class WeightedLoss:
    """The criterion of every sk_rnn net: a module's loss sums, weighted and normalised.

    ``WeightedLoss()(losses, counts, weights)`` is ``sum(w * losses) / sum(w * counts)``
    with ``w`` one weight per sample (broadcast over steps), one per step (token
    streams), or 1. A batch whose
    weights are all zero has loss 0. Not a ``torch.nn.Module``: it has no parameters, so
    data-parallel wrappers leave it alone.
    """

    def __call__(self, losses, counts, weights=None):
        if weights is not None:
            trailing = [1] * (losses.dim() - weights.dim())
            weights = weights.to(losses.device).reshape(*weights.shape, *trailing)
            losses, counts = losses * weights, counts * weights
        total = counts.sum()
        return losses.sum() / torch.where(total > 0, total, torch.ones_like(total))


class SequenceNet(NeuralNet):
    """skorch's NeuralNet with length-bucketed batches, module-defined losses, optional
    mixed precision, and no host synchronisation per batch.

    Parameters
    ----------
    shuffle_seed : int
        Seeds the order of training batches, offset by the epoch number, so that each
        epoch differs and continued training (``warm_start``, ``partial_fit``) shuffles
        as one long run would.
    precision : {"32", "bf16", "fp16"}
        The module's forward pass runs under ``torch.autocast`` with this dtype; losses
        and outputs are float32. "fp16" scales the loss (``torch.amp.GradScaler``) and
        unscales the gradients before callbacks (gradient clipping) see them.
    **kwargs
        As for :class:`skorch.NeuralNet`; ``criterion`` defaults to :class:`WeightedLoss`.
    """

    def __init__(self, *args, criterion=WeightedLoss, shuffle_seed=0, precision="32", **kwargs):
        super().__init__(*args, criterion=criterion, **kwargs)
        self.shuffle_seed = shuffle_seed
        self.precision = precision

    def initialize_optimizer(self, *args, **kwargs):
        super().initialize_optimizer(*args, **kwargs)
        # Beside the optimizer: both are (re)made together, also by AccelerateMixin.
        self.grad_scaler_ = torch.amp.GradScaler(
            self.compute_device.type, enabled=self.precision == "fp16"
        )
        return self

    @property
    def compute_device(self) -> torch.device:
        """Where the module runs and batches go."""
        return torch.device(self.device)

    @property
    def task_module(self):
        """The module itself, not a data-parallel wrapper around it."""
        return self.module_

    def autocast(self):
        """The mixed-precision context of the forward pass (none for "32")."""
        return autocast(self.precision, self.compute_device)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        losses, counts = self.task_module.loss(y_pred, y_true, X["lengths"])
        return self.criterion_(losses, counts, X.get("weight"))

    def infer(self, x, **fit_params):
        # Sample weights travel with the inputs (skorch's scoring callbacks expect the
        # targets alone as y) but are the loss's business, not the module's.
        return super().infer({k: v for k, v in x.items() if k != "weight"}, **fit_params)

    def train_step_single(self, batch, **fit_params):
        self.module_.train()
        inputs, targets = batch
        with self.autocast():
            y_pred = self.infer(inputs, **fit_params)
        loss = self.get_loss(y_pred.float(), targets, X=inputs, training=True)
        scaler = self.grad_scaler_
        scaler.scale(loss).backward()
        if scaler.is_enabled():
            scaler.unscale_(self.optimizer_)
        return {"loss": loss, "y_pred": y_pred}

    def train_step(self, batch, **fit_params):
        scaler = self.grad_scaler_
        if not scaler.is_enabled():
            return super().train_step(batch, **fit_params)
        # GradScaler cannot step with a closure: one step, as skorch's train_step does it.
        self.optimizer_.zero_grad()
        step = self.train_step_single(batch, **fit_params)
        self.notify(
            "on_grad_computed",
            named_parameters=TeeGenerator(self.get_all_learnable_params()),
            batch=batch,
            training=True,
        )
        scaler.step(self.optimizer_)
        scaler.update()
        return step

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """skorch's epoch loop, reading the batch losses from the device once per epoch.

        skorch records ``loss.item()`` after every batch, which makes the host wait for
        the GPU each time. Here the losses stay on the device and are written into the
        history (``<prefix>_loss``, ``<prefix>_batch_size``, ``<prefix>_batch_count``,
        the entries skorch writes) after the last batch, before ``on_epoch_end``; the
        batch-end callbacks still receive each batch's loss tensor.
        """
        if iterator is None:
            return
        losses, sizes, entries = [], [], []
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            entries.append(len(self.history[-1]["batches"]) - 1)
            step = step_fn(batch, **fit_params)
            losses.append(step["loss"].detach())
            sizes.append(len(batch[0]["lengths"]))
            self.notify("on_batch_end", batch=batch, training=training, **step)
        values = torch.stack(losses).float().cpu().tolist() if losses else []
        batches = self.history[-1]["batches"]
        for entry, value, size in zip(entries, values, sizes, strict=True):
            batches[entry][prefix + "_loss"] = value
            batches[entry][prefix + "_batch_size"] = size
        self.history.record(prefix + "_batch_count", len(values))

    def get_iterator(self, dataset, training=False):
        return BucketBatchIterator(
            dataset,
            self.batch_size,
            shuffle=training,
            epoch_seed=self._epoch_seed,
            shard=self._shard() if training else (0, 1),
            device=self.compute_device,
        )

    def _shard(self) -> tuple[int, int]:
        """(rank, number of processes) of data-parallel training."""
        return (0, 1)

    def _epoch_seed(self) -> int:
        return self.shuffle_seed + len(self.history)

    def evaluation_step(self, batch, training=False):
        if training:
            return super().evaluation_step(batch, training=True)
        self.check_is_fitted()
        self.module_.eval()
        with torch.inference_mode(), self.autocast():
            return self.infer(batch[0]).float()


class ClassifierNet(SequenceNet):
    """SequenceNet whose module gives class scores: ``predict_proba`` gives probabilities
    and ``predict`` class indices, as skorch's ``NeuralNetClassifier`` does, so that
    skorch's scoring callbacks (``EpochScoring("accuracy")``) work on it."""

    def predict_proba(self, X):
        return torch.softmax(torch.as_tensor(super().predict_proba(X)).double(), 1).numpy()

    def predict(self, X):
        return self.predict_proba(X).argmax(axis=1)


class StreamNet(SequenceNet):
    """SequenceNet for language models: truncated back-propagation through time.

    Each pass joins the texts of the dataset (shuffled when training), each after an
    ``<eos>``, cuts the token stream into ``batch_size`` parallel streams and yields them
    ``bptt`` steps at a time, in order (:class:`StreamIterator`). The recurrent state is
    carried from one chunk to the next, detached, in the pass's own
    :class:`CarriedState`; the module itself stays stateless.
    """

    def __init__(self, *args, bptt=35, **kwargs):
        super().__init__(*args, **kwargs)
        self.bptt = bptt

    def get_iterator(self, dataset, training=False):
        return StreamIterator(
            dataset,
            self.batch_size,
            self.bptt,
            shuffle=training,
            epoch_seed=self._epoch_seed,
            device=self.compute_device,
        )

    def infer(self, x, **fit_params):
        carried = x["carried"]
        tokens = x["x"].to(self.compute_device)
        logits, state = self.module_(tokens, x["lengths"], carried.state)
        carried.state = detach_state(state)
        return logits


class CarriedState:
    """The recurrent state one pass over a stream carries from chunk to chunk."""

    def __init__(self):
        self.state = None


class StreamIterator:
    """Chunks of parallel token streams over the texts of a SequenceDataset (see StreamNet).

    Each text's sample weight applies to its tokens and to the ``<eos>`` that ends it.
    """

    def __init__(self, dataset, n_streams, bptt, shuffle, epoch_seed, device=None):
        self.dataset = dataset
        self.n_streams = n_streams
        self.bptt = bptt
        self.shuffle = shuffle
        self.epoch_seed = epoch_seed
        self.device = device

    def streams(self):
        """Inputs, next-token targets and their weights (or None), each of shape
        (n_streams, stream_length)."""
        dataset = self.dataset
        rows = dataset.indices
        if self.shuffle:
            generator = torch.Generator().manual_seed(self.epoch_seed())
            rows = rows[torch.randperm(len(rows), generator=generator)]
        lengths = dataset.lengths[rows]
        # Text i starts after its <eos> at starts[i]; one final <eos> ends the stream.
        starts = torch.cumsum(lengths + 1, 0) - (lengths + 1)
        stream = torch.full((self._stream_size(),), EOS_ID)
        text, step = map(torch.from_numpy, sequence_steps(lengths.numpy()))
        stream[starts[text] + 1 + step] = dataset.values[dataset.offsets[rows][text] + step]
        n_streams, length = self._stream_shape()
        inputs = stream[: n_streams * length].view(n_streams, length)
        targets = stream[1 : n_streams * length + 1].view(n_streams, length)
        weights = None
        if dataset.weights is not None:
            # Target position p predicts stream token p + 1, which belongs to the text
            # whose span (its tokens and closing <eos>) covers it.
            owner = torch.repeat_interleave(dataset.weights[rows], lengths + 1)
            weights = owner[: n_streams * length].view(n_streams, length)
        return inputs, targets, weights

    def _stream_size(self) -> int:
        """Tokens in the joined stream: every text, an <eos> before each, one at the end."""
        return int(self.dataset.sample_lengths().sum()) + len(self.dataset) + 1

    def _stream_shape(self) -> tuple[int, int]:
        """(number of parallel streams, tokens per stream); each stream needs 2 tokens."""
        predicted = self._stream_size() - 1
        n_streams = max(1, min(self.n_streams, predicted // 2))
        return n_streams, predicted // n_streams

    def __len__(self) -> int:
        return -(-self._stream_shape()[1] // self.bptt)

    def __iter__(self):
        inputs, targets, weights = self.streams()
        carried = CarriedState()
        n_streams = inputs.size(0)
        for start in range(0, inputs.size(1), self.bptt):
            chunk = slice(start, start + self.bptt)
            x = inputs[:, chunk]
            lengths = torch.full((n_streams,), x.size(1), dtype=torch.long)
            batch = {"x": x, "lengths": lengths, "carried": carried}
            if weights is not None:
                batch["weight"] = weights[:, chunk]
            yield batch, targets[:, chunk]


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
    - A ``KeyboardInterrupt`` (which skorch turns into a normal return) mid-epoch
      restores the last completed epoch, drops the partial epoch from the history and
      warns.
    """

    def __init__(self, check_every=16):
        self.check_every = check_every

    def on_train_begin(self, net, **kwargs):
        self._snapshot(net)
        self.epoch_complete_ = True

    def on_epoch_begin(self, net, **kwargs):
        self.epoch_complete_ = False
        self.finite_ = None
        self.unchecked_ = 0

    def on_batch_end(self, net, batch=None, training=None, loss=None, **kwargs):
        if not training or loss is None:
            return
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
        self._snapshot(net)
        self.epoch_complete_ = True

    def on_train_end(self, net, **kwargs):
        if self.epoch_complete_:
            return
        epoch = len(net.history)
        self._restore(net)
        warnings.warn(
            f"Training was interrupted in epoch {epoch}; the model keeps the weights of "
            f"{self._kept(epoch)}.",
            UserWarning,
            stacklevel=2,
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


class HoldoutSplit:
    """skorch ``train_split``: hold out a fraction of a SequenceDataset for validation.

    Parameters
    ----------
    fraction : float
        Fraction of the samples held out.
    seed : int
        Seed of the split.
    stratified : bool
        Stratify by the dataset's targets (falls back to a plain split when a class is
        too rare to stratify).
    """

    def __init__(self, fraction, seed, stratified=False):
        self.fraction = fraction
        self.seed = seed
        self.stratified = stratified

    def __call__(self, dataset, y=None):
        from sklearn.model_selection import train_test_split

        positions = np.arange(len(dataset))
        stratify = dataset.sample_targets() if self.stratified else None
        try:
            train, valid = train_test_split(
                positions, test_size=self.fraction, random_state=self.seed, stratify=stratify
            )
        except ValueError:  # a class too rare to stratify
            train, valid = train_test_split(
                positions, test_size=self.fraction, random_state=self.seed
            )
        return dataset.subset(train), dataset.subset(valid)


class _AccelerateSequenceMixin(AccelerateMixin):
    """skorch's AccelerateMixin, fitted to sk_rnn's nets.

    The net's ``device`` is None, as skorch asks when the accelerator places the model;
    batches go to the accelerator's device. Each process trains on its own share of the
    batches, and predictions are not gathered across processes: every process predicts
    on all of its own input.
    """

    @property
    def compute_device(self) -> torch.device:
        return torch.device(self.accelerator.device)

    @property
    def task_module(self):
        return self.accelerator.unwrap_model(self.module_)

    def _shard(self):
        return (self.accelerator.process_index, self.accelerator.num_processes)

    def evaluation_step(self, batch, training=False):
        # Prediction is per process: SequenceNet's step, without AccelerateMixin's gather.
        return SequenceNet.evaluation_step(self, batch, training=training)


@functools.cache
def accelerated(net_class: type[SequenceNet]) -> type[SequenceNet]:
    """``net_class`` trained through Hugging Face Accelerate; built on first use.

    The class is published in this module under its name so that pickle finds it.
    """
    name = f"Accelerated{net_class.__name__}"
    cls = type(name, (_AccelerateSequenceMixin, net_class), {"__module__": __name__})
    setattr(sys.modules[__name__], name, cls)
    return cls

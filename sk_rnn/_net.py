"""The skorch nets every estimator trains with: batching, the weighted loss, mixed
precision, the validation split, and training through Accelerate.

A net trains any :class:`~sk_rnn._modules.TaskModule`:
the module defines its loss (``module.loss``), :class:`WeightedLoss` (the skorch
criterion) applies sample weights and normalises. The one training loop is skorch's; the
nets customise it through its documented hooks (``get_iterator``, ``infer``,
``get_loss``, ``train_step_single``, ``train_step``, ``evaluation_step``,
``run_single_epoch``).
"""

from __future__ import annotations

import functools
import sys

import numpy as np
import torch
from skorch import NeuralNet
from skorch.hf import AccelerateMixin
from skorch.utils import TeeGenerator

from ._batching import BlockBatchIterator, BucketBatchIterator
from ._callbacks import PlainPrintLog
from ._datasets import StreamedDataset
from ._device import autocast

__all__ = [
    "ClassifierNet",
    "HoldoutSplit",
    "SequenceNet",
    "WeightedLoss",
    "accelerated",
]


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

    @property
    def _default_callbacks(self):
        # skorch's, with the epoch table in colour on a terminal only.
        return [
            (name, PlainPrintLog() if name == "print_log" else callback)
            for name, callback in super()._default_callbacks
        ]

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
        if isinstance(dataset, StreamedDataset):
            return BlockBatchIterator(
                dataset,
                self.batch_size,
                shuffle=training,
                epoch_seed=self._epoch_seed,
                device=self.compute_device,
            )
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

        holdout = getattr(dataset, "holdout", None)  # a streamed dataset keeps blocks whole
        split = None if holdout is None else holdout(self.fraction, self.seed)
        if split is not None:
            return split
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

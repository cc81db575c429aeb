"""The skorch side: the net every estimator trains with, and its safety callback."""

from __future__ import annotations

import contextlib
import copy
import math
import warnings

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback
from skorch.hf import AccelerateMixin

from ._data import IGNORE_INDEX, BucketBatchIterator, sequence_steps
from ._text import EOS_INDEX

# precision parameter -> autocast dtype (None: plain float32).
PRECISIONS = {"32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


class SequenceNet(NeuralNet):
    """skorch's NeuralNet with length-bucketed batches, inference-mode evaluation and
    optional mixed precision.

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
        As for :class:`skorch.NeuralNet`.
    """

    def __init__(self, *args, shuffle_seed=0, precision="32", **kwargs):
        super().__init__(*args, **kwargs)
        self.shuffle_seed = shuffle_seed
        self.precision = precision

    def initialize(self):
        super().initialize()
        device_type = torch.device(self.device).type
        self.grad_scaler_ = torch.amp.GradScaler(device_type, enabled=self.precision == "fp16")
        return self

    def autocast(self):
        """The mixed-precision context of the forward pass (none for "32")."""
        dtype = PRECISIONS[self.precision]
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(torch.device(self.device).type, dtype=dtype)

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        inputs, targets = batch
        with self.autocast():
            y_pred = self.infer(inputs, **fit_params)
        loss = self.get_loss(y_pred.float(), targets, X=inputs, training=True)
        scaler = self.grad_scaler_
        scaler.scale(loss).backward()
        if scaler.is_enabled():
            for name in self._optimizers:
                scaler.unscale_(getattr(self, name + "_"))
        return {"loss": loss, "y_pred": y_pred}

    def _step_optimizer(self, step_fn):
        scaler = self.grad_scaler_
        if not scaler.is_enabled():
            return super()._step_optimizer(step_fn)
        step_fn()  # GradScaler cannot step with a closure
        for name in self._optimizers:
            scaler.step(getattr(self, name + "_"))
        scaler.update()

    def get_iterator(self, dataset, training=False):
        return BucketBatchIterator(
            dataset,
            self.batch_size,
            shuffle=training,
            epoch_seed=self._epoch_seed,
            shard=self._shard() if training else (0, 1),
            device=self.device,
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
        self._set_training(False)
        with torch.inference_mode(), self.autocast():
            return self.infer(batch[0]).float()


class PerStepNet(SequenceNet):
    """SequenceNet whose module predicts scores at every step: the loss is the mean
    cross-entropy over the steps whose target is not ``IGNORE_INDEX``."""

    def get_loss(self, y_pred, y_true, X=None, training=False):
        return self.criterion_(y_pred.transpose(1, 2), y_true.to(y_pred.device))


def target_log_likelihoods(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Log-probability (float64) of each per-step target under ``logits`` of shape
    (batch, steps, classes); 0 where the target is ``IGNORE_INDEX``."""
    targets = targets.to(logits.device)
    log_probabilities = torch.log_softmax(logits.double(), -1)
    picked = log_probabilities.gather(2, targets.clamp(min=0)[:, :, None]).squeeze(2)
    return picked.masked_fill(targets == IGNORE_INDEX, 0.0)


class TaggingNet(PerStepNet):
    """SequenceNet for per-step labels (padding labelled ``IGNORE_INDEX``).

    The loss is the mean cross-entropy per labelled step, or with a CRF head the
    negative log-likelihood of the label sequences divided by the number of labelled
    steps (so both are on the same per-token scale).
    """

    def get_loss(self, y_pred, y_true, X=None, training=False):
        crf = self.module_.crf
        if crf is None:
            return super().get_loss(y_pred, y_true)
        y_true = y_true.to(y_pred.device)
        mask = y_true != IGNORE_INDEX
        return crf.negative_log_likelihood(y_pred, y_true, mask).sum() / mask.sum()


class StreamNet(PerStepNet):
    """SequenceNet for language models: truncated back-propagation through time.

    Each pass joins the texts of the dataset (shuffled when training), each after an
    ``<eos>``, cuts the token stream into ``batch_size`` parallel streams and yields them
    ``bptt`` steps at a time, in order, so that the module carries its hidden state from
    one chunk to the next (it is reset at the start of every pass).
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
            on_start=self.module_.reset_state,
        )


class StreamIterator:
    """Chunks of parallel token streams over the texts of a SequenceDataset (see StreamNet)."""

    def __init__(self, dataset, n_streams, bptt, shuffle, epoch_seed, on_start):
        self.dataset = dataset
        self.n_streams = n_streams
        self.bptt = bptt
        self.shuffle = shuffle
        self.epoch_seed = epoch_seed
        self.on_start = on_start

    def streams(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs and next-token targets, each of shape (n_streams, stream_length)."""
        dataset = self.dataset
        rows = dataset.indices
        if self.shuffle:
            generator = torch.Generator().manual_seed(self.epoch_seed())
            rows = rows[torch.randperm(len(rows), generator=generator)]
        lengths = dataset.lengths[rows]
        # Text i starts after its <eos> at starts[i]; one final <eos> ends the stream.
        starts = torch.cumsum(lengths + 1, 0) - (lengths + 1)
        stream = torch.full((self._stream_size(),), EOS_INDEX)
        text, step = map(torch.from_numpy, sequence_steps(lengths.numpy()))
        stream[starts[text] + 1 + step] = dataset.values[dataset.offsets[rows][text] + step]
        n_streams, length = self._stream_shape()
        inputs = stream[: n_streams * length].view(n_streams, length)
        targets = stream[1 : n_streams * length + 1].view(n_streams, length)
        return inputs, targets

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
        inputs, targets = self.streams()
        self.on_start()
        n_streams = inputs.size(0)
        for start in range(0, inputs.size(1), self.bptt):
            x = inputs[:, start : start + self.bptt]
            lengths = torch.full((n_streams,), x.size(1), dtype=torch.long)
            yield {"x": x, "lengths": lengths}, targets[:, start : start + self.bptt]


class LastGoodEpoch(Callback):
    """Keep the weights of the last completed epoch, and fall back to them when needed.

    - A NaN or infinite training loss stops training with a ``FloatingPointError`` naming
      the epoch; the module and optimizer are restored to the last completed epoch (or to
      their initial state if the first epoch diverged).
    - A ``KeyboardInterrupt`` (which skorch turns into a normal return) mid-epoch
      restores the last completed epoch, drops the partial epoch from the history and
      warns.
    """

    def on_train_begin(self, net, **kwargs):
        self._snapshot(net)
        self.epoch_complete_ = True

    def on_epoch_begin(self, net, **kwargs):
        self.epoch_complete_ = False

    def on_batch_end(self, net, batch=None, training=None, loss=None, **kwargs):
        if not training or loss is None or math.isfinite(loss.item()):
            return
        epoch = len(net.history)
        self._restore(net)
        raise FloatingPointError(
            f"The training loss became {loss.item()} in epoch {epoch}; training stopped and "
            f"the model keeps the weights of {self._kept(epoch)}. Try a lower lr (now "
            f"{net.lr}), gradient clipping (clip_grad_norm), or standardised inputs and "
            "targets."
        )

    def on_epoch_end(self, net, **kwargs):
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

    skorch keeps the accelerator's device (so batches move there as usual), each process
    trains on its own share of the batches, and predictions are not gathered across
    processes: every process predicts on all of its own input.
    """

    def _validate_params(self):
        super(AccelerateMixin, self)._validate_params()
        if self.device is not None and torch.device(self.device) != self.accelerator.device:
            raise ValueError("With an accelerator, the device is the accelerator's.")

    def _initialize_accelerator(self):
        # DDP refuses modules without trainable parameters, like sk_rnn's losses: prepare
        # only the criteria that have some.
        all_criteria = self._criteria
        self._criteria = [
            name
            for name in all_criteria
            if any(p.requires_grad for p in getattr(self, name + "_").parameters())
        ]
        try:
            return super()._initialize_accelerator()
        finally:
            self._criteria = all_criteria

    def _shard(self):
        return (self.accelerator.process_index, self.accelerator.num_processes)

    def evaluation_step(self, batch, training=False):
        return super(AccelerateMixin, self).evaluation_step(batch, training=training)


class AcceleratedSequenceNet(_AccelerateSequenceMixin, SequenceNet):
    pass


class AcceleratedPerStepNet(_AccelerateSequenceMixin, PerStepNet):
    pass


class AcceleratedTaggingNet(_AccelerateSequenceMixin, TaggingNet):
    pass


class AcceleratedStreamNet(_AccelerateSequenceMixin, StreamNet):
    pass


ACCELERATED_NETS = {
    SequenceNet: AcceleratedSequenceNet,
    PerStepNet: AcceleratedPerStepNet,
    TaggingNet: AcceleratedTaggingNet,
    StreamNet: AcceleratedStreamNet,
}

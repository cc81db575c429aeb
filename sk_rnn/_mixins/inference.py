"""The one inference runner: prediction, scoring and generation batched, moved to the
device, run under ``inference_mode`` and autocast, and brought back as numpy."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from .._batching import BucketBatchIterator
from .._datasets import make_dataset
from .._prefetch import prefetched, to_device
from .._validation import positional

__all__ = ["InferenceMixin", "InferenceNeeds", "module_outputs"]

# Prediction validates and encodes this many batches at a time, so that its memory grows
# with batch_size, not with the number of samples.
_PREDICT_CHUNK_BATCHES = 64


class InferenceNeeds(Protocol):
    """What :class:`InferenceMixin` needs from the estimator it is mixed into, besides
    ``batch_size``: the fitted net, and the input and target encodings."""

    net_: Any

    def _encode_inputs(self, X, *, first_index: int = 0) -> Any: ...

    def _encode_targets(self, y, sequences) -> Any: ...


class InferenceMixin:
    """Inference for an estimator with a fitted ``net_`` and ``_encode_inputs``
    (:class:`InferenceNeeds`)."""

    def _inference_batches(self, X, y=None, *, dataset=None):
        """``X`` (and ``y``) validated, encoded and batched for inference.

        Yields ``(samples, inputs, targets)``: the positions in ``X`` of the batch's
        sequences, the module's inputs and the encoded targets (CPU tensors), as the
        datasets of ``sk_rnn._datasets`` give them. ``X`` is validated and encoded a
        chunk at a time, so peak memory depends on ``batch_size``, not on the number of
        samples.

        ``dataset(sequences, y_chunk)`` builds each chunk's dataset; by default the
        training dataset of the chunk (with ``_encode_targets`` when ``y`` is given).
        """
        check_is_fitted(self)
        X = positional(X)
        y = None if y is None else positional(y)
        if dataset is None:
            dataset = self._scoring_dataset
        for positions, X_chunk, y_chunk in _chunks(X, y, self.batch_size * _PREDICT_CHUNK_BATCHES):
            sequences = self._encode_inputs(X_chunk, first_index=int(positions[:1].sum()))
            data = dataset(sequences, y_chunk)
            for batch in BucketBatchIterator(data, self.batch_size).batches():
                inputs, targets = data[batch]
                yield positions[batch], inputs, targets

    def _scoring_dataset(self, sequences, y):
        return make_dataset(sequences, None if y is None else self._encode_targets(y, sequences))

    def _run(self, batches, step):
        """Run ``step(module, inputs, targets)`` on every batch, for inference.

        ``batches`` yields ``(samples, inputs, targets)`` (see
        :meth:`_inference_batches`). Each batch goes to the model's device (gathered
        ahead into pinned memory on CUDA) and runs in evaluation mode, under
        ``torch.inference_mode()`` and the model's mixed precision. Yields ``(samples,
        outputs)`` with the outputs (a tensor or a tuple of them) back on the CPU, at
        full precision.
        """
        check_is_fitted(self)
        net = self.net_
        module = net.task_module
        device = net.compute_device
        module.eval()
        for samples, inputs, targets in prefetched(batches, device):
            inputs, targets = to_device((inputs, targets), device)  # where not prefetched
            with torch.inference_mode(), net.autocast():
                outputs = step(module, inputs, targets)
            yield samples, _to_cpu(outputs)

    def _predict_rows(self, X, step, y=None, dataset=None) -> np.ndarray:
        """``step``'s outputs, one row per sample of ``X`` (scored against ``y`` when
        given), in the order of ``X``; ``dataset`` as for :meth:`_inference_batches`."""
        samples, outputs = [], []
        batches = self._inference_batches(X, y, dataset=dataset)
        for batch, batch_outputs in self._run(batches, step):
            samples.append(batch)
            outputs.append(batch_outputs.numpy())
        result = np.empty((sum(map(len, samples)), *outputs[0].shape[1:]), outputs[0].dtype)
        result[np.concatenate(samples)] = np.concatenate(outputs)
        return result

    def _predict_steps(self, X, step) -> list[np.ndarray]:
        """``step``'s per-step outputs, cut into one array per sequence of ``X``.

        ``step`` returns a tensor of shape ``(batch, steps, ...)``; each sequence keeps
        its first ``length`` steps (its length in model steps).
        """

        def with_lengths(module, inputs, targets):
            return step(module, inputs, targets), inputs["lengths"]

        out = [None] * len(positional(X))
        for samples, (outputs, lengths) in self._run(self._inference_batches(X), with_lengths):
            for sample, values, n in zip(samples, outputs.numpy(), lengths.tolist(), strict=True):
                out[sample] = values[:n]
        return out

    def _forward(self, X) -> np.ndarray:
        """The module's outputs for ``X``, one row per sample, in the order of ``X``."""
        return self._predict_rows(X, module_outputs)


def _chunks(X, y, size: int):
    """``(positions, X chunk, y chunk)``: ``size`` samples at a time, or a streamed
    table's blocks (so that a chunk's rows are read together)."""
    if getattr(X, "streamed", False):
        for block in X.blocks():
            yield block, X[block], None if y is None else np.asarray(y)[block]
        return
    for start in range(0, max(len(X), 1), size):
        stop = start + size
        positions = np.arange(start, min(stop, len(X)))
        yield positions, X[start:stop], None if y is None else y[start:stop]


def module_outputs(module, inputs, targets):
    """A ``step`` for :meth:`InferenceMixin._run`: the module's forward pass."""
    return module(**inputs)


def _to_cpu(outputs):
    """Outputs on the CPU; 16-bit floats (mixed precision) come back as float32."""
    if isinstance(outputs, tuple):
        return tuple(_to_cpu(o) for o in outputs)
    if outputs.dtype in (torch.float16, torch.bfloat16):
        outputs = outputs.float()
    return outputs.cpu()

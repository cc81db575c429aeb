"""Where sk_rnn's GPU training time goes, next to the loops of ``bench_gpu.py``.

For each setting, throughput (training sequences/s, median of 3 epochs after a warm-up) of:

- ``RNNClassifier.fit``;
- sk_rnn's own module in a plain PyTorch loop, batches taken from GPU-resident data, with
  and without reading the loss back every batch (``loss.item()``, as skorch does);
- the same module and loop, batches gathered on the CPU by sk_rnn's ``BucketBatchIterator``
  and copied to the GPU per batch, either when needed from pageable memory or (as ``fit``
  does) ahead of time by a background thread, from pinned memory;
- the two hand-written loops of ``bench_gpu.py``;

then a cProfile of two epochs of ``fit``. The differences locate the overhead: module,
data path, or the per-batch work around the step.

Usage (on a CUDA machine)::

    python benchmarks/diagnose_gpu.py
"""

from __future__ import annotations

import cProfile
import pstats

import bench_gpu as bench
import torch
from torch import nn

from sk_rnn import RNNClassifier
from sk_rnn._data import BucketBatchIterator, SequenceDataset, Sequences

EPOCHS = 4


def main():
    if not torch.cuda.is_available():
        raise SystemExit("diagnose_gpu.py needs a CUDA device; none is available here.")
    X, y = bench.synthetic()
    device = torch.device(bench.DEVICE)
    resident = bench.ResidentData(X, y)
    dataset = SequenceDataset(Sequences.from_list(X), y)

    def gpu_batches(epoch):
        return resident.batches()

    def cpu_batches(epoch):
        iterator = BucketBatchIterator(dataset, bench.BATCH, True, lambda: epoch)
        for inputs, batch_targets in iterator:
            yield inputs["x"].to(device), inputs["lengths"], batch_targets.to(device)

    def prefetched_batches(epoch):
        iterator = BucketBatchIterator(dataset, bench.BATCH, True, lambda: epoch, device=device)
        for inputs, batch_targets in iterator:
            yield inputs["x"], inputs["lengths"], batch_targets

    variants = [
        ("module, GPU-resident batches", gpu_batches, False),
        ("module, GPU-resident batches, loss read back", gpu_batches, True),
        ("module, CPU-gathered batches", cpu_batches, False),
        ("module, CPU-gathered batches, loss read back", cpu_batches, True),
        ("module, batches gathered ahead and pinned, loss read back", prefetched_batches, True),
    ]
    for bidirectional, precision in [(True, "32"), (False, "bf16")]:
        print(f"== bidirectional={bidirectional} precision={precision}", flush=True)
        ours = bench.sk_rnn_throughput(X, y, bidirectional, precision, EPOCHS)
        print(f"RNNClassifier.fit: {ours:,.0f}", flush=True)
        template = RNNClassifier(
            hidden_size=bench.HIDDEN,
            bidirectional=bidirectional,
            max_epochs=1,
            device=bench.DEVICE,
        ).fit(X[:256], y[:256])
        for name, batches, read_loss in variants:
            torch.manual_seed(0)
            module = template.net_.module_
            for parameter in module.parameters():
                nn.init.uniform_(parameter, -0.06, 0.06)
            speed = bench.train_throughput(module, batches, precision, EPOCHS, len(X), read_loss)
            print(f"{name}: {speed:,.0f}", flush=True)
        for module in (bench.PackedLSTM, bench.PaddedLSTM):
            speed = bench.hand_written_throughput(X, y, bidirectional, precision, EPOCHS, module)
            print(f"hand-written {module.__name__}: {speed:,.0f}", flush=True)

    profile = cProfile.Profile()
    model = RNNClassifier(
        hidden_size=bench.HIDDEN,
        bidirectional=True,
        batch_size=bench.BATCH,
        max_epochs=2,
        device=bench.DEVICE,
    )
    profile.enable()
    model.fit(X, y)
    profile.disable()
    pstats.Stats(profile).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()

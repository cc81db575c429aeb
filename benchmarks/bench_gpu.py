"""Training throughput on a GPU: RNNClassifier against a hand-written cuDNN loop.

Same data (synthetic, 20,000 sequences of 20 to 400 steps x 16 features), same batches
policy (length buckets), same model size. The hand-written loops are what a PyTorch
expert writes for CUDA: data moved to the GPU once, Adam, gradient clipping, and either
``pack_padded_sequence`` into one ``torch.nn.LSTM`` (cuDNN's variable-length path) or
batches padded to their own longest sequence with an exact readout (the backward
direction run on each sequence reversed within its length). The faster of the two is
the reference. Reported: training sequences per second (median of ``--repeats`` epochs
after a warm-up epoch) and the ratio sk_rnn / best hand-written loop, for uni- and
bidirectional LSTMs, in float32 and in mixed precision (``precision="bf16"`` vs
``torch.autocast``).

Usage (on a CUDA machine)::

    python benchmarks/bench_gpu.py
    python benchmarks/bench_gpu.py --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from common import markdown_table, write_section
from skorch.callbacks import Callback
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence

from sk_rnn import RNNClassifier

N_SEQUENCES, N_FEATURES, HIDDEN, BATCH = 20_000, 16, 256, 128
DEVICE = "cuda"


def synthetic(seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(20, 401, N_SEQUENCES)
    X = [rng.normal(size=(n, N_FEATURES)).astype(np.float32) for n in lengths]
    y = np.array([int(x[: n // 2, 0].sum() > 0) for x, n in zip(X, lengths, strict=True)])
    return X, y


class EpochTimes(Callback):
    def on_train_begin(self, net, **kwargs):
        self.times = []

    def on_epoch_begin(self, net, **kwargs):
        torch.cuda.synchronize()
        self.start = time.perf_counter()

    def on_epoch_end(self, net, **kwargs):
        torch.cuda.synchronize()
        self.times.append(time.perf_counter() - self.start)


def sk_rnn_throughput(X, y, bidirectional, precision, epochs):
    model = RNNClassifier(
        hidden_size=HIDDEN,
        bidirectional=bidirectional,
        batch_size=BATCH,
        max_epochs=epochs,
        device=DEVICE,
        precision=precision,
        callbacks=[("epoch_times", EpochTimes())],
        random_state=0,
    ).fit(X, y)
    # Callbacks are copied at each fit: read the times off the fitted net's copy.
    timer = dict(model.net_.callbacks_)["epoch_times"]
    return len(X) / np.median(timer.times[1:])


class PackedLSTM(nn.Module):
    def __init__(self, bidirectional):
        super().__init__()
        self.rnn = nn.LSTM(N_FEATURES, HIDDEN, batch_first=True, bidirectional=bidirectional)
        self.head = nn.Linear(HIDDEN * (2 if bidirectional else 1), 2)

    def forward(self, x, lengths):
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, (h, _) = self.rnn(packed)
        last = torch.cat([h[-2], h[-1]], 1) if self.rnn.bidirectional else h[-1]
        return self.head(last)


class PaddedLSTM(nn.Module):
    """Padded batches; padding never reaches the readout of either direction."""

    def __init__(self, bidirectional):
        super().__init__()
        self.forward_rnn = nn.LSTM(N_FEATURES, HIDDEN, batch_first=True)
        self.backward_rnn = nn.LSTM(N_FEATURES, HIDDEN, batch_first=True) if bidirectional else None
        self.head = nn.Linear(HIDDEN * (2 if bidirectional else 1), 2)

    def forward(self, x, lengths):
        lengths = lengths.to(x.device)
        rows = torch.arange(len(x), device=x.device)
        last = [self.forward_rnn(x)[0][rows, lengths - 1]]
        if self.backward_rnn is not None:
            steps = torch.arange(x.size(1), device=x.device)
            source = (lengths[:, None] - 1 - steps).clamp(min=0)
            reversed_x = x.gather(1, source[:, :, None].expand_as(x))
            last.append(self.backward_rnn(reversed_x)[0][rows, lengths - 1])
        return self.head(torch.cat(last, 1))


class ResidentData:
    """The whole data set padded once and kept on the GPU, as the hand-written loops keep it."""

    def __init__(self, X, y):
        self.lengths = torch.tensor([len(x) for x in X])
        self.padded = pad_sequence([torch.from_numpy(x) for x in X], batch_first=True).to(DEVICE)
        self.targets = torch.from_numpy(y).to(DEVICE)

    def batches(self):
        """One epoch of ``(x, lengths, targets)``: shuffled pools of 50 batches, each pool
        sorted by length, batches trimmed to their longest sequence, in random order."""
        perm = torch.randperm(len(self.lengths))
        buckets = []
        for chunk in perm.split(BATCH * 50):
            chunk = chunk[torch.argsort(self.lengths[chunk], stable=True)]
            buckets += list(chunk.split(BATCH))
        for i in torch.randperm(len(buckets)).tolist():
            rows = buckets[i]
            on_device = rows.to(DEVICE)
            lengths = self.lengths[rows]
            yield self.padded[on_device, : int(lengths.max())], lengths, self.targets[on_device]


def train_throughput(model, batches, precision, epochs, n_sequences, read_loss=False):
    """Training sequences/s of a plain loop (Adam, gradient clipping) over ``batches(epoch)``,
    median of the epochs after the first. ``read_loss`` reads the loss back every batch, as
    skorch does."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    device_type = torch.device(DEVICE).type
    times = []
    for epoch in range(epochs):
        torch.cuda.synchronize()
        start = time.perf_counter()
        for x, lengths, targets in batches(epoch):
            optimizer.zero_grad()
            with torch.autocast(device_type, dtype=dtype, enabled=dtype is not None):
                logits = model(x=x, lengths=lengths)
            loss = loss_fn(logits.float(), targets)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            if read_loss:
                loss.item()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return n_sequences / np.median(times[1:])


def hand_written_throughput(X, y, bidirectional, precision, epochs, module):
    torch.manual_seed(0)
    data = ResidentData(X, y)
    model = module(bidirectional).to(DEVICE)
    return train_throughput(model, lambda epoch: data.batches(), precision, epochs, len(X))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed epochs after a warm-up")
    parser.add_argument("--write", type=Path, help="write the results into this markdown file")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("bench_gpu.py needs a CUDA device; none is available here.")
    X, y = synthetic()
    epochs = args.repeats + 1
    rows = []
    for bidirectional in (False, True):
        for precision in ("32", "bf16"):
            ours = sk_rnn_throughput(X, y, bidirectional, precision, epochs)
            packed, padded = (
                hand_written_throughput(X, y, bidirectional, precision, epochs, module)
                for module in (PackedLSTM, PaddedLSTM)
            )
            name = f"LSTM-{HIDDEN} {'bi' if bidirectional else 'uni'}directional, {precision}"
            ratio = ours / max(packed, padded)
            rows.append([name, f"{ours:,.0f}", f"{packed:,.0f}", f"{padded:,.0f}", f"{ratio:.2f}"])
            print(rows[-1], flush=True)
    headers = [
        "model",
        "sk_rnn (seq/s)",
        "hand-written, packed (seq/s)",
        "hand-written, padded (seq/s)",
        "sk_rnn / best",
    ]
    table = markdown_table(headers, rows)
    print(table)
    if args.write:
        body = (
            f"GPU: {torch.cuda.get_device_name()}. {N_SEQUENCES:,} sequences of 20-400 steps "
            f"x {N_FEATURES} features, batch {BATCH}, training throughput (median of "
            f"{args.repeats} epochs after a warm-up).\n\n{table}"
        )
        write_section(args.write, "gpu", "python benchmarks/bench_gpu.py", body)


if __name__ == "__main__":
    main()

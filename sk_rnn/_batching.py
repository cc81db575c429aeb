"""Batching: length-bucketed batches for training, and the length order of inference."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from ._prefetch import prefetched

__all__ = ["BlockBatchIterator", "BucketBatchIterator", "length_order", "read_ahead"]


def length_order(lengths: np.ndarray) -> np.ndarray:
    """Deterministic order, shortest first, in which inference batches are formed."""
    return np.argsort(lengths, kind="stable")


class BucketBatchIterator:
    """Length-bucketed batches over a :class:`SequenceDataset`.

    Training (``shuffle=True``): each pass draws a random permutation, cuts it into pools
    of ``pool_batches`` batches, sorts each pool by length and shuffles the resulting
    batches, so batches hold sequences of similar length yet differ from epoch to epoch.
    Inference (``shuffle=False``): batches follow :func:`length_order`.

    Parameters
    ----------
    dataset : SequenceDataset
    batch_size : int
    shuffle : bool, default=False
    epoch_seed : callable returning int, or None
        Called at the start of each shuffled pass for the seed of that pass. Seeding by
        epoch number makes 3 + 3 epochs of continued training shuffle exactly like 6.
    pool_batches : int, default=50
    shard : (int, int), default=(0, 1)
        ``(rank, world_size)`` for data-parallel training: every process draws the same
        shuffled batches and keeps every ``world_size``-th one from ``rank`` on (the last
        few are dropped so that all processes take the same number of steps).
    device : str, torch.device or None, default=None
        Where the batches go. On a CUDA device, each batch is gathered by a background
        thread into pinned memory while the previous one trains, and copied without
        blocking, so the GPU does not wait for the CPU between batches. Otherwise
        batches stay on the CPU (the net moves them).
    """

    def __init__(
        self,
        dataset,
        batch_size,
        shuffle=False,
        epoch_seed=None,
        pool_batches=50,
        shard=(0, 1),
        device=None,
    ):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.epoch_seed = epoch_seed
        self.pool_batches = pool_batches
        self.shard = shard
        self.device = device

    def __len__(self) -> int:
        return -(-len(self.dataset) // self.batch_size) // self.shard[1]

    def batches(self) -> list[np.ndarray]:
        """Positions (into the dataset) of each batch, in iteration order."""
        lengths = self.dataset.sample_lengths()
        size = self.batch_size
        if not self.shuffle:
            order = length_order(lengths)
            return [order[i : i + size] for i in range(0, len(order), size)]
        generator = torch.Generator().manual_seed(self.epoch_seed() if self.epoch_seed else 0)
        perm = torch.randperm(len(lengths), generator=generator).numpy()
        pool = size * self.pool_batches
        batches = []
        for start in range(0, len(perm), pool):
            chunk = perm[start : start + pool]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches.extend(chunk[i : i + size] for i in range(0, len(chunk), size))
        shuffled = torch.randperm(len(batches), generator=generator).numpy()
        batches = [batches[i] for i in shuffled]
        rank, world_size = self.shard
        return batches[rank : len(batches) // world_size * world_size : world_size]

    def __iter__(self):
        # The order is drawn here, in the caller's thread, where the epoch seed is current.
        gathered = (self.dataset[positions] for positions in self.batches())
        return prefetched(gathered, self.device)


class BlockBatchIterator:
    """Length-bucketed batches over a :class:`~sk_rnn._datasets.StreamedDataset`, read
    from its table a pool of blocks at a time.

    Training (``shuffle=True``): each pass shuffles the table's blocks and reads
    ``pool_blocks`` of them at a time, each pool batched as :class:`BucketBatchIterator`
    batches a dataset (shuffled, sorted by length in pools, batches shuffled); a
    background thread reads and encodes the next pool while the current one trains.
    Memory depends on the block and pool sizes, not on the size of the table. Inference
    and validation (``shuffle=False``): the blocks in order, batched by length.
    """

    def __init__(
        self, dataset, batch_size, shuffle=False, epoch_seed=None, pool_blocks=4, device=None
    ):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.epoch_seed = epoch_seed
        self.pool_blocks = pool_blocks
        self.device = device

    def __len__(self) -> int:
        return -(-len(self.dataset) // self.batch_size)

    def pools(self) -> tuple[int, list[np.ndarray]]:
        """The pass's seed and the positions of each pool, in the order they are read."""
        blocks = self.dataset.blocks()
        seed = self.epoch_seed() if self.shuffle and self.epoch_seed else 0
        order = np.arange(len(blocks))
        if self.shuffle:
            generator = torch.Generator().manual_seed(seed)
            order = torch.randperm(len(blocks), generator=generator).numpy()
        step = self.pool_blocks
        pools = [
            np.concatenate([blocks[i] for i in order[k : k + step]])
            for k in range(0, len(order), step)
        ]
        return seed, pools

    def __iter__(self):
        # The order is drawn here, in the caller's thread, where the epoch seed is current.
        seed, pools = self.pools()

        def batches():
            for number, data in enumerate(read_ahead(self.dataset.load, pools)):
                pool_seed = (seed * 1_000_003 + number) % 2**62
                inner = BucketBatchIterator(
                    data, self.batch_size, shuffle=self.shuffle, epoch_seed=lambda s=pool_seed: s
                )
                for positions in inner.batches():
                    yield data[positions]
                del data, inner  # before the next pool is taken, so that it can be freed

        return prefetched(batches(), self.device)


def read_ahead(load, items):
    """``load(item)`` of each item in turn, the next one loaded by a background thread
    while the caller works on the current one (reading a file overlaps training)."""

    with ThreadPoolExecutor(max_workers=1) as reader:
        pending = reader.submit(load, items[0]) if len(items) else None
        for number in range(len(items)):
            result = pending.result()
            if number + 1 < len(items):
                pending = reader.submit(load, items[number + 1])
            yield result
            del result  # the caller is done with it
            release_freed_memory()


@functools.cache
def _malloc_trim():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to trim
        return None


def release_freed_memory() -> None:
    """Give freed heap memory back to the system (glibc's ``malloc_trim``; nothing
    elsewhere). Pools of varying sizes, freed one after another, otherwise stay with the
    process, and its resident memory creeps up with the number of pools read (glibc
    raises its threshold for returning large blocks as they are freed; Dask's workers
    trim for the same reason)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)

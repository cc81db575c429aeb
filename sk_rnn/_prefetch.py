"""Prefetching batches onto a device: gathered in a background thread into pinned
memory, copied without blocking, so the GPU does not wait for the CPU between batches."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator

import torch

__all__ = ["in_background", "pin_memory", "prefetched", "to_device"]


def _map_tensors(function, batch):
    """``function`` applied to every tensor in nested tuples, lists and dicts."""
    if isinstance(batch, torch.Tensor):
        return function(batch)
    if isinstance(batch, dict):
        return {key: _map_tensors(function, value) for key, value in batch.items()}
    if isinstance(batch, tuple | list):
        return type(batch)(_map_tensors(function, value) for value in batch)
    return batch


def pin_memory(batch):
    """The batch with every tensor in page-locked memory (needed for asynchronous copies)."""
    return _map_tensors(torch.Tensor.pin_memory, batch)


def to_device(batch, device, non_blocking=False):
    """The batch with every tensor on ``device``."""
    return _map_tensors(lambda t: t.to(device, non_blocking=non_blocking), batch)


_DONE = object()


def in_background(items: Iterable, ahead: int = 2) -> Iterator:
    """Iterate ``items`` in a background thread, at most ``ahead`` items in advance.

    Torch releases the GIL inside its kernels, so the thread's tensor work overlaps the
    caller's. An exception raised by ``items`` is raised to the caller; closing the
    returned generator early (``break``, an exception in the caller) stops the thread.
    """
    ready: queue.Queue = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for item in items:
                if not put((item, None)):
                    return
        except BaseException as error:  # handed to the caller, raised there
            put((_DONE, error))
            return
        put((_DONE, None))

    thread = threading.Thread(target=produce, name="sk_rnn-batches", daemon=True)
    thread.start()
    try:
        while True:
            item, error = ready.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        thread.join()


def prefetched(batches: Iterable, device) -> Iterator:
    """``batches`` on ``device``: on a CUDA device each is gathered ahead by a background
    thread into pinned memory and copied without blocking; elsewhere they are yielded as
    they are (the net or the runner moves them)."""
    if device is None or torch.device(device).type != "cuda":
        yield from batches
        return
    for batch in in_background(map(pin_memory, batches)):
        yield to_device(batch, device, non_blocking=True)

"""Devices, numeric precision and seeding: where a model runs, in what precision, from
what random state. Nothing here knows about estimators.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import multiprocessing
import os
import tempfile

import numpy as np
import torch
from sklearn.utils import check_random_state

__all__ = [
    "draw_seed",
    "autocast",
    "check_precision",
    "resolve_device",
    "seeded",
    "worker_gpu",
    "worker_slot",
    "PRECISIONS",
]


# precision parameter -> autocast dtype (None: plain float32).
PRECISIONS = {"32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_device(device) -> str:
    """The torch device string for the ``device`` parameter, checked to exist here.

    ``"auto"`` takes CUDA if available, then MPS, else the CPU; ``"cuda"`` without an
    index takes the worker's own GPU inside a parallel search (:func:`worker_gpu`).
    """
    name = str(device)
    if name == "auto":
        if torch.cuda.is_available():
            return worker_gpu()
        if torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    try:
        kind = torch.device(name).type
    except RuntimeError:
        raise ValueError(
            f"device={device!r} is not a valid device; use 'cpu', 'cuda', 'cuda:N', 'mps' or "
            "'auto'."
        ) from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} but CUDA is not available on this machine; use "
            "device='cpu', or device='auto' to take a GPU only when there is one."
        )
    if name == "cuda":
        return worker_gpu()
    if kind == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device={device!r} but MPS is not available on this machine.")
    if kind not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device={device!r} is not supported; use cpu, cuda or mps.")
    return name


def check_precision(precision: str, device: str) -> None:
    """Raise a ValueError if ``precision`` cannot run on ``device``."""
    kind = torch.device(device).type
    if precision == "32":
        return
    if kind == "mps":
        raise ValueError(f"precision={precision!r} is not supported on MPS; use '32'.")
    if precision == "fp16" and kind != "cuda":
        raise ValueError(
            f"precision='fp16' needs a CUDA device (device is {device!r}); on a CPU use "
            "precision='bf16'."
        )
    if precision == "bf16" and kind == "cuda" and not torch.cuda.is_bf16_supported():
        raise ValueError(
            "precision='bf16' is not supported by this GPU (it needs compute capability "
            "8.0, Ampere, or newer); use precision='fp16'."
        )


def autocast(precision: str, device) -> contextlib.AbstractContextManager:
    """The mixed-precision context of a forward pass (none for ``"32"``).

    On a CPU whose oneDNN build has no bfloat16 recurrent kernels (CPUs without AVX-512
    BF16, for example), oneDNN refuses a bf16 LSTM; the recurrent layers then run on
    torch's own kernels, in float32, and the rest of the network in bf16.
    """
    dtype = PRECISIONS[precision]
    if dtype is None:
        return contextlib.nullcontext()
    kind = torch.device(device).type
    context = torch.autocast(kind, dtype=dtype)
    if kind == "cpu" and dtype == torch.bfloat16 and not _onednn_runs_bf16_rnn():
        stack = contextlib.ExitStack()
        stack.enter_context(_onednn_disabled())
        stack.enter_context(context)
        return stack
    return context


@contextlib.contextmanager
def _onednn_disabled():
    # torch.backends.mkldnn.flags() would also re-set oneDNN's TF32 flag, which warns on
    # every CPU; only the enabled flag is switched here.
    previous = _set_onednn_enabled(False)
    try:
        yield
    finally:
        _set_onednn_enabled(previous)


def _set_onednn_enabled(enabled: bool) -> bool:
    """Switch oneDNN on or off, leaving its other flags alone; returns the old setting."""
    try:
        flags = torch.backends.mkldnn.set_flags(_enabled=enabled, _fp32_precision=None)
    except TypeError:  # torch before 2.9 has no fp32 precision flag
        flags = torch.backends.mkldnn.set_flags(_enabled=enabled)
    return flags[0]


@functools.cache
def _onednn_runs_bf16_rnn() -> bool:
    lstm = torch.nn.LSTM(2, 2, batch_first=True)
    try:
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            lstm(torch.zeros(1, 2, 2))
    except RuntimeError:
        return False
    return True


def draw_seed(random_state) -> int:
    """A seed for torch and for shuffling, drawn from ``random_state`` (None, an int or a
    RandomState) as scikit-learn estimators draw theirs."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


@contextlib.contextmanager
def seeded(device, seed: int):
    """Fork torch's global RNG (CPU, and the CUDA device in use) and seed the fork, so that
    the caller's random state is left untouched."""
    device = torch.device(device)
    cuda = device.type == "cuda"
    with torch.random.fork_rng(devices=[device.index or 0] if cuda else []):
        torch.default_generator.manual_seed(seed)
        if cuda:
            with torch.cuda.device(device):
                torch.cuda.manual_seed(seed)
        yield


def worker_gpu() -> str:
    """``"cuda"`` in the main process; in a parallel worker, the worker's own GPU.

    Worker ``k`` of a search (joblib processes, or a dask ``LocalCluster``) takes GPU
    ``k % n_gpus``, so ``GridSearchCV(n_jobs=n_gpus)`` puts one fit on each GPU.
    """
    slot = worker_slot()
    if slot is None:
        return "cuda"
    return f"cuda:{slot % torch.cuda.device_count()}"


def worker_slot() -> int | None:
    """The 0-based slot of the parallel worker running this code, or None outside one.

    - a dask worker whose name is an integer (``LocalCluster`` numbers its workers 0, 1,
      ...): that number;
    - a worker process of joblib (loky) or ``multiprocessing``: the lowest slot that no
      other live worker of the same parent holds. Slots are held with lock files that
      the operating system releases when a worker exits, and a worker moves down to a
      lower slot freed since, so ``n`` live workers hold slots ``0 .. n-1`` whatever
      the session started and retired before (a process counter keeps growing, and
      loky retires idle workers and shrinks pools).

    Threads of the main process (joblib's threading backend) are not told apart: they
    share the main process's device.
    """
    try:
        from distributed import get_worker

        name = get_worker().name
        if isinstance(name, int):
            return name
    except (ImportError, ValueError):
        pass
    if not multiprocessing.parent_process():
        return None
    return _claimed_slot()


_claim = None  # (pid, slot, open lock file) of the slot this process holds


def _claimed_slot() -> int:
    global _claim
    try:
        import fcntl
    except ImportError:  # Windows: the process number
        return multiprocessing.current_process()._identity[0] - 1
    held = _claim if _claim is not None and _claim[0] == os.getpid() else None
    if _claim is not None and not held:  # forked from a worker: the lock is the parent's
        _claim[2].close()
        _claim = None
    for slot in range(held[1]) if held else itertools.count():
        handle = open(
            os.path.join(tempfile.gettempdir(), f"sk_rnn-{os.getppid()}-slot-{slot}.lock"), "a"
        )
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        if held:
            held[2].close()
        _claim = (os.getpid(), slot, handle)
        return slot
    return held[1]

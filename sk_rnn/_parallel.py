"""Which parallel worker is this? Used to give each worker of a search its own GPU."""

from __future__ import annotations

import multiprocessing


def worker_slot() -> int | None:
    """The 0-based number of the parallel worker running this code, or None outside one.

    - a dask worker whose name is an integer (``LocalCluster`` numbers its workers 0, 1,
      ...): that number;
    - a worker process of joblib (loky) or ``multiprocessing``: its process number minus
      one (``LokyProcess-3`` is slot 2).

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
    identity = multiprocessing.current_process()._identity
    return identity[0] - 1 if identity else None

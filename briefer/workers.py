"""Thread pools that let an interrupt through at once.

A plain ``with ThreadPoolExecutor()`` waits for every running request when
an exception leaves the block, so Ctrl-C would wait for the model. Here an
exception cancels what has not started and returns at once; the CLI then
exits without waiting for requests in flight (outputs are written
atomically, so nothing is left half-written).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def worker_pool(workers: int) -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)

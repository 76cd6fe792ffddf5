"""Pausing Python's cyclic garbage collector while a batch is read and stored.

Why: a batch of 10 000 events lives as some 100 000 small objects (decoded records,
validated events, answers) until it is answered. Each of them survives the young
collections and is promoted, so the collector keeps running full collections, each
walking every object of the server; measured, that was about 40 % of the CPU time of
``Ingestor.ingest`` (ADR 0048). The batch's objects hold no reference cycles: they are
freed by reference counting when the batch ends, with or without the collector.

The pause is process-wide (``gc.disable``), so it is counted: concurrent batches (the
server's worker threads) pause it once and the last one to finish restarts it, and only
if it was running before the first paused it. Cycles made meanwhile by other code are
collected after the pause.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pausers = 0
_was_enabled = False


@contextmanager
def collection_paused() -> Iterator[None]:
    """The cyclic collector off for the block (and for overlapping blocks of others)."""
    global _pausers, _was_enabled  # noqa: PLW0603 - one process-wide pause count
    with _lock:
        if _pausers == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pausers += 1
    try:
        yield
    finally:
        with _lock:
            _pausers -= 1
            if _pausers == 0 and _was_enabled:
                gc.enable()

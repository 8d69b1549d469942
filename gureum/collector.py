"""Pausing Python's cyclic garbage collector while a bulk load makes millions of objects.

Each generation-2 collection walks every tracked object, and collections are triggered by
allocations: a load that makes N long-lived containers pays collections whose walks add up
to several times N (at 10k hosted zones × 100 records the DNS start-up spent half its 21 s
collecting, finding nothing). `paused()` turns the collector off for the load and back on
when the last pause ends, if it was on when the first began. Pauses nest and may overlap
across threads (a count under a lock); cyclic garbage made meanwhile is collected after.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    """The collector stays off inside (see the module docstring)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()

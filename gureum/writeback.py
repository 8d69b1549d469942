"""Early writeback of a file being written: `start(fd, offset, length)` asks the kernel to
begin writing that range to disk now, without waiting (Linux `sync_file_range` with
SYNC_FILE_RANGE_WRITE). A later fsync then finds little left to write, so a large upload's
commit does not stall on flushing all of it at once.

Only a hint: it gives no durability (the fsync at commit does) and is a no-op where the
call is missing (not Linux) or fails. libc is loaded on first use, never at import.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

SYNC_FILE_RANGE_WRITE = 2

_call: Callable[[int, int, int, int], int] | None = None
_loaded = False


def _load() -> Callable[[int, int, int, int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        fn = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


def start(fd: int, offset: int, length: int) -> bool:
    """Begin writing `length` bytes at `offset` of `fd` back to disk; False if not started."""
    global _call, _loaded
    if not _loaded:
        _call, _loaded = _load(), True
    if _call is None or length <= 0:
        return False
    return _call(fd, offset, length, SYNC_FILE_RANGE_WRITE) == 0

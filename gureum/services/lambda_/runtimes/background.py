"""Background installs: a runtime that runs on the nearest installed version while its declared
one can be built here (ruby3.3/ruby3.4 from Debian's sources: minutes) gets that build started
by its first use, off the invoke path, so later environments run the declared version and no
invoke waits for a build.

Owns:
- one daemon worker thread per process running `Runtime.install()` for queued runtimes, one at
  a time (a build takes both cores; across processes the family's own install lock serialises
  builds of one line);
- the set of runtimes queued or done in this process (each is tried once per process; a failed
  try leaves the nearest running, as before);
- the state files `<cache>/runtimes/.building/<runtime>` holding the pid of the process whose
  install of that runtime is under way (`installing(name)`: written before the install starts,
  removed when it ends; the worker and `gureum runtimes --install` write them). `building(name)` reads them, so `gureum runtimes` (another process) shows "building";
  a file whose process is gone is stale and means not building.

A family opts in with `background(rt) -> bool` in its module (whether a first use should
start an install of the declared version).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from gureum.sandbox.launcher import default_cache_dir

if TYPE_CHECKING:
    from gureum.services.lambda_.runtimes import Runtime

log = logging.getLogger("gureum.lambda")

_queue: queue.Queue[Runtime] = queue.Queue()
_seen: set[str] = set()  # runtimes queued (or installed) by this process
_guard = threading.Lock()
_worker: threading.Thread | None = None


def state_dir() -> Path:
    return default_cache_dir() / "runtimes" / ".building"


def building(name: str) -> bool:
    """Whether some live process is installing runtime `name` in the background now."""
    try:
        pid = int((state_dir() / name).read_text().strip() or "0")
    except (OSError, ValueError):
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


@contextlib.contextmanager
def installing(name: str) -> Iterator[None]:
    """Marks runtime `name` as being installed by this process while the block runs (the
    background worker, and `gureum runtimes --install`)."""
    state = state_dir() / name
    with contextlib.suppress(OSError):
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(f"{os.getpid()}\n")
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            state.unlink()


def start(rt: Runtime) -> bool:
    """Queue the install of `rt`'s declared version when its family builds it in the
    background and this process has not queued it yet. Never blocks; True when queued now."""
    global _worker
    if not rt.background():
        return False
    with _guard:
        if rt.name in _seen:
            return False
        _seen.add(rt.name)
        _queue.put(rt)
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_work, name="gureum-runtime-install", daemon=True)
            _worker.start()
    return True


def _work() -> None:
    while True:
        rt = _queue.get()
        try:
            with installing(rt.name):
                tc = rt.install()
            log.info("lambda: %s installed in the background: %s (%s)", rt.name, tc.version, tc.source)
        except Exception as exc:  # the nearest keeps running it; the reason is logged once
            log.warning("lambda: installing %s in the background failed: %s", rt.name, exc)
        finally:
            _queue.task_done()

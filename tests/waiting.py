"""The one way tests wait: `wait_for` polls a condition until it holds or a deadline passes.

Tests never sleep a fixed time to let something happen and never assert how long something
took; they wait for the state they need, observable through an API, a file or a process, and
fail with a message naming what they waited for and the last value seen."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(what: str, condition: Callable[[], T], timeout: float = 60.0, interval: float = 0.2) -> T:
    """Call `condition` every `interval` seconds until it returns a truthy value, and return that
    value; after `timeout` seconds raise AssertionError naming `what` and the last value."""
    deadline = time.monotonic() + timeout
    while True:
        last = condition()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what} (last: {last!r})")
        time.sleep(interval)

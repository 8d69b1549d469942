"""The one way tests wait: `wait_for` polls a condition until it holds or a deadline passes
(`wait_for_async` is the same loop for code already running on an event loop, where a blocking
sleep would stall the very thing being waited for).

Tests never sleep a fixed time to let something happen and never assert how long something
took; they wait for the state they need, observable through an API, a file or a process, and
fail with a message naming what they waited for and the last value seen. tests/test_test_habits.py
keeps it that way: a sleep inside a loop anywhere else in tests/ needs a `# real time:` comment
saying why it is not synchronisation, and no other module defines its own wait or poll helper."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def _timed_out(what: str, timeout: float, last: object) -> AssertionError:
    return AssertionError(f"timed out after {timeout:g} s waiting for {what} (last: {last!r})")


def wait_for(what: str, condition: Callable[[], T], timeout: float = 60.0, interval: float = 0.2) -> T:
    """Call `condition` every `interval` seconds until it returns a truthy value, and return that
    value; after `timeout` seconds raise AssertionError naming `what` and the last value."""
    deadline = time.monotonic() + timeout
    while True:
        last = condition()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise _timed_out(what, timeout, last)
        time.sleep(interval)


async def wait_for_async(what: str, condition: Callable[[], T | Awaitable[T]], timeout: float = 60.0, interval: float = 0.05) -> T:
    """`wait_for` on the running event loop: `condition` may be a plain function or a coroutine
    function; between calls the loop runs (asyncio.sleep), so tasks and callbacks make progress."""
    deadline = time.monotonic() + timeout
    while True:
        got = condition()
        last: T = await got if inspect.isawaitable(got) else got
        if last:
            return last
        if time.monotonic() >= deadline:
            raise _timed_out(what, timeout, last)
        await asyncio.sleep(interval)

"""Periodic background loops in one place (`app.every(interval, fn, name=...)`): the wait between
runs (with jitter, so nodes sharing a store do not fire in lockstep), cancellation (the loop
is a task owned by the node's TaskGroup and stops with it), and error handling: a run that
raises is logged with the loop's name, once per streak of the same error (with its
traceback), and the loop goes on; the first good run after a streak says it recovered.

The loop itself (`run_every`) takes its sleep and random source as arguments so tests drive
it with a fake clock.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("gureum.every")

Job = Callable[[], "Awaitable[Any] | Any"]


def delay(interval: float, jitter: float, rand: Callable[[], float] = random.random) -> float:
    """`interval` spread by +-`jitter` (a fraction of it), never negative."""
    return max(0.0, interval * (1.0 + jitter * (2.0 * rand() - 1.0)))


async def run_every(
    interval: float,
    fn: Job,
    *,
    name: str,
    jitter: float = 0.1,
    first: float | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    rand: Callable[[], float] = random.random,
) -> None:
    """Call `fn()` (awaiting it if it returns an awaitable) every `interval` seconds, the
    first time after `first` seconds (default: one jittered interval), until cancelled."""
    if interval <= 0:
        raise ValueError(f"loop {name}: interval must be positive, got {interval}")
    failing: tuple[type[BaseException], str] | None = None
    await sleep(delay(interval, jitter, rand) if first is None else first)
    while True:
        try:
            result = fn()
            if inspect.isawaitable(result):
                await result
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            what = (type(exc), str(exc))
            if what != failing:
                log.exception("background loop %s failed (it goes on every %gs)", name, interval)
                failing = what
        else:
            if failing is not None:
                log.info("background loop %s recovered", name)
                failing = None
        await sleep(delay(interval, jitter, rand))

"""Following the store's change log: every event of a topic applied once, whether this node
committed it (delivered in-process right after the commit) or another node sharing the store
did (found by polling `events_since`).

The two paths meet in `ChangeFollower`: events delivered in-process are applied at once and
remembered; the poller walks the log in sequence order from its own position and applies
what was not applied yet. The position is never advanced by an in-process event, because
another node's commit may take a smaller sequence number and become visible later.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from gureum.store.base import Event, Store

PAGE = 1000
KEEP = 4096  # how far behind the position applied events are remembered


async def latest_seq(store: Store) -> int:
    """The newest change-log sequence number (the store has no direct call: search for it)."""
    lo, hi = 0, 1024
    while await store.events_since(hi, 1):
        lo, hi = hi, hi * 2
    while lo < hi:  # invariant: events exist after lo, none after hi
        mid = (lo + hi) // 2
        if await store.events_since(mid, 1):
            lo = mid + 1
        else:
            hi = mid
    return lo


class ChangeFollower:
    """Calls `apply(event)` once per event whose topic starts with `topic`, from `start()` on."""

    def __init__(self, store: Store, topic: str, apply: Callable[[Event], Any]) -> None:
        self.store = store
        self.topic = topic
        self.apply = apply
        self.position = 0  # every event up to here has been seen by the poller
        self._applied: set[int] = set()  # recently applied, by either path
        self._unsubscribe: Callable[[], None] | None = None

    async def start(self) -> None:
        """From now on: take the log's current end as the position, then subscribe in-process
        (an event committed in between is newer than the position: the poller finds it)."""
        self.position = await latest_seq(self.store)
        self._unsubscribe = self.store.subscribe(self.topic, self.on_local)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _once(self, event: Event) -> None:
        if event.seq in self._applied:
            return
        self._applied.add(event.seq)
        if len(self._applied) > 2 * KEEP:
            floor = self.position - KEEP
            self._applied = {s for s in self._applied if s > floor}
        self.apply(event)

    def on_local(self, event: Event) -> None:
        if event.topic.startswith(self.topic):
            self._once(event)

    async def poll(self) -> int:
        """Apply what other nodes committed since the last poll; returns how many events."""
        n = 0
        while True:
            events = await self.store.events_since(self.position, PAGE)
            for event in events:
                self.position = event.seq
                if event.topic.startswith(self.topic) and event.seq not in self._applied:
                    self._once(event)
                    n += 1
            if len(events) < PAGE:
                return n

    async def poll_forever(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self.poll()

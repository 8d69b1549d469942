"""Concurrency limits across nodes that share a store.

Each node counts its own in-flight invocations (scheduler.py). With a shared store, every
node also publishes its counts (per function, and unreserved per account and region) to the
table "lambda.inflight" when they change, and at least every few seconds as a heartbeat. It
reads the other nodes' counts back, and the scheduler adds them when it admits an
invocation. No store write is on an invocation's path, so a limit is held across nodes to
within one publishing interval (`lambda.concurrency_share_interval`, default 0.5 s). A node
that stops publishing for STALE seconds stops counting.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.services.lambda_.scheduler import Scheduler

TABLE = "lambda.inflight"
HEARTBEAT = 5.0  # seconds between publications when nothing changed
STALE = 15.0  # a node silent this long is no longer counted


def _publish_and_read(txn: Any, me: str, mine: dict[str, Any] | None, now: float) -> list[dict[str, Any]]:
    if mine is not None:
        txn.put(TABLE, me, mine)
    return [d for k, d in txn.scan(TABLE) if k != me and now - d["ts"] <= STALE]


async def run(app: App, scheduler: Scheduler) -> None:
    """Publish this node's counts and take in the others' until cancelled."""
    interval = float(app.config.setting("lambda.concurrency_share_interval", "0.5") or 0.5)
    me = app.node_id
    last: tuple[dict[str, int], dict[str, int]] | None = None
    published = 0.0
    try:
        while True:
            now = time.time()
            counts = scheduler.local_counts()
            mine = None
            if counts != last or now - published >= HEARTBEAT:
                mine = {"ts": now, "functions": counts[0], "unreserved": counts[1]}
            if mine is not None:
                others = await app.store.run(functools.partial(_publish_and_read, me=me, mine=mine, now=now))
                last, published = counts, now
            else:
                others = await app.store.read(functools.partial(_publish_and_read, me=me, mine=None, now=now))
            functions: Counter[str] = Counter()
            unreserved: Counter[str] = Counter()
            for d in others:
                functions.update(d.get("functions") or {})
                unreserved.update(d.get("unreserved") or {})
            scheduler.set_remote(dict(functions), dict(unreserved))
            await asyncio.sleep(interval)
    finally:
        scheduler.set_remote({}, {})
        with contextlib.suppress(Exception):  # going away anyway: the row goes stale
            await asyncio.shield(app.store.run(lambda t: t.delete(TABLE, me)))

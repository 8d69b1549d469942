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

import contextlib
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


class Sharing:
    """This node's side of the exchange: `step()` once per interval (app.every), `close()`
    when the Lambda component stops."""

    def __init__(self, app: App, scheduler: Scheduler) -> None:
        self.app = app
        self.scheduler = scheduler
        self.me = app.node_id
        self._last: tuple[dict[str, int], dict[str, int]] | None = None
        self._published = 0.0

    async def step(self) -> None:
        """Publish this node's counts (when changed, or as a heartbeat) and take in the others'."""
        now = time.time()
        counts = self.scheduler.local_counts()
        me = self.me
        if counts != self._last or now - self._published >= HEARTBEAT:
            mine = {"ts": now, "functions": counts[0], "unreserved": counts[1]}
            others = await self.app.store.run(lambda t: _publish_and_read(t, me, mine, now))
            self._last, self._published = counts, now
        else:
            others = await self.app.store.read(lambda t: _publish_and_read(t, me, None, now))
        functions: Counter[str] = Counter()
        unreserved: Counter[str] = Counter()
        for d in others:
            functions.update(d.get("functions") or {})
            unreserved.update(d.get("unreserved") or {})
        self.scheduler.set_remote(dict(functions), dict(unreserved))

    async def close(self) -> None:
        """Stop counting the others and withdraw this node's row."""
        self.scheduler.set_remote({}, {})
        me = self.me
        with contextlib.suppress(Exception):  # going away anyway: the row goes stale
            await self.app.store.run(lambda t: t.delete(TABLE, me))


def start(app: App, scheduler: Scheduler) -> Sharing:
    """Exchange counts every lambda.concurrency_share_interval seconds (from now on)."""
    from gureum.services.lambda_.settings import LambdaSettings

    sharing = Sharing(app, scheduler)
    app.every(app.settings(LambdaSettings).concurrency_share_interval, sharing.step, name="lambda-concurrency", first=0.0)
    return sharing

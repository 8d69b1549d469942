"""Durable HTTP/HTTPS delivery for SNS: every notification or subscription confirmation to an
http(s) endpoint is a row in the store before Publish/Subscribe returns, worked by the `sns`
component with the subscription's retry policy; a restart resumes what was pending. Given up
deliveries go to the subscription's dead-letter queue (RedrivePolicy).

Table `sns_deliveries`, key `<due ms:013d>/<id>`: {sub (the subscription document at
publish time), kind, message_id, body, attempt}.

Several nodes on one store (`Store.shared`) each run a deliverer over the same table: a
node claims a due row before posting it, in one transaction that moves it to a lease key
`<now + LEASE_MS>/<id>`, so no other node sees it due while the post is in flight (a row
another node already claimed is gone: skipped). A node that dies mid-post leaves its lease row, which falls due
again after the lease and is delivered then (at least once, as AWS promises).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from gureum.services.sns import endpoints
from gureum.services.sns.redrive import to_dead_letter_queue
from gureum.services.sns.slots import DELIVERER

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store.base import Txn

log = logging.getLogger("gureum.sns")

DELIVERIES = "sns_deliveries"
PARALLEL = 16
LEASE_MS = 120_000  # longer than a post can take (endpoints.http_post times out at 15 s)


def _now_ms() -> int:
    return int(time.time() * 1000)


class Deliverer:
    def __init__(self, app: App) -> None:
        self.app = app
        self.wake = asyncio.Event()
        self.busy: set[str] = set()
        self.slots = asyncio.Semaphore(PARALLEL)

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            while True:
                now = _now_ms()
                rows = await self.app.store.read(functools.partial(_due, end=f"{now + 1:013d}"))
                for key, row in rows:
                    if key in self.busy:
                        continue
                    self.busy.add(key)
                    await self.slots.acquire()
                    tg.create_task(self._attempt(key, row))
                look = len(self.busy) + 1  # past the rows in flight, to the next one due
                nxt = await self.app.store.read(functools.partial(_first, n=look))
                due = [int(k.split("/", 1)[0]) for k, _ in nxt if k not in self.busy]
                timeout = max(0.0, (min(due) - _now_ms()) / 1000) if due else 60.0
                self.wake.clear()
                try:
                    await asyncio.wait_for(self.wake.wait(), timeout)
                except TimeoutError:
                    pass

    async def _attempt(self, due_key: str, row: dict[str, Any]) -> None:
        key = due_key
        try:
            if self.app.store.shared:  # other nodes' deliverers see the same rows
                claimed = await self.app.store.run(functools.partial(_claim, key=due_key))
                if claimed is None:  # another node took it
                    return
                key, row = claimed
            sub = row["sub"]
            ok, permanent = await endpoints.post_once(sub, row["kind"], row["message_id"], row["body"])
            policy = endpoints.retry_policy(sub)
            retries = int(policy.get("numRetries", 3))
            attempt = row.get("attempt", 0)
            if ok or permanent or attempt >= retries:
                await self.app.store.run(lambda t: t.delete(DELIVERIES, key))
                if not ok:
                    log.warning("SNS http delivery to %s given up after %d attempts", sub["endpoint"], attempt + 1)
                    await to_dead_letter_queue(self.app, sub, row["body"])
                return
            delay = 0.0 if attempt < int(policy.get("numNoDelayRetries", 0)) else float(policy.get("minDelayTarget", 20))
            due = _now_ms() + int(delay * 1000)
            new = dict(row, attempt=attempt + 1)

            def move(t: Txn) -> None:
                t.delete(DELIVERIES, key)
                t.put(DELIVERIES, f"{due:013d}/{uuid.uuid4().hex}", new)

            await self.app.store.run(move)
            self.wake.set()
        except Exception:
            log.exception("SNS delivery %s failed unexpectedly", key)
        finally:
            self.busy.discard(due_key)
            self.slots.release()


async def schedule(app: App, sub: dict[str, Any], kind: str, message_id: str, body: str) -> None:
    """Queue one http(s) delivery durably; the `sns` component makes it (now)."""
    row = {"sub": sub, "kind": kind, "message_id": message_id, "body": body, "attempt": 0}
    key = f"{_now_ms():013d}/{uuid.uuid4().hex}"
    await app.store.run(lambda t: t.put(DELIVERIES, key, row))
    deliverer = app.parts.get(DELIVERER)
    if deliverer is not None:
        deliverer.wake.set()


async def run(app: App) -> None:
    deliverer = Deliverer(app)
    app.parts.put(DELIVERER, deliverer)
    app.set_status("sns", "running")
    await deliverer.run()


def _claim(txn: Txn, key: str) -> tuple[str, dict[str, Any]] | None:
    """Move a due delivery to its lease key; None when another node already claimed it."""
    row = txn.get(DELIVERIES, key)
    if row is None:
        return None
    lease = f"{_now_ms() + LEASE_MS:013d}/{key.split('/', 1)[1]}"
    txn.delete(DELIVERIES, key)
    txn.put(DELIVERIES, lease, row)
    return lease, row


def _due(txn: Txn, end: str) -> list[tuple[str, dict[str, Any]]]:
    """The first 200 deliveries due before `end` (a time key)."""
    return txn.scan(DELIVERIES, "", end=end, limit=200)


def _first(txn: Txn, n: int) -> list[tuple[str, dict[str, Any]]]:
    """The `n` deliveries due first."""
    return txn.scan(DELIVERIES, "", limit=n)

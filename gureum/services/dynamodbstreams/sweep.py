"""The `dynamodbstreams-retention` component: every `sweep_seconds`, stream records older
than 24 hours are deleted (a key range per shard: sequence numbers begin with their arrival
ms), and streams disabled more than 24 hours ago are dropped with their shards."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from gureum import periodic
from gureum.services.dynamodbstreams import model as M
from gureum.services.dynamodbstreams.settings import StreamsSettings
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

BATCH = 1000


def trim(txn: Txn, key: str, now: int) -> int:
    doc = txn.get(M.STREAMS, key)
    if doc is None:
        return 0
    cutoff = now - M.RETENTION_MS
    if doc.get("disabled") is not None and int(doc["disabled"]) < cutoff:
        M.drop_stream(txn, key)
        return 0
    deleted = 0
    for _, sh in txn.scan(M.SHARDS, key + "/"):
        prefix = f"{key}/{sh['id']}/"
        rows = txn.scan(M.RECORDS, prefix, end=prefix + f"{cutoff:013d}", limit=BATCH - deleted)
        for k, _ in rows:
            txn.delete(M.RECORDS, k)
        deleted += len(rows)
        if deleted >= BATCH:
            break
    return deleted


async def sweep(app: App) -> int:
    keys = await app.store.read(lambda t: [k for k, _ in t.scan(M.STREAMS)])
    total = 0
    for key in keys:
        def step(t: Txn, key: str = key) -> int:
            return trim(t, key, int(time.time() * 1000))

        while True:
            n = await app.store.run(step)
            total += n
            if n < BATCH:
                break
    return total


async def run(app: App) -> None:
    settings = app.settings(StreamsSettings)
    app.set_status("dynamodbstreams", "running")
    await periodic.run_every(settings.sweep_seconds, lambda: sweep(app), name="dynamodbstreams-retention")

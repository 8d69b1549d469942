"""The `kinesis-retention` component: every `sweep_seconds`, records older than their
stream's retention period are deleted (a key range per shard: sequence numbers begin with
their arrival time), closed shards whose every record has aged out are dropped, and each
stream's open shard-hours since the last sweep go to the usage ledger. A stream's metering
mark ("metered" ms, in kinesis_counters) moves in the same transaction that reads it, so
nodes sharing a store bill each hour once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gureum import periodic
from gureum.services.kinesis import records as R
from gureum.services.kinesis import shards as S
from gureum.services.kinesis import streams as K
from gureum.services.kinesis.settings import KinesisSettings
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

BATCH = 1000


def trim_stream(txn: Txn, key: str, now: int) -> int:
    """Delete up to BATCH expired records of the stream at `key`; how many."""
    doc = txn.get(K.STREAMS, key)
    if doc is None:
        return 0
    cutoff = now - int(doc["retention"]) * 3600 * 1000
    deleted = 0
    for sh in K.shards_of(txn, key):
        prefix = f"{key}/{sh['id']}/"
        rows = txn.scan(R.RECORDS, prefix, end=prefix + S.time_start(cutoff), limit=BATCH - deleted)
        for k, _ in rows:
            txn.delete(R.RECORDS, k)
        deleted += len(rows)
        if sh.get("closed") is not None and int(sh["closed"]) < cutoff and not txn.scan(R.RECORDS, prefix, limit=1):
            txn.delete(K.SHARDS, f"{key}/{sh['id']}")
        if deleted >= BATCH:
            break
    return deleted


def meter(txn: Txn, key: str, now: int) -> dict[str, Any] | None:
    """The shard-hours the stream at `key` kept open since its last mark (None: nothing yet)."""
    doc = txn.get(K.STREAMS, key)
    if doc is None:
        return None
    counters = txn.get(K.COUNTERS, key) or {"n": 0, "ms": 0}
    since = int(counters.get("metered") or doc["created"])
    counters["metered"] = now
    txn.put(K.COUNTERS, key, counters)
    hours = 0.0
    for sh in K.shards_of(txn, key):
        lo = max(since, int(sh["opened"]))
        hi = min(now, int(sh["closed"])) if sh.get("closed") is not None else now
        if hi > lo:
            hours += (hi - lo) / 3_600_000
    if hours <= 0:
        return None
    account, region, _ = key.split("/", 2)
    return {"account": account, "region": region, "resource": doc["StreamARN"], "shard_hours": hours}


async def sweep(app: App) -> int:
    keys = await app.store.read(lambda t: [k for k, _ in t.scan(K.STREAMS)])
    total = 0
    for key in keys:
        def trim(t: Txn, key: str = key) -> int:
            return trim_stream(t, key, K.now_ms())

        def mark(t: Txn, key: str = key) -> dict[str, Any] | None:
            return meter(t, key, K.now_ms())

        while True:
            n = await app.store.run(trim)
            total += n
            if n < BATCH:
                break
        row = await app.store.run(mark)
        if row is not None:
            app.ledger.record(row.pop("account"), "kinesis", row)
    return total


async def run(app: App) -> None:
    settings = app.settings(KinesisSettings)
    app.set_status("kinesis", "running")
    await periodic.run_every(settings.sweep_seconds, lambda: sweep(app), name="kinesis-retention")

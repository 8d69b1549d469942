"""The TTL sweep (and the idempotency tokens' expiry): every `ttl_sweep_seconds`, for each table whose TTL is enabled, items whose
TTL attribute is a Number (epoch seconds) in the past are deleted (index rows and counters
with them, items.write), at most `ttl_batch` per store transaction. As in AWS, an item whose
expiry lies more than five years in the past, or whose attribute is not a Number, is kept.
Each sweep also meters provisioned tables' capacity-hours (capacity_hours.py).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from gureum import periodic
from gureum.services.dynamodb import capacity_hours
from gureum.services.dynamodb import items as I
from gureum.services.dynamodb import tables as T
from gureum.services.dynamodb import values as V
from gureum.services.dynamodb.batch import TOKEN_SECONDS, TOKENS
from gureum.services.dynamodb.settings import DynamoDbSettings
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

FIVE_YEARS = 5 * 365 * 86400


def expired(item: V.Item, attr: str, now: float) -> bool:
    v = item.get(attr)
    if v is None or V.kind(v) != "N":
        return False
    at = float(V.to_decimal(v["N"]))
    return now - FIVE_YEARS <= at < now


def sweep_table(txn: Txn, key: str, now: float, batch: int, start: str | None) -> tuple[int, str | None]:
    """Delete up to `batch` expired items of the table at `key`, scanning from `start`; the
    number deleted and where the next run goes on (None: the table is done)."""
    doc = txn.get(T.TABLES, key)
    if doc is None or not (doc.get("Ttl") or {}).get("Enabled"):
        return 0, None
    account, region, _ = key.split("/", 2)
    s = I.schema(account, region, doc)
    attr = doc["Ttl"]["AttributeName"]
    rows = txn.scan(I.ITEMS, key + "/", start=start, limit=batch * 4)
    deleted = 0
    for k, row in rows:
        item = V.item_from_store(row["i"])
        if expired(item, attr, now):
            I.write(txn, s, item, None, service=True)  # the stream's record names DynamoDB's service identity
            deleted += 1
            if deleted >= batch:
                return deleted, k[:-1] + "0"
    return deleted, (rows[-1][0][:-1] + "0") if len(rows) == batch * 4 else None


def drop_old_tokens(txn: Txn, now: float, batch: int) -> int:
    """Forget transaction idempotency tokens past their 10 minutes (batch.py)."""
    old = [k for k, d in txn.scan(TOKENS, limit=batch * 20) if now - float(d["at"]) >= TOKEN_SECONDS][:batch]
    for k in old:
        txn.delete(TOKENS, k)
    return len(old)


def _ttl_tables(txn: Txn) -> list[str]:
    return [k for k, d in txn.scan(T.TABLES) if (d.get("Ttl") or {}).get("Enabled")]


async def sweep(app: App) -> int:
    settings = app.settings(DynamoDbSettings)
    total = 0
    for key in await app.store.read(_ttl_tables):
        start: str | None = None
        while True:
            def step(t: Txn, key: str = key, start: str | None = start) -> tuple[int, str | None]:
                return sweep_table(t, key, time.time(), settings.ttl_batch, start)

            n, start = await app.store.run(step)
            total += n
            if start is None:
                break
    await app.store.run(lambda t: drop_old_tokens(t, time.time(), settings.ttl_batch))
    await capacity_hours.sweep(app, time.time())  # provisioned capacity-hours to the ledger
    return total


async def run(app: App) -> None:
    """The sweep, until the node stops."""
    settings = app.settings(DynamoDbSettings)
    app.set_status("dynamodb", "running")
    await periodic.run_every(settings.ttl_sweep_seconds, lambda: sweep(app), name="dynamodb-ttl")

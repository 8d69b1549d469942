"""Tables' capacity-hours and storage in the usage ledger: at each sweep (the dynamodb-ttl
component, every `dynamodb.ttl_sweep_seconds`), every table's stored bytes (its items' sizes
plus AWS's 100 bytes of overhead per item) and, for a PROVISIONED table, its read and write
capacity units (its global secondary indexes' included), times the hours since its last mark,
go to the ledger as one row:
  {"service": "dynamodb", "region", "resource": table ARN, "hours", "rcu_hours", "wcu_hours"
   (0 for on-demand), "storage_gb_months": GB (2**30 bytes) x the share of the month, "ts"}
Store table `dynamodb_meter`: key "<account>/<region>/<table>" -> {"at": epoch seconds metered
up to}. The mark moves in the transaction that reads it, so nodes sharing a store bill each
hour once; an on-demand table's requests are metered apart (metering.py). A throughput or size
change is billed from the next sweep (at most one sweep interval late). AWS's free 25 GB a month
is not deducted (as the other free tiers but Lambda's, price_list.json's note).
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from gureum.services.dynamodb import tables as T
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

METER = "dynamodb_meter"
ITEM_OVERHEAD = 100  # bytes AWS adds to each item's size for its indexing (storage billing)


def meter(txn: Txn, key: str, now: float) -> dict[str, Any] | None:
    """The capacity-hours the table at `key` held since its mark (None: nothing to bill)."""
    doc = txn.get(T.TABLES, key)
    if doc is None:
        txn.delete(METER, key)
        return None
    mark = txn.get(METER, key)
    since = float(mark["at"]) if mark else float(doc["Created"])
    txn.put(METER, key, {"at": now})
    hours = (now - since) / 3600.0
    if hours <= 0:
        return None
    rcu = wcu = 0
    if doc.get("BillingMode") == "PROVISIONED":
        rcu = int(doc.get("Read") or 0) + sum(int(g.get("Read") or 0) for g in doc.get("GSIs") or [])
        wcu = int(doc.get("Write") or 0) + sum(int(g.get("Write") or 0) for g in doc.get("GSIs") or [])
    counts = txn.get(T.COUNTS, key) or {"n": 0, "bytes": 0}
    stored = int(counts.get("bytes") or 0) + ITEM_OVERHEAD * int(counts.get("n") or 0)
    if not rcu and not wcu and not stored:
        return None
    account, region, _ = key.split("/", 2)
    return {"account": account, "region": region, "resource": doc["TableArn"], "hours": hours,
            "rcu_hours": rcu * hours, "wcu_hours": wcu * hours,
            "storage_gb_months": stored / 2**30 * hours / month_hours(now)}


def month_hours(now: float) -> float:
    """The hours of the calendar month (UTC) `now` falls in: a GB-month's denominator."""
    d = datetime.fromtimestamp(now, UTC)
    return calendar.monthrange(d.year, d.month)[1] * 24.0


async def sweep(app: App, now: float) -> int:
    """Meter every table once; the number of ledger rows written."""
    keys = await app.store.read(lambda t: [k for k, _ in t.scan(T.TABLES)])
    n = 0
    for key in keys:
        row = await app.store.run(lambda t, key=key: meter(t, key, now))  # type: ignore[misc]
        if row is not None:
            app.ledger.record(row.pop("account"), "dynamodb", row)
            n += 1
    return n

"""EKS cluster-hours, for the usage ledger (gureum/billing/ledger.py): AWS bills $0.10 per
cluster and hour (the price table's "EKS-Hours:perCluster") while a cluster is ACTIVE. No
cluster becomes ACTIVE today (control.py fails each one: its control plane is not built), so
nothing is billed; the meter is here so that a cluster is billed from the moment one does.

`meter(txn, now)` (every METER_EVERY seconds, control.py) writes, for each ACTIVE cluster, the
hours since its mark "meteredAt" (first: its "activeAt", else "createdAt") and moves the mark to
`now` in the same transaction, so hours are counted once however many nodes run it:
  "<account>/eks/<now ms:013d>.<cluster name>" -> {"service": "eks", "region", "resource":
   cluster ARN, "hours", "ts": now ms}
A cluster in any other state (CREATING, FAILED, DELETING) is not billed and not marked.
"""

from __future__ import annotations

from gureum.billing.ledger import USAGE
from gureum.services.eks.clusters import CLUSTERS
from gureum.store import Txn

METER_EVERY = 60.0


def meter(txn: Txn, now: float) -> int:
    """Write the hours of every ACTIVE cluster since its last mark; how many rows."""
    rows = 0
    for k, doc in txn.scan(CLUSTERS):
        if doc.get("status") != "ACTIVE":
            continue
        since = float(doc.get("meteredAt") or doc.get("activeAt") or doc["createdAt"])
        if now <= since:
            continue
        account, region, name = k.split("/", 2)
        txn.put(USAGE, f"{account}/eks/{int(now * 1000):013d}.{name}", {
            "service": "eks", "region": region, "resource": doc["arn"], "hours": (now - since) / 3600.0,
            "ts": int(now * 1000)})
        txn.put(CLUSTERS, k, {**doc, "meteredAt": now})
        rows += 1
    return rows

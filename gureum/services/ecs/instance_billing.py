"""What EC2-launch-type container instances cost: each registered instance accrues its
instance type's on-demand Linux hours (billing/meter.py, kind EC2; priced as
"BoxUsage:<type>" under "Amazon Elastic Compute Cloud - Compute" by the price table), per
second with a one-minute minimum, from its registration until its deregistration, or until
its node is found dead (meter.settle_node: at its last checkpoint or heartbeat).

The type is AWS's `ecs.instance-type` attribute (from the identity document's
`instanceType`). Not billed: `gureum.node` (a gureum node's own machine, registered by its
agent: not an EC2 instance) and an instance without a type; a type the price table has no
price for is metered but has no line item (line_items.py), so it is not billed either.

An instance is metered by the node serving it (its `_`.node: the node that took the
RegisterContainerInstance call): that node's agent checkpoints it every
`billing.checkpoint_interval` seconds and once more when it stops; a node that restarts
settles what it metered at its last checkpoint (recovery.py) and starts a new period, from
now, for its instances still registered (`resume`): the time it was down is not billed.
Registering again an instance that is accruing keeps its period. Owns no state of its own.
"""

from __future__ import annotations

from typing import Any

from gureum.billing import meter
from gureum.store import Txn

INSTANCES = "ecs.instances"  # instances.py's table (read only here)
NOT_BILLED = "gureum.node"


def instance_type(doc: dict[str, Any]) -> str | None:
    for a in doc.get("attributes") or []:
        if a.get("name") == "ecs.instance-type":
            return a.get("value")
    return None


def usage_row(key: str, doc: dict[str, Any], started: float) -> dict[str, Any] | None:
    """What the meter keeps of a registered container instance (None: not billed)."""
    itype = instance_type(doc)
    if not itype or itype == NOT_BILLED or doc.get("status") == "INACTIVE":
        return None
    meta = doc["_"]
    return {
        "region": meta["region"], "resource": doc["containerInstanceArn"], "node": meta.get("node"), "started": started,
        "instance_type": itype, "ec2_instance_id": doc.get("ec2InstanceId"), "instance_key": key,
    }  # fmt: skip


def start(txn: Txn, key: str, doc: dict[str, Any], now: float) -> None:
    """The instance was registered (again) at `now`: its period starts, or goes on."""
    row = usage_row(key, doc, now)
    if row is not None:
        meter.checkpoint(txn, doc["_"]["account"], row, now, meter.EC2)


def stop(txn: Txn, doc: dict[str, Any], now: float) -> dict[str, Any] | None:
    """The instance was deregistered at `now`: its period, if running, settled (its usage
    row; None when it was not accruing)."""
    return meter.stop(txn, doc["_"]["account"], doc["containerInstanceArn"], now, meter.EC2)


def metered(txn: Txn, node: str) -> bool:
    """Whether node `node` meters any instance now."""
    return any(row.get("node") == node for _, row in meter.running_rows(txn, kind=meter.EC2))


def checkpoint(txn: Txn, node: str, now: float) -> int:
    """Checkpoint every instance node `node` meters at `now`; an instance no longer
    registered (its table dropped by a reset) is settled at its last checkpoint. Returns how
    many are accruing."""
    n = 0
    for account, row in list(meter.running_rows(txn, kind=meter.EC2)):
        if row.get("node") != node:
            continue
        doc = txn.get(INSTANCES, row.get("instance_key", ""))
        if doc is None or doc.get("status") == "INACTIVE":
            meter.settle(txn, account, row, float(row.get("checkpoint") or row["started"]), meter.EC2)
            continue
        meter.checkpoint(txn, account, row, now, meter.EC2)
        n += 1
    return n


def resume(txn: Txn, node: str, now: float) -> int:
    """Node `node` is back (its previous periods settled): a new period from `now` for each
    billed instance it serves that is still registered. Returns how many."""
    n = 0
    for key, doc in list(txn.scan(INSTANCES)):
        if doc.get("_", {}).get("node") != node:
            continue
        row = usage_row(key, doc, now)
        if row is not None and meter.running(txn, doc["_"]["account"], row["resource"], meter.EC2) is None:
            meter.checkpoint(txn, doc["_"]["account"], row, now, meter.EC2)
            n += 1
    return n

"""Usage that is still accruing (a running Fargate task, a registered EC2 container instance),
checkpointed durably so that a kill -9 of the node loses at most one checkpoint interval, and
settled into the usage ledger (`billing.usage`, ledger.py) when it ends or its node is found
dead. One mechanism for every kind of accrual (`Kind`): FARGATE and EC2.

Table `billing.running`, key "<account>/<kind>/<resource>":
  {"service": kind, "region", "resource", "node": the node metering it, "started": epoch
   seconds the period starts, "checkpoint": epoch seconds of the last checkpoint, and the
   kind's own fields}
  fargate: resource = task ARN; started = image pull start; "vcpu", "memory_gb", "arch"
  ec2:     resource = container instance ARN; started = registration (or the node's
           restart, services/ecs/instance_billing.py); "instance_type", "ec2_instance_id",
           "instance_key" (its ecs.instances key)
Invariants: a resource has a running row only while it may still accrue; a period's
"started" never moves once written (`checkpoint` keeps it); `settle()` writes the period's one
usage row and deletes its running row in the same transaction, so usage is counted once; `stop()`
settles only a period that is still running (a second stop, or one after the node was found
dead, writes nothing). Usage rows written here are keyed
"<account>/<kind>/<until ms:013d>.<last segment of the resource>" (idempotent: settling the
same end twice writes the same row) and say
  {"service": kind, "region", "resource", "seconds", "billed_seconds" (per second, one-minute
   minimum), "ts": the end in ms, and the kind's own fields}.

The ECS agent checkpoints what its node meters every `billing.checkpoint_interval` seconds
(default 60). A node that restarts, or finds another node lost, settles that node's rows at
the later of the last checkpoint and the node's last heartbeat (`settle_node`). All functions
here run inside a store transaction.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from gureum.billing.ledger import USAGE
from gureum.store import Txn

RUNNING = "billing.running"
DEFAULT_INTERVAL = 60.0
MINIMUM_SECONDS = 60  # Fargate and Linux on-demand EC2 bill per second with a one-minute minimum


@dataclass(frozen=True)
class Kind:
    """One kind of accrual: its ledger service name and the fields its usage rows carry
    (from the running row, defaults filled)."""

    name: str
    fields: Callable[[dict[str, Any]], dict[str, Any]]


FARGATE = Kind("fargate", lambda d: {"vcpu": float(d.get("vcpu", 0.25)), "memory_gb": float(d.get("memory_gb", 0.5)),
                                     "arch": d.get("arch", "x86_64")})
EC2 = Kind("ec2", lambda d: {"instance_type": str(d.get("instance_type", "")), "ec2_instance_id": d.get("ec2_instance_id")})
KINDS = {k.name: k for k in (FARGATE, EC2)}


def running_key(account: str, resource: str, kind: Kind = FARGATE) -> str:
    return f"{account}/{kind.name}/{resource}"


def billed_seconds(seconds: float) -> int:
    return max(MINIMUM_SECONDS, math.ceil(seconds))


def checkpoint(txn: Txn, account: str, row: dict[str, Any], now: float, kind: Kind = FARGATE) -> None:
    """Record that the resource in `row` (region, resource, node, started and the kind's
    fields) is still accruing at `now`; starts its period (at row["started"]) when it has none."""
    key = running_key(account, row["resource"], kind)
    doc = dict(txn.get(RUNNING, key) or {})
    started = float(doc.get("started", row["started"]))
    doc.update(row)
    doc["service"] = kind.name
    doc["started"] = started
    doc["checkpoint"] = max(float(now), float(doc.get("checkpoint") or 0.0), started)
    txn.put(RUNNING, key, doc)


def running(txn: Txn, account: str, resource: str, kind: Kind) -> dict[str, Any] | None:
    """The running row of `resource`, if it is accruing."""
    return txn.get(RUNNING, running_key(account, resource, kind))


def settle(txn: Txn, account: str, row: dict[str, Any], until: float, kind: Kind = FARGATE) -> dict[str, Any]:
    """The period's usage from its start to `until`, written to the ledger; its running row
    (if any) removed. Returns the usage row."""
    key = running_key(account, row["resource"], kind)
    base = {**(txn.get(RUNNING, key) or {}), **row}
    started = float(base["started"])
    seconds = max(0.0, float(until) - started)
    usage = {
        "service": kind.name,
        "region": base.get("region"),
        "resource": base["resource"],
        "seconds": round(seconds, 3),
        "billed_seconds": billed_seconds(seconds),
        **kind.fields(base),
        "ts": int(until * 1000),
    }
    rid = base["resource"].rsplit("/", 1)[-1]
    txn.put(USAGE, f"{account}/{kind.name}/{int(until * 1000):013d}.{rid}", usage)
    txn.delete(RUNNING, key)
    return usage


def stop(txn: Txn, account: str, resource: str, until: float, kind: Kind) -> dict[str, Any] | None:
    """Settle `resource`'s period at `until` if it is still running (None when it is not:
    already settled, by a stop or by its node found dead)."""
    doc = running(txn, account, resource, kind)
    if doc is None:
        return None
    return settle(txn, account, doc, max(float(until), float(doc["started"])), kind)


def settle_node(txn: Txn, node: str, heartbeat: float | None, *, keep: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """Settle every running row of `node` (a node that died), of every kind, except the
    resources in `keep`, at the later of its last checkpoint and the node's last heartbeat."""
    out = []
    for key, doc in list(txn.scan(RUNNING)):
        if doc.get("node") != node or doc["resource"] in keep:
            continue
        until = max(float(doc.get("checkpoint") or doc["started"]), float(heartbeat or 0.0))
        out.append(settle(txn, key.split("/", 1)[0], doc, until, KINDS[doc.get("service", "fargate")]))
    return out


def running_rows(txn: Txn, account: str | None = None, kind: Kind | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(account, row) for everything still accruing (of `kind`, when given)."""
    prefix = f"{account}/" if account is not None else ""
    for key, doc in txn.scan(RUNNING, prefix):
        if kind is None or doc.get("service", "fargate") == kind.name:
            yield key.split("/", 1)[0], doc


def accrued_rows(txn: Txn, account: str | None = None, now: float | None = None) -> list[tuple[str, dict[str, Any]]]:
    """Ledger-shaped rows ("<account>/<kind>/running.<resource id>", a usage row of its kind
    marked "running") of what each period still running has accrued up to its last
    checkpoint (never past `now`): what Cost Explorer shows of it before it ends. A period's
    settled row replaces its running row in one transaction (settle), so it is never counted
    twice."""
    out = []
    for acct, doc in running_rows(txn, account):
        kind = KINDS[doc.get("service", "fargate")]
        until = float(doc.get("checkpoint") or doc["started"])
        if now is not None:
            until = min(until, now)
        seconds = max(0.0, until - float(doc["started"]))
        row = {
            "service": kind.name, "region": doc.get("region"), "resource": doc["resource"], "seconds": round(seconds, 3),
            "billed_seconds": billed_seconds(seconds), **kind.fields(doc), "ts": int(until * 1000), "running": True,
        }  # fmt: skip
        out.append((f"{acct}/{kind.name}/running.{doc['resource'].rsplit('/', 1)[-1]}", row))
    return out

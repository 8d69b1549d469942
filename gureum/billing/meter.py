"""Usage that is still accruing (a running Fargate task), checkpointed durably so that a
kill -9 of the node loses at most one checkpoint interval, and settled into the usage
ledger (`billing.usage`, ledger.py) when the task stops or its node is found dead.

Table `billing.running`, key "<account>/fargate/<task ARN>":
  {"service": "fargate", "region", "resource": task ARN, "node": the node running it,
   "started": epoch seconds billing starts (image pull start), "checkpoint": epoch seconds
   of the last checkpoint, "vcpu", "memory_gb", "arch"}
Invariants: a task has a running row only while it may still accrue; `settle()` writes the
task's one usage row and deletes its running row in the same transaction, so usage is
counted once. Usage rows written here are keyed "<account>/fargate/<stop ms:013d>.<task id>"
(idempotent: settling the same stop twice writes the same row).

The agent checkpoints its running tasks every `billing.checkpoint_interval` seconds
(default 60) and when a task reaches RUNNING. A node that restarts, or finds another node
lost, settles that node's rows at the later of the last checkpoint and the node's last
heartbeat (`settle_node`). All functions here run inside a store transaction.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from gureum.billing.ledger import USAGE
from gureum.store import Txn

RUNNING = "billing.running"
DEFAULT_INTERVAL = 60.0
MINIMUM_SECONDS = 60  # Fargate bills per second with a one-minute minimum


def running_key(account: str, resource: str) -> str:
    return f"{account}/fargate/{resource}"


def billed_seconds(seconds: float) -> int:
    return max(MINIMUM_SECONDS, math.ceil(seconds))


def checkpoint(txn: Txn, account: str, row: dict[str, Any], now: float) -> None:
    """Record that the task in `row` (region, resource, node, started, vcpu, memory_gb,
    arch) is still running at `now`."""
    key = running_key(account, row["resource"])
    doc = dict(txn.get(RUNNING, key) or {})
    doc.update(row)
    doc["service"] = "fargate"
    doc["checkpoint"] = max(float(now), float(doc.get("checkpoint") or 0.0), float(row["started"]))
    txn.put(RUNNING, key, doc)


def settle(txn: Txn, account: str, row: dict[str, Any], until: float) -> dict[str, Any]:
    """The task's usage from row["started"] to `until`, written to the ledger; its running
    row (if any) removed. Returns the usage row."""
    running = txn.get(RUNNING, running_key(account, row["resource"]))
    base = {**(running or {}), **row}
    started = float(base["started"])
    seconds = max(0.0, float(until) - started)
    usage = {
        "service": "fargate",
        "region": base.get("region"),
        "resource": base["resource"],
        "seconds": round(seconds, 3),
        "billed_seconds": billed_seconds(seconds),
        "vcpu": float(base.get("vcpu", 0.25)),
        "memory_gb": float(base.get("memory_gb", 0.5)),
        "arch": base.get("arch", "x86_64"),
        "ts": int(until * 1000),
    }
    task_id = base["resource"].rsplit("/", 1)[-1]
    txn.put(USAGE, f"{account}/fargate/{int(until * 1000):013d}.{task_id}", usage)
    txn.delete(RUNNING, running_key(account, base["resource"]))
    return usage


def settle_node(txn: Txn, node: str, heartbeat: float | None, *, keep: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """Settle every running row of `node` (a node that died) except the resources in `keep`,
    at the later of its last checkpoint and the node's last heartbeat."""
    out = []
    for key, doc in list(txn.scan(RUNNING)):
        if doc.get("node") != node or doc["resource"] in keep:
            continue
        until = max(float(doc.get("checkpoint") or doc["started"]), float(heartbeat or 0.0))
        out.append(settle(txn, key.split("/", 1)[0], doc, until))
    return out


def running_rows(txn: Txn, account: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(account, row) for every task still accruing."""
    prefix = f"{account}/" if account is not None else ""
    for key, doc in txn.scan(RUNNING, prefix):
        yield key.split("/", 1)[0], doc


def accrued_rows(txn: Txn, account: str | None = None, now: float | None = None) -> list[tuple[str, dict[str, Any]]]:
    """Ledger-shaped rows ("<account>/fargate/running.<task id>", a Fargate usage row) of what
    each task still running has accrued up to its last checkpoint (never past `now`): what
    Cost Explorer shows of a task before it stops. A task's settled row replaces its running
    row in one transaction (settle), so it is never counted twice."""
    out = []
    for acct, doc in running_rows(txn, account):
        until = float(doc.get("checkpoint") or doc["started"])
        if now is not None:
            until = min(until, now)
        seconds = max(0.0, until - float(doc["started"]))
        row = {
            "service": "fargate", "region": doc.get("region"), "resource": doc["resource"], "seconds": round(seconds, 3),
            "billed_seconds": billed_seconds(seconds), "vcpu": float(doc.get("vcpu", 0.25)),
            "memory_gb": float(doc.get("memory_gb", 0.5)), "arch": doc.get("arch", "x86_64"), "ts": int(until * 1000), "running": True,
        }  # fmt: skip
        out.append((f"{acct}/fargate/running.{doc['resource'].rsplit('/', 1)[-1]}", row))
    return out

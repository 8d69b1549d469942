"""The nodes that run tasks, as the store knows them: each task agent (`gureum up` or
`gureum agent`) beats a heartbeat row; one of them at a time holds the scheduler lease and
runs the service scheduler; a node whose heartbeat stops is lost.

When a node is lost, its container instance shows `agentConnected: false` (its tasks keep
their last reported state, as ECS does for an EC2 instance whose agent disconnects), and its
Fargate tasks are stopped, their Cloud Map instances and load balancer targets deregistered:
their host is gone, so the service scheduler replaces them on another node. A lost node that comes back stops whatever it left (recovery.py).

Table "ecs.nodes", key = the node's identity (App.node_id):
  {node, pid, host, role, heartbeat, instance (the ecs.instances key or null), lost}
Table "ecs.leases", key = lease name: {holder, until}
"""

from __future__ import annotations

import socket
from typing import Any

from gureum.billing import meter
from gureum.services.ecs import cloudmap, load_balancers, model
from gureum.store import Txn

NODES = "ecs.nodes"
LEASES = "ecs.leases"
SCHEDULER = "scheduler"


def beat(txn: Txn, node: str, info: dict[str, Any], now: float) -> None:
    """Record that `node` is alive (and what it is)."""
    doc = txn.get(NODES, node) or {"node": node, "host": socket.gethostname()}
    doc.update(info)
    doc["heartbeat"] = now
    doc["lost"] = False
    txn.put(NODES, node, doc)


def leave(txn: Txn, node: str) -> None:
    """A node shutting down cleanly: no longer counted, nothing to recover."""
    txn.delete(NODES, node)
    lease = txn.get(LEASES, SCHEDULER)
    if lease is not None and lease["holder"] == node:
        txn.delete(LEASES, SCHEDULER)


def take_lease(txn: Txn, name: str, node: str, now: float, ttl: float) -> bool:
    """Hold lease `name` until now + ttl if it is free, expired or already ours."""
    lease = txn.get(LEASES, name)
    if lease is not None and lease["holder"] != node and lease["until"] > now:
        return False
    txn.put(LEASES, name, {"holder": node, "until": now + ttl})
    return True


def lease_holder(txn: Txn, name: str, now: float) -> str | None:
    lease = txn.get(LEASES, name)
    return lease["holder"] if lease is not None and lease["until"] > now else None


def live_nodes(txn: Txn, now: float, timeout: float) -> list[dict[str, Any]]:
    return [d for _, d in txn.scan(NODES) if not d.get("lost") and now - d["heartbeat"] <= timeout]


def sweep_lost(txn: Txn, me: str, now: float, timeout: float) -> list[str]:
    """Mark nodes silent for longer than `timeout` lost: their instance disconnected, their
    Fargate tasks stopped. Returns the nodes newly found lost."""
    lost = []
    for key, doc in txn.scan(NODES):
        if key == me or doc.get("lost") or now - doc["heartbeat"] <= timeout:
            continue
        doc["lost"] = True
        txn.put(NODES, key, doc)
        lost.append(key)
        meter.settle_node(txn, key, doc["heartbeat"])  # its tasks' usage, to its last sign of life
        inst_key = doc.get("instance")
        inst = txn.get("ecs.instances", inst_key) if inst_key else None
        if inst_key and inst is not None and inst.get("agentConnected"):
            inst["agentConnected"] = False
            txn.put("ecs.instances", inst_key, inst)
        host = inst["ec2InstanceId"] if inst is not None and inst.get("ec2InstanceId") else f"gureum node {key[:12]}"
        for tkey, task in txn.scan(model.TASKS):
            if task["lastStatus"] == "STOPPED" or task["_"].get("node") != key or task.get("launchType") != "FARGATE":
                continue
            mark_host_gone(task, host, now)
            txn.put(model.TASKS, tkey, task)
            cloudmap.deregister_task(txn, task)
            load_balancers.deregister_task(txn, task)
    return lost


def host_stop_reason(doc: dict[str, Any], host: str) -> None:
    """The stopCode and stoppedReason ECS gives a task whose host goes away (kept when the
    task already has its own)."""
    doc.setdefault("stopCode", "TaskFailedToStart" if doc.get("startedAt") is None else "TerminationNotice")
    doc.setdefault("stoppedReason", f"Host EC2 (instance {host}) stopped/terminated.")


def mark_host_gone(doc: dict[str, Any], host: str, now: float) -> None:
    """A task whose host went away: STOPPED at once, with the reason ECS gives."""
    doc["desiredStatus"] = "STOPPED"
    doc["lastStatus"] = "STOPPED"
    host_stop_reason(doc, host)
    doc.setdefault("stoppingAt", now)
    doc["executionStoppedAt"] = doc.get("executionStoppedAt") or now
    doc["stoppedAt"] = now
    for c in doc["containers"]:
        c["lastStatus"] = "STOPPED"
    doc["version"] += 1
    doc["_"].setdefault("history", []).append(["STOPPED", "STOPPED", now])


def claim(txn: Txn, key: str, node: str) -> dict[str, Any] | None:
    """Take a task that still has to be started: one placed on this node, or a Fargate task
    no node has taken yet. Returns the task, or None when it is not this node's to run."""
    doc = txn.get(model.TASKS, key)
    if doc is None or doc["lastStatus"] != "PROVISIONING":
        return None
    owner = doc["_"].get("node")
    if owner == node:
        return doc
    if owner is not None or doc.get("containerInstanceArn"):
        return None
    doc["_"]["node"] = node
    txn.put(model.TASKS, key, doc)
    return doc


def unclaim(txn: Txn, node: str) -> int:
    """A node leaving cleanly gives back the Fargate tasks it claimed and has not started
    (still PROVISIONING, still wanted): any node may claim them now. Returns how many."""
    given = 0
    for key, doc in txn.scan(model.TASKS):
        if (doc["lastStatus"] != "PROVISIONING" or doc["desiredStatus"] == "STOPPED" or doc["_"].get("node") != node
                or doc.get("containerInstanceArn")):
            continue
        doc["_"]["node"] = None
        txn.put(model.TASKS, key, doc)
        given += 1
    return given


def runs_here(doc: dict[str, Any], node: str) -> bool:
    """Whether task `doc` is node `node`'s to run: a task placed on a container instance runs
    on the node serving that instance; a Fargate task on the node that claimed it (or may
    claim it, when unclaimed)."""
    owner = doc["_"].get("node")
    return owner == node or (owner is None and not doc.get("containerInstanceArn"))

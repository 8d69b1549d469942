"""Service tasks behind Elastic Load Balancing: a task of a service with `loadBalancers` has
its address and each entry's containerPort registered in the entry's target group while it is
ACTIVATING (`register_run`) and deregistered (draining) while DEACTIVATING (`deregister_run`),
as ECS does, through Elastic Load Balancing's port (gureum/services/elbv2/port.py). The
entries travel in the task's meta ("loadBalancers": [{"targetGroupArn", "containerName",
"containerPort"}]).

The service scheduler reads each live task's health in its target groups (`health_of`, one
`scheduler_plan.ElbHealth` per task: the worst of its targets) to count a new task toward a
deployment only once it is healthy and to replace a task that failed its ELB health checks.
A task whose teardown never ran (its node was lost, or this node's previous process died) has
its targets deregistered in the transaction that marks it STOPPED (`deregister_task`)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from gureum.services.ecs.scheduler_plan import ElbHealth
from gureum.services.elbv2 import port as elb
from gureum.store import Store, Txn

if TYPE_CHECKING:
    from gureum.services.ecs.taskrun import TaskRun

log = logging.getLogger("gureum.ecs")


def _entries(run: TaskRun) -> list[dict[str, Any]]:
    return [e for e in run.meta.get("loadBalancers") or [] if e.get("targetGroupArn") and e.get("containerPort")]


def _doc_entries(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in (doc.get("_") or {}).get("loadBalancers") or [] if e.get("targetGroupArn") and e.get("containerPort")]


def task_address(doc: dict[str, Any]) -> str | None:
    """The task's private IPv4 address (awsvpc and bridge tasks; None before it has one)."""
    for c in doc.get("containers") or []:
        for ni in c.get("networkInterfaces") or []:
            if ni.get("privateIpv4Address"):
                return str(ni["privateIpv4Address"])
    return None


# the order in which a task's targets' states make its health: the first found wins
_WORST = ("unhealthy", "unregistered", "draining", "initial")


def health_of(txn: Txn, doc: dict[str, Any]) -> ElbHealth | None:
    """The task's health in its target groups; None when it has none (a task without load
    balancers, or not yet addressed)."""
    entries = _doc_entries(doc)
    ip = task_address(doc)
    if not entries or ip is None:
        return None
    found: list[tuple[str, dict[str, Any], elb.TargetHealth]] = []
    for e in entries:
        h = elb.target_health(txn, e["targetGroupArn"], ip, int(e["containerPort"]))
        if h is not None:  # a group that is gone judges nothing
            found.append((h.state, e, h))
    for worst in _WORST:
        for state, e, h in found:
            if state == worst:
                return ElbHealth(state, e["targetGroupArn"], h.group_name, int(e["containerPort"]), h.description)
    return ElbHealth("healthy", None, None, None, None)


def deregister_task(txn: Txn, doc: dict[str, Any]) -> int:
    """Deregister the targets of task `doc` (its node is gone); how many were registered."""
    entries = _doc_entries(doc)
    ip = task_address(doc)
    if ip is None:
        return 0
    now = time.time()
    return sum(elb.deregister_target(txn, e["targetGroupArn"], ip, int(e["containerPort"]), now) for e in entries)


async def register_run(store: Store, run: TaskRun) -> None:
    entries = _entries(run)
    if not entries or run.network is None:
        return
    ip = run.network.ip

    def register(t: Txn) -> None:
        for e in entries:
            elb.register_target(t, e["targetGroupArn"], ip, int(e["containerPort"]), time.time())
    try:
        await store.run(register)
    except Exception:
        log.exception("could not register task %s with its load balancers", run.task_id)


async def deregister_run(store: Store, run: TaskRun) -> None:
    entries = _entries(run)
    if not entries or run.network is None:
        return
    ip = run.network.ip

    def deregister(t: Txn) -> None:
        for e in entries:
            elb.deregister_target(t, e["targetGroupArn"], ip, int(e["containerPort"]), time.time())
    try:
        await store.run(deregister)
    except Exception:
        log.exception("could not deregister task %s from its load balancers", run.task_id)

"""Load balancer targets of tasks whose node is gone (ECS's side, on values with MemoryStore):
a lost node's Fargate tasks are marked STOPPED and their targets deregistered (draining) in
the same transaction; so are the tasks a node's previous process left behind; a task's health
in its target groups is read through Elastic Load Balancing's port."""

from __future__ import annotations

import asyncio
from typing import Any

from gureum.services.ecs import load_balancers, model, nodes, recovery
from gureum.services.elbv2 import groups, targets
from gureum.store.memory import MemoryStore

ACCOUNT, REGION = "000000000000", "us-east-1"


def _group(store: MemoryStore) -> str:
    def txn(t: Any) -> str:
        tg = groups.create(t, ACCOUNT, REGION, {"Name": "sweep", "Protocol": "HTTP", "Port": 8080,
                                                "VpcId": "vpc-0123456789abcdef0", "TargetType": "ip"}, 0.0, 100)
        return str(tg["TargetGroupArn"])
    return store.run_sync(txn)


def _task(store: MemoryStore, tg: str, task_id: str, ip: str, node: str) -> str:
    key = model.task_key(ACCOUNT, REGION, "default", task_id)
    doc = {"taskArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/default/{task_id}", "lastStatus": "RUNNING",
           "desiredStatus": "RUNNING", "launchType": "FARGATE", "version": 1, "startedAt": 1.0,
           "containers": [{"name": "web", "lastStatus": "RUNNING", "networkInterfaces": [{"privateIpv4Address": ip}]}],
           "_": {"account": ACCOUNT, "region": REGION, "cluster": "default", "node": node,
                 "loadBalancers": [{"targetGroupArn": tg, "containerName": "web", "containerPort": 8080}]}}

    def txn(t: Any) -> None:
        t.put(model.TASKS, key, doc)
        targets.register(t, tg, [{"Id": ip, "Port": 8080}], 0.0)
    store.run_sync(txn)
    return key


def _states(store: MemoryStore, tg: str) -> dict[str, str]:
    rows = store.run_sync(lambda t: targets.describe_health(t, tg, None, True))
    return {r["Target"]["Id"]: r["TargetHealth"]["State"] for r in rows}


def test_a_lost_nodes_tasks_have_their_targets_deregistered() -> None:
    store = MemoryStore()
    tg = _group(store)
    _task(store, tg, "gone1", "10.213.0.5", "dead-node")
    _task(store, tg, "live1", "10.213.0.6", "live-node")
    store.run_sync(lambda t: nodes.beat(t, "dead-node", {}, 100.0))
    store.run_sync(lambda t: nodes.beat(t, "live-node", {}, 1000.0))
    lost = store.run_sync(lambda t: nodes.sweep_lost(t, "live-node", 1000.0, 30.0))
    assert lost == ["dead-node"]
    assert _states(store, tg) == {"10.213.0.5": "draining", "10.213.0.6": "initial"}


def test_a_previous_process_tasks_have_their_targets_deregistered_at_recovery() -> None:
    store = MemoryStore()
    tg = _group(store)
    _task(store, tg, "left1", "10.213.0.7", "me")
    assert asyncio.run(recovery.reconcile(store, "me", "gureum node me")) >= 1
    assert _states(store, tg) == {"10.213.0.7": "draining"}


def test_a_tasks_health_is_the_worst_of_its_targets() -> None:
    store = MemoryStore()
    tg = _group(store)
    key = _task(store, tg, "h1", "10.213.0.8", "me")
    doc = store.run_sync(lambda t: t.get(model.TASKS, key))
    h = store.run_sync(lambda t: load_balancers.health_of(t, doc))
    assert h is not None and (h.state, h.group_arn, h.group_name, h.port) == ("initial", tg, "sweep", 8080)
    tkey = store.run_sync(lambda t: next(k for k, _ in t.scan(targets.TARGETS)))
    for _ in range(5):
        store.run_sync(lambda t: targets.record(t, tkey, True, None, 5, 2))
    h = store.run_sync(lambda t: load_balancers.health_of(t, doc))
    assert h is not None and h.state == "healthy"
    for _ in range(2):
        store.run_sync(lambda t: targets.record(t, tkey, False, ("Target.ResponseCodeMismatch", "Health checks failed with these codes: [404]"), 5, 2))
    h = store.run_sync(lambda t: load_balancers.health_of(t, doc))
    assert h is not None and (h.state, h.description) == ("unhealthy", "Health checks failed with these codes: [404]")

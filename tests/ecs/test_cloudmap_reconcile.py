"""The Cloud Map side of ECS reconciliation on values (MemoryStore): instances ECS registered
for tasks that stopped, or vanished, are deregistered; live tasks' and clients' own instances
stay."""

from __future__ import annotations

from typing import Any

from gureum.services.ecs import cloudmap, model
from gureum.services.servicediscovery import model as sd
from gureum.store.memory import MemoryStore

ACCOUNT, REGION = "000000000000", "us-east-1"


def _service(store: MemoryStore) -> dict[str, Any]:
    def txn(t: Any) -> dict[str, Any]:
        op = sd.create_namespace(t, ACCOUNT, REGION, "HTTP", {"Name": "reconcile"})
        ns_id = sd.get_operation(t, ACCOUNT, REGION, op)["Targets"]["NAMESPACE"]
        return sd.create_service(t, ACCOUNT, REGION, {"Name": "web", "NamespaceId": ns_id})

    return store.run_sync(txn)


def _task(task_id: str, status: str, srv: dict[str, Any]) -> dict[str, Any]:
    return {
        "taskArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/default/{task_id}",
        "lastStatus": status,
        "_": {"account": ACCOUNT, "region": REGION, "cluster": "default", "registries": [{"registryArn": srv["Arn"]}]},
    }


def _register(t: Any, srv: dict[str, Any], inst_id: str, ecs: bool) -> None:
    attrs = {"AWS_INSTANCE_IPV4": "10.213.0.9"}
    if ecs:
        attrs["ECS_CLUSTER_NAME"] = "default"
    sd.register_instance(t, ACCOUNT, REGION, srv["Id"], inst_id, attrs)


def _ids(store: MemoryStore, srv: dict[str, Any]) -> list[str]:
    return sorted(i["Id"] for i in store.run_sync(lambda t: sd.instances(t, ACCOUNT, REGION, srv["Id"])))


def test_sweep_removes_instances_of_stopped_or_missing_tasks_only() -> None:
    store = MemoryStore()
    srv = _service(store)

    def setup(t: Any) -> None:
        for tid, status in (("live", "RUNNING"), ("dead", "STOPPED")):
            t.put(model.TASKS, model.task_key(ACCOUNT, REGION, "default", tid), _task(tid, status, srv))
            _register(t, srv, tid, ecs=True)
        _register(t, srv, "vanished", ecs=True)  # its task expired from the store
        _register(t, srv, "client-1", ecs=False)  # RegisterInstance by a user: not ECS's

    store.run_sync(setup)
    assert _ids(store, srv) == ["client-1", "dead", "live", "vanished"]
    gone = store.run_sync(cloudmap.sweep)
    assert len(gone) == 2
    assert _ids(store, srv) == ["client-1", "live"]
    assert store.run_sync(cloudmap.sweep) == []


def test_a_task_marked_gone_loses_its_instances_in_the_same_transaction() -> None:
    store = MemoryStore()
    srv = _service(store)
    doc = _task("t1", "RUNNING", srv)
    store.run_sync(lambda t: _register(t, srv, "t1", ecs=True))
    assert store.run_sync(lambda t: cloudmap.deregister_task(t, doc)) == 1
    assert _ids(store, srv) == []
    assert store.run_sync(lambda t: cloudmap.deregister_task(t, doc)) == 0  # idempotent

"""The service scheduler as a plain function of the store (no containers, no server):
desiredCount, replacement of failed tasks, rolling deployments, the circuit breaker."""

from __future__ import annotations

from typing import Any

import pytest

from gureum.services.ecs import model
from gureum.services.ecs import scheduler_plan as sp
from gureum.services.ecs import services as svc
from gureum.store.memory import MemoryStore

ACCT, REGION = "000000000000", "us-east-1"
NET = {"awsvpcConfiguration": {"subnets": ["subnet-12345678"]}}


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


def td(store: MemoryStore, image: str = "img") -> str:
    params = {
        "family": "web",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [{"name": "web", "image": image}],
    }
    return store.run_sync(lambda t: model.register_taskdef(t, ACCT, REGION, params, "me"))["taskDefinitionArn"]


def create(store: MemoryStore, taskdef: str, desired: int, **cfg: Any) -> str:
    params = {"serviceName": "s", "taskDefinition": taskdef, "desiredCount": desired, "launchType": "FARGATE", "networkConfiguration": NET}
    if cfg:
        params["deploymentConfiguration"] = cfg
    store.run_sync(lambda t: svc.create_service(t, ACCT, REGION, params, "me"))
    return f"{ACCT}:{REGION}:default:s"


def tick(store: MemoryStore, key: str) -> dict[str, Any]:
    def one(t: Any) -> dict[str, Any]:
        doc = t.get(model.SERVICES, key)
        svc.reconcile(t, key, doc)
        return t.get(model.SERVICES, key)

    return store.run_sync(one)


def tasks(store: MemoryStore, desired: str | None = "RUNNING") -> list[tuple[str, dict[str, Any]]]:
    rows = store.run_sync(lambda t: t.scan(model.TASKS))
    return [(k, d) for k, d in rows if desired is None or d["desiredStatus"] == desired]


def set_state(store: MemoryStore, key: str, last: str, **extra: Any) -> None:
    def fn(t: Any) -> None:
        d = t.get(model.TASKS, key)
        d["lastStatus"] = last
        if last == "STOPPED":
            d["desiredStatus"] = "STOPPED"
        d.update(extra)
        t.put(model.TASKS, key, d)

    store.run_sync(fn)


def run_all(store: MemoryStore) -> None:
    """What the agent does: every task that wants to run reaches RUNNING; asked-to-stop ones STOPPED."""
    for k, d in tasks(store, None):
        if d["desiredStatus"] == "RUNNING" and d["lastStatus"] != "RUNNING":
            set_state(store, k, "RUNNING")
        elif d["desiredStatus"] == "STOPPED" and d["lastStatus"] != "STOPPED":
            set_state(store, k, "STOPPED")


def test_desired_count_is_reached_and_a_failed_task_is_replaced(store):
    key = create(store, td(store), 3)
    doc = tick(store, key)
    assert len(tasks(store)) == 3 and doc["pendingCount"] == 3
    run_all(store)
    doc = tick(store, key)
    assert doc["runningCount"] == 3 and doc["deployments"][0]["rolloutState"] == "COMPLETED"
    assert doc["events"][0]["message"] == "(service s) has reached a steady state."
    victim = tasks(store)[0][0]
    set_state(store, victim, "STOPPED", stopCode="EssentialContainerExited", stoppedReason="Essential container in task exited")
    doc = tick(store, key)
    assert doc["deployments"][0]["failedTasks"] == 1
    assert len(tasks(store)) == 2  # replacements back off a little after a failure
    store.run_sync(lambda t: _clear_backoff(t, key))
    tick(store, key)
    live = tasks(store)
    assert len(live) == 3 and victim not in {k for k, _ in live}


def test_scale_in_stops_surplus_tasks(store):
    key = create(store, td(store), 3)
    tick(store, key)
    run_all(store)
    tick(store, key)
    store.run_sync(lambda t: svc.update_service(t, ACCT, REGION, {"service": "s", "desiredCount": 1}))
    tick(store, key)
    assert len(tasks(store)) == 1
    stopped = tasks(store, "STOPPED")
    assert all(d["stopCode"] == "ServiceSchedulerInitiated" for _, d in stopped)


def test_rolling_deployment_keeps_minimum_healthy(store):
    first = td(store)
    key = create(store, first, 2, minimumHealthyPercent=100, maximumPercent=200)
    tick(store, key)
    run_all(store)
    tick(store, key)
    second = td(store, "img2")
    store.run_sync(lambda t: svc.update_service(t, ACCT, REGION, {"service": "s", "taskDefinition": second}))
    doc = tick(store, key)
    assert [d["status"] for d in doc["deployments"]] == ["PRIMARY", "ACTIVE"]
    new = [d for _, d in tasks(store) if d["taskDefinitionArn"] == second]
    assert len(new) == 2
    # the old tasks keep running until the new ones are RUNNING (minimumHealthyPercent 100)
    assert len([d for _, d in tasks(store) if d["taskDefinitionArn"] == first]) == 2
    run_all(store)
    tick(store, key)
    run_all(store)
    doc = tick(store, key)
    assert {d["taskDefinitionArn"] for _, d in tasks(store)} == {second}
    assert len(doc["deployments"]) == 1 and doc["deployments"][0]["rolloutState"] == "COMPLETED"


def test_circuit_breaker_trips_after_threshold_and_rolls_back(store):
    good = td(store)
    key = create(store, good, 2, deploymentCircuitBreaker={"enable": True, "rollback": True})
    tick(store, key)
    run_all(store)
    tick(store, key)
    bad = td(store, "broken")
    store.run_sync(lambda t: svc.update_service(t, ACCT, REGION, {"service": "s", "taskDefinition": bad}))
    for _ in range(20):
        doc = tick(store, key)
        for k, d in tasks(store):
            if d["taskDefinitionArn"] == bad:
                set_state(store, k, "STOPPED", stopCode="TaskFailedToStart", stoppedReason="CannotPullContainerError: x")
        # no backoff in this test: forget when the last failure happened
        store.run_sync(lambda t: _clear_backoff(t, key))
        if doc["taskDefinition"] == good and len(doc["deployments"]) >= 1 and doc["deployments"][0]["taskDefinition"] == good:
            break
    failed = [d for d in doc["deployments"] if d["taskDefinition"] == bad]
    assert doc["taskDefinition"] == good
    assert not failed or failed[0]["rolloutState"] == "FAILED"
    assert any("deployment failed: tasks failed to start." in e["message"] for e in doc["events"])
    assert sp.breaker_threshold(2) == 3 and sp.breaker_threshold(10) == 5 and sp.breaker_threshold(1000) == 200


def _clear_backoff(t: Any, key: str) -> None:
    doc = t.get(model.SERVICES, key)
    for d in doc["deployments"]:
        d.pop("_lastFailure", None)
    t.put(model.SERVICES, key, doc)

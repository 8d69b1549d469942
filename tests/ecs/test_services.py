"""ECS services on Fargate with real containers: desiredCount kept (a killed task is
replaced), rolling deployments, the deployment circuit breaker rolling back a broken image."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from .images import containers_skip_reason
from .test_api import AWSVPC, uniq
from .test_tasks import HTTPD, register

pytestmark = [
    pytest.mark.skipif(containers_skip_reason() is not None, reason=str(containers_skip_reason())),
    pytest.mark.xdist_group("ecs-containers"),
]


def service(ecs, name: str) -> dict:
    return ecs.describe_services(services=[name])["services"][0]


def running_tasks(ecs, name: str) -> list[dict]:
    arns = ecs.list_tasks(serviceName=name)["taskArns"]
    if not arns:
        return []
    return [t for t in ecs.describe_tasks(tasks=arns)["tasks"] if t["lastStatus"] == "RUNNING"]


def steady(ecs, name: str, count: int):  # type: ignore[no-untyped-def]
    def check():  # type: ignore[no-untyped-def]
        s = service(ecs, name)
        d = s["deployments"]
        if len(d) == 1 and d[0]["rolloutState"] == "COMPLETED" and s["runningCount"] == count and s["pendingCount"] == 0:
            return s
        return None

    return wait_for(f"{name} steady at {count}", check)


def test_service_keeps_desired_count_and_replaces_a_killed_task(ecs, gureum, image):
    td = register(ecs, image, [{"name": "web", "command": HTTPD, "stopTimeout": 2}])
    name = uniq("svc")
    created = ecs.create_service(serviceName=name, taskDefinition=td, desiredCount=2, launchType="FARGATE", networkConfiguration=AWSVPC)["service"]
    assert created["status"] == "ACTIVE" and created["desiredCount"] == 2
    assert created["deploymentConfiguration"]["maximumPercent"] == 200
    assert created["deploymentConfiguration"]["minimumHealthyPercent"] == 100
    assert created["deployments"][0]["status"] == "PRIMARY" and created["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    s = steady(ecs, name, 2)
    assert any("has reached a steady state." in e["message"] for e in s["events"])
    tasks = running_tasks(ecs, name)
    assert len(tasks) == 2 and all(t["group"] == f"service:{name}" for t in tasks)
    assert all(t["startedBy"] == s["deployments"][0]["id"] for t in tasks)

    # kill the container's process behind the scheduler's back
    victim = tasks[0]
    runtime_id = victim["containers"][0]["runtimeId"]
    # the OCI runtime gureum runs it under (ecs.oci_runtime): its state root is <data>/ecs/<runtime>
    runtime = next(n for n in ("runc", "crun") if (gureum.data_dir / "ecs" / n / runtime_id).is_dir())
    state = subprocess.run([runtime, "--root", str(gureum.data_dir / "ecs" / runtime), "state", runtime_id], capture_output=True, text=True, check=True)
    os.kill(json.loads(state.stdout)["pid"], signal.SIGKILL)

    stopped = wait_for(
        "the killed task to stop",
        lambda: next((t for t in ecs.describe_tasks(tasks=[victim["taskArn"]])["tasks"] if t["lastStatus"] == "STOPPED"), None),
    )
    assert stopped["stopCode"] == "EssentialContainerExited"
    assert stopped["containers"][0]["exitCode"] == 137

    def replaced():  # type: ignore[no-untyped-def]
        ts = running_tasks(ecs, name)
        return len(ts) == 2 and victim["taskArn"] not in {t["taskArn"] for t in ts} and ts

    wait_for("a replacement task", replaced)

    with pytest.raises(ClientError) as e:
        ecs.delete_service(service=name)
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    ecs.update_service(service=name, desiredCount=0)
    wait_for("scale to zero", lambda: not running_tasks(ecs, name))
    deleted = ecs.delete_service(service=name)["service"]
    assert deleted["status"] == "DRAINING"
    wait_for("INACTIVE", lambda: service(ecs, name)["status"] == "INACTIVE")


def test_rolling_deployment_and_circuit_breaker_rollback(ecs, image):
    good = register(ecs, image, [{"name": "web", "command": HTTPD, "stopTimeout": 2}])
    name = uniq("roll")
    ecs.create_service(
        serviceName=name,
        taskDefinition=good,
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration=AWSVPC,
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}, "maximumPercent": 200, "minimumHealthyPercent": 50},
    )
    steady(ecs, name, 2)

    # a new revision rolls out: new tasks replace the old ones
    fam = good.rsplit("/", 1)[-1].split(":")[0]
    second = ecs.register_task_definition(
        family=fam,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "web", "image": image, "command": HTTPD, "stopTimeout": 2, "environment": [{"name": "V", "value": "2"}]}],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(service=name, taskDefinition=second)
    s = steady(ecs, name, 2)
    assert s["taskDefinition"] == second
    assert {t["taskDefinitionArn"] for t in running_tasks(ecs, name)} == {second}

    # a broken image: tasks fail to start, the breaker trips and rolls back to `second`
    broken = ecs.register_task_definition(
        family=fam,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "web", "image": image.rsplit(":", 1)[0] + ":does-not-exist"}],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(service=name, taskDefinition=broken)

    def rolled_back():  # type: ignore[no-untyped-def]
        s = service(ecs, name)
        failed = [d for d in s["deployments"] if d["taskDefinition"] == broken]
        return s if s["taskDefinition"] == second and (not failed or failed[0]["rolloutState"] == "FAILED") else None

    s = wait_for("rollback", rolled_back, timeout=90)
    assert any("deployment failed: tasks failed to start." in e["message"] for e in s["events"])
    s = steady(ecs, name, 2)
    assert s["deployments"][0]["taskDefinition"] == second
    # the old tasks were never taken below minimumHealthyPercent while the broken one failed
    assert {t["taskDefinitionArn"] for t in running_tasks(ecs, name)} == {second}
    ecs.delete_service(service=name, force=True)
    wait_for("INACTIVE", lambda: service(ecs, name)["status"] == "INACTIVE")

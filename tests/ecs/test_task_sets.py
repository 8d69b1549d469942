"""Task sets of services under the EXTERNAL deployment controller, with real containers:
each task set runs ceil(desiredCount * scale%) tasks started by the service scheduler,
scaling follows UpdateTaskSet and UpdateService, the primary task set gives the service its
task definition, and a deleted task set drains its tasks and leaves the service."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from .images import containers_skip_reason
from .test_api import AWSVPC, err, uniq
from .test_tasks import HTTPD, register


def task_set(ecs, name: str, ts_id: str) -> dict | None:
    found = ecs.describe_task_sets(cluster="default", service=name, taskSets=[ts_id])["taskSets"]
    return found[0] if found else None


def running_of(ecs, name: str, ts_id: str) -> list[dict]:
    arns = ecs.list_tasks(serviceName=name)["taskArns"]
    tasks = ecs.describe_tasks(tasks=arns)["tasks"] if arns else []
    return [t for t in tasks if t["startedBy"] == ts_id and t["lastStatus"] == "RUNNING" and t["desiredStatus"] == "RUNNING"]


def steady(ecs, name: str, ts_id: str, count: int) -> dict:
    def check() -> dict | None:
        ts = task_set(ecs, name, ts_id)
        if ts and ts["runningCount"] == count and ts["stabilityStatus"] == "STEADY_STATE" and len(running_of(ecs, name, ts_id)) == count:
            return ts
        return None

    return wait_for(f"task set {ts_id} steady at {count}", check, timeout=120)


def test_task_set_api_rules(ecs):
    td = register(ecs, "127.0.0.1:1/none:v1", [{"name": "a"}])
    plain = uniq("ecs-ctl")
    ecs.create_service(serviceName=plain, taskDefinition=td, desiredCount=0, launchType="FARGATE", networkConfiguration=AWSVPC)
    with pytest.raises(ClientError) as e:
        ecs.create_task_set(cluster="default", service=plain, taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC)
    assert err(e)[0] == "InvalidParameterException"
    ext = uniq("ext")
    s = ecs.create_service(serviceName=ext, desiredCount=0, deploymentController={"type": "EXTERNAL"})["service"]
    assert s["deploymentController"] == {"type": "EXTERNAL"} and s["taskSets"] == [] and s["deployments"] == []
    with pytest.raises(ClientError) as e:
        ecs.create_service(serviceName=uniq("ext"), taskDefinition=td, desiredCount=0, deploymentController={"type": "EXTERNAL"})
    assert err(e)[0] == "InvalidParameterException"
    ts = ecs.create_task_set(cluster="default", service=ext, taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC,
                             externalId="blue", scale={"value": 50, "unit": "PERCENT"})["taskSet"]
    assert ts["id"].startswith("ecs-svc/") and ts["taskSetArn"].endswith(f"task-set/default/{ext}/{ts['id']}")
    assert ts["status"] == "ACTIVE" and ts["computedDesiredCount"] == 0 and ts["externalId"] == "blue"
    with pytest.raises(ClientError) as e:
        ecs.update_task_set(cluster="default", service=ext, taskSet="ecs-svc/0000000000000000000", scale={"value": 10, "unit": "PERCENT"})
    assert err(e)[0] == "TaskSetNotFoundException"
    got = ecs.describe_task_sets(cluster="default", service=ext, taskSets=[ts["taskSetArn"], "ecs-svc/1"])
    assert [t["id"] for t in got["taskSets"]] == [ts["id"]] and got["failures"][0]["reason"] == "MISSING"
    ecs.update_service_primary_task_set(cluster="default", service=ext, primaryTaskSet=ts["id"])
    with pytest.raises(ClientError) as e:
        ecs.delete_task_set(cluster="default", service=ext, taskSet=ts["id"])
    assert err(e)[0] == "InvalidParameterException"  # the primary needs force
    with pytest.raises(ClientError) as e:
        ecs.update_service(service=ext, taskDefinition=td)
    assert err(e)[0] == "InvalidParameterException"
    for _ in range(4):
        ecs.create_task_set(cluster="default", service=ext, taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC)
    with pytest.raises(ClientError) as e:
        ecs.create_task_set(cluster="default", service=ext, taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC)
    assert err(e)[0] == "LimitExceededException"
    assert ecs.delete_task_set(cluster="default", service=ext, taskSet=ts["id"], force=True)["taskSet"]["status"] == "DRAINING"
    wait_for("the deleted task set gone", lambda: task_set(ecs, ext, ts["id"]) is None)


@pytest.mark.skipif(containers_skip_reason() is not None, reason=str(containers_skip_reason()))
@pytest.mark.xdist_group("ecs-containers")
def test_task_sets_run_scale_switch_primary_and_drain(ecs, image):
    blue_td = register(ecs, image, [{"name": "web", "command": HTTPD, "stopTimeout": 2}])
    green_td = register(ecs, image, [{"name": "web", "command": HTTPD, "stopTimeout": 2}])
    name = uniq("bluegreen")
    ecs.create_service(serviceName=name, desiredCount=2, deploymentController={"type": "EXTERNAL"})
    blue = ecs.create_task_set(cluster="default", service=name, taskDefinition=blue_td, launchType="FARGATE",
                               networkConfiguration=AWSVPC, scale={"value": 100, "unit": "PERCENT"})["taskSet"]
    assert blue["computedDesiredCount"] == 2
    steady(ecs, name, blue["id"], 2)
    primary = ecs.update_service_primary_task_set(cluster="default", service=name, primaryTaskSet=blue["id"])["taskSet"]
    assert primary["status"] == "PRIMARY"
    svc = ecs.describe_services(services=[name])["services"][0]
    assert svc["taskDefinition"] == blue_td and svc["runningCount"] == 2

    green = ecs.create_task_set(cluster="default", service=name, taskDefinition=green_td, launchType="FARGATE",
                                networkConfiguration=AWSVPC, scale={"value": 50, "unit": "PERCENT"})["taskSet"]
    steady(ecs, name, green["id"], 1)
    assert ecs.update_task_set(cluster="default", service=name, taskSet=green["id"], scale={"value": 100, "unit": "PERCENT"})["taskSet"]["computedDesiredCount"] == 2
    steady(ecs, name, green["id"], 2)
    ecs.update_service_primary_task_set(cluster="default", service=name, primaryTaskSet=green["id"])
    sets = {t["id"]: t for t in ecs.describe_services(services=[name])["services"][0]["taskSets"]}
    assert sets[green["id"]]["status"] == "PRIMARY" and sets[blue["id"]]["status"] == "ACTIVE"

    ecs.delete_task_set(cluster="default", service=name, taskSet=blue["id"])
    wait_for("blue drained", lambda: not running_of(ecs, name, blue["id"]) and task_set(ecs, name, blue["id"]) is None, timeout=120)
    svc = ecs.describe_services(services=[name])["services"][0]
    assert [t["id"] for t in svc["taskSets"]] == [green["id"]] and svc["taskDefinition"] == green_td

    ecs.update_service(service=name, desiredCount=1)  # the task sets follow the service's desiredCount
    steady(ecs, name, green["id"], 1)
    ecs.update_service(service=name, desiredCount=0)
    steady(ecs, name, green["id"], 0)
    ecs.delete_service(service=name)
    wait_for("the service INACTIVE", lambda: ecs.describe_services(services=[name])["services"][0]["status"] == "INACTIVE", timeout=60)

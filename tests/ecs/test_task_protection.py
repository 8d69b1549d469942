"""ECS task scale-in protection through boto3 against a real gureum: UpdateTaskProtection /
GetTaskProtection on a service's running tasks (expiration, clearing), the failures AWS
reports (standalone tasks, missing tasks), validation, and the scheduler passing a protected
task over when the service scales in (real containers, as in test_services.py)."""

from __future__ import annotations

import datetime

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from .images import containers_skip_reason
from .test_api import AWSVPC, err, uniq
from .test_ec2_launch_type import add_instance, ec2_td, nowhere
from .test_services import running_tasks, steady
from .test_tasks import HTTPD, register

containers = pytest.mark.skipif(containers_skip_reason() is not None, reason=str(containers_skip_reason()))


@pytest.fixture(scope="module")
def ecs(gureum):
    return gureum.client("ecs")


def service_with_tasks(ecs, image: str, n: int) -> tuple[str, list[str]]:
    td = register(ecs, image, [{"name": "web", "command": HTTPD, "stopTimeout": 2}])
    name = uniq("svc")
    ecs.create_service(serviceName=name, taskDefinition=td, desiredCount=n, launchType="FARGATE", networkConfiguration=AWSVPC)
    steady(ecs, name, n)
    return name, sorted(t["taskArn"] for t in running_tasks(ecs, name))


def finish(ecs, name: str, arns: list[str]) -> None:
    ecs.update_task_protection(cluster="default", tasks=arns, protectionEnabled=False)
    ecs.delete_service(service=name, force=True)


@containers
@pytest.mark.xdist_group("ecs-containers")
def test_protect_read_and_clear(ecs, image):
    name, (a, b) = service_with_tasks(ecs, image, 2)
    try:
        before = datetime.datetime.now(datetime.timezone.utc)
        out = ecs.update_task_protection(cluster="default", tasks=[a], protectionEnabled=True, expiresInMinutes=30)
        assert out["failures"] == [] and out["protectedTasks"][0]["taskArn"] == a and out["protectedTasks"][0]["protectionEnabled"]
        expires = out["protectedTasks"][0]["expirationDate"]
        assert datetime.timedelta(minutes=29) < expires - before < datetime.timedelta(minutes=31)
        got = {p["taskArn"]: p for p in ecs.get_task_protection(cluster="default", tasks=[a, b])["protectedTasks"]}
        assert got[a]["protectionEnabled"] and not got[b]["protectionEnabled"] and "expirationDate" not in got[b]
        default = ecs.update_task_protection(cluster="default", tasks=[b], protectionEnabled=True)["protectedTasks"][0]["expirationDate"]
        assert datetime.timedelta(minutes=119) < default - before < datetime.timedelta(minutes=121)
        cleared = ecs.update_task_protection(cluster="default", tasks=[a, b], protectionEnabled=False)["protectedTasks"]
        assert [p["protectionEnabled"] for p in cleared] == [False, False]
    finally:
        finish(ecs, name, [a, b])


@containers
@pytest.mark.xdist_group("ecs-containers")
def test_scale_in_passes_protected_tasks_over(ecs, image):
    name, arns = service_with_tasks(ecs, image, 3)
    keep, drop = arns[:2], arns[2]
    try:
        ecs.update_task_protection(cluster="default", tasks=keep, protectionEnabled=True)
        # scale-in wants two tasks gone; only the unprotected one may go (in one pass)
        ecs.update_service(service=name, desiredCount=1)

        def stopping() -> list[str] | None:
            gone = [t["taskArn"] for t in ecs.describe_tasks(tasks=arns)["tasks"] if t["desiredStatus"] == "STOPPED"]
            return gone or None

        assert wait_for("a task stopped by scale-in", stopping) == [drop]
        assert [t["desiredStatus"] for t in ecs.describe_tasks(tasks=keep)["tasks"]] == ["RUNNING", "RUNNING"]
    finally:
        finish(ecs, name, arns)


def test_failures_and_validation(ecs, gureum):
    cluster = ecs.create_cluster(clusterName=uniq("prot"))["cluster"]["clusterName"]
    add_instance(ecs, cluster)
    standalone = ecs.run_task(cluster=cluster, taskDefinition=ec2_td(ecs, nowhere(gureum)), launchType="EC2")["tasks"][0]["taskArn"]
    try:
        out = ecs.update_task_protection(cluster=cluster, tasks=[standalone, "0" * 32], protectionEnabled=True)
        assert out["protectedTasks"] == []
        assert {(f["arn"].rsplit("/", 1)[-1], f["reason"]) for f in out["failures"]} == {
            (standalone.rsplit("/", 1)[-1], "TASK_NOT_VALID"), ("0" * 32, "MISSING")}
        for kw in ({"expiresInMinutes": 0}, {"expiresInMinutes": 2881}):
            with pytest.raises(ClientError) as exc:
                ecs.update_task_protection(cluster=cluster, tasks=[standalone], protectionEnabled=True, **kw)
            assert err(exc)[0] == "InvalidParameterException"
        with pytest.raises(ClientError) as exc:
            ecs.get_task_protection(cluster=cluster, tasks=[])
        assert err(exc)[0] == "InvalidParameterException"
        with pytest.raises(ClientError) as exc:
            ecs.get_task_protection(cluster=uniq("nope"), tasks=[standalone])
        assert err(exc)[0] == "ClusterNotFoundException"
    finally:
        ecs.stop_task(cluster=cluster, task=standalone)

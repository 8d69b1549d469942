"""ECS deployments behind an ALB wait for healthy targets (real containers, real probes): a new
task counts toward the deployment, and lets the old task stop, only once its target is
healthy; within healthCheckGracePeriodSeconds an unhealthy target is tolerated; after it the
task is stopped with AWS's stoppedReason and replaced; a rollout to a healthy revision stops
the old task only after the new target is healthy. CreateService refuses a target group no
load balancer uses."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from tests.ecs.conftest import image  # noqa: F401 - the busybox image fixture
from tests.ecs.images import containers_skip_reason
from tests.ecs.test_api import AWSVPC
from tests.ecs.test_services import running_tasks, service, steady
from tests.ecs.test_tasks import HTTPD, register
from tests.elbv2.elb_helpers import SUBNETS, VPC, uniq

NOT_FOUND = ["httpd", "-f", "-p", "8080", "-h", "/tmp"]  # no index.html there: 404


def _ip(task: dict[str, Any]) -> str:
    return str(task["containers"][0]["networkInterfaces"][0]["privateIpv4Address"])


def _task(ecs: Any, arn: str) -> dict[str, Any]:
    return dict(ecs.describe_tasks(tasks=[arn])["tasks"][0])


@pytest.mark.skipif(containers_skip_reason() is not None, reason=str(containers_skip_reason()))
@pytest.mark.xdist_group("ecs-containers")
def test_a_deployment_waits_for_healthy_targets_and_replaces_unhealthy_tasks(gureum, image) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    ecs, elb = gureum.client("ecs"), gureum.client("elbv2")
    tg = elb.create_target_group(Name=uniq("dep"), Protocol="HTTP", Port=8080, VpcId=VPC, TargetType="ip",
                                 HealthCheckPath="/index.html", HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
                                 HealthyThresholdCount=2, UnhealthyThresholdCount=2)["TargetGroups"][0]
    tg_arn = tg["TargetGroupArn"]
    elb.modify_target_group_attributes(TargetGroupArn=tg_arn, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": "2"}])
    lb = elb.create_load_balancer(Name=uniq("alb"), Subnets=SUBNETS)["LoadBalancers"][0]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}])
    web = [{"name": "web", "portMappings": [{"containerPort": 8080}], "stopTimeout": 2}]
    good = register(ecs, image, [dict(web[0], command=HTTPD)])
    bad = register(ecs, image, [dict(web[0], command=NOT_FOUND)])
    lbs = [{"targetGroupArn": tg_arn, "containerName": "web", "containerPort": 8080}]

    def health(ip: str) -> str | None:
        out = elb.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
        return next((d["TargetHealth"]["State"] for d in out if d["Target"]["Id"] == ip), None)

    svc = uniq("dep")
    ecs.create_service(serviceName=svc, taskDefinition=good, desiredCount=1, launchType="FARGATE", networkConfiguration=AWSVPC,
                       loadBalancers=lbs)
    steady(ecs, svc, 1)  # steady only once the task's target is healthy
    (first,) = running_tasks(ecs, svc)
    assert health(_ip(first)) == "healthy"

    # a revision whose target never turns healthy: the old task keeps serving throughout
    ecs.update_service(service=svc, taskDefinition=bad, healthCheckGracePeriodSeconds=3600)

    def new_unhealthy() -> dict[str, Any] | None:
        for t in running_tasks(ecs, svc):
            if t["taskArn"] != first["taskArn"] and t["taskDefinitionArn"] == bad and health(_ip(t)) == "unhealthy":
                return t
        return None
    failing = wait_for("the new task's target unhealthy", new_unhealthy, 120)
    assert _task(ecs, first["taskArn"])["desiredStatus"] == "RUNNING"
    s = service(ecs, svc)
    assert [d["rolloutState"] for d in s["deployments"]] == ["IN_PROGRESS", "COMPLETED"]
    assert _task(ecs, failing["taskArn"])["desiredStatus"] == "RUNNING"  # within the grace period

    # the grace period over: the task failed its ELB health checks and is replaced
    ecs.update_service(service=svc, healthCheckGracePeriodSeconds=0)
    stopped = wait_for("the unhealthy task stopped", lambda: (t := _task(ecs, failing["taskArn"]))["desiredStatus"] == "STOPPED" and t, 60)
    assert stopped["stoppedReason"] == f"Task failed ELB health checks in (target-group {tg_arn})"
    events = [e["message"] for e in service(ecs, svc)["events"]]
    assert any(m.startswith(f"(service {svc}) (task {failing['taskArn'].rsplit('/', 1)[-1]}) (port 8080) is unhealthy in "
                            f"(target-group {tg['TargetGroupName']}) due to (reason Health checks failed with these codes: [404])")
               for m in events), events
    assert _task(ecs, first["taskArn"])["desiredStatus"] == "RUNNING"

    # a healthy revision: the old task stops only once the new task's target is healthy
    ecs.update_service(service=svc, taskDefinition=good)
    newest: dict[str, str] = {}

    def rolled() -> bool:
        old = _task(ecs, first["taskArn"])  # read before the new target's health: if stopped then, healthy now
        for t in running_tasks(ecs, svc):
            if t["taskArn"] != first["taskArn"] and t["taskDefinitionArn"] == good:
                newest["arn"], newest["ip"] = t["taskArn"], _ip(t)
        state = health(newest["ip"]) if newest else None
        if old["desiredStatus"] == "STOPPED":
            assert state == "healthy", (state, old.get("stoppedReason"))
            return True
        return False
    wait_for("the old task stopped after the new target turned healthy", rolled, 180)
    final = steady(ecs, svc, 1)
    assert [t["taskArn"] for t in running_tasks(ecs, svc)] == [newest["arn"]]
    assert final["deployments"][0]["taskDefinition"] == good
    ecs.delete_service(service=svc, force=True)


def test_create_service_checks_its_load_balancers(gureum) -> None:  # type: ignore[no-untyped-def]
    ecs, elb = gureum.client("ecs"), gureum.client("elbv2")
    tg = elb.create_target_group(Name=uniq("lone"), Protocol="HTTP", Port=8080, VpcId=VPC, TargetType="ip")["TargetGroups"][0]
    td = ecs.register_task_definition(family=uniq("t"), networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
                                      memory="512", containerDefinitions=[{"name": "web", "image": "busybox",
                                                                           "portMappings": [{"containerPort": 8080}]}])["taskDefinition"]

    def refused(container: str, port: int) -> dict[str, str]:
        with pytest.raises(ClientError) as e:
            ecs.create_service(serviceName=uniq("lone"), taskDefinition=td["taskDefinitionArn"], desiredCount=1, launchType="FARGATE",
                               networkConfiguration=AWSVPC,
                               loadBalancers=[{"targetGroupArn": tg["TargetGroupArn"], "containerName": container, "containerPort": port}])
        assert e.value.response["Error"]["Code"] == "InvalidParameterException"
        return dict(e.value.response["Error"])
    assert refused("web", 8080)["Message"] == (f"The target group with targetGroupArn {tg['TargetGroupArn']} does not have an "
                                               "associated load balancer.")
    assert refused("api", 8080)["Message"] == "The container api does not exist in the task definition."
    assert refused("web", 9090)["Message"] == "The container web did not have a container port 9090 defined."

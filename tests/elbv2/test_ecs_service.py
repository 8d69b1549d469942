"""An ECS service behind an ALB: each running task's address and container port is
registered in the service's target group, the load balancer serves from the tasks, and a
task that stops is deregistered (draining, then gone)."""

from __future__ import annotations

import http.client

import pytest
from waiting import wait_for

from tests.ecs.conftest import image  # noqa: F401 - the busybox image fixture
from tests.ecs.images import containers_skip_reason
from tests.ecs.test_api import AWSVPC
from tests.ecs.test_services import running_tasks, steady
from tests.ecs.test_tasks import HTTPD, register
from tests.elbv2.elb_helpers import SUBNETS, VPC, resolve, uniq, wait_listening


@pytest.mark.skipif(containers_skip_reason() is not None, reason=str(containers_skip_reason()))
@pytest.mark.xdist_group("ecs-containers")
def test_an_ecs_service_of_two_behind_an_alb(gureum, image) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    ecs, elb = gureum.client("ecs"), gureum.client("elbv2")
    tg = elb.create_target_group(Name=uniq("ecs"), Protocol="HTTP", Port=8080, VpcId=VPC, TargetType="ip",
                                 HealthCheckPath="/index.html", HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
                                 HealthyThresholdCount=2)["TargetGroups"][0]
    elb.modify_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"], Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": "2"}])
    lb = elb.create_load_balancer(Name=uniq("alb"), Subnets=SUBNETS)["LoadBalancers"][0]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    td = register(ecs, image, [{"name": "web", "command": HTTPD, "portMappings": [{"containerPort": 8080}], "stopTimeout": 2}])
    svc = uniq("lb")
    ecs.create_service(serviceName=svc, taskDefinition=td, desiredCount=2, launchType="FARGATE", networkConfiguration=AWSVPC,
                       loadBalancers=[{"targetGroupArn": tg["TargetGroupArn"], "containerName": "web", "containerPort": 8080}])
    steady(ecs, svc, 2)  # steady once both targets are healthy
    ips = sorted(t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"] for t in running_tasks(ecs, svc))

    def registered() -> list[str]:
        out = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]
        return sorted(d["Target"]["Id"] for d in out if d["TargetHealth"]["State"] != "draining")
    wait_for("both tasks registered", lambda: registered() == ips, 30)
    address = wait_for("the load balancer's name", lambda: resolve(gureum.dns_port, lb["DNSName"]), 20)
    wait_listening(address, 80)
    for _ in range(4):
        conn = http.client.HTTPConnection(address, 80, timeout=30)
        conn.request("GET", "/index.html")
        r = conn.getresponse()
        assert (r.status, r.read()) == (200, b"hello from gureum\n")
        conn.close()
    ecs.update_service(service=svc, desiredCount=1)
    steady(ecs, svc, 1)
    left = [t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"] for t in running_tasks(ecs, svc)]
    wait_for("the stopped task deregistered", lambda: registered() == left, 60)
    ecs.delete_service(service=svc, force=True)

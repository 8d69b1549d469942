"""DAEMON services: one task on each ACTIVE container instance that meets the placement
constraints, desiredCount following the instances, deployment defaults 0%/100%, tasks
leaving instances that drain or stop meeting the constraints; FARGATE refused."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from .images import containers_skip_reason
from .test_api import AWSVPC, err, uniq
from .test_ec2_launch_type import add_instance, ec2_td, new_cluster

LOOP = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]


def test_daemon_validation(ecs, image):
    cluster = new_cluster(ecs)
    td = ec2_td(ecs, image, cpu=64, memory=32, command=LOOP)
    with pytest.raises(ClientError) as e:
        ecs.create_service(cluster=cluster, serviceName=uniq("d"), taskDefinition=td, schedulingStrategy="DAEMON", launchType="FARGATE", networkConfiguration=AWSVPC)
    assert err(e)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        ecs.create_service(cluster=cluster, serviceName=uniq("d"), taskDefinition=td, schedulingStrategy="DAEMON", launchType="EC2", desiredCount=2)
    assert err(e)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        ecs.create_service(cluster=cluster, serviceName=uniq("d"), taskDefinition=td, schedulingStrategy="DAEMON", launchType="EC2",
                           placementStrategy=[{"type": "spread", "field": "instanceId"}])
    assert err(e)[0] == "InvalidParameterException"


@pytest.mark.skipif(containers_skip_reason() is not None, reason=str(containers_skip_reason()))
@pytest.mark.xdist_group("ecs-containers")
def test_one_task_per_eligible_instance(ecs, image):
    cluster = new_cluster(ecs)
    a = add_instance(ecs, cluster)["containerInstanceArn"]
    b = add_instance(ecs, cluster)["containerInstanceArn"]
    add_instance(ecs, cluster, attrs=[{"name": "nodaemon", "value": "1"}])
    td = ec2_td(ecs, image, cpu=64, memory=32, command=LOOP)
    name = uniq("daemon")
    svc = ecs.create_service(
        cluster=cluster, serviceName=name, taskDefinition=td, schedulingStrategy="DAEMON", launchType="EC2",
        placementConstraints=[{"type": "memberOf", "expression": "attribute:nodaemon !exists"}],
    )["service"]
    assert svc["schedulingStrategy"] == "DAEMON"
    cfg = svc["deploymentConfiguration"]
    assert cfg["minimumHealthyPercent"] == 0 and cfg["maximumPercent"] == 100

    def placement(want: set[str]):
        def check():
            s = ecs.describe_services(cluster=cluster, services=[name])["services"][0]
            arns = ecs.list_tasks(cluster=cluster, serviceName=name)["taskArns"]
            tasks = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []
            on = sorted(t["containerInstanceArn"] for t in tasks if t["lastStatus"] == "RUNNING" and t["desiredStatus"] == "RUNNING")
            live = [t for t in tasks if t["desiredStatus"] == "RUNNING"]
            ok = on == sorted(want) and len(live) == len(want) and s["desiredCount"] == len(want) and s["runningCount"] == len(want)
            return s if ok else None

        return wait_for(f"daemon tasks on {len(want)} instances", check, timeout=60)

    placement({a, b})
    c = add_instance(ecs, cluster)["containerInstanceArn"]
    placement({a, b, c})
    # an instance that stops meeting the constraints loses its task
    ecs.put_attributes(cluster=cluster, attributes=[{"name": "nodaemon", "value": "1", "targetId": a}])
    placement({b, c})
    # so does a draining one
    ecs.update_container_instances_state(cluster=cluster, containerInstances=[b], status="DRAINING")
    s = placement({c})
    assert any("has started" in e["message"] for e in s["events"])
    with pytest.raises(ClientError) as e:
        ecs.update_service(cluster=cluster, service=name, desiredCount=3)
    assert err(e)[0] == "InvalidParameterException"
    # a daemon service is deleted without scaling it to zero first
    ecs.delete_service(cluster=cluster, service=name)
    wait_for("INACTIVE", lambda: ecs.describe_services(cluster=cluster, services=[name])["services"][0]["status"] == "INACTIVE", timeout=60)

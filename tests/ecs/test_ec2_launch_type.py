"""The EC2 launch type: container instances (this node's own and ones registered through the
API), resource accounting, placement (failures, binpack, spread, constraints), StartTask,
bridge mode dynamic host ports, host mode, and DRAINING instances."""

from __future__ import annotations

import json
import os
import urllib.request

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from .images import containers_skip_reason
from .test_api import err, uniq, wait_status

containers = pytest.mark.skipif(containers_skip_reason() is not None, reason=str(containers_skip_reason()))


def res(resources: list[dict], name: str):
    r = next(x for x in resources if x["name"] == name)
    return r.get("stringSetValue") if r["type"] == "STRINGSET" else r["integerValue"]


def new_cluster(ecs) -> str:
    return ecs.create_cluster(clusterName=uniq("ec2"))["cluster"]["clusterName"]


def add_instance(ecs, cluster: str, cpu: int = 2048, memory: int = 4096, itype: str = "m5.large", az: str = "us-east-1a", attrs=None) -> dict:
    doc = {"instanceId": f"i-{uniq('x')[2:]}", "instanceType": itype, "availabilityZone": az, "region": "us-east-1"}
    return ecs.register_container_instance(
        cluster=cluster,
        instanceIdentityDocument=json.dumps(doc),
        totalResources=[{"name": "CPU", "type": "INTEGER", "integerValue": cpu}, {"name": "MEMORY", "type": "INTEGER", "integerValue": memory}],
        attributes=attrs or [],
    )["containerInstance"]


def ec2_td(ecs, image: str, cpu: int = 256, memory: int = 256, command=None, network_mode: str = "bridge", ports=None) -> str:
    c = {"name": "app", "image": image, "cpu": cpu, "memory": memory, "portMappings": ports or []}
    if command:
        c["command"] = command
    return ecs.register_task_definition(family=uniq("ec2td"), networkMode=network_mode, containerDefinitions=[c])["taskDefinition"]["taskDefinitionArn"]


def nowhere(gureum) -> str:
    return f"127.0.0.1:{gureum.port}/{uniq('missing')}:v1"  # pulls fail: placement is all these tests look at


def test_this_node_is_a_container_instance(ecs):
    arns = ecs.list_container_instances()["containerInstanceArns"]
    assert arns
    inst = ecs.describe_container_instances(containerInstances=arns)["containerInstances"][0]
    assert inst["status"] == "ACTIVE" and inst["agentConnected"]
    assert res(inst["registeredResources"], "CPU") == (os.cpu_count() or 1) * 1024
    with open("/proc/meminfo") as f:
        total = next(int(line.split()[1]) // 1024 for line in f if line.startswith("MemTotal:"))
    assert res(inst["registeredResources"], "MEMORY") == total
    cluster = ecs.describe_clusters(clusters=["default"])["clusters"][0]
    assert cluster["registeredContainerInstancesCount"] >= 1


def test_register_describe_list_drain_deregister(ecs):
    cluster = new_cluster(ecs)
    a = add_instance(ecs, cluster, cpu=1024, memory=2048, attrs=[{"name": "stack", "value": "blue"}])
    b = add_instance(ecs, cluster)
    assert a["containerInstanceArn"].startswith("arn:aws:ecs:us-east-1:") and f"container-instance/{cluster}/" in a["containerInstanceArn"]
    assert res(a["registeredResources"], "CPU") == 1024 and res(a["remainingResources"], "MEMORY") == 2048
    assert a["runningTasksCount"] == 0 and a["pendingTasksCount"] == 0
    assert {"name": "stack", "value": "blue"} in a["attributes"]
    listed = ecs.list_container_instances(cluster=cluster)["containerInstanceArns"]
    assert sorted(listed) == sorted([a["containerInstanceArn"], b["containerInstanceArn"]])
    assert ecs.list_container_instances(cluster=cluster, filter="attribute:stack == blue")["containerInstanceArns"] == [a["containerInstanceArn"]]
    assert ecs.describe_clusters(clusters=[cluster])["clusters"][0]["registeredContainerInstancesCount"] == 2

    out = ecs.describe_container_instances(cluster=cluster, containerInstances=[a["containerInstanceArn"].rsplit("/", 1)[-1], "nope"])
    assert [i["containerInstanceArn"] for i in out["containerInstances"]] == [a["containerInstanceArn"]]
    assert out["failures"][0]["reason"] == "MISSING"

    drained = ecs.update_container_instances_state(cluster=cluster, containerInstances=[a["containerInstanceArn"]], status="DRAINING")
    assert drained["containerInstances"][0]["status"] == "DRAINING"
    assert ecs.list_container_instances(cluster=cluster, status="DRAINING")["containerInstanceArns"] == [a["containerInstanceArn"]]
    with pytest.raises(ClientError) as e:
        ecs.update_container_instances_state(cluster=cluster, containerInstances=[a["containerInstanceArn"]], status="INACTIVE")
    assert err(e)[0] == "InvalidParameterException"

    with pytest.raises(ClientError) as e:
        ecs.delete_cluster(cluster=cluster)
    assert err(e)[0] == "ClusterContainsContainerInstancesException"

    gone = ecs.deregister_container_instance(cluster=cluster, containerInstance=a["containerInstanceArn"])["containerInstance"]
    assert gone["status"] == "INACTIVE"
    assert ecs.list_container_instances(cluster=cluster)["containerInstanceArns"] == [b["containerInstanceArn"]]
    assert ecs.describe_container_instances(cluster=cluster, containerInstances=[a["containerInstanceArn"]])["containerInstances"][0]["status"] == "INACTIVE"


def test_placement_failures_name_the_resource(ecs, gureum):
    cluster = new_cluster(ecs)
    inst = add_instance(ecs, cluster, cpu=1024, memory=512)
    out = ecs.run_task(cluster=cluster, taskDefinition=ec2_td(ecs, nowhere(gureum), cpu=2048, memory=256), launchType="EC2")
    assert out["tasks"] == [] and out["failures"] == [{"arn": inst["containerInstanceArn"], "reason": "RESOURCE:CPU"}]
    out = ecs.run_task(cluster=cluster, taskDefinition=ec2_td(ecs, nowhere(gureum), cpu=256, memory=1024))
    assert out["tasks"] == [] and out["failures"] == [{"arn": inst["containerInstanceArn"], "reason": "RESOURCE:MEMORY"}]
    # a draining instance takes no new tasks
    ecs.update_container_instances_state(cluster=cluster, containerInstances=[inst["containerInstanceArn"]], status="DRAINING")
    out = ecs.run_task(cluster=cluster, taskDefinition=ec2_td(ecs, nowhere(gureum)))
    assert out["tasks"] == []


def test_accounting_binpack_spread_and_constraints(ecs, gureum):
    cluster = new_cluster(ecs)
    a = add_instance(ecs, cluster, itype="t3.small", az="us-east-1a")
    b = add_instance(ecs, cluster, itype="m5.large", az="us-east-1b")
    td = ec2_td(ecs, nowhere(gureum), cpu=512, memory=1024)

    packed = ecs.run_task(cluster=cluster, taskDefinition=td, count=2, placementStrategy=[{"type": "binpack", "field": "memory"}])
    assert len(packed["tasks"]) == 2 and packed["failures"] == []
    assert len({t["containerInstanceArn"] for t in packed["tasks"]}) == 1
    assert all(t["launchType"] == "EC2" for t in packed["tasks"])
    host = packed["tasks"][0]["containerInstanceArn"]

    def consistent():  # the tasks may stop (their image is missing) while we look
        before = [t["lastStatus"] for t in ecs.describe_tasks(cluster=cluster, tasks=[t["taskArn"] for t in packed["tasks"]])["tasks"]]
        inst = ecs.describe_container_instances(cluster=cluster, containerInstances=[host])["containerInstances"][0]
        after = [t["lastStatus"] for t in ecs.describe_tasks(cluster=cluster, tasks=[t["taskArn"] for t in packed["tasks"]])["tasks"]]
        live = sum(1 for s in after if s != "STOPPED")
        return (inst, live) if [s == "STOPPED" for s in before] == [s == "STOPPED" for s in after] else None

    inst, live = wait_for("a consistent view", consistent, timeout=120)
    assert res(inst["remainingResources"], "CPU") == 2048 - 512 * live
    assert res(inst["remainingResources"], "MEMORY") == 4096 - 1024 * live
    listed = ecs.list_tasks(cluster=cluster, containerInstance=host, desiredStatus="RUNNING")["taskArns"]
    assert set(listed) <= {t["taskArn"] for t in packed["tasks"]}
    for t in packed["tasks"]:
        ecs.stop_task(cluster=cluster, task=t["taskArn"])
    for t in packed["tasks"]:
        wait_status(ecs, t["taskArn"], "STOPPED", timeout=120, cluster=cluster)
    inst = ecs.describe_container_instances(cluster=cluster, containerInstances=[host])["containerInstances"][0]
    assert res(inst["remainingResources"], "CPU") == 2048 and inst["runningTasksCount"] == 0 and inst["pendingTasksCount"] == 0

    spread = ecs.run_task(cluster=cluster, taskDefinition=td, count=2, placementStrategy=[{"type": "spread", "field": "instanceId"}])
    assert len({t["containerInstanceArn"] for t in spread["tasks"]}) == 2

    distinct = ecs.run_task(cluster=cluster, taskDefinition=td, count=3, group=uniq("g"), placementConstraints=[{"type": "distinctInstance"}])
    assert len(distinct["tasks"]) == 2 and len({t["containerInstanceArn"] for t in distinct["tasks"]}) == 2
    assert {f["reason"] for f in distinct["failures"]} == {"DistinctInstance"}

    member = ecs.run_task(
        cluster=cluster, taskDefinition=td, count=2, placementConstraints=[{"type": "memberOf", "expression": "attribute:ecs.instance-type =~ t3.*"}]
    )
    assert [t["containerInstanceArn"] for t in member["tasks"]] == [a["containerInstanceArn"]] * 2
    member = ecs.run_task(
        cluster=cluster, taskDefinition=td, placementConstraints=[{"type": "memberOf", "expression": "attribute:ecs.availability-zone in [us-east-1b]"}]
    )
    assert member["tasks"][0]["containerInstanceArn"] == b["containerInstanceArn"]
    assert member["tasks"][0]["availabilityZone"] == "us-east-1b"

    started = ecs.start_task(cluster=cluster, taskDefinition=td, containerInstances=[b["containerInstanceArn"]])
    assert [t["containerInstanceArn"] for t in started["tasks"]] == [b["containerInstanceArn"]]
    with pytest.raises(ClientError) as e:
        ecs.run_task(cluster=cluster, taskDefinition=td, placementStrategy=[{"type": "binpack", "field": "disk"}])
    assert err(e)[0] == "InvalidParameterException"


@containers
@pytest.mark.xdist_group("ecs-containers")
def test_bridge_dynamic_port_and_host_mode_on_this_node(ecs, image):
    local = ecs.list_container_instances()["containerInstanceArns"][0]
    td = ec2_td(ecs, image, cpu=128, memory=64, command=["httpd", "-f", "-p", "8080", "-h", "/var/www"], ports=[{"containerPort": 8080, "hostPort": 0}])
    out = ecs.start_task(taskDefinition=td, containerInstances=[local])
    assert out["failures"] == []
    arn = out["tasks"][0]["taskArn"]
    task = wait_status(ecs, arn, "RUNNING", timeout=120)
    assert task["containerInstanceArn"] == local and task["launchType"] == "EC2"
    binding = task["containers"][0]["networkBindings"][0]
    assert binding["containerPort"] == 8080 and 49153 <= binding["hostPort"] <= 65535
    body = urllib.request.urlopen(f"http://127.0.0.1:{binding['hostPort']}/", timeout=10).read()
    assert body
    inst = ecs.describe_container_instances(containerInstances=[local])["containerInstances"][0]
    assert inst["runningTasksCount"] >= 1
    with pytest.raises(ClientError) as e:
        ecs.deregister_container_instance(containerInstance=local)
    assert err(e) == ("InvalidParameterException", "Found running tasks on the instance.")
    ecs.stop_task(task=arn)
    wait_status(ecs, arn, "STOPPED", timeout=120)

    port = 20000 + int(uniq("p")[-4:], 16) % 20000
    td = ec2_td(ecs, image, cpu=128, memory=64, network_mode="host", command=["httpd", "-f", "-p", str(port), "-h", "/var/www"], ports=[{"containerPort": port}])
    arn = ecs.run_task(taskDefinition=td, launchType="EC2")["tasks"][0]["taskArn"]
    task = wait_status(ecs, arn, "RUNNING", timeout=120)
    assert task["containers"][0]["networkBindings"][0]["hostPort"] == port
    wait_for("httpd in host mode", lambda: _get(f"http://127.0.0.1:{port}/"), timeout=120)
    ecs.stop_task(task=arn)
    wait_status(ecs, arn, "STOPPED", timeout=120)


def _get(url: str) -> bytes | None:
    try:
        return urllib.request.urlopen(url, timeout=5).read() or b"-"
    except OSError:
        return None


@containers
@pytest.mark.xdist_group("ecs-containers")
def test_service_tasks_leave_a_draining_instance(ecs, image):
    cluster = new_cluster(ecs)
    a = add_instance(ecs, cluster)
    b = add_instance(ecs, cluster)
    td = ec2_td(ecs, image, cpu=128, memory=64, command=["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"])
    ecs.update_container_instances_state(cluster=cluster, containerInstances=[b["containerInstanceArn"]], status="DRAINING")
    name = uniq("svc")
    ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=td, desiredCount=1, launchType="EC2")

    def running_on() -> list[str]:
        arns = ecs.list_tasks(cluster=cluster, serviceName=name)["taskArns"]
        if not arns:
            return []
        return [t["containerInstanceArn"] for t in ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if t["lastStatus"] == "RUNNING"]

    assert wait_for("service task on a", running_on, timeout=120) == [a["containerInstanceArn"]]
    ecs.update_container_instances_state(cluster=cluster, containerInstances=[b["containerInstanceArn"]], status="ACTIVE")
    ecs.update_container_instances_state(cluster=cluster, containerInstances=[a["containerInstanceArn"]], status="DRAINING")
    assert wait_for("service task moved to b", lambda: running_on() == [b["containerInstanceArn"]], timeout=120)
    ecs.update_service(cluster=cluster, service=name, desiredCount=0)
    ecs.delete_service(cluster=cluster, service=name)


def test_member_of_expressions():
    from gureum.services.ecs.instances import match

    inst = {
        "ec2InstanceId": "i-0abc",
        "attributes": [{"name": "ecs.instance-type", "value": "t3.small"}, {"name": "ecs.availability-zone", "value": "us-east-1b"}, {"name": "gpu"}],
    }
    assert match("attribute:ecs.instance-type == t3.small", inst)
    assert not match("attribute:ecs.instance-type != t3.small", inst)
    assert match("attribute:ecs.instance-type =~ t3.*", inst)
    assert match("attribute:ecs.instance-type !~ m5.*", inst)
    assert match("attribute:ecs.availability-zone in [us-east-1a, us-east-1b]", inst)
    assert match("attribute:ecs.availability-zone not in [us-east-1a]", inst)
    assert match("attribute:gpu exists and ec2InstanceId == i-0abc", inst)
    assert match("attribute:nope exists or attribute:ecs.instance-type == t3.small", inst)
    assert not match("attribute:nope exists", inst)

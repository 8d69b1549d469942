"""ECS control plane through boto3 against a real gureum: clusters, task definitions,
RunTask validation and errors as AWS words them (no containers needed here)."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from .images import containers_skip_reason

AWSVPC = {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"], "securityGroups": ["sg-12345678"]}}


@pytest.fixture(scope="module")
def ecs(gureum):
    return gureum.client("ecs")


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def err(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    e = exc.value.response["Error"]
    return e["Code"], e["Message"]


def fargate_td(ecs, family: str, **kw):
    args = {
        "family": family,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [{"name": "app", "image": "127.0.0.1:1/none:latest"}],
    }
    args.update(kw)
    return ecs.register_task_definition(**args)["taskDefinition"]


def test_default_cluster_exists_on_first_use_and_clusters_are_idempotent(ecs):
    assert ecs.list_tasks()["taskArns"] == [] or True  # creates the default cluster
    d = ecs.describe_clusters()["clusters"]
    assert [c["clusterName"] for c in d] == ["default"]
    name = uniq("c")
    a = ecs.create_cluster(clusterName=name, tags=[{"key": "k", "value": "v"}])["cluster"]
    b = ecs.create_cluster(clusterName=name)["cluster"]
    assert a["clusterArn"] == b["clusterArn"] == f"arn:aws:ecs:us-east-1:000000000000:cluster/{name}"
    assert a["status"] == "ACTIVE" and a["runningTasksCount"] == 0
    assert a["clusterArn"] in ecs.list_clusters()["clusterArns"]
    got = ecs.describe_clusters(clusters=[name, "nope"], include=["TAGS"])
    assert got["clusters"][0]["tags"] == [{"key": "k", "value": "v"}]
    assert got["failures"] == [{"arn": "arn:aws:ecs:us-east-1:000000000000:cluster/nope", "reason": "MISSING"}]
    deleted = ecs.delete_cluster(cluster=name)["cluster"]
    assert deleted["status"] == "INACTIVE"
    assert a["clusterArn"] not in ecs.list_clusters()["clusterArns"]
    with pytest.raises(ClientError) as e:
        ecs.run_task(cluster=name, taskDefinition="x")
    assert err(e) == ("ClusterNotFoundException", "Cluster not found.")


def test_capacity_providers_on_a_cluster(ecs):
    name = uniq("cp")
    c = ecs.create_cluster(
        clusterName=name,
        capacityProviders=["FARGATE", "FARGATE_SPOT"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1, "base": 1}],
    )["cluster"]
    assert c["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    with pytest.raises(ClientError) as e:
        ecs.put_cluster_capacity_providers(cluster=name, capacityProviders=["NOPE"], defaultCapacityProviderStrategy=[])
    assert err(e)[0] == "InvalidParameterException"


def test_task_definition_revisions_and_states(ecs):
    fam = uniq("fam")
    one = fargate_td(ecs, fam)
    two = fargate_td(ecs, fam)
    assert (one["revision"], two["revision"]) == (1, 2)
    assert one["taskDefinitionArn"] == f"arn:aws:ecs:us-east-1:000000000000:task-definition/{fam}:1"
    assert one["status"] == "ACTIVE" and one["compatibilities"] == ["EC2", "FARGATE"]
    assert one["containerDefinitions"][0]["essential"] is True
    latest = ecs.describe_task_definition(taskDefinition=fam)["taskDefinition"]
    assert latest["revision"] == 2
    arns = ecs.list_task_definitions(familyPrefix=fam)["taskDefinitionArns"]
    assert arns == [one["taskDefinitionArn"], two["taskDefinitionArn"]]
    assert fam in ecs.list_task_definition_families(familyPrefix=fam)["families"]
    gone = ecs.deregister_task_definition(taskDefinition=f"{fam}:2")["taskDefinition"]
    assert gone["status"] == "INACTIVE" and "deregisteredAt" in gone
    assert ecs.describe_task_definition(taskDefinition=fam)["taskDefinition"]["revision"] == 1
    assert ecs.list_task_definitions(familyPrefix=fam, status="INACTIVE")["taskDefinitionArns"] == [two["taskDefinitionArn"]]
    res = ecs.delete_task_definitions(taskDefinitions=[f"{fam}:1", f"{fam}:2"])
    assert [d["status"] for d in res["taskDefinitions"]] == ["DELETE_IN_PROGRESS"]
    assert "ACTIVE" in res["failures"][0]["reason"]
    with pytest.raises(ClientError) as e:
        ecs.describe_task_definition(taskDefinition=f"{fam}:2")
    assert err(e) == ("ClientException", "Unable to describe task definition.")
    with pytest.raises(ClientError) as e:
        ecs.run_task(taskDefinition=f"{fam}:2", launchType="FARGATE", networkConfiguration=AWSVPC)
    assert err(e)[0] == "ClientException"


@pytest.mark.parametrize(
    "kw,message",
    [
        ({"networkMode": "bridge"}, "Fargate only supports network mode \u2018awsvpc\u2019."),
        ({"cpu": "256", "memory": "4096"}, "No Fargate configuration exists for given values: 256 CPU, 4096 memory. See the Amazon ECS documentation for the valid values."),
        ({"cpu": "8192", "memory": "18432"}, "No Fargate configuration exists for given values: 8192 CPU, 18432 memory. See the Amazon ECS documentation for the valid values."),
    ],
)
def test_fargate_task_definitions_are_validated_as_aws_does(ecs, kw, message):
    with pytest.raises(ClientError) as e:
        fargate_td(ecs, uniq("bad"), **kw)
    assert err(e) == ("ClientException", message)


def test_fargate_sizes_accept_vcpu_and_gb_notation(ecs):
    td = fargate_td(ecs, uniq("sz"), cpu="1 vCPU", memory="3 GB")
    assert (td["cpu"], td["memory"]) == ("1024", "3072")
    td = fargate_td(ecs, uniq("sz"), cpu="16384", memory="122880")
    assert td["memory"] == "122880"


def test_ec2_containers_need_memory(ecs):
    with pytest.raises(ClientError) as e:
        ecs.register_task_definition(family=uniq("ec2"), containerDefinitions=[{"name": "a", "image": "busybox"}])
    assert err(e) == ("ClientException", "Invalid setting for container 'a'. At least one of 'memory' or 'memoryReservation' must be specified.")


def test_run_task_errors(ecs):
    fam = uniq("rt")
    fargate_td(ecs, fam)
    with pytest.raises(ClientError) as e:
        ecs.run_task(taskDefinition=fam, launchType="FARGATE")
    assert err(e) == ("InvalidParameterException", "Network Configuration must be provided when networkMode 'awsvpc' is specified.")
    empty = ecs.create_cluster(clusterName=uniq("empty"))["cluster"]["clusterName"]  # the default cluster holds this node's instance
    with pytest.raises(ClientError) as e:
        ecs.run_task(cluster=empty, taskDefinition=fam)
    assert err(e) == ("InvalidParameterException", "No Container Instances were found in your cluster.")
    with pytest.raises(ClientError) as e:
        ecs.run_task(taskDefinition=fam, launchType="FARGATE", networkConfiguration=AWSVPC, count=11)
    assert err(e)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        ecs.run_task(
            taskDefinition=fam,
            launchType="FARGATE",
            capacityProviderStrategy=[{"capacityProvider": "FARGATE"}],
            networkConfiguration=AWSVPC,
        )
    assert err(e)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        ecs.run_task(taskDefinition="no-such-family", launchType="FARGATE", networkConfiguration=AWSVPC)
    assert err(e) == ("ClientException", "Unable to describe task definition.")
    with pytest.raises(ClientError) as e:
        ecs.run_task(
            taskDefinition=fam,
            launchType="FARGATE",
            networkConfiguration=AWSVPC,
            overrides={"containerOverrides": [{"name": "ghost"}]},
        )
    assert err(e)[0] == "InvalidParameterException"
    ec2_fam = uniq("ec2")
    ecs.register_task_definition(family=ec2_fam, containerDefinitions=[{"name": "a", "image": "busybox", "memory": 64}])
    with pytest.raises(ClientError) as e:
        ecs.run_task(taskDefinition=ec2_fam, launchType="FARGATE", networkConfiguration=AWSVPC)
    assert err(e) == ("InvalidParameterException", "Task definition does not support launch_type FARGATE.")


def test_describe_and_stop_unknown_tasks(ecs):
    res = ecs.describe_tasks(tasks=["0123456789abcdef0123456789abcdef"])
    assert res["tasks"] == []
    assert res["failures"] == [
        {"arn": "arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef", "reason": "MISSING"}
    ]
    with pytest.raises(ClientError) as e:
        ecs.stop_task(task="0123456789abcdef0123456789abcdef")
    assert err(e) == ("InvalidParameterException", "The referenced task was not found.")


@pytest.mark.skipif(containers_skip_reason() is not None, reason=str(containers_skip_reason()))
def test_a_task_that_cannot_pull_fails_to_start_with_aws_reason(ecs):
    """An image on a registry that is not there: the task goes through the lifecycle to
    STOPPED with TaskFailedToStart and a CannotPullContainerError reason."""
    fam = uniq("nopull")
    fargate_td(ecs, fam, containerDefinitions=[{"name": "app", "image": "127.0.0.1:9/none/such:latest"}])
    arn = ecs.run_task(taskDefinition=fam, launchType="FARGATE", networkConfiguration=AWSVPC, startedBy="me")["tasks"][0]["taskArn"]
    task = wait_status(ecs, arn, "STOPPED")
    assert task["desiredStatus"] == "STOPPED"
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("CannotPullContainerError:")
    assert task["containers"][0]["reason"].startswith("CannotPullContainerError:")
    assert task["startedBy"] == "me"
    assert arn in ecs.list_tasks(desiredStatus="STOPPED")["taskArns"]
    assert arn not in ecs.list_tasks()["taskArns"]


def wait_status(ecs, arn: str, status: str, timeout: float = 60.0, cluster: str = "default") -> dict:
    """The task once its lastStatus is `status`."""
    last: dict = {}

    def reached() -> dict | None:
        nonlocal last
        last = ecs.describe_tasks(cluster=cluster, tasks=[arn])["tasks"][0]
        return last if last["lastStatus"] == status else None

    try:
        return wait_for(f"task {arn} {status}", reached, timeout, interval=0.05)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the task: {last}") from None


def test_tags_on_clusters_and_task_definitions(ecs):
    fam = uniq("tag")
    td = fargate_td(ecs, fam, tags=[{"key": "team", "value": "a"}])
    arn = td["taskDefinitionArn"]
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "dev"}])
    tags = ecs.list_tags_for_resource(resourceArn=arn)["tags"]
    assert sorted(t["key"] for t in tags) == ["env", "team"]
    ecs.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "env", "value": "dev"}]


def test_availability_zone_rebalancing_defaults_as_aws(ecs):
    # AWS (2025): CreateService without availabilityZoneRebalancing is ENABLED for a service that
    # can be rebalanced; UpdateService without it keeps the service's value.
    td = fargate_td(ecs, uniq("azr"))["taskDefinitionArn"]
    name = uniq("azr")
    created = ecs.create_service(serviceName=name, taskDefinition=td, desiredCount=0, launchType="FARGATE",
                                 networkConfiguration=AWSVPC)["service"]
    assert created["availabilityZoneRebalancing"] == "ENABLED"
    assert ecs.update_service(service=name, desiredCount=0)["service"]["availabilityZoneRebalancing"] == "ENABLED"
    updated = ecs.update_service(service=name, availabilityZoneRebalancing="DISABLED")["service"]
    assert updated["availabilityZoneRebalancing"] == "DISABLED"
    described = ecs.describe_services(services=[name])["services"][0]
    assert described["availabilityZoneRebalancing"] == "DISABLED"
    other = ecs.create_service(serviceName=uniq("azr"), taskDefinition=td, desiredCount=0, launchType="FARGATE",
                               networkConfiguration=AWSVPC, availabilityZoneRebalancing="DISABLED")["service"]
    assert other["availabilityZoneRebalancing"] == "DISABLED"
    for n in (name, other["serviceName"]):
        ecs.delete_service(service=n, force=True)

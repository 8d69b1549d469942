"""ECS capacity providers through boto3 against a real gureum: Auto Scaling group providers
created, described (with the built-in FARGATE and FARGATE_SPOT), updated and deleted;
clusters' providers and default strategies, the strategy RunTask uses when no launch type is
given (`capacityProviderName` on the task), and the errors AWS gives. Tasks here are only
placed (their images do not exist), so no container needs to run."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from .test_api import AWSVPC, err, fargate_td, uniq
from .test_ec2_launch_type import add_instance, ec2_td, nowhere


@pytest.fixture(scope="module")
def ecs(gureum):
    return gureum.client("ecs")


def asg_arn(name: str) -> str:
    return f"arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:{uniq('x')[2:]}-0000:autoScalingGroupName/{name}"


def new_provider(ecs, **asg) -> dict:
    name = uniq("cp")
    return ecs.create_capacity_provider(name=name, autoScalingGroupProvider={"autoScalingGroupArn": asg_arn(name), **asg},
                                        tags=[{"key": "team", "value": "blue"}])["capacityProvider"]


def test_create_describe_update_delete(ecs):
    cp = new_provider(ecs, managedScaling={"status": "ENABLED", "targetCapacity": 80})
    name = cp["name"]
    assert cp["status"] == "ACTIVE" and cp["capacityProviderArn"].endswith(f":capacity-provider/{name}")
    asg = cp["autoScalingGroupProvider"]
    assert asg["managedScaling"]["targetCapacity"] == 80 and asg["managedScaling"]["maximumScalingStepSize"] == 10000
    assert asg["managedTerminationProtection"] == "DISABLED" and asg["managedDraining"] == "ENABLED"

    out = ecs.describe_capacity_providers(capacityProviders=[name, cp["capacityProviderArn"], "nope-" + name], include=["TAGS"])
    assert [c["name"] for c in out["capacityProviders"]] == [name, name]
    assert out["capacityProviders"][0]["tags"] == [{"key": "team", "value": "blue"}]
    assert out["failures"][0]["reason"] == "MISSING" and out["failures"][0]["arn"].endswith("capacity-provider/nope-" + name)

    up = ecs.update_capacity_provider(name=name, autoScalingGroupProvider={"managedScaling": {"targetCapacity": 50}})["capacityProvider"]
    assert up["autoScalingGroupProvider"]["managedScaling"]["targetCapacity"] == 50
    assert up["autoScalingGroupProvider"]["managedScaling"]["status"] == "ENABLED"

    gone = ecs.delete_capacity_provider(capacityProvider=name)["capacityProvider"]
    assert gone["status"] == "INACTIVE"
    again = ecs.describe_capacity_providers(capacityProviders=[name])["capacityProviders"]
    assert again[0]["status"] == "INACTIVE"
    with pytest.raises(ClientError) as exc:
        ecs.delete_capacity_provider(capacityProvider=name)
    assert err(exc)[0] == "ClientException"


def test_listing_has_the_built_in_providers_and_pages(ecs):
    mine = {new_provider(ecs)["name"] for _ in range(2)}
    names, token = [], None
    while True:
        out = ecs.describe_capacity_providers(maxResults=2, **({"nextToken": token} if token else {}))
        assert len(out["capacityProviders"]) <= 2
        names += [c["name"] for c in out["capacityProviders"]]
        token = out.get("nextToken")
        if not token:
            break
    assert names[:2] == ["FARGATE", "FARGATE_SPOT"] and mine <= set(names) and len(names) == len(set(names))


@pytest.mark.parametrize(
    ("kw", "code", "fragment"),
    [
        ({"name": "fargate-mine"}, "InvalidParameterException", "prefixed"),
        ({"name": "AWSthing"}, "InvalidParameterException", "prefixed"),
        ({"name": "bad name!"}, "InvalidParameterException", "255 letters"),
        ({"name": "no-asg"}, "InvalidParameterException", "Auto Scaling group"),
        ({"name": "bad-arn", "autoScalingGroupProvider": {"autoScalingGroupArn": "arn:aws:s3:::bucket"}}, "InvalidParameterException", "Auto Scaling group ARN"),
        ({"name": "bad-target", "autoScalingGroupProvider": {"autoScalingGroupArn": asg_arn("t"), "managedScaling": {"targetCapacity": 101}}},
         "InvalidParameterException", "failed to satisfy constraint"),
        ({"name": "bad-steps", "autoScalingGroupProvider": {"autoScalingGroupArn": asg_arn("t"),
                                                             "managedScaling": {"minimumScalingStepSize": 20, "maximumScalingStepSize": 10}}},
         "InvalidParameterException", "step sizes"),
    ],
)
def test_create_validation(ecs, kw, code, fragment):
    with pytest.raises(ClientError) as exc:
        ecs.create_capacity_provider(**kw)
    got_code, message = err(exc)
    assert got_code == code and fragment in message


def test_duplicates_and_built_ins_are_refused(ecs):
    cp = new_provider(ecs)
    with pytest.raises(ClientError) as exc:
        ecs.create_capacity_provider(name=cp["name"], autoScalingGroupProvider={"autoScalingGroupArn": asg_arn("other")})
    assert err(exc)[0] == "ClientException" and "already exists" in err(exc)[1]
    with pytest.raises(ClientError) as exc:
        ecs.create_capacity_provider(name=uniq("cp"), autoScalingGroupProvider={"autoScalingGroupArn": cp["autoScalingGroupProvider"]["autoScalingGroupArn"]})
    assert err(exc)[0] == "ClientException"
    for call in (lambda: ecs.delete_capacity_provider(capacityProvider="FARGATE"),
                 lambda: ecs.update_capacity_provider(name="FARGATE_SPOT", autoScalingGroupProvider={"managedDraining": "DISABLED"})):
        with pytest.raises(ClientError) as exc:
            call()
        assert err(exc)[0] == "InvalidParameterException"


def test_cluster_association_rules(ecs):
    cp = new_provider(ecs)["name"]
    cluster = ecs.create_cluster(clusterName=uniq("cpc"))["cluster"]["clusterName"]
    with pytest.raises(ClientError) as exc:  # Fargate and Auto Scaling group providers do not mix in a strategy
        ecs.put_cluster_capacity_providers(cluster=cluster, capacityProviders=["FARGATE", cp], defaultCapacityProviderStrategy=[
            {"capacityProvider": "FARGATE", "weight": 1}, {"capacityProvider": cp, "weight": 1}])
    assert err(exc)[0] == "InvalidParameterException" and "mix" in err(exc)[1]
    with pytest.raises(ClientError) as exc:
        ecs.put_cluster_capacity_providers(cluster=cluster, capacityProviders=["FARGATE"], defaultCapacityProviderStrategy=[
            {"capacityProvider": cp, "weight": 1}])
    assert err(exc)[0] == "InvalidParameterException" and "not associated" in err(exc)[1]
    got = ecs.put_cluster_capacity_providers(cluster=cluster, capacityProviders=["FARGATE", cp], defaultCapacityProviderStrategy=[
        {"capacityProvider": cp, "weight": 1, "base": 1}])["cluster"]
    assert got["capacityProviders"] == ["FARGATE", cp]
    assert got["defaultCapacityProviderStrategy"] == [{"capacityProvider": cp, "weight": 1, "base": 1}]
    with pytest.raises(ClientError) as exc:  # a provider a cluster has cannot be deleted
        ecs.delete_capacity_provider(capacityProvider=cp)
    assert err(exc)[0] == "ClientException" and cluster in err(exc)[1]
    ecs.put_cluster_capacity_providers(cluster=cluster, capacityProviders=[], defaultCapacityProviderStrategy=[])
    assert ecs.delete_capacity_provider(capacityProvider=cp)["capacityProvider"]["status"] == "INACTIVE"
    with pytest.raises(ClientError) as exc:  # an INACTIVE provider cannot be associated
        ecs.put_cluster_capacity_providers(cluster=cluster, capacityProviders=[cp], defaultCapacityProviderStrategy=[])
    assert err(exc)[0] == "InvalidParameterException" and "ACTIVE" in err(exc)[1]


def test_run_task_uses_the_clusters_default_fargate_strategy(ecs):
    cluster = ecs.create_cluster(clusterName=uniq("cps"), capacityProviders=["FARGATE", "FARGATE_SPOT"], defaultCapacityProviderStrategy=[
        {"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 1}, {"capacityProvider": "FARGATE", "weight": 3}])["cluster"]["clusterName"]
    td = fargate_td(ecs, uniq("cpf"))["taskDefinitionArn"]
    task = ecs.run_task(cluster=cluster, taskDefinition=td, networkConfiguration=AWSVPC)["tasks"][0]
    try:
        assert task["capacityProviderName"] == "FARGATE_SPOT" and task["launchType"] == "FARGATE"
        # a provider in use by a task cannot be taken off the cluster
        with pytest.raises(ClientError) as exc:
            ecs.put_cluster_capacity_providers(cluster=cluster, capacityProviders=["FARGATE"], defaultCapacityProviderStrategy=[])
        assert err(exc) == ("ResourceInUseException", "The specified capacity provider is in use and cannot be removed.")
        # an explicit strategy naming a provider the cluster lacks
        other = ecs.create_cluster(clusterName=uniq("cpn"))["cluster"]["clusterName"]
        with pytest.raises(ClientError) as exc:
            ecs.run_task(cluster=other, taskDefinition=td, networkConfiguration=AWSVPC, capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}])
        assert err(exc)[0] == "InvalidParameterException" and "not associated" in err(exc)[1]
    finally:
        ecs.stop_task(cluster=cluster, task=task["taskArn"])


def test_run_task_through_an_auto_scaling_group_provider(ecs, gureum):
    cp = new_provider(ecs)["name"]
    cluster = ecs.create_cluster(clusterName=uniq("cpa"), capacityProviders=[cp], defaultCapacityProviderStrategy=[
        {"capacityProvider": cp, "weight": 1}])["cluster"]["clusterName"]
    add_instance(ecs, cluster)
    out = ecs.run_task(cluster=cluster, taskDefinition=ec2_td(ecs, nowhere(gureum)))
    assert out["failures"] == []
    task = out["tasks"][0]
    assert task["capacityProviderName"] == cp and task["launchType"] == "EC2"
    ecs.stop_task(cluster=cluster, task=task["taskArn"])


def test_service_runs_its_tasks_through_the_clusters_auto_scaling_group_provider(ecs, gureum):
    cp = new_provider(ecs)["name"]
    cluster = ecs.create_cluster(clusterName=uniq("cpsv"), capacityProviders=[cp], defaultCapacityProviderStrategy=[
        {"capacityProvider": cp, "weight": 1}])["cluster"]["clusterName"]
    inst = add_instance(ecs, cluster)
    name = uniq("svc")
    svc = ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=ec2_td(ecs, nowhere(gureum)), desiredCount=1)["service"]
    assert svc["capacityProviderStrategy"] == [{"capacityProvider": cp, "weight": 1, "base": 0}] and "launchType" not in svc
    try:
        # the image does not exist, so a task may already have stopped when we look
        def tasks() -> list[str]:
            return [a for status in ("RUNNING", "STOPPED") for a in ecs.list_tasks(cluster=cluster, serviceName=name, desiredStatus=status)["taskArns"]]

        arns = wait_for("the service's task", tasks)
        task = ecs.describe_tasks(cluster=cluster, tasks=arns[:1])["tasks"][0]
        assert task["capacityProviderName"] == cp and task["launchType"] == "EC2"
        assert task["containerInstanceArn"] == inst["containerInstanceArn"]
    finally:
        ecs.delete_service(cluster=cluster, service=name, force=True)

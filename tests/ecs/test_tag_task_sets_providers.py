"""ECS TagResource / UntagResource / ListTagsForResource on a capacity provider and on a task
set through boto3, as AWS tags both; a built-in provider and a missing task set refused."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from .test_api import AWSVPC, uniq
from .test_tasks import register


@pytest.fixture(scope="module")
def ecs(gureum: Any) -> Any:
    return gureum.client("ecs")


def err(call: Any) -> str:
    with pytest.raises(ClientError) as e:
        call()
    return str(e.value.response["Error"]["Code"])


def _asg(name: str) -> str:
    return f"arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:0f1e2d3c-0000-4000-8000-000000000002:autoScalingGroupName/{name}"


def test_tags_on_capacity_providers_and_task_sets(ecs: Any) -> None:
    name = uniq("cp")
    cp = ecs.create_capacity_provider(name=name, autoScalingGroupProvider={"autoScalingGroupArn": _asg(name)},
                                      tags=[{"key": "a", "value": "1"}])["capacityProvider"]["capacityProviderArn"]
    ecs.tag_resource(resourceArn=cp, tags=[{"key": "b", "value": "2"}])
    ecs.untag_resource(resourceArn=cp, tagKeys=["a"])
    assert ecs.list_tags_for_resource(resourceArn=cp)["tags"] == [{"key": "b", "value": "2"}]
    described = ecs.describe_capacity_providers(capacityProviders=[name], include=["TAGS"])["capacityProviders"][0]
    assert described["tags"] == [{"key": "b", "value": "2"}]
    fargate = cp.rsplit("/", 1)[0] + "/FARGATE"
    assert err(lambda: ecs.tag_resource(resourceArn=fargate, tags=[{"key": "x", "value": "y"}])) == "InvalidParameterException"

    td = register(ecs, "127.0.0.1:1/none:v1", [{"name": "a"}])
    svc = uniq("ext")
    ecs.create_service(serviceName=svc, desiredCount=0, deploymentController={"type": "EXTERNAL"})
    ts = ecs.create_task_set(cluster="default", service=svc, taskDefinition=td, launchType="FARGATE",
                             networkConfiguration=AWSVPC)["taskSet"]
    ecs.tag_resource(resourceArn=ts["taskSetArn"], tags=[{"key": "stage", "value": "blue"}])
    assert ecs.list_tags_for_resource(resourceArn=ts["taskSetArn"])["tags"] == [{"key": "stage", "value": "blue"}]
    got = ecs.describe_task_sets(cluster="default", service=svc, taskSets=[ts["id"]], include=["TAGS"])["taskSets"][0]
    assert got["tags"] == [{"key": "stage", "value": "blue"}]
    ecs.untag_resource(resourceArn=ts["taskSetArn"], tagKeys=["stage"])
    assert ecs.list_tags_for_resource(resourceArn=ts["taskSetArn"])["tags"] == []
    missing = ts["taskSetArn"].rsplit("/", 1)[0] + "/0000000000000000000"
    assert err(lambda: ecs.list_tags_for_resource(resourceArn=missing)) == "InvalidParameterException"
    ecs.delete_service(service=svc, force=True)
    ecs.delete_capacity_provider(capacityProvider=name)

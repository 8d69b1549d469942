"""The container agent's APIs (SubmitTaskStateChange, SubmitContainerStateChange,
SubmitAttachmentStateChanges, UpdateContainerAgent) and ExecuteCommand, through boto3: checked
as ECS checks them, acknowledged, a reported STOPPED stopping the task; ExecuteCommand answers
as AWS does for a task without ECS Exec and for one whose exec agent never connected (no SSM)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from .test_api import AWSVPC, err, uniq
from .test_tasks import register


@pytest.fixture(scope="module")
def task(ecs) -> dict:
    td = register(ecs, "127.0.0.1:1/none:v1", [{"name": "app"}])
    return ecs.run_task(taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC)["tasks"][0]


def test_state_changes_are_checked_and_acknowledged(ecs, task):
    arn = task["taskArn"]
    assert ecs.submit_task_state_change(task=arn, status="RUNNING", containers=[{"containerName": "app", "status": "RUNNING"}])["acknowledgment"] == "ACK"
    assert ecs.submit_container_state_change(task=arn, containerName="app", status="RUNNING")["acknowledgment"] == "ACK"
    attachment = task["attachments"][0]["id"]
    assert ecs.submit_attachment_state_changes(attachments=[{"attachmentArn": f"arn:aws:ecs:us-east-1:000000000000:attachment/{attachment}",
                                                             "status": "ATTACHED"}])["acknowledgment"] == "ACK"
    for call, kw in [
        (ecs.submit_task_state_change, {"task": arn, "status": "EXPLODED"}),
        (ecs.submit_task_state_change, {"task": "0123456789abcdef0123456789abcdef", "status": "RUNNING"}),
        (ecs.submit_task_state_change, {"task": arn, "containers": [{"containerName": "nope", "status": "RUNNING"}]}),
        (ecs.submit_container_state_change, {"task": arn, "containerName": "nope", "status": "RUNNING"}),
        (ecs.submit_attachment_state_changes, {"attachments": [{"attachmentArn": "arn:aws:ecs:us-east-1:000000000000:attachment/nope", "status": "ATTACHED"}]}),
    ]:
        with pytest.raises(ClientError) as e:
            call(**kw)
        assert err(e)[0] == "InvalidParameterException", kw
    with pytest.raises(ClientError) as e:
        ecs.submit_task_state_change(cluster=uniq("nocluster"), task=arn, status="RUNNING")
    assert err(e)[0] == "ClusterNotFoundException"


def test_a_reported_stop_stops_the_task(ecs):
    td = register(ecs, "127.0.0.1:1/none:v1", [{"name": "app"}])
    arn = ecs.run_task(taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC)["tasks"][0]["taskArn"]
    ecs.submit_task_state_change(task=arn, status="STOPPED", reason="agent says so")
    t = ecs.describe_tasks(tasks=[arn])["tasks"][0]
    assert t["desiredStatus"] == "STOPPED"


def test_update_container_agent_has_no_update(ecs):
    cluster = uniq("agents")
    ecs.create_cluster(clusterName=cluster)
    doc = {"instanceId": "i-0123456789abcdef0", "region": "us-east-1", "accountId": "000000000000"}
    inst = ecs.register_container_instance(cluster=cluster, instanceIdentityDocument=json.dumps(doc),
                                           totalResources=[{"name": "CPU", "type": "INTEGER", "integerValue": 1024},
                                                           {"name": "MEMORY", "type": "INTEGER", "integerValue": 2048}])["containerInstance"]
    with pytest.raises(ClientError) as e:
        ecs.update_container_agent(cluster=cluster, containerInstance=inst["containerInstanceArn"])
    assert err(e)[0] == "NoUpdateAvailableException"
    with pytest.raises(ClientError) as e:
        ecs.update_container_agent(cluster=cluster, containerInstance="0123456789abcdef")
    assert err(e)[0] == "InvalidParameterException"


def test_execute_command_answers_as_aws_without_a_session(ecs, task):
    with pytest.raises(ClientError) as e:
        ecs.execute_command(task=task["taskArn"], command="/bin/sh", interactive=True)
    assert err(e)[0] == "InvalidParameterException" and "execute command was not enabled" in err(e)[1]
    td = register(ecs, "127.0.0.1:1/none:v1", [{"name": "app"}])
    enabled = ecs.run_task(taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC, enableExecuteCommand=True)["tasks"][0]
    assert enabled["enableExecuteCommand"] is True
    with pytest.raises(ClientError) as e:
        ecs.execute_command(task=enabled["taskArn"], container="app", command="/bin/sh", interactive=True)
    assert err(e)[0] == "TargetNotConnectedException"
    with pytest.raises(ClientError) as e:
        ecs.execute_command(task=enabled["taskArn"], container="other", command="/bin/sh", interactive=True)
    assert err(e)[0] == "InvalidParameterException"

"""Two stack-operation gaps, through boto3 against a real gureum: the "User Initiated" event
of a create, an update and a delete reaches the stack's NotificationARNs like every other
event; a custom resource whose Update answers a new PhysicalResourceId gets the old one
deleted (a Delete request for it) in the update's cleanup, and the stack keeps the new one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from waiting import wait_for

from .helpers import failures, settle, statuses, uniq
from .test_custom_and_nested import _function


@pytest.fixture(scope="module")
def cfn(gureum: Any) -> Any:
    return gureum.client("cloudformation")


def test_user_initiated_events_reach_the_notification_topics(cfn: Any, gureum: Any) -> None:
    sns, sqs = gureum.client("sns"), gureum.client("sqs")
    topic = sns.create_topic(Name=uniq("cfninit"))["TopicArn"]
    url = sqs.create_queue(QueueName=uniq("cfninit"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    name = uniq("ni")
    body = {"Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "a"}}}}
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(body), NotificationARNs=[topic])
    assert settle(cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    body["Resources"]["P"]["Properties"]["Value"] = "b"
    cfn.update_stack(StackName=name, TemplateBody=json.dumps(body))
    assert settle(cfn, name)["StackStatus"] == "UPDATE_COMPLETE"
    cfn.delete_stack(StackName=name)
    seen: list[str] = []

    def initiated() -> set[str]:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            seen.append(m["Body"])
        found = {status for b in seen for status in ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "DELETE_IN_PROGRESS")
                 if f"LogicalResourceId='{name}'" in b and f"ResourceStatus='{status}'" in b
                 and "ResourceStatusReason='User Initiated'" in b}
        return found if len(found) == 3 else set()
    wait_for("the three User Initiated notifications", initiated, timeout=90)
    first = next(b for b in seen if "ResourceStatus='CREATE_IN_PROGRESS'" in b and f"LogicalResourceId='{name}'" in b)
    assert "ResourceType='AWS::CloudFormation::Stack'" in first and f"StackName='{name}'" in first


def test_a_custom_resource_answering_a_new_physical_id_gets_the_old_one_deleted(cfn: Any, gureum: Any) -> None:
    token = _function(gureum)
    name = uniq("cid")
    body = {"Resources": {"Thing": {"Type": "Custom::Thing", "Properties": {"ServiceToken": token, "Name": "one"}}},
            "Outputs": {"Ref": {"Value": {"Ref": "Thing"}}}}
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(body))
    assert settle(cfn, name, timeout=180)["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    body["Resources"]["Thing"]["Properties"]["Name"] = "two"  # the handler answers PhysicalResourceId custom-two
    cfn.update_stack(StackName=name, TemplateBody=json.dumps(body))
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", statuses(cfn, name)
    assert stack["Outputs"][0]["OutputValue"] == "custom-two"
    row = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Thing")["StackResourceDetail"]
    assert row["PhysicalResourceId"] == "custom-two"
    ssm = gureum.client("ssm")
    cleanup = json.loads(ssm.get_parameter(Name=f"/{name}/Delete")["Parameter"]["Value"])
    assert (cleanup["RequestType"], cleanup["PhysicalResourceId"]) == ("Delete", "custom-one")
    assert cleanup["ResourceProperties"]["Name"] == "one"
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=180)["StackStatus"] == "DELETE_COMPLETE"
    final = json.loads(ssm.get_parameter(Name=f"/{name}/Delete")["Parameter"]["Value"])
    assert final["PhysicalResourceId"] == "custom-two"

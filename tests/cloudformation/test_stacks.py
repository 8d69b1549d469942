"""CloudFormation stacks through boto3 against a real gureum: create with YAML short forms and
intrinsics over real SQS/SNS/SSM/S3/Logs resources, events in AWS's order, outputs, delete
removing every resource; a failing resource rolling the create back completely."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from .helpers import error_of, settle, statuses, uniq

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Description: queues and topics
Parameters:
  Env:
    Type: String
    AllowedValues: [dev, prod]
    Default: dev
  Sizes:
    Type: CommaDelimitedList
    Default: "a,b,c"
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
Mappings:
  Retention:
    dev: {Days: 7}
    prod: {Days: 30}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 45
      Tags:
        - {Key: env, Value: !Ref Env}
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: !Sub "${AWS::StackName}-${Env}"
  Sub:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Topic
      Protocol: sqs
      Endpoint: !GetAtt Queue.Arn
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub "/${AWS::StackName}/queue"
      Type: String
      Value: !Join ["|", [!Ref Queue, !Select [1, !Ref Sizes], !FindInMap [Retention, !Ref Env, Days]]]
  Logs:
    Type: AWS::Logs::LogGroup
    Condition: IsDev
    Properties:
      RetentionInDays: !FindInMap [Retention, !Ref Env, Days]
  ProdOnly:
    Type: AWS::SQS::Queue
    Condition: IsProd
Outputs:
  QueueUrl:
    Value: !Ref Queue
    Export: {Name: !Sub "${AWS::StackName}-QueueUrl"}
  QueueArn:
    Value: !GetAtt [Queue, Arn]
  TopicName:
    Value: !GetAtt Topic.TopicName
  Encoded:
    Value: !Base64 "hi"
  Region:
    Value: !Select [0, !GetAZs ""]
  Cidrs:
    Value: !Join [",", !Cidr ["10.0.0.0/16", 2, 8]]
  Parts:
    Value: !Select [2, !Split ["-", "x-y-z"]]
  Choice:
    Value: !If [IsProd, "p", "d"]
"""


@pytest.fixture(scope="module")
def cfn(gureum: Any) -> Any:
    return gureum.client("cloudformation")


def test_create_runs_every_intrinsic_over_real_resources_and_delete_removes_them(cfn: Any, gureum: Any) -> None:
    name = uniq("st")
    sid = cfn.create_stack(StackName=name, TemplateBody=TEMPLATE, Tags=[{"Key": "team", "Value": "blue"}])["StackId"]
    assert sid.startswith(f"arn:aws:cloudformation:us-east-1:000000000000:stack/{name}/")
    stack = settle(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", statuses(cfn, name)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    sqs, sns, ssm, logs = (gureum.client(s) for s in ("sqs", "sns", "ssm", "logs"))
    url = outputs["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "45"
    assert outputs["QueueArn"] == attrs["QueueArn"]
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "dev", "team": "blue", "aws:cloudformation:stack-name": name,
                                                         "aws:cloudformation:stack-id": stack["StackId"],
                                                         "aws:cloudformation:logical-id": "Queue"}
    assert outputs["QueueArn"].split(":")[-1].startswith(f"{name}-Queue-")
    topic = f"arn:aws:sns:us-east-1:000000000000:{outputs['TopicName']}"
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["DisplayName"] == f"{name}-dev"
    subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [s["Endpoint"] for s in subs] == [attrs["QueueArn"]]
    assert ssm.get_parameter(Name=f"/{name}/queue")["Parameter"]["Value"] == f"{url}|b|7"
    groups = [g for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]]
    assert len(groups) == 1 and groups[0]["retentionInDays"] == 7
    assert outputs["Encoded"] == "aGk="
    assert outputs["Region"] == "us-east-1a"
    assert outputs["Cidrs"] == "10.0.0.0/24,10.0.1.0/24"
    assert (outputs["Parts"], outputs["Choice"]) == ("z", "d")
    resources = {r["LogicalResourceId"]: r for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]}
    assert set(resources) == {"Queue", "Topic", "Sub", "Param", "Logs"}  # ProdOnly's condition is false
    assert all(r["ResourceStatus"] == "CREATE_COMPLETE" for r in resources.values())
    assert resources["Queue"]["PhysicalResourceId"] == url
    detail = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Param")["StackResourceDetail"]
    assert detail["PhysicalResourceId"] == f"/{name}/queue"
    events = statuses(cfn, name)
    assert events[0] == (name, "CREATE_IN_PROGRESS") and events[-1] == (name, "CREATE_COMPLETE")
    assert events.index(("Queue", "CREATE_COMPLETE")) < events.index(("Sub", "CREATE_IN_PROGRESS"))
    exports = {e["Name"]: e for e in cfn.list_exports()["Exports"]}
    assert exports[f"{name}-QueueUrl"]["Value"] == url and exports[f"{name}-QueueUrl"]["ExportingStackId"] == sid
    body = cfn.get_template(StackName=name)["TemplateBody"]
    assert "!GetAtt Queue.Arn" in body  # the template as submitted
    params = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert params == {"Env": "dev", "Sizes": "a,b,c"}

    cfn.delete_stack(StackName=name)
    gone = settle(cfn, sid)
    assert gone["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        sqs.get_queue_attributes(QueueUrl=url)
    assert error_of(lambda: ssm.get_parameter(Name=f"/{name}/queue"))[0] == "ParameterNotFound"
    assert logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] == []
    assert f"{name}-QueueUrl" not in {e["Name"] for e in cfn.list_exports()["Exports"]}
    assert error_of(lambda: cfn.describe_stacks(StackName=name)) == ("ValidationError", f"Stack with id {name} does not exist")
    deleted = [s for s in cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"] if s["StackId"] == sid]
    assert len(deleted) == 1


FAILING = {
    "Resources": {
        "Good": {"Type": "AWS::SQS::Queue"},
        "Param": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": {"Fn::GetAtt": ["Good", "Arn"]}}},
        "Bad": {"Type": "AWS::SQS::Queue", "DependsOn": "Param", "Properties": {"VisibilityTimeout": 999999}},
    }
}


def test_a_failing_resource_rolls_the_create_back_completely(cfn: Any, gureum: Any) -> None:
    name = uniq("rb")
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(FAILING))
    stack = settle(cfn, name)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE", statuses(cfn, name)
    rolling = next(e for e in cfn.describe_stack_events(StackName=name)["StackEvents"]
                   if e["ResourceStatus"] == "ROLLBACK_IN_PROGRESS")
    assert rolling["ResourceStatusReason"] == ("The following resource(s) failed to create: [Bad]. "
                                               "Rollback requested by user.")
    events = statuses(cfn, name)
    assert ("Bad", "CREATE_FAILED") in events
    order = [s for n, s in events if n == name]
    assert order == ["CREATE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE"]
    failed = next(e for e in cfn.describe_stack_events(StackName=name)["StackEvents"] if e["ResourceStatus"] == "CREATE_FAILED")
    assert "VisibilityTimeout" in failed["ResourceStatusReason"] or "InvalidAttributeValue" in failed["ResourceStatusReason"]
    rows = {r["LogicalResourceId"]: r for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]}
    assert rows["Good"]["ResourceStatus"] == "DELETE_COMPLETE" and rows["Param"]["ResourceStatus"] == "DELETE_COMPLETE"
    url = rows["Good"]["PhysicalResourceId"]
    with pytest.raises(ClientError):
        gureum.client("sqs").get_queue_attributes(QueueUrl=url)
    assert error_of(lambda: gureum.client("ssm").get_parameter(Name=rows["Param"]["PhysicalResourceId"]))[0] == "ParameterNotFound"
    # a rolled-back stack cannot be updated, only deleted; its name stays taken until then
    assert error_of(lambda: cfn.update_stack(StackName=name, TemplateBody=json.dumps(FAILING)))[1].endswith(
        "is in ROLLBACK_COMPLETE state and can not be updated.")
    assert error_of(lambda: cfn.create_stack(StackName=name, TemplateBody=json.dumps(FAILING)))[0] == "AlreadyExistsException"
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"


def test_disable_rollback_leaves_create_failed(cfn: Any) -> None:
    name = uniq("dr")
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(FAILING), DisableRollback=True)
    stack = settle(cfn, name)
    assert stack["StackStatus"] == "CREATE_FAILED"
    rows = {r["LogicalResourceId"]: r["ResourceStatus"] for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]}
    assert rows == {"Good": "CREATE_COMPLETE", "Param": "CREATE_COMPLETE", "Bad": "CREATE_FAILED"}
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"


def test_on_failure_delete_removes_the_stack_after_its_rollback(cfn: Any, gureum: Any) -> None:
    name = uniq("od")
    sid = cfn.create_stack(StackName=name, TemplateBody=json.dumps(FAILING), OnFailure="DELETE")["StackId"]
    stack = settle(cfn, sid)
    assert stack["StackStatus"] == "DELETE_COMPLETE"
    own = [s for n, s in statuses(cfn, sid) if n == name]
    assert own == ["CREATE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE", "DELETE_IN_PROGRESS", "DELETE_COMPLETE"]
    assert error_of(lambda: cfn.describe_stacks(StackName=name))[0] == "ValidationError"
    assert error_of(lambda: cfn.create_stack(StackName=name, TemplateBody="{}", OnFailure="DELETE", DisableRollback=True)) == (
        "ValidationError", "You cannot specify both OnFailure and DisableRollback.")


def test_stack_events_are_sent_to_the_notification_topics(cfn: Any, gureum: Any) -> None:
    sns, sqs = gureum.client("sns"), gureum.client("sqs")
    topic = sns.create_topic(Name=uniq("cfnevents"))["TopicArn"]
    url = sqs.create_queue(QueueName=uniq("cfnevents"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    name = uniq("nt")
    cfn.create_stack(StackName=name, TemplateBody=json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}),
                     NotificationARNs=[topic])
    assert settle(cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    seen: list[str] = []

    def complete() -> bool:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            seen.append(m["Body"])
        return any(f"StackName='{name}'" in b and "ResourceStatus='CREATE_COMPLETE'" in b
                   and f"LogicalResourceId='{name}'" in b for b in seen)
    wait_for("the stack's CREATE_COMPLETE notification", complete, timeout=60)
    assert any("LogicalResourceId='Q'" in b and "ResourceType='AWS::SQS::Queue'" in b for b in seen)
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["NotificationARNs"] == [topic]
    cfn.delete_stack(StackName=name)

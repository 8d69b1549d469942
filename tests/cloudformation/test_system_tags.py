"""The aws:cloudformation:stack-name, stack-id and logical-id tags CloudFormation puts on a
stack's resources of taggable types, through boto3 against a real gureum; users can neither
set nor remove such tags (each service's own reserved-key error), and drift detection does not
count them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .helpers import failures, settle, uniq

TEMPLATE = {"Resources": {
    "Q": {"Type": "AWS::SQS::Queue", "Properties": {"Tags": [{"Key": "team", "Value": "a"}]}},
    "T": {"Type": "AWS::SNS::Topic"},
    "L": {"Type": "AWS::Logs::LogGroup"},
    "D": {"Type": "AWS::DynamoDB::Table", "Properties": {
        "BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}},
    "R": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
    "B": {"Type": "AWS::S3::Bucket"},
}}


def _system(name: str, stack_id: str, logical: str) -> dict[str, str]:
    return {"aws:cloudformation:stack-name": name, "aws:cloudformation:stack-id": stack_id,
            "aws:cloudformation:logical-id": logical}


def test_resources_carry_the_stack_tags_users_cannot_touch(gureum: Any) -> None:
    cfn = gureum.client("cloudformation")
    name = uniq("sys")
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(TEMPLATE), Capabilities=["CAPABILITY_IAM"],
                     Tags=[{"Key": "owner", "Value": "me"}])
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    sid = stack["StackId"]
    res = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in cfn.describe_stack_resources(StackName=name)["StackResources"]}

    sqs = gureum.client("sqs")
    assert sqs.list_queue_tags(QueueUrl=res["Q"])["Tags"] == {"owner": "me", "team": "a", **_system(name, sid, "Q")}
    sns = gureum.client("sns")
    got = {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=res["T"])["Tags"]}
    assert got == {"owner": "me", **_system(name, sid, "T")}
    logs = gureum.client("logs")
    assert logs.list_tags_log_group(logGroupName=res["L"])["tags"] == {"owner": "me", **_system(name, sid, "L")}
    ddb = gureum.client("dynamodb")
    arn = ddb.describe_table(TableName=res["D"])["Table"]["TableArn"]
    assert {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]} == {
        "owner": "me", **_system(name, sid, "D")}
    iam = gureum.client("iam")
    assert {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=res["R"])["Tags"]} == {"owner": "me", **_system(name, sid, "R")}
    s3 = gureum.client("s3")
    assert {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=res["B"])["TagSet"]} == {
        "owner": "me", **_system(name, sid, "B")}

    # users may not set or remove them: each service's own refusal
    with pytest.raises(ClientError) as e:
        sqs.tag_queue(QueueUrl=res["Q"], Tags={"aws:cloudformation:stack-name": "forged"})
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        sqs.untag_queue(QueueUrl=res["Q"], TagKeys=["aws:cloudformation:stack-name"])
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        sns.untag_resource(ResourceArn=res["T"], TagKeys=["aws:cloudformation:logical-id"])
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as e:
        iam.tag_role(RoleName=res["R"], Tags=[{"Key": "aws:cloudformation:stack-id", "Value": "x"}])
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    for untag in (lambda: iam.untag_role(RoleName=res["R"], TagKeys=["aws:cloudformation:stack-id"]),
                  lambda: ddb.untag_resource(ResourceArn=arn, TagKeys=["aws:cloudformation:stack-id"]),
                  lambda: logs.untag_log_group(logGroupName=res["L"], tags=["aws:cloudformation:stack-id"])):
        with pytest.raises(ClientError) as e:
            untag()
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert sqs.list_queue_tags(QueueUrl=res["Q"])["Tags"]["aws:cloudformation:stack-name"] == name
    assert len(iam.list_role_tags(RoleName=res["R"])["Tags"]) == 4
    # a user's own queue still may not carry them at create
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName=uniq("forged"), tags={"aws:cloudformation:stack-name": name})
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"

    # drift detection does not count them
    one = cfn.detect_stack_resource_drift(StackName=name, LogicalResourceId="Q")["StackResourceDrift"]
    assert one["StackResourceDriftStatus"] == "IN_SYNC", one
    cfn.delete_stack(StackName=name)

"""Transforms through boto3 against a real gureum: a SAM template (AWS::Serverless::Function
with inline code and an SQS event, expanded by aws-sam-translator) deployed and invoked;
AWS::LanguageExtensions' Fn::ForEach, Fn::Length and Fn::ToJsonString; AWS::Include from
gureum's S3; an unknown transform refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from waiting import wait_for

from .helpers import error_of, settle, statuses, uniq

SAM = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 10
Resources:
  Queue:
    Type: AWS::SQS::Queue
  Results:
    Type: AWS::SQS::Queue
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Environment: {Variables: {OUT: !Ref Results}}
      Policies:
        - SQSSendMessagePolicy: {QueueName: !GetAtt Results.QueueName}
      InlineCode: |
        import os, boto3
        def handler(event, context):
            sqs = boto3.client("sqs")
            for r in event["Records"]:
                sqs.send_message(QueueUrl=os.environ["OUT"], MessageBody="seen:" + r["body"])
      Events:
        FromQueue:
          Type: SQS
          Properties:
            Queue: !GetAtt Queue.Arn
            BatchSize: 1
Outputs:
  Fn: {Value: !Ref Worker}
  In: {Value: !Ref Queue}
  Out: {Value: !Ref Results}
"""


@pytest.fixture(scope="module")
def cfn(gureum: Any) -> Any:
    return gureum.client("cloudformation")


def test_a_sam_function_with_an_sqs_event_deploys_and_runs(cfn: Any, gureum: Any) -> None:
    name = uniq("sam")
    cfn.create_stack(StackName=name, TemplateBody=SAM, Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "CREATE_COMPLETE", statuses(cfn, name)
    types = {r["ResourceType"] for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]}
    assert {"AWS::Lambda::Function", "AWS::IAM::Role", "AWS::Lambda::EventSourceMapping"} <= types
    assert "Transform: AWS::Serverless-2016-10-31" in cfn.get_template(StackName=name)["TemplateBody"]
    processed = cfn.get_template(StackName=name, TemplateStage="Processed")["TemplateBody"]
    assert processed["Resources"]["Worker"]["Type"] == "AWS::Lambda::Function"
    assert cfn.get_template_summary(StackName=name)["DeclaredTransforms"] == ["AWS::Serverless-2016-10-31"]
    out = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    sqs = gureum.client("sqs")
    sqs.send_message(QueueUrl=out["In"], MessageBody="hello")

    def seen() -> list[str]:
        msgs = sqs.receive_message(QueueUrl=out["Out"], WaitTimeSeconds=1).get("Messages", [])
        return [m["Body"] for m in msgs]
    assert wait_for("the SAM function to process the message", seen, timeout=120) == ["seen:hello"]
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=180)["StackStatus"] == "DELETE_COMPLETE"


LANG = {
    "Transform": "AWS::LanguageExtensions",
    "Parameters": {"Names": {"Type": "CommaDelimitedList", "Default": "alpha,beta-two"}},
    "Resources": {
        "Fn::ForEach::Params": ["N", {"Ref": "Names"}, {
            "P&{N}": {"Type": "AWS::SSM::Parameter",
                      "Properties": {"Type": "String", "Name": {"Fn::Sub": "/${AWS::StackName}/${N}"}, "Value": "${N}"}}}],
        "Count": {"Type": "AWS::SSM::Parameter", "Properties": {
            "Type": "String", "Value": {"Fn::ToJsonString": {"n": {"Fn::Length": {"Ref": "Names"}}, "l": [1, 2]}}}},
    },
    "Outputs": {"Fn::ForEach::Outs": ["N", ["alpha", "betatwo"], {"Out${N}": {"Value": {"Ref": "P${N}"}}}]},
}


def test_language_extensions_for_each_length_and_to_json_string(cfn: Any, gureum: Any) -> None:
    name = uniq("lx")
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(LANG))
    stack = settle(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", statuses(cfn, name)
    res = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]}
    assert set(res) == {"Palpha", "Pbetatwo", "Count"}
    ssm = gureum.client("ssm")
    assert ssm.get_parameter(Name=f"/{name}/beta-two")["Parameter"]["Value"] == "beta-two"
    assert json.loads(ssm.get_parameter(Name=res["Count"])["Parameter"]["Value"]) == {"n": 2, "l": [1, 2]}
    assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]} == {
        "Outalpha": f"/{name}/alpha", "Outbetatwo": f"/{name}/beta-two"}
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"


def test_include_from_s3_and_unknown_transforms(cfn: Any, gureum: Any) -> None:
    s3 = gureum.client("s3")
    bucket = uniq("inc")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="frag.yaml", Body=b"Type: String\nValue: included\n")
    body = {"Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {
        "Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": f"s3://{bucket}/frag.yaml"}}}}}}
    name = uniq("in")
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(body))
    stack = settle(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", statuses(cfn, name)
    param = cfn.describe_stack_resource(StackName=name, LogicalResourceId="P")["StackResourceDetail"]["PhysicalResourceId"]
    assert gureum.client("ssm").get_parameter(Name=param)["Parameter"]["Value"] == "included"
    cfn.delete_stack(StackName=name)
    assert error_of(lambda: cfn.validate_template(TemplateBody=json.dumps({"Transform": "AWS::Nope", "Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}))) == (
        "ValidationError", "Template format error: Unsupported transform: AWS::Nope")

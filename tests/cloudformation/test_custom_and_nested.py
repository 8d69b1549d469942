"""Custom resources backed by a real Lambda function (the request as AWS sends it, the
response PUT to the ResponseURL, Data readable with Fn::GetAtt, a FAILED response rolling
the stack back, Delete sent on stack deletion) and nested stacks from gureum's S3 (outputs
through Fn::GetAtt Child.Outputs.X, deleted with the parent), through boto3."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .helpers import failures, settle, statuses, uniq

HANDLER = """
import json, urllib.request, boto3, os
def handler(event, context):
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/" + event["StackId"].split("/")[1] + "/" + event["RequestType"],
                      Value=json.dumps(event), Type="String", Overwrite=True)
    props = event["ResourceProperties"]
    ok = props.get("Fail") != "yes"
    body = {"Status": "SUCCESS" if ok else "FAILED", "Reason": "asked to fail", "PhysicalResourceId": "custom-" + props["Name"],
            "StackId": event["StackId"], "RequestId": event["RequestId"], "LogicalResourceId": event["LogicalResourceId"],
            "Data": {"Answer": "42", "Echo": props["Name"]}}
    req = urllib.request.Request(event["ResponseURL"], data=json.dumps(body).encode(), method="PUT", headers={"content-type": ""})
    urllib.request.urlopen(req).read()
"""


@pytest.fixture(scope="module")
def cfn(gureum: Any) -> Any:
    return gureum.client("cloudformation")


def _function(gureum: Any) -> str:
    """A Lambda function answering custom resource requests (made by its own stack)."""
    cfn = gureum.client("cloudformation")
    name = uniq("fn")
    body = {"Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12", "Handler": "index.handler", "Timeout": 30,
                                                               "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Code": {"ZipFile": HANDLER}}}},
        "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Fn", "Arn"]}}}}
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(body), Capabilities=["CAPABILITY_IAM"])
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "CREATE_COMPLETE", statuses(cfn, name)
    return str(stack["Outputs"][0]["OutputValue"])


def test_a_lambda_backed_custom_resource(cfn: Any, gureum: Any) -> None:
    token = _function(gureum)
    name = uniq("cr")
    body = {"Resources": {"Thing": {"Type": "Custom::Thing", "Properties": {"ServiceToken": token, "Name": "one"}},
                          "P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": {"Fn::GetAtt": ["Thing", "Answer"]}}}},
            "Outputs": {"Ref": {"Value": {"Ref": "Thing"}}, "Echo": {"Value": {"Fn::GetAtt": ["Thing", "Echo"]}}}}
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(body))
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]} == {"Ref": "custom-one", "Echo": "one"}
    ssm = gureum.client("ssm")
    event = json.loads(ssm.get_parameter(Name=f"/{name}/Create")["Parameter"]["Value"])
    assert event["ResourceType"] == "Custom::Thing" and event["LogicalResourceId"] == "Thing"
    assert event["StackId"] == stack["StackId"] and event["ResourceProperties"] == {"ServiceToken": token, "Name": "one"}
    body["Resources"]["Thing"]["Properties"]["Name"] = "two"
    cfn.update_stack(StackName=name, TemplateBody=json.dumps(body))
    assert settle(cfn, name, timeout=180)["StackStatus"] == "UPDATE_COMPLETE", statuses(cfn, name)
    update = json.loads(ssm.get_parameter(Name=f"/{name}/Update")["Parameter"]["Value"])
    assert update["OldResourceProperties"]["Name"] == "one" and update["PhysicalResourceId"] == "custom-one"
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=180)["StackStatus"] == "DELETE_COMPLETE"
    assert json.loads(ssm.get_parameter(Name=f"/{name}/Delete")["Parameter"]["Value"])["RequestType"] == "Delete"

    failing = uniq("cf")
    cfn.create_stack(StackName=failing, TemplateBody=json.dumps(
        {"Resources": {"Thing": {"Type": "AWS::CloudFormation::CustomResource", "Properties": {"ServiceToken": token, "Name": "x", "Fail": "yes"}}}}))
    assert settle(cfn, failing, timeout=180)["StackStatus"] == "ROLLBACK_COMPLETE"
    reasons = [e.get("ResourceStatusReason") for e in cfn.describe_stack_events(StackName=failing)["StackEvents"]
               if e["ResourceStatus"] == "CREATE_FAILED"]
    assert reasons == ["Received response status [FAILED] from custom resource. Message returned: asked to fail"]


def test_nested_stacks_from_s3(cfn: Any, gureum: Any) -> None:
    s3 = gureum.client("s3")
    bucket = uniq("nest")
    s3.create_bucket(Bucket=bucket)
    child = {"Parameters": {"Value": {"Type": "String"}},
             "Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": {"Ref": "Value"}}}},
             "Outputs": {"Name": {"Value": {"Ref": "P"}}}}
    s3.put_object(Bucket=bucket, Key="child.json", Body=json.dumps(child).encode())
    url = f"https://{bucket}.s3.us-east-1.amazonaws.com/child.json"
    parent = {"Resources": {"Child": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": url, "Parameters": {"Value": "hi"}}},
                            "Copy": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": {"Fn::GetAtt": ["Child", "Outputs.Name"]}}}}}
    name = uniq("par")
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(parent))
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "CREATE_COMPLETE", statuses(cfn, name)
    res = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]}
    nested = cfn.describe_stacks(StackName=res["Child"])["Stacks"][0]
    assert nested["StackStatus"] == "CREATE_COMPLETE" and nested["StackName"].startswith(f"{name}-Child-")
    assert nested["ParentId"] == stack["StackId"] and nested["RootId"] == stack["StackId"]
    ssm = gureum.client("ssm")
    inner = nested["Outputs"][0]["OutputValue"]
    assert ssm.get_parameter(Name=inner)["Parameter"]["Value"] == "hi"
    assert ssm.get_parameter(Name=res["Copy"])["Parameter"]["Value"] == inner
    parent["Resources"]["Child"]["Properties"]["Parameters"]["Value"] = "changed"
    cfn.update_stack(StackName=name, TemplateBody=json.dumps(parent))
    assert settle(cfn, name, timeout=180)["StackStatus"] == "UPDATE_COMPLETE", statuses(cfn, name)
    assert ssm.get_parameter(Name=inner)["Parameter"]["Value"] == "changed"
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=180)["StackStatus"] == "DELETE_COMPLETE"
    assert cfn.describe_stacks(StackName=res["Child"])["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"


def test_wait_conditions_complete_on_signals_and_fail_on_a_failure(cfn: Any, gureum: Any) -> None:
    import urllib.request

    from waiting import wait_for

    body = {"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
                          "Wait": {"Type": "AWS::CloudFormation::WaitCondition",
                                   "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": "300", "Count": "2"}}},
            "Outputs": {"Data": {"Value": {"Fn::GetAtt": ["Wait", "Data"]}}}}

    def handle_url(stack: str) -> str:
        def found() -> str:
            rows = cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"]
            return next((r.get("PhysicalResourceId", "") for r in rows if r["LogicalResourceId"] == "Handle"
                         and r["ResourceStatus"] == "CREATE_COMPLETE"), "")
        return str(wait_for("the wait condition handle", found, timeout=60))

    def signal(url: str, doc: dict[str, str]) -> None:
        urllib.request.urlopen(urllib.request.Request(url, data=json.dumps(doc).encode(), method="PUT")).read()

    name = uniq("wc")
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(body))
    url = handle_url(name)
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "CREATE_IN_PROGRESS"
    signal(url, {"Status": "SUCCESS", "UniqueId": "a", "Data": "one", "Reason": "ok"})
    signal(url, {"Status": "SUCCESS", "UniqueId": "b", "Data": "two", "Reason": "ok"})
    stack = settle(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    assert json.loads(stack["Outputs"][0]["OutputValue"]) == {"a": "one", "b": "two"}
    cfn.delete_stack(StackName=name)

    failing = uniq("wf")
    cfn.create_stack(StackName=failing, TemplateBody=json.dumps(body))
    signal(handle_url(failing), {"Status": "FAILURE", "UniqueId": "x", "Data": "", "Reason": "boom"})
    assert settle(cfn, failing)["StackStatus"] == "ROLLBACK_COMPLETE"
    assert ("Wait", "CREATE_FAILED", "WaitCondition received failed message: 'boom' for uniqueId: x") in failures(cfn, failing)

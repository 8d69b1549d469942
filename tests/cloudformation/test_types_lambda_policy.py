"""AWS::Lambda::ResourcePolicy through boto3 against a real gureum: a function's resource
policy created by a stack (Ref: the function's ARN), read back with Lambda's GetResourcePolicy
and GetPolicy, its document changed in place by an update, then removed by an update that
drops the resource (DeleteResourcePolicy: GetPolicy answers ResourceNotFoundException)."""

from __future__ import annotations

import json
from typing import Any

from .helpers import error_of, failures, settle, uniq

HANDLER = "def handler(event, context):\n    return event\n"


def _template(with_policy: bool, service: str) -> str:
    resources: dict[str, Any] = {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12", "Handler": "index.handler",
                                                               "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Code": {"ZipFile": HANDLER}}}}
    outputs: dict[str, Any] = {"Arn": {"Value": {"Fn::GetAtt": ["Fn", "Arn"]}}}
    if with_policy:
        resources["Policy"] = {"Type": "AWS::Lambda::ResourcePolicy", "Properties": {
            "ResourceArn": {"Fn::GetAtt": ["Fn", "Arn"]},
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Sid": "FromService", "Effect": "Allow", "Principal": {"Service": service},
                "Action": "lambda:InvokeFunction", "Resource": {"Fn::GetAtt": ["Fn", "Arn"]}}]}}}
        outputs["Policy"] = {"Value": {"Ref": "Policy"}}
    return json.dumps({"Resources": resources, "Outputs": outputs})


def _principal(lam: Any, arn: str) -> Any:
    statements = json.loads(lam.get_policy(FunctionName=arn)["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["FromService"]
    return statements[0]["Principal"]["Service"]


def test_lambda_resource_policy_created_updated_and_deleted(gureum: Any) -> None:
    cfn, lam = gureum.client("cloudformation"), gureum.client("lambda")
    name = uniq("lrp")
    cfn.create_stack(StackName=name, TemplateBody=_template(True, "s3.amazonaws.com"), Capabilities=["CAPABILITY_IAM"])
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    arn = out["Arn"]
    assert out["Policy"] == arn
    policy = json.loads(lam.get_resource_policy(ResourceArn=arn)["Policy"])
    assert policy["Statement"][0]["Action"] == "lambda:InvokeFunction"
    assert _principal(lam, arn) == "s3.amazonaws.com"

    cfn.update_stack(StackName=name, TemplateBody=_template(True, "sns.amazonaws.com"), Capabilities=["CAPABILITY_IAM"])
    assert settle(cfn, name, timeout=180)["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    assert _principal(lam, arn) == "sns.amazonaws.com"
    assert lam.get_function(FunctionName=arn)["Configuration"]["FunctionArn"] == arn

    cfn.update_stack(StackName=name, TemplateBody=_template(False, ""), Capabilities=["CAPABILITY_IAM"])
    assert settle(cfn, name, timeout=180)["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    assert error_of(lambda: lam.get_policy(FunctionName=arn))[0] == "ResourceNotFoundException"
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=180)["StackStatus"] == "DELETE_COMPLETE"

"""`--auth strict`: a stack's resources are made with the caller's own permissions, decided
by the same gate as the caller's direct requests (gureum/aws/internal_call.py): a user
allowed CloudFormation and SSM but not SQS gets its parameter, its queue fails with SQS's
AccessDenied, and the rollback removes the parameter."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from harness import GureumProcess
from waiting import wait_for

from .helpers import failures, settle

A = "502000000001"
ROOT = ("cfnroot", "cfnsecret")


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("cfnstrict") / "data", [
        "--auth", "strict", "--set", f"auth.keys={ROOT[0]}:{ROOT[1]}:{A}", "--set", "ecs.enabled=0"])
    proc.start()
    yield proc
    proc.stop()


def test_resources_are_made_with_the_callers_permissions(strict: GureumProcess) -> None:
    iam = strict.client("iam", aws_access_key_id=ROOT[0], aws_secret_access_key=ROOT[1])
    user = f"u{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="cfn", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["cloudformation:*", "ssm:PutParameter", "ssm:DeleteParameter", "ssm:GetParameter"],
         "Resource": "*"}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    cfn = strict.client("cloudformation", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    body = {"Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "v"}},
                          "Q": {"Type": "AWS::SQS::Queue", "DependsOn": "P", "Properties": {"QueueName": "strictq"}}}}
    cfn.create_stack(StackName="strict1", TemplateBody=json.dumps(body))
    stack = settle(cfn, "strict1")
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = failures(cfn, "strict1")
    assert failed[0][:2] == ("Q", "CREATE_FAILED")
    assert (f"User: arn:aws:iam::{A}:user/{user} is not authorized to perform: sqs:CreateQueue on resource: "
            f"arn:aws:sqs:us-east-1:{A}:strictq") in failed[0][2]
    rows = {r["LogicalResourceId"]: r for r in cfn.list_stack_resources(StackName="strict1")["StackResourceSummaries"]}
    assert rows["P"]["ResourceStatus"] == "DELETE_COMPLETE"
    ssm = strict.client("ssm", aws_access_key_id=ROOT[0], aws_secret_access_key=ROOT[1])
    assert ssm.describe_parameters()["Parameters"] == []
    # the same template by the account root (allowed everything) is created
    root_cfn = strict.client("cloudformation", aws_access_key_id=ROOT[0], aws_secret_access_key=ROOT[1])
    root_cfn.create_stack(StackName="strict2", TemplateBody=json.dumps(body))
    assert settle(root_cfn, "strict2")["StackStatus"] == "CREATE_COMPLETE", failures(root_cfn, "strict2")
    root_cfn.delete_stack(StackName="strict2")


def _user(iam: Any, actions: list[str]) -> tuple[str, Any]:
    user = f"u{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="cfn", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
    return user, iam.create_access_key(UserName=user)["AccessKey"]


def test_a_stack_with_a_service_role_makes_its_resources_as_that_role(strict: GureumProcess) -> None:
    iam = strict.client("iam", aws_access_key_id=ROOT[0], aws_secret_access_key=ROOT[1])
    role = f"cfnrole{uuid.uuid4().hex[:6]}"
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="queues", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}))
    user, key = _user(iam, ["cloudformation:*", "iam:PassRole"])
    cfn = strict.client("cloudformation", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    queue = f"rq{uuid.uuid4().hex[:6]}"
    body = json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": queue}}}})
    name = f"srole{uuid.uuid4().hex[:6]}"
    cfn.create_stack(StackName=name, TemplateBody=body, RoleARN=role_arn)
    stack = settle(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    assert stack["RoleARN"] == role_arn
    sqs = strict.client("sqs", aws_access_key_id=ROOT[0], aws_secret_access_key=ROOT[1])
    assert sqs.get_queue_url(QueueName=queue)["QueueUrl"].endswith(f"/{queue}")
    # the role also reads the queue back for drift detection
    detection = cfn.detect_stack_drift(StackName=name)["StackDriftDetectionId"]
    done = wait_for("the detection", lambda: (lambda s: s if s["DetectionStatus"] != "DETECTION_IN_PROGRESS" else None)(
        cfn.describe_stack_drift_detection_status(StackDriftDetectionId=detection)), timeout=60)
    assert (done["DetectionStatus"], done["StackDriftStatus"]) == ("DETECTION_COMPLETE", "IN_SYNC"), done
    cfn.delete_stack(StackName=name)  # as the role too: the user may not delete queues
    wait_for("the queue to go", lambda: queue not in str(sqs.list_queues(QueueNamePrefix=queue).get("QueueUrls", [])), timeout=60)

    # without the role, the same user may not make queues: SQS's AccessDenied, rolled back
    other = f"srole{uuid.uuid4().hex[:6]}"
    cfn.create_stack(StackName=other, TemplateBody=json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}))
    assert settle(cfn, other)["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = failures(cfn, other)
    assert failed[0][:2] == ("Q", "CREATE_FAILED") and "AccessDenied" in failed[0][2], failed
    assert f"User: arn:aws:iam::{A}:user/{user} is not authorized to perform: sqs:CreateQueue" in failed[0][2]

    # a role CloudFormation may not assume (its trust policy names another service), or none at all
    lambda_role = iam.create_role(RoleName=f"notcfn{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    for bad in (lambda_role, f"arn:aws:iam::{A}:role/nosuchrole"):
        with pytest.raises(ClientError) as e:
            cfn.create_stack(StackName=f"srole{uuid.uuid4().hex[:6]}", TemplateBody=body, RoleARN=bad)
        assert e.value.response["Error"] == {"Type": "Sender", "Code": "ValidationError",
                                             "Message": f"Role {bad} is invalid or cannot be assumed"}

    # passing a role needs iam:PassRole on it
    _, weak = _user(iam, ["cloudformation:*"])
    weak_cfn = strict.client("cloudformation", aws_access_key_id=weak["AccessKeyId"], aws_secret_access_key=weak["SecretAccessKey"])
    with pytest.raises(ClientError) as e:
        weak_cfn.create_stack(StackName=f"srole{uuid.uuid4().hex[:6]}", TemplateBody=body, RoleARN=role_arn)
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    assert f"is not authorized to perform: iam:PassRole on resource: {role_arn}" in e.value.response["Error"]["Message"]


def test_drift_detection_reads_resources_with_the_callers_permissions(strict: GureumProcess) -> None:
    root_cfn = strict.client("cloudformation", aws_access_key_id=ROOT[0], aws_secret_access_key=ROOT[1])
    iam = strict.client("iam", aws_access_key_id=ROOT[0], aws_secret_access_key=ROOT[1])
    name = f"sdrift{uuid.uuid4().hex[:6]}"
    root_cfn.create_stack(StackName=name, TemplateBody=json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}))
    assert settle(root_cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    _, key = _user(iam, ["cloudformation:*"])  # may not read queues
    cfn = strict.client("cloudformation", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    detection = cfn.detect_stack_drift(StackName=name)["StackDriftDetectionId"]
    done = wait_for("the detection", lambda: (lambda s: s if s["DetectionStatus"] != "DETECTION_IN_PROGRESS" else None)(
        cfn.describe_stack_drift_detection_status(StackDriftDetectionId=detection)), timeout=60)
    assert done["DetectionStatus"] == "DETECTION_FAILED", done
    assert "Failed to detect drift on resources [Q]" in done["DetectionStatusReason"]
    assert "sqs:GetQueueAttributes" in done["DetectionStatusReason"]
    # the root reads it: in sync
    detection = root_cfn.detect_stack_drift(StackName=name)["StackDriftDetectionId"]
    done = wait_for("the root's detection", lambda: (lambda s: s if s["DetectionStatus"] != "DETECTION_IN_PROGRESS" else None)(
        root_cfn.describe_stack_drift_detection_status(StackDriftDetectionId=detection)), timeout=60)
    assert (done["DetectionStatus"], done["StackDriftStatus"]) == ("DETECTION_COMPLETE", "IN_SYNC"), done
    root_cfn.delete_stack(StackName=name)

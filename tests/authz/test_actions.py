"""The action/resource table (gureum/policy/actions.py) covers every operation gureum
serves, and names AWS's actions and ARNs for the exceptions."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from gureum.aws import dispatch, specs
from gureum.policy import actions
from gureum.services.registry import API_MODULES

A = "111122223333"
B = "444455556666"
R = "us-east-1"


def _served() -> list[tuple[str, str]]:
    for mods in API_MODULES.values():
        for m in mods:
            importlib.import_module(m)
    return sorted(dispatch._HANDLERS)


def _sample(shape: Any, depth: int = 0, name: str = "") -> Any:
    """A value of the shape's type, enough to exercise the resource rules (members named
    like an ARN get one, as the service's validation would require)."""
    if shape is None or depth > 3:
        return None
    t = shape.type
    if t == "structure":
        return {n: _sample(m, depth + 1, n) for n, m in shape.members.items()}
    if t == "string" and (name.lower().endswith("arn") or name in ("Resource", "Arn")):
        return f"arn:aws:sqs:{R}:{A}:name1"
    if t == "list":
        return [_sample(shape.member, depth + 1)]
    if t == "map":
        return {"k": "v"}
    if t in ("integer", "long"):
        return 1
    if t == "boolean":
        return False
    if t == "timestamp":
        return None
    if t == "blob":
        return b"x"
    return "name1"


@pytest.mark.parametrize("service,operation", _served())
def test_every_served_operation_has_an_action_and_a_resource(service: str, operation: str) -> None:
    op = specs.load(service).operation(operation)
    for params in ({}, _sample(op.input) or {}):
        t = actions.target(service, operation, params, A, R)
        if (service, operation) in actions.FREE:
            assert t is None
            continue
        assert t is not None
        prefix, name = t.action.split(":", 1)
        assert prefix == actions.PREFIXES[service] and name
        assert t.resources
        for r in t.resources:
            assert r == "*" or r.startswith("arn:aws:"), (operation, r)


@pytest.mark.parametrize(
    "service,operation,params,action,resource",
    [
        ("sqs", "SendMessage", {"QueueUrl": f"http://localhost:4566/{B}/q1"}, "sqs:SendMessage", f"arn:aws:sqs:{R}:{B}:q1"),
        ("sqs", "SendMessageBatch", {"QueueUrl": "q2"}, "sqs:SendMessage", f"arn:aws:sqs:{R}:{A}:q2"),
        ("sqs", "ListQueues", {}, "sqs:ListQueues", "*"),
        ("sns", "Publish", {"TopicArn": f"arn:aws:sns:{R}:{B}:t"}, "sns:Publish", f"arn:aws:sns:{R}:{B}:t"),
        ("sns", "Unsubscribe", {"SubscriptionArn": f"arn:aws:sns:{R}:{B}:t:abc"}, "sns:Unsubscribe", f"arn:aws:sns:{R}:{B}:t:abc"),
        ("lambda", "Invoke", {"FunctionName": "f", "Qualifier": "live"}, "lambda:InvokeFunction", f"arn:aws:lambda:{R}:{A}:function:f:live"),
        ("lambda", "Invoke", {"FunctionName": f"arn:aws:lambda:{R}:{B}:function:f"}, "lambda:InvokeFunction", f"arn:aws:lambda:{R}:{B}:function:f"),
        ("lambda", "GetFunction", {"FunctionName": f"{B}:function:f:3"}, "lambda:GetFunction", f"arn:aws:lambda:{R}:{B}:function:f:3"),
        ("s3", "ListObjectsV2", {"Bucket": "b"}, "s3:ListBucket", "arn:aws:s3:::b"),
        ("s3", "GetObject", {"Bucket": "b", "Key": "k/x"}, "s3:GetObject", "arn:aws:s3:::b/k/x"),
        ("s3", "GetObject", {"Bucket": "b", "Key": "k", "VersionId": "v1"}, "s3:GetObjectVersion", "arn:aws:s3:::b/k"),
        ("s3", "ListBuckets", {}, "s3:ListAllMyBuckets", "*"),
        ("ecr", "DescribeRepositories", {"registryId": B}, "ecr:DescribeRepositories", f"arn:aws:ecr:{R}:{B}:repository/*"),
        ("ecr", "DeleteRepository", {"registryId": B, "repositoryName": "app"}, "ecr:DeleteRepository", f"arn:aws:ecr:{R}:{B}:repository/app"),
        ("ecr", "GetAuthorizationToken", {}, "ecr:GetAuthorizationToken", "*"),
        ("route53", "ChangeResourceRecordSets", {"HostedZoneId": "/hostedzone/Z1"}, "route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/Z1"),
        ("logs", "PutLogEvents", {"logGroupName": "g", "logStreamName": "s"}, "logs:PutLogEvents", f"arn:aws:logs:{R}:{A}:log-group:g:log-stream:s"),
        ("iam", "AttachUserPolicy", {"UserName": "u", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, "iam:AttachUserPolicy", f"arn:aws:iam::{A}:user/u"),
        ("ecs", "DescribeServices", {"cluster": "c", "services": ["s"]}, "ecs:DescribeServices", f"arn:aws:ecs:{R}:{A}:service/c/s"),
        ("sts", "AssumeRole", {"RoleArn": f"arn:aws:iam::{B}:role/r"}, "sts:AssumeRole", f"arn:aws:iam::{B}:role/r"),
        ("servicediscovery", "RegisterInstance", {"ServiceId": "srv-1"}, "servicediscovery:RegisterInstance", f"arn:aws:servicediscovery:{R}:{A}:service/srv-1"),
    ],
)
def test_actions_and_resources_follow_the_service_authorization_reference(service, operation, params, action, resource) -> None:
    t = actions.target(service, operation, params, A, R)
    assert t is not None
    assert t.action == action
    assert t.resources[0] == resource


def test_sts_get_caller_identity_needs_no_permission() -> None:
    assert actions.target("sts", "GetCallerIdentity", {}, A, R) is None


def test_owner_is_the_arns_account_and_never_aws_or_empty() -> None:
    assert actions.owner(f"arn:aws:sqs:{R}:{B}:q") == B
    assert actions.owner("arn:aws:s3:::bucket/key") == ""
    assert actions.owner("arn:aws:iam::aws:policy/ReadOnlyAccess") == ""
    assert actions.owner("*") == ""


@pytest.mark.parametrize("value", [
    "f", "f:7", "f:$LATEST", f"{A}:function:f", f"{A}:function:f:prod", f"arn:aws:lambda:{R}:{A}:function:f",
    f"arn:aws:lambda:{R}:{A}:function:f:3", f"arn:aws-cn:lambda:{R}:{A}:function:f",
])
def test_the_gate_reads_function_names_as_lambda_does(value: str) -> None:
    # Both read through gureum.aws.arn.lambda_function_ref: the same name, qualifier and account.
    from gureum.services.lambda_ import model

    name, qualifier = model.parse_name(value, A, R)
    assert actions.function_arn(value, A, R) == model.function_arn(A, R, name, qualifier)


@pytest.mark.parametrize("url", [
    f"http://localhost:4566/{B}/q", f"http://h/{B}/q?x=1", f"http://h/x;/{B}/q", f"//h/{B}/q", f"http:/h/{B}/q",
    f"{B}/q", "q", "http://h#/1/2/q", f"http://h/{B}/q;p", f"http://h/\\{B}/q",
])
def test_the_gate_and_the_sqs_handlers_agree_on_a_queue_urls_account(url: str) -> None:
    from urllib.parse import urlparse

    parts = [s for s in urlparse(url).path.split("/") if s] if "/" in url else [url]  # as sqs/api.py _queue
    t = actions.target("sqs", "SendMessage", {"QueueUrl": url}, A, R)
    assert t is not None
    if parts:
        account = parts[-2] if len(parts) >= 2 and parts[-2].isdigit() else A
        assert actions.owner(t.resources[0]) == account
        assert t.resources[0].endswith(":" + parts[-1])


def test_an_account_field_of_any_form_counts_as_an_account() -> None:
    assert actions.owner(f"arn:aws:sns:{R}:0000:t") == "0000"


def test_a_copy_also_needs_read_access_to_its_source() -> None:
    t = actions.target("s3", "CopyObject", {"Bucket": "dst", "Key": "k", "CopySource": "/src/a%20b?versionId=v1"}, A, R)
    assert t is not None
    assert (t.action, t.resources) == ("s3:PutObject", ("arn:aws:s3:::dst/k",))
    assert t.also == (("s3:GetObjectVersion", "arn:aws:s3:::src/a b"),)


def test_iam_operations_on_oneself_name_the_calling_user() -> None:
    me = f"arn:aws:iam::{A}:user/dev/me"
    t = actions.target("iam", "CreateAccessKey", {}, A, R, me)
    assert t is not None and t.resources == (me,)
    t = actions.target("iam", "CreateAccessKey", {"UserName": "other"}, A, R, me)
    assert t is not None and t.resources == (f"arn:aws:iam::{A}:user/other",)

"""Role trust policies are evaluated for AssumeRole (principal, conditions, sts:ExternalId,
sts:TagSession) and for the services that run code as a role (Lambda, ECS). Attack tests for
the issue's item 5: account B's identities cannot assume account A's roles unless A's trust
policy names B."""

from __future__ import annotations

import io
import json
import random
import textwrap
import uuid
import zipfile
from typing import Any

import pytest
from botocore.exceptions import ClientError


def accounts() -> tuple[str, str]:
    a = random.randint(10**11, 10**12 - 2)
    return str(a), str(a + 1)


def as_account(gureum: Any, service: str, account: str) -> Any:
    return gureum.client(service, aws_access_key_id=account, aws_secret_access_key="x")


def with_creds(gureum: Any, service: str, creds: dict[str, Any]) -> Any:
    return gureum.client(service, aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"])


def trust(principal: Any, action: Any = "sts:AssumeRole", **extra: Any) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": action, **extra}]})


def role(gureum: Any, account: str, document: str, name: str | None = None) -> str:
    name = name or f"r-{uuid.uuid4().hex[:8]}"
    arn: str = as_account(gureum, "iam", account).create_role(RoleName=name, AssumeRolePolicyDocument=document)["Role"]["Arn"]
    return arn


def denied(call: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as exc:
        call()
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    err: dict[str, Any] = exc.value.response["Error"]
    return err


def test_another_accounts_identities_cannot_assume_a_role_that_trusts_only_its_own_account(gureum):
    a, b = accounts()
    arn = role(gureum, a, trust({"AWS": f"arn:aws:iam::{a}:root"}))
    err = denied(lambda: as_account(gureum, "sts", b).assume_role(RoleArn=arn, RoleSessionName="xx"))
    assert err["Code"] == "AccessDenied"
    assert err["Message"] == f"User: arn:aws:iam::{b}:root is not authorized to perform: sts:AssumeRole on resource: {arn}"
    # an IAM user's key in B
    iam_b = as_account(gureum, "iam", b)
    iam_b.create_user(UserName="mallory")
    key = iam_b.create_access_key(UserName="mallory")["AccessKey"]
    user_sts = gureum.client("sts", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    err = denied(lambda: user_sts.assume_role(RoleArn=arn, RoleSessionName="xx"))
    assert err["Message"] == f"User: arn:aws:iam::{b}:user/mallory is not authorized to perform: sts:AssumeRole on resource: {arn}"
    # a role session in B
    b_role = role(gureum, b, trust({"AWS": b}))
    creds = as_account(gureum, "sts", b).assume_role(RoleArn=b_role, RoleSessionName="ss")["Credentials"]
    err = denied(lambda: with_creds(gureum, "sts", creds).assume_role(RoleArn=arn, RoleSessionName="xx"))
    assert err["Message"].startswith(f"User: arn:aws:sts::{b}:assumed-role/")
    # A itself still can
    assert as_account(gureum, "sts", a).assume_role(RoleArn=arn, RoleSessionName="xx")["AssumedRoleUser"]["Arn"].startswith(
        f"arn:aws:sts::{a}:assumed-role/")


def test_a_trust_policy_naming_the_other_account_lets_it_in(gureum):
    a, b = accounts()
    arn = role(gureum, a, trust({"AWS": f"arn:aws:iam::{b}:root"}))
    creds = as_account(gureum, "sts", b).assume_role(RoleArn=arn, RoleSessionName="partner")["Credentials"]
    assert with_creds(gureum, "sts", creds).get_caller_identity()["Account"] == a


def test_external_id_condition_is_enforced(gureum):
    a, b = accounts()
    arn = role(gureum, a, trust({"AWS": b}, Condition={"StringEquals": {"sts:ExternalId": "s3cr3t-42"}}))
    sts_b = as_account(gureum, "sts", b)
    denied(lambda: sts_b.assume_role(RoleArn=arn, RoleSessionName="xx"))
    denied(lambda: sts_b.assume_role(RoleArn=arn, RoleSessionName="xx", ExternalId="guess-1"))
    assert sts_b.assume_role(RoleArn=arn, RoleSessionName="xx", ExternalId="s3cr3t-42")["Credentials"]


def test_principals_and_conditions_of_the_trust_policy(gureum):
    a, _ = accounts()
    sts_a = as_account(gureum, "sts", a)
    # a service-only trust policy: not assumable by the account's own root (as in AWS)
    lambda_only = role(gureum, a, trust({"Service": "lambda.amazonaws.com"}))
    assert denied(lambda: sts_a.assume_role(RoleArn=lambda_only, RoleSessionName="xx"))["Code"] == "AccessDenied"
    # role chaining: the trust policy names the first role, whose sessions may then assume it
    first = role(gureum, a, trust({"AWS": a}))
    second = role(gureum, a, trust({"AWS": first}))
    someone_else = role(gureum, a, trust({"AWS": a}))  # IAM refuses a trust policy naming a missing role
    third = role(gureum, a, trust({"AWS": someone_else}))
    session = with_creds(gureum, "sts", sts_a.assume_role(RoleArn=first, RoleSessionName="hop")["Credentials"])
    assert session.assume_role(RoleArn=second, RoleSessionName="hop2")["AssumedRoleUser"]["Arn"].endswith("/hop2")
    denied(lambda: session.assume_role(RoleArn=third, RoleSessionName="hop3"))
    # conditions on the session name; a Deny statement wins
    named = role(gureum, a, json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": a}, "Action": "sts:AssumeRole",
         "Condition": {"StringLike": {"sts:RoleSessionName": "ci-*"}}},
        {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:RoleSessionName": "ci-banned"}}}]}))
    assert sts_a.assume_role(RoleArn=named, RoleSessionName="ci-7")["Credentials"]
    denied(lambda: sts_a.assume_role(RoleArn=named, RoleSessionName="laptop"))
    denied(lambda: sts_a.assume_role(RoleArn=named, RoleSessionName="ci-banned"))


def test_session_tags_need_sts_tag_session(gureum):
    a, _ = accounts()
    sts_a = as_account(gureum, "sts", a)
    plain = role(gureum, a, trust({"AWS": a}))
    err = denied(lambda: sts_a.assume_role(RoleArn=plain, RoleSessionName="tt", Tags=[{"Key": "team", "Value": "red"}]))
    assert err["Message"] == f"User: arn:aws:iam::{a}:root is not authorized to perform: sts:TagSession on resource: {plain}"
    tagging = role(gureum, a, trust({"AWS": a}, action=["sts:AssumeRole", "sts:TagSession"],
                                    Condition={"StringEquals": {"aws:RequestTag/team": "red"}}))
    assert sts_a.assume_role(RoleArn=tagging, RoleSessionName="tt", Tags=[{"Key": "team", "Value": "red"}])["Credentials"]


def test_lambda_refuses_a_role_it_cannot_assume(gureum):
    a, _ = accounts()
    lam = as_account(gureum, "lambda", a)
    ecs_only = role(gureum, a, trust({"Service": "ecs-tasks.amazonaws.com"}))
    with pytest.raises(ClientError) as exc:
        lam.create_function(FunctionName="f", Runtime="python3.12", Role=ecs_only, Handler="app.handler",
                            Code={"ZipFile": _zip("def handler(e, c):\n    return 1\n")})
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert exc.value.response["Error"]["Message"] == "The role defined for the function cannot be assumed by Lambda."


def _zip(code: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", code)
    return buf.getvalue()


def test_a_function_in_another_account_cannot_assume_the_role(gureum):
    """The issue's attack: B's function assumed A's role and read A's function environment."""
    a, b = accounts()
    lam_a = as_account(gureum, "lambda", a)
    a_exec = role(gureum, a, trust({"Service": "lambda.amazonaws.com"}))
    lam_a.create_function(FunctionName="secret", Runtime="python3.12", Role=a_exec, Handler="app.handler",
                          Code={"ZipFile": _zip("def handler(e, c):\n    return 1\n")},
                          Environment={"Variables": {"DB_PASSWORD": "hunter2"}})
    admin = role(gureum, a, trust({"AWS": a}))  # trusts only A
    b_exec = role(gureum, b, trust({"Service": "lambda.amazonaws.com"}))
    code = textwrap.dedent(f"""
        import boto3
        from botocore.exceptions import ClientError
        def handler(event, context):
            try:
                creds = boto3.client("sts").assume_role(RoleArn="{admin}", RoleSessionName="pivot")["Credentials"]
            except ClientError as e:
                return {{"refused": e.response["Error"]["Code"]}}
            lam = boto3.client("lambda", aws_access_key_id=creds["AccessKeyId"],
                               aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
            env = lam.get_function_configuration(FunctionName="secret")["Environment"]["Variables"]
            return {{"stolen": env.get("DB_PASSWORD")}}
    """)
    lam_b = as_account(gureum, "lambda", b)
    lam_b.create_function(FunctionName="pivot", Runtime="python3.12", Role=b_exec, Handler="app.handler",
                          Code={"ZipFile": _zip(code)}, Timeout=30)
    lam_b.get_waiter("function_active_v2").wait(FunctionName="pivot")
    out = json.loads(lam_b.invoke(FunctionName="pivot")["Payload"].read())
    assert out == {"refused": "AccessDenied"}


def test_create_role_refuses_trust_policies_the_engine_cannot_evaluate(gureum):
    a, _ = accounts()
    iam = as_account(gureum, "iam", a)
    bad = {
        trust({"AWS": "alice"}): 'Invalid principal in policy: "AWS":"alice"',
        trust({"AWS": a}, Condition={"StringEqualz": {"sts:ExternalId": "x"}}): "Syntax errors in policy.",
        trust({"AWS": a}, Condition={"NumericLessThan": {"aws:EpochTime": "soon"}}): "Syntax errors in policy.",
    }
    for document, message in bad.items():
        with pytest.raises(ClientError) as exc:
            iam.create_role(RoleName=f"bad-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=document)
        assert exc.value.response["Error"]["Code"] == "MalformedPolicyDocument"
        assert exc.value.response["Error"]["Message"] == message

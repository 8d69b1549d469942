"""STS answers as AWS answers (issue 27): PackedPolicySize where AWS sends it (always in
GetFederationToken, with session policies or tags in AssumeRole), malformed role ARNs, session
tag rules and name patterns with AWS's code, Type, HTTP status and message, through boto3."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]})
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


def expect(call: Callable[..., Any], code: str, message: str, status: int = 400, **kwargs: Any) -> None:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    r = exc.value.response
    assert (r["Error"]["Code"], r["Error"]["Type"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]) == (
        code, "Sender", status, message)


@pytest.fixture
def account() -> str:
    return str(random.randint(10**11, 10**12 - 1))


@pytest.fixture
def sts(gureum: Any, account: str) -> Any:
    return gureum.client("sts", aws_access_key_id=account, aws_secret_access_key="x",
                         config=Config(parameter_validation=False, retries={"max_attempts": 1}))


@pytest.fixture
def role(gureum: Any, account: str) -> str:
    iam = gureum.client("iam", aws_access_key_id=account, aws_secret_access_key="x")
    arn: str = iam.create_role(RoleName="exact", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    return arn


def test_get_federation_token_always_answers_packed_policy_size(sts):
    assert sts.get_federation_token(Name="bob")["PackedPolicySize"] == 0
    assert 1 <= sts.get_federation_token(Name="bob", Policy=POLICY)["PackedPolicySize"] <= 100


def test_assume_role_packs_only_when_policies_or_tags_are_passed(sts, role):
    assert "PackedPolicySize" not in sts.assume_role(RoleArn=role, RoleSessionName="plain")
    assert 1 <= sts.assume_role(RoleArn=role, RoleSessionName="tagged", Tags=[{"Key": "k", "Value": "v"}])["PackedPolicySize"] <= 100


@pytest.mark.parametrize("bad", ["nothing-valid-in-here", "arn::b:::something/test-role", "arn:a::::something/test-role",
                                 "arn:a:::something/test-role", "arn:a:a::aaaaaaaaaa:"])
def test_malformed_role_arns_are_invalid(sts, bad):
    expect(sts.assume_role, "ValidationError", f"{bad} is invalid", RoleArn=bad, RoleSessionName="s1")


def test_session_tag_rules(sts, role):
    expect(sts.assume_role, "InvalidParameterValue", "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
           RoleArn=role, RoleSessionName="s1", Tags=[{"Key": "Team", "Value": "a"}, {"Key": "team", "Value": "b"}])
    expect(sts.assume_role, "InvalidParameterValue", "The specified transitive tag key must be included in the requested tags.",
           RoleArn=role, RoleSessionName="s1", Tags=[{"Key": "team", "Value": "a"}], TransitiveTagKeys=["project"])
    assert sts.assume_role(RoleArn=role, RoleSessionName="s1", Tags=[{"Key": "Team", "Value": "a"}],
                           TransitiveTagKeys=["team"])["AssumedRoleUser"]


def test_name_patterns_name_their_member(sts, role):
    pattern = r"[\w+=,.@-]*"
    expect(sts.assume_role, "ValidationError",
           f"1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: "
           f"Member must satisfy regular expression pattern: {pattern}", RoleArn=role, RoleSessionName="Session1:2")
    expect(sts.get_federation_token, "ValidationError",
           f"1 validation error detected: Value 'bob:2' at 'name' failed to satisfy constraint: "
           f"Member must satisfy regular expression pattern: {pattern}", Name="bob:2")
    expect(sts.assume_role, "ValidationError",
           "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: "
           "Member must have value greater than or equal to 900", RoleArn=role, RoleSessionName="s1", DurationSeconds=899)

"""IAM listings paged with boto3's paginators (Markers are key tokens of gureum.aws.paging,
bound to their listing and parameters) and IAM's tag rules (gureum.aws.tags), against a real
gureum. An account of its own keeps counts exact."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "000000000777"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                           "Action": "sts:AssumeRole"}]})
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})


@pytest.fixture(scope="module")
def iam(gureum):
    return gureum.client("iam", aws_access_key_id=ACCOUNT)  # a 12-digit key id is that account


def _code(e: pytest.ExceptionInfo[ClientError]) -> str:
    return e.value.response["Error"]["Code"]


def _paged(iam, op: str, key: str, size: int = 2, **kw) -> list[list]:
    pages = [p[key] for p in iam.get_paginator(op).paginate(PaginationConfig={"PageSize": size}, **kw)]
    assert all(len(p) <= size for p in pages)
    return pages


def test_roles_groups_policies_and_profiles_page(iam):
    tag = uuid.uuid4().hex[:6]
    path = f"/pg{tag}/"
    roles = [iam.create_role(RoleName=f"pg{tag}-r{i}", Path=path, AssumeRolePolicyDocument=TRUST)["Role"]["RoleName"] for i in range(5)]
    pages = _paged(iam, "list_roles", "Roles", PathPrefix=path)
    assert len(pages) == 3 and [r["RoleName"] for p in pages for r in p] == roles
    groups = [iam.create_group(GroupName=f"pg{tag}-g{i}", Path=path)["Group"]["GroupName"] for i in range(3)]
    assert [g["GroupName"] for p in _paged(iam, "list_groups", "Groups", PathPrefix=path) for g in p] == groups
    user = iam.create_user(UserName=f"pg{tag}-u")["User"]["UserName"]
    for g in groups:
        iam.add_user_to_group(GroupName=g, UserName=user)
    assert [g["GroupName"] for p in _paged(iam, "list_groups_for_user", "Groups", UserName=user) for g in p] == groups
    arns = [iam.create_policy(PolicyName=f"pg{tag}-p{i}", Path=path, PolicyDocument=POLICY)["Policy"]["Arn"] for i in range(3)]
    for a in arns:
        iam.attach_user_policy(UserName=user, PolicyArn=a)
    assert [p["PolicyArn"] for pg in _paged(iam, "list_attached_user_policies", "AttachedPolicies", UserName=user) for p in pg] == arns
    assert [p["Arn"] for pg in _paged(iam, "list_policies", "Policies", Scope="Local", PathPrefix=path) for p in pg] == arns
    for i in range(3):
        iam.put_user_policy(UserName=user, PolicyName=f"inline{i}", PolicyDocument=POLICY)
    assert [n for p in _paged(iam, "list_user_policies", "PolicyNames", UserName=user) for n in p] == ["inline0", "inline1", "inline2"]
    for _ in range(3):
        iam.create_policy_version(PolicyArn=arns[0], PolicyDocument=POLICY)
    assert len([v for p in _paged(iam, "list_policy_versions", "Versions", PolicyArn=arns[0]) for v in p]) == 4
    for i in range(3):
        iam.create_instance_profile(InstanceProfileName=f"pg{tag}-ip{i}", Path=path)
    assert len([x for p in _paged(iam, "list_instance_profiles", "InstanceProfiles", PathPrefix=path) for x in p]) == 3


def test_user_tags_page_in_the_order_added(iam):
    user = iam.create_user(UserName=f"pgtags-{uuid.uuid4().hex[:6]}")["User"]["UserName"]
    keys = ["zeta", "alpha", "Mid", "beta", "omega"]
    iam.tag_user(UserName=user, Tags=[{"Key": k, "Value": "v"} for k in keys])
    pages = _paged(iam, "list_user_tags", "Tags", UserName=user)
    assert len(pages) == 3 and [t["Key"] for p in pages for t in p] == keys


def test_a_marker_of_another_listing_is_refused(iam):
    tag = uuid.uuid4().hex[:6]
    for i in range(3):
        iam.create_user(UserName=f"pgm{tag}-{i}", Path=f"/pgm{tag}/")
    marker = iam.list_users(PathPrefix=f"/pgm{tag}/", MaxItems=1)["Marker"]
    for call in (lambda: iam.list_users(PathPrefix="/", MaxItems=1, Marker=marker),
                 lambda: iam.list_roles(MaxItems=1, Marker=marker),
                 lambda: iam.list_users(MaxItems=1, Marker="aWFtX3VzZXJz")):  # a base64 store key, gureum's old marker
        with pytest.raises(ClientError) as e:
            call()
        assert _code(e) == "ValidationError"


def test_tag_rules(iam):
    user = iam.create_user(UserName=f"pgtr-{uuid.uuid4().hex[:6]}")["User"]["UserName"]
    iam.tag_user(UserName=user, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    with pytest.raises(ClientError) as e:
        iam.tag_user(UserName=user, Tags=[{"Key": "one-more", "Value": "v"}])
    assert _code(e) == "LimitExceeded"
    iam.tag_user(UserName=user, Tags=[{"Key": "K1", "Value": "case-insensitive"}])  # replaces k1
    tags = iam.list_user_tags(UserName=user, MaxItems=100)["Tags"]
    assert len(tags) == 50 and {"Key": "K1", "Value": "case-insensitive"} in tags
    for bad in ([{"Key": "aws:x", "Value": "v"}], [{"Key": "dup", "Value": "a"}, {"Key": "DUP", "Value": "b"}]):
        with pytest.raises(ClientError) as e:
            iam.tag_user(UserName=user, Tags=bad)
        assert _code(e) == "InvalidInput"

"""IAM end to end: boto3 and the AWS CLI against a real gureum.

Each test works in an account of its own (a 12-digit access key id is that account), so the
shared gureum process needs no cleanup between tests."""

from __future__ import annotations

import json
import random
import re
import urllib.request
from urllib.parse import unquote, urlencode

import pytest
from botocore.exceptions import ClientError
from botocore.handlers import json_decode_policies

TRUST = (
    '{\n    "Version": "2012-10-17",\n    "Statement": [\n        {\n            "Effect": "Allow",\n'
    '            "Principal": {"Service": "lambda.amazonaws.com"},\n            "Action": "sts:AssumeRole"\n'
    "        }\n    ]\n}"
)
POLICY = '{"Version":"2012-10-17","Statement":[{"Sid":"a+b c","Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::bucket/*"}]}'


def new_account() -> str:
    return str(random.randint(10**11, 10**12 - 1))


@pytest.fixture
def account() -> str:
    return new_account()


@pytest.fixture
def iam(gureum, account):
    return gureum.client("iam", aws_access_key_id=account, aws_secret_access_key="x")


def raw_client(gureum, account):
    """An IAM client that leaves policy documents as IAM sends them (URL-encoded)."""
    client = gureum.client("iam", aws_access_key_id=account, aws_secret_access_key="x")
    client.meta.events.unregister("after-call.iam", json_decode_policies)
    return client


def error_of(exc: pytest.ExceptionInfo) -> tuple[str, int, str]:
    r = exc.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]


# --- documents round-trip exactly ------------------------------------------------------
def test_trust_policy_round_trips_byte_exact(gureum, account, iam):
    created = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=TRUST, Path="/service-role/")["Role"]
    assert created["AssumeRolePolicyDocument"] == json.loads(TRUST)
    raw = raw_client(gureum, account)
    encoded = raw.get_role(RoleName="fn")["Role"]["AssumeRolePolicyDocument"]
    assert "%0A" in encoded and "+" not in encoded  # URL-encoded as IAM does, whitespace kept
    assert unquote(encoded) == TRUST
    listed = raw.list_roles()["Roles"][0]["AssumeRolePolicyDocument"]
    assert unquote(listed) == TRUST
    new = TRUST.replace("lambda", "ecs-tasks")
    iam.update_assume_role_policy(RoleName="fn", PolicyDocument=new)
    assert unquote(raw.get_role(RoleName="fn")["Role"]["AssumeRolePolicyDocument"]) == new


def test_policy_documents_round_trip_byte_exact(gureum, account, iam):
    raw = raw_client(gureum, account)
    arn = iam.create_policy(PolicyName="p", PolicyDocument=POLICY)["Policy"]["Arn"]
    version = raw.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert unquote(version["Document"]) == POLICY and version["IsDefaultVersion"] is True
    iam.create_user(UserName="u")
    iam.put_user_policy(UserName="u", PolicyName="inline", PolicyDocument=POLICY)
    got = raw.get_user_policy(UserName="u", PolicyName="inline")
    assert unquote(got["PolicyDocument"]) == POLICY
    assert iam.get_user_policy(UserName="u", PolicyName="inline")["PolicyDocument"] == json.loads(POLICY)


def test_raw_query_response_is_url_encoded_xml(gureum, account, iam):
    iam.create_role(RoleName="raw", AssumeRolePolicyDocument=TRUST)
    body = urlencode({"Action": "GetRole", "Version": "2010-05-08", "RoleName": "raw"}).encode()
    req = urllib.request.Request(
        gureum.endpoint,
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Authorization": f"AWS4-HMAC-SHA256 Credential={account}/20260101/us-east-1/iam/aws4_request, "
            "SignedHeaders=host, Signature=00",
        },
    )
    with urllib.request.urlopen(req) as resp:
        xml = resp.read().decode()
    m = re.search(r"<AssumeRolePolicyDocument>([^<]*)</AssumeRolePolicyDocument>", xml)
    assert m and unquote(m.group(1)) == TRUST


# --- entities, ids, ARNs ---------------------------------------------------------------
def test_users_roles_groups_policies_have_aws_ids_and_arns(account, iam):
    user = iam.create_user(UserName="alice", Path="/eng/")["User"]
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]
    group = iam.create_group(GroupName="g")["Group"]
    policy = iam.create_policy(PolicyName="p", PolicyDocument=POLICY, Path="/x/")["Policy"]
    profile = iam.create_instance_profile(InstanceProfileName="ip")["InstanceProfile"]
    assert re.fullmatch(r"AIDA[A-Z0-9]{17}", user["UserId"])
    assert re.fullmatch(r"AROA[A-Z0-9]{17}", role["RoleId"])
    assert re.fullmatch(r"AGPA[A-Z0-9]{17}", group["GroupId"])
    assert re.fullmatch(r"ANPA[A-Z0-9]{17}", policy["PolicyId"])
    assert re.fullmatch(r"AIPA[A-Z0-9]{17}", profile["InstanceProfileId"])
    assert user["Arn"] == f"arn:aws:iam::{account}:user/eng/alice"
    assert role["Arn"] == f"arn:aws:iam::{account}:role/r"
    assert group["Arn"] == f"arn:aws:iam::{account}:group/g"
    assert policy["Arn"] == f"arn:aws:iam::{account}:policy/x/p"
    assert profile["Arn"] == f"arn:aws:iam::{account}:instance-profile/ip"
    assert "MaxSessionDuration" not in role and policy["DefaultVersionId"] == "v1"  # CreateRole has none
    assert iam.get_role(RoleName="r")["Role"]["MaxSessionDuration"] == 3600


def test_access_keys_lifecycle(iam):
    iam.create_user(UserName="k")
    key = iam.create_access_key(UserName="k")["AccessKey"]
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", key["AccessKeyId"]) and len(key["SecretAccessKey"]) == 40
    assert key["Status"] == "Active" and key["UserName"] == "k"
    iam.create_access_key(UserName="k")
    with pytest.raises(ClientError) as exc:
        iam.create_access_key(UserName="k")
    assert error_of(exc) == ("LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2")
    iam.update_access_key(UserName="k", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    listed = {m["AccessKeyId"]: m["Status"] for m in iam.list_access_keys(UserName="k")["AccessKeyMetadata"]}
    assert listed[key["AccessKeyId"]] == "Inactive" and len(listed) == 2
    last = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert last["UserName"] == "k" and last["AccessKeyLastUsed"]["ServiceName"] == "N/A"
    iam.delete_access_key(UserName="k", AccessKeyId=key["AccessKeyId"])
    with pytest.raises(ClientError) as exc:
        iam.delete_access_key(UserName="k", AccessKeyId=key["AccessKeyId"])
    assert error_of(exc)[:2] == ("NoSuchEntity", 404)


def test_user_key_identifies_the_user(gureum, account, iam):
    iam.create_user(UserName="me")
    key = iam.create_access_key(UserName="me")["AccessKey"]
    mine = gureum.client("iam", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    assert mine.get_user()["User"]["Arn"] == f"arn:aws:iam::{account}:user/me"
    assert mine.list_users()["Users"][0]["UserName"] == "me"  # the key's account, not the default one
    ident = gureum.client(
        "sts", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]
    ).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{account}:user/me" and ident["Account"] == account
    assert ident["UserId"] == iam.get_user(UserName="me")["User"]["UserId"]


# --- errors ----------------------------------------------------------------------------
def test_errors_carry_aws_codes_and_statuses(iam):
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName="missing")
    assert error_of(exc) == ("NoSuchEntity", 404, "The role with name missing cannot be found.")
    iam.create_role(RoleName="dup", AssumeRolePolicyDocument=TRUST)
    with pytest.raises(ClientError) as exc:
        iam.create_role(RoleName="DUP", AssumeRolePolicyDocument=TRUST)
    assert error_of(exc) == ("EntityAlreadyExists", 409, "Role with name DUP already exists.")
    iam.put_role_policy(RoleName="dup", PolicyName="x", PolicyDocument=POLICY)
    with pytest.raises(ClientError) as exc:
        iam.delete_role(RoleName="dup")
    assert error_of(exc) == ("DeleteConflict", 409, "Cannot delete entity, must delete policies first.")
    with pytest.raises(ClientError) as exc:
        iam.create_policy(PolicyName="bad", PolicyDocument="{nope")
    assert error_of(exc) == ("MalformedPolicyDocument", 400, "Syntax errors in policy.")  # a trust policy's words differ
    with pytest.raises(ClientError) as exc:
        iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/DoesNotExist")
    assert error_of(exc) == (
        "NoSuchEntity", 404, "Policy arn:aws:iam::aws:policy/DoesNotExist was not found.")
    with pytest.raises(ClientError) as exc:
        iam.create_role(RoleName="x" * 65, AssumeRolePolicyDocument=TRUST)
    code, status, message = error_of(exc)
    assert (code, status) == ("ValidationError", 400) and "roleName" in message


def test_error_codes_map_to_botocore_exception_classes(iam):
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName="nobody")
    iam.create_group(GroupName="g")
    with pytest.raises(iam.exceptions.EntityAlreadyExistsException):
        iam.create_group(GroupName="g")


# --- pagination and path filters -------------------------------------------------------
def test_pagination_with_marker_and_max_items(iam):
    names = [f"user{i:02d}" for i in range(7)]
    for n in names:
        iam.create_user(UserName=n, Path="/team/" if n < "user04" else "/")
    page = iam.list_users(MaxItems=3)
    assert page["IsTruncated"] is True and len(page["Users"]) == 3 and page["Marker"]
    rest = iam.list_users(Marker=page["Marker"], MaxItems=100)
    assert rest["IsTruncated"] is False and "Marker" not in rest
    assert [u["UserName"] for u in page["Users"] + rest["Users"]] == names
    paged = [
        u["UserName"]
        for p in iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 2})
        for u in p["Users"]
    ]
    assert paged == names
    assert [u["UserName"] for u in iam.list_users(PathPrefix="/team/")["Users"]] == names[:4]


# --- managed policies ------------------------------------------------------------------
def test_policy_versions_through_the_api(iam):
    arn = iam.create_policy(PolicyName="v", PolicyDocument=POLICY, Description="d")["Policy"]["Arn"]
    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=POLICY.replace("Get", "Put"), SetAsDefault=True)
    assert v2["PolicyVersion"]["VersionId"] == "v2" and v2["PolicyVersion"]["IsDefaultVersion"] is True
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [("v2", True), ("v1", False)]
    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert got["DefaultVersionId"] == "v2" and got["Description"] == "d"
    with pytest.raises(ClientError) as exc:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    assert error_of(exc)[:2] == ("DeleteConflict", 409)
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=POLICY)
    with pytest.raises(ClientError) as exc:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=POLICY)
    assert error_of(exc)[:2] == ("LimitExceeded", 409)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ],
)
def test_aws_managed_policies_attach_to_roles(iam, arn):
    iam.create_role(RoleName="svc", AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName="svc", PolicyArn=arn)
    attached = iam.list_attached_role_policies(RoleName="svc")["AttachedPolicies"]
    assert attached == [{"PolicyName": arn.rsplit("/", 1)[1], "PolicyArn": arn}]
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    assert policy["AttachmentCount"] == 1
    doc = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]
    assert doc["Version"] == "2012-10-17" and doc["Statement"]
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == ["svc"]
    assert entities["PolicyUsers"] == [] and entities["PolicyGroups"] == []
    with pytest.raises(ClientError) as exc:
        iam.delete_role(RoleName="svc")
    assert error_of(exc) == ("DeleteConflict", 409, "Cannot delete entity, must detach all policies first.")
    iam.detach_role_policy(RoleName="svc", PolicyArn=arn)
    iam.delete_role(RoleName="svc")


def test_list_policies_scopes(iam):
    iam.create_policy(PolicyName="mine", PolicyDocument=POLICY)
    local = iam.list_policies(Scope="Local")["Policies"]
    assert [p["PolicyName"] for p in local] == ["mine"]
    aws = iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]
    assert {"AdministratorAccess", "AWSLambdaBasicExecutionRole"} <= {p["PolicyName"] for p in aws}
    assert iam.list_policies(OnlyAttached=True)["Policies"] == []


def test_groups_and_inline_policies(iam):
    iam.create_user(UserName="u1")
    iam.create_group(GroupName="admins", Path="/ops/")
    iam.add_user_to_group(GroupName="admins", UserName="u1")
    group = iam.get_group(GroupName="admins")
    assert [u["UserName"] for u in group["Users"]] == ["u1"] and group["Group"]["Path"] == "/ops/"
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="u1")["Groups"]] == ["admins"]
    iam.put_group_policy(GroupName="admins", PolicyName="gp", PolicyDocument=POLICY)
    assert iam.list_group_policies(GroupName="admins")["PolicyNames"] == ["gp"]
    iam.attach_group_policy(GroupName="admins", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    with pytest.raises(ClientError) as exc:
        iam.delete_group(GroupName="admins")
    assert error_of(exc)[:2] == ("DeleteConflict", 409)
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName="u1")
    assert error_of(exc)[:2] == ("DeleteConflict", 409)
    iam.remove_user_from_group(GroupName="admins", UserName="u1")
    iam.delete_group_policy(GroupName="admins", PolicyName="gp")
    iam.detach_group_policy(GroupName="admins", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.delete_group(GroupName="admins")
    iam.delete_user(UserName="u1")
    assert iam.list_users()["Users"] == [] and iam.list_groups()["Groups"] == []


def test_tags_on_users_roles_and_policies(iam):
    iam.create_user(UserName="t", Tags=[{"Key": "team", "Value": "a"}])
    assert iam.get_user(UserName="t")["User"]["Tags"] == [{"Key": "team", "Value": "a"}]
    iam.tag_user(UserName="t", Tags=[{"Key": "env", "Value": "dev"}])
    assert iam.list_user_tags(UserName="t")["Tags"] == [{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "dev"}]
    iam.untag_user(UserName="t", TagKeys=["team"])
    assert iam.list_user_tags(UserName="t")["Tags"] == [{"Key": "env", "Value": "dev"}]
    iam.create_role(RoleName="t", AssumeRolePolicyDocument=TRUST, Tags=[{"Key": "k", "Value": "v"}])
    iam.tag_role(RoleName="t", Tags=[{"Key": "k2", "Value": ""}])
    assert iam.get_role(RoleName="t")["Role"]["Tags"] == [{"Key": "k", "Value": "v"}, {"Key": "k2", "Value": ""}]
    arn = iam.create_policy(PolicyName="t", PolicyDocument=POLICY, Tags=[{"Key": "a", "Value": "b"}])["Policy"]["Arn"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "c", "Value": "d"}])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "a", "Value": "b"}, {"Key": "c", "Value": "d"}]


def test_instance_profiles(iam):
    iam.create_role(RoleName="ec2", AssumeRolePolicyDocument=TRUST)
    iam.create_instance_profile(InstanceProfileName="web", Path="/p/")
    iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="ec2")
    prof = iam.get_instance_profile(InstanceProfileName="web")["InstanceProfile"]
    assert [r["RoleName"] for r in prof["Roles"]] == ["ec2"]
    assert prof["Roles"][0]["AssumeRolePolicyDocument"] == json.loads(TRUST)
    listed = iam.list_instance_profiles_for_role(RoleName="ec2")["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in listed] == ["web"]
    with pytest.raises(ClientError) as exc:
        iam.delete_instance_profile(InstanceProfileName="web")
    assert error_of(exc)[:2] == ("DeleteConflict", 409)
    iam.remove_role_from_instance_profile(InstanceProfileName="web", RoleName="ec2")
    iam.delete_instance_profile(InstanceProfileName="web")
    with pytest.raises(ClientError) as exc:
        iam.get_instance_profile(InstanceProfileName="web")
    assert error_of(exc)[:2] == ("NoSuchEntity", 404)


def test_update_role_and_description(iam):
    iam.create_role(RoleName="u", AssumeRolePolicyDocument=TRUST, Description="one")
    iam.update_role(RoleName="u", MaxSessionDuration=7200)
    out = iam.update_role_description(RoleName="u", Description="two")["Role"]
    assert out["Description"] == "two" and "MaxSessionDuration" not in out  # as AWS answers it
    assert iam.get_role(RoleName="u")["Role"]["MaxSessionDuration"] == 7200


# --- the AWS CLI -----------------------------------------------------------------------
def test_aws_cli_role_and_policy_round_trip(gureum, tmp_path):
    trust = tmp_path / "trust.json"
    trust.write_text(TRUST)
    name = f"cli-{random.randint(0, 10**9)}"
    created = gureum.aws("iam", "create-role", "--role-name", name, "--assume-role-policy-document", f"file://{trust}")
    assert created["Role"]["AssumeRolePolicyDocument"] == json.loads(TRUST)
    gureum.aws("iam", "attach-role-policy", "--role-name", name, "--policy-arn",
               "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    attached = gureum.aws("iam", "list-attached-role-policies", "--role-name", name)
    assert attached["AttachedPolicies"][0]["PolicyName"] == "AWSLambdaBasicExecutionRole"
    res = gureum.aws("iam", "get-role", "--role-name", name + "-missing", check=False)
    assert res.returncode != 0 and "NoSuchEntity" in res.stderr


def test_service_linked_roles(iam):
    role = iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForECS"
    assert role["Path"] == "/aws-service-role/ecs.amazonaws.com/"
    assert role["AssumeRolePolicyDocument"]["Statement"][0] == {
        "Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}
    with pytest.raises(ClientError) as exc:
        iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")
    assert error_of(exc)[:2] == ("InvalidInput", 400)
    with pytest.raises(ClientError) as exc:
        iam.delete_role(RoleName="AWSServiceRoleForECS")
    assert error_of(exc)[:2] == ("UnmodifiableEntity", 400)
    task = iam.delete_service_linked_role(RoleName="AWSServiceRoleForECS")["DeletionTaskId"]
    assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
    assert iam.list_roles()["Roles"] == []


def test_permissions_boundaries(iam):
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    iam.create_user(UserName="b", PermissionsBoundary=arn)
    expected = {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn}
    assert iam.get_user(UserName="b")["User"]["PermissionsBoundary"] == expected
    iam.create_role(RoleName="b", AssumeRolePolicyDocument=TRUST)
    iam.put_role_permissions_boundary(RoleName="b", PermissionsBoundary=arn)
    assert iam.get_role(RoleName="b")["Role"]["PermissionsBoundary"] == expected
    iam.delete_role_permissions_boundary(RoleName="b")
    assert "PermissionsBoundary" not in iam.get_role(RoleName="b")["Role"]
    with pytest.raises(ClientError) as exc:
        iam.put_user_permissions_boundary(UserName="b", PermissionsBoundary="arn:aws:iam::aws:policy/Nope")
    assert error_of(exc)[:2] == ("NoSuchEntity", 404)


def test_account_alias(iam):
    assert iam.list_account_aliases()["AccountAliases"] == []
    iam.create_account_alias(AccountAlias="my-org")
    assert iam.list_account_aliases()["AccountAliases"] == ["my-org"]
    iam.delete_account_alias(AccountAlias="my-org")
    assert iam.list_account_aliases()["AccountAliases"] == []


def test_account_summary_counts_entities(iam):
    iam.create_user(UserName="a")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    iam.create_policy(PolicyName="p", PolicyDocument=POLICY)
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["Users"], summary["Roles"], summary["Policies"], summary["Groups"]) == (1, 1, 1, 0)
    assert summary["AccessKeysPerUserQuota"] == 2 and summary["RolesQuota"] == 1000


def test_entity_names_must_match_the_whole_pattern(gureum, account):
    from botocore.config import Config

    unchecked = gureum.client(
        "iam", aws_access_key_id=account, aws_secret_access_key="x",
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )
    with pytest.raises(ClientError) as exc:
        unchecked.create_user(UserName="has space")
    code, status, message = error_of(exc)
    assert (code, status) == ("ValidationError", 400)
    assert message.startswith("1 validation error detected: Value 'has space' at 'userName'")
    with pytest.raises(ClientError) as exc:
        unchecked.create_role(RoleName="bad/name", AssumeRolePolicyDocument=TRUST)
    assert error_of(exc)[:2] == ("ValidationError", 400)

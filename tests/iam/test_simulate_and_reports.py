"""IAM's policy simulator and reports end to end through boto3: SimulatePrincipalPolicy and
SimulateCustomPolicy decided by gureum's policy engine (allowed, explicit and implicit deny,
matched statements, boundaries, resource policies, context keys), GetAccountAuthorizationDetails
paged across users, groups, roles and policies, ListPoliciesGrantingServiceAccess, access
advisor reports built from the services a user's key really reached, Organizations reports
as an account outside an organization, UpdateOpenIDConnectProvider."""

from __future__ import annotations

import json
import random

import pytest
from botocore.exceptions import ClientError

S3_READ = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"},
    {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::secrets/*"}]})
SQS_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]})


@pytest.fixture
def iam(gureum):  # type: ignore[no-untyped-def]
    account = str(random.randint(10**11, 10**12 - 1))
    return account, gureum.client("iam", aws_access_key_id=account)


def decisions(out: dict) -> dict[tuple[str, str], str]:  # type: ignore[type-arg]
    return {(r["EvalActionName"], r["EvalResourceName"]): r["EvalDecision"] for r in out["EvaluationResults"]}


def test_simulate_principal_policy_with_groups_boundaries_and_context(iam) -> None:  # type: ignore[no-untyped-def]
    account, c = iam
    user = c.create_user(UserName="alice")["User"]
    c.put_user_policy(UserName="alice", PolicyName="s3read", PolicyDocument=S3_READ)
    c.create_group(GroupName="queues")
    c.add_user_to_group(GroupName="queues", UserName="alice")
    c.put_group_policy(GroupName="queues", PolicyName="sqs", PolicyDocument=SQS_ALL)
    out = c.simulate_principal_policy(PolicySourceArn=user["Arn"], ActionNames=["s3:GetObject", "sqs:SendMessage", "ec2:RunInstances"],
                                      ResourceArns=["arn:aws:s3:::public/a", "arn:aws:s3:::secrets/b"])
    got = decisions(out)
    assert got[("s3:GetObject", "arn:aws:s3:::public/a")] == "allowed"
    assert got[("s3:GetObject", "arn:aws:s3:::secrets/b")] == "explicitDeny"
    assert got[("sqs:SendMessage", "arn:aws:s3:::public/a")] == "allowed"  # through the group
    assert got[("ec2:RunInstances", "arn:aws:s3:::public/a")] == "implicitDeny"
    matched = next(r for r in out["EvaluationResults"] if r["EvalResourceName"].endswith("secrets/b") and r["EvalActionName"] == "s3:GetObject")
    assert {(m["SourcePolicyId"], m["SourcePolicyType"]) for m in matched["MatchedStatements"]} == {("s3read", "user")}

    # a boundary that allows only S3 stops SQS; excluding the group's policy stops it too
    boundary = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    out = c.simulate_principal_policy(PolicySourceArn=user["Arn"], ActionNames=["sqs:SendMessage", "s3:ListBucket"],
                                      PermissionsBoundaryPolicyInputList=[boundary])
    assert decisions(out) == {("sqs:SendMessage", "*"): "implicitDeny", ("s3:ListBucket", "*"): "allowed"}
    assert [r["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"] for r in out["EvaluationResults"]] == [False, True]
    out = c.simulate_principal_policy(PolicySourceArn=user["Arn"], ActionNames=["sqs:SendMessage"], PolicyExclusionList=[
        {"InlinePolicyIdentifier": {"PolicyName": "sqs", "AttachmentType": "group", "AttachmentName": "queues"}}])
    assert decisions(out) == {("sqs:SendMessage", "*"): "implicitDeny"}

    # condition keys from ContextEntries
    cond = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": "*",
                                                               "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]})
    args = {"PolicyInputList": [cond], "ActionNames": ["sns:Publish"]}
    inside = c.simulate_custom_policy(**args, ContextEntries=[{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.1.2.3"], "ContextKeyType": "ip"}])
    outside = c.simulate_custom_policy(**args, ContextEntries=[{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["192.0.2.1"], "ContextKeyType": "ip"}])
    assert decisions(inside) == {("sns:Publish", "*"): "allowed"} and decisions(outside) == {("sns:Publish", "*"): "implicitDeny"}
    missing = c.simulate_custom_policy(**args)["EvaluationResults"][0]
    assert (missing["EvalDecision"], missing["MissingContextValues"]) == ("implicitDeny", ["aws:SourceIp"])
    assert inside["EvaluationResults"][0]["MissingContextValues"] == []
    with pytest.raises(ClientError) as e:
        c.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{account}:user/nobody", ActionNames=["s3:GetObject"])
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"
    with pytest.raises(ClientError) as e:
        c.simulate_custom_policy(PolicyInputList=["{not json"], ActionNames=["s3:GetObject"])
    assert e.value.response["Error"]["Code"] == "InvalidInput"


def test_simulate_custom_policy_with_a_resource_policy_and_pages(iam) -> None:  # type: ignore[no-untyped-def]
    account, c = iam
    other = "111122223333"
    bucket_policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:user/bob"}, "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::shared/*"}]})
    ident = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    args = {"PolicyInputList": [ident], "ActionNames": ["s3:GetObject"], "ResourceArns": ["arn:aws:s3:::shared/x"],
            "ResourcePolicy": bucket_policy, "ResourceOwner": f"arn:aws:iam::{other}:root"}
    bob = c.simulate_custom_policy(**args, CallerArn=f"arn:aws:iam::{account}:user/bob")
    carol = c.simulate_custom_policy(**args, CallerArn=f"arn:aws:iam::{account}:user/carol")
    assert decisions(bob) == {("s3:GetObject", "arn:aws:s3:::shared/x"): "allowed"}
    assert decisions(carol) == {("s3:GetObject", "arn:aws:s3:::shared/x"): "implicitDeny"}  # cross account: both must allow
    own = c.simulate_custom_policy(**{**args, "ResourceOwner": f"arn:aws:iam::{account}:root"}, CallerArn=f"arn:aws:iam::{account}:user/carol")
    assert decisions(own) == {("s3:GetObject", "arn:aws:s3:::shared/x"): "allowed"}  # same account: the identity policy suffices
    pages = c.get_paginator("simulate_custom_policy").paginate(
        PolicyInputList=[ident], ActionNames=[f"s3:Action{i}" for i in range(5)], PaginationConfig={"PageSize": 2})
    assert len([r for p in pages for r in p["EvaluationResults"]]) == 5


def test_account_authorization_details_pages_and_filters(iam) -> None:  # type: ignore[no-untyped-def]
    account, c = iam
    c.create_user(UserName="u1")
    c.put_user_policy(UserName="u1", PolicyName="inline", PolicyDocument=S3_READ)
    c.create_group(GroupName="g1")
    c.add_user_to_group(GroupName="g1", UserName="u1")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    c.create_role(RoleName="r1", AssumeRolePolicyDocument=trust)
    local = c.create_policy(PolicyName="local", PolicyDocument=SQS_ALL)["Policy"]["Arn"]
    c.attach_role_policy(RoleName="r1", PolicyArn=local)
    c.attach_role_policy(RoleName="r1", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    pages = list(c.get_paginator("get_account_authorization_details").paginate(PaginationConfig={"PageSize": 1}))
    assert len(pages) >= 5
    merged: dict[str, list] = {k: [x for p in pages for x in p[k]] for k in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")}  # type: ignore[type-arg]
    [u] = merged["UserDetailList"]
    assert u["UserName"] == "u1" and u["GroupList"] == ["g1"] and u["UserPolicyList"][0]["PolicyName"] == "inline"
    assert [g["GroupName"] for g in merged["GroupDetailList"]] == ["g1"]
    [r] = merged["RoleDetailList"]
    assert {a["PolicyArn"] for a in r["AttachedManagedPolicies"]} == {local, "arn:aws:iam::aws:policy/ReadOnlyAccess"}
    assert {p["Arn"] for p in merged["Policies"]} == {local, "arn:aws:iam::aws:policy/ReadOnlyAccess"}  # AWS managed: attached ones
    assert all(p["PolicyVersionList"] for p in merged["Policies"])
    only_roles = c.get_account_authorization_details(Filter=["Role"])
    assert [x["RoleName"] for x in only_roles["RoleDetailList"]] == ["r1"] and only_roles["UserDetailList"] == []


def test_access_advisor_reports_what_a_users_key_reached(gureum, iam) -> None:  # type: ignore[no-untyped-def]
    account, c = iam
    user = c.create_user(UserName="worker")["User"]
    c.put_user_policy(UserName="worker", PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sqs:*", "sns:ListTopics"], "Resource": "*"}]}))
    key = c.create_access_key(UserName="worker")["AccessKey"]
    gureum.client("sqs", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]).list_queues()
    job = c.generate_service_last_accessed_details(Arn=user["Arn"])["JobId"]
    out = c.get_service_last_accessed_details(JobId=job)
    assert out["JobStatus"] == "COMPLETED" and out["JobType"] == "SERVICE_LEVEL"
    by_ns = {s["ServiceNamespace"]: s for s in out["ServicesLastAccessed"]}
    assert set(by_ns) == {"sqs", "sns"}
    assert by_ns["sqs"]["LastAuthenticatedEntity"] == user["Arn"] and by_ns["sqs"]["TotalAuthenticatedEntities"] == 1
    assert by_ns["sqs"]["LastAuthenticatedRegion"] == "us-east-1" and "LastAuthenticated" in by_ns["sqs"]
    assert "LastAuthenticated" not in by_ns["sns"] and by_ns["sns"]["TotalAuthenticatedEntities"] == 0
    ents = c.get_service_last_accessed_details_with_entities(JobId=job, ServiceNamespace="sqs")["EntityDetailsList"]
    assert [(e["EntityInfo"]["Arn"], e["EntityInfo"]["Type"], "LastAuthenticated" in e) for e in ents] == [(user["Arn"], "USER", True)]
    assert c.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]["ServiceName"] == "sqs"
    grants = c.list_policies_granting_service_access(Arn=user["Arn"], ServiceNamespaces=["sqs", "s3"])["PoliciesGrantingServiceAccess"]
    assert grants == [{"ServiceNamespace": "sqs", "Policies": [{"PolicyName": "p", "PolicyType": "INLINE", "EntityType": "USER", "EntityName": "worker"}]},
                      {"ServiceNamespace": "s3", "Policies": []}]
    with pytest.raises(ClientError) as e:
        c.get_service_last_accessed_details(JobId="00000000-0000-0000-0000-000000000000")
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"


def test_organizations_reports_as_an_account_outside_an_organization(iam) -> None:  # type: ignore[no-untyped-def]
    _account, c = iam
    with pytest.raises(ClientError) as e:
        c.generate_organizations_access_report(EntityPath="o-a1b2c3d4e5/r-f6g7h8i9j0example")
    assert e.value.response["Error"]["Code"] == "InvalidInput"
    with pytest.raises(ClientError) as e:
        c.get_organizations_access_report(JobId="examplea-1234-b567-cde8-90fg123abcd4")
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"


def test_update_open_id_connect_provider_context_provider(iam) -> None:  # type: ignore[no-untyped-def]
    _account, c = iam
    arn = c.create_open_id_connect_provider(Url="https://token.example.com", ClientIDList=["a"],
                                            ThumbprintList=["0" * 40])["OpenIDConnectProviderArn"]
    with pytest.raises(ClientError) as e:
        c.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, IdentityCenterInstanceArn="arn:aws:sso:::instance/ssoins-1234567890abcdef")
    assert e.value.response["Error"]["Code"] == "InvalidInput"
    with pytest.raises(ClientError) as e:
        c.update_open_id_connect_provider(OpenIDConnectProviderArn=arn + "x", RemoveContextProvider=True)
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"

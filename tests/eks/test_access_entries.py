"""EKS access entries and access policies through boto3 against a real gureum, and what they
grant through the clusters' token authenticator: AWS's rules (API modes only, one entry per
principal, no system: groups, policy ARNs and scopes), the creator's bootstrap entry, paging
and the policy filter, cascade on DeleteCluster, and `aws eks get-token` tokens of an IAM user
mapped to its entry's username and groups (refused once the entry is gone)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.eks.test_authenticate import get_token, review, token_review

ROLE = "arn:aws:iam::000000000000:role/eks-cluster"
VPC = {"subnetIds": ["subnet-1", "subnet-2"]}
ACCOUNT = "000000000000"
POLICY = "arn:aws:eks::aws:cluster-access-policy/"


def uniq(prefix: str = "ae") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def error_of(call) -> tuple[str, int, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as e:
        call()
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Message", "")


@pytest.fixture(scope="module")
def eks(gureum):  # type: ignore[no-untyped-def]
    return gureum.client("eks")


def api_cluster(eks: Any, mode: str = "API") -> str:
    name = uniq()
    eks.create_cluster(name=name, roleArn=ROLE, resourcesVpcConfig=VPC, accessConfig={"authenticationMode": mode})
    return name


def test_entry_rules_and_lifecycle(eks) -> None:  # type: ignore[no-untyped-def]
    config_map = uniq()
    eks.create_cluster(name=config_map, roleArn=ROLE, resourcesVpcConfig=VPC)
    role = f"arn:aws:iam::{ACCOUNT}:role/dev"
    code, status, msg = error_of(lambda: eks.create_access_entry(clusterName=config_map, principalArn=role))
    assert (code, status) == ("InvalidRequestException", 400) and "API_AND_CONFIG_MAP" in msg

    name = api_cluster(eks)
    e = eks.create_access_entry(clusterName=name, principalArn=role, kubernetesGroups=["devs"], tags={"t": "1"})
    entry = e["accessEntry"]
    assert entry["username"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/dev/{{{{SessionName}}}}"
    assert entry["type"] == "STANDARD" and entry["kubernetesGroups"] == ["devs"] and entry["tags"] == {"t": "1"}
    assert entry["accessEntryArn"].startswith(f"arn:aws:eks:us-east-1:{ACCOUNT}:access-entry/{name}/role/{ACCOUNT}/dev/")
    assert eks.describe_access_entry(clusterName=name, principalArn=role)["accessEntry"] == entry
    assert error_of(lambda: eks.create_access_entry(clusterName=name, principalArn=role))[:2] == (
        "ResourceInUseException", 409)
    assert error_of(lambda: eks.create_access_entry(clusterName=name, principalArn="arn:aws:s3:::b"))[:2] == (
        "InvalidParameterException", 400)
    assert error_of(lambda: eks.create_access_entry(
        clusterName=name, principalArn=f"arn:aws:iam::{ACCOUNT}:user/x", kubernetesGroups=["system:masters"]))[:2] == (
        "InvalidParameterException", 400)
    assert error_of(lambda: eks.create_access_entry(clusterName=uniq("none"), principalArn=role))[:2] == (
        "ResourceNotFoundException", 404)

    view = POLICY + "AmazonEKSViewPolicy"
    a = eks.associate_access_policy(clusterName=name, principalArn=role, policyArn=view,
                                    accessScope={"type": "namespace", "namespaces": ["web"]})
    assert a["associatedAccessPolicy"]["accessScope"] == {"type": "namespace", "namespaces": ["web"]}
    for bad_policy, scope in ((POLICY + "Nope", {"type": "cluster"}), (view, {"type": "namespace"}),
                              (view, {"type": "cluster", "namespaces": ["x"]})):
        assert error_of(lambda p=bad_policy, s=scope: eks.associate_access_policy(  # type: ignore[misc]
            clusterName=name, principalArn=role, policyArn=p, accessScope=s))[:2] == ("InvalidParameterException", 400)
    listed = eks.list_associated_access_policies(clusterName=name, principalArn=role)["associatedAccessPolicies"]
    assert [x["policyArn"] for x in listed] == [view]
    assert eks.list_access_entries(clusterName=name, associatedPolicyArn=view)["accessEntries"] == [role]
    assert eks.list_access_entries(clusterName=name, associatedPolicyArn=POLICY + "AmazonEKSEditPolicy")[
        "accessEntries"] == []
    eks.disassociate_access_policy(clusterName=name, principalArn=role, policyArn=view)
    assert error_of(lambda: eks.disassociate_access_policy(clusterName=name, principalArn=role, policyArn=view))[:2] == (
        "ResourceNotFoundException", 404)
    eks.delete_access_entry(clusterName=name, principalArn=role)
    assert error_of(lambda: eks.describe_access_entry(clusterName=name, principalArn=role))[:2] == (
        "ResourceNotFoundException", 404)
    names = {p["name"] for p in eks.list_access_policies()["accessPolicies"]}
    assert {"AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy"} <= names


def test_paging_and_cascade(eks) -> None:  # type: ignore[no-untyped-def]
    name = api_cluster(eks, "API_AND_CONFIG_MAP")
    made = sorted(f"arn:aws:iam::{ACCOUNT}:user/u{i}" for i in range(5))
    for p in made:
        eks.create_access_entry(clusterName=name, principalArn=p)
    seen: list[str] = []
    for page in eks.get_paginator("list_access_entries").paginate(clusterName=name, PaginationConfig={"PageSize": 2}):
        assert len(page["accessEntries"]) <= 2
        seen += page["accessEntries"]
    assert seen == made
    eks.delete_cluster(name=name)
    eks.create_cluster(name=name, roleArn=ROLE, resourcesVpcConfig=VPC, accessConfig={"authenticationMode": "API"})
    assert eks.list_access_entries(clusterName=name)["accessEntries"] == []  # the old cluster's went with it


def test_creator_bootstrap_entry(gureum) -> None:  # type: ignore[no-untyped-def]
    iam = gureum.client("iam")
    user = uniq("admin")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    creds = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
    eks = gureum.client("eks", **creds)
    name = api_cluster(eks)
    arn = f"arn:aws:iam::{ACCOUNT}:user/{user}"
    assert eks.list_access_entries(clusterName=name)["accessEntries"] == [arn]
    listed = eks.list_associated_access_policies(clusterName=name, principalArn=arn)["associatedAccessPolicies"]
    assert [(x["policyArn"], x["accessScope"]["type"]) for x in listed] == [(POLICY + "AmazonEKSClusterAdminPolicy",
                                                                               "cluster")]
    env = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    status, doc = review(gureum, name, token_review(get_token(gureum, name, env)))
    assert doc["status"]["authenticated"] is True and doc["status"]["user"]["groups"] == ["system:masters"]
    # in an API mode the entry is what admits the creator: without it, nothing does
    eks.delete_access_entry(clusterName=name, principalArn=arn)
    status, doc = review(gureum, name, token_review(get_token(gureum, name, env)))
    assert doc["status"]["authenticated"] is False


def test_an_entry_admits_its_principal_with_its_groups(gureum, eks) -> None:  # type: ignore[no-untyped-def]
    iam = gureum.client("iam")
    user = uniq("dev")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    env = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    name = api_cluster(eks)
    arn = f"arn:aws:iam::{ACCOUNT}:user/{user}"
    token = get_token(gureum, name, env)
    assert review(gureum, name, token_review(token))[1]["status"]["authenticated"] is False
    eks.create_access_entry(clusterName=name, principalArn=arn, kubernetesGroups=["devs"], username="dev-user")
    eks.associate_access_policy(clusterName=name, principalArn=arn, policyArn=POLICY + "AmazonEKSEditPolicy",
                                accessScope={"type": "namespace", "namespaces": ["web", "api"]})
    doc = review(gureum, name, token_review(token))[1]
    assert doc["status"]["authenticated"] is True
    assert doc["status"]["user"]["username"] == "dev-user"
    assert doc["status"]["user"]["groups"] == ["devs", "gureum:eks:AmazonEKSEditPolicy:web",
                                               "gureum:eks:AmazonEKSEditPolicy:api"]

"""EKS clusters through boto3 and the AWS CLI against a real gureum: CreateCluster's record and
AWS's defaults, its rules (name, version, role ARN, endpoint access, one name per Region,
idempotency by clientRequestToken), the move from CREATING to FAILED that a node without the
control-plane build makes (with its health issue), ListClusters paging, DeleteCluster (and
deletion protection), tags, and durability across a restart."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.waiting import wait_for

ROLE = "arn:aws:iam::000000000000:role/eks-cluster"
VPC = {"subnetIds": ["subnet-1", "subnet-2"]}


def uniq(prefix: str = "c") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def eks(gureum):  # type: ignore[no-untyped-def]
    return gureum.client("eks")


def error_of(call) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as e:
        call()
    return {"code": e.value.response["Error"]["Code"], "status": e.value.response["ResponseMetadata"]["HTTPStatusCode"],
            "message": e.value.response["Error"].get("Message", "")}


def status_of(eks: Any, name: str) -> str:
    return str(eks.describe_cluster(name=name)["cluster"]["status"])


def test_create_describe_defaults_and_failed_without_a_control_plane(eks) -> None:  # type: ignore[no-untyped-def]
    name = uniq()
    c = eks.create_cluster(name=name, roleArn=ROLE, resourcesVpcConfig=VPC, tags={"team": "a"})["cluster"]
    assert c["status"] == "CREATING" and c["name"] == name and c["version"] == "1.37"
    assert c["arn"].startswith("arn:aws:eks:us-east-1:") and c["arn"].endswith(f":cluster/{name}")
    assert c["resourcesVpcConfig"]["subnetIds"] == ["subnet-1", "subnet-2"]
    assert c["resourcesVpcConfig"]["endpointPublicAccess"] is True
    assert c["resourcesVpcConfig"]["endpointPrivateAccess"] is False
    assert c["resourcesVpcConfig"]["publicAccessCidrs"] == ["0.0.0.0/0"]
    assert c["accessConfig"] == {"authenticationMode": "CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": True}
    assert c["logging"]["clusterLogging"] == [
        {"types": ["api", "audit", "authenticator", "controllerManager", "scheduler"], "enabled": False}]
    assert c["tags"] == {"team": "a"} and "endpoint" not in c
    # no gureum-kube build: the cluster fails, saying why, rather than staying CREATING or
    # being called ACTIVE with no Kubernetes API behind it
    wait_for("the cluster to leave CREATING", lambda: status_of(eks, name) != "CREATING", timeout=30)
    d = eks.describe_cluster(name=name)["cluster"]
    assert d["status"] == "FAILED" and "endpoint" not in d
    issue = d["health"]["issues"][0]
    assert issue["code"] == "InternalFailure" and "gureum-kube" in issue["message"]
    assert issue["resourceIds"] == [name]


def test_create_rules(eks) -> None:  # type: ignore[no-untyped-def]
    name = uniq()
    e = error_of(lambda: eks.create_cluster(name=name, roleArn=ROLE, resourcesVpcConfig=VPC, version="1.20"))
    assert (e["code"], e["status"]) == ("InvalidParameterException", 400) and "1.20" in e["message"]
    e = error_of(lambda: eks.create_cluster(name=name, roleArn="not-an-arn", resourcesVpcConfig=VPC))
    assert e["code"] == "InvalidParameterException"
    e = error_of(lambda: eks.create_cluster(name="-bad", roleArn=ROLE, resourcesVpcConfig=VPC))
    assert (e["code"], e["status"]) == ("InvalidParameterException", 400)
    e = error_of(lambda: eks.create_cluster(name=name, roleArn=ROLE, resourcesVpcConfig={
        "subnetIds": ["subnet-1"], "endpointPublicAccess": False, "endpointPrivateAccess": False}))
    assert e["code"] == "InvalidParameterException"
    e = error_of(lambda: eks.create_cluster(name=name, roleArn=ROLE, resourcesVpcConfig=VPC, tags={"aws:x": "y"}))
    assert (e["code"], e["status"]) == ("BadRequestException", 400)
    assert name not in eks.list_clusters()["clusters"]  # nothing was written by a refused request

    first = eks.create_cluster(name=name, roleArn=ROLE, resourcesVpcConfig=VPC, clientRequestToken="tok-1")["cluster"]
    again = eks.create_cluster(name=name, roleArn=ROLE, resourcesVpcConfig=VPC, clientRequestToken="tok-1")["cluster"]
    assert again["arn"] == first["arn"] and again["createdAt"] == first["createdAt"]
    e = error_of(lambda: eks.create_cluster(name=name, roleArn=ROLE, resourcesVpcConfig=VPC, clientRequestToken="tok-2"))
    assert (e["code"], e["status"]) == ("ResourceInUseException", 409)
    assert e["message"] == f"Cluster already exists with name: {name}"


def test_not_found_errors(eks) -> None:  # type: ignore[no-untyped-def]
    name = uniq("gone")
    for call in (lambda: eks.describe_cluster(name=name), lambda: eks.delete_cluster(name=name)):
        e = error_of(call)
        assert (e["code"], e["status"], e["message"]) == ("ResourceNotFoundException", 404,
                                                         f"No cluster found for name: {name}.")


def test_list_clusters_pages(eks) -> None:  # type: ignore[no-untyped-def]
    prefix = uniq("page")
    made = sorted(f"{prefix}-{i}" for i in range(5))
    for n in made:
        eks.create_cluster(name=n, roleArn=ROLE, resourcesVpcConfig=VPC)
    seen: list[str] = []
    for page in eks.get_paginator("list_clusters").paginate(PaginationConfig={"PageSize": 2}):
        assert len(page["clusters"]) <= 2
        seen += page["clusters"]
    assert [n for n in seen if n.startswith(prefix)] == made and len(seen) == len(set(seen))
    e = error_of(lambda: eks.list_clusters(nextToken="garbage"))
    assert (e["code"], e["status"]) == ("InvalidParameterException", 400)
    e = error_of(lambda: eks.list_clusters(maxResults=101))
    assert (e["code"], e["status"]) == ("InvalidParameterException", 400)


def test_delete_cluster_and_deletion_protection(eks) -> None:  # type: ignore[no-untyped-def]
    name = uniq()
    eks.create_cluster(name=name, roleArn=ROLE, resourcesVpcConfig=VPC)
    gone = eks.delete_cluster(name=name)["cluster"]
    assert gone["status"] == "DELETING" and gone["name"] == name
    assert error_of(lambda: eks.describe_cluster(name=name))["code"] == "ResourceNotFoundException"
    assert name not in eks.list_clusters()["clusters"]
    kept = uniq()
    eks.create_cluster(name=kept, roleArn=ROLE, resourcesVpcConfig=VPC, deletionProtection=True)
    e = error_of(lambda: eks.delete_cluster(name=kept))
    assert (e["code"], e["status"]) == ("InvalidRequestException", 400)
    assert eks.describe_cluster(name=kept)["cluster"]["deletionProtection"] is True


def test_tags(eks, gureum) -> None:  # type: ignore[no-untyped-def]
    name = uniq()
    arn = eks.create_cluster(name=name, roleArn=ROLE, resourcesVpcConfig=VPC, tags={"a": "1"})["cluster"]["arn"]
    eks.tag_resource(resourceArn=arn, tags={"b": "2", "a": "9"})
    assert eks.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "9", "b": "2"}
    eks.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert eks.describe_cluster(name=name)["cluster"]["tags"] == {"b": "2"}
    e = error_of(lambda: eks.tag_resource(resourceArn=arn, tags={f"k{i}": "v" for i in range(50)}))
    assert (e["code"], e["status"]) == ("BadRequestException", 400)
    missing = arn.rsplit("/", 1)[0] + "/" + uniq("nope")
    e = error_of(lambda: eks.list_tags_for_resource(resourceArn=missing))
    assert (e["code"], e["status"]) == ("NotFoundException", 404)
    e = error_of(lambda: eks.tag_resource(resourceArn="arn:aws:sqs:us-east-1:000000000000:q", tags={"a": "b"}))
    assert (e["code"], e["status"]) == ("BadRequestException", 400)
    # a cluster of another Region is not this Region's
    other = gureum.client("eks", region="eu-west-1")
    assert error_of(lambda: other.list_tags_for_resource(resourceArn=arn))["code"] == "NotFoundException"
    assert name not in other.list_clusters()["clusters"]


def test_the_aws_cli_and_unbuilt_operations(gureum) -> None:  # type: ignore[no-untyped-def]
    name = uniq("cli")
    out = gureum.aws("eks", "create-cluster", "--name", name, "--role-arn", ROLE,
                     "--resources-vpc-config", "subnetIds=subnet-1,subnet-2")
    assert out["cluster"]["name"] == name
    assert name in gureum.aws("eks", "list-clusters")["clusters"]
    assert gureum.aws("eks", "describe-cluster", "--name", name)["cluster"]["arn"].endswith(f"cluster/{name}")
    # what is not built answers 501, never a fake success
    with pytest.raises(ClientError) as e:
        gureum.client("eks").list_nodegroups(clusterName=name)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501


def test_clusters_survive_a_restart(gureum, eks) -> None:  # type: ignore[no-untyped-def]
    name = uniq("durable")
    eks.create_cluster(name=name, roleArn=ROLE, resourcesVpcConfig=VPC, tags={"k": "v"},
                       accessConfig={"authenticationMode": "API"})
    principal = "arn:aws:iam::000000000000:role/ops"
    eks.create_access_entry(clusterName=name, principalArn=principal, kubernetesGroups=["ops"])
    eks.associate_access_policy(clusterName=name, principalArn=principal,
                                policyArn="arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
                                accessScope={"type": "cluster"})
    wait_for("the cluster to leave CREATING", lambda: status_of(eks, name) != "CREATING", timeout=30)
    before = eks.describe_cluster(name=name)["cluster"]
    entry = eks.describe_access_entry(clusterName=name, principalArn=principal)["accessEntry"]
    gureum.restart()
    again = gureum.client("eks")
    assert again.describe_cluster(name=name)["cluster"] == before
    assert again.describe_access_entry(clusterName=name, principalArn=principal)["accessEntry"] == entry
    policies = again.list_associated_access_policies(clusterName=name, principalArn=principal)
    assert [p["policyArn"].rsplit("/", 1)[-1] for p in policies["associatedAccessPolicies"]] == ["AmazonEKSViewPolicy"]

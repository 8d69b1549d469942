"""Cross-account VPC associations through boto3: account A authorizes account B's VPC for its
private zone, B associates it (NotAuthorizedException before), sees the zone in
ListHostedZonesByVPC with A as owner, and B may disassociate."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

A = "111111111111"
B = "222222222222"


def _client(gureum, account: str):
    return gureum.client("route53", aws_access_key_id=account)


def _code(e: pytest.ExceptionInfo) -> str:
    return e.value.response["Error"]["Code"]


def test_authorize_associate_list_and_disassociate_across_accounts(gureum):
    a, b = _client(gureum, A), _client(gureum, B)
    vpc_a = {"VPCRegion": "us-east-1", "VPCId": f"vpc-a{uuid.uuid4().hex[:8]}"}
    vpc_b = {"VPCRegion": "eu-west-1", "VPCId": f"vpc-b{uuid.uuid4().hex[:8]}"}
    zid = a.create_hosted_zone(Name=f"corp-{uuid.uuid4().hex[:6]}.internal", CallerReference=uuid.uuid4().hex,
                               VPC=vpc_a)["HostedZone"]["Id"].split("/")[-1]
    with pytest.raises(ClientError) as e:
        b.associate_vpc_with_hosted_zone(HostedZoneId=zid, VPC=vpc_b)
    assert _code(e) == "NotAuthorizedException" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    with pytest.raises(ClientError) as e:
        b.create_vpc_association_authorization(HostedZoneId=zid, VPC=vpc_b)  # only the zone's owner may
    assert _code(e) == "NoSuchHostedZone"
    got = a.create_vpc_association_authorization(HostedZoneId=zid, VPC=vpc_b)
    assert got["HostedZoneId"] == zid and got["VPC"] == vpc_b
    assert a.list_vpc_association_authorizations(HostedZoneId=zid)["VPCs"] == [vpc_b]
    b.associate_vpc_with_hosted_zone(HostedZoneId=zid, VPC=vpc_b)
    assert vpc_b in a.get_hosted_zone(Id=zid)["VPCs"]
    listed = b.list_hosted_zones_by_vpc(VPCId=vpc_b["VPCId"], VPCRegion=vpc_b["VPCRegion"])["HostedZoneSummaries"]
    assert [(s["HostedZoneId"], s["Owner"]) for s in listed] == [(zid, {"OwningAccount": A})]
    # deleting the authorization keeps the association (AWS's documented behaviour)
    a.delete_vpc_association_authorization(HostedZoneId=zid, VPC=vpc_b)
    assert a.list_vpc_association_authorizations(HostedZoneId=zid)["VPCs"] == []
    assert vpc_b in a.get_hosted_zone(Id=zid)["VPCs"]
    with pytest.raises(ClientError) as e:
        a.delete_vpc_association_authorization(HostedZoneId=zid, VPC=vpc_b)
    assert _code(e) == "VPCAssociationAuthorizationNotFound"
    b.disassociate_vpc_from_hosted_zone(HostedZoneId=zid, VPC=vpc_b)  # the VPC's account may
    assert vpc_b not in a.get_hosted_zone(Id=zid)["VPCs"]
    assert b.list_hosted_zones_by_vpc(VPCId=vpc_b["VPCId"], VPCRegion=vpc_b["VPCRegion"])["HostedZoneSummaries"] == []
    with pytest.raises(ClientError) as e:
        b.associate_vpc_with_hosted_zone(HostedZoneId=zid, VPC=vpc_b)  # authorization gone
    assert _code(e) == "NotAuthorizedException"


def test_authorizations_page_and_need_a_private_zone(gureum):
    a = _client(gureum, A)
    public = a.create_hosted_zone(Name=f"pub-{uuid.uuid4().hex[:6]}.test", CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    with pytest.raises(ClientError) as e:
        a.create_vpc_association_authorization(HostedZoneId=public, VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-1"})
    assert _code(e) == "InvalidInput"
    zid = a.create_hosted_zone(Name=f"priv-{uuid.uuid4().hex[:6]}.internal", CallerReference=uuid.uuid4().hex,
                               VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-own"})["HostedZone"]["Id"]
    vpcs = [{"VPCRegion": "us-west-2", "VPCId": f"vpc-{i:03d}"} for i in range(7)]
    for v in vpcs:
        a.create_vpc_association_authorization(HostedZoneId=zid, VPC=v)
    seen, token = [], None
    while True:
        page = a.list_vpc_association_authorizations(HostedZoneId=zid, MaxResults="3", **({"NextToken": token} if token else {}))
        seen.extend(page["VPCs"])
        token = page.get("NextToken")
        if not token:
            break
    assert seen == vpcs
    with pytest.raises(ClientError) as e:
        a.list_vpc_association_authorizations(HostedZoneId=zid, NextToken="garbage")
    assert _code(e) == "InvalidPaginationToken"

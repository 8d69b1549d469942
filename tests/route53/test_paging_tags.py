"""Route 53's NextToken listings paged with boto3's paginators (key tokens of
gureum.aws.paging), its key Markers (health check ids) and its tag rules (gureum.aws.tags),
against a real gureum."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def r53(gureum):
    # an account of its own (open mode: a 12-digit key id is that account's root): these
    # tests make 3 CIDR collections, and the account quota (5) is shared by the session's
    # other Route 53 tests
    return gureum.client("route53", aws_access_key_id=str(uuid.uuid4().int)[:12].rjust(12, "1"))


def _code(e: pytest.ExceptionInfo[ClientError]) -> str:
    return e.value.response["Error"]["Code"]


def _paged(r53, op: str, key: str, size: int = 2, **kw) -> list[list]:
    return [p[key] for p in r53.get_paginator(op).paginate(PaginationConfig={"PageSize": str(size)}, **kw)]


def test_cidr_collections_locations_and_blocks_page(r53):
    made = {r53.create_cidr_collection(Name=f"pg{uuid.uuid4().hex[:8]}", CallerReference=uuid.uuid4().hex)["Collection"]["Id"]
            for _ in range(3)}
    flat = [c["Id"] for p in _paged(r53, "list_cidr_collections", "CidrCollections") for c in p]
    assert len(flat) == len(set(flat)) and made <= set(flat)
    cid = min(made)
    r53.change_cidr_collection(Id=cid, Changes=[{"LocationName": f"loc{i}", "Action": "PUT", "CidrList": [f"10.{i}.0.0/16", f"10.{i}.1.0/24"]}
                                                for i in range(3)])
    pages = _paged(r53, "list_cidr_locations", "CidrLocations", CollectionId=cid)
    assert len(pages) == 2 and [x["LocationName"] for p in pages for x in p] == ["loc0", "loc1", "loc2"]
    pages = _paged(r53, "list_cidr_blocks", "CidrBlocks", CollectionId=cid)
    assert len(pages) == 3 and len({(b["LocationName"], b["CidrBlock"]) for p in pages for b in p}) == 6
    token = r53.list_cidr_blocks(CollectionId=cid, MaxResults="1")["NextToken"]
    for bad in (token, "1"):  # another listing's token; the offset token gureum used to hand out
        with pytest.raises(ClientError) as e:
            r53.list_cidr_locations(CollectionId=cid, MaxResults="1", NextToken=bad)
        assert _code(e) == "InvalidInput"


def test_hosted_zones_by_vpc_page_and_refuse_other_tokens(r53):
    vpc = {"VPCRegion": "us-east-1", "VPCId": "vpc-" + uuid.uuid4().hex[:8]}
    zones = [r53.create_hosted_zone(Name=f"pg{i}.vpc.test", CallerReference=uuid.uuid4().hex, VPC=vpc)["HostedZone"]["Id"].split("/")[-1]
             for i in range(3)]
    seen, kw = [], {}
    while True:
        out = r53.list_hosted_zones_by_vpc(MaxItems="2", **vpc, **kw)
        seen += [z["HostedZoneId"] for z in out["HostedZoneSummaries"]]
        if "NextToken" not in out:
            break
        kw = {"NextToken": out["NextToken"]}
    assert seen == zones
    token = r53.list_hosted_zones_by_vpc(MaxItems="1", **vpc)["NextToken"]
    with pytest.raises(ClientError) as e:
        r53.list_hosted_zones_by_vpc(MaxItems="1", VPCRegion="us-east-1", VPCId="vpc-other", NextToken=token)
    assert _code(e) == "InvalidPaginationToken"


def test_health_checks_page_by_id_marker(r53):
    cfg = {"Type": "TCP", "IPAddress": "127.0.0.1", "Port": 9, "RequestInterval": 30, "FailureThreshold": 3}
    made = [r53.create_health_check(CallerReference=uuid.uuid4().hex, HealthCheckConfig=cfg)["HealthCheck"]["Id"] for _ in range(3)]
    try:
        pages = _paged(r53, "list_health_checks", "HealthChecks")
        flat = [h["Id"] for p in pages for h in p]
        assert len(pages) >= 2 and flat == sorted(flat) and set(made) <= set(flat)
        first = min(made)
        assert r53.list_health_checks(Marker=first, MaxItems="1")["HealthChecks"][0]["Id"] == first  # the marker is a real key
    finally:
        for h in made:
            r53.delete_health_check(HealthCheckId=h)


def test_tag_rules(r53):
    zid = r53.create_hosted_zone(Name=f"pgtag{uuid.uuid4().hex[:6]}.test", CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"].split("/")[-1]
    for i in range(5):
        r53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zid, AddTags=[{"Key": f"k{i}{j}", "Value": "v"} for j in range(10)])
    with pytest.raises(ClientError) as e:
        r53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zid, AddTags=[{"Key": "one-more", "Value": "v"}])
    assert _code(e) == "InvalidInput"
    for bad in ({"Key": "aws:x", "Value": "v"}, {"Key": "k00", "Value": "bad#value"}):
        with pytest.raises(ClientError) as e:
            r53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zid, AddTags=[bad])
        assert _code(e) == "InvalidInput"
    r53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zid, RemoveTagKeys=[f"k{i}{j}" for i in range(5) for j in range(10)][1:10])
    r53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zid, AddTags=[{"Key": "one-more", "Value": "v"}])
    tags = r53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zid)["ResourceTagSet"]["Tags"]
    assert len(tags) == 42 and {"Key": "one-more", "Value": "v"} in tags


def test_query_logging_configs_page(gureum, r53):
    logs = gureum.client("logs", region="us-east-1")
    made = []
    for i in range(3):
        zone = r53.create_hosted_zone(Name=f"pgq{i}{uuid.uuid4().hex[:6]}.test", CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"].split("/")[-1]
        group = f"/aws/route53/pg-{uuid.uuid4().hex[:8]}"
        logs.create_log_group(logGroupName=group)
        arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{group}:*"
        made.append(r53.create_query_logging_config(HostedZoneId=zone, CloudWatchLogsLogGroupArn=arn)["QueryLoggingConfig"]["Id"])
    try:
        flat = [c["Id"] for p in _paged(r53, "list_query_logging_configs", "QueryLoggingConfigs") for c in p]
        assert flat == sorted(flat) and set(made) <= set(flat) and len(flat) == len(set(flat))
    finally:
        for c in made:
            r53.delete_query_logging_config(Id=c)

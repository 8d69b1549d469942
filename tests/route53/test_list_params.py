"""Route 53 list operations with page sizes or numeric markers that are not numbers: AWS's 400
InvalidInput, never a 500 (a ValueError in the handler)."""

from __future__ import annotations

import uuid

import botocore.exceptions
import pytest


@pytest.fixture(scope="module")
def r53(gureum):
    gureum.wait_service("route53", "running")
    return gureum.client("route53")


def _policy(r53) -> str:
    doc = '{"AWSPolicyFormatVersion":"2015-10-01","RecordType":"A","Endpoints":{"e":{"Type":"value","Value":"192.0.2.1"}},"StartEndpoint":"e"}'
    return r53.create_traffic_policy(Name="p" + uuid.uuid4().hex[:8], Document=doc)["TrafficPolicy"]["Id"]


CALLS = [
    ("list_health_checks", {"MaxItems": "ten"}, "maxItems"),
    ("list_health_checks", {"MaxItems": "-3"}, "maxItems"),
    ("list_traffic_policies", {"MaxItems": "x1"}, "maxItems"),
    ("list_traffic_policy_instances", {"MaxItems": "1.5"}, "maxItems"),
    ("list_cidr_collections", {"MaxResults": "many"}, "maxResults"),
    ("list_query_logging_configs", {"MaxResults": "0x10"}, "maxResults"),
    ("list_hosted_zones", {"MaxItems": "abc"}, "maxItems"),
]


@pytest.mark.parametrize(("method", "kwargs", "field"), CALLS)
def test_a_page_size_that_is_not_a_positive_number_is_invalid_input(r53, method, kwargs, field):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        getattr(r53, method)(**kwargs)
    err = e.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err["Error"]["Code"] == "InvalidInput"
    assert f"at '{field}' failed to satisfy constraint" in err["Error"]["Message"]


def test_a_traffic_policy_version_marker_that_is_not_a_number_is_invalid_input(r53):
    pid = _policy(r53)
    for kwargs in ({"TrafficPolicyVersionMarker": "v2"}, {"MaxItems": "all"}):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            r53.list_traffic_policy_versions(Id=pid, **kwargs)
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert e.value.response["Error"]["Code"] == "InvalidInput"
    assert r53.list_traffic_policy_versions(Id=pid, TrafficPolicyVersionMarker="1", MaxItems="5")["TrafficPolicies"][0]["Version"] == 1


def test_a_cidr_location_page_size_that_is_not_a_number_is_invalid_input(r53):
    cid = r53.create_cidr_collection(Name="c" + uuid.uuid4().hex[:8], CallerReference=uuid.uuid4().hex)["Collection"]["Id"]
    for method, kw in (("list_cidr_locations", {}), ("list_cidr_blocks", {})):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            getattr(r53, method)(CollectionId=cid, MaxResults="lots", **kw)
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert e.value.response["Error"]["Code"] == "InvalidInput"


def test_valid_page_sizes_still_page(r53):
    ids = [r53.create_health_check(CallerReference=uuid.uuid4().hex, HealthCheckConfig={"Type": "TCP", "IPAddress": "192.0.2.10", "Port": 80})["HealthCheck"]["Id"] for _ in range(3)]
    page = r53.list_health_checks(MaxItems="2")
    assert len(page["HealthChecks"]) == 2 and page["IsTruncated"] and page["MaxItems"] == "2"
    r53.delete_health_check(HealthCheckId=ids[0])


@pytest.mark.parametrize(("method", "kwargs", "code"), [
    ("list_cidr_collections", {"NextToken": "²"}, "InvalidInput"),
    ("list_query_logging_configs", {"NextToken": "٣x"}, "InvalidPaginationToken"),
    ("list_query_logging_configs", {"NextToken": "²"}, "InvalidPaginationToken"),
    ("list_hosted_zones_by_vpc", {"NextToken": "-4", "VPCId": "vpc-1", "VPCRegion": "us-east-1"}, "InvalidPaginationToken"),
])
def test_a_next_token_we_did_not_hand_out_is_a_400(r53, method, kwargs, code):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        getattr(r53, method)(**kwargs)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert e.value.response["Error"]["Code"] == code


def test_names_with_escapes_that_are_not_octal_never_raise_a_plain_value_error():
    from gureum.services.route53 import names

    for text in ("a\\0²²b.test", "a\\089.test", "a\\٣٣٣.test"):
        try:
            names.parse(text)
        except names.BadName:
            pass


def test_a_record_name_with_a_non_octal_escape_is_not_a_500(r53):
    zid = r53.create_hosted_zone(Name=f"esc{uuid.uuid4().hex[:6]}.test", CallerReference=uuid.uuid4().hex)["HostedZone"]
    name = "a\\0²²b." + zid["Name"]
    try:
        r53.change_resource_record_sets(HostedZoneId=zid["Id"], ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
            "Name": name, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]}}]})
    except botocore.exceptions.ClientError as e:
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400

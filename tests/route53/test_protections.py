"""Resource record set protections through boto3: a protected (name, type) cannot be created,
changed or deleted by ChangeResourceRecordSets (InvalidChangeBatch naming the comment), the
zone cannot be deleted while protections exist, and the batch errors AWS documents."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError


def _change(r53, zid: str, action: str, name: str, value: str = "192.0.2.1", rtype: str = "A") -> None:
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [{"Action": action, "ResourceRecordSet": {
        "Name": name, "Type": rtype, "TTL": 60, "ResourceRecords": [{"Value": value}]}}]})


def test_a_protection_blocks_changes_until_deleted(gureum):
    r53 = gureum.client("route53")
    zone = f"prot-{uuid.uuid4().hex[:8]}.test"
    zid = r53.create_hosted_zone(Name=zone, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    _change(r53, zid, "CREATE", "www." + zone)
    r53.create_resource_record_set_protections(HostedZoneId=zid, Protections=[
        {"RecordName": "WWW." + zone, "RecordType": "A", "Comment": "production front door"},
        {"RecordName": "new." + zone, "RecordType": "TXT"}])  # a name with no record set yet
    for action, name, rtype, value in (("UPSERT", "www." + zone, "A", "192.0.2.2"), ("DELETE", "www." + zone, "A", "192.0.2.1"),
                                        ("CREATE", "new." + zone, "TXT", '"x"')):
        with pytest.raises(ClientError) as e:
            _change(r53, zid, action, name, value, rtype)
        assert e.value.response["Error"]["Code"] == "InvalidChangeBatch"
    with pytest.raises(ClientError) as e:
        _change(r53, zid, "UPSERT", "www." + zone, "192.0.2.2")
    assert "production front door" in e.value.response["Error"]["Message"]
    _change(r53, zid, "CREATE", "www." + zone, "2001:db8::1", "AAAA")  # another type: free
    listed = r53.list_resource_record_set_protections(HostedZoneId=zid)["ResourceRecordSetProtections"]
    assert listed == [{"RecordName": f"new.{zone}.", "RecordType": "TXT"},
                      {"RecordName": f"www.{zone}.", "RecordType": "A", "Comment": "production front door"}]
    with pytest.raises(ClientError) as e:
        r53.delete_hosted_zone(Id=zid)
    assert e.value.response["Error"]["Code"] == "HostedZoneNotEmpty"
    r53.delete_resource_record_set_protections(HostedZoneId=zid, Protections=[{"RecordName": "www." + zone, "RecordType": "A"}])
    _change(r53, zid, "UPSERT", "www." + zone, "192.0.2.2")
    assert r53.list_resource_record_set_protections(HostedZoneId=zid, StartRecordName="www." + zone)["ResourceRecordSetProtections"] == []


def test_protection_batches_fail_whole_with_aws_errors(gureum):
    r53 = gureum.client("route53")
    zone = f"protb-{uuid.uuid4().hex[:8]}.test"
    zid = r53.create_hosted_zone(Name=zone, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    r53.create_resource_record_set_protections(HostedZoneId=zid, Protections=[{"RecordName": "a." + zone, "RecordType": "A"}])
    with pytest.raises(ClientError) as e:
        r53.create_resource_record_set_protections(HostedZoneId=zid, Protections=[{"RecordName": "a." + zone, "RecordType": "A"}])
    assert e.value.response["Error"]["Code"] == "ProtectionAlreadyExists"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    with pytest.raises(ClientError) as e:  # one exists, one new: nothing created
        r53.create_resource_record_set_protections(HostedZoneId=zid, Protections=[
            {"RecordName": "a." + zone, "RecordType": "A"}, {"RecordName": "b." + zone, "RecordType": "A"}])
    assert e.value.response["Error"]["Code"] == "InvalidResourceRecordSetProtectionBatch"
    with pytest.raises(ClientError) as e:  # outside the zone
        r53.create_resource_record_set_protections(HostedZoneId=zid, Protections=[{"RecordName": "elsewhere.test", "RecordType": "A"}])
    assert e.value.response["Error"]["Code"] == "InvalidResourceRecordSetProtectionBatch"
    with pytest.raises(ClientError) as e:
        r53.delete_resource_record_set_protections(HostedZoneId=zid, Protections=[
            {"RecordName": "a." + zone, "RecordType": "A"}, {"RecordName": "b." + zone, "RecordType": "A"}])
    assert e.value.response["Error"]["Code"] == "InvalidResourceRecordSetProtectionBatch"
    names = [p["RecordName"] for p in r53.list_resource_record_set_protections(HostedZoneId=zid)["ResourceRecordSetProtections"]]
    assert names == [f"a.{zone}."]  # neither batch changed anything
    for i in range(5):
        r53.create_resource_record_set_protections(HostedZoneId=zid, Protections=[{"RecordName": f"h{i}." + zone, "RecordType": "A"}])
    seen, token = [], None
    while True:
        page = r53.list_resource_record_set_protections(HostedZoneId=zid, MaxResults="2", **({"NextToken": token} if token else {}))
        seen += [p["RecordName"] for p in page["ResourceRecordSetProtections"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == [f"a.{zone}."] + [f"h{i}.{zone}." for i in range(5)]

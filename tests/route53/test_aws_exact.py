"""Route 53 answers as AWS answers (issue 27): InvalidChangeBatch messages word for word
(duplicate and missing record sets, a record set changed twice in one batch, CNAME at the apex
or beside other records, names outside the zone) and the errors for missing zones and health
checks, with AWS's code, Type, HTTP status and message, through boto3."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError


def expect(call: Callable[..., Any], code: str, status: int, message: str, **kwargs: Any) -> None:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    r = exc.value.response
    assert (r["Error"]["Code"], r["Error"]["Type"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]) == (
        code, "Sender", status, message)


def change(action: str, name: str, rtype: str, *values: str) -> dict[str, Any]:
    return {"Action": action, "ResourceRecordSet": {"Name": name, "Type": rtype, "TTL": 60,
                                                    "ResourceRecords": [{"Value": v} for v in values]}}


@pytest.fixture
def r53(gureum: Any) -> Any:
    return gureum.client("route53")


@pytest.fixture
def zone(r53: Any) -> tuple[str, str]:
    z = r53.create_hosted_zone(Name=f"exact{uuid.uuid4().hex[:8]}.com", CallerReference=str(uuid.uuid4()))["HostedZone"]
    return z["Id"].split("/")[-1], z["Name"]


def test_change_batch_messages(r53, zone):
    zid, apex = zone

    def batch(*changes: dict[str, Any]) -> dict[str, Any]:
        return {"HostedZoneId": zid, "ChangeBatch": {"Changes": list(changes)}}

    r53.change_resource_record_sets(**batch(change("CREATE", "www." + apex, "A", "192.0.2.1")))
    expect(r53.change_resource_record_sets, "InvalidChangeBatch", 400,
           f"[Tried to create resource record set [name='www.{apex}', type='A'] but it already exists]",
           **batch(change("CREATE", "www." + apex, "A", "192.0.2.1")))
    expect(r53.change_resource_record_sets, "InvalidChangeBatch", 400,
           f"[Tried to delete resource record set [name='nope.{apex}', type='A'] but it was not found]",
           **batch(change("DELETE", "nope." + apex, "A", "192.0.2.1")))
    expect(r53.change_resource_record_sets, "InvalidChangeBatch", 400,
           f"[The request contains an invalid set of changes for a resource record set 'A two.{apex}', "
           f"The request contains an invalid set of changes for a resource record set 'TXT two.{apex}']",
           **batch(change("CREATE", "two." + apex, "A", "192.0.2.1"), change("CREATE", "two." + apex, "A", "192.0.2.2"),
                   change("UPSERT", "two." + apex, "TXT", '"a"'), change("UPSERT", "two." + apex, "TXT", '"b"')))
    expect(r53.change_resource_record_sets, "InvalidChangeBatch", 400,
           f"RRSet of type CNAME with DNS name {apex} is not permitted at apex in zone {apex}",
           **batch(change("CREATE", apex, "CNAME", "x.example.org")))
    expect(r53.change_resource_record_sets, "InvalidChangeBatch", 400,
           f"RRSet of type CNAME with DNS name www.{apex} is not permitted as it conflicts with other records with the same "
           f"DNS name in zone {apex}", **batch(change("CREATE", "www." + apex, "CNAME", "x.example.org")))
    expect(r53.change_resource_record_sets, "InvalidChangeBatch", 400,
           f"[RRSet with DNS name www.other.org. is not permitted in zone {apex}]",
           **batch(change("CREATE", "www.other.org", "A", "192.0.2.1")))
    # a DELETE and its replacement in one batch is the valid way to change a record set
    r53.change_resource_record_sets(**batch(change("DELETE", "www." + apex, "A", "192.0.2.1"),
                                            change("CREATE", "www." + apex, "A", "192.0.2.9")))
    found = r53.list_resource_record_sets(HostedZoneId=zid, StartRecordName="www." + apex, StartRecordType="A",
                                          MaxItems="1")["ResourceRecordSets"][0]
    assert found["ResourceRecords"] == [{"Value": "192.0.2.9"}]


def test_missing_zone_and_health_check(r53):
    expect(r53.get_hosted_zone, "NoSuchHostedZone", 404, "No hosted zone found with ID: ZNOPE", Id="ZNOPE")
    expect(r53.delete_hosted_zone, "NoSuchHostedZone", 404, "No hosted zone found with ID: ZNOPE", Id="ZNOPE")
    hc = str(uuid.uuid4())
    expect(r53.get_health_check, "NoSuchHealthCheck", 404, f"No health check exists with the specified ID {hc}", HealthCheckId=hc)


def test_zone_with_records_cannot_be_deleted(r53, zone):
    zid, apex = zone
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [change("CREATE", "a." + apex, "A", "192.0.2.1")]})
    expect(r53.delete_hosted_zone, "HostedZoneNotEmpty", 400,
           "The specified hosted zone contains non-required resource record sets and so cannot be deleted.", Id=zid)

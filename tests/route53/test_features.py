"""Hosted zone tiers and features through boto3: Change History on the ADVANCED tier
(ListHostedZoneChangeBatches, GetHostedZoneChangeBatch, ListResourceRecordSetChanges, with
FeatureNotEnabled before), UpdateHostedZoneFeatures' rules, and public DNS fallback served by
the DNS server for a private zone."""

from __future__ import annotations

import uuid

import dns.message
import dns.query
import dns.rcode
import pytest
from botocore.exceptions import ClientError
from waiting import wait_for


def _change(r53, zid: str, action: str, name: str, value: str, comment: str | None = None) -> str:
    batch: dict = {"Changes": [{"Action": action, "ResourceRecordSet": {"Name": name, "Type": "A", "TTL": 60,
                                                                       "ResourceRecords": [{"Value": value}]}}]}
    if comment:
        batch["Comment"] = comment
    return r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch=batch)["ChangeInfo"]["Id"].split("/")[-1]


def _code(e: pytest.ExceptionInfo) -> str:
    return e.value.response["Error"]["Code"]


def test_change_history_on_the_advanced_tier(gureum):
    r53 = gureum.client("route53")
    zone = f"hist-{uuid.uuid4().hex[:8]}.test"
    zid = r53.create_hosted_zone(Name=zone, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"].split("/")[-1]
    got = r53.get_hosted_zone(Id=zid)["HostedZone"]
    assert got["Config"]["HostedZoneTier"] == "STANDARD" and got["Features"]["ChangeHistory"] == {"Status": "DISABLED"}
    _change(r53, zid, "CREATE", "before." + zone, "192.0.2.1")
    with pytest.raises(ClientError) as e:
        r53.list_hosted_zone_change_batches(HostedZoneId=zid)
    assert _code(e) == "FeatureNotEnabled" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    r53.update_hosted_zone_tier(HostedZoneId=zid, HostedZoneTier="ADVANCED", DryRun=True)
    assert r53.get_hosted_zone(Id=zid)["HostedZone"]["Config"]["HostedZoneTier"] == "STANDARD"  # a dry run changes nothing
    r53.update_hosted_zone_tier(HostedZoneId=zid, HostedZoneTier="ADVANCED")
    got = r53.get_hosted_zone(Id=zid)["HostedZone"]
    assert got["Config"]["HostedZoneTier"] == "ADVANCED" and got["Features"]["ChangeHistory"]["Status"] == "ENABLED"
    assert "RetentionStartsAt" in got["Features"]["ChangeHistory"]
    ids = [_change(r53, zid, "CREATE", "www." + zone, "192.0.2.10", comment="first"),
           _change(r53, zid, "UPSERT", "www." + zone, "192.0.2.11"),
           _change(r53, zid, "CREATE", "api." + zone, "192.0.2.20")]
    summaries = r53.list_hosted_zone_change_batches(HostedZoneId=zid)["ChangeBatchSummaries"]
    assert [s["ChangeId"] for s in summaries] == ids[::-1]  # newest first, nothing from before the move
    first = summaries[-1]
    assert first["Operation"] == "ChangeResourceRecordSets" and first["Comment"] == "first" and first["ChangeCount"] == 1
    assert first["SubmittedBy"].startswith("arn:aws:") and first["RequestId"]
    asc = r53.list_hosted_zone_change_batches(HostedZoneId=zid, SortOrder="ASCENDING", StartAfterChangeId=ids[0])["ChangeBatchSummaries"]
    assert [s["ChangeId"] for s in asc] == ids[1:]
    page = r53.list_hosted_zone_change_batches(HostedZoneId=zid, MaxResults="2")
    rest = r53.list_hosted_zone_change_batches(HostedZoneId=zid, MaxResults="2", NextToken=page["NextToken"])
    assert [s["ChangeId"] for s in page["ChangeBatchSummaries"] + rest["ChangeBatchSummaries"]] == ids[::-1]
    batch = r53.get_hosted_zone_change_batch(HostedZoneId=zid, ChangeId="/change/" + ids[1])
    assert batch["ChangeBatch"]["Changes"] == [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": f"www.{zone}.", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.11"}]}}]
    with pytest.raises(ClientError) as e:
        r53.get_hosted_zone_change_batch(HostedZoneId=zid, ChangeId="CNOSUCHCHANGE0000000")
    assert _code(e) == "NoSuchChange"
    changes = r53.list_resource_record_set_changes(HostedZoneId=zid, RecordName="WWW." + zone, RecordType="A",
                                                  SortOrder="ASCENDING")["ResourceRecordSetChanges"]
    assert [(c["ChangeId"], c["Action"], c["ResourceRecordSet"]["ResourceRecords"][0]["Value"]) for c in changes] == [
        (ids[0], "CREATE", "192.0.2.10"), (ids[1], "UPSERT", "192.0.2.11")]
    with pytest.raises(ClientError) as e:
        r53.list_resource_record_set_changes(HostedZoneId=zid, RecordName="www." + zone)
    assert _code(e) == "InvalidInput"
    r53.update_hosted_zone_tier(HostedZoneId=zid, HostedZoneTier="STANDARD")
    with pytest.raises(ClientError) as e:
        r53.list_resource_record_set_changes(HostedZoneId=zid)
    assert _code(e) == "FeatureNotEnabled"


def test_feature_rules(gureum):
    r53 = gureum.client("route53")
    zid = r53.create_hosted_zone(Name=f"feat-{uuid.uuid4().hex[:8]}.test", CallerReference=uuid.uuid4().hex,
                                 HostedZoneConfig={"HostedZoneTier": "ADVANCED"})["HostedZone"]["Id"]
    assert r53.list_hosted_zone_change_batches(HostedZoneId=zid)["ChangeBatchSummaries"][0]["Operation"] == "CreateHostedZone"
    with pytest.raises(ClientError) as e:
        r53.update_hosted_zone_features(HostedZoneId=zid, EnablePublicDNSFallback=True)  # a public zone
    assert _code(e) == "InvalidInput"
    with pytest.raises(ClientError) as e:
        r53.update_hosted_zone_features(HostedZoneId=zid, ChangeGuardrails=[{"Name": "NS_FORMAT_CHECK", "Status": "DISABLED"}])
    assert _code(e) == "InvalidInput"
    r53.update_hosted_zone_features(HostedZoneId=zid, EnableAcceleratedRecovery=True,
                                    ChangeGuardrails=[{"Name": "NS_OCCLUSION_CHECK", "Status": "ENABLED"}])
    features = r53.get_hosted_zone(Id=zid)["HostedZone"]["Features"]
    assert features["AcceleratedRecoveryStatus"] == "ENABLED"
    assert {"Name": "NS_OCCLUSION_CHECK", "Status": "ENABLED"} in features["ChangeGuardrails"]
    with pytest.raises(ClientError) as e:  # STANDARD doesn't offer the guardrail that is on
        r53.update_hosted_zone_tier(HostedZoneId=zid, HostedZoneTier="STANDARD")
    assert _code(e) == "InvalidInput"


def _ask(port: int, name: str, source: str) -> dns.message.Message:
    return dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=port, timeout=3, source=source)


def test_public_dns_fallback_answers_what_the_private_zone_lacks(gureum_with_views):
    g = gureum_with_views
    r53 = g.client("route53")
    name = f"fb-{uuid.uuid4().hex[:6]}.test"
    private = r53.create_hosted_zone(Name=name, CallerReference=uuid.uuid4().hex,
                                     VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-a"})["HostedZone"]["Id"]
    public = r53.create_hosted_zone(Name=name, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    _change(r53, private, "CREATE", "www." + name, "10.0.0.1")
    _change(r53, public, "CREATE", "pub." + name, "192.0.2.2")
    assert _ask(g.dns_port, "pub." + name, "127.0.0.2").rcode() == dns.rcode.NXDOMAIN
    r53.update_hosted_zone_features(HostedZoneId=private, EnablePublicDNSFallback=True)
    assert r53.get_hosted_zone(Id=private)["HostedZone"]["Features"]["PublicDNSFallbackStatus"] == "ENABLED"
    r = wait_for("the public answer", lambda: (lambda m: m if m.answer else None)(_ask(g.dns_port, "pub." + name, "127.0.0.2")), timeout=10)
    assert r.answer[0][0].to_text() == "192.0.2.2"
    assert _ask(g.dns_port, "www." + name, "127.0.0.2").answer[0][0].to_text() == "10.0.0.1"  # the private zone still wins
    r53.update_hosted_zone_features(HostedZoneId=private, EnablePublicDNSFallback=False)
    wait_for("NXDOMAIN again", lambda: _ask(g.dns_port, "pub." + name, "127.0.0.2").rcode() == dns.rcode.NXDOMAIN, timeout=10)


def test_guardrails_refuse_what_they_guard(gureum):
    r53 = gureum.client("route53")
    name = f"guard-{uuid.uuid4().hex[:8]}.test"
    zid = r53.create_hosted_zone(Name=name, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]

    def ns(sub: str, *values: str) -> None:
        r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
            "Name": f"{sub}.{name}", "Type": "NS", "TTL": 300, "ResourceRecords": [{"Value": v} for v in values]}}]})

    with pytest.raises(ClientError) as e:  # NS_FORMAT_CHECK, on in every zone: 1000 is a .net server
        ns("a", "ns-1000.awsdns-61.com")
    assert _code(e) == "InvalidChangeBatch" and "NS_FORMAT_CHECK" in e.value.response["Error"]["Message"]
    ns("a", "ns-1000.awsdns-61.net")
    _change(r53, zid, "CREATE", "x.a." + name, "192.0.2.5")  # occluded, but that guardrail is off
    r53.update_hosted_zone_tier(HostedZoneId=zid, HostedZoneTier="ADVANCED")
    with pytest.raises(ClientError) as e:
        r53.update_hosted_zone_features(HostedZoneId=zid, ChangeGuardrails=[{"Name": "ACTIVE_RECORD_CHECK", "Status": "ENABLED"}])
    assert _code(e) == "InvalidInput"
    r53.update_hosted_zone_features(HostedZoneId=zid, ChangeGuardrails=[
        {"Name": "NS_OCCLUSION_CHECK", "Status": "ENABLED"}, {"Name": "NS_DELEGATION_AUTHORITY_CHECK", "Status": "ENABLED"}])
    with pytest.raises(ClientError) as e:  # the occluded record is still there: any change is refused
        _change(r53, zid, "CREATE", "y.a." + name, "192.0.2.6")
    assert "NS_OCCLUSION_CHECK" in e.value.response["Error"]["Message"]
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": {
        "Name": "x.a." + name, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.5"}]}}]})
    with pytest.raises(ClientError) as e:  # Route 53 servers that host no zone of that name
        ns("b", "ns-1.awsdns-00.com")
    assert "NS_DELEGATION_AUTHORITY_CHECK" in e.value.response["Error"]["Message"]
    child = r53.create_hosted_zone(Name=f"b.{name}", CallerReference=uuid.uuid4().hex)
    ns("b", *child["DelegationSet"]["NameServers"])  # the real delegation is accepted

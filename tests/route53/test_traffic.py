"""Traffic Flow: policy documents compiled into the routing engine (sans-IO), and the
policy / version / instance API of a real gureum answering over DNS."""

from __future__ import annotations

import json
import uuid

import dns.edns
import dns.message
import dns.name
import dns.rdatatype
import pytest
from botocore.exceptions import ClientError

from gureum.services.route53 import geo, routing
from gureum.services.route53.index import ZoneIndex

from .zones import make_zone, udp

GB, US, JP = "81.2.69.1", "8.8.8.1", "133.1.0.1"

# geo rule: Europe → failover(primary eu-1 checked, secondary eu-2); default → weighted(us-1, us-2)
DOCUMENT = {
    "AWSPolicyFormatVersion": "2015-10-01",
    "RecordType": "A",
    "StartRule": "by-geo",
    "Endpoints": {
        "eu-1": {"Type": "value", "Value": "192.0.2.1"},
        "eu-2": {"Type": "value", "Value": "192.0.2.2"},
        "us-1": {"Type": "value", "Value": "192.0.2.3"},
        "us-2": {"Type": "value", "Value": "192.0.2.4"},
    },
    "Rules": {
        "by-geo": {"RuleType": "geo", "Locations": [
            {"Continent": "EU", "RuleReference": "eu-failover"},
            {"IsDefault": True, "RuleReference": "spread"}]},
        "eu-failover": {"RuleType": "failover",
                        "Primary": {"EndpointReference": "eu-1", "HealthCheck": "hc-eu-1"},
                        "Secondary": {"EndpointReference": "eu-2"}},
        "spread": {"RuleType": "weighted", "Items": [
            {"Weight": "1", "EndpointReference": "us-1"}, {"Weight": "3", "EndpointReference": "us-2"}]},
    },
}


def instance_doc(name: str, ttl: int = 60) -> dict:
    return {"Name": name, "Type": "A", "TrafficPolicyInstanceId": "tpi-1", "_Traffic": {"Document": DOCUMENT, "TTL": ttl}}


def test_rule_tree_is_answered_by_the_routing_engine():
    index = ZoneIndex()
    index.geodb = geo.open_db(None)
    index.put_zone(make_zone("ZTP", "tp.example", [instance_doc("www.tp.example.")]))

    def values(ip: str) -> list[str]:
        r = index.lookup(dns.name.from_text("www.tp.example"), dns.rdatatype.A, None, routing.Query(index, ip))
        return sorted(rd.to_text() for rr in r.answer for rd in rr)

    assert values(GB) == ["192.0.2.1"]
    index.set_health({"hc-eu-1": False})
    assert values(GB) == ["192.0.2.2"]
    seen = {values(US)[0] for _ in range(200)}
    assert seen == {"192.0.2.3", "192.0.2.4"}


def test_traffic_policy_api_and_instance_answers(gureum):
    r53 = gureum.client("route53")
    with pytest.raises(ClientError) as exc:
        r53.create_traffic_policy(Name="bad", Document=json.dumps({**DOCUMENT, "StartRule": "missing"}))
    assert exc.value.response["Error"]["Code"] == "InvalidTrafficPolicyDocument"
    name = f"tp-{uuid.uuid4().hex[:8]}"
    pol = r53.create_traffic_policy(Name=name, Document=json.dumps(DOCUMENT), Comment="v1")["TrafficPolicy"]
    assert pol["Version"] == 1 and pol["Type"] == "A"
    simple = {"AWSPolicyFormatVersion": "2015-10-01", "RecordType": "A", "StartEndpoint": "only",
              "Endpoints": {"only": {"Type": "value", "Value": "198.51.100.7"}}}
    v2 = r53.create_traffic_policy_version(Id=pol["Id"], Document=json.dumps(simple))["TrafficPolicy"]
    assert v2["Version"] == 2
    assert [p["Version"] for p in r53.list_traffic_policy_versions(Id=pol["Id"])["TrafficPolicies"]] == [1, 2]
    summary = [s for s in r53.list_traffic_policies()["TrafficPolicySummaries"] if s["Id"] == pol["Id"]][0]
    assert summary["LatestVersion"] == 2 and summary["TrafficPolicyCount"] == 2

    zone = r53.create_hosted_zone(Name=f"{name}.test", CallerReference=str(uuid.uuid4()))["HostedZone"]["Id"]
    inst = r53.create_traffic_policy_instance(HostedZoneId=zone, Name=f"www.{name}.test", TTL=30,
                                              TrafficPolicyId=pol["Id"], TrafficPolicyVersion=1)["TrafficPolicyInstance"]
    assert inst["State"] == "Applied"
    sets = r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    tp = [s for s in sets if s.get("TrafficPolicyInstanceId")]
    assert tp == [{"Name": f"www.{name}.test.", "Type": "A", "TrafficPolicyInstanceId": inst["Id"]}]

    def dig(ecs: str) -> list[str]:
        q = dns.message.make_query(f"www.{name}.test", "A", use_edns=0, options=[dns.edns.ECSOption(ecs, 24)])
        return sorted(rd.to_text() for rr in udp(q, gureum.dns_port).answer for rd in rr)

    assert dig("81.2.69.0") == ["192.0.2.1"]
    assert dig("8.8.8.0") in (["192.0.2.3"], ["192.0.2.4"])
    with pytest.raises(ClientError) as exc:
        r53.delete_traffic_policy(Id=pol["Id"], Version=1)
    assert exc.value.response["Error"]["Code"] == "TrafficPolicyInUse"
    r53.update_traffic_policy_instance(Id=inst["Id"], TTL=30, TrafficPolicyId=pol["Id"], TrafficPolicyVersion=2)
    assert dig("81.2.69.0") == ["198.51.100.7"]
    assert r53.get_traffic_policy_instance_count()["TrafficPolicyInstanceCount"] >= 1
    assert [i["Id"] for i in r53.list_traffic_policy_instances_by_hosted_zone(HostedZoneId=zone)["TrafficPolicyInstances"]] == [inst["Id"]]
    r53.delete_traffic_policy_instance(Id=inst["Id"])
    assert not [s for s in r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"] if s.get("TrafficPolicyInstanceId")]
    r53.delete_traffic_policy(Id=pol["Id"], Version=1)

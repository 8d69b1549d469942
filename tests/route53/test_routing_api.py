"""Routing policies through the API of a real gureum: CIDR collections, AWS's rules for
SetIdentifier / mixing / TTL / limits, TestDNSAnswer and the DNS server agreeing, ECS."""

from __future__ import annotations

import uuid

import dns.edns
import dns.message
import dns.query
import pytest
from botocore.exceptions import ClientError

from .zones import udp

GB, US, JP = "81.2.69.1", "8.8.8.1", "133.1.0.1"


def make_zone(r53, name: str) -> str:
    return r53.create_hosted_zone(Name=name, CallerReference=str(uuid.uuid4()))["HostedZone"]["Id"]


def change(r53, zone: str, *sets: dict, action: str = "CREATE") -> None:
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": action, "ResourceRecordSet": s} for s in sets]})


def a(name: str, value: str, **kw) -> dict:
    return {"Name": name, "Type": "A", "TTL": kw.pop("TTL", 60), "ResourceRecords": [{"Value": value}], **kw}


def error_of(fn) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        fn()
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def dig(gureum, name: str, ecs: str | None = None) -> tuple[list[str], dns.message.Message]:
    options = [dns.edns.ECSOption(ecs.split("/")[0], int(ecs.split("/")[1]))] if ecs else []
    q = dns.message.make_query(name, "A", use_edns=0, options=options)
    r = udp(q, gureum.dns_port)
    return sorted(rd.to_text() for rr in r.answer for rd in rr), r


def test_cidr_collection_api_and_ip_based_answers(gureum):
    r53 = gureum.client("route53")
    coll = r53.create_cidr_collection(Name=f"c{uuid.uuid4().hex[:8]}", CallerReference=str(uuid.uuid4()))["Collection"]
    assert coll["Version"] == 1
    r53.change_cidr_collection(Id=coll["Id"], CollectionVersion=1, Changes=[
        {"LocationName": "office", "Action": "PUT", "CidrList": ["10.0.0.0/8"]},
        {"LocationName": "lab", "Action": "PUT", "CidrList": ["10.1.0.0/16", "127.0.0.0/24"]}])
    code, _ = error_of(lambda: r53.change_cidr_collection(Id=coll["Id"], CollectionVersion=1, Changes=[
        {"LocationName": "x", "Action": "PUT", "CidrList": ["10.9.0.0/16"]}]))
    assert code == "CidrCollectionVersionMismatchException"
    code, _ = error_of(lambda: r53.change_cidr_collection(Id=coll["Id"], Changes=[
        {"LocationName": "x", "Action": "PUT", "CidrList": ["10.9.0.0/28"]}]))
    assert code == "InvalidInput"  # IPv4 blocks /1 to /24
    assert sorted(x["LocationName"] for x in r53.list_cidr_locations(CollectionId=coll["Id"])["CidrLocations"]) == ["lab", "office"]
    blocks = r53.list_cidr_blocks(CollectionId=coll["Id"], LocationName="lab")["CidrBlocks"]
    assert sorted(b["CidrBlock"] for b in blocks) == ["10.1.0.0/16", "127.0.0.0/24"]
    assert coll["Id"] in [c["Id"] for c in r53.list_cidr_collections()["CidrCollections"]]

    zone = make_zone(r53, "cidr.test")
    code, _ = error_of(lambda: change(r53, zone, a("ip.cidr.test", "192.0.2.9", SetIdentifier="x",
                                                   CidrRoutingConfig={"CollectionId": coll["Id"], "LocationName": "nowhere"})))
    assert code == "InvalidChangeBatch"
    change(r53, zone,
           a("ip.cidr.test", "192.0.2.1", SetIdentifier="office", CidrRoutingConfig={"CollectionId": coll["Id"], "LocationName": "office"}),
           a("ip.cidr.test", "192.0.2.2", SetIdentifier="lab", CidrRoutingConfig={"CollectionId": coll["Id"], "LocationName": "lab"}),
           a("ip.cidr.test", "192.0.2.3", SetIdentifier="rest", CidrRoutingConfig={"CollectionId": coll["Id"], "LocationName": "*"}))
    assert dig(gureum, "ip.cidr.test")[0] == ["192.0.2.2"]  # the source 127.0.0.1 is in lab
    assert dig(gureum, "ip.cidr.test", "10.1.2.0/24")[0] == ["192.0.2.2"]  # longest match
    assert dig(gureum, "ip.cidr.test", "10.7.0.0/24")[0] == ["192.0.2.1"]
    assert dig(gureum, "ip.cidr.test", "172.16.0.0/24")[0] == ["192.0.2.3"]
    ans = r53.test_dns_answer(HostedZoneId=zone, RecordName="ip.cidr.test", RecordType="A", ResolverIP="10.200.0.1")
    assert ans["RecordData"] == ["192.0.2.1"]
    code, _ = error_of(lambda: r53.delete_cidr_collection(Id=coll["Id"]))
    assert code == "CidrCollectionInUseException"


def test_geolocation_over_dns_with_ecs_and_test_dns_answer(gureum):
    r53 = gureum.client("route53")
    zone = make_zone(r53, "geo.test")
    change(r53, zone,
           a("www.geo.test", "192.0.2.10", SetIdentifier="gb", GeoLocation={"CountryCode": "GB"}),
           a("www.geo.test", "192.0.2.11", SetIdentifier="na", GeoLocation={"ContinentCode": "NA"}),
           a("www.geo.test", "192.0.2.99", SetIdentifier="default", GeoLocation={"CountryCode": "*"}))
    values, r = dig(gureum, "www.geo.test", "81.2.69.0/24")
    assert values == ["192.0.2.10"]
    (opt,) = [o for o in r.options if o.otype == dns.edns.ECS]
    assert opt.scopelen == 24
    assert dig(gureum, "www.geo.test", "8.8.8.0/24")[0] == ["192.0.2.11"]
    assert dig(gureum, "www.geo.test", "133.1.0.0/24")[0] == ["192.0.2.99"]
    ans = r53.test_dns_answer(HostedZoneId=zone, RecordName="www.geo.test", RecordType="A",
                              EDNS0ClientSubnetIP="81.2.69.1", EDNS0ClientSubnetMask="24")
    assert ans["RecordData"] == ["192.0.2.10"] and ans["ResponseCode"] == "NOERROR"
    ans = r53.test_dns_answer(HostedZoneId=zone, RecordName="www.geo.test", RecordType="A", ResolverIP=US)
    assert ans["RecordData"] == ["192.0.2.11"]


def test_latency_records_follow_the_client_location(gureum):
    r53 = gureum.client("route53")
    zone = make_zone(r53, "latency.test")
    change(r53, zone, *(a("api.latency.test", ip, SetIdentifier=region, Region=region)
                        for region, ip in (("eu-west-2", "192.0.2.1"), ("us-east-1", "192.0.2.2"), ("ap-northeast-1", "192.0.2.3"))))
    assert dig(gureum, "api.latency.test", "81.2.69.0/24")[0] == ["192.0.2.1"]
    assert dig(gureum, "api.latency.test", "8.8.8.0/24")[0] == ["192.0.2.2"]
    assert dig(gureum, "api.latency.test", "133.1.0.0/24")[0] == ["192.0.2.3"]


def test_routing_rules_and_errors(gureum):
    r53 = gureum.client("route53")
    zone = make_zone(r53, "rules.test")
    code, msg = error_of(lambda: change(r53, zone, a("x.rules.test", "192.0.2.1", Weight=10)))
    assert code == "InvalidInput" and "Missing field 'SetIdentifier'" in msg
    code, msg = error_of(lambda: change(r53, zone, a("x.rules.test", "192.0.2.1", SetIdentifier="a")))
    assert code == "InvalidInput" and "Expected exactly one of" in msg
    code, msg = error_of(lambda: change(r53, zone, a("x.rules.test", "192.0.2.1", SetIdentifier="a", Weight=1),
                                        a("x.rules.test", "192.0.2.2", SetIdentifier="b", Region="us-east-1")))
    assert code == "InvalidChangeBatch" and "different routing policy" in msg
    code, msg = error_of(lambda: change(r53, zone, a("x.rules.test", "192.0.2.1", SetIdentifier="a", Weight=1),
                                        a("x.rules.test", "192.0.2.2", SetIdentifier="b", Weight=1, TTL=300)))
    assert code == "InvalidChangeBatch" and "same TTL" in msg
    code, msg = error_of(lambda: change(r53, zone, a("x.rules.test", "192.0.2.1", SetIdentifier="a", Failover="PRIMARY"),
                                        a("x.rules.test", "192.0.2.2", SetIdentifier="b", Failover="PRIMARY")))
    assert code == "InvalidChangeBatch" and "more than one PRIMARY" in msg
    code, msg = error_of(lambda: change(r53, zone, *(a("x.rules.test", f"192.0.2.{i}", SetIdentifier=f"s{i}",
                                                       GeoProximityLocation={"AWSRegion": "us-east-1", "Bias": i})
                                                     for i in range(31))))
    assert code == "InvalidChangeBatch" and "limit of 30" in msg
    code, msg = error_of(lambda: change(r53, zone, a("x.rules.test", "192.0.2.1", SetIdentifier="a",
                                                     GeoLocation={"CountryCode": "GB", "SubdivisionCode": "ENG"})))
    assert code == "InvalidChangeBatch"
    code, msg = error_of(lambda: change(r53, zone, a("x.rules.test", "192.0.2.1"),
                                        a("x.rules.test", "192.0.2.2", SetIdentifier="b", Weight=1)))
    assert code == "InvalidChangeBatch"
    change(r53, zone, *(a("ok.rules.test", f"192.0.2.{i}", SetIdentifier=f"s{i}", MultiValueAnswer=True) for i in range(10)))
    values, _ = dig(gureum, "ok.rules.test")
    assert len(values) == 8


def test_ip_based_records_are_refused_in_private_zones(gureum):
    r53 = gureum.client("route53")
    coll = r53.create_cidr_collection(Name=f"p{uuid.uuid4().hex[:8]}", CallerReference=str(uuid.uuid4()))["Collection"]
    zone = r53.create_hosted_zone(Name="private-cidr.test", CallerReference=str(uuid.uuid4()),
                                  VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-cidr"},
                                  HostedZoneConfig={"PrivateZone": True})["HostedZone"]["Id"]
    code, msg = error_of(lambda: change(r53, zone, a("x.private-cidr.test", "192.0.2.1", SetIdentifier="d",
                                                     CidrRoutingConfig={"CollectionId": coll["Id"], "LocationName": "*"})))
    assert code == "InvalidChangeBatch" and "private hosted zones" in msg
    r53.delete_cidr_collection(Id=coll["Id"])

"""`gureum dns export` → `gureum dns import` keeps every record set as it was: every record
kind (values entered without a trailing dot too), every routing policy, aliases; files BIND
writes import as they are; a file for another zone is refused."""

from __future__ import annotations

import shutil
import subprocess
import uuid

import pytest

from gureum.services.route53 import records, zonefile


def rrs(name: str, rtype: str, *values: str, ttl: int = 300, **extra) -> dict:
    doc = {"Name": name, "Type": rtype, **extra}
    if values:
        doc.update(TTL=ttl, ResourceRecords=[{"Value": v} for v in values])
    return doc


def upsert(r53, zid: str, *sets: dict) -> None:
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": s} for s in sets]})


def contents(r53, zid: str, zone: str) -> list[dict]:
    out = []
    for doc in zonefile.all_record_sets(r53, zid):
        if doc["Name"] == zone and doc["Type"] in ("SOA", "NS"):
            continue
        if doc.get("AliasTarget"):
            doc = {**doc, "AliasTarget": {**doc["AliasTarget"], "HostedZoneId": "<zone>"}}
        if doc.get("ResourceRecords"):  # the same data: values compared as DNS data, not spelling
            doc = {**doc, "ResourceRecords": sorted(records.parse_value(doc["Type"], v["Value"]).to_digestable() for v in doc["ResourceRecords"])}
        out.append(doc)
    return out


@pytest.fixture(scope="module")
def r53(gureum):
    gureum.wait_service("route53", "running")
    return gureum.client("route53")


def test_export_then_import_round_trips_every_kind_policy_and_alias(gureum, r53, tmp_path, capsys):
    zone = f"rt{uuid.uuid4().hex[:6]}.test."
    z = zone[:-1]
    zid = r53.create_hosted_zone(Name=zone, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    hc = r53.create_health_check(CallerReference=uuid.uuid4().hex, HealthCheckConfig={
        "Type": "TCP", "IPAddress": "127.0.0.1", "Port": 9, "RequestInterval": 30})["HealthCheck"]["Id"]
    coll = r53.create_cidr_collection(Name=f"c{uuid.uuid4().hex[:8]}", CallerReference=uuid.uuid4().hex)["Collection"]["Id"]
    r53.change_cidr_collection(Id=coll, Changes=[{"LocationName": "office", "Action": "PUT", "CidrList": ["198.51.100.0/24"]}])
    upsert(r53, zid,
           rrs(f"www.{z}", "A", "192.0.2.1", "192.0.2.2"),
           rrs(f"www.{z}", "AAAA", "2001:db8::1"),
           rrs(zone, "MX", "10 mail." + z, "20 mail2." + z + "."),  # without and with the trailing dot
           rrs(f"mail.{z}", "A", "192.0.2.25", ttl=60),
           rrs(f"alias-c.{z}", "CNAME", f"www.{z}"),
           rrs(f"txt.{z}", "TXT", '"hello world" "again"', '"v=spf1 -all"'),
           rrs(f"spf.{z}", "SPF", '"v=spf1 -all"'),
           rrs(f"_sip._tcp.{z}", "SRV", f"1 2 5060 sip.{z}"),
           rrs(f"1.2.0.192.{z}", "PTR", f"host.{z}"),
           rrs(zone, "CAA", '0 issue "ca.example.net"'),
           rrs(f"naptr.{z}", "NAPTR", '100 10 "S" "SIP+D2U" "" _sip._udp.' + z),
           rrs(f"sub.{z}", "NS", "ns1.elsewhere.test", "ns2.elsewhere.test."),
           rrs(f"sub.{z}", "DS", "12345 13 2 " + "ab" * 32),
           rrs(f"_443._tcp.{z}", "TLSA", "3 1 1 " + "cd" * 32),
           rrs(f"ssh.{z}", "SSHFP", "4 2 " + "ef" * 32),
           rrs(f"svc.{z}", "SVCB", f"1 svc-target.{z} alpn=h2"),
           rrs(zone, "HTTPS", "1 . alpn=h2,h3"),
           rrs(f"*.wild.{z}", "A", "192.0.2.99"))
    upsert(r53, zid,
           rrs(f"w.{z}", "A", "192.0.2.10", SetIdentifier="light", Weight=10),
           rrs(f"w.{z}", "A", "192.0.2.11", SetIdentifier="heavy", Weight=90, HealthCheckId=hc),
           rrs(f"f.{z}", "A", "192.0.2.12", SetIdentifier="p", Failover="PRIMARY", HealthCheckId=hc),
           rrs(f"f.{z}", "A", "192.0.2.13", SetIdentifier="s", Failover="SECONDARY"),
           rrs(f"g.{z}", "A", "192.0.2.14", SetIdentifier="gb", GeoLocation={"CountryCode": "GB"}),
           rrs(f"g.{z}", "A", "192.0.2.15", SetIdentifier="eu", GeoLocation={"ContinentCode": "EU"}),
           rrs(f"g.{z}", "A", "192.0.2.16", SetIdentifier="any", GeoLocation={"CountryCode": "*"}),
           rrs(f"l.{z}", "A", "192.0.2.17", SetIdentifier="use1", Region="us-east-1"),
           rrs(f"l.{z}", "A", "192.0.2.18", SetIdentifier="euw1", Region="eu-west-1"),
           rrs(f"m.{z}", "A", "192.0.2.19", SetIdentifier="m1", MultiValueAnswer=True),
           rrs(f"m.{z}", "A", "192.0.2.20", SetIdentifier="m2", MultiValueAnswer=True),
           rrs(f"p.{z}", "A", "192.0.2.21", SetIdentifier="east", GeoProximityLocation={"AWSRegion": "us-east-1", "Bias": 20}),
           rrs(f"p.{z}", "A", "192.0.2.22", SetIdentifier="west", GeoProximityLocation={"Coordinates": {"Latitude": "47.61", "Longitude": "-122.33"}}),
           rrs(f"c.{z}", "A", "192.0.2.23", SetIdentifier="office", CidrRoutingConfig={"CollectionId": coll, "LocationName": "office"}),
           rrs(f"c.{z}", "A", "192.0.2.24", SetIdentifier="rest", CidrRoutingConfig={"CollectionId": coll, "LocationName": "*"}))
    upsert(r53, zid,
           rrs(zone, "A", AliasTarget={"HostedZoneId": zid.split("/")[-1], "DNSName": f"www.{z}", "EvaluateTargetHealth": False}),
           rrs(f"to-w.{z}", "A", AliasTarget={"HostedZoneId": zid.split("/")[-1], "DNSName": f"w.{z}", "EvaluateTargetHealth": True}),
           rrs(f"wa.{z}", "A", SetIdentifier="a1", Weight=5, AliasTarget={"HostedZoneId": zid.split("/")[-1], "DNSName": f"mail.{z}", "EvaluateTargetHealth": False}))
    before = contents(r53, zid, zone)

    assert zonefile.main(["--endpoint", gureum.endpoint, "export", zid]) == 0
    exported = capsys.readouterr().out
    assert f"10 mail.{zone}" in exported and f"mail.{zone}{zone}" not in exported  # values absolute
    path = tmp_path / "export.zone"
    path.write_text(exported)
    if shutil.which("named-checkzone"):  # still a zone file BIND accepts
        check = subprocess.run(["named-checkzone", "-i", "none", zone, str(path)], capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stdout + check.stderr

    copy = r53.create_hosted_zone(Name=zone, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    assert zonefile.main(["--endpoint", gureum.endpoint, "import", copy, str(path)]) == 0
    out = capsys.readouterr().out
    assert f"imported {len(before)} record sets" in out
    assert contents(r53, copy, zone) == before
    aliases = [d for d in zonefile.all_record_sets(r53, copy) if d.get("AliasTarget")]
    assert aliases and all(d["AliasTarget"]["HostedZoneId"] == copy.split("/")[-1] for d in aliases)  # follow the zone

    # importing the export again changes nothing
    assert zonefile.main(["--endpoint", gureum.endpoint, "import", copy, str(path)]) == 0
    assert contents(r53, copy, zone) == before


def test_import_into_a_zone_of_another_name_is_an_error(gureum, r53, tmp_path, capsys):
    path = tmp_path / "other.zone"
    path.write_text("$ORIGIN a-zone.test.\n$TTL 300\nwww IN A 192.0.2.1\n@ IN MX 10 mail\n")
    target = f"b{uuid.uuid4().hex[:6]}.test"
    assert zonefile.main(["--endpoint", gureum.endpoint, "import", target, str(path)]) == 1
    err = capsys.readouterr().err
    assert "not in the zone" in err and "www.a-zone.test." in err
    assert zonefile.find_zone(r53, target) is None  # nothing created for a file that cannot load


BIND_SOURCE = """$TTL 3600
@       IN SOA ns1.example.net. hostmaster.example.net. 7 7200 900 1209600 300
@       IN NS  ns1.example.net.
@       IN MX  10 mail
www     IN A   192.0.2.10
www     IN A   192.0.2.11
mail 60 IN A   192.0.2.25
txt     IN TXT "hello world" "again"
*.w     IN A   192.0.2.99
alias   IN CNAME www
sub     IN NS  ns.sub
ns.sub  IN A   192.0.2.53
_sip._tcp IN SRV 1 2 5060 www
"""


@pytest.mark.skipif(shutil.which("named-compilezone") is None, reason="named-compilezone (Debian package bind9-utils) is not installed")
def test_a_zone_file_written_by_bind_imports_as_is(gureum, r53, tmp_path, capsys):
    zone = f"bind{uuid.uuid4().hex[:6]}.test"
    src = tmp_path / "src.zone"
    src.write_text(BIND_SOURCE)
    compiled = tmp_path / "compiled.zone"
    done = subprocess.run(["named-compilezone", "-q", "-o", str(compiled), zone, str(src)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert zonefile.main(["--endpoint", gureum.endpoint, "import", zone, str(compiled)]) == 0
    assert "imported 9 record sets" in capsys.readouterr().out
    found = zonefile.find_zone(r53, zone)
    sets = {(d["Name"], d["Type"]): d for d in zonefile.all_record_sets(r53, found["Id"])}
    assert [v["Value"] for v in sets[(f"{zone}.", "MX")]["ResourceRecords"]] == [f"10 mail.{zone}."]
    assert sets[(f"alias.{zone}.", "CNAME")]["ResourceRecords"] == [{"Value": f"www.{zone}."}]
    assert sets[(f"\\052.w.{zone}.", "A")]["ResourceRecords"] == [{"Value": "192.0.2.99"}]
    assert sets[(f"mail.{zone}.", "A")]["TTL"] == 60
    assert sets[(f"sub.{zone}.", "NS")]["ResourceRecords"] == [{"Value": f"ns.sub.{zone}."}]


DIG_AXFR = """
; <<>> DiG 9.18.49 <<>> @127.0.0.1 axfr.test AXFR
; (1 server found)
;; global options: +cmd
axfr.test.\t\t900\tIN\tSOA\tns-1.awsdns-1.com. awsdns-hostmaster.amazon.com. 3 7200 900 1209600 86400
axfr.test.\t\t172800\tIN\tNS\tns-1.awsdns-1.com.
a.axfr.test.\t\t60\tIN\tA\t192.0.2.1
b.axfr.test.\t\t60\tIN\tCNAME\ta.axfr.test.
axfr.test.\t\t900\tIN\tSOA\tns-1.awsdns-1.com. awsdns-hostmaster.amazon.com. 3 7200 900 1209600 86400
;; Query time: 1 msec
;; SERVER: 127.0.0.1#53(127.0.0.1) (TCP)
;; XFR size: 5 records (messages 1, bytes 260)
"""


def test_dig_axfr_output_parses_with_its_repeated_soa():
    sets = zonefile.parse_text(DIG_AXFR, "axfr.test")
    assert sets == [
        {"Name": "a.axfr.test.", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]},
        {"Name": "b.axfr.test.", "Type": "CNAME", "TTL": 60, "ResourceRecords": [{"Value": "a.axfr.test."}]},
    ]
    with pytest.raises(ValueError, match="not in the zone"):
        zonefile.parse_text(DIG_AXFR, "other.test")

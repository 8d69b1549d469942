"""Route 53 through boto3 and the AWS CLI against a running gureum, answered over real DNS."""

from __future__ import annotations

import uuid

import botocore.exceptions
import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest
from waiting import wait_for


def ref() -> str:
    return uuid.uuid4().hex


@pytest.fixture(scope="module")
def r53(gureum):
    gureum.wait_service("route53", "running")
    return gureum.client("route53")


def new_zone(r53, name: str, **kw) -> str:
    return r53.create_hosted_zone(Name=name, CallerReference=ref(), **kw)["HostedZone"]["Id"]


def change(r53, zone_id: str, *changes: tuple) -> dict:
    batch = []
    for action, rrs in changes:
        batch.append({"Action": action, "ResourceRecordSet": rrs})
    return r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": batch})["ChangeInfo"]


def a(name: str, *values: str, ttl: int = 300, rtype: str = "A") -> dict:
    return {"Name": name, "Type": rtype, "TTL": ttl, "ResourceRecords": [{"Value": v} for v in values]}


def query(gureum, name: str, rtype: str = "A", tcp: bool = False) -> dns.message.Message:
    q = dns.message.make_query(name, rtype)
    fn = dns.query.tcp if tcp else dns.query.udp
    return fn(q, "127.0.0.1", port=gureum.dns_port, timeout=3)


def answers(response: dns.message.Message) -> list[str]:
    return sorted(rr.to_text() for rrset in response.answer for rr in rrset)


def error_of(exc_info) -> tuple[str, str]:
    err = exc_info.value.response["Error"]
    return err["Code"], err["Message"]


# --- hosted zones ------------------------------------------------------------------------------
def test_create_hosted_zone_has_aws_defaults(r53):
    out = r53.create_hosted_zone(Name="defaults.test", CallerReference=ref(), HostedZoneConfig={"Comment": "hi"})
    zone = out["HostedZone"]
    assert zone["Id"].startswith("/hostedzone/Z") and zone["Name"] == "defaults.test."
    assert zone["Config"] == {"Comment": "hi", "PrivateZone": False, "HostedZoneTier": "STANDARD"} and zone["ResourceRecordSetCount"] == 2
    assert out["ChangeInfo"]["Id"].startswith("/change/C") and out["ChangeInfo"]["Status"] == "PENDING"
    servers = out["DelegationSet"]["NameServers"]
    assert len(servers) == 4 and [s.split(".")[-1] for s in servers] == ["com", "net", "org", "uk"]
    sets = r53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
    assert [(s["Name"], s["Type"], s["TTL"]) for s in sets] == [("defaults.test.", "NS", 172800), ("defaults.test.", "SOA", 900)]
    assert sets[1]["ResourceRecords"][0]["Value"] == f"{servers[0]}. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 201


def test_caller_reference_is_used_once(r53):
    # AWS (CLI): "An error occurred (HostedZoneAlreadyExists) when calling the CreateHostedZone
    # operation: A hosted zone has already been created with the specified caller reference."
    # for the same request repeated as for another one; no second zone is made.
    cr = ref()
    r53.create_hosted_zone(Name="idem.test", CallerReference=cr)
    before = r53.get_hosted_zone_count()["HostedZoneCount"]
    for name in ("idem.test", "other.test"):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            r53.create_hosted_zone(Name=name, CallerReference=cr)
        assert error_of(e) == ("HostedZoneAlreadyExists",
                               "A hosted zone has already been created with the specified caller reference.")
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert r53.get_hosted_zone_count()["HostedZoneCount"] == before


def test_get_update_count_and_delete_hosted_zone(gureum, r53):
    zid = new_zone(r53, "lifecycle.test")
    before = r53.get_hosted_zone_count()["HostedZoneCount"]
    assert r53.get_hosted_zone(Id=zid)["HostedZone"]["Name"] == "lifecycle.test."
    r53.update_hosted_zone_comment(Id=zid, Comment="new comment")
    assert r53.get_hosted_zone(Id=zid)["HostedZone"]["Config"]["Comment"] == "new comment"
    change(r53, zid, ("CREATE", a("www.lifecycle.test", "192.0.2.1")))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        r53.delete_hosted_zone(Id=zid)
    assert error_of(e)[0] == "HostedZoneNotEmpty"
    change(r53, zid, ("DELETE", a("www.lifecycle.test", "192.0.2.1")))
    assert r53.delete_hosted_zone(Id=zid)["ChangeInfo"]["Status"] == "PENDING"
    gone = query(gureum, "lifecycle.test", "SOA")  # no longer served: REFUSED, or the registry's test zone's NXDOMAIN
    assert not gone.answer and gone.rcode() in (dns.rcode.REFUSED, dns.rcode.NXDOMAIN)
    assert r53.get_hosted_zone_count()["HostedZoneCount"] == before - 1
    with pytest.raises(botocore.exceptions.ClientError) as e:
        r53.get_hosted_zone(Id=zid)
    assert error_of(e) == ("NoSuchHostedZone", f"No hosted zone found with ID: {zid.split('/')[-1]}")


def test_list_hosted_zones_paginates_and_by_name_orders_by_reversed_labels(r53):
    for name in ("b.order.test", "a.order.test", "order.test"):
        new_zone(r53, name)
    names, marker = [], None
    while True:
        kw = {"Marker": marker} if marker else {}
        page = r53.list_hosted_zones(MaxItems="2", **kw)
        names += [z["Name"] for z in page["HostedZones"]]
        if not page["IsTruncated"]:
            break
        marker = page["NextMarker"]
    assert {"b.order.test.", "a.order.test.", "order.test."} <= set(names)
    by_name = r53.list_hosted_zones_by_name(DNSName="order.test", MaxItems="3")
    assert [z["Name"] for z in by_name["HostedZones"]] == ["order.test.", "a.order.test.", "b.order.test."]


def test_private_zone_vpc_association_lifecycle(r53):
    vpc1 = {"VPCRegion": "us-east-1", "VPCId": "vpc-" + ref()[:8]}
    vpc2 = {"VPCRegion": "us-west-2", "VPCId": "vpc-" + ref()[:8]}
    out = r53.create_hosted_zone(Name="private.test", CallerReference=ref(), VPC=vpc1)
    zid = out["HostedZone"]["Id"]
    assert out["HostedZone"]["Config"]["PrivateZone"] is True and out["VPC"] == vpc1 and "DelegationSet" not in out
    r53.associate_vpc_with_hosted_zone(HostedZoneId=zid, VPC=vpc2)
    assert r53.get_hosted_zone(Id=zid)["VPCs"] == [vpc1, vpc2]
    summaries = r53.list_hosted_zones_by_vpc(VPCId=vpc2["VPCId"], VPCRegion="us-west-2")["HostedZoneSummaries"]
    assert [s["Name"] for s in summaries] == ["private.test."]
    r53.disassociate_vpc_from_hosted_zone(HostedZoneId=zid, VPC=vpc1)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        r53.disassociate_vpc_from_hosted_zone(HostedZoneId=zid, VPC=vpc2)
    assert error_of(e)[0] == "LastVPCAssociation"
    public = new_zone(r53, "public-novpc.test")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        r53.associate_vpc_with_hosted_zone(HostedZoneId=public, VPC=vpc1)
    assert error_of(e)[0] == "PublicZoneVPCAssociation"


def test_reusable_delegation_sets(r53):
    dset = r53.create_reusable_delegation_set(CallerReference=ref())["DelegationSet"]
    assert dset["Id"].startswith("/delegationset/N") and len(dset["NameServers"]) == 4
    zone = r53.create_hosted_zone(Name="dset.test", CallerReference=ref(), DelegationSetId=dset["Id"])
    assert zone["DelegationSet"]["NameServers"] == dset["NameServers"]
    assert r53.get_reusable_delegation_set(Id=dset["Id"])["DelegationSet"] == dset
    assert dset["Id"] in [d["Id"] for d in r53.list_reusable_delegation_sets()["DelegationSets"]]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        r53.delete_reusable_delegation_set(Id=dset["Id"])
    assert error_of(e)[0] == "DelegationSetInUse"
    r53.delete_hosted_zone(Id=zone["HostedZone"]["Id"])
    r53.delete_reusable_delegation_set(Id=dset["Id"])


def test_tags(r53):
    zid = new_zone(r53, "tags.test").split("/")[-1]
    r53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zid, AddTags=[{"Key": "env", "Value": "dev"}, {"Key": "x", "Value": "1"}])
    r53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zid, RemoveTagKeys=["x"])
    tags = r53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zid)["ResourceTagSet"]
    assert tags == {"ResourceType": "hostedzone", "ResourceId": zid, "Tags": [{"Key": "env", "Value": "dev"}]}
    sets = r53.list_tags_for_resources(ResourceType="hostedzone", ResourceIds=[zid])["ResourceTagSets"]
    assert sets == [tags]


def test_limits(r53):
    zid = new_zone(r53, "limits.test")
    out = r53.get_hosted_zone_limit(Type="MAX_RRSETS_BY_ZONE", HostedZoneId=zid)
    assert out["Limit"] == {"Type": "MAX_RRSETS_BY_ZONE", "Value": 10000} and out["Count"] == 2
    assert r53.get_account_limit(Type="MAX_HOSTED_ZONES_BY_OWNER")["Limit"]["Value"] == 500


# --- record sets ---------------------------------------------------------------------------------
def test_records_are_answered_by_dns_after_change(gureum, r53):
    zid = new_zone(r53, "answer.test")
    info = change(r53, zid, ("CREATE", a("www.answer.test", "192.0.2.1", "192.0.2.2", ttl=60)))
    wait_for("the change INSYNC", lambda: r53.get_change(Id=info["Id"])["ChangeInfo"]["Status"] == "INSYNC", timeout=15, interval=0.05)
    r = query(gureum, "www.answer.test")
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
    assert answers(r) == ["192.0.2.1", "192.0.2.2"] and r.answer[0].ttl == 60
    change(r53, zid, ("UPSERT", a("www.answer.test", "192.0.2.9", ttl=30)))
    assert answers(query(gureum, "www.answer.test", tcp=True)) == ["192.0.2.9"]
    assert query(gureum, "nope.answer.test").rcode() == dns.rcode.NXDOMAIN
    # in no zone of gureum: the registry's root zone (route53domains) has no .invalid
    assert query(gureum, "www.not-ours.invalid").rcode() in (dns.rcode.REFUSED, dns.rcode.NXDOMAIN)


def test_batch_is_validated_as_a_whole_and_applied_atomically(gureum, r53):
    zid = new_zone(r53, "atomic.test")
    change(r53, zid, ("CREATE", a("dup.atomic.test", "192.0.2.1")))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        change(r53, zid,
               ("CREATE", a("fine.atomic.test", "192.0.2.5")),
               ("CREATE", a("dup.atomic.test", "192.0.2.1")),
               ("DELETE", a("missing.atomic.test", "192.0.2.1")),
               ("DELETE", a("dup.atomic.test", "192.0.2.7")))
    code, _message = error_of(e)
    assert code == "InvalidChangeBatch"
    assert query(gureum, "fine.atomic.test").rcode() == dns.rcode.NXDOMAIN  # nothing applied
    names = [s["Name"] for s in r53.list_resource_record_sets(HostedZoneId=zid)["ResourceRecordSets"]]
    assert "fine.atomic.test." not in names


@pytest.mark.parametrize("changes, message", [
    ([("CREATE", a("dup.msg.test", "192.0.2.1"))], "[Tried to create resource record set [name='dup.msg.test.', type='A'] but it already exists]"),
    ([("DELETE", a("gone.msg.test", "192.0.2.1"))], "[Tried to delete resource record set [name='gone.msg.test.', type='A'] but it was not found]"),
    ([("DELETE", a("dup.msg.test", "192.0.2.2"))], "[Tried to delete resource record set [name='dup.msg.test.', type='A'] but the values provided do not match the current values]"),
    ([("CREATE", a("msg.test", "www.msg.test", rtype="CNAME"))], "RRSet of type CNAME with DNS name msg.test. is not permitted at apex in zone msg.test."),
    ([("CREATE", a("dup.msg.test", "x.msg.test", rtype="CNAME"))], "RRSet of type CNAME with DNS name dup.msg.test. is not permitted as it conflicts with other records with the same DNS name in zone msg.test."),
    ([("CREATE", a("www.elsewhere.test", "192.0.2.1"))], "[RRSet with DNS name www.elsewhere.test. is not permitted in zone msg.test.]"),
    ([("CREATE", a("bad.msg.test", "1.2.3"))], "[Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '1.2.3'']"),
])
def test_invalid_change_batch_messages(r53, changes, message):
    zid = getattr(test_invalid_change_batch_messages, "zid", None)
    if zid is None:
        zid = test_invalid_change_batch_messages.zid = new_zone(r53, "msg.test")
        change(r53, zid, ("CREATE", a("dup.msg.test", "192.0.2.1")))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        change(r53, zid, *changes)
    assert error_of(e) == ("InvalidChangeBatch", message)


def test_deleting_the_apex_soa_or_ns_is_refused(r53):
    zid = new_zone(r53, "apex.test")
    sets = r53.list_resource_record_sets(HostedZoneId=zid)["ResourceRecordSets"]
    for rrs in sets:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            change(r53, zid, ("DELETE", rrs))
        assert error_of(e)[0] == "InvalidChangeBatch"


def test_missing_ttl_is_invalid_input(r53):
    zid = new_zone(r53, "input.test")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        change(r53, zid, ("CREATE", {"Name": "x.input.test", "Type": "A"}))
    assert error_of(e) == ("InvalidInput", "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=CREATE, Name=x.input.test, Type=A, SetIdentifier=null]")


def test_delete_then_create_same_set_in_one_batch(gureum, r53):
    zid = new_zone(r53, "swap.test")
    change(r53, zid, ("CREATE", a("x.swap.test", "192.0.2.1")))
    change(r53, zid, ("DELETE", a("x.swap.test", "192.0.2.1")), ("CREATE", a("x.swap.test", "192.0.2.2")))
    assert answers(query(gureum, "x.swap.test")) == ["192.0.2.2"]


def test_all_record_types_round_trip_and_answer(gureum, r53):
    zid = new_zone(r53, "types.test")
    values = {
        "A": ["192.0.2.1"], "AAAA": ["2001:db8::1"], "CAA": ['0 issue "amazon.com"'],
        "MX": ["10 mail.types.test."], "NAPTR": ['100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .'],
        "PTR": ["host.types.test."], "SPF": ['"v=spf1 -all"'], "SRV": ["1 10 5269 xmpp.types.test."],
        "SSHFP": ["1 1 " + "ab" * 20], "TLSA": ["3 1 1 " + "cd" * 32], "TXT": ['"hello" "world"'],
        "DS": ["12345 13 2 " + "ef" * 32], "SVCB": ["1 svc.types.test. alpn=h2"], "HTTPS": ["1 . alpn=h2"],
    }
    change(r53, zid, *[("CREATE", a(f"{t.lower()}.types.test", *v, rtype=t)) for t, v in values.items()])
    listed = {s["Type"]: [rr["Value"] for rr in s["ResourceRecords"]] for s in r53.list_resource_record_sets(HostedZoneId=zid)["ResourceRecordSets"] if s["Name"] != "types.test."}
    assert listed == values
    for rtype in values:
        r = query(gureum, f"{rtype.lower()}.types.test", rtype)
        assert r.rcode() == dns.rcode.NOERROR and len(r.answer) == 1, rtype


def test_alias_in_same_zone_including_apex(gureum, r53):
    zid = new_zone(r53, "alias.test")
    bare = zid.split("/")[-1]
    change(r53, zid, ("CREATE", a("www.alias.test", "192.0.2.80", ttl=45)),
           ("CREATE", {"Name": "alias.test", "Type": "A", "AliasTarget": {"HostedZoneId": bare, "DNSName": "www.alias.test", "EvaluateTargetHealth": False}}))
    r = query(gureum, "alias.test")
    assert answers(r) == ["192.0.2.80"] and r.answer[0].ttl == 45 and r.answer[0].rdtype == 1
    listed = [s for s in r53.list_resource_record_sets(HostedZoneId=zid)["ResourceRecordSets"] if "AliasTarget" in s]
    assert listed[0]["AliasTarget"] == {"HostedZoneId": bare, "DNSName": "www.alias.test.", "EvaluateTargetHealth": False}
    with pytest.raises(botocore.exceptions.ClientError) as e:
        change(r53, zid, ("CREATE", {"Name": "x.alias.test", "Type": "A", "AliasTarget": {"HostedZoneId": bare, "DNSName": "nothing.alias.test", "EvaluateTargetHealth": False}}))
    assert error_of(e) == ("InvalidChangeBatch", f"[Tried to create an alias that targets nothing.alias.test., type A in zone {bare}, but that target was not found]")


def test_list_resource_record_sets_order_and_pagination(r53):
    zid = new_zone(r53, "page.test")
    change(r53, zid, *[("CREATE", a(n, "192.0.2.1")) for n in ("b.page.test", "a.page.test", "*.page.test", "x.a.page.test", "A.B.page.test")])
    change(r53, zid, ("CREATE", a("a.page.test", '"t"', rtype="TXT")))
    full = [(s["Name"], s["Type"]) for s in r53.list_resource_record_sets(HostedZoneId=zid)["ResourceRecordSets"]]
    assert full == [
        ("page.test.", "NS"), ("page.test.", "SOA"), ("\\052.page.test.", "A"), ("a.page.test.", "A"),
        ("a.page.test.", "TXT"), ("x.a.page.test.", "A"), ("b.page.test.", "A"), ("a.b.page.test.", "A"),
    ]
    seen, kw = [], {}
    while True:
        page = r53.list_resource_record_sets(HostedZoneId=zid, MaxItems="3", **kw)
        seen += [(s["Name"], s["Type"]) for s in page["ResourceRecordSets"]]
        if not page["IsTruncated"]:
            break
        kw = {"StartRecordName": page["NextRecordName"], "StartRecordType": page["NextRecordType"]}
    assert seen == full


def test_wildcard_and_case_preserved_over_dns(gureum, r53):
    zid = new_zone(r53, "wild.test")
    change(r53, zid, ("CREATE", a("*.wild.test", "192.0.2.42")))
    r = query(gureum, "AnyThing.Wild.TEST")
    assert answers(r) == ["192.0.2.42"] and str(r.answer[0].name) == "AnyThing.Wild.TEST."
    assert str(r.question[0].name) == "AnyThing.Wild.TEST."


def test_cli_creates_zone_and_records(gureum):
    out = gureum.aws("route53", "create-hosted-zone", "--name", "cli.test", "--caller-reference", ref())
    zid = out["HostedZone"]["Id"]
    batch = '{"Changes":[{"Action":"CREATE","ResourceRecordSet":{"Name":"www.cli.test","Type":"A","TTL":60,"ResourceRecords":[{"Value":"192.0.2.33"}]}}]}'
    info = gureum.aws("route53", "change-resource-record-sets", "--hosted-zone-id", zid, "--change-batch", batch)
    assert info["ChangeInfo"]["Status"] in ("PENDING", "INSYNC")
    gureum.aws("route53", "wait", "resource-record-sets-changed", "--id", info["ChangeInfo"]["Id"])
    listed = gureum.aws("route53", "list-resource-record-sets", "--hosted-zone-id", zid)
    assert [s["Name"] for s in listed["ResourceRecordSets"]] == ["cli.test.", "cli.test.", "www.cli.test."]
    assert answers(query(gureum, "www.cli.test")) == ["192.0.2.33"]


def test_zones_survive_restart(fresh_gureum):
    r53 = fresh_gureum.client("route53")
    fresh_gureum.wait_service("route53", "running")
    zid = new_zone(r53, "durable.test")
    change(r53, zid, ("CREATE", a("www.durable.test", "192.0.2.7")))
    fresh_gureum.kill9()
    fresh_gureum.start()
    fresh_gureum.wait_service("route53", "running")
    assert answers(query(fresh_gureum, "www.durable.test")) == ["192.0.2.7"]


# --- the DNS listener -------------------------------------------------------------------------------
def test_dig_answers_over_udp_and_tcp(gureum, r53):
    import shutil
    import subprocess

    if shutil.which("dig") is None:
        pytest.skip("dig (Debian dnsutils) is not installed")
    zid = new_zone(r53, "dig.test")
    change(r53, zid, ("CREATE", a("www.dig.test", "192.0.2.53")))
    for extra in ([], ["+tcp"]):
        out = subprocess.run(["dig", "@127.0.0.1", "-p", str(gureum.dns_port), "www.dig.test", "A", "+norec", *extra],
                             capture_output=True, text=True, timeout=10).stdout
        assert "status: NOERROR" in out and " aa" in out.split("flags:")[1].split(";")[0]
        assert "192.0.2.53" in out


def test_tcp_serves_several_queries_per_connection(gureum, r53):
    import socket
    import struct

    zid = new_zone(r53, "tcp.test")
    change(r53, zid, ("CREATE", a("www.tcp.test", "192.0.2.8")))
    with socket.create_connection(("127.0.0.1", gureum.dns_port), timeout=5) as sock:
        queries = [dns.message.make_query("www.tcp.test", "A") for _ in range(3)]
        sock.sendall(b"".join(struct.pack("!H", len(w)) + w for w in (q.to_wire() for q in queries)))
        buf = b""
        got = []
        while len(got) < 3:
            buf += sock.recv(65535)
            while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                n = struct.unpack("!H", buf[:2])[0]
                got.append(dns.message.from_wire(buf[2 : 2 + n]))
                buf = buf[2 + n :]
        assert [m.id for m in got] == [q.id for q in queries]
        assert all(answers(m) == ["192.0.2.8"] for m in got)


def test_tcp_idle_connections_are_closed(fresh_gureum_dns_idle):
    import socket

    # idle timeout 0.5 s; the socket's own timeout only bounds the wait if the server never closes
    with socket.create_connection(("127.0.0.1", fresh_gureum_dns_idle.dns_port), timeout=60) as sock:
        assert sock.recv(10) == b""  # the server closed it


def test_test_dns_answer_uses_the_dns_index(r53):
    zid = new_zone(r53, "tda.test")
    change(r53, zid, ("CREATE", a("www.tda.test", "192.0.2.5")))
    out = r53.test_dns_answer(HostedZoneId=zid, RecordName="www.tda.test", RecordType="A")
    assert (out["RecordName"], out["RecordType"], out["RecordData"], out["ResponseCode"], out["Protocol"]) == (
        "www.tda.test", "A", ["192.0.2.5"], "NOERROR", "UDP")
    assert r53.test_dns_answer(HostedZoneId=zid, RecordName="no.tda.test", RecordType="A")["ResponseCode"] == "NXDOMAIN"


def test_without_secondaries_the_served_soa_serial_is_the_listed_one_and_stays(r53, gureum):
    """AWS never changes the SOA serial by itself; DNS serves exactly what the API lists."""
    zid = new_zone(r53, "soa-serial.test")
    for i in range(3):
        change(r53, zid, ("UPSERT", a(f"h{i}.soa-serial.test", "192.0.2.1")))
    listed = r53.list_resource_record_sets(HostedZoneId=zid, StartRecordName="soa-serial.test", StartRecordType="SOA", MaxItems="1")["ResourceRecordSets"][0]
    assert listed["Type"] == "SOA" and listed["ResourceRecords"][0]["Value"].split()[2] == "1"
    wait_for("h2.soa-serial.test answered by DNS", lambda: dns.query.udp(dns.message.make_query("h2.soa-serial.test", "A"), "127.0.0.1", port=gureum.dns_port, timeout=2).answer, timeout=10, interval=0.05)
    served = dns.query.udp(dns.message.make_query("soa-serial.test", "SOA"), "127.0.0.1", port=gureum.dns_port, timeout=2).answer[0][0]
    assert served.serial == 1

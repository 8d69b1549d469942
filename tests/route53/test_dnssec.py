"""DNSSEC end to end: key-signing keys and zone signing through boto3 (AWS's state machine
and errors), and the zone really signed by gureum's DNS server (DNSKEY, RRSIG, Route 53's
black lies and minimal NSEC), checked with dnspython's validator and BIND's delv."""

from __future__ import annotations

import shutil
import subprocess
import uuid

import dns.dnssec
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

KMS = "arn:aws:kms:us-east-1:000000000000:key/"


def _zone(r53, name: str) -> str:
    return r53.create_hosted_zone(Name=name, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"].split("/")[-1]


def _records(r53, zid: str, changes: list[tuple[str, str, str]], action: str = "CREATE") -> None:
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [
        {"Action": action, "ResourceRecordSet": {"Name": n, "Type": t, "TTL": 60, "ResourceRecords": [{"Value": v}]}}
        for n, t, v in changes]})


def _ksk(r53, zid: str, name: str, status: str = "ACTIVE") -> dict:
    return r53.create_key_signing_key(CallerReference=uuid.uuid4().hex, HostedZoneId=zid, Name=name,
                                      KeyManagementServiceArn=KMS + uuid.uuid4().hex, Status=status)


def _code(exc: pytest.ExceptionInfo) -> str:
    return exc.value.response["Error"]["Code"]


def ask(port: int, name: str, rtype: str, dnssec: bool = True) -> dns.message.Message:
    q = dns.message.make_query(name, rtype, want_dnssec=dnssec)
    return dns.query.tcp(q, "127.0.0.1", port=port, timeout=5)


def validate_sections(r: dns.message.Message, keys: dict) -> int:
    """Every RRset of answer and authority has an RRSIG that validates; returns how many."""
    n = 0
    for section in (r.answer, r.authority):
        sigs = {(rr.name, rr.covers): rr for rr in section if rr.rdtype == dns.rdatatype.RRSIG}
        for rr in section:
            if rr.rdtype == dns.rdatatype.RRSIG:
                continue
            dns.dnssec.validate(rr, sigs[(rr.name, rr.rdtype)], keys)
            n += 1
    return n


def test_ksk_lifecycle_and_aws_errors(gureum):
    r53 = gureum.client("route53")
    zid = _zone(r53, f"ksk-{uuid.uuid4().hex[:8]}.test")
    assert r53.get_dnssec(HostedZoneId=zid)["Status"]["ServeSignature"] == "NOT_SIGNING"
    with pytest.raises(ClientError) as e:
        r53.enable_hosted_zone_dnssec(HostedZoneId=zid)
    assert _code(e) == "DNSSECNotFound"
    with pytest.raises(ClientError) as e:
        r53.create_key_signing_key(CallerReference="c", HostedZoneId=zid, Name="kone", Status="ACTIVE",
                                   KeyManagementServiceArn="arn:aws:kms:eu-west-1:000000000000:key/x")
    assert _code(e) == "InvalidKMSArn"
    with pytest.raises(ClientError) as e:
        _ksk(r53, zid, "bad-name!")
    assert _code(e) == "InvalidKeySigningKeyName"
    made = _ksk(r53, zid, "k_one", status="INACTIVE")
    ksk = made["KeySigningKey"]
    assert made["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert ksk["Flag"] == 257 and ksk["SigningAlgorithmType"] == 13 and ksk["SigningAlgorithmMnemonic"] == "ECDSAP256SHA256"
    assert ksk["DigestAlgorithmType"] == 2 and ksk["Status"] == "INACTIVE"
    # the DS and DNSKEY strings are what dnspython computes from the published key
    key = dns.rdata.from_text("IN", "DNSKEY", ksk["DNSKEYRecord"])
    ds = dns.dnssec.make_ds(r53.get_hosted_zone(Id=zid)["HostedZone"]["Name"], key, "SHA256")
    assert ksk["DSRecord"] == f"{ksk['KeyTag']} 13 2 {ds.digest.hex().upper()}" and ksk["KeyTag"] == dns.dnssec.key_id(key)
    with pytest.raises(ClientError) as e:
        r53.enable_hosted_zone_dnssec(HostedZoneId=zid)
    assert _code(e) == "KeySigningKeyWithActiveStatusNotFound"
    with pytest.raises(ClientError) as e:
        r53.create_key_signing_key(CallerReference="d", HostedZoneId=zid, Name="k_one", Status="ACTIVE",
                                   KeyManagementServiceArn=KMS + "other")
    assert _code(e) == "KeySigningKeyAlreadyExists"
    r53.activate_key_signing_key(HostedZoneId=zid, Name="k_one")
    _ksk(r53, zid, "k_two")
    with pytest.raises(ClientError) as e:
        _ksk(r53, zid, "k_three")
    assert _code(e) == "TooManyKeySigningKeys"
    assert r53.enable_hosted_zone_dnssec(HostedZoneId=zid)["ChangeInfo"]["Id"].startswith("/change/")
    got = r53.get_dnssec(HostedZoneId=zid)
    assert got["Status"]["ServeSignature"] == "SIGNING"
    assert [k["Name"] for k in got["KeySigningKeys"]] == ["k_one", "k_two"]
    with pytest.raises(ClientError) as e:
        r53.delete_key_signing_key(HostedZoneId=zid, Name="k_one")  # still ACTIVE
    assert _code(e) == "InvalidKeySigningKeyStatus"
    r53.deactivate_key_signing_key(HostedZoneId=zid, Name="k_one")
    with pytest.raises(ClientError) as e:
        r53.deactivate_key_signing_key(HostedZoneId=zid, Name="k_two")  # the last active one
    assert _code(e) == "KeySigningKeyInUse"
    with pytest.raises(ClientError) as e:
        r53.delete_hosted_zone(Id=zid)
    assert _code(e) == "HostedZoneNotEmpty"
    r53.delete_key_signing_key(HostedZoneId=zid, Name="k_one")
    with pytest.raises(ClientError) as e:
        r53.delete_key_signing_key(HostedZoneId=zid, Name="k_one")
    assert _code(e) == "NoSuchKeySigningKey"
    r53.disable_hosted_zone_dnssec(HostedZoneId=zid)
    assert r53.get_dnssec(HostedZoneId=zid)["Status"]["ServeSignature"] == "NOT_SIGNING"
    r53.deactivate_key_signing_key(HostedZoneId=zid, Name="k_two")  # not signing: allowed
    r53.delete_key_signing_key(HostedZoneId=zid, Name="k_two")
    r53.delete_hosted_zone(Id=zid)


def test_ksk_named_by_the_parents_ds_cannot_go(gureum):
    r53 = gureum.client("route53")
    parent_name = f"p{uuid.uuid4().hex[:8]}.test"
    parent = _zone(r53, parent_name)
    child = _zone(r53, "sub." + parent_name)
    ksk = _ksk(r53, child, "ksk1")["KeySigningKey"]
    _ksk(r53, child, "ksk2")
    r53.enable_hosted_zone_dnssec(HostedZoneId=child)
    _records(r53, parent, [("sub." + parent_name, "DS", ksk["DSRecord"])])
    with pytest.raises(ClientError) as e:
        r53.deactivate_key_signing_key(HostedZoneId=child, Name="ksk1")
    assert _code(e) == "KeySigningKeyInParentDSRecord"
    with pytest.raises(ClientError) as e:
        r53.disable_hosted_zone_dnssec(HostedZoneId=child)
    assert _code(e) == "KeySigningKeyInParentDSRecord"
    r53.deactivate_key_signing_key(HostedZoneId=child, Name="ksk2")  # not in the DS: allowed


def _signed_zone(gureum) -> tuple[str, str, dict]:
    r53 = gureum.client("route53")
    name = f"signed-{uuid.uuid4().hex[:8]}.test"
    zid = _zone(r53, name)
    _records(r53, zid, [("www." + name, "A", "192.0.2.1"), ("*.wild." + name, "A", "192.0.2.2"),
                        ("alias." + name, "CNAME", "www." + name), ("deleg." + name, "NS", "ns1.example.net")])
    ksk = _ksk(r53, zid, "ksk")["KeySigningKey"]
    r53.enable_hosted_zone_dnssec(HostedZoneId=zid)
    return zid, name, ksk


def _keys(gureum, name: str, ksk: dict) -> dict:
    r = wait_for("the DNSKEY RRset", lambda: (lambda m: m if m.answer else None)(ask(gureum.dns_port, name, "DNSKEY")), timeout=10)
    dnskey = r.find_rrset(r.answer, dns.name.from_text(name), dns.rdataclass.IN, dns.rdatatype.DNSKEY)
    assert dns.rdata.from_text("IN", "DNSKEY", ksk["DNSKEYRecord"]) in dnskey  # the KSK AWS reports is served
    assert {rd.flags for rd in dnskey} == {256, 257}  # and the ZSK Route 53 manages
    keys = {dns.name.from_text(name): dnskey}
    sig = r.find_rrset(r.answer, dns.name.from_text(name), dns.rdataclass.IN, dns.rdatatype.RRSIG, dns.rdatatype.DNSKEY)
    dns.dnssec.validate(dnskey, sig, keys)
    assert {rd.key_tag for rd in sig} == {ksk["KeyTag"]}  # the DNSKEY RRset is signed by the KSK
    return keys


def test_signed_answers_validate(gureum):
    zid, name, ksk = _signed_zone(gureum)
    keys = _keys(gureum, name, ksk)
    port = gureum.dns_port
    r = ask(port, "www." + name, "A")
    assert r.rcode() == dns.rcode.NOERROR and validate_sections(r, keys) == 1
    r = ask(port, "x.y.wild." + name, "A")  # a wildcard, signed online under the query name
    assert validate_sections(r, keys) == 1 and r.answer[0].name == dns.name.from_text("x.y.wild." + name)
    r = ask(port, "alias." + name, "A")
    assert validate_sections(r, keys) == 2  # the CNAME and its target
    # a name that does not exist: Route 53's black lie (NOERROR, NSEC next \000.qname, RRSIG NSEC)
    r = ask(port, "nothing-here." + name, "A")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer and validate_sections(r, keys) == 2
    nsec = r.find_rrset(r.authority, dns.name.from_text("nothing-here." + name), dns.rdataclass.IN, dns.rdatatype.NSEC)
    assert nsec[0].next == dns.name.from_text("\\000.nothing-here." + name)
    assert sorted(dns.rdatatype.to_text(t) for t in _types(nsec[0])) == ["NSEC", "RRSIG"]
    # a name without the type: a minimal NSEC listing what the name has
    r = ask(port, "www." + name, "AAAA")
    nsec = r.find_rrset(r.authority, dns.name.from_text("www." + name), dns.rdataclass.IN, dns.rdatatype.NSEC)
    assert sorted(dns.rdatatype.to_text(t) for t in _types(nsec[0])) == ["A", "NSEC", "RRSIG"]
    assert validate_sections(r, keys) == 2
    # a delegation without DS: an NSEC at the cut proves there is none
    r = ask(port, "host.deleg." + name, "A")
    nsec = r.find_rrset(r.authority, dns.name.from_text("deleg." + name), dns.rdataclass.IN, dns.rdatatype.NSEC)
    assert dns.rdatatype.NS in _types(nsec[0]) and dns.rdatatype.DS not in _types(nsec[0])
    # without DO nothing changes: NXDOMAIN, no RRSIG
    r = ask(port, "nothing-here." + name, "A", dnssec=False)
    assert r.rcode() == dns.rcode.NXDOMAIN and not any(rr.rdtype == dns.rdatatype.RRSIG for rr in r.authority)
    # a change is served signed too
    r53 = gureum.client("route53")
    _records(r53, zid, [("www." + name, "A", "192.0.2.9")], action="UPSERT")
    wait_for("the new value", lambda: ask(port, "www." + name, "A").answer[0][0].to_text() == "192.0.2.9", timeout=10)
    assert validate_sections(ask(port, "www." + name, "A"), keys) == 1
    # signing stops: no DNSKEY, no RRSIG
    r53.disable_hosted_zone_dnssec(HostedZoneId=zid)
    wait_for("DNSKEY gone", lambda: not ask(port, name, "DNSKEY").answer, timeout=10)
    assert ask(port, "nothing-here." + name, "A").rcode() == dns.rcode.NXDOMAIN


def _types(nsec) -> list[int]:
    out = []
    for window, bitmap in nsec.windows:
        for i, byte in enumerate(bitmap):
            for bit in range(8):
                if byte & (0x80 >> bit):
                    out.append(window * 256 + i * 8 + bit)
    return out


@pytest.mark.skipif(shutil.which("delv") is None, reason="delv (bind9-dnsutils) not installed")
def test_delv_validates_the_signed_zone(gureum, tmp_path):
    _zid, name, ksk = _signed_zone(gureum)
    _keys(gureum, name, ksk)
    anchor = tmp_path / "anchor.conf"
    flags, proto, alg, key = ksk["DNSKEYRecord"].split(" ", 3)
    anchor.write_text(f'trust-anchors {{ {name}. static-key {flags} {proto} {alg} "{key}"; }};\n')

    def delv(qname: str, rtype: str) -> str:
        out = subprocess.run(["delv", "@127.0.0.1", "-p", str(gureum.dns_port), "-a", str(anchor), f"+root={name}",
                              "+tcp", qname, rtype], capture_output=True, text=True, timeout=30)
        return out.stdout + out.stderr

    assert "; fully validated" in delv("www." + name, "A")
    assert "; fully validated" in delv("x.wild." + name, "A")
    out = delv("nothing-here." + name, "A")
    assert "; negative response, fully validated" in out, out
    out = delv("www." + name, "TXT")
    assert "; negative response, fully validated" in out, out


def test_chain_of_trust_from_a_parent_zone_served_here(gureum, tmp_path):
    """Parent and child both signed here, the child's DS (as GetDNSSEC gives it) in the
    parent: the DS is answered and signed by the parent, and delv validates the child's data
    from the parent's key alone."""
    r53 = gureum.client("route53")
    parent_name = f"chain-{uuid.uuid4().hex[:8]}.test"
    child_name = "sub." + parent_name
    parent, child = _zone(r53, parent_name), _zone(r53, child_name)
    _records(r53, child, [("www." + child_name, "A", "192.0.2.77")])
    pksk = _ksk(r53, parent, "parent_ksk")["KeySigningKey"]
    r53.enable_hosted_zone_dnssec(HostedZoneId=parent)
    _ksk(r53, child, "child_ksk")
    _records(r53, parent, [(child_name, "NS", "ns-1.awsdns-00.com")])  # delegated elsewhere
    with pytest.raises(ClientError) as e:
        r53.enable_hosted_zone_dnssec(HostedZoneId=child)
    assert _code(e) == "HostedZonePartiallyDelegated"
    servers = r53.get_hosted_zone(Id=child)["DelegationSet"]["NameServers"]
    r53.change_resource_record_sets(HostedZoneId=parent, ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": {"Name": child_name, "Type": "NS", "TTL": 300,
                                                   "ResourceRecords": [{"Value": s} for s in servers]}}]})
    r53.enable_hosted_zone_dnssec(HostedZoneId=child)
    ds_text = r53.get_dnssec(HostedZoneId=child)["KeySigningKeys"][0]["DSRecord"]
    _records(r53, parent, [(child_name, "DS", ds_text)])
    pkeys = _keys(gureum, parent_name, pksk)
    r = wait_for("the DS from the parent", lambda: (lambda m: m if m.answer else None)(ask(gureum.dns_port, child_name, "DS")), timeout=10)
    ds = r.find_rrset(r.answer, dns.name.from_text(child_name), dns.rdataclass.IN, dns.rdatatype.DS)
    sig = r.find_rrset(r.answer, dns.name.from_text(child_name), dns.rdataclass.IN, dns.rdatatype.RRSIG, dns.rdatatype.DS)
    dns.dnssec.validate(ds, sig, pkeys)  # signed by the parent
    if shutil.which("delv") is None:
        pytest.skip("delv (bind9-dnsutils) not installed")
    anchor = tmp_path / "anchor.conf"
    flags, proto, alg, key = pksk["DNSKEYRecord"].split(" ", 3)
    anchor.write_text(f'trust-anchors {{ {parent_name}. static-key {flags} {proto} {alg} "{key}"; }};\n')
    out = subprocess.run(["delv", "@127.0.0.1", "-p", str(gureum.dns_port), "-a", str(anchor), f"+root={parent_name}",
                          "+tcp", "www." + child_name, "A"], capture_output=True, text=True, timeout=30)
    assert "; fully validated" in out.stdout and "192.0.2.77" in out.stdout, out.stdout + out.stderr


def test_signing_survives_a_kill_and_restart_with_the_same_keys(fresh_gureum):
    g = fresh_gureum
    _zid, name, ksk = _signed_zone(g)
    before = _keys(g, name, ksk)[dns.name.from_text(name)]
    g.kill9()
    g.start()
    g.wait_service("route53", "running")
    after = _keys(g, name, ksk)[dns.name.from_text(name)]
    assert set(after) == set(before)  # the KSK and the ZSK come back from the store
    r = ask(g.dns_port, "www." + name, "A")
    assert validate_sections(r, {dns.name.from_text(name): before}) == 1

"""The online signer on its own (no server): signatures cached per RRset and made again when
due, the byte-built black lie valid for dnspython's validator, and a query costs no
signature once its RRsets are signed."""

from __future__ import annotations

import dns.dnssec
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from gureum.services.route53 import dnssec, names, signer
from gureum.services.route53.engine import Engine
from gureum.services.route53.index import Zone

ORIGIN = dns.name.from_text("example.test")


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _engine(clock: Clock) -> tuple[Engine, signer.ZoneSigner]:
    zone = Zone("Z1", names.parse("example.test"))
    zone.put({"Name": "example.test.", "Type": "SOA", "TTL": 900, "ResourceRecords": [
        {"Value": "ns1.example.test. hostmaster.example.test. 1 7200 900 1209600 86400"}]})
    zone.put({"Name": "example.test.", "Type": "NS", "TTL": 900, "ResourceRecords": [{"Value": "ns1.example.test."}]})
    zone.put({"Name": "www.example.test.", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]})
    engine = Engine()
    engine.index.put_zone(zone)
    s = signer.ZoneSigner(ORIGIN, [dnssec.new_private_key()], dnssec.new_private_key(), clock=clock)
    engine.index.set_signer("Z1", s)
    return engine, s


def _ask(engine: Engine, name: str, rtype: str) -> dns.message.Message:
    wire = engine.answer(dns.message.make_query(name, rtype, want_dnssec=True).to_wire())
    assert isinstance(wire, bytes)
    return dns.message.from_wire(wire)


def _valid(r: dns.message.Message, keys: dict, when: float) -> int:
    n = 0
    for section in (r.answer, r.authority):
        sigs = {(rr.name, rr.covers): rr for rr in section if rr.rdtype == dns.rdatatype.RRSIG}
        for rr in section:
            if rr.rdtype != dns.rdatatype.RRSIG:
                dns.dnssec.validate(rr, sigs[(rr.name, rr.rdtype)], keys, now=when)
                n += 1
    return n


def test_a_query_costs_no_signature_once_its_rrsets_are_signed() -> None:
    clock = Clock()
    engine, s = _engine(clock)
    keys = {ORIGIN: s.dnskey}
    assert _valid(_ask(engine, "www.example.test", "A"), keys, clock.now) == 1
    made = s.signed
    engine.index.generation += 1  # drop the engine's answer cache: the signer's cache still holds
    assert _valid(_ask(engine, "WWW.example.test", "A"), keys, clock.now) == 1
    assert s.signed == made
    clock.now += signer.REFRESH + 1  # due: signed again, still valid at the new time
    engine.index.refresh_signatures()
    assert _valid(_ask(engine, "www.example.test", "A"), keys, clock.now) == 1
    assert s.signed == made + 1


def test_the_byte_built_black_lie_validates_and_repeats_without_signing() -> None:
    clock = Clock()
    engine, s = _engine(clock)
    keys = {ORIGIN: s.dnskey}
    r = _ask(engine, "NoSuch.example.test", "A")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    assert _valid(r, keys, clock.now) == 2
    nsec = r.find_rrset(r.authority, dns.name.from_text("nosuch.example.test"), dns.rdataclass.IN, dns.rdatatype.NSEC)
    assert nsec[0].next == dns.name.from_text("\\000.nosuch.example.test")
    made = s.signed
    again = _ask(engine, "nosuch.example.test", "A")
    assert s.signed == made and _valid(again, keys, clock.now) == 2
    # the same query without DO: a plain NXDOMAIN, nothing signed
    plain = dns.message.from_wire(engine.answer(dns.message.make_query("nosuch.example.test", "A", use_edns=0).to_wire()))
    assert plain.rcode() == dns.rcode.NXDOMAIN and not any(rr.rdtype == dns.rdatatype.RRSIG for rr in plain.authority)


def test_dnskey_is_signed_by_the_ksk_only() -> None:
    clock = Clock()
    engine, s = _engine(clock)
    r = _ask(engine, "example.test", "DNSKEY")
    sig = r.find_rrset(r.answer, ORIGIN, dns.rdataclass.IN, dns.rdatatype.RRSIG, dns.rdatatype.DNSKEY)
    ksk = next(rd for rd in s.dnskey if rd.flags == 257)
    assert {rd.key_tag for rd in sig} == {dns.dnssec.key_id(ksk)}
    dns.dnssec.validate(s.dnskey, sig, {ORIGIN: s.dnskey}, now=clock.now)

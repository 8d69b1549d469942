"""Helpers for the sans-IO tests: a ZoneIndex holding small zones built from API-shaped docs."""

from __future__ import annotations

from gureum.services.route53 import names
from gureum.services.route53.index import Zone, ZoneIndex


def rrset(name: str, rtype: str, *values: str, ttl: int = 300, **extra) -> dict:
    doc = {"Name": names.normalize(name), "Type": rtype, **extra}
    if values:
        doc["TTL"] = ttl
        doc["ResourceRecords"] = [{"Value": v} for v in values]
    return doc


def defaults(origin: str) -> list[dict]:
    origin = names.normalize(origin)
    return [
        rrset(origin, "SOA", "ns-1.awsdns-00.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400", ttl=900),
        rrset(origin, "NS", "ns-1.awsdns-00.com.", "ns-513.awsdns-00.net.", ttl=172800),
    ]


def make_zone(zone_id: str, origin: str, docs: list[dict], **kw) -> Zone:
    zone = Zone(zone_id, names.parse(origin), **kw)
    for doc in defaults(origin) + docs:
        zone.put(doc)
    return zone


def example_index() -> ZoneIndex:
    index = ZoneIndex()
    index.put_zone(make_zone("ZEXAMPLE", "example.com", [
        rrset("www.example.com", "A", "192.0.2.1", "192.0.2.2"),
        rrset("www.example.com", "AAAA", "2001:db8::1"),
        rrset("example.com", "MX", "10 mail.example.com."),
        rrset("example.com", "TXT", '"v=spf1 -all"'),
        rrset("mail.example.com", "A", "192.0.2.25", ttl=60),
        rrset("alias.example.com", "CNAME", "www.example.com"),
        rrset("chain.example.com", "CNAME", "alias.example.com"),
        rrset("out.example.com", "CNAME", "www.example.org"),
        rrset("loop1.example.com", "CNAME", "loop2.example.com"),
        rrset("loop2.example.com", "CNAME", "loop1.example.com"),
        rrset("*.wild.example.com", "A", "192.0.2.99"),
        rrset("*.wild.example.com", "TXT", '"wild"'),
        rrset("host.wild.example.com", "TXT", '"host"'),
        rrset("deep.a.b.example.com", "A", "192.0.2.7"),
        rrset("sub.example.com", "NS", "ns1.sub.example.com.", "ns.elsewhere.net.", ttl=3600),
        rrset("sub.example.com", "DS", "12345 13 2 " + "ab" * 32, ttl=3600),
        rrset("ns1.sub.example.com", "A", "192.0.2.53"),
        rrset("big.example.com", "TXT", *[f'"{i:03d}' + "x" * 200 + '"' for i in range(12)]),
        {"Name": "apex-alias.example.com.", "Type": "A",
         "AliasTarget": {"HostedZoneId": "ZEXAMPLE", "DNSName": "www.example.com.", "EvaluateTargetHealth": False}},
        {"Name": "example.com.", "Type": "A",
         "AliasTarget": {"HostedZoneId": "/hostedzone/ZEXAMPLE", "DNSName": "mail.example.com", "EvaluateTargetHealth": False}},
    ], order=1))
    index.put_zone(make_zone("ZDEEPER", "deeper.example.com", [
        rrset("deeper.example.com", "A", "198.51.100.1"),
    ], order=2))
    index.put_zone(make_zone("ZPRIV", "example.com", [
        rrset("www.example.com", "A", "10.0.0.1"),
    ], private=True, vpcs=["vpc-1"], order=3))
    return index


def udp(query, port: int, attempts: int = 6, timeout: float = 3.0):
    """A DNS query over UDP to gureum on 127.0.0.1, retried: a loaded CI machine may drop or
    delay a datagram, which says nothing about the answer."""
    import dns.exception
    import dns.query

    for i in range(attempts):
        try:
            return dns.query.udp(query, "127.0.0.1", port=port, timeout=timeout)
        except dns.exception.Timeout:
            if i == attempts - 1:
                raise
    raise AssertionError("unreachable")

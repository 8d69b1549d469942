"""Record values in Route 53's syntax: each type's value checked and turned into dnspython
rdata (the DNS index builds its wire answers from these), with Route 53's error texts."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.rrset

TYPES = (
    "SOA", "A", "TXT", "NS", "CNAME", "MX", "NAPTR", "PTR", "SRV", "SPF", "AAAA", "CAA", "DS",
    "TLSA", "SSHFP", "SVCB", "HTTPS",
)
# Types an alias record may have (Route 53 allows these for aliases).
ALIAS_TYPES = ("A", "AAAA", "CAA", "CNAME", "DS", "MX", "NAPTR", "PTR", "SPF", "SRV", "TXT", "HTTPS", "SVCB", "TLSA", "SSHFP")

_RDTYPE = {t: dns.rdatatype.from_text(t) for t in TYPES}
RDTYPES: Mapping[str, dns.rdatatype.RdataType] = _RDTYPE  # type name -> rdtype, the types Route 53 stores
_TYPE_NAME = {int(v): k for k, v in _RDTYPE.items()}

# Route 53's names for what is wrong with a value, per type.
_PROBLEM = {
    "A": ("ARRDATAIllegalIPv4Address", "Value is not a valid IPv4 address"),
    "AAAA": ("AAAARRDATAIllegalIPv6Address", "Value is not a valid IPv6 address"),
    "TXT": ("InvalidCharacterString", "Value should be enclosed in quotation marks"),
    "SPF": ("InvalidCharacterString", "Value should be enclosed in quotation marks"),
    "MX": ("MXRRDATANotTwoFields", "MX RDATA must have exactly two fields"),
    "SRV": ("SRVRRDATANotFourFields", "SRV RDATA must have exactly four fields"),
    "CAA": ("CAARRDATANotThreeFields", "CAA RDATA must have exactly three fields"),
    "NAPTR": ("NAPTRRDATANotSixFields", "NAPTR RDATA must have exactly six fields"),
    "SOA": ("SOARRDATANotSevenFields", "SOA RDATA must have exactly seven fields"),
    "DS": ("DSRRDATAIllegalFormat", "DS RDATA is malformed"),
    "TLSA": ("TLSARRDATAIllegalFormat", "TLSA RDATA is malformed"),
    "SSHFP": ("SSHFPRRDATAIllegalFormat", "SSHFP RDATA is malformed"),
    "SVCB": ("SVCBRRDATAIllegalFormat", "SVCB RDATA is malformed"),
    "HTTPS": ("HTTPSRRDATAIllegalFormat", "HTTPS RDATA is malformed"),
}


class BadValue(ValueError):
    """A value Route 53 rejects; str() is the InvalidChangeBatch message."""


def rdtype(rtype: str) -> dns.rdatatype.RdataType:
    return _RDTYPE[rtype]


def type_name(rdtype: int) -> str:
    """A type's name ("A"): from a table for the types Route 53 stores, else dnspython's."""
    return _TYPE_NAME.get(rdtype) or dns.rdatatype.to_text(dns.rdatatype.RdataType.make(rdtype))


def _bad(rtype: str, value: str, code: str | None = None, desc: str | None = None) -> BadValue:
    dcode, ddesc = _PROBLEM.get(rtype, ("DomainLabelEmpty", "Domain label is empty"))
    code, desc = code or dcode, desc or ddesc
    return BadValue(f"Invalid Resource Record: 'FATAL problem: {code} ({desc}) encountered with '{value}''")


def parse_value(rtype: str, value: str) -> dns.rdata.Rdata:
    """One ResourceRecord Value -> rdata (names absolute), or BadValue with AWS's text."""
    if rtype == "A":  # the common types skip dnspython's tokenizer (10x faster zone loads)
        try:
            ipaddress.IPv4Address(value)
            return dns.rdtypes.IN.A.A(dns.rdataclass.IN, dns.rdatatype.A, value)
        except (ValueError, dns.exception.DNSException):
            raise _bad(rtype, value) from None
    elif rtype == "AAAA":
        try:
            ipaddress.IPv6Address(value)
            return dns.rdtypes.IN.AAAA.AAAA(dns.rdataclass.IN, dns.rdatatype.AAAA, value)
        except (ValueError, dns.exception.DNSException):
            raise _bad(rtype, value) from None
    elif rtype in ("CNAME", "NS", "PTR") and (value.strip() == "" or ".." in value):
        raise _bad(rtype, value, "DomainLabelEmpty", "Domain label is empty")
    elif rtype in ("TXT", "SPF"):
        stripped = value.strip()
        if not stripped:
            raise _bad(rtype, value)
        if stripped.startswith('"') and not stripped.endswith('"'):
            raise _bad(rtype, value, "InvalidCharacterString", "Value should be enclosed in quotation marks")
    try:
        rd = dns.rdata.from_text(dns.rdataclass.IN, _RDTYPE[rtype], value, origin=dns.name.root, relativize=False)
    except dns.exception.DNSException as exc:
        if rtype in ("TXT", "SPF") and "too long" in str(exc):
            raise _bad(rtype, value, "CharacterStringTooLong", "Value is too long") from None
        raise _bad(rtype, value) from None
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, UnicodeError):
        raise _bad(rtype, value) from None
    return rd


def rdatas_of(record_set: Mapping[str, Any]) -> list[dns.rdata.Rdata]:
    """The rdata of a stored (already validated) record set, in stored order."""
    return stored_rdatas(record_set["Type"], [rr["Value"] for rr in record_set.get("ResourceRecords") or ()])


def stored_rdatas(rtype: str, values: Iterable[str]) -> list[dns.rdata.Rdata]:
    """The rdata of stored (already validated) values of one type, in order. Values other
    than addresses repeat across zones (every zone's SOA and NS name the same name servers),
    and rdata are immutable, so those are parsed once (`_stored`, a bounded memo)."""
    if rtype in ("A", "AAAA"):
        return [parse_value(rtype, v) for v in values]
    return [_stored(rtype, v) for v in values]


@functools.lru_cache(maxsize=4096)
def _stored(rtype: str, value: str) -> dns.rdata.Rdata:
    return parse_value(rtype, value)


def stored_rrset(owner: dns.name.Name, rtype: str, ttl: int, values: tuple[str, ...]) -> dns.rrset.RRset:
    """A new RRset of stored (already validated) values. dnspython hashes an rdata by
    rendering it, once per add: values other than addresses (every zone's SOA and NS) are
    copied from an RRset built once, and a copy keeps the hashes (`_template`)."""
    if rtype in ("A", "AAAA"):
        rrset = dns.rrset.RRset(owner, dns.rdataclass.IN, _RDTYPE[rtype])
        for rd in stored_rdatas(rtype, values):
            rrset.add(rd)
    else:
        rrset = _template(rtype, values).copy()
        rrset.name = owner
    rrset.ttl = ttl
    return rrset


@functools.lru_cache(maxsize=1024)
def _template(rtype: str, values: tuple[str, ...]) -> dns.rrset.RRset:
    """(never handed out: only copies of it)"""
    rrset = dns.rrset.RRset(dns.name.root, dns.rdataclass.IN, _RDTYPE[rtype])
    for rd in stored_rdatas(rtype, values):
        rrset.add(rd)
    return rrset


_digests: dict[int, tuple[dns.rdata.Rdata, bytes]] = {}


def digestable(rd: dns.rdata.Rdata) -> bytes:
    """rd.to_digestable(), remembered for the last few thousand rdata (by identity: the
    stored rdata of repeated values are shared, `_stored`)."""
    got = _digests.get(id(rd))
    if got is not None and got[0] is rd:
        return got[1]
    wire = rd.to_digestable()
    if len(_digests) >= 4096:
        _digests.clear()
    _digests[id(rd)] = (rd, wire)
    return wire


def value_text(rd: dns.rdata.Rdata) -> str:
    """Rdata -> a Value string Route 53 would accept (for zone-file import)."""
    return rd.to_text(origin=None, relativize=False)

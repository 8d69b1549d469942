"""Online DNSSEC signing of answers, as Route 53 signs (sans-IO: RRsets in, RRsets out).

A `ZoneSigner` holds one signing zone's keys (its ACTIVE KSKs and the ZSK, ECDSAP256SHA256)
and its DNSKEY RRset (signed by every KSK). `secure()` turns a lookup's Result into the
signed answer a DO query gets:
- every RRset of the answer and the authority gets its RRSIG (by the ZSK; the DNSKEY RRset by
  the KSKs); a wildcard's synthesized RRset is signed as owned by the query name (Route 53
  signs online, so no wildcard NSEC accompanies it);
- a name that does not exist gets Route 53's "black lie" (draft-valsorda-dnsop-black-lies):
  NOERROR with an NSEC at the query name whose next name is `\\000.<qname>` and whose
  bitmap holds only RRSIG and NSEC, which proves nothing else about the zone (no zone walk);
- a name without the asked type gets a minimal NSEC at that name (next `\\000.<name>`)
  listing the types the name has, plus RRSIG and NSEC;
- a referral gets the DS RRset of the cut and its RRSIG, or an NSEC at the cut proving
  there is none (NS RRSIG NSEC); a DS RRset is signed by the parent side of its cut, also
  when the child zone is served here too (index.py answers DS from the parent then).

Signatures are cached per RRset (owner, type, TTL, data) with deterministic ECDSA (RFC 6979),
so a query costs no signing once its RRsets were signed; the engine caches the whole
signed response too. A signature is valid from an hour before it was made for
VALIDITY, and is made again once older than REFRESH (`refresh()` drops the old ones; the
server calls it periodically and the answer cache follows the index generation).
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import dns.dnssec
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.DNSKEY
import dns.rdtypes.ANY.NSEC
import dns.rdtypes.util
import dns.rrset
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from gureum.services.route53 import dnssec, names

if TYPE_CHECKING:
    from gureum.services.route53.index import Result, Zone, ZoneIndex

IN = dns.rdataclass.IN
RRSIG = dns.rdatatype.RRSIG
NSEC = dns.rdatatype.NSEC
DNSKEY = dns.rdatatype.DNSKEY
DS = dns.rdatatype.DS
NS = dns.rdatatype.NS
SOA = dns.rdatatype.SOA
CNAME = dns.rdatatype.CNAME
DNSKEY_TTL = 3600
VALIDITY = 7 * 86400
REFRESH = 86400
SKEW = 3600
CACHE_MAX = 200_000
LIES_MAX = 100_000  # black lies kept per zone (random names beyond this are signed anew)

_SigKey = tuple[dns.name.Name, int, int, frozenset[dns.rdata.Rdata]]


class ZoneSigner:
    """One signing zone: its keys, its DNSKEY RRset and the per-RRset signature cache."""

    def __init__(self, origin: dns.name.Name, ksks: list[str], zsk: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.origin = origin
        self.clock = clock
        self._ksks = [(dnssec.load_private_key(pem), dnssec.dnskey_of(pem, dnssec.KSK_FLAG)) for pem in ksks]
        self._zsk: tuple[ec.EllipticCurvePrivateKey, dns.rdtypes.ANY.DNSKEY.DNSKEY] = (
            dnssec.load_private_key(zsk), dnssec.dnskey_of(zsk, dnssec.ZSK_FLAG))
        self.dnskey = dns.rrset.RRset(origin, IN, DNSKEY)
        for _key, rd in self._ksks:
            self.dnskey.add(rd, DNSKEY_TTL)
        self.dnskey.add(self._zsk[1], DNSKEY_TTL)
        self._cache: dict[_SigKey, tuple[float, dns.rrset.RRset]] = {}
        self._zsk_tag = dns.dnssec.key_id(self._zsk[1])
        self._origin_wire: bytes = origin.canonicalize().to_wire() or b""
        self._soa_wire: tuple[dns.rrset.RRset, float, bytes] | None = None  # (neg SOA, made, wire)
        self._lies: dict[bytes, tuple[float, bytes, bytes]] = {}  # qname -> (made, SOA sig, tail)
        self.signed = 0  # signatures made (a benchmark and test figure)

    def sign(self, rrset: dns.rrset.RRset) -> dns.rrset.RRset:
        """The RRSIG RRset covering `rrset` (from the cache while fresh)."""
        key: _SigKey = (rrset.name, rrset.rdtype, rrset.ttl, frozenset(rrset))
        now = self.clock()
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < REFRESH:
            return hit[1]
        keys = self._ksks if rrset.rdtype == DNSKEY else [self._zsk]
        sigs = dns.rrset.RRset(rrset.name, IN, RRSIG, rrset.rdtype)
        for private, public in keys:
            sigs.add(dns.dnssec.sign(rrset, private, self.origin, public, inception=int(now) - SKEW,
                                     expiration=int(now) + VALIDITY, deterministic=True), rrset.ttl)
            self.signed += 1
        if len(self._cache) >= CACHE_MAX:
            self._cache.clear()
        self._cache[key] = (now, sigs)
        return sigs

    def refresh(self) -> bool:
        """Drop signatures older than REFRESH; whether any was dropped."""
        now = self.clock()
        old = [k for k, (made, _s) in self._cache.items() if now - made >= REFRESH]
        for k in old:
            del self._cache[k]
        self._lies.clear()
        return bool(old)

    def nsec(self, owner: dns.name.Name, rdtypes: list[int], ttl: int) -> dns.rrset.RRset:
        """A minimal NSEC at `owner`: next name `\\000.<owner>`, the given types plus RRSIG
        and NSEC."""
        types = frozenset(rdtypes) | {RRSIG, NSEC}
        windows = _BITMAPS.get(types)
        if windows is None:
            if len(_BITMAPS) > 1024:
                _BITMAPS.clear()
            windows = _BITMAPS[types] = dns.rdtypes.util.Bitmap.from_rdtypes(
                sorted(dns.rdatatype.RdataType.make(t) for t in types)).windows
        nxt = dns.name.Name((b"\x00",) + owner.labels)
        rrset = dns.rrset.RRset(owner, IN, NSEC)
        rrset.add(dns.rdtypes.ANY.NSEC.NSEC(IN, NSEC, nxt, windows), ttl)  # type: ignore[no-untyped-call]
        return rrset

    # --- the black lie from bytes (engine.py's fast path for names that do not exist) -------
    def black_lie_tail(self, qname_wire: bytes, apex_ptr: bytes, neg_soa: dns.rrset.RRset, soa_wire: bytes) -> bytes:
        """The authority section of a black lie, as bytes after a response's question (at
        offset 12, `qname_wire` lowercased): the negative SOA (owner `apex_ptr`, then
        `soa_wire`), its RRSIG, the NSEC at the query name and its RRSIG, signed here over
        the canonical form (RFC 4034 §3.1.8.1) without building any dnspython object."""
        clock = self.clock()
        soa_sig = self._soa_sig_wire(neg_soa)
        hit = self._lies.get(qname_wire)
        if hit is not None and hit[1] is soa_sig and clock - hit[0] < REFRESH:
            return hit[2]  # a repeated name: its lie is signed already
        now = int(clock)
        ttl = neg_soa.ttl
        nsec_rdata = b"\x01\x00" + qname_wire + _LIE_BITMAP
        labels = _label_count(qname_wire)
        head = struct.pack("!HBBIIIH", NSEC, dnssec.ALGORITHM, labels, ttl, now + VALIDITY, now - SKEW, self._zsk_tag)
        head += self._origin_wire
        signed = head + qname_wire + struct.pack("!HHIH", NSEC, IN, ttl, len(nsec_rdata)) + nsec_rdata
        r, s_ = decode_dss_signature(self._zsk[0].sign(signed, _ECDSA))
        sig_rdata = head + r.to_bytes(32, "big") + s_.to_bytes(32, "big")
        self.signed += 1
        tail = (apex_ptr + soa_wire + apex_ptr + soa_sig
                + b"\xc0\x0c" + struct.pack("!HHIH", NSEC, IN, ttl, len(nsec_rdata)) + nsec_rdata
                + b"\xc0\x0c" + struct.pack("!HHIH", RRSIG, IN, ttl, len(sig_rdata)) + sig_rdata)
        if len(self._lies) >= LIES_MAX:
            self._lies.clear()
        self._lies[qname_wire] = (clock, soa_sig, tail)
        return tail

    def _soa_sig_wire(self, neg_soa: dns.rrset.RRset) -> bytes:
        """The negative SOA's RRSIG after its owner name: type, class, TTL, rdata."""
        cached = self._soa_wire
        now = self.clock()
        if cached is not None and cached[0] is neg_soa and now - cached[1] < REFRESH:
            return cached[2]  # the hot path: no RRset hashing per query
        sigs = self.sign(neg_soa)
        rdata: bytes = sigs[0].to_digestable()  # one RRSIG: only the ZSK signs what is not DNSKEY
        out = struct.pack("!HHIH", RRSIG, IN, sigs.ttl, len(rdata)) + rdata
        self._soa_wire = (neg_soa, now, out)
        return out


def _label_count(wire: bytes) -> int:
    n = i = 0
    while wire[i]:
        n += 1
        i += wire[i] + 1
    return n


_ECDSA = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
_BITMAPS: dict[frozenset[int], list[tuple[int, bytes]]] = {}
_LIE_BITMAP = b"\x00\x06\x00\x00\x00\x00\x00\x03"  # window 0: RRSIG (46) and NSEC (47)


def with_sigs(rrsets: list[dns.rrset.RRset], signer_of: Callable[[dns.rrset.RRset], ZoneSigner | None]) -> list[dns.rrset.RRset]:
    """Each RRset followed by its RRSIG where a signing zone owns it."""
    out: list[dns.rrset.RRset] = []
    for rr in rrsets:
        out.append(rr)
        if rr.rdtype == RRSIG:
            continue
        signer = signer_of(rr)
        if signer is not None:
            out.append(signer.sign(rr))
    return out


def node_types(zone: Zone, labels: tuple[bytes, ...]) -> list[int]:
    """The types present at a name of an index Zone (a wildcard's when only it matches)."""
    node = zone.nodes.get(labels)
    if node is None and labels not in zone.names:
        ce = labels[1:]
        while ce and ce not in zone.names:
            ce = ce[1:]
        node = zone.nodes.get((b"*",) + ce)
    return list(node or ())


def secure(index: ZoneIndex, view: dict[tuple[bytes, ...], Zone], result: Result, qname: dns.name.Name, qtype: int) -> None:
    """Sign `result` (the lookup's answer to qname/qtype) in place for a DO query, where a
    signing zone answered (see the module docstring)."""
    zone = index.zone_for(view, names.from_dns(qname))
    if zone is None or zone.soa is None:
        return

    def signer_of(rr: dns.rrset.RRset) -> ZoneSigner | None:
        labels = names.from_dns(rr.name)
        # a DS RRset belongs to the parent side of its cut (the parent zone when both are here)
        z = index.zone_for(view, labels[1:] if rr.rdtype == DS and labels else labels)
        return index.signers.get(z.zone_id) if z is not None else None

    if not result.aa and result.authority and result.authority[0].rdtype == NS:  # a referral
        signer = index.signers.get(zone.zone_id)
        ns = result.authority[0]
        if signer is None:
            return
        node = zone.nodes.get(names.from_dns(ns.name))
        ds = node.get(DS) if node is not None else None
        ttl = zone.neg_soa.ttl if zone.neg_soa is not None else ns.ttl
        cut_proof = ds if ds is not None else signer.nsec(ns.name, list(node or ()), ttl)
        result.authority = [ns, cut_proof, signer.sign(cut_proof)]
        return
    final = qname
    for rr in result.answer:
        if rr.rdtype == CNAME and rr.name == final:
            final = rr[0].target
    fzone = index.zones.get(result.zone_id or "") if final == qname else None  # a DS from the parent
    fzone = fzone or index.zone_for(view, names.from_dns(final))
    fsigner = index.signers.get(fzone.zone_id) if fzone is not None else None
    proof: dns.rrset.RRset | None = None
    if fzone is not None and fsigner is not None and fzone.neg_soa is not None:
        ttl = fzone.neg_soa.ttl
        if result.rcode == dns.rcode.NXDOMAIN:  # the black lie: the name "exists", without data
            result.rcode = dns.rcode.NOERROR
            proof = fsigner.nsec(final, [], ttl)
        elif not any(rr.name == final for rr in result.answer) and any(rr.rdtype == SOA for rr in result.authority):
            labels = names.from_dns(final)
            types = node_types(fzone, labels)
            if labels == fzone.origin:
                types.append(DNSKEY)
            proof = fsigner.nsec(final, types, ttl)
    result.answer = with_sigs(result.answer, signer_of)
    result.authority = with_sigs(result.authority, signer_of)
    if proof is not None and fsigner is not None:
        result.authority += [proof, fsigner.sign(proof)]

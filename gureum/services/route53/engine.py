"""The sans-IO DNS answer engine: a query's bytes in, the response's bytes out.

The hot path reads the question with a tiny wire reader and answers from a cache of
pre-built responses keyed on (lowercased qname, qtype, qclass, RD/CD bits, EDNS/DO, and the
client's view when private views are set and some zone is private); only
the message id and the question's spelling are patched into the cached bytes, so the query
name's case is preserved. A miss, or any packet the reader does not take (several
questions, other opcodes, EDNS versions, malformed input), goes through dnspython and
`ZoneIndex.lookup`. Nothing here does I/O; server.py wraps it in asyncio listeners.
"""

from __future__ import annotations

import ipaddress
import random
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype

from gureum.services.route53 import metering, names, records, routing
from gureum.services.route53.index import REFUSED, PlainDoc, Result, Zone, ZoneIndex

OUR_UDP_PAYLOAD = 1232  # DNS flag day 2020: avoid fragmentation
CACHE_MAX = 100_000  # answers kept (cleared when full or when any zone changes)
_HDR_NO_EDNS = b"\x00\x01\x00\x00\x00\x00\x00\x00"
_HDR_EDNS = b"\x00\x01\x00\x00\x00\x00\x00\x01"
_AXFR = dns.rdatatype.AXFR
_IXFR = dns.rdatatype.IXFR


_MISSING = object()
_PLAIN_TYPES = (dns.rdatatype.A, dns.rdatatype.AAAA, dns.rdatatype.TXT)  # (Engine._plain)
# The default private views: clients on the host itself are in every VPC ("*", index.EVERY_VPC).
HOST_VIEWS = "*=127.0.0.0/8,::1/128"


class _Routed:
    """A cache slot for a question whose answer a routing policy chooses: the groups that
    decide it. The responses themselves are cached per decision under key + decisions."""

    __slots__ = ("groups",)

    def __init__(self, groups: list[routing.Group]) -> None:
        self.groups = groups


# A cached answer: (full response, truncated response, the zone that answered, what the query is
# billed as: (account, zone id, price table unit) or None (metering.py)).
_Entry = tuple[bytes, bytes, "str | None", "tuple[str, str, str] | None"]


def ecs_address(payload: bytes) -> str | None:
    """The client subnet's address from an EDNS Client Subnet option (RFC 7871), or None
    (source prefix 0: the client asks that its address not be used)."""
    if len(payload) < 4:
        return None
    family, src = payload[0] << 8 | payload[1], payload[2]
    addr = payload[4:]
    if src == 0:
        return None
    if family == 1 and len(addr) <= 4:
        return str(ipaddress.IPv4Address(addr.ljust(4, b"\0")))
    if family == 2 and len(addr) <= 16:
        return str(ipaddress.IPv6Address(addr.ljust(16, b"\0")))
    return None


@dataclass
class PrivateViews:
    """Which clients see which VPCs' private zones: source CIDRs per VPC id."""

    cidrs: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str]] = field(default_factory=list)

    @classmethod
    def from_setting(cls, text: str | None) -> PrivateViews:
        """The `dns.private_views` setting: unset → the host (loopback) is in every VPC, since
        gureum has no VPCs to separate its private zones by; "none" → nobody sees them;
        anything else as `parse` reads it."""
        if text is None or not text.strip():
            return cls.parse(HOST_VIEWS)
        if text.strip().lower() == "none":
            return cls()
        return cls.parse(text)

    @classmethod
    def parse(cls, text: str | None) -> PrivateViews:
        """"vpc-1=10.0.0.0/8,127.0.0.2/32;vpc-2=..." (the dns.private_views setting)."""
        out = cls()
        for part in (text or "").replace("\n", ";").split(";"):
            part = part.strip()
            if not part:
                continue
            vpc, _, nets = part.partition("=")
            for net in nets.split(","):
                if net.strip():
                    out.cidrs.append((ipaddress.ip_network(net.strip(), strict=False), vpc.strip()))
        return out

    def vpcs_for(self, ip: str) -> frozenset[str]:
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return frozenset()
        return frozenset(vpc for net, vpc in self.cidrs if addr.version == net.version and addr in net)


class Engine:
    """Answers DNS messages from a ZoneIndex. `answer()` for UDP and TCP queries."""

    def __init__(self, index: ZoneIndex | None = None, private_views: PrivateViews | None = None) -> None:
        self.index = index or ZoneIndex()
        self.private_views = private_views or PrivateViews()
        self._cache: dict[bytes, _Entry | _Routed] = {}
        # Query logging: fn(zone id, question bytes, rcode, tcp, client ip, ECS payload) or None.
        self.query_log: Callable[[str, bytes, int, bool, str, bytes | None], None] | None = None
        self._zone_id: str | None = None
        self._meter_key: tuple[str, str, str] | None = None
        # Queries answered since the DNS server last took them: (account, zone id, unit) -> n.
        self.metered: dict[tuple[str, str, str], int] = {}
        self._generation = -1
        self._view_of_ip: dict[str, tuple[bytes, frozenset[str]]] = {}
        self._view_ids: dict[frozenset[str], int] = {frozenset(): 0}
        self._ecs_ip: dict[bytes, str | None] = {}  # ECS option payload → the address routing uses
        # Zone transfers (AXFR/IXFR over TCP) are delegated: fn(query, client_ip) -> [bytes].
        self.transfer: Callable[[dns.message.Message, str], list[bytes] | None] | None = None
        self._dynamic = False  # the last respond() chose at random (see _fill)
        self._fallbacks: list[Callable[[bytes], bytes | None]] = []  # see add_fallback
        # Told of each static answer given from the cache (native_dns.py fills its table):
        # fn(cache key without view or ECS, ECS payload or None, the cached entry, client ip).
        self.learn: Callable[[bytes, bytes | None, _Entry, str], None] | None = None
        # ... and of each routed answer given from the cache: fn(key without view or ECS, ECS
        # payload or None, the groups that decided, the decisions' key suffix, the entry, ip,
        # fn(other decisions' key suffix) -> the entry for those, built if not cached yet).
        self.learn_routed: Callable[[bytes, bytes | None, list[routing.Group], bytes, _Entry, str,
                                     Callable[[bytes], _Entry | None]], None] | None = None

    @property
    def has_fallbacks(self) -> bool:
        """Whether another service answers names no hosted zone answers (add_fallback)."""
        return bool(self._fallbacks)

    def add_fallback(self, fn: Callable[[bytes], bytes | None]) -> None:
        """Let `fn(query bytes) -> response bytes or None` answer the queries no hosted zone
        answers (REFUSED), or that a zone above them denies (NXDOMAIN: route53domains' TLD
        zones hold com.): names other services own outside Route 53 (load balancers', API
        Gateway domain names'). Until a fallback is added, `answer` is the plain engine (no
        cost on the hot path)."""
        self._fallbacks.append(fn)
        self.index.generation += 1  # what was answered REFUSED or NXDOMAIN may now be the fallback's
        if len(self._fallbacks) == 1:
            plain = self.answer

            def answer(data: bytes, client_ip: str = "127.0.0.1", tcp: bool = False) -> bytes | list[bytes] | None:
                out = plain(data, client_ip, tcp)
                if isinstance(out, bytes) and len(out) > 3 and out[3] & 15 in (dns.rcode.REFUSED, dns.rcode.NXDOMAIN):
                    for fallback in self._fallbacks:
                        got = fallback(data)
                        if got is not None:
                            return got
                return out
            self.answer = answer  # type: ignore[method-assign]

    def forget_views(self) -> None:
        """After private_views changed: drop what was memoized per client and cached answers."""
        self._view_of_ip.clear()
        self.index.generation += 1

    # --- the hot path -------------------------------------------------------------------
    def answer(self, data: bytes, client_ip: str = "127.0.0.1", tcp: bool = False) -> bytes | list[bytes] | None:
        """The response to one query (None: drop it; a list: a zone transfer's messages,
        TCP only). Over TCP no size limit applies."""
        if self._generation != self.index.generation:
            self._cache.clear()
            self._generation = self.index.generation
        try:
            if data[2] & 0xF8:  # QR set, or an opcode other than QUERY
                return self._slow(data, client_ip, tcp)
            hdr = data[4:12]
            if hdr == _HDR_NO_EDNS:
                edns = False
            elif hdr == _HDR_EDNS:
                edns = True
            else:
                return self._slow(data, client_ip, tcp)
            i = 12
            while True:
                n = data[i]
                if n == 0:
                    break
                if n > 63:
                    return self._slow(data, client_ip, tcp)
                i += n + 1
            if i - 11 > 255:  # a name longer than DNS allows: FORMERR from the slow path
                return self._slow(data, client_ip, tcp)
            end = i + 5
            total = len(data)
            if edns:
                # The OPT RR: root owner, type 41, class = UDP size, ttl = ext-rcode/version/DO
                if total < end + 11 or data[end] != 0 or data[end + 1] != 0 or data[end + 2] != 41 or data[end + 5] or data[end + 6]:
                    return self._slow(data, client_ip, tcp)
                if end + 11 + (data[end + 9] << 8 | data[end + 10]) != total:
                    return self._slow(data, client_ip, tcp)
                size = data[end + 3] << 8 | data[end + 4]
                limit = 512 if size < 512 else (min(OUR_UDP_PAYLOAD, size))
                ekey = 2 if data[end + 7] & 0x80 else 1
                ecs = None
                j = end + 11
                while j + 4 <= total:  # options: only the client subnet changes the answer
                    olen = data[j + 2] << 8 | data[j + 3]
                    if data[j] == 0 and data[j + 1] == 8:
                        ecs = data[j + 4 : j + 4 + olen]
                    j += 4 + olen
                if j != total:
                    return self._slow(data, client_ip, tcp)
            else:
                if end != total:
                    return self._slow(data, client_ip, tcp)
                limit = 512
                ekey = 0
                ecs = None
            if data[end - 2] != 0 or data[end - 1] != 1 or data[end - 4] == 0 and data[end - 3] in (_AXFR, _IXFR):
                return self._slow(data, client_ip, tcp)  # not class IN, or a zone transfer
            key = base = data[12:i].lower() + data[i:end] + bytes(((data[2] & 1) | (data[3] & 0x10), ekey))
            if self.private_views.cidrs and self.index.has_private:  # views matter only then
                hit = self._view_of_ip.get(client_ip)
                key += hit[0] if hit is not None else self._view_key(client_ip)
            if ecs is not None:
                key += b"\x08" + ecs
            entry = self._cache.get(key)
            if entry is None:
                if ecs is None:  # (the name, and the zone it falls in, found once for both)
                    raw = data[12:i].lower()
                    name = _labels(raw)
                    zone = self.index.zone_for(self.index.view(self._vpcs(client_ip)), name)
                    fast = self._nxdomain(data, i, end, client_ip, tcp, raw, name, zone)
                    if fast is not None:
                        return fast
                    entry = self._plain(key, data, i, end, edns, raw, name, zone)
                if entry is None:
                    entry = self._fill(key, data, i, end, edns, client_ip)
                if entry is None:
                    return self._slow(data, client_ip, tcp)
            elif isinstance(entry, _Routed):
                # Decide (a few dict lookups), then answer from the cache of that decision.
                rip: str | None
                if ecs is not None:
                    known = self._ecs_ip.get(ecs, _MISSING)
                    if known is _MISSING:
                        if len(self._ecs_ip) > 65536:
                            self._ecs_ip.clear()
                        rip = self._ecs_ip[ecs] = ecs_address(ecs)
                    else:
                        rip = cast("str | None", known)
                else:
                    rip = client_ip
                routed = entry
                sub = key
                taken: list[tuple[routing.Group, tuple[int, ...]]] = []
                for g in routed.groups:  # from the groups' memos: no Query, no health walk
                    d = g.quick(self.index, rip)
                    if d is None:
                        break
                    taken.append((g, d))
                    sub += bytes((len(d),)) + bytes(d)
                else:
                    decided = cast("_Entry | None", self._cache.get(sub))
                    if decided is not None:
                        mk = decided[3]
                        if mk is not None:
                            self.metered[mk] = self.metered.get(mk, 0) + 1
                        if self.query_log is not None and decided[2] is not None:
                            self.query_log(decided[2], data[12:end], decided[0][3] & 15, tcp, client_ip, ecs)
                        wire = decided[0] if tcp or len(decided[0]) <= limit else decided[1]
                        if self.learn_routed is not None:
                            def other(decisions: bytes, key: bytes = key, rip: str | None = rip, edns: bool = edns,
                                      i: int = i, end: int = end, routed: _Routed = routed) -> _Entry | None:
                                return self._decided(key, decisions, data, i, end, edns, client_ip, rip, routed)
                            self.learn_routed(base, ecs, routed.groups, sub[len(key):], decided, client_ip, other)
                        return data[:2] + wire[2:12] + data[12:i] + wire[i:]
                # A decision not answered yet: keep the ones already drawn (drawing again would
                # favour the decisions whose answers are cached: weighted sets skew).
                q = routing.Query(self.index, rip)
                for g, d in taken:
                    q.decisions[g] = d
                sub = key
                for g in routed.groups:
                    sub += routing.decision_key(q.decide(g))
                entry = self._cache.get(sub)
                if entry is None:
                    entry = self._fill(sub, data, i, end, edns, client_ip, q, routed)
                    if entry is None:
                        return self._slow(data, client_ip, tcp)
            answer = cast(_Entry, entry)  # keys with decisions appended hold answers, never _Routed
            wire = answer[0]
            if not tcp and len(wire) > limit:
                wire = answer[1]
            mk = answer[3]
            if mk is not None:
                self.metered[mk] = self.metered.get(mk, 0) + 1
            if self.query_log is not None and answer[2] is not None:
                self.query_log(answer[2], data[12:end], wire[3] & 15, tcp, client_ip, ecs)
            if self.learn is not None and self._cache.get(key) is entry:  # static, not a routed decision
                self.learn(base, ecs, answer, client_ip)
            return data[:2] + wire[2:12] + data[12:i] + wire[i:]
        except IndexError:
            return self._slow(data, client_ip, tcp)

    def _decided(self, key: bytes, decisions: bytes, data: bytes, i: int, end: int, edns: bool, client_ip: str,
                 rip: str | None, routed: _Routed) -> _Entry | None:
        """The cached answer of question `key` for the given decisions (routing.decision_key
        per group of `routed`), built now if it is not cached: the native table learns every
        member of a weighted pool at once, not when Python's own draw happens to pick it."""
        entry = self._cache.get(key + decisions)
        if entry is not None:
            return cast(_Entry, entry)
        q = routing.Query(self.index, rip)
        o = 0
        for g in routed.groups:
            if o >= len(decisions):
                return None
            n = decisions[o]
            q.decisions[g] = tuple(decisions[o + 1 : o + 1 + n])
            o += 1 + n
        if o != len(decisions):
            return None
        return self._fill(key + decisions, data, i, end, edns, client_ip, q, routed)

    def _view_key(self, client_ip: str) -> bytes:
        """A cache-key suffix naming the view (the VPC set) the client is in."""
        hit = self._view_of_ip.get(client_ip)
        if hit is None:
            vpcs = self.private_views.vpcs_for(client_ip)
            vid = self._view_ids.setdefault(vpcs, len(self._view_ids))
            if len(self._view_of_ip) > 10_000:
                self._view_of_ip.clear()
            hit = self._view_of_ip[client_ip] = (b"%d" % vid, vpcs)
        return hit[0]

    def _nxdomain(self, data: bytes, i: int, end: int, client_ip: str, tcp: bool, raw: bytes,
                  name: tuple[bytes, ...], zone: Zone | None) -> bytes | None:
        """NXDOMAIN built straight from bytes (not cached): random names, the classic flood
        against authoritative servers, cost a few microseconds instead of dnspython. `raw`:
        the question's name lowercased, `name` its labels, `zone` the zone it falls in."""
        if zone is None or not zone.neg_soa_wire or len(name) == len(zone.origin) or zone.public_fallback \
                or not zone.is_nxdomain(name):
            return None
        mk = _static_meter(zone, name, data[i + 1] << 8 | data[i + 2])
        if mk is not None:
            self.metered[mk] = self.metered.get(mk, 0) + 1
        apex = 12 + sum(len(label) + 1 for label in name[: len(name) - len(zone.origin)])
        if end < len(data) and data[end + 7] & 0x80 and self.index.signers:
            zsigner = self.index.signers.get(zone.zone_id)
            if zsigner is not None and zone.neg_soa is not None:  # DO to a signed zone: the black lie
                flags = 0x8400 | (data[2] & 1) << 8 | (data[3] & 0x10)  # QR AA (RD) (CD) NOERROR
                out = data[:2] + struct.pack("!HHHHH", flags, 1, 0, 4, 1) + data[12:end]
                out += zsigner.black_lie_tail(raw + b"\x00", struct.pack("!H", 0xC000 | apex), zone.neg_soa, zone.neg_soa_wire)
                out += _opt(True)
                if self.query_log is not None:
                    self.query_log(zone.zone_id, data[12:end], 0, tcp, client_ip, None)
                return out
        flags = 0x8403 | (data[2] & 1) << 8 | (data[3] & 0x10)  # QR AA (RD) (CD) NXDOMAIN
        out = data[:2] + struct.pack("!HHHHH", flags, 1, 0, 1, 1 if end < len(data) else 0) + data[12:end]
        out += struct.pack("!H", 0xC000 | apex) + zone.neg_soa_wire
        if end < len(data):  # EDNS: our OPT, DO copied
            out += _opt(bool(data[end + 7] & 0x80))
        if self.query_log is not None:
            self.query_log(zone.zone_id, data[12:end], 3, tcp, client_ip, None)
        return out

    def _plain(self, key: bytes, data: bytes, i: int, end: int, edns: bool, raw: bytes, name: tuple[bytes, ...],
               zone: Zone | None) -> _Entry | None:
        """The cache entry of a question whose answer is one plain RRset of the name asked
        (A, AAAA or TXT: no name inside to compress; no routing, wildcard, delegation or
        signing), built straight from bytes: at 1M names most questions are first asked, and
        dnspython's parse, respond and render cost ~100 µs of a first answer. Anything else is
        None: `_fill` answers it. Same bytes as `_fill` (tests/route53/test_engine_plain.py)."""
        qtype = data[end - 4] << 8 | data[end - 3]
        if qtype not in _PLAIN_TYPES:
            return None
        if zone is None or zone.soa is None or zone.zone_id in self.index.signers or zone.find_cut(name, qtype) is not None:
            return None
        node = zone.nodes.get(name)
        if node is None or (zone.policy and (name, qtype) in zone.policy):
            return None
        held = node.held(qtype)
        if held is None:
            return None
        if type(held) is PlainDoc and qtype != dns.rdatatype.TXT:  # addresses: no RRset needed
            family = socket.AF_INET if qtype == dns.rdatatype.A else socket.AF_INET6
            try:
                ttl, wires = int(held.ttl or 0), list(dict.fromkeys(socket.inet_pton(family, v) for v in held.texts))
            except (OSError, ValueError, TypeError):  # (stored values are valid: dnspython's path says otherwise)
                return None
        else:
            rrset = node[qtype]
            ttl, wires = rrset.ttl, [rd.to_wire() for rd in rrset]
        random.shuffle(wires)  # (as dnspython renders an RRset: the cached answer's order is drawn)
        head = 0xC00C.to_bytes(2, "big") + struct.pack("!HHI", qtype, 1, ttl)
        body = b"".join(head + len(w).to_bytes(2, "big") + w for w in wires)
        opt = _opt(bool(data[end + 7] & 0x80)) if edns else b""
        flags = 0x8400 | (data[2] & 1) << 8 | (data[3] & 0x10)  # QR AA (RD) (CD) NOERROR
        question = raw + data[i:end]
        full = struct.pack("!HHHHHH", 0, flags, 1, len(wires), 0, 1 if edns else 0) + question + body + opt
        if len(full) > 65535:
            return None
        truncated = full if len(full) <= 512 else \
            struct.pack("!HHHHHH", 0, flags | 0x0200, 1, 0, 0, 1 if edns else 0) + question + opt
        entry: _Entry = (full, truncated, zone.zone_id, _static_meter(zone, name, qtype, held))
        if len(self._cache) >= CACHE_MAX:
            self._cache.clear()
        self._cache[key] = entry
        return entry

    def _fill(self, key: bytes, data: bytes, i: int, end: int, edns: bool, client_ip: str,
              q: routing.Query | None = None, routed: _Routed | None = None) -> _Entry | None:
        """Build (full, truncated) responses for a canonical (lowercased, id 0) query. With
        `q`/`routed`: the decisions are already taken and `key` names them."""
        canon = b"\x00\x00" + data[2:12] + data[12:i].lower() + data[i:]
        try:
            query = dns.message.from_wire(canon)
        except Exception:  # noqa: BLE001 - any parse failure: the slow path answers FORMERR
            return None
        if q is None:
            q = routing.Query(self.index, self._routing_ip(query, client_ip))
        response = self.respond(query, client_ip, q)
        try:
            full = response.to_wire(max_size=65535)
        except dns.exception.TooBig:  # more than a DNS message can hold: TC even over TCP
            full = None
        if full is not None and len(full) <= 512:
            truncated = full  # fits every client: no second copy
        else:
            response.answer, response.authority, response.additional = [], [], []
            response.flags |= dns.flags.TC
            truncated = response.to_wire()
        entry = (full or truncated, truncated, self._zone_id, self._meter_key)
        if len(self._cache) >= CACHE_MAX:
            self._cache.clear()
        if routed is not None:
            if q.used == routed.groups:
                self._cache[key] = entry
            else:  # this decision consulted more groups (e.g. a routed CNAME chain): learn them
                routed.groups = list(q.used)
            return entry
        if self._dynamic:  # a routing policy chose: cache this decision, mark the question
            self._cache[key] = _Routed(list(q.used))
            sub = key + b"".join(routing.decision_key(q.decisions[g]) for g in q.used)
            self._cache[sub] = entry
            return entry
        self._cache[key] = entry
        return entry

    @staticmethod
    def _routing_ip(query: dns.message.Message, client_ip: str) -> str | None:
        """Where the client is, for routing: the EDNS Client Subnet, else the source."""
        for opt in query.options:
            if opt.otype == dns.edns.ECS:
                return opt.address if opt.srclen else None
        return client_ip

    def _meter(self, zone_id: str, qname: dns.name.Name, rdtype: int, q: routing.Query) -> tuple[str, str, str] | None:
        """What a query answered by `zone_id` is billed as (metering.py), or None (free)."""
        zone = self.index.zones.get(zone_id)
        if zone is None or not zone.account:  # no owner: the registry's own zones (domains) are not billed
            return None
        entries = zone.group((names.from_dns(qname), records.type_name(rdtype)))
        unit = metering.query_unit(zone_id, entries, q.used)
        return (zone.account, zone_id, unit) if unit is not None else None

    def take_metered(self) -> dict[tuple[str, str, str], int]:
        """The queries counted since the last call, (account, zone id, unit) -> n; resets."""
        out, self.metered = self.metered, {}
        return out

    # --- everything else ---------------------------------------------------------------
    def _slow(self, data: bytes, client_ip: str, tcp: bool) -> bytes | list[bytes] | None:
        if len(data) < 12 or data[2] & 0x80:
            return None  # not even a header, or a response: never answer those
        try:
            query = dns.message.from_wire(data)
        except Exception:  # noqa: BLE001 - dnspython raises many types for malformed input
            return _header_only(data, dns.rcode.FORMERR)
        if query.opcode() != dns.opcode.QUERY:
            response = dns.message.make_response(query, our_payload=OUR_UDP_PAYLOAD)
            response.set_rcode(dns.rcode.NOTIMP)
            return response.to_wire()
        if len(query.question) != 1:
            return _header_only(data, dns.rcode.FORMERR)
        q = query.question[0]
        if q.rdtype in (_AXFR, _IXFR) and q.rdclass == dns.rdataclass.IN:
            if tcp and self.transfer is not None:
                messages = self.transfer(query, client_ip)
                if messages is not None:
                    return messages
            if q.rdtype == _AXFR:
                response = dns.message.make_response(query, our_payload=OUR_UDP_PAYLOAD)
                response.set_rcode(dns.rcode.REFUSED if tcp else dns.rcode.FORMERR)
                return response.to_wire()
        response = self.respond(query, client_ip)
        if self._meter_key is not None:
            self.metered[self._meter_key] = self.metered.get(self._meter_key, 0) + 1
        limit = 65535 if tcp else _udp_limit(query)
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            response.answer, response.authority, response.additional = [], [], []
            response.flags |= dns.flags.TC
            return response.to_wire()

    def respond(self, query: dns.message.Message, client_ip: str = "127.0.0.1",
                q: routing.Query | None = None) -> dns.message.Message:
        """The response message to a parsed one-question QUERY (the slow and the fill path)."""
        response = dns.message.make_response(query, our_payload=OUR_UDP_PAYLOAD)
        if q is None:
            q = routing.Query(self.index, self._routing_ip(query, client_ip))
        response.flags |= query.flags & dns.flags.CD
        if query.edns >= 0 and query.ednsflags & dns.flags.DO:
            response.ednsflags |= dns.flags.DO
        self._dynamic = False
        self._zone_id = None
        self._meter_key = None
        if query.edns > 0:
            response.set_rcode(dns.rcode.BADVERS)
            return response
        question = query.question[0]
        if question.rdclass != dns.rdataclass.IN or question.rdtype in (dns.rdatatype.OPT, dns.rdatatype.TSIG, dns.rdatatype.TKEY):
            result = REFUSED if question.rdclass != dns.rdataclass.IN else Result(dns.rcode.FORMERR, aa=False)
        elif question.rdtype == _IXFR:
            result = self.index.lookup(question.name, dns.rdatatype.SOA, self._vpcs(client_ip), q)  # RFC 1995: SOA only over UDP
        else:
            result = self.index.lookup(question.name, question.rdtype, self._vpcs(client_ip), q)
        self._dynamic = result.dynamic
        self._zone_id = result.zone_id
        if result.zone_id is not None:
            self._meter_key = self._meter(result.zone_id, question.name, question.rdtype, q)
        for opt in query.options:
            if opt.otype == dns.edns.ECS:  # RFC 7871: echo, scope = how much of it mattered
                scope = opt.srclen if q.located else 0
                ecs = dns.edns.ECSOption(opt.address, opt.srclen, scope)
                response.use_edns(0, response.ednsflags, OUR_UDP_PAYLOAD, options=[ecs])
                break
        if self.index.signers and response.ednsflags & dns.flags.DO and result.rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            from gureum.services.route53 import signer  # cryptography: only once a zone is signed

            signer.secure(self.index, self.index.view(self._vpcs(client_ip)), result, question.name, question.rdtype)
        response.set_rcode(dns.rcode.Rcode.make(result.rcode))
        if result.aa:
            response.flags |= dns.flags.AA
        response.answer = list(result.answer)
        response.authority = list(result.authority)
        response.additional = list(result.additional)
        return response

    def _vpcs(self, client_ip: str) -> frozenset[str] | None:
        if not self.private_views.cidrs or not self.index.has_private:
            return None
        self._view_key(client_ip)
        return self._view_of_ip[client_ip][1]


def _labels(raw: bytes) -> tuple[bytes, ...]:
    """A question's name (wire form, lowercased, root excluded) as the index's labels."""
    labels = []
    j = 0
    while j < len(raw):
        n = raw[j]
        labels.append(raw[j + 1 : j + 1 + n])
        j += n + 1
    return tuple(labels)


def _opt(do: bool) -> bytes:
    """The OPT RR of a response built from bytes: our payload size, the DO bit copied."""
    return b"\x00\x00\x29" + struct.pack("!HBBHH", OUR_UDP_PAYLOAD, 0, 0, 0x8000 if do else 0, 0)


def _static_meter(zone: Zone, name: tuple[bytes, ...], qtype: int, held: object = None) -> tuple[str, str, str] | None:
    """What a query for (name, qtype) answered by `zone` with no routing is billed as
    (metering.py): nothing for an unowned zone or a name aliasing an AWS resource. `held`:
    what the name's node holds for qtype, when known (a PlainDoc aliases nothing)."""
    if not zone.account:
        return None
    if type(held) is PlainDoc:
        return (zone.account, zone.zone_id, metering.STANDARD)
    unit = metering.query_unit(zone.zone_id, zone.group((name, records.type_name(qtype))), [])
    return (zone.account, zone.zone_id, unit) if unit is not None else None



def _udp_limit(query: dns.message.Message) -> int:
    if query.edns < 0:
        return 512
    return max(512, min(query.payload, OUR_UDP_PAYLOAD))


def _header_only(data: bytes, rcode: int) -> bytes:
    """A bare response header: the query's id, opcode and RD, QR set, the rcode."""
    flags = 0x8000 | (data[2] & 0x79) << 8 | rcode
    return data[:2] + struct.pack("!HHHHH", flags, 0, 0, 0, 0)

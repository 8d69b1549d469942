"""The resolver's cache, sans-IO: answers by (name, type), kept for their TTL (the smallest
TTL of the RRsets that make them); negative answers (NXDOMAIN, NODATA) kept for
min(SOA TTL, SOA minimum) as RFC 2308 section 5 says, capped; an NXDOMAIN also answers
every type of its name. Delegations (zone -> name server addresses) are cached for the NS
TTL. Time is passed in (monotonic seconds), so tests drive it with values."""

from __future__ import annotations

import collections
from dataclasses import dataclass, field

import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset


@dataclass
class Answer:
    """A resolution's outcome: rcode, the answer RRsets (a CNAME chain first) and, for a
    negative answer, the authority's SOA."""

    rcode: int
    answer: list[dns.rrset.RRset] = field(default_factory=list)
    authority: list[dns.rrset.RRset] = field(default_factory=list)
    firewall: dict[str, str] | None = None  # the DNS Firewall's decision, for the query log

    def ttl(self, max_negative: int) -> int:
        if self.rcode == dns.rcode.SERVFAIL:
            return 0
        if self.answer:
            return min(rr.ttl for rr in self.answer)
        soa = [rr for rr in self.authority if rr.rdtype == dns.rdatatype.SOA]
        if not soa:
            return 0
        return int(min(soa[0].ttl, soa[0][0].minimum, max_negative))


Key = tuple[dns.name.Name, int]


class Cache:
    def __init__(self, size: int = 100_000, max_negative: int = 10800) -> None:
        self.size = size
        self.max_negative = max_negative
        self._answers: collections.OrderedDict[Key, tuple[float, float, Answer]] = collections.OrderedDict()
        self._nxdomain: dict[dns.name.Name, tuple[float, float, Answer]] = {}
        self._cuts: dict[dns.name.Name, tuple[float, list[tuple[str, int]]]] = {}
        self.hits = 0
        self.misses = 0

    def put(self, name: dns.name.Name, rdtype: int, answer: Answer, now: float) -> None:
        ttl = answer.ttl(self.max_negative)
        if ttl <= 0:
            return
        entry = (now, now + ttl, answer)
        if answer.rcode == dns.rcode.NXDOMAIN:
            self._nxdomain[name] = entry
        self._answers[(name, rdtype)] = entry
        self._answers.move_to_end((name, rdtype))
        while len(self._answers) > self.size:
            self._answers.popitem(last=False)
        if len(self._nxdomain) > self.size:
            self._nxdomain.clear()

    def get(self, name: dns.name.Name, rdtype: int, now: float) -> tuple[Answer, int] | None:
        """The cached answer and the seconds it has been held (to age its TTLs), or None."""
        for entry in (self._answers.get((name, rdtype)), self._nxdomain.get(name)):
            if entry is not None:
                stored, expires, answer = entry
                if now < expires:
                    self.hits += 1
                    return answer, int(now - stored)
        self.misses += 1
        return None

    def put_cut(self, zone: dns.name.Name, servers: list[tuple[str, int]], ttl: int, now: float) -> None:
        if ttl > 0 and servers:
            self._cuts[zone] = (now + ttl, servers)

    def closest_cut(self, name: dns.name.Name, now: float) -> tuple[dns.name.Name, list[tuple[str, int]]] | None:
        n = name
        while True:
            entry = self._cuts.get(n)
            if entry is not None and now < entry[0]:
                return n, entry[1]
            if n == dns.name.root:
                return None
            n = n.parent()

    def clear(self) -> None:
        self._answers.clear()
        self._nxdomain.clear()
        self._cuts.clear()

    def __len__(self) -> int:
        return len(self._answers)

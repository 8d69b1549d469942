"""Iterative resolution (RFC 1034 section 5.3.3) from gureum's root, with the network
injected: `Resolver(roots, ours, send, cache, ...)`.

- Starts at the closest cached delegation, else at the root servers (`roots()`: gureum's
  DNS listeners, which serve the registry's root zone), asks without RD, and follows
  referrals down (each child zone below the last one: no upward or sideways referrals), with
  glue from the additional section or, for out-of-bailiwick name servers, their addresses
  resolved the same way.
- Only gureum's own name servers are asked (`ours(ip)` maps an address to the (ip, port) of
  gureum's DNS listener, or None): a delegation to anything else leads outside gureum and is
  answered SERVFAIL at once — there is no internet here — unless a FORWARD rule covers the
  name (`rules(name)` -> forward targets or None), whose targets are asked with RD.
- CNAMEs are followed across zones (at most MAX_CHAIN links); answers and negative answers
  are cached (cache.py) and concurrent identical questions share one resolution.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

from gureum.services.route53resolver.cache import Answer, Cache

Server = tuple[str, int]
Send = Callable[[dns.message.Message, Server, bool], Awaitable[dns.message.Message]]
MAX_REFERRALS = 16
MAX_CHAIN = 8
MAX_DEPTH = 6  # nested resolutions (name server addresses, CNAME targets)
NS = dns.rdatatype.NS
CNAME = dns.rdatatype.CNAME
SOA = dns.rdatatype.SOA
ANY = dns.rdatatype.ANY
SERVFAIL = dns.rcode.SERVFAIL


def servfail() -> Answer:
    return Answer(SERVFAIL)


class Resolver:
    def __init__(self, roots: Callable[[], list[Server]], ours: Callable[[str], Server | None], send: Send,
                 cache: Cache, rules: Callable[[dns.name.Name], list[Server] | None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.roots = roots
        self.ours = ours
        self.send = send
        self.cache = cache
        self.rules = rules or (lambda name: None)
        self.clock = clock
        self._inflight: dict[tuple[dns.name.Name, int], asyncio.Future[Answer]] = {}
        self.upstream_queries = 0

    async def resolve(self, qname: dns.name.Name, qtype: int, depth: int = 0) -> tuple[Answer, int]:
        """The answer for (qname, qtype) in class IN and the seconds it has been cached (0 when
        fresh), following CNAMEs."""
        qname = qname.canonicalize()
        hit = self.cache.get(qname, qtype, self.clock())
        if hit is not None:
            return hit
        key = (qname, qtype)
        running = self._inflight.get(key)
        if running is not None and depth == 0:  # (a nested one might be waiting on itself)
            return await asyncio.shield(running), 0
        if running is not None:
            answer = await self._resolve(qname, qtype, depth)
            self.cache.put(qname, qtype, answer, self.clock())
            return answer, 0
        fut: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._inflight[key] = fut
        try:
            answer = await self._resolve(qname, qtype, depth)
            self.cache.put(qname, qtype, answer, self.clock())
            fut.set_result(answer)
            return answer, 0
        except BaseException as exc:
            fut.set_exception(exc)
            fut.exception()  # retrieved: waiters get it, nobody else needs to
            raise
        finally:
            del self._inflight[key]

    async def _resolve(self, qname: dns.name.Name, qtype: int, depth: int) -> Answer:
        if depth > MAX_DEPTH:
            return servfail()
        forward = self.rules(qname)
        if forward is not None:
            return await self._forward(qname, qtype, forward)
        answer = await self._iterate(qname, qtype, depth)
        chain = answer.answer
        if answer.rcode != dns.rcode.NOERROR or not chain or qtype in (CNAME, ANY) or chain[-1].rdtype != CNAME:
            return answer
        if len(chain) >= MAX_CHAIN:
            return servfail()
        target = chain[-1][0].target
        if any(rr.name == target for rr in chain):
            return servfail()  # a loop
        rest, _ = await self.resolve(target, qtype, depth + 1)
        if rest.rcode == SERVFAIL:
            return rest
        return Answer(rest.rcode, chain + rest.answer, rest.authority)

    async def _forward(self, qname: dns.name.Name, qtype: int, targets: list[Server]) -> Answer:
        q = dns.message.make_query(qname, dns.rdatatype.RdataType.make(qtype), use_edns=0, payload=1232)
        q.flags |= dns.flags.RD
        resp = await self._ask(q, targets)
        if resp is None or resp.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            return servfail()
        return Answer(resp.rcode(), list(resp.answer), [rr for rr in resp.authority if rr.rdtype == SOA])

    async def _ask(self, q: dns.message.Message, servers: list[Server]) -> dns.message.Message | None:
        for server in servers:
            self.upstream_queries += 1
            try:
                resp = await self.send(q, server, False)
                if resp.flags & dns.flags.TC:
                    resp = await self.send(q, server, True)
                return resp
            except (OSError, EOFError, dns.exception.DNSException, asyncio.TimeoutError):
                continue
        return None

    async def _iterate(self, name: dns.name.Name, qtype: int, depth: int) -> Answer:
        cut = self.cache.closest_cut(name, self.clock())
        if cut is not None:
            zone, servers = cut
        else:
            zone, servers = dns.name.root, self.roots()
        for _ in range(MAX_REFERRALS):
            if not servers:
                return servfail()
            q = dns.message.make_query(name, dns.rdatatype.RdataType.make(qtype), use_edns=0, payload=1232)
            q.flags &= ~dns.flags.RD
            resp = await self._ask(q, servers)
            if resp is None:
                return servfail()
            rcode = resp.rcode()
            if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                return servfail()  # REFUSED, SERVFAIL...: a lame server
            chain = _chain(resp, name, qtype)
            negative = [rr for rr in resp.authority if rr.rdtype == SOA]
            if rcode == dns.rcode.NXDOMAIN:
                return Answer(rcode, chain, negative)
            if chain:
                return Answer(rcode, chain, [])
            ns = [rr for rr in resp.authority if rr.rdtype == NS]
            if resp.flags & dns.flags.AA or not ns:
                return Answer(rcode, [], negative) if negative or resp.flags & dns.flags.AA else servfail()
            child = ns[0].name
            if child == zone or not child.is_subdomain(zone) or not name.is_subdomain(child):
                return servfail()  # a referral that does not lead down
            servers = await self._addresses(ns[0], resp, child, depth)
            if not servers:
                return servfail()  # the delegation leads outside gureum
            self.cache.put_cut(child, servers, ns[0].ttl, self.clock())
            zone = child
        return servfail()

    async def _addresses(self, ns: dns.rrset.RRset, resp: dns.message.Message, child: dns.name.Name,
                         depth: int) -> list[Server]:
        glue: dict[dns.name.Name, list[str]] = {}
        for rr in resp.additional:
            if rr.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                glue.setdefault(rr.name, []).extend(x.address for x in rr)
        out: list[Server] = []
        for rd in ns:
            target = rd.target
            ips = glue.get(target)
            if ips is None and not target.is_subdomain(child):  # out of bailiwick: resolve it
                found, _ = await self.resolve(target, dns.rdatatype.A, depth + 1)
                ips = [x.address for rr in found.answer if rr.rdtype == dns.rdatatype.A for x in rr]
            for ip in ips or ():
                server = self.ours(ip)
                if server is not None and server not in out:
                    out.append(server)
        return out


def _chain(resp: dns.message.Message, name: dns.name.Name, qtype: int) -> list[dns.rrset.RRset]:
    """The answer section's RRsets for `name`: the RRset of `qtype`, or a CNAME chain (ending
    in the RRset of `qtype` when the response has it); ANY: every RRset of `name`."""
    if qtype == ANY:
        return [rr for rr in resp.answer if rr.name == name]
    out: list[dns.rrset.RRset] = []
    cur = name
    for _ in range(MAX_CHAIN):
        found = next((rr for rr in resp.answer if rr.name == cur and rr.rdtype == qtype), None)
        if found is not None:
            out.append(found)
            return out
        cname = next((rr for rr in resp.answer if rr.name == cur and rr.rdtype == CNAME), None)
        if cname is None:
            return out
        out.append(cname)
        cur = cname[0].target
    return out

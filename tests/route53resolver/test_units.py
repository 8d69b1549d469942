"""The resolver's sans-IO parts on values: the cache (TTLs, RFC 2308 negative TTLs, NXDOMAIN
for every type), firewall decisions (exact, wildcard, priorities, ALERT), iteration against a
fake network (referrals down only, SERVFAIL for what leads outside gureum, CNAMEs across
zones), and the wire responder (RA, FORMERR, NOTIMP, BADVERS, TC, the byte cache patching
the id and the name's case)."""

from __future__ import annotations

import asyncio

import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdatatype
import dns.rrset

from gureum.services.route53resolver.cache import Answer, Cache
from gureum.services.route53resolver.fwdecide import Firewall, compile_rule
from gureum.services.route53resolver.iterate import Resolver
from gureum.services.route53resolver.wire import Responder

N = dns.name.from_text


def rr(text: str) -> dns.rrset.RRset:
    name, ttl, cls, rtype, *rest = text.split()
    return dns.rrset.from_text(name, int(ttl), cls, rtype, " ".join(rest))


def test_cache_keeps_answers_for_their_ttl_and_negative_answers_for_the_soa_minimum() -> None:
    c = Cache(max_negative=3600)
    c.put(N("a.test."), 1, Answer(0, [rr("a.test. 60 IN A 192.0.2.1")]), now=100.0)
    assert c.get(N("a.test."), 1, 159.0) is not None and c.get(N("a.test."), 1, 160.0) is None
    soa = rr("test. 900 IN SOA ns.test. h.test. 1 2 3 4 300")
    c.put(N("gone.test."), 1, Answer(dns.rcode.NXDOMAIN, [], [soa]), now=0.0)
    hit = c.get(N("gone.test."), 28, 299.0)  # NXDOMAIN answers every type of the name
    assert hit is not None and hit[0].rcode == dns.rcode.NXDOMAIN and hit[1] == 299
    assert c.get(N("gone.test."), 28, 300.0) is None  # min(900, minimum 300)
    c.put(N("x.test."), 1, Answer(dns.rcode.SERVFAIL), now=0.0)
    assert c.get(N("x.test."), 1, 0.0) is None  # failures are not cached


def test_firewall_wildcards_priorities_and_alerts() -> None:
    fw = Firewall()
    allow = compile_rule({"Action": "ALLOW", "Name": "allow"}, ["ok.ads.test."], "g1")
    block = compile_rule({"Action": "BLOCK", "BlockResponse": "NXDOMAIN", "Name": "block"}, ["*.ads.test."], "g1")
    alert = compile_rule({"Action": "ALERT", "Name": "alert"}, ["*"], "g2")
    fw.load([[allow, block], [alert]])
    assert fw.decide(N("ok.ads.test.")) is not None and fw.decide(N("ok.ads.test.")).action == "ALLOW"  # type: ignore[union-attr]
    d = fw.decide(N("x.y.ads.test."))
    assert d is not None and d.action == "BLOCK" and d.rule is block
    d = fw.decide(N("ads.test."))  # "*.ads.test" is not ads.test itself: only the ALERT matches
    assert d is not None and d.action == "ALLOW" and d.alerts == [alert]
    fw.load([])
    assert fw.decide(N("ads.test.")) is None


class FakeNet:
    """Authoritative servers by address: each answers from a dict of (name, type) -> message maker."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    async def send(self, q: dns.message.Message, server: tuple[str, int], tcp: bool) -> dns.message.Message:
        name, rdtype = q.question[0].name, q.question[0].rdtype
        self.asked.append((server[0], name.to_text()))
        r = dns.message.make_response(q)
        if server[0] == "10.0.0.1":  # the root: refers test. down, and "up." upward (lame)
            if name.is_subdomain(N("test.")):
                r.authority.append(rr("test. 3600 IN NS ns.test."))
                r.additional.append(rr("ns.test. 3600 IN A 10.0.0.2"))
            elif name.is_subdomain(N("out.")):
                r.authority.append(rr("out. 3600 IN NS ns.elsewhere."))
                r.additional.append(rr("ns.elsewhere. 3600 IN A 198.51.100.1"))
            else:
                r.set_rcode(dns.rcode.NXDOMAIN)
                r.authority.append(rr(". 86400 IN SOA a. b. 1 2 3 4 60"))
            return r
        r.flags |= dns.flags.AA
        if name == N("www.test.") and rdtype == dns.rdatatype.A:
            r.answer.append(rr("www.test. 300 IN CNAME web.test."))
            r.answer.append(rr("web.test. 300 IN A 192.0.2.80"))
        elif name == N("alias.test."):
            r.answer.append(rr("alias.test. 300 IN CNAME target.other."))
        else:
            r.set_rcode(dns.rcode.NXDOMAIN)
            r.authority.append(rr("test. 900 IN SOA ns.test. h.test. 1 2 3 4 60"))
        return r


def resolver(net: FakeNet) -> Resolver:
    ours = {"10.0.0.1", "10.0.0.2"}
    return Resolver(lambda: [("10.0.0.1", 53)], lambda ip: (ip, 53) if ip in ours else None, net.send, Cache())


def test_iteration_follows_referrals_and_cnames_and_fails_fast_outside() -> None:
    net = FakeNet()
    res = resolver(net)

    async def go() -> None:
        a, _ = await res.resolve(N("www.test."), dns.rdatatype.A)
        assert a.rcode == 0 and [x.rdtype for x in a.answer] == [dns.rdatatype.CNAME, dns.rdatatype.A]
        asked = len(net.asked)
        b, _ = await res.resolve(N("www.test."), dns.rdatatype.A)  # cached
        assert b.answer == a.answer and len(net.asked) == asked
        c, _ = await res.resolve(N("nope.test."), dns.rdatatype.A)  # the test. cut is cached: no root query
        assert c.rcode == dns.rcode.NXDOMAIN and net.asked[-1][0] == "10.0.0.2"
        d, _ = await res.resolve(N("x.out."), dns.rdatatype.A)
        assert d.rcode == dns.rcode.SERVFAIL and not any(ip == "198.51.100.1" for ip, _ in net.asked)
        e, _ = await res.resolve(N("alias.test."), dns.rdatatype.A)  # CNAME out of the zone: the target is NXDOMAIN at the root
        assert e.rcode == dns.rcode.NXDOMAIN and e.answer[0].rdtype == dns.rdatatype.CNAME

    asyncio.run(go())


def test_wire_responder_sets_ra_refuses_malformed_and_patches_cached_bytes() -> None:
    async def resolve(name: dns.name.Name, rdtype: int) -> tuple[Answer, int]:
        if name == N("big.test."):
            rrs = dns.rrset.from_text_list(name, 300, "IN", "TXT", [f'"{i}' + "x" * 200 + '"' for i in range(10)])
            return Answer(0, [rrs]), 0
        return Answer(0, [dns.rrset.from_text(name, 300, "IN", "A", "192.0.2.1")]), 0

    w = Responder(resolve, clock=lambda: 0.0)

    async def go() -> None:
        q = dns.message.make_query("Www.Test.", "A")
        r = dns.message.from_wire(await w.answer(q.to_wire(), False) or b"")
        assert r.flags & dns.flags.RA and not r.flags & dns.flags.AA and r.answer
        q2 = dns.message.make_query("wWW.tEST.", "A")
        fast = w.answer_nowait(q2.to_wire(), False)
        assert fast is not None
        r2 = dns.message.from_wire(fast)
        assert r2.id == q2.id and r2.question[0].name.to_text() == "wWW.tEST."
        assert (await w.answer(b"\x12\x34\x01\x00\x00\x01", False)) is None  # not even a header: dropped
        bad = await w.answer(b"\x12\x34\x01\x00\x00\x01" + b"\x00" * 6, False)  # a question promised, none sent
        assert bad is not None and bad[:2] == b"\x12\x34" and bad[3] & 0x0F == dns.rcode.FORMERR and bad[2] & 0x80
        notify = dns.message.make_query("test.", "SOA")
        notify.set_opcode(dns.opcode.NOTIFY)
        assert dns.message.from_wire(await w.answer(notify.to_wire(), False) or b"").rcode() == dns.rcode.NOTIMP
        v1 = dns.message.make_query("a.test.", "A", use_edns=1)
        assert dns.message.from_wire(await w.answer(v1.to_wire(), False) or b"").rcode() == dns.rcode.BADVERS
        big = dns.message.from_wire(await w.answer(dns.message.make_query("big.test.", "TXT").to_wire(), False) or b"")
        assert big.flags & dns.flags.TC and not big.answer  # 512 bytes without EDNS
        whole = dns.message.from_wire(await w.answer(dns.message.make_query("big.test.", "TXT").to_wire(), True) or b"")
        assert not whole.flags & dns.flags.TC and whole.answer

    asyncio.run(go())

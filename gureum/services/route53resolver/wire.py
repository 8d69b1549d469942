"""The resolver's answers on the wire, sans-IO: `Responder` turns a query's bytes into the
response's bytes around a resolve function.

Hot path: responses from the cache are kept as bytes keyed on the query with its name
lower-cased (everything but the id and the name's spelling); a hit patches the id and the
question's spelling in. Kept at most one second (TTLs age in whole seconds) and never past
the answer's own TTL. Everything else goes through dnspython: FORMERR for malformed queries,
NOTIMP for other opcodes, REFUSED for other classes, responses dropped; RA is always set, AA
never; TC when an answer does not fit the client's UDP size (512 without EDNS)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rrset

from gureum.services.route53resolver.cache import Answer

Resolve = Callable[[dns.name.Name, int], Awaitable[tuple[Answer, int]]]
# (query name, type, client address, client port, tcp, answer): the query log's hook
Record = Callable[[str, int, str, int, bool, Answer], None]
FAST_MAX = 50_000
OUR_PAYLOAD = 1232


def question_end(data: bytes) -> int | None:
    """Offset just past the question's type and class when `data` is a plain query with one
    question and nothing but possibly an OPT record after it; None otherwise."""
    if len(data) < 17 or data[2] & 0xF8 or data[4:6] != b"\x00\x01" or data[6:10] != b"\x00\x00\x00\x00":
        return None  # a response, another opcode, several questions, answers or authority
    i = 12
    while True:
        if i >= len(data):
            return None
        n = data[i]
        if n == 0:
            break
        if n > 63:
            return None  # compression in a question: leave it to dnspython
        i += n + 1
    end = i + 5
    return end if end <= len(data) else None


def fast_key(data: bytes, qend: int, tcp: bool) -> bytes:
    return (b"T" if tcp else b"U") + data[2:12] + data[12:qend].lower() + data[qend:]


class Responder:
    def __init__(self, resolve: Resolve, clock: Callable[[], float] = time.monotonic) -> None:
        self.resolve = resolve
        self.clock = clock
        self._fast: dict[bytes, tuple[float, bytes]] = {}
        self.record: Record | None = None  # set while queries are logged (the byte cache is bypassed)

    def answer_nowait(self, data: bytes, tcp: bool) -> bytes | None:
        """The response from the byte cache, or None (ask `answer`)."""
        qend = question_end(data)
        if qend is None or self.record is not None:
            return None
        entry = self._fast.get(fast_key(data, qend, tcp))
        if entry is None:
            return None
        until, wire = entry
        if self.clock() >= until:
            return None
        return data[:2] + wire[2:12] + data[12:qend] + wire[qend:]

    async def answer(self, data: bytes, tcp: bool, client: tuple[str, int] = ("127.0.0.1", 0)) -> bytes | None:
        try:
            q = dns.message.from_wire(data)
        except dns.message.ShortHeader:
            return None
        except dns.exception.DNSException:
            return _formerr(data)
        if q.flags & dns.flags.QR:
            return None
        response = dns.message.make_response(q)
        response.flags |= dns.flags.RA
        response.flags &= ~dns.flags.AA
        if q.edns > 0:
            response.use_edns(0, payload=OUR_PAYLOAD)
            response.set_rcode(dns.rcode.BADVERS)
            return response.to_wire()
        if q.edns == 0:
            response.use_edns(0, payload=OUR_PAYLOAD, options=[])
        if q.opcode() != dns.opcode.QUERY:
            response.set_rcode(dns.rcode.NOTIMP)
            return response.to_wire()
        if len(q.question) != 1:
            response.set_rcode(dns.rcode.FORMERR)
            return response.to_wire()
        question = q.question[0]
        if question.rdclass != dns.rdataclass.IN:
            response.set_rcode(dns.rcode.REFUSED)
            return response.to_wire()
        result, age = await self.resolve(question.name, question.rdtype)
        if self.record is not None:
            self.record(question.name.to_text(), question.rdtype, client[0], client[1], tcp, result)
        response.set_rcode(dns.rcode.Rcode.make(result.rcode))
        response.answer = [_aged(rr, age) for rr in result.answer]
        response.authority = [_aged(rr, age) for rr in result.authority]
        limit = 65535 if tcp else (max(512, q.payload) if q.edns >= 0 else 512)
        try:
            wire = response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            response.answer, response.authority, response.additional = [], [], []
            response.flags |= dns.flags.TC
            wire = response.to_wire()
        ttl = result.ttl(10800) - age
        qend = question_end(data)
        if qend is not None and ttl > 1 and result.rcode != dns.rcode.SERVFAIL:
            if len(self._fast) >= FAST_MAX:
                self._fast.clear()
            self._fast[fast_key(data, qend, tcp)] = (self.clock() + 1.0, wire)
        return wire

    def forget(self) -> None:
        self._fast.clear()


def _aged(rrset: dns.rrset.RRset, age: int) -> dns.rrset.RRset:
    if age <= 0:
        return rrset
    out = dns.rrset.RRset(rrset.name, rrset.rdclass, rrset.rdtype)
    for rd in rrset:
        out.add(rd)
    out.ttl = max(0, rrset.ttl - age)
    return out


def _formerr(data: bytes) -> bytes | None:
    if len(data) < 12 or data[2] & 0x80:
        return None
    # id, QR + the query's opcode and RD, RA, FORMERR; no sections
    flags = 0x8000 | (data[2] << 8 & 0x7900) | 0x0080 | dns.rcode.FORMERR
    return data[:2] + flags.to_bytes(2, "big") + b"\x00" * 8

"""Load balancers' DNS names answered by gureum's DNS server: `fn(query) -> response` for the
queries no hosted zone answers (route53/port.py `answer_unzoned`). A load balancer's
DNSName (`…elb.amazonaws.com`) and its local name (`<name>-<id>.<region>.elb.localhost`)
have an A record with its own address (TTL 60, as AWS's); other types get an empty NOERROR
answer; any other name is left to the next answerer (None)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import dns.exception
import dns.flags
import dns.message
import dns.rdataclass
import dns.rdatatype
import dns.rrset

TTL = 60


def answer(query: bytes, names: Mapping[str, str]) -> bytes | None:
    try:
        msg = dns.message.from_wire(query)
    except dns.exception.DNSException:
        return None
    if len(msg.question) != 1:
        return None
    q = msg.question[0]
    address = names.get(q.name.to_text(omit_final_dot=True).lower())
    if address is None or q.rdclass != dns.rdataclass.IN:
        return None
    resp = dns.message.make_response(msg)
    resp.flags |= dns.flags.AA
    if q.rdtype in (dns.rdatatype.A, dns.rdatatype.ANY):
        resp.answer.append(dns.rrset.from_text(q.name, TTL, "IN", "A", address))
    return resp.to_wire()


def alias(name: str, names: Mapping[str, str]) -> list[str] | None:
    """The addresses a Route 53 alias to load balancer DNS name `name` answers with (any case,
    a trailing dot and the `dualstack.` prefix AWS's consoles add allowed)."""
    key = name.lower().rstrip(".")
    key = key.removeprefix("dualstack.")
    address = names.get(key)
    return [address] if address else None


def answerer(names: Callable[[], Mapping[str, str]]) -> Callable[[bytes], bytes | None]:
    return lambda query: answer(query, names())

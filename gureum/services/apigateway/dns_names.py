"""Custom domain names in gureum's DNS (the apigateway component): a domain name's regional
name (`d-xxxx.execute-api.<region>.amazonaws.com`) and edge name (`dxxxx.cloudfront.net`)
answer A queries with gureum's address (route53/port.py `answer_unzoned`), and a Route 53
alias record whose AliasTarget names one of them with API Gateway's regional hosted zone ids
(domains.HOSTED_ZONES, AWS's published ids) or CloudFront's (domains.CLOUDFRONT_ZONE) answers
with that address too (`resolve_aliases`): the custom domain then resolves to gureum, which
serves it by Host header (gateway.handle_domain).

The names live in memory on each node (`Names.names`: lowercased name -> address), read from
the store at start and again after every domains.TOPIC event; the DNS server asks them
synchronously. Until the first domain name exists nothing is put on the DNS server. The
names answer A queries (TTL 60) and other types with an empty NOERROR, authoritatively."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import TYPE_CHECKING

import dns.exception
import dns.flags
import dns.message
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from gureum.services.apigateway import domains
from gureum.services.apigateway.directory import follow
from gureum.services.route53 import port as route53
from gureum.services.route53.slots import DNS

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.services.route53.server import DnsServer
    from gureum.store import Event, Txn

ZONE_IDS = sorted({*domains.HOSTED_ZONES.values(), domains.CLOUDFRONT_ZONE})
TTL = 60


def answer(query: bytes, names: dict[str, str]) -> bytes | None:
    """The authoritative response to a query for one of `names` (an A record for A/ANY,
    empty NOERROR for other types); None for any other name or a malformed query."""
    try:
        msg = dns.message.from_wire(query)
    except dns.exception.DNSException:
        return None
    if len(msg.question) != 1 or msg.question[0].rdclass != dns.rdataclass.IN:
        return None
    question = msg.question[0]
    to = names.get(question.name.to_text(omit_final_dot=True).lower())
    if to is None:
        return None
    response = dns.message.make_response(msg)
    response.flags |= dns.flags.AA
    if question.rdtype in (dns.rdatatype.A, dns.rdatatype.ANY):
        response.answer.append(dns.rrset.from_text(question.name, TTL, "IN", "A", to))
    wire: bytes = response.to_wire()
    return wire


def alias_target(name: str, names: dict[str, str]) -> list[str] | None:
    """The addresses of an alias to `name` (any case, a trailing dot allowed)."""
    to = names.get(name.lower().rstrip("."))
    return [to] if to else None


def address(host: str) -> str:
    """The IPv4 address gureum's API listener answers on: its bind address, or loopback for
    a wildcard, a loopback or an IPv6 bind."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return "127.0.0.1"
    if ip.version != 4 or ip.is_unspecified:
        return "127.0.0.1"
    return str(ip)


def names_of(txn: Txn, to: str) -> dict[str, str]:
    """Every domain name's regional and edge names -> `to`."""
    out: dict[str, str] = {}
    for _, doc in txn.scan(domains.DOMAINS):
        for field in ("regionalDomainName", "distributionDomainName"):
            if doc.get(field):
                out[str(doc[field]).lower()] = to
    return out


class Names:
    def __init__(self, app: App, server: DnsServer) -> None:
        self.app, self.server = app, server
        self.to = address(app.config.host)
        self.names: dict[str, str] = {}
        self.served = False
        self.stale = True
        self._lock = asyncio.Lock()

    def on_event(self, event: Event) -> None:
        self.stale = True
        self.app.spawn(self.reload(), name="apigateway-dns")

    async def reload(self) -> None:
        async with self._lock:  # one read at a time: an older read never lands after a newer one
            if not self.stale:
                return
            self.stale = False
            to = self.to
            names = await self.app.store.read(lambda t: names_of(t, to))
            if names != self.names:
                self._serve(names)

    def _serve(self, names: dict[str, str]) -> None:
        self.names = names
        if not self.served and names:
            route53.answer_unzoned(self.server, lambda query: answer(query, self.names))
            route53.resolve_aliases(self.server, ZONE_IDS, lambda name: alias_target(name, self.names))
            self.served = True
        elif self.served:
            route53.refresh_aliases(self.server)


async def run(app: App) -> None:
    """Component: once the node's DNS server listens, answer the domain names' names on it."""
    app.set_status("apigateway", "running")  # the API and the data plane serve already
    server = await app.parts.wait(DNS, None)
    names = Names(app, server)
    follow(app, domains.TOPIC, names.on_event)
    await names.reload()

"""Zone transfers to secondaries: AXFR and IXFR over TCP to allowed clients, and NOTIFY to
configured secondaries after each change, so BIND, NSD or Knot can serve gureum's zones.

Settings (`--set KEY=VALUE` or GUREUM_DNS_*):
  dns.allow_transfer  source CIDRs allowed to transfer public zones, comma-separated
                      (default: none, every transfer is REFUSED)
  dns.notify          secondaries to NOTIFY after each change: host[:port],... (default: none)

IXFR answers from the last HISTORY_KEEP changes the server has applied since it started
(index.Zone.history); older serials, or a fresh start, get the whole zone (RFC 1995 allows
an AXFR-style answer to any IXFR).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from typing import TYPE_CHECKING, Any

import dns.exception
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from gureum.services.route53 import names
from gureum.services.route53.index import Zone, ZoneIndex

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.services.route53.server import DnsServer

log = logging.getLogger("gureum.dns.xfr")
MESSAGE_BUDGET = 16_000  # bytes of RRs per transfer message
NOTIFY_TRIES = 5
NOTIFY_TIMEOUT = 2.0


def parse_networks(text: str | None) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(p.strip(), strict=False) for p in (text or "").split(",") if p.strip()]


def parse_targets(text: str | None) -> list[tuple[str, int]]:
    out = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        if part.startswith("["):  # [v6]:port
            host, _, port = part[1:].partition("]:")
        elif part.count(":") == 1:
            host, _, port = part.partition(":")
        else:
            host, port = part, ""
        out.append((host, int(port or 53)))
    return out


class Transfers:
    """The engine's transfer hook: fn(query, client_ip) -> the response messages."""

    def __init__(self, index: ZoneIndex, allow: list[Any]) -> None:
        self.index = index
        self.allow = allow

    def allowed(self, client_ip: str) -> bool:
        try:
            addr = ipaddress.ip_address(client_ip)
        except ValueError:
            return False
        return any(addr.version == net.version and addr in net for net in self.allow)

    def __call__(self, query: dns.message.Message, client_ip: str) -> list[bytes]:
        q = query.question[0]
        if not self.allowed(client_ip):
            return [_error(query, dns.rcode.REFUSED)]
        zone = self.index.public.get(names.from_dns(q.name))
        if zone is None or zone.soa is None:
            return [_error(query, dns.rcode.NOTAUTH)]
        if q.rdtype == dns.rdatatype.IXFR:
            client_serial = _ixfr_serial(query)
            if client_serial is None:
                return [_error(query, dns.rcode.FORMERR)]
            if client_serial == zone.serial or _serial_gt(client_serial, zone.serial):
                return _messages(query, [zone.soa])  # up to date: the SOA alone
            deltas = _deltas_since(zone, client_serial)
            if deltas is not None:
                return _messages(query, _ixfr_records(zone, deltas))
        return _messages(query, zone.rrsets() + [zone.soa])


def _ixfr_serial(query: dns.message.Message) -> int | None:
    for rrset in query.authority:
        if rrset.rdtype == dns.rdatatype.SOA and len(rrset):
            return rrset[0].serial
    return None


def _serial_gt(a: int, b: int) -> bool:
    """RFC 1982 serial arithmetic: a > b."""
    return a != b and ((a - b) % 2**32) < 2**31


def _deltas_since(zone: Zone, serial: int) -> list | None:
    deltas = list(zone.history)
    for i, d in enumerate(deltas):
        if d.old_serial == serial:
            chain = deltas[i:]
            if all(chain[j].new_serial == chain[j + 1].old_serial for j in range(len(chain) - 1)) and chain[-1].new_serial == zone.serial:
                return chain
            return None
    return None


def _soa_with_serial(soa: dns.rrset.RRset, serial: int) -> dns.rrset.RRset:
    rrset = dns.rrset.RRset(soa.name, dns.rdataclass.IN, dns.rdatatype.SOA)
    rrset.add(soa[0].replace(serial=serial), soa.ttl)
    return rrset


def _ixfr_records(zone: Zone, deltas: list) -> list[dns.rrset.RRset]:
    soa = zone.soa
    assert soa is not None  # a zone being transferred has its SOA
    out = [soa]
    for d in deltas:
        out.append(_soa_with_serial(soa, d.old_serial))
        out.extend(d.removed)
        out.append(_soa_with_serial(soa, d.new_serial))
        out.extend(d.added)
    out.append(soa)
    return out


def _error(query: dns.message.Message, rcode: int) -> bytes:
    response = dns.message.make_response(query)
    response.set_rcode(dns.rcode.Rcode.make(rcode))
    return response.to_wire()


def _messages(query: dns.message.Message, rrsets: list[dns.rrset.RRset]) -> list[bytes]:
    """Split RRsets over as many messages as needed (each ≤ 64 KiB; RRsets kept whole
    unless one alone is bigger)."""
    out: list[bytes] = []
    batch: list[dns.rrset.RRset] = []
    size = 0
    for rrset in rrsets:
        est = sum(len(rd.to_digestable()) + len(rrset.name) + 12 for rd in rrset)
        if batch and size + est > MESSAGE_BUDGET:
            out.append(_one(query, batch, first=not out))
            batch, size = [], 0
        batch.append(rrset)
        size += est
    out.append(_one(query, batch, first=not out))
    return out


def _one(query: dns.message.Message, rrsets: list[dns.rrset.RRset], first: bool) -> bytes:
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA
    if not first:
        response.question = []
    response.answer = list(rrsets)
    return response.to_wire(max_size=65535)


# --- NOTIFY ------------------------------------------------------------------------------------------
async def notify(zone_name: str, serial: int, soa: dns.rrset.RRset | None, target: tuple[str, int]) -> bool:
    """Send NOTIFY (RFC 1996) until the secondary acknowledges it or the tries run out."""
    import dns.asyncquery  # with its backends and TLS/QUIC helpers: only when notifying

    msg = dns.message.make_query(zone_name, dns.rdatatype.SOA)
    msg.flags = dns.flags.AA  # (flags hold the opcode too: set them first)
    msg.set_opcode(dns.opcode.NOTIFY)
    if soa is not None:
        msg.answer.append(soa)
    host, port = target
    for attempt in range(NOTIFY_TRIES):
        try:
            response = await dns.asyncquery.udp(msg, host, timeout=NOTIFY_TIMEOUT, port=port)
            if response.opcode() == dns.opcode.NOTIFY:
                return True
        except (dns.exception.DNSException, OSError) as exc:
            log.debug("NOTIFY %s to %s:%s failed (try %d): %s", zone_name, host, port, attempt + 1, exc)
        await asyncio.sleep(min(2**attempt, 10))
    log.warning("NOTIFY %s (serial %s) to %s:%s was not acknowledged", zone_name, serial, host, port)
    return False


async def attach(app: App, server: DnsServer) -> None:
    """Hook transfers and NOTIFY into a running DNS server (configured by dns.* settings),
    and tell the model whether SOA serials must move with changes (they do when zones are
    transferred: model.py's docstring)."""
    from gureum.services.route53 import model
    from gureum.services.route53.settings import Route53Settings

    settings = app.settings(Route53Settings)
    allow = parse_networks(settings.allow_transfer)
    server.engine.transfer = Transfers(server.index, allow)
    targets = parse_targets(settings.notify)
    increment = bool(allow or targets)
    await app.store.run(lambda txn: model.set_serial_increments(txn, increment))
    if not targets:
        return

    def on_change(zone_id: str) -> None:
        zone = server.index.zones.get(zone_id)
        if zone is None or zone.private or zone.soa is None:
            return
        for target in targets:
            app.spawn(notify(names.to_text(zone.origin), zone.serial, zone.soa, target), name=f"dns-notify-{zone_id}")

    server.on_change.append(on_change)

"""DNS validation of requested certificates (the "acm-validator" component): every few seconds,
each pending domain's validation CNAME is looked up on gureum's own DNS server (the node's
`app.dns_address`); when it answers the expected value the domain is validated, and the
certificate is issued once all its domains are (certs.validated) and metered (metering.py). Nothing is queried while no
certificate is pending."""

from __future__ import annotations

import functools
import logging
import time
from typing import TYPE_CHECKING

import dns.asyncquery
import dns.exception
import dns.message
import dns.rdatatype

from gureum.services.acm import certs, metering

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.acm")
INTERVAL = 2.0


async def _answers(server: tuple[str, int], name: str) -> set[str]:
    q = dns.message.make_query(name, "CNAME")
    try:
        r = await dns.asyncquery.udp(q, server[0], port=server[1], timeout=2)
    except (dns.exception.DNSException, OSError):
        return set()
    return {rd.to_text().lower() for rrset in r.answer if rrset.rdtype == dns.rdatatype.CNAME for rd in rrset}


async def check(app: App) -> int:
    """One pass; returns how many domains were validated."""
    server = app.dns_address
    if server is None:
        return 0
    todo = await app.store.read(certs.pending)
    done = 0
    for k, domain, name, value in todo:
        if value.lower() in await _answers(server, name):
            if await app.store.run(functools.partial(certs.validated, k=k, domain=domain, now=time.time())):
                await metering.issued(app, k)
            done += 1
    return done


async def run(app: App) -> None:
    app.set_status("acm", "running")
    app.every(INTERVAL, lambda: check(app), name="acm-validator", first=INTERVAL)

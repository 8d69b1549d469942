"""The verification sweep: every pending domain identity's records looked up in gureum's own
DNS server (dnspython against the node's DNS port): the TXT `_amazonses.<domain>` (v1's
token), the DKIM CNAMEs `<token>._domainkey.<domain>` and a custom MAIL FROM domain's MX; identities.decide says what the
answers mean and the statuses move in one transaction per domain. Runs every
`ses.verify_interval` seconds."""

from __future__ import annotations

import functools
import logging
import time
from typing import TYPE_CHECKING, Any

import dns.asyncquery
import dns.exception
import dns.message
import dns.rdatatype

from gureum.services.ses import identities

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.ses")


async def _lookup(address: tuple[str, int], name: str, rdtype: dns.rdatatype.RdataType) -> list[Any]:
    query = dns.message.make_query(name, rdtype)
    try:
        answer = await dns.asyncquery.udp(query, address[0], timeout=2.0, port=address[1])
    except (dns.exception.DNSException, OSError):
        return []
    return [rd for rrset in answer.answer if rrset.rdtype == rdtype for rd in rrset]


async def sweep(app: App) -> int:
    """Look up every pending domain once; returns how many changed."""
    address = app.dns_address
    if address is None:
        return 0
    host = "127.0.0.1" if address[0] in ("0.0.0.0", "") else ("::1" if address[0] == "::" else address[0])
    pending = await app.store.read(identities.pending_domains)
    changed = 0
    for k, doc in pending:
        domain = doc["Identity"]
        changes: dict[str, object] = {}
        if doc.get("Type") == "Domain" and (doc["Status"] == "Pending" or doc.get("DkimStatus") == "Pending"):
            txt = [b"".join(rd.strings).decode("utf-8", "replace")
                   for rd in await _lookup((host, address[1]), f"_amazonses.{domain}.", dns.rdatatype.TXT)]
            cnames: dict[str, str] = {}
            for token in doc.get("DkimTokens") or []:
                name = f"{token}._domainkey.{domain}"
                found = await _lookup((host, address[1]), name + ".", dns.rdatatype.CNAME)
                if found:
                    cnames[name] = found[0].target.to_text(omit_final_dot=True)
            changes.update(identities.decide(doc, txt, cnames, time.time()))
        mail_from = doc.get("MailFrom") or {}
        if mail_from.get("Status") == "Pending":
            region = k.split("/")[1]
            mx = [rd.exchange.to_text(omit_final_dot=True)
                  for rd in await _lookup((host, address[1]), f"{mail_from['Domain']}.", dns.rdatatype.MX)]
            changes.update(identities.decide_mail_from(doc, region, mx, time.time()))
        if changes:
            await app.store.run(functools.partial(identities.settle_domain, k=k, changes=changes))
            log.info("SES identity %s: %s", domain, changes)
            changed += 1
    return changed

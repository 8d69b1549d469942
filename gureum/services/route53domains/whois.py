"""WHOIS (RFC 3912) for the registry's domains: the `domains-whois` component listens on TCP
`domains.whois_port` (0: off) on the DNS host, reads one query line (CRLF-terminated, at most
255 bytes, within 10 s), writes the record and closes. `record_text` (sans-IO) writes a
registered domain's record in the ICANN RDDS key: value layout Amazon Registrar's WHOIS
uses; with privacy on for a contact, its personal fields read "REDACTED FOR PRIVACY" (its
state/province and country stay, as ICANN's temporary specification has them). A name with no
ACTIVE registration: `No match for "NAME".`"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from gureum.services.route53domains import model
from gureum.services.route53domains.settings import DomainsSettings

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.domains")
REDACTED = "REDACTED FOR PRIVACY"
ROLES = (("Registrant", "RegistrantContact", "RegistrantPrivacy"), ("Admin", "AdminContact", "AdminPrivacy"),
         ("Tech", "TechContact", "TechPrivacy"))
MAX_QUERY = 255


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _contact_lines(role: str, contact: dict[str, Any], private: bool) -> list[str]:
    def f(key: str, keep: bool = False) -> str:
        value = str(contact.get(key) or "")
        return value if keep or not private else REDACTED

    name = f"{contact.get('FirstName', '')} {contact.get('LastName', '')}".strip()
    street = ", ".join(str(x) for x in (contact.get("AddressLine1"), contact.get("AddressLine2")) if x)
    return [
        f"{role} Name: {REDACTED if private else name}",
        f"{role} Organization: {f('OrganizationName')}",
        f"{role} Street: {REDACTED if private else street}",
        f"{role} City: {f('City')}",
        f"{role} State/Province: {f('State', keep=True)}",
        f"{role} Postal Code: {f('ZipCode')}",
        f"{role} Country: {f('CountryCode', keep=True)}",
        f"{role} Phone: {f('PhoneNumber')}",
        f"{role} Fax: {f('Fax')}",
        f"{role} Email: {f('Email')}",
    ]


def record_text(doc: dict[str, Any] | None, query: str, now: float) -> str:
    if doc is None:
        return f'No match for "{query.upper()}".\r\n>>> Last update of WHOIS database: {_when(now)} <<<\r\n'
    lines = [
        f"Domain Name: {doc['DomainName'].upper()}",
        f"Registry Domain ID: {doc.get('RegistryDomainId') or ''}",
        "Registrar WHOIS Server: whois.registrar.amazon.com",
        "Registrar URL: https://registrar.amazon.com",
        f"Updated Date: {_when(doc['UpdatedDate'])}",
        f"Creation Date: {_when(doc['CreationDate'])}",
        f"Registrar Registration Expiration Date: {_when(doc['ExpirationDate'])}",
        "Registrar: Amazon Registrar, Inc.",
        "Registrar IANA ID: 468",
        "Registrar Abuse Contact Email: abuse@amazonaws.com",
        "Registrar Abuse Contact Phone: +1.2024422253",
        "Reseller: Amazon",
    ]
    lines += [f"Domain Status: {s} https://icann.org/epp#{s}" for s in model.statuses(doc)]
    for role, key, flag in ROLES:
        if key in doc:
            lines += _contact_lines(role, doc[key], bool(doc.get(flag, True)))
    lines += [f"Name Server: {s['Name'].upper()}" for s in doc["Nameservers"]]
    lines += [
        f"DNSSEC: {'signedDelegation' if doc.get('DnssecKeys') else 'unsigned'}",
        "URL of the ICANN Whois Inaccuracy Complaint Form: https://www.icann.org/wicf/",
        f">>> Last update of WHOIS database: {_when(now)} <<<",
    ]
    return "\r\n".join(lines) + "\r\n"


async def run(app: App) -> None:
    settings = app.settings(DomainsSettings)
    if not settings.whois_port:
        await asyncio.get_running_loop().create_future()
    host = app.config.dns_host or app.config.host

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        import time

        try:
            line = await asyncio.wait_for(reader.readuntil(b"\n"), 10.0)
            query = line[:MAX_QUERY].decode("utf-8", "replace").strip().lower().rstrip(".")
            doc = await app.store.read(lambda t: model.whois_record(t, query)) if query else None
            writer.write(record_text(doc, query, time.time()).encode())
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, host, settings.whois_port, limit=MAX_QUERY + 2)
    app.notes.append(f"WHOIS      {host}:{settings.whois_port} (TCP, registered domains)")
    try:
        await asyncio.get_running_loop().create_future()
    finally:
        server.close()

"""Route 53 Domains' settings (`domains.*`): `gureum up --set KEY=VALUE` or GUREUM_<KEY>."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class DomainsSettings:
    PREFIX: ClassVar[str] = "domains"
    tlds: str = "com,net,org,io,dev,app,info,xyz,co,me,link,click,test"
    """TLD zones the registry serves, comma-separated (those in prices.json may be registered)"""
    nameserver_address: str | None = None
    """address of the root, TLD and ns-*.awsdns-* name servers (default: the DNS server's)"""
    operation_seconds: float = 2.0
    """seconds a registrar operation stays IN_PROGRESS before it completes"""
    max_domains: int = 20
    """registered domains per account (AWS's default quota)"""
    whois_port: int = 0
    """TCP port of the WHOIS server (RFC 3912) on the DNS host; 0: no WHOIS server"""

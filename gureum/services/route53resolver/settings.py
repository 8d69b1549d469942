"""Route 53 Resolver's settings (`resolver.*`): `gureum up --set KEY=VALUE` or GUREUM_<KEY>."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class ResolverSettings:
    PREFIX: ClassVar[str] = "resolver"
    enabled: bool = True
    """run the recursive resolver"""
    host: str = "127.0.0.1"
    """address the resolver listens on (UDP and TCP)"""
    port: int = 10054
    """port the resolver listens on; if taken, a free one (named in the banner)"""
    query_timeout: float = 1.0
    """seconds to wait for one upstream answer (gureum's DNS server or a forward target)"""
    cache_size: int = 100000
    """answers kept in the cache (positive and negative)"""
    max_negative_ttl: int = 10800
    """longest a negative answer is cached, seconds (RFC 2308 section 5 suggests 1-3 hours)"""

"""Route 53's settings, and those of its DNS server (`dns.*`): `gureum up --set KEY=VALUE` or
GUREUM_<KEY> (gureum/settings.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from gureum.settings import key


@dataclass(frozen=True)
class Route53Settings:
    PREFIX: ClassVar[str] = "route53"
    health_check_private_targets: bool | None = None
    """health checks may probe private and loopback addresses (default: yes unless --auth strict)"""
    health_interval_scale: float = 1.0
    """health check intervals are multiplied by this (tests run them faster)"""
    health_metrics_interval: float = 10.0
    """seconds between AWS/Route53 health check metric values sent to CloudWatch"""
    native_dns: bool = True
    """answer UDP DNS from native workers (a C helper built with the host's compiler; off: Python)"""
    native_dns_workers: int = 0
    """native DNS workers, sharing one UDP socket (0: one per core)"""
    query_log_interval: float = 1.0
    """seconds between flushes of DNS query logs to CloudWatch Logs"""
    geoip_db: str | None = None
    """a MaxMind database for geolocation routing (default: the one bundled with geoip2fast)"""
    private_views: str | None = field(default=None, metadata=key("dns.private_views"))
    """who sees private zones: VPC=CIDR,CIDR;VPC=... or none (README)"""
    allow_transfer: str | None = field(default=None, metadata=key("dns.allow_transfer"))
    """networks allowed AXFR/IXFR, CIDR,... (xfr.py)"""
    notify: str | None = field(default=None, metadata=key("dns.notify"))
    """secondaries sent NOTIFY on zone changes, HOST[:PORT],... (xfr.py)"""
    follow_interval: float = field(default=1.0, metadata=key("dns.follow_interval"))
    """seconds between reads of other nodes' zone changes (shared store)"""
    tcp_idle_timeout: float = field(default=10.0, metadata=key("dns.tcp_idle_timeout"))
    """seconds an idle DNS-over-TCP connection stays open"""
    tcp_message_timeout: float = field(default=5.0, metadata=key("dns.tcp_message_timeout"))
    """seconds one DNS message over TCP may take to arrive"""
    tcp_max_lifetime: float = field(default=120.0, metadata=key("dns.tcp_max_lifetime"))
    """seconds a DNS-over-TCP connection may live"""
    tcp_write_buffer: int = field(default=64 * 1024, metadata=key("dns.tcp_write_buffer"))
    """bytes of unsent answers before reading pauses"""
    tcp_max_connections_per_client: int = field(default=64, metadata=key("dns.tcp_max_connections_per_client"))
    """DNS-over-TCP connections per client address"""
    tcp_max_connections: int = field(default=1024, metadata=key("dns.tcp_max_connections"))
    """DNS-over-TCP connections in all"""

"""ELBv2's settings (`--set elbv2.<field>=VALUE` or GUREUM_ELBV2_<FIELD>)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Elbv2Settings:
    PREFIX: ClassVar[str] = "elbv2"
    address_network: str = "127.64.0.0/10"
    """loopback network each load balancer's own address is drawn from (at random, unique in the store)"""
    max_load_balancers: int = 50
    """load balancers per account and region (AWS's default quota)"""
    max_target_groups: int = 3000
    """target groups per account and region (AWS's default quota)"""
    reconcile_seconds: float = 1.0
    """how often the data plane re-reads listeners, rules and target health from the store"""
    meter_seconds: float = 60.0
    """how often each node writes its load balancers' usage rows to the ledger (meter.py)"""
    access_log_interval: float = 300.0
    """how often each node writes its load balancers' access log entries to S3 (AWS: every 5 minutes)"""
    native_workers: int = 1
    """native worker processes per HTTP listener (native_alb.c: plain forwards served outside Python);
    0: Python serves every request"""

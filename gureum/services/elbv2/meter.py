"""What the load balancers used, for the usage ledger (gureum/billing/ledger.py): rows of
service "elb", one per load balancer and flush, with the load balancer hours' seconds and the
counts AWS's capacity units (LCU for ALB, NLCU for NLB) are priced from:

  {"service": "elb", "region", "resource": load balancer ARN, "type": "application" |
   "network", "seconds": load balancer time since the last row, "requests", "new_connections",
   "bytes": processed both ways, "rule_evaluations", "ts"}

Counts are kept in memory per node (each node meters what it served) and written every
every `elbv2.meter_seconds` (FLUSH_EVERY by default); the seconds are written by the node holding the health-check lease
only, so a load balancer's hours are counted once however many nodes serve it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gureum.billing.ledger import Ledger
    from gureum.services.elbv2.snapshot import Snapshot

FLUSH_EVERY = 60.0
_BUCKETS = {n: f"{n}XX" for n in range(1, 6)}  # status // 100 -> its class's name


@dataclass
class Counts:
    requests: int = 0
    new_connections: int = 0
    bytes: int = 0
    rule_evaluations: int = 0
    codes: dict[str, int] = field(default_factory=dict)  # "2XX"... of the targets' answers
    elb_codes: dict[str, int] = field(default_factory=dict)  # the load balancer's own answers
    target_seconds: float = 0.0


class Meter:
    def __init__(self) -> None:
        self.counts: dict[str, Counts] = {}
        self.last = time.time()

    def of(self, lb_key: str) -> Counts:
        c = self.counts.get(lb_key)
        if c is None:
            c = self.counts[lb_key] = Counts()
        return c

    def request(self, lb_key: str, rules: int, size: int, status: int, from_target: bool, seconds: float) -> None:
        c = self.counts.get(lb_key)
        if c is None:
            c = self.counts[lb_key] = Counts()
        c.requests += 1
        c.rule_evaluations += rules
        c.bytes += size
        bucket = _BUCKETS.get(status // 100) or f"{status // 100}XX"
        if from_target:
            c.codes[bucket] = c.codes.get(bucket, 0) + 1
            c.target_seconds += seconds
        else:
            c.elb_codes[bucket] = c.elb_codes.get(bucket, 0) + 1

    def accepted(self, snap: Snapshot, listener: tuple[str, int]) -> None:
        """A client connection accepted on the ALB listener (address, port): one new connection
        of its load balancer, counted in memory and written with the other counts at the flush
        (the LCU's new-connections dimension), never a store write per connection."""
        view = snap.listeners.get(listener)
        if view is not None:
            self.of(view.lb_key).new_connections += 1

    def connection(self, lb_key: str, size: int = 0) -> None:
        c = self.of(lb_key)
        c.new_connections += 1
        c.bytes += size

    def flush(self, ledger: Ledger, snap: Snapshot, lead: bool, now: float | None = None) -> int:
        """Write one row per load balancer that served anything (or, on the lead node, that exists)."""
        now = time.time() if now is None else now
        seconds = max(0.0, now - self.last)
        self.last = now
        counts, self.counts = self.counts, {}
        n = 0
        for lb_key, (arn, kind) in snap.lb_arns.items():
            c = counts.get(lb_key)
            if c is None and not lead:
                continue
            account, region, _ = lb_key.split("/")
            row: dict[str, Any] = {"region": region, "resource": arn, "type": kind,
                                   "seconds": round(seconds, 3) if lead else 0.0}
            if c is not None:
                row |= {"requests": c.requests, "new_connections": c.new_connections, "bytes": c.bytes,
                        "rule_evaluations": c.rule_evaluations}
            ledger.record(account, "elb", row)
            n += 1
        return n

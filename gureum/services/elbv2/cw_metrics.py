"""The `AWS/ApplicationELB` metrics AWS publishes for each request an ALB serves, sent to
CloudWatch through its port (gureum/services/cloudwatch/port.py `emit`, batched per minute):
RequestCount, HTTPCode_Target_{2,3,4,5}XX_Count and TargetResponseTime (seconds) for answers
a target gave, HTTPCode_ELB_{3,4,5}XX_Count for the load balancer's own (redirects, fixed
responses, 502/503/504), each with the LoadBalancer dimension ("app/<name>/<id>", the ARN's
resource after "loadbalancer/") and, for target answers, also with TargetGroup
("targetgroup/<name>/<id>").

The data plane counts requests in a `Tally` (one dict update per request) and flushes it every
second: one emit per metric, dimension set, minute and value, with the count of requests
(the same sums, counts and values as one emit per request)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from gureum.services.cloudwatch import port as cloudwatch

if TYPE_CHECKING:
    from gureum.app import App

NAMESPACE = "AWS/ApplicationELB"


def dimension(arn: str, kind: str) -> str:
    """The metric dimension value of a load balancer or target group ARN."""
    resource = arn.split(":", 5)[-1]
    return resource.split("loadbalancer/", 1)[1] if kind == "loadbalancer" else resource


@lru_cache(maxsize=4096)
def _where(lb_arn: str, tg_arn: str | None) -> tuple[str, str, tuple[dict[str, str], ...]]:
    """(account, Region, dimension sets) of a load balancer's (and target group's) metrics."""
    parts = lb_arn.split(":")
    dims = {"LoadBalancer": dimension(lb_arn, "loadbalancer")}
    sets = (dims, dims | {"TargetGroup": dimension(tg_arn, "targetgroup")}) if tg_arn else (dims,)
    return parts[4], parts[3], sets


_BUCKETS = {n: f"{n}XX" for n in range(1, 6)}


class Tally:
    """Requests counted in memory between flushes."""

    def __init__(self) -> None:
        # (LB ARN, TG ARN, status // 100, answered by a target, minute, response seconds) -> requests
        self.counts: dict[tuple[str, str | None, int, bool, int, float], int] = {}

    def request(self, lb_arn: str, tg_arn: str | None, status: int, from_target: bool, seconds: float,
                now: float) -> None:
        k = (lb_arn, tg_arn, status // 100, from_target, int(now // 60), round(seconds, 3) if from_target else 0.0)
        self.counts[k] = self.counts.get(k, 0) + 1

    def add(self, lb_arn: str, tg_arn: str | None, hundred: int, from_target: bool, seconds: float, now: float,
            n: int) -> None:
        """`n` requests of one status class at once (the native workers' counts: native_alb.py)."""
        k = (lb_arn, tg_arn, hundred, from_target, int(now // 60), round(seconds, 3) if from_target else 0.0)
        self.counts[k] = self.counts.get(k, 0) + n

    def flush(self, app: App) -> None:
        counts, self.counts = self.counts, {}
        for (lb_arn, tg_arn, hundred, from_target, minute, seconds), n in counts.items():
            account, region, sets = _where(lb_arn, tg_arn)
            bucket = _BUCKETS.get(hundred) or f"{hundred}XX"
            at = minute * 60.0
            for d in sets:
                cloudwatch.emit(app, account, region, NAMESPACE, "RequestCount", d, 1.0, "Count", at, n)
                if from_target:
                    cloudwatch.emit(app, account, region, NAMESPACE, f"HTTPCode_Target_{bucket}_Count", d, 1.0, "Count",
                                    at, n)
                    cloudwatch.emit(app, account, region, NAMESPACE, "TargetResponseTime", d, seconds, "Seconds", at, n)
                elif hundred >= 3:
                    cloudwatch.emit(app, account, region, NAMESPACE, f"HTTPCode_ELB_{bucket}_Count", d, 1.0, "Count",
                                    at, n)


def request(app: App, lb_arn: str, tg_arn: str | None, status: int, from_target: bool, seconds: float) -> None:
    account, region, sets = _where(lb_arn, tg_arn)
    bucket = _BUCKETS.get(status // 100) or f"{status // 100}XX"
    for d in sets:
        cloudwatch.emit(app, account, region, NAMESPACE, "RequestCount", d, 1.0, "Count")
        if from_target:
            cloudwatch.emit(app, account, region, NAMESPACE, f"HTTPCode_Target_{bucket}_Count", d, 1.0, "Count")
            # to the millisecond: a minute's values stay few (the emitter merges them per emit)
            cloudwatch.emit(app, account, region, NAMESPACE, "TargetResponseTime", d, round(seconds, 3), "Seconds")
        elif status >= 300:
            cloudwatch.emit(app, account, region, NAMESPACE, f"HTTPCode_ELB_{bucket}_Count", d, 1.0, "Count")

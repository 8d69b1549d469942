"""Stage throttling of HTTP APIs: a token bucket per (API, stage, route key) from the stage's
RouteSettings[route key] or DefaultRouteSettings (ThrottlingRateLimit requests per second,
ThrottlingBurstLimit the bucket's size); a request finding the bucket empty is AWS's 429
{"message":"Too Many Requests"}. Buckets are this node's (AWS's limits are per region, kept
approximately by each of its fleet's hosts too); they live in the node's registry and are
rebuilt when the stage's settings change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gureum.app import App


@dataclass
class Bucket:
    rate: float
    burst: float
    tokens: float
    last: float

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


def limits(stage: dict[str, Any], route_key: str) -> tuple[float, float] | None:
    """(rate, burst) for `route_key` on `stage`, or None when nothing limits it."""
    default = stage.get("DefaultRouteSettings") or {}
    own = (stage.get("RouteSettings") or {}).get(route_key) or {}
    rate = own.get("ThrottlingRateLimit", default.get("ThrottlingRateLimit"))
    burst = own.get("ThrottlingBurstLimit", default.get("ThrottlingBurstLimit"))
    if rate is None and burst is None:
        return None
    rate_f = float(rate) if rate is not None else 10000.0
    burst_f = float(burst) if burst is not None else 5000.0
    return rate_f, burst_f


def admit(app: App, api_id: str, stage: dict[str, Any], route_key: str, now: float) -> bool:
    found = limits(stage, route_key)
    if found is None:
        return True
    rate, burst = found
    from gureum.services.apigatewayv2.slots import BUCKETS

    buckets = app.parts.lazy(BUCKETS, dict)
    key = (api_id, stage["StageName"], route_key)
    bucket = buckets.get(key)
    if bucket is None or (bucket.rate, bucket.burst) != (rate, burst):
        bucket = buckets[key] = Bucket(rate, burst, burst, now)
    return bucket.take(now)

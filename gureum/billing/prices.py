"""The price sheet: what AWS charges in us-east-1 for what gureum meters.

Lambda: per GB-second of billed duration (by architecture) and per request; the monthly free
tier (1M requests, 400,000 GB-s) is shown separately, not deducted per function. Provisioned
concurrency: per GB-second allocated (from enabling a configuration to disabling it, rounded
up to 5 minutes) and the duration of invocations on it at its own, lower, price. Fargate
per vCPU-hour and GB-hour, per second, 1-minute minimum. The prices are the shipped price
table's us-east-1 ones (pricing.py, price_list.json): `gureum costs`' default report.
"""

from __future__ import annotations

from gureum.billing.pricing import BASE_REGION, load

_SHIPPED = load()
_USE1 = BASE_REGION


def _price(key: str) -> float:
    return _SHIPPED.rate(_USE1, key).price


LAMBDA_GB_SECOND = {"x86_64": _price("Lambda-GB-Second"), "arm64": _price("Lambda-GB-Second-ARM")}
LAMBDA_REQUEST = _price("Request")
LAMBDA_FREE_REQUESTS = _SHIPPED.free_requests
LAMBDA_FREE_GB_SECONDS = int(_SHIPPED.free_gb_seconds)
# provisioned concurrency: allocated, and the duration of invocations on it
LAMBDA_PC_GB_SECOND = {"x86_64": _price("Lambda-Provisioned-Concurrency"), "arm64": _price("Lambda-Provisioned-Concurrency-ARM")}
LAMBDA_PC_DURATION_GB_SECOND = {"x86_64": _price("Lambda-Provisioned-GB-Second"), "arm64": _price("Lambda-Provisioned-GB-Second-ARM")}
LAMBDA_PC_ROUNDING_SECONDS = 300  # a configuration's allocation is billed in 5-minute steps

FARGATE_VCPU_HOUR = {"x86_64": _price("Fargate-vCPU-Hours:perCPU"), "arm64": _price("Fargate-ARM-vCPU-Hours:perCPU")}
FARGATE_GB_HOUR = {"x86_64": _price("Fargate-GB-Hours"), "arm64": _price("Fargate-ARM-GB-Hours")}
FARGATE_MIN_SECONDS = 60


def lambda_gb_seconds(billed_ms: int, memory_mb: int) -> float:
    return billed_ms / 1000.0 * memory_mb / 1024.0


def lambda_cost(requests: int, gb_seconds_by_arch: dict[str, float], pc_duration: dict[str, float] | None = None,
                pc_allocated: dict[str, float] | None = None) -> float:
    """Cost before the free tier (`pc_duration`: GB-s of invocations on provisioned
    concurrency, `pc_allocated`: GB-s of provisioned concurrency allocated, by architecture)."""
    compute = sum(LAMBDA_GB_SECOND.get(arch, LAMBDA_GB_SECOND["x86_64"]) * gbs for arch, gbs in gb_seconds_by_arch.items())
    compute += sum(LAMBDA_PC_DURATION_GB_SECOND.get(arch, LAMBDA_PC_DURATION_GB_SECOND["x86_64"]) * gbs
                   for arch, gbs in (pc_duration or {}).items())
    compute += sum(LAMBDA_PC_GB_SECOND.get(arch, LAMBDA_PC_GB_SECOND["x86_64"]) * gbs for arch, gbs in (pc_allocated or {}).items())
    return compute + requests * LAMBDA_REQUEST


def fargate_cost(seconds: float, vcpu: float, memory_gb: float, arch: str = "x86_64") -> float:
    hours = max(seconds, FARGATE_MIN_SECONDS) / 3600.0
    return hours * (vcpu * FARGATE_VCPU_HOUR.get(arch, FARGATE_VCPU_HOUR["x86_64"]) + memory_gb * FARGATE_GB_HOUR.get(arch, FARGATE_GB_HOUR["x86_64"]))

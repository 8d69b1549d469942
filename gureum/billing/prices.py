"""The price sheet: what AWS charges in us-east-1 for what gureum meters.

Lambda: per GB-second of billed duration (by architecture) and per request; the monthly free
tier (1M requests, 400,000 GB-s) is shown separately, not deducted per function. Provisioned
concurrency: per GB-second allocated (from enabling a configuration to disabling it, rounded
up to 5 minutes) and the duration of invocations on it at its own, lower, price. Fargate
(for the ECS ledger rows to come): per vCPU-hour and GB-hour, per second, 1-minute minimum.
"""

from __future__ import annotations

LAMBDA_GB_SECOND = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
LAMBDA_REQUEST = 0.20 / 1_000_000
LAMBDA_FREE_REQUESTS = 1_000_000
LAMBDA_FREE_GB_SECONDS = 400_000
LAMBDA_PC_GB_SECOND = {"x86_64": 0.0000041667, "arm64": 0.0000033334}  # provisioned concurrency allocated
LAMBDA_PC_DURATION_GB_SECOND = {"x86_64": 0.0000097222, "arm64": 0.0000077778}  # duration on provisioned concurrency
LAMBDA_PC_ROUNDING_SECONDS = 300  # a configuration's allocation is billed in 5-minute steps

FARGATE_VCPU_HOUR = {"x86_64": 0.04048, "arm64": 0.03238}
FARGATE_GB_HOUR = {"x86_64": 0.004445, "arm64": 0.00356}
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

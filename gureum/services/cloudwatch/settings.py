"""CloudWatch's settings (`gureum up --set cloudwatch.KEY=VALUE` or GUREUM_CLOUDWATCH_KEY)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class CloudWatchSettings:
    PREFIX: ClassVar[str] = "cloudwatch"
    evaluate_interval: float = 10.0
    """seconds between alarm evaluations (AWS evaluates every minute; shorter suits tests)"""
    sweep_interval: float = 600.0
    """seconds between retention sweeps of metric data (roll-ups by AWS's tiers) and alarm history"""
    emit_interval: float = 5.0
    """seconds between flushes of the metrics other services emit (AWS/Lambda, ...)"""

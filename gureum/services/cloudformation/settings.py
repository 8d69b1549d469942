"""CloudFormation's settings (`gureum up --set cloudformation.KEY=VALUE` or
GUREUM_CLOUDFORMATION_KEY; gureum/settings.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class CloudFormationSettings:
    PREFIX: ClassVar[str] = "cloudformation"
    minute_seconds: float = 60.0
    """seconds a stack's TimeoutInMinutes counts per minute (60, as on AWS; tests make it short)"""

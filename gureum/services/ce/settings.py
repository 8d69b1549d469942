"""Cost Explorer's settings (`--set ce.NAME=VALUE`, GUREUM_CE_NAME)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class CeSettings:
    PREFIX: ClassVar[str] = "ce"
    monthly_interval: float = 600.0
    """seconds between passes of the monthly charges (Route 53 hosted zones) into the usage ledger"""

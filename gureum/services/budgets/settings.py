"""Budgets' settings (`--set budgets.NAME=VALUE`, GUREUM_BUDGETS_NAME)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class BudgetsSettings:
    PREFIX: ClassVar[str] = "budgets"
    interval: float = 60.0
    """seconds between evaluations of every budget against the usage ledger"""

"""Secrets Manager's settings (`--set secretsmanager.<field>=...`, GUREUM_SECRETSMANAGER_<FIELD>)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class SecretsSettings:
    PREFIX: ClassVar[str] = "secretsmanager"
    sweep_interval: float = 60.0
    """seconds between sweeps deleting secrets whose recovery window ended and starting due rotations"""

"""Cognito's settings (`--set cognito.<field>=...`, GUREUM_COGNITO_<FIELD>)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class CognitoSettings:
    PREFIX: ClassVar[str] = "cognito"
    sweep_interval: float = 600.0
    """seconds between sweeps of expired sign-in sessions and unanswered challenges"""
    lockout_seconds: float = 1.0
    """the first lockout after five failed sign-ins in a row (doubled per further failure, at most 15 minutes)"""

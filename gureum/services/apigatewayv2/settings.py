"""API Gateway v2's settings (`gureum up --set apigatewayv2.KEY=VALUE` or
GUREUM_APIGATEWAYV2_KEY; gureum/settings.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class ApiGatewayV2Settings:
    PREFIX: ClassVar[str] = "apigatewayv2"
    ws_idle_timeout: float = 600.0
    """seconds a WebSocket connection may stay silent before it is closed (AWS: 10 minutes)"""
    ws_max_duration: float = 7200.0
    """seconds a WebSocket connection may last (AWS: 2 hours)"""
    follow_interval: float = 0.2
    """seconds between reads of other nodes' API changes and WebSocket deliveries (shared store)"""

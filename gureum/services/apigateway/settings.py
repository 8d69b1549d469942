"""API Gateway's settings (`gureum up --set apigateway.KEY=VALUE` or GUREUM_APIGATEWAY_KEY;
gureum/settings.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class ApiGatewaySettings:
    PREFIX: ClassVar[str] = "apigateway"
    https_port: int | None = None
    """the HTTPS listener of custom domain names (ACM certificates by SNI, mutual TLS); default:
    the API port + 2, or a free port when that one is taken (the log says which); 0: off"""

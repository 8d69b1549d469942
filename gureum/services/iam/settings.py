"""IAM's settings (`gureum up --set iam.KEY=VALUE` or GUREUM_IAM_KEY; gureum/settings.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class IamSettings:
    PREFIX: ClassVar[str] = "iam"
    oidc_jwks: str | None = None
    """where OIDC issuers' signing keys come from: ISSUER=FILE-OR-URL,... (jwks.py)"""

"""Registry credentials as ECR issues them: GetAuthorizationToken returns base64
`AWS:<password>` valid 12 hours; clients send it back as HTTP Basic.

The password is self-verifying (an HMAC over account, region and expiry with a secret kept
in the store), so any node sharing the store accepts it and nothing is stored per token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from gureum.services.ecr.model import META

TOKEN_LIFETIME = 12 * 3600


def secret_txn(txn: Any) -> str:
    doc = txn.get(META, "secret")
    if doc is None:
        doc = {"value": secrets.token_hex(32)}
        if not txn.insert(META, "secret", doc):
            doc = txn.get(META, "secret")
    return doc["value"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_password(secret: str, account: str, region: str, expires: float) -> str:
    body = _b64(json.dumps({"a": account, "r": region, "e": int(expires)}, separators=(",", ":")).encode())
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def make_token(secret: str, account: str, region: str, now: float | None = None) -> tuple[str, float]:
    """(authorizationToken, expiresAt epoch)."""
    expires = (now if now is not None else time.time()) + TOKEN_LIFETIME
    password = make_password(secret, account, region, expires)
    return base64.b64encode(f"AWS:{password}".encode()).decode(), expires


def verify_password(secret: str, password: str, now: float | None = None) -> tuple[str, str] | None:
    """(account, region) for a valid, unexpired password; None otherwise."""
    body, _, mac = password.partition(".")
    if not body or not mac:
        return None
    good = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(good, mac):
        return None
    try:
        claims = json.loads(_unb64(body))
    except ValueError:
        return None
    if claims.get("e", 0) < (now if now is not None else time.time()):
        return None
    return claims["a"], claims["r"]


def parse_basic(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(value.strip()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return user, password

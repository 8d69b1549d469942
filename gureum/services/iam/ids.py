"""Identifiers in AWS's formats: unique ids (AIDA…, AROA…, ANPA…, AGPA…, AIPA…), access key
ids (AKIA… for long-term keys, ASIA… for temporary ones), secrets, session tokens, ARNs."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import UTC, datetime

from gureum.aws import arn as arns

# AWS unique ids use the base32 alphabet (upper-case letters and the digits 2-7).
_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_SECRET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

USER, ROLE, POLICY, GROUP, INSTANCE_PROFILE = "AIDA", "AROA", "ANPA", "AGPA", "AIPA"
ACCESS_KEY, TEMP_ACCESS_KEY = "AKIA", "ASIA"


def _b32(n: int) -> str:
    return "".join(secrets.choice(_B32) for _ in range(n))


def unique_id(prefix: str) -> str:
    """A 21-character unique id, e.g. AIDAJQABLZS4A3QDU576Q."""
    return prefix + _b32(17)


def stable_id(prefix: str, seed: str) -> str:
    """A 21-character id derived from `seed` (for AWS managed policies, whose ids never change)."""
    digest = base64.b32encode(hashlib.sha256(seed.encode()).digest()).decode()
    return prefix + digest[:17]


def access_key_id(prefix: str = ACCESS_KEY) -> str:
    """A 20-character access key id: AKIA… (IAM user) or ASIA… (temporary)."""
    return prefix + _b32(16)


def secret_access_key() -> str:
    return "".join(secrets.choice(_SECRET) for _ in range(40))


def session_token() -> str:
    """An opaque session token shaped like AWS's (base64, several hundred characters)."""
    return "IQoJb3JpZ2luX2VjE" + base64.b64encode(secrets.token_bytes(300)).decode()


def now() -> datetime:
    """The current time, to the second (IAM's timestamps have no fractions)."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def iam_arn(account: str, kind: str, path: str, name: str) -> str:
    """arn:aws:iam::<account>:<kind><path><name>, e.g. …:role/service-role/my-role."""
    return arns.iam_resource(account, kind, path, name)

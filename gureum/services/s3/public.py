"""What S3 calls "public" ("The meaning of public" in the S3 user guide), as pure functions on
policy text and ACL request parameters; block public access (publicaccess.py) and
GetBucketPolicyStatus ask these.

A bucket policy is public when one of its Allow statements grants to a wildcard principal
("*", {"AWS": "*"}, or a principal containing a wildcard) and is not limited by a condition
on a fixed value of one of: aws:SourceIp (a CIDR set), aws:SourceArn, aws:SourceVpc,
aws:SourceVpce, aws:SourceOwner, aws:SourceAccount, aws:PrincipalAccount, aws:PrincipalArn,
aws:PrincipalOrgID, s3:x-amz-server-side-encryption-aws-kms-key-id, or aws:userid outside
"AROLEID:*". A fixed value has no wildcard and no policy variable, under a non-negated
equality operator (StringEquals, ArnEquals, IpAddress...; not ...Like, not Not..., not
...IfExists). An ACL is public when it grants anything to the AllUsers or AuthenticatedUsers
group (canned public-read, public-read-write, authenticated-read, or such a grant).
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
_PUBLIC_GROUPS = (ALL_USERS, AUTHENTICATED_USERS)
PUBLIC_CANNED_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
_GRANT_HEADERS = ("GrantFullControl", "GrantRead", "GrantReadACP", "GrantWrite", "GrantWriteACP")

# condition keys whose fixed values make a wildcard grant non-public (lower-cased)
_LIMITING_KEYS = frozenset(k.lower() for k in (
    "aws:SourceIp", "aws:SourceArn", "aws:SourceVpc", "aws:SourceVpce", "aws:SourceOwner",
    "aws:SourceAccount", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalOrgID",
    "s3:x-amz-server-side-encryption-aws-kms-key-id", "aws:userid"))
_FIXED_OPERATORS = frozenset(o.lower() for o in (
    "StringEquals", "StringEqualsIgnoreCase", "ArnEquals", "IpAddress"))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _wildcard_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any(isinstance(v, str) and "*" in v for vals in principal.values() for v in _as_list(vals))
    return False


def _fixed(key: str, value: Any) -> bool:
    if not isinstance(value, str) or "*" in value or "?" in value or "${" in value:
        return False
    if key == "aws:sourceip":
        try:
            net = ipaddress.ip_network(value, strict=False)
        except ValueError:
            return False
        return net.prefixlen > 0  # 0.0.0.0/0 or ::/0 is everyone
    if key == "aws:userid":
        return not value.endswith(":*")
    return True


def _limited(condition: Any) -> bool:
    """Whether a statement's Condition pins one limiting key to fixed values."""
    if not isinstance(condition, dict):
        return False
    for operator, block in condition.items():
        if not isinstance(operator, str) or operator.lower() not in _FIXED_OPERATORS or not isinstance(block, dict):
            continue
        for key, values in block.items():
            if (isinstance(key, str) and key.lower() in _LIMITING_KEYS
                    and all(_fixed(key.lower(), v) for v in _as_list(values))):
                return True
    return False


def policy_is_public(text: str | None) -> bool:
    """Whether a bucket policy's text grants public access, as S3 defines it."""
    if not text:
        return False
    try:
        doc = json.loads(text)
    except ValueError:
        return False
    statements = doc.get("Statement") if isinstance(doc, dict) else None
    for st in _as_list(statements or []):
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        if "NotPrincipal" in st or _wildcard_principal(st.get("Principal")):
            if not _limited(st.get("Condition")):
                return True
    return False


def acl_is_public(params: dict[str, Any]) -> bool:
    """Whether a request's ACL (canned ACL, grant headers or AccessControlPolicy) grants to
    AllUsers or AuthenticatedUsers."""
    if params.get("ACL") in PUBLIC_CANNED_ACLS:
        return True
    for header in _GRANT_HEADERS:
        text = params.get(header) or ""
        if any(group in text for group in _PUBLIC_GROUPS):
            return True
    policy = params.get("AccessControlPolicy") or {}
    return any((g.get("Grantee") or {}).get("URI") in _PUBLIC_GROUPS for g in policy.get("Grants") or [])

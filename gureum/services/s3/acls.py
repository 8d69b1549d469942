"""A bucket's access control list as S3 keeps it where ACLs are enabled (Object Ownership
ObjectWriter or BucketOwnerPreferred, or no ownership controls): the grants a PutBucketAcl
(or CreateBucket) sets — from a canned ACL, x-amz-grant-* headers or an AccessControlPolicy
body — are stored and GetBucketAcl answers them. With ACLs disabled (BucketOwnerEnforced)
the ACL is the owner's full control, whatever was stored before.

State: the bucket document's `acl`, a list of grants ({"Grantee": {...}, "Permission": ...}
as the API shapes them), or None (the owner's full control).
"""

from __future__ import annotations

import re
from typing import Any

from gureum.services.s3.public import ALL_USERS, AUTHENTICATED_USERS

LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
_HEADERS = {"GrantFullControl": "FULL_CONTROL", "GrantRead": "READ", "GrantReadACP": "READ_ACP",
            "GrantWrite": "WRITE", "GrantWriteACP": "WRITE_ACP"}
_CANNED_EXTRA: dict[str, list[tuple[str, str]]] = {
    "public-read": [(ALL_USERS, "READ")],
    "public-read-write": [(ALL_USERS, "READ"), (ALL_USERS, "WRITE")],
    "authenticated-read": [(AUTHENTICATED_USERS, "READ")],
    "log-delivery-write": [(LOG_DELIVERY, "WRITE"), (LOG_DELIVERY, "READ_ACP")],
}
_GRANTEE = re.compile(r'\s*(id|uri|emailAddress)\s*=\s*"?([^",]+)"?\s*', re.IGNORECASE)


def owner_grant(owner: dict[str, str]) -> dict[str, Any]:
    return {"Grantee": {"Type": "CanonicalUser", **owner}, "Permission": "FULL_CONTROL"}


def _grantee(kind: str, value: str) -> dict[str, str]:
    kind = kind.lower()
    if kind == "uri":
        return {"Type": "Group", "URI": value}
    if kind == "emailaddress":
        return {"Type": "AmazonCustomerByEmail", "EmailAddress": value}
    return {"Type": "CanonicalUser", "ID": value}


def grants_from(params: dict[str, Any], owner: dict[str, str]) -> list[dict[str, Any]] | None:
    """The grants a request sets, or None when it sets no ACL."""
    policy = params.get("AccessControlPolicy")
    if policy and policy.get("Grants") is not None:
        return [dict(g) for g in policy["Grants"]]
    headers = [(h, params[h]) for h in _HEADERS if params.get(h)]
    if headers:
        out = []
        for header, text in headers:
            for m in _GRANTEE.finditer(text):
                out.append({"Grantee": _grantee(m.group(1), m.group(2).strip()), "Permission": _HEADERS[header]})
        return out
    canned = params.get("ACL")
    if canned:
        return [owner_grant(owner)] + [{"Grantee": {"Type": "Group", "URI": uri}, "Permission": perm}
                                       for uri, perm in _CANNED_EXTRA.get(canned, [])]
    return None


def bucket_acl(bucket: dict[str, Any], owner: dict[str, str]) -> dict[str, Any]:
    """GetBucketAcl's answer for a bucket."""
    stored = bucket.get("acl") if bucket.get("acls") else None
    return {"Owner": owner, "Grants": stored if stored is not None else [owner_grant(owner)]}

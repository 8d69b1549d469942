"""Policy documents: kept verbatim as the client sent them, checked the way IAM checks them
(JSON, statements, fields that identity and trust policies must or must not have, sizes),
and URL-encoded in responses as IAM does (botocore decodes them again)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.policy.engine import PolicyError, parse_policy

VERSIONS = ("2012-10-17", "2008-10-17")

# Quotas on document sizes, counted without whitespace as IAM counts them.
MANAGED_POLICY_SIZE = 6144
TRUST_POLICY_SIZE = 2048
INLINE_SIZE = {"user": 2048, "role": 10240, "group": 5120}


def encode(document: str) -> str:
    """The document as IAM puts it in a response: percent-encoded (RFC 3986)."""
    return quote(document, safe="-_.~")


def size(document: str) -> int:
    return sum(1 for c in document if not c.isspace())


def _parse(document: str) -> dict[str, Any]:
    try:
        doc = json.loads(document)
    except ValueError:
        raise AwsError.modeled("iam", "MalformedPolicyDocument", "This policy contains invalid Json") from None
    if not isinstance(doc, dict):
        raise AwsError.modeled("iam", "MalformedPolicyDocument", "This policy contains invalid Json")
    version = doc.get("Version")
    if version is not None and version not in VERSIONS:
        raise AwsError.modeled("iam", "MalformedPolicyDocument", "The policy failed legacy parsing")
    statements = doc.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not statements or not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        raise AwsError.modeled("iam", "MalformedPolicyDocument", "Syntax errors in policy.")
    sids: set[str] = set()
    for st in statements:
        if st.get("Effect") not in ("Allow", "Deny"):
            raise AwsError.modeled("iam", "MalformedPolicyDocument", "Syntax errors in policy.")
        if "Action" not in st and "NotAction" not in st:
            raise AwsError.modeled("iam", "MalformedPolicyDocument", "Policy statement must contain actions.")
        for action in _values(st.get("Action", st.get("NotAction"))):
            if not isinstance(action, str) or (action != "*" and ":" not in action):
                raise AwsError.modeled(
                    "iam",
                    "MalformedPolicyDocument",
                    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
                )
        sid = st.get("Sid")
        if sid is not None:
            if sid in sids:
                raise AwsError.modeled(
                    "iam", "MalformedPolicyDocument", "Statement IDs (SID) in a single policy must be unique."
                )
            sids.add(sid)
    doc["Statement"] = statements
    return doc


def _values(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def check_identity_policy(document: str) -> None:
    """A managed or inline permissions policy: no principals, resources required."""
    doc = _parse(document)
    for st in doc["Statement"]:
        if "Principal" in st or "NotPrincipal" in st:
            raise AwsError.modeled("iam", "MalformedPolicyDocument", "Policy document should not specify a principal.")
        if "Resource" not in st and "NotResource" not in st:
            raise AwsError.modeled("iam", "MalformedPolicyDocument", "Policy statement must contain resources.")
        for resource in _values(st.get("Resource", st.get("NotResource"))):
            if not isinstance(resource, str) or (resource != "*" and not arns.looks_like_arn(resource)):
                raise AwsError.modeled(
                    "iam", "MalformedPolicyDocument", f'Resource {resource} must be in ARN format or "*".'
                )


def check_trust_policy(document: str) -> None:
    """A role's AssumeRolePolicyDocument: principals allowed, resources prohibited."""
    doc = _parse(document)
    for st in doc["Statement"]:
        for field in ("Resource", "NotResource"):
            if field in st:
                raise AwsError.modeled("iam", "MalformedPolicyDocument", f"Has prohibited field {field}.")
        if "Principal" not in st and "NotPrincipal" not in st:
            raise AwsError.modeled("iam", "MalformedPolicyDocument", "Missing required field Principal.")
        for action in _values(st.get("Action", st.get("NotAction"))):
            if action != "*" and not str(action).startswith("sts:"):
                raise AwsError.modeled(
                    "iam", "MalformedPolicyDocument", "AssumeRole policy may only specify STS AssumeRole actions."
                )
    # the rest of the language (principals, conditions) as the engine that evaluates it reads it
    try:
        parse_policy(document, kind="trust")
    except PolicyError as e:
        raise AwsError.modeled("iam", "MalformedPolicyDocument", str(e)) from None
    if size(document) > TRUST_POLICY_SIZE:
        raise AwsError.modeled("iam", "LimitExceeded", f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_SIZE}")


def check_managed_size(document: str) -> None:
    if size(document) > MANAGED_POLICY_SIZE:
        raise AwsError.modeled("iam", "LimitExceeded", f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_SIZE}")

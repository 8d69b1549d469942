"""Policy documents: kept verbatim as the client sent them, checked the way IAM checks them
(permissions policies by grammar.py's stages; trust policies: principals required, resources
prohibited, STS actions; sizes), and URL-encoded in responses as IAM does (botocore decodes
them again)."""

from __future__ import annotations

from urllib.parse import quote

from gureum.aws.errors import AwsError
from gureum.policy.engine import PolicyError, parse_policy
from gureum.services.iam import grammar

# Quotas on document sizes, counted without whitespace as IAM counts them.
MANAGED_POLICY_SIZE = 6144
TRUST_POLICY_SIZE = 2048
INLINE_SIZE = {"user": 2048, "role": 10240, "group": 5120}


def encode(document: str) -> str:
    """The document as IAM puts it in a response: percent-encoded (RFC 3986)."""
    return quote(document, safe="-_.~")


def size(document: str) -> int:
    return sum(1 for c in document if not c.isspace())


def check_identity_policy(document: str, *, managed: bool) -> None:
    """A managed policy (`managed`: CreatePolicy, CreatePolicyVersion) or an inline one
    (Put{User,Group,Role}Policy): IAM's grammar, stage by stage (grammar.py), then the rest of
    the language (condition keys and values) as the engine that evaluates it reads it: a
    stored policy the engine could not read would be skipped when deciding, so a Deny in it
    would be lost; it is refused here instead."""
    grammar.check_identity(document, managed=managed)
    try:
        parse_policy(document, kind="identity")
    except PolicyError as e:
        raise AwsError.modeled("iam", "MalformedPolicyDocument", str(e)) from None


def check_trust_policy(document: str) -> None:
    """A role's AssumeRolePolicyDocument: principals required, resources prohibited, only STS
    actions; any Version IAM knows, or none."""
    statements = grammar.statements(document, invalid_json="This policy contains invalid Json")
    for st in statements:
        for field in ("Resource", "NotResource"):
            if field in st:
                raise AwsError.modeled("iam", "MalformedPolicyDocument", f"Has prohibited field {field}")
        if "Principal" not in st and "NotPrincipal" not in st:
            raise AwsError.modeled("iam", "MalformedPolicyDocument", "Missing required field Principal")
    # the rest of the language (Sids, actions, principals, conditions) as the engine that
    # evaluates it reads it
    try:
        parse_policy(document, kind="trust")
    except PolicyError as e:
        raise AwsError.modeled("iam", "MalformedPolicyDocument", str(e)) from None
    if size(document) > TRUST_POLICY_SIZE:
        raise AwsError.modeled("iam", "LimitExceeded", f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_SIZE}")


def aws_principals(document: str) -> list[str]:
    """The "AWS" principals (Principal and NotPrincipal) a checked trust policy names."""
    out: list[str] = []
    for st in grammar.statements(document):
        for field in ("Principal", "NotPrincipal"):
            spec = st.get(field)
            if isinstance(spec, dict):
                value = spec.get("AWS", [])
                out.extend(v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str))
    return out


def check_managed_size(document: str) -> None:
    if size(document) > MANAGED_POLICY_SIZE:
        raise AwsError.modeled("iam", "LimitExceeded", f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_SIZE}")

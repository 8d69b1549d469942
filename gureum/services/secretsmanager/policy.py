"""Secrets Manager resource policies (pure): a document the policy engine cannot read is
MalformedPolicyDocumentException; with BlockPublicPolicy, a policy granting everyone
(Principal "*" or {"AWS": "*"} without a Condition) is PublicPolicyException."""

from __future__ import annotations

import json
from typing import Any

from gureum.aws.errors import AwsError
from gureum.policy.resource_policies import unreadable


def problems(text: str) -> list[str]:
    """Why `text` is no valid resource policy (empty when it is)."""
    why = unreadable(text)
    return [why] if why else []


def is_public(text: str) -> bool:
    doc = json.loads(text)
    statements: Any = doc.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    for s in statements or []:
        if s.get("Effect") != "Allow" or s.get("Condition"):
            continue
        principal = s.get("Principal")
        if principal == "*" or (isinstance(principal, dict) and "*" in ([principal.get("AWS")] if isinstance(principal.get("AWS"), str) else principal.get("AWS") or [])):
            return True
    return False


def check(text: str, block_public: bool) -> None:
    bad = problems(text)
    if bad:
        raise AwsError.modeled("secretsmanager", "MalformedPolicyDocumentException", f"This resource policy contains an unsupported principal or is malformed: {bad[0]}")
    if block_public and is_public(text):
        raise AwsError.modeled("secretsmanager", "PublicPolicyException",
                               "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.")

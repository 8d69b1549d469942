"""The condition context keys policies refer to (GetContextKeysForCustomPolicy and
GetContextKeysForPrincipalPolicy): every key named in a Condition block of any statement,
once each (keys are case-insensitive in IAM; the first spelling is kept), in the order met.
Pure functions of the documents; the principal's documents are gathered as the policy
gate gathers them (authorization.py)."""

from __future__ import annotations

import json
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.iam import authorization
from gureum.services.iam.model import Iam
from gureum.services.iam.policies import Policies


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("iam", "InvalidInput", message)


def _statements(document: str) -> list[Any]:
    try:
        doc = json.loads(document)
    except ValueError:
        raise _invalid("Syntax errors in policy.") from None
    if not isinstance(doc, dict):
        raise _invalid("Syntax errors in policy.")
    stmts = doc.get("Statement", [])
    return stmts if isinstance(stmts, list) else [stmts]


def context_keys(documents: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for document in documents:
        for stmt in _statements(document):
            condition = stmt.get("Condition") if isinstance(stmt, dict) else None
            if not isinstance(condition, dict):
                continue
            for block in condition.values():
                if isinstance(block, dict):
                    for key in block:
                        seen.setdefault(str(key).lower(), str(key))
    return list(seen.values())


def principal_documents(m: Iam, arn: str) -> list[str]:
    """The identity policies of the user (with its groups'), group or role `arn` names."""
    p = Policies(m)
    kind = next((k for k in ("user", "group", "role") if arns.iam_resource_rest(arn, m.account, k)), "")
    name = arn.rsplit("/", 1)[-1]
    if kind == "user":
        user = m.get_user(name)
        docs = authorization._documents(p, user)
        for _, group in m.groups_for_user(user["UserName"]):
            docs.extend(authorization._documents(p, group))
        return docs
    if kind == "group":
        return authorization._documents(p, m.get_group(name))
    if kind == "role":
        return authorization._documents(p, m.get_role(name))
    raise _invalid(f"Invalid ARN: {arn}")

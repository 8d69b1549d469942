"""S3's resource policy for the authorization gate: the bucket policy of the bucket an
`arn:aws:s3:::<bucket>[/<key>]` ARN names.

Block Public Access's RestrictPublicBuckets (bucket_access.py): while it is on and the policy
is public (public.py), the policy grants only to principals of the bucket owner's account and
to AWS service principals — "public and cross-account access within any public bucket policy,
including non-public delegation to specific accounts" is blocked. The gate reads the policy
with each Allow statement split in two, one limited to the owner's account
(aws:PrincipalAccount) and one to service principals (aws:PrincipalServiceName present); Deny
statements are kept as they are. A statement whose own condition already uses one of those
two clauses is dropped (refusing more, never less).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.services.s3 import bucket_access, model, public

if TYPE_CHECKING:
    from gureum.app import App

_ACCOUNT = ("StringEqualsIgnoreCase", "aws:PrincipalAccount")
_SERVICE = ("Null", "aws:PrincipalServiceName")


def _limited(statement: dict[str, Any], operator: str, key: str, value: str) -> dict[str, Any] | None:
    condition = {op: dict(block) for op, block in (statement.get("Condition") or {}).items()
                 if isinstance(block, dict)}
    block = condition.setdefault(operator, {})
    if any(k.lower() == key.lower() for k in block):
        return None
    block[key] = value
    return {**statement, "Condition": condition}


def restricted(text: str, owner: str) -> str:
    """A public policy as RestrictPublicBuckets lets it act (see the module docstring)."""
    doc = json.loads(text)
    statements = doc.get("Statement")
    out: list[dict[str, Any]] = []
    for st in statements if isinstance(statements, list) else [statements]:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            out.append(st)
            continue
        for limited in (_limited(st, *_ACCOUNT, owner), _limited(st, *_SERVICE, "false")):
            if limited is not None:
                out.append({k: v for k, v in limited.items() if k != "Sid"})
    return json.dumps({**doc, "Statement": out})


async def read(app: App, arn: str) -> str | None:
    f = arns.fields(arn)
    if f is None or not f.resource:
        return None
    name = f.resource.split("/", 1)[0]

    def get(t: Any) -> dict[str, Any] | None:
        doc: dict[str, Any] | None = t.get(model.BUCKETS, name)
        return doc

    bucket = await app.store.read(get)
    text: str | None = (bucket or {}).get("policy") or None
    if text is None or bucket is None:
        return None
    if bucket_access.block(bucket, "RestrictPublicBuckets") and public.policy_is_public(text):
        return restricted(text, bucket["account"])
    return text

"""PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy: a function's (or version's,
alias's) resource-based policy as one document, the newer API beside AddPermission and
RemovePermission. Both edit the same statements (permissions.py: the function document's
"policies" per qualifier), so the authorization gate enforces a policy put either way, and
PutResourcePolicy replaces what AddPermission added. RevisionIds are those of what the
policy belongs to, as for GetPolicy. A runtime ARN names no resource a policy can be put on
here (ResourceNotFoundException).
"""

from __future__ import annotations

import json
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.policy import resource_policies
from gureum.services.lambda_ import model, permissions


def _slot(ctx: RequestContext, resource_arn: str) -> tuple[str, str, str]:
    """(function key, the ARN as given, qualifier slot)."""
    ref = arns.lambda_function_ref(resource_arn) if ":function:" in resource_arn else None
    if ref is None:
        raise AwsError.modeled("lambda", "ResourceNotFoundException", "The resource you requested does not exist.", Type="User")
    name, qualifier = model.parse_name(resource_arn, ctx.account_id, ctx.region)
    if qualifier == "$LATEST":
        raise AwsError.modeled("lambda", "InvalidParameterValueException", "We currently do not support adding policies for $LATEST.",
                               Type="User")
    return model.fn_key(ctx.account_id, ctx.region, name), resource_arn, qualifier or ""


def statements_of(policy: str) -> list[dict[str, Any]]:
    """The statements of a policy document, as the policy language reads them (AWS's
    InvalidParameterValueException for anything else)."""
    try:
        doc = json.loads(policy)
    except ValueError:
        doc = None
    statements = doc.get("Statement") if isinstance(doc, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if (not isinstance(statements, list) or not statements or not all(isinstance(s, dict) for s in statements)
            or resource_policies.unreadable(json.dumps(doc)) is not None):
        raise AwsError.modeled("lambda", "InvalidParameterValueException", "The provided policy document is invalid.", Type="User")
    return [dict(s) for s in statements]


@operation("lambda", "PutResourcePolicy")
async def put_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, arn, slot = _slot(ctx, params["ResourceArn"])
    statements = statements_of(params["Policy"])
    revision = await ctx.app.store.run(lambda t: permissions.replace(t, key, arn, slot, statements, params.get("RevisionId")))
    return {"Policy": permissions.document(statements), "RevisionId": revision}


@operation("lambda", "GetResourcePolicy")
async def get_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, arn, slot = _slot(ctx, params["ResourceArn"])
    statements, revision = await ctx.app.store.read(lambda t: permissions.get(t, key, arn, slot))
    return {"Policy": permissions.document(statements), "RevisionId": revision}


@operation("lambda", "DeleteResourcePolicy")
async def delete_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> None:
    key, arn, slot = _slot(ctx, params["ResourceArn"])
    await ctx.app.store.run(lambda t: permissions.replace(t, key, arn, slot, None, params.get("RevisionId")))

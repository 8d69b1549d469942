"""STS operations (query protocol)."""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext, operation


@operation("sts", "GetCallerIdentity")
async def get_caller_identity(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    arn = ctx.principal_arn
    user_id = ctx.account_id if arn.endswith(":root") else ctx.extra.get("user_id", ctx.account_id)
    return {"UserId": user_id, "Account": ctx.account_id, "Arn": arn}

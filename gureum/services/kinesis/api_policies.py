"""Kinesis's resource policy handlers (PutResourcePolicy, GetResourcePolicy,
DeleteResourcePolicy): one store transaction of resource_policy.py each."""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.services.kinesis import resource_policy as P


@operation("kinesis", "PutResourcePolicy")
async def put_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: P.put(t, ctx.account_id, ctx.region, params))
    return {}


@operation("kinesis", "GetResourcePolicy")
async def get_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.read(lambda t: P.get(t, ctx.account_id, ctx.region, params["ResourceARN"]))


@operation("kinesis", "DeleteResourcePolicy")
async def delete_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: P.delete(t, ctx.account_id, ctx.region, params["ResourceARN"]))
    return {}

"""Lex V2 resource policy handlers: CreateResourcePolicy, DescribeResourcePolicy,
UpdateResourcePolicy, DeleteResourcePolicy on bots and bot aliases (rules and storage:
resource_policy.py). The statement-level operations (CreateResourcePolicyStatement,
DeleteResourcePolicyStatement) answer 501."""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.services.lexv2 import resource_policy as policies

SERVICE = policies.S


@operation(SERVICE, "CreateResourcePolicy")
async def create_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    arn = params["resourceArn"]
    revision = await ctx.app.store.run(lambda t: policies.create(t, ctx.account_id, ctx.region, arn, params["policy"]))
    return {"resourceArn": arn, "revisionId": revision}


@operation(SERVICE, "DescribeResourcePolicy")
async def describe_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    arn = params["resourceArn"]
    doc = await ctx.app.store.read(lambda t: policies.describe(t, ctx.account_id, ctx.region, arn))
    return {"resourceArn": arn, "policy": doc["text"], "revisionId": doc["revisionId"]}


@operation(SERVICE, "UpdateResourcePolicy")
async def update_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    arn = params["resourceArn"]
    revision = await ctx.app.store.run(lambda t: policies.update(t, ctx.account_id, ctx.region, arn, params["policy"],
                                                                 params.get("expectedRevisionId")))
    return {"resourceArn": arn, "revisionId": revision}


@operation(SERVICE, "DeleteResourcePolicy")
async def delete_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    arn = params["resourceArn"]
    revision = await ctx.app.store.run(lambda t: policies.delete(t, ctx.account_id, ctx.region, arn,
                                                                 params.get("expectedRevisionId")))
    return {"resourceArn": arn, "revisionId": revision}

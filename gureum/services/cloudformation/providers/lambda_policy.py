"""AWS::Lambda::ResourcePolicy (Ref: the function's, version's or alias's ARN; no
Fn::GetAtt), made by Lambda's own PutResourcePolicy: the document changes in place (put
again), another ResourceArn replaces it (the schema's createOnly, the engine decides); delete
is DeleteResourcePolicy, an already-gone function taken as done."""

from __future__ import annotations

from typing import Any

from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    ignore_missing,
    policy_text,
    provider,
    updating,
)

T = "AWS::Lambda::ResourcePolicy"


async def _put(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    arn = str(props["ResourceArn"])
    await ctx.call("lambda", "PutResourcePolicy", {"ResourceArn": arn, "Policy": policy_text(props["PolicyDocument"])})
    return Done(arn)


@provider(T)
async def create_resource_policy(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    return await _put(ctx, props)


@updating(T)
async def update_resource_policy(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                 done: Done) -> Done:
    return await _put(ctx, new)


@deleting(T)
async def delete_resource_policy(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ignore_missing(ctx.call("lambda", "DeleteResourcePolicy", {"ResourceArn": physical}), "ResourceNotFound")

"""AWS::Kinesis::ResourcePolicy (Ref: the stream's or consumer's ARN; no Fn::GetAtt), made by
the kinesis service's own handlers: PutResourcePolicy; the document changes in place (put
again), another ResourceArn replaces it (the engine decides); delete is DeleteResourcePolicy,
an already-gone policy or resource taken as done."""

from __future__ import annotations

from typing import Any

from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    ignore_missing,
    policy_text,
    provider,
    refuse_unapplied,
    updating,
)

T = "AWS::Kinesis::ResourcePolicy"


async def _put(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(T, props, ("ResourceArn", "ResourcePolicy"))
    arn = str(props["ResourceArn"])
    await ctx.call("kinesis", "PutResourcePolicy", {"ResourceARN": arn, "Policy": policy_text(props["ResourcePolicy"])})
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
    await ignore_missing(ctx.call("kinesis", "DeleteResourcePolicy", {"ResourceARN": physical}), "ResourceNotFound")

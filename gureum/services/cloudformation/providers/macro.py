"""AWS::CloudFormation::Macro (Ref and the physical id: the macro's name, Fn::GetAtt Id the
same): a row in CloudFormation's own macro registry (macros.py), which templates of every
stack of the account and Region then call by name. A name already taken fails the resource
(AlreadyExistsException); FunctionName, Description and the logging properties change in
place, a new Name replaces it (the schema's createOnly); delete drops the row."""

from __future__ import annotations

from typing import Any

from gureum.services.cloudformation import macros
from gureum.services.cloudformation.providers.base import Done, ResourceContext, deleting, provider, text, updating

T = "AWS::CloudFormation::Macro"
FIELDS = ("Name", "FunctionName", "Description", "LogGroupName", "LogRoleARN")


def _row(ctx: ResourceContext, props: dict[str, Any]) -> dict[str, Any]:
    row = {k: text(props[k]) for k in FIELDS if props.get(k) is not None}
    return {**row, "StackId": ctx.stack_id, "LogicalResourceId": ctx.logical_id}


@provider(T)
async def create_macro(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    row = _row(ctx, props)
    await ctx.app.store.run(lambda t: macros.register(t, ctx.account, ctx.region, row))
    return Done(row["Name"], {"Id": row["Name"]})


@updating(T)
async def update_macro(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                       done: Done) -> Done:
    row = _row(ctx, new)
    await ctx.app.store.run(lambda t: macros.replace(t, ctx.account, ctx.region, row))
    return Done(physical, {"Id": physical})


@deleting(T)
async def delete_macro(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ctx.app.store.run(lambda t: macros.remove(t, ctx.account, ctx.region, physical, ctx.stack_id))

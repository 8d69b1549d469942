"""Transformer handlers (json protocol): PutTransformer, GetTransformer, DeleteTransformer
and TestTransformer over transformers.py."""

from __future__ import annotations

from typing import Any

from gureum.aws import arn as arns
from gureum.aws.dispatch import RequestContext, operation
from gureum.services.logs import model, transformers


def group_of(identifier: str) -> str:
    """A log group's name from its name or ARN (with or without the trailing `:*`)."""
    if arns.looks_like_arn(identifier):
        try:
            return arns.logs_group_parts(identifier)[2]
        except arns.BadArn:
            return identifier  # names no group: the lookup answers ResourceNotFoundException
    return identifier


@operation("logs", "PutTransformer")
async def put_transformer(ctx: RequestContext, params: dict[str, Any]) -> None:
    ident = params["logGroupIdentifier"]
    group = group_of(ident)

    def put(txn: model.Txn) -> None:
        g = model.get_group(txn, ctx.account_id, ctx.region, group)
        transformers.put(txn, ctx.account_id, ctx.region, group, g, ident, params["transformerConfig"])

    await ctx.app.store.run(put)


@operation("logs", "GetTransformer")
async def get_transformer(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    group = group_of(params["logGroupIdentifier"])

    def get(txn: model.Txn) -> dict[str, Any]:
        model.get_group(txn, ctx.account_id, ctx.region, group)
        return transformers.get(txn, ctx.account_id, ctx.region, group)

    return await ctx.app.store.read(get)


@operation("logs", "DeleteTransformer")
async def delete_transformer(ctx: RequestContext, params: dict[str, Any]) -> None:
    group = group_of(params["logGroupIdentifier"])

    def delete(txn: model.Txn) -> None:
        model.get_group(txn, ctx.account_id, ctx.region, group)
        transformers.delete(txn, ctx.account_id, ctx.region, group)

    await ctx.app.store.run(delete)


@operation("logs", "TestTransformer")
async def test_transformer(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"transformedLogs": transformers.test(params["transformerConfig"], params["logEventMessages"])}

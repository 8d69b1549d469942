"""SSM Parameter Store handlers: read the parameters, run one model function, shape the answer."""

from __future__ import annotations

import time
from typing import Any

from gureum.aws import tags
from gureum.aws.dispatch import RequestContext, operation
from gureum.services.ssm import model
from gureum.store import Txn


def _next(token: str | None) -> dict[str, Any]:
    return {"NextToken": token} if token else {}


@operation("ssm", "PutParameter")
async def put_parameter(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    version, tier = await ctx.app.store.run(
        lambda t: model.put(t, ctx.account_id, ctx.region, params, ctx.principal_arn, time.time()))
    return {"Version": version, "Tier": tier}


@operation("ssm", "GetParameter")
async def get_parameter(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    decrypt = bool(params.get("WithDecryption"))
    doc = await ctx.app.store.read(lambda t: model.get(t, ctx.account_id, ctx.region, params["Name"], decrypt, time.time()))
    return {"Parameter": doc}


@operation("ssm", "GetParameters")
async def get_parameters(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    decrypt = bool(params.get("WithDecryption"))
    found, invalid = await ctx.app.store.read(
        lambda t: model.get_many(t, ctx.account_id, ctx.region, params["Names"], decrypt, time.time()))
    return {"Parameters": found, "InvalidParameters": invalid}


@operation("ssm", "GetParametersByPath")
async def get_parameters_by_path(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items, token = await ctx.app.store.read(lambda t: model.by_path(t, ctx.account_id, ctx.region, params, time.time()))
    return {"Parameters": items, **_next(token)}


@operation("ssm", "DescribeParameters")
async def describe_parameters(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items, token = await ctx.app.store.read(lambda t: model.describe(t, ctx.account_id, ctx.region, params, time.time()))
    return {"Parameters": items, **_next(token)}


@operation("ssm", "DeleteParameter")
async def delete_parameter(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: model.delete(t, ctx.account_id, ctx.region, params["Name"], time.time()))
    return {}


@operation("ssm", "DeleteParameters")
async def delete_parameters(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    deleted, missing = await ctx.app.store.run(
        lambda t: model.delete_many(t, ctx.account_id, ctx.region, params["Names"], time.time()))
    return {"DeletedParameters": deleted, "InvalidParameters": missing}


@operation("ssm", "GetParameterHistory")
async def get_parameter_history(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items, token = await ctx.app.store.read(lambda t: model.history(t, ctx.account_id, ctx.region, params, time.time()))
    return {"Parameters": items, **_next(token)}


@operation("ssm", "LabelParameterVersion")
async def label_parameter_version(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    bad, version = await ctx.app.store.run(lambda t: model.label(
        t, ctx.account_id, ctx.region, params["Name"], params.get("ParameterVersion"), params["Labels"], time.time()))
    return {"InvalidLabels": bad, "ParameterVersion": version}


@operation("ssm", "UnlabelParameterVersion")
async def unlabel_parameter_version(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    removed, invalid = await ctx.app.store.run(lambda t: model.unlabel(
        t, ctx.account_id, ctx.region, params["Name"], params["ParameterVersion"], params["Labels"], time.time()))
    return {"RemovedLabels": removed, "InvalidLabels": invalid}


@operation("ssm", "AddTagsToResource")
async def add_tags_to_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> None:
        place = model.tag_place(t, ctx.account_id, ctx.region, params["ResourceType"], params["ResourceId"], time.time())
        tags.tag(t, place, tags.from_pairs(params["Tags"]), model.TAG_RULES)

    await ctx.app.store.run(txn)
    return {}


@operation("ssm", "RemoveTagsFromResource")
async def remove_tags_from_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> None:
        place = model.tag_place(t, ctx.account_id, ctx.region, params["ResourceType"], params["ResourceId"], time.time())
        tags.untag(t, place, params["TagKeys"], model.TAG_RULES)

    await ctx.app.store.run(txn)
    return {}


@operation("ssm", "ListTagsForResource")
async def list_tags_for_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, str]:
        return tags.list_tags(t, model.tag_place(t, ctx.account_id, ctx.region, params["ResourceType"], params["ResourceId"], time.time()))

    return {"TagList": tags.to_pairs(await ctx.app.store.read(txn))}

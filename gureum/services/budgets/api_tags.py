"""Budgets tag handlers: TagResource, UntagResource, ListTagsForResource on a budget's ARN
(where the tags live and the rules: tagging.py)."""

from __future__ import annotations

from typing import Any

from gureum.aws import tags
from gureum.aws.dispatch import RequestContext, operation
from gureum.services.budgets import tagging


@operation("budgets", "TagResource")
async def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    where = tagging.place(ctx.account_id, params["ResourceARN"])
    add = [(t.get("Key"), t.get("Value", "")) for t in params["ResourceTags"]]
    await ctx.app.store.run(lambda t: tags.tag(t, where, add, tagging.RULES))
    return {}


@operation("budgets", "UntagResource")
async def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    where = tagging.place(ctx.account_id, params["ResourceARN"])
    await ctx.app.store.run(lambda t: tags.untag(t, where, params["ResourceTagKeys"], tagging.RULES))
    return {}


@operation("budgets", "ListTagsForResource")
async def list_tags_for_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    where = tagging.place(ctx.account_id, params["ResourceARN"])
    found = await ctx.app.store.read(lambda t: tags.list_tags(t, where))
    return {"ResourceTags": tags.to_pairs(found)}

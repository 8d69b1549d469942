"""Lex V2 tag handlers: TagResource, UntagResource, ListTagsForResource on bots and bot
aliases (where the tags live and the rules: tagging.py)."""

from __future__ import annotations

from typing import Any

from gureum.aws import tags
from gureum.aws.dispatch import RequestContext, operation
from gureum.services.lexv2 import tagging

SERVICE = tagging.S


@operation(SERVICE, "TagResource")
async def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    where = tagging.place(ctx.account_id, ctx.region, params["resourceARN"])
    await ctx.app.store.run(lambda t: tags.tag(t, where, params["tags"], tagging.RULES))
    return {}


@operation(SERVICE, "UntagResource")
async def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    where = tagging.place(ctx.account_id, ctx.region, params["resourceARN"])
    await ctx.app.store.run(lambda t: tags.untag(t, where, params["tagKeys"], tagging.RULES))
    return {}


@operation(SERVICE, "ListTagsForResource")
async def list_tags_for_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    where = tagging.place(ctx.account_id, ctx.region, params["resourceARN"])
    return {"tags": await ctx.app.store.read(lambda t: tags.list_tags(t, where))}

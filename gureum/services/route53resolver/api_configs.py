"""Route 53 Resolver handlers for resolver configs (configs.py): Get/Update/ListResolverConfig(s)."""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.services.route53resolver import configs

Doc = dict[str, Any]
S = "route53resolver"


@operation(S, "GetResolverConfig")
async def get_resolver_config(ctx: RequestContext, p: Doc) -> Doc:
    return {"ResolverConfig": await ctx.app.store.read(lambda t: configs.get(t, ctx.account_id, ctx.region, p["ResourceId"]))}


@operation(S, "UpdateResolverConfig")
async def update_resolver_config(ctx: RequestContext, p: Doc) -> Doc:
    return {"ResolverConfig": await ctx.app.store.run(
        lambda t: configs.update(t, ctx.account_id, ctx.region, p["ResourceId"], p["AutodefinedReverseFlag"]))}


@operation(S, "ListResolverConfigs")
async def list_resolver_configs(ctx: RequestContext, p: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: configs.list_configs(t, ctx.account_id, ctx.region, p))
    out: Doc = {"ResolverConfigs": items}
    if nxt:
        out["NextToken"] = nxt
    return out

"""API Gateway (REST) VPC link handlers (vpclinks.py holds the rules and states). Reads
run in a writing transaction: a PENDING link settles when it is read (vpclinks.settle)."""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.services.apigateway import vpclinks

Doc = dict[str, Any]


@operation("apigateway", "CreateVpcLink")
async def create_vpc_link(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: vpclinks.create(t, ctx.account_id, ctx.region, params))


@operation("apigateway", "GetVpcLink")
async def get_vpc_link(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: vpclinks.get(t, ctx.account_id, ctx.region, params["vpcLinkId"]))


@operation("apigateway", "GetVpcLinks")
async def get_vpc_links(ctx: RequestContext, params: Doc) -> Doc:
    items, nxt = await ctx.app.store.run(lambda t: vpclinks.listing(
        t, ctx.account_id, ctx.region, params.get("position"), params.get("limit")))
    return {"items": items, **({"position": nxt} if nxt else {})}


@operation("apigateway", "UpdateVpcLink")
async def update_vpc_link(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: vpclinks.update(
        t, ctx.account_id, ctx.region, params["vpcLinkId"], params.get("patchOperations")))


@operation("apigateway", "DeleteVpcLink")
async def delete_vpc_link(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: vpclinks.delete(t, ctx.account_id, ctx.region, params["vpcLinkId"]))
    return {}

"""API Gateway v2's VPC link handlers (vpclinks.py holds the rules and states). Reads run in
a writing transaction: a PENDING link settles when it is read (vpclinks.settle)."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.services.apigatewayv2 import vpclinks
from gureum.services.apigatewayv2.model import SERVICE as S


def _shape(doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "CreatedDate": datetime.fromtimestamp(doc["CreatedDate"], tz=timezone.utc)}


@operation(S, "CreateVpcLink")
async def create_vpc_link(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _shape(await ctx.app.store.run(lambda t: vpclinks.create(t, ctx.account_id, ctx.region, params, time.time())))


@operation(S, "GetVpcLink")
async def get_vpc_link(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _shape(await ctx.app.store.run(lambda t: vpclinks.get(t, ctx.account_id, ctx.region, params["VpcLinkId"])))


@operation(S, "GetVpcLinks")
async def get_vpc_links(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items, nxt = await ctx.app.store.run(lambda t: vpclinks.listing(t, ctx.account_id, ctx.region, params))
    return {"Items": [_shape(d) for d in items], **({"NextToken": nxt} if nxt else {})}


@operation(S, "UpdateVpcLink")
async def update_vpc_link(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _shape(await ctx.app.store.run(lambda t: vpclinks.update(t, ctx.account_id, ctx.region, params)))


@operation(S, "DeleteVpcLink")
async def delete_vpc_link(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: vpclinks.delete(t, ctx.account_id, ctx.region, params["VpcLinkId"]))
    return {}

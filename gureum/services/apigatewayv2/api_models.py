"""API Gateway v2 model handlers (schemas.py): read the parameters, run one model function,
shape the answer."""

from __future__ import annotations

import time
from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.services.apigatewayv2 import model, schemas

S = model.SERVICE
Doc = dict[str, Any]


@operation(S, "CreateModel")
async def create_model(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: schemas.create(t, ctx.account_id, ctx.region, params["ApiId"], params,
                                                            time.time()))


@operation(S, "GetModel")
async def get_model(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.read(lambda t: schemas.get(t, ctx.account_id, ctx.region, params["ApiId"], params["ModelId"]))


@operation(S, "GetModels")
async def get_models(ctx: RequestContext, params: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: schemas.listing(t, ctx.account_id, ctx.region, params["ApiId"], params))
    return {"Items": items, **({"NextToken": nxt} if nxt else {})}


@operation(S, "UpdateModel")
async def update_model(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: schemas.update(t, ctx.account_id, ctx.region, params["ApiId"],
                                                            params["ModelId"], params, time.time()))


@operation(S, "DeleteModel")
async def delete_model(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: schemas.delete(t, ctx.account_id, ctx.region, params["ApiId"], params["ModelId"],
                                                     time.time()))
    return {}


@operation(S, "GetModelTemplate")
async def get_model_template(ctx: RequestContext, params: Doc) -> Doc:
    doc = await ctx.app.store.read(lambda t: schemas.get(t, ctx.account_id, ctx.region, params["ApiId"], params["ModelId"]))
    return {"Value": schemas.template(doc)}

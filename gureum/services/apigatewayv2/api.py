"""API Gateway v2 control-plane handlers: read the parameters, run one model function, shape
the answer (dates as datetimes, the API's invoke endpoint, page tokens)."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.public import public_address
from gureum.services.apigatewayv2 import model, openapi, resource_tags

S = model.SERVICE
_DATES = ("CreatedDate", "LastUpdatedDate")


def _dates(doc: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    for k in _DATES:
        if isinstance(out.get(k), (int, float)):
            out[k] = datetime.fromtimestamp(out[k], tz=timezone.utc)
    return out


def endpoint(ctx: RequestContext, api: dict[str, Any]) -> str:
    """The API's invoke URL: http://<id>.execute-api.localhost:<port> (ws:// for WebSocket)."""
    _, port = public_address(ctx.app, ctx.request)
    scheme = "ws" if api["ProtocolType"] == "WEBSOCKET" else "http"
    return f"{scheme}://{api['ApiId']}.execute-api.localhost:{port}"


def _api(ctx: RequestContext, doc: dict[str, Any]) -> dict[str, Any]:
    out = _dates(doc)
    out["ApiEndpoint"] = endpoint(ctx, doc)
    return out


def _page(items: list[dict[str, Any]], nxt: str | None, shape: Any = _dates) -> dict[str, Any]:
    out: dict[str, Any] = {"Items": [shape(d) for d in items]}
    if nxt:
        out["NextToken"] = nxt
    return out


# --- APIs -------------------------------------------------------------------------------

@operation(S, "CreateApi")
async def create_api(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.run(lambda t: model.create_api(t, ctx.account_id, ctx.region, params, time.time()))
    return _api(ctx, doc)


@operation(S, "GetApi")
async def get_api(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: model.get_api(t, ctx.account_id, ctx.region, params["ApiId"]))
    return _api(ctx, doc)


@operation(S, "GetApis")
async def get_apis(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items, nxt = await ctx.app.store.read(lambda t: model.list_apis(t, ctx.account_id, ctx.region, params))
    return _page(items, nxt, lambda d: _api(ctx, d))


@operation(S, "UpdateApi")
async def update_api(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.run(lambda t: model.update_api(t, ctx.account_id, ctx.region, params, time.time()))
    return _api(ctx, doc)


@operation(S, "DeleteApi")
async def delete_api(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: model.delete_api(t, ctx.account_id, ctx.region, params["ApiId"]))
    return {}


@operation(S, "DeleteCorsConfiguration")
async def delete_cors(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: model.delete_cors(t, ctx.account_id, ctx.region, params["ApiId"], time.time()))
    return {}


# --- routes, integrations, authorizers, route and integration responses ----------------

def _children(kind: str, noun: str, id_param: str, parent_param: str | None = None) -> None:
    """Register Create/Get/Gets/Update/Delete<noun> for one kind of child."""

    def parent(params: dict[str, Any]) -> str | None:
        return str(params[parent_param]) if parent_param else None

    async def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return _dates(await ctx.app.store.run(lambda t: model.create_child(
            t, ctx.account_id, ctx.region, params["ApiId"], kind, params, time.time(), parent=parent(params))))

    async def get(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return _dates(await ctx.app.store.read(lambda t: model.get_child(
            t, ctx.account_id, ctx.region, params["ApiId"], kind, params[id_param], parent(params))))

    async def gets(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        items, nxt = await ctx.app.store.read(lambda t: model.list_children(
            t, ctx.account_id, ctx.region, params["ApiId"], kind, params, parent(params)))
        return _page(items, nxt)

    async def update(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return _dates(await ctx.app.store.run(lambda t: model.update_child(
            t, ctx.account_id, ctx.region, params["ApiId"], kind, params[id_param], params, time.time(), parent(params))))

    async def delete(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        await ctx.app.store.run(lambda t: model.delete_child(
            t, ctx.account_id, ctx.region, params["ApiId"], kind, params[id_param], time.time(), parent(params)))
        return {}

    operation(S, f"Create{noun}")(create)
    operation(S, f"Get{noun}")(get)
    operation(S, f"Get{noun}s")(gets)
    operation(S, f"Update{noun}")(update)
    operation(S, f"Delete{noun}")(delete)


_children("routes", "Route", "RouteId")
_children("integrations", "Integration", "IntegrationId")
_children("authorizers", "Authorizer", "AuthorizerId")
_children("routeresponses", "RouteResponse", "RouteResponseId", "RouteId")
_children("integrationresponses", "IntegrationResponse", "IntegrationResponseId", "IntegrationId")


# --- stages and deployments -------------------------------------------------------------

@operation(S, "CreateStage")
async def create_stage(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _dates(await ctx.app.store.run(lambda t: model.create_stage(
        t, ctx.account_id, ctx.region, params["ApiId"], params, time.time())))


@operation(S, "GetStage")
async def get_stage(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _dates(await ctx.app.store.read(lambda t: model.get_child(
        t, ctx.account_id, ctx.region, params["ApiId"], "stages", params["StageName"])))


@operation(S, "GetStages")
async def get_stages(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items, nxt = await ctx.app.store.read(lambda t: model.list_children(
        t, ctx.account_id, ctx.region, params["ApiId"], "stages", params))
    return _page(items, nxt)


@operation(S, "UpdateStage")
async def update_stage(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _dates(await ctx.app.store.run(lambda t: model.update_stage(
        t, ctx.account_id, ctx.region, params["ApiId"], params, time.time())))


@operation(S, "DeleteStage")
async def delete_stage(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: model.delete_stage(t, ctx.account_id, ctx.region, params["ApiId"], params["StageName"]))
    return {}


@operation(S, "DeleteRouteSettings")
async def delete_route_settings(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: model.delete_route_settings(
        t, ctx.account_id, ctx.region, params["ApiId"], params["StageName"], params["RouteKey"]))
    return {}


@operation(S, "DeleteAccessLogSettings")
async def delete_access_log_settings(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def run(t: Any) -> None:
        stage = model.get_child(t, ctx.account_id, ctx.region, params["ApiId"], "stages", params["StageName"])
        stage.pop("AccessLogSettings", None)
        t.put(model.ITEMS, model.item_prefix(ctx.account_id, ctx.region, params["ApiId"], "stages") + stage["StageName"], stage)
        model.touch(t, params["ApiId"])

    await ctx.app.store.run(run)
    return {}


@operation(S, "ResetAuthorizersCache")
async def reset_authorizers_cache(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def run(t: Any) -> None:
        model.get_child(t, ctx.account_id, ctx.region, params["ApiId"], "stages", params["StageName"])
        t.publish(model.TOPIC, {"api": params["ApiId"], "authorizers": True})

    await ctx.app.store.run(run)
    return {}


@operation(S, "CreateDeployment")
async def create_deployment(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.run(lambda t: model.create_deployment(
        t, ctx.account_id, ctx.region, params["ApiId"], params, time.time()))
    return _dates(model.public_deployment(doc))


@operation(S, "GetDeployment")
async def get_deployment(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: model.get_child(
        t, ctx.account_id, ctx.region, params["ApiId"], "deployments", params["DeploymentId"]))
    return _dates(model.public_deployment(doc))


@operation(S, "GetDeployments")
async def get_deployments(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items, nxt = await ctx.app.store.read(lambda t: model.list_children(
        t, ctx.account_id, ctx.region, params["ApiId"], "deployments", params))
    return _page(items, nxt, lambda d: _dates(model.public_deployment(d)))


@operation(S, "UpdateDeployment")
async def update_deployment(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def run(t: Any) -> dict[str, Any]:
        doc = model.get_child(t, ctx.account_id, ctx.region, params["ApiId"], "deployments", params["DeploymentId"])
        if params.get("Description") is not None:
            doc["Description"] = params["Description"]
        t.put(model.ITEMS, model.item_prefix(ctx.account_id, ctx.region, params["ApiId"], "deployments") + doc["DeploymentId"], doc)
        return doc

    return _dates(model.public_deployment(await ctx.app.store.run(run)))


@operation(S, "DeleteDeployment")
async def delete_deployment(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: model.delete_deployment(t, ctx.account_id, ctx.region, params["ApiId"], params["DeploymentId"]))
    return {}


# --- tags -------------------------------------------------------------------------------

@operation(S, "TagResource")
async def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: resource_tags.tag_resource(t, ctx.account_id, ctx.region, params["ResourceArn"],
                                                         params.get("Tags") or {}))
    return {}


@operation(S, "UntagResource")
async def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: resource_tags.untag_resource(t, ctx.account_id, ctx.region, params["ResourceArn"],
                                                           params.get("TagKeys") or []))
    return {}


@operation(S, "GetTags")
async def get_tags(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"Tags": await ctx.app.store.read(lambda t: resource_tags.get_tags(t, ctx.account_id, ctx.region, params["ResourceArn"]))}


# --- OpenAPI ------------------------------------------------------------------------------

@operation(S, "ImportApi")
async def import_api(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    fail = str(params.get("FailOnWarnings", "")).lower() == "true" or params.get("FailOnWarnings") is True
    doc = await ctx.app.store.run(lambda t: openapi.import_api(t, ctx.account_id, ctx.region, params["Body"],
                                                               time.time(), fail))
    return _api(ctx, doc)


@operation(S, "ReimportApi")
async def reimport_api(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    fail = str(params.get("FailOnWarnings", "")).lower() == "true" or params.get("FailOnWarnings") is True
    doc = await ctx.app.store.run(lambda t: openapi.reimport_api(t, ctx.account_id, ctx.region, params["ApiId"],
                                                                 params["Body"], time.time(), fail))
    return _api(ctx, doc)


@operation(S, "ExportApi")
async def export_api(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    extensions = params.get("IncludeExtensions")
    include = extensions is None or extensions is True or str(extensions).lower() == "true"

    def run(t: Any) -> dict[str, Any]:
        api = model.get_api(t, ctx.account_id, ctx.region, params["ApiId"])
        return openapi.export(t, ctx.account_id, ctx.region, params["ApiId"], params.get("StageName"), include,
                              endpoint(ctx, api))

    doc = await ctx.app.store.read(run)
    return {"body": openapi.render(doc, params["OutputType"])}

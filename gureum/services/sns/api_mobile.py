"""SNS mobile push operations: platform applications and endpoints (platforms.py)."""

from __future__ import annotations

from typing import Any

from gureum.aws import paging
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.sns import app_events, platforms, topics


def _bad_token() -> AwsError:
    return AwsError.modeled("sns", "InvalidParameter", "Invalid parameter: NextToken")


@operation("sns", "CreatePlatformApplication")
async def create_platform_application(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    arn = await ctx.app.store.run(lambda t: platforms.create_app(
        t, ctx.account_id, ctx.region, params["Name"], params["Platform"], params["Attributes"]))
    return {"PlatformApplicationArn": arn}


@operation("sns", "GetPlatformApplicationAttributes")
async def get_platform_application_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: platforms.get_app(t, params["PlatformApplicationArn"]))
    return {"Attributes": platforms.app_attributes(doc)}


@operation("sns", "SetPlatformApplicationAttributes")
async def set_platform_application_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: platforms.set_app_attributes(t, params["PlatformApplicationArn"], params["Attributes"]))
    return {}


@operation("sns", "DeletePlatformApplication")
async def delete_platform_application(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: platforms.delete_app(t, params["PlatformApplicationArn"]))
    return {}


@operation("sns", "ListPlatformApplications")
async def list_platform_applications(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Any) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        return paging.page(t, platforms.APPS, platforms.app_prefix(ctx.account_id, ctx.region), token=params.get("NextToken"),
                           limit=None, default_limit=100, error=_bad_token)

    rows, token = await ctx.app.store.read(txn)
    apps = [{"PlatformApplicationArn": d["arn"], "Attributes": platforms.app_attributes(d)} for _, d in rows]
    return {"PlatformApplications": apps, **({"NextToken": token} if token else {})}


@operation("sns", "CreatePlatformEndpoint")
async def create_platform_endpoint(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    arn, new = await ctx.app.store.run(lambda t: platforms.create_endpoint(
        t, params["PlatformApplicationArn"], params["Token"], params.get("CustomUserData"), params.get("Attributes") or {}))
    if new:
        app = await ctx.app.store.read(lambda t: platforms.get_app(t, params["PlatformApplicationArn"]))
        await topics.tell(ctx.app, app_events.event(app, "EndpointCreated", arn))
    return {"EndpointArn": arn}


@operation("sns", "GetEndpointAttributes")
async def get_endpoint_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: platforms.get_endpoint(t, params["EndpointArn"]))
    return {"Attributes": dict(doc["attrs"])}


@operation("sns", "SetEndpointAttributes")
async def set_endpoint_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.run(lambda t: platforms.set_endpoint_attributes(t, params["EndpointArn"], params["Attributes"]))
    app = await ctx.app.store.read(lambda t: platforms.app_of(t, doc))
    await topics.tell(ctx.app, app_events.event(app, "EndpointUpdated", doc["arn"]))
    return {}


@operation("sns", "DeleteEndpoint")
async def delete_endpoint(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    gone = await ctx.app.store.run(lambda t: platforms.delete_endpoint(t, params["EndpointArn"]))
    if gone is not None:
        app = await ctx.app.store.read(lambda t: platforms.app_of(t, gone))
        await topics.tell(ctx.app, app_events.event(app, "EndpointDeleted", gone["arn"]))
    return {}


@operation("sns", "ListEndpointsByPlatformApplication")
async def list_endpoints_by_platform_application(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Any) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        platforms.get_app(t, params["PlatformApplicationArn"])
        return paging.page(t, platforms.ENDPOINTS, platforms.endpoints_prefix(params["PlatformApplicationArn"]),
                           token=params.get("NextToken"), limit=None, default_limit=100, error=_bad_token)

    rows, token = await ctx.app.store.read(txn)
    items = [{"EndpointArn": d["arn"], "Attributes": dict(d["attrs"])} for _, d in rows]
    return {"Endpoints": items, **({"NextToken": token} if token else {})}

"""API Gateway v2's handlers for custom domain names and API mappings (domains.py holds the
rules; the records are REST API Gateway's, shared as AWS shares them)."""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.services.apigateway import port as domain_store
from gureum.services.apigatewayv2 import domains
from gureum.services.apigatewayv2.model import SERVICE as S


def _page(items: list[dict[str, Any]], nxt: str | None) -> dict[str, Any]:
    return {"Items": items, **({"NextToken": nxt} if nxt else {})}


async def _truststore(ctx: RequestContext, params: dict[str, Any]) -> domain_store.Truststore | None:
    """The truststore MutualTlsAuthentication names, read from S3 and checked, or None."""
    mtls = params.get("MutualTlsAuthentication") or {}
    if not mtls.get("TruststoreUri"):
        return None
    return await domain_store.load_truststore(ctx.app, ctx.account_id, str(mtls["TruststoreUri"]),
                                              mtls.get("TruststoreVersion"))


@operation(S, "CreateDomainName")
async def create_domain_name(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    store = await _truststore(ctx, params)
    return await ctx.app.store.run(lambda t: domains.create_domain(t, ctx.account_id, ctx.region, params, store))


@operation(S, "GetDomainName")
async def get_domain_name(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.read(lambda t: domains.get_domain(t, ctx.account_id, ctx.region, params["DomainName"]))


@operation(S, "GetDomainNames")
async def get_domain_names(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _page(*await ctx.app.store.read(lambda t: domains.list_domains(t, ctx.account_id, ctx.region, params)))


@operation(S, "UpdateDomainName")
async def update_domain_name(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    store = await _truststore(ctx, params)
    return await ctx.app.store.run(lambda t: domains.update_domain(t, ctx.account_id, ctx.region, params, store))


@operation(S, "DeleteDomainName")
async def delete_domain_name(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: domains.delete_domain(t, ctx.account_id, ctx.region, params["DomainName"]))
    return {}


@operation(S, "CreateApiMapping")
async def create_api_mapping(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.run(lambda t: domains.create_mapping(t, ctx.account_id, ctx.region, params))


@operation(S, "GetApiMapping")
async def get_api_mapping(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.read(lambda t: domains.get_mapping(
        t, ctx.account_id, ctx.region, params["DomainName"], params["ApiMappingId"]))


@operation(S, "GetApiMappings")
async def get_api_mappings(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _page(*await ctx.app.store.read(lambda t: domains.list_mappings(t, ctx.account_id, ctx.region, params)))


@operation(S, "UpdateApiMapping")
async def update_api_mapping(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.run(lambda t: domains.update_mapping(t, ctx.account_id, ctx.region, params))


@operation(S, "DeleteApiMapping")
async def delete_api_mapping(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: domains.delete_mapping(
        t, ctx.account_id, ctx.region, params["DomainName"], params["ApiMappingId"]))
    return {}

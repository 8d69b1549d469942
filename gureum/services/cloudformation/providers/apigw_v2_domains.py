"""HTTP and WebSocket API (API Gateway v2) custom domains, API mappings, VPC links and models
as CloudFormation resource types, made by the apigatewayv2 service's own handlers:

- AWS::ApiGatewayV2::DomainName: Ref the domain name; GetAtt RegionalDomainName,
  RegionalHostedZoneId, DomainNameArn. DomainNameConfigurations and MutualTlsAuthentication
  change in place through UpdateDomainName (a removed MutualTlsAuthentication turns mutual TLS
  off); DomainName replaces it; a Tags change is refused (neither API Gateway's TagResource
  takes a domain name yet).
- AWS::ApiGatewayV2::ApiMapping: Ref the mapping id; GetAtt ApiMappingId. ApiId, Stage and
  ApiMappingKey change in place through UpdateApiMapping; DomainName replaces it.
- AWS::ApiGatewayV2::VpcLink: Ref the link id; GetAtt VpcLinkId. Create waits until the link
  is AVAILABLE (FAILED fails the resource); Name changes in place; SubnetIds and
  SecurityGroupIds replace it; a Tags change is refused (the apigatewayv2 service tags APIs
  and stages only).
- AWS::ApiGatewayV2::Model: Ref the model id; GetAtt ModelId. Name, Schema, ContentType and
  Description change in place through UpdateModel; ApiId replaces it.

What replaces a resource is cfn-lint's createOnlyProperties (the engine decides); a property a
provider does not apply fails the resource (`refuse_unapplied`)."""

from __future__ import annotations

import asyncio
from typing import Any

from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    ResourceFailed,
    deleting,
    ignore_missing,
    provider,
    refuse_unapplied,
    text,
    updating,
)
from gureum.services.cloudformation.providers.shapes import coerce

S = "apigatewayv2"
POLL = 0.2


async def _ignore_missing(coro: Any) -> None:
    await ignore_missing(coro, "NotFound")


def _map_tags(ctx: ResourceContext, props: dict[str, Any]) -> dict[str, str]:
    """A v2 resource's Tags (a map in v2 templates) after the stack's, the resource's winning."""
    return {**dict(ctx.tags), **{str(k): str(v) for k, v in (props.get("Tags") or {}).items()}}


# --- custom domain names ---------------------------------------------------------------------

_DOMAIN_APPLIED = ("DomainName", "DomainNameConfigurations", "MutualTlsAuthentication", "Tags")
_CONFIGURATION = ("CertificateArn", "CertificateName", "EndpointType", "SecurityPolicy")
_MTLS = ("TruststoreUri", "TruststoreVersion")


def _domain_params(props: dict[str, Any], operation: str) -> dict[str, Any]:
    params: dict[str, Any] = {"DomainName": props["DomainName"]}
    confs = props.get("DomainNameConfigurations")
    if isinstance(confs, list):
        for conf in confs:
            refuse_unapplied("AWS::ApiGatewayV2::DomainName DomainNameConfiguration", conf, _CONFIGURATION)
        params["DomainNameConfigurations"] = [{k: c[k] for k in _CONFIGURATION if k in c} for c in confs]
    mtls = props.get("MutualTlsAuthentication")
    if isinstance(mtls, dict):
        refuse_unapplied("AWS::ApiGatewayV2::DomainName MutualTlsAuthentication", mtls, _MTLS)
        params["MutualTlsAuthentication"] = {k: mtls[k] for k in _MTLS if k in mtls}
    return coerce(S, operation, params)


def _domain_done(out: dict[str, Any]) -> Done:
    conf = (out.get("DomainNameConfigurations") or [{}])[0]
    return Done(out["DomainName"], {"RegionalDomainName": conf.get("ApiGatewayDomainName", ""),
                                    "RegionalHostedZoneId": conf.get("HostedZoneId", ""),
                                    "DomainNameArn": out.get("DomainNameArn", "")})


@provider("AWS::ApiGatewayV2::DomainName")
async def create_domain_name(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::DomainName", props, _DOMAIN_APPLIED)
    params = _domain_params(props, "CreateDomainName")
    tags = _map_tags(ctx, props)
    if tags:
        params["Tags"] = tags
    return _domain_done(await ctx.call(S, "CreateDomainName", params))


@updating("AWS::ApiGatewayV2::DomainName")
async def update_domain_name(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                             done: Done) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::DomainName", new, _DOMAIN_APPLIED)
    params = _domain_params(new, "UpdateDomainName")
    changed = {k: v for k, v in params.items() if k != "DomainName" and old.get(k) != new.get(k)}
    if "MutualTlsAuthentication" in old and "MutualTlsAuthentication" not in new:
        changed["MutualTlsAuthentication"] = {}  # no truststore: mutual TLS off
    if _map_tags(ctx, old) != _map_tags(ctx, new):
        # neither API Gateway's TagResource takes a domain name's ARN yet: refused, never dropped
        # (a rollback asks for the tags the domain still holds: nothing to do)
        live = await ctx.call(S, "GetDomainName", {"DomainName": physical})
        if dict(live.get("Tags") or {}) != _map_tags(ctx, new):
            raise ResourceFailed("gureum does not update the Tags of AWS::ApiGatewayV2::DomainName in place yet")
    if changed:
        done = _domain_done(await ctx.call(S, "UpdateDomainName", {**changed, "DomainName": physical}))
    return done


@deleting("AWS::ApiGatewayV2::DomainName")
async def delete_domain_name(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteDomainName", {"DomainName": physical}))


# --- API mappings ----------------------------------------------------------------------------

_MAPPING_FIELDS = ("ApiId", "ApiMappingKey", "DomainName", "Stage")


@provider("AWS::ApiGatewayV2::ApiMapping")
async def create_api_mapping(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::ApiMapping", props, _MAPPING_FIELDS)
    out = await ctx.call(S, "CreateApiMapping", {k: text(props[k]) for k in _MAPPING_FIELDS if k in props})
    return Done(out["ApiMappingId"], {"ApiMappingId": out["ApiMappingId"]})


@updating("AWS::ApiGatewayV2::ApiMapping")
async def update_api_mapping(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                             done: Done) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::ApiMapping", new, _MAPPING_FIELDS)
    if any(old.get(k) != new.get(k) for k in _MAPPING_FIELDS):
        params = {k: text(new[k]) for k in _MAPPING_FIELDS if k in new}
        if "ApiMappingKey" not in new:
            params["ApiMappingKey"] = ""  # a removed key maps the domain's root again
        await ctx.call(S, "UpdateApiMapping", {**params, "ApiMappingId": physical})
    return done


@deleting("AWS::ApiGatewayV2::ApiMapping")
async def delete_api_mapping(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteApiMapping", {"DomainName": props["DomainName"], "ApiMappingId": physical}))


# --- VPC links -------------------------------------------------------------------------------

_LINK_FIELDS = ("Name", "SecurityGroupIds", "SubnetIds", "Tags")


async def _link_available(ctx: ResourceContext, link_id: str) -> None:
    """Wait as CloudFormation does until the link leaves PENDING; FAILED fails the resource."""
    while True:
        link = await ctx.call(S, "GetVpcLink", {"VpcLinkId": link_id})
        status = link.get("VpcLinkStatus")
        if status == "AVAILABLE":
            return
        if status in ("FAILED", "INACTIVE", "DELETING"):
            raise ResourceFailed(str(link.get("VpcLinkStatusMessage") or f"the VPC link is {status}"))
        await asyncio.sleep(POLL)


@provider("AWS::ApiGatewayV2::VpcLink")
async def create_vpc_link(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::VpcLink", props, _LINK_FIELDS)
    params: dict[str, Any] = {k: props[k] for k in ("Name", "SecurityGroupIds", "SubnetIds") if k in props}
    tags = _map_tags(ctx, props)
    if tags:
        params["Tags"] = tags
    out = await ctx.call(S, "CreateVpcLink", coerce(S, "CreateVpcLink", params))
    await _link_available(ctx, out["VpcLinkId"])
    return Done(out["VpcLinkId"], {"VpcLinkId": out["VpcLinkId"]})


@updating("AWS::ApiGatewayV2::VpcLink")
async def update_vpc_link(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                          done: Done) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::VpcLink", new, _LINK_FIELDS)
    if _map_tags(ctx, old) != _map_tags(ctx, new):
        live = await ctx.call(S, "GetVpcLink", {"VpcLinkId": physical})
        if dict(live.get("Tags") or {}) != _map_tags(ctx, new):  # a rollback finds them as they were
            raise ResourceFailed("gureum does not update the Tags of AWS::ApiGatewayV2::VpcLink in place yet")
    if old.get("Name") != new.get("Name"):
        await ctx.call(S, "UpdateVpcLink", {"VpcLinkId": physical, "Name": text(new["Name"])})
    return done


@deleting("AWS::ApiGatewayV2::VpcLink")
async def delete_vpc_link(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteVpcLink", {"VpcLinkId": physical}))


# --- models ----------------------------------------------------------------------------------

_MODEL_FIELDS = ("ApiId", "ContentType", "Description", "Name", "Schema")


def _model_params(props: dict[str, Any]) -> dict[str, Any]:
    return {k: text(props[k]) for k in _MODEL_FIELDS if k in props}  # a Schema object as its JSON text


@provider("AWS::ApiGatewayV2::Model")
async def create_model(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::Model", props, _MODEL_FIELDS)
    out = await ctx.call(S, "CreateModel", _model_params(props))
    return Done(out["ModelId"], {"ModelId": out["ModelId"]})


@updating("AWS::ApiGatewayV2::Model")
async def update_model(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::Model", new, _MODEL_FIELDS)
    params = _model_params(new)
    changed = {k: v for k, v in params.items() if k != "ApiId" and old.get(k) != new.get(k)}
    if "Description" in old and "Description" not in new:
        changed["Description"] = ""
    if changed:
        await ctx.call(S, "UpdateModel", {**changed, "ApiId": params["ApiId"], "ModelId": physical})
    return done


@deleting("AWS::ApiGatewayV2::Model")
async def delete_model(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteModel", {"ApiId": props["ApiId"], "ModelId": physical}))

"""Route 53 Resolver query logging resource types, made by the route53resolver service's own
handlers: AWS::Route53Resolver::ResolverQueryLoggingConfig (Ref: the config id; GetAtt Arn,
AssociationCount, CreationTime, CreatorRequestId, Id, OwnerId, ShareStatus, Status) and
AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation (Ref: the association id; GetAtt
CreationTime, Error, ErrorMessage, Id, Status). Every property of both replaces them (the
engine decides from createOnlyProperties): neither has an update."""

from __future__ import annotations

import uuid
from typing import Any

from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    ignore_missing,
    provider,
    refuse_unapplied,
)

S = "route53resolver"
CONFIG, ASSOC = "AWS::Route53Resolver::ResolverQueryLoggingConfig", "AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation"


async def _ignore_missing(coro: Any) -> None:
    await ignore_missing(coro, "ResourceNotFoundException")


@provider(CONFIG)
async def create_query_log_config(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(CONFIG, props, ("DestinationArn", "Name", "Tags"))
    params: dict[str, Any] = {"Name": props.get("Name") or ctx.name(64), "DestinationArn": props["DestinationArn"],
                              "CreatorRequestId": str(uuid.uuid4())}
    tags = ctx.tag_list(props)
    if tags:
        params["Tags"] = tags
    c = (await ctx.call(S, "CreateResolverQueryLogConfig", params))["ResolverQueryLogConfig"]
    return Done(c["Id"], {k: str(c.get(k, "")) for k in ("Arn", "AssociationCount", "CreationTime", "CreatorRequestId", "Id",
                                                         "OwnerId", "ShareStatus", "Status")})


@deleting(CONFIG)
async def delete_query_log_config(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteResolverQueryLogConfig", {"ResolverQueryLogConfigId": physical}))


@provider(ASSOC)
async def create_query_log_association(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(ASSOC, props, ("ResolverQueryLogConfigId", "ResourceId"))
    a = (await ctx.call(S, "AssociateResolverQueryLogConfig", {"ResolverQueryLogConfigId": props["ResolverQueryLogConfigId"],
                                                               "ResourceId": props["ResourceId"]}))["ResolverQueryLogConfigAssociation"]
    return Done(a["Id"], {k: str(a.get(k, "")) for k in ("CreationTime", "Error", "ErrorMessage", "Id", "Status")})


@deleting(ASSOC)
async def delete_query_log_association(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DisassociateResolverQueryLogConfig", {
        "ResolverQueryLogConfigId": props["ResolverQueryLogConfigId"], "ResourceId": props["ResourceId"]}))

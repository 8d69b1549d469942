"""AWS::Route53Resolver::ResolverConfig, made by the route53resolver service's own handlers
(route53resolver/configs.py): a VPC's AutodefinedReverse turned off. Ref: the VPC id (the
registry's primary identifier, ResourceId); Fn::GetAtt Id, OwnerId, AutodefinedReverse. Both
properties replace it (the schema's createOnlyProperties; DISABLE is the only flag a template
may give); deleting it puts the VPC back to AWS's default (ENABLE), as AWS's handler does.

AWS::Route53Resolver::ResolverDNSSECConfig and OutpostResolver are not provided: their
operations answer 501 (gureum's resolver does not validate DNSSEC, and it has no Outposts)."""

from __future__ import annotations

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
CONFIG = "AWS::Route53Resolver::ResolverConfig"


@provider(CONFIG)
async def create_resolver_config(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(CONFIG, props, ("AutodefinedReverseFlag", "ResourceId"))
    vpc = str(props["ResourceId"])
    out = (await ctx.call(S, "UpdateResolverConfig", {"ResourceId": vpc,
                                                      "AutodefinedReverseFlag": props["AutodefinedReverseFlag"]}))
    config = out["ResolverConfig"]
    return Done(vpc, {"Id": config["Id"], "OwnerId": config["OwnerId"], "AutodefinedReverse": config["AutodefinedReverse"]})


@deleting(CONFIG)
async def delete_resolver_config(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ignore_missing(ctx.call(S, "UpdateResolverConfig", {"ResourceId": physical, "AutodefinedReverseFlag": "ENABLE"}),
                         "ResourceNotFoundException")

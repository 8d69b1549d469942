"""Route 53 Resolver resource types, made by the route53resolver service's own handlers:
AWS::Route53Resolver::ResolverRule (Ref: the rule id; GetAtt Arn, DomainName, Name,
ResolverEndpointId, ResolverRuleId, TargetIps). Name, TargetIps and ResolverEndpointId change
in place (UpdateResolverRule); RuleType and DomainName replace the rule."""

from __future__ import annotations

import uuid
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    provider,
    refuse_unapplied,
    updating,
)
from gureum.services.cloudformation.providers.shapes import coerce

S = "route53resolver"


def _done(rule: dict[str, Any]) -> Done:
    return Done(rule["Id"], {"Arn": rule["Arn"], "DomainName": rule.get("DomainName", ""), "Name": rule.get("Name", ""),
                             "ResolverEndpointId": rule.get("ResolverEndpointId", ""), "ResolverRuleId": rule["Id"],
                             "TargetIps": list(rule.get("TargetIps") or [])})


@provider("AWS::Route53Resolver::ResolverRule")
async def create_resolver_rule(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::Route53Resolver::ResolverRule", props, ("RuleType", "DomainName", "Name", "ResolverEndpointId", "TargetIps", "DelegationRecord", "Tags"))
    params: dict[str, Any] = {k: props[k] for k in ("RuleType", "DomainName", "Name", "ResolverEndpointId", "TargetIps",
                                                     "DelegationRecord") if k in props}
    params["CreatorRequestId"] = str(uuid.uuid4())
    tags = ctx.tag_list(props)
    if tags:
        params["Tags"] = tags
    rule = (await ctx.call(S, "CreateResolverRule", coerce(S, "CreateResolverRule", params)))["ResolverRule"]
    return _done(rule)


@updating("AWS::Route53Resolver::ResolverRule")
async def update_resolver_rule(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                               done: Done) -> Done:
    refuse_unapplied("AWS::Route53Resolver::ResolverRule", new, ("RuleType", "DomainName", "Name", "ResolverEndpointId", "TargetIps", "DelegationRecord", "Tags"))
    config = {k: new[k] for k in ("Name", "TargetIps", "ResolverEndpointId") if k in new and new.get(k) != old.get(k)}
    if config:
        out = await ctx.call(S, "UpdateResolverRule", coerce(S, "UpdateResolverRule",
                                                             {"ResolverRuleId": physical, "Config": config}))
        done = _done(out["ResolverRule"])
    return done


@deleting("AWS::Route53Resolver::ResolverRule")
async def delete_resolver_rule(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await ctx.call(S, "DeleteResolverRule", {"ResolverRuleId": physical})
    except AwsError as e:
        if e.code != "ResourceNotFoundException":
            raise

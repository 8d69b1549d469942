"""More Route 53 Resolver resource types, made by the route53resolver service's own handlers:
AWS::Route53Resolver::ResolverEndpoint (Ref: the endpoint id; GetAtt Arn, Direction, HostVPCId,
IpAddressCount, Name, OutpostArn, PreferredInstanceType, ResolverEndpointId,
ResolverEndpointType) and AWS::Route53Resolver::ResolverRuleAssociation (Ref: the association
id; GetAtt Name, ResolverRuleAssociationId, ResolverRuleId, VPCId; every property replaces it).

An endpoint's Direction, SecurityGroupIds, OutpostArn and PreferredInstanceType replace it (the
engine decides); its Tags change in place. Name, IpAddresses and the other settings AWS changes
in place through UpdateResolverEndpoint / Associate- and DisassociateResolverEndpointIpAddress,
which route53resolver does not serve yet: such an update fails the resource, it is never
replaced behind the template's back."""

from __future__ import annotations

import uuid
from typing import Any

from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    ResourceFailed,
    deleting,
    ignore_missing,
    provider,
    refuse_unapplied,
    updating,
)
from gureum.services.cloudformation.providers.shapes import coerce

S = "route53resolver"

_ENDPOINT_FIELDS = ("Direction", "IpAddresses", "Name", "OutpostArn", "PreferredInstanceType", "Protocols",
                    "ResolverEndpointType", "SecurityGroupIds")


async def _ignore_missing(coro: Any) -> None:
    await ignore_missing(coro, "ResourceNotFoundException")


def _endpoint_done(ep: dict[str, Any]) -> Done:
    return Done(ep["Id"], {"Arn": ep["Arn"], "Direction": ep.get("Direction", ""), "HostVPCId": ep.get("HostVPCId", ""),
                           "IpAddressCount": str(ep.get("IpAddressCount", "")), "Name": ep.get("Name", ""),
                           "OutpostArn": ep.get("OutpostArn", ""), "PreferredInstanceType": ep.get("PreferredInstanceType", ""),
                           "ResolverEndpointId": ep["Id"], "ResolverEndpointType": ep.get("ResolverEndpointType", "IPV4")})


@provider("AWS::Route53Resolver::ResolverEndpoint")
async def create_resolver_endpoint(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::Route53Resolver::ResolverEndpoint", props, (*_ENDPOINT_FIELDS, "Tags"))
    params: dict[str, Any] = {k: props[k] for k in _ENDPOINT_FIELDS if k in props}
    params["CreatorRequestId"] = str(uuid.uuid4())
    tags = ctx.tag_list(props)
    if tags:
        params["Tags"] = tags
    out = await ctx.call(S, "CreateResolverEndpoint", coerce(S, "CreateResolverEndpoint", params))
    return _endpoint_done(out["ResolverEndpoint"])


async def _unapplied(ctx: ResourceContext, physical: str, changed: set[str], new: dict[str, Any]) -> list[str]:
    """The changed properties the live endpoint does not already have (a rollback asks for
    what the endpoint still is: nothing to do)."""
    if not changed:
        return []
    live = (await ctx.call(S, "GetResolverEndpoint", {"ResolverEndpointId": physical}))["ResolverEndpoint"]
    left: list[str] = []
    for k in sorted(changed):
        if k == "Name":
            same = str(new.get("Name") or "") == str(live.get("Name") or "")
        elif k == "ResolverEndpointType":
            same = str(new.get(k) or "IPV4") == str(live.get(k) or "IPV4")
        elif k == "Protocols":
            same = sorted(new.get(k) or ["Do53"]) == sorted(live.get(k) or ["Do53"])
        elif k == "IpAddresses":
            ips = (await ctx.call(S, "ListResolverEndpointIpAddresses", {"ResolverEndpointId": physical}))["IpAddresses"]
            have = sorted((str(i["SubnetId"]), str(i.get("Ip") or "")) for i in ips)
            want = list(new.get(k) or [])
            same = len(want) == len(have) and all(
                any(sub == w.get("SubnetId") and (not w.get("Ip") or ip == w.get("Ip")) for sub, ip in have) for w in want)
        else:
            same = False
        if not same:
            left.append(k)
    return left


@updating("AWS::Route53Resolver::ResolverEndpoint")
async def update_resolver_endpoint(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                   done: Done) -> Done:
    changed = await _unapplied(ctx, physical, {k for k in set(old) | set(new) if old.get(k) != new.get(k) and k != "Tags"}, new)
    if changed:
        raise ResourceFailed(f"gureum does not update {', '.join(changed)} of AWS::Route53Resolver::ResolverEndpoint "
                             "in place yet (UpdateResolverEndpoint is not served)")
    before = {t["Key"]: t["Value"] for t in ctx.tag_list(old)}
    after = {t["Key"]: t["Value"] for t in ctx.tag_list(new)}
    arn = done.attrs["Arn"]
    gone = [k for k in before if k not in after]
    if gone:
        await ctx.call(S, "UntagResource", {"ResourceArn": arn, "TagKeys": gone})
    if any(before.get(k) != v for k, v in after.items()):
        await ctx.call(S, "TagResource", {"ResourceArn": arn, "Tags": [{"Key": k, "Value": v} for k, v in after.items()]})
    return done


@deleting("AWS::Route53Resolver::ResolverEndpoint")
async def delete_resolver_endpoint(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteResolverEndpoint", {"ResolverEndpointId": physical}))


@provider("AWS::Route53Resolver::ResolverRuleAssociation")
async def create_rule_association(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::Route53Resolver::ResolverRuleAssociation", props, ("Name", "ResolverRuleId", "VPCId"))
    params: dict[str, Any] = {k: props[k] for k in ("Name", "ResolverRuleId", "VPCId") if k in props}
    assoc = (await ctx.call(S, "AssociateResolverRule", params))["ResolverRuleAssociation"]
    return Done(assoc["Id"], {"Name": assoc.get("Name", ""), "ResolverRuleAssociationId": assoc["Id"],
                              "ResolverRuleId": assoc["ResolverRuleId"], "VPCId": assoc["VPCId"]})


@deleting("AWS::Route53Resolver::ResolverRuleAssociation")
async def delete_rule_association(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DisassociateResolverRule", {"ResolverRuleId": props["ResolverRuleId"],
                                                                  "VPCId": props["VPCId"]}))

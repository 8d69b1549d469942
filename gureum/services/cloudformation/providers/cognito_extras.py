"""More Cognito user pool resource types, made by the cognito-idp service's own handlers:
AWS::Cognito::UserPoolDomain (Ref: the domain; GetAtt CloudFrontDistribution; CustomDomainConfig
and ManagedLoginVersion change in place through UpdateUserPoolDomain),
AWS::Cognito::UserPoolResourceServer (Ref: its identifier; Name and Scopes change in place) and
AWS::Cognito::UserPoolUserToGroupAttachment (no Ref value AWS documents; every property
replaces it). AWS::Cognito::UserPoolGroup is in identity.py.

AWS::Cognito::IdentityPool is not here: gureum does not serve cognito-identity."""

from __future__ import annotations

from typing import Any

from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    ignore_missing,
    provider,
    refuse_unapplied,
    updating,
)
from gureum.services.cloudformation.providers.shapes import coerce

S = "cognito-idp"


async def _ignore_missing(coro: Any) -> None:
    await ignore_missing(coro, "ResourceNotFoundException", "UserNotFoundException")


# --- domains ---------------------------------------------------------------------------------

_DOMAIN_FIELDS = ("UserPoolId", "Domain", "CustomDomainConfig", "ManagedLoginVersion")


@provider("AWS::Cognito::UserPoolDomain")
async def create_user_pool_domain(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::Cognito::UserPoolDomain", props, _DOMAIN_FIELDS)
    params = coerce(S, "CreateUserPoolDomain", {k: props[k] for k in _DOMAIN_FIELDS if k in props})
    out = await ctx.call(S, "CreateUserPoolDomain", params)
    return Done(str(props["Domain"]), {"CloudFrontDistribution": out.get("CloudFrontDomain", "")})


@updating("AWS::Cognito::UserPoolDomain")
async def update_user_pool_domain(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                  done: Done) -> Done:
    refuse_unapplied("AWS::Cognito::UserPoolDomain", new, _DOMAIN_FIELDS)
    params = coerce(S, "UpdateUserPoolDomain", {k: new[k] for k in _DOMAIN_FIELDS if k in new})
    out = await ctx.call(S, "UpdateUserPoolDomain", params)
    return Done(physical, {"CloudFrontDistribution": out.get("CloudFrontDomain") or done.attrs.get("CloudFrontDistribution", "")})


@deleting("AWS::Cognito::UserPoolDomain")
async def delete_user_pool_domain(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    found = (await ctx.call(S, "DescribeUserPoolDomain", {"Domain": physical})).get("DomainDescription") or {}
    if found.get("UserPoolId") != props["UserPoolId"]:
        return  # gone already (Cognito answers an empty description for a domain it does not know)
    await _ignore_missing(ctx.call(S, "DeleteUserPoolDomain", {"UserPoolId": props["UserPoolId"], "Domain": physical}))


# --- resource servers ------------------------------------------------------------------------

_SERVER_FIELDS = ("UserPoolId", "Identifier", "Name", "Scopes")


@provider("AWS::Cognito::UserPoolResourceServer")
async def create_resource_server(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::Cognito::UserPoolResourceServer", props, _SERVER_FIELDS)
    out = await ctx.call(S, "CreateResourceServer", {k: props[k] for k in _SERVER_FIELDS if k in props})
    return Done(str(out["ResourceServer"]["Identifier"]))


@updating("AWS::Cognito::UserPoolResourceServer")
async def update_resource_server(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                 done: Done) -> Done:
    refuse_unapplied("AWS::Cognito::UserPoolResourceServer", new, _SERVER_FIELDS)
    await ctx.call(S, "UpdateResourceServer", {k: new[k] for k in _SERVER_FIELDS if k in new})
    return done


@deleting("AWS::Cognito::UserPoolResourceServer")
async def delete_resource_server(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteResourceServer", {"UserPoolId": props["UserPoolId"], "Identifier": physical}))


# --- a user in a group -----------------------------------------------------------------------

@provider("AWS::Cognito::UserPoolUserToGroupAttachment")
async def create_user_to_group(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::Cognito::UserPoolUserToGroupAttachment", props, ("UserPoolId", "Username", "GroupName"))
    await ctx.call(S, "AdminAddUserToGroup", {"UserPoolId": props["UserPoolId"], "Username": props["Username"],
                                              "GroupName": props["GroupName"]})
    return Done(ctx.name())


@deleting("AWS::Cognito::UserPoolUserToGroupAttachment")
async def delete_user_to_group(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "AdminRemoveUserFromGroup", {"UserPoolId": props["UserPoolId"],
                                                                   "Username": props["Username"],
                                                                   "GroupName": props["GroupName"]}))

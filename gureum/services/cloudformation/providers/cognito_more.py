"""More Cognito user pool resource types, made by the cognito-idp service's own handlers:

- AWS::Cognito::UserPoolUser (AdminCreateUser; Ref: the user name; no Fn::GetAtt attribute;
  every property is createOnly, so any change replaces the user: a new one is made, then the
  old one deleted with AdminDeleteUser). Without a Username the user gets a generated one (a
  UUID, as Cognito's own generated names are).
- AWS::Cognito::UserPoolUICustomizationAttachment (SetUICustomization; Ref: "{pool id}|{client
  id}", the type's primary identifier; CSS changes in place, the pool or client replaces it;
  deleting it sets the customization to nothing, which removes it).

The other Cognito types of issue 21's last sweep are not here, each for the cognito-idp
operation it needs that gureum does not serve (they answer 501): UserPoolIdentityProvider
(CreateIdentityProvider), UserPoolRiskConfigurationAttachment (SetRiskConfiguration),
LogDeliveryConfiguration (SetLogDeliveryConfiguration) and ManagedLoginBranding
(CreateManagedLoginBranding)."""

from __future__ import annotations

import uuid
from typing import Any

from gureum.aws.errors import AwsError
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
_USER_FIELDS = ("UserPoolId", "Username", "UserAttributes", "ValidationData", "ClientMetadata", "DesiredDeliveryMediums",
                "ForceAliasCreation", "MessageAction")


@provider("AWS::Cognito::UserPoolUser")
async def create_user_pool_user(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::Cognito::UserPoolUser", props, _USER_FIELDS)
    username = str(props.get("Username") or uuid.uuid4())
    params = {**{k: props[k] for k in _USER_FIELDS if k in props}, "Username": username}
    await ctx.call(S, "AdminCreateUser", coerce(S, "AdminCreateUser", params))
    return Done(username)


@deleting("AWS::Cognito::UserPoolUser")
async def delete_user_pool_user(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ignore_missing(ctx.call(S, "AdminDeleteUser", {"UserPoolId": props["UserPoolId"], "Username": physical}),
                         "UserNotFoundException", "ResourceNotFoundException")


# --- the hosted UI's classic branding --------------------------------------------------------

_UI_FIELDS = ("UserPoolId", "ClientId", "CSS")


@provider("AWS::Cognito::UserPoolUICustomizationAttachment")
async def create_ui_customization(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::Cognito::UserPoolUICustomizationAttachment", props, _UI_FIELDS)
    await ctx.call(S, "SetUICustomization", {k: str(props[k]) for k in _UI_FIELDS if k in props})
    return Done(f"{props['UserPoolId']}|{props['ClientId']}")


@updating("AWS::Cognito::UserPoolUICustomizationAttachment")
async def update_ui_customization(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                  done: Done) -> Done:
    refuse_unapplied("AWS::Cognito::UserPoolUICustomizationAttachment", new, _UI_FIELDS)
    if old.get("CSS") != new.get("CSS"):
        await ctx.call(S, "SetUICustomization", {k: str(new[k]) for k in _UI_FIELDS if k in new})
    return done


@deleting("AWS::Cognito::UserPoolUICustomizationAttachment")
async def delete_ui_customization(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await ignore_missing(ctx.call(S, "SetUICustomization", {"UserPoolId": props["UserPoolId"],
                                                                "ClientId": props["ClientId"]}), "ResourceNotFoundException")
    except AwsError as e:
        if "existing domain" not in e.message:  # the pool's domain went first: nothing is shown any more
            raise

"""AWS::Cognito::UserPoolUser, made by the cognito-idp service's own AdminCreateUser (Ref: the
user name; no Fn::GetAtt attribute; every property is createOnly, so any change replaces the
user: a new one is made, then the old one deleted with AdminDeleteUser). Without a Username the
user gets a generated one (a UUID, as Cognito's own generated names are).

The other Cognito types of issue 21's last sweep are not here, each for the cognito-idp
operation it needs that gureum does not serve (they answer 501): UserPoolUICustomizationAttachment
(SetUICustomization), UserPoolIdentityProvider (CreateIdentityProvider),
UserPoolRiskConfigurationAttachment (SetRiskConfiguration), LogDeliveryConfiguration
(SetLogDeliveryConfiguration) and ManagedLoginBranding (CreateManagedLoginBranding)."""

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

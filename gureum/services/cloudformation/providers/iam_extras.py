"""More IAM resource types, made by the iam service's own handlers:

- AWS::IAM::RolePolicy / UserPolicy / GroupPolicy: one inline policy of one principal
  (Put/Delete{Role,User,Group}Policy). Ref: `PolicyName|PrincipalName` (the two parts of the
  primary identifier, joined as Cloud Control joins them); no Fn::GetAtt. PolicyName and the
  principal's name replace it; PolicyDocument changes in place.
- AWS::IAM::UserToGroupAddition: users added to a group (AddUserToGroup / RemoveUserFromGroup).
  Ref: a generated resource name; GetAtt Id (the same). GroupName and Users change in place.
- AWS::IAM::OIDCProvider: Ref and GetAtt Arn, the provider's ARN. Url replaces it; client ids,
  thumbprints and tags change in place.
- AWS::IAM::SAMLProvider: Ref and GetAtt Arn; GetAtt SamlProviderUUID. Name replaces it; the
  metadata document and tags change in place.
- AWS::IAM::ServiceLinkedRole: Ref and GetAtt RoleName. AWSServiceName and CustomSuffix replace
  it; Description changes in place (UpdateRoleDescription).

A property a type does not apply fails the resource (never a silent success)."""

from __future__ import annotations

from typing import Any

from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    ignore_missing,
    policy_text,
    provider,
    refuse_unapplied,
    updating,
)


async def _ignore_missing(coro: Any) -> None:
    await ignore_missing(coro, "NoSuchEntity")


# --- inline policies of one principal --------------------------------------------------------

def _inline(kind: str) -> None:
    type_name, member = f"AWS::IAM::{kind}Policy", f"{kind}Name"
    applied = ("PolicyDocument", "PolicyName", member)

    async def put(ctx: ResourceContext, props: dict[str, Any]) -> None:
        await ctx.call("iam", f"Put{kind}Policy", {member: props[member], "PolicyName": props["PolicyName"],
                                                   "PolicyDocument": policy_text(props["PolicyDocument"])})

    async def create(ctx: ResourceContext, props: dict[str, Any]) -> Done:
        refuse_unapplied(type_name, props, applied)
        await put(ctx, props)
        return Done(f"{props['PolicyName']}|{props[member]}", {})

    async def update(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
        refuse_unapplied(type_name, new, applied)
        await put(ctx, new)
        return done

    async def delete(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
        await _ignore_missing(ctx.call("iam", f"Delete{kind}Policy", {member: props[member], "PolicyName": props["PolicyName"]}))

    provider(type_name)(create)
    updating(type_name)(update)
    deleting(type_name)(delete)


for _kind in ("Role", "User", "Group"):
    _inline(_kind)


# --- AWS::IAM::UserToGroupAddition -----------------------------------------------------------

async def _membership(ctx: ResourceContext, old: dict[str, Any], new: dict[str, Any]) -> None:
    """Users of `old` not in `new` leave old's group, then new's users join new's group."""
    before = {(str(old["GroupName"]), str(u)) for u in old.get("Users") or ()} if old else set()
    after = {(str(new["GroupName"]), str(u)) for u in new.get("Users") or ()} if new else set()
    for group, user in sorted(before - after):
        await _ignore_missing(ctx.call("iam", "RemoveUserFromGroup", {"GroupName": group, "UserName": user}))
    for group, user in sorted(after - before):
        await ctx.call("iam", "AddUserToGroup", {"GroupName": group, "UserName": user})


@provider("AWS::IAM::UserToGroupAddition")
async def create_user_to_group(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::IAM::UserToGroupAddition", props, ("GroupName", "Users"))
    await _membership(ctx, {}, props)
    name = ctx.name(128)
    return Done(name, {"Id": name})


@updating("AWS::IAM::UserToGroupAddition")
async def update_user_to_group(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                               done: Done) -> Done:
    refuse_unapplied("AWS::IAM::UserToGroupAddition", new, ("GroupName", "Users"))
    await _membership(ctx, old, new)
    return done


@deleting("AWS::IAM::UserToGroupAddition")
async def delete_user_to_group(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _membership(ctx, props, {})


# --- AWS::IAM::OIDCProvider ------------------------------------------------------------------

_OIDC = ("ClientIdList", "Tags", "ThumbprintList", "Url")


@provider("AWS::IAM::OIDCProvider")
async def create_oidc_provider(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::IAM::OIDCProvider", props, _OIDC)
    params: dict[str, Any] = {"Url": props["Url"], "ClientIDList": list(props.get("ClientIdList") or [])}
    if props.get("ThumbprintList"):
        params["ThumbprintList"] = list(props["ThumbprintList"])
    tags = ctx.tag_list(props)
    if tags:
        params["Tags"] = tags
    arn = (await ctx.call("iam", "CreateOpenIDConnectProvider", params))["OpenIDConnectProviderArn"]
    return Done(arn, {"Arn": arn})


async def _retag(ctx: ResourceContext, kind: str, member: str, arn: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    before = {t["Key"]: t["Value"] for t in ctx.tag_list(old)}
    after = {t["Key"]: t["Value"] for t in ctx.tag_list(new)}
    gone = [k for k in before if k not in after]
    if gone:
        await ctx.call("iam", f"Untag{kind}", {member: arn, "TagKeys": gone})
    changed = [{"Key": k, "Value": v} for k, v in after.items() if before.get(k) != v]
    if changed:
        await ctx.call("iam", f"Tag{kind}", {member: arn, "Tags": changed})


@updating("AWS::IAM::OIDCProvider")
async def update_oidc_provider(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                               done: Done) -> Done:
    refuse_unapplied("AWS::IAM::OIDCProvider", new, _OIDC)
    key = {"OpenIDConnectProviderArn": physical}
    before, after = list(old.get("ClientIdList") or []), list(new.get("ClientIdList") or [])
    for client in after:
        if client not in before:
            await ctx.call("iam", "AddClientIDToOpenIDConnectProvider", {**key, "ClientID": client})
    for client in before:
        if client not in after:
            await ctx.call("iam", "RemoveClientIDFromOpenIDConnectProvider", {**key, "ClientID": client})
    if list(old.get("ThumbprintList") or []) != list(new.get("ThumbprintList") or []):
        await ctx.call("iam", "UpdateOpenIDConnectProviderThumbprint", {**key, "ThumbprintList": list(new.get("ThumbprintList") or [])})
    await _retag(ctx, "OpenIDConnectProvider", "OpenIDConnectProviderArn", physical, old, new)
    return done


@deleting("AWS::IAM::OIDCProvider")
async def delete_oidc_provider(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("iam", "DeleteOpenIDConnectProvider", {"OpenIDConnectProviderArn": physical}))


# --- AWS::IAM::SAMLProvider ------------------------------------------------------------------

_SAML = ("Name", "SamlMetadataDocument", "Tags")


@provider("AWS::IAM::SAMLProvider")
async def create_saml_provider(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::IAM::SAMLProvider", props, _SAML)
    params: dict[str, Any] = {"Name": props.get("Name") or ctx.name(128),
                              "SAMLMetadataDocument": props["SamlMetadataDocument"]}
    tags = ctx.tag_list(props)
    if tags:
        params["Tags"] = tags
    arn = (await ctx.call("iam", "CreateSAMLProvider", params))["SAMLProviderArn"]
    got = await ctx.call("iam", "GetSAMLProvider", {"SAMLProviderArn": arn})
    return Done(arn, {"Arn": arn, "SamlProviderUUID": got["SAMLProviderUUID"]})


@updating("AWS::IAM::SAMLProvider")
async def update_saml_provider(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                               done: Done) -> Done:
    refuse_unapplied("AWS::IAM::SAMLProvider", new, _SAML)
    if old.get("SamlMetadataDocument") != new.get("SamlMetadataDocument"):
        await ctx.call("iam", "UpdateSAMLProvider", {"SAMLProviderArn": physical,
                                                     "SAMLMetadataDocument": new["SamlMetadataDocument"]})
    await _retag(ctx, "SAMLProvider", "SAMLProviderArn", physical, old, new)
    return done


@deleting("AWS::IAM::SAMLProvider")
async def delete_saml_provider(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("iam", "DeleteSAMLProvider", {"SAMLProviderArn": physical}))


# --- AWS::IAM::ServiceLinkedRole -------------------------------------------------------------

@provider("AWS::IAM::ServiceLinkedRole")
async def create_service_linked_role(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::IAM::ServiceLinkedRole", props, ("AWSServiceName", "CustomSuffix", "Description"))
    params = {k: props[k] for k in ("AWSServiceName", "CustomSuffix", "Description") if props.get(k)}
    role = (await ctx.call("iam", "CreateServiceLinkedRole", params))["Role"]
    return Done(role["RoleName"], {"RoleName": role["RoleName"]})


@updating("AWS::IAM::ServiceLinkedRole")
async def update_service_linked_role(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                     done: Done) -> Done:
    refuse_unapplied("AWS::IAM::ServiceLinkedRole", new, ("AWSServiceName", "CustomSuffix", "Description"))
    await ctx.call("iam", "UpdateRoleDescription", {"RoleName": physical, "Description": str(new.get("Description") or "")})
    return done


@deleting("AWS::IAM::ServiceLinkedRole")
async def delete_service_linked_role(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("iam", "DeleteServiceLinkedRole", {"RoleName": physical}))

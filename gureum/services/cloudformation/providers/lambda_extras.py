"""More Lambda resource types, made by the lambda service's own handlers:

- AWS::Lambda::LayerVersionPermission (Ref and GetAtt Id: `{layer version ARN}#{statement id}`):
  AddLayerVersionPermission under a generated statement id; every property replaces it (the
  engine decides); delete is RemoveLayerVersionPermission.
- AWS::Lambda::CodeSigningConfig (Ref and GetAtt CodeSigningConfigArn; GetAtt
  CodeSigningConfigId): publishers, policies and description change in place
  (UpdateCodeSigningConfig); tags are set on create, and a change of them fails the update
  (lambda's TagResource takes function ARNs only), never a silent success."""

from __future__ import annotations

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

S = "lambda"
L, C = "AWS::Lambda::LayerVersionPermission", "AWS::Lambda::CodeSigningConfig"


async def _ignore_missing(coro: Any) -> None:
    await ignore_missing(coro, "ResourceNotFoundException")


def _layer_version(arn: str) -> tuple[str, int]:
    """(layer ARN, version number) of a layer version ARN `arn:aws:lambda:r:a:layer:name:3`."""
    layer, _, version = str(arn).rpartition(":")
    if not layer or not version.isdigit() or ":layer:" not in layer:
        raise ResourceFailed(f"Invalid LayerVersionArn: {arn}")
    return layer, int(version)


@provider(L)
async def create_layer_permission(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(L, props, ("Action", "LayerVersionArn", "OrganizationId", "Principal"))
    layer, version = _layer_version(props["LayerVersionArn"])
    statement = ctx.name(100)
    params: dict[str, Any] = {"LayerName": layer, "VersionNumber": version, "StatementId": statement,
                              "Action": props["Action"], "Principal": props["Principal"]}
    if props.get("OrganizationId"):
        params["OrganizationId"] = props["OrganizationId"]
    await ctx.call(S, "AddLayerVersionPermission", params)
    ident = f"{props['LayerVersionArn']}#{statement}"
    return Done(ident, {"Id": ident})


@deleting(L)
async def delete_layer_permission(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    version_arn, _, statement = physical.rpartition("#")
    layer, version = _layer_version(version_arn)
    await _ignore_missing(ctx.call(S, "RemoveLayerVersionPermission", {"LayerName": layer, "VersionNumber": version,
                                                                       "StatementId": statement}))


_CSC = ("AllowedPublishers", "CodeSigningPolicies", "Description")


def _csc_params(props: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {"AllowedPublishers": {"SigningProfileVersionArns": list(
        (props.get("AllowedPublishers") or {}).get("SigningProfileVersionArns") or [])}}
    if props.get("CodeSigningPolicies"):
        params["CodeSigningPolicies"] = dict(props["CodeSigningPolicies"])
    if "Description" in props:
        params["Description"] = str(props["Description"])
    return params


@provider(C)
async def create_code_signing_config(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(C, props, (*_CSC, "Tags"))
    params = _csc_params(props)
    tags = {t["Key"]: t["Value"] for t in ctx.tag_list(props)}
    if tags:
        params["Tags"] = tags
    csc = (await ctx.call(S, "CreateCodeSigningConfig", params))["CodeSigningConfig"]
    arn = str(csc["CodeSigningConfigArn"])
    return Done(arn, {"CodeSigningConfigArn": arn, "CodeSigningConfigId": csc["CodeSigningConfigId"]})


@updating(C)
async def update_code_signing_config(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                     done: Done) -> Done:
    refuse_unapplied(C, new, (*_CSC, "Tags"))
    params = _csc_params(new)
    if "Description" not in new and old.get("Description"):
        params["Description"] = ""
    await ctx.call(S, "UpdateCodeSigningConfig", {"CodeSigningConfigArn": physical, **params})
    if ctx.tag_list(old) != ctx.tag_list(new):
        raise ResourceFailed(f"gureum does not update Tags of {C} in place yet (lambda's TagResource takes function ARNs only)")
    return done


@deleting(C)
async def delete_code_signing_config(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteCodeSigningConfig", {"CodeSigningConfigArn": physical}))

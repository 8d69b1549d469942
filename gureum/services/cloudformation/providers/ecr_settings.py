"""More ECR registry-wide resource types, made by the ecr service's own handlers (PascalCase
properties passed as ECR's camelCase members, `ecr_registry.camel`):

- AWS::ECR::RegistryScanningConfiguration (Ref and GetAtt RegistryId):
  PutRegistryScanningConfiguration, in place on update; delete puts BASIC scanning without
  rules back (the registry's default), as AWS's handler does.
- AWS::ECR::SigningConfiguration (Ref and GetAtt RegistryId): PutSigningConfiguration, in place;
  delete is DeleteSigningConfiguration.
- AWS::ECR::RepositoryCreationTemplate (Ref: the prefix; GetAtt CreatedAt, UpdatedAt, ISO 8601):
  Create/Update/DeleteRepositoryCreationTemplate; Prefix replaces it (the engine decides), the
  rest changes in place. ResourceTags stay {Key, Value} (ECR's own spelling) and the tag
  mutability exclusion filters map to ECR's {filterType, filter}.
- AWS::ECR::PullTimeUpdateExclusion (Ref: the principal ARN; no Fn::GetAtt):
  RegisterPullTimeUpdateExclusion; its one property replaces it.
Every delete takes an already-gone resource as done."""

from __future__ import annotations

import datetime
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
from gureum.services.cloudformation.providers.ecr_registry import camel

S = "ecr"
SCANNING, SIGNING = "AWS::ECR::RegistryScanningConfiguration", "AWS::ECR::SigningConfiguration"
TEMPLATE, EXCLUSION = "AWS::ECR::RepositoryCreationTemplate", "AWS::ECR::PullTimeUpdateExclusion"


# --- registry scanning ------------------------------------------------------------------------
async def _put_scanning(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(SCANNING, props, ("Rules", "ScanType"))
    await ctx.call(S, "PutRegistryScanningConfiguration", {"scanType": props["ScanType"], "rules": camel(props["Rules"])})
    return Done(ctx.account, {"RegistryId": ctx.account})


@provider(SCANNING)
async def create_scanning(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    return await _put_scanning(ctx, props)


@updating(SCANNING)
async def update_scanning(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    return await _put_scanning(ctx, new)


@deleting(SCANNING)
async def delete_scanning(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ctx.call(S, "PutRegistryScanningConfiguration", {"scanType": "BASIC", "rules": []})


# --- signing --------------------------------------------------------------------------------
async def _put_signing(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(SIGNING, props, ("Rules",))
    await ctx.call(S, "PutSigningConfiguration", {"signingConfiguration": {"rules": camel(props["Rules"])}})
    return Done(ctx.account, {"RegistryId": ctx.account})


@provider(SIGNING)
async def create_signing(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    return await _put_signing(ctx, props)


@updating(SIGNING)
async def update_signing(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    return await _put_signing(ctx, new)


@deleting(SIGNING)
async def delete_signing(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ignore_missing(ctx.call(S, "DeleteSigningConfiguration", {}), "SigningConfigurationNotFound")


# --- repository creation templates ---------------------------------------------------------------
_TEMPLATE = ("AppliedFor", "CustomRoleArn", "Description", "EncryptionConfiguration", "ImageTagMutability",
             "ImageTagMutabilityExclusionFilters", "LifecyclePolicy", "Prefix", "RepositoryPolicy", "ResourceTags")


def _template_params(props: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"prefix": props["Prefix"]}
    for k in _TEMPLATE:
        if k == "Prefix" or k not in props:
            continue
        v = props[k]
        if k == "ResourceTags":
            v = [{"Key": str(t["Key"]), "Value": str(t.get("Value", ""))} for t in v]
        elif k == "ImageTagMutabilityExclusionFilters":
            v = [{"filterType": f["ImageTagMutabilityExclusionFilterType"], "filter": f["ImageTagMutabilityExclusionFilterValue"]}
                 for f in v]
        else:
            v = camel(v)
        out[k[:1].lower() + k[1:]] = v
    return out


def _iso(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return datetime.datetime.fromtimestamp(float(value), datetime.UTC).isoformat()


def _template_done(out: dict[str, Any]) -> Done:
    t = out["repositoryCreationTemplate"]
    return Done(str(t["prefix"]), {"CreatedAt": _iso(t["createdAt"]), "UpdatedAt": _iso(t["updatedAt"])})


@provider(TEMPLATE)
async def create_template(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(TEMPLATE, props, _TEMPLATE)
    return _template_done(await ctx.call(S, "CreateRepositoryCreationTemplate", _template_params(props)))


@updating(TEMPLATE)
async def update_template(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied(TEMPLATE, new, _TEMPLATE)
    params = _template_params(new)
    # a member left out of an update keeps its value in ECR: a dropped description or tag list is cleared
    if "Description" in old and "Description" not in new:
        params["description"] = ""
    if "ResourceTags" in old and "ResourceTags" not in new:
        params["resourceTags"] = []
    return _template_done(await ctx.call(S, "UpdateRepositoryCreationTemplate", params))


@deleting(TEMPLATE)
async def delete_template(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ignore_missing(ctx.call(S, "DeleteRepositoryCreationTemplate", {"prefix": physical}), "TemplateNotFound")


# --- pull-time update exclusions -----------------------------------------------------------------
@provider(EXCLUSION)
async def create_exclusion(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(EXCLUSION, props, ("PrincipalArn",))
    out = await ctx.call(S, "RegisterPullTimeUpdateExclusion", {"principalArn": props["PrincipalArn"]})
    return Done(str(out["principalArn"]), {})


@deleting(EXCLUSION)
async def delete_exclusion(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ignore_missing(ctx.call(S, "DeregisterPullTimeUpdateExclusion", {"principalArn": physical}), "ExclusionNotFound")

"""REST API (API Gateway v1) VPC links, client certificates and documentation as CloudFormation
resource types, made by the apigateway service's own handlers:

- AWS::ApiGateway::VpcLink: Ref the link id; GetAtt VpcLinkId. Create waits until the link
  leaves PENDING (FAILED fails the resource with the service's message); Name and Description
  change in place; TargetArns replaces it; a Tags change is refused (the apigateway service's
  TagResource does not take VPC links yet).
- AWS::ApiGateway::ClientCertificate: Ref the certificate id; GetAtt ClientCertificateId.
  Description and Tags change in place.
- AWS::ApiGateway::DocumentationPart: Ref the part id; GetAtt DocumentationPartId. Properties
  change in place; Location and RestApiId replace it.
- AWS::ApiGateway::DocumentationVersion: Ref the version identifier. Description changes in
  place; DocumentationVersion and RestApiId replace it.

What replaces a resource is cfn-lint's createOnlyProperties (the engine decides); a property a
provider does not apply fails the resource (`refuse_unapplied`)."""

from __future__ import annotations

import asyncio
from typing import Any

from gureum.aws import arn as arns
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    ResourceFailed,
    deleting,
    ignore_missing,
    provider,
    refuse_unapplied,
    text,
    updating,
)

S = "apigateway"
POLL = 0.2


async def _ignore_missing(coro: Any) -> None:
    await ignore_missing(coro, "NotFound")


def _tags(ctx: ResourceContext, props: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in ctx.tag_list(props)}


def _replace(old: dict[str, Any], new: dict[str, Any], fields: dict[str, str]) -> list[dict[str, str]]:
    """Patch operations for the changed properties (CloudFormation name → patch path); a removed
    one is set empty, as CloudFormation's handlers do."""
    return [{"op": "replace", "path": path, "value": text(new.get(k, ""))} for k, path in fields.items()
            if old.get(k) != new.get(k)]


# --- VPC links -------------------------------------------------------------------------------

_LINK_APPLIED = ("Description", "Name", "Tags", "TargetArns")


async def _link_settled(ctx: ResourceContext, link_id: str) -> None:
    """Wait as CloudFormation does until the link leaves PENDING; FAILED fails the resource."""
    while True:
        link = await ctx.call(S, "GetVpcLink", {"vpcLinkId": link_id})
        if link.get("status") == "AVAILABLE":
            return
        if link.get("status") in ("FAILED", "DELETING"):
            raise ResourceFailed(str(link.get("statusMessage") or f"the VPC link is {link.get('status')}"))
        await asyncio.sleep(POLL)


@provider("AWS::ApiGateway::VpcLink")
async def create_vpc_link(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGateway::VpcLink", props, _LINK_APPLIED)
    params: dict[str, Any] = {"name": text(props["Name"]), "targetArns": [text(a) for a in props.get("TargetArns") or []]}
    if "Description" in props:
        params["description"] = text(props["Description"])
    tags = _tags(ctx, props)
    if tags:
        params["tags"] = tags
    out = await ctx.call(S, "CreateVpcLink", params)
    try:
        await _link_settled(ctx, out["id"])
    except ResourceFailed:
        await _ignore_missing(ctx.call(S, "DeleteVpcLink", {"vpcLinkId": out["id"]}))  # nothing left behind
        raise
    return Done(out["id"], {"VpcLinkId": out["id"]})


@updating("AWS::ApiGateway::VpcLink")
async def update_vpc_link(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                          done: Done) -> Done:
    refuse_unapplied("AWS::ApiGateway::VpcLink", new, _LINK_APPLIED)
    if _tags(ctx, old) != _tags(ctx, new):
        live = await ctx.call(S, "GetVpcLink", {"vpcLinkId": physical})
        if dict(live.get("tags") or {}) != _tags(ctx, new):  # a rollback finds them as they were
            raise ResourceFailed("gureum does not update the Tags of AWS::ApiGateway::VpcLink in place yet")
    ops = _replace(old, new, {"Name": "/name", "Description": "/description"})
    if ops:
        await ctx.call(S, "UpdateVpcLink", {"vpcLinkId": physical, "patchOperations": ops})
    return done


@deleting("AWS::ApiGateway::VpcLink")
async def delete_vpc_link(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteVpcLink", {"vpcLinkId": physical}))


# --- client certificates ---------------------------------------------------------------------

@provider("AWS::ApiGateway::ClientCertificate")
async def create_client_certificate(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGateway::ClientCertificate", props, ("Description", "Tags"))
    params: dict[str, Any] = {}
    if "Description" in props:
        params["description"] = text(props["Description"])
    tags = _tags(ctx, props)
    if tags:
        params["tags"] = tags
    out = await ctx.call(S, "GenerateClientCertificate", params)
    ident = out["clientCertificateId"]
    return Done(ident, {"ClientCertificateId": ident})


@updating("AWS::ApiGateway::ClientCertificate")
async def update_client_certificate(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                    done: Done) -> Done:
    refuse_unapplied("AWS::ApiGateway::ClientCertificate", new, ("Description", "Tags"))
    ops = _replace(old, new, {"Description": "/description"})
    if ops:
        await ctx.call(S, "UpdateClientCertificate", {"clientCertificateId": physical, "patchOperations": ops})
    before, after = _tags(ctx, old), _tags(ctx, new)
    arn = arns.apigateway_resource(ctx.region, f"/clientcertificates/{physical}")
    gone = [k for k in before if k not in after]
    if gone:
        await ctx.call(S, "UntagResource", {"resourceArn": arn, "tagKeys": gone})
    if any(before.get(k) != v for k, v in after.items()):
        await ctx.call(S, "TagResource", {"resourceArn": arn, "tags": after})
    return done


@deleting("AWS::ApiGateway::ClientCertificate")
async def delete_client_certificate(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteClientCertificate", {"clientCertificateId": physical}))


# --- documentation parts and versions --------------------------------------------------------

_PART_APPLIED = ("Location", "Properties", "RestApiId")
_LOCATION = ("Method", "Name", "Path", "StatusCode", "Type")


def _location(props: dict[str, Any]) -> dict[str, str]:
    loc = props.get("Location") or {}
    refuse_unapplied("AWS::ApiGateway::DocumentationPart Location", loc, _LOCATION)
    return {k[:1].lower() + k[1:]: text(loc[k]) for k in _LOCATION if k in loc}


@provider("AWS::ApiGateway::DocumentationPart")
async def create_documentation_part(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGateway::DocumentationPart", props, _PART_APPLIED)
    out = await ctx.call(S, "CreateDocumentationPart", {"restApiId": text(props["RestApiId"]), "location": _location(props),
                                                        "properties": text(props["Properties"])})
    return Done(out["id"], {"DocumentationPartId": out["id"]})


@updating("AWS::ApiGateway::DocumentationPart")
async def update_documentation_part(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                    done: Done) -> Done:
    refuse_unapplied("AWS::ApiGateway::DocumentationPart", new, _PART_APPLIED)
    ops = _replace(old, new, {"Properties": "/properties"})
    if ops:
        await ctx.call(S, "UpdateDocumentationPart", {"restApiId": text(new["RestApiId"]), "documentationPartId": physical,
                                                      "patchOperations": ops})
    return done


@deleting("AWS::ApiGateway::DocumentationPart")
async def delete_documentation_part(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteDocumentationPart", {"restApiId": text(props["RestApiId"]),
                                                                  "documentationPartId": physical}))


_VERSION_APPLIED = ("Description", "DocumentationVersion", "RestApiId")


@provider("AWS::ApiGateway::DocumentationVersion")
async def create_documentation_version(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGateway::DocumentationVersion", props, _VERSION_APPLIED)
    params = {"restApiId": text(props["RestApiId"]), "documentationVersion": text(props["DocumentationVersion"])}
    if "Description" in props:
        params["description"] = text(props["Description"])
    out = await ctx.call(S, "CreateDocumentationVersion", params)
    return Done(out["version"])


@updating("AWS::ApiGateway::DocumentationVersion")
async def update_documentation_version(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                       done: Done) -> Done:
    refuse_unapplied("AWS::ApiGateway::DocumentationVersion", new, _VERSION_APPLIED)
    ops = _replace(old, new, {"Description": "/description"})
    if ops:
        await ctx.call(S, "UpdateDocumentationVersion", {"restApiId": text(new["RestApiId"]), "documentationVersion": physical,
                                                         "patchOperations": ops})
    return done


@deleting("AWS::ApiGateway::DocumentationVersion")
async def delete_documentation_version(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteDocumentationVersion", {"restApiId": text(props["RestApiId"]),
                                                                     "documentationVersion": physical}))

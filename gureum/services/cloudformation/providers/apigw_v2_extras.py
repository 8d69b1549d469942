"""More HTTP and WebSocket API (API Gateway v2) resource types, made by the apigatewayv2
service's own handlers: AWS::ApiGatewayV2::Deployment (Ref: the deployment id; GetAtt
DeploymentId; Description and StageName change in place, ApiId replaces it) and
AWS::ApiGatewayV2::Authorizer (Ref: the authorizer id; GetAtt AuthorizerId; everything but
ApiId changes in place through UpdateAuthorizer).

Custom domain names, API mappings, VPC links and models are apigw_v2_domains.py's."""

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

S = "apigatewayv2"


async def _ignore_missing(coro: Any) -> None:
    await ignore_missing(coro, "NotFound")


# --- deployments -----------------------------------------------------------------------------

_DEPLOYMENT_FIELDS = ("ApiId", "Description", "StageName")


@provider("AWS::ApiGatewayV2::Deployment")
async def create_deployment(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::Deployment", props, _DEPLOYMENT_FIELDS)
    out = await ctx.call(S, "CreateDeployment", {k: props[k] for k in _DEPLOYMENT_FIELDS if k in props})
    return Done(out["DeploymentId"], {"DeploymentId": out["DeploymentId"]})


@updating("AWS::ApiGatewayV2::Deployment")
async def update_deployment(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                            done: Done) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::Deployment", new, _DEPLOYMENT_FIELDS)
    if old.get("Description") != new.get("Description"):
        await ctx.call(S, "UpdateDeployment", {"ApiId": new["ApiId"], "DeploymentId": physical,
                                               "Description": str(new.get("Description") or "")})
    if new.get("StageName") and old.get("StageName") != new.get("StageName"):
        # CloudFormation's handler points the named stage at this deployment
        await ctx.call(S, "UpdateStage", {"ApiId": new["ApiId"], "StageName": new["StageName"], "DeploymentId": physical})
    return done


@deleting("AWS::ApiGatewayV2::Deployment")
async def delete_deployment(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteDeployment", {"ApiId": props["ApiId"], "DeploymentId": physical}))


# --- authorizers -----------------------------------------------------------------------------

_AUTHORIZER_FIELDS = ("ApiId", "AuthorizerCredentialsArn", "AuthorizerPayloadFormatVersion", "AuthorizerResultTtlInSeconds",
                      "AuthorizerType", "AuthorizerUri", "EnableSimpleResponses", "IdentitySource",
                      "IdentityValidationExpression", "JwtConfiguration", "Name")


def _authorizer_params(props: dict[str, Any], operation: str) -> dict[str, Any]:
    params = {k: props[k] for k in _AUTHORIZER_FIELDS if k in props}
    if operation == "CreateAuthorizer":
        params.setdefault("IdentitySource", [])  # the API requires it; a REQUEST authorizer may cache nothing
    return coerce(S, operation, params)


@provider("AWS::ApiGatewayV2::Authorizer")
async def create_authorizer(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::Authorizer", props, _AUTHORIZER_FIELDS)
    out = await ctx.call(S, "CreateAuthorizer", _authorizer_params(props, "CreateAuthorizer"))
    return Done(out["AuthorizerId"], {"AuthorizerId": out["AuthorizerId"]})


@updating("AWS::ApiGatewayV2::Authorizer")
async def update_authorizer(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                            done: Done) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::Authorizer", new, _AUTHORIZER_FIELDS)
    changed = {k: v for k, v in _authorizer_params(new, "UpdateAuthorizer").items() if old.get(k) != new.get(k)}
    if changed:
        await ctx.call(S, "UpdateAuthorizer", {**changed, "ApiId": new["ApiId"], "AuthorizerId": physical})
    return done


@deleting("AWS::ApiGatewayV2::Authorizer")
async def delete_authorizer(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteAuthorizer", {"ApiId": props["ApiId"], "AuthorizerId": physical}))

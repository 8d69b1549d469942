"""API Gateway resource types of issue 21's last sweep, made by the apigateway and apigatewayv2
services' own handlers:

- AWS::ApiGateway::Account (Ref and GetAtt Id: a generated id). CloudWatchRoleArn is the
  region's account setting, set through UpdateAccount (changes in place, a removed one is
  patched away). Deleting the resource leaves the setting as it is, as AWS documents (API
  Gateway keeps using the role).
- AWS::ApiGatewayV2::IntegrationResponse (Ref and GetAtt IntegrationResponseId) and
  AWS::ApiGatewayV2::RouteResponse (Ref and GetAtt RouteResponseId): everything but ApiId and
  the parent's id (IntegrationId / RouteId: replacement) changes in place through
  UpdateIntegrationResponse / UpdateRouteResponse.
- AWS::ApiGatewayV2::ApiGatewayManagedOverrides (Ref and GetAtt Id: a generated id): the
  properties of the route, integration and stage a quick create (AWS::ApiGatewayV2::Api with
  Target) made, set through UpdateRoute / UpdateIntegration / UpdateStage on the API's
  resources marked ApiGatewayManaged. An override the template drops (or the resource's
  deletion) puts quick create's default back where one exists: the integration's method and
  payload format version for its type, a 30000 ms timeout, an empty description; the route's
  NONE authorization without scopes or operation name, targeting the managed integration; the
  stage's AutoDeploy on and an empty description. The stage's maps (StageVariables,
  RouteSettings, DefaultRouteSettings, AccessLogSettings) stay as last set: UpdateStage merges
  them, it has no way to remove an entry. ApiId replaces it.

AWS::ApiGateway::DomainNameV2, BasePathMappingV2 and DomainNameAccessAssociation (private custom
domain names: a domainNameId, a policy, access associations) are not here: gureum's apigateway
has no private custom domain names (CreateDomainNameAccessAssociation and its siblings answer
501, and its domain names have no domainNameId). AWS::ApiGatewayV2::RoutingRule is not either
(CreateRoutingRule answers 501)."""

from __future__ import annotations

import random
import string
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

V1 = "apigateway"
V2 = "apigatewayv2"


async def _ignore_missing(coro: Any) -> None:
    await ignore_missing(coro, "NotFound")


def _generated_id() -> str:
    return "".join(random.choices(string.ascii_lowercase + string.digits, k=10))


# --- the region's API Gateway account settings -----------------------------------------------

async def _set_role(ctx: ResourceContext, role: Any) -> None:
    op = {"op": "replace", "path": "/cloudwatchRoleArn", "value": str(role)} if role else \
        {"op": "remove", "path": "/cloudwatchRoleArn"}
    await ctx.call(V1, "UpdateAccount", {"patchOperations": [op]})


@provider("AWS::ApiGateway::Account")
async def create_account(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGateway::Account", props, ("CloudWatchRoleArn",))
    if props.get("CloudWatchRoleArn"):
        await _set_role(ctx, props["CloudWatchRoleArn"])
    physical = ctx.name(lower=True)
    return Done(physical, {"Id": physical})


@updating("AWS::ApiGateway::Account")
async def update_account(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                         done: Done) -> Done:
    refuse_unapplied("AWS::ApiGateway::Account", new, ("CloudWatchRoleArn",))
    if old.get("CloudWatchRoleArn") != new.get("CloudWatchRoleArn"):
        await _set_role(ctx, new.get("CloudWatchRoleArn"))
    return done


@deleting("AWS::ApiGateway::Account")
async def delete_account(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    return None  # AWS leaves the account's CloudWatch role in place when the stack goes


# --- integration responses and route responses (WebSocket APIs) ------------------------------

_INTEGRATION_RESPONSE_FIELDS = ("ApiId", "IntegrationId", "IntegrationResponseKey", "ContentHandlingStrategy",
                                "ResponseParameters", "ResponseTemplates", "TemplateSelectionExpression")


@provider("AWS::ApiGatewayV2::IntegrationResponse")
async def create_integration_response(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::IntegrationResponse", props, _INTEGRATION_RESPONSE_FIELDS)
    params = coerce(V2, "CreateIntegrationResponse", {k: props[k] for k in _INTEGRATION_RESPONSE_FIELDS if k in props})
    out = await ctx.call(V2, "CreateIntegrationResponse", params)
    return Done(out["IntegrationResponseId"], {"IntegrationResponseId": out["IntegrationResponseId"]})


@updating("AWS::ApiGatewayV2::IntegrationResponse")
async def update_integration_response(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                      done: Done) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::IntegrationResponse", new, _INTEGRATION_RESPONSE_FIELDS)
    changed = {k: new.get(k) for k in _INTEGRATION_RESPONSE_FIELDS if old.get(k) != new.get(k)}
    if changed:
        # a dropped map or expression is sent empty: UpdateIntegrationResponse keeps what it is not given
        empty: dict[str, Any] = {"ResponseParameters": {}, "ResponseTemplates": {}, "TemplateSelectionExpression": "",
                                 "ContentHandlingStrategy": None}
        params = {k: (v if v is not None else empty.get(k)) for k, v in changed.items()}
        params = {k: v for k, v in params.items() if v is not None}
        await ctx.call(V2, "UpdateIntegrationResponse", coerce(V2, "UpdateIntegrationResponse", {
            **params, "ApiId": new["ApiId"], "IntegrationId": new["IntegrationId"], "IntegrationResponseId": physical}))
    return done


@deleting("AWS::ApiGatewayV2::IntegrationResponse")
async def delete_integration_response(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(V2, "DeleteIntegrationResponse", {
        "ApiId": props["ApiId"], "IntegrationId": props["IntegrationId"], "IntegrationResponseId": physical}))


_ROUTE_RESPONSE_FIELDS = ("ApiId", "RouteId", "RouteResponseKey", "ModelSelectionExpression", "ResponseModels",
                          "ResponseParameters")


@provider("AWS::ApiGatewayV2::RouteResponse")
async def create_route_response(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::RouteResponse", props, _ROUTE_RESPONSE_FIELDS)
    params = coerce(V2, "CreateRouteResponse", {k: props[k] for k in _ROUTE_RESPONSE_FIELDS if k in props})
    out = await ctx.call(V2, "CreateRouteResponse", params)
    return Done(out["RouteResponseId"], {"RouteResponseId": out["RouteResponseId"]})


@updating("AWS::ApiGatewayV2::RouteResponse")
async def update_route_response(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                done: Done) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::RouteResponse", new, _ROUTE_RESPONSE_FIELDS)
    empty: dict[str, Any] = {"ResponseModels": {}, "ResponseParameters": {}, "ModelSelectionExpression": ""}
    changed = {k: (new[k] if k in new else empty.get(k)) for k in _ROUTE_RESPONSE_FIELDS if old.get(k) != new.get(k)}
    changed = {k: v for k, v in changed.items() if v is not None}
    if changed:
        await ctx.call(V2, "UpdateRouteResponse", coerce(V2, "UpdateRouteResponse", {
            **changed, "ApiId": new["ApiId"], "RouteId": new["RouteId"], "RouteResponseId": physical}))
    return done


@deleting("AWS::ApiGatewayV2::RouteResponse")
async def delete_route_response(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(V2, "DeleteRouteResponse", {
        "ApiId": props["ApiId"], "RouteId": props["RouteId"], "RouteResponseId": physical}))


# --- overrides of what a quick create made ---------------------------------------------------

_OVERRIDE_FIELDS = {
    "Integration": ("Description", "IntegrationMethod", "PayloadFormatVersion", "TimeoutInMillis"),
    "Route": ("AuthorizationScopes", "AuthorizationType", "AuthorizerId", "OperationName", "Target"),
    "Stage": ("AccessLogSettings", "AutoDeploy", "DefaultRouteSettings", "Description", "RouteSettings",
              "StageVariables"),
}
_OPERATIONS = {"Integration": ("GetIntegrations", "Items", "UpdateIntegration", "IntegrationId"),
               "Route": ("GetRoutes", "Items", "UpdateRoute", "RouteId"),
               "Stage": ("GetStages", "Items", "UpdateStage", "StageName")}


async def _managed(ctx: ResourceContext, api_id: str) -> dict[str, dict[str, Any]]:
    """The API's route, integration and stage quick create made ({section: the resource})."""
    found: dict[str, dict[str, Any]] = {}
    for section, (get, items, _, _) in _OPERATIONS.items():
        token: str | None = None
        while True:
            out = await ctx.call(V2, get, {"ApiId": api_id, **({"NextToken": token} if token else {})})
            for item in out.get(items) or []:
                if item.get("ApiGatewayManaged") and section not in found:
                    found[section] = item
            token = out.get("NextToken")
            if not token:
                break
    if not found:
        raise ResourceFailed(f"API {api_id} has no API Gateway-managed route, integration or stage: "
                             "overrides apply only to an API made by quick create")
    return found


def _defaults(section: str, managed: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Quick create's values of `section`'s fields (those it has one for)."""
    if section == "Integration":
        proxy = managed["Integration"].get("IntegrationType") == "AWS_PROXY"
        return {"Description": "", "IntegrationMethod": "POST" if proxy else "ANY",
                "PayloadFormatVersion": "2.0" if proxy else "1.0", "TimeoutInMillis": 30000}
    if section == "Route":
        target = f"integrations/{managed['Integration']['IntegrationId']}" if "Integration" in managed else None
        return {"AuthorizationScopes": [], "AuthorizationType": "NONE", "AuthorizerId": "", "OperationName": "",
                **({"Target": target} if target else {})}
    return {"AutoDeploy": True, "Description": ""}


async def _override(ctx: ResourceContext, api_id: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    """Set `new`'s overrides on the managed resources, putting back the defaults of those `old`
    had and `new` has not."""
    managed = await _managed(ctx, api_id)
    for section, fields in _OVERRIDE_FIELDS.items():
        before = old.get(section) or {}
        after = new.get(section) or {}
        refuse_unapplied(f"AWS::ApiGatewayV2::ApiGatewayManagedOverrides {section}", after, fields)
        changes = {k: after[k] for k in fields if k in after and before.get(k) != after[k]}
        defaults = _defaults(section, managed)
        changes.update({k: defaults[k] for k in fields if k in before and k not in after and k in defaults})
        if not changes:
            continue
        if section not in managed:
            raise ResourceFailed(f"API {api_id} has no API Gateway-managed {section.lower()} to override")
        _, _, update, id_field = _OPERATIONS[section]
        params = {**changes, "ApiId": api_id, id_field: managed[section][id_field]}
        await ctx.call(V2, update, coerce(V2, update, params))


@provider("AWS::ApiGatewayV2::ApiGatewayManagedOverrides")
async def create_managed_overrides(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::ApiGatewayManagedOverrides", props, ("ApiId", *_OVERRIDE_FIELDS))
    await _override(ctx, str(props["ApiId"]), {}, props)
    physical = _generated_id()
    return Done(physical, {"Id": physical})


@updating("AWS::ApiGatewayV2::ApiGatewayManagedOverrides")
async def update_managed_overrides(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                   done: Done) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::ApiGatewayManagedOverrides", new, ("ApiId", *_OVERRIDE_FIELDS))
    await _override(ctx, str(new["ApiId"]), old, new)
    return done


@deleting("AWS::ApiGatewayV2::ApiGatewayManagedOverrides")
async def delete_managed_overrides(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await _ignore_missing(_override(ctx, str(props["ApiId"]), props, {}))  # the API gone: nothing to put back
    except ResourceFailed:
        return  # its managed resources are gone: nothing to put back either

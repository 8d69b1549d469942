"""More REST API (API Gateway v1) resource types, made by the apigateway service's own handlers:
AWS::ApiGateway::Authorizer, ApiKey, UsagePlan, UsagePlanKey, Model, RequestValidator,
DomainName, BasePathMapping and GatewayResponse. Ref and Fn::GetAtt as AWS's resource reference
documents them: Authorizer → its id (AuthorizerId); ApiKey → its id (APIKeyId); UsagePlan → its
id (Id); UsagePlanKey → "{key id}:{usage plan id}" (Id); Model → its name; RequestValidator →
its id (RequestValidatorId); DomainName → the domain name (DistributionDomainName,
DistributionHostedZoneId, DomainNameArn, RegionalDomainName, RegionalHostedZoneId; its
MutualTlsAuthentication truststore changes in place, an emptied TruststoreUri turning it off);
BasePathMapping → no documented Ref (the physical id is "{domain}/{base path}");
GatewayResponse → a generated id (Id).

In-place updates are UpdateX patch operations on the changed properties (GatewayResponse is
put again whole); what cfn-lint's createOnlyProperties name replaces the resource (the engine
decides). A property the provider does not apply fails the resource (`refuse_unapplied`)."""

from __future__ import annotations

import random
import string
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
from gureum.services.cloudformation.providers.shapes import coerce

S = "apigateway"


async def _ignore_missing(coro: Any) -> None:
    await ignore_missing(coro, "NotFound")


def _lower(name: str) -> str:
    return name[:1].lower() + name[1:]


def _params(props: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The template's properties among `fields` in the API's lowerCamel member names."""
    return {_lower(k): props[k] for k in fields if k in props}


def _escape(segment: str) -> str:
    """A JSON-pointer path segment (RFC 6901)."""
    return segment.replace("~", "~0").replace("/", "~1")


def _scalar_ops(old: dict[str, Any], new: dict[str, Any], fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """Patch operations for the changed scalar properties among `fields` (a removed one is
    replaced by its empty value, as CloudFormation's handlers do)."""
    ops: list[dict[str, Any]] = []
    for k in fields:
        if old.get(k) != new.get(k):
            if k in new:
                ops.append({"op": "replace", "path": "/" + _lower(k), "value": text(new[k])})
            else:
                ops.append({"op": "remove", "path": "/" + _lower(k)})
    return ops


def _tags(ctx: ResourceContext, props: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in ctx.tag_list(props)}


async def _retag(ctx: ResourceContext, arn: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    before, after = _tags(ctx, old), _tags(ctx, new)
    gone = [k for k in before if k not in after]
    if gone:
        await ctx.call(S, "UntagResource", {"resourceArn": arn, "tagKeys": gone})
    if any(before.get(k) != v for k, v in after.items()):
        await ctx.call(S, "TagResource", {"resourceArn": arn, "tags": after})


# --- authorizers -----------------------------------------------------------------------------

_AUTHORIZER_FIELDS = ("AuthType", "AuthorizerCredentials", "AuthorizerResultTtlInSeconds", "AuthorizerUri",
                      "IdentitySource", "IdentityValidationExpression", "Name", "Type")
_AUTHORIZER_APPLIED = (*_AUTHORIZER_FIELDS, "ProviderARNs", "RestApiId")


@provider("AWS::ApiGateway::Authorizer")
async def create_authorizer(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGateway::Authorizer", props, _AUTHORIZER_APPLIED)
    params = {"restApiId": props["RestApiId"], **_params(props, (*_AUTHORIZER_FIELDS, "ProviderARNs"))}
    out = await ctx.call(S, "CreateAuthorizer", coerce(S, "CreateAuthorizer", params))
    return Done(out["id"], {"AuthorizerId": out["id"]})


@updating("AWS::ApiGateway::Authorizer")
async def update_authorizer(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                            done: Done) -> Done:
    refuse_unapplied("AWS::ApiGateway::Authorizer", new, _AUTHORIZER_APPLIED)
    ops = _scalar_ops(old, new, _AUTHORIZER_FIELDS)
    before, after = list(old.get("ProviderARNs") or []), list(new.get("ProviderARNs") or [])
    ops += [{"op": "remove", "path": "/providerARNs/" + _escape(str(a))} for a in before if a not in after]
    ops += [{"op": "add", "path": "/providerARNs/" + _escape(str(a))} for a in after if a not in before]
    if ops:
        await ctx.call(S, "UpdateAuthorizer", {"restApiId": new["RestApiId"], "authorizerId": physical,
                                               "patchOperations": ops})
    return done


@deleting("AWS::ApiGateway::Authorizer")
async def delete_authorizer(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteAuthorizer", {"restApiId": props["RestApiId"], "authorizerId": physical}))


# --- API keys --------------------------------------------------------------------------------

_KEY_APPLIED = ("CustomerId", "Description", "Enabled", "GenerateDistinctId", "Name", "StageKeys", "Tags", "Value")


def _stage_keys(props: dict[str, Any]) -> list[str]:
    return [f"{sk['RestApiId']}/{sk['StageName']}" for sk in props.get("StageKeys") or () if isinstance(sk, dict)]


@provider("AWS::ApiGateway::ApiKey")
async def create_api_key(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGateway::ApiKey", props, _KEY_APPLIED)
    params: dict[str, Any] = {**_params(props, ("CustomerId", "Description", "Enabled", "Name", "Value")),
                              "stageKeys": [{"restApiId": sk["RestApiId"], "stageName": sk["StageName"]}
                                            for sk in props.get("StageKeys") or () if isinstance(sk, dict)]}
    params.setdefault("name", ctx.name(128))
    params.setdefault("enabled", False)
    tags = _tags(ctx, props)
    if tags:
        params["tags"] = tags
    out = await ctx.call(S, "CreateApiKey", coerce(S, "CreateApiKey", params))
    return Done(out["id"], {"APIKeyId": out["id"]})


@updating("AWS::ApiGateway::ApiKey")
async def update_api_key(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied("AWS::ApiGateway::ApiKey", new, _KEY_APPLIED)
    ops = _scalar_ops({**{"Enabled": False}, **old}, {**{"Enabled": False}, **new}, ("CustomerId", "Description", "Enabled"))
    before, after = _stage_keys(old), _stage_keys(new)
    ops += [{"op": "remove", "path": "/stageKeys/" + _escape(k)} for k in before if k not in after]
    ops += [{"op": "add", "path": "/stageKeys/" + _escape(k)} for k in after if k not in before]
    if ops:
        await ctx.call(S, "UpdateApiKey", {"apiKey": physical, "patchOperations": ops})
    await _retag(ctx, arns.apigateway_resource(ctx.region, f"/apikeys/{physical}"), old, new)
    return done


@deleting("AWS::ApiGateway::ApiKey")
async def delete_api_key(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteApiKey", {"apiKey": physical}))


# --- usage plans and their keys --------------------------------------------------------------

_PLAN_APPLIED = ("ApiStages", "Description", "Quota", "Tags", "Throttle", "UsagePlanName")


def _api_stages(props: dict[str, Any]) -> list[dict[str, Any]]:
    """ApiStages as CreateUsagePlan takes them; a stage's Throttle maps "/{path}/{METHOD}" to
    its own {BurstLimit, RateLimit}."""
    out: list[dict[str, Any]] = []
    for st in props.get("ApiStages") or ():
        refuse_unapplied("AWS::ApiGateway::UsagePlan ApiStage", st, ("ApiId", "Stage", "Throttle"))
        stage: dict[str, Any] = {"apiId": st["ApiId"], "stage": st["Stage"]}
        throttle = st.get("Throttle") or {}
        if throttle:
            stage["throttle"] = {}
            for method, limits in throttle.items():
                refuse_unapplied("AWS::ApiGateway::UsagePlan ApiStage Throttle", limits, _THROTTLE)
                stage["throttle"][str(method)] = {_lower(k): limits[k] for k in _THROTTLE if k in limits}
        out.append(stage)
    return out


def _limits(props: dict[str, Any], name: str, fields: tuple[str, ...]) -> dict[str, Any]:
    value = props.get(name)
    if not isinstance(value, dict):
        return {}
    refuse_unapplied(f"AWS::ApiGateway::UsagePlan {name}", value, fields)
    return {_lower(k): value[k] for k in fields if k in value}


_QUOTA = ("Limit", "Offset", "Period")
_THROTTLE = ("BurstLimit", "RateLimit")


@provider("AWS::ApiGateway::UsagePlan")
async def create_usage_plan(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGateway::UsagePlan", props, _PLAN_APPLIED)
    params: dict[str, Any] = {"name": props.get("UsagePlanName") or ctx.name(128), "apiStages": _api_stages(props)}
    if "Description" in props:
        params["description"] = props["Description"]
    for name, fields in (("Quota", _QUOTA), ("Throttle", _THROTTLE)):
        limits = _limits(props, name, fields)
        if limits:
            params[_lower(name)] = limits
    tags = _tags(ctx, props)
    if tags:
        params["tags"] = tags
    out = await ctx.call(S, "CreateUsagePlan", coerce(S, "CreateUsagePlan", params))
    return Done(out["id"], {"Id": out["id"]})


@updating("AWS::ApiGateway::UsagePlan")
async def update_usage_plan(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                            done: Done) -> Done:
    refuse_unapplied("AWS::ApiGateway::UsagePlan", new, _PLAN_APPLIED)
    ops: list[dict[str, Any]] = []
    if old.get("UsagePlanName") != new.get("UsagePlanName") and new.get("UsagePlanName"):
        ops.append({"op": "replace", "path": "/name", "value": text(new["UsagePlanName"])})
    ops += _scalar_ops(old, new, ("Description",))
    for name, fields in (("Quota", _QUOTA), ("Throttle", _THROTTLE)):
        before, after = _limits(old, name, fields), _limits(new, name, fields)
        if before == after:
            continue
        if not after:
            ops.append({"op": "remove", "path": "/" + _lower(name)})
            continue
        ops += [{"op": "remove", "path": f"/{_lower(name)}/{k}"} for k in before if k not in after]
        ops += [{"op": "replace", "path": f"/{_lower(name)}/{k}", "value": text(v)} for k, v in after.items()
                if before.get(k) != v]
    kept = {f"{s['apiId']}:{s['stage']}": s.get("throttle") for s in _api_stages(old)}
    live: dict[str, Any] | None = None
    for st in _api_stages(new):
        ident = f"{st['apiId']}:{st['stage']}"
        if ident not in kept or kept[ident] == st.get("throttle"):
            continue
        if live is None:  # a rollback asks for what the plan still holds: nothing to do
            plan = await ctx.call(S, "GetUsagePlan", {"usagePlanId": physical})
            live = {f"{s['apiId']}:{s['stage']}": s.get("throttle") or None for s in plan.get("apiStages") or []}
        wanted = coerce(S, "CreateUsagePlan", {"name": "-", "apiStages": [st]})["apiStages"][0].get("throttle")
        if live.get(ident) != (wanted or None):
            # UpdateUsagePlan takes a stage's method throttles only as paths the apigateway service does not patch yet
            raise ResourceFailed(f"gureum does not update the Throttle of ApiStage {ident} of AWS::ApiGateway::UsagePlan in place yet")
    before_stages = [f"{s['apiId']}:{s['stage']}" for s in _api_stages(old)]
    after_stages = [f"{s['apiId']}:{s['stage']}" for s in _api_stages(new)]
    ops += [{"op": "remove", "path": "/apiStages", "value": s} for s in before_stages if s not in after_stages]
    ops += [{"op": "add", "path": "/apiStages", "value": s} for s in after_stages if s not in before_stages]
    if ops:
        await ctx.call(S, "UpdateUsagePlan", {"usagePlanId": physical, "patchOperations": ops})
    await _retag(ctx, arns.apigateway_resource(ctx.region, f"/usageplans/{physical}"), old, new)
    return done


@deleting("AWS::ApiGateway::UsagePlan")
async def delete_usage_plan(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteUsagePlan", {"usagePlanId": physical}))


@provider("AWS::ApiGateway::UsagePlanKey")
async def create_usage_plan_key(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGateway::UsagePlanKey", props, ("KeyId", "KeyType", "UsagePlanId"))
    await ctx.call(S, "CreateUsagePlanKey", {"usagePlanId": props["UsagePlanId"], "keyId": props["KeyId"],
                                             "keyType": props["KeyType"]})
    ident = f"{props['KeyId']}:{props['UsagePlanId']}"
    return Done(ident, {"Id": ident})


@deleting("AWS::ApiGateway::UsagePlanKey")
async def delete_usage_plan_key(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteUsagePlanKey", {"usagePlanId": props["UsagePlanId"], "keyId": props["KeyId"]}))


# --- models and request validators -----------------------------------------------------------

@provider("AWS::ApiGateway::Model")
async def create_model(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGateway::Model", props, ("ContentType", "Description", "Name", "RestApiId", "Schema"))
    # a model name is alphanumeric: the generated one drops the separators
    name = str(props.get("Name") or ctx.name(128, sep="").replace("-", ""))
    params: dict[str, Any] = {"restApiId": props["RestApiId"], "name": name,
                              "contentType": props.get("ContentType") or "application/json"}
    if "Description" in props:
        params["description"] = props["Description"]
    if "Schema" in props:
        params["schema"] = text(props["Schema"])
    await ctx.call(S, "CreateModel", params)
    return Done(name)


@updating("AWS::ApiGateway::Model")
async def update_model(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied("AWS::ApiGateway::Model", new, ("ContentType", "Description", "Name", "RestApiId", "Schema"))
    ops = _scalar_ops(old, new, ("Description",))
    if old.get("Schema") != new.get("Schema"):
        ops.append({"op": "replace", "path": "/schema", "value": text(new.get("Schema", ""))})
    if ops:
        await ctx.call(S, "UpdateModel", {"restApiId": new["RestApiId"], "modelName": physical, "patchOperations": ops})
    return done


@deleting("AWS::ApiGateway::Model")
async def delete_model(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteModel", {"restApiId": props["RestApiId"], "modelName": physical}))


_VALIDATOR_APPLIED = ("Name", "RestApiId", "ValidateRequestBody", "ValidateRequestParameters")


@provider("AWS::ApiGateway::RequestValidator")
async def create_request_validator(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGateway::RequestValidator", props, _VALIDATOR_APPLIED)
    params = {"restApiId": props["RestApiId"], "name": props.get("Name") or ctx.name(128),
              **_params(props, ("ValidateRequestBody", "ValidateRequestParameters"))}
    out = await ctx.call(S, "CreateRequestValidator", coerce(S, "CreateRequestValidator", params))
    return Done(out["id"], {"RequestValidatorId": out["id"]})


@updating("AWS::ApiGateway::RequestValidator")
async def update_request_validator(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                   done: Done) -> Done:
    refuse_unapplied("AWS::ApiGateway::RequestValidator", new, _VALIDATOR_APPLIED)
    defaults = {"ValidateRequestBody": False, "ValidateRequestParameters": False}
    ops = _scalar_ops({**defaults, **old}, {**defaults, **new}, ("ValidateRequestBody", "ValidateRequestParameters"))
    if ops:
        await ctx.call(S, "UpdateRequestValidator", {"restApiId": new["RestApiId"], "requestValidatorId": physical,
                                                     "patchOperations": ops})
    return done


@deleting("AWS::ApiGateway::RequestValidator")
async def delete_request_validator(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteRequestValidator", {"restApiId": props["RestApiId"],
                                                                 "requestValidatorId": physical}))


# --- custom domain names and base path mappings ----------------------------------------------

_DOMAIN_APPLIED = ("CertificateArn", "DomainName", "EndpointConfiguration", "RegionalCertificateArn", "SecurityPolicy",
                   "Tags", "OwnershipVerificationCertificateArn", "MutualTlsAuthentication")
_MTLS = ("TruststoreUri", "TruststoreVersion")


def _mutual_tls(props: dict[str, Any]) -> dict[str, str]:
    """MutualTlsAuthentication in the API's member names ({} when the template has none)."""
    mtls = props.get("MutualTlsAuthentication")
    if not isinstance(mtls, dict):
        return {}
    refuse_unapplied("AWS::ApiGateway::DomainName MutualTlsAuthentication", mtls, _MTLS)
    return {_lower(k): text(mtls[k]) for k in _MTLS if k in mtls}


def _domain_done(out: dict[str, Any]) -> Done:
    attrs = {"DistributionDomainName": out.get("distributionDomainName", ""),
             "DistributionHostedZoneId": out.get("distributionHostedZoneId", ""),
             "DomainNameArn": out.get("domainNameArn", ""), "RegionalDomainName": out.get("regionalDomainName", ""),
             "RegionalHostedZoneId": out.get("regionalHostedZoneId", "")}
    return Done(out["domainName"], attrs)


@provider("AWS::ApiGateway::DomainName")
async def create_domain_name(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGateway::DomainName", props, _DOMAIN_APPLIED)
    params = _params(props, ("CertificateArn", "DomainName", "RegionalCertificateArn", "SecurityPolicy",
                             "OwnershipVerificationCertificateArn"))
    endpoint = props.get("EndpointConfiguration")
    if isinstance(endpoint, dict):
        refuse_unapplied("AWS::ApiGateway::DomainName EndpointConfiguration", endpoint, ("Types",))
        params["endpointConfiguration"] = {"types": list(endpoint.get("Types") or [])}
    if _mutual_tls(props):
        params["mutualTlsAuthentication"] = _mutual_tls(props)
    tags = _tags(ctx, props)
    if tags:
        params["tags"] = tags
    out = await ctx.call(S, "CreateDomainName", params)
    return _domain_done(out)


@updating("AWS::ApiGateway::DomainName")
async def update_domain_name(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                             done: Done) -> Done:
    refuse_unapplied("AWS::ApiGateway::DomainName", {k: v for k, v in new.items() if old.get(k) != v},
                     ("CertificateArn", "RegionalCertificateArn", "SecurityPolicy", "Tags", "MutualTlsAuthentication"))
    ops = _scalar_ops(old, new, ("CertificateArn", "RegionalCertificateArn", "SecurityPolicy"))
    before, after = _mutual_tls(old), _mutual_tls(new)
    ops += [{"op": "replace", "path": f"/mutualTlsAuthentication/{k}", "value": after.get(k, "")}
            for k in ("truststoreUri", "truststoreVersion") if before.get(k) != after.get(k)]
    if ops:
        done = _domain_done(await ctx.call(S, "UpdateDomainName", {"domainName": physical, "patchOperations": ops}))
    await _retag(ctx, done.attrs.get("DomainNameArn") or arns.apigateway_resource(ctx.region, f"/domainnames/{physical}"),
                 old, new)
    return done


@deleting("AWS::ApiGateway::DomainName")
async def delete_domain_name(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteDomainName", {"domainName": physical}))


def _base_path(props: dict[str, Any]) -> str:
    return str(props.get("BasePath") or "(none)")


@provider("AWS::ApiGateway::BasePathMapping")
async def create_base_path_mapping(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGateway::BasePathMapping", props, ("BasePath", "DomainName", "RestApiId", "Stage"))
    params = {"domainName": props["DomainName"], **_params(props, ("BasePath", "RestApiId", "Stage"))}
    out = await ctx.call(S, "CreateBasePathMapping", params)
    return Done(f"{props['DomainName']}/{out.get('basePath') or _base_path(props)}")


@updating("AWS::ApiGateway::BasePathMapping")
async def update_base_path_mapping(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                   done: Done) -> Done:
    refuse_unapplied("AWS::ApiGateway::BasePathMapping", new, ("BasePath", "DomainName", "RestApiId", "Stage"))
    ops = _scalar_ops(old, new, ("RestApiId", "Stage"))
    if ops:
        await ctx.call(S, "UpdateBasePathMapping", {"domainName": new["DomainName"], "basePath": _base_path(new),
                                                    "patchOperations": ops})
    return done


@deleting("AWS::ApiGateway::BasePathMapping")
async def delete_base_path_mapping(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteBasePathMapping", {"domainName": props["DomainName"],
                                                                "basePath": _base_path(props)}))


# --- gateway responses -----------------------------------------------------------------------

_RESPONSE_APPLIED = ("ResponseParameters", "ResponseTemplates", "ResponseType", "RestApiId", "StatusCode")


async def _put_response(ctx: ResourceContext, props: dict[str, Any]) -> None:
    params: dict[str, Any] = {"restApiId": props["RestApiId"], "responseType": props["ResponseType"]}
    if "StatusCode" in props:
        params["statusCode"] = text(props["StatusCode"])
    for k in ("ResponseParameters", "ResponseTemplates"):
        if isinstance(props.get(k), dict):
            params[_lower(k)] = {str(n): text(v) for n, v in props[k].items()}
    await ctx.call(S, "PutGatewayResponse", params)


@provider("AWS::ApiGateway::GatewayResponse")
async def create_gateway_response(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGateway::GatewayResponse", props, _RESPONSE_APPLIED)
    await _put_response(ctx, props)
    ident = "".join(random.choices(string.ascii_lowercase + string.digits, k=10))
    return Done(ident, {"Id": ident})


@updating("AWS::ApiGateway::GatewayResponse")
async def update_gateway_response(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                  done: Done) -> Done:
    refuse_unapplied("AWS::ApiGateway::GatewayResponse", new, _RESPONSE_APPLIED)
    await _put_response(ctx, new)  # PutGatewayResponse replaces the whole customisation
    return done


@deleting("AWS::ApiGateway::GatewayResponse")
async def delete_gateway_response(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteGatewayResponse", {"restApiId": props["RestApiId"],
                                                                "responseType": props["ResponseType"]}))

"""API Gateway resource types, made by the apigateway and apigatewayv2 services' own handlers:
AWS::ApiGateway::RestApi / Resource / Method (its Integration, integration and method
responses) / Deployment / Stage, and AWS::ApiGatewayV2::Api (quick create with Target) /
Route / Integration / Stage. Ref and Fn::GetAtt as AWS's resource reference documents them:
RestApi → the API id (RestApiId, RootResourceId); Resource → its id (ResourceId); Method → a
generated id; Deployment → its id (DeploymentId); Stage → the stage name; V2 Api → the API id
(ApiId, ApiEndpoint); Route → RouteId; Integration → IntegrationId; V2 Stage → the stage name."""

from __future__ import annotations

from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
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


async def _ignore_missing(coro: Any) -> None:
    await ignore_missing(coro, "NotFound")


def _camel(value: Any) -> Any:
    """A CloudFormation property object in the REST API's lowerCamel member names (maps of
    user keys, such as templates and parameters, left as they are)."""
    if isinstance(value, list):
        return [_camel(v) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for k, v in value.items():
        key = k[:1].lower() + k[1:]
        out[key] = v if k.endswith(("Templates", "Parameters", "Models")) else _camel(v)
    return out


def _tags(ctx: ResourceContext, props: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in ctx.tag_list(props)}


def _patch_replace(old: dict[str, Any], new: dict[str, Any], fields: dict[str, str]) -> list[dict[str, str]]:
    """Patch operations setting each changed top-level field (CloudFormation name → patch path)."""
    ops: list[dict[str, str]] = []
    for prop, path in fields.items():
        if old.get(prop) != new.get(prop):
            ops.append({"op": "replace", "path": path, "value": text(new.get(prop, ""))})
    return ops


async def _definition(ctx: ResourceContext, props: dict[str, Any]) -> str | None:
    """The OpenAPI definition a Body or BodyS3Location ({Bucket, Key, Version}) gives, as text."""
    if "Body" in props:
        return text(props["Body"])
    where = props.get("BodyS3Location")
    if not isinstance(where, dict):
        return None
    from gureum.services.s3 import port as s3

    try:
        obj = await s3.get(ctx.app, ctx.account, str(where["Bucket"]), str(where["Key"]),
                           str(where["Version"]) if where.get("Version") else None)
        return (await obj.read()).decode("utf-8")
    except AwsError as e:
        raise ResourceFailed(f"Unable to read the API definition from s3://{where.get('Bucket')}/{where.get('Key')}: "
                             f"{e.message}") from None


# --- REST APIs -------------------------------------------------------------------------------

_REST_FIELDS = {"Name": "name", "Description": "description", "ApiKeySourceType": "apiKeySourceType",
                "BinaryMediaTypes": "binaryMediaTypes", "MinimumCompressionSize": "minimumCompressionSize",
                "DisableExecuteApiEndpoint": "disableExecuteApiEndpoint", "Policy": "policy",
                "EndpointConfiguration": "endpointConfiguration", "CloneFrom": "cloneFrom"}


_REST_APPLIED = (*_REST_FIELDS, "Body", "BodyS3Location", "FailOnWarnings", "Tags", "Mode")
_REST_UPDATABLE = ("Name", "Description", "ApiKeySourceType", "MinimumCompressionSize", "DisableExecuteApiEndpoint",
                   "Policy", "Body", "BodyS3Location", "Tags", "Mode", "FailOnWarnings")
_REST_PATCH = {"Name": "/name", "Description": "/description", "ApiKeySourceType": "/apiKeySourceType",
               "MinimumCompressionSize": "/minimumCompressionSize", "DisableExecuteApiEndpoint": "/disableExecuteApiEndpoint",
               "Policy": "/policy"}


@provider("AWS::ApiGateway::RestApi")
async def create_rest_api(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGateway::RestApi", props, _REST_APPLIED)
    params: dict[str, Any] = {_REST_FIELDS[k]: _camel(v) for k, v in props.items() if k in _REST_FIELDS}
    if "Policy" in params:
        params["policy"] = text(params["policy"])
    if "MinimumCompressionSize" in props:
        params["minimumCompressionSize"] = int(props["MinimumCompressionSize"])
    if "DisableExecuteApiEndpoint" in props:
        params["disableExecuteApiEndpoint"] = text(props["DisableExecuteApiEndpoint"]) == "true"
    tags = _tags(ctx, props)
    definition = await _definition(ctx, props)
    if definition is not None:
        out = await ctx.call("apigateway", "ImportRestApi", {"body": definition.encode(),
                                                             "failOnWarnings": text(props.get("FailOnWarnings")) == "true"})
        # the template's own properties win over the definition's
        ops = _patch_replace({}, {k: props[k] for k in _REST_PATCH if k in props}, _REST_PATCH)
        if ops:
            out = await ctx.call("apigateway", "UpdateRestApi", {"restApiId": out["id"], "patchOperations": ops})
        if tags:
            await ctx.call("apigateway", "TagResource", {"resourceArn": _rest_arn(ctx, out["id"]), "tags": tags})
    else:
        params.setdefault("name", ctx.name(128))
        if tags:
            params["tags"] = tags
        out = await ctx.call("apigateway", "CreateRestApi", params)
    return Done(out["id"], {"RestApiId": out["id"], "RootResourceId": out["rootResourceId"]})


def _rest_arn(ctx: ResourceContext, api_id: str) -> str:
    return arns.apigateway_resource(ctx.region, f"/restapis/{api_id}")


@updating("AWS::ApiGateway::RestApi")
async def update_rest_api(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied("AWS::ApiGateway::RestApi", {k: v for k, v in new.items() if old.get(k) != v}, _REST_UPDATABLE)
    if old.get("Body") != new.get("Body") or old.get("BodyS3Location") != new.get("BodyS3Location"):
        definition = await _definition(ctx, new)
        if definition is not None:
            await ctx.call("apigateway", "PutRestApi", {"restApiId": physical, "mode": str(new.get("Mode") or "overwrite"),
                                                        "body": definition.encode()})
    ops = _patch_replace(old, new, {k: v for k, v in _REST_PATCH.items() if k in new or k in ("Description",)})
    if ops:
        await ctx.call("apigateway", "UpdateRestApi", {"restApiId": physical, "patchOperations": ops})
    before, after = _tags(ctx, old), _tags(ctx, new)
    arn = _rest_arn(ctx, physical)
    if [k for k in before if k not in after]:
        await ctx.call("apigateway", "UntagResource", {"resourceArn": arn, "tagKeys": [k for k in before if k not in after]})
    if {k: v for k, v in after.items() if before.get(k) != v}:
        await ctx.call("apigateway", "TagResource", {"resourceArn": arn, "tags": after})
    return done


@deleting("AWS::ApiGateway::RestApi")
async def delete_rest_api(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("apigateway", "DeleteRestApi", {"restApiId": physical}))


@provider("AWS::ApiGateway::Resource")
async def create_resource(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    out = await ctx.call("apigateway", "CreateResource", {"restApiId": props["RestApiId"], "parentId": props["ParentId"],
                                                          "pathPart": props["PathPart"]})
    return Done(out["id"], {"ResourceId": out["id"]})


@deleting("AWS::ApiGateway::Resource")
async def delete_resource(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("apigateway", "DeleteResource", {"restApiId": props["RestApiId"],
                                                                    "resourceId": physical}))


# --- methods ---------------------------------------------------------------------------------

_METHOD_FIELDS = ("AuthorizationType", "AuthorizerId", "ApiKeyRequired", "OperationName", "RequestParameters",
                  "RequestModels", "RequestValidatorId", "AuthorizationScopes")


async def _put_method(ctx: ResourceContext, props: dict[str, Any]) -> None:
    where = {"restApiId": props["RestApiId"], "resourceId": props["ResourceId"], "httpMethod": props["HttpMethod"]}
    params: dict[str, Any] = {**where, "authorizationType": props.get("AuthorizationType", "NONE")}
    for k in _METHOD_FIELDS:
        if k in props and k != "AuthorizationType":
            params[k[:1].lower() + k[1:]] = props[k]
    if "ApiKeyRequired" in props:
        params["apiKeyRequired"] = text(props["ApiKeyRequired"]) == "true"
    await ctx.call("apigateway", "PutMethod", params)
    for response in props.get("MethodResponses") or ():
        await ctx.call("apigateway", "PutMethodResponse", {**where, **_camel(response),
                                                           "statusCode": text(response["StatusCode"])})
    integration = props.get("Integration")
    if not isinstance(integration, dict):
        return
    spec = _camel({k: v for k, v in integration.items() if k != "IntegrationResponses"})
    if "timeoutInMillis" in spec:
        spec["timeoutInMillis"] = int(spec["timeoutInMillis"])
    await ctx.call("apigateway", "PutIntegration", {**where, **spec})
    for response in integration.get("IntegrationResponses") or ():
        await ctx.call("apigateway", "PutIntegrationResponse", {**where, **_camel(response),
                                                                "statusCode": text(response["StatusCode"])})


async def _delete_method(ctx: ResourceContext, props: dict[str, Any]) -> None:
    await _ignore_missing(ctx.call("apigateway", "DeleteMethod", {
        "restApiId": props["RestApiId"], "resourceId": props["ResourceId"], "httpMethod": props["HttpMethod"]}))


@provider("AWS::ApiGateway::Method")
async def create_method(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGateway::Method", props, (*_METHOD_FIELDS, "RestApiId", "ResourceId", "HttpMethod", "Integration", "MethodResponses"))
    await _put_method(ctx, props)
    return Done(ctx.name())


@updating("AWS::ApiGateway::Method")
async def update_method(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied("AWS::ApiGateway::Method", new, (*_METHOD_FIELDS, "RestApiId", "ResourceId", "HttpMethod", "Integration", "MethodResponses"))
    await _delete_method(ctx, old)  # the method is put again whole, as CloudFormation's handler does
    await _put_method(ctx, new)
    return done


@deleting("AWS::ApiGateway::Method")
async def delete_method(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _delete_method(ctx, props)


# --- deployments and stages ------------------------------------------------------------------

def _stage_params(props: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for k, key in (("Description", "description"), ("Variables", "variables"), ("CacheClusterEnabled", "cacheClusterEnabled"),
                   ("CacheClusterSize", "cacheClusterSize"), ("TracingEnabled", "tracingEnabled")):
        if k in props:
            params[key] = props[k]
    for k in ("CacheClusterEnabled", "TracingEnabled"):
        if k in props:
            params[k[:1].lower() + k[1:]] = text(props[k]) == "true"
    return params


@provider("AWS::ApiGateway::Deployment")
async def create_deployment(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGateway::Deployment", props, ("RestApiId", "Description", "StageName", "StageDescription"))
    params: dict[str, Any] = {"restApiId": props["RestApiId"]}
    if props.get("Description"):
        params["description"] = props["Description"]
    if props.get("StageName"):
        params["stageName"] = props["StageName"]
        stage = props.get("StageDescription") or {}
        refuse_unapplied("AWS::ApiGateway::Deployment StageDescription", stage, ("Description", "Variables"))
        if stage.get("Description"):
            params["stageDescription"] = stage["Description"]
        if stage.get("Variables"):
            params["variables"] = stage["Variables"]
    out = await ctx.call("apigateway", "CreateDeployment", params)
    return Done(out["id"], {"DeploymentId": out["id"]})


@updating("AWS::ApiGateway::Deployment")
async def update_deployment(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied("AWS::ApiGateway::Deployment", new, ("RestApiId", "Description", "StageName", "StageDescription"))
    ops = _patch_replace(old, new, {"Description": "/description"})
    if ops:
        await ctx.call("apigateway", "UpdateDeployment", {"restApiId": new["RestApiId"], "deploymentId": physical,
                                                          "patchOperations": ops})
    return done


@deleting("AWS::ApiGateway::Deployment")
async def delete_deployment(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    if props.get("StageName"):  # the stage the deployment made goes with it
        await _ignore_missing(ctx.call("apigateway", "DeleteStage", {"restApiId": props["RestApiId"],
                                                                     "stageName": props["StageName"]}))
    try:
        await ctx.call("apigateway", "DeleteDeployment", {"restApiId": props["RestApiId"], "deploymentId": physical})
    except AwsError as e:
        if "NotFound" not in e.code:
            raise


_STAGE_APPLIED = ("RestApiId", "StageName", "DeploymentId", "Description", "Variables", "CacheClusterEnabled",
                  "CacheClusterSize", "TracingEnabled", "Tags", "MethodSettings", "AccessLogSetting", "CanarySetting",
                  "ClientCertificateId")
_METHOD_SETTINGS = {"MetricsEnabled": "metrics/enabled", "LoggingLevel": "logging/loglevel",
                    "DataTraceEnabled": "logging/dataTrace", "ThrottlingBurstLimit": "throttling/burstLimit",
                    "ThrottlingRateLimit": "throttling/rateLimit", "CachingEnabled": "caching/enabled",
                    "CacheTtlInSeconds": "caching/ttlInSeconds", "CacheDataEncrypted": "caching/dataEncrypted"}


def _settings_paths(props: dict[str, Any]) -> dict[str, str]:
    """UpdateStage patch paths → values of a Stage's MethodSettings and AccessLogSetting
    (ResourcePath as CloudFormation takes it: `/*` for every resource, `/~1pets`, `/` the root)."""
    out: dict[str, str] = {}
    for setting in props.get("MethodSettings") or ():
        refuse_unapplied("AWS::ApiGateway::Stage MethodSetting", setting, (*_METHOD_SETTINGS, "HttpMethod", "ResourcePath"))
        path = str(setting.get("ResourcePath") or "/*")
        path = "/~1" if path == "/" else path
        for k, v in setting.items():
            if k in _METHOD_SETTINGS:
                out[f"{path}/{setting.get('HttpMethod') or '*'}/{_METHOD_SETTINGS[k]}"] = text(v)
    log = props.get("AccessLogSetting")
    if isinstance(log, dict):
        for k, key in (("DestinationArn", "destinationArn"), ("Format", "format")):
            if k in log:
                out[f"/accessLogSettings/{key}"] = text(log[k])
    return out


def _settings_ops(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, str]]:
    before, after = _settings_paths(old), _settings_paths(new)
    ops = [{"op": "remove", "path": k} for k in before if k not in after]
    return ops + [{"op": "replace", "path": k, "value": v} for k, v in after.items() if before.get(k) != v]


_CANARY = {"DeploymentId": "deploymentId", "PercentTraffic": "percentTraffic", "UseStageCache": "useStageCache"}


def _canary_paths(props: dict[str, Any]) -> dict[str, str]:
    """UpdateStage patch paths → values of a Stage's CanarySetting."""
    canary = props.get("CanarySetting")
    if not isinstance(canary, dict):
        return {}
    refuse_unapplied("AWS::ApiGateway::Stage CanarySetting", canary, (*_CANARY, "StageVariableOverrides"))
    out = {f"/canarySettings/{_CANARY[k]}": text(v) for k, v in canary.items() if k in _CANARY}
    for k, v in (canary.get("StageVariableOverrides") or {}).items():
        out[f"/canarySettings/stageVariableOverrides/{k}"] = text(v)
    return out


def _canary_ops(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, str]]:
    before, after = _canary_paths(old), _canary_paths(new)
    if before and not after:
        return [{"op": "remove", "path": "/canarySettings"}]
    ops = [{"op": "remove", "path": k} for k in before if k not in after]
    return ops + [{"op": "replace", "path": k, "value": v} for k, v in after.items() if before.get(k) != v]


@provider("AWS::ApiGateway::Stage")
async def create_stage(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGateway::Stage", props, _STAGE_APPLIED)
    name = props.get("StageName") or ctx.name(128)
    params: dict[str, Any] = {"restApiId": props["RestApiId"], "stageName": name,
                              "deploymentId": props["DeploymentId"], **_stage_params(props)}
    tags = _tags(ctx, props)
    if tags:
        params["tags"] = tags
    await ctx.call("apigateway", "CreateStage", params)
    ops = _settings_ops({}, props) + _canary_ops({}, props)
    if props.get("ClientCertificateId"):  # CreateStage takes none: set as CloudFormation's handler does, by UpdateStage
        ops.append({"op": "replace", "path": "/clientCertificateId", "value": text(props["ClientCertificateId"])})
    if ops:
        await ctx.call("apigateway", "UpdateStage", {"restApiId": props["RestApiId"], "stageName": name,
                                                     "patchOperations": ops})
    return Done(name)


@updating("AWS::ApiGateway::Stage")
async def update_stage(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied("AWS::ApiGateway::Stage", new, _STAGE_APPLIED)
    ops = _patch_replace({"CacheClusterEnabled": False, "TracingEnabled": False, **old},
                         {"CacheClusterEnabled": False, "TracingEnabled": False, **new},
                         {"Description": "/description", "DeploymentId": "/deploymentId", "TracingEnabled": "/tracingEnabled",
                          "CacheClusterEnabled": "/cacheClusterEnabled", "ClientCertificateId": "/clientCertificateId"})
    if new.get("CacheClusterSize") and old.get("CacheClusterSize") != new.get("CacheClusterSize"):
        ops.append({"op": "replace", "path": "/cacheClusterSize", "value": text(new["CacheClusterSize"])})
    before, after = old.get("Variables") or {}, new.get("Variables") or {}
    for k in before:
        if k not in after:
            ops.append({"op": "remove", "path": f"/variables/{k}"})
    for k, v in after.items():
        if before.get(k) != v:
            ops.append({"op": "replace", "path": f"/variables/{k}", "value": text(v)})
    ops += _settings_ops(old, new) + _canary_ops(old, new)
    if ops:
        await ctx.call("apigateway", "UpdateStage", {"restApiId": new["RestApiId"], "stageName": physical,
                                                     "patchOperations": ops})
    return done


@deleting("AWS::ApiGateway::Stage")
async def delete_stage(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("apigateway", "DeleteStage", {"restApiId": props["RestApiId"], "stageName": physical}))


# --- HTTP and WebSocket APIs (v2) ------------------------------------------------------------

_V2_API_FIELDS = ("Name", "ProtocolType", "Description", "Target", "RouteKey", "CredentialsArn", "CorsConfiguration",
                  "RouteSelectionExpression", "ApiKeySelectionExpression", "DisableExecuteApiEndpoint",
                  "DisableSchemaValidation", "IpAddressType", "Version")
_V2_BOOLS = ("DisableExecuteApiEndpoint", "DisableSchemaValidation", "AutoDeploy", "ApiKeyRequired")


def _v2(props: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    out = {k: props[k] for k in fields if k in props}
    for k in _V2_BOOLS:
        if k in out:
            out[k] = text(out[k]) == "true"
    return out


_V2_API_APPLIED = (*_V2_API_FIELDS, "Body", "BodyS3Location", "Tags", "FailOnWarnings", "BasePath")


@provider("AWS::ApiGatewayV2::Api")
async def create_v2_api(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::Api", props, _V2_API_APPLIED)
    tags = {**dict(ctx.tags), **{str(k): str(v) for k, v in (props.get("Tags") or {}).items()}}
    definition = await _definition(ctx, props)
    if definition is not None:
        params: dict[str, Any] = {"Body": definition}
        for k in ("BasePath", "FailOnWarnings"):
            if k in props:
                params[k] = text(props[k]) == "true" if k == "FailOnWarnings" else props[k]
        out = await ctx.call("apigatewayv2", "ImportApi", params)
        overrides = {k: v for k, v in _v2(props, _V2_API_FIELDS).items() if k not in ("ProtocolType",)}
        if overrides:
            out = await ctx.call("apigatewayv2", "UpdateApi", {"ApiId": out["ApiId"], **overrides})
        if tags:
            await ctx.call("apigatewayv2", "TagResource", {"ResourceArn": _v2_arn(ctx, out["ApiId"]), "Tags": tags})
    else:
        params = {"Name": ctx.name(128), **_v2(props, _V2_API_FIELDS)}
        if tags:
            params["Tags"] = tags
        out = await ctx.call("apigatewayv2", "CreateApi", params)
    return Done(out["ApiId"], {"ApiId": out["ApiId"], "ApiEndpoint": out.get("ApiEndpoint", "")})


def _v2_arn(ctx: ResourceContext, api_id: str) -> str:
    return arns.apigateway_resource(ctx.region, f"/apis/{api_id}")


@updating("AWS::ApiGatewayV2::Api")
async def update_v2_api(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::Api", {k: v for k, v in new.items() if old.get(k) != v}, _V2_API_APPLIED)
    if old.get("Body") != new.get("Body") or old.get("BodyS3Location") != new.get("BodyS3Location"):
        definition = await _definition(ctx, new)
        if definition is not None:
            await ctx.call("apigatewayv2", "ReimportApi", {"ApiId": physical, "Body": definition})
    changed = {k: v for k, v in _v2(new, _V2_API_FIELDS).items() if old.get(k) != new.get(k) and k != "ProtocolType"}
    if changed:
        await ctx.call("apigatewayv2", "UpdateApi", {"ApiId": physical, **changed})
    before = {str(k): str(v) for k, v in (old.get("Tags") or {}).items()}
    after = {str(k): str(v) for k, v in (new.get("Tags") or {}).items()}
    if [k for k in before if k not in after]:
        await ctx.call("apigatewayv2", "UntagResource", {"ResourceArn": _v2_arn(ctx, physical),
                                                         "TagKeys": [k for k in before if k not in after]})
    if {k: v for k, v in after.items() if before.get(k) != v}:
        await ctx.call("apigatewayv2", "TagResource", {"ResourceArn": _v2_arn(ctx, physical), "Tags": after})
    return done


@deleting("AWS::ApiGatewayV2::Api")
async def delete_v2_api(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("apigatewayv2", "DeleteApi", {"ApiId": physical}))


_ROUTE_FIELDS = ("ApiId", "RouteKey", "Target", "AuthorizationType", "AuthorizerId", "AuthorizationScopes",
                 "ApiKeyRequired", "OperationName", "ModelSelectionExpression", "RequestModels", "RequestParameters",
                 "RouteResponseSelectionExpression")


@provider("AWS::ApiGatewayV2::Route")
async def create_route(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::Route", props, _ROUTE_FIELDS)
    out = await ctx.call("apigatewayv2", "CreateRoute", _v2(props, _ROUTE_FIELDS))
    return Done(out["RouteId"], {"RouteId": out["RouteId"]})


@updating("AWS::ApiGatewayV2::Route")
async def update_route(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::Route", new, _ROUTE_FIELDS)
    await ctx.call("apigatewayv2", "UpdateRoute", {**_v2(new, _ROUTE_FIELDS), "RouteId": physical})
    return done


@deleting("AWS::ApiGatewayV2::Route")
async def delete_route(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("apigatewayv2", "DeleteRoute", {"ApiId": props["ApiId"], "RouteId": physical}))


_INTEGRATION_FIELDS = ("ApiId", "IntegrationType", "IntegrationUri", "IntegrationMethod", "IntegrationSubtype",
                       "PayloadFormatVersion", "TimeoutInMillis", "Description", "ConnectionType", "ConnectionId",
                       "CredentialsArn", "RequestParameters", "ResponseParameters", "RequestTemplates",
                       "TemplateSelectionExpression", "PassthroughBehavior", "ContentHandlingStrategy", "TlsConfig")


def _integration_params(props: dict[str, Any]) -> dict[str, Any]:
    params = _v2(props, _INTEGRATION_FIELDS)
    if "TimeoutInMillis" in params:
        params["TimeoutInMillis"] = int(params["TimeoutInMillis"])
    return params


@provider("AWS::ApiGatewayV2::Integration")
async def create_integration(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::Integration", props, _INTEGRATION_FIELDS)
    out = await ctx.call("apigatewayv2", "CreateIntegration", _integration_params(props))
    return Done(out["IntegrationId"], {"IntegrationId": out["IntegrationId"]})


@updating("AWS::ApiGatewayV2::Integration")
async def update_integration(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::Integration", new, _INTEGRATION_FIELDS)
    await ctx.call("apigatewayv2", "UpdateIntegration", {**_integration_params(new), "IntegrationId": physical})
    return done


@deleting("AWS::ApiGatewayV2::Integration")
async def delete_integration(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("apigatewayv2", "DeleteIntegration", {"ApiId": props["ApiId"],
                                                                         "IntegrationId": physical}))


_V2_STAGE_FIELDS = ("ApiId", "StageName", "DeploymentId", "Description", "AutoDeploy", "StageVariables",
                    "DefaultRouteSettings", "RouteSettings", "AccessLogSettings", "ClientCertificateId")


@provider("AWS::ApiGatewayV2::Stage")
async def create_v2_stage(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::Stage", props, (*_V2_STAGE_FIELDS, "Tags"))
    params = _v2(props, _V2_STAGE_FIELDS)
    tags = {**dict(ctx.tags), **{str(k): str(v) for k, v in (props.get("Tags") or {}).items()}}
    if tags:
        params["Tags"] = tags
    out = await ctx.call("apigatewayv2", "CreateStage", params)
    return Done(out["StageName"])


@updating("AWS::ApiGatewayV2::Stage")
async def update_v2_stage(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied("AWS::ApiGatewayV2::Stage", new, (*_V2_STAGE_FIELDS, "Tags"))
    changed = {k: v for k, v in _v2(new, _V2_STAGE_FIELDS).items() if old.get(k) != new.get(k)}
    if changed:
        await ctx.call("apigatewayv2", "UpdateStage", {**changed, "ApiId": new["ApiId"], "StageName": physical})
    return done


@deleting("AWS::ApiGatewayV2::Stage")
async def delete_v2_stage(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("apigatewayv2", "DeleteStage", {"ApiId": props["ApiId"], "StageName": physical}))

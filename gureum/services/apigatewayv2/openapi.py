"""ImportApi, ReimportApi and ExportApi of HTTP APIs: OpenAPI 3.0 documents (JSON or YAML)
with API Gateway's extensions, to and from the model.

Read and written:
- `info.title` / `info.version` / `info.description`: the API's Name, Version, Description.
- `paths.<path>.<method>` (and `x-amazon-apigateway-any-method` for ANY; the path `$default`
  for the $default route): one route each; its `x-amazon-apigateway-integration` (type
  aws_proxy / http_proxy, uri, httpMethod, payloadFormatVersion, connectionType,
  timeoutInMillis, credentials, integrationSubtype, requestParameters) an integration (identical ones shared); its `security` (one scheme, with
  scopes) the route's authorizer.
- `components.securitySchemes.<name>.x-amazon-apigateway-authorizer` (type jwt with
  identitySource and jwtConfiguration {issuer, audience}; type request with authorizerUri,
  identitySource, authorizerPayloadFormatVersion, authorizerResultTtlInSeconds,
  enableSimpleResponses): the API's authorizers, named by the scheme.
- `x-amazon-apigateway-cors`: the CorsConfiguration.
Anything else is ignored with a warning (ImportApi's `Warnings`); FailOnWarnings turns a
warning into BadRequestException. ReimportApi replaces the API's routes, integrations,
authorizers and CORS with the document's (its stages stay; auto-deploy stages redeploy).
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from gureum.services.apigatewayv2 import model
from gureum.store import Txn

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
_ANY = "x-amazon-apigateway-any-method"
_INTEGRATION = "x-amazon-apigateway-integration"
_AUTHORIZER = "x-amazon-apigateway-authorizer"
_CORS = "x-amazon-apigateway-cors"
_CORS_FIELDS = {"allowOrigins": "AllowOrigins", "allowMethods": "AllowMethods", "allowHeaders": "AllowHeaders",
                "exposeHeaders": "ExposeHeaders", "maxAge": "MaxAge", "allowCredentials": "AllowCredentials"}


def parse(body: str) -> dict[str, Any]:
    try:
        doc = json.loads(body) if body.lstrip().startswith("{") else yaml.safe_load(body)
    except (ValueError, yaml.YAMLError) as e:
        raise model.bad_request(f"Invalid OpenAPI input: {str(e).splitlines()[0] if str(e) else 'unreadable'}") from None
    if not isinstance(doc, dict) or not str(doc.get("openapi", "")).startswith("3."):
        raise model.bad_request("Invalid OpenAPI input: only OpenAPI 3.0 documents can be imported for HTTP APIs.")
    if not isinstance(doc.get("paths") or {}, dict):
        raise model.bad_request("Invalid OpenAPI input: paths must be an object.")
    return doc


def _integration(ext: dict[str, Any], warnings: list[str], where: str) -> dict[str, Any] | None:
    kind = str(ext.get("type", "")).upper()
    if kind not in ("AWS_PROXY", "HTTP_PROXY"):
        warnings.append(f"Unsupported integration type {ext.get('type')} at {where}; the route has no integration.")
        return None
    out: dict[str, Any] = {"IntegrationType": kind, "IntegrationUri": ext.get("uri"),
                           "PayloadFormatVersion": str(ext.get("payloadFormatVersion", "1.0"))}
    if ext.get("httpMethod"):
        out["IntegrationMethod"] = str(ext["httpMethod"]).upper()
    if ext.get("connectionType"):
        out["ConnectionType"] = ext["connectionType"]
    if ext.get("timeoutInMillis") is not None:
        out["TimeoutInMillis"] = int(ext["timeoutInMillis"])
    if ext.get("credentials"):
        out["CredentialsArn"] = ext["credentials"]
    if ext.get("integrationSubtype"):  # AWS service integrations (subtypes.py)
        out["IntegrationSubtype"] = str(ext["integrationSubtype"])
        if out["IntegrationUri"] is None:
            del out["IntegrationUri"]
    if isinstance(ext.get("requestParameters"), dict):
        out["RequestParameters"] = {str(k): str(v) for k, v in ext["requestParameters"].items()}
    return out


def _authorizer(name: str, ext: dict[str, Any], warnings: list[str]) -> dict[str, Any] | None:
    kind = str(ext.get("type", "")).lower()
    source = ext.get("identitySource")
    sources = [s.strip() for s in source.split(",")] if isinstance(source, str) else list(source or [])
    if kind == "jwt":
        jwt = ext.get("jwtConfiguration") or {}
        return {"Name": name, "AuthorizerType": "JWT", "IdentitySource": sources or ["$request.header.Authorization"],
                "JwtConfiguration": {"Issuer": jwt.get("issuer"), "Audience": list(jwt.get("audience") or [])}}
    if kind == "request":
        out: dict[str, Any] = {"Name": name, "AuthorizerType": "REQUEST", "IdentitySource": sources,
                               "AuthorizerUri": ext.get("authorizerUri"),
                               "AuthorizerPayloadFormatVersion": str(ext.get("authorizerPayloadFormatVersion", "2.0"))}
        if ext.get("authorizerResultTtlInSeconds") is not None:
            out["AuthorizerResultTtlInSeconds"] = int(ext["authorizerResultTtlInSeconds"])
        if ext.get("enableSimpleResponses") is not None:
            out["EnableSimpleResponses"] = bool(ext["enableSimpleResponses"])
        if ext.get("authorizerCredentials"):
            out["AuthorizerCredentialsArn"] = ext["authorizerCredentials"]
        return out
    warnings.append(f"Unsupported authorizer type {ext.get('type')} for security scheme {name}; it was ignored.")
    return None


def apply(txn: Txn, account: str, region: str, api_id: str, doc: dict[str, Any], now: float,
          fail_on_warnings: bool) -> list[str]:
    """Put the document's routes, integrations, authorizers and CORS on API `api_id` (whose
    own are dropped first); returns the warnings."""
    warnings: list[str] = []
    prefix = f"{account}/{region}/{api_id}/"
    for kind in ("routes", "integrations", "authorizers", "routeresponses", "integrationresponses"):
        txn.delete_prefix(model.ITEMS, prefix + kind + "/")
    api = model.get_api(txn, account, region, api_id)
    cors = doc.get(_CORS)
    if isinstance(cors, dict):
        api["CorsConfiguration"] = {ours: cors[theirs] for theirs, ours in _CORS_FIELDS.items() if theirs in cors}
    else:
        api.pop("CorsConfiguration", None)
    txn.put(model.APIS, model.api_key(account, region, api_id), api)
    authorizer_ids: dict[str, str] = {}
    schemes = ((doc.get("components") or {}).get("securitySchemes") or {})
    for name, scheme in schemes.items() if isinstance(schemes, dict) else []:
        ext = scheme.get(_AUTHORIZER) if isinstance(scheme, dict) else None
        if not isinstance(ext, dict):
            continue
        params = _authorizer(str(name), ext, warnings)
        if params is not None:
            made = model.create_child(txn, account, region, api_id, "authorizers", params, now, deploy=False)
            authorizer_ids[str(name)] = made["AuthorizerId"]
    integrations: dict[str, str] = {}  # canonical JSON of the integration -> its id
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method, op in item.items():
            if method == _ANY:
                verb = "ANY"
            elif method.lower() in _METHODS:
                verb = method.upper()
            else:
                continue
            if not isinstance(op, dict):
                continue
            route_key = "$default" if path == "$default" else f"{verb} {path}"
            route: dict[str, Any] = {"RouteKey": route_key}
            ext = op.get(_INTEGRATION)
            if isinstance(ext, dict):
                integ = _integration(ext, warnings, route_key)
                if integ is not None:
                    key = json.dumps(integ, sort_keys=True)
                    if key not in integrations:
                        integrations[key] = model.create_child(txn, account, region, api_id, "integrations",
                                                               integ, now, deploy=False)["IntegrationId"]
                    route["Target"] = f"integrations/{integrations[key]}"
            for requirement in op.get("security") or []:
                for name, scopes in (requirement or {}).items():
                    if name in authorizer_ids:
                        route["AuthorizerId"] = authorizer_ids[name]
                        if scopes:
                            route["AuthorizationScopes"] = list(scopes)
                    else:
                        warnings.append(f"Unknown security scheme {name} at {route_key}; the route is not authorized.")
            if op.get("operationId"):
                route["OperationName"] = op["operationId"]
            model.create_child(txn, account, region, api_id, "routes", route, now, deploy=False)
    if warnings and fail_on_warnings:
        raise model.bad_request("Warnings found during import:\n\t" + "\n\t".join(warnings))
    model.auto_deploy(txn, account, region, api_id, now)
    model.touch(txn, api_id)
    return warnings


def import_api(txn: Txn, account: str, region: str, body: str, now: float, fail_on_warnings: bool) -> dict[str, Any]:
    doc = parse(body)
    info = doc.get("info") or {}
    created = model.create_api(txn, account, region, {
        "Name": str(info.get("title") or "imported"), "ProtocolType": "HTTP",
        **({"Version": str(info["version"])} if info.get("version") is not None else {}),
        **({"Description": str(info["description"])} if info.get("description") else {})}, now)
    warnings = apply(txn, account, region, created["ApiId"], doc, now, fail_on_warnings)
    api = model.get_api(txn, account, region, created["ApiId"])
    return {**api, **({"Warnings": warnings} if warnings else {})}


def reimport_api(txn: Txn, account: str, region: str, api_id: str, body: str, now: float,
                 fail_on_warnings: bool) -> dict[str, Any]:
    api = model.get_api(txn, account, region, api_id)
    if api["ProtocolType"] != "HTTP":
        raise model.bad_request("Reimport is supported only for HTTP APIs.")
    doc = parse(body)
    info = doc.get("info") or {}
    if info.get("title"):
        api["Name"] = str(info["title"])
    if info.get("version") is not None:
        api["Version"] = str(info["version"])
    txn.put(model.APIS, model.api_key(account, region, api_id), api)
    warnings = apply(txn, account, region, api_id, doc, now, fail_on_warnings)
    return {**model.get_api(txn, account, region, api_id), **({"Warnings": warnings} if warnings else {})}


def export(txn: Txn, account: str, region: str, api_id: str, stage: str | None, extensions: bool,
           endpoint: str) -> dict[str, Any]:
    """The API (or what stage `stage` has deployed) as an OpenAPI 3.0 document."""
    api = model.get_api(txn, account, region, api_id)
    if api["ProtocolType"] != "HTTP":
        raise model.bad_request("Export is supported only for HTTP APIs.")
    if stage is not None:
        staged = model.get_child(txn, account, region, api_id, "stages", stage)
        if not staged.get("DeploymentId"):
            raise model.bad_request(f"Stage {stage} has no deployment to export.")
        snap = model.get_child(txn, account, region, api_id, "deployments", staged["DeploymentId"])["Snapshot"]
    else:
        snap = model.snapshot(txn, account, region, api_id)
    doc: dict[str, Any] = {"openapi": "3.0.1",
                           "info": {"title": api["Name"], "version": api.get("Version") or "1.0",
                                    **({"description": api["Description"]} if api.get("Description") else {})},
                           "servers": [{"url": endpoint + ("" if stage in (None, "$default") else f"/{stage}")}],
                           "paths": {}}
    authorizers = snap["authorizers"]
    for route in sorted(snap["routes"].values(), key=lambda r: r["RouteKey"]):
        key = route["RouteKey"]
        if key == "$default":
            path, method = "$default", _ANY
        else:
            verb, _, path = key.partition(" ")
            method = _ANY if verb == "ANY" else verb.lower()
        op: dict[str, Any] = {"responses": {"default": {"description": "Default response for " + key}}}
        if route.get("OperationName"):
            op["operationId"] = route["OperationName"]
        parameters = [{"name": seg.strip("{}+"), "in": "path", "required": True, "schema": {"type": "string"}}
                      for seg in path.split("/") if seg.startswith("{")]
        if parameters:
            op["parameters"] = parameters
        integration = snap["integrations"].get((route.get("Target") or "").removeprefix("integrations/"))
        if extensions and integration is not None:
            ext: dict[str, Any] = {"type": integration["IntegrationType"].lower(), "uri": integration.get("IntegrationUri"),
                                   "payloadFormatVersion": integration.get("PayloadFormatVersion", "1.0"),
                                   "connectionType": integration.get("ConnectionType", "INTERNET")}
            if integration.get("IntegrationMethod"):
                ext["httpMethod"] = integration["IntegrationMethod"]
            if integration.get("TimeoutInMillis") is not None:
                ext["timeoutInMillis"] = integration["TimeoutInMillis"]
            for field, name in (("IntegrationSubtype", "integrationSubtype"), ("RequestParameters", "requestParameters"),
                                ("CredentialsArn", "credentials")):
                if integration.get(field):
                    ext[name] = integration[field]
            if ext["uri"] is None:
                del ext["uri"]
            op[_INTEGRATION] = ext
        auth = authorizers.get(route.get("AuthorizerId") or "")
        if auth is not None:
            op["security"] = [{auth["Name"]: list(route.get("AuthorizationScopes") or [])}]
        doc["paths"].setdefault(path, {})[method] = op
    schemes: dict[str, Any] = {}
    for auth in authorizers.values():
        if auth["AuthorizerType"] == "JWT":
            scheme: dict[str, Any] = {"type": "oauth2", "flows": {}}
            ext = {"type": "jwt", "identitySource": ",".join(auth.get("IdentitySource") or []),
                   "jwtConfiguration": {"issuer": (auth.get("JwtConfiguration") or {}).get("Issuer"),
                                        "audience": list((auth.get("JwtConfiguration") or {}).get("Audience") or [])}}
        else:
            scheme = {"type": "apiKey", "name": "Unused", "in": "header"}
            ext = {"type": "request", "identitySource": ",".join(auth.get("IdentitySource") or []),
                   "authorizerUri": auth.get("AuthorizerUri"),
                   "authorizerPayloadFormatVersion": auth.get("AuthorizerPayloadFormatVersion"),
                   "authorizerResultTtlInSeconds": auth.get("AuthorizerResultTtlInSeconds", 0)}
            if auth.get("EnableSimpleResponses") is not None:
                ext["enableSimpleResponses"] = auth["EnableSimpleResponses"]
        if extensions:
            scheme[_AUTHORIZER] = ext
        schemes[auth["Name"]] = scheme
    if schemes:
        doc["components"] = {"securitySchemes": schemes}
    cors = api.get("CorsConfiguration")
    if extensions and cors:
        doc[_CORS] = {theirs: cors[ours] for theirs, ours in _CORS_FIELDS.items() if ours in cors}
    if extensions:
        doc["x-amazon-apigateway-importexport-version"] = "1.0"
    return doc


def render(doc: dict[str, Any], output_type: str) -> bytes:
    if output_type == "YAML":
        return str(yaml.safe_dump(doc, sort_keys=False)).encode()
    return json.dumps(doc, indent=2).encode()

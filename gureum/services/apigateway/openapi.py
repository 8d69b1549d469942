"""OpenAPI 3 and Swagger 2 for REST APIs: ImportRestApi/PutRestApi read a definition (JSON or
YAML) with API Gateway's extensions (x-amazon-apigateway-integration, -any-method,
-authorizer and -authtype on security schemes, -request-validators / -request-validator,
-binary-media-types, -gateway-responses, -api-key-source) into the API's resources,
methods, integrations, models, authorizers, validators and gateway responses; GetExport
writes a deployed stage back out (oas30 or swagger, JSON or YAML, with or without the
extensions). Sans-IO except `write`, which replaces (overwrite) or adds to (merge) an API's
objects in one transaction."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import yaml

from gureum.services.apigateway import cognito_auth, ids
from gureum.services.apigateway.apis import (
    APIS,
    AUTHORIZERS,
    GATEWAY_RESPONSES,
    MODELS,
    RESOURCES,
    VALIDATORS,
    changed,
    get,
    scope,
)
from gureum.services.apigateway.errors import bad_request
from gureum.store import Txn

Doc = dict[str, Any]
VERBS = ("get", "put", "post", "delete", "patch", "head", "options")
ANY = "x-amazon-apigateway-any-method"
INTEGRATION = "x-amazon-apigateway-integration"


def parse(body: bytes) -> Doc:
    try:
        text = body.decode("utf-8")
        doc = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (UnicodeDecodeError, ValueError, yaml.YAMLError):
        raise bad_request("Invalid OpenAPI input.") from None
    if not isinstance(doc, dict) or not ("openapi" in doc or "swagger" in doc):
        raise bad_request("Invalid OpenAPI input.")
    if not isinstance(doc.get("paths", {}), dict):
        raise bad_request("Invalid OpenAPI input.")
    return doc


def _ref_name(ref: Any) -> str | None:
    return str(ref).rsplit("/", 1)[-1] if isinstance(ref, str) and ref.startswith("#/") else None


def _schemas(doc: Doc) -> dict[str, Any]:
    return dict((doc.get("components") or {}).get("schemas") or doc.get("definitions") or {})


def _security_schemes(doc: Doc) -> dict[str, Any]:
    return dict((doc.get("components") or {}).get("securitySchemes") or doc.get("securityDefinitions") or {})


def _integration(spec: Doc) -> Doc:
    out: Doc = {"type": str(spec.get("type", "")).upper(), "passthroughBehavior": str(spec.get("passthroughBehavior",
                                                                                                  "when_no_match")).upper(),
                "timeoutInMillis": int(spec.get("timeoutInMillis", 29000)), "cacheKeyParameters": list(spec.get("cacheKeyParameters") or []),
                "integrationResponses": {}}
    if spec.get("httpMethod"):
        out["httpMethod"] = str(spec["httpMethod"]).upper()
    for field in ("uri", "credentials", "requestParameters", "requestTemplates", "contentHandling", "connectionType",
                  "connectionId", "cacheNamespace"):
        if spec.get(field) is not None:
            out[field] = spec[field]
    if out["type"] not in ("HTTP", "AWS", "MOCK", "HTTP_PROXY", "AWS_PROXY"):
        raise bad_request(f"Invalid integration type specified: {spec.get('type')}")
    for pattern, r in (spec.get("responses") or {}).items():
        code = str(r.get("statusCode", "200"))
        ir: Doc = {"statusCode": code}
        if pattern != "default":
            ir["selectionPattern"] = pattern
        for field in ("responseTemplates", "responseParameters", "contentHandling"):
            if r.get(field) is not None:
                ir[field] = r[field]
        out["integrationResponses"][code] = ir
    return out


def _method(doc: Doc, verb: str, spec: Doc, path_params: list[Doc], validators: dict[str, str],
            authorizers: dict[str, tuple[str, str]], default_validator: str | None) -> Doc:
    method: Doc = {"httpMethod": verb, "authorizationType": "NONE", "apiKeyRequired": False}
    if spec.get("operationId"):
        method["operationName"] = spec["operationId"]
    params: dict[str, bool] = {}
    models: dict[str, str] = {}
    for p in [*path_params, *(spec.get("parameters") or [])]:
        where = {"query": "querystring", "header": "header", "path": "path"}.get(str(p.get("in")))
        if where:
            params[f"method.request.{where}.{p['name']}"] = bool(p.get("required", where == "path"))
        elif p.get("in") == "body" and _ref_name((p.get("schema") or {}).get("$ref")):
            models["application/json"] = str(_ref_name(p["schema"]["$ref"]))
    for content_type, media in ((spec.get("requestBody") or {}).get("content") or {}).items():
        name = _ref_name((media.get("schema") or {}).get("$ref"))
        if name:
            models[content_type] = name
    if params:
        method["requestParameters"] = params
    if models:
        method["requestModels"] = models
    responses: Doc = {}
    for code, r in (spec.get("responses") or {}).items():
        if not re.fullmatch(r"[1-5]\d\d", str(code)):
            continue
        mr: Doc = {"statusCode": str(code)}
        headers = (r or {}).get("headers") or {}
        if headers:
            mr["responseParameters"] = {f"method.response.header.{h}": False for h in headers}
        content = {ct: _ref_name((m.get("schema") or {}).get("$ref")) for ct, m in ((r or {}).get("content") or {}).items()}
        if (r or {}).get("schema"):
            content["application/json"] = _ref_name(r["schema"].get("$ref"))
        if any(content.values()):
            mr["responseModels"] = {k: v for k, v in content.items() if v}
        responses[str(code)] = mr
    if responses:
        method["methodResponses"] = responses
    validator = spec.get("x-amazon-apigateway-request-validator", default_validator)
    if validator:
        if validator not in validators:
            raise bad_request(f"Invalid request validator specified: {validator}")
        method["requestValidatorId"] = validators[validator]
    for requirement in spec.get("security", doc.get("security") or []) or []:
        for name in requirement:
            scheme = _security_schemes(doc).get(name) or {}
            if scheme.get("type") == "apiKey" and str(scheme.get("name", "")).lower() == "x-api-key" and \
                    "x-amazon-apigateway-authorizer" not in scheme:
                method["apiKeyRequired"] = True
            elif name in authorizers:
                aid, kind = authorizers[name]
                method["authorizationType"] = "COGNITO_USER_POOLS" if kind == "COGNITO_USER_POOLS" else "CUSTOM"
                method["authorizerId"] = aid
                if kind == "COGNITO_USER_POOLS" and requirement[name]:
                    method["authorizationScopes"] = [str(x) for x in requirement[name]]
            elif scheme.get("x-amazon-apigateway-authtype") == "awsSigv4":
                method["authorizationType"] = "AWS_IAM"
    if spec.get(INTEGRATION):
        method["methodIntegration"] = _integration(spec[INTEGRATION])
    return method


def write(txn: Txn, account: str, region: str, api_id: str, doc: Doc, mode: str) -> Doc:
    """Put definition `doc` into API `api_id` (mode "overwrite" replaces what it had)."""
    api = get(txn, account, region, api_id)
    s = scope(account, region, api_id)
    if mode == "overwrite":
        for table in (RESOURCES, MODELS, VALIDATORS, AUTHORIZERS, GATEWAY_RESPONSES):
            txn.delete_prefix(table, s + "/")
        txn.put(RESOURCES, f"{s}/{api['rootResourceId']}", {"id": api["rootResourceId"], "path": "/", "methods": {}})
    info = doc.get("info") or {}
    if info.get("title"):
        api["name"] = str(info["title"])
    for field, value in (("description", info.get("description")), ("version", info.get("version")),
                         ("binaryMediaTypes", doc.get("x-amazon-apigateway-binary-media-types")),
                         ("apiKeySource", doc.get("x-amazon-apigateway-api-key-source"))):
        if value is not None:
            api[field] = value
    for name, schema in _schemas(doc).items():
        txn.put(MODELS, f"{s}/{name}", {"id": ids.random_id(6), "name": name, "contentType": "application/json",
                                        "schema": json.dumps(schema)})
    validators: dict[str, str] = {}
    for name, v in (doc.get("x-amazon-apigateway-request-validators") or {}).items():
        vid = ids.random_id(6)
        txn.put(VALIDATORS, f"{s}/{vid}", {"id": vid, "name": name, "validateRequestBody": bool(v.get("validateRequestBody")),
                                          "validateRequestParameters": bool(v.get("validateRequestParameters"))})
        validators[name] = vid
    authorizers: dict[str, tuple[str, str]] = {}
    for name, scheme in _security_schemes(doc).items():
        spec = scheme.get("x-amazon-apigateway-authorizer")
        if not isinstance(spec, dict):
            continue
        aid = ids.random_id(6)
        kind = str(spec.get("type", "token")).upper()
        source = spec.get("identitySource") or (f"method.request.header.{scheme.get('name')}"
                                                if kind in ("TOKEN", "COGNITO_USER_POOLS") else None)
        auth: Doc = {"id": aid, "name": name, "type": kind, "authType": scheme.get("x-amazon-apigateway-authtype",
                                                                          "cognito_user_pools" if kind == "COGNITO_USER_POOLS" else "custom"),
                     "authorizerResultTtlInSeconds": int(spec.get("authorizerResultTtlInSeconds", 300))}
        for field, value in (("authorizerUri", spec.get("authorizerUri")), ("identitySource", source),
                             ("authorizerCredentials", spec.get("authorizerCredentials")),
                             ("identityValidationExpression", spec.get("identityValidationExpression")),
                             ("providerARNs", spec.get("providerARNs"))):
            if value is not None:
                auth[field] = value
        if kind == "COGNITO_USER_POOLS" and not cognito_auth.pools_exist(txn, auth.get("providerARNs")):
            raise bad_request(f"Invalid provider ARN specified: {','.join(auth.get('providerARNs') or []) or 'none'}")
        txn.put(AUTHORIZERS, f"{s}/{aid}", auth)
        authorizers[name] = (aid, kind)
    for kind, r in (doc.get("x-amazon-apigateway-gateway-responses") or {}).items():
        gr: Doc = {"responseType": kind, "defaultResponse": False, "responseParameters": dict(r.get("responseParameters") or {}),
                   "responseTemplates": dict(r.get("responseTemplates") or {})}
        if r.get("statusCode"):
            gr["statusCode"] = str(r["statusCode"])
        txn.put(GATEWAY_RESPONSES, f"{s}/{kind}", gr)
    by_path = {d["path"]: d for _, d in txn.scan(RESOURCES, s + "/")}
    base = str(doc.get("basePath") or "").rstrip("/")
    default_validator = doc.get("x-amazon-apigateway-request-validator")
    for raw_path, item in (doc.get("paths") or {}).items():
        path = "/" + "/".join(p for p in (base + "/" + str(raw_path)).split("/") if p)
        node = by_path["/"]
        walked = ""
        for part in [p for p in path.split("/") if p]:
            walked += "/" + part
            if walked not in by_path:
                rid = ids.random_id(6)
                by_path[walked] = {"id": rid, "parentId": node["id"], "pathPart": part, "path": walked, "methods": {}}
            node = by_path[walked]
        path_params = [p for p in (item or {}).get("parameters") or [] if isinstance(p, dict)]
        for key, spec in (item or {}).items():
            verb = "ANY" if key == ANY else key.upper() if key in VERBS else None
            if verb is None or not isinstance(spec, dict):
                continue
            node["methods"][verb] = _method(doc, verb, spec, path_params, validators, authorizers, default_validator)
    for d in by_path.values():
        txn.put(RESOURCES, f"{s}/{d['id']}", d)
    txn.put(APIS, s, api)
    changed(txn, api_id)
    return api


# --- export -------------------------------------------------------------------------------

def export(api: Doc, stage: Doc, snapshot: Doc, kind: str, extensions: set[str], host: str) -> Doc:
    """A deployed stage as an OpenAPI 3 ("oas30") or Swagger 2 ("swagger") document."""
    oas3 = kind == "oas30"
    ref = "#/components/schemas/" if oas3 else "#/definitions/"
    with_integrations = bool(extensions & {"integrations", "apigateway"})
    with_authorizers = bool(extensions & {"authorizers", "apigateway"})
    paths: Doc = {}
    security_schemes: Doc = {}
    authorizers = snapshot.get("authorizers") or {}
    validators = snapshot.get("validators") or {}
    for r in sorted(snapshot["resources"], key=lambda r: r["path"]):
        if not r["methods"]:
            continue
        item: Doc = {}
        for verb, m in r["methods"].items():
            op: Doc = {}
            if m.get("operationName"):
                op["operationId"] = m["operationName"]
            params = []
            for name, required in (m.get("requestParameters") or {}).items():
                where, _, pname = name[len("method.request."):].partition(".")
                loc = {"querystring": "query", "header": "header", "path": "path"}.get(where)
                if loc:
                    params.append({"name": pname, "in": loc, "required": bool(required) or loc == "path",
                                   **({"schema": {"type": "string"}} if oas3 else {"type": "string"})})
            for pname in re.findall(r"\{([^}+]+)\+?\}", r["path"]):
                if not any(p["name"] == pname and p["in"] == "path" for p in params):
                    params.append({"name": pname, "in": "path", "required": True,
                                   **({"schema": {"type": "string"}} if oas3 else {"type": "string"})})
            models = m.get("requestModels") or {}
            if models and oas3:
                op["requestBody"] = {"content": {ct: {"schema": {"$ref": ref + n}} for ct, n in models.items()}, "required": True}
            elif models:
                params.append({"in": "body", "name": next(iter(models.values())), "required": True,
                               "schema": {"$ref": ref + next(iter(models.values()))}})
            if params:
                op["parameters"] = params
            responses: Doc = {}
            for code, mr in (m.get("methodResponses") or {}).items():
                resp: Doc = {"description": f"{code} response"}
                rm = mr.get("responseModels") or {}
                if rm and oas3:
                    resp["content"] = {ct: {"schema": {"$ref": ref + n}} for ct, n in rm.items()}
                elif rm:
                    resp["schema"] = {"$ref": ref + next(iter(rm.values()))}
                if mr.get("responseParameters"):
                    resp["headers"] = {h[len("method.response.header."):]: {"schema": {"type": "string"}} if oas3 else {"type": "string"}
                                       for h in mr["responseParameters"] if h.startswith("method.response.header.")}
                responses[code] = resp
            op["responses"] = responses or {"200": {"description": "200 response"}}
            security: list[Doc] = []
            if m.get("apiKeyRequired"):
                security.append({"api_key": []})
                security_schemes["api_key"] = {"type": "apiKey", "name": "x-api-key", "in": "header"}
            if m.get("authorizationType") in ("CUSTOM", "COGNITO_USER_POOLS") and with_authorizers and \
                    m.get("authorizerId") in authorizers:
                a = authorizers[m["authorizerId"]]
                security.append({a["name"]: list(m.get("authorizationScopes") or [])})
                spec = {"type": a["type"].lower(), "authorizerResultTtlInSeconds": a.get("authorizerResultTtlInSeconds", 300)}
                if a["type"] == "COGNITO_USER_POOLS":
                    spec["providerARNs"] = list(a.get("providerARNs") or [])
                else:
                    spec["authorizerUri"] = a.get("authorizerUri")
                if a["type"] == "REQUEST" and a.get("identitySource"):
                    spec["identitySource"] = a["identitySource"]
                if a.get("identityValidationExpression"):
                    spec["identityValidationExpression"] = a["identityValidationExpression"]
                security_schemes[a["name"]] = {"type": "apiKey", "name": str(a.get("identitySource", "")).rsplit(".", 1)[-1]
                                               or "Unused", "in": "header",
                                               "x-amazon-apigateway-authtype": a.get("authType") or (
                                                   "cognito_user_pools" if a["type"] == "COGNITO_USER_POOLS" else "custom"),
                                               "x-amazon-apigateway-authorizer": spec}
            if m.get("authorizationType") == "AWS_IAM":
                security.append({"sigv4": []})
                security_schemes["sigv4"] = {"type": "apiKey", "name": "Authorization", "in": "header",
                                             "x-amazon-apigateway-authtype": "awsSigv4"}
            if security:
                op["security"] = security
            if with_integrations and m.get("requestValidatorId") in validators:
                op["x-amazon-apigateway-request-validator"] = validators[m["requestValidatorId"]].get("name")
            integration = m.get("methodIntegration")
            if with_integrations and integration:
                spec_i: Doc = {"type": integration["type"].lower(),
                               "passthroughBehavior": str(integration.get("passthroughBehavior", "WHEN_NO_MATCH")).lower(),
                               "timeoutInMillis": integration.get("timeoutInMillis", 29000)}
                for field in ("uri", "credentials", "requestParameters", "requestTemplates", "contentHandling",
                              "cacheKeyParameters", "cacheNamespace"):
                    if integration.get(field):
                        spec_i[field] = integration[field]
                if integration.get("httpMethod"):
                    spec_i["httpMethod"] = integration["httpMethod"]
                ir = {}
                for code, r_ in (integration.get("integrationResponses") or {}).items():
                    entry = {"statusCode": code, **{k: v for k, v in r_.items() if k in ("responseTemplates",
                                                                                         "responseParameters",
                                                                                         "contentHandling")}}
                    ir[r_.get("selectionPattern") or "default"] = entry
                if ir:
                    spec_i["responses"] = ir
                op[INTEGRATION] = spec_i
            item[ANY if verb == "ANY" else verb.lower()] = op
        paths[r["path"]] = item
    models = {name: json.loads(d.get("schema") or "{}") for name, d in (snapshot.get("models") or {}).items()}
    info: Doc = {"title": api.get("name"), "version": api.get("version") or time_version(api)}
    if api.get("description"):
        info["description"] = api["description"]
    out: Doc
    if oas3:
        out = {"openapi": "3.0.1", "info": info,
               "servers": [{"url": f"https://{host}/{{basePath}}",
                            "variables": {"basePath": {"default": stage["stageName"]}}}],
               "paths": paths}
        components: Doc = {}
        if models:
            components["schemas"] = models
        if security_schemes:
            components["securitySchemes"] = security_schemes
        if components:
            out["components"] = components
    else:
        out = {"swagger": "2.0", "info": info, "host": host, "basePath": f"/{stage['stageName']}", "schemes": ["https"],
               "paths": paths}
        if models:
            out["definitions"] = models
        if security_schemes:
            out["securityDefinitions"] = security_schemes
    if with_integrations:
        if api.get("binaryMediaTypes"):
            out["x-amazon-apigateway-binary-media-types"] = api["binaryMediaTypes"]
        if validators:
            out["x-amazon-apigateway-request-validators"] = {
                v.get("name", vid): {"validateRequestBody": v.get("validateRequestBody", False),
                                     "validateRequestParameters": v.get("validateRequestParameters", False)}
                for vid, v in validators.items()}
        gateway_responses = snapshot.get("gatewayResponses") or {}
        if gateway_responses:
            out["x-amazon-apigateway-gateway-responses"] = {
                k: {kk: vv for kk, vv in v.items() if kk in ("statusCode", "responseParameters", "responseTemplates")}
                for k, v in gateway_responses.items()}
    return out


def time_version(api: Doc) -> str:
    return dt.datetime.fromtimestamp(float(api.get("createdDate", 0)), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def dump(doc: Doc, accept: str | None) -> tuple[bytes, str]:
    if accept and "yaml" in accept:
        return yaml.safe_dump(doc, sort_keys=False).encode(), "application/yaml"
    return json.dumps(doc, indent=2).encode(), "application/json"

"""Resources, methods, method responses, integrations and integration responses of a REST API
(table apigw_resources, apis.py): a resource is stored with its methods nested, a method with
its method responses ("methodResponses": {status: MethodResponse}) and its integration
("methodIntegration", with "integrationResponses": {status: IntegrationResponse}).

Invariants: a path part is unique among its siblings; at most one sibling is a variable
(`{name}` or `{name+}`); a greedy `{name+}` resource has no children; a resource's "path" is
its parent's path joined with its path part; deleting a resource deletes its descendants.
Every write publishes apis.TOPIC.
"""

from __future__ import annotations

import re
from typing import Any

from gureum.aws import arn as arns
from gureum.services.apigateway import ids, patch
from gureum.services.apigateway.apis import AUTHORIZERS, MODELS, RESOURCES, VALIDATORS, changed, get, scope
from gureum.services.apigateway.errors import bad_request, conflict, not_found
from gureum.store import Txn

Doc = dict[str, Any]

HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "ANY")
AUTH_TYPES = ("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS")
INTEGRATION_TYPES = ("HTTP", "AWS", "MOCK", "HTTP_PROXY", "AWS_PROXY")
_PATH_PART = re.compile(r"\{[a-zA-Z0-9._-]+\+?\}|[a-zA-Z0-9._:-]+")
_STATUS = re.compile(r"[1-5]\d\d")


def _key(account: str, region: str, api_id: str, resource_id: str) -> str:
    return f"{scope(account, region, api_id)}/{resource_id}"


def resource(txn: Txn, account: str, region: str, api_id: str, resource_id: str) -> Doc:
    get(txn, account, region, api_id)
    doc = txn.get(RESOURCES, _key(account, region, api_id, resource_id))
    if doc is None:
        raise not_found("Invalid Resource identifier specified")
    return doc


def _put(txn: Txn, account: str, region: str, api_id: str, doc: Doc) -> None:
    txn.put(RESOURCES, _key(account, region, api_id, doc["id"]), doc)
    changed(txn, api_id)


def _children(txn: Txn, account: str, region: str, api_id: str, parent: str) -> list[Doc]:
    return [d for _, d in txn.scan(RESOURCES, scope(account, region, api_id) + "/") if d.get("parentId") == parent]


def _check_path_part(txn: Txn, account: str, region: str, api_id: str, parent: Doc, part: str, own_id: str | None) -> None:
    if not _PATH_PART.fullmatch(part):
        raise bad_request("Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end "
                          "and an optional plus sign before the closing brace.")
    if (parent.get("pathPart") or "").endswith("+}"):
        raise bad_request(f"Cannot create a child of a resource with a greedy path variable: {parent['pathPart']}")
    for sibling in _children(txn, account, region, api_id, parent["id"]):
        if sibling["id"] == own_id:
            continue
        if sibling["pathPart"] == part:
            raise conflict(f"Another resource with the same parent already has this name: {part}")
        if part.startswith("{") and sibling["pathPart"].startswith("{"):
            raise bad_request(f"A sibling ({sibling['pathPart']}) of this resource already has a variable path part -- only one is allowed")


def _join(parent_path: str, part: str) -> str:
    return ("" if parent_path == "/" else parent_path) + "/" + part


def create_resource(txn: Txn, account: str, region: str, api_id: str, parent_id: str, part: str) -> Doc:
    parent = resource(txn, account, region, api_id, parent_id)
    _check_path_part(txn, account, region, api_id, parent, part, None)
    rid = ids.fresh(lambda c: txn.get(RESOURCES, _key(account, region, api_id, c)) is not None)
    doc: Doc = {"id": rid, "parentId": parent_id, "pathPart": part, "path": _join(parent["path"], part), "methods": {}}
    _put(txn, account, region, api_id, doc)
    return doc


def _repath(txn: Txn, account: str, region: str, api_id: str, parent: Doc) -> None:
    for child in _children(txn, account, region, api_id, parent["id"]):
        child = {**child, "path": _join(parent["path"], child["pathPart"])}
        txn.put(RESOURCES, _key(account, region, api_id, child["id"]), child)
        _repath(txn, account, region, api_id, child)


def update_resource(txn: Txn, account: str, region: str, api_id: str, resource_id: str, operations: list[Doc] | None) -> Doc:
    doc = resource(txn, account, region, api_id, resource_id)
    new = patch.apply(doc, operations, patch.Fields(scalars={"pathPart": patch.as_str, "parentId": patch.as_str}))
    if not doc.get("parentId") and new != doc:
        raise bad_request("Root resource cannot be updated")
    if new.get("parentId") != doc.get("parentId") or new.get("pathPart") != doc.get("pathPart"):
        parent = resource(txn, account, region, api_id, str(new["parentId"]))
        _check_path_part(txn, account, region, api_id, parent, str(new["pathPart"]), resource_id)
        new["path"] = _join(parent["path"], new["pathPart"])
        if new["path"].startswith(doc["path"] + "/"):
            raise bad_request("Cannot move a resource under itself")
    _put(txn, account, region, api_id, new)
    _repath(txn, account, region, api_id, new)
    return new


def delete_resource(txn: Txn, account: str, region: str, api_id: str, resource_id: str) -> None:
    doc = resource(txn, account, region, api_id, resource_id)
    if not doc.get("parentId"):
        raise bad_request("Cannot delete root resource")
    for child in _children(txn, account, region, api_id, resource_id):
        delete_resource(txn, account, region, api_id, child["id"])
    txn.delete(RESOURCES, _key(account, region, api_id, resource_id))
    changed(txn, api_id)


def list_resources(txn: Txn, account: str, region: str, api_id: str) -> list[Doc]:
    get(txn, account, region, api_id)
    return [d for _, d in txn.scan(RESOURCES, scope(account, region, api_id) + "/")]


# --- methods ------------------------------------------------------------------------------

def _method_name(http_method: str) -> str:
    m = http_method.upper()
    if m not in HTTP_METHODS:
        raise bad_request("Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY")
    return m


def method(txn: Txn, account: str, region: str, api_id: str, resource_id: str, http_method: str) -> tuple[Doc, Doc]:
    """(resource, method); NotFoundException when the resource has no such method."""
    res = resource(txn, account, region, api_id, resource_id)
    found = res["methods"].get(http_method.upper())
    if found is None:
        raise not_found("Invalid Method identifier specified")
    return res, found


def _check_method_refs(txn: Txn, account: str, region: str, api_id: str, doc: Doc) -> None:
    if doc["authorizationType"] not in AUTH_TYPES:
        raise bad_request(f"Invalid authorization type specified. Valid options are {','.join(AUTH_TYPES)}")
    s = scope(account, region, api_id)
    if doc["authorizationType"] in ("CUSTOM", "COGNITO_USER_POOLS"):
        found = txn.get(AUTHORIZERS, f"{s}/{doc.get('authorizerId')}") if doc.get("authorizerId") else None
        if found is None:
            raise bad_request("Invalid authorizer ID specified. Setting the authorization type to CUSTOM or "
                              "COGNITO_USER_POOLS requires a valid authorizer.")
    if doc.get("requestValidatorId") and txn.get(VALIDATORS, f"{s}/{doc['requestValidatorId']}") is None:
        raise bad_request("Invalid Request Validator identifier specified")
    for model_name in (doc.get("requestModels") or {}).values():
        if txn.get(MODELS, f"{s}/{model_name}") is None:
            raise bad_request(f"Invalid model identifier specified: {model_name}")


def put_method(txn: Txn, account: str, region: str, api_id: str, resource_id: str, p: Doc) -> Doc:
    res = resource(txn, account, region, api_id, resource_id)
    name = _method_name(p["httpMethod"])
    if name in res["methods"]:
        raise conflict("Method already exists for this resource")
    doc: Doc = {"httpMethod": name, "authorizationType": p["authorizationType"],
                "apiKeyRequired": bool(p.get("apiKeyRequired", False))}
    for field in ("authorizerId", "operationName", "requestParameters", "requestModels", "requestValidatorId",
                  "authorizationScopes"):
        if p.get(field) is not None:
            doc[field] = p[field]
    _check_method_refs(txn, account, region, api_id, doc)
    res["methods"][name] = doc
    _put(txn, account, region, api_id, res)
    return doc


_METHOD_FIELDS = patch.Fields(
    scalars={"authorizationType": patch.as_str, "authorizerId": patch.as_str, "apiKeyRequired": patch.as_bool,
             "operationName": patch.as_str, "requestValidatorId": patch.as_str},
    maps=("requestParameters", "requestModels"),
    lists=("authorizationScopes",),
)


def update_method(txn: Txn, account: str, region: str, api_id: str, resource_id: str, http_method: str,
                  operations: list[Doc] | None) -> Doc:
    res, doc = method(txn, account, region, api_id, resource_id, http_method)
    ops = []
    for o in operations or []:  # requestParameters values are booleans ("true"/"false")
        if str(o.get("path", "")).startswith("/requestParameters/") and o.get("op") != "remove":
            o = {**o, "value": patch.as_bool(o.get("value"))}
        ops.append(o)
    new = patch.apply(doc, ops, _METHOD_FIELDS)
    _check_method_refs(txn, account, region, api_id, new)
    res["methods"][doc["httpMethod"]] = new
    _put(txn, account, region, api_id, res)
    return new


def delete_method(txn: Txn, account: str, region: str, api_id: str, resource_id: str, http_method: str) -> None:
    res, doc = method(txn, account, region, api_id, resource_id, http_method)
    del res["methods"][doc["httpMethod"]]
    _put(txn, account, region, api_id, res)


def _status(code: str) -> str:
    if not _STATUS.fullmatch(code):
        raise bad_request("Invalid status code specified")
    return code


def put_method_response(txn: Txn, account: str, region: str, api_id: str, resource_id: str, http_method: str, p: Doc) -> Doc:
    res, doc = method(txn, account, region, api_id, resource_id, http_method)
    code = _status(p["statusCode"])
    out: Doc = {"statusCode": code}
    for field in ("responseParameters", "responseModels"):
        if p.get(field) is not None:
            out[field] = p[field]
    for model_name in (out.get("responseModels") or {}).values():
        if txn.get(MODELS, f"{scope(account, region, api_id)}/{model_name}") is None:
            raise bad_request(f"Invalid model identifier specified: {model_name}")
    doc.setdefault("methodResponses", {})[code] = out
    _put(txn, account, region, api_id, res)
    return out


def method_response(txn: Txn, account: str, region: str, api_id: str, resource_id: str, http_method: str,
                    code: str) -> tuple[Doc, Doc, Doc]:
    res, doc = method(txn, account, region, api_id, resource_id, http_method)
    found = (doc.get("methodResponses") or {}).get(code)
    if found is None:
        raise not_found("Invalid Response status code specified")
    return res, doc, found


def update_method_response(txn: Txn, account: str, region: str, api_id: str, resource_id: str, http_method: str,
                           code: str, operations: list[Doc] | None) -> Doc:
    res, doc, found = method_response(txn, account, region, api_id, resource_id, http_method, code)
    ops = [{**o, "value": patch.as_bool(o.get("value"))} if str(o.get("path", "")).startswith("/responseParameters/")
           and o.get("op") != "remove" else o for o in operations or []]
    new = patch.apply(found, ops, patch.Fields(maps=("responseParameters", "responseModels")))
    doc["methodResponses"][code] = new
    _put(txn, account, region, api_id, res)
    return new


def delete_method_response(txn: Txn, account: str, region: str, api_id: str, resource_id: str, http_method: str,
                           code: str) -> None:
    res, doc, _ = method_response(txn, account, region, api_id, resource_id, http_method, code)
    del doc["methodResponses"][code]
    _put(txn, account, region, api_id, res)


# --- integrations -------------------------------------------------------------------------

def _check_integration(doc: Doc) -> None:
    kind = doc["type"]
    if kind not in INTEGRATION_TYPES:
        raise bad_request(f"Invalid integration type specified. Valid options are {','.join(INTEGRATION_TYPES)}")
    if kind == "MOCK":
        return
    if not doc.get("httpMethod"):
        raise bad_request("Enumeration value for HttpMethod must be non-empty")
    if doc["httpMethod"] not in HTTP_METHODS:
        raise bad_request("Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY")
    uri = str(doc.get("uri") or "")
    if kind in ("HTTP", "HTTP_PROXY"):
        if not re.match(r"https?://[^/\s]+", uri):
            raise bad_request("Invalid HTTP endpoint specified for URI")
    else:
        if arns.service_of(uri) != "apigateway":
            raise bad_request("AWS ARN for integration must contain path or action")
        if kind == "AWS_PROXY" and ":lambda:path/" not in uri and ":firehose:" not in uri:
            raise bad_request("Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose "
                              "stream invocations.")
    timeout = doc.get("timeoutInMillis", 29000)
    if not 50 <= int(timeout) <= 29000:
        raise bad_request("Timeout should be between 50 ms and 29000 ms")


def put_integration(txn: Txn, account: str, region: str, api_id: str, resource_id: str, http_method: str, p: Doc) -> Doc:
    res, doc = method(txn, account, region, api_id, resource_id, http_method)
    out: Doc = {"type": p["type"], "passthroughBehavior": p.get("passthroughBehavior") or "WHEN_NO_MATCH",
                "timeoutInMillis": p.get("timeoutInMillis") or 29000, "cacheNamespace": p.get("cacheNamespace") or resource_id,
                "cacheKeyParameters": list(p.get("cacheKeyParameters") or []), "integrationResponses": {}}
    if p.get("integrationHttpMethod"):
        out["httpMethod"] = p["integrationHttpMethod"].upper()
    for field in ("uri", "connectionType", "connectionId", "credentials", "requestParameters", "requestTemplates",
                  "contentHandling", "tlsConfig"):
        if p.get(field) is not None:
            out[field] = p[field]
    if out["passthroughBehavior"] not in ("WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER"):
        raise bad_request("Invalid passthrough behavior specified. Valid options are WHEN_NO_MATCH, WHEN_NO_TEMPLATES, NEVER")
    _check_integration(out)
    if out["type"] in ("HTTP_PROXY", "HTTP") and out.get("connectionType") is None:
        out["connectionType"] = "INTERNET"
    doc["methodIntegration"] = out
    _put(txn, account, region, api_id, res)
    return out


def integration(txn: Txn, account: str, region: str, api_id: str, resource_id: str, http_method: str) -> tuple[Doc, Doc]:
    res, doc = method(txn, account, region, api_id, resource_id, http_method)
    found = doc.get("methodIntegration")
    if found is None:
        raise not_found("Invalid Integration identifier specified")
    return res, found


_INTEGRATION_FIELDS = patch.Fields(
    scalars={"uri": patch.as_str, "httpMethod": patch.as_str, "type": patch.as_str, "credentials": patch.as_str,
             "passthroughBehavior": patch.as_str, "contentHandling": patch.as_str, "timeoutInMillis": patch.as_int,
             "connectionType": patch.as_str, "connectionId": patch.as_str, "cacheNamespace": patch.as_str},
    maps=("requestParameters", "requestTemplates"),
    lists=("cacheKeyParameters",),
)


def update_integration(txn: Txn, account: str, region: str, api_id: str, resource_id: str, http_method: str,
                       operations: list[Doc] | None) -> Doc:
    res, found = integration(txn, account, region, api_id, resource_id, http_method)
    new = patch.apply(found, operations, _INTEGRATION_FIELDS)
    _check_integration(new)
    res["methods"][http_method.upper()]["methodIntegration"] = new
    _put(txn, account, region, api_id, res)
    return new


def delete_integration(txn: Txn, account: str, region: str, api_id: str, resource_id: str, http_method: str) -> None:
    res, _ = integration(txn, account, region, api_id, resource_id, http_method)
    del res["methods"][http_method.upper()]["methodIntegration"]
    _put(txn, account, region, api_id, res)


def put_integration_response(txn: Txn, account: str, region: str, api_id: str, resource_id: str, http_method: str,
                             p: Doc) -> Doc:
    res, found = integration(txn, account, region, api_id, resource_id, http_method)
    code = _status(p["statusCode"])
    out: Doc = {"statusCode": code}
    for field in ("selectionPattern", "responseParameters", "responseTemplates", "contentHandling"):
        if p.get(field) is not None:
            out[field] = p[field]
    if out.get("selectionPattern") is not None:
        try:
            re.compile(out["selectionPattern"])
        except re.error:
            raise bad_request(f"Invalid selection pattern specified for integration response: {out['selectionPattern']}") from None
    found.setdefault("integrationResponses", {})[code] = out
    _put(txn, account, region, api_id, res)
    return out


def integration_response(txn: Txn, account: str, region: str, api_id: str, resource_id: str, http_method: str,
                         code: str) -> tuple[Doc, Doc, Doc]:
    res, found = integration(txn, account, region, api_id, resource_id, http_method)
    response = (found.get("integrationResponses") or {}).get(code)
    if response is None:
        raise not_found("Invalid Response status code specified")
    return res, found, response


def update_integration_response(txn: Txn, account: str, region: str, api_id: str, resource_id: str, http_method: str,
                                code: str, operations: list[Doc] | None) -> Doc:
    res, found, response = integration_response(txn, account, region, api_id, resource_id, http_method, code)
    new = patch.apply(response, operations, patch.Fields(scalars={"selectionPattern": patch.as_str,
                                                                  "contentHandling": patch.as_str},
                                                         maps=("responseParameters", "responseTemplates")))
    found["integrationResponses"][code] = new
    _put(txn, account, region, api_id, res)
    return new


def delete_integration_response(txn: Txn, account: str, region: str, api_id: str, resource_id: str, http_method: str,
                                code: str) -> None:
    res, found, _ = integration_response(txn, account, region, api_id, resource_id, http_method, code)
    del found["integrationResponses"][code]
    _put(txn, account, region, api_id, res)

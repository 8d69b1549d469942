"""Authorizers (table apigw_authorizers: scope + "/{id}" -> Authorizer, apis.py's scope) and
gateway responses (table apigw_gateway_responses: scope + "/{responseType}" ->
GatewayResponse) of a REST API.

Invariants: a TOKEN or REQUEST authorizer names a Lambda function (`authorizerUri`), a
COGNITO_USER_POOLS one existing user pools (`providerARNs`, cognito_auth.py), a TOKEN or
COGNITO_USER_POOLS one a header as its identity source, a REQUEST one only method.request.*,
stageVariables.* or context.* sources; the result TTL is 0-3600 s (300 by default); an
authorizer a method uses cannot be deleted. Gateway responses not put answer with their
defaults (`DEFAULTS`); both are deployed with the API's snapshot (stages.py)."""

from __future__ import annotations

import re
from typing import Any

from gureum.services.apigateway import cognito_auth, ids, lambda_invoke, patch
from gureum.services.apigateway.apis import AUTHORIZERS, GATEWAY_RESPONSES, RESOURCES, changed, get, page, scope
from gureum.services.apigateway.errors import bad_request, conflict, not_found
from gureum.store import Txn

Doc = dict[str, Any]
TYPES = ("TOKEN", "REQUEST", "COGNITO_USER_POOLS")
_SOURCE = re.compile(r"(method\.request\.(header|querystring|multivalueheader|multivaluequerystring)\.[^,\s]+|"
                     r"stageVariables\.[a-zA-Z0-9_]+|context\.[a-zA-Z0-9_.]+)")

# responseType -> default status (AWS's defaults; the body is {"message":$context.error.messageString})
DEFAULTS: dict[str, str | None] = {
    "DEFAULT_4XX": None, "DEFAULT_5XX": None, "RESOURCE_NOT_FOUND": "404", "UNAUTHORIZED": "401",
    "INVALID_API_KEY": "403", "ACCESS_DENIED": "403", "AUTHORIZER_FAILURE": "500",
    "AUTHORIZER_CONFIGURATION_ERROR": "500", "INVALID_SIGNATURE": "403", "EXPIRED_TOKEN": "403",
    "MISSING_AUTHENTICATION_TOKEN": "403", "INTEGRATION_FAILURE": "504", "INTEGRATION_TIMEOUT": "504",
    "API_CONFIGURATION_ERROR": "500", "UNSUPPORTED_MEDIA_TYPE": "415", "BAD_REQUEST_PARAMETERS": "400",
    "BAD_REQUEST_BODY": "400", "REQUEST_TOO_LARGE": "413", "THROTTLED": "429", "QUOTA_EXCEEDED": "429",
    "WAF_FILTERED": "403",
}
DEFAULT_TEMPLATE = {"application/json": '{"message":$context.error.messageString}'}


def _check(txn: Txn, doc: Doc) -> None:
    kind = doc["type"]
    if kind not in TYPES:
        raise bad_request(f"Invalid authorizer type specified. Valid options are {','.join(TYPES)}")
    if kind == "COGNITO_USER_POOLS":
        if not cognito_auth.pools_exist(txn, doc.get("providerARNs")):
            raise bad_request(f"Invalid provider ARN specified: {','.join(doc.get('providerARNs') or []) or 'none'}")
    elif not doc.get("authorizerUri") or lambda_invoke.function_arn(str(doc["authorizerUri"]), {}) is None \
            and "${stageVariables." not in str(doc.get("authorizerUri")):
        raise bad_request("Invalid Authorizer URI specified: the URI must invoke a Lambda function")
    ttl = doc.get("authorizerResultTtlInSeconds", 300)
    if not 0 <= int(ttl) <= 3600:
        raise bad_request("Authorizer result TTL must be between 0 and 3600 seconds")
    source = doc.get("identitySource")
    if kind in ("TOKEN", "COGNITO_USER_POOLS"):
        if not source or not re.fullmatch(r"method\.request\.header\.[^,\s]+", source):
            raise bad_request(f"Identity source for {kind} authorizers must be a header: method.request.header.<name>")
    elif kind == "REQUEST" and source:
        parts = [p.strip() for p in source.split(",")]
        if not all(_SOURCE.fullmatch(p) for p in parts):
            raise bad_request(f"Invalid identity source specified: {source}")
    expr = doc.get("identityValidationExpression")
    if expr:
        try:
            re.compile(expr)
        except re.error:
            raise bad_request(f"Invalid identity validation expression specified: {expr}") from None


def authorizer(txn: Txn, account: str, region: str, api_id: str, authorizer_id: str) -> Doc:
    get(txn, account, region, api_id)
    doc = txn.get(AUTHORIZERS, f"{scope(account, region, api_id)}/{authorizer_id}")
    if doc is None:
        raise not_found("Invalid Authorizer identifier specified")
    return doc


def create_authorizer(txn: Txn, account: str, region: str, api_id: str, p: Doc) -> Doc:
    get(txn, account, region, api_id)
    s = scope(account, region, api_id)
    doc: Doc = {"name": p["name"], "type": p["type"], "authorizerResultTtlInSeconds": p.get("authorizerResultTtlInSeconds", 300)}
    for field in ("providerARNs", "authType", "authorizerUri", "authorizerCredentials", "identitySource",
                  "identityValidationExpression"):
        if p.get(field) is not None:
            doc[field] = p[field]
    if doc["type"] in ("TOKEN", "COGNITO_USER_POOLS") and "identitySource" not in doc:
        raise bad_request(f"Identity source must be specified for {doc['type']} authorizers")
    _check(txn, doc)
    if any(a.get("name") == doc["name"] for _, a in txn.scan(AUTHORIZERS, s + "/")):
        raise conflict(f"Authorizer name already exists: {doc['name']}")
    doc["id"] = ids.fresh(lambda c: txn.get(AUTHORIZERS, f"{s}/{c}") is not None)
    txn.put(AUTHORIZERS, f"{s}/{doc['id']}", doc)
    changed(txn, api_id)
    return doc


def list_authorizers(txn: Txn, account: str, region: str, api_id: str, position: str | None,
                     limit: int | None) -> tuple[list[Doc], str | None]:
    get(txn, account, region, api_id)
    rows, nxt = page(txn, AUTHORIZERS, scope(account, region, api_id) + "/", position, limit)
    return [d for _, d in rows], nxt


def update_authorizer(txn: Txn, account: str, region: str, api_id: str, authorizer_id: str,
                      operations: list[Doc] | None) -> Doc:
    doc = authorizer(txn, account, region, api_id, authorizer_id)
    new = patch.apply(doc, operations, patch.Fields(
        scalars={"name": patch.as_str, "type": patch.as_str, "authType": patch.as_str, "authorizerUri": patch.as_str,
                 "authorizerCredentials": patch.as_str, "identitySource": patch.as_str,
                 "identityValidationExpression": patch.as_str, "authorizerResultTtlInSeconds": patch.as_int},
        lists=("providerARNs",)))
    _check(txn, new)
    txn.put(AUTHORIZERS, f"{scope(account, region, api_id)}/{authorizer_id}", new)
    changed(txn, api_id)
    return new


def delete_authorizer(txn: Txn, account: str, region: str, api_id: str, authorizer_id: str) -> None:
    authorizer(txn, account, region, api_id, authorizer_id)
    for _, r in txn.scan(RESOURCES, scope(account, region, api_id) + "/"):
        if any(m.get("authorizerId") == authorizer_id for m in r["methods"].values()):
            raise conflict("Cannot delete authorizer, is referenced in method: " + r["path"])
    txn.delete(AUTHORIZERS, f"{scope(account, region, api_id)}/{authorizer_id}")
    changed(txn, api_id)


# --- gateway responses --------------------------------------------------------------------

def _default(kind: str) -> Doc:
    out: Doc = {"responseType": kind, "defaultResponse": True, "responseParameters": {},
                "responseTemplates": dict(DEFAULT_TEMPLATE)}
    if DEFAULTS[kind] is not None:
        out["statusCode"] = DEFAULTS[kind]
    return out


def _kind(kind: str) -> str:
    if kind not in DEFAULTS:
        raise bad_request(f"Invalid response type specified: {kind}")
    return kind


def gateway_response(txn: Txn, account: str, region: str, api_id: str, kind: str) -> Doc:
    get(txn, account, region, api_id)
    found = txn.get(GATEWAY_RESPONSES, f"{scope(account, region, api_id)}/{_kind(kind)}")
    return found if found is not None else _default(kind)


def put_gateway_response(txn: Txn, account: str, region: str, api_id: str, p: Doc) -> Doc:
    get(txn, account, region, api_id)
    kind = _kind(p["responseType"])
    doc: Doc = {"responseType": kind, "defaultResponse": False,
                "responseParameters": dict(p.get("responseParameters") or {}),
                "responseTemplates": dict(p.get("responseTemplates") or {})}
    status = p.get("statusCode") or DEFAULTS[kind]
    if status is not None:
        if not re.fullmatch(r"[1-5]\d\d", status):
            raise bad_request("Invalid status code specified")
        doc["statusCode"] = status
    txn.put(GATEWAY_RESPONSES, f"{scope(account, region, api_id)}/{kind}", doc)
    changed(txn, api_id)
    return doc


def list_gateway_responses(txn: Txn, account: str, region: str, api_id: str) -> list[Doc]:
    get(txn, account, region, api_id)
    put = {d["responseType"]: d for _, d in txn.scan(GATEWAY_RESPONSES, scope(account, region, api_id) + "/")}
    return [put.get(kind) or _default(kind) for kind in DEFAULTS]


def update_gateway_response(txn: Txn, account: str, region: str, api_id: str, kind: str, operations: list[Doc] | None) -> Doc:
    doc = gateway_response(txn, account, region, api_id, kind)
    new = patch.apply(doc, operations, patch.Fields(scalars={"statusCode": patch.as_str},
                                                    maps=("responseParameters", "responseTemplates")))
    new["defaultResponse"] = False
    txn.put(GATEWAY_RESPONSES, f"{scope(account, region, api_id)}/{kind}", new)
    changed(txn, api_id)
    return new


def delete_gateway_response(txn: Txn, account: str, region: str, api_id: str, kind: str) -> None:
    get(txn, account, region, api_id)
    if not txn.delete(GATEWAY_RESPONSES, f"{scope(account, region, api_id)}/{_kind(kind)}"):
        raise not_found("Invalid Gateway Response identifier specified")
    changed(txn, api_id)

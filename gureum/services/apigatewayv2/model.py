"""API Gateway v2 (HTTP and WebSocket APIs): the APIs and everything under them, with AWS's
rules and errors.

Tables:
- `apigwv2_apis`: "{account}/{region}/{apiId}" -> the API as GetApi shapes it (member names
  of the output shape, dates as epoch seconds), its tags under "Tags".
- `apigwv2_ids`: "{apiId}" -> {"account", "region"}: API ids are unique across accounts and
  regions (the invoke URL names only the id), and the data plane finds an API's home here.
- `apigwv2_items`: "{account}/{region}/{apiId}/{kind}/{id}" -> one child, shaped as its Get*
  output: kind is "routes", "integrations", "stages" (id = stage name), "deployments",
  "authorizers", "routeresponses/{routeId}", "integrationresponses/{integrationId}".

Invariants: a route's Target names an integration of its API ("integrations/<id>"); a stage's
DeploymentId names a deployment of its API; a deployment holds the snapshot
("Snapshot": routes, integrations, authorizers, route and integration responses) the stages
pointing at it serve, so the data plane never sees a half-made change. A stage with AutoDeploy
gets a fresh deployment after every change to what a deployment snapshots (AWS's automatic
deployment). Deleting an API deletes its children and frees its id.

Every write publishes TOPIC {"api": apiId} (data-plane caches on every node follow it).
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Iterable
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging, tags
from gureum.aws.errors import AwsError
from gureum.store import Txn

APIS = "apigwv2_apis"
IDS = "apigwv2_ids"
ITEMS = "apigwv2_items"
TOPIC = "apigatewayv2.api"
SERVICE = "apigatewayv2"

_ALPHABET = string.ascii_lowercase + string.digits
HTTP_METHODS = ("ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
HTTP_RSE = "${request.method} ${request.path}"
SNAPSHOT_KINDS = ("routes", "integrations", "authorizers", "models")  # models: schemas.py
# what each kind's id member is called, and its length
_ID_FIELD = {"routes": ("RouteId", 7), "integrations": ("IntegrationId", 7), "deployments": ("DeploymentId", 6),
             "authorizers": ("AuthorizerId", 6), "routeresponses": ("RouteResponseId", 6),
             "integrationresponses": ("IntegrationResponseId", 6)}
_NAMES = {"routes": "Route", "integrations": "Integration", "stages": "Stage", "deployments": "Deployment",
          "authorizers": "Authorizer", "routeresponses": "RouteResponse", "integrationresponses": "IntegrationResponse"}


def bad_request(message: str) -> AwsError:
    return AwsError.modeled(SERVICE, "BadRequestException", message)


def not_found(message: str) -> AwsError:
    return AwsError.modeled(SERVICE, "NotFoundException", message)


def conflict(message: str) -> AwsError:
    return AwsError.modeled(SERVICE, "ConflictException", message)


TAG_RULES = tags.Rules(invalid=bad_request, too_many=bad_request)


def new_id(n: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def api_key(account: str, region: str, api_id: str) -> str:
    return f"{account}/{region}/{api_id}"


def item_prefix(account: str, region: str, api_id: str, kind: str) -> str:
    return f"{account}/{region}/{api_id}/{kind}/"


def touch(txn: Txn, api_id: str) -> None:
    txn.publish(TOPIC, {"api": api_id})


# --- APIs -------------------------------------------------------------------------------

def get_api(txn: Txn, account: str, region: str, api_id: str) -> dict[str, Any]:
    doc = txn.get(APIS, api_key(account, region, api_id))
    if doc is None:
        raise not_found(f"Invalid API identifier specified {account}:{api_id}")
    return doc


def home_of(txn: Txn, api_id: str) -> tuple[str, str] | None:
    """(account, region) of API `api_id`, or None."""
    row = txn.get(IDS, api_id)
    return (str(row["account"]), str(row["region"])) if row else None


def _check_api_fields(p: dict[str, Any], protocol: str) -> None:
    if protocol == "WEBSOCKET":
        if p.get("CorsConfiguration") is not None:
            raise bad_request("CORS configuration is supported only for HTTP APIs.")
        if p.get("Target") or p.get("RouteKey") or p.get("CredentialsArn"):
            raise bad_request("Quick create is supported only for HTTP APIs.")
    elif p.get("RouteSelectionExpression") not in (None, HTTP_RSE):
        raise bad_request(f"Invalid RouteSelectionExpression for HTTP protocol type. Supported value is {HTTP_RSE}")
    cors = p.get("CorsConfiguration")
    if cors and cors.get("AllowCredentials") and "*" in (cors.get("AllowOrigins") or []):
        raise bad_request("allow-credentials is not supported when allow-origin is *. "
                          "Specify a specific origin.")
    if cors and cors.get("MaxAge") is not None and not -1 <= int(cors["MaxAge"]) <= 86400:
        raise bad_request("Invalid MaxAge. MaxAge must be between -1 and 86400.")


def create_api(txn: Txn, account: str, region: str, p: dict[str, Any], now: float) -> dict[str, Any]:
    protocol = p["ProtocolType"]
    _check_api_fields(p, protocol)
    if protocol == "WEBSOCKET" and not p.get("RouteSelectionExpression"):
        raise bad_request("RouteSelectionExpression is required for WEBSOCKET protocol type.")
    while True:
        api_id = new_id(10)
        if txn.insert(IDS, api_id, {"account": account, "region": region}):
            break
    doc: dict[str, Any] = {
        "ApiId": api_id, "Name": p["Name"], "ProtocolType": protocol, "CreatedDate": now,
        "ApiKeySelectionExpression": p.get("ApiKeySelectionExpression") or "$request.header.x-api-key",
        "RouteSelectionExpression": p.get("RouteSelectionExpression") or HTTP_RSE,
        "DisableExecuteApiEndpoint": bool(p.get("DisableExecuteApiEndpoint")),
        "IpAddressType": p.get("IpAddressType") or "ipv4",
        "Tags": tags.check(p.get("Tags") or {}, TAG_RULES),
    }
    for k in ("Description", "Version", "CorsConfiguration"):
        if p.get(k) is not None:
            doc[k] = p[k]
    if protocol == "WEBSOCKET":
        doc["DisableSchemaValidation"] = bool(p.get("DisableSchemaValidation"))
    txn.put(APIS, api_key(account, region, api_id), doc)
    if p.get("Target"):
        _quick_create(txn, account, region, api_id, p, now)
    touch(txn, api_id)
    return doc


def _quick_create(txn: Txn, account: str, region: str, api_id: str, p: dict[str, Any], now: float) -> None:
    """`Target`: a Lambda function ARN or an HTTP URL, behind route `RouteKey` (default
    $default) and an auto-deploying $default stage, all marked ApiGatewayManaged."""
    target = str(p["Target"])
    if target.startswith(("http://", "https://")):
        integ = {"IntegrationType": "HTTP_PROXY", "IntegrationMethod": "ANY", "IntegrationUri": target,
                 "PayloadFormatVersion": "1.0"}
    elif arns.service_of(target) == "lambda":
        integ = {"IntegrationType": "AWS_PROXY", "IntegrationMethod": "POST", "IntegrationUri": target,
                 "PayloadFormatVersion": "2.0"}
    else:
        raise bad_request("Invalid Target. Target must be a Lambda function ARN or an HTTP URL.")
    if p.get("CredentialsArn"):
        integ["CredentialsArn"] = p["CredentialsArn"]
    i = create_child(txn, account, region, api_id, "integrations", {**integ, "ApiId": api_id}, now, managed=True)
    create_child(txn, account, region, api_id, "routes",
                 {"ApiId": api_id, "RouteKey": p.get("RouteKey") or "$default",
                  "Target": "integrations/" + i["IntegrationId"]}, now, managed=True)
    create_stage(txn, account, region, api_id, {"StageName": "$default", "AutoDeploy": True}, now, managed=True)


def update_api(txn: Txn, account: str, region: str, p: dict[str, Any], now: float) -> dict[str, Any]:
    doc = get_api(txn, account, region, p["ApiId"])
    _check_api_fields(p, doc["ProtocolType"])
    if p.get("Target") or p.get("RouteKey") or p.get("CredentialsArn"):
        _quick_update(txn, account, region, doc["ApiId"], p, now)
    for k in ("Name", "Description", "Version", "ApiKeySelectionExpression", "RouteSelectionExpression",
              "DisableExecuteApiEndpoint", "DisableSchemaValidation", "IpAddressType"):
        if p.get(k) is not None:
            doc[k] = p[k]
    if p.get("CorsConfiguration") is not None:
        doc["CorsConfiguration"] = {**(doc.get("CorsConfiguration") or {}), **p["CorsConfiguration"]}
    txn.put(APIS, api_key(account, region, doc["ApiId"]), doc)
    auto_deploy(txn, account, region, doc["ApiId"], now)
    touch(txn, doc["ApiId"])
    return doc


def _quick_update(txn: Txn, account: str, region: str, api_id: str, p: dict[str, Any], now: float) -> None:
    managed = [(k, d) for k, d in txn.scan(ITEMS, item_prefix(account, region, api_id, "routes")) if d.get("ApiGatewayManaged")]
    if not managed:
        raise bad_request("Quick update is supported only for APIs created with quick create.")
    for key, route in managed:
        if p.get("RouteKey"):
            route["RouteKey"] = _check_route_key(txn, account, region, api_id, "HTTP", p["RouteKey"], route["RouteId"])
            txn.put(ITEMS, key, route)
        target = route.get("Target", "")
        ikey = item_prefix(account, region, api_id, "integrations") + target.removeprefix("integrations/")
        integ = txn.get(ITEMS, ikey)
        if integ is not None:
            if p.get("Target"):
                integ["IntegrationUri"] = p["Target"]
            if p.get("CredentialsArn"):
                integ["CredentialsArn"] = p["CredentialsArn"]
            txn.put(ITEMS, ikey, integ)


def delete_api(txn: Txn, account: str, region: str, api_id: str) -> None:
    get_api(txn, account, region, api_id)
    txn.delete(APIS, api_key(account, region, api_id))
    txn.delete(IDS, api_id)
    txn.delete_prefix(ITEMS, f"{account}/{region}/{api_id}/")
    touch(txn, api_id)


def list_apis(txn: Txn, account: str, region: str, p: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    rows, nxt = paging.page(txn, APIS, f"{account}/{region}/", token=p.get("NextToken"),
                            limit=_limit(p), default_limit=100, max_limit=500,
                            error=lambda: bad_request("Invalid NextToken"))
    return [d for _, d in rows], nxt


def _limit(p: dict[str, Any]) -> int | None:
    raw = p.get("MaxResults")
    if raw is None or raw == "":
        return None
    try:
        n = int(raw)
    except ValueError:
        raise bad_request("Invalid MaxResults") from None
    if n < 1:
        raise bad_request("Invalid MaxResults")
    return n


def delete_cors(txn: Txn, account: str, region: str, api_id: str, now: float) -> None:
    doc = get_api(txn, account, region, api_id)
    if "CorsConfiguration" not in doc:
        raise not_found(f"Unable to find CorsConfiguration for API {api_id}")
    del doc["CorsConfiguration"]
    txn.put(APIS, api_key(account, region, api_id), doc)
    auto_deploy(txn, account, region, api_id, now)
    touch(txn, api_id)


# --- children: routes, integrations, authorizers, responses -----------------------------

_PATH_SEGMENT = re.compile(r"^(\{[A-Za-z0-9._-]+\+?\}|[A-Za-z0-9._~:@!$&'()*+,;=%-]*)$")


def _check_route_key(txn: Txn, account: str, region: str, api_id: str, protocol: str, key: str,
                     own_id: str | None = None) -> str:
    if protocol == "HTTP" and key != "$default":
        method, sep, path = key.partition(" ")
        if not sep or method not in HTTP_METHODS or not path.startswith("/"):
            raise bad_request(f"Invalid route key: {key}. Route key must be $default or of the form "
                              "'<HTTP method> <path>', for example 'GET /pets'.")
        segments = path.split("/")[1:]
        for i, seg in enumerate(segments):
            if not _PATH_SEGMENT.match(seg) or (seg.endswith("+}") and i != len(segments) - 1):
                raise bad_request(f"Invalid route key: {key}. A greedy path variable must be the last "
                                  "segment of the path.")
    for _, other in txn.scan(ITEMS, item_prefix(account, region, api_id, "routes")):
        if other["RouteKey"] == key and other["RouteId"] != own_id:
            raise conflict(f"Unable to create route with route key {key} because a route with that key "
                           "already exists.")
    return key


def _check_target(txn: Txn, account: str, region: str, api_id: str, target: str | None) -> None:
    if not target:
        return
    iid = target.removeprefix("integrations/")
    if not target.startswith("integrations/") or txn.get(ITEMS, item_prefix(account, region, api_id, "integrations") + iid) is None:
        raise bad_request(f"Invalid Target: {target}. Target must be of the form integrations/<integration id> "
                          "naming an integration of this API.")


def _check_integration(api: dict[str, Any], p: dict[str, Any]) -> None:
    itype = p.get("IntegrationType")
    http = api["ProtocolType"] == "HTTP"
    if http and itype not in ("AWS_PROXY", "HTTP_PROXY"):
        raise bad_request(f"Unsupported integration type '{itype}' for HTTP APIs. Supported types are "
                          "AWS_PROXY and HTTP_PROXY.")
    if p.get("IntegrationSubtype") is not None:  # AWS service integrations: subtypes.py
        from gureum.services.apigatewayv2 import subtypes

        problem = subtypes.check(p, itype) if http else "IntegrationSubtype is supported only for HTTP APIs."
        if problem is not None:
            raise bad_request(problem)
    uri = p.get("IntegrationUri")
    if itype in ("AWS_PROXY", "HTTP_PROXY", "HTTP", "AWS") and not uri and not p.get("IntegrationSubtype"):
        raise bad_request("IntegrationUri is required for integration type " + str(itype))
    if itype == "HTTP_PROXY" and uri and not str(uri).startswith(("http://", "https://")) and p.get("ConnectionType") != "VPC_LINK":
        raise bad_request(f"Invalid HTTP endpoint specified for URI: {uri}")
    if itype == "AWS_PROXY" and uri and arns.service_of(str(uri)) not in ("lambda", "apigateway"):
        raise bad_request(f"Invalid integration URI specified: {uri}")
    pfv = p.get("PayloadFormatVersion")
    if pfv is not None and pfv not in ("1.0", "2.0"):
        raise bad_request(f"Invalid PayloadFormatVersion: {pfv}. Supported values are 1.0 and 2.0.")
    if pfv == "2.0" and itype != "AWS_PROXY":
        raise bad_request("PayloadFormatVersion 2.0 is supported only for AWS_PROXY integrations.")
    timeout = p.get("TimeoutInMillis")
    limit = 30000 if http else 29000
    if timeout is not None and not 50 <= int(timeout) <= limit:
        raise bad_request(f"Timeout must be between 50 ms and {limit} ms.")


def _check_authorizer(api: dict[str, Any], p: dict[str, Any]) -> None:
    atype = p.get("AuthorizerType")
    http = api["ProtocolType"] == "HTTP"
    if atype == "JWT":
        if not http:
            raise bad_request("JWT authorizers are supported only for HTTP APIs.")
        jwt = p.get("JwtConfiguration") or {}
        if not jwt.get("Issuer"):
            raise bad_request("JwtConfiguration.Issuer is required for JWT authorizers.")
    elif atype == "REQUEST":
        if not p.get("AuthorizerUri"):
            raise bad_request("AuthorizerUri is required for REQUEST authorizers.")
        if http and p.get("AuthorizerPayloadFormatVersion") not in ("1.0", "2.0"):
            raise bad_request("AuthorizerPayloadFormatVersion is required for REQUEST authorizers of HTTP APIs. "
                              "Supported values are 1.0 and 2.0.")
        if p.get("EnableSimpleResponses") and p.get("AuthorizerPayloadFormatVersion") != "2.0":
            raise bad_request("EnableSimpleResponses is supported only for authorizer payload format version 2.0.")
    else:
        raise bad_request(f"Unsupported authorizer type: {atype}")
    ttl = p.get("AuthorizerResultTtlInSeconds")
    if ttl is not None and not 0 <= int(ttl) <= 3600:
        raise bad_request("AuthorizerResultTtlInSeconds must be between 0 and 3600.")


def _child_defaults(api: dict[str, Any], kind: str, p: dict[str, Any]) -> dict[str, Any]:
    if kind == "routes":
        return {"ApiKeyRequired": False, "AuthorizationType": "NONE"}
    if kind == "integrations":
        out: dict[str, Any] = {"ConnectionType": "INTERNET",
                               "TimeoutInMillis": 30000 if api["ProtocolType"] == "HTTP" else 29000}
        if api["ProtocolType"] == "HTTP" or p.get("IntegrationType") in ("AWS_PROXY", "HTTP_PROXY"):
            out["PayloadFormatVersion"] = "1.0"
        if api["ProtocolType"] == "WEBSOCKET":
            out["PassthroughBehavior"] = "WHEN_NO_MATCH"
            if p.get("IntegrationType") in ("AWS", "HTTP", "MOCK"):
                out["IntegrationResponseSelectionExpression"] = "${integration.response.statuscode}"
        return out
    if kind == "authorizers" and p.get("AuthorizerType") == "REQUEST":
        return {"AuthorizerResultTtlInSeconds": 300 if api["ProtocolType"] == "HTTP" else 0}
    return {}


def _check(txn: Txn, account: str, region: str, api: dict[str, Any], kind: str, p: dict[str, Any],
           own_id: str | None) -> None:
    api_id = api["ApiId"]
    if kind == "routes":
        if p.get("RouteKey") is not None:
            _check_route_key(txn, account, region, api_id, api["ProtocolType"], p["RouteKey"], own_id)
        _check_target(txn, account, region, api_id, p.get("Target"))
        auth = p.get("AuthorizationType")
        if auth in ("JWT", "CUSTOM") and not p.get("AuthorizerId"):
            raise bad_request(f"AuthorizerId is required for authorization type {auth}.")
        if p.get("AuthorizerId"):
            a = txn.get(ITEMS, item_prefix(account, region, api_id, "authorizers") + str(p["AuthorizerId"]))
            if a is None:
                raise bad_request(f"Invalid authorizer ID specified: {p['AuthorizerId']}")
            expected = "JWT" if a["AuthorizerType"] == "JWT" else "CUSTOM"
            if auth is not None and auth != expected:
                raise bad_request(f"AuthorizationType must be {expected} for authorizer {p['AuthorizerId']}.")
        if p.get("AuthorizationScopes") and auth not in ("JWT", None):
            raise bad_request("AuthorizationScopes are supported only for JWT authorizers.")
        names = {d["Name"] for _, d in txn.scan(ITEMS, item_prefix(account, region, api_id, "models"))}
        for key, name in (p.get("RequestModels") or {}).items():  # models: schemas.py
            if name not in names:
                raise bad_request(f"Invalid model specified for key {key}: {name}")
    elif kind == "integrations" and own_id is None:
        _check_integration(api, p)
    elif kind == "authorizers" and own_id is None:
        _check_authorizer(api, p)


def create_child(txn: Txn, account: str, region: str, api_id: str, kind: str, p: dict[str, Any], now: float,
                 *, managed: bool = False, parent: str | None = None, deploy: bool = True) -> dict[str, Any]:
    """Create a route, integration, authorizer or route/integration response (`parent`: the
    route or integration id a response belongs to; `deploy` False: the caller runs
    auto_deploy once after a batch)."""
    api = get_api(txn, account, region, api_id)
    full = kind if parent is None else f"{kind}/{parent}"
    _check(txn, account, region, api, kind, p, None)
    if kind == "authorizers" and txn.count(ITEMS, item_prefix(account, region, api_id, kind)) >= 10:
        raise bad_request("Number of authorizers for this API exceeds the limit of 10.")
    field, n = _ID_FIELD[kind]
    while True:
        cid = new_id(n)
        if txn.get(ITEMS, item_prefix(account, region, api_id, full) + cid) is None:
            break
    doc = {**_child_defaults(api, kind, p), **{k: v for k, v in p.items() if k not in ("ApiId", "RouteId", "IntegrationId")},
           field: cid}
    if managed:
        doc["ApiGatewayManaged"] = True
    if kind == "routes" and doc.get("AuthorizerId") and doc.get("AuthorizationType") in (None, "NONE"):
        a = txn.get(ITEMS, item_prefix(account, region, api_id, "authorizers") + str(doc["AuthorizerId"]))
        doc["AuthorizationType"] = "JWT" if a and a["AuthorizerType"] == "JWT" else "CUSTOM"
    txn.put(ITEMS, item_prefix(account, region, api_id, full) + cid, doc)
    if deploy:
        auto_deploy(txn, account, region, api_id, now)
    touch(txn, api_id)
    return doc


def _child_key(account: str, region: str, api_id: str, kind: str, cid: str, parent: str | None) -> str:
    full = kind if parent is None else f"{kind}/{parent}"
    return item_prefix(account, region, api_id, full) + cid


def get_child(txn: Txn, account: str, region: str, api_id: str, kind: str, cid: str,
              parent: str | None = None) -> dict[str, Any]:
    get_api(txn, account, region, api_id)
    if parent is not None:
        owner_kind = "routes" if kind == "routeresponses" else "integrations"
        get_child(txn, account, region, api_id, owner_kind, parent)
    doc = txn.get(ITEMS, _child_key(account, region, api_id, kind, cid, parent))
    if doc is None:
        raise not_found(f"Invalid {_NAMES[kind]} identifier specified {account}:{cid}")
    return doc


def update_child(txn: Txn, account: str, region: str, api_id: str, kind: str, cid: str, p: dict[str, Any],
                 now: float, parent: str | None = None) -> dict[str, Any]:
    doc = get_child(txn, account, region, api_id, kind, cid, parent)
    api = get_api(txn, account, region, api_id)
    _check(txn, account, region, api, kind, p, cid)
    own = {"ApiId", _ID_FIELD[kind][0] if kind in _ID_FIELD else "StageName"}
    if parent is not None:
        own.add("RouteId" if kind == "routeresponses" else "IntegrationId")
    changes = {k: v for k, v in p.items() if k not in own and v is not None}
    if kind == "integrations":
        _check_integration(api, {**doc, **changes})
    if kind == "authorizers":
        _check_authorizer(api, {**doc, **changes})
    doc.update(changes)
    txn.put(ITEMS, _child_key(account, region, api_id, kind, cid, parent), doc)
    auto_deploy(txn, account, region, api_id, now)
    touch(txn, api_id)
    return doc


def delete_child(txn: Txn, account: str, region: str, api_id: str, kind: str, cid: str, now: float,
                 parent: str | None = None) -> None:
    get_child(txn, account, region, api_id, kind, cid, parent)
    if kind == "integrations":
        for _, route in txn.scan(ITEMS, item_prefix(account, region, api_id, "routes")):
            if route.get("Target") == f"integrations/{cid}":
                raise conflict(f"Cannot delete integration {cid}: it is the target of route {route['RouteId']}.")
        txn.delete_prefix(ITEMS, item_prefix(account, region, api_id, f"integrationresponses/{cid}"))
    if kind == "authorizers":
        for _, route in txn.scan(ITEMS, item_prefix(account, region, api_id, "routes")):
            if route.get("AuthorizerId") == cid:
                raise conflict(f"Cannot delete authorizer {cid}: it is used by route {route['RouteId']}.")
    if kind == "routes":
        txn.delete_prefix(ITEMS, item_prefix(account, region, api_id, f"routeresponses/{cid}"))
    txn.delete(ITEMS, _child_key(account, region, api_id, kind, cid, parent))
    auto_deploy(txn, account, region, api_id, now)
    touch(txn, api_id)


def list_children(txn: Txn, account: str, region: str, api_id: str, kind: str, p: dict[str, Any],
                  parent: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    if parent is not None:
        get_child(txn, account, region, api_id, "routes" if kind == "routeresponses" else "integrations", parent)
    else:
        get_api(txn, account, region, api_id)
    full = kind if parent is None else f"{kind}/{parent}"
    rows, nxt = paging.page(txn, ITEMS, item_prefix(account, region, api_id, full), token=p.get("NextToken"),
                            limit=_limit(p), default_limit=100, max_limit=500,
                            error=lambda: bad_request("Invalid NextToken"))
    return [d for _, d in rows], nxt


# --- stages and deployments -------------------------------------------------------------

_STAGE_NAME = re.compile(r"^(\$default|[A-Za-z0-9_\-]{1,128})$")


def create_stage(txn: Txn, account: str, region: str, api_id: str, p: dict[str, Any], now: float,
                 *, managed: bool = False) -> dict[str, Any]:
    api = get_api(txn, account, region, api_id)
    name = p["StageName"]
    if not _STAGE_NAME.match(name):
        raise bad_request(f"Stage name only allows a-zA-Z0-9_- or $default: {name}")
    if name == "$default" and api["ProtocolType"] != "HTTP":
        raise bad_request("$default stage is supported only for HTTP APIs.")
    key = _child_key(account, region, api_id, "stages", name, None)
    if txn.get(ITEMS, key) is not None:
        raise conflict(f"Stage already exists: {name}")
    if p.get("DeploymentId"):
        get_child(txn, account, region, api_id, "deployments", p["DeploymentId"])
    _check_stage_variables(p.get("StageVariables"))
    doc: dict[str, Any] = {"StageName": name, "CreatedDate": now, "LastUpdatedDate": now,
                           "AutoDeploy": bool(p.get("AutoDeploy")),
                           "DefaultRouteSettings": p.get("DefaultRouteSettings") or {"DetailedMetricsEnabled": False},
                           "RouteSettings": p.get("RouteSettings") or {},
                           "StageVariables": p.get("StageVariables") or {},
                           "Tags": tags.check(p.get("Tags") or {}, TAG_RULES)}
    for k in ("Description", "DeploymentId", "AccessLogSettings", "ClientCertificateId"):
        if p.get(k) is not None:
            doc[k] = p[k]
    if managed:
        doc["ApiGatewayManaged"] = True
    txn.put(ITEMS, key, doc)
    if doc["AutoDeploy"]:
        auto_deploy(txn, account, region, api_id, now, only=name)
    touch(txn, api_id)
    return txn.get(ITEMS, key) or doc


def _check_stage_variables(variables: dict[str, str] | None) -> None:
    for k, v in (variables or {}).items():
        if not re.fullmatch(r"[A-Za-z0-9_]{1,64}", k):
            raise bad_request(f"Stage variable name {k} is invalid. Names may contain only a-zA-Z0-9_ "
                              "and be at most 64 characters long.")
        if not re.fullmatch(r"[A-Za-z0-9\-._~:/?#&=,]{0,2048}", v):
            raise bad_request(f"Stage variable value {v} is invalid. Values may contain only "
                              "A-Za-z0-9-._~:/?#&=, and be at most 2048 characters long.")


def update_stage(txn: Txn, account: str, region: str, api_id: str, p: dict[str, Any], now: float) -> dict[str, Any]:
    name = p["StageName"]
    doc = get_child(txn, account, region, api_id, "stages", name)
    if p.get("DeploymentId"):
        get_child(txn, account, region, api_id, "deployments", p["DeploymentId"])
    _check_stage_variables(p.get("StageVariables"))
    for k in ("Description", "DeploymentId", "AccessLogSettings", "ClientCertificateId", "AutoDeploy"):
        if p.get(k) is not None:
            doc[k] = p[k]
    if p.get("DefaultRouteSettings") is not None:
        doc["DefaultRouteSettings"] = {**doc.get("DefaultRouteSettings", {}), **p["DefaultRouteSettings"]}
    if p.get("RouteSettings") is not None:
        doc["RouteSettings"] = {**doc.get("RouteSettings", {}), **p["RouteSettings"]}
    if p.get("StageVariables") is not None:
        doc["StageVariables"] = {**doc.get("StageVariables", {}), **p["StageVariables"]}
    doc["LastUpdatedDate"] = now
    txn.put(ITEMS, _child_key(account, region, api_id, "stages", name, None), doc)
    if doc["AutoDeploy"] and p.get("AutoDeploy"):
        auto_deploy(txn, account, region, api_id, now, only=name)
    touch(txn, api_id)
    return doc


def delete_stage(txn: Txn, account: str, region: str, api_id: str, name: str) -> None:
    get_child(txn, account, region, api_id, "stages", name)
    txn.delete(ITEMS, _child_key(account, region, api_id, "stages", name, None))
    touch(txn, api_id)


def delete_route_settings(txn: Txn, account: str, region: str, api_id: str, stage: str, route_key: str) -> None:
    doc = get_child(txn, account, region, api_id, "stages", stage)
    if route_key not in (doc.get("RouteSettings") or {}):
        raise not_found(f"Unable to find route settings for route key {route_key}")
    del doc["RouteSettings"][route_key]
    txn.put(ITEMS, _child_key(account, region, api_id, "stages", stage, None), doc)
    touch(txn, api_id)


def snapshot(txn: Txn, account: str, region: str, api_id: str) -> dict[str, Any]:
    """What a deployment freezes: routes (with their responses), integrations (with theirs)
    and authorizers, keyed by id."""
    snap: dict[str, Any] = {}
    for kind in SNAPSHOT_KINDS:
        snap[kind] = {k.rsplit("/", 1)[1]: d for k, d in txn.scan(ITEMS, item_prefix(account, region, api_id, kind))}
    for kind in ("routeresponses", "integrationresponses"):
        out: dict[str, list[dict[str, Any]]] = {}
        for k, d in txn.scan(ITEMS, item_prefix(account, region, api_id, kind)):
            parent = k.rsplit("/", 2)[1]
            out.setdefault(parent, []).append(d)
        snap[kind] = out
    return snap


def _check_deployable(snap: dict[str, Any]) -> None:
    if not snap["routes"]:
        raise bad_request("Unable to deploy API because no routes exist in this API")
    for route in snap["routes"].values():
        target = route.get("Target")
        if target and target.removeprefix("integrations/") not in snap["integrations"]:
            raise bad_request(f"Unable to deploy API: route {route['RouteKey']} targets a missing integration.")


def create_deployment(txn: Txn, account: str, region: str, api_id: str, p: dict[str, Any], now: float,
                      *, auto: bool = False) -> dict[str, Any]:
    get_api(txn, account, region, api_id)
    stage = None
    if p.get("StageName"):
        stage = get_child(txn, account, region, api_id, "stages", p["StageName"])
        if stage.get("AutoDeploy") and not auto:
            raise bad_request(f"Stage {p['StageName']} has AutoDeploy enabled: deployments are created automatically.")
    snap = snapshot(txn, account, region, api_id)
    _check_deployable(snap)
    while True:
        did = new_id(6)
        key = _child_key(account, region, api_id, "deployments", did, None)
        if txn.get(ITEMS, key) is None:
            break
    doc: dict[str, Any] = {"DeploymentId": did, "CreatedDate": now, "DeploymentStatus": "DEPLOYED",
                           "AutoDeployed": auto, "Snapshot": snap}
    if p.get("Description") is not None:
        doc["Description"] = p["Description"]
    txn.put(ITEMS, key, doc)
    if stage is not None:
        stage["DeploymentId"] = did
        stage["LastUpdatedDate"] = now
        if auto:
            stage["LastDeploymentStatusMessage"] = f"Successfully deployed stage with deployment ID '{did}'"
        txn.put(ITEMS, _child_key(account, region, api_id, "stages", stage["StageName"], None), stage)
    touch(txn, api_id)
    return doc


def auto_deploy(txn: Txn, account: str, region: str, api_id: str, now: float, only: str | None = None) -> None:
    """AWS's automatic deployment: each AutoDeploy stage gets a deployment of the API as it is
    now (none while the API has no route: AWS leaves the stage undeployed then)."""
    stages = [d for _, d in txn.scan(ITEMS, item_prefix(account, region, api_id, "stages"))
              if d.get("AutoDeploy") and (only is None or d["StageName"] == only)]
    if not stages:
        return
    snap = snapshot(txn, account, region, api_id)
    try:
        _check_deployable(snap)
    except AwsError as e:
        for stage in stages:
            stage["LastDeploymentStatusMessage"] = f"Deployment attempt failed: {e.message}"
            txn.put(ITEMS, _child_key(account, region, api_id, "stages", stage["StageName"], None), stage)
        return
    for stage in stages:
        create_deployment(txn, account, region, api_id, {"StageName": stage["StageName"]}, now, auto=True)


def public_deployment(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "Snapshot"}


def delete_deployment(txn: Txn, account: str, region: str, api_id: str, did: str) -> None:
    get_child(txn, account, region, api_id, "deployments", did)
    for _, stage in txn.scan(ITEMS, item_prefix(account, region, api_id, "stages")):
        if stage.get("DeploymentId") == did:
            raise bad_request(f"Active stages pointing to this deployment must be moved or deleted: {stage['StageName']}")
    txn.delete(ITEMS, _child_key(account, region, api_id, "deployments", did, None))
    touch(txn, api_id)


# --- tags -------------------------------------------------------------------------------

def _tag_target(txn: Txn, account: str, region: str, resource_arn: str) -> tuple[str, str, dict[str, Any]]:
    """(table, key, doc) of the API or stage `resource_arn` names."""
    f = arns.try_parse(resource_arn)
    parts = f.resource.split("/") if f is not None else []
    if f is None or f.service != "apigateway" or len(parts) < 3 or parts[1] != "apis":
        raise not_found(f"Invalid resource ARN specified {resource_arn}")
    api_id = parts[2]
    if len(parts) == 3:
        doc = txn.get(APIS, api_key(account, f.region or region, api_id))
        if doc is None:
            raise not_found(f"Invalid API identifier specified {account}:{api_id}")
        return APIS, api_key(account, f.region or region, api_id), doc
    if len(parts) == 5 and parts[3] == "stages":
        key = _child_key(account, f.region or region, api_id, "stages", parts[4], None)
        doc = txn.get(ITEMS, key)
        if doc is None:
            raise not_found(f"Invalid stage identifier specified {account}:{parts[4]}")
        return ITEMS, key, doc
    raise not_found(f"Invalid resource ARN specified {resource_arn}")


def tag_resource(txn: Txn, account: str, region: str, resource_arn: str, add: dict[str, str]) -> None:
    table, key, doc = _tag_target(txn, account, region, resource_arn)
    doc["Tags"] = tags.apply(doc.get("Tags") or {}, tags.check(add, TAG_RULES), (), TAG_RULES)
    txn.put(table, key, doc)


def untag_resource(txn: Txn, account: str, region: str, resource_arn: str, keys: Iterable[str]) -> None:
    table, key, doc = _tag_target(txn, account, region, resource_arn)
    doc["Tags"] = tags.apply(doc.get("Tags") or {}, {}, keys, TAG_RULES)
    txn.put(table, key, doc)


def get_tags(txn: Txn, account: str, region: str, resource_arn: str) -> dict[str, str]:
    return dict(_tag_target(txn, account, region, resource_arn)[2].get("Tags") or {})


# --- what the data plane reads ----------------------------------------------------------

def data_plane_view(txn: Txn, api_id: str) -> dict[str, Any] | None:
    """Everything serving API `api_id` needs: {"account", "region", "api", "stages": {name:
    {"stage", "deployment"}}}, or None when there is no such API."""
    home = home_of(txn, api_id)
    if home is None:
        return None
    account, region = home
    api = txn.get(APIS, api_key(account, region, api_id))
    if api is None:
        return None
    stages: dict[str, Any] = {}
    deployments: dict[str, dict[str, Any] | None] = {}
    for _, stage in txn.scan(ITEMS, item_prefix(account, region, api_id, "stages")):
        did = stage.get("DeploymentId")
        if did and did not in deployments:
            deployments[did] = txn.get(ITEMS, _child_key(account, region, api_id, "deployments", did, None))
        dep = deployments.get(did) if did else None
        stages[stage["StageName"]] = {"stage": stage, "snapshot": dep["Snapshot"] if dep else None}
    return {"account": account, "region": region, "api": api, "stages": stages}


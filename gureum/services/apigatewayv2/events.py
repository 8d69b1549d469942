"""Lambda proxy integration of HTTP APIs, sans-IO: the event a function receives (payload
formats 2.0 and 1.0, AWS's exact shapes) and how its answer becomes the HTTP response.

2.0: `version`, `routeKey`, `rawPath`, `rawQueryString`, `cookies` (from Cookie headers, which
leave `headers`), `headers` (lower-case names, repeated ones joined with commas),
`queryStringParameters` (repeated ones joined with commas), `requestContext` (accountId, apiId,
domainName, domainPrefix, http{method, path, protocol, sourceIp, userAgent}, requestId,
routeKey, stage, time, timeEpoch, authorizer when one ran), `pathParameters`, `stageVariables`,
`body`, `isBase64Encoded` (bodies of non-text content types are base64). Absent parts are left
out, as AWS leaves them out.

Answer (2.0): a JSON object with `statusCode` is a response (headers, multiValueHeaders,
cookies -> Set-Cookie, body, isBase64Encoded); any other valid JSON (a bare string, number,
object without statusCode) is a 200 application/json body holding that JSON text. 1.0: the
answer must be an object with `statusCode`. Anything else, and a function error, is AWS's 500
{"message":"Internal Server Error"}.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript",
               "application/x-www-form-urlencoded", "application/graphql", "application/ld+json")


@dataclass
class Incoming:
    """What the gateway knows of a request when it calls an integration."""

    method: str
    raw_path: str  # as the client sent it, stage segment included
    raw_query: str
    headers: list[tuple[str, str]]  # lower-case names, in order
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"
    request_id: str = ""
    account: str = ""
    api_id: str = ""
    domain: str = ""
    stage: str = "$default"
    route_key: str = "$default"
    resource_path: str = ""  # the route's path template (1.0's "resource")
    path_parameters: dict[str, str] = field(default_factory=dict)
    stage_variables: dict[str, str] = field(default_factory=dict)
    authorizer: dict[str, Any] | None = None  # {"jwt": {...}} or {"lambda": context}
    principal_id: str | None = None  # a Lambda authorizer's principalId
    now: float = 0.0
    client_cert: dict[str, Any] | None = None  # mutual TLS: the client's certificate (custom domains)


@dataclass
class Outgoing:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


INTERNAL_ERROR = Outgoing(500, [("content-type", "application/json")], b'{"message":"Internal Server Error"}')


def _is_text(headers: list[tuple[str, str]], body: bytes) -> bool:
    ctype = next((v for k, v in headers if k == "content-type"), "").lower()
    return not body or ctype.startswith(_TEXT_TYPES) or "+json" in ctype or "+xml" in ctype


def _clf_time(now: float) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now))


def _body(req: Incoming) -> tuple[str | None, bool]:
    if not req.body:
        return None, False
    if _is_text(req.headers, req.body):
        try:
            return req.body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(req.body).decode("ascii"), True


def event_v2(req: Incoming) -> dict[str, Any]:
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for k, v in req.headers:
        if k == "cookie":
            cookies += [c.strip() for c in v.split(";") if c.strip()]
            continue
        headers[k] = f"{headers[k]},{v}" if k in headers else v
    query: dict[str, str] = {}
    for k, v in parse_qsl(req.raw_query, keep_blank_values=True):
        query[k] = f"{query[k]},{v}" if k in query else v
    body, b64 = _body(req)
    ctx: dict[str, Any] = {
        "accountId": req.account, "apiId": req.api_id, "domainName": req.domain,
        "domainPrefix": req.domain.split(".", 1)[0],
        "http": {"method": req.method, "path": req.raw_path, "protocol": req.protocol, "sourceIp": req.source_ip,
                 "userAgent": headers.get("user-agent", "")},
        "requestId": req.request_id, "routeKey": req.route_key, "stage": req.stage,
        "time": _clf_time(req.now), "timeEpoch": int(req.now * 1000),
    }
    if req.authorizer is not None:
        ctx["authorizer"] = req.authorizer
    if req.client_cert is not None:
        ctx["authentication"] = {"clientCert": req.client_cert}
    event: dict[str, Any] = {"version": "2.0", "routeKey": req.route_key, "rawPath": req.raw_path,
                             "rawQueryString": req.raw_query}
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = ctx
    if body is not None:
        event["body"] = body
    if req.path_parameters:
        event["pathParameters"] = req.path_parameters
    event["isBase64Encoded"] = b64
    if req.stage_variables:
        event["stageVariables"] = req.stage_variables
    return event


def event_v1(req: Incoming) -> dict[str, Any]:
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for k, v in req.headers:
        headers[k] = v  # 1.0: the last value
        multi_headers.setdefault(k, []).append(v)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for k, v in parse_qsl(req.raw_query, keep_blank_values=True):
        query[k] = v
        multi_query.setdefault(k, []).append(v)
    body, b64 = _body(req)
    ctx: dict[str, Any] = {
        "accountId": req.account, "apiId": req.api_id, "domainName": req.domain,
        "domainPrefix": req.domain.split(".", 1)[0], "extendedRequestId": req.request_id,
        "httpMethod": req.method,
        "identity": {"accessKey": None, "accountId": None, "caller": None, "cognitoAuthenticationProvider": None,
                     "cognitoAuthenticationType": None, "cognitoIdentityId": None, "cognitoIdentityPoolId": None,
                     "principalOrgId": None, "sourceIp": req.source_ip, "user": None,
                     "userAgent": headers.get("user-agent", ""), "userArn": None,
                     **({"clientCert": req.client_cert} if req.client_cert is not None else {})},
        "path": req.raw_path, "protocol": req.protocol, "requestId": req.request_id,
        "requestTime": _clf_time(req.now), "requestTimeEpoch": int(req.now * 1000),
        "resourceId": req.route_key, "resourcePath": req.resource_path or req.route_key, "stage": req.stage,
    }
    if req.authorizer is not None and "jwt" in req.authorizer:
        ctx["authorizer"] = {"claims": req.authorizer["jwt"]["claims"], "scopes": req.authorizer["jwt"]["scopes"]}
    elif req.authorizer is not None and "iam" in req.authorizer:
        iam = req.authorizer["iam"]
        ctx["identity"] = {**ctx["identity"], "accessKey": iam["accessKey"], "accountId": iam["accountId"],
                           "caller": iam["callerId"], "user": iam["userId"], "userArn": iam["userArn"]}
    elif req.authorizer is not None:
        ctx["authorizer"] = {**req.authorizer.get("lambda", {}), "integrationLatency": 0,
                             **({"principalId": req.principal_id} if req.principal_id is not None else {})}
    return {
        "version": "1.0", "resource": req.resource_path or req.route_key, "path": req.raw_path,
        "httpMethod": req.method, "headers": headers, "multiValueHeaders": multi_headers,
        "queryStringParameters": query or None, "multiValueQueryStringParameters": multi_query or None,
        "requestContext": ctx, "pathParameters": req.path_parameters or None,
        "stageVariables": req.stage_variables or None, "body": body, "isBase64Encoded": b64,
    }


def _structured(doc: dict[str, Any]) -> Outgoing | None:
    try:
        status = int(doc["statusCode"])
    except (TypeError, ValueError):
        return None
    if not 100 <= status <= 599:
        return None
    out: list[tuple[str, str]] = []
    headers = doc.get("headers") or {}
    multi = doc.get("multiValueHeaders") or {}
    if not isinstance(headers, dict) or not isinstance(multi, dict):
        return None
    for k, v in headers.items():
        out.append((str(k).lower(), _text(v)))
    for k, values in multi.items():
        if isinstance(values, list):
            out += [(str(k).lower(), _text(v)) for v in values if str(k).lower() not in headers]
    cookies = doc.get("cookies") or []
    if isinstance(cookies, list):
        out += [("set-cookie", str(c)) for c in cookies]
    body = doc.get("body")
    if body is None:
        data = b""
    elif isinstance(body, str):
        if doc.get("isBase64Encoded"):
            try:
                data = base64.b64decode(body, validate=True)
            except ValueError:
                return None
        else:
            data = body.encode("utf-8")
    else:
        data = json.dumps(body).encode()
    if not any(k == "content-type" for k, _ in out):
        out.append(("content-type", "application/json"))
    return Outgoing(status, out, data)


def _text(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v) if isinstance(v, (dict, list)) else str(v).lower() if isinstance(v, bool) else str(v)


def response(payload: bytes, function_error: str | None, version: str) -> Outgoing:
    """The HTTP response for a function's answer under payload format `version`."""
    if function_error:
        return INTERNAL_ERROR
    try:
        doc = json.loads(payload) if payload.strip() else None
    except ValueError:
        return INTERNAL_ERROR
    if isinstance(doc, dict) and "statusCode" in doc:
        return _structured(doc) or INTERNAL_ERROR
    if version == "2.0" and doc is not None:
        return Outgoing(200, [("content-type", "application/json")], payload)
    return INTERNAL_ERROR

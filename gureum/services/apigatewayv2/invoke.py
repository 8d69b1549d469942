"""The execute-api front door for HTTP and WebSocket APIs: requests to
`<api id>.execute-api[.<region>].localhost:<port>` (by Host) and to
`/_aws/execute-api/<api id>/...` on the API port, answered from the API's deployed snapshot.

Order, as AWS answers: an unknown API id, or one whose execute-api endpoint is disabled, is
403 {"message":"Forbidden"}; the stage is the first path segment when a stage of that name
exists, else `$default` (whose URLs carry no stage segment), else 404 {"message":"Not Found"};
a CORS preflight is answered from the API's CorsConfiguration; the route is chosen by
routing.py (none: 404 Not Found); the route's authorizer runs (authorizers.py); the stage's
throttling applies (429); then the integration: Lambda proxy (events.py, through Lambda's
port, after AWS's permission check: permission.py) or HTTP_PROXY (proxy.py); one answering
after its TimeoutInMillis is 504, an unreachable backend 503; the integration's parameter
mapping applies (mapping.py). Every answer carries `apigw-requestid`. WebSocket APIs (upgrade requests, `@connections`) are
websocket.py's.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from gureum.aws import arn as arns
from gureum.http.server import BodyTooLarge, Request, Response
from gureum.services.apigateway import port as domain_store
from gureum.services.apigatewayv2 import cors, events, mapping, observe, permission, proxy, routing
from gureum.services.apigatewayv2.views import views

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.apigatewayv2")

HOST = re.compile(r"(?P<api>[a-z0-9]{10})\.execute-api(?:\.[a-z0-9-]+)?\.(?:localhost|amazonaws\.com)(?::\d+)?")
PATH_PREFIX = "/_aws/execute-api/"
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit
# an integration answering later than its TimeoutInMillis (AWS's knowledge center: 504 for HTTP APIs too)
GATEWAY_TIMEOUT = events.Outgoing(504, [("content-type", "application/json")], b'{"message":"Gateway Timeout"}')


def request_id() -> str:
    """An id shaped like AWS's HTTP API request ids ("JjTZphBrIAMEJqQ=")."""
    return base64.b64encode(secrets.token_bytes(11)).decode("ascii")


def message(status: int, text: str, rid: str, extra: list[tuple[str, str]] | None = None) -> Response:
    body = json.dumps({"message": text}, separators=(",", ":")).encode()
    return Response(status, [("content-type", "application/json"), ("apigw-requestid", rid), *(extra or [])], body)


async def handle_host(app: App, request: Request) -> Response | None:
    m = HOST.fullmatch(request.host.lower())
    if m is None:
        return None
    domain = request.host.lower().rsplit(":", 1)[0] if not request.host.startswith("[") else request.host
    return await serve(app, request, m["api"], request.raw_path, domain)


async def handle_path(app: App, request: Request) -> Response | None:
    rest = request.raw_path[len(PATH_PREFIX):]
    api_id, _, tail = rest.partition("/")
    if not re.fullmatch(r"[a-z0-9]{10}", api_id):
        return message(403, "Forbidden", request_id())
    return await serve(app, request, api_id, "/" + tail, f"{api_id}.execute-api.localhost")


def _stage_of(view: dict[str, Any], raw_path: str) -> tuple[str, str] | None:
    """(stage name, path within the stage) of a request path, or None."""
    first, _, rest = raw_path[1:].partition("/")
    if first and first != "$default" and first in view["stages"]:
        return first, "/" + rest
    if "$default" in view["stages"]:
        return "$default", raw_path
    return None


async def serve(app: App, request: Request, api_id: str, raw_path: str, domain: str,
                routed: tuple[str, str] | None = None) -> Response:
    """`routed`: (stage, path within it) a custom domain's API mapping chose (domain_invoke.py);
    the execute-api endpoint being disabled does not concern it."""
    rid = request_id()
    view = await views(app).get(api_id)
    if view is None or (routed is None and view["api"].get("DisableExecuteApiEndpoint")):
        return message(403, "Forbidden", rid)
    if view["api"]["ProtocolType"] == "WEBSOCKET":
        from gureum.services.apigatewayv2 import websocket

        return await websocket.serve(app, request, view, raw_path if routed is None else f"/{routed[0]}{routed[1]}",
                                     domain, rid)
    record = observe.Served(
        account=view["account"], region=view["region"], api_id=api_id, stage=None, route_key=None,
        method=request.method, path=raw_path, protocol="HTTP/1.1", source_ip=request.client[0],
        user_agent=request.headers.get("user-agent", "") or "", request_id=rid, started=time.time())
    response, stage_doc = await _serve_http(app, request, view, raw_path, domain, rid, record, routed)
    record.status = response.status
    record.response_bytes = len(response.body) if isinstance(response.body, bytes) else 0
    observe.served(app, record, stage_doc)
    return response


async def _serve_http(app: App, request: Request, view: dict[str, Any], raw_path: str, domain: str, rid: str,
                      record: observe.Served, routed: tuple[str, str] | None = None
                      ) -> tuple[Response, dict[str, Any] | None]:
    """The response, and the stage document that served it (None: no stage)."""
    api_id = view["api"]["ApiId"]
    found = _stage_of(view, raw_path) if routed is None else routed if routed[0] in view["stages"] else None
    if found is None:
        return message(404, "Not Found", rid), None
    stage_name, path = found
    record.stage = stage_name
    staged = view["stages"][stage_name]
    stage_doc: dict[str, Any] = staged["stage"]
    snap = staged["snapshot"]
    cors_config = view["api"].get("CorsConfiguration")
    if cors_config and cors.is_preflight(request):
        return cors.preflight(cors_config, request, rid), stage_doc
    if snap is None:
        return message(404, "Not Found", rid), stage_doc
    routes = {r["RouteKey"]: r for r in snap["routes"].values()}
    match = routing.select(routes, request.method, path)
    if match is None:
        return cors.decorate(cors_config, request, message(404, "Not Found", rid)), stage_doc
    record.route_key = match.key
    route = routes[match.key]
    try:
        body = await request.body(limit=MAX_BODY)
    except BodyTooLarge:
        return message(413, "Request Entity Too Large", rid), stage_doc
    record.request_bytes = len(body)
    now = time.time()
    incoming = events.Incoming(
        method=request.method, raw_path=raw_path, raw_query=request.query_string,
        headers=[(k, v) for k, v in request.headers.items()], body=body, source_ip=request.client[0],
        request_id=rid, account=view["account"], api_id=api_id, domain=domain, stage=stage_name,
        route_key=match.key, resource_path=match.key.partition(" ")[2] or match.key,
        path_parameters=match.path_parameters, stage_variables=dict(stage_doc.get("StageVariables") or {}),
        now=now, client_cert=domain_store.client_cert() if routed is not None else None)
    from gureum.services.apigatewayv2 import authorizers, throttle

    denied = await authorizers.authorize(app, view, snap, route, incoming, request)
    if denied is not None:
        return cors.decorate(cors_config, request, _respond(denied, rid)), stage_doc
    if not throttle.admit(app, api_id, stage_doc, match.key, now):
        return cors.decorate(cors_config, request, message(429, "Too Many Requests", rid)), stage_doc
    target = (route.get("Target") or "").removeprefix("integrations/")
    integration = snap["integrations"].get(target)
    if integration is None:
        return cors.decorate(cors_config, request, message(404, "Not Found", rid)), stage_doc
    record.billed = True
    started = time.perf_counter()
    out = await integrate(app, view, stage_name, integration, incoming)
    record.integration_ms = (time.perf_counter() - started) * 1000
    record.integration_status = out.status
    if out is events.INTERNAL_ERROR:
        record.error = "The integration failed"
    return cors.decorate(cors_config, request, _respond(out, rid)), stage_doc


def _respond(out: events.Outgoing, rid: str) -> Response:
    headers = [(k, v) for k, v in out.headers if k not in ("content-length", "transfer-encoding", "connection")]
    headers.append(("apigw-requestid", rid))
    return Response(out.status, headers, out.body)


def source_arn(view: dict[str, Any], stage: str, route_key: str) -> str:
    """The execute-api ARN API Gateway presents when it invokes a function for a route."""
    if route_key.startswith("$"):
        rest = f"{stage}/{route_key}"
    else:
        method, _, path = route_key.partition(" ")
        rest = f"{stage}/{method}{path}"
    return arns.execute_api(view["region"], view["account"], view["api"]["ApiId"], rest)


async def integrate(app: App, view: dict[str, Any], stage: str, integration: dict[str, Any],
                    req: events.Incoming) -> events.Outgoing:
    itype = integration.get("IntegrationType")
    timeout = int(integration.get("TimeoutInMillis") or 30000) / 1000
    if itype == "AWS_PROXY" and integration.get("IntegrationSubtype"):  # AWS service integrations
        from gureum.services.apigatewayv2 import aws_integrations

        out = await aws_integrations.integrate(app, view, integration, req, timeout, GATEWAY_TIMEOUT)
    elif itype == "AWS_PROXY":  # the function may be named through stage variables
        fn = permission.function_arn(_substitute(str(integration.get("IntegrationUri", "")), req))
        out = await invoke_lambda(app, view, stage, integration, fn, req, timeout)
    elif itype == "HTTP_PROXY" and integration.get("ConnectionType") == "VPC_LINK":  # vpclinks.py
        from gureum.services.apigatewayv2.slots import LINKS
        from gureum.services.apigatewayv2.vpclinks import Resolver

        target = await app.parts.lazy(LINKS, lambda: Resolver(app)).pick(
            view["account"], view["region"], str(integration.get("ConnectionId") or ""),
            str(integration.get("IntegrationUri") or ""))
        if target is None:
            return events.INTERNAL_ERROR
        out = await http_proxy(integration, req, timeout, f"{target[0]}://{target[1]}:{target[2]}{req.raw_path}")
    elif itype == "HTTP_PROXY":
        out = await http_proxy(integration, req, timeout)
    else:
        return events.INTERNAL_ERROR
    return mapping.response(integration.get("ResponseParameters"), out, req)


async def invoke_lambda(app: App, view: dict[str, Any], stage: str, integration: dict[str, Any], fn: str,
                        req: events.Incoming, timeout: float) -> events.Outgoing:
    import asyncio

    from gureum.ports import FUNCTIONS, port

    if not integration.get("CredentialsArn") and not await permission.may_invoke(
            app, fn, source_arn=source_arn(view, stage, req.route_key), source_account=view["account"]):
        log.info("API %s: no permission for apigateway.amazonaws.com to invoke %s", view["api"]["ApiId"], fn)
        return events.INTERNAL_ERROR
    version = str(integration.get("PayloadFormatVersion") or "1.0")
    event = events.event_v2(req) if version == "2.0" else events.event_v1(req)
    try:
        async with asyncio.timeout(timeout):
            payload, error = await port(app, FUNCTIONS).invoke(fn, json.dumps(event).encode())
    except TimeoutError:
        return GATEWAY_TIMEOUT
    except Exception as e:  # the function is missing, throttled, failed to start: AWS's 500
        log.info("API %s: invoking %s failed: %s", view["api"]["ApiId"], fn, e)
        return events.INTERNAL_ERROR
    return events.response(payload, error, version)


def _substitute(template: str, req: events.Incoming) -> str:
    out = template
    for k, v in req.path_parameters.items():
        out = out.replace("{" + k + "}", v).replace("{" + k + "+}", v)
    for k, v in req.stage_variables.items():
        out = out.replace("${stageVariables." + k + "}", v)
    return out


async def http_proxy(integration: dict[str, Any], req: events.Incoming, timeout: float,
                     private: str | None = None) -> events.Outgoing:
    """`private`: the URL a VPC link's target answers at (the integration's URI is an ARN)."""
    url = private or _substitute(str(integration.get("IntegrationUri", "")), req)
    headers, query, path = mapping.request(integration.get("RequestParameters"), req)
    if path is not None:
        parts = urlsplit(url)
        url = urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
    if query:
        url += ("&" if "?" in url else "?") + query
    method = str(integration.get("IntegrationMethod") or "ANY")
    method = req.method if method == "ANY" else method
    headers = [(k, v) for k, v in headers if k != "host"]
    headers.append(("x-forwarded-for", req.source_ip))
    try:
        status, out_headers, body = await proxy.request(method, url, headers, req.body, timeout)
    except TimeoutError:
        log.info("HTTP_PROXY %s timed out", url)
        return GATEWAY_TIMEOUT
    except proxy.BackendError as e:
        log.info("HTTP_PROXY %s failed: %s", url, e)
        return events.Outgoing(503, [("content-type", "application/json")], b'{"message":"Service Unavailable"}')
    return events.Outgoing(status, out_headers, body)

"""execute-api's front door for REST APIs: `http://<api id>.execute-api.localhost:<port>/<stage>/<path>`
(the manifest's host route, any Region label, amazonaws.com too) and
`/_aws/execute-api/<api id>/<stage>/<path>` on the API port (the edge route). An id that is no
REST API answers None: the request passes on to apigatewayv2's handler (HTTP and WebSocket
APIs), which answers unknown ids.

A request is served from the stage's deployment (directory.py's cache): an unknown stage
is AWS's 403 {"message":"Forbidden"}, a path or method the deployment lacks its 403
{"message":"Missing Authentication Token"}; the matched method's integration runs (Lambda
proxy: proxy.py's event and answer rules, lambda_invoke.py's permission check; the others:
integrations.py). Every answer carries x-amzn-RequestId and x-amz-apigw-id,
errors x-amzn-ErrorType. Each request is its own task on the listener: a slow function holds
only its own caller.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import secrets
import time
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.http.server import BodyTooLarge, Response
from gureum.services.apigateway import (
    access_log,
    caching,
    https_domains,
    iam_auth,
    integrations,
    lambda_invoke,
    metering,
    proxy,
    validation,
    vtl,
)
from gureum.services.apigateway.access import Access
from gureum.services.apigateway.directory import Directory, Served
from gureum.services.apigateway.integrations import Failure as _Failure
from gureum.services.apigateway.manifest import CUSTOM_DOMAIN_HOST, EXECUTE_API_HOST
from gureum.services.apigateway.router import Match
from gureum.services.apigateway.slots import ACCESS, CACHES, DIRECTORY

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.http.server import Request

Doc = dict[str, Any]
log = logging.getLogger("gureum.apigateway")
_HOST = re.compile(EXECUTE_API_HOST)
_DOMAIN = re.compile(CUSTOM_DOMAIN_HOST)
PATH_PREFIX = "/_aws/execute-api/"
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit


FORBIDDEN = (403, "ForbiddenException", "Forbidden")
MISSING_TOKEN = (403, "MissingAuthenticationTokenException", "Missing Authentication Token")
INTERNAL = (500, "InternalServerErrorException", "Internal server error")
BAD_GATEWAY = (502, "InternalServerErrorException", "Internal server error")
TIMEOUT = (504, "InternalServerErrorException", "Endpoint request timed out")


def _ids() -> tuple[str, str]:
    request_id = str(uuid.uuid4())
    apigw_id = base64.b64encode(secrets.token_bytes(12)).decode()[:16].replace("/", "A").replace("+", "B")
    return request_id, apigw_id


def _error(status: int, kind: str, message: str | None, request_id: str, apigw_id: str,
           key: str = "message") -> Response:
    return Response(status, [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id),
                             ("x-amzn-ErrorType", kind), ("x-amz-apigw-id", apigw_id)],
                    json.dumps({key: message}).encode())


async def handle_host(app: App, request: Request) -> Response | None:
    m = _HOST.fullmatch(request.host.lower())
    if m is None:
        return None
    return await _serve(app, request, m.group("api"), request.raw_path, stage_in_path=True)


async def handle_domain(app: App, request: Request) -> Response | None:
    """A custom domain name (the Host header without its port): the longest base path mapping
    that prefixes the path picks the API and stage (a mapping without a stage takes the
    stage from the next path segment). A mapping to an HTTP API passes the request on
    (apigatewayv2's domain_invoke.py); a domain with mutual TLS answers only what came
    through the HTTPS listener with a client certificate (https_domains.py): else 403."""
    found = _DOMAIN.fullmatch(request.host.lower())
    if found is None:
        return None
    host = found.group("domain")
    directory = app.parts.lazy(DIRECTORY, lambda: Directory(app))
    mappings = await directory.domain(host)
    if mappings is None:
        return None
    if await https_domains.needs_client_cert(app, host):  # mutual TLS: only through the HTTPS listener
        request_id, apigw_id = _ids()
        return _error(*FORBIDDEN, request_id, apigw_id)
    segments = [s for s in request.raw_path.split("/") if s]
    best: Doc | None = None
    for m in mappings:
        base = [] if m["basePath"] == "(none)" else m["basePath"].split("/")
        if segments[:len(base)] == base and (best is None or len(base) > best["_n"]):
            best = {**m, "_n": len(base)}
    if best is None:
        request_id, apigw_id = _ids()
        return _error(*FORBIDDEN, request_id, apigw_id)
    rest = segments[best["_n"]:]
    stage = best.get("stage")
    path = "/" + "/".join(([stage] if stage else []) + rest)
    return await _serve(app, request, best["restApiId"], path, stage_in_path=False, domain=host)


async def handle_path(app: App, request: Request) -> Response | None:
    rest = request.raw_path[len(PATH_PREFIX):]
    api_id, _, tail = rest.partition("/")
    return await _serve(app, request, api_id, "/" + tail, stage_in_path=True)


async def _serve(app: App, request: Request, api_id: str, raw_path: str, *, stage_in_path: bool,
                 domain: str | None = None) -> Response | None:
    directory = app.parts.lazy(DIRECTORY, lambda: Directory(app))
    owner = await directory.owner(api_id) if re.fullmatch(r"[a-z0-9]{10}", api_id) else None
    if owner is None:
        return None  # not a REST API: apigatewayv2's (or nobody's)
    account, region = owner
    started = time.time()
    request_id, apigw_id = _ids()
    stage_name, _, rest = raw_path.lstrip("/").partition("/")
    served = await directory.stage(account, region, api_id, stage_name) if stage_name else None
    if served is not None:
        served = served.pick()
    integration_ms: float | None = None
    call: proxy.Call | None = None
    error: str | None = None
    try:
        if served is None:
            raise _Failure(*FORBIDDEN)
        path = "/" + rest
        match = served.tree.match(path, request.method)
        if match is None:
            raise _Failure(*MISSING_TOKEN, response_type="MISSING_AUTHENTICATION_TOKEN")
        try:
            body = await request.body(limit=MAX_BODY)
        except BodyTooLarge:
            raise _Failure(413, "RequestEntityTooLargeException", "Request Too Long",
                           response_type="REQUEST_TOO_LARGE") from None
        call = _call(request, served, match, api_id, stage_name, path, body, request_id, apigw_id, started)
        call.stage_in_path = stage_in_path
        if domain is not None:
            call.domain_name = domain
            peer = https_domains.PEER.get()
            call.client_cert = peer.client_cert if peer is not None else None
        await _admit(app, served, match, call, request)
        t0 = time.monotonic()
        try:
            caches = app.parts.lazy(CACHES, lambda: caching.StageCaches(app))
            response = await caching.serve(app, caches, served, match, call, request,
                                           lambda: integrate(app, served, match, call))
        finally:
            integration_ms = (time.monotonic() - t0) * 1000
        response.headers += [("x-amzn-RequestId", request_id), ("x-amz-apigw-id", apigw_id)]
    except _Failure as f:
        response = _failure(f, served, request_id, apigw_id)
        error = f.message
    except Exception:  # a bug of ours: logged, and answered as API Gateway answers its own failures
        log.exception("execute-api request %s failed", request_id)
        response = _failure(_Failure(*INTERNAL), served, request_id, apigw_id)
        error = "Internal server error"
    if served is not None:
        latency = (time.time() - started) * 1000
        metering.served(app, account, region, api_id, served.api.get("name", ""), stage_name, response.status,
                        latency, integration_ms)
        if served.stage.get("accessLogSettings"):
            context = proxy.request_context(call) if call is not None else {
                "requestId": request_id, "extendedRequestId": apigw_id, "apiId": api_id, "stage": stage_name,
                "httpMethod": request.method, "path": raw_path, "requestTime": proxy.request_time(started),
                "requestTimeEpoch": int(started * 1000), "identity": {"sourceIp": request.client[0]}}
            size = len(response.body) if isinstance(response.body, bytes) else None
            access_log.write(app, served.stage, {**context, "status": response.status, "responseLength": size,
                                                 "responseLatency": int(latency), "error": {"message": error},
                                                 "integrationLatency": None if integration_ms is None else int(integration_ms)})
    return response


async def _admit(app: App, served: Served, match: Match, call: proxy.Call, request: Request) -> None:
    """Stage throttling, the method's authorization, its API key and usage plan, request
    validation: each refusal is AWS's answer (access.py, validation.py)."""
    access = app.parts.lazy(ACCESS, lambda: Access(app))
    method = match.method
    verb = str(method["httpMethod"])
    access.stage_throttle(served, call, match.resource["path"], verb)
    kind = method.get("authorizationType", "NONE")
    method_arn = arns.execute_api_method(call.region, call.account, call.api_id, call.stage, call.http_method, call.path)
    if kind == "CUSTOM":
        call.authorizer = await access.authorize(served, method, call, method_arn)
    elif kind == "COGNITO_USER_POOLS":
        call.authorizer = await access.authorize_cognito(served, method, call)
    elif kind == "AWS_IAM":
        await iam_auth.authorize(app, request, call, method_arn)
    elif kind != "NONE":
        raise _Failure(501, "NotImplemented", f"gureum does not implement {kind} authorization of REST API methods yet")
    if method.get("apiKeyRequired"):
        if (served.api.get("apiKeySource") or "HEADER") == "AUTHORIZER":
            value = (call.authorizer or {}).get("usageIdentifierKey")
        else:
            value = request.headers.get("x-api-key")
        key, plan = await access.check_key(served, call, value)
        await access.meter(plan, key, call, f"{match.resource['path']}/{verb}")
    validation.check(served.deployment["snapshot"], method, call)


def _failure(f: _Failure, served: Served | None, request_id: str, apigw_id: str) -> Response:
    """API Gateway's own answer, restyled by the deployed gateway response of its type (or
    the API's DEFAULT_4XX/DEFAULT_5XX) when one was put."""
    responses = (served.deployment["snapshot"].get("gatewayResponses") or {}) if served is not None else {}
    custom = responses.get(f.response_type) or responses.get("DEFAULT_5XX" if f.status >= 500 else "DEFAULT_4XX")
    message: str | None = f.message or None
    if custom is None:
        return _error(f.status, f.kind, message, request_id, apigw_id, f.message_key)
    status = int(custom.get("statusCode") or f.status)
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", f.kind),
               ("x-amz-apigw-id", apigw_id)]
    for target, value in (custom.get("responseParameters") or {}).items():
        if target.startswith("gatewayresponse.header.") and len(value) >= 2 and value[0] == value[-1] == "'":
            headers.append((target[len("gatewayresponse.header."):], value[1:-1]))
    template = (custom.get("responseTemplates") or {}).get("application/json")
    if template is None:
        return Response(status, headers, json.dumps({f.message_key: message}).encode())
    context = {"error": {"message": message, "messageString": json.dumps(message), "responseType": f.response_type},
               "requestId": request_id, "extendedRequestId": apigw_id}
    try:
        body = vtl.render(template, body="", params={}, context=context, stage_variables={})
    except vtl.TemplateError:
        body = json.dumps({f.message_key: message})
    return Response(status, headers, body.encode())


def _call(request: Request, served: Served, match: Match, api_id: str, stage: str, path: str, body: bytes,
          request_id: str, apigw_id: str, started: float) -> proxy.Call:
    host = request.host.split(":", 1)[0] or "localhost"
    return proxy.Call(
        account=served.account, region=served.region, api_id=api_id, stage=stage,
        deployment_id=served.deployment["id"], http_method=request.method, path=unquote(path), resource_id=match.resource["id"], resource_path=match.resource["path"],
        headers=request.headers.items(), query=parse_qsl(request.query_string, keep_blank_values=True),
        path_parameters=match.path_parameters, stage_variables=dict(served.stage.get("variables") or {}),
        body=body, source_ip=request.client[0], domain_name=host, request_id=request_id, extended_request_id=apigw_id,
        binary_media_types=list(served.api.get("binaryMediaTypes") or []), started=started,
        client_certificate_id=served.stage.get("clientCertificateId") or None)


async def integrate(app: App, served: Served, match: Match, call: proxy.Call) -> Response:
    """Run the matched method's integration for `call` (also TestInvokeMethod's)."""
    integration = match.method.get("methodIntegration") or {}
    kind = integration.get("type")
    timeout = int(integration.get("timeoutInMillis") or 29000) / 1000
    try:
        if kind == "AWS_PROXY":
            return await asyncio.wait_for(_lambda_proxy(app, served, match, call, integration), timeout)
        return await asyncio.wait_for(integrations.run(app, call, match.method, integration, call.headers,
                                                       timeout), timeout)
    except TimeoutError:
        raise _Failure(*TIMEOUT, response_type="INTEGRATION_TIMEOUT") from None


async def _lambda_proxy(app: App, served: Served, match: Match, call: proxy.Call, integration: Doc) -> Response:
    fn_arn = lambda_invoke.function_arn(str(integration.get("uri") or ""), call.stage_variables)
    if fn_arn is None:
        raise _Failure(*INTERNAL)
    if not integration.get("credentials"):
        source = arns.execute_api_method(call.region, call.account, call.api_id, call.stage, call.http_method,
                                  match.resource["path"])
        if not await lambda_invoke.may_invoke(app, fn_arn, source, call.account):
            raise _Failure(*INTERNAL)
    payload = json.dumps(proxy.event(call)).encode()
    try:
        result, function_error = await lambda_invoke.invoke(app, fn_arn, payload)
    except AwsError:
        raise _Failure(*INTERNAL) from None
    if function_error is not None:
        raise _Failure(*BAD_GATEWAY)
    try:
        accept = next((v for k, v in call.headers if k.lower() == "accept"), None)
        answer = proxy.answer(result, accept, call.binary_media_types)
    except proxy.Malformed:
        raise _Failure(*BAD_GATEWAY) from None
    return Response(answer.status, list(answer.headers), answer.body)

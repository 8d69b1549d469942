"""WebSocket routes' integrations other than Lambda proxy: HTTP_PROXY (the message is the
body of one request to IntegrationUri with IntegrationMethod, the backend's answer is the
integration's), and the non-proxy HTTP and MOCK with data mapping (ws_mapping.py): the
request template (VTL through REST API Gateway's renderer, apigateway/port.py) turns the
message into the integration request — for MOCK, a `{"statusCode": N}` it renders is the
mock's status (200 when it names none) and the mock answers an empty body; the integration
response its IntegrationResponseSelectionExpression picks renders the answer with its
ResponseTemplates. A two-way route (one with a route response) sends that answer back as a
frame (websocket.py).

Failures as AWS answers them: a template that does not render is a 500 (the client gets
"Internal server error"), a message PassthroughBehavior refuses a 415 ("Unsupported Media
Type"), an unreachable backend 503, one answering after TimeoutInMillis 504.

AWS integrations: a Lambda function (its ARN or API Gateway's invocation URI) invoked with the
rendered template (the permission check of Lambda proxy integrations unless CredentialsArn is
set; its result is the integration's answer), or a JSON service's action
(`arn:aws:apigateway:<region>:dynamodb:action/<Operation>`) run as the CredentialsArn role
through REST API Gateway's service actions. Other AWS integrations (SQS/SNS/Kinesis paths)
answer 500 and log why."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from gureum.services.apigateway import port as rest_port
from gureum.services.apigatewayv2 import events, proxy, ws_mapping

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.apigatewayv2.websocket")

UNSUPPORTED = events.Outgoing(415, [("content-type", "application/json")], b'{"message":"Unsupported Media Type"}')
UNAVAILABLE = events.Outgoing(503, [("content-type", "application/json")], b'{"message":"Service Unavailable"}')
LATE = events.Outgoing(504, [("content-type", "application/json")], b'{"message":"Gateway Timeout"}')
KINDS = ("HTTP_PROXY", "HTTP", "MOCK", "AWS")


def values(event: dict[str, Any], stage_variables: dict[str, str]) -> ws_mapping.Values:
    """What the route's expressions read, from the event a Lambda proxy would have received."""
    return ws_mapping.Values(body=str(event.get("body") or ""), context=dict(event.get("requestContext") or {}),
                             stage_variables=stage_variables, headers=dict(event.get("headers") or {}),
                             query=dict(event.get("queryStringParameters") or {}))


def _render(template: str, v: ws_mapping.Values, body: str, extra: dict[str, Any] | None = None) -> str:
    return rest_port.render_template(template, body=body, context=v.context, stage_variables=v.stage_variables,
                                     extra=extra)


async def run(app: App, view: dict[str, Any], snap: dict[str, Any], integration: dict[str, Any],
              event: dict[str, Any], stage_variables: dict[str, str]) -> events.Outgoing:
    """The answer of a HTTP_PROXY, HTTP, MOCK or AWS integration to one route request."""
    kind = integration.get("IntegrationType")
    v = values(event, stage_variables)
    timeout = int(integration.get("TimeoutInMillis") or 29000) / 1000
    if kind == "HTTP_PROXY":
        return await _http(integration, v.body.encode(), [("content-type", "application/json")], [], timeout)
    if kind not in ("HTTP", "MOCK", "AWS"):
        return events.INTERNAL_ERROR
    try:
        template = ws_mapping.request_template(integration, v)
        payload = v.body if template is None else _render(template, v, v.body)
    except ws_mapping.NoTemplate:
        return UNSUPPORTED
    except rest_port.TemplateError as e:
        log.info("API %s: request template failed: %s", view["api"]["ApiId"], e)
        return events.INTERNAL_ERROR
    if kind == "AWS":
        out = await _aws(app, view, integration, payload, v, timeout)
        if out is events.INTERNAL_ERROR or out is LATE:
            return out
    elif kind == "MOCK":
        doc = ws_mapping.parse_json(payload) if payload.strip() else None
        status = doc.get("statusCode", 200) if isinstance(doc, dict) else 200
        out = events.Outgoing(int(status) if isinstance(status, int) or str(status).isdigit() else 500, [], b"")
    else:
        headers, query = ws_mapping.request_parameters(integration.get("RequestParameters"), v)
        if not any(k == "content-type" for k, _ in headers):
            headers.append(("content-type", "application/json"))
        out = await _http(integration, payload.encode(), headers, query, timeout)
        if out is UNAVAILABLE or out is LATE:
            return out
    return _respond(view, snap, integration, out, v)


async def _aws(app: App, view: dict[str, Any], integration: dict[str, Any], payload: str, v: ws_mapping.Values,
               timeout: float) -> events.Outgoing:
    """An AWS integration: a Lambda function invoked with the rendered request (its result is
    the answer; a function error is 500), or a JSON service's action run as the integration's
    role (apigateway/port.py's run_service_action). Anything else is AWS's 500."""
    import asyncio

    from gureum.aws import arn as arns
    from gureum.services.apigatewayv2 import permission

    uri = str(integration.get("IntegrationUri") or "")
    api_id = view["api"]["ApiId"]
    fn = permission.function_arn(uri)
    role = str(integration.get("CredentialsArn") or "")
    if arns.service_of(fn) == "lambda":
        from gureum.ports import FUNCTIONS, port

        source = arns.execute_api(view["region"], view["account"], api_id, f"{v.context.get('stage')}/{v.context.get('routeKey')}")
        if not role and not await permission.may_invoke(app, fn, source_arn=source, source_account=view["account"]):
            log.info("API %s: no permission for apigateway.amazonaws.com to invoke %s", api_id, fn)
            return events.INTERNAL_ERROR
        try:
            async with asyncio.timeout(timeout):
                result, error = await port(app, FUNCTIONS).invoke(fn, payload.encode())
        except TimeoutError:
            return LATE
        except Exception as e:  # missing, throttled: an integration failure
            log.info("API %s: invoking %s failed: %s", api_id, fn, e)
            return events.INTERNAL_ERROR
        return events.INTERNAL_ERROR if error else events.Outgoing(200, [], result)
    target = arns.try_parse(uri)
    service = target.account if target is not None else ""  # arn:aws:apigateway:<region>:<service>:action/<Op>
    if target is None or service not in rest_port.json_action_services() or not target.resource.startswith("action/"):
        log.info("API %s: AWS integration %s is not served for WebSocket APIs", api_id, uri)
        return events.INTERNAL_ERROR
    caller = await rest_port.role_caller(app, view["account"], target.region or view["region"], role) if role else None
    if caller is None:
        log.info("API %s: API Gateway cannot assume %r", api_id, role)
        return events.INTERNAL_ERROR
    try:
        async with asyncio.timeout(timeout):
            status, body = await rest_port.run_service_action(app, caller, service, target.resource.split("/", 1)[1], payload)
    except TimeoutError:
        return LATE
    return events.Outgoing(status, [("content-type", "application/x-amz-json-1.0")], body)


async def _http(integration: dict[str, Any], body: bytes, headers: list[tuple[str, str]],
                query: list[tuple[str, str]], timeout: float) -> events.Outgoing:
    from urllib.parse import urlencode

    url = str(integration.get("IntegrationUri") or "")
    if query:
        url += ("&" if "?" in url else "?") + urlencode(query)
    method = str(integration.get("IntegrationMethod") or "POST")
    try:
        status, out_headers, data = await proxy.request(method, url, headers, body, timeout)
    except TimeoutError:
        return LATE
    except proxy.BackendError as e:
        log.info("WebSocket integration %s failed: %s", url, e)
        return UNAVAILABLE
    return events.Outgoing(status, out_headers, data)


def _respond(view: dict[str, Any], snap: dict[str, Any], integration: dict[str, Any], out: events.Outgoing,
             v: ws_mapping.Values) -> events.Outgoing:
    """`out` after the integration response that matches it."""
    responses = list((snap.get("integrationresponses") or {}).get(str(integration.get("IntegrationId")), []))
    answered = ws_mapping.Values(body=out.body.decode("utf-8", "replace"), context=v.context,
                                 stage_variables=v.stage_variables, status=out.status)
    chosen = ws_mapping.select_response(responses, integration, answered)
    if chosen is None:
        return out
    template = ws_mapping.response_template(chosen, answered)
    if template is None:
        return out
    try:
        rendered = _render(template, answered, answered.body,
                           {"integration": {"response": {"statuscode": out.status}}})
    except rest_port.TemplateError as e:
        log.info("API %s: response template failed: %s", view["api"]["ApiId"], e)
        return events.INTERNAL_ERROR
    return events.Outgoing(out.status, [], rendered.encode())


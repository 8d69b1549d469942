"""Non-proxy integrations and HTTP_PROXY: MOCK, AWS (Lambda, SQS SendMessage, SNS Publish,
DynamoDB's operations through service_actions.py),
HTTP and HTTP_PROXY (to https backends with the stage's client certificate: client_certs.py;
through a VPC link's load balancer with connectionType VPC_LINK: vpclink_resolver.py).
A non-proxy request is mapped (mapping.py: parameters, the request
template rendered by vtl.py), sent to its backend, and the backend's answer selects an
integration response whose template and header mappings make the method response; no
integration response to select is AWS's 500. AWS service integrations act with the
integration's credentials (a role, service_auth.py): without them, or when the role may not
do the action, AWS's 500.
Raised `Failure`s are API Gateway's own answers (gateway.py writes them)."""

from __future__ import annotations

import json
import re
import ssl
import uuid
from dataclasses import dataclass
from hashlib import md5
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlencode

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.http.server import Response
from gureum.ports import QUEUES, TOPICS, port
from gureum.services.apigateway import (
    client_certs,
    http_client,
    lambda_invoke,
    mapping,
    proxy,
    service_actions,
    service_auth,
    vpclink_resolver,
    vtl,
)
from gureum.services.apigateway.slots import CLIENT_CONTEXTS

if TYPE_CHECKING:
    from gureum.app import App

Doc = dict[str, Any]
_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization",
        "proxy-authenticate", "content-length", "host"}


class Failure(Exception):
    """An answer API Gateway gives itself: status, x-amzn-ErrorType, message, and the gateway
    response type that may restyle it (authorizers.DEFAULTS)."""

    def __init__(self, status: int, kind: str, message: str, *, response_type: str | None = None,
                 message_key: str = "message") -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message
        self.response_type = response_type or ("DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX")
        self.message_key = message_key


INTERNAL = (500, "InternalServerErrorException", "Internal server error")
UNSUPPORTED = (415, "UnsupportedMediaTypeException", "Unsupported Media Type")


@dataclass(frozen=True)
class Backend:
    """What the backend answered: the selector matched against selectionPatterns (None:
    only the default response applies), the status, headers and body."""

    selector: str | None
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _with_path(uri: str, path_params: dict[str, str]) -> str:
    return re.sub(r"\{([^}+]+)\+?\}", lambda m: path_params.get(m.group(1), m.group(0)), uri)


def _with_query(url: str, query: list[tuple[str, str]]) -> str:
    if not query:
        return url
    return url + ("&" if "?" in url else "?") + urlencode(query)


async def run(app: App, call: proxy.Call, method: Doc, integration: Doc, request_headers: list[tuple[str, str]],
              timeout: float) -> Response:
    kind = integration.get("type")
    context = proxy.request_context(call)
    params = mapping.method_params(call.path_parameters, call.query, call.headers)
    mapped = mapping.integration_params(integration.get("requestParameters"), params, call.stage_variables, context)
    if kind == "HTTP_PROXY":
        return await _http_proxy(app, call, integration, mapped, timeout)
    content_type = next((v for k, v in call.headers if k.lower() == "content-type"), None)
    try:
        template = mapping.request_template(integration, content_type)
    except mapping.UnsupportedMediaType:
        raise Failure(*UNSUPPORTED, response_type="UNSUPPORTED_MEDIA_TYPE") from None
    raw = call.body.decode("utf-8", errors="replace")
    try:
        payload = raw if template is None else vtl.render(template, body=raw, params=params, context=context,
                                                          stage_variables=call.stage_variables)
    except vtl.TemplateError:
        raise Failure(*INTERNAL) from None
    if kind == "MOCK":
        backend = _mock(payload)
    elif kind == "HTTP":
        backend = await _http(app, integration, mapped, payload.encode(), call, timeout)
    elif kind == "AWS":
        backend = await _aws(app, call, integration, mapped, payload)
    else:
        raise Failure(*INTERNAL)
    return _respond(integration, backend, call, context, params)


def _respond(integration: Doc, backend: Backend, call: proxy.Call, context: Doc, params: mapping.Params) -> Response:
    chosen = (mapping.select_response(integration.get("integrationResponses"), backend.selector)
              if backend.selector is not None else
              mapping.select_response({k: v for k, v in (integration.get("integrationResponses") or {}).items()
                                       if not v.get("selectionPattern")}, ""))
    if chosen is None:
        raise Failure(*INTERNAL)
    text = backend.body.decode("utf-8", errors="replace")
    template = mapping.response_template(chosen)
    try:
        body = text if template is None else vtl.render(template, body=text, params=params, context=context,
                                                        stage_variables=call.stage_variables)
    except vtl.TemplateError:
        raise Failure(*INTERNAL) from None
    headers = mapping.response_headers(chosen, backend.headers, text)
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return Response(int(chosen["statusCode"]), headers, body.encode())


def _mock(payload: str) -> Backend:
    try:
        doc = json.loads(payload) if payload.strip() else {}
    except ValueError:
        raise Failure(*INTERNAL) from None
    status = doc.get("statusCode", 200) if isinstance(doc, dict) else 200
    try:
        status = int(status)
    except (TypeError, ValueError):
        raise Failure(*INTERNAL) from None
    return Backend(str(status), status, [], b"")


async def _tls(app: App, call: proxy.Call, integration: Doc, url: str) -> ssl.SSLContext | None:
    """An https backend's context: the stage's client certificate presented, the backend's
    certificate verified unless the integration's tlsConfig.insecureSkipVerification."""
    if not url.lower().startswith("https:"):
        return None
    contexts = app.parts.lazy(CLIENT_CONTEXTS, lambda: client_certs.Contexts(app))
    verify = not bool((integration.get("tlsConfig") or {}).get("insecureSkipVerification"))
    return await contexts.context(call.account, call.region, call.client_certificate_id, verify)


async def _connect(app: App, call: proxy.Call, integration: Doc, url: str) -> tuple[str, int] | None:
    """A VPC_LINK integration's load balancer listener (vpclink_resolver.py); None otherwise."""
    if integration.get("connectionType") != "VPC_LINK":
        return None
    found = await vpclink_resolver.connect_to(app, call.account, call.region, integration, call.stage_variables, url)
    if found is None:
        raise Failure(*INTERNAL)
    return found


async def _http(app: App, integration: Doc, mapped: mapping.Params, body: bytes, call: proxy.Call,
                timeout: float) -> Backend:
    url = _with_query(_with_path(lambda_invoke.substitute(str(integration["uri"]), call.stage_variables),
                                 {k: quote(v, safe="") for k, v in mapped["path"].items()}),
                      list(mapped["querystring"].items()))
    headers = list(mapped["header"].items())
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", "application/json"))
    try:
        answer = await http_client.request(str(integration.get("httpMethod") or "GET"), url, headers, body, timeout,
                                           await _tls(app, call, integration, url), await _connect(app, call, integration, url))
    except http_client.HttpFailure:
        raise Failure(*INTERNAL) from None
    return Backend(str(answer.status), answer.status, answer.headers, answer.body)


async def _http_proxy(app: App, call: proxy.Call, integration: Doc, mapped: mapping.Params, timeout: float) -> Response:
    url = _with_path(lambda_invoke.substitute(str(integration["uri"]), call.stage_variables),
                     {k: quote(v, safe="/") for k, v in mapped["path"].items()})
    url = _with_query(url, [*call.query, *mapped["querystring"].items()])
    headers = [(k, v) for k, v in call.headers if k.lower() not in _HOP] + list(mapped["header"].items())
    verb = call.http_method if integration.get("httpMethod") in (None, "ANY") else str(integration["httpMethod"])
    try:
        answer = await http_client.request(verb, url, headers, call.body, timeout, await _tls(app, call, integration, url),
                                           await _connect(app, call, integration, url))
    except http_client.HttpFailure:
        raise Failure(*INTERNAL) from None
    return Response(answer.status, [(k, v) for k, v in answer.headers if k.lower() not in _HOP], answer.body)


def _form(payload: str, mapped: mapping.Params) -> dict[str, str]:
    found = dict(parse_qsl(payload, keep_blank_values=True)) if "=" in payload else {}
    found.update(mapped["querystring"])
    return found


async def _aws(app: App, call: proxy.Call, integration: Doc, mapped: mapping.Params, payload: str) -> Backend:
    uri = lambda_invoke.substitute(str(integration.get("uri") or ""), call.stage_variables)
    fn = lambda_invoke.function_arn(uri, call.stage_variables)
    if fn is not None:
        return await _lambda(app, call, integration, fn, payload)
    target = arns.try_parse(uri)
    if target is None or not integration.get("credentials"):
        raise Failure(*INTERNAL)  # AWS: "Unable to determine service/operation name to be authorized"
    service, resource = target.account, target.resource
    request_id = str(uuid.uuid4())
    if service in service_actions.JSON_SERVICES:
        caller = await service_auth.caller(app, call.account, call.region, str(integration["credentials"]))
        if caller is None or not resource.startswith("action/"):
            raise Failure(*INTERNAL)  # AWS: API Gateway cannot assume the role / no action to call
        status, answer = await service_actions.run(app, caller, service, resource.split("/", 1)[1], payload)
        return Backend(str(status), status, [("Content-Type", "application/x-amz-json-1.0")], answer)
    form = _form(payload, mapped)
    if service == "sqs":
        parts = resource.split("/")
        if len(parts) != 3 or parts[0] != "path" or form.get("Action", "SendMessage") != "SendMessage":
            raise Failure(*INTERNAL)
        body = form.get("MessageBody")
        if body is None:
            return _aws_error("MissingParameter", "The request must contain the parameter MessageBody.", request_id)
        queue = arns.sqs_queue(target.region, parts[1], parts[2])
        if not await service_auth.allowed(app, call.account, call.region, str(integration["credentials"]),
                                          "sqs:SendMessage", queue):
            raise Failure(*INTERNAL)  # AWS: "Execution failed due to configuration error" / AccessDenied
        try:
            message_id = await port(app, QUEUES).send(queue, body, sender=str(integration["credentials"]))
        except AwsError as e:
            return _aws_error(e.code, e.message, request_id, e.status)
        doc = {"SendMessageResponse": {"SendMessageResult": {
            "MD5OfMessageAttributes": None, "MD5OfMessageBody": md5(body.encode()).hexdigest(), "MessageId": message_id,
            "SequenceNumber": None}, "ResponseMetadata": {"RequestId": request_id}}}
        return Backend("200", 200, [("Content-Type", "application/json")], json.dumps(doc).encode())
    if service == "sns":
        action = resource.split("/", 1)[1] if resource.startswith("action/") else form.get("Action")
        if action != "Publish":
            raise Failure(*INTERNAL)
        topic, message = form.get("TopicArn") or form.get("TargetArn"), form.get("Message")
        if not topic or message is None:
            return _aws_error("ValidationError", "1 validation error detected: Value null at 'message' failed to "
                              "satisfy constraint: Member must not be null", request_id)
        if not await service_auth.allowed(app, call.account, call.region, str(integration["credentials"]),
                                          "sns:Publish", topic):
            raise Failure(*INTERNAL)
        try:
            message_id = await port(app, TOPICS).publish(topic, message, subject=form.get("Subject"))
        except AwsError as e:
            return _aws_error(e.code, e.message, request_id, e.status)
        doc = {"PublishResponse": {"PublishResult": {"MessageId": message_id, "SequenceNumber": None},
                                   "ResponseMetadata": {"RequestId": request_id}}}
        return Backend("200", 200, [("Content-Type", "application/json")], json.dumps(doc).encode())
    raise Failure(*INTERNAL)


def _aws_error(code: str, message: str, request_id: str, status: int = 400) -> Backend:
    doc = {"Error": {"Code": code, "Message": message, "Type": "Sender"}, "RequestId": request_id}
    return Backend(str(status), status, [("Content-Type", "application/json")], json.dumps(doc).encode())


async def _lambda(app: App, call: proxy.Call, integration: Doc, fn: str, payload: str) -> Backend:
    if not integration.get("credentials"):
        source = arns.execute_api_method(call.region, call.account, call.api_id, call.stage, call.http_method, call.resource_path)
        if not await lambda_invoke.may_invoke(app, fn, source, call.account):
            raise Failure(*INTERNAL)
    try:
        result, error = await lambda_invoke.invoke(app, fn, payload.encode())
    except AwsError:
        raise Failure(*INTERNAL) from None
    if error is None:
        return Backend(None, 200, [], result)
    try:
        doc = json.loads(result)
        message = str(doc.get("errorMessage", "")) if isinstance(doc, dict) else ""
    except ValueError:
        message = ""
    return Backend(message, 200, [], result)

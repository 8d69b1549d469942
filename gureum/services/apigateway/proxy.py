"""The Lambda proxy integration's two ends (sans-IO): the payload format 1.0 event API Gateway
sends the function for a request (`event`) and the HTTP answer it makes of what the function
returns (`answer`), by AWS's rules: a JSON object with only statusCode, statusDescription,
headers, multiValueHeaders, body (a string) and isBase64Encoded; anything else is a 502
`{"message": "Internal server error"}`. Binary media types (the API's binaryMediaTypes):
a request body whose Content-Type matches one is sent base64-encoded (isBase64Encoded true),
and a response the function marks isBase64Encoded is decoded when the first media type of
the request's Accept matches one (as AWS decides); otherwise its base64 text goes out as it is."""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

Doc = dict[str, Any]
_ALLOWED = {"statusCode", "statusDescription", "headers", "multiValueHeaders", "body", "isBase64Encoded"}


@dataclass
class Call:
    """One request as the data plane saw it, matched to a method of a deployed stage."""

    account: str
    region: str
    api_id: str
    stage: str
    deployment_id: str
    http_method: str
    path: str  # the resource path's request path (after the stage), decoded
    resource_id: str
    resource_path: str
    headers: list[tuple[str, str]]
    query: list[tuple[str, str]]
    path_parameters: dict[str, str]
    stage_variables: dict[str, str]
    body: bytes
    source_ip: str
    domain_name: str
    request_id: str
    extended_request_id: str
    binary_media_types: list[str]
    stage_in_path: bool = True
    started: float = field(default_factory=time.time)
    authorizer: Doc | None = None
    api_key: str | None = None
    api_key_id: str | None = None
    client_certificate_id: str | None = None  # the stage's, presented to HTTPS backends (client_certs.py)
    iam: Doc | None = None  # the SigV4 caller of an AWS_IAM method (accessKey, accountId, caller, user, userArn)
    client_cert: Doc | None = None  # mutual TLS on a custom domain: $context.identity.clientCert


def media_matches(content_type: str | None, patterns: list[str]) -> bool:
    """Whether a media type (parameters ignored) matches one of binaryMediaTypes (`type/*`, `*/*`)."""
    if not content_type or not patterns:
        return False
    kind = content_type.split(";", 1)[0].strip().lower()
    major = kind.split("/", 1)[0]
    for p in patterns:
        p = p.strip().lower()
        if p in (kind, "*/*") or (p.endswith("/*") and p[:-2] == major):
            return True
    return False


def _multi(pairs: list[tuple[str, str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for k, v in pairs:
        single[k] = v
        multi.setdefault(k, []).append(v)
    return single, multi


def _header(call: Call, name: str) -> str | None:
    found = [v for k, v in call.headers if k.lower() == name]
    return found[-1] if found else None


def request_time(epoch: float) -> str:
    """AWS's requestTime: "03/Dec/2026:16:50:01 +0000"."""
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(epoch))


def request_context(call: Call) -> Doc:
    identity: Doc = {
        "cognitoIdentityPoolId": None, "accountId": None, "cognitoIdentityId": None, "caller": None,
        "sourceIp": call.source_ip, "principalOrgId": None, "accessKey": None, "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None, "userArn": None, "userAgent": _header(call, "user-agent"), "user": None,
    }
    if call.iam is not None:
        identity.update(call.iam)
    if call.api_key is not None:
        identity["apiKey"], identity["apiKeyId"] = call.api_key, call.api_key_id
    if call.client_cert is not None:
        identity["clientCert"] = call.client_cert
    ctx: Doc = {
        "resourceId": call.resource_id, "resourcePath": call.resource_path, "httpMethod": call.http_method,
        "extendedRequestId": call.extended_request_id, "requestTime": request_time(call.started),
        "path": (f"/{call.stage}" if call.stage_in_path else "") + call.path, "accountId": call.account,
        "protocol": "HTTP/1.1", "stage": call.stage, "domainPrefix": call.domain_name.split(".", 1)[0],
        "requestTimeEpoch": int(call.started * 1000), "requestId": call.request_id, "identity": identity,
        "domainName": call.domain_name, "deploymentId": call.deployment_id, "apiId": call.api_id,
    }
    if call.authorizer is not None:
        ctx["authorizer"] = call.authorizer
    return ctx


def event(call: Call) -> Doc:
    """The payload format 1.0 event for `call`."""
    headers, multi_headers = _multi(call.headers)
    query, multi_query = _multi(call.query)
    binary = media_matches(_header(call, "content-type"), call.binary_media_types)
    body: str | None
    if not call.body:
        body = None
    elif binary:
        body = base64.b64encode(call.body).decode()
    else:
        body = call.body.decode("utf-8", errors="replace")
    return {
        "resource": call.resource_path, "path": call.path, "httpMethod": call.http_method,
        "headers": headers, "multiValueHeaders": multi_headers,
        "queryStringParameters": query, "multiValueQueryStringParameters": multi_query,
        "pathParameters": call.path_parameters or None, "stageVariables": call.stage_variables or None,
        "requestContext": request_context(call), "body": body, "isBase64Encoded": binary and body is not None,
    }


class Malformed(ValueError):
    """The function's answer is not a proxy response."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def answer(payload: bytes, accept: str | None, binary_media_types: list[str]) -> Answer:
    """The HTTP answer to a function's proxy response; Malformed when it is not one."""
    try:
        doc = json.loads(payload)
    except ValueError:
        raise Malformed("not JSON") from None
    if not isinstance(doc, dict) or set(doc) - _ALLOWED:
        raise Malformed("not a proxy response object")
    status = doc.get("statusCode", 200)
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise Malformed("statusCode")
    out: list[tuple[str, str]] = []
    single = doc.get("headers") or {}
    multi = doc.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise Malformed("headers")
    for k, values in multi.items():
        if not isinstance(values, list):
            raise Malformed("multiValueHeaders")
        out.extend((str(k), _text(v)) for v in values)
    named = {k.lower() for k, _ in out}
    out.extend((str(k), _text(v)) for k, v in single.items() if str(k).lower() not in named)
    body = doc.get("body")
    if body is not None and not isinstance(body, str):
        raise Malformed("body")
    data = (body or "").encode()
    content_type = next((v for k, v in out if k.lower() == "content-type"), None)
    if content_type is None:
        out.append(("Content-Type", "application/json"))
    if doc.get("isBase64Encoded") and body:
        if media_matches((accept or "").split(",", 1)[0], binary_media_types):
            try:
                data = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError):
                raise Malformed("isBase64Encoded body") from None
    return Answer(status, out, data)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def http_date(epoch: float) -> str:
    return formatdate(epoch, usegmt=True)

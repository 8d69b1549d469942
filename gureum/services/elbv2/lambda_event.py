"""Lambda targets, sans I/O: the event an ALB sends a function (AWS's "Using Lambda with
Application Load Balancers": requestContext.elb.targetGroupArn, httpMethod, path, query
parameters and headers as sent (not decoded), single-valued or, with the target group's
lambda.multi_value_headers.enabled, multi-valued; the body base64-encoded unless it is text)
and the HTTP answer a function's result maps to (statusCode, statusDescription, headers or
multiValueHeaders, body, isBase64Encoded). A result that is not such an object is malformed:
the ALB answers 502."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

_TEXT = ("text/", "application/json", "application/javascript", "application/xml", "application/x-www-form-urlencoded")


class Malformed(Exception):
    """The function's answer is not an ALB response object (502)."""


def event(tg_arn: str, method: str, path: str, query_string: str, headers: Sequence[tuple[str, str]], body: bytes,
          multi: bool) -> dict[str, Any]:
    pairs = [tuple(p.split("=", 1)) if "=" in p else (p, "") for p in query_string.split("&") if p]
    out: dict[str, Any] = {"requestContext": {"elb": {"targetGroupArn": tg_arn}}, "httpMethod": method, "path": path}
    lower = [(k.lower(), v) for k, v in headers]
    if multi:
        mq: dict[str, list[str]] = {}
        for k, v in pairs:
            mq.setdefault(k, []).append(v)
        mh: dict[str, list[str]] = {}
        for k, v in lower:
            mh.setdefault(k, []).append(v)
        out |= {"multiValueQueryStringParameters": mq, "multiValueHeaders": mh}
    else:
        out |= {"queryStringParameters": {k: v for k, v in pairs}, "headers": {k: v for k, v in lower}}
    ctype = next((v for k, v in lower if k == "content-type"), "")
    text = not body or ctype.startswith(_TEXT)
    if text:
        try:
            out |= {"body": body.decode(), "isBase64Encoded": False}
            return out
        except UnicodeDecodeError:
            pass
    out |= {"body": base64.b64encode(body).decode(), "isBase64Encoded": True}
    return out


def response(payload: bytes, multi: bool) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) of a function's answer; Malformed when it is not one."""
    try:
        doc = json.loads(payload)
    except ValueError:
        raise Malformed("not JSON") from None
    if not isinstance(doc, dict):
        raise Malformed("not an object")
    status = doc.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise Malformed("no statusCode")
    headers: list[tuple[str, str]] = []
    if multi and isinstance(doc.get("multiValueHeaders"), dict):
        for k, values in doc["multiValueHeaders"].items():
            headers += [(str(k), str(v)) for v in (values if isinstance(values, list) else [values])]
    elif isinstance(doc.get("headers"), dict):
        headers = [(str(k), str(v)) for k, v in doc["headers"].items()]
    elif doc.get("headers") is not None:
        raise Malformed("headers not an object")
    body = doc.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        raise Malformed("body not a string")
    elif doc.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body, validate=True)
        except ValueError:
            raise Malformed("body not base64") from None
    else:
        data = body.encode()
    return status, headers, data

"""Parameter mapping of HTTP APIs, sans-IO: an integration's RequestParameters change the
request sent to an HTTP_PROXY backend, its ResponseParameters (per backend status code) the
response sent to the client, as AWS applies them.

Request keys: `append:header.<name>`, `overwrite:header.<name>`, `remove:header.<name>`, the
same for `querystring.<name>`, and `overwrite:path`. Response keys (under a status code):
`append:header.<name>`, `overwrite:header.<name>`, `remove:header.<name>`,
`overwrite:statuscode`. Values are text in which `$request.header.<n>`,
`$request.querystring.<n>`, `$request.path.<n>`, `$request.path`, `$context.<n>`,
`$stageVariables.<n>` (and, in responses, `$response.header.<n>`, `$response.statuscode`)
are replaced by what the request or response holds (nothing when absent).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from gureum.services.apigatewayv2.events import Incoming, Outgoing

_VAR = re.compile(r"\$(request\.header|request\.querystring|request\.path|context|stageVariables|response\.header)"
                  r"\.([A-Za-z0-9_.\-]+)|\$(request\.path|response\.statuscode)\b")


def _substitute(text: str, req: Incoming, response: Outgoing | None = None) -> str:
    def one(m: re.Match[str]) -> str:
        kind, name, whole = m.group(1), m.group(2), m.group(3)
        if whole == "request.path":
            return req.raw_path
        if whole == "response.statuscode":
            return str(response.status) if response is not None else ""
        if kind == "request.header":
            return ",".join(v for k, v in req.headers if k == name.lower())
        if kind == "request.querystring":
            return ",".join(v for k, v in parse_qsl(req.raw_query, keep_blank_values=True) if k == name)
        if kind == "request.path":
            return req.path_parameters.get(name, "")
        if kind == "stageVariables":
            return req.stage_variables.get(name, "")
        if kind == "response.header" and response is not None:
            return ",".join(v for k, v in response.headers if k == name.lower())
        if kind == "context":
            known = {"requestId": req.request_id, "stage": req.stage, "routeKey": req.route_key, "apiId": req.api_id,
                     "domainName": req.domain, "httpMethod": req.method, "accountId": req.account,
                     "identity.sourceIp": req.source_ip}
            return known.get(name, "")
        return ""

    return _VAR.sub(one, text)


def _split(key: str) -> tuple[str, str, str]:
    """("append"|"overwrite"|"remove", "header"|"querystring"|"path"|"statuscode", name)."""
    action, _, target = key.partition(":")
    where, _, name = target.partition(".")
    return action, where, name


def request(params: dict[str, str] | None, req: Incoming) -> tuple[list[tuple[str, str]], str, str | None]:
    """(headers, query string, path or None) for the backend after RequestParameters."""
    headers = list(req.headers)
    query = parse_qsl(req.raw_query, keep_blank_values=True)
    path: str | None = None
    for key, value in (params or {}).items():
        action, where, name = _split(key)
        text = _substitute(str(value), req)
        if where == "header":
            lname = name.lower()
            if action in ("overwrite", "remove"):
                headers = [(k, v) for k, v in headers if k != lname]
            if action in ("overwrite", "append"):
                headers.append((lname, text))
        elif where == "querystring":
            if action in ("overwrite", "remove"):
                query = [(k, v) for k, v in query if k != name]
            if action in ("overwrite", "append"):
                query.append((name, text))
        elif where == "path" and action == "overwrite":
            path = text if text.startswith("/") else "/" + text
    return headers, urlencode(query), path


def response(params: dict[str, dict[str, str]] | None, out: Outgoing, req: Incoming) -> Outgoing:
    """`out` after the ResponseParameters for its status code."""
    mapping: dict[str, Any] = (params or {}).get(str(out.status)) or {}
    if not mapping:
        return out
    headers = list(out.headers)
    status = out.status
    for key, value in mapping.items():
        action, where, name = _split(key)
        text = _substitute(str(value), req, out)
        if where == "header":
            lname = name.lower()
            if action in ("overwrite", "remove"):
                headers = [(k, v) for k, v in headers if k != lname]
            if action in ("overwrite", "append"):
                headers.append((lname, text))
        elif where == "statuscode" and action == "overwrite" and text.isdigit() and 100 <= int(text) <= 599:
            status = int(text)
    return Outgoing(status, headers, out.body)


substitute = _substitute  # AWS service integrations' parameters use the same variables (subtypes.py)

"""Data mapping of WebSocket APIs' non-proxy integrations (HTTP, MOCK), sans-IO, as AWS's
"WebSocket selection expressions" and "Data transformations for WebSocket APIs" describe:

- selection expressions: text with `$request.body.<path>` / `${request.body.<path>}` (a dotted
  path into the JSON message), `$context.<name>`, `$integration.response.statuscode`; `\\$`
  is a literal dollar (`\\$default` is the key `$default`); evaluated once, no recursion;
- the request template: RequestTemplates[key of TemplateSelectionExpression], else the
  `$default` template, else by PassthroughBehavior (WHEN_NO_MATCH: the message as it is;
  WHEN_NO_TEMPLATES: as it is only when there are no templates; NEVER: refused);
- RequestParameters of the integration: `integration.request.header.<n>` /
  `integration.request.querystring.<n>` from `'literal'`, `context.<name>`,
  `stageVariables.<name>`, `route.request.body.<path>`, `route.request.header.<n>` (the
  $connect request's headers) or `route.request.querystring.<n>`;
- integration responses: the IntegrationResponseSelectionExpression's value (default
  `${integration.response.statuscode}`) picks the response whose IntegrationResponseKey is
  that value, or whose `/<regex>/` key matches it in full, else the `$default` one; its
  ResponseTemplates are chosen by its own TemplateSelectionExpression the same way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_VAR = re.compile(r"\\\$|\$\{([^}]+)\}|\$((?:request\.body|context|integration\.response|stageVariables)(?:\.[A-Za-z0-9_\-]+)+)")


class NoTemplate(Exception):
    """PassthroughBehavior refuses a message no template fits."""


@dataclass
class Values:
    """What selection expressions and parameters read."""

    body: str
    context: dict[str, Any]
    stage_variables: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # the $connect request's
    query: dict[str, str] = field(default_factory=dict)


def parse_json(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _dig(doc: Any, path: str) -> Any:
    for part in path.split("."):
        doc = doc.get(part) if isinstance(doc, dict) else None
    return doc


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _lookup(name: str, v: Values) -> str:
    if name.startswith("request.body."):
        return _text(_dig(parse_json(v.body), name[len("request.body."):]))
    if name.startswith("context."):
        return _text(_dig(v.context, name[len("context."):]))
    if name.startswith("stageVariables."):
        return v.stage_variables.get(name[len("stageVariables."):], "")
    if name == "integration.response.statuscode":
        return "" if v.status is None else str(v.status)
    return ""


def evaluate(expression: str, v: Values) -> str:
    """The key a selection expression gives."""
    def one(m: re.Match[str]) -> str:
        if m.group(0) == "\\$":
            return "$"
        return _lookup(m.group(1) or m.group(2), v)

    return _VAR.sub(one, expression)


def request_template(integration: dict[str, Any], v: Values) -> str | None:
    """The request template for this message, None to send it as it is (NoTemplate: refused)."""
    templates: dict[str, str] = dict(integration.get("RequestTemplates") or {})
    expression = integration.get("TemplateSelectionExpression")
    if expression:
        key = evaluate(str(expression), v)
        if key in templates:
            return templates[key]
    if "$default" in templates:
        return templates["$default"]
    behavior = integration.get("PassthroughBehavior") or "WHEN_NO_MATCH"
    if behavior == "NEVER" or (behavior == "WHEN_NO_TEMPLATES" and templates):
        raise NoTemplate(str(expression or ""))
    return None


def _source(expr: str, v: Values) -> str | None:
    if len(expr) >= 2 and expr[0] == "'" and expr[-1] == "'":
        return expr[1:-1]
    if expr.startswith("context."):
        found = _dig(v.context, expr[len("context."):])
        return None if found is None else _text(found)
    if expr.startswith("stageVariables."):
        return v.stage_variables.get(expr[len("stageVariables."):])
    if expr.startswith("route.request.body."):
        found = _dig(parse_json(v.body), expr[len("route.request.body."):])
        return None if found is None else _text(found)
    if expr.startswith("route.request.header."):
        name = expr[len("route.request.header."):].lower()
        return next((val for k, val in v.headers.items() if k.lower() == name), None)
    if expr.startswith("route.request.querystring."):
        return v.query.get(expr[len("route.request.querystring."):])
    return None


def request_parameters(params: dict[str, str] | None, v: Values) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(headers, query) the integration request carries (a source that holds nothing: left out)."""
    headers: list[tuple[str, str]] = []
    query: list[tuple[str, str]] = []
    for target, expr in (params or {}).items():
        value = _source(str(expr), v)
        if value is None:
            continue
        if target.startswith("integration.request.header."):
            headers.append((target[len("integration.request.header."):].lower(), value))
        elif target.startswith("integration.request.querystring."):
            query.append((target[len("integration.request.querystring."):], value))
    return headers, query


def _matches(key: str, value: str) -> bool:
    if len(key) >= 2 and key.startswith("/") and key.endswith("/"):
        try:
            return re.fullmatch(key[1:-1], value, re.DOTALL) is not None
        except re.error:
            return False
    return key == value


def select_response(responses: list[dict[str, Any]], integration: dict[str, Any], v: Values) -> dict[str, Any] | None:
    """The integration response that answers, None when none does."""
    expression = str(integration.get("IntegrationResponseSelectionExpression") or "${integration.response.statuscode}")
    value = evaluate(expression, v)
    default = None
    for r in responses:
        key = str(r.get("IntegrationResponseKey") or "")
        if key == "$default":
            default = r
        elif _matches(key, value):
            return r
    return default


def response_template(response: dict[str, Any], v: Values) -> str | None:
    """The template the integration response renders, None to pass the answer through."""
    templates: dict[str, str] = dict(response.get("ResponseTemplates") or {})
    expression = response.get("TemplateSelectionExpression")
    if expression:
        key = evaluate(str(expression), v)
        if key in templates:
            return templates[key]
    return templates.get("$default")

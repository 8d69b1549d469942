"""The non-proxy integrations' data mapping (sans-IO): request parameters a method maps into
its integration request (`integration.request.{header,querystring,path}.<name>` from
`method.request.{header,querystring,path}.<name>`, `stageVariables.<name>`,
`context.<name>` or a quoted literal), the request template chosen by Content-Type and
passthroughBehavior, the integration response selected by its selectionPattern (a regular
expression matched in full against the Lambda error message or the HTTP status; the one
without a pattern is the default), and the response headers it maps
(`method.response.header.<name>` from a literal, `integration.response.header.<name>` or
`integration.response.body[.<jsonpath>]`)."""

from __future__ import annotations

import json
import re
from typing import Any

from gureum.services.apigateway import vtl

Doc = dict[str, Any]
Params = dict[str, dict[str, str]]
DEFAULT_TYPE = "application/json"


class UnsupportedMediaType(Exception):
    """No request template for the Content-Type and passthrough is not allowed (415)."""


def method_params(path: dict[str, str], query: list[tuple[str, str]], headers: list[tuple[str, str]]) -> Params:
    return {"path": dict(path), "querystring": dict(query), "header": {k: v for k, v in headers}}


def _source(expr: str, params: Params, stage_variables: dict[str, str], context: Doc) -> str | None:
    if len(expr) >= 2 and expr[0] == "'" and expr[-1] == "'":
        return expr[1:-1]
    parts = expr.split(".", 3)
    if len(parts) == 4 and parts[:2] == ["method", "request"]:
        where, name = parts[2], parts[3]
        values = params.get(where, {})
        if where == "header":
            return next((v for k, v in values.items() if k.lower() == name.lower()), None)
        return values.get(name)
    if expr.startswith("stageVariables."):
        return stage_variables.get(expr.split(".", 1)[1])
    if expr.startswith("context."):
        value: Any = context
        for key in expr.split(".")[1:]:
            value = value.get(key) if isinstance(value, dict) else None
        return None if value is None else str(value)
    return None


def integration_params(mapping: dict[str, str] | None, params: Params, stage_variables: dict[str, str],
                       context: Doc) -> Params:
    """What the integration request gets: {"header": {...}, "querystring": {...}, "path": {...}}."""
    out: Params = {"header": {}, "querystring": {}, "path": {}}
    for target, expr in (mapping or {}).items():
        parts = target.split(".", 3)
        if len(parts) != 4 or parts[:2] != ["integration", "request"] or parts[2] not in out:
            continue
        value = _source(str(expr), params, stage_variables, context)
        if value is not None:
            out[parts[2]][parts[3]] = value
    return out


def request_template(integration: Doc, content_type: str | None) -> str | None:
    """The template for this request, None to pass the body through; UnsupportedMediaType
    when passthroughBehavior refuses."""
    templates: dict[str, str] = integration.get("requestTemplates") or {}
    kind = (content_type or DEFAULT_TYPE).split(";", 1)[0].strip().lower()
    for k, v in templates.items():
        if k.lower() == kind:
            return v
    behavior = integration.get("passthroughBehavior") or "WHEN_NO_MATCH"
    if behavior == "NEVER" or (behavior == "WHEN_NO_TEMPLATES" and templates):
        raise UnsupportedMediaType(kind)
    return None


def select_response(responses: dict[str, Doc] | None, selector: str) -> Doc | None:
    default = None
    for r in (responses or {}).values():
        pattern = r.get("selectionPattern")
        if not pattern:
            default = default or r
            continue
        try:
            if re.fullmatch(pattern, selector, re.DOTALL):
                return r
        except re.error:
            continue
    return default


def response_headers(response: Doc, backend_headers: list[tuple[str, str]], body: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for target, expr in (response.get("responseParameters") or {}).items():
        if not target.startswith("method.response.header."):
            continue
        name = target[len("method.response.header."):]
        expr = str(expr)
        value: str | None = None
        if len(expr) >= 2 and expr[0] == "'" and expr[-1] == "'":
            value = expr[1:-1]
        elif expr.startswith("integration.response.header."):
            wanted = expr[len("integration.response.header."):].lower()
            value = next((v for k, v in backend_headers if k.lower() == wanted), None)
        elif expr == "integration.response.body":
            value = body
        elif expr.startswith("integration.response.body."):
            try:
                found = vtl.select(json.loads(body), "$." + expr[len("integration.response.body."):])
            except (ValueError, vtl.TemplateError):
                found = None
            value = None if found is None else found if isinstance(found, str) else json.dumps(found)
        if value is not None:
            out.append((name, value))
    return out


def response_template(response: Doc) -> str | None:
    templates: dict[str, str] = response.get("responseTemplates") or {}
    if not templates:
        return None
    return templates.get(DEFAULT_TYPE) or next(iter(templates.values()))

"""Mapping templates (Velocity, rendered by airspeed-ext) with API Gateway's variables:
`$input` (`body`, `path(jsonpath)`, `json(jsonpath)`, `params()`, `params(name)` — path,
then query string, then header), `$util` (`escapeJavaScript`, `parseJson`, `urlEncode`,
`urlDecode`, `base64Encode`, `base64Decode`), `$context` and `$stageVariables`. JSONPath
expressions are evaluated by jsonpath-ng. A template that cannot be parsed or rendered raises
TemplateError (API Gateway answers 500)."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote, unquote

import airspeed
from jsonpath_ng.exceptions import JsonPathParserError
from jsonpath_ng.ext import parse as parse_jsonpath


class TemplateError(Exception):
    """The template is not valid Velocity, or failed while rendering."""


def _json_value(body: str) -> Any:
    try:
        return json.loads(body) if body.strip() else {}
    except ValueError:
        return body


def select(doc: Any, expression: str) -> Any:
    """The value JSONPath `expression` names in `doc` (a list when it names several; None
    when none)."""
    try:
        found = [m.value for m in parse_jsonpath(expression or "$").find(doc)]
    except (JsonPathParserError, Exception) as e:  # jsonpath-ng raises plain Exceptions for bad input
        raise TemplateError(f"Invalid JSONPath {expression!r}: {e}") from None
    if not found:
        return None
    return found[0] if len(found) == 1 and "*" not in expression and ".." not in expression else found


class Input:
    """`$input`."""

    def __init__(self, body: str, params: dict[str, dict[str, str]]) -> None:
        self.body = body
        self._params = params
        self._doc: Any = None
        self._parsed = False

    def _value(self) -> Any:
        if not self._parsed:
            self._doc, self._parsed = _json_value(self.body), True
        return self._doc

    def path(self, expression: str) -> Any:
        return select(self._value(), expression)

    def json(self, expression: str) -> str:
        return json.dumps(select(self._value(), expression), separators=(",", ":"))

    def params(self, name: str | None = None) -> Any:
        if name is None:
            return self._params
        for where in ("path", "querystring", "header"):
            value = self._params.get(where, {}).get(name)
            if value is None and where == "header":
                value = next((v for k, v in self._params.get(where, {}).items() if k.lower() == name.lower()), None)
            if value is not None:
                return value
        return ""


class Util:
    """`$util`."""

    def escapeJavaScript(self, text: Any) -> str:  # noqa: N802 (AWS's name)
        return json.dumps(str(text))[1:-1].replace("'", "\\'")

    def parseJson(self, text: str) -> Any:  # noqa: N802
        try:
            return json.loads(text)
        except ValueError as e:
            raise TemplateError(f"Invalid JSON in $util.parseJson: {e}") from None

    def urlEncode(self, text: Any) -> str:  # noqa: N802
        return quote(str(text), safe="")

    def urlDecode(self, text: Any) -> str:  # noqa: N802
        return unquote(str(text))

    def base64Encode(self, text: Any) -> str:  # noqa: N802
        return base64.b64encode(str(text).encode()).decode()

    def base64Decode(self, text: Any) -> str:  # noqa: N802
        return base64.b64decode(str(text)).decode("utf-8", errors="replace")


def render(template: str, *, body: str, params: dict[str, dict[str, str]], context: dict[str, Any],
           stage_variables: dict[str, str], extra: dict[str, Any] | None = None) -> str:
    """`template` rendered for one request (or integration response, with `extra`)."""
    namespace: dict[str, Any] = {"input": Input(body, params), "util": Util(), "context": context,
                                 "stageVariables": stage_variables, **(extra or {})}
    try:
        return str(airspeed.Template(template).merge(namespace))
    except TemplateError:
        raise
    except Exception as e:  # airspeed's syntax and evaluation errors
        raise TemplateError(str(e)) from None

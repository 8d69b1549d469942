"""Email templates, one kind for v1 (CreateTemplate) and v2 (CreateEmailTemplate) as in AWS,
and their rendering: the Handlebars subset SES documents (`{{name}}`, `{{a.b}}`, `{{{raw}}}`,
`{{#if x}}…{{else}}…{{/if}}`, `{{#unless x}}…{{/unless}}`, `{{#each list}}…{{this}}…{{/each}}`).
Double-stash values are HTML-escaped in the HTML part, as Handlebars does.

Table ses_templates: "{account}/{region}/{name}" -> {"TemplateName", "SubjectPart",
"TextPart", "HtmlPart", "Created"} (v1's member names; v2's Subject/Text/Html map onto them).
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from gureum.aws.errors import AwsError
from gureum.store import Txn

TEMPLATES = "ses_templates"
MAX_TEMPLATES = 20000  # AWS's quota of templates per Region
MAX_DEPTH = 50  # nested blocks
MAX_NODES = 200_000  # template nodes one rendering may visit


class MissingAttribute(Exception):
    """A template names a value the rendering data lacks."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class BadTemplate(Exception):
    """The template text does not parse (an unclosed block)."""


class TooLarge(MissingAttribute):
    """Rendering would visit more than MAX_NODES nodes (nested loops over big lists): a
    rendering failure, as a missing attribute is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


def key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


def create(txn: Txn, account: str, region: str, doc: dict[str, Any], now: float, service: str = "ses") -> None:
    name = doc["TemplateName"]
    for part in ("SubjectPart", "TextPart", "HtmlPart"):
        if doc.get(part) is not None:
            try:
                parse(str(doc[part]))
            except BadTemplate as exc:
                if service == "ses":
                    raise AwsError.modeled("ses", "InvalidTemplateException", f"Template {name} is invalid: {exc}",
                                           TemplateName=name) from None
                raise AwsError.modeled("sesv2", "BadRequestException", f"Template {name} is invalid: {exc}") from None
    if not txn.insert(TEMPLATES, key(account, region, name), {**doc, "Created": now}):
        if service == "ses":
            raise AwsError.modeled("ses", "AlreadyExistsException",
                                   f"Template {name} already exists for account id {account}", Name=name)
        raise AwsError.modeled("sesv2", "AlreadyExistsException", f"Template {name} already exists.")


def get(txn: Txn, account: str, region: str, name: str, service: str = "ses") -> dict[str, Any]:
    doc = txn.get(TEMPLATES, key(account, region, name))
    if doc is None:
        if service == "ses":
            raise AwsError.modeled("ses", "TemplateDoesNotExistException", f"Template {name} does not exist.",
                                   TemplateName=name)
        raise AwsError.modeled("sesv2", "NotFoundException", f"Template {name} does not exist.")
    return doc


def update(txn: Txn, account: str, region: str, doc: dict[str, Any], service: str = "ses") -> None:
    old = get(txn, account, region, doc["TemplateName"], service)
    txn.put(TEMPLATES, key(account, region, doc["TemplateName"]), {**doc, "Created": old["Created"]})


def delete(txn: Txn, account: str, region: str, name: str, service: str = "ses") -> None:
    if not txn.delete(TEMPLATES, key(account, region, name)) and service == "sesv2":
        raise AwsError.modeled("sesv2", "NotFoundException", f"Template {name} does not exist.")


def listing(txn: Txn, account: str, region: str) -> list[dict[str, Any]]:
    return [doc for _, doc in txn.scan(TEMPLATES, f"{account}/{region}/")]


# --- rendering ----------------------------------------------------------------------------

_TAG = re.compile(r"\{\{\{\s*([^}]+?)\s*\}\}\}|\{\{\s*([#/^]?)\s*([^}]*?)\s*\}\}")
Node = tuple[Any, ...]


def parse(text: str) -> list[Node]:
    """The template as a tree: ("text", s) | ("var", path, escape) | ("block", kind, arg,
    body, else_body)."""
    root: list[Node] = []
    stack: list[tuple[str, str, list[Node], list[Node] | None, list[Node]]] = []
    out = root
    pos = 0
    for m in _TAG.finditer(text):
        if m.start() > pos:
            out.append(("text", text[pos:m.start()]))
        pos = m.end()
        if m.group(1) is not None:
            out.append(("var", m.group(1), False))
            continue
        sigil, body = m.group(2), m.group(3)
        if sigil == "#":
            kind, _, arg = body.partition(" ")
            if kind not in ("if", "unless", "each", "with"):
                raise BadTemplate(f"unknown block helper {kind!r}")
            if len(stack) >= MAX_DEPTH:
                raise BadTemplate(f"blocks are nested more than {MAX_DEPTH} deep")
            block: list[Node] = []
            stack.append((kind, arg.strip(), block, None, out))
            out = block
        elif sigil == "/":
            if not stack or stack[-1][0] != body.strip():
                raise BadTemplate(f"{{{{/{body}}}}} does not close an open block")
            kind, arg, block, alt, parent = stack.pop()
            if alt is not None:
                parent.append(("block", kind, arg, block, out))
            else:
                parent.append(("block", kind, arg, out, []))
            out = parent
        elif body == "else" and stack:
            kind, arg, block, _alt, parent = stack[-1]
            alt = []
            stack[-1] = (kind, arg, block, alt, parent)
            out = alt
        else:
            out.append(("var", body, True))
    if stack:
        raise BadTemplate(f"the block {{{{#{stack[-1][0]}}}}} is not closed")
    if pos < len(text):
        out.append(("text", text[pos:]))
    return root


def _lookup(path: str, scopes: list[Any], strict: bool) -> Any:
    if path in ("this", "."):
        return scopes[-1]
    parts = path.removeprefix("this.").split(".")
    for scope in reversed(scopes):
        value: Any = scope
        for p in parts:
            if isinstance(value, dict) and p in value:
                value = value[p]
            else:
                break
        else:
            return value
    if strict:
        raise MissingAttribute(path)
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _render(nodes: list[Node], scopes: list[Any], escape: bool, strict: bool, budget: list[int]) -> str:
    out: list[str] = []
    for node in nodes:
        budget[0] -= 1
        if budget[0] < 0:
            raise TooLarge("the rendered template is too large")
        if node[0] == "text":
            out.append(node[1])
        elif node[0] == "var":
            s = _text(_lookup(node[1], scopes, strict))
            out.append(html.escape(s, quote=True) if (escape and node[2]) else s)
        else:
            _, kind, arg, body, alt = node
            value = _lookup(arg, scopes, False)
            if kind in ("if", "unless"):
                truthy = bool(value) and value != 0
                chosen = body if truthy == (kind == "if") else alt
                out.append(_render(chosen, scopes, escape, strict, budget))
            elif kind == "with":
                out.append(_render(body, [*scopes, value], escape, strict, budget) if value else _render(alt, scopes, escape, strict, budget))
            else:  # each
                items = list(value.values()) if isinstance(value, dict) else list(value or [])
                if not items:
                    out.append(_render(alt, scopes, escape, strict, budget))
                for item in items:
                    out.append(_render(body, [*scopes, item], escape, strict, budget))
    return "".join(out)


def render(text: str | None, data: dict[str, Any], *, html_part: bool = False, strict: bool = True) -> str | None:
    """`text` with `data` substituted; MissingAttribute when `strict` and a value is missing."""
    if text is None:
        return None
    try:
        tree = parse(text)
    except BadTemplate:
        raise
    return _render(tree, [data], html_part, strict, [MAX_NODES])


def render_template(doc: dict[str, Any], data: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """(subject, text, html) of a template for `data`; MissingAttribute as `render`."""
    return (render(doc.get("SubjectPart") or "", data) or "", render(doc.get("TextPart"), data),
            render(doc.get("HtmlPart"), data, html_part=True))


def subject_anyway(doc: dict[str, Any], data: dict[str, Any]) -> str:
    """The subject of a message whose rendering failed, as far as it renders (for the record)."""
    try:
        return render(doc.get("SubjectPart") or "", data, strict=False) or ""
    except MissingAttribute:
        return ""


def data_of(text: str | None) -> dict[str, Any]:
    """TemplateData as AWS takes it: a JSON object (ValueError otherwise)."""
    try:
        value = json.loads(text or "{}")
    except RecursionError:
        raise ValueError("template data is nested too deep") from None
    if not isinstance(value, dict):
        raise ValueError("template data must be a JSON object")
    return value

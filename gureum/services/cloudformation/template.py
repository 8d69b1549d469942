"""Template text to a document: JSON, or YAML with CloudFormation's short forms (`!Ref X`,
`!GetAtt a.b`, `!Sub`, `!If [...]`...) turned into their long forms (`{"Ref": "X"}`,
`{"Fn::GetAtt": ["a", "b"]}`), dates kept as the strings they were written as (an
AWSTemplateFormatVersion is a string). Failures raise TemplateError with AWS's wording
("Template format error: ...")."""

from __future__ import annotations

import json
from typing import Any

import yaml

MAX_BODY = 51200  # TemplateBody limit (bytes), AWS's quota; TemplateURL allows 1 MB
MAX_URL_BODY = 1024 * 1024


class TemplateError(Exception):
    """A template AWS refuses as invalid (ValidationError with this message)."""


class _Loader(yaml.SafeLoader):  # type: ignore[misc]
    pass


# CloudFormation reads YAML 1.1 scalars but keeps timestamps as strings
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_SHORT = ("Base64", "Cidr", "FindInMap", "GetAZs", "ImportValue", "Join", "Select", "Split", "Sub", "Transform",
          "And", "Equals", "If", "Not", "Or", "Contains", "EachMemberEquals", "EachMemberIn", "RefAll",
          "ValueOf", "ValueOfAll", "Implies", "Length", "ToJsonString", "ForEach")


def _node_value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)  # type: ignore[arg-type,unused-ignore]


def _fn(name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        return {name: _node_value(loader, node)}
    return construct


def _getatt(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    value = _node_value(loader, node)
    if isinstance(value, str):
        resource, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [resource, attribute]}
    return {"Fn::GetAtt": value}


_Loader.add_constructor("!Ref", _fn("Ref"))
_Loader.add_constructor("!Condition", _fn("Condition"))
_Loader.add_constructor("!GetAtt", _getatt)
for _name in _SHORT:
    _Loader.add_constructor("!" + _name, _fn("Fn::" + _name))


def _no_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise TemplateError(f"Template format error: YAML not well-formed. Duplicate key '{key}' "
                                f"(line {key_node.start_mark.line + 1}, column {key_node.start_mark.column + 1})")
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def parse(body: str) -> dict[str, Any]:
    """The template document of `body` (JSON first, as AWS tries, then YAML)."""
    text = body.strip()
    doc: Any
    if text.startswith("{"):
        try:
            doc = json.loads(body)
        except json.JSONDecodeError as e:
            raise TemplateError(f"Template format error: JSON not well-formed. (line {e.lineno}, column {e.colno})") from None
    else:
        try:
            doc = yaml.load(body, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
        except TemplateError:
            raise
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
            raise TemplateError(f"Template format error: YAML not well-formed.{where}") from None
        except yaml.YAMLError:
            raise TemplateError("Template format error: YAML not well-formed.") from None
    if not isinstance(doc, dict):
        raise TemplateError("Template format error: unsupported structure.")
    return doc


def dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2)

"""The resource schemas cfn-lint ships (the CloudFormation registry's, us-east-1): which
properties a type requires and knows, checked as AWS checks them before a provider runs
("Properties validation failed for resource X with message: #: required key [Y] not found"),
and which properties replace the resource when they change (createOnlyProperties, nested paths
such as AWS::SES::Template's /properties/Template/TemplateName compared where they point)."""

from __future__ import annotations

from functools import cache
from typing import Any

from gureum.services.cloudformation.template import TemplateError


@cache
def _schema(type_name: str) -> dict[str, Any] | None:
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    try:
        return dict(PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", type_name).schema)
    except Exception:  # cfn-lint's ResourceNotFoundError: a type its schemas do not know
        return None


def check(logical: str, type_name: str, props: dict[str, Any]) -> None:
    """Raise AWS's property validation failure for missing required or unknown properties."""
    if type_name.startswith("Custom::") or type_name == "AWS::CloudFormation::CustomResource":
        return  # a custom resource's properties are its handler's business
    schema = _schema(type_name)
    if schema is None:
        return
    problems: list[str] = []
    for name in schema.get("required") or ():
        if name not in props:
            problems.append(f"#: required key [{name}] not found")
    known = schema.get("properties") or {}
    if schema.get("additionalProperties") is False:
        for name in props:
            if name not in known:
                problems.append(f"#: extraneous key [{name}] is not permitted")
    read_only = {p.split("/")[2] for p in schema.get("readOnlyProperties") or () if p.count("/") == 2}
    for name in props:
        if name in read_only and name not in (schema.get("createOnlyProperties") or ()):
            problems.append(f"#: extraneous key [{name}] is not permitted")
    if problems:
        raise TemplateError(f"Properties validation failed for resource {logical} with message:\n"
                            + "\n".join(problems))


def create_only(type_name: str) -> set[str]:
    """Top-level properties whose change replaces a resource of `type_name`."""
    schema = _schema(type_name)
    if schema is None:
        return set()
    return {p.split("/")[2] for p in schema.get("createOnlyProperties") or () if p.startswith("/properties/")}


def replacing(type_name: str, old: dict[str, Any], new: dict[str, Any]) -> set[str]:
    """The top-level properties whose change from `old` to `new` touches a createOnly property
    of `type_name`, each createOnly path followed to the value it names (an array step `*`
    compares the whole array)."""
    schema = _schema(type_name)
    if schema is None:
        return set()
    out: set[str] = set()
    for path in schema.get("createOnlyProperties") or ():
        if path.startswith("/properties/") and _at(old, path.split("/")[2:]) != _at(new, path.split("/")[2:]):
            out.add(path.split("/")[2])
    return out


def replaces(type_name: str, old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether going from `old` to `new` properties replaces a resource of `type_name`."""
    return bool(replacing(type_name, old, new))


def _at(value: Any, steps: list[str]) -> Any:
    for step in steps:
        if step == "*" or not isinstance(value, dict):
            return value
        value = value.get(step)
    return value

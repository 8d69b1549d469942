"""Template values in the types an operation's input shape takes: CloudFormation passes
numbers and booleans as a template writes them (often strings, "true", "10"), the botocore
model wants integers, booleans and strings; `coerce` walks the parameters along the
operation's input shape and converts scalars where the conversion is exact (anything else
is left for the validator to refuse, as AWS refuses it)."""

from __future__ import annotations

from typing import Any

from gureum.aws import specs


def coerce(service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    shape = specs.load(service).operation(operation).input
    if shape is None:
        return params
    out = _coerce(shape, params)
    return out if isinstance(out, dict) else params


def _coerce(shape: specs.Shape, value: Any) -> Any:
    kind = shape.type
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        return {k: (_coerce(members[k], v) if k in members else v) for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [_coerce(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _coerce(shape.value, v) for k, v in value.items()}
    if kind == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if kind in ("integer", "long") and isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return value
    if kind in ("double", "float") and isinstance(value, (str, int)) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            return value
    if kind == "string" and isinstance(value, (int, float)):
        return ("true" if value else "false") if isinstance(value, bool) else str(value)
    return value

"""API Gateway's PATCH operations (`patchOperations`: op/path/value/from, JSON-Patch-like) applied
to a stored document: a path names a top-level field the resource lets one change
(`Fields`), or an entry of a map field ("/variables/name", "/tags/k"), or an item of a list
field ("/binaryMediaTypes/image~1png", `~1` standing for `/` as in JSON Pointer). Values
arrive as strings and are converted to the field's type. A path the resource does not
allow is AWS's BadRequestException."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gureum.services.apigateway.errors import bad_request

Doc = dict[str, Any]


def unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def as_bool(value: str | None) -> bool:
    if value is None or value.lower() not in ("true", "false"):
        raise bad_request(f"Invalid value for boolean: {value}")
    return value.lower() == "true"


def as_int(value: str | None) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise bad_request(f"Invalid value for integer: {value}") from None


def as_float(value: str | None) -> float:
    try:
        return float(str(value))
    except ValueError:
        raise bad_request(f"Invalid value for double: {value}") from None


def as_str(value: str | None) -> str | None:
    return value


@dataclass(frozen=True)
class Fields:
    """What a resource lets PATCH change: scalar fields (name -> converter), map fields
    (entries added, replaced, removed by key) and list fields (items added or removed)."""

    scalars: Mapping[str, Callable[[str | None], Any]] = field(default_factory=dict)
    maps: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    special: Callable[[Doc, str, list[str], str | None], bool] | None = None  # handles a path itself


def _invalid(op: str, path: str) -> Exception:
    return bad_request(f"Invalid patch path '{path}' specified for op '{op}'")


def apply(doc: Doc, operations: list[Doc] | None, fields: Fields) -> Doc:
    """`doc` with `operations` applied (a copy; `doc` is left as it was)."""
    out: Doc = {k: (dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v) for k, v in doc.items()}
    for operation in operations or []:
        op = str(operation.get("op") or "")
        path = str(operation.get("path") or "")
        value = operation.get("value")
        if op not in ("add", "remove", "replace", "copy", "move", "test"):
            raise bad_request("Invalid patch operation specified. Must be one of: [add, remove, replace, move, copy, test]")
        if not path.startswith("/"):
            raise _invalid(op, path)
        parts = [unescape(p) for p in path[1:].split("/")]
        if fields.special is not None and fields.special(out, op, parts, value):
            continue
        head = parts[0]
        if len(parts) == 1 and head in fields.scalars and op in ("replace", "add"):
            out[head] = fields.scalars[head](value)
        elif len(parts) == 1 and head in fields.scalars and op == "remove":
            out.pop(head, None)
        elif len(parts) == 2 and head in fields.maps and op in ("replace", "add"):
            out[head] = {**(out.get(head) or {}), parts[1]: value}
        elif len(parts) == 2 and head in fields.maps and op == "remove":
            current = dict(out.get(head) or {})
            current.pop(parts[1], None)
            out[head] = current
        elif len(parts) == 2 and head in fields.lists and op in ("add", "replace"):
            items = list(out.get(head) or [])
            if parts[1] not in items:
                items.append(parts[1])
            out[head] = items
        elif len(parts) == 2 and head in fields.lists and op == "remove":
            out[head] = [i for i in out.get(head) or [] if i != parts[1]]
        else:
            raise _invalid(op, path)
    return out

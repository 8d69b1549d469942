"""JSON bodies (json and rest-json protocols) to and from values, per the model.

Bodies nested deeper than MAX_DEPTH (objects and arrays) are refused with a
SerializationException before any recursive code sees them; numbers that are not finite or
do not fit the member's type are refused the same way, and so are strings holding a lone
surrogate (a `\\ud800` escape with no pair: no UTF-8 text can hold it, nor can the store). Output that holds lone surrogates
(which JSON escapes can carry in) is written with ASCII escapes instead of failing.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from gureum.aws.protocols.common import (
    ParseError,
    b64decode,
    b64encode,
    format_timestamp,
    parse_bool,
    parse_timestamp,
    timestamp_format,
)
from gureum.aws.specs import Shape

_BODY_LOCATIONS = (None, "")
MAX_DEPTH = 100
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def loads(body: bytes) -> Any:
    if not body.strip():
        return {}
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ParseError(message="Start of structure or map found where not expected.") from None
    except RecursionError:
        raise ParseError(message=f"The request body is nested deeper than {MAX_DEPTH} levels.") from None
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH:
        check_depth(doc)
    if _SURROGATE_ESCAPE.search(body) is not None:  # pairs decode to one character; lone ones stay
        check_text(doc)
    return doc


def check_text(doc: Any) -> None:
    """Refuse a decoded document with a string (or key) that is not valid Unicode text."""
    stack = [doc]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ParseError(message="The request body holds a string with a lone surrogate (invalid Unicode).") from None
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def check_depth(doc: Any, limit: int = MAX_DEPTH) -> None:
    """Refuse a decoded document whose objects and arrays nest deeper than `limit` (iterative:
    no recursion on client-controlled depth)."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            raise ParseError(message=f"The request body is nested deeper than {limit} levels.")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values() if isinstance(v, (dict, list)))
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value if isinstance(v, (dict, list)))


def dumps(value: Any) -> bytes:
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: \uXXXX escapes are still valid JSON
        return json.dumps(value, separators=(",", ":")).encode("ascii")


def from_json(value: Any, shape: Shape, where: str = "", binary: bool = False) -> Any:
    """Values from a decoded JSON document (or, with `binary`, a CBOR one: blobs arrive as
    bytes and timestamps as datetimes)."""
    if value is None:
        return None
    if shape.raw.get("document"):
        return value
    t = shape.type
    if t == "structure":
        if not isinstance(value, dict):
            raise ParseError(message=f"Expected an object for {where or shape.name}")
        out: dict[str, Any] = {}
        for mname, mshape in shape.members.items():
            if mshape.location not in _BODY_LOCATIONS:
                continue
            key = mshape.ref.get("locationName", mname)
            if key in value and value[key] is not None:
                out[mname] = from_json(value[key], mshape, f"{where}.{mname}" if where else mname, binary)
        return out
    if t == "list":
        if not isinstance(value, list):
            raise ParseError(message=f"Expected a list for {where or shape.name}")
        member = shape.member
        return [from_json(v, member, where, binary) for v in value]
    if t == "map":
        if not isinstance(value, dict):
            raise ParseError(message=f"Expected a map for {where or shape.name}")
        vshape = shape.value
        return {k: from_json(v, vshape, where, binary) for k, v in value.items()}
    if t == "timestamp":
        return parse_timestamp(value, where)
    if t == "blob":
        if binary and isinstance(value, (bytes, bytearray)):
            return bytes(value)
        if not isinstance(value, str):
            raise ParseError(message=f"Expected base64 text for {where}")
        return b64decode(value, where)
    if t == "boolean":
        return parse_bool(value, where)
    if t in ("integer", "long"):
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or (isinstance(value, float) and not math.isfinite(value))
            or int(value) != value
        ):
            raise ParseError(message=f"Expected an integer for {where}")
        return int(value)
    if t in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParseError(message=f"Expected a number for {where}")
        try:
            return float(value)
        except OverflowError:
            raise ParseError(message=f"Number out of range for {where}") from None
    if t == "string":
        if not isinstance(value, str):
            raise ParseError(message=f"Expected a string for {where}")
        return value
    return value


def to_json(value: Any, shape: Shape, ts_default: str = "unixTimestamp", binary: bool = False) -> Any:
    """A JSON-ready document (or, with `binary`, a CBOR-ready one: blobs stay bytes,
    timestamps stay datetimes for the encoder to tag)."""
    if value is None:
        return None
    if shape.raw.get("document"):
        return value
    t = shape.type
    if t == "structure":
        out: dict[str, Any] = {}
        for mname, mshape in shape.members.items():
            if mshape.location not in _BODY_LOCATIONS:
                continue
            v = value.get(mname)
            if v is None:
                continue
            out[mshape.ref.get("locationName", mname)] = to_json(v, mshape, ts_default, binary)
        return out
    if t == "list":
        member = shape.member
        kind = member.type
        if not member.raw.get("document"):  # lists of numbers or timestamps (GetMetricData's): one lookup per list
            if kind in ("float", "double"):
                return [None if v is None else float(v) for v in value]
            if kind == "timestamp" and not binary:
                fmt = timestamp_format(member, ts_default)
                return [None if v is None else format_timestamp(v, fmt) for v in value]
        return [to_json(v, member, ts_default, binary) for v in value]
    if t == "map":
        vshape = shape.value
        return {k: to_json(v, vshape, ts_default, binary) for k, v in value.items()}
    if t == "timestamp":
        if binary:
            return parse_timestamp(value)
        return format_timestamp(value, timestamp_format(shape, ts_default))
    if t == "blob":
        if binary:
            return bytes(value) if not isinstance(value, str) else value.encode()
        return b64encode(value)
    if t == "boolean":
        return bool(value)
    if t in ("integer", "long"):
        return int(value)
    if t in ("float", "double"):
        return float(value)
    return value

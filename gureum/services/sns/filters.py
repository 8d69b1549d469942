"""SNS subscription filter policies (sans-IO): validate a policy, match it against message
attributes (scope MessageAttributes) or the JSON message body (scope MessageBody).

A policy maps keys to lists of conditions (any may match); all keys must match. Conditions:
exact strings/numbers, {"prefix"}, {"suffix"}, {"equals-ignore-case"}, {"anything-but"},
{"numeric": [op, n, ...]}, {"exists": bool}, {"cidr"}; "$or" lists of sub-policies.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

_MISSING = object()
_NUMERIC_OPS = {"<", "<=", "=", ">", ">="}


class FilterPolicyError(ValueError):
    pass


def parse(text: str) -> dict[str, Any]:
    try:
        policy = json.loads(text)
    except ValueError:
        raise FilterPolicyError("FilterPolicy: failed to parse JSON.") from None
    if not isinstance(policy, dict):
        raise FilterPolicyError("FilterPolicy: Filter policy must be a JSON object")
    _check(policy, 0)
    return policy


def _check(policy: dict[str, Any], depth: int) -> None:
    if depth > 5:
        raise FilterPolicyError("FilterPolicy: Filter policy is too deep")
    for key, value in policy.items():
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2:
                raise FilterPolicyError("FilterPolicy: $or must be a list of at least two policies")
            for sub in value:
                if not isinstance(sub, dict):
                    raise FilterPolicyError("FilterPolicy: $or entries must be objects")
                _check(sub, depth + 1)
        elif isinstance(value, dict):
            _check(value, depth + 1)
        elif isinstance(value, list):
            for cond in value:
                _check_condition(key, cond)
        else:
            raise FilterPolicyError("FilterPolicy: Match value must be String, number, true, false, or null")


def _check_condition(key: str, cond: Any) -> None:
    if cond is None or isinstance(cond, (str, int, float, bool)):
        return
    if not isinstance(cond, dict) or len(cond) != 1:
        raise FilterPolicyError(f"FilterPolicy: Unrecognized match type for {key}")
    (op, arg), = cond.items()
    if op == "numeric":
        if not isinstance(arg, list) or len(arg) not in (2, 4) or any(
                arg[i] not in _NUMERIC_OPS for i in range(0, len(arg), 2)):
            raise FilterPolicyError("FilterPolicy: Value of numeric must be an array of operators and numbers")
    elif op not in ("prefix", "suffix", "anything-but", "exists", "equals-ignore-case", "cidr"):
        raise FilterPolicyError(f"FilterPolicy: Unrecognized match type {op}")


def attributes_view(attrs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Message attributes as filterable values: numbers as numbers, String.Array as lists."""
    out: dict[str, Any] = {}
    for name, a in attrs.items():
        dt = a.get("DataType", "String")
        value = a.get("StringValue")
        if dt.startswith("Number") and value is not None:
            try:
                out[name] = float(value)
            except ValueError:
                out[name] = value
        elif dt == "String.Array" and value is not None:
            try:
                out[name] = json.loads(value)
            except ValueError:
                out[name] = value
        elif dt.startswith("Binary"):
            continue  # binary attributes never match
        else:
            out[name] = value
    return out


def matches(policy: dict[str, Any], doc: dict[str, Any], nested: bool = False) -> bool:
    """Does `doc` (attributes view, or the parsed JSON body) satisfy `policy`?"""
    for key, cond in policy.items():
        if key == "$or":
            if not any(matches(sub, doc, nested) for sub in cond):
                return False
            continue
        value = doc.get(key, _MISSING) if isinstance(doc, dict) else _MISSING
        if isinstance(cond, dict):
            if not isinstance(value, dict) or not matches(cond, value, True):
                return False
            continue
        if not _any_condition(cond, value):
            return False
    return True


def _any_condition(conds: list[Any], value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    for c in conds:
        if isinstance(c, dict) and "exists" in c:
            if bool(c["exists"]) == (value is not _MISSING):
                return True
            continue
        if isinstance(c, dict) and "anything-but" in c:
            if value is _MISSING:
                continue
            if all(_anything_but(c["anything-but"], v) for v in values):
                return True
            continue
        for v in values:
            if v is not _MISSING and _one(c, v):
                return True
    return False


def _num(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    return None


def _one(cond: Any, v: Any) -> bool:
    if cond is None:
        return v is None
    if isinstance(cond, bool):
        return v is cond
    if isinstance(cond, (int, float)):
        n = _num(v)
        return n is not None and n == float(cond)
    if isinstance(cond, str):
        return isinstance(v, str) and v == cond
    (op, arg), = cond.items()
    if op == "prefix":
        if isinstance(arg, dict):  # {"prefix": {"equals-ignore-case": ...}}
            return isinstance(v, str) and v.lower().startswith(str(arg.get("equals-ignore-case", "")).lower())
        return isinstance(v, str) and v.startswith(arg)
    if op == "suffix":
        if isinstance(arg, dict):
            return isinstance(v, str) and v.lower().endswith(str(arg.get("equals-ignore-case", "")).lower())
        return isinstance(v, str) and v.endswith(arg)
    if op == "equals-ignore-case":
        return isinstance(v, str) and v.lower() == str(arg).lower()
    if op == "numeric":
        n = _num(v)
        if n is None:
            return False
        for i in range(0, len(arg), 2):
            o, x = arg[i], float(arg[i + 1])
            ok = {"<": n < x, "<=": n <= x, "=": n == x, ">": n > x, ">=": n >= x}[o]
            if not ok:
                return False
        return True
    if op == "cidr":
        try:
            return isinstance(v, str) and ipaddress.ip_address(v) in ipaddress.ip_network(arg, strict=False)
        except ValueError:
            return False
    return False


def _anything_but(arg: Any, v: Any) -> bool:
    if isinstance(arg, list):
        return not any(_one(a, v) for a in arg)
    if isinstance(arg, dict):
        return not _one(arg, v)
    return not _one(arg, v)

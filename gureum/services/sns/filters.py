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
    """A policy SNS refuses; str() is AWS's reason after "FilterPolicy: " (callers prefix
    "Invalid parameter: " or "Invalid parameter: Attributes Reason: "). AWS appends the JSON
    parser's source location ("\\n at [Source: ...; line: 1, column: N]"), not reproduced."""


MAX_KEYS = 5
MAX_COMBINATIONS = 150
_NUMERIC_NAMES = {"=": "equals"}
_ANYTHING_BUT_OPERATORS = ("prefix", "equals-ignore-case")


def parse(text: str) -> dict[str, Any]:
    """The policy of `text`, checked as SNS checks it: its structure, each match expression,
    at most MAX_KEYS keys and MAX_COMBINATIONS value combinations ($or branches add up)."""
    try:
        policy = json.loads(text)
    except ValueError:
        raise FilterPolicyError("FilterPolicy: failed to parse JSON.") from None
    if not isinstance(policy, dict):
        raise FilterPolicyError("FilterPolicy: Filter policy must be a JSON object")
    _check(policy, 0)
    if any(len(keys) > MAX_KEYS for keys, _ in _branches(policy)):
        raise FilterPolicyError(f"FilterPolicy: Filter policy can not have more than {MAX_KEYS} keys")
    if sum(n for _, n in _branches(policy)) > MAX_COMBINATIONS:
        raise FilterPolicyError("FilterPolicy: Filter policy is too complex")
    return policy


def is_nested(policy: dict[str, Any]) -> bool:
    """Does the policy match on nested properties (only scope MessageBody allows that)?"""
    for key, value in policy.items():
        if key == "$or":
            if any(isinstance(sub, dict) and is_nested(sub) for sub in value):
                return True
        elif isinstance(value, dict):
            return True
    return False


def _branches(policy: dict[str, Any], prefix: str = "") -> list[tuple[set[str], int]]:
    """Each alternative the policy stands for ($or expanded): its leaf keys and how many
    value combinations it matches (the product of its keys' condition counts)."""
    out: list[tuple[set[str], int]] = [(set(), 1)]
    for key, value in policy.items():
        if key == "$or":
            subs = [b for sub in value for b in _branches(sub, prefix)]
            out = [(keys | k2, n * n2) for keys, n in out for k2, n2 in subs]
        elif isinstance(value, dict):
            subs = _branches(value, prefix + key + ".")
            out = [(keys | k2, n * n2) for keys, n in out for k2, n2 in subs]
        else:
            out = [(keys | {prefix + key}, n * max(1, len(value))) for keys, n in out]
    return out


def _check(policy: dict[str, Any], depth: int) -> None:
    if depth > 5:
        raise FilterPolicyError("FilterPolicy: Filter policy is too complex")
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
                _check_condition(cond)
        else:
            raise FilterPolicyError(f'FilterPolicy: "{key}" must be an object or an array')


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _show(v: Any) -> str:
    return json.dumps(v) if not isinstance(v, str) else v


def _check_condition(cond: Any) -> None:
    if cond is None or isinstance(cond, (str, int, float, bool)):
        return
    if not isinstance(cond, dict):
        raise FilterPolicyError("FilterPolicy: Match value must be String, number, true, false, or null")
    items = list(cond.items())
    if not items:
        raise FilterPolicyError("FilterPolicy: Empty objects are not allowed in filter policies")
    op, arg = items[0]
    _check_operator(op, arg)
    if len(items) > 1:
        raise FilterPolicyError("FilterPolicy: Only one key allowed in match expression")


def _check_operator(op: str, arg: Any) -> None:
    if op in ("prefix", "suffix"):
        if isinstance(arg, dict) and list(arg) == ["equals-ignore-case"] and isinstance(arg["equals-ignore-case"], str):
            return
        if not isinstance(arg, str):
            raise FilterPolicyError(f"FilterPolicy: {op} match pattern must be a string")
    elif op == "equals-ignore-case":
        if not isinstance(arg, str):
            raise FilterPolicyError("FilterPolicy: equals-ignore-case match pattern must be a string")
    elif op == "exists":
        if not isinstance(arg, bool):
            raise FilterPolicyError("FilterPolicy: exists match pattern must be either true or false.")
    elif op == "anything-but":
        _check_anything_but(arg)
    elif op == "numeric":
        _check_numeric(arg)
    elif op == "cidr":
        if not isinstance(arg, str):
            raise FilterPolicyError("FilterPolicy: cidr match pattern must be a string")
    else:
        raise FilterPolicyError(f"FilterPolicy: Unrecognized match type {op}")


def _check_anything_but(arg: Any) -> None:
    if isinstance(arg, dict):
        for op, value in arg.items():
            if op not in _ANYTHING_BUT_OPERATORS:
                raise FilterPolicyError(f"FilterPolicy: Unsupported anything-but pattern: {op}")
            if not isinstance(value, str):
                raise FilterPolicyError(f"FilterPolicy: {op} match pattern must be a string")


def _check_numeric(arg: Any) -> None:
    """AWS's checks of {"numeric": [op, n(, op, n)]}, in the order its parser meets them."""
    if not isinstance(arg, list):
        raise FilterPolicyError("FilterPolicy: Value of numeric must be an array.")
    if not arg:
        raise FilterPolicyError("FilterPolicy: Invalid member in numeric match: ]")
    first = arg[0]
    if not isinstance(first, str):
        raise FilterPolicyError(f"FilterPolicy: Invalid member in numeric match: {_show(first)}")
    if first not in _NUMERIC_OPS:
        raise FilterPolicyError(f"FilterPolicy: Unrecognized numeric range operator: {first}")
    if len(arg) < 2 or not _is_number(arg[1]):
        raise FilterPolicyError(f"FilterPolicy: Value of {_NUMERIC_NAMES.get(first, first)} must be numeric")
    if len(arg) == 2:
        return
    if first in ("=", "<", "<="):
        raise FilterPolicyError("FilterPolicy: Too many elements in numeric expression")
    upper = arg[2]
    if not isinstance(upper, str):
        raise FilterPolicyError(f"FilterPolicy: Bad value in numeric range: {_show(upper)}")
    if upper not in ("<", "<="):
        raise FilterPolicyError(f"FilterPolicy: Bad numeric range operator: {upper}")
    if len(arg) < 4 or not _is_number(arg[3]):
        raise FilterPolicyError(f"FilterPolicy: Value of {upper} must be numeric")
    if arg[1] >= arg[3]:
        raise FilterPolicyError("FilterPolicy: Bottom must be less than top")
    if len(arg) > 4:
        raise FilterPolicyError("FilterPolicy: Too many terms in numeric range expression")


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

"""Lambda's event filter patterns (FilterCriteria of event source mappings), sans-IO.

A pattern is a JSON object whose keys follow the record; a leaf is a list of matchers, any of
which may match: a literal (string, number, boolean, null; numbers compare by value), or one of
{"prefix"}, {"suffix"}, {"equals-ignore-case"}, {"anything-but"} (a value, a list, or
{"prefix"}/{"suffix"}), {"numeric": [op, n, ...]}, {"exists": bool}, {"wildcard"}; "$or"
takes a list of sub-patterns. A record matches a filter list when any filter matches.
For SQS, a `body` key whose pattern is an object matches the body parsed as JSON (a body
that is not a JSON object then never matches); a list matches the body as a plain string.
"""

from __future__ import annotations

import json
import re
from typing import Any

_OPS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, "=": lambda a, b: a == b,
        ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
_MISSING = object()


class InvalidPattern(ValueError):
    pass


def parse(text: str) -> dict[str, Any]:
    """Parse and check one pattern; raises InvalidPattern."""
    try:
        doc = json.loads(text)
    except ValueError:
        raise InvalidPattern(text) from None
    if not isinstance(doc, dict) or not doc:
        raise InvalidPattern(text)
    _check_object(doc)
    return doc


def _check_object(doc: dict[str, Any]) -> None:
    for key, value in doc.items():
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2 or not all(isinstance(v, dict) and v for v in value):
                raise InvalidPattern(key)
            for v in value:
                _check_object(v)
        elif isinstance(value, dict):
            if not value:
                raise InvalidPattern(key)
            _check_object(value)
        elif isinstance(value, list):
            if not value:
                raise InvalidPattern(key)
            for m in value:
                _check_matcher(m)
        else:
            raise InvalidPattern(key)


def _check_matcher(m: Any) -> None:
    if m is None or isinstance(m, (str, int, float, bool)):
        return
    if not isinstance(m, dict) or len(m) != 1:
        raise InvalidPattern(str(m))
    (op, arg), = m.items()
    if op in ("prefix", "suffix", "equals-ignore-case", "wildcard"):
        if not isinstance(arg, str):
            raise InvalidPattern(op)
    elif op == "exists":
        if not isinstance(arg, bool):
            raise InvalidPattern(op)
    elif op == "numeric":
        if not isinstance(arg, list) or len(arg) not in (2, 4):
            raise InvalidPattern(op)
        for i in range(0, len(arg), 2):
            if arg[i] not in _OPS or isinstance(arg[i + 1], bool) or not isinstance(arg[i + 1], (int, float)):
                raise InvalidPattern(op)
    elif op == "anything-but":
        if isinstance(arg, dict):
            if len(arg) != 1 or next(iter(arg)) not in ("prefix", "suffix", "equals-ignore-case") \
                    or not isinstance(next(iter(arg.values())), str):
                raise InvalidPattern(op)
        elif isinstance(arg, list):
            if not arg or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in arg):
                raise InvalidPattern(op)
        elif not isinstance(arg, (str, int, float)) or isinstance(arg, bool):
            raise InvalidPattern(op)
    else:
        raise InvalidPattern(op)


def matches_any(patterns: list[dict[str, Any]], record: dict[str, Any]) -> bool:
    return any(matches(p, record) for p in patterns)


def matches(pattern: dict[str, Any], record: dict[str, Any]) -> bool:
    """Does an SQS-style record match one parsed pattern?"""
    if isinstance(pattern.get("body"), dict) and isinstance(record.get("body"), str):
        try:
            body = json.loads(record["body"])
        except ValueError:
            return False
        if not isinstance(body, dict):
            return False
        record = dict(record, body=body)
    return _match_object(pattern, record)


def _match_object(pattern: dict[str, Any], value: Any) -> bool:
    for key, sub in pattern.items():
        if key == "$or":
            if not any(_match_object(p, value) for p in sub):
                return False
            continue
        field = value.get(key, _MISSING) if isinstance(value, dict) else _MISSING
        if isinstance(sub, dict):
            if field is _MISSING or not isinstance(field, (dict, list)):
                return False
            items = field if isinstance(field, list) else [field]
            if not any(isinstance(i, dict) and _match_object(sub, i) for i in items):
                return False
        elif not _match_leaf(sub, field):
            return False
    return True


def _match_leaf(matchers: list[Any], field: Any) -> bool:
    if field is _MISSING:
        return any(isinstance(m, dict) and m.get("exists") is False for m in matchers)
    values = field if isinstance(field, list) else [field]
    for m in matchers:
        if isinstance(m, dict) and "exists" in m:
            if m["exists"]:
                return True
            continue
        if any(_match_value(m, v) for v in values):
            return True
    return False


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v)


def _match_value(m: Any, v: Any) -> bool:
    if m is None:
        return v is None
    if isinstance(m, bool):
        return v is m
    if isinstance(m, str):
        return isinstance(v, str) and v == m
    if isinstance(m, (int, float)):
        n = _num(v)
        return n is not None and n == float(m)
    (op, arg), = m.items()
    if op == "prefix":
        return isinstance(v, str) and v.startswith(arg)
    if op == "suffix":
        return isinstance(v, str) and v.endswith(arg)
    if op == "equals-ignore-case":
        return isinstance(v, str) and v.lower() == arg.lower()
    if op == "wildcard":
        return isinstance(v, str) and re.fullmatch(".*".join(re.escape(p) for p in arg.split("*")), v, re.DOTALL) is not None
    if op == "numeric":
        n = _num(v)
        if n is None:
            return False
        return all(_OPS[arg[i]](n, float(arg[i + 1])) for i in range(0, len(arg), 2))
    if op == "anything-but":
        if v is None:
            return False
        if isinstance(arg, dict):
            (sub, s), = arg.items()
            return isinstance(v, str) and not _match_value({sub: s}, v)
        excluded = arg if isinstance(arg, list) else [arg]
        return not any(_match_value(x, v) for x in excluded)
    return False

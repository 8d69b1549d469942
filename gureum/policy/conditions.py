"""The Condition element: every operator family AWS documents, compiled once per policy.

    Condition = {Operator: {Key: value | [values]}}
    operators AND, keys AND, values OR (NOR for negated operators)
    Operator  = [ForAllValues:|ForAnyValue:] Base [IfExists]   (Null takes neither suffix)

Request context values arrive normalised (`normalise_context`): keys lower-cased, each value a
tuple of strings (booleans "true"/"false", datetimes ISO 8601, bytes base64). A key missing from
the request makes a positive operator false and a negated one true; `...IfExists` makes any
operator true on a missing key; `Null` tests presence; `ForAllValues` is true on a missing or
empty key, `ForAnyValue` false. A multi-valued key under a plain operator matches when any of
its values does (a negated one when none does).
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from gureum.policy.errors import SYNTAX, PolicyError
from gureum.policy.patterns import Pattern, Resolver, compile_pattern, has_variables, substitute

Context = Mapping[str, tuple[str, ...]]

# base operator -> (family, negated)
_BASES: dict[str, tuple[str, bool]] = {
    "StringEquals": ("str", False), "StringNotEquals": ("str", True),
    "StringEqualsIgnoreCase": ("stri", False), "StringNotEqualsIgnoreCase": ("stri", True),
    "StringLike": ("like", False), "StringNotLike": ("like", True),
    "NumericEquals": ("num=", False), "NumericNotEquals": ("num=", True),
    "NumericLessThan": ("num<", False), "NumericLessThanEquals": ("num<=", False),
    "NumericGreaterThan": ("num>", False), "NumericGreaterThanEquals": ("num>=", False),
    "DateEquals": ("date=", False), "DateNotEquals": ("date=", True),
    "DateLessThan": ("date<", False), "DateLessThanEquals": ("date<=", False),
    "DateGreaterThan": ("date>", False), "DateGreaterThanEquals": ("date>=", False),
    "Bool": ("bool", False),
    "BinaryEquals": ("bin", False),
    "IpAddress": ("ip", False), "NotIpAddress": ("ip", True),
    "ArnEquals": ("arn", False), "ArnLike": ("arn", False),
    "ArnNotEquals": ("arn", True), "ArnNotLike": ("arn", True),
}

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: a == b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}


def normalise_value(value: Any) -> tuple[str, ...]:
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(s for v in value for s in normalise_value(v))
    if isinstance(value, bool):
        return ("true" if value else "false",)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return (value.isoformat().replace("+00:00", "Z"),)
    if isinstance(value, date):
        return (value.isoformat(),)
    if isinstance(value, (bytes, bytearray)):
        return (base64.b64encode(bytes(value)).decode(),)
    if value is None:
        return ()
    return (str(value),)


def normalise_context(context: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    return {k.lower(): normalise_value(v) for k, v in context.items()}


def _number(text: str) -> float | None:
    try:
        n = float(text)
    except ValueError:
        return None
    return None if math.isnan(n) else n


def _date(text: str) -> float | None:
    """Seconds since the epoch from ISO 8601 (with or without time/zone) or epoch seconds."""
    n = _number(text)
    if n is not None:
        return n
    try:
        d = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    return d.timestamp()


@functools.lru_cache(maxsize=1024)
def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


Matcher = Callable[[str, "Resolver"], bool]


def _value_matcher(family: str, raw: str, variables: bool) -> Matcher:
    """A predicate on one context value for one policy value (validated here, once)."""
    if family == "str":
        if variables and has_variables(raw):
            return lambda v, r: substitute(raw, r) == v
        return lambda v, r: v == raw
    if family == "stri":
        if variables and has_variables(raw):
            return lambda v, r: (s := substitute(raw, r)) is not None and s.casefold() == v.casefold()
        low = raw.casefold()
        return lambda v, r: v.casefold() == low
    if family == "like":
        pat = compile_pattern(raw, variables=variables)
        return lambda v, r: pat.match(v, r)
    if family == "arn":
        pat = compile_pattern(raw, arn=True, variables=variables)
        return lambda v, r: v.count(":") >= 5 and pat.match(v, r)
    if family.startswith("num"):
        n = _number(raw)
        if n is None:
            raise PolicyError(SYNTAX)
        cmp = _COMPARE[family[3:]]
        return lambda v, r: (x := _number(v)) is not None and cmp(x, n)
    if family.startswith("date"):
        d = _date(raw)
        if d is None:
            raise PolicyError(SYNTAX)
        cmp = _COMPARE[family[4:]]
        return lambda v, r: (x := _date(v)) is not None and cmp(x, d)
    if family == "bool":
        low = raw.lower()
        return lambda v, r: v.lower() == low
    if family == "bin":
        return lambda v, r: v == raw
    if family == "ip":
        try:
            net = ipaddress.ip_network(raw.strip(), strict=False)
        except ValueError:
            raise PolicyError(SYNTAX) from None
        return lambda v, r: (ip := _ip(v)) is not None and ip.version == net.version and ip in net
    raise AssertionError(family)


@dataclass(frozen=True)
class _Clause:
    key: str              # lower-cased context key
    family: str
    negated: bool
    if_exists: bool
    set_op: str           # "" | "all" | "any"
    null: bool | None     # for Null: True = key must be absent
    matchers: tuple[Matcher, ...]

    def holds(self, context: Context, resolve: Resolver) -> bool:
        values = context.get(self.key)
        if self.null is not None:
            return (not values) == self.null
        if values is None:
            if self.set_op == "all":
                return True
            if self.set_op == "any":
                return False
            return self.negated or self.if_exists
        if self.set_op == "all" or self.set_op == "any":
            if not values:
                return self.set_op == "all"
            test = all if self.set_op == "all" else any
            if self.negated:
                return test(not self._any(v, resolve) for v in values)
            return test(self._any(v, resolve) for v in values)
        if not values:
            return self.negated or self.if_exists
        hit = any(self._any(v, resolve) for v in values)
        return not hit if self.negated else hit

    def _any(self, value: str, resolve: Resolver) -> bool:
        return any(m(value, resolve) for m in self.matchers)


def _strings(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    out: list[str] = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, (str, int, float)):
            out.append(str(item))
        else:
            raise PolicyError(SYNTAX)
    return out


def _split_operator(name: str) -> tuple[str, str, bool]:
    set_op = ""
    if ":" in name:
        prefix, _, name = name.partition(":")
        if prefix.lower() == "forallvalues":
            set_op = "all"
        elif prefix.lower() == "foranyvalue":
            set_op = "any"
        else:
            raise PolicyError(SYNTAX)
    if_exists = name.endswith("IfExists")
    if if_exists:
        name = name[: -len("IfExists")]
    return set_op, name, if_exists


def compile_conditions(block: Any, *, variables: bool = True) -> tuple[_Clause, ...]:
    if not isinstance(block, dict):
        raise PolicyError(SYNTAX)
    clauses: list[_Clause] = []
    for op_name, keys in block.items():
        if not isinstance(op_name, str) or not isinstance(keys, dict):
            raise PolicyError(SYNTAX)
        set_op, base, if_exists = _split_operator(op_name)
        for key, raw in keys.items():
            if not isinstance(key, str) or ":" not in key:
                raise PolicyError("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
            values = _strings(raw)
            if base == "Null":
                if if_exists or set_op or len(values) != 1 or values[0].lower() not in ("true", "false"):
                    raise PolicyError(SYNTAX)
                clauses.append(_Clause(key.lower(), "null", False, False, "", values[0].lower() == "true", ()))
                continue
            if base not in _BASES:
                raise PolicyError(SYNTAX)
            family, negated = _BASES[base]
            matchers = tuple(_value_matcher(family, v, variables) for v in values)
            clauses.append(_Clause(key.lower(), family, negated, if_exists, set_op, None, matchers))
    return tuple(clauses)


def conditions_hold(clauses: Iterable[_Clause], context: Context, resolve: Resolver) -> bool:
    return all(c.holds(context, resolve) for c in clauses)


__all__ = ["Pattern", "compile_conditions", "conditions_hold", "normalise_context", "normalise_value"]

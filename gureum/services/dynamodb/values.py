"""DynamoDB attribute values: validation of what clients send, number semantics, ordering,
equality, sizes and the stored form.

A value is the wire's AttributeValue dict with exactly one member: {"S": str}, {"N": str},
{"B": bytes}, {"SS"|"NS"|"BS": [...]}, {"M": {name: value}}, {"L": [value]}, {"NULL": True},
{"BOOL": bool}. Numbers are kept as canonical strings (Decimal, at most 38 significant digits,
magnitude 1E-130 to below 1E+126, no exponent, no trailing zeros). The stored form (items in the
store are JSON) is the same with binaries as base64 text.
"""

from __future__ import annotations

import base64
import decimal
import re
from typing import Any

from gureum.aws.errors import AwsError

Value = dict[str, Any]
Item = dict[str, Value]

TYPES = ("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL")
MAX_ITEM_BYTES = 400 * 1024
MAX_HASH_KEY_BYTES = 2048
MAX_RANGE_KEY_BYTES = 1024

_CTX = decimal.Context(prec=60, Emax=999, Emin=-999, traps=[decimal.InvalidOperation])
_NUMBER = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")


def invalid(message: str) -> AwsError:
    return AwsError.modeled("dynamodb", "ValidationException", message)


def to_decimal(text: str) -> decimal.Decimal:
    """A DynamoDB number, checked as DynamoDB checks it."""
    if not isinstance(text, str) or not _NUMBER.match(text):
        raise invalid("A value provided cannot be converted into a number")
    d = _CTX.create_decimal(text.strip())
    if d.is_zero():
        return decimal.Decimal(0)
    d = d.normalize(_CTX)
    digits = len(d.as_tuple().digits)
    if digits > 38:
        raise invalid("Attempting to store more than 38 significant digits in a Number")
    exp = d.adjusted()
    if exp >= 126:
        raise invalid("Number overflow. Attempting to store a number with magnitude larger than supported range")
    if exp < -130:
        raise invalid("Number underflow. Attempting to store a number with magnitude smaller than supported range")
    return d


def canonical(d: decimal.Decimal) -> str:
    if d.is_zero():
        return "0"
    text = format(d.normalize(_CTX), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def number(text: str) -> str:
    return canonical(to_decimal(text))


def arith(a: str, b: str, op: str) -> str:
    x, y = to_decimal(a), to_decimal(b)
    r = _CTX.add(x, y) if op == "+" else _CTX.subtract(x, y)
    if len(r.normalize(_CTX).as_tuple().digits) > 38 and not r.is_zero():
        raise invalid("Number overflow. Attempting to store a number with magnitude larger than supported range"
                      if r.adjusted() >= 126 else "Attempting to store more than 38 significant digits in a Number")
    return canonical(to_decimal(str(r)))


def kind(v: Value) -> str:
    return next(iter(v))


def check(v: Any, top: bool = True) -> Value:
    """A client's AttributeValue, validated and with numbers canonical."""
    if not isinstance(v, dict) or not v:
        raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
    present = [k for k in v if v[k] is not None]
    if not present:
        raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
    if len(present) > 1:
        raise invalid("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
    t = present[0]
    x = v[t]
    if t == "N":
        return {"N": number(x)}
    if t in ("SS", "NS", "BS"):
        if not x:
            name = {"SS": "string", "NS": "number", "BS": "binary"}[t]
            raise invalid(f"One or more parameter values were invalid: An {name} set  may not be empty")
        items = [number(n) for n in x] if t == "NS" else list(x)
        if len({(i if t != "NS" else to_decimal(i)) for i in items}) != len(items):
            shown = ", ".join(str(i) for i in x)
            raise invalid(f"One or more parameter values were invalid: Input collection [{shown}] contains duplicates.")
        return {t: items}
    if t == "M":
        return {"M": {k: check(e, False) for k, e in x.items()}}
    if t == "L":
        return {"L": [check(e, False) for e in x]}
    if t == "NULL":
        if x is not True:
            raise invalid("One or more parameter values were invalid: Null attribute value types must have the value of true")
        return {"NULL": True}
    return {t: x}


def check_item(item: dict[str, Any]) -> Item:
    return {k: check(v) for k, v in item.items()}


# -- stored form ------------------------------------------------------------------------------

def to_store(v: Value) -> Value:
    t = kind(v)
    x = v[t]
    if t == "B":
        return {"B": base64.b64encode(x).decode()}
    if t == "BS":
        return {"BS": [base64.b64encode(b).decode() for b in x]}
    if t == "M":
        return {"M": {k: to_store(e) for k, e in x.items()}}
    if t == "L":
        return {"L": [to_store(e) for e in x]}
    return v


def from_store(v: Value) -> Value:
    t = kind(v)
    x = v[t]
    if t == "B":
        return {"B": base64.b64decode(x)}
    if t == "BS":
        return {"BS": [base64.b64decode(b) for b in x]}
    if t == "M":
        return {"M": {k: from_store(e) for k, e in x.items()}}
    if t == "L":
        return {"L": [from_store(e) for e in x]}
    return v


def item_to_store(item: Item) -> Item:
    return {k: to_store(v) for k, v in item.items()}


def item_from_store(item: Item) -> Item:
    return {k: from_store(v) for k, v in item.items()}


# -- comparison -------------------------------------------------------------------------------

def equal(a: Value | None, b: Value | None) -> bool:
    if a is None or b is None:
        return False
    ta, tb = kind(a), kind(b)
    if ta != tb:
        return False
    x, y = a[ta], b[tb]
    if ta == "N":
        return to_decimal(x) == to_decimal(y)
    if ta == "NS":
        return {to_decimal(i) for i in x} == {to_decimal(i) for i in y}
    if ta in ("SS", "BS"):
        return set(x) == set(y)
    if ta == "M":
        return x.keys() == y.keys() and all(equal(x[k], y[k]) for k in x)
    if ta == "L":
        return len(x) == len(y) and all(equal(i, j) for i, j in zip(x, y, strict=True))
    return bool(x == y)


def order(a: Value | None, b: Value | None) -> int | None:
    """-1/0/1 for two scalars of one orderable type (S by UTF-8 bytes, N numerically, B by
    unsigned bytes); None when they do not compare."""
    if a is None or b is None:
        return None
    ta, tb = kind(a), kind(b)
    if ta != tb or ta not in ("S", "N", "B"):
        return None
    x: Any
    y: Any
    if ta == "N":
        x, y = to_decimal(a["N"]), to_decimal(b["N"])
    elif ta == "S":
        x, y = a["S"].encode(), b["S"].encode()
    else:
        x, y = bytes(a["B"]), bytes(b["B"])
    return int((x > y) - (x < y))


# -- sizes ------------------------------------------------------------------------------------

def size(v: Value) -> int:
    """DynamoDB's size of a value (the item size rules of the developer guide)."""
    t = kind(v)
    x = v[t]
    if t == "S":
        return len(x.encode())
    if t == "N":
        d = to_decimal(x)
        return (len(d.as_tuple().digits) + 1) // 2 + 1
    if t == "B":
        return len(x)
    if t == "SS":
        return sum(len(s.encode()) for s in x)
    if t == "NS":
        return sum(size({"N": n}) for n in x)
    if t == "BS":
        return sum(len(b) for b in x)
    if t == "M":
        return 3 + sum(len(k.encode()) + size(e) + 1 for k, e in x.items())
    if t == "L":
        return 3 + sum(size(e) + 1 for e in x)
    return 1


def item_size(item: Item) -> int:
    return sum(len(k.encode()) + size(v) for k, v in item.items())

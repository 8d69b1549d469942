"""Evaluation of parsed expressions (expressions.py) on items: document paths, conditions,
projections and update actions, with DynamoDB's rules (right-hand sides of SET read the item
before the update; REMOVE of list indexes from the highest; ADD/DELETE on numbers and sets;
an emptied set is removed). Pure functions on values; no store access.
"""

from __future__ import annotations

import copy
from typing import Any

from gureum.services.dynamodb import values as V
from gureum.services.dynamodb.expressions import Node, Path
from gureum.services.dynamodb.values import Item, Value, invalid, kind


def resolve(item: Item, path: Path) -> Value | None:
    head = path[0]
    cur: Value | None = item.get(head) if isinstance(head, str) else None
    for part in path[1:]:
        if cur is None:
            return None
        if isinstance(part, int):
            if kind(cur) != "L" or part >= len(cur["L"]):
                return None
            cur = cur["L"][part]
        else:
            if kind(cur) != "M":
                return None
            cur = cur["M"].get(part)
    return cur


def _size(v: Value | None) -> Value | None:
    if v is None:
        return None
    t = kind(v)
    x = v[t]
    if t in ("S",):
        return {"N": str(len(x.encode()))}
    if t in ("B", "SS", "NS", "BS", "L", "M"):
        return {"N": str(len(x))}
    return None


def operand(item: Item, node: Node) -> Value | None:
    tag = node[0]
    if tag == "path":
        return resolve(item, node[1])
    if tag == "value":
        v: Value = node[1]
        return v
    if tag == "size":
        return _size(resolve(item, node[1]))
    raise AssertionError(tag)


def matches(item: Item, node: Node) -> bool:
    tag = node[0]
    if tag == "and":
        return matches(item, node[1]) and matches(item, node[2])
    if tag == "or":
        return matches(item, node[1]) or matches(item, node[2])
    if tag == "not":
        return not matches(item, node[1])
    if tag == "cmp":
        op, a, b = node[1], operand(item, node[2]), operand(item, node[3])
        if op == "=":
            return V.equal(a, b)
        if op == "<>":
            return not V.equal(a, b)
        c = V.order(a, b)
        if c is None:
            return False
        return {"<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]
    if tag == "between":
        a, lo, hi = operand(item, node[1]), operand(item, node[2]), operand(item, node[3])
        c1, c2 = V.order(lo, a), V.order(a, hi)
        return c1 is not None and c2 is not None and c1 <= 0 and c2 <= 0
    if tag == "in":
        a = operand(item, node[1])
        return any(V.equal(a, operand(item, b)) for b in node[2])
    if tag == "fn":
        return _function(item, node[1], node[2])
    raise AssertionError(tag)


def _function(item: Item, name: str, args: list[Node]) -> bool:
    if name == "attribute_exists":
        return resolve(item, args[0][1]) is not None
    if name == "attribute_not_exists":
        return resolve(item, args[0][1]) is None
    a = operand(item, args[0])
    b = operand(item, args[1])
    if a is None or b is None:
        return False
    if name == "attribute_type":
        return bool(kind(a) == b["S"])
    ta, tb = kind(a), kind(b)
    if name == "begins_with":
        if ta == tb == "S":
            return bool(a["S"].startswith(b["S"]))
        if ta == tb == "B":
            return bytes(a["B"]).startswith(bytes(b["B"]))
        return False
    # contains
    if ta == tb == "S":
        return b["S"] in a["S"]
    if ta == tb == "B":
        return bytes(b["B"]) in bytes(a["B"])
    if ta in ("SS", "BS") and tb == ta[0]:
        return b[tb] in a[ta]
    if ta == "NS" and tb == "N":
        return any(V.to_decimal(n) == V.to_decimal(b["N"]) for n in a["NS"])
    if ta == "L":
        return any(V.equal(e, b) for e in a["L"])
    return False


def project(item: Item, paths: list[Path]) -> Item:
    out: Item = {}
    for p in paths:
        v = resolve(item, p)
        if v is None:
            continue
        _put_projected(out, p, v)
    return out


def _put_projected(out: Item, p: Path, v: Value) -> None:
    # Lists in a projection keep only the projected elements, in index order (as DynamoDB).
    head = p[0]
    assert isinstance(head, str)
    if len(p) == 1:
        out[head] = copy.deepcopy(v)
        return
    container: Any = out.setdefault(head, {"M": {}} if isinstance(p[1], str) else {"L": []})
    for i, part in enumerate(p[1:], 1):
        last = i == len(p) - 1
        nxt = None if last else p[i + 1]
        fresh: Value = copy.deepcopy(v) if last else ({"M": {}} if isinstance(nxt, str) else {"L": []})
        if isinstance(part, str):
            m = container["M"]
            if last:
                m[part] = fresh
            container = m.setdefault(part, fresh)
        else:
            lst = container["L"]
            lst.append(fresh)
            container = fresh


# -- updates ----------------------------------------------------------------------------------

def _bad_path() -> Exception:
    return invalid("The document path provided in the update expression is invalid for update")


def _wrong_type() -> Exception:
    return invalid("An operand in the update expression has an incorrect data type")


def _set_value(item: Item, node: Node) -> Value:
    tag = node[0]
    if tag == "value":
        v: Value = node[1]
        return v
    if tag == "path":
        got = resolve(item, node[1])
        if got is None:
            raise invalid("The provided expression refers to an attribute that does not exist in the item")
        return got
    if tag == "if_not_exists":
        got = resolve(item, node[1])
        return got if got is not None else _set_value(item, node[2])
    if tag == "list_append":
        a, b = _set_value(item, node[1]), _set_value(item, node[2])
        for x in (a, b):
            if kind(x) != "L":
                raise invalid("Invalid UpdateExpression: Incorrect operand type for operator or function; "
                              f"operator: list_append, operand type: {kind(x)}")
        return {"L": a["L"] + b["L"]}
    a, b = _set_value(item, node[1]), _set_value(item, node[2])
    for x in (a, b):
        if kind(x) != "N":
            raise invalid(f"Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: {tag}, operand type: {kind(x)}")
    return {"N": V.arith(a["N"], b["N"], tag)}


def _parent(item: Item, path: Path, create: bool) -> tuple[Any, str | int] | None:
    """The container (a dict of attributes/map members, or a list) holding `path`'s last part."""
    if len(path) == 1:
        return item, path[0]
    parent = resolve(item, path[:-1])
    last = path[-1]
    if parent is None:
        if create:
            raise _bad_path()
        return None
    if isinstance(last, int):
        if kind(parent) != "L":
            if create:
                raise _bad_path()
            return None
        return parent["L"], last
    if kind(parent) != "M":
        if create:
            raise _bad_path()
        return None
    return parent["M"], last


def _assign(item: Item, path: Path, v: Value) -> None:
    got = _parent(item, path, True)
    assert got is not None
    container, last = got
    if isinstance(last, int):
        if last >= len(container):
            container.append(v)
        else:
            container[last] = v
    else:
        container[last] = v


def apply_update(item: Item, clauses: dict[str, list[Node]]) -> Item:
    """A new item: `item` with the update's actions applied."""
    new = copy.deepcopy(item)
    for path, node in [(a[0], a[1]) for a in clauses.get("SET", [])]:
        _assign(new, path, copy.deepcopy(_set_value(item, node)))
    removes = [a[0] for a in clauses.get("REMOVE", [])]
    for path in sorted(removes, key=lambda p: [(-x if isinstance(x, int) else 0) for x in p]):
        got = _parent(new, path, False)
        if got is None:
            continue
        container, last = got
        if isinstance(last, int):
            if last < len(container):
                del container[last]
        else:
            container.pop(last, None)
    for path, v in [(a[0], a[1]) for a in clauses.get("ADD", [])]:
        cur = resolve(new, path)
        t = kind(v)
        if cur is None:
            _assign(new, path, copy.deepcopy(v))
        elif t == "N":
            if kind(cur) != "N":
                raise _wrong_type()
            _assign(new, path, {"N": V.arith(cur["N"], v["N"], "+")})
        else:
            if kind(cur) != t:
                raise _wrong_type()
            merged = list(cur[t])
            for e in v[t]:
                if not _in_set(t, e, merged):
                    merged.append(e)
            _assign(new, path, {t: merged})
    for path, v in [(a[0], a[1]) for a in clauses.get("DELETE", [])]:
        cur = resolve(new, path)
        t = kind(v)
        if cur is None:
            continue
        if kind(cur) != t:
            raise _wrong_type()
        kept = [e for e in cur[t] if not _in_set(t, e, v[t])]
        if kept:
            _assign(new, path, {t: kept})
        else:
            got = _parent(new, path, False)
            if got is not None:
                container, last = got
                if isinstance(last, int):
                    del container[last]
                else:
                    container.pop(last, None)
    return new


def _in_set(t: str, e: Any, members: list[Any]) -> bool:
    if t == "NS":
        return any(V.to_decimal(e) == V.to_decimal(m) for m in members)
    return e in members

"""Query and Scan: a key condition becomes one key range of the store (keys.py), read in key
order (or reversed), `Limit` counting items evaluated before the filter and pages ending at
1 MB of evaluated data, as AWS does; LastEvaluatedKey carries the table's key (and the index's).
Scan's parallel segments split the table by a hash of the partition key.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from gureum.services.dynamodb import evaluate as E
from gureum.services.dynamodb import expressions as X
from gureum.services.dynamodb import items as I
from gureum.services.dynamodb import keys as K
from gureum.services.dynamodb import values as V
from gureum.services.dynamodb.operations import context
from gureum.services.dynamodb.values import Item, Value, invalid, kind
from gureum.store import Txn

PAGE_BYTES = 1024 * 1024
_CHUNK = 200


@dataclass
class Result:
    items: list[Item]
    count: int
    scanned: int
    last_key: Item | None
    read_bytes: int


def _select(p: dict[str, Any], ix: I.Index | None, projection: list[X.Path] | None) -> str:
    sel = p.get("Select")
    if sel is None:
        sel = "SPECIFIC_ATTRIBUTES" if projection is not None else ("ALL_PROJECTED_ATTRIBUTES" if ix else "ALL_ATTRIBUTES")
    if projection is not None and sel != "SPECIFIC_ATTRIBUTES":
        raise invalid(f"Cannot specify the ProjectionExpression when choosing to get {sel}")
    if sel == "ALL_PROJECTED_ATTRIBUTES" and ix is None:
        raise invalid("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
    if sel == "ALL_ATTRIBUTES" and ix is not None and not ix.local and ix.projection != "ALL":
        raise invalid(f"One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global "
                      f"secondary index {ix.name} because its projection type is not ALL")
    return str(sel)


def _key_condition(node: X.Node, hash_name: str, range_name: str | None, types: dict[str, str]
                   ) -> tuple[Value, X.Node | None]:
    parts: list[X.Node] = []

    def flatten(n: X.Node) -> None:
        if n[0] == "and":
            flatten(n[1])
            flatten(n[2])
        else:
            parts.append(n)

    flatten(node)
    if len(parts) > 2:
        raise invalid("Conditions can be of length 1 or 2 only")
    hash_value: Value | None = None
    range_cond: X.Node | None = None
    for c in parts:
        tag = c[0]
        target: tuple[str | int, ...] | None = None
        if tag == "cmp" and c[2][0] == "path" and c[3][0] == "value" and c[1] != "<>":
            target, vals = c[2][1], [c[3][1]]
        elif tag == "between" and c[1][0] == "path" and c[2][0] == "value" and c[3][0] == "value":
            target, vals = c[1][1], [c[2][1], c[3][1]]
        elif tag == "fn" and c[1] == "begins_with" and c[2][0][0] == "path" and c[2][1][0] == "value":
            target, vals = c[2][0][1], [c[2][1][1]]
        else:
            op = {"or": "OR", "not": "NOT", "in": "IN"}.get(tag) or (c[1] if tag == "cmp" else "")
            if op in ("OR", "NOT", "IN", "<>"):
                raise invalid(f"Invalid operator used in KeyConditionExpression: {op}")
            raise invalid("Query key condition not supported")
        if len(target) != 1:
            raise invalid("Query key condition not supported")
        name = str(target[0])
        for v in vals:
            if name in types and kind(v) != types[name]:
                raise invalid("One or more parameter values were invalid: Condition parameter type does not match schema type")
        if name == hash_name:
            if tag != "cmp" or c[1] != "=" or hash_value is not None:
                raise invalid("Query key condition not supported")
            hash_value = vals[0]
        elif name == range_name and range_cond is None:
            if tag == "fn" and kind(vals[0]) not in ("S", "B"):
                raise invalid("Query key condition not supported")
            range_cond = c
        else:
            raise invalid("Query condition missed key schema element" + (f": {hash_name}" if hash_value is None else ""))
    if hash_value is None:
        raise invalid(f"Query condition missed key schema element: {hash_name}")
    return hash_value, range_cond


def _bounds(prefix: str, cond: X.Node | None) -> tuple[str, str | None, str | None]:
    """(scan prefix, start, end) of the sort-key condition under the partition's prefix."""
    if cond is None:
        return prefix, None, None
    if cond[0] == "between":
        lo, hi = K.encode(cond[2][1]), K.encode(cond[3][1])
        return prefix, prefix + lo + "/", prefix + hi + "0"
    if cond[0] == "fn":
        return prefix + K.encode(cond[2][1][1]), None, None
    op, e = cond[1], K.encode(cond[3][1])
    if op == "=":
        return prefix + e + "/", None, None
    return {
        "<": (prefix, None, prefix + e + "/"),
        "<=": (prefix, None, prefix + e + "0"),
        ">": (prefix, prefix + e + "0", None),
        ">=": (prefix, prefix + e + "/", None),
    }[op]


def _start_key(s: I.Schema, ix: I.Index | None, esk: dict[str, Any] | None) -> str | None:
    if esk is None:
        return None
    item = V.check_item(esk)
    need = set(s.key_attrs()) | ({ix.hash} | ({ix.range} if ix.range else set()) if ix else set())
    if set(item) != need or any(kind(item[n]) != s.types[n] for n in need):
        raise invalid("The provided starting key is invalid: The provided key element does not match the schema")
    return I.index_key(s, ix, item) if ix else I.store_key(s, item)


def _run(txn: Txn, s: I.Schema, ix: I.Index | None, prefix: str, start: str | None, end: str | None, forward: bool,
         esk: str | None, limit: int | None, filt: X.Node | None, segment: tuple[int, int] | None) -> Result:
    table = I.INDEX if ix else I.ITEMS
    if esk is not None:
        if forward:
            nxt = esk[:-1] + "0"
            start = nxt if start is None or nxt > start else start
        else:
            end = esk if end is None or esk < end else end
    out: list[Item] = []
    scanned = 0
    size = 0
    last: Item | None = None
    done = False
    while not done:
        rows = txn.scan(table, prefix, start=start, end=end, limit=_CHUNK, reverse=not forward)
        for k, row in rows:
            if segment is not None:
                h = k[len(prefix):].split("/", 1)[0] if not ix else k.split("/")[-3]
                if zlib.crc32(h.encode()) % segment[1] != segment[0]:
                    continue
            item = V.item_from_store(row["i"])
            scanned += 1
            size += V.item_size(item)
            last = item
            if filt is None or E.matches(item, filt):
                out.append(item)
            if (limit is not None and scanned >= limit) or size >= PAGE_BYTES:
                done = True
                break
        else:
            if len(rows) < _CHUNK:
                last = None
                break
        if not done and rows:
            if forward:
                start = rows[-1][0][:-1] + "0"
            else:
                end = rows[-1][0]
    last_key = None
    if done and last is not None:
        names = set(s.key_attrs()) | ({ix.hash} | ({ix.range} if ix.range else set()) if ix else set())
        last_key = {n: last[n] for n in names if n in last}
    return Result(out, len(out), scanned, last_key, size)


def _shape_items(txn: Txn, s: I.Schema, ix: I.Index | None, res: Result, sel: str, projection: list[X.Path] | None) -> None:
    if sel == "COUNT":
        res.items = []
        return
    if ix is not None and ix.local and ix.projection != "ALL" and (sel == "ALL_ATTRIBUTES" or projection is not None):
        res.items = [I.get(txn, s, I.key_of(s, it)) or it for it in res.items]  # LSI: fetch from the table
    if projection is not None:
        res.items = [E.project(it, projection) for it in res.items]


def query(txn: Txn, s: I.Schema, p: dict[str, Any]) -> Result:
    ix = s.index(p["IndexName"]) if p.get("IndexName") else None
    if ix is not None and not ix.local and p.get("ConsistentRead"):
        raise invalid("Consistent reads are not supported on global secondary indexes")
    if p.get("KeyConditionExpression") is None:
        raise invalid("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
    ctx = context(p, ("KeyConditionExpression", "FilterExpression", "ProjectionExpression"))
    kc = X.condition(p["KeyConditionExpression"], "KeyConditionExpression", ctx)
    filt = X.condition(p["FilterExpression"], "FilterExpression", ctx) if p.get("FilterExpression") is not None else None
    projection = X.projection(p["ProjectionExpression"], ctx) if p.get("ProjectionExpression") is not None else None
    ctx.check_unused()
    sel = _select(p, ix, projection)
    hname, rname = (ix.hash, ix.range) if ix else (s.hash, s.range)
    hval, rcond = _key_condition(kc, hname, rname, s.types)
    if filt is not None:
        for path in _paths(filt):
            if path[0] in (hname, rname):
                raise invalid(f"Filter Expression can only contain non-primary key attributes: Primary key attribute: {path[0]}")
    base = f"{s.tkey}/{ix.name}/" if ix else f"{s.tkey}/"
    prefix, start, end = _bounds(f"{base}{K.encode(hval)}/", rcond)
    res = _run(txn, s, ix, prefix, start, end, p.get("ScanIndexForward", True) is not False,
               _start_key(s, ix, p.get("ExclusiveStartKey")), p.get("Limit"), filt, None)
    _shape_items(txn, s, ix, res, sel, projection)
    return res


def _paths(node: X.Node) -> list[X.Path]:
    found: list[X.Path] = []

    def walk(n: Any) -> None:
        if isinstance(n, tuple):
            if n and n[0] in ("path", "size") and len(n) == 2 and isinstance(n[1], tuple):
                found.append(n[1])
                return
            for x in n:
                walk(x)
        elif isinstance(n, list):
            for x in n:
                walk(x)

    walk(node)
    return found


def scan(txn: Txn, s: I.Schema, p: dict[str, Any]) -> Result:
    ix = s.index(p["IndexName"]) if p.get("IndexName") else None
    if ix is not None and not ix.local and p.get("ConsistentRead"):
        raise invalid("Consistent reads are not supported on global secondary indexes")
    seg, total = p.get("Segment"), p.get("TotalSegments")
    if seg is not None and total is None:
        raise invalid("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
    if total is not None and seg is None:
        raise invalid("The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
    if seg is not None and total is not None and seg >= total:
        raise invalid(f"The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {seg} "
                      f"is not less than TotalSegments: {total}")
    ctx = context(p, ("FilterExpression", "ProjectionExpression"))
    filt = X.condition(p["FilterExpression"], "FilterExpression", ctx) if p.get("FilterExpression") is not None else None
    projection = X.projection(p["ProjectionExpression"], ctx) if p.get("ProjectionExpression") is not None else None
    ctx.check_unused()
    sel = _select(p, ix, projection)
    prefix = f"{s.tkey}/{ix.name}/" if ix else f"{s.tkey}/"
    res = _run(txn, s, ix, prefix, None, None, True, _start_key(s, ix, p.get("ExclusiveStartKey")), p.get("Limit"), filt,
               (seg, total) if seg is not None and total is not None else None)
    _shape_items(txn, s, ix, res, sel, projection)
    return res

"""PartiQL's ExecuteStatement, BatchExecuteStatement and ExecuteTransaction on a store
transaction, over statements parsed by partiql_parse.py.

Reads: a SELECT whose WHERE has the partition key (of the table or the named index) by equality
or IN among its top-level AND terms reads one key range of the store per partition value
(query.py's ranges, narrowed by a sort-key comparison when there is one); any other SELECT is a
scan. The whole WHERE is then applied as a filter. `Limit` counts items evaluated, pages stop at
1 MB, and NextToken is the base64 of {"h": position in the IN list, "k": LastEvaluatedKey}.
Writes: the WHERE of UPDATE/DELETE must hold an equality on every key attribute; its other terms
become the write's condition. Every write goes through operations.py's put/update/delete (the
same function as PutItem/UpdateItem/DeleteItem), so conditions, index rows and stream records
follow. INSERT is a put on an absent key (DuplicateItemException otherwise); UPDATE of an absent
item fails its condition as in AWS. Transactions reuse batch.py's idempotency-token table.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.dynamodb import batch as B
from gureum.services.dynamodb import capacity as C
from gureum.services.dynamodb import evaluate as E
from gureum.services.dynamodb import items as I
from gureum.services.dynamodb import keys as K
from gureum.services.dynamodb import operations as O
from gureum.services.dynamodb import query as Q
from gureum.services.dynamodb import tables as T
from gureum.services.dynamodb import values as V
from gureum.services.dynamodb.expressions import Node
from gureum.services.dynamodb.partiql_parse import Statement, parse, unsupported
from gureum.services.dynamodb.values import Item, Value, invalid, kind
from gureum.store import Txn

MAX_BATCH = 25
MANDATORY_KEYS = "Where clause does not contain a mandatory equality on all key attributes"


def _conjuncts(node: Node | None) -> list[Node]:
    if node is None:
        return []
    if node[0] == "and":
        return _conjuncts(node[1]) + _conjuncts(node[2])
    return [node]


def _and(parts: list[Node]) -> Node | None:
    out: Node | None = None
    for p in parts:
        out = p if out is None else ("and", out, p)
    return out


def _schema(txn: Txn, account: str, region: str, name: str) -> I.Schema:
    """The table a statement names: by name, in the caller's account and region (an ARN would
    reach another account's table past the policy gate, which sees no resource here)."""
    if arns.looks_like_arn(name):
        raise T.not_found()
    return O.schema_for(txn, account, region, name)


def _key_eq(c: Node) -> tuple[str, Value] | None:
    """`name = value` (either way round) on a top-level attribute."""
    if c[0] != "cmp" or c[1] != "=":
        return None
    a, b = c[2], c[3]
    if a[0] == "value" and b[0] == "path":
        a, b = b, a
    if a[0] == "path" and len(a[1]) == 1 and b[0] == "value":
        return str(a[1][0]), b[1]
    return None


def _flip(c: Node) -> Node:
    """A comparison with the value on the left, turned round (`5 < sk` is `sk > 5`)."""
    if c[0] == "cmp" and c[2][0] == "value" and c[3][0] == "path":
        op = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(c[1], c[1])
        return ("cmp", op, c[3], c[2])
    return c


# -- writes -----------------------------------------------------------------------------------

@dataclass
class Write:
    """A write statement resolved against its table: the key, the condition, the request."""

    st: Statement
    schema: I.Schema
    key: Item
    condition: Node | None


def _resolve_write(txn: Txn, account: str, region: str, st: Statement) -> Write:
    s = _schema(txn, account, region, st.table)
    if st.kind == "insert":
        assert st.item is not None
        item = I.check_item(s, st.item, checked=True)
        return Write(st, s, I.key_of(s, item), None)
    key: dict[str, Value] = {}
    rest: list[Node] = []
    for c in _conjuncts(st.where):
        eq = _key_eq(c)
        if eq is not None and eq[0] in s.key_attrs() and eq[0] not in key:
            key[eq[0]] = eq[1]
        else:
            rest.append(c)
    if set(key) != set(s.key_attrs()):
        raise invalid(MANDATORY_KEYS)
    for name, v in key.items():
        if kind(v) != s.types[name]:
            raise invalid("One or more parameter values were invalid: Type mismatch for key " + name)
    return Write(st, s, I.check_key(s, key), _and(rest))


def _exists(s: I.Schema) -> Node:
    return ("fn", "attribute_exists", [("path", (s.hash,))])


def _duplicate() -> AwsError:
    return AwsError.modeled("dynamodb", "DuplicateItemException", "Duplicate primary key exists in table")


def run_write(txn: Txn, w: Write, extra: dict[str, Any]) -> tuple[Item | None, Item | None, list[Item]]:
    """The write, through the item operations; (old, new, the RETURNING items)."""
    st, s = w.st, w.schema
    p: dict[str, Any] = {"ReturnValuesOnConditionCheckFailure": extra.get("ReturnValuesOnConditionCheckFailure")}
    if st.kind == "insert":
        if I.get(txn, s, w.key) is not None:
            raise _duplicate()
        assert st.item is not None
        old, new, _ = O.put_item(txn, s, p | {"Item": st.item}, O.Parsed())
        return old, new, []
    if st.kind == "delete":
        old, out = O.delete_item(txn, s, p | {"Key": w.key, "ReturnValues": st.returning or "NONE"},
                                 O.Parsed(condition=w.condition))
        return old, None, [out["Attributes"]] if "Attributes" in out else []
    if st.kind == "update":
        cond = _exists(s) if w.condition is None else ("and", _exists(s), w.condition)
        old, new, out = O.update_item(txn, s, p | {"Key": w.key, "ReturnValues": st.returning or "NONE"},
                                      O.Parsed(condition=cond, update=st.update))
        return old, new, [out["Attributes"]] if "Attributes" in out else []
    # exists: a condition check that the item is there and matches
    cond = _exists(s) if w.condition is None else ("and", _exists(s), w.condition)
    old = O.condition_check(txn, s, p | {"Key": w.key}, O.Parsed(condition=cond))
    return old, old, []


def _write_units(old: Item | None, new: Item | None, transactional: bool = False) -> float:
    return C.write_units(max(V.item_size(old or {}), V.item_size(new or {})), transactional)


# -- reads ------------------------------------------------------------------------------------

@dataclass
class Page:
    items: list[Item]
    next_token: str | None
    last_key: Item | None
    read_bytes: int


def _token(h: int, last: Item | None) -> str:
    body = {"h": h, "k": V.item_to_store(last) if last is not None else None}
    return base64.b64encode(json.dumps(body, sort_keys=True).encode()).decode()


def _untoken(token: str) -> tuple[int, Item | None]:
    try:
        body = json.loads(base64.b64decode(token, validate=True))
        k = body["k"]
        h = int(body["h"])
        item = V.check_item(V.item_from_store(k)) if k is not None else None
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError, StopIteration, AwsError):
        raise invalid("Invalid NextToken") from None
    if h < 0:
        raise invalid("Invalid NextToken")
    return h, item


def _partitions(s: I.Schema, hname: str, where: Node | None) -> list[Value] | None:
    """The partition key values WHERE fixes (equality or IN among its AND terms), or None."""
    for c in _conjuncts(where):
        eq = _key_eq(c)
        if eq is not None and eq[0] == hname:
            return [eq[1]]
        if c[0] == "in" and c[1] == ("path", (hname,)) and all(x[0] == "value" for x in c[2]):
            seen: list[Value] = []
            for x in c[2]:
                if not any(V.equal(x[1], y) for y in seen):
                    seen.append(x[1])
            return seen
    return None


def _range_cond(rname: str | None, where: Node | None) -> Node | None:
    if rname is None:
        return None
    target = ("path", (rname,))
    for c in map(_flip, _conjuncts(where)):
        if c[0] == "cmp" and c[1] != "<>" and c[2] == target and c[3][0] == "value":
            return c
        if c[0] == "between" and c[1] == target and c[2][0] == "value" and c[3][0] == "value":
            return c
        if c[0] == "fn" and c[1] == "begins_with" and c[2][0] == target and c[2][1][0] == "value" \
                and kind(c[2][1][1]) in ("S", "B"):
            return c
    return None


def select(txn: Txn, account: str, region: str, st: Statement, *, limit: int | None, token: str | None,
           consistent: bool) -> Page:
    s = _schema(txn, account, region, st.table)
    ix = s.index(st.index) if st.index else None
    if ix is not None and not ix.local and consistent:
        raise invalid("Consistent reads are not supported on global secondary indexes")
    hname, rname = (ix.hash, ix.range) if ix else (s.hash, s.range)
    base = f"{s.tkey}/{ix.name}/" if ix else f"{s.tkey}/"
    parts = _partitions(s, hname, st.where)
    if st.order_by is not None and (parts is None or st.order_by != (rname,)):
        raise unsupported("ORDER BY is supported only on the sort key of a query on one partition key")
    h, esk_item = _untoken(token) if token else (0, None)
    need = set(s.key_attrs()) | ({ix.hash} | ({ix.range} if ix.range else set()) if ix else set())
    if esk_item is not None and (set(esk_item) != need or any(kind(esk_item[n]) != s.types[n] for n in need)):
        raise invalid("Invalid NextToken")
    items: list[Item] = []
    size = 0
    left = limit
    last_key: Item | None = None
    next_h: int | None = None
    if parts is None:
        esk = (I.index_key(s, ix, esk_item) if ix else I.store_key(s, esk_item)) if esk_item else None
        res = Q._run(txn, s, ix, base, None, None, True, esk, left, st.where, None)
        items, size, last_key = res.items, res.read_bytes, res.last_key
        next_h = 0 if last_key is not None else None
    else:
        rcond = _range_cond(rname, st.where)
        while h < len(parts):
            hv = parts[h]
            if kind(hv) != s.types[hname]:
                h += 1
                continue  # a value of another type matches nothing
            prefix, start, end = Q._bounds(f"{base}{K.encode(hv)}/", rcond)
            esk = (I.index_key(s, ix, esk_item) if ix else I.store_key(s, esk_item)) if esk_item else None
            res = Q._run(txn, s, ix, prefix, start, end, not st.descending, esk, left, st.where, None)
            esk_item = None
            items += res.items
            size += res.read_bytes
            if res.last_key is not None:
                last_key, next_h = res.last_key, h
                break
            if left is not None:
                left -= res.scanned
            h += 1
            if (left is not None and left <= 0) or size >= Q.PAGE_BYTES:
                if h < len(parts):
                    next_h = h
                break
    if ix is not None and ix.local and ix.projection != "ALL":
        items = [I.get(txn, s, I.key_of(s, it)) or it for it in items]
    if st.projection is not None:
        items = [E.project(it, st.projection) for it in items]
    nt = _token(next_h, last_key) if next_h is not None else None
    return Page(items, nt, last_key, size)


def _get_by_key(txn: Txn, account: str, region: str, st: Statement) -> tuple[Item | None, int]:
    """A batch's or a transaction's SELECT: one item by its full primary key."""
    if st.index is not None:
        raise invalid("Batch and transaction reads must read a table by its full primary key, not an index")
    w = _resolve_write(txn, account, region, Statement("select", st.table, where=st.where))
    item = I.get(txn, w.schema, w.key)
    size = V.item_size(item or {})
    if item is None or (w.condition is not None and not E.matches(item, w.condition)):
        return None, size
    return (E.project(item, st.projection) if st.projection is not None else item), size


# -- the three operations ---------------------------------------------------------------------

def _statement(text: str, params: list[Any] | None, allow_exists: bool = False) -> Statement:
    return parse(text, params, allow_exists=allow_exists)


def execute(txn: Txn, account: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
    st = _statement(p["Statement"], p.get("Parameters"))
    mode = p.get("ReturnConsumedCapacity")
    table = T.name_of(st.table)
    if st.is_read:
        page = select(txn, account, region, st, limit=p.get("Limit"), token=p.get("NextToken"),
                      consistent=bool(p.get("ConsistentRead")))
        out: dict[str, Any] = {"Items": page.items}
        if page.next_token:
            out["NextToken"] = page.next_token
        if page.last_key is not None:
            out["LastEvaluatedKey"] = page.last_key
        shaped = C.shape(mode, table, C.read_units(page.read_bytes, bool(p.get("ConsistentRead"))), write=False)
    else:
        if p.get("NextToken") or p.get("Limit") is not None:
            raise invalid("Limit and NextToken are supported only for SELECT statements")
        w = _resolve_write(txn, account, region, st)
        old, new, returned = run_write(txn, w, p)
        out = {"Items": returned}
        shaped = C.shape(mode, table, _write_units(old, new), write=True)
    if shaped:
        out["ConsumedCapacity"] = shaped
    return out


def _error_code(e: AwsError) -> str:
    return {"ConditionalCheckFailedException": "ConditionalCheckFailed", "DuplicateItemException": "DuplicateItem",
            "ResourceNotFoundException": "ResourceNotFound", "TransactionConflictException": "TransactionConflict",
            "ProvisionedThroughputExceededException": "ProvisionedThroughputExceeded",
            "ItemCollectionSizeLimitExceededException": "ItemCollectionSizeLimitExceeded"}.get(e.code, "ValidationError")


def batch(txn: Txn, account: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
    reqs = p["Statements"]
    if len(reqs) > MAX_BATCH:
        raise invalid(f"Member must have length less than or equal to {MAX_BATCH}")
    parsed: list[Statement | AwsError] = []
    for r in reqs:
        try:
            parsed.append(_statement(r["Statement"], r.get("Parameters")))
        except AwsError as e:
            parsed.append(e)
    reads = {x.is_read for x in parsed if isinstance(x, Statement)}
    if len(reads) > 1:
        raise invalid("Statements in a batch must all be reads or all be writes")
    responses: list[dict[str, Any]] = []
    consumed: dict[str, float] = {}
    for r, st in zip(reqs, parsed, strict=True):
        if isinstance(st, AwsError):
            responses.append({"Error": {"Code": "ValidationError", "Message": st.message}})
            continue
        table = T.name_of(st.table)
        try:
            if st.is_read:
                item, size = _get_by_key(txn, account, region, st)
                consumed[table] = consumed.get(table, 0) + C.read_units(size, bool(r.get("ConsistentRead")))
                responses.append({"TableName": table} | ({"Item": item} if item is not None else {}))
            else:
                w = _resolve_write(txn, account, region, st)
                old, new, _ = run_write(txn, w, r)
                consumed[table] = consumed.get(table, 0) + _write_units(old, new)
                responses.append({"TableName": table})
        except AwsError as e:
            err: dict[str, Any] = {"Code": _error_code(e), "Message": e.message}
            if e.code == "ConditionalCheckFailedException" and e.fields.get("Item") is not None:
                err["Item"] = V.item_from_store(e.fields["Item"])
            responses.append({"TableName": table, "Error": err})
    out: dict[str, Any] = {"Responses": responses}
    mode = p.get("ReturnConsumedCapacity")
    if mode in ("TOTAL", "INDEXES"):
        write = not all(reads) if reads else True
        out["ConsumedCapacity"] = [C.shape(mode, t, u, write=write) for t, u in consumed.items()]
    return out


def transaction(txn: Txn, account: str, region: str, p: dict[str, Any], now: float) -> dict[str, Any]:
    acts = p["TransactStatements"]
    if len(acts) > B.MAX_TRANSACT:
        raise invalid(f"Member must have length less than or equal to {B.MAX_TRANSACT}")
    token = p.get("ClientRequestToken")
    if token:
        prev = txn.get(B.TOKENS, f"{account}/{region}/partiql/{token}")
        if prev is not None and now - prev["at"] < B.TOKEN_SECONDS:
            if prev["digest"] != B._digest(p):
                raise AwsError.modeled("dynamodb", "IdempotentParameterMismatchException",
                                       "The request uses the same client token as a previous, but non-identical request.")
            return dict(prev.get("out") or {})
    sts = [_statement(a["Statement"], a.get("Parameters"), allow_exists=True) for a in acts]
    reads = {st.is_read for st in sts}
    if len(reads) > 1:
        raise invalid("Transactions must contain only reads (SELECT) or only writes (INSERT, UPDATE, DELETE, EXISTS)")
    consumed: dict[str, float] = {}
    out: dict[str, Any] = {}
    mode = p.get("ReturnConsumedCapacity")
    if reads == {True}:
        responses = []
        for st in sts:
            item, size = _get_by_key(txn, account, region, st)
            table = T.name_of(st.table)
            consumed[table] = consumed.get(table, 0) + C.read_units(size, True, True)
            responses.append({"Item": item} if item is not None else {})
        out["Responses"] = responses
        if mode in ("TOTAL", "INDEXES"):
            out["ConsumedCapacity"] = [C.shape(mode, t, u, write=False) for t, u in consumed.items()]
        return out
    writes = [_resolve_write(txn, account, region, st) for st in sts]
    seen: set[str] = set()
    for w in writes:
        sk = I.store_key(w.schema, w.key)
        if sk in seen:
            raise invalid("Transaction request cannot include multiple operations on one item")
        seen.add(sk)
    reasons: list[dict[str, Any]] = []
    failed = False
    for a, w in zip(acts, writes, strict=True):
        try:
            old, new, _ = run_write(txn, w, a)
            table = T.name_of(w.st.table)
            consumed[table] = consumed.get(table, 0) + _write_units(old, new, True)
            reasons.append({"Code": "None"})
        except AwsError as e:
            if e.code not in ("ConditionalCheckFailedException", "DuplicateItemException"):
                raise
            failed = True
            if e.code == "DuplicateItemException":
                reasons.append({"Code": "DuplicateItem", "Message": "Duplicate primary key exists in table"})
            else:
                reason: dict[str, Any] = {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}
                if e.fields.get("Item") is not None:
                    reason["Item"] = e.fields["Item"]
                reasons.append(reason)
    if failed:
        codes = ", ".join(r["Code"] for r in reasons)
        raise AwsError.modeled("dynamodb", "TransactionCanceledException",
                               f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
                               CancellationReasons=reasons)
    if mode in ("TOTAL", "INDEXES"):
        out["ConsumedCapacity"] = [C.shape(mode, t, u, write=True) for t, u in consumed.items()]
    if token:
        txn.put(B.TOKENS, f"{account}/{region}/partiql/{token}", {"digest": B._digest(p), "at": now, "out": out})
    return out

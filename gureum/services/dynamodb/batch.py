"""BatchGetItem, BatchWriteItem, TransactGetItems and TransactWriteItems, each one store
transaction: a batch's limits (100 keys, 25 writes, 16 MB of response with the rest as
UnprocessedKeys), a transaction's all-or-nothing (every action's condition evaluated, the
CancellationReasons in action order, nothing written when one fails) and ClientRequestToken
idempotency for 10 minutes.

Table dynamodb_tokens: "{account}/{region}/{token}" -> {"digest": sha256 of the request,
"at": epoch}; a token older than 10 minutes is replaced.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.dynamodb import capacity as C
from gureum.services.dynamodb import evaluate as E
from gureum.services.dynamodb import items as I
from gureum.services.dynamodb import operations as O
from gureum.services.dynamodb import values as V
from gureum.services.dynamodb.values import Item, invalid
from gureum.store import Txn

TOKENS = "dynamodb_tokens"
TOKEN_SECONDS = 600
MAX_BATCH_GET = 100
MAX_BATCH_WRITE = 25
MAX_TRANSACT = 100
RESPONSE_BYTES = 16 * 1024 * 1024


def _schema(txn: Txn, account: str, region: str, name: str, cache: dict[str, I.Schema]) -> I.Schema:
    if name not in cache:
        cache[name] = O.schema_for(txn, account, region, name)
    return cache[name]


def batch_get(txn: Txn, account: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
    req = p["RequestItems"]
    total = sum(len(r.get("Keys") or []) for r in req.values())
    if total > MAX_BATCH_GET:
        raise invalid("Too many items requested for the BatchGetItem call")
    cache: dict[str, I.Schema] = {}
    responses: dict[str, list[Item]] = {}
    unprocessed: dict[str, Any] = {}
    consumed: dict[str, float] = {}
    size = 0
    plans = []
    for table, r in req.items():
        s = _schema(txn, account, region, table, cache)
        parsed = O.parse(r)
        keys = [I.check_key(s, k) for k in r["Keys"]]
        if len({I.store_key(s, k) for k in keys}) != len(keys):
            raise invalid("Provided list of item keys contains duplicates")
        plans.append((table, r, s, parsed, keys))
    for table, r, s, parsed, keys in plans:
        responses[table] = []
        for i, key in enumerate(keys):
            if size >= RESPONSE_BYTES:
                rest = {k: v for k, v in r.items() if k != "Keys"}
                unprocessed[table] = {**rest, "Keys": keys[i:]}
                break
            item = I.get(txn, s, key)
            n = V.item_size(item) if item else 0
            size += n
            consumed[table] = consumed.get(table, 0) + C.read_units(n, bool(r.get("ConsistentRead")))
            if item is not None:
                responses[table].append(E.project(item, parsed.projection) if parsed.projection is not None else item)
    out: dict[str, Any] = {"Responses": responses, "UnprocessedKeys": unprocessed}
    cc = [C.shape(p.get("ReturnConsumedCapacity"), t, u, write=False) for t, u in consumed.items()]
    if p.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        out["ConsumedCapacity"] = cc
    return out


def batch_write(txn: Txn, account: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
    req = p["RequestItems"]
    total = sum(len(r) for r in req.values())
    if total > MAX_BATCH_WRITE:
        raise invalid("Too many items requested for the BatchWriteItem call")
    cache: dict[str, I.Schema] = {}
    seen: set[str] = set()
    plans: list[tuple[str, I.Schema, Item | None, Item]] = []
    key: Item
    for table, reqs in req.items():
        s = _schema(txn, account, region, table, cache)
        for r in reqs:
            put, delete = r.get("PutRequest"), r.get("DeleteRequest")
            if (put is None) == (delete is None):
                raise invalid("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
                              if put and delete else "1 validation error detected: WriteRequest must contain a PutRequest or a DeleteRequest")
            if put is not None:
                new = I.check_item(s, put["Item"])
                key = I.key_of(s, new)
                plans.append((table, s, new, key))
            else:
                key = I.check_key(s, delete["Key"])
                plans.append((table, s, None, key))
            sk = I.store_key(s, key)
            if sk in seen:
                raise invalid("Provided list of item keys contains duplicates")
            seen.add(sk)
    consumed: dict[str, float] = {}
    for table, sch, put_item, item_key in plans:
        old = I.get(txn, sch, item_key)
        if put_item is None and old is None:
            consumed[table] = consumed.get(table, 0) + 1
            continue
        I.write(txn, sch, old, put_item)
        consumed[table] = consumed.get(table, 0) + C.write_units(max(V.item_size(old or {}), V.item_size(put_item or {})))
    out: dict[str, Any] = {"UnprocessedItems": {}}
    if p.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        out["ConsumedCapacity"] = [C.shape(p["ReturnConsumedCapacity"], t, u, write=True) for t, u in consumed.items()]
    return out


def transact_get(txn: Txn, account: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
    acts = p["TransactItems"]
    if len(acts) > MAX_TRANSACT:
        raise invalid(f"Member must have length less than or equal to {MAX_TRANSACT}")
    cache: dict[str, I.Schema] = {}
    out: list[dict[str, Any]] = []
    consumed: dict[str, float] = {}
    seen: set[str] = set()
    for a in acts:
        g = a["Get"]
        s = _schema(txn, account, region, g["TableName"], cache)
        parsed = O.parse(g)
        key = I.check_key(s, g["Key"])
        sk = I.store_key(s, key)
        if sk in seen:
            raise invalid("Transaction request cannot include multiple operations on one item")
        seen.add(sk)
        item = I.get(txn, s, key)
        consumed[g["TableName"]] = consumed.get(g["TableName"], 0) + C.read_units(V.item_size(item or {}), True, True)
        if item is None:
            out.append({})
        else:
            out.append({"Item": E.project(item, parsed.projection) if parsed.projection is not None else item})
    res: dict[str, Any] = {"Responses": out}
    if p.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        res["ConsumedCapacity"] = [C.shape(p["ReturnConsumedCapacity"], t, u, write=False) for t, u in consumed.items()]
    return res


def _digest(p: dict[str, Any]) -> str:
    body = {k: v for k, v in p.items() if k != "ClientRequestToken"}
    text = json.dumps(body, sort_keys=True, default=lambda b: b.hex() if isinstance(b, bytes | bytearray) else str(b))
    return hashlib.sha256(text.encode()).hexdigest()


def transact_write(txn: Txn, account: str, region: str, p: dict[str, Any], now: float) -> dict[str, Any]:
    acts = p["TransactItems"]
    if len(acts) > MAX_TRANSACT:
        raise invalid(f"Member must have length less than or equal to {MAX_TRANSACT}")
    token = p.get("ClientRequestToken")
    if token:
        tk = f"{account}/{region}/{token}"
        prev = txn.get(TOKENS, tk)
        digest = _digest(p)
        if prev is not None and now - prev["at"] < TOKEN_SECONDS:
            if prev["digest"] != digest:
                raise AwsError.modeled("dynamodb", "IdempotentParameterMismatchException",
                                       "The request uses the same client token as a previous, but non-identical request.")
            return dict(prev.get("out") or {})
    cache: dict[str, I.Schema] = {}
    seen: set[str] = set()
    reasons: list[dict[str, Any]] = []
    failed = False
    consumed: dict[str, float] = {}
    plans = []
    for a in acts:
        kinds = [k for k in ("ConditionCheck", "Put", "Delete", "Update") if a.get(k) is not None]
        if len(kinds) != 1:
            raise invalid("TransactItems can only contain one of Check, Put, Update or Delete")
        k = kinds[0]
        body = a[k]
        s = _schema(txn, account, region, body["TableName"], cache)
        key = I.key_of(s, I.check_item(s, body["Item"])) if k == "Put" else I.check_key(s, body["Key"])
        sk = I.store_key(s, key)
        if sk in seen:
            raise invalid("Transaction request cannot include multiple operations on one item")
        seen.add(sk)
        plans.append((k, body, s))
    for k, body, s in plans:
        try:
            if k == "ConditionCheck":
                if body.get("ConditionExpression") is None:
                    raise invalid("The ConditionCheck must specify a ConditionExpression")
                old = O.condition_check(txn, s, body)
                size = V.item_size(old or {})
            elif k == "Put":
                old, new, _ = O.put_item(txn, s, body)
                size = max(V.item_size(old or {}), V.item_size(new))
            elif k == "Delete":
                old, _ = O.delete_item(txn, s, body)
                size = V.item_size(old or {})
            else:
                old, new, _ = O.update_item(txn, s, body)
                size = max(V.item_size(old or {}), V.item_size(new))
            consumed[body["TableName"]] = consumed.get(body["TableName"], 0) + C.write_units(size, True)
            reasons.append({"Code": "None"})
        except AwsError as e:
            if e.code != "ConditionalCheckFailedException":
                raise
            failed = True
            reason: dict[str, Any] = {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}
            if body.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD":
                got = I.get(txn, s, I.check_key(s, body["Key"]) if "Key" in body else I.key_of(s, V.check_item(body["Item"])))
                if got is not None:
                    reason["Item"] = V.item_to_store(got)  # error fields are sent as they are: base64 binaries
            reasons.append(reason)
    if failed:
        codes = ", ".join(r["Code"] for r in reasons)
        raise AwsError.modeled("dynamodb", "TransactionCanceledException",
                               f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
                               CancellationReasons=reasons)
    out: dict[str, Any] = {}
    if p.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        out["ConsumedCapacity"] = [C.shape(p["ReturnConsumedCapacity"], t, u, write=True) for t, u in consumed.items()]
    if token:
        txn.put(TOKENS, f"{account}/{region}/{token}", {"digest": _digest(p), "at": now, "out": out})
    return out

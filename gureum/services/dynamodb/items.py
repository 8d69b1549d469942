"""DynamoDB items: keys checked against the table's schema, the item and index rows written in
the caller's store transaction, and the table's counters kept.

Table dynamodb_items: "{table key}/{hash}/{range}/" (keys.py encodings) -> {"i": item in the
stored form (values.py)}. Table dynamodb_index: "{table key}/{index}/{ihash}/{irange}/{hash}/
{range}/" -> {"i": the projected item}, one row per item that has every key attribute of the
index (sparse indexes), rewritten on every write of the item. dynamodb_counts (tables.py) moves
with every insert and delete. Nothing here commits: the operation's one transaction does.
A table with an enabled stream ("Stream" in its document: tables.py) gets one change record
per write that changes the item, appended by DynamoDB Streams' port in the same transaction
(never for a no-op: a put of the same item, an update that changes nothing); a table with an
ACTIVE Kinesis streaming destination gets AWS's change record on that Kinesis stream in the same
transaction (kinesis_dest.py); a global table's write is applied to its replicas in the other
regions in the same transaction too (global_tables.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from gureum.services.dynamodb import keys as K
from gureum.services.dynamodb import kinesis_dest as KD
from gureum.services.dynamodb import tables as T
from gureum.services.dynamodb import values as V
from gureum.services.dynamodb.values import Item, Value, invalid, kind
from gureum.services.dynamodbstreams import port as streams
from gureum.store import Txn

ITEMS = "dynamodb_items"
INDEX = "dynamodb_index"


@dataclass(frozen=True)
class Index:
    name: str
    local: bool
    hash: str
    range: str | None
    projection: str
    include: tuple[str, ...]


@dataclass(frozen=True)
class Schema:
    tkey: str
    hash: str
    range: str | None
    types: dict[str, str]
    indexes: tuple[Index, ...]
    stream: dict[str, Any] | None = None  # the table's enabled stream (dynamodbstreams.port)
    kinesis: tuple[tuple[str, str], ...] = ()  # ACTIVE Kinesis streaming destinations (kinesis_dest.py)
    replicas: tuple[str, ...] = ()  # regions of the global table's other replicas (global_tables.py)

    def index(self, name: str) -> Index:
        for i in self.indexes:
            if i.name == name:
                return i
        raise invalid(f"The table does not have the specified index: {name}")

    def key_attrs(self) -> tuple[str, ...]:
        return (self.hash,) + ((self.range,) if self.range else ())


def schema(account: str, region: str, doc: dict[str, Any]) -> Schema:
    h, r = T.key_names(doc["KeySchema"])
    idx = []
    for local, specs in ((False, doc["GSIs"]), (True, doc["LSIs"])):
        for g in specs:
            ih, ir = T.key_names(g["KeySchema"])
            proj = g["Projection"]
            idx.append(Index(g["IndexName"], local, ih, ir, proj["ProjectionType"], tuple(proj.get("NonKeyAttributes") or ())))
    return Schema(T.table_key(account, region, doc["TableName"]), h, r, T.attr_types(doc), tuple(idx), doc.get("Stream"),
                  KD.active(doc), tuple(doc.get("Replicas") or ()))


def _enc(v: Value | None) -> str:
    return "" if v is None else K.encode(v)


def store_key(s: Schema, item: Item) -> str:
    return f"{s.tkey}/{K.encode(item[s.hash])}/{_enc(item.get(s.range) if s.range else None)}/"


def check_key(s: Schema, key: dict[str, Any]) -> Item:
    """A Key parameter: exactly the table's key attributes, of their types."""
    checked = V.check_item(key)
    if set(checked) != set(s.key_attrs()):
        raise invalid("The provided key element does not match the schema")
    for name in s.key_attrs():
        v = checked[name]
        if kind(v) != s.types[name]:
            raise invalid("The provided key element does not match the schema")
        if kind(v) in ("S", "B") and len(v[kind(v)]) == 0:
            raise invalid("One or more parameter values are not valid. The AttributeValue for a key attribute cannot "
                          f"contain an empty string value. Key: {name}")
    _key_sizes(s, checked)
    return checked


def _key_sizes(s: Schema, item: Item) -> None:
    if V.size(item[s.hash]) > V.MAX_HASH_KEY_BYTES:
        raise invalid("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of 2048 bytes")
    if s.range and V.size(item[s.range]) > V.MAX_RANGE_KEY_BYTES:
        raise invalid("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes")


def check_item(s: Schema, item: Item, checked: bool = False) -> Item:
    """A whole item to be written: its key attributes present and typed, index keys typed, the
    400 KB limit."""
    if not checked:
        item = V.check_item(item)
    for name in s.key_attrs():
        v = item.get(name)
        if v is None:
            raise invalid(f"One or more parameter values were invalid: Missing the key {name} in the item")
        if kind(v) != s.types[name]:
            raise invalid(f"One or more parameter values were invalid: Type mismatch for key {name} expected: "
                          f"{s.types[name]} actual: {kind(v)}")
        if kind(v) in ("S", "B") and len(v[kind(v)]) == 0:
            raise invalid("One or more parameter values are not valid. The AttributeValue for a key attribute cannot "
                          f"contain an empty string value. Key: {name}")
    _key_sizes(s, item)
    for ix in s.indexes:
        for name in [n for n in (ix.hash, ix.range) if n is not None]:
            if name in s.key_attrs() or name not in item:
                continue
            v = item[name]
            if kind(v) != s.types[name]:
                raise invalid(f"One or more parameter values were invalid: Type mismatch for Index Key {name} Expected: "
                              f"{s.types[name]} Actual: {kind(v)} IndexName: {ix.name}")
            if kind(v) in ("S", "B") and len(v[kind(v)]) == 0:
                raise invalid("One or more parameter values are not valid. A value specified for a secondary index key is "
                              "not supported. The AttributeValue for a key attribute cannot contain an empty string value. "
                              f"IndexName: {ix.name}, IndexKey: {name}")
    if V.item_size(item) > V.MAX_ITEM_BYTES:
        raise invalid("Item size has exceeded the maximum allowed size")
    return item


def key_of(s: Schema, item: Item) -> Item:
    return {k: item[k] for k in s.key_attrs()}


def get(txn: Txn, s: Schema, key: Item) -> Item | None:
    row = txn.get(ITEMS, store_key(s, key))
    return None if row is None else V.item_from_store(row["i"])


def index_key(s: Schema, ix: Index, item: Item) -> str | None:
    h = item.get(ix.hash)
    r = item.get(ix.range) if ix.range else None
    if h is None or (ix.range and r is None):
        return None
    return f"{s.tkey}/{ix.name}/{K.encode(h)}/{_enc(r)}/{K.encode(item[s.hash])}/{_enc(item.get(s.range) if s.range else None)}/"


def projected(s: Schema, ix: Index, item: Item) -> Item:
    if ix.projection == "ALL":
        return item
    names = set(s.key_attrs()) | {ix.hash} | ({ix.range} if ix.range else set())
    if ix.projection == "INCLUDE":
        names |= set(ix.include)
    return {k: v for k, v in item.items() if k in names}


def same(a: Item, b: Item) -> bool:
    return a.keys() == b.keys() and all(V.equal(a[k], b[k]) for k in a)


def write(txn: Txn, s: Schema, old: Item | None, new: Item | None, *, service: bool = False, replicate: bool = True) -> None:
    """Replace `old` by `new` (either None: an insert or a delete) with their index rows, and
    the stream record of the change (`service`: made by DynamoDB itself, the TTL sweep); with
    `replicate`, the same write on the global table's other replicas."""
    if (s.stream is not None or s.kinesis) and not (old is not None and new is not None and same(old, new)):
        if s.stream is not None:
            _stream_record(txn, s, old, new, service)
        if s.kinesis:
            _kinesis_record(txn, s, old, new, service)
    ref = new if new is not None else old
    assert ref is not None
    skey = store_key(s, ref)
    stored_new = V.item_to_store(new) if new is not None else None
    if stored_new is not None:
        txn.put(ITEMS, skey, {"i": stored_new})
    else:
        txn.delete(ITEMS, skey)
    for ix in s.indexes:
        ok = index_key(s, ix, old) if old is not None else None
        nk = index_key(s, ix, new) if new is not None else None
        if ok is not None and ok != nk:
            txn.delete(INDEX, ok)
        if nk is not None and new is not None:
            txn.put(INDEX, nk, {"i": V.item_to_store(projected(s, ix, new))})
    if (old is None) != (new is None) or old is not None:
        counts = txn.get(T.COUNTS, s.tkey) or {"n": 0, "bytes": 0}
        counts["n"] += (new is not None) - (old is not None)
        counts["bytes"] += (V.item_size(new) if new is not None else 0) - (V.item_size(old) if old is not None else 0)
        txn.put(T.COUNTS, s.tkey, counts)
    if replicate and s.replicas:
        _replicate(txn, s, key_of(s, ref), new)


def _replicate(txn: Txn, s: Schema, key: Item, new: Item | None) -> None:
    """Apply a write of the table of `s` to each of its global table replicas, in the same
    transaction (global_tables.py keeps the replica set)."""
    account, _, name = s.tkey.split("/", 2)
    for other in s.replicas:
        odoc = txn.get(T.TABLES, T.table_key(account, other, name))
        if odoc is None:
            continue
        rs = schema(account, other, odoc)
        old = get(txn, rs, key)
        if old is None and new is None:
            continue
        write(txn, rs, old, new, replicate=False)


def _stream_record(txn: Txn, s: Schema, old: Item | None, new: Item | None, service: bool) -> None:
    assert s.stream is not None
    ref = new if new is not None else old
    assert ref is not None
    keys = key_of(s, ref)
    view = s.stream["view"]
    size = V.item_size(keys)
    if new is not None and view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
        size += V.item_size(new)
    if old is not None and view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
        size += V.item_size(old)
    streams.record(txn, s.stream, s.tkey.split("/")[1], V.item_to_store(keys),
                   V.item_to_store(old) if old is not None else None, V.item_to_store(new) if new is not None else None,
                   size, int(time.time() * 1000), service=service)


def _kinesis_record(txn: Txn, s: Schema, old: Item | None, new: Item | None, service: bool) -> None:
    ref = new if new is not None else old
    assert ref is not None
    keys = key_of(s, ref)
    size = V.item_size(keys) + (V.item_size(new) if new is not None else 0) + (V.item_size(old) if old is not None else 0)
    _, region, table = s.tkey.split("/", 2)
    KD.emit(txn, s.kinesis, region, table, V.item_to_store(keys), V.item_to_store(old) if old is not None else None,
            V.item_to_store(new) if new is not None else None, size, service)


def backfill(txn: Txn, s: Schema, ix: Index) -> None:
    """Index rows for every item of the table (a GSI added by UpdateTable)."""
    start: str | None = None
    while True:
        rows = txn.scan(ITEMS, s.tkey + "/", start=start, limit=500)
        for _k, row in rows:
            item = V.item_from_store(row["i"])
            ik = index_key(s, ix, item)
            if ik is not None and all(kind(item[n]) == s.types[n] for n in (ix.hash, ix.range) if n):
                txn.put(INDEX, ik, {"i": V.item_to_store(projected(s, ix, item))})
        if len(rows) < 500:
            return
        start = rows[-1][0][:-1] + "0"  # past the last key (every item key ends with "/")


def drop_index(txn: Txn, tkey: str, name: str) -> None:
    txn.delete_prefix(INDEX, f"{tkey}/{name}/")


def drop_table(txn: Txn, tkey: str) -> None:
    txn.delete_prefix(ITEMS, tkey + "/")
    txn.delete_prefix(INDEX, tkey + "/")

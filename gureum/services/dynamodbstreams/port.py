"""DynamoDB Streams for other packages, every function in the caller's store transaction:
DynamoDB's write path enables and disables a table's stream and appends one change record
per item change (in the change's own transaction: never lost, never duplicated); Lambda's
event source mappings list a stream's shards, find start positions and read records."""

from __future__ import annotations

import datetime
import json
from typing import Any

from gureum.aws.errors import AwsError
from gureum.ports import StreamBatch, StreamShard
from gureum.services.dynamodbstreams import model as M
from gureum.store import Txn

VIEWS = M.VIEWS


def enable(txn: Txn, account: str, region: str, table: str, table_arn: str, key_schema: list[dict[str, Any]], view: str,
           now: int) -> dict[str, Any]:
    """Open a new stream for `table`; returns what the table keeps: {"key", "arn", "label", "view"}."""
    return M.enable(txn, account, region, table, table_arn, key_schema, view, now)


def disable(txn: Txn, stream: dict[str, Any], now: int) -> None:
    M.disable(txn, stream["key"], now)


def record(txn: Txn, stream: dict[str, Any], region: str, keys: dict[str, Any], old: dict[str, Any] | None,
           new: dict[str, Any] | None, size: int, now: int, *, service: bool = False) -> None:
    """Append the change of one item (stored forms: binaries base64) to the table's stream."""
    M.append(txn, stream["key"], region, stream["view"], keys, old, new, size, now, service)


# --- for event sources ----------------------------------------------------------------------

def exists(txn: Txn, arn: str) -> bool:
    try:
        return txn.get(M.STREAMS, M.stream_key_of(arn)) is not None
    except AwsError:
        return False


def shards(txn: Txn, arn: str) -> list[StreamShard] | None:
    try:
        key = M.stream_key_of(arn)
    except AwsError:
        return None
    if txn.get(M.STREAMS, key) is None:
        return None
    rows = [d for _, d in txn.scan(M.SHARDS, key + "/")]
    out = []
    for i, sh in enumerate(rows):
        parent = (rows[i - 1]["id"],) if i > 0 else ()
        out.append(StreamShard(sh["id"], parent, sh.get("es") is not None, int(sh["opened"])))
    return out


def start(txn: Txn, arn: str, shard: str, kind: str, at: datetime.datetime | None) -> str:
    key = M.stream_key_of(arn)
    if kind == "LATEST":
        rows = txn.scan(M.RECORDS, f"{key}/{shard}/", reverse=True, limit=1)
        return rows[0][0].rsplit("/", 1)[1] + "0" if rows else ""
    if kind == "AT_TIMESTAMP" and at is not None:
        return f"{int(at.timestamp() * 1000):013d}"
    return ""


def read(txn: Txn, arn: str, shard: str, position: str, limit: int, now: int) -> StreamBatch:
    key = M.stream_key_of(arn)
    doc = txn.get(M.STREAMS, key) or {}
    sh = txn.get(M.SHARDS, f"{key}/{shard}") or {}
    prefix = f"{key}/{shard}/"
    rows = txn.scan(M.RECORDS, prefix, start=prefix + position if position else None, limit=limit + 1)
    region = key.split("/")[1]
    out = []
    for k, r in rows[:limit]:
        seq = k.rsplit("/", 1)[1]
        event = M.record_view(seq, r, region, doc.get("view", "KEYS_ONLY"), wire=False)
        event["eventSourceARN"] = arn
        out.append((seq, event, int(r["t"]), json.dumps(r["k"], sort_keys=True)))
    rest = rows[limit:]
    nxt: str | None = out[-1][0] + "0" if out else position
    if not rest and sh.get("es") is not None:
        nxt = None
    behind = max(0, now - int(rest[0][1]["t"])) if rest else 0
    return StreamBatch(out, nxt, behind)

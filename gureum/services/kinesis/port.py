"""Kinesis for other packages (Lambda's event source mappings, DynamoDB's Kinesis streaming
destinations), every function in the caller's store transaction: does a stream exist, its
shards with their lineage, where an iterator type starts, a shard's records from a position
as Lambda's event shows them, and `append` (a record written by a service, in the caller's
transaction, routed by its partition key as PutRecord routes it; no per-shard write limit)."""

from __future__ import annotations

import base64
import datetime

from gureum.aws import arn as arns
from gureum.ports import StreamBatch, StreamShard
from gureum.services.kinesis import records as R
from gureum.services.kinesis import shards as S
from gureum.services.kinesis import streams as K
from gureum.store import Txn


def _key(arn: str) -> str | None:
    parsed = arns.try_parse(arn)
    if parsed is None or parsed.service != "kinesis" or not parsed.resource.startswith("stream/"):
        return None
    return K.stream_key(parsed.account, parsed.region, parsed.resource.split("/")[1])


def exists(txn: Txn, arn: str) -> bool:
    key = _key(arn)
    return key is not None and txn.get(K.STREAMS, key) is not None


def shards(txn: Txn, arn: str) -> list[StreamShard] | None:
    key = _key(arn)
    if key is None or txn.get(K.STREAMS, key) is None:
        return None
    return [StreamShard(d["id"], tuple(p for p in (d.get("parent"), d.get("adj")) if p), d.get("es") is not None,
                        int(d["opened"])) for d in K.shards_of(txn, key)]


def start(txn: Txn, arn: str, shard: str, kind: str, at: datetime.datetime | None) -> str:
    key = _key(arn)
    assert key is not None
    if kind == "LATEST":
        last = R.last_sequence(txn, key, shard)
        return S.after(last) if last else ""
    if kind == "AT_TIMESTAMP" and at is not None:
        return S.time_start(int(at.timestamp() * 1000))
    return ""


def read(txn: Txn, arn: str, shard: str, position: str, limit: int, now: int) -> StreamBatch:
    key = _key(arn)
    assert key is not None
    batch = R.read(txn, key, shard, position, limit, now)
    region = key.split("/")[1]
    out = []
    for seq, r in batch.records:
        event = {"kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": r["k"], "sequenceNumber": seq, "data": r["d"],
                             "approximateArrivalTimestamp": r["t"] / 1000},
                 "eventSource": "aws:kinesis", "eventVersion": "1.0", "eventID": f"{shard}:{seq}",
                 "eventName": "aws:kinesis:record", "awsRegion": region, "eventSourceARN": arn}
        out.append((seq, event, int(r["t"]), str(r["k"])))
    return StreamBatch(out, batch.next_position, batch.behind_ms)


def append(txn: Txn, arn: str, partition_key: str, data: bytes, now: int) -> str | None:
    """Write one record to the stream `arn`; its sequence number, or None when the stream does
    not exist (deleted since)."""
    key = _key(arn)
    if key is None or txn.get(K.STREAMS, key) is None:
        return None
    shard = R.Router.load(txn, key).find(S.hash_key(partition_key))
    seq, at = K.next_sequence(txn, key, S.shard_number(shard["id"]) or 0, now)
    txn.put(R.RECORDS, f"{key}/{shard['id']}/{seq}", {"d": base64.b64encode(data).decode(), "k": partition_key, "t": at})
    txn.publish("kinesis.records", {"key": key})
    return seq

"""DynamoDB Streams handlers: ListStreams, DescribeStream, GetShardIterator, GetRecords.

A shard iterator is base64 of JSON {"k": stream key, "s": shard id, "p": the position to read
from (a sequence-number bound), "t": issue ms}; it expires after 15 minutes, as AWS's do."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import time
from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.dynamodbstreams import model as M
from gureum.store import Txn


def _now() -> int:
    return int(time.time() * 1000)


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("dynamodbstreams", "ValidationException", message)


@operation("dynamodbstreams", "ListStreams")
async def list_streams(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    table = params.get("TableName")
    limit = params.get("Limit") or 100
    start = params.get("ExclusiveStartStreamArn")

    def txn(t: Txn) -> dict[str, Any]:
        prefix = M.table_prefix(ctx.account_id, ctx.region, table) if table else f"{ctx.account_id}/{ctx.region}/"
        begin = (M.stream_key_of(start) + "\x00") if start else None
        rows = t.scan(M.STREAMS, prefix, start=begin, limit=limit + 1)
        out: dict[str, Any] = {"Streams": [{"StreamArn": d["StreamArn"], "TableName": d["TableName"],
                                            "StreamLabel": d["StreamLabel"]} for _, d in rows[:limit]]}
        if len(rows) > limit:
            out["LastEvaluatedStreamArn"] = rows[limit - 1][1]["StreamArn"]
        return out

    return await ctx.app.store.read(txn)


@operation("dynamodbstreams", "DescribeStream")
async def describe_stream(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    limit = params.get("Limit") or 100

    def txn(t: Txn) -> dict[str, Any]:
        key, doc = M.get_stream(t, ctx.account_id, ctx.region, params["StreamArn"])
        start = params.get("ExclusiveStartShardId")
        rows = [d for _, d in t.scan(M.SHARDS, key + "/")]
        parents = {rows[i]["id"]: rows[i - 1]["id"] for i in range(1, len(rows))}
        f = params.get("ShardFilter")
        if f and f.get("Type") == "CHILD_SHARDS":
            rows = [d for d in rows if parents.get(d["id"]) == f.get("ShardId")]
        if start:
            rows = [d for d in rows if d["id"] > start]
        out: dict[str, Any] = {
            "StreamArn": doc["StreamArn"], "StreamLabel": doc["StreamLabel"], "StreamStatus": M.stream_status(doc),
            "StreamViewType": doc["view"], "TableName": doc["TableName"], "KeySchema": doc["KeySchema"],
            "CreationRequestDateTime": datetime.datetime.fromtimestamp(doc["created"] / 1000, datetime.UTC),
            "Shards": [M.shard_view(d, parents.get(d["id"])) for d in rows[:limit]]}
        if len(rows) > limit:
            out["LastEvaluatedShardId"] = rows[limit - 1]["id"]
        return out

    return {"StreamDescription": await ctx.app.store.read(txn)}


def _iterator(key: str, shard: str, position: str, now: int) -> str:
    doc = {"k": key, "s": shard, "p": position, "t": now}
    return base64.b64encode(json.dumps(doc, separators=(",", ":")).encode()).decode()


@operation("dynamodbstreams", "GetShardIterator")
async def get_shard_iterator(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    kind = params["ShardIteratorType"]
    seq = params.get("SequenceNumber")

    def txn(t: Txn) -> str:
        key, _ = M.get_stream(t, ctx.account_id, ctx.region, params["StreamArn"])
        sh = t.get(M.SHARDS, f"{key}/{params['ShardId']}")
        if sh is None:
            raise M.not_found(f"Shard does not exist: {params['ShardId']}")
        if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            if not seq:
                raise _invalid(f"Must specify a sequence number for {kind} iterator type")
            if not seq.isdigit() or len(seq) != 33 or seq < sh["ss"] or (sh.get("es") and seq > sh["es"]):
                raise _invalid(f"Invalid SequenceNumber for ShardIterator: {seq} is not in shard {sh['id']}")
            if int(seq[:13]) < _now() - M.RETENTION_MS:
                raise AwsError.modeled("dynamodbstreams", "TrimmedDataAccessException",
                                       "The operation attempted to read past the oldest stream record in a shard.")
            pos = seq if kind == "AT_SEQUENCE_NUMBER" else seq + "0"
        elif kind == "LATEST":
            rows = t.scan(M.RECORDS, f"{key}/{sh['id']}/", reverse=True, limit=1)
            pos = rows[0][0].rsplit("/", 1)[1] + "0" if rows else ""
        elif kind == "AT_TIMESTAMP" and params.get("Timestamp") is not None:
            pos = f"{int(params['Timestamp'].timestamp() * 1000):013d}"
        else:
            pos = ""
        return _iterator(key, sh["id"], pos, _now())

    return {"ShardIterator": await ctx.app.store.read(txn)}


@operation("dynamodbstreams", "GetRecords")
async def get_records(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    token = params["ShardIterator"]
    try:
        it = json.loads(base64.b64decode(token.encode(), validate=True))
        key, shard, pos, issued = str(it["k"]), str(it["s"]), str(it["p"]), int(it["t"])
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise _invalid("Invalid ShardIterator") from None
    now = _now()
    if now - issued > M.ITERATOR_MS:
        raise AwsError.modeled("dynamodbstreams", "ExpiredIteratorException", "Iterator expired")
    limit = params.get("Limit") or 1000
    if not key.startswith(f"{ctx.account_id}/{ctx.region}/"):
        raise M.not_found("Shard does not exist")

    def txn(t: Txn) -> dict[str, Any]:
        doc = t.get(M.STREAMS, key)
        sh = t.get(M.SHARDS, f"{key}/{shard}")
        if doc is None or sh is None:
            raise M.not_found("Shard does not exist")
        prefix = f"{key}/{shard}/"
        rows = t.scan(M.RECORDS, prefix, start=prefix + pos if pos else None, limit=limit + 1)
        recs = [M.record_view(k.rsplit("/", 1)[1], r, ctx.region, doc["view"], wire=True) for k, r in rows[:limit]]
        out: dict[str, Any] = {"Records": recs}
        nxt = recs[-1]["dynamodb"]["SequenceNumber"] + "0" if recs else pos
        if len(rows) <= limit and sh.get("es") is not None:
            return out  # the shard is closed and read to its end
        out["NextShardIterator"] = _iterator(key, shard, nxt, now)
        return out

    return await ctx.app.store.read(txn)

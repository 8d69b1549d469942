"""Kinesis's enhanced fan-out handlers: consumers and SubscribeToShard, whose answer is an
event stream (gureum/aws/eventstream.py) of SubscribeToShardEvent messages as boto3's
`subscribe_to_shard` reads them: the shard's records from the starting position, pushed as
they are written, for up to `subscribe_seconds` (AWS: 5 minutes), ending early with the
child shards once a closed shard is read to its end."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from gureum.aws import eventstream
from gureum.aws.dispatch import RequestContext, operation
from gureum.http.server import Response
from gureum.services.kinesis import consumers as C
from gureum.services.kinesis import records as R
from gureum.services.kinesis import resource_policy as P
from gureum.services.kinesis import streams as K
from gureum.services.kinesis.settings import KinesisSettings
from gureum.store import Txn

HEARTBEAT_S = 1.0

@operation("kinesis", "RegisterStreamConsumer")
async def register_stream_consumer(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    settle = int(ctx.app.settings(KinesisSettings).transition_seconds * 1000)
    return {"Consumer": await ctx.app.store.run(lambda t: C.register(t, ctx.account_id, ctx.region, params, K.now_ms(), settle))}

@operation("kinesis", "DescribeStreamConsumer")
async def describe_stream_consumer(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, Any]:
        _, doc, c = C.find(t, ctx.account_id, ctx.region, params, shared=True)
        return C.view(c, K.now_ms(), doc["StreamARN"])

    return {"ConsumerDescription": await ctx.app.store.read(txn)}

@operation("kinesis", "ListStreamConsumers")
async def list_stream_consumers(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.read(lambda t: C.list_consumers(t, ctx.account_id, ctx.region, params, K.now_ms()))

@operation("kinesis", "DeregisterStreamConsumer")
async def deregister_stream_consumer(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> None:
        key, _, c = C.find(t, ctx.account_id, ctx.region, params)
        C.deregister(t, ctx.account_id, ctx.region, params)
        P.drop_consumer(t, key, c["ConsumerName"])

    await ctx.app.store.run(txn)
    return {}

def _event_record(seq: str, r: dict[str, Any], enc: str) -> dict[str, Any]:
    out: dict[str, Any] = {"SequenceNumber": seq, "ApproximateArrivalTimestamp": r["t"] / 1000, "Data": r["d"],
                           "PartitionKey": r["k"]}
    if enc != "NONE":
        out["EncryptionType"] = enc
    return out

@operation("kinesis", "SubscribeToShard")
async def subscribe_to_shard(ctx: RequestContext, params: dict[str, Any]) -> Response:
    start = params["StartingPosition"]

    def open_(t: Txn) -> tuple[str, str, str, str]:
        key, doc, c = C.find(t, ctx.account_id, ctx.region, {"ConsumerARN": params["ConsumerARN"]}, shared=True)
        if C.view(c, K.now_ms())["ConsumerStatus"] != "ACTIVE":
            raise K.in_use(f"Consumer {c['ConsumerARN']} is not ACTIVE.")
        sh = t.get(K.SHARDS, f"{key}/{params['ShardId']}")
        if sh is None:
            raise K.not_found(doc["StreamName"], ctx.account_id)
        pos = R.start_position(t, key, sh, start["Type"], start.get("SequenceNumber"), start.get("Timestamp"), doc,
                               ctx.account_id)
        C.mark_subscription(t, key, c, sh["id"], K.now_ms())
        return key, sh["id"], pos, sh["ss"]

    key, shard, pos, first = await ctx.app.store.run(open_)
    limit = ctx.app.settings(KinesisSettings).subscribe_seconds
    return Response(200, [("content-type", eventstream.CONTENT_TYPE), ("x-amzn-requestid", ctx.request_id)],
                    _events(ctx, key, shard, pos, first, limit))

async def _events(ctx: RequestContext, key: str, shard: str, pos: str, first: str, limit: float) -> AsyncIterator[bytes]:
    """The subscription's events; ContinuationSequenceNumber is the last record sent (or,
    before any, the position's: the shard's first sequence number when it names none)."""
    app = ctx.app
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    wake = asyncio.Event()
    unsubscribe = app.store.subscribe("kinesis.records", lambda e: wake.set() if e.data.get("key") == key else None)
    try:
        yield eventstream.event("initial-response", {})
        last_sent = 0.0
        while loop.time() < deadline and not app.stopping:
            def step(t: Txn, p: str = pos) -> R.Batch:
                return R.read(t, key, shard, p, 10000, K.now_ms())

            batch = await app.store.read(step)
            if batch.records or loop.time() - last_sent >= HEARTBEAT_S or batch.next_position is None:
                doc: dict[str, Any] = {"Records": [_event_record(s, r, batch.encryption) for s, r in batch.records],
                                       "MillisBehindLatest": batch.behind_ms,
                                       "ContinuationSequenceNumber": batch.records[-1][0] if batch.records else
                                       (pos[:-1] if len(pos) == 57 else first)}
                if batch.next_position is None:
                    doc["ChildShards"] = batch.children
                yield eventstream.event("SubscribeToShardEvent", doc)
                last_sent = loop.time()
                if batch.next_position is None:
                    return
                pos = batch.next_position
            if not batch.records:
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), min(HEARTBEAT_S, max(0.0, deadline - loop.time())))
    finally:
        unsubscribe()


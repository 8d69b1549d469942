"""Kinesis stream consumers (enhanced fan-out): Register/Describe/List/Deregister.

Table kinesis_consumers: "{stream key}/{consumer name}" -> {"ConsumerName", "ConsumerARN",
"created" (epoch s), "ready" (ms: CREATING until then, then ACTIVE)}. A stream holds at
most 20 consumers; deleting the stream (with EnforceConsumerDeletion) drops them.
"""

from __future__ import annotations

import datetime
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging
from gureum.aws.errors import AwsError
from gureum.services.kinesis import streams as K
from gureum.services.kinesis.streams import invalid
from gureum.store import Txn

CONSUMERS = "kinesis_consumers"
SUBSCRIPTIONS = "kinesis_subscriptions"
MAX_CONSUMERS = 20
RESUBSCRIBE_MS = 5000

Doc = dict[str, Any]


def count(txn: Txn, key: str) -> int:
    return txn.count(CONSUMERS, key + "/")


def _stream(txn: Txn, account: str, region: str, stream_arn: str, shared: bool = False) -> tuple[str, Doc]:
    return K.get(txn, account, region, {"StreamARN": stream_arn}, shared=shared)


def view(c: Doc, now: int, stream_arn: str | None = None) -> Doc:
    out: Doc = {"ConsumerName": c["ConsumerName"], "ConsumerARN": c["ConsumerARN"],
                "ConsumerStatus": "CREATING" if now < int(c["ready"]) else "ACTIVE",
                "ConsumerCreationTimestamp": datetime.datetime.fromtimestamp(c["created"], datetime.UTC)}
    if stream_arn:
        out["StreamARN"] = stream_arn
    return out


def register(txn: Txn, account: str, region: str, p: dict[str, Any], now: int, settle_ms: int) -> Doc:
    key, doc = _stream(txn, account, region, p["StreamARN"])
    name = p["ConsumerName"]
    if txn.get(CONSUMERS, f"{key}/{name}") is not None:
        raise K.in_use(f"Consumer {name} under stream {doc['StreamName']} under account {account} already exists.")
    if count(txn, key) >= MAX_CONSUMERS:
        raise AwsError.modeled("kinesis", "LimitExceededException",
                               f"Consumer limit of {MAX_CONSUMERS} for stream {doc['StreamName']} under account {account} "
                               "has been reached.")
    created = now // 1000
    c = {"ConsumerName": name, "ConsumerARN": arns.kinesis_consumer(doc["StreamARN"], name, created), "created": created,
         "ready": now + settle_ms}
    txn.put(CONSUMERS, f"{key}/{name}", c)
    return view(c, now)


def find(txn: Txn, account: str, region: str, p: dict[str, Any], shared: bool = False) -> tuple[str, Doc, Doc]:
    """(stream key, stream doc, consumer) named by ConsumerARN, or StreamARN + ConsumerName;
    `shared`: another account's, as streams.get reaches it (DescribeStreamConsumer, SubscribeToShard)."""
    if p.get("ConsumerARN"):
        arn = p["ConsumerARN"]
        stream_arn, sep, rest = arn.partition("/consumer/")
        if not sep or ":" not in rest:
            raise invalid(f"Invalid ConsumerARN: {arn}")
        key, doc = _stream(txn, account, region, stream_arn, shared)
        c = txn.get(CONSUMERS, f"{key}/{rest.rsplit(':', 1)[0]}")
        if c is None or c["ConsumerARN"] != arn:
            raise AwsError.modeled("kinesis", "ResourceNotFoundException", f"Consumer {arn} not found.")
        return key, doc, c
    if not p.get("StreamARN") or not p.get("ConsumerName"):
        raise invalid("Either ConsumerARN or both ConsumerName and StreamARN must be provided.")
    key, doc = _stream(txn, account, region, p["StreamARN"], shared)
    c = txn.get(CONSUMERS, f"{key}/{p['ConsumerName']}")
    if c is None:
        raise AwsError.modeled("kinesis", "ResourceNotFoundException",
                               f"Consumer {p['ConsumerName']} under stream {doc['StreamName']} under account {account} not found.")
    return key, doc, c


def deregister(txn: Txn, account: str, region: str, p: dict[str, Any]) -> None:
    key, _, c = find(txn, account, region, p)
    txn.delete(CONSUMERS, f"{key}/{c['ConsumerName']}")


def list_consumers(txn: Txn, account: str, region: str, p: dict[str, Any], now: int) -> Doc:
    key, doc = _stream(txn, account, region, p["StreamARN"])
    rows, nxt = paging.page(txn, CONSUMERS, key + "/", token=p.get("NextToken"), limit=p.get("MaxResults"),
                            default_limit=100, max_limit=10000, error=lambda: invalid("Invalid NextToken."))
    out: Doc = {"Consumers": [view(c, now) for _, c in rows]}
    if nxt:
        out["NextToken"] = nxt
    return out


def mark_subscription(txn: Txn, key: str, consumer: Doc, shard: str, now: int) -> None:
    """Note a SubscribeToShard call; refuse one within 5 seconds of the last for that shard."""
    row_key = f"{key}/{consumer['ConsumerName']}/{shard}"
    last = txn.get(SUBSCRIPTIONS, row_key)
    if last is not None and now - int(last["at"]) < RESUBSCRIBE_MS:
        raise K.in_use(f"Another active subscription exists for consumer {consumer['ConsumerARN']} and shard {shard}.")
    txn.put(SUBSCRIPTIONS, row_key, {"at": now})


def drop_stream(txn: Txn, key: str) -> None:
    txn.delete_prefix(CONSUMERS, key + "/")
    txn.delete_prefix(SUBSCRIPTIONS, key + "/")

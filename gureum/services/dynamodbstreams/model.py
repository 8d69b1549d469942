"""DynamoDB Streams' state: streams, shards and records, written by DynamoDB's write path in
the item change's own store transaction (port.py), read by the dynamodbstreams API and by
Lambda's event source mappings.

Table dynamodbstreams_streams: "{account}/{region}/{table}/{label}" -> {"StreamArn",
"StreamLabel" (creation time, ISO 8601 with ms), "TableName", "KeySchema", "view"
(StreamViewType), "enabled" (bool), "created", "disabled" (ms | None)}. A table has at most one
enabled stream; a disabled one stays readable for 24 hours (sweep.py drops it after).
Table dynamodbstreams_shards: "{stream key}/{shard id}" -> {"id", "ss", "es" (sequence range,
"es" None while open), "opened", "closed"}. Each stream writes to one open shard, closed when
the stream is disabled; as in AWS, a shard is closed after SHARD_MS (4 hours) and the next
write opens its child, whose parent is the shard before it (shard ids sort by creation:
"shardId-{ms:020d}-{8 hex}").
Table dynamodbstreams_records: "{stream key}/{shard id}/{sequence number}" -> {"e": INSERT |
MODIFY | REMOVE, "id": eventID, "t": ms, "k": keys, "n": new image, "o": old image (stored
form: binaries base64; each image only when the view type keeps it), "sz": SizeBytes,
"svc": True for the TTL sweep's deletions}.
Table dynamodbstreams_counters: "{stream key}" -> {"n", "ms"}: a sequence number is the
arrival ms (13 digits) and the stream's counter (20 digits), so a shard's records are one key
range in write order and never repeat a number.
"""

from __future__ import annotations

import base64
import datetime
import uuid
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.store import Txn

STREAMS = "dynamodbstreams_streams"
SHARDS = "dynamodbstreams_shards"
RECORDS = "dynamodbstreams_records"
COUNTERS = "dynamodbstreams_counters"
TOPIC = "dynamodbstreams.records"
RETENTION_MS = 24 * 3600 * 1000
ITERATOR_MS = 15 * 60 * 1000
SHARD_MS = 4 * 3600 * 1000
VIEWS = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")

Doc = dict[str, Any]


def table_prefix(account: str, region: str, table: str) -> str:
    return f"{account}/{region}/{table}/"


def label_of(ms: int) -> str:
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def sequence(ms: int, n: int) -> str:
    return f"{ms:013d}{n:020d}"


def next_sequence(txn: Txn, key: str, now: int) -> tuple[str, int]:
    c = txn.get(COUNTERS, key) or {"n": 0, "ms": 0}
    c["n"] += 1
    c["ms"] = max(int(c["ms"]), now)
    txn.put(COUNTERS, key, c)
    return sequence(c["ms"], c["n"]), c["ms"]


def _open_shard(txn: Txn, key: str, now: int) -> Doc:
    seq, _ = next_sequence(txn, key, now)
    sh: Doc = {"id": f"shardId-{now:020d}-{uuid.uuid4().hex[:8]}", "ss": seq, "es": None, "opened": now, "closed": None}
    txn.put(SHARDS, f"{key}/{sh['id']}", sh)
    return sh


def enable(txn: Txn, account: str, region: str, table: str, table_arn: str, key_schema: list[Doc], view: str, now: int) -> Doc:
    """A new enabled stream for `table`: {"key", "arn", "label", "view"} (what the table keeps)."""
    label = label_of(now)
    key = table_prefix(account, region, table) + label
    doc: Doc = {"StreamArn": arns.dynamodb_stream(table_arn, label), "StreamLabel": label, "TableName": table,
                "KeySchema": [dict(k) for k in key_schema], "view": view, "enabled": True, "created": now, "disabled": None}
    txn.put(STREAMS, key, doc)
    _open_shard(txn, key, now)
    return {"key": key, "arn": doc["StreamArn"], "label": label, "view": view}


def disable(txn: Txn, key: str, now: int) -> None:
    doc = txn.get(STREAMS, key)
    if doc is None or not doc["enabled"]:
        return
    doc["enabled"], doc["disabled"] = False, now
    txn.put(STREAMS, key, doc)
    for _, sh in txn.scan(SHARDS, key + "/"):
        if sh.get("es") is None:
            sh["es"], _ = next_sequence(txn, key, now)
            sh["closed"] = now
            txn.put(SHARDS, f"{key}/{sh['id']}", sh)


def current_shard(txn: Txn, key: str) -> Doc | None:
    rows = txn.scan(SHARDS, key + "/", reverse=True, limit=1)
    if rows and rows[0][1].get("es") is None:
        return rows[0][1]
    return None


def append(txn: Txn, key: str, region: str, view: str, keys: Doc, old: Doc | None, new: Doc | None, size: int,
           now: int, service: bool = False) -> str | None:
    """One change record (images in stored form) on the stream's open shard; its sequence
    number (None when the stream has none open: disabled meanwhile)."""
    sh = current_shard(txn, key)
    if sh is None:
        return None
    if now - int(sh["opened"]) >= SHARD_MS:  # roll over to a child shard
        sh["es"], _ = next_sequence(txn, key, now)
        sh["closed"] = now
        txn.put(SHARDS, f"{key}/{sh['id']}", sh)
        sh = _open_shard(txn, key, now)
    seq, at = next_sequence(txn, key, now)
    rec: Doc = {"e": "INSERT" if old is None else "REMOVE" if new is None else "MODIFY", "id": uuid.uuid4().hex,
                "t": at, "k": keys, "sz": size}
    if new is not None and view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
        rec["n"] = new
    if old is not None and view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
        rec["o"] = old
    if service:
        rec["svc"] = True
    txn.put(RECORDS, f"{key}/{sh['id']}/{seq}", rec)
    txn.publish(TOPIC, {"key": key})
    return seq


# --- reading ---------------------------------------------------------------------------------

def not_found(what: str) -> AwsError:
    return AwsError.modeled("dynamodbstreams", "ResourceNotFoundException", f"Requested resource not found: {what}")


def stream_key_of(arn: str) -> str:
    """The store key of the stream ARN `arn` ("...:table/{t}/stream/{label}")."""
    parsed = arns.try_parse(arn)
    parts = parsed.resource.split("/") if parsed is not None else []
    if parsed is None or parsed.service != "dynamodb" or len(parts) != 4 or parts[0] != "table" or parts[2] != "stream":
        raise AwsError.modeled("dynamodbstreams", "ValidationException", f"Invalid StreamArn: {arn}")
    return table_prefix(parsed.account, parsed.region, parts[1]) + parts[3]


def get_stream(txn: Txn, account: str, region: str, arn: str) -> tuple[str, Doc]:
    key = stream_key_of(arn)
    doc = txn.get(STREAMS, key)
    if doc is None or not key.startswith(f"{account}/{region}/"):
        raise not_found(f"Stream: {arn} not found")
    return key, doc


def stream_status(doc: Doc) -> str:
    return "ENABLED" if doc["enabled"] else "DISABLED"


def shard_view(sh: Doc, parent: str | None) -> Doc:
    out: Doc = {"ShardId": sh["id"], "SequenceNumberRange": {"StartingSequenceNumber": sh["ss"]}}
    if sh.get("es"):
        out["SequenceNumberRange"]["EndingSequenceNumber"] = sh["es"]
    if parent:
        out["ParentShardId"] = parent
    return out


def decode(value: Any) -> Any:
    """A stored attribute value (or item) as the wire's serializer takes it: binaries as bytes."""
    if isinstance(value, dict):
        out: Doc = {}
        for k, v in value.items():
            if k == "B" and isinstance(v, str):
                out[k] = base64.b64decode(v)
            elif k == "BS" and isinstance(v, list):
                out[k] = [base64.b64decode(x) for x in v]
            else:
                out[k] = decode(v)
        return out
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def record_view(seq: str, r: Doc, region: str, view: str, *, wire: bool) -> Doc:
    """A record as GetRecords (`wire`: binaries as bytes, a datetime) or Lambda's event
    (binaries base64, epoch seconds) shows it."""
    conv = decode if wire else (lambda x: x)
    body: Doc = {"ApproximateCreationDateTime": (datetime.datetime.fromtimestamp(r["t"] // 1000, datetime.UTC) if wire
                                                 else float(r["t"] // 1000)),
                 "Keys": conv(r["k"]), "SequenceNumber": seq, "SizeBytes": r["sz"], "StreamViewType": view}
    if "n" in r:
        body["NewImage"] = conv(r["n"])
    if "o" in r:
        body["OldImage"] = conv(r["o"])
    out: Doc = {"eventID": r["id"], "eventName": r["e"], "eventVersion": "1.1", "eventSource": "aws:dynamodb",
                "awsRegion": region, "dynamodb": body}
    if r.get("svc"):
        out["userIdentity"] = {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"} if wire else \
            {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    return out


def drop_stream(txn: Txn, key: str) -> None:
    txn.delete(STREAMS, key)
    txn.delete(COUNTERS, key)
    txn.delete_prefix(SHARDS, key + "/")
    txn.delete_prefix(RECORDS, key + "/")

"""Kinesis streams and shards: creation, status, descriptions, listings, retention, encryption
flags, tags and resharding (SplitShard, MergeShards, UpdateShardCount) with lineage.

Table kinesis_streams: "{account}/{region}/{name}" -> {"StreamName", "StreamARN", "created"
(ms), "mode" (ON_DEMAND | PROVISIONED), "retention" (hours), "enc": {"type", "key"} | None,
"tags": {k: v}, "busy": "CREATING" | "UPDATING" | None, "busy_until" (ms), "next_shard",
"metrics": [shard-level metric names]}.
Table kinesis_shards: "{stream key}/{shard id}" -> {"id", "parent", "adj", "hs", "he" (hash
key range, decimal strings), "ss", "es" (sequence number range; "es" None while open),
"opened", "closed" (ms)}. A closed shard keeps its records until they age out; it is dropped
with its last record (sweep.py).
Table kinesis_counters: "{stream key}" -> {"n": records put so far, "ms": the last arrival
time used}: every sequence number takes the next `n` and a time never below `ms`
(shards.py), in the transaction that writes the record.
A stream is CREATING (or UPDATING after a reshard) until `busy_until`, then ACTIVE: the
status is read from the clock, so no background task has to move it. Writes publish
"kinesis.stream" {"key"}.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging
from gureum.aws import tags as tagkit
from gureum.aws.errors import AwsError
from gureum.services.kinesis import shards as S
from gureum.store import Txn

STREAMS = "kinesis_streams"
SHARDS = "kinesis_shards"
COUNTERS = "kinesis_counters"
TOPIC = "kinesis.stream"
ON_DEMAND_SHARDS = 4
MIN_RETENTION = 24
MAX_RETENTION = 8760

Doc = dict[str, Any]


def invalid(message: str) -> AwsError:
    return AwsError.modeled("kinesis", "InvalidArgumentException", message)


def in_use(message: str) -> AwsError:
    return AwsError.modeled("kinesis", "ResourceInUseException", message)


TAG_RULES = tagkit.Rules(invalid=invalid, too_many=lambda m: AwsError.modeled("kinesis", "LimitExceededException", m),
                         too_many_message="Failed to add tags to stream because the number of tags would exceed {max}.")


def stream_key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


def not_found(name: str, account: str) -> AwsError:
    return AwsError.modeled("kinesis", "ResourceNotFoundException", f"Stream {name} under account {account} not found.")


def now_ms() -> int:
    return int(time.time() * 1000)


def status(doc: Doc, now: int) -> str:
    if doc.get("busy") and now < int(doc.get("busy_until") or 0):
        return str(doc["busy"])
    return "ACTIVE"


def name_from(account: str, region: str, p: dict[str, Any]) -> str:
    """The stream a request names, by StreamName or StreamARN (which must be this account's)."""
    if p.get("StreamARN"):
        parsed = arns.try_parse(p["StreamARN"])
        if parsed is None or parsed.service != "kinesis" or not parsed.resource.startswith("stream/"):
            raise invalid(f"Invalid StreamARN: {p['StreamARN']}")
        name = parsed.resource.split("/")[1]
        if parsed.account != account or parsed.region != region:
            raise not_found(name, parsed.account)
        if p.get("StreamName") and p["StreamName"] != name:
            raise invalid("StreamARN and StreamName do not refer to the same stream.")
        return name
    if p.get("StreamName"):
        return str(p["StreamName"])
    raise invalid("Either StreamName or StreamARN should be provided.")


def owner(account: str, region: str, p: dict[str, Any]) -> str:
    """The account whose stream a shareable request reaches: a StreamARN's, when it names
    another account of this Region (the authorization gate let the request through only if
    that stream's resource policy grants it), else the caller's."""
    parsed = arns.try_parse(str(p.get("StreamARN") or ""))
    if parsed is not None and parsed.service == "kinesis" and parsed.region == region and parsed.resource.startswith("stream/"):
        return parsed.account
    return account


def get(txn: Txn, account: str, region: str, p: dict[str, Any], *, active: bool = False, usable: bool = False,
        shared: bool = False) -> tuple[str, Doc]:
    """(key, doc) of the stream `p` names. `active`: refuse unless ACTIVE (resharding and
    settings); `usable`: refuse while CREATING (reads and writes); `shared`: an operation AWS
    shares across accounts through a stream's resource policy (a StreamARN of another account
    reaches that account's stream: `owner`)."""
    if shared:
        account = owner(account, region, p)
    name = name_from(account, region, p)
    key = stream_key(account, region, name)
    doc = txn.get(STREAMS, key)
    if doc is None:
        raise not_found(name, account)
    st = status(doc, now_ms())
    if usable and st == "CREATING":
        raise not_found(name, account)
    if active and st != "ACTIVE":
        raise in_use(f"Stream {name} under account {account} not ACTIVE, instead in state {st}")
    return key, doc


def open_shard_total(txn: Txn, account: str, region: str) -> int:
    total = 0
    for key, _ in txn.scan(STREAMS, f"{account}/{region}/"):
        total += sum(1 for _, sh in txn.scan(SHARDS, key + "/") if sh.get("es") is None)
    return total


def _check_quota(txn: Txn, account: str, region: str, adding: int, limit: int) -> None:
    current = open_shard_total(txn, account, region)
    if current + adding > limit:
        raise AwsError.modeled(
            "kinesis", "LimitExceededException",
            f"This request would exceed the shard limit for the account {account} in {region}. Current shard count for "
            f"the account: {current}. Limit: {limit}. Number of additional shards that would have resulted from this "
            f"request: {adding}. Refer to the AWS Service Limits page (https://docs.aws.amazon.com/general/latest/gr/"
            "aws_service_limits.html) for current limits and how to request higher limits.")


def next_sequence(txn: Txn, key: str, shard_number: int, now: int) -> tuple[str, int]:
    """The next sequence number of the stream at `key` for a record of shard `shard_number`,
    and the arrival time it encodes (never before the stream's previous one)."""
    c = txn.get(COUNTERS, key) or {"n": 0, "ms": 0}
    c["n"] += 1
    c["ms"] = max(int(c["ms"]), now)
    txn.put(COUNTERS, key, c)
    return S.sequence(c["ms"], shard_number, c["n"]), c["ms"]


def _new_shard(txn: Txn, key: str, doc: Doc, hs: int, he: int, now: int, parent: str | None = None,
               adj: str | None = None) -> Doc:
    number = int(doc["next_shard"])
    doc["next_shard"] = number + 1
    seq, _ = next_sequence(txn, key, number, now)
    shard: Doc = {"id": S.shard_id(number), "hs": str(hs), "he": str(he), "ss": seq, "es": None, "opened": now, "closed": None}
    if parent:
        shard["parent"] = parent
    if adj:
        shard["adj"] = adj
    txn.put(SHARDS, f"{key}/{shard['id']}", shard)
    return shard


def _close(txn: Txn, key: str, shard: Doc, now: int) -> None:
    number = S.shard_number(shard["id"]) or 0
    shard["es"], _ = next_sequence(txn, key, number, now)
    shard["closed"] = now
    txn.put(SHARDS, f"{key}/{shard['id']}", shard)


def create(txn: Txn, account: str, region: str, p: dict[str, Any], now: int, settle_ms: int, shard_limit: int) -> Doc:
    name = p["StreamName"]
    mode = (p.get("StreamModeDetails") or {}).get("StreamMode") or "PROVISIONED"
    if mode == "PROVISIONED":
        if p.get("ShardCount") is None:
            raise invalid("ShardCount is missing for a PROVISIONED stream.")
        count = int(p["ShardCount"])
    else:
        count = ON_DEMAND_SHARDS
    key = stream_key(account, region, name)
    if txn.get(STREAMS, key) is not None:
        raise in_use(f"Stream {name} under account {account} already exists.")
    _check_quota(txn, account, region, count, shard_limit)
    tags = tagkit.check(dict(p.get("Tags") or {}), TAG_RULES)
    doc: Doc = {"StreamName": name, "StreamARN": arns.kinesis_stream(region, account, name), "created": now, "mode": mode,
                "retention": MIN_RETENTION, "enc": None, "tags": tags, "busy": "CREATING", "busy_until": now + settle_ms,
                "next_shard": 0, "metrics": []}
    for hs, he in S.even_ranges(count):
        _new_shard(txn, key, doc, hs, he, now)
    txn.put(STREAMS, key, doc)
    txn.publish(TOPIC, {"key": key})
    return doc


def delete(txn: Txn, account: str, region: str, p: dict[str, Any], consumers: Callable[[Txn, str], int]) -> Doc:
    key, doc = get(txn, account, region, p)
    if consumers(txn, key) and not p.get("EnforceConsumerDeletion"):
        raise in_use(f"Stream {doc['StreamName']} under account {account} has registered consumers. Please deregister "
                     "them or set EnforceConsumerDeletion to true.")
    txn.delete(STREAMS, key)
    txn.delete_prefix(SHARDS, key + "/")
    txn.publish(TOPIC, {"key": key, "deleted": True})
    return doc


def _when(ms: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)


def shard_view(sh: Doc) -> Doc:
    out: Doc = {"ShardId": sh["id"], "HashKeyRange": {"StartingHashKey": sh["hs"], "EndingHashKey": sh["he"]},
                "SequenceNumberRange": {"StartingSequenceNumber": sh["ss"]}}
    if sh.get("es"):
        out["SequenceNumberRange"]["EndingSequenceNumber"] = sh["es"]
    if sh.get("parent"):
        out["ParentShardId"] = sh["parent"]
    if sh.get("adj"):
        out["AdjacentParentShardId"] = sh["adj"]
    return out


def _base(doc: Doc, now: int) -> Doc:
    out: Doc = {"StreamName": doc["StreamName"], "StreamARN": doc["StreamARN"], "StreamStatus": status(doc, now),
                "StreamModeDetails": {"StreamMode": doc["mode"]}, "RetentionPeriodHours": doc["retention"],
                "StreamCreationTimestamp": _when(doc["created"]),
                "EnhancedMonitoring": [{"ShardLevelMetrics": list(doc.get("metrics") or [])}],
                "EncryptionType": (doc.get("enc") or {}).get("type", "NONE")}
    if doc.get("enc"):
        out["KeyId"] = doc["enc"]["key"]
    return out


def shards_of(txn: Txn, key: str) -> list[Doc]:
    return [d for _, d in txn.scan(SHARDS, key + "/")]


def describe(txn: Txn, key: str, doc: Doc, limit: int | None, start_after: str | None, now: int) -> Doc:
    n = limit or 100
    if not 1 <= n <= 10000:
        raise invalid(f"1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: "
                      "Member must have value between 1 and 10000")
    rows = txn.scan(SHARDS, key + "/", start=f"{key}/{start_after}\x00" if start_after else None, limit=n + 1)
    out = _base(doc, now)
    out["Shards"] = [shard_view(d) for _, d in rows[:n]]
    out["HasMoreShards"] = len(rows) > n
    return out


def summary(txn: Txn, key: str, doc: Doc, consumers: int, now: int) -> Doc:
    out = _base(doc, now)
    out["OpenShardCount"] = sum(1 for d in shards_of(txn, key) if d.get("es") is None)
    out["ConsumerCount"] = consumers
    return out


def list_streams(txn: Txn, account: str, region: str, p: dict[str, Any], now: int) -> Doc:
    prefix = f"{account}/{region}/"
    start = p.get("ExclusiveStartStreamName")
    token = p.get("NextToken")
    if start is not None and token is None:
        token = None
        rows = txn.scan(STREAMS, prefix, start=prefix + start + "\x00", limit=(p.get("Limit") or 100) + 1)
        n = p.get("Limit") or 100
        page_rows, more = rows[:n], len(rows) > n
        nxt = paging.encode(paging.bind(STREAMS, prefix), page_rows[-1][0]) if more and page_rows else None
    else:
        page_rows, nxt = paging.page(txn, STREAMS, prefix, token=token, limit=p.get("Limit"), default_limit=100,
                                     max_limit=10000, error=lambda: invalid("Invalid NextToken."))
        more = nxt is not None
    out: Doc = {"StreamNames": [d["StreamName"] for _, d in page_rows], "HasMoreStreams": more,
                "StreamSummaries": [{"StreamName": d["StreamName"], "StreamARN": d["StreamARN"], "StreamStatus": status(d, now),
                                     "StreamModeDetails": {"StreamMode": d["mode"]},
                                     "StreamCreationTimestamp": _when(d["created"])} for _, d in page_rows]}
    if nxt:
        out["NextToken"] = nxt
    return out


def _shard_filter(f: Doc | None, shard: Doc, retention_start: int) -> bool:
    if not f:
        return True
    kind = f.get("Type")
    if kind == "AFTER_SHARD_ID":
        return bool(shard["id"] > (f.get("ShardId") or ""))
    if kind == "AT_LATEST":
        return shard.get("es") is None
    if kind in ("AT_TRIM_HORIZON", "FROM_TRIM_HORIZON"):
        return shard.get("closed") is None or int(shard["closed"]) >= retention_start
    if kind in ("AT_TIMESTAMP", "FROM_TIMESTAMP"):
        ts = f.get("Timestamp")
        at = int(ts.timestamp() * 1000) if ts is not None else 0
        open_then = shard.get("closed") is None or int(shard["closed"]) > at
        return open_then and (kind == "FROM_TIMESTAMP" or int(shard["opened"]) <= at or shard.get("parent") is None)
    return True


def list_shards(txn: Txn, account: str, region: str, p: dict[str, Any], now: int) -> Doc:
    token = p.get("NextToken")
    if token and (p.get("StreamName") or p.get("StreamARN")):
        raise invalid("NextToken and StreamName cannot be provided together.")
    f = p.get("ShardFilter")
    if f and f.get("Type") == "AFTER_SHARD_ID" and not f.get("ShardId"):
        raise invalid("Must specify ShardId when ShardFilter type is AFTER_SHARD_ID.")
    if f and f.get("Type") in ("AT_TIMESTAMP", "FROM_TIMESTAMP") and f.get("Timestamp") is None:
        raise invalid(f"Must specify Timestamp when ShardFilter type is {f['Type']}.")
    if token:
        try:
            doc_t = paging.decode(paging.bind(SHARDS, f"{account}/{region}/"), token)
        except paging.BadToken:
            raise invalid(f"Invalid ShardIterator/NextToken: {token}") from None
        key, _, after = doc_t.rpartition("/")
        start_after: str | None = after
        doc = txn.get(STREAMS, key)
        if doc is None:
            raise not_found(key.rsplit("/", 1)[-1], account)
    else:
        key, doc = get(txn, account, region, p, shared=True)
        start_after = p.get("ExclusiveStartShardId")
    n = paging.page_size(p.get("MaxResults"), 1000, 10000)
    retention_start = now - int(doc["retention"]) * 3600 * 1000
    rows = [d for d in shards_of(txn, key) if (start_after is None or d["id"] > start_after)
            and _shard_filter(f, d, retention_start)]
    out: Doc = {"Shards": [shard_view(d) for d in rows[:n]]}
    if len(rows) > n:
        out["NextToken"] = paging.encode(paging.bind(SHARDS, f"{account}/{region}/"), f"{key}/{rows[n - 1]['id']}")
    return out


def set_retention(txn: Txn, account: str, region: str, p: dict[str, Any], increase: bool) -> None:
    key, doc = get(txn, account, region, p, active=True)
    hours = int(p["RetentionPeriodHours"])
    cur = int(doc["retention"])
    name = doc["StreamName"]
    if hours < MIN_RETENTION or hours > MAX_RETENTION:
        raise invalid(f"Minimum allowed retention period is {MIN_RETENTION} hours. Maximum allowed retention period is "
                      f"{MAX_RETENTION} hours. Requested retention period ({hours} hours) is too "
                      f"{'short' if hours < MIN_RETENTION else 'long'}.")
    if increase and hours < cur:
        raise invalid(f"Requested retention period ({hours} hours) for stream {name} can not be shorter than existing "
                      f"retention period ({cur} hours). Use DecreaseRetentionPeriod API.")
    if not increase and hours > cur:
        raise invalid(f"Requested retention period ({hours} hours) for stream {name} can not be longer than existing "
                      f"retention period ({cur} hours). Use IncreaseRetentionPeriod API.")
    doc["retention"] = hours
    txn.put(STREAMS, key, doc)
    txn.publish(TOPIC, {"key": key})


def set_encryption(txn: Txn, account: str, region: str, p: dict[str, Any], start: bool, settle_ms: int, now: int) -> None:
    key, doc = get(txn, account, region, p, active=True)
    if p.get("EncryptionType") != "KMS":
        raise invalid(f"Encryption type {p.get('EncryptionType')} is not supported.")
    if start:
        doc["enc"] = {"type": "KMS", "key": p["KeyId"]}
    else:
        doc["enc"] = None
    doc["busy"], doc["busy_until"] = "UPDATING", now + settle_ms
    txn.put(STREAMS, key, doc)
    txn.publish(TOPIC, {"key": key})


def set_monitoring(txn: Txn, account: str, region: str, p: dict[str, Any], enable: bool) -> Doc:
    key, doc = get(txn, account, region, p, active=True)
    all_metrics = ["IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords", "WriteProvisionedThroughputExceeded",
                   "ReadProvisionedThroughputExceeded", "IteratorAgeMilliseconds"]
    asked = all_metrics if "ALL" in p["ShardLevelMetrics"] else list(p["ShardLevelMetrics"])
    before = list(doc.get("metrics") or [])
    after = sorted(set(before) | set(asked)) if enable else [m for m in before if m not in asked]
    doc["metrics"] = after
    txn.put(STREAMS, key, doc)
    return {"StreamName": doc["StreamName"], "StreamARN": doc["StreamARN"], "CurrentShardLevelMetrics": before,
            "DesiredShardLevelMetrics": after}


def update_mode(txn: Txn, account: str, region: str, p: dict[str, Any], settle_ms: int, now: int) -> None:
    key, doc = get(txn, account, region, p, active=True)
    doc["mode"] = p["StreamModeDetails"]["StreamMode"]
    doc["busy"], doc["busy_until"] = "UPDATING", now + settle_ms
    txn.put(STREAMS, key, doc)
    txn.publish(TOPIC, {"key": key})


# --- resharding ------------------------------------------------------------------------------

def _open_shard(txn: Txn, key: str, doc: Doc, shard: str, account: str) -> Doc:
    sh = txn.get(SHARDS, f"{key}/{shard}")
    if sh is None:
        raise AwsError.modeled("kinesis", "ResourceNotFoundException",
                               f"Could not find shard {shard} in stream {doc['StreamName']} under account {account}.")
    if sh.get("es") is not None:
        raise AwsError.modeled("kinesis", "ResourceNotFoundException",
                               f"Shard {shard} in stream {doc['StreamName']} under account {account} has already been "
                               "merged or split, and thus is not eligible for merging or splitting.")
    return sh


def split(txn: Txn, account: str, region: str, p: dict[str, Any], settle_ms: int, now: int, shard_limit: int) -> None:
    key, doc = get(txn, account, region, p, active=True)
    sh = _open_shard(txn, key, doc, p["ShardToSplit"], account)
    text = p["NewStartingHashKey"]
    if not text.isdigit():
        raise invalid(f"NewStartingHashKey {text} used in SplitShard() on shard {sh['id']} in stream "
                      f"{doc['StreamName']} under account {account} is not a valid number.")
    new = int(text)
    hs, he = int(sh["hs"]), int(sh["he"])
    if not hs < new <= he:
        raise invalid(f"NewStartingHashKey {new} used in SplitShard() on shard {sh['id']} in stream {doc['StreamName']} "
                      f"under account {account} is not both greater than one plus the shard's StartingHashKey {hs} and "
                      f"less than the shard's EndingHashKey {he}.")
    _check_quota(txn, account, region, 1, shard_limit)
    _close(txn, key, sh, now)
    _new_shard(txn, key, doc, hs, new - 1, now, parent=sh["id"])
    _new_shard(txn, key, doc, new, he, now, parent=sh["id"])
    doc["busy"], doc["busy_until"] = "UPDATING", now + settle_ms
    txn.put(STREAMS, key, doc)
    txn.publish(TOPIC, {"key": key})


def merge(txn: Txn, account: str, region: str, p: dict[str, Any], settle_ms: int, now: int) -> None:
    key, doc = get(txn, account, region, p, active=True)
    a = _open_shard(txn, key, doc, p["ShardToMerge"], account)
    b = _open_shard(txn, key, doc, p["AdjacentShardToMerge"], account)
    lo, hi = (a, b) if int(a["hs"]) < int(b["hs"]) else (b, a)
    if int(lo["he"]) + 1 != int(hi["hs"]):
        raise invalid(f"Shards {a['id']} and {b['id']} in stream {doc['StreamName']} under account {account} are not an "
                      "adjacent pair of shards eligible for merging")
    _close(txn, key, a, now)
    _close(txn, key, b, now)
    _new_shard(txn, key, doc, int(lo["hs"]), int(hi["he"]), now, parent=a["id"], adj=b["id"])
    doc["busy"], doc["busy_until"] = "UPDATING", now + settle_ms
    txn.put(STREAMS, key, doc)
    txn.publish(TOPIC, {"key": key})


def _owner(shards: list[Doc], h: int) -> Doc:
    return next(s for s in shards if int(s["hs"]) <= h <= int(s["he"]))


def update_count(txn: Txn, account: str, region: str, p: dict[str, Any], settle_ms: int, now: int, shard_limit: int) -> Doc:
    key, doc = get(txn, account, region, p, active=True)
    if doc["mode"] == "ON_DEMAND":
        raise AwsError.modeled("kinesis", "ValidationException",
                               "UpdateShardCount is not supported for stream in ON_DEMAND mode.")
    target = int(p["TargetShardCount"])
    open_shards = [s for s in shards_of(txn, key) if s.get("es") is None]
    current = len(open_shards)
    if target > 2 * current or target * 2 < current:
        raise invalid(f"UpdateShardCount cannot scale up over double your current open shard count ({current}) or scale "
                      "down below half your current open shard count. Current open shard count: "
                      f"{current}. Target shard count: {target}")
    if target != current:
        _check_quota(txn, account, region, max(0, target - current), shard_limit)
        for s in open_shards:
            _close(txn, key, s, now)
        for hs, he in S.even_ranges(target):
            first, last = _owner(open_shards, hs), _owner(open_shards, he)
            _new_shard(txn, key, doc, hs, he, now, parent=first["id"], adj=last["id"] if last["id"] != first["id"] else None)
        doc["busy"], doc["busy_until"] = "UPDATING", now + settle_ms
        txn.put(STREAMS, key, doc)
        txn.publish(TOPIC, {"key": key})
    return {"StreamName": doc["StreamName"], "StreamARN": doc["StreamARN"], "CurrentShardCount": current,
            "TargetShardCount": target}


# --- tags ------------------------------------------------------------------------------------

def add_tags(txn: Txn, account: str, region: str, p: dict[str, Any], tags: dict[str, str]) -> None:
    key, doc = get(txn, account, region, p)
    doc["tags"] = tagkit.apply(doc.get("tags") or {}, tagkit.check(tags, TAG_RULES), (), TAG_RULES)
    txn.put(STREAMS, key, doc)


def remove_tags(txn: Txn, account: str, region: str, p: dict[str, Any], keys: list[str]) -> None:
    key, doc = get(txn, account, region, p)
    doc["tags"] = tagkit.apply(doc.get("tags") or {}, {}, keys, TAG_RULES)
    txn.put(STREAMS, key, doc)


def list_tags(txn: Txn, account: str, region: str, p: dict[str, Any]) -> Doc:
    _, doc = get(txn, account, region, p)
    items = sorted((doc.get("tags") or {}).items())
    start = p.get("ExclusiveStartTagKey")
    if start is not None:
        items = [(k, v) for k, v in items if k > start]
    n = p.get("Limit") or 50
    return {"Tags": [{"Key": k, "Value": v} for k, v in items[:n]], "HasMoreTags": len(items) > n}

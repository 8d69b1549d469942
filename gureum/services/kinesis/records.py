"""Kinesis records: PutRecord/PutRecords (hash key → open shard, sequence numbers, per-record
results, the shard write limit), GetShardIterator and GetRecords as store range reads.

Table kinesis_records: "{stream key}/{shard id}/{sequence number}" -> {"d": data (base64),
"k": partition key, "t": arrival ms}. A record is written in the transaction that answers
its PutRecord(s), so an acknowledged record survives kill -9; a shard's records are one key
range in arrival order (shards.py), so every read is a range scan from an iterator's
position. Records older than the stream's retention are trimmed by sweep.py.
"""

from __future__ import annotations

import base64
import bisect
import datetime
import threading
from dataclasses import dataclass
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.kinesis import shards as S
from gureum.services.kinesis import streams as K
from gureum.services.kinesis.streams import invalid
from gureum.store import Txn

RECORDS = "kinesis_records"
MAX_RECORD_BYTES = 1024 * 1024
MAX_PUT_BYTES = 5 * 1024 * 1024
MAX_GET_BYTES = 10 * 1024 * 1024
SHARD_BYTES_PER_S = 1024 * 1024
SHARD_RECORDS_PER_S = 1000

Doc = dict[str, Any]


class WriteLimiter:
    """Each shard's writes in the current second (this node's), against AWS's 1 MiB/s and
    1,000 records/s. Called from the store's writer, under a lock."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._lock = threading.Lock()
        self._second = 0
        self._used: dict[str, tuple[int, int]] = {}

    def take(self, shard_key: str, nbytes: int, now_ms: int) -> bool:
        if not self.enabled:
            return True
        with self._lock:
            second = now_ms // 1000
            if second != self._second:
                self._second, self._used = second, {}
            n, b = self._used.get(shard_key, (0, 0))
            if n + 1 > SHARD_RECORDS_PER_S or b + nbytes > SHARD_BYTES_PER_S:
                return False
            self._used[shard_key] = (n + 1, b + nbytes)
            return True


@dataclass
class Router:
    """The open shards of one stream, by hash key."""

    starts: list[int]
    shards: list[Doc]

    @classmethod
    def load(cls, txn: Txn, key: str) -> Router:
        open_shards = sorted((d for d in K.shards_of(txn, key) if d.get("es") is None), key=lambda d: int(d["hs"]))
        return cls([int(d["hs"]) for d in open_shards], open_shards)

    def find(self, h: int) -> Doc:
        return self.shards[bisect.bisect_right(self.starts, h) - 1]


def _hash(rec: dict[str, Any]) -> int:
    explicit = rec.get("ExplicitHashKey")
    if explicit is not None:
        if not explicit.isdigit() or int(explicit) > S.MAX_HASH:
            raise invalid(f"Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value "
                          f"was {explicit}")
        return int(explicit)
    return S.hash_key(rec["PartitionKey"])


def _size(rec: dict[str, Any]) -> int:
    return len(rec["Data"]) + len(rec["PartitionKey"].encode())


@dataclass(frozen=True)
class PutResult:
    entries: list[Doc]
    failed: int
    encryption: str
    stored_bytes: int  # what was written, for the ledger's PUT payload units
    payload_units: int


def payload_units(nbytes: int) -> int:
    """AWS's PUT payload units: each record counts in 25 KB units, rounded up."""
    return max(1, -(-nbytes // (25 * 1024)))


def put(txn: Txn, account: str, region: str, p: dict[str, Any], records: list[dict[str, Any]], now: int,
        limiter: WriteLimiter) -> PutResult:
    key, doc = K.get(txn, account, region, p, usable=True, shared=True)
    total = 0
    for rec in records:
        size = _size(rec)
        if size > MAX_RECORD_BYTES:
            raise invalid(f"Record size exceeds the maximum allowed size of {MAX_RECORD_BYTES} bytes (data and partition key).")
        total += size
        _hash(rec)
    if total > MAX_PUT_BYTES:
        raise invalid(f"Records size exceeds {MAX_PUT_BYTES // (1024 * 1024)} MB limit")
    router = Router.load(txn, key)
    enc = (doc.get("enc") or {}).get("type", "NONE")
    entries: list[Doc] = []
    failed = 0
    stored = 0
    units = 0
    for rec in records:
        shard = router.find(_hash(rec))
        size = _size(rec)
        if not limiter.take(f"{key}/{shard['id']}", size, now):
            failed += 1
            entries.append({"ErrorCode": "ProvisionedThroughputExceededException",
                            "ErrorMessage": f"Rate exceeded for shard {shard['id']} in stream {doc['StreamName']} under "
                                            f"account {account}."})
            continue
        seq, at = K.next_sequence(txn, key, S.shard_number(shard["id"]) or 0, now)
        txn.put(RECORDS, f"{key}/{shard['id']}/{seq}",
                {"d": base64.b64encode(rec["Data"]).decode(), "k": rec["PartitionKey"], "t": at})
        stored += size
        units += payload_units(size)
        entries.append({"SequenceNumber": seq, "ShardId": shard["id"]})
    if stored:
        txn.publish("kinesis.records", {"key": key})
    return PutResult(entries, failed, enc, stored, units)


def _shard(txn: Txn, key: str, doc: Doc, shard: str, account: str) -> Doc:
    sh = txn.get(K.SHARDS, f"{key}/{shard}")
    if sh is None:
        raise AwsError.modeled("kinesis", "ResourceNotFoundException",
                               f"Shard {shard} in stream {doc['StreamName']} under account {account} does not exist")
    return sh


def last_sequence(txn: Txn, key: str, shard: str) -> str | None:
    rows = txn.scan(RECORDS, f"{key}/{shard}/", limit=1, reverse=True)
    return rows[0][0].rsplit("/", 1)[1] if rows else None


def start_position(txn: Txn, key: str, sh: Doc, kind: str, seq: str | None, ts: datetime.datetime | None,
                   doc: Doc, account: str) -> str:
    """Where an iterator of `kind` starts reading shard `sh` (a sequence-number bound)."""
    if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        if seq is None:
            raise invalid(f"The StartingSequenceNumber parameter is required for ShardIteratorType {kind}.")
        parts = S.parse_sequence(seq)
        if parts is None:
            raise invalid(f"StartingSequenceNumber {seq} used in GetShardIterator on shard {sh['id']} in stream "
                          f"{doc['StreamName']} under account {account} is invalid.")
        if parts.shard != S.shard_number(sh["id"]):
            raise invalid(f"Invalid StartingSequenceNumber. It encodes {S.shard_id(parts.shard)}, while it was used in a "
                          f"call to a shard with {sh['id']}")
        return seq if kind == "AT_SEQUENCE_NUMBER" else S.after(seq)
    if kind == "AT_TIMESTAMP":
        if ts is None:
            raise invalid("The timestampInMillis parameter cannot be null for ShardIteratorType: AT_TIMESTAMP")
        return S.time_start(max(0, int(ts.timestamp() * 1000)))
    if kind == "LATEST":
        last = last_sequence(txn, key, sh["id"])
        return S.after(last) if last else ""
    return ""  # TRIM_HORIZON


def iterator(txn: Txn, account: str, region: str, p: dict[str, Any], now: int) -> str:
    key, doc = K.get(txn, account, region, p, usable=True, shared=True)
    sh = _shard(txn, key, doc, p["ShardId"], account)
    pos = start_position(txn, key, sh, p["ShardIteratorType"], p.get("StartingSequenceNumber"), p.get("Timestamp"), doc, account)
    return S.make_iterator(S.Iterator(key, int(doc["created"]), sh["id"], pos, now))


def children(txn: Txn, key: str, shard: str) -> list[Doc]:
    out = []
    for d in K.shards_of(txn, key):
        if d.get("parent") == shard or d.get("adj") == shard:
            parents = [x for x in (d.get("parent"), d.get("adj")) if x]
            out.append({"ShardId": d["id"], "ParentShards": parents,
                        "HashKeyRange": {"StartingHashKey": d["hs"], "EndingHashKey": d["he"]}})
    return out


def record_view(seq: str, r: Doc, enc: str) -> Doc:
    out: Doc = {"SequenceNumber": seq, "ApproximateArrivalTimestamp": datetime.datetime.fromtimestamp(r["t"] / 1000, datetime.UTC),
                "Data": base64.b64decode(r["d"]), "PartitionKey": r["k"]}
    if enc != "NONE":
        out["EncryptionType"] = enc
    return out


@dataclass(frozen=True)
class Batch:
    records: list[tuple[str, Doc]]  # (sequence number, stored record)
    next_position: str | None  # None: the shard is closed and read to its end
    behind_ms: int
    children: list[Doc]
    encryption: str


def read(txn: Txn, key: str, shard: str, position: str, limit: int, now: int, max_bytes: int = MAX_GET_BYTES) -> Batch:
    """Up to `limit` records of a shard from `position` (a sequence-number bound), under
    `max_bytes` (the first record always)."""
    doc = txn.get(K.STREAMS, key) or {}
    sh = txn.get(K.SHARDS, f"{key}/{shard}") or {}
    prefix = f"{key}/{shard}/"
    rows = txn.scan(RECORDS, prefix, start=prefix + position if position else None, limit=limit + 1)
    out: list[tuple[str, Doc]] = []
    nbytes = 0
    for k, r in rows[:limit]:
        size = len(r["d"]) * 3 // 4 + len(r["k"])
        if out and nbytes + size > max_bytes:
            break
        nbytes += size
        out.append((k.rsplit("/", 1)[1], r))
    rest = rows[len(out):]
    nxt: str | None = S.after(out[-1][0]) if out else position
    kids: list[Doc] = []
    if not rest and sh.get("es") is not None:
        nxt = None
        kids = children(txn, key, shard)
    behind = max(0, now - int(rest[0][1]["t"])) if rest else 0
    return Batch(out, nxt, behind, kids, (doc.get("enc") or {}).get("type", "NONE"))


def get_records(txn: Txn, account: str, region: str, token: str, limit: int | None, now: int,
                stream_arn: str | None = None) -> Doc:
    """The records from iterator `token`. An iterator of another account's stream is read only
    when the request names that stream's ARN too (the gate checked its resource policy)."""
    it = S.read_iterator(token)
    if it is None:
        raise invalid(f"Invalid ShardIterator: {token[:128]}")
    if now - it.issued > S.ITERATOR_MS:
        raise AwsError.modeled("kinesis", "ExpiredIteratorException",
                               f"Iterator expired. The iterator was created at time {_fmt(it.issued)} while right now it is "
                               f"{_fmt(now)} which is further in the future than the tolerated delay of {S.ITERATOR_MS} "
                               "milliseconds.")
    s_account, s_region, name = it.stream_key.split("/", 2)
    doc = txn.get(K.STREAMS, it.stream_key)
    if stream_arn:
        named = {"StreamARN": stream_arn}
        arn_owner = K.owner(account, region, named)
        if K.stream_key(arn_owner, region, K.name_from(arn_owner, region, named)) == it.stream_key:
            account = arn_owner  # another account's stream, reached by its ARN
    if s_account != account or s_region != region or doc is None or int(doc["created"]) != it.created:
        raise AwsError.modeled("kinesis", "ResourceNotFoundException",
                               f"Shard {it.shard} in stream {name} under account {account} does not exist")
    if txn.get(K.SHARDS, f"{it.stream_key}/{it.shard}") is None:
        raise AwsError.modeled("kinesis", "ResourceNotFoundException",
                               f"Shard {it.shard} in stream {name} under account {account} does not exist")
    n = limit or 10000
    batch = read(txn, it.stream_key, it.shard, it.position, n, now)
    out: Doc = {"Records": [record_view(seq, r, batch.encryption) for seq, r in batch.records],
                "MillisBehindLatest": batch.behind_ms}
    if batch.next_position is not None:
        out["NextShardIterator"] = S.make_iterator(S.Iterator(it.stream_key, it.created, it.shard, batch.next_position, now))
    else:
        out["ChildShards"] = batch.children
    return out


def _fmt(ms: int) -> str:
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def drop_stream(txn: Txn, key: str) -> None:
    txn.delete_prefix(RECORDS, key + "/")

"""Kinesis's arithmetic, without I/O: hash keys, shard ranges, sequence numbers and iterators.

- A record's hash key is the MD5 of its partition key read as a 128-bit unsigned integer
  (or its ExplicitHashKey); a shard owns an inclusive range of hash keys.
- `even_ranges(n)`: n shards splitting [0, 2**128 - 1] as AWS does (shard i starts at
  i * (2**128 // n); the last ends at 2**128 - 1).
- A sequence number is 56 decimal digits, AWS's shape: "49", the arrival time in ms (16
  digits), the shard's number (6 digits), the stream's record counter (32 digits). Within a
  shard the string order is the time order and the put order (the writer keeps the stream's
  time from going back), so a shard's records are a key range of the store and
  AT_TIMESTAMP is a range start.
- A shard iterator is opaque to clients: base64 of JSON {"k": stream key, "c": the stream's
  creation ms (a stream deleted and created again does not take old iterators), "s": shard
  id, "p": the store key suffix to read from (inclusive), "t": issue ms}. It expires after
  five minutes; GetRecords checks that its stream is the caller's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass

MAX_HASH = 2**128 - 1
ITERATOR_MS = 5 * 60 * 1000


def hash_key(partition_key: str) -> int:
    return int.from_bytes(hashlib.md5(partition_key.encode()).digest(), "big")  # noqa: S324 (AWS's choice)


def even_ranges(n: int) -> list[tuple[int, int]]:
    step = (MAX_HASH + 1) // n
    return [(i * step, MAX_HASH if i == n - 1 else (i + 1) * step - 1) for i in range(n)]


def shard_id(number: int) -> str:
    return f"shardId-{number:012d}"


def shard_number(shard: str) -> int | None:
    if not shard.startswith("shardId-") or not shard[8:].isdigit():
        return None
    return int(shard[8:])


def sequence(ms: int, shard: int, counter: int) -> str:
    return f"49{ms:016d}{shard % 10**6:06d}{counter % 10**32:032d}"


def time_start(ms: int) -> str:
    """The smallest sequence number of a record that arrived at or after `ms`."""
    return f"49{ms:016d}"


@dataclass(frozen=True)
class SeqParts:
    ms: int
    shard: int
    counter: int


def parse_sequence(text: str) -> SeqParts | None:
    if len(text) != 56 or not text.isdigit() or not text.startswith("49"):
        return None
    return SeqParts(int(text[2:18]), int(text[18:24]), int(text[24:]))


@dataclass(frozen=True)
class Iterator:
    stream_key: str
    created: int
    shard: str
    position: str  # read records whose sequence number is >= this
    issued: int


def make_iterator(it: Iterator) -> str:
    doc = {"k": it.stream_key, "c": it.created, "s": it.shard, "p": it.position, "t": it.issued}
    return base64.b64encode(json.dumps(doc, separators=(",", ":")).encode()).decode()


def read_iterator(token: str) -> Iterator | None:
    try:
        doc = json.loads(base64.b64decode(token.encode(), validate=True))
        return Iterator(str(doc["k"]), int(doc["c"]), str(doc["s"]), str(doc["p"]), int(doc["t"]))
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        return None


def after(seq: str) -> str:
    """The position just past `seq` (every other sequence number sorts after it)."""
    return seq + "0"

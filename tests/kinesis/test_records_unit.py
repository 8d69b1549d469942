"""Kinesis's record rules on a store of its own (no server): iterators expire after five
minutes, the retention sweep trims records older than the stream's retention as a key range
and drops a closed shard with its last record, sequence numbers stay increasing when the
clock steps back, and a forged iterator reads no other account's stream."""

from __future__ import annotations

from typing import Any

import pytest

from gureum.aws.errors import AwsError
from gureum.services.kinesis import consumers as C
from gureum.services.kinesis import records as R
from gureum.services.kinesis import shards as S
from gureum.services.kinesis import streams as K
from gureum.services.kinesis import sweep
from gureum.store.memory import MemoryStore

A, REGION = "111122223333", "us-east-1"
T0 = 1_700_000_000_000
HOUR = 3_600_000


def setup(shards: int = 1) -> tuple[MemoryStore, str]:
    store = MemoryStore()
    store.run_sync(lambda t: K.create(t, A, REGION, {"StreamName": "s", "ShardCount": shards}, T0, 0, 500))
    return store, K.stream_key(A, REGION, "s")


def put(store: MemoryStore, data: bytes, now: int) -> dict[str, Any]:
    res = store.run_sync(lambda t: R.put(t, A, REGION, {"StreamName": "s"}, [{"Data": data, "PartitionKey": "k"}], now,
                                         R.WriteLimiter(False)))
    return res.entries[0]


def test_an_iterator_expires_after_five_minutes() -> None:
    store, _ = setup()
    it = store.read_sync(lambda t: R.iterator(t, A, REGION, {"StreamName": "s", "ShardId": "shardId-000000000000",
                                                             "ShardIteratorType": "TRIM_HORIZON"}, T0))
    store.read_sync(lambda t: R.get_records(t, A, REGION, it, None, T0 + S.ITERATOR_MS))
    with pytest.raises(AwsError) as e:
        store.read_sync(lambda t: R.get_records(t, A, REGION, it, None, T0 + S.ITERATOR_MS + 1))
    assert e.value.code == "ExpiredIteratorException"


def test_an_iterator_reads_only_its_own_accounts_stream() -> None:
    store, _ = setup()
    it = store.read_sync(lambda t: R.iterator(t, A, REGION, {"StreamName": "s", "ShardId": "shardId-000000000000",
                                                             "ShardIteratorType": "TRIM_HORIZON"}, T0))
    with pytest.raises(AwsError) as e:
        store.read_sync(lambda t: R.get_records(t, "444455556666", REGION, it, None, T0))
    assert e.value.code == "ResourceNotFoundException"


def test_retention_sweep_trims_old_records_and_drops_closed_empty_shards() -> None:
    store, key = setup()
    put(store, b"old", T0)
    new = put(store, b"new", T0 + 2 * HOUR)
    assert store.run_sync(lambda t: sweep.trim_stream(t, key, T0 + 25 * HOUR)) == 1
    left = store.read_sync(lambda t: R.read(t, key, "shardId-000000000000", "", 10, T0 + 25 * HOUR))
    assert [seq for seq, _ in left.records] == [new["SequenceNumber"]]
    store.run_sync(lambda t: K.split(t, A, REGION, {"StreamName": "s", "ShardToSplit": "shardId-000000000000",
                                                    "NewStartingHashKey": str(2**127)}, 0, T0 + 3 * HOUR, 500))
    store.run_sync(lambda t: sweep.trim_stream(t, key, T0 + 28 * HOUR))
    ids = [d["id"] for d in store.read_sync(lambda t: K.shards_of(t, key))]
    assert ids == ["shardId-000000000001", "shardId-000000000002"]


def test_sequence_numbers_increase_when_the_clock_steps_back() -> None:
    store, _ = setup()
    first = put(store, b"a", T0 + 1000)["SequenceNumber"]
    second = put(store, b"b", T0)["SequenceNumber"]
    assert int(second) > int(first) and len(second) == 56
    parts = S.parse_sequence(second)
    assert parts is not None and parts.shard == 0 and parts.ms == T0 + 1000


def test_even_ranges_cover_the_hash_space() -> None:
    for n in (1, 2, 3, 7, 64):
        r = S.even_ranges(n)
        assert r[0][0] == 0 and r[-1][1] == S.MAX_HASH
        assert all(r[i][1] + 1 == r[i + 1][0] for i in range(n - 1))


def test_a_consumer_resubscribes_to_a_shard_only_after_five_seconds() -> None:
    store, key = setup()
    arn = f"arn:aws:kinesis:{REGION}:{A}:stream/s"
    c = store.run_sync(lambda t: C.register(t, A, REGION, {"StreamARN": arn, "ConsumerName": "c"}, T0, 0))
    consumer = {"ConsumerName": "c", "ConsumerARN": c["ConsumerARN"]}
    store.run_sync(lambda t: C.mark_subscription(t, key, consumer, "shardId-000000000000", T0))
    with pytest.raises(AwsError) as e:
        store.run_sync(lambda t: C.mark_subscription(t, key, consumer, "shardId-000000000000", T0 + 4999))
    assert e.value.code == "ResourceInUseException"
    store.run_sync(lambda t: C.mark_subscription(t, key, consumer, "shardId-000000000000", T0 + 5000))

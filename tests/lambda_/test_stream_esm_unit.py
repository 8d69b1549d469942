"""The stream poller's decisions on values: lanes keep each partition key in order and cut a
batch where a full lane would reorder a key; shard claims give each node its fair share and
never a shard whose parent is unread; AWS's failure record shape."""

from __future__ import annotations

from typing import Any

from gureum.ports import StreamShard
from gureum.services.lambda_ import esm_stream_poller as P
from gureum.services.lambda_.esm import CHECKPOINTS, SHARD_LEASES
from gureum.store.memory import MemoryStore


def rec(seq: int, key: str) -> P.Record:
    return (f"{seq:05d}", {"n": seq}, 1_700_000_000_000 + seq, key)


def test_lanes_keep_keys_in_order_and_cut_at_a_full_lane() -> None:
    records = [rec(i, f"k{i % 3}") for i in range(12)]
    lanes, rest = P.lanes(records, 3, 100)
    assert sum(len(lane) for lane in lanes) == 12 and rest == []
    for lane in lanes:
        by_key: dict[str, list[str]] = {}
        for seq, _, _, key in lane:
            by_key.setdefault(key, []).append(seq)
        assert all(v == sorted(v) for v in by_key.values())
    lanes, rest = P.lanes([rec(i, "same") for i in range(5)], 4, 2)
    assert [len(lane) for lane in lanes] == [2] and [r[0] for r in rest] == ["00002", "00003", "00004"]


def test_claims_split_fairly_and_children_follow_their_parents() -> None:
    store = MemoryStore()
    shards = [StreamShard("a", (), True, 0), StreamShard("b", ("a",), False, 1), StreamShard("c", (), False, 0),
              StreamShard("d", (), False, 0), StreamShard("e", (), False, 0)]
    got: Any = store.run_sync(lambda t: P.claim_shards(t, "m", "n1", shards, 2, 1000))
    assert got == ["a", "c"]  # half of the readable a, c, d, e: b waits for its parent a
    other = store.run_sync(lambda t: P.claim_shards(t, "m", "n2", shards, 2, 1000))
    assert other == ["d", "e"]
    store.run_sync(lambda t: t.put(CHECKPOINTS, "m/a", {"pos": "", "ended": True}))
    again = store.run_sync(lambda t: P.claim_shards(t, "m", "n1", shards, 2, 2000))
    assert again == ["c", "b"] and store.read_sync(lambda t: t.get(SHARD_LEASES, "m/a")) is None
    # a node alone takes everything once the other's leases run out
    alone = store.run_sync(lambda t: P.claim_shards(t, "m", "n1", shards, 1, 2000 + P.LEASE_TTL_MS + 1))
    assert sorted(alone) == ["b", "c", "d", "e"]


def test_failure_record_has_aws_shape() -> None:
    doc = {"EventSourceArn": "arn:aws:kinesis:us-east-1:111122223333:stream/s",
           "FunctionArn": "arn:aws:lambda:us-east-1:111122223333:function:f"}
    out = P.failure_record("kinesis", doc, "shardId-000000000000", [rec(1, "k"), rec(2, "k")], "RetryAttemptsExhausted",
                           3, "Unhandled", "rid", "$LATEST")
    assert out["KinesisBatchInfo"]["batchSize"] == 2 and out["KinesisBatchInfo"]["startSequenceNumber"] == "00001"
    assert out["requestContext"] == {"requestId": "rid", "functionArn": doc["FunctionArn"], "condition": "RetryAttemptsExhausted",
                                     "approximateInvokeCount": 3}
    assert out["KinesisBatchInfo"]["approximateArrivalOfFirstRecord"].endswith("Z")
    assert "DDBStreamBatchInfo" in P.failure_record("dynamodb", doc, "s", [rec(1, "k")], "RecordAgeExceeded", 0, None, "r", "1")

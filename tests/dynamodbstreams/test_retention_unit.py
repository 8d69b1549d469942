"""DynamoDB Streams' 24-hour retention on a store of its own: records older than a day are
trimmed as a key range, a stream disabled for more than a day is dropped with its shards."""

from __future__ import annotations

from gureum.services.dynamodbstreams import model as M
from gureum.services.dynamodbstreams import sweep
from gureum.store.memory import MemoryStore

T0 = 1_700_000_000_000
HOUR = 3_600_000
KEYS = [{"AttributeName": "pk", "KeyType": "HASH"}]


def test_records_older_than_a_day_are_trimmed_and_old_disabled_streams_dropped() -> None:
    store = MemoryStore()
    s = store.run_sync(lambda t: M.enable(t, "1", "us-east-1", "t", "arn:aws:dynamodb:us-east-1:111122223333:table/t",
                                          KEYS, "KEYS_ONLY", T0))
    key = s["key"]
    for at in (T0, T0 + 2 * HOUR):
        store.run_sync(lambda t, at=at: M.append(t, key, "us-east-1", "KEYS_ONLY", {"pk": {"S": "a"}}, None, {"pk": {"S": "a"}}, 3, at))
    assert store.run_sync(lambda t: sweep.trim(t, key, T0 + 25 * HOUR)) == 1
    assert store.read_sync(lambda t: t.count(M.RECORDS, key + "/")) == 1
    store.run_sync(lambda t: M.disable(t, key, T0 + 3 * HOUR))
    assert store.run_sync(lambda t, key=key: M.append(t, key, "us-east-1", "KEYS_ONLY", {}, None, {}, 0, T0 + 4 * HOUR)) is None
    store.run_sync(lambda t: sweep.trim(t, key, T0 + 28 * HOUR))
    assert store.read_sync(lambda t: (t.get(M.STREAMS, key), t.count(M.SHARDS, key + "/"), t.count(M.RECORDS, key + "/"))) == (None, 0, 0)


def test_a_shard_rolls_over_to_a_child_after_four_hours() -> None:
    from gureum.services.dynamodbstreams import port

    store = MemoryStore()
    table_arn = "arn:aws:dynamodb:us-east-1:111122223333:table/t"
    s = store.run_sync(lambda t: M.enable(t, "111122223333", "us-east-1", "t", table_arn, KEYS, "KEYS_ONLY", T0))
    for at in (T0 + HOUR, T0 + 5 * HOUR):
        store.run_sync(lambda t, at=at: M.append(t, s["key"], "us-east-1", "KEYS_ONLY", {"pk": {"S": "a"}}, None, {}, 3, at))
    shards = store.read_sync(lambda t: port.shards(t, s["arn"]))
    assert shards is not None and len(shards) == 2
    assert shards[0].closed and not shards[1].closed and shards[1].parents == (shards[0].shard_id,)
    first = store.read_sync(lambda t: port.read(t, s["arn"], shards[0].shard_id, "", 10, T0 + 5 * HOUR))
    assert len(first.records) == 1 and first.next_position is None  # read to its end: the child is next

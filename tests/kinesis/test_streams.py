"""Kinesis through boto3 against a real gureum: streams and shards (creation, status,
descriptions, listings with paging and filters), records (hash keys, sequence numbers,
per-record results, limits), every iterator type, resharding with lineage, retention,
encryption flags, tags, and durability across kill -9."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.waiting import wait_for

MAX = 2**128 - 1


def uniq(prefix: str = "s") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def kin(gureum: Any) -> Any:
    return gureum.client("kinesis")


def active(kin: Any, name: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        d = kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        return d if d["StreamStatus"] == "ACTIVE" else None
    return wait_for(f"stream {name} ACTIVE", done, timeout=30, interval=0.1)


def make(kin: Any, shards: int = 2, **kw: Any) -> str:
    name = uniq()
    kin.create_stream(StreamName=name, ShardCount=shards, **kw)
    active(kin, name)
    return name


def code_of(call: Any) -> str:
    with pytest.raises(ClientError) as e:
        call()
    return str(e.value.response["Error"]["Code"])


def read_all(kin: Any, name: str, shard: str, kind: str = "TRIM_HORIZON", **kw: Any) -> list[dict[str, Any]]:
    it = kin.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType=kind, **kw)["ShardIterator"]
    out: list[dict[str, Any]] = []
    while it:
        r = kin.get_records(ShardIterator=it)
        out += r["Records"]
        if not r["Records"] and r["MillisBehindLatest"] == 0:
            break
        it = r.get("NextShardIterator")
    return out


def test_create_is_creating_then_active_with_even_hash_ranges(kin: Any) -> None:
    name = uniq()
    kin.create_stream(StreamName=name, ShardCount=3)
    first = kin.describe_stream(StreamName=name)["StreamDescription"]
    assert first["StreamStatus"] in ("CREATING", "ACTIVE")
    active(kin, name)
    d = kin.describe_stream(StreamName=name)["StreamDescription"]
    assert d["StreamARN"].endswith(f":stream/{name}")
    assert d["RetentionPeriodHours"] == 24 and d["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    ranges = [(int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"])) for s in d["Shards"]]
    assert [s["ShardId"] for s in d["Shards"]] == ["shardId-000000000000", "shardId-000000000001", "shardId-000000000002"]
    assert ranges[0] == (0, 113427455640312821154458202477256070484)
    assert ranges[1][0] == 113427455640312821154458202477256070485 and ranges[2][1] == MAX
    assert all(len(s["SequenceNumberRange"]["StartingSequenceNumber"]) == 56 for s in d["Shards"])
    assert code_of(lambda: kin.create_stream(StreamName=name, ShardCount=1)) == "ResourceInUseException"
    assert code_of(lambda: kin.describe_stream(StreamName=uniq())) == "ResourceNotFoundException"


def test_on_demand_stream_has_four_shards_and_listings_page(kin: Any) -> None:
    name = uniq("od")
    kin.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    s = active(kin, name)
    assert s["StreamModeDetails"]["StreamMode"] == "ON_DEMAND" and s["OpenShardCount"] == 4
    page1 = kin.list_shards(StreamName=name, MaxResults=3)
    assert len(page1["Shards"]) == 3 and "NextToken" in page1
    page2 = kin.list_shards(NextToken=page1["NextToken"], MaxResults=3)
    assert [x["ShardId"] for x in page2["Shards"]] == ["shardId-000000000003"] and "NextToken" not in page2
    assert code_of(lambda: kin.list_shards(StreamName=name, NextToken=page1["NextToken"])) == "InvalidArgumentException"
    after = kin.list_shards(StreamName=name, ShardFilter={"Type": "AFTER_SHARD_ID", "ShardId": "shardId-000000000001"})
    assert [x["ShardId"] for x in after["Shards"]] == ["shardId-000000000002", "shardId-000000000003"]
    names = [n for p in kin.get_paginator("list_streams").paginate(PaginationConfig={"PageSize": 1}) for n in p["StreamNames"]]
    assert name in names
    d = kin.describe_stream(StreamName=name, Limit=2)["StreamDescription"]
    assert len(d["Shards"]) == 2 and d["HasMoreShards"] is True


def test_put_records_route_by_md5_and_explicit_hash_with_increasing_sequence_numbers(kin: Any) -> None:
    name = make(kin, 2)
    keys = [f"pk{i}" for i in range(20)]
    res = kin.put_records(StreamName=name, Records=[{"Data": k.encode(), "PartitionKey": k} for k in keys])
    assert res["FailedRecordCount"] == 0 and res["EncryptionType"] == "NONE"
    for k, r in zip(keys, res["Records"], strict=True):
        h = int.from_bytes(hashlib.md5(k.encode()).digest(), "big")
        assert r["ShardId"] == ("shardId-000000000000" if h < 2**127 else "shardId-000000000001")
        assert len(r["SequenceNumber"]) == 56
    by_shard: dict[str, list[int]] = {}
    for r in res["Records"]:
        by_shard.setdefault(r["ShardId"], []).append(int(r["SequenceNumber"]))
    assert all(v == sorted(v) and len(set(v)) == len(v) for v in by_shard.values())
    one = kin.put_record(StreamName=name, Data=b"x", PartitionKey="a", ExplicitHashKey=str(MAX))
    assert one["ShardId"] == "shardId-000000000001"
    assert code_of(lambda: kin.put_record(StreamName=name, Data=b"x", PartitionKey="a", ExplicitHashKey=str(MAX + 1))) == "InvalidArgumentException"
    got = read_all(kin, name, "shardId-000000000000") + read_all(kin, name, "shardId-000000000001")
    assert sorted(r["Data"].decode() for r in got) == sorted(keys + ["x"])
    assert all(isinstance(r["ApproximateArrivalTimestamp"], datetime) for r in got)


def test_record_limits(kin: Any) -> None:
    name = make(kin, 1)
    assert code_of(lambda: kin.put_records(StreamName=name, Records=[{"Data": b"x", "PartitionKey": "k"}] * 501)) == "ValidationException"
    # the model no longer caps Data (streams take MaxRecordSizeInKiB): the stream's 1 MiB limit answers
    assert code_of(lambda: kin.put_record(StreamName=name, Data=b"x" * (1024 * 1024 + 1), PartitionKey="k")) == "InvalidArgumentException"
    big = [{"Data": b"x" * (1024 * 1024 - 10), "PartitionKey": "k"}] * 6
    assert code_of(lambda: kin.put_records(StreamName=name, Records=big)) == "InvalidArgumentException"


def test_iterator_types_and_get_records_paging(kin: Any) -> None:
    name = make(kin, 1)
    shard = "shardId-000000000000"
    latest = kin.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    seqs = [kin.put_record(StreamName=name, Data=str(i).encode(), PartitionKey="k")["SequenceNumber"] for i in range(5)]
    r = kin.get_records(ShardIterator=latest)
    assert [x["Data"] for x in r["Records"]] == [b"0", b"1", b"2", b"3", b"4"]
    assert r["MillisBehindLatest"] == 0
    at = read_all(kin, name, shard, "AT_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[2])
    assert [x["SequenceNumber"] for x in at] == seqs[2:]
    after = read_all(kin, name, shard, "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[2])
    assert [x["SequenceNumber"] for x in after] == seqs[3:]
    past = read_all(kin, name, shard, "AT_TIMESTAMP", Timestamp=datetime.now(timezone.utc) - timedelta(hours=1))
    assert len(past) == 5
    future = read_all(kin, name, shard, "AT_TIMESTAMP", Timestamp=datetime.now(timezone.utc) + timedelta(hours=1))
    assert future == []
    it = kin.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    first = kin.get_records(ShardIterator=it, Limit=2)
    assert len(first["Records"]) == 2 and first["MillisBehindLatest"] >= 0
    second = kin.get_records(ShardIterator=first["NextShardIterator"], Limit=10)
    assert [x["SequenceNumber"] for x in second["Records"]] == seqs[2:]
    assert code_of(lambda: kin.get_shard_iterator(StreamName=name, ShardId="shardId-000000000009",
                                                  ShardIteratorType="LATEST")) == "ResourceNotFoundException"
    assert code_of(lambda: kin.get_shard_iterator(StreamName=name, ShardId=shard,
                                                  ShardIteratorType="AT_SEQUENCE_NUMBER")) == "InvalidArgumentException"
    assert code_of(lambda: kin.get_records(ShardIterator="bm9wZQ==")) == "InvalidArgumentException"


def test_split_and_merge_keep_lineage_and_close_parents(kin: Any) -> None:
    name = make(kin, 1)
    kin.put_record(StreamName=name, Data=b"before", PartitionKey="k")
    kin.split_shard(StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    assert code_of(lambda: kin.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                                           NewStartingHashKey="5")) in ("ResourceInUseException", "ResourceNotFoundException")
    active(kin, name)
    shards = {s["ShardId"]: s for s in kin.list_shards(StreamName=name)["Shards"]}
    parent = shards["shardId-000000000000"]
    assert "EndingSequenceNumber" in parent["SequenceNumberRange"]
    assert shards["shardId-000000000001"]["ParentShardId"] == "shardId-000000000000"
    assert shards["shardId-000000000002"]["HashKeyRange"]["StartingHashKey"] == str(2**127)
    # the closed parent reads to its end, then names its children
    it = kin.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    r = kin.get_records(ShardIterator=it)
    assert [x["Data"] for x in r["Records"]] == [b"before"]
    r = kin.get_records(ShardIterator=r["NextShardIterator"]) if r.get("NextShardIterator") else r
    assert "NextShardIterator" not in r
    assert {c["ShardId"] for c in r["ChildShards"]} == {"shardId-000000000001", "shardId-000000000002"}
    kin.merge_shards(StreamName=name, ShardToMerge="shardId-000000000001", AdjacentShardToMerge="shardId-000000000002")
    active(kin, name)
    merged = kin.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert len(merged) == 1 and merged[0]["ParentShardId"] == "shardId-000000000001"
    assert merged[0]["AdjacentParentShardId"] == "shardId-000000000002"
    assert merged[0]["HashKeyRange"] == {"StartingHashKey": "0", "EndingHashKey": str(MAX)}
    out = kin.update_shard_count(StreamName=name, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    assert (out["CurrentShardCount"], out["TargetShardCount"]) == (1, 2)
    active(kin, name)
    assert kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["OpenShardCount"] == 2
    assert code_of(lambda: kin.update_shard_count(StreamName=name, TargetShardCount=5,
                                                  ScalingType="UNIFORM_SCALING")) == "InvalidArgumentException"


def test_retention_encryption_and_tags(kin: Any) -> None:
    name = make(kin, 1)
    kin.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    assert code_of(lambda: kin.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=72)) == "InvalidArgumentException"
    active(kin, name)
    kin.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=24)
    assert code_of(lambda: kin.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=9000)) == "InvalidArgumentException"
    kin.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    active(kin, name)
    s = kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert (s["EncryptionType"], s["KeyId"]) == ("KMS", "alias/aws/kinesis")
    assert kin.put_record(StreamName=name, Data=b"e", PartitionKey="k")["EncryptionType"] == "KMS"
    assert read_all(kin, name, "shardId-000000000000")[0]["EncryptionType"] == "KMS"
    kin.add_tags_to_stream(StreamName=name, Tags={"a": "1", "b": "2"})
    kin.remove_tags_from_stream(StreamName=name, TagKeys=["a"])
    assert kin.list_tags_for_stream(StreamName=name)["Tags"] == [{"Key": "b", "Value": "2"}]
    arn = s["StreamARN"]
    kin.tag_resource(ResourceARN=arn, Tags={"c": "3"})
    assert {t["Key"] for t in kin.list_tags_for_resource(ResourceARN=arn)["Tags"]} == {"b", "c"}


def test_records_survive_kill9_and_restart(gureum: Any) -> None:
    kin = gureum.client("kinesis")
    name = make(kin, 1)
    seqs = [kin.put_record(StreamName=name, Data=f"d{i}".encode(), PartitionKey="k")["SequenceNumber"] for i in range(10)]
    gureum.kill9()
    gureum.restart()
    kin = gureum.client("kinesis")
    got = read_all(kin, name, "shardId-000000000000")
    assert [r["SequenceNumber"] for r in got] == seqs
    more = kin.put_record(StreamName=name, Data=b"after", PartitionKey="k")["SequenceNumber"]
    assert int(more) > int(seqs[-1])


def test_stream_mode_and_enhanced_monitoring(kin: Any) -> None:
    name = make(kin, 2)
    arn = kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    out = kin.enable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["IncomingBytes", "OutgoingRecords"])
    assert out["CurrentShardLevelMetrics"] == [] and out["DesiredShardLevelMetrics"] == ["IncomingBytes", "OutgoingRecords"]
    out = kin.disable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["IncomingBytes"])
    assert out["DesiredShardLevelMetrics"] == ["OutgoingRecords"]
    s = kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert s["EnhancedMonitoring"] == [{"ShardLevelMetrics": ["OutgoingRecords"]}]
    kin.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    assert active(kin, name)["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert code_of(lambda: kin.update_shard_count(StreamName=name, TargetShardCount=3,
                                                  ScalingType="UNIFORM_SCALING")) == "ValidationException"
    limits = kin.describe_limits()
    assert limits["ShardLimit"] == 500 and limits["OpenShardCount"] >= 2

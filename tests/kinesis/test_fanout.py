"""Kinesis consumers, SubscribeToShard over the event stream as boto3 reads it, and the
shard write limit (ProvisionedThroughputExceededException)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.kinesis.test_streams import active, code_of, make, uniq
from tests.waiting import wait_for


@pytest.fixture(scope="module")
def kin(gureum: Any) -> Any:
    return gureum.client("kinesis")


def test_consumers_register_describe_list_deregister(kin: Any) -> None:
    name = make(kin, 1)
    arn = kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    c = kin.register_stream_consumer(StreamARN=arn, ConsumerName="app1")["Consumer"]
    assert c["ConsumerARN"].startswith(arn + "/consumer/app1:")
    assert code_of(lambda: kin.register_stream_consumer(StreamARN=arn, ConsumerName="app1")) == "ResourceInUseException"
    wait_for("consumer active", lambda: kin.describe_stream_consumer(ConsumerARN=c["ConsumerARN"])
             ["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE", timeout=30, interval=0.1)
    by_name = kin.describe_stream_consumer(StreamARN=arn, ConsumerName="app1")["ConsumerDescription"]
    assert by_name["StreamARN"] == arn
    assert [x["ConsumerName"] for x in kin.list_stream_consumers(StreamARN=arn)["Consumers"]] == ["app1"]
    assert kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["ConsumerCount"] == 1
    assert code_of(lambda: kin.delete_stream(StreamName=name)) == "ResourceInUseException"
    kin.deregister_stream_consumer(ConsumerARN=c["ConsumerARN"])
    assert kin.list_stream_consumers(StreamARN=arn)["Consumers"] == []
    kin.delete_stream(StreamName=name)
    assert code_of(lambda: kin.describe_stream(StreamName=name)) == "ResourceNotFoundException"


def test_subscribe_to_shard_streams_records_as_boto3_reads_them(kin: Any) -> None:
    name = make(kin, 1)
    arn = kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    before = kin.put_record(StreamName=name, Data=b"old", PartitionKey="k")["SequenceNumber"]
    c = kin.register_stream_consumer(StreamARN=arn, ConsumerName=uniq("c"))["Consumer"]
    wait_for("consumer active", lambda: kin.describe_stream_consumer(ConsumerARN=c["ConsumerARN"])
             ["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE", timeout=30, interval=0.1)
    resp = kin.subscribe_to_shard(ConsumerARN=c["ConsumerARN"], ShardId="shardId-000000000000",
                                  StartingPosition={"Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": before})
    got: list[bytes] = []
    sent = False
    for event in resp["EventStream"]:
        ev = event["SubscribeToShardEvent"]
        got += [r["Data"] for r in ev["Records"]]
        assert len(ev["ContinuationSequenceNumber"]) == 56
        if not sent:
            kin.put_records(StreamName=name, Records=[{"Data": b"n1", "PartitionKey": "k"}, {"Data": b"n2", "PartitionKey": "k"}])
            sent = True
        if len(got) >= 2:
            break
    assert got == [b"n1", b"n2"]


def test_a_shard_refuses_writes_past_one_mib_per_second(kin: Any) -> None:
    name = make(kin, 1)
    blob = b"x" * (600 * 1024)
    res = kin.put_records(StreamName=name, Records=[{"Data": blob, "PartitionKey": "k"}, {"Data": blob, "PartitionKey": "k"}])
    assert res["FailedRecordCount"] == 1
    failed = res["Records"][1]
    assert failed["ErrorCode"] == "ProvisionedThroughputExceededException"
    assert "Rate exceeded for shard shardId-000000000000" in failed["ErrorMessage"]
    with pytest.raises(ClientError):
        for _ in range(20):  # two in the same second exceed 1 MiB: one of these is refused
            kin.put_record(StreamName=name, Data=blob, PartitionKey="k")
    active(kin, name)

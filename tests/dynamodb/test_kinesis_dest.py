"""Kinesis Data Streams for DynamoDB through boto3: Enable/Describe/Update/Disable
KinesisStreamingDestination with AWS's transitions and errors, and every item change (API and
PartiQL writes) arriving on the Kinesis stream as AWS's change record, in order per item."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for


def error(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def _records(kin: Any, name: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for shard in kin.list_shards(StreamName=name)["Shards"]:
        it = kin.get_shard_iterator(StreamName=name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        out += [json.loads(r["Data"]) for r in kin.get_records(ShardIterator=it)["Records"]]
    return out


def test_streaming_destination(gureum: Any, ddb: Any, table: Any) -> None:
    kin = gureum.client("kinesis")
    t = table(None)
    name = f"dest-{t}"
    kin.create_stream(StreamName=name, ShardCount=2)
    wait_for("the stream to be ACTIVE",
             lambda: kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE", 30)
    arn = kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    assert error(lambda: ddb.enable_kinesis_streaming_destination(TableName=t, StreamArn=arn.replace(name, "nope")))[0] == \
        "ResourceNotFoundException"
    out = ddb.enable_kinesis_streaming_destination(TableName=t, StreamArn=arn)
    assert out["DestinationStatus"] == "ENABLING"
    d = ddb.describe_kinesis_streaming_destination(TableName=t)["KinesisDataStreamDestinations"]
    assert d == [{"StreamArn": arn, "DestinationStatus": "ACTIVE", "ApproximateCreationDateTimePrecision": "MILLISECOND"}]
    ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "n": {"N": "1"}})  # no change: no record
    ddb.execute_statement(Statement=f"UPDATE \"{t}\" SET n = 2 WHERE pk = 'a'")
    ddb.execute_statement(Statement=f"INSERT INTO \"{t}\" VALUE {{'pk': 'b', 'bin': ?}}", Parameters=[{"B": b"\x01"}])
    ddb.delete_item(TableName=t, Key={"pk": {"S": "a"}})
    recs = _records(kin, name)
    a = [r for r in recs if r["dynamodb"]["Keys"] == {"pk": {"S": "a"}}]
    assert [r["eventName"] for r in a] == ["INSERT", "MODIFY", "REMOVE"]
    assert a[1]["dynamodb"]["OldImage"]["n"] == {"N": "1"} and a[1]["dynamodb"]["NewImage"]["n"] == {"N": "2"}
    assert a[0]["eventSource"] == "aws:dynamodb" and a[0]["tableName"] == t and a[0]["recordFormat"] == "application/json"
    b = [r for r in recs if r["dynamodb"]["Keys"] == {"pk": {"S": "b"}}]
    assert len(b) == 1 and b[0]["dynamodb"]["NewImage"]["bin"] == {"B": "AQ=="} and len(recs) == 4
    u = ddb.update_kinesis_streaming_destination(TableName=t, StreamArn=arn, UpdateKinesisStreamingConfiguration={
        "ApproximateCreationDateTimePrecision": "MICROSECOND"})
    assert u["DestinationStatus"] == "UPDATING"
    ddb.put_item(TableName=t, Item={"pk": {"S": "c"}})
    c = [r for r in _records(kin, name) if r["dynamodb"]["Keys"] == {"pk": {"S": "c"}}][0]
    assert c["dynamodb"]["ApproximateCreationDateTimePrecision"] == "MICROSECOND" and c["dynamodb"]["ApproximateCreationDateTime"] > 10**15
    assert ddb.disable_kinesis_streaming_destination(TableName=t, StreamArn=arn)["DestinationStatus"] == "DISABLING"
    ddb.put_item(TableName=t, Item={"pk": {"S": "d"}})
    assert not [r for r in _records(kin, name) if r["dynamodb"]["Keys"] == {"pk": {"S": "d"}}]
    assert ddb.describe_kinesis_streaming_destination(TableName=t)["KinesisDataStreamDestinations"][0]["DestinationStatus"] == "DISABLED"
    assert error(lambda: ddb.disable_kinesis_streaming_destination(TableName=t, StreamArn=arn))[0] == "ValidationException"

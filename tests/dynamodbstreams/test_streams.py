"""DynamoDB Streams through boto3 against a real gureum: StreamSpecification on CreateTable and
UpdateTable (every view type), one record per item change written with the change (PutItem,
UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems, TTL deletions with the service
identity), none for a no-op, the dynamodbstreams API, and records surviving kill -9."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.harness import GureumProcess
from tests.waiting import wait_for


def uniq(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def ddb(gureum: Any) -> Any:
    return gureum.client("dynamodb")


@pytest.fixture(scope="module")
def streams(gureum: Any) -> Any:
    return gureum.client("dynamodbstreams")


def table(ddb: Any, view: str | None = "NEW_AND_OLD_IMAGES") -> tuple[str, str | None]:
    name = uniq()
    spec = {"StreamEnabled": True, "StreamViewType": view} if view else {"StreamEnabled": False}
    out = ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                           BillingMode="PAY_PER_REQUEST", StreamSpecification=spec)["TableDescription"]
    return name, out.get("LatestStreamArn")


def records(streams: Any, arn: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            r = streams.get_records(ShardIterator=it)
            out += r["Records"]
            if not r["Records"]:
                break
            it = r.get("NextShardIterator")
    return out


def test_create_table_with_a_stream_and_describe_it(ddb: Any, streams: Any) -> None:
    name, arn = table(ddb, "NEW_IMAGE")
    assert arn is not None and f":table/{name}/stream/" in arn
    t = ddb.describe_table(TableName=name)["Table"]
    assert t["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert t["LatestStreamArn"] == arn and arn.endswith(t["LatestStreamLabel"])
    d = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert (d["StreamStatus"], d["StreamViewType"], d["TableName"]) == ("ENABLED", "NEW_IMAGE", name)
    assert d["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert len(d["Shards"]) == 1 and d["Shards"][0]["ShardId"].startswith("shardId-")
    listed = streams.list_streams(TableName=name)["Streams"]
    assert listed == [{"StreamArn": arn, "TableName": name, "StreamLabel": t["LatestStreamLabel"]}]


def test_every_write_makes_one_record_and_a_no_op_none(ddb: Any, streams: Any) -> None:
    name, arn = table(ddb)
    assert arn
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"N": "1"}})  # the same item: no record
    ddb.update_item(TableName=name, Key={"pk": {"S": "a"}}, UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "2"}})
    ddb.update_item(TableName=name, Key={"pk": {"S": "a"}}, UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "2"}})
    ddb.delete_item(TableName=name, Key={"pk": {"S": "a"}})
    ddb.delete_item(TableName=name, Key={"pk": {"S": "missing"}})  # nothing deleted: no record
    with pytest.raises(ClientError):  # a failed condition writes nothing
        ddb.put_item(TableName=name, Item={"pk": {"S": "b"}}, ConditionExpression="attribute_exists(pk)")
    ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {"pk": {"S": "b"}, "bin": {"B": b"\x00\x01"}}}},
                                              {"PutRequest": {"Item": {"pk": {"S": "c"}}}}]})
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": name, "Item": {"pk": {"S": "d"}}}},
                                            {"Delete": {"TableName": name, "Key": {"pk": {"S": "c"}}}}])
    got = records(streams, arn)
    assert [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in got] == [
        ("INSERT", "a"), ("MODIFY", "a"), ("REMOVE", "a"), ("INSERT", "b"), ("INSERT", "c"), ("INSERT", "d"), ("REMOVE", "c")]
    modify = got[1]["dynamodb"]
    assert modify["OldImage"]["v"] == {"N": "1"} and modify["NewImage"]["v"] == {"N": "2"}
    assert "NewImage" not in got[2]["dynamodb"] and got[2]["dynamodb"]["OldImage"]["v"] == {"N": "2"}
    assert got[3]["dynamodb"]["NewImage"]["bin"] == {"B": b"\x00\x01"}
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in got]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert all(r["eventSource"] == "aws:dynamodb" and r["awsRegion"] == "us-east-1" for r in got)
    assert all(r["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES" and r["dynamodb"]["SizeBytes"] > 0 for r in got)


@pytest.mark.parametrize("view,new,old", [("KEYS_ONLY", False, False), ("NEW_IMAGE", True, False),
                                          ("OLD_IMAGE", False, True), ("NEW_AND_OLD_IMAGES", True, True)])
def test_view_types_keep_the_images_they_name(ddb: Any, streams: Any, view: str, new: bool, old: bool) -> None:
    name, arn = table(ddb, view)
    assert arn
    ddb.put_item(TableName=name, Item={"pk": {"S": "k"}, "v": {"S": "1"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "k"}, "v": {"S": "2"}})
    got = records(streams, arn)[1]["dynamodb"]
    assert ("NewImage" in got, "OldImage" in got) == (new, old)
    assert got["Keys"] == {"pk": {"S": "k"}}


def test_update_table_enables_and_disables_the_stream(ddb: Any, streams: Any) -> None:
    name, arn = table(ddb, None)
    assert arn is None and "StreamSpecification" not in ddb.describe_table(TableName=name)["Table"]
    ddb.put_item(TableName=name, Item={"pk": {"S": "before"}})
    out = ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    arn = out["TableDescription"]["LatestStreamArn"]
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    assert e.value.response["Error"]["Code"] == "ValidationException"
    ddb.put_item(TableName=name, Item={"pk": {"S": "after"}})
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    ddb.put_item(TableName=name, Item={"pk": {"S": "disabled"}})
    t = ddb.describe_table(TableName=name)["Table"]
    assert "StreamSpecification" not in t and t["LatestStreamArn"] == arn
    d = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert d["StreamStatus"] == "DISABLED" and "EndingSequenceNumber" in d["Shards"][0]["SequenceNumberRange"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records(streams, arn)] == ["after"]


def test_iterators_and_errors(ddb: Any, streams: Any) -> None:
    name, arn = table(ddb, "KEYS_ONLY")
    assert arn
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    for k in "xyz":
        ddb.put_item(TableName=name, Item={"pk": {"S": k}})
    got = streams.get_records(ShardIterator=latest)["Records"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in got] == ["x", "y", "z"]
    seq = got[0]["dynamodb"]["SequenceNumber"]
    after = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                       SequenceNumber=seq)["ShardIterator"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in streams.get_records(ShardIterator=after, Limit=1)["Records"]] == ["y"]
    with pytest.raises(ClientError) as e:
        streams.describe_stream(StreamArn=arn.rsplit("/", 1)[0] + "/2020-01-01T00:00:00.000")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        streams.get_shard_iterator(StreamArn=arn, ShardId="shardId-00000000000000000000-deadbeef", ShardIteratorType="LATEST")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        streams.get_records(ShardIterator="garbage!")
    assert e.value.response["Error"]["Code"] == "ValidationException"


@pytest.fixture
def gureum_ttl(tmp_path: Any) -> Any:
    proc = GureumProcess(tmp_path / "data", env={"GUREUM_DYNAMODB_TTL_SWEEP_SECONDS": "0.2"})
    proc.start()
    yield proc
    proc.stop()


def test_ttl_deletions_carry_the_service_identity(gureum_ttl: Any) -> None:
    ddb, streams = gureum_ttl.client("dynamodb"), gureum_ttl.client("dynamodbstreams")
    name, arn = table(ddb, "OLD_IMAGE")
    assert arn
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    ddb.put_item(TableName=name, Item={"pk": {"S": "old"}, "exp": {"N": str(int(time.time()) - 10)}})
    wait_for("the TTL sweep's deletion", lambda: len(records(streams, arn)) == 2, timeout=30, interval=0.2)
    removed = records(streams, arn)[1]
    assert removed["eventName"] == "REMOVE"
    assert removed["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
    assert "userIdentity" not in records(streams, arn)[0]


def test_records_survive_kill9(gureum: Any) -> None:
    ddb, streams = gureum.client("dynamodb"), gureum.client("dynamodbstreams")
    name, arn = table(ddb, "NEW_IMAGE")
    assert arn
    for i in range(5):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}})
    gureum.kill9()
    gureum.restart()
    streams = gureum.client("dynamodbstreams")
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records(streams, arn)] == [f"k{i}" for i in range(5)]

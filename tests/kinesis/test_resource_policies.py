"""Kinesis resource policies on streams and consumers through boto3: put, read back, replaced,
deleted, refused for a missing resource, an unreadable document or a consumer not yet ACTIVE,
and gone with the stream; another account reaching a stream's data (describe, shards, put,
iterators and records) and a consumer only through their policies, never its management."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.harness import GureumProcess
from tests.kinesis.test_streams import code_of, make
from tests.waiting import wait_for


@pytest.fixture(scope="module")
def kin(gureum: Any) -> Any:
    return gureum.client("kinesis")


def _policy(arn: str, action: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": action, "Resource": arn}]})


def test_stream_and_consumer_policies(kin: Any) -> None:
    name = make(kin, 1)
    arn = kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    assert kin.get_resource_policy(ResourceARN=arn)["Policy"] == "{}"
    kin.put_resource_policy(ResourceARN=arn, Policy=_policy(arn, "kinesis:GetRecords"))
    assert json.loads(kin.get_resource_policy(ResourceARN=arn)["Policy"])["Statement"][0]["Action"] == "kinesis:GetRecords"
    kin.put_resource_policy(ResourceARN=arn, Policy=_policy(arn, "kinesis:DescribeStream"))
    assert json.loads(kin.get_resource_policy(ResourceARN=arn)["Policy"])["Statement"][0]["Action"] == "kinesis:DescribeStream"

    consumer = kin.register_stream_consumer(StreamARN=arn, ConsumerName="reader")["Consumer"]["ConsumerARN"]
    wait_for("consumer active", lambda: kin.describe_stream_consumer(ConsumerARN=consumer)
             ["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE", timeout=30, interval=0.1)
    assert kin.get_resource_policy(ResourceARN=consumer)["Policy"] == "{}"
    kin.put_resource_policy(ResourceARN=consumer, Policy=_policy(consumer, "kinesis:SubscribeToShard"))
    assert "SubscribeToShard" in kin.get_resource_policy(ResourceARN=consumer)["Policy"]

    kin.delete_resource_policy(ResourceARN=consumer)
    assert kin.get_resource_policy(ResourceARN=consumer)["Policy"] == "{}"
    assert code_of(lambda: kin.delete_resource_policy(ResourceARN=consumer)) == "ResourceNotFoundException"

    assert code_of(lambda: kin.put_resource_policy(ResourceARN=arn, Policy="not json")) == "InvalidArgumentException"
    kin.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
    assert code_of(lambda: kin.get_resource_policy(ResourceARN=arn)) == "ResourceNotFoundException"
    assert code_of(lambda: kin.put_resource_policy(ResourceARN=arn, Policy=_policy(arn, "kinesis:GetRecords"))) \
        == "ResourceNotFoundException"


def test_a_recreated_stream_has_no_policy(kin: Any) -> None:
    name = make(kin, 1)
    arn = kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    kin.put_resource_policy(ResourceARN=arn, Policy=_policy(arn, "kinesis:GetRecords"))
    kin.delete_stream(StreamName=name)
    wait_for("stream gone", lambda: code_of(lambda: kin.describe_stream_summary(StreamName=name))
             == "ResourceNotFoundException", timeout=30, interval=0.1)
    kin.create_stream(StreamName=name, ShardCount=1)
    assert kin.get_resource_policy(ResourceARN=arn)["Policy"] == "{}"


@pytest.fixture(scope="module")
def slow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    """A gureum whose streams and consumers stay CREATING (as AWS's do for a while)."""
    data: Path = tmp_path_factory.mktemp("kinesis-slow") / "data"
    proc = GureumProcess(data, extra_args=["--set", "kinesis.transition_seconds=600"])
    proc.start()
    yield proc
    proc.stop()


def test_a_consumer_takes_a_policy_only_once_active(slow: GureumProcess) -> None:
    kin = slow.client("kinesis")
    kin.create_stream(StreamName="slow", ShardCount=1)
    arn = kin.describe_stream_summary(StreamName="slow")["StreamDescriptionSummary"]["StreamARN"]
    consumer = kin.register_stream_consumer(StreamARN=arn, ConsumerName="reader")["Consumer"]["ConsumerARN"]
    assert kin.describe_stream_consumer(ConsumerARN=consumer)["ConsumerDescription"]["ConsumerStatus"] == "CREATING"
    with pytest.raises(ClientError) as e:
        kin.put_resource_policy(ResourceARN=consumer, Policy=_policy(consumer, "kinesis:SubscribeToShard"))
    assert e.value.response["Error"]["Code"] == "ResourceInUseException"
    assert "is not in ACTIVE status" in e.value.response["Error"]["Message"]
    assert kin.get_resource_policy(ResourceARN=consumer)["Policy"] == "{}"


def test_another_account_reaches_a_stream_only_through_its_policy(gureum: Any) -> None:
    owner_id, reader_id = "402000000001", "402000000002"  # open mode: a 12-digit key id is that account's root
    owner = gureum.client("kinesis", aws_access_key_id=owner_id, aws_secret_access_key="x")
    reader = gureum.client("kinesis", aws_access_key_id=reader_id, aws_secret_access_key="x")
    name = make(owner, 1)
    arn = owner.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    assert code_of(lambda: reader.describe_stream_summary(StreamARN=arn)) == "AccessDeniedException"

    shared = ["kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:PutRecord", "kinesis:GetShardIterator",
              "kinesis:GetRecords", "kinesis:DeleteStream"]
    owner.put_resource_policy(ResourceARN=arn, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{reader_id}:root"}, "Action": shared, "Resource": arn}]}))
    assert reader.describe_stream_summary(StreamARN=arn)["StreamDescriptionSummary"]["StreamName"] == name
    shard = reader.list_shards(StreamARN=arn)["Shards"][0]["ShardId"]
    reader.put_record(StreamARN=arn, Data=b"from another account", PartitionKey="k")
    it = reader.get_shard_iterator(StreamARN=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert [r["Data"] for r in reader.get_records(ShardIterator=it, StreamARN=arn)["Records"]] == [b"from another account"]
    # the owner reads what the other account wrote
    own_it = owner.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert [r["Data"] for r in owner.get_records(ShardIterator=own_it)["Records"]] == [b"from another account"]
    # management stays the owner's, whatever the policy says; the policy itself too
    assert code_of(lambda: reader.delete_stream(StreamARN=arn)) == "ResourceNotFoundException"
    assert code_of(lambda: reader.get_resource_policy(ResourceARN=arn)) == "AccessDeniedException"
    assert owner.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE"
    # a Deny for the other account wins
    owner.put_resource_policy(ResourceARN=arn, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{reader_id}:root"}, "Action": shared, "Resource": arn},
        {"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{reader_id}:root"}, "Action": "kinesis:PutRecord",
         "Resource": arn}]}))
    assert code_of(lambda: reader.put_record(StreamARN=arn, Data=b"x", PartitionKey="k")) == "AccessDeniedException"

    # a consumer is shared by its own policy, not its stream's
    consumer = owner.register_stream_consumer(StreamARN=arn, ConsumerName="shared")["Consumer"]["ConsumerARN"]
    wait_for("consumer active", lambda: owner.describe_stream_consumer(ConsumerARN=consumer)
             ["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE", timeout=30, interval=0.1)
    assert code_of(lambda: reader.describe_stream_consumer(ConsumerARN=consumer)) == "AccessDeniedException"
    owner.put_resource_policy(ResourceARN=consumer, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{reader_id}:root"}, "Action": "kinesis:DescribeStreamConsumer",
         "Resource": consumer}]}))
    got = reader.describe_stream_consumer(ConsumerARN=consumer)["ConsumerDescription"]
    assert (got["ConsumerName"], got["StreamARN"]) == ("shared", arn)
    owner.delete_stream(StreamName=name, EnforceConsumerDeletion=True)

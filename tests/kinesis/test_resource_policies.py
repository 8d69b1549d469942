"""Kinesis resource policies on streams and consumers through boto3: put, read back, replaced,
deleted, refused for a missing resource, an unreadable document or a consumer not yet ACTIVE,
and gone with the stream."""

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

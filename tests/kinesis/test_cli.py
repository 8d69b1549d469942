"""Kinesis and DynamoDB Streams through the AWS CLI against a real gureum."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from tests.waiting import wait_for


def test_cli_creates_a_stream_puts_and_reads_a_record(gureum: Any) -> None:
    name = f"cli{uuid.uuid4().hex[:8]}"
    gureum.aws("kinesis", "create-stream", "--stream-name", name, "--shard-count", "1")
    wait_for("active", lambda: gureum.aws("kinesis", "describe-stream-summary", "--stream-name", name)
             ["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE", 30, 0.2)
    put = gureum.aws("kinesis", "put-record", "--stream-name", name, "--data", base64.b64encode(b"hello").decode(),
                     "--partition-key", "k")
    assert put["ShardId"] == "shardId-000000000000" and len(put["SequenceNumber"]) == 56
    it = gureum.aws("kinesis", "get-shard-iterator", "--stream-name", name, "--shard-id", put["ShardId"],
                    "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]
    got = gureum.aws("kinesis", "get-records", "--shard-iterator", it)
    assert [r["SequenceNumber"] for r in got["Records"]] == [put["SequenceNumber"]]
    assert got["Records"][0]["PartitionKey"] == "k"
    assert name in gureum.aws("kinesis", "list-streams")["StreamNames"]


def test_cli_lists_a_tables_stream(gureum: Any) -> None:
    table = f"cli{uuid.uuid4().hex[:8]}"
    out = gureum.aws("dynamodb", "create-table", "--table-name", table, "--billing-mode", "PAY_PER_REQUEST",
                     "--attribute-definitions", "AttributeName=pk,AttributeType=S", "--key-schema", "AttributeName=pk,KeyType=HASH",
                     "--stream-specification", "StreamEnabled=true,StreamViewType=KEYS_ONLY")
    arn = out["TableDescription"]["LatestStreamArn"]
    streams = gureum.aws("dynamodbstreams", "list-streams", "--table-name", table)["Streams"]
    assert [s["StreamArn"] for s in streams] == [arn]
    d = gureum.aws("dynamodbstreams", "describe-stream", "--stream-arn", arn)["StreamDescription"]
    assert d["StreamStatus"] == "ENABLED" and d["StreamViewType"] == "KEYS_ONLY"

"""Kinesis and DynamoDB stream event source mappings end to end through boto3: the API with
AWS's defaults and checks, AWS's event shapes, StartingPosition, order per partition key with
ParallelizationFactor, a poison record isolated by BisectBatchOnFunctionError and sent to the
SQS on-failure destination with AWS's failure record, ReportBatchItemFailures, FilterCriteria,
tumbling windows with state, and checkpoints surviving kill -9. Every wait polls a condition."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

HANDLER = """
import base64, json, os, time
def handler(event, context):
    recs = event["Records"]
    data = []
    for r in recs:
        if "kinesis" in r:
            data.append(base64.b64decode(r["kinesis"]["data"]).decode())
        else:
            data.append(r["eventName"] + ":" + r["dynamodb"]["Keys"]["pk"]["S"])
    print("RECORD " + json.dumps({"t": time.time_ns(), "data": data, "first": recs[0] if recs else None,
                                  "extra": {k: v for k, v in event.items() if k != "Records"}}))
    if any(d.startswith("poison") for d in data):
        raise RuntimeError("poison record")
    failures = []
    for r, d in zip(recs, data):
        if d.startswith("flaky") and not os.path.exists("/tmp/seen-" + d):
            open("/tmp/seen-" + d, "w").close()
            failures.append({"itemIdentifier": r["kinesis"]["sequenceNumber"]})
            break
    out = {"batchItemFailures": failures}
    if "window" in event:
        out["state"] = {"n": event["state"].get("n", 0) + len(recs)}
    return out
"""


def batches(g: Any, function: str) -> list[dict[str, Any]]:
    logs = g.client("logs")
    out: list[dict[str, Any]] = []
    try:
        for page in logs.get_paginator("filter_log_events").paginate(logGroupName=f"/aws/lambda/{function}", filterPattern="RECORD"):
            for e in page["events"]:
                if "RECORD " in e["message"]:
                    out.append(json.loads(e["message"].split("RECORD ", 1)[1]))
    except logs.exceptions.ResourceNotFoundException:
        return []
    return sorted(out, key=lambda b: b["t"])


def seen(g: Any, function: str) -> list[str]:
    return [d for b in batches(g, function) for d in b["data"]]


@pytest.fixture
def handler(make_function: Callable[..., str]) -> str:
    return make_function(HANDLER, Timeout=10)


@pytest.fixture
def kin(gureum: Any) -> Any:
    return gureum.client("kinesis")


def stream(kin: Any, shards: int = 1) -> str:
    name = f"s-{uuid.uuid4().hex[:8]}"
    kin.create_stream(StreamName=name, ShardCount=shards)
    wait_for("stream active", lambda: kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
             ["StreamStatus"] == "ACTIVE", 30, 0.1)
    return str(kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"])


def put(kin: Any, arn: str, *data: str, key: str = "k") -> None:
    for d in data:
        kin.put_record(StreamARN=arn, Data=d.encode(), PartitionKey=key)


def enabled(lam: Any, mapping: str) -> dict[str, Any]:
    return wait_for("mapping enabled", lambda: (m := lam.get_event_source_mapping(UUID=mapping))["State"] == "Enabled" and m, 30)


def test_kinesis_mapping_api_defaults_and_checks(lam: Any, kin: Any, handler: str) -> None:
    arn = stream(kin)
    with pytest.raises(ClientError) as e:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=handler)
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
    with pytest.raises(ClientError) as e:
        lam.create_event_source_mapping(EventSourceArn=arn + "x", FunctionName=handler, StartingPosition="LATEST")
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
    m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=handler, StartingPosition="TRIM_HORIZON")
    assert m["State"] == "Creating" and m["BatchSize"] == 100 and m["StartingPosition"] == "TRIM_HORIZON"
    assert (m["ParallelizationFactor"], m["MaximumRetryAttempts"], m["MaximumRecordAgeInSeconds"]) == (1, -1, -1)
    assert m["BisectBatchOnFunctionError"] is False and m["LastProcessingResult"] == "No records processed"
    with pytest.raises(ClientError) as e:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=handler, StartingPosition="LATEST")
    assert e.value.response["Error"]["Code"] == "ResourceConflictException"
    enabled(lam, m["UUID"])
    with pytest.raises(ClientError) as e:
        lam.update_event_source_mapping(UUID=m["UUID"], MaximumRecordAgeInSeconds=10)
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
    up = lam.update_event_source_mapping(UUID=m["UUID"], ParallelizationFactor=3, MaximumRetryAttempts=2)
    assert up["State"] == "Updating"
    now = enabled(lam, m["UUID"])
    assert (now["ParallelizationFactor"], now["MaximumRetryAttempts"]) == (3, 2)
    lam.delete_event_source_mapping(UUID=m["UUID"])


def test_kinesis_records_reach_the_function_in_order_with_aws_event_shape(gureum: Any, lam: Any, kin: Any, handler: str) -> None:
    arn = stream(kin, 2)
    put(kin, arn, "early")
    m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=handler, StartingPosition="LATEST",
                                        ParallelizationFactor=2, BatchSize=5)["UUID"]
    enabled(lam, m)
    # LATEST starts where each shard's records end when the mapping starts: wait until it has,
    # by sending a marker that must arrive
    wait_for("marker delivered", lambda: (put(kin, arn, "marker", key="m"), "marker" in seen(gureum, handler))[1], 60, 1.0)
    keys = {f"key{i}": [f"key{i}-{n}" for n in range(6)] for i in range(4)}
    for n in range(6):
        for k, values in keys.items():
            put(kin, arn, values[n], key=k)
    wait_for("every record delivered", lambda: all(v in seen(gureum, handler) for vs in keys.values() for v in vs), 60, 0.5)
    got = [d for d in seen(gureum, handler) if d.startswith("key")]
    for k, values in keys.items():
        assert [d for d in got if d.startswith(k + "-")] == values  # each key in order, once
    assert "early" not in seen(gureum, handler)
    first = batches(gureum, handler)[-1]["first"]
    assert first["eventSource"] == "aws:kinesis" and first["eventName"] == "aws:kinesis:record"
    assert first["eventSourceARN"] == arn and first["eventVersion"] == "1.0" and first["awsRegion"] == "us-east-1"
    assert first["eventID"].startswith("shardId-") and first["invokeIdentityArn"].startswith("arn:aws:iam::")
    assert set(first["kinesis"]) >= {"kinesisSchemaVersion", "partitionKey", "sequenceNumber", "data", "approximateArrivalTimestamp"}
    wait_for("LastProcessingResult OK", lambda: lam.get_event_source_mapping(UUID=m)["LastProcessingResult"] == "OK", 30)


def test_poison_record_is_bisected_out_and_sent_to_the_on_failure_queue(gureum: Any, lam: Any, kin: Any, handler: str) -> None:
    sqs = gureum.client("sqs")
    url = sqs.create_queue(QueueName=f"dlq-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    arn = stream(kin)
    put(kin, arn, "a1", "a2", "poison-1", "a3")
    m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=handler, StartingPosition="TRIM_HORIZON",
                                        BatchSize=10, MaximumBatchingWindowInSeconds=1, BisectBatchOnFunctionError=True,
                                        MaximumRetryAttempts=1, DestinationConfig={"OnFailure": {"Destination": qarn}})["UUID"]
    msgs = wait_for("failure record", lambda: sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages"), 90, 0.1)
    rec = json.loads(msgs[0]["Body"])
    info = rec["KinesisBatchInfo"]
    assert info["batchSize"] == 1 and info["streamArn"] == arn and info["shardId"] == "shardId-000000000000"
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert rec["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert rec["requestContext"]["functionArn"].endswith(f":function:{handler}")
    assert rec["responseContext"]["functionError"] == "Unhandled" and rec["version"] == "1.0"
    wait_for("good records delivered", lambda: {"a1", "a2", "a3"} <= set(seen(gureum, handler)), 60, 0.5)
    put(kin, arn, "after")
    wait_for("the shard goes on past the poison record", lambda: "after" in seen(gureum, handler), 60, 0.5)
    assert lam.get_event_source_mapping(UUID=m)["DestinationConfig"] == {"OnFailure": {"Destination": qarn}}


def test_report_batch_item_failures_retries_from_the_failed_record(gureum: Any, lam: Any, kin: Any, handler: str) -> None:
    arn = stream(kin)
    put(kin, arn, "b1", "flaky-b2", "b3")
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=handler, StartingPosition="TRIM_HORIZON",
                                    BatchSize=10, MaximumBatchingWindowInSeconds=1,
                                    FunctionResponseTypes=["ReportBatchItemFailures"])
    wait_for("retried", lambda: seen(gureum, handler).count("flaky-b2") == 2, 60, 0.5)
    got = seen(gureum, handler)
    assert got.count("b1") == 1 and got.count("b3") == 2  # the records from the failed one on come again


def test_filter_criteria_skip_records_that_do_not_match(gureum: Any, lam: Any, kin: Any, handler: str) -> None:
    arn = stream(kin)
    for t in (10, 90, 70):
        put(kin, arn, json.dumps({"temp": t}))
    put(kin, arn, "end-marker")
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=handler, StartingPosition="TRIM_HORIZON",
                                    FilterCriteria={"Filters": [{"Pattern": json.dumps({"data": {"temp": [{"numeric": [">", 50]}]}})},
                                                                {"Pattern": json.dumps({"data": ["end-marker"]})}]})
    wait_for("marker", lambda: "end-marker" in seen(gureum, handler), 60, 0.5)
    assert sorted(d for d in seen(gureum, handler) if d != "end-marker") == ['{"temp": 70}', '{"temp": 90}']


def test_tumbling_window_carries_state(gureum: Any, lam: Any, kin: Any, handler: str) -> None:
    arn = stream(kin)
    put(kin, arn, "w1", "w2", "w3")
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=handler, StartingPosition="TRIM_HORIZON",
                                    TumblingWindowInSeconds=2, BatchSize=1)
    def finals() -> list[dict[str, Any]]:
        return [b for b in batches(gureum, handler) if b["extra"].get("isFinalInvokeForWindow")]

    # the three records may fall into one window or, across a boundary, two: each window's
    # final invocation carries the count its state reached
    wait_for("the windows' final invocations", lambda: sum(f["extra"]["state"].get("n", 0) for f in finals()) == 3, 60, 0.5)
    for final in finals():
        assert final["data"] == [] and final["extra"]["shardId"] == "shardId-000000000000"
        assert final["extra"]["eventSourceARN"] == arn and set(final["extra"]["window"]) == {"start", "end"}
    running = [b for b in batches(gureum, handler) if "window" in b["extra"] and not b["extra"]["isFinalInvokeForWindow"]]
    assert [b["data"] for b in running] == [["w1"], ["w2"], ["w3"]]


def test_dynamodb_stream_mapping_delivers_item_changes(gureum: Any, lam: Any, handler: str) -> None:
    ddb = gureum.client("dynamodb")
    table = f"t-{uuid.uuid4().hex[:8]}"
    sarn = ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
                            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})["TableDescription"]["LatestStreamArn"]
    with pytest.raises(ClientError) as e:
        lam.create_event_source_mapping(EventSourceArn=sarn, FunctionName=handler, StartingPosition="AT_TIMESTAMP")
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
    m = lam.create_event_source_mapping(EventSourceArn=sarn, FunctionName=handler, StartingPosition="TRIM_HORIZON")["UUID"]
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    ddb.update_item(TableName=table, Key={"pk": {"S": "a"}}, UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "2"}})
    ddb.delete_item(TableName=table, Key={"pk": {"S": "a"}})
    wait_for("three changes", lambda: seen(gureum, handler) == ["INSERT:a", "MODIFY:a", "REMOVE:a"], 60, 0.5)
    first = batches(gureum, handler)[0]["first"]
    assert first["eventSource"] == "aws:dynamodb" and first["eventSourceARN"] == sarn and first["eventVersion"] == "1.1"
    assert first["dynamodb"]["NewImage"] == {"pk": {"S": "a"}, "v": {"N": "1"}}
    assert first["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert isinstance(first["dynamodb"]["ApproximateCreationDateTime"], float)
    assert lam.get_event_source_mapping(UUID=m)["StartingPosition"] == "TRIM_HORIZON"


def test_checkpoints_survive_kill9_without_loss_or_replay(gureum: Any, lam: Any, kin: Any, handler: str) -> None:
    arn = stream(kin)
    put(kin, arn, *[f"c{i}" for i in range(5)])
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=handler, StartingPosition="TRIM_HORIZON")
    wait_for("first records", lambda: {f"c{i}" for i in range(5)} <= set(seen(gureum, handler)), 60, 0.5)
    put(kin, arn, "barrier")  # read only after the first batch's checkpoint is committed
    wait_for("barrier", lambda: "barrier" in seen(gureum, handler), 60, 0.5)
    gureum.kill9()
    gureum.restart()
    kin = gureum.client("kinesis")
    put(kin, arn, "d1", "d2")
    wait_for("records after the restart", lambda: {"d1", "d2"} <= set(seen(gureum, handler)), 90, 0.5)
    got = seen(gureum, handler)
    assert [got.count(f"c{i}") for i in range(5)] == [1] * 5 and got.count("d1") == 1


def test_s3_on_failure_destination_gets_the_failure_record_and_the_batch(gureum: Any, lam: Any, kin: Any, handler: str) -> None:
    s3c = gureum.client("s3")
    bucket = f"fail-{uuid.uuid4().hex[:8]}"
    s3c.create_bucket(Bucket=bucket)
    arn = stream(kin)
    put(kin, arn, "poison-s3")
    m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=handler, StartingPosition="TRIM_HORIZON",
                                        MaximumRetryAttempts=0,
                                        DestinationConfig={"OnFailure": {"Destination": f"arn:aws:s3:::{bucket}"}})["UUID"]
    objs = wait_for("failure object", lambda: s3c.list_objects_v2(Bucket=bucket).get("Contents"), 60, 0.5)
    key = objs[0]["Key"]
    assert key.startswith(f"aws/lambda/{m}/shardId-000000000000/")
    rec = json.loads(s3c.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert rec["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert rec["requestContext"]["approximateInvokeCount"] == 1
    assert rec["KinesisBatchInfo"]["batchSize"] == 1
    assert [r["kinesis"]["partitionKey"] for r in rec["payload"]["Records"]] == ["k"]


@pytest.fixture
def quick_metrics(tmp_path: Any) -> Any:
    from harness import GureumProcess

    proc = GureumProcess(tmp_path / "data", env={"GUREUM_CLOUDWATCH_EMIT_INTERVAL": "0.2"})
    proc.start()
    yield proc
    proc.stop()


def test_at_timestamp_starts_at_that_time_and_iterator_age_is_reported(quick_metrics: Any) -> None:
    from datetime import datetime, timedelta, timezone

    from lambda_helpers import TRUST, zip_of

    g = quick_metrics
    lam, kin, cw = g.client("lambda"), g.client("kinesis"), g.client("cloudwatch")
    role = g.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    lam.create_function(FunctionName="ts", Runtime="python3.12", Role=role, Handler="app.handler",
                        Code={"ZipFile": zip_of({"app.py": HANDLER})}, Timeout=10)
    arn = stream(kin)
    put(kin, arn, "before")
    put(kin, arn, "after")
    it = kin.get_shard_iterator(StreamARN=arn, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    before, after = kin.get_records(ShardIterator=it)["Records"]
    assert after["ApproximateArrivalTimestamp"] > before["ApproximateArrivalTimestamp"]
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="ts", StartingPosition="AT_TIMESTAMP",
                                    StartingPositionTimestamp=after["ApproximateArrivalTimestamp"])
    wait_for("after", lambda: "after" in seen(g, "ts"), 60, 0.5)
    assert "before" not in seen(g, "ts")
    now = datetime.now(timezone.utc)

    def age() -> list[dict[str, Any]]:
        return cw.get_metric_statistics(Namespace="AWS/Lambda", MetricName="IteratorAge", Dimensions=[{"Name": "FunctionName", "Value": "ts"}],
                                        StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=5), Period=60,
                                        Statistics=["Maximum"])["Datapoints"]

    points = wait_for("IteratorAge", age, 60, 0.5)
    assert points[0]["Unit"] == "Milliseconds" and points[0]["Maximum"] >= 0


def test_a_batch_still_failing_when_the_mapping_is_disabled_is_delivered_after_it_is_enabled(
        gureum: Any, lam: Any, kin: Any, handler: str) -> None:
    from lambda_helpers import zip_of

    arn = stream(kin)
    put(kin, arn, "poison-stuck")
    m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=handler, StartingPosition="TRIM_HORIZON")["UUID"]
    wait_for("a failing attempt", lambda: "poison-stuck" in seen(gureum, handler), 60, 0.5)
    lam.update_event_source_mapping(UUID=m, Enabled=False)
    wait_for("disabled", lambda: lam.get_event_source_mapping(UUID=m)["State"] == "Disabled", 60, 0.5)
    fixed = HANDLER.replace('raise RuntimeError("poison record")', 'print("FIXED " + ",".join(data))')
    lam.update_function_code(FunctionName=handler, ZipFile=zip_of({"app.py": fixed}))
    wait_for("code updated", lambda: lam.get_function(FunctionName=handler)["Configuration"]["LastUpdateStatus"] == "Successful", 60, 0.5)
    lam.update_event_source_mapping(UUID=m, Enabled=True)

    def fixed_seen() -> bool:
        events = gureum.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{handler}", filterPattern="FIXED")["events"]
        return any("FIXED poison-stuck" in e["message"] for e in events)

    wait_for("the stuck record delivered once the function is fixed", fixed_seen, 90, 0.5)

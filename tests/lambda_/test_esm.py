"""SQS event source mappings end to end through boto3: the API and its state machine, a
function fed batches from a queue, partial batch failures, a poison message ending in the
dead-letter queue, filter criteria, disable/enable, FIFO group order, kill -9 with messages
pending. Every wait polls with a generous deadline; nothing asserts on timing."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from harness import GureumProcess
from lambda_helpers import TRUST, zip_of
from waiting import wait_for

# Prints one RECORD line per batch; fails a batch holding a "poison" body, and reports
# "flaky" bodies as failed items on their first delivery.
RECORDER = """
import json, time
def handler(event, context):
    recs = event["Records"]
    print("RECORD " + json.dumps({"t": time.time_ns(), "records": [
        {"id": r["messageId"], "body": r["body"], "rc": int(r["attributes"]["ApproximateReceiveCount"]),
         "group": r["attributes"].get("MessageGroupId"), "record": r} for r in recs]}))
    failures = []
    for r in recs:
        if r["body"].startswith("poison"):
            raise RuntimeError("poison message")
        if r["body"].startswith("flaky") and r["attributes"]["ApproximateReceiveCount"] == "1":
            failures.append({"itemIdentifier": r["messageId"]})
    return {"batchItemFailures": failures}
"""


def batches(g: Any, function: str) -> list[dict[str, Any]]:
    """Every batch the function has logged so far, oldest first."""
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


def delivered(g: Any, function: str) -> list[dict[str, Any]]:
    return [r for b in batches(g, function) for r in b["records"]]


def queue(sqs: Any, name: str | None = None, **attrs: str) -> tuple[str, str]:
    name = name or f"q-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def depth(sqs: Any, url: str) -> tuple[int, int]:
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])


def state_of(lam: Any, mapping: str, want: str, timeout: float = 30.0) -> dict[str, Any]:
    return wait_for(f"mapping {mapping} {want}", lambda: (m := lam.get_event_source_mapping(UUID=mapping))["State"] == want and m, timeout)


def error_of(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(ClientError) as exc:
        call()
    return exc.value.response


def gone(lam: Any, mapping: str) -> bool:
    try:
        lam.get_event_source_mapping(UUID=mapping)
    except ClientError as exc:
        return exc.response["Error"]["Code"] == "ResourceNotFoundException"
    return False


@pytest.fixture
def sqs(gureum: Any) -> Any:
    return gureum.client("sqs")


@pytest.fixture
def recorder(make_function: Callable[..., str]) -> str:
    return make_function(RECORDER, Timeout=3)


# --- the API --------------------------------------------------------------------------------
def test_mapping_lifecycle_goes_through_aws_states(lam, sqs, recorder):
    _, arn = queue(sqs)
    _, arn2 = queue(sqs)
    created = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=recorder)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert created["State"] == "Creating"
    assert created["StateTransitionReason"] == "USER_INITIATED"
    assert created["BatchSize"] == 10
    assert created["MaximumBatchingWindowInSeconds"] == 0
    assert created["FunctionResponseTypes"] == []
    assert created["EventSourceArn"] == arn
    assert created["FunctionArn"].endswith(f":function:{recorder}")
    assert created["EventSourceMappingArn"].endswith(f":event-source-mapping:{created['UUID']}")
    assert len(created["UUID"]) == 36
    mapping = created["UUID"]
    enabled = state_of(lam, mapping, "Enabled")
    assert enabled["LastModified"] >= created["LastModified"]

    second = lam.create_event_source_mapping(EventSourceArn=arn2, FunctionName=recorder, Enabled=False, BatchSize=5)["UUID"]
    assert state_of(lam, second, "Disabled")["BatchSize"] == 5
    by_fn = lam.list_event_source_mappings(FunctionName=recorder)["EventSourceMappings"]
    assert {m["UUID"] for m in by_fn} == {mapping, second}
    assert [m["UUID"] for m in lam.list_event_source_mappings(EventSourceArn=arn2)["EventSourceMappings"]] == [second]
    page1 = lam.list_event_source_mappings(FunctionName=recorder, MaxItems=1)
    assert len(page1["EventSourceMappings"]) == 1 and page1["NextMarker"]
    page2 = lam.list_event_source_mappings(FunctionName=recorder, MaxItems=1, Marker=page1["NextMarker"])
    assert "NextMarker" not in page2
    assert {page1["EventSourceMappings"][0]["UUID"], page2["EventSourceMappings"][0]["UUID"]} == {mapping, second}

    updated = lam.update_event_source_mapping(
        UUID=mapping, BatchSize=50, MaximumBatchingWindowInSeconds=1, FunctionResponseTypes=["ReportBatchItemFailures"],
        ScalingConfig={"MaximumConcurrency": 2},
    )
    assert updated["State"] == "Updating"
    now = state_of(lam, mapping, "Enabled")
    assert (now["BatchSize"], now["MaximumBatchingWindowInSeconds"]) == (50, 1)
    assert now["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert now["ScalingConfig"] == {"MaximumConcurrency": 2}
    assert lam.update_event_source_mapping(UUID=mapping, Enabled=False)["State"] == "Disabling"
    state_of(lam, mapping, "Disabled")
    assert lam.update_event_source_mapping(UUID=mapping, Enabled=True)["State"] == "Enabling"
    state_of(lam, mapping, "Enabled")

    for m in (mapping, second):
        assert lam.delete_event_source_mapping(UUID=m)["State"] == "Deleting"
    for m in (mapping, second):
        wait_for("deletion", lambda m=m: gone(lam, m))
    assert lam.list_event_source_mappings(FunctionName=recorder)["EventSourceMappings"] == []


def test_mapping_validation_errors_are_aws_errors(lam, sqs, recorder, make_function):
    _, arn = queue(sqs)
    _, fifo_arn = queue(sqs, f"f-{uuid.uuid4().hex[:8]}.fifo", FifoQueue="true")
    _, short_arn = queue(sqs, VisibilityTimeout="2")
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=recorder)["UUID"]

    dup = error_of(lambda: lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=recorder))
    assert dup["Error"]["Code"] == "ResourceConflictException"
    assert dup["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert dup["Error"]["Message"] == (
        f'An event source mapping with SQS arn (" {arn} ") and function (" {recorder} ") already exists. '
        f"Please update or delete the existing mapping with UUID {mapping}")

    def invalid(message_part: str, **kwargs: Any) -> None:
        kwargs.setdefault("FunctionName", recorder)
        err = error_of(lambda: lam.create_event_source_mapping(**kwargs))
        assert err["Error"]["Code"] == "InvalidParameterValueException", err
        assert message_part in err["Error"]["Message"]

    other = make_function(RECORDER)
    invalid("Maximum batch window in seconds must be greater than 0", EventSourceArn=arn, FunctionName=other, BatchSize=11)
    invalid("FIFO", EventSourceArn=fifo_arn, BatchSize=11, MaximumBatchingWindowInSeconds=1)
    invalid("Batching window is not supported for FIFO queues", EventSourceArn=fifo_arn, MaximumBatchingWindowInSeconds=1)
    invalid("Queue visibility timeout: 2 seconds is less than Function timeout: 3 seconds", EventSourceArn=short_arn)
    invalid("NonExistentQueue", EventSourceArn=arn + "-missing")
    invalid("Function does not exist", EventSourceArn=arn, FunctionName="no-such-function")
    invalid("Invalid filter pattern definition.", EventSourceArn=arn, FunctionName=other,
            FilterCriteria={"Filters": [{"Pattern": '{"body": "not a list"}'}]})
    invalid("StartingPosition is not valid for SQS event sources.", EventSourceArn=arn, FunctionName=other, StartingPosition="LATEST")
    too_many = error_of(lambda: lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=other, ScalingConfig={"MaximumConcurrency": 1001}))
    assert too_many["Error"]["Code"] == "ValidationException"

    missing = str(uuid.uuid4())
    for call in (lambda: lam.get_event_source_mapping(UUID=missing), lambda: lam.delete_event_source_mapping(UUID=missing),
                 lambda: lam.update_event_source_mapping(UUID=missing, BatchSize=2)):
        err = error_of(call)
        assert err["Error"]["Code"] == "ResourceNotFoundException"
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 404
    state_of(lam, mapping, "Enabled")
    err = error_of(lambda: lam.update_event_source_mapping(UUID=mapping, BatchSize=100))
    assert err["Error"]["Code"] == "InvalidParameterValueException"
    lam.delete_event_source_mapping(UUID=mapping)


# --- polling ---------------------------------------------------------------------------------
def test_function_receives_batches_in_aws_sqs_event_shape(gureum, lam, sqs, recorder):
    url, arn = queue(sqs)
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=recorder, BatchSize=10)["UUID"]
    bodies = [f"hello {i}" for i in range(25)]
    for i in range(0, 25, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(j), "MessageBody": b, "MessageAttributes": {"n": {"DataType": "Number", "StringValue": str(i + j)}}}
            for j, b in enumerate(bodies[i:i + 10])])
    recs = wait_for("25 deliveries", lambda: len(r := delivered(gureum, recorder)) >= 25 and r)
    assert sorted(r["body"] for r in recs) == sorted(bodies)  # each message once
    assert all(len(b["records"]) <= 10 for b in batches(gureum, recorder))
    rec = recs[0]["record"]
    assert rec["eventSource"] == "aws:sqs"
    assert rec["eventSourceARN"] == arn
    assert rec["awsRegion"] == "us-east-1"
    assert rec["receiptHandle"] and rec["messageId"] == recs[0]["id"]
    assert set(rec["attributes"]) >= {"ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"}
    assert rec["attributes"]["ApproximateReceiveCount"] == "1"
    assert rec["messageAttributes"]["n"]["dataType"] == "Number"
    assert rec["messageAttributes"]["n"]["stringListValues"] == []
    import hashlib

    assert rec["md5OfBody"] == hashlib.md5(rec["body"].encode()).hexdigest()
    wait_for("the queue drained", lambda: depth(sqs, url) == (0, 0))
    lam.delete_event_source_mapping(UUID=mapping)


def test_partial_batch_failure_brings_back_only_the_failed_messages(gureum, lam, sqs, recorder):
    url, arn = queue(sqs, VisibilityTimeout="3")
    mapping = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=recorder, FunctionResponseTypes=["ReportBatchItemFailures"])["UUID"]
    state_of(lam, mapping, "Enabled")
    entries = [{"Id": str(i), "MessageBody": ("flaky" if i % 3 == 0 else "fine") + f" {i}"} for i in range(9)]
    sent = {e["MessageBody"] for e in entries}
    sqs.send_message_batch(QueueUrl=url, Entries=entries)
    flaky = {b for b in sent if b.startswith("flaky")}

    def done() -> list[dict[str, Any]] | None:
        recs = delivered(gureum, recorder)
        again = {r["body"] for r in recs if r["rc"] >= 2}
        return recs if again >= flaky else None

    recs = wait_for("the failed messages redelivered", done)
    wait_for("the queue drained", lambda: depth(sqs, url) == (0, 0))
    recs = delivered(gureum, recorder)
    assert {r["body"] for r in recs if r["rc"] == 1} == sent
    assert {r["body"] for r in recs if r["rc"] >= 2} == flaky  # the others were deleted after one delivery
    lam.delete_event_source_mapping(UUID=mapping)


def test_poison_message_ends_in_the_dead_letter_queue_after_max_receive_count(gureum, lam, sqs, recorder):
    dlq_url, dlq_arn = queue(sqs)
    url, arn = queue(sqs, VisibilityTimeout="3",
                     RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}))
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=recorder)["UUID"]
    sqs.send_message(QueueUrl=url, MessageBody="poison pill")

    def in_dlq() -> list[dict[str, Any]]:
        return sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1, AttributeNames=["All"]).get("Messages", [])

    msgs = wait_for("the poison message in the DLQ", in_dlq, timeout=90)
    assert msgs[0]["Body"] == "poison pill"
    assert msgs[0]["Attributes"]["DeadLetterQueueSourceArn"] == arn
    recs = [r for r in delivered(gureum, recorder) if r["body"] == "poison pill"]
    assert sorted(r["rc"] for r in recs) == [1, 2]  # delivered maxReceiveCount times, then moved
    assert depth(sqs, url) == (0, 0)
    lam.delete_event_source_mapping(UUID=mapping)


def test_filter_criteria_deliver_only_matching_messages_and_delete_the_rest(gureum, lam, sqs, recorder):
    url, arn = queue(sqs)
    pattern = {"body": {"kind": ["order"], "amount": [{"numeric": [">", 10]}]}}
    mapping = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=recorder, FilterCriteria={"Filters": [{"Pattern": json.dumps(pattern)}]})
    assert json.loads(mapping["FilterCriteria"]["Filters"][0]["Pattern"]) == pattern
    bodies = [
        json.dumps({"kind": "order", "amount": 50, "n": 1}),
        json.dumps({"kind": "order", "amount": 5, "n": 2}),
        json.dumps({"kind": "refund", "amount": 50, "n": 3}),
        "not json at all",
        json.dumps({"kind": "order", "amount": 11.5, "n": 5}),
    ]
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)])
    wait_for("the queue drained", lambda: depth(sqs, url) == (0, 0))
    recs = wait_for("two deliveries", lambda: len(r := delivered(gureum, recorder)) >= 2 and r)
    assert sorted(json.loads(r["body"])["n"] for r in recs) == [1, 5]
    lam.delete_event_source_mapping(UUID=mapping["UUID"])


def test_disabled_mapping_leaves_messages_and_enabling_resumes(gureum, lam, sqs, recorder):
    url, arn = queue(sqs)
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=recorder)["UUID"]
    state_of(lam, mapping, "Enabled")
    lam.update_event_source_mapping(UUID=mapping, Enabled=False)
    state_of(lam, mapping, "Disabled")
    sqs.send_message(QueueUrl=url, MessageBody="while disabled")
    time.sleep(3)  # real time: a window in which a disabled mapping must not take it (its poller stops before Disabled)
    assert depth(sqs, url) == (1, 0)
    assert delivered(gureum, recorder) == []
    lam.update_event_source_mapping(UUID=mapping, Enabled=True)
    recs = wait_for("the delivery", lambda: delivered(gureum, recorder))
    assert [r["body"] for r in recs] == ["while disabled"]
    lam.delete_event_source_mapping(UUID=mapping)


def test_fifo_queue_keeps_message_group_order(gureum, lam, sqs, recorder):
    url, arn = queue(sqs, f"f-{uuid.uuid4().hex[:8]}.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=recorder, BatchSize=3)["UUID"]
    groups = {"a": [f"a{i}" for i in range(12)], "b": [f"b{i}" for i in range(12)]}
    for i in range(12):
        for g, bodies in groups.items():
            sqs.send_message(QueueUrl=url, MessageBody=bodies[i], MessageGroupId=g)
    recs = wait_for("24 deliveries", lambda: len(r := delivered(gureum, recorder)) >= 24 and r)
    for g, bodies in groups.items():
        assert [r["body"] for r in recs if r["group"] == g] == bodies
    assert all(r["record"]["attributes"]["SequenceNumber"] for r in recs)
    wait_for("the queue drained", lambda: depth(sqs, url) == (0, 0))
    lam.delete_event_source_mapping(UUID=mapping)


SLOW = """
import json, time
def handler(event, context):
    start = time.time()
    time.sleep(1.0)
    print("SPAN " + json.dumps({"start": start, "end": time.time(), "n": len(event["Records"])}))
"""


def test_maximum_concurrency_bounds_concurrent_batches(gureum, lam, sqs, make_function):
    fn = make_function(SLOW, Timeout=5)
    url, arn = queue(sqs)
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=fn, BatchSize=1, ScalingConfig={"MaximumConcurrency": 2})["UUID"]
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(8)])
    logs = gureum.client("logs")

    def spans() -> list[dict[str, Any]]:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{fn}", filterPattern="SPAN")["events"]
        except logs.exceptions.ResourceNotFoundException:
            return []
        return [json.loads(e["message"].split("SPAN ", 1)[1]) for e in events if "SPAN " in e["message"]]

    got = wait_for("8 invocations", lambda: len(x := spans()) >= 8 and x, timeout=120)
    assert all(s["n"] == 1 for s in got)
    overlap = max(sum(1 for o in got if o["start"] <= s["start"] < o["end"]) for s in got)
    assert overlap <= 2
    wait_for("the queue drained", lambda: depth(sqs, url) == (0, 0))
    lam.delete_event_source_mapping(UUID=mapping)


def test_batching_window_gathers_more_than_ten_messages_into_one_batch(gureum, lam, sqs, recorder):
    url, arn = queue(sqs)
    mapping = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=recorder, Enabled=False, BatchSize=50, MaximumBatchingWindowInSeconds=1)["UUID"]
    state_of(lam, mapping, "Disabled")
    for i in range(3):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(j), "MessageBody": f"m{i * 10 + j}"} for j in range(10)])
    lam.update_event_source_mapping(UUID=mapping, Enabled=True)
    wait_for("30 deliveries", lambda: len(delivered(gureum, recorder)) >= 30)
    assert [len(b["records"]) for b in batches(gureum, recorder)] == [30]
    lam.delete_event_source_mapping(UUID=mapping)


def test_mapping_and_pending_messages_survive_kill_9(tmp_path: Path):
    g = GureumProcess(tmp_path / "data")
    g.start()
    try:
        role = g.client("iam").create_role(RoleName=f"r-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        lam, sqs = g.client("lambda"), g.client("sqs")
        fn = f"fn-{uuid.uuid4().hex[:8]}"
        lam.create_function(FunctionName=fn, Runtime="python3.12", Role=role, Handler="app.handler", Timeout=3,
                            Code={"ZipFile": zip_of({"app.py": RECORDER})})
        url, arn = queue(sqs, VisibilityTimeout="4")
        mapping = lam.create_event_source_mapping(
            EventSourceArn=arn, FunctionName=fn, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"])["UUID"]
        sent = {f"flaky {i}" for i in range(5)}
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(sorted(sent))])
        wait_for("a first, failed delivery", lambda: delivered(g, fn))  # now in flight, not deleted
        g.kill9()
        g.start()
        assert lam.get_event_source_mapping(UUID=mapping)["State"] == "Enabled"
        wait_for("every message delivered again", lambda: {r["body"] for r in delivered(g, fn) if r["rc"] >= 2} == sent, timeout=90)
        wait_for("the queue drained", lambda: depth(sqs, url) == (0, 0))
    finally:
        g.stop()


# --- the partial batch response rules (sans-IO) -----------------------------------------------
@pytest.mark.parametrize("payload, expected", [
    (b"", set()),
    (b"null", set()),
    (b"{}", set()),
    (b'"ok"', set()),
    (b'{"batchItemFailures": null}', set()),
    (b'{"batchItemFailures": []}', set()),
    (b'{"batchItemFailures": [{"itemIdentifier": "a"}]}', {"a"}),
    (b"not json", None),
    (b'{"batchItemFailures": [{"itemIdentifier": ""}]}', None),
    (b'{"batchItemFailures": [{"itemIdentifier": null}]}', None),
    (b'{"batchItemFailures": [{"itemId": "a"}]}', None),
    (b'{"batchItemFailures": [{"itemIdentifier": "unknown"}]}', None),
])
def test_partial_batch_response_rules(payload, expected):
    from gureum.services.lambda_.esm_poller import batch_failures

    assert batch_failures(payload, {"a", "b"}) == expected

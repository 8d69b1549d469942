"""The AWS/SQS metrics gureum emits as AWS does, read back through CloudWatch: a known
workload's sends, receives (one empty) and deletes as counts per QueueName, and the queue's
depth gauges (visible, in flight, age of the oldest message)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from harness import GureumProcess
from waiting import wait_for


@pytest.fixture
def g(tmp_path) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path / "data", env={"GUREUM_SQS_METRICS_INTERVAL": "0.3", "GUREUM_CLOUDWATCH_EMIT_INTERVAL": "0.3"})
    proc.start()
    yield proc
    proc.stop()


def _stat(cw: Any, metric: str, queue: str, stat: str) -> float | None:
    now = datetime.now(UTC)
    got = cw.get_metric_statistics(Namespace="AWS/SQS", MetricName=metric, Dimensions=[{"Name": "QueueName", "Value": queue}],
                                   StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=1), Period=360,
                                   Statistics=[stat])
    return float(got["Datapoints"][0][stat]) if got["Datapoints"] else None


def _latest(cw: Any, metric: str, queue: str, stat: str = "Minimum") -> float | None:
    """A gauge's newest 1-minute `stat` (GetMetricData). The samples are kept per minute, so a
    Minimum that must leave a value the minute also held (a count before the sends, an age of 0)
    waits for the next minute; an age only grows while its message stays, so its Maximum does not."""
    now = datetime.now(UTC)
    out = cw.get_metric_data(MetricDataQueries=[{"Id": "m", "MetricStat": {"Metric": {
        "Namespace": "AWS/SQS", "MetricName": metric, "Dimensions": [{"Name": "QueueName", "Value": queue}]},
        "Period": 60, "Stat": stat}}], StartTime=now - timedelta(minutes=2), EndTime=now + timedelta(minutes=1),
        ScanBy="TimestampDescending")
    values = out["MetricDataResults"][0]["Values"]
    return float(values[0]) if values else None


def test_sends_receives_deletes_and_depth_reach_cloudwatch(g):
    sqs, cw = g.client("sqs"), g.client("cloudwatch")
    url = sqs.create_queue(QueueName="metered")["QueueUrl"]
    empty = sqs.create_queue(QueueName="metered-empty")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "xy"}, {"Id": "b", "MessageBody": "xyz"}])
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=600)["Messages"]
    assert len(got) == 2
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=empty, WaitTimeSeconds=0)

    wait_for("3 sent", lambda: _stat(cw, "NumberOfMessagesSent", "metered", "Sum") == 3.0, 60, interval=0.5)
    assert _stat(cw, "SentMessageSize", "metered", "Sum") == 10.0  # 5 + 2 + 3 bytes
    assert _stat(cw, "SentMessageSize", "metered", "SampleCount") == 3.0
    assert _stat(cw, "NumberOfMessagesReceived", "metered", "Sum") == 2.0
    assert _stat(cw, "NumberOfMessagesDeleted", "metered", "Sum") == 1.0
    assert _stat(cw, "NumberOfEmptyReceives", "metered-empty", "Sum") == 1.0
    assert _stat(cw, "NumberOfEmptyReceives", "metered", "Sum") == 0.0

    # the minute that held the sends also held 0 visible before them: up to a minute's wait, and the sampler's turn
    wait_for("one visible, one in flight", lambda: (_latest(cw, "ApproximateNumberOfMessagesVisible", "metered"),
                                                     _latest(cw, "ApproximateNumberOfMessagesNotVisible", "metered")) == (1.0, 1.0),
             150, interval=0.5)
    assert _latest(cw, "ApproximateNumberOfMessagesVisible", "metered-empty") == 0.0
    wait_for("the oldest message ages", lambda: (_latest(cw, "ApproximateAgeOfOldestMessage", "metered", "Maximum") or 0.0) > 0.0,
             60, interval=0.5)


def test_age_of_the_oldest_message_on_a_shared_store(tmp_path, pg_database):
    """With a store several nodes share (PostgreSQL) the messages are indexed in the store, not in
    the node's memory: the age is read from there, and goes on growing while the message stays."""
    proc = GureumProcess(tmp_path / "data", extra_args=["--state", pg_database],
                         env={"GUREUM_SQS_METRICS_INTERVAL": "0.3", "GUREUM_CLOUDWATCH_EMIT_INTERVAL": "0.3"})
    proc.start()
    try:
        sqs, cw = proc.client("sqs"), proc.client("cloudwatch")
        url = sqs.create_queue(QueueName="aging")["QueueUrl"]
        sqs.create_queue(QueueName="aging-empty")
        sqs.send_message(QueueUrl=url, MessageBody="old")
        sqs.receive_message(QueueUrl=url, VisibilityTimeout=600)  # in flight still counts: it is not deleted
        sqs.send_message(QueueUrl=url, MessageBody="new")
        wait_for("the oldest message ages", lambda: (_latest(cw, "ApproximateAgeOfOldestMessage", "aging", "Maximum") or 0.0) >= 1.0,
                 60, interval=0.5)
        wait_for("an empty queue's age", lambda: _latest(cw, "ApproximateAgeOfOldestMessage", "aging-empty", "Maximum") == 0.0,
                 60, interval=0.5)
    finally:
        proc.stop()

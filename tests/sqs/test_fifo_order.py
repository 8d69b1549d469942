"""FIFO receive order across message groups, as AWS hands messages out: the group of the
oldest available message first, as many of one group's messages (in send order) as possible
before the next group (issue 27). The same checks run across two nodes on PostgreSQL in
test_multinode.py."""

from __future__ import annotations

import uuid
from typing import Any

import pytest


def fifo_queue(sqs: Any) -> str:
    return sqs.create_queue(
        QueueName=f"order-{uuid.uuid4().hex[:10]}.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
    )["QueueUrl"]


def send(sqs: Any, url: str, *items: str) -> None:
    """Send each item ("A1": group A, body A1) in order."""
    for item in items:
        sqs.send_message(QueueUrl=url, MessageBody=item, MessageGroupId=item[0])


def bodies(sqs: Any, url: str, n: int = 10) -> list[str]:
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=n, VisibilityTimeout=60).get("Messages", [])
    return [m["Body"] for m in got]


def check_group_major_order(sqs: Any, receiver: Any | None = None) -> None:
    """Send through `sqs`, receive through `receiver` (another node, or the same one)."""
    rx = receiver or sqs
    url = fifo_queue(sqs)
    send(sqs, url, "A1", "B1", "A2", "C1", "B2", "A3")
    assert bodies(rx, url) == ["A1", "A2", "A3", "B1", "B2", "C1"]

    url = fifo_queue(sqs)
    send(sqs, url, "A1", "B1", "A2", "B2", "C1")
    first = rx.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=60)["Messages"]
    assert [m["Body"] for m in first] == ["A1"]
    assert bodies(rx, url, 3) == ["B1", "B2", "C1"]  # A is held while A1 is in flight
    assert bodies(rx, url) == []
    # A1 visible again: group A's oldest message is the oldest available one
    rx.change_message_visibility(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"], VisibilityTimeout=0)
    assert bodies(rx, url) == ["A1", "A2"]


def check_held_group_does_not_starve_others(sqs: Any, receiver: Any | None = None) -> None:
    """Many messages of a held group ahead of another group's: the other group is still served."""
    rx = receiver or sqs
    url = fifo_queue(sqs)
    for start in range(0, 250, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": f"A{i}", "MessageGroupId": "A"} for i in range(start, start + 10)])
    send(sqs, url, "B1")
    assert bodies(rx, url, 1) == ["A0"]
    assert bodies(rx, url) == ["B1"]


@pytest.fixture
def sqs(gureum: Any) -> Any:
    return gureum.client("sqs")


def test_fifo_receive_takes_groups_in_order_of_their_oldest_message(sqs: Any) -> None:
    check_group_major_order(sqs)


def test_a_held_group_with_many_messages_does_not_starve_another(sqs: Any) -> None:
    check_held_group_does_not_starve_others(sqs)


def test_deduplication_scoped_to_the_message_group(sqs: Any) -> None:
    url = sqs.create_queue(QueueName=f"scope-{uuid.uuid4().hex[:10]}.fifo", Attributes={
        "FifoQueue": "true", "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"})["QueueUrl"]
    first = sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="g/1", MessageDeduplicationId="d")
    same = sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="g/1", MessageDeduplicationId="d")
    other = sqs.send_message(QueueUrl=url, MessageBody="b", MessageGroupId="g", MessageDeduplicationId="1/d")
    assert same["MessageId"] == first["MessageId"]
    assert other["MessageId"] != first["MessageId"]  # another group: not a duplicate
    assert sorted(bodies(sqs, url)) == ["a", "b"]

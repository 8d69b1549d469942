"""SQS with two gureum nodes sharing one PostgreSQL store (issue 24): the message index is in
the store (gureum/services/sqs/cluster.py), so a message is received by one consumer at a time
across both nodes, a receipt handle from one node works on the other, FIFO groups are held and
deduplication ids are seen cluster-wide, a long poll on one node wakes for a send on the other,
redrive counts receives made through either node, and messages in flight on a node killed with
kill -9 come back after their visibility timeout on another node.

(Named test_sqs_multinode.py: tests/lambda_/test_multinode.py has the plain name.)"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import GureumProcess
from waiting import wait_for

from sqs.test_fifo_order import check_group_major_order, check_held_group_does_not_starve_others, fifo_queue

pytestmark = pytest.mark.xdist_group("multinode")


def _args(pg_database: str) -> list[str]:
    return ["--state", pg_database, "--set", "ecs.enabled=0", "--set", "sqs.follow_interval=0.1"]


@pytest.fixture(scope="module")
def nodes(pg_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GureumProcess, GureumProcess]]:
    base = tmp_path_factory.mktemp("sqs-multinode")
    a = GureumProcess(base / "a", extra_args=_args(pg_database))
    b = GureumProcess(base / "b", extra_args=_args(pg_database))
    a.start()
    b.start()
    try:
        yield a, b
    finally:
        b.stop()
        a.stop()


def _queue(sqs: Any, **attrs: str) -> str:
    return sqs.create_queue(QueueName=f"mn-{uuid.uuid4().hex[:10]}", Attributes=attrs)["QueueUrl"]


def _send_numbered(sqs: Any, url: str, n: int) -> None:
    for start in range(0, n, 10):
        entries = [{"Id": str(i), "MessageBody": str(i)} for i in range(start, min(n, start + 10))]
        assert not sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed")


def _counts(sqs: Any, url: str) -> tuple[int, int, int]:
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return (int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"]),
            int(a["ApproximateNumberOfMessagesDelayed"]))


def test_each_message_is_received_once_across_consumers_on_both_nodes(nodes: tuple[GureumProcess, GureumProcess]) -> None:
    a, b = nodes
    total = 300
    url = _queue(a.client("sqs"), VisibilityTimeout="300")  # longer than the test: a second delivery is a duplicate
    _send_numbered(a.client("sqs"), url, total)
    received: list[tuple[str, str]] = []  # (body, consumer)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def consume(node: GureumProcess, name: str) -> None:
        sqs = node.client("sqs")
        try:
            while True:
                with lock:
                    if len({body for body, _ in received}) >= total:
                        return
                got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
                with lock:
                    received.extend((m["Body"], name) for m in got)
                if got:
                    sqs.delete_message_batch(QueueUrl=url, Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=consume, args=(node, f"{label}{i}"))
               for label, node in (("a", a), ("b", b)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    counts = Counter(body for body, _ in received)
    assert sorted(counts, key=int) == [str(i) for i in range(total)]  # none lost
    assert [body for body, n in counts.items() if n > 1] == []  # none delivered twice
    by_node = Counter(consumer[0] for _, consumer in received)
    assert set(by_node) == {"a", "b"}, by_node  # both nodes handed messages out
    assert _counts(b.client("sqs"), url) == (0, 0, 0)


def test_a_receipt_handle_from_one_node_works_on_the_other(nodes: tuple[GureumProcess, GureumProcess]) -> None:
    a, b = nodes
    sa, sb = a.client("sqs"), b.client("sqs")
    url = _queue(sa)
    sa.send_message(QueueUrl=url, MessageBody="one")
    (m,) = sa.receive_message(QueueUrl=url, VisibilityTimeout=300)["Messages"]
    assert sb.receive_message(QueueUrl=url).get("Messages", []) == []  # in flight cluster-wide
    assert _counts(sb, url) == (0, 1, 0)
    sb.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
    (again,) = sb.receive_message(QueueUrl=url, VisibilityTimeout=300, AttributeNames=["All"])["Messages"]
    assert again["MessageId"] == m["MessageId"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    sa.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])  # B's handle, deleted through A
    assert _counts(sb, url) == (0, 0, 0)
    with pytest.raises(sb.exceptions.ClientError) as err:  # gone: not in flight any more
        sb.change_message_visibility(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"], VisibilityTimeout=10)
    assert err.value.response["Error"]["Code"] in ("MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight")


def test_fifo_order_held_groups_and_deduplication_across_nodes(nodes: tuple[GureumProcess, GureumProcess]) -> None:
    a, b = nodes
    sa, sb = a.client("sqs"), b.client("sqs")
    check_group_major_order(sa, receiver=sb)
    check_held_group_does_not_starve_others(sa, receiver=sb)

    url = fifo_queue(sa)
    first = sa.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d1")
    again = sb.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d1")
    assert again["MessageId"] == first["MessageId"]
    assert again["SequenceNumber"] == first["SequenceNumber"]
    sb.send_message(QueueUrl=url, MessageBody="y", MessageGroupId="g", MessageDeduplicationId="d2")
    (x,) = sa.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=300)["Messages"]
    assert x["Body"] == "x"
    assert sb.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []  # group g held
    sb.delete_message(QueueUrl=url, ReceiptHandle=x["ReceiptHandle"])
    assert [m["Body"] for m in sb.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == ["y"]


def test_a_long_poll_on_one_node_wakes_for_a_send_on_the_other(nodes: tuple[GureumProcess, GureumProcess]) -> None:
    a, b = nodes
    url = _queue(a.client("sqs"))
    got: list[Any] = []

    def poll() -> None:
        got.append(b.client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=20).get("Messages", []))

    waiter = threading.Thread(target=poll)
    waiter.start()
    body = uuid.uuid4().hex
    a.client("sqs").send_message(QueueUrl=url, MessageBody=body)
    wait_for("the long poll on B to return", lambda: got, timeout=30)
    waiter.join()
    assert [m["Body"] for m in got[0]] == [body]


def test_redrive_counts_receives_through_both_nodes(nodes: tuple[GureumProcess, GureumProcess]) -> None:
    a, b = nodes
    sa, sb = a.client("sqs"), b.client("sqs")
    dlq = _queue(sa)
    dlq_arn = sa.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    src = _queue(sa, RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}))
    sent = sa.send_message(QueueUrl=src, MessageBody="poison")["MessageId"]
    for sqs in (sa, sb):  # one receive through each node; visible again at once
        (m,) = sqs.receive_message(QueueUrl=src, VisibilityTimeout=0)["Messages"]
        assert m["MessageId"] == sent
    assert sb.receive_message(QueueUrl=src).get("Messages", []) == []  # a third receive moves it
    (dead,) = sb.receive_message(QueueUrl=dlq, AttributeNames=["All"])["Messages"]
    assert dead["MessageId"] == sent
    assert dead["Attributes"]["DeadLetterQueueSourceArn"].endswith(src.rsplit("/", 1)[1])
    assert _counts(sa, src) == (0, 0, 0)
    # and back: a move task run by B puts it in the source queue, where A receives it
    sa.change_message_visibility(QueueUrl=dlq, ReceiptHandle=dead["ReceiptHandle"], VisibilityTimeout=0)
    sb.start_message_move_task(SourceArn=dlq_arn)
    wait_for("B's move task COMPLETED", lambda: sb.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]["Status"] == "COMPLETED", timeout=30)
    (back,) = sa.receive_message(QueueUrl=src, AttributeNames=["All"])["Messages"]
    assert back["MessageId"] == sent
    assert back["Attributes"]["ApproximateReceiveCount"] == "1"
    assert _counts(sb, dlq) == (0, 0, 0)


def test_a_queue_changed_on_one_node_is_seen_on_the_other(nodes: tuple[GureumProcess, GureumProcess]) -> None:
    a, b = nodes
    sa, sb = a.client("sqs"), b.client("sqs")
    name = f"mn-{uuid.uuid4().hex[:10]}"
    url = sa.create_queue(QueueName=name)["QueueUrl"]
    assert sb.get_queue_url(QueueName=name)["QueueUrl"].endswith(name)  # read on first use
    sa.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "77"})
    wait_for("B to see the new VisibilityTimeout", lambda: sb.get_queue_attributes(
        QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]["VisibilityTimeout"] == "77", timeout=30)
    sa.delete_queue(QueueUrl=url)

    def gone() -> bool:
        try:
            sb.get_queue_url(QueueName=name)
        except sb.exceptions.QueueDoesNotExist:
            return True
        return False

    wait_for("B to see the queue deleted", gone, timeout=30)


def test_messages_in_flight_on_a_killed_node_come_back_on_another(
        nodes: tuple[GureumProcess, GureumProcess], pg_database: str, tmp_path: Path) -> None:
    a, b = nodes
    url = _queue(a.client("sqs"))
    _send_numbered(a.client("sqs"), url, 10)
    c = GureumProcess(tmp_path / "c", extra_args=_args(pg_database))
    c.start()
    try:
        held = c.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=3)["Messages"]
        assert sorted(int(m["Body"]) for m in held) == list(range(10))
    finally:
        c.kill9()
    sb = b.client("sqs")
    back: dict[str, Any] = {}

    def all_back() -> bool:
        for m in sb.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=300,
                                    AttributeNames=["All"]).get("Messages", []):
            assert m["MessageId"] not in back, "received twice inside its visibility timeout"
            back[m["MessageId"]] = m
        return len(back) == 10

    wait_for("the killed node's in-flight messages received on B", all_back, timeout=60)
    assert sorted(back) == sorted(m["MessageId"] for m in held)
    assert {m["Attributes"]["ApproximateReceiveCount"] for m in back.values()} == {"2"}


def test_delays_hold_across_nodes(nodes: tuple[GureumProcess, GureumProcess]) -> None:
    a, b = nodes
    sa, sb = a.client("sqs"), b.client("sqs")
    url = _queue(sa)
    sa.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=900)
    assert _counts(sb, url) == (0, 0, 1)
    assert sb.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []
    sa.send_message(QueueUrl=url, MessageBody="soon", DelaySeconds=1)
    got = wait_for("the 1-second-delayed message on B", lambda: sb.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=2).get("Messages", []), timeout=30)
    assert [m["Body"] for m in got] == ["soon"]
    assert _counts(sb, url) == (0, 1, 1)


def test_a_made_up_receipt_handle_is_refused_on_a_shared_store(nodes: tuple[GureumProcess, GureumProcess]) -> None:
    import base64

    a, _ = nodes
    sa = a.client("sqs")
    url = _queue(sa)
    key = f"000000000000/us-east-1/{url.rsplit('/', 1)[1]}"
    for seq in ("9" * 3000, "-5", "x"):
        handle = base64.urlsafe_b64encode(f"{key}\x00id\x00nonce\x00{seq}".encode()).decode()
        with pytest.raises(sa.exceptions.ClientError) as err:
            sa.delete_message(QueueUrl=url, ReceiptHandle=handle)
        assert err.value.response["Error"]["Code"] in ("ReceiptHandleIsInvalid", "AWS.SimpleQueueService.ReceiptHandleIsInvalid")
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_messages_stored_by_an_in_memory_index_are_indexed_by_a_starting_node(
        nodes: tuple[GureumProcess, GureumProcess], pg_database: str, tmp_path: Path) -> None:
    """Messages a gureum wrote while its index was in memory (before the index moved into a
    shared store) get index rows when a node starts: none is lost on the upgrade."""
    from gureum.services.sqs.model import MESSAGES, Message
    from gureum.store.postgres import PostgresStore

    a, _ = nodes
    url = _queue(a.client("sqs"))
    qkey = f"000000000000/us-east-1/{url.rsplit('/', 1)[1]}"
    now = int(time.time() * 1000)

    def old(seq: int, body: str, **kw: Any) -> Message:
        return Message(id=str(uuid.uuid4()), seq=seq, body=body, attrs={}, sys_attrs={}, md5_body="",
                       md5_attrs=None, md5_sys=None, sent_ms=now, visible_ms=now, sender="", **kw)

    rows = [old(3, "three"), old(7, "in flight", receive_count=1), old(12, "twelve")]
    rows[1].visible_ms = now + 3_600_000
    store = PostgresStore(pg_database)
    try:
        store.run_sync(lambda t: [t.put(MESSAGES, f"{qkey}/{m.seq:020d}", m.doc()) for m in rows])
    finally:
        store.close_sync()
    c = GureumProcess(tmp_path / "c", extra_args=_args(pg_database))
    c.start()
    try:
        sc = c.client("sqs")
        got = sc.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        assert sorted(m["Body"] for m in got) == ["three", "twelve"]
        assert _counts(sc, url) == (0, 3, 0)
        sc.send_message(QueueUrl=url, MessageBody="new")  # numbered after them: nothing overwritten
        assert [m["Body"] for m in sc.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == ["new"]
        assert _counts(sc, url) == (0, 4, 0)
    finally:
        c.stop()


def test_a_purge_through_one_node_empties_the_queue_and_counts_on_the_other(nodes: tuple[GureumProcess, GureumProcess]) -> None:
    a, b = nodes
    sa, sb = a.client("sqs"), b.client("sqs")
    url = _queue(sa)
    _send_numbered(sa, url, 20)
    sb.receive_message(QueueUrl=url, MaxNumberOfMessages=5, VisibilityTimeout=300)
    sa.purge_queue(QueueUrl=url)
    assert _counts(sb, url) == (0, 0, 0)
    with pytest.raises(sb.exceptions.PurgeQueueInProgress):  # one purge a minute, whichever node
        sb.purge_queue(QueueUrl=url)

"""SQS end to end through boto3 (json protocol) and raw form-encoded query requests."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for


def _name(prefix: str = "q") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def sqs(gureum):
    return gureum.client("sqs")


def test_queue_url_uses_request_host_and_account(gureum, sqs):
    name = _name()
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    assert url == f"http://127.0.0.1:{gureum.port}/000000000000/{name}"
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url
    assert url in sqs.list_queues(QueueNamePrefix=name)["QueueUrls"]


def test_create_queue_is_idempotent_but_conflicting_attributes_fail(sqs):
    name = _name()
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "10"})["QueueUrl"]
    assert sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "10"})["QueueUrl"] == url
    with pytest.raises(sqs.exceptions.QueueNameExists):
        sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "11"})


def test_attribute_rules(sqs):
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName=_name(), Attributes={"DelaySeconds": "901"})
    assert e.value.response["Error"]["Code"] == "InvalidAttributeValue"
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName=_name(), Attributes={"Bogus": "1"})
    assert e.value.response["Error"]["Code"] in ("InvalidAttributeName", "InvalidParameterValue")
    with pytest.raises(ClientError):
        sqs.create_queue(QueueName=_name() + ".fifo")  # .fifo name without FifoQueue
    url = sqs.create_queue(QueueName=_name())["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "30" and attrs["MessageRetentionPeriod"] == "345600"
    assert attrs["QueueArn"].startswith("arn:aws:sqs:us-east-1:000000000000:")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "45"})
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert got == {"VisibilityTimeout": "45"}


def test_missing_queue_is_queue_does_not_exist(sqs):
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName=_name())


def test_send_receive_delete_with_attributes_and_md5s(sqs):
    url = sqs.create_queue(QueueName=_name())["QueueUrl"]
    attrs = {
        "s": {"DataType": "String", "StringValue": "héllo"},
        "n": {"DataType": "Number", "StringValue": "42"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
    }
    sent = sqs.send_message(QueueUrl=url, MessageBody="body ✓", MessageAttributes=attrs)
    # botocore verifies MD5OfMessageBody/MD5OfMessageAttributes itself; check them too.
    import hashlib

    assert sent["MD5OfMessageBody"] == hashlib.md5("body ✓".encode()).hexdigest()
    got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], AttributeNames=["All"])
    (msg,) = got["Messages"]
    assert msg["Body"] == "body ✓" and msg["MessageId"] == sent["MessageId"]
    assert msg["MessageAttributes"]["b"]["BinaryValue"] == b"\x00\xff"
    assert msg["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert msg["Attributes"]["ApproximateReceiveCount"] == "1"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_md5_of_message_attributes_matches_aws_reference(sqs):
    # AWS's documented example value (from the SDKs' test vectors).
    url = sqs.create_queue(QueueName=_name())["QueueUrl"]
    out = sqs.send_message(
        QueueUrl=url, MessageBody="x",
        MessageAttributes={"test": {"DataType": "String", "StringValue": "test"}},
    )
    import hashlib
    import struct

    h = hashlib.md5()
    for part in (b"test", b"String"):
        h.update(struct.pack(">I", len(part)) + part)
    h.update(b"\x01" + struct.pack(">I", 4) + b"test")
    assert out["MD5OfMessageAttributes"] == h.hexdigest()


def test_visibility_timeout_and_receive_count(sqs):
    url = sqs.create_queue(QueueName=_name(), Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="m")
    first = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    again = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=3, AttributeNames=["ApproximateReceiveCount"])
    (msg,) = again["Messages"]
    assert msg["MessageId"] == first["MessageId"]
    assert msg["Attributes"]["ApproximateReceiveCount"] == "2"
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"], VisibilityTimeout=0)
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["MessageId"] == first["MessageId"]


def test_change_visibility_of_message_not_in_flight_fails(sqs):
    url = sqs.create_queue(QueueName=_name())["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="m")
    msg = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]
    with pytest.raises(sqs.exceptions.MessageNotInflight):
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"], VisibilityTimeout=5)
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=url, ReceiptHandle="garbage!")


def test_long_poll_wakes_on_send(gureum, sqs):
    import threading

    url = sqs.create_queue(QueueName=_name())["QueueUrl"]
    other = gureum.client("sqs")
    timer = threading.Timer(0.5, lambda: other.send_message(QueueUrl=url, MessageBody="late"))  # real time: sent while the poll is (most likely) open
    timer.start()
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)
    timer.join()
    # the poll, open when the queue was empty, is answered with the message sent later
    assert [m["Body"] for m in got["Messages"]] == ["late"]


def test_long_poll_times_out_empty_and_leaves_later_messages(sqs):
    url = sqs.create_queue(QueueName=_name())["QueueUrl"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    # the poll is over: a message sent now is not taken by it, the next receive gets it
    sqs.send_message(QueueUrl=url, MessageBody="after")
    got = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])
    assert [(m["Body"], m["Attributes"]["ApproximateReceiveCount"]) for m in got["Messages"]] == [("after", "1")]


def test_delay_seconds(sqs):
    url = sqs.create_queue(QueueName=_name())["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
    assert attrs["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=4)
    assert got["Messages"][0]["Body"] == "later"


def test_batches_and_entry_errors(sqs):
    url = sqs.create_queue(QueueName=_name())["QueueUrl"]
    out = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "a", "MessageBody": "1"},
        {"Id": "b", "MessageBody": "2"},
        {"Id": "c", "MessageBody": "3", "DelaySeconds": 1000},
    ])
    assert sorted(e["Id"] for e in out["Successful"]) == ["a", "b"]
    assert out["Failed"][0]["Id"] == "c" and out["Failed"][0]["SenderFault"] is True
    with pytest.raises(sqs.exceptions.BatchEntryIdsNotDistinct):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "x", "MessageBody": "1"}] * 2)
    with pytest.raises(sqs.exceptions.TooManyEntriesInBatchRequest):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "1"} for i in range(11)])
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in msgs) == ["1", "2"]
    res = sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])
    assert len(res["Successful"]) == 2
    res = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": "z", "ReceiptHandle": msgs[0]["ReceiptHandle"], "VisibilityTimeout": 3}])
    assert res["Failed"][0]["Id"] == "z"


def test_message_size_limit(sqs):
    url = sqs.create_queue(QueueName=_name(), Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1025)
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1024)


def test_fifo_order_groups_and_deduplication(sqs):
    url = sqs.create_queue(QueueName=_name("f") + ".fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    a = sqs.send_message(QueueUrl=url, MessageBody="a1", MessageGroupId="A")
    dup = sqs.send_message(QueueUrl=url, MessageBody="a1", MessageGroupId="A")
    assert dup["MessageId"] == a["MessageId"]
    sqs.send_message(QueueUrl=url, MessageBody="a2", MessageGroupId="A")
    sqs.send_message(QueueUrl=url, MessageBody="b1", MessageGroupId="B", MessageDeduplicationId="x")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, AttributeNames=["All"])["Messages"]
    assert first[0]["Body"] == "a1" and first[0]["Attributes"]["MessageGroupId"] == "A"
    # group A is blocked while a1 is in flight; B is free
    rest = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in rest] == ["b1"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    nxt = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in nxt] == ["a2"]
    with pytest.raises(ClientError):
        sqs.send_message(QueueUrl=url, MessageBody="x")  # no MessageGroupId
    with pytest.raises(ClientError):
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="A", DelaySeconds=5)


def test_redrive_to_dead_letter_queue(sqs):
    dlq = sqs.create_queue(QueueName=_name("dlq"))["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    src = sqs.create_queue(QueueName=_name("src"), Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})})["QueueUrl"]
    sqs.send_message(QueueUrl=src, MessageBody="poison")
    for _ in range(2):
        assert sqs.receive_message(QueueUrl=src, VisibilityTimeout=0)["Messages"][0]["Body"] == "poison"
    assert "Messages" not in sqs.receive_message(QueueUrl=src)
    got = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"])["Messages"][0]
    assert got["Body"] == "poison"
    assert got["Attributes"]["DeadLetterQueueSourceArn"].endswith(src.rsplit("/", 1)[1])
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [src]


def test_purge_tags_delete(sqs):
    url = sqs.create_queue(QueueName=_name(), tags={"team": "a"})["QueueUrl"]
    sqs.tag_queue(QueueUrl=url, Tags={"env": "dev"})
    sqs.untag_queue(QueueUrl=url, TagKeys=["team"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "dev"}
    sqs.send_message(QueueUrl=url, MessageBody="m")
    sqs.purge_queue(QueueUrl=url)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    with pytest.raises(sqs.exceptions.PurgeQueueInProgress):
        sqs.purge_queue(QueueUrl=url)
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])


def _form(gureum, **params):
    data = urllib.parse.urlencode(params).encode()
    req = urllib.request.Request(gureum.endpoint + "/", data=data, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/sqs/aws4_request, "
                         "SignedHeaders=host, Signature=0",
    })
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_query_protocol_send_and_receive(gureum, sqs):
    name = _name()
    status, body = _form(gureum, Action="CreateQueue", Version="2012-11-05", QueueName=name,
                         **{"Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "7"})
    assert status == 200 and "<QueueUrl>" in body
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"] == {
        "VisibilityTimeout": "7"}
    status, body = _form(gureum, Action="SendMessage", Version="2012-11-05", QueueUrl=url, MessageBody="q!",
                         **{"MessageAttribute.1.Name": "k", "MessageAttribute.1.Value.DataType": "String",
                            "MessageAttribute.1.Value.StringValue": "v"})
    assert status == 200 and "<MD5OfMessageBody>" in body
    status, body = _form(gureum, Action="ReceiveMessage", Version="2012-11-05", QueueUrl=url,
                         **{"MessageAttributeName.1": "All", "AttributeName.1": "All"})
    assert status == 200 and "<Body>q!</Body>" in body and "<Name>k</Name>" in body
    status, body = _form(gureum, Action="GetQueueUrl", Version="2012-11-05", QueueName=_name())
    assert status == 400 and "AWS.SimpleQueueService.NonExistentQueue" in body


def test_aws_cli_roundtrip(gureum):
    # awscli v1 ignores AWS_ENDPOINT_URL for sqs (it picks queue.amazonaws.com): pass it.
    ep = ("--endpoint-url", gureum.endpoint)
    name = _name()
    url = gureum.aws(*ep, "sqs", "create-queue", "--queue-name", name)["QueueUrl"]
    gureum.aws(*ep, "sqs", "send-message", "--queue-url", url, "--message-body", "from cli")
    got = gureum.aws(*ep, "sqs", "receive-message", "--queue-url", url)
    assert got["Messages"][0]["Body"] == "from cli"


def test_acknowledged_messages_survive_kill9_and_inflight_reappear(fresh_gureum):
    sqs = fresh_gureum.client("sqs")
    url = sqs.create_queue(QueueName="durable", Attributes={"VisibilityTimeout": "2"})["QueueUrl"]
    ids = {sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")["MessageId"] for i in range(50)}
    inflight = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    deleted = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5)["Messages"]
    for m in deleted:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    fresh_gureum.kill9()
    fresh_gureum.start()
    sqs = fresh_gureum.client("sqs")
    url = sqs.get_queue_url(QueueName="durable")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "2"
    seen: dict[str, dict] = {}

    def all_back() -> bool:  # a long poll: it waits for messages itself
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                     AttributeNames=["ApproximateReceiveCount"]).get("Messages", []):
            seen[m["MessageId"]] = m
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return len(seen) >= 45

    wait_for("the 45 undeleted messages, in-flight ones after their visibility timeout", all_back, timeout=60, interval=0)
    assert set(seen) == ids - {m["MessageId"] for m in deleted}
    for m in inflight:  # came back after their visibility timeout, counted twice
        assert seen[m["MessageId"]]["Attributes"]["ApproximateReceiveCount"] == "2"


def test_redrive_allow_policy_and_message_move_task(sqs):
    dlq = sqs.create_queue(QueueName=_name("dlq"), Attributes={
        "RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})})["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    with pytest.raises(ClientError):
        sqs.create_queue(QueueName=_name("src"), Attributes={"RedrivePolicy": policy})
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={
        "RedriveAllowPolicy": json.dumps({"redrivePermission": "allowAll"})})
    src = sqs.create_queue(QueueName=_name("src"), Attributes={"RedrivePolicy": policy})["QueueUrl"]
    for i in range(3):
        sqs.send_message(QueueUrl=src, MessageBody=f"m{i}")
    sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10, VisibilityTimeout=0)
    assert "Messages" not in sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10)  # all moved to the DLQ
    handle = sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]
    task = wait_for("the move task COMPLETED", lambda: (t := sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0])["Status"] == "COMPLETED" and t, timeout=10, interval=0.1)
    assert task["TaskHandle"] == handle
    assert task["ApproximateNumberOfMessagesMoved"] == 3
    back = sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert sorted(m["Body"] for m in back) == ["m0", "m1", "m2"]
    assert all(m["Attributes"]["ApproximateReceiveCount"] == "1" for m in back)

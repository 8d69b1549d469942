"""SNS end to end: topics, delivery into gureum's SQS (envelope and raw), filter policies,
the real HTTP confirmation handshake and retries, FIFO topics, and S3 event notifications."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.parse
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for


def _n(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def clients(gureum):
    return gureum.client("sns"), gureum.client("sqs")


def _queue(sqs, name=None, fifo=False):
    name = name or _n("q") + (".fifo" if fifo else "")
    attrs = {"FifoQueue": "true"} if fifo else {}
    url = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _drain(sqs, url, want, timeout=30):
    """Receive (and delete) messages until at least `want` arrived; all of them, in order."""
    got = []

    def enough() -> bool:  # a long poll: it waits for messages itself
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                     MessageAttributeNames=["All"]).get("Messages", []):
            got.append(m)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return len(got) >= want

    wait_for(f"{want} messages in {url}", enough, timeout, interval=0)
    return got


def test_topic_lifecycle_attributes_tags(clients):
    sns, _ = clients
    name = _n("t")
    arn = sns.create_topic(Name=name, Tags=[{"Key": "a", "Value": "1"}])["TopicArn"]
    assert arn == f"arn:aws:sns:us-east-1:000000000000:{name}"
    assert sns.create_topic(Name=name)["TopicArn"] == arn
    assert {"TopicArn": arn} in sns.list_topics()["Topics"]
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="Hello")
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["DisplayName"] == "Hello" and attrs["Owner"] == "000000000000"
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "b", "Value": "2"}])
    sns.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    sns.delete_topic(TopicArn=arn)
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.get_topic_attributes(TopicArn=arn)


def test_publish_to_sqs_with_envelope_and_raw(clients):
    sns, sqs = clients
    topic = sns.create_topic(Name=_n("t"))["TopicArn"]
    url_env, arn_env = _queue(sqs)
    url_raw, arn_raw = _queue(sqs)
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn_env)["SubscriptionArn"]
    assert sub.startswith(topic + ":")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn_raw, Attributes={"RawMessageDelivery": "true"})
    attrs = {"k": {"DataType": "String", "StringValue": "v"}}
    mid = sns.publish(TopicArn=topic, Message="hello", Subject="Hi", MessageAttributes=attrs)["MessageId"]
    (env,) = _drain(sqs, url_env, 1)
    doc = json.loads(env["Body"])
    assert doc["Type"] == "Notification" and doc["MessageId"] == mid and doc["TopicArn"] == topic
    assert doc["Message"] == "hello" and doc["Subject"] == "Hi"
    assert doc["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"}}
    assert {"Timestamp", "SignatureVersion", "Signature", "SigningCertURL", "UnsubscribeURL"} <= set(doc)
    (raw,) = _drain(sqs, url_raw, 1)
    assert raw["Body"] == "hello" and raw["MessageAttributes"]["k"]["StringValue"] == "v"
    assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["PendingConfirmation"] == "false"


def test_filter_policies_on_attributes_and_body(clients):
    sns, sqs = clients
    topic = sns.create_topic(Name=_n("t"))["TopicArn"]
    url_a, arn_a = _queue(sqs)
    url_b, arn_b = _queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn_a, Attributes={
        "FilterPolicy": json.dumps({"color": ["red", {"prefix": "gr"}], "size": [{"numeric": [">", 10]}]}),
        "RawMessageDelivery": "true"})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn_b, Attributes={
        "FilterPolicy": json.dumps({"order": {"kind": [{"anything-but": "test"}]}}),
        "FilterPolicyScope": "MessageBody", "RawMessageDelivery": "true"})

    def pub(msg, **attrs):
        sns.publish(TopicArn=topic, Message=msg, MessageAttributes={
            k: {"DataType": "Number" if isinstance(v, int) else "String", "StringValue": str(v)}
            for k, v in attrs.items()})

    pub("red-big", color="red", size=20)
    pub("green-big", color="green", size=11)
    pub("red-small", color="red", size=5)
    pub("blue-big", color="blue", size=50)
    pub(json.dumps({"order": {"kind": "real"}}))
    pub(json.dumps({"order": {"kind": "test"}}))
    assert sorted(m["Body"] for m in _drain(sqs, url_a, 2)) == ["green-big", "red-big"]
    got_b = _drain(sqs, url_b, 1)
    assert [json.loads(m["Body"])["order"]["kind"] for m in got_b] == ["real"]
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn_a + "x",
                      Attributes={"FilterPolicy": "{not json"})
    assert e.value.response["Error"]["Code"] == "InvalidParameter"


def test_publish_batch_and_message_structure(clients):
    sns, sqs = clients
    topic = sns.create_topic(Name=_n("t"))["TopicArn"]
    url, arn = _queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    out = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "1", "Message": "one"}, {"Id": "2", "Message": "two"}, {"Id": "3", "Message": ""}])
    assert sorted(s["Id"] for s in out["Successful"]) == ["1", "2"] and out["Failed"][0]["Id"] == "3"
    sns.publish(TopicArn=topic, MessageStructure="json",
                Message=json.dumps({"default": "generic", "sqs": "for sqs"}))
    assert sorted(m["Body"] for m in _drain(sqs, url, 3)) == ["for sqs", "one", "two"]


def test_fifo_topic_to_fifo_queue(clients):
    sns, sqs = clients
    topic = sns.create_topic(Name=_n("t") + ".fifo", Attributes={
        "FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    url, arn = _queue(sqs, fifo=True)
    std_topic = sns.create_topic(Name=_n("t"))["TopicArn"]
    with pytest.raises(ClientError):  # a FIFO queue takes only a FIFO topic (a standard queue takes both)
        sns.subscribe(TopicArn=std_topic, Protocol="sqs", Endpoint=arn)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    for i in range(3):
        out = sns.publish(TopicArn=topic, Message=f"m{i}", MessageGroupId="g")
        assert "SequenceNumber" in out
    with pytest.raises(ClientError):
        sns.publish(TopicArn=topic, Message="no group")
    assert [m["Body"] for m in _drain(sqs, url, 3)] == ["m0", "m1", "m2"]


class _Endpoint:
    """A local HTTP endpoint that records SNS POSTs; fails the first `fail` notifications."""

    def __init__(self, fail: int = 0) -> None:
        self.posts: list[tuple[dict, dict]] = []
        self.fail = fail
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.posts.append((headers, json.loads(body)))
                if headers["x-amz-sns-message-type"] == "Notification" and outer.fail > 0:
                    outer.fail -= 1
                    self.send_response(500)
                else:
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def wait(self, n: int, timeout: float = 10.0) -> None:
        wait_for(f"{n} posts", lambda: len(self.posts) >= n, timeout, interval=0.05)

    def close(self) -> None:
        self.server.shutdown()


def test_http_subscription_handshake_delivery_and_retries(clients):
    sns, _ = clients
    topic = sns.create_topic(Name=_n("t"))["TopicArn"]
    ep = _Endpoint(fail=2)
    try:
        out = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=ep.url, Attributes={
            "DeliveryPolicy": json.dumps({"healthyRetryPolicy": {"numRetries": 3, "minDelayTarget": 1,
                                                                 "maxDelayTarget": 1}})})
        assert out["SubscriptionArn"] == "pending confirmation"
        ep.wait(1)
        headers, confirm = ep.posts[0]
        assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
        assert confirm["Type"] == "SubscriptionConfirmation" and confirm["TopicArn"] == topic
        # Nothing is delivered before confirmation.
        sns.publish(TopicArn=topic, Message="too early")
        with urllib.request.urlopen(confirm["SubscribeURL"]) as resp:
            assert b"<SubscriptionArn>" in resp.read()
        subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        assert subs[0]["SubscriptionArn"].startswith(topic + ":")
        sns.publish(TopicArn=topic, Message="after confirm")
        ep.wait(4)  # confirmation + two failed attempts + the successful retry
        notes = [(h, b) for h, b in ep.posts if h["x-amz-sns-message-type"] == "Notification"]
        assert [b["Message"] for _, b in notes] == ["after confirm"] * 3
        assert notes[0][0]["x-amz-sns-subscription-arn"] == subs[0]["SubscriptionArn"]
    finally:
        ep.close()


def test_email_and_lambda_subscriptions_are_stored(clients):
    sns, _ = clients
    topic = sns.create_topic(Name=_n("t"))["TopicArn"]
    assert sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="a@example.com")[
        "SubscriptionArn"] == "pending confirmation"
    fn = "arn:aws:lambda:us-east-1:000000000000:function:f"
    arn = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn)["SubscriptionArn"]
    assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["Endpoint"] == fn
    protos = sorted(s["Protocol"] for s in sns.list_subscriptions()["Subscriptions"] if s["TopicArn"] == topic)
    assert protos == ["email", "lambda"]
    sns.unsubscribe(SubscriptionArn=arn)
    assert len(sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]) == 1


def test_query_protocol_publish_via_form(gureum, clients):
    sns, sqs = clients
    topic = sns.create_topic(Name=_n("t"))["TopicArn"]
    url, arn = _queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    data = urllib.parse.urlencode({"Action": "Publish", "Version": "2010-03-31", "TopicArn": topic,
                                   "Message": "via form"}).encode()
    req = urllib.request.Request(gureum.endpoint + "/", data=data, headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req) as resp:
        assert b"<MessageId>" in resp.read()
    assert [m["Body"] for m in _drain(sqs, url, 1)] == ["via form"]


# -- S3 event notifications ------------------------------------------------------------------

def test_s3_notifications_to_sqs_and_sns(gureum, clients):
    sns, sqs = clients
    s3 = gureum.client("s3")
    bucket = _n("evt")
    s3.create_bucket(Bucket=bucket)
    q_url, q_arn = _queue(sqs)
    topic = sns.create_topic(Name=_n("t"))["TopicArn"]
    t_url, t_arn = _queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=t_arn)
    with pytest.raises(ClientError) as e:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": q_arn + "-missing", "Events": ["s3:ObjectCreated:*"]}]})
    assert e.value.response["Error"]["Code"] == "InvalidArgument"
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "QueueConfigurations": [{"Id": "images", "QueueArn": q_arn, "Events": ["s3:ObjectCreated:*"],
                                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "img/"},
                                                                    {"Name": "suffix", "Value": ".png"}]}}}],
        "TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectRemoved:*"]}],
    })
    conf = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert conf["QueueConfigurations"][0]["Id"] == "images"
    (test_event,) = _drain(sqs, q_url, 1)
    assert json.loads(test_event["Body"])["Event"] == "s3:TestEvent"
    _drain(sqs, t_url, 1)  # the topic got its test event too
    etag = s3.put_object(Bucket=bucket, Key="img/a cat.png", Body=b"\x89PNG")["ETag"]
    s3.put_object(Bucket=bucket, Key="img/notes.txt", Body=b"skip")
    s3.put_object(Bucket=bucket, Key="other/b.png", Body=b"skip")
    s3.put_object(Bucket=bucket, Key="img/z.png", Body=b"last")  # matches: once its event is in, the skipped ones' would be too
    created = {(r := json.loads(m["Body"])["Records"][0])["s3"]["object"]["key"]: r for m in _drain(sqs, q_url, 2)}
    assert sorted(created) == ["img/a+cat.png", "img/z.png"]
    assert "Messages" not in sqs.receive_message(QueueUrl=q_url)  # nothing for the filtered-out keys
    rec = created["img/a+cat.png"]
    assert rec["eventSource"] == "aws:s3" and rec["eventName"] == "ObjectCreated:Put"
    assert rec["awsRegion"] == "us-east-1" and rec["s3"]["configurationId"] == "images"
    assert rec["s3"]["bucket"]["name"] == bucket and rec["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{bucket}"
    assert rec["s3"]["object"]["key"] == "img/a+cat.png"
    assert rec["s3"]["object"]["size"] == 4 and rec["s3"]["object"]["eTag"] == etag.strip('"')
    assert rec["s3"]["object"]["sequencer"]
    s3.delete_object(Bucket=bucket, Key="img/a cat.png")
    (removed,) = _drain(sqs, t_url, 1)
    env = json.loads(removed["Body"])
    assert env["Subject"] == "Amazon S3 Notification"
    rec = json.loads(env["Message"])["Records"][0]
    assert rec["eventName"] == "ObjectRemoved:Delete" and rec["s3"]["object"]["key"] == "img/a+cat.png"


def test_s3_notifications_for_copy_multipart_and_delete_markers(gureum, clients):
    _, sqs = clients
    s3 = gureum.client("s3")
    bucket = _n("evt")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    q_url, q_arn = _queue(sqs)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": q_arn, "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]}]})
    _drain(sqs, q_url, 1)  # s3:TestEvent
    vid = s3.put_object(Bucket=bucket, Key="a", Body=b"1")["VersionId"]
    s3.copy_object(Bucket=bucket, Key="b", CopySource=f"{bucket}/a")
    up = s3.create_multipart_upload(Bucket=bucket, Key="c")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="c", UploadId=up, PartNumber=1, Body=b"x")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="c", UploadId=up,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    s3.delete_object(Bucket=bucket, Key="a")
    s3.delete_object(Bucket=bucket, Key="a", VersionId=vid)
    records = [json.loads(m["Body"])["Records"][0] for m in _drain(sqs, q_url, 5)]
    records.sort(key=lambda r: r["s3"]["object"]["sequencer"])
    assert [(r["eventName"], r["s3"]["object"]["key"]) for r in records] == [
        ("ObjectCreated:Put", "a"), ("ObjectCreated:Copy", "b"), ("ObjectCreated:CompleteMultipartUpload", "c"),
        ("ObjectRemoved:DeleteMarkerCreated", "a"), ("ObjectRemoved:Delete", "a")]
    assert records[0]["s3"]["object"]["versionId"] == vid


def test_undeliverable_http_message_goes_to_the_subscription_dlq(clients):
    sns, sqs = clients
    topic = sns.create_topic(Name=_n("t"))["TopicArn"]
    dlq_url, dlq_arn = _queue(sqs)
    ep = _Endpoint()
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=ep.url)
    ep.wait(1)
    with urllib.request.urlopen(ep.posts[0][1]["SubscribeURL"]):
        pass
    sub = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"][0]["SubscriptionArn"]
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RedrivePolicy",
                                    AttributeValue=json.dumps({"deadLetterTargetArn": dlq_arn}))
    ep.server.shutdown()
    ep.server.server_close()  # the endpoint is gone: connection refused
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(
        {"healthyRetryPolicy": {"numRetries": 1, "minDelayTarget": 1, "maxDelayTarget": 1}}))
    sns.publish(TopicArn=topic, Message="lost")
    (dead,) = _drain(sqs, dlq_url, 1)
    assert json.loads(dead["Body"])["Message"] == "lost"


def test_pending_http_delivery_survives_kill9(fresh_gureum):
    sns = fresh_gureum.client("sns")
    topic = sns.create_topic(Name="durable-topic")["TopicArn"]
    ep = _Endpoint()
    port = ep.server.server_port
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=ep.url, Attributes={
        "DeliveryPolicy": json.dumps({"healthyRetryPolicy": {"numRetries": 50, "minDelayTarget": 1,
                                                             "maxDelayTarget": 1}})})
    ep.wait(1)
    with urllib.request.urlopen(ep.posts[0][1]["SubscribeURL"]):
        pass
    ep.server.shutdown()
    ep.server.server_close()  # the endpoint is down while the message is published
    sns.publish(TopicArn=topic, Message="keep trying")
    fresh_gureum.kill9()
    fresh_gureum.start()
    again = _Endpoint.__new__(_Endpoint)
    again.posts, again.fail = [], 0
    import http.server as hs

    class H(hs.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            again.posts.append(({k.lower(): v for k, v in self.headers.items()}, json.loads(body)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    again.server = hs.ThreadingHTTPServer(("127.0.0.1", port), H)
    threading.Thread(target=again.server.serve_forever, daemon=True).start()
    try:
        again.wait(1, timeout=20)
        assert again.posts[0][1]["Message"] == "keep trying"
    finally:
        again.server.shutdown()

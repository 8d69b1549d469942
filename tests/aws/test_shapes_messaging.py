"""SQS (json, and the query protocol it still answers), SNS and CloudWatch Logs responses walked
against botocore's output shapes (tests/aws/shape_check.py)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from shape_check import ShapeRecorder


def _sqs_scenario(sqs: Any, n: str) -> None:
    url = sqs.create_queue(QueueName=f"q-{n}", Attributes={"VisibilityTimeout": "30"}, tags={"k": "v"})["QueueUrl"]
    dlq = sqs.create_queue(QueueName=f"dlq-{n}")["QueueUrl"]
    fifo = sqs.create_queue(QueueName=f"f-{n}.fifo", Attributes={"FifoQueue": "true",
                                                                  "ContentBasedDeduplication": "true"})["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": f'{{"deadLetterTargetArn":"{dlq_arn}",'
                                                                         f'"maxReceiveCount":"5"}}'})
    sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    sqs.get_queue_url(QueueName=f"q-{n}")
    sqs.list_queues(QueueNamePrefix=f"q-{n}")
    sqs.list_dead_letter_source_queues(QueueUrl=dlq)
    sqs.tag_queue(QueueUrl=url, Tags={"a": "b"})
    sqs.list_queue_tags(QueueUrl=url)
    sqs.untag_queue(QueueUrl=url, TagKeys=["a"])
    sqs.send_message(QueueUrl=url, MessageBody="hello", MessageAttributes={
        "s": {"DataType": "String", "StringValue": "x"}, "b": {"DataType": "Binary", "BinaryValue": b"\x00"}})
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "a"}, {"Id": "2", "MessageBody": "b"}])
    sqs.send_message(QueueUrl=fifo, MessageBody="f", MessageGroupId="g")
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"],
                               MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"])["Messages"]
    sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=1, MessageSystemAttributeNames=["All"])
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=msgs[0]["ReceiptHandle"], VisibilityTimeout=0)
    sqs.change_message_visibility_batch(QueueUrl=url, Entries=[{"Id": f"x{i}", "ReceiptHandle": m["ReceiptHandle"],
                                                                "VisibilityTimeout": 10} for i, m in enumerate(msgs[1:])])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=msgs[0]["ReceiptHandle"])
    sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": "x", "ReceiptHandle": "bogus"}])
    sqs.add_permission(QueueUrl=url, Label="l", AWSAccountIds=["000000000000"], Actions=["SendMessage"])
    sqs.remove_permission(QueueUrl=url, Label="l")
    sqs.list_message_move_tasks(SourceArn=dlq_arn)
    sqs.purge_queue(QueueUrl=url)
    for q in (url, dlq, fifo):
        sqs.delete_queue(QueueUrl=q)


def test_sqs_json_responses_match_the_model(gureum: Any) -> None:
    sqs = gureum.client("sqs")
    rec = ShapeRecorder(sqs)
    _sqs_scenario(sqs, uuid.uuid4().hex[:8])
    assert not rec.findings, rec.report()
    assert len(rec.operations) >= 20, sorted(rec.operations)


def test_sns_responses_match_the_model(gureum: Any) -> None:
    sns = gureum.client("sns")
    sqs = gureum.client("sqs")
    rec = ShapeRecorder(sns)
    n = uuid.uuid4().hex[:8]
    url = sqs.create_queue(QueueName=f"snsq-{n}")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name=f"t-{n}", Tags=[{"Key": "k", "Value": "v"}])["TopicArn"]
    fifo = sns.create_topic(Name=f"tf-{n}.fifo", Attributes={"FifoTopic": "true",
                                                             "ContentBasedDeduplication": "true"})["TopicArn"]
    sns.get_topic_attributes(TopicArn=topic)
    sns.set_topic_attributes(TopicArn=topic, AttributeName="DisplayName", AttributeValue="d")
    sns.list_topics()
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, ReturnSubscriptionArn=True)["SubscriptionArn"]
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint="http://127.0.0.1:9/x")
    sns.get_subscription_attributes(SubscriptionArn=sub)
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true")
    sns.list_subscriptions()
    sns.list_subscriptions_by_topic(TopicArn=topic)
    sns.publish(TopicArn=topic, Message="m", Subject="s",
                MessageAttributes={"a": {"DataType": "String", "StringValue": "v"}})
    sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{"Id": "1", "Message": "a"}, {"Id": "2", "Message": "b"}])
    sns.publish(TopicArn=fifo, Message="m", MessageGroupId="g")
    sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "a", "Value": "b"}])
    sns.list_tags_for_resource(ResourceArn=topic)
    sns.untag_resource(ResourceArn=topic, TagKeys=["a"])
    sns.unsubscribe(SubscriptionArn=sub)
    sns.delete_topic(TopicArn=topic)
    sns.delete_topic(TopicArn=fifo)
    sqs.delete_queue(QueueUrl=url)
    assert not rec.findings, rec.report()
    assert len(rec.operations) >= 15, sorted(rec.operations)


def test_logs_responses_match_the_model(gureum: Any) -> None:
    logs = gureum.client("logs")
    rec = ShapeRecorder(logs)
    n = uuid.uuid4().hex[:8]
    group = f"/shape/{n}"
    logs.create_log_group(logGroupName=group, tags={"k": "v"})
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.describe_log_groups(logGroupNamePrefix=group)
    logs.describe_log_streams(logGroupName=group)
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now, "message": "a"},
                                                                          {"timestamp": now + 1, "message": "b"}])
    logs.put_log_events(logGroupName=group, logStreamName="s",
                        logEvents=[{"timestamp": now - 20 * 24 * 3600 * 1000, "message": "old"}])
    logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True)
    logs.filter_log_events(logGroupName=group, filterPattern="a")
    logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True)
    logs.put_retention_policy(logGroupName=group, retentionInDays=7)
    logs.describe_log_groups(logGroupNamePrefix=group)
    logs.delete_retention_policy(logGroupName=group)
    logs.tag_log_group(logGroupName=group, tags={"a": "b"})
    logs.list_tags_log_group(logGroupName=group)
    logs.untag_log_group(logGroupName=group, tags=["a"])
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    logs.tag_resource(resourceArn=arn, tags={"c": "d"})
    logs.list_tags_for_resource(resourceArn=arn)
    logs.untag_resource(resourceArn=arn, tagKeys=["c"])
    logs.delete_log_stream(logGroupName=group, logStreamName="s")
    logs.delete_log_group(logGroupName=group)
    assert not rec.findings, rec.report()
    assert len(rec.operations) >= 15, sorted(rec.operations)


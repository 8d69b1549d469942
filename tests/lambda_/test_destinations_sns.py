"""Async invocations whose failures go to SNS: an OnFailure destination topic delivers AWS's
destination record to its SQS subscribers, a DeadLetterConfig topic delivers the event."""

from __future__ import annotations

import json
import uuid
from typing import Any

from waiting import wait_for

FAILING = "def handler(e, c):\n    raise RuntimeError('always fails ' + str(e.get('n')))\n"
SUCCEEDING = "def handler(e, c):\n    return {'doubled': e['n'] * 2}\n"


def _topic_with_queue(gureum: Any, raw: bool) -> tuple[str, str]:
    """A topic and the URL of an SQS queue subscribed to it."""
    sns, sqs = gureum.client("sns"), gureum.client("sqs")
    topic = sns.create_topic(Name=f"t-{uuid.uuid4().hex[:8]}")["TopicArn"]
    url = sqs.create_queue(QueueName=f"sub-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true" if raw else "false"})
    return topic, url


def _one(gureum: Any, url: str, timeout: float = 60.0) -> str:
    sqs = gureum.client("sqs")
    try:  # a long poll: it waits for messages itself
        msgs = wait_for(f"a message in {url}", lambda: sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages"), timeout, interval=0)
    except AssertionError as exc:
        raise AssertionError(f"{exc}:\n{gureum.log_tail()}") from None
    return msgs[0]["Body"]


def test_failure_destination_topic_and_dead_letter_topic_deliver_to_sqs_subscribers(gureum, lam, make_function):
    dest_topic, dest_url = _topic_with_queue(gureum, raw=False)
    dlq_topic, dlq_url = _topic_with_queue(gureum, raw=True)
    name = make_function(FAILING, DeadLetterConfig={"TargetArn": dlq_topic})
    assert lam.get_function_configuration(FunctionName=name)["DeadLetterConfig"] == {"TargetArn": dlq_topic}
    lam.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": dest_topic}})
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 5}')

    envelope = json.loads(_one(gureum, dest_url))
    assert envelope["Type"] == "Notification"
    assert envelope["TopicArn"] == dest_topic
    record = json.loads(envelope["Message"])
    assert record["version"] == "1.0"
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["functionArn"].endswith(f":function:{name}:$LATEST")
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["requestPayload"] == {"n": 5}
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorMessage"] == "always fails 5"
    assert json.loads(_one(gureum, dlq_url)) == {"n": 5}  # a dead-letter target gets the event only


def test_success_destination_topic_gets_the_response(gureum, lam, make_function):
    topic, url = _topic_with_queue(gureum, raw=True)
    name = make_function(SUCCEEDING)
    lam.put_function_event_invoke_config(FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": topic}})
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 21}')
    record = json.loads(_one(gureum, url))
    assert record["requestContext"]["condition"] == "Success"
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"doubled": 42}

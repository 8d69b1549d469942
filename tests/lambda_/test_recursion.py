"""Recursive loop detection: a function that feeds its own queue (Lambda → SQS → Lambda), its
own topic (Lambda → SNS → Lambda) or invokes itself asynchronously runs 16 times in one
chain, then Lambda stops it (the trace header's Lineage, carried by boto3 inside the function
as X-Amzn-Trace-Id, by SQS as AWSTraceHeader, by SNS to its deliveries): the SQS message ends
in the queue's dead-letter queue, the async event in the on-failure destination.
RecursiveLoop=Allow lets the loop go on."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from lambda_helpers import log_lines
from waiting import wait_for

SQS_LOOP = """
import os, boto3
sqs = boto3.client("sqs")
def handler(event, context):
    for rec in event["Records"]:
        n = int(rec["body"])
        print(f"hop {n}")
        if n < int(os.environ["STOP_AT"]):
            sqs.send_message(QueueUrl=os.environ["QUEUE"], MessageBody=str(n + 1))
"""

SELF_INVOKE = """
import json, os, boto3
lam = boto3.client("lambda")
def handler(event, context):
    n = event["n"]
    print(f"hop {n}")
    lam.invoke(FunctionName=context.function_name, InvocationType="Event", Payload=json.dumps({"n": n + 1}))
"""


def _queue(sqs: Any, **attrs: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=f"loop-{uuid.uuid4().hex[:8]}", Attributes=attrs)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _hops(gureum: Any, name: str, until: str) -> list[int]:
    return sorted(int(line.split("hop ", 1)[1]) for line in log_lines(gureum, name, until) if line.startswith("hop "))


def _received(sqs: Any, url: str) -> list[dict[str, Any]]:
    return sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MaxNumberOfMessages=10).get("Messages", [])


def test_a_lambda_sqs_loop_is_stopped_after_16_invocations(gureum, lam, make_function):
    sqs = gureum.client("sqs")
    dlq_url, dlq_arn = _queue(sqs)
    url, arn = _queue(sqs, VisibilityTimeout="5",
                      RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"}))
    name = make_function(SQS_LOOP, Timeout=5, Environment={"Variables": {"QUEUE": url, "STOP_AT": "100"}})
    assert lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Terminate"
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, BatchSize=1)
    sqs.send_message(QueueUrl=url, MessageBody="1")

    stopped = wait_for("the looping message in the dead-letter queue", lambda: _received(sqs, dlq_url), timeout=120)
    assert [m["Body"] for m in stopped] == ["17"]
    hops = _hops(gureum, name, "hop 16")
    assert hops == list(range(1, 17)), hops  # 16 invocations, the 17th stopped


def test_recursive_loop_allow_lets_the_loop_go_on(gureum, lam, make_function):
    sqs = gureum.client("sqs")
    url, arn = _queue(sqs, VisibilityTimeout="5")
    name = make_function(SQS_LOOP, Timeout=5, Environment={"Variables": {"QUEUE": url, "STOP_AT": "20"}})
    assert lam.put_function_recursion_config(FunctionName=name, RecursiveLoop="Allow")["RecursiveLoop"] == "Allow"
    assert lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Allow"
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, BatchSize=1)
    sqs.send_message(QueueUrl=url, MessageBody="1")
    assert _hops(gureum, name, "hop 20") == list(range(1, 21))


def test_an_async_self_invocation_loop_goes_to_the_on_failure_destination(gureum, lam, make_function, role_arn):
    sqs = gureum.client("sqs")
    sink_url, sink_arn = _queue(sqs)
    name = make_function(SELF_INVOKE, Timeout=5)
    lam.put_function_event_invoke_config(FunctionName=name, DestinationConfig={"OnFailure": {"Destination": sink_arn}})
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"n": 1}).encode())
    records = wait_for("the stopped event at the on-failure destination", lambda: _received(sqs, sink_url), timeout=120)
    record = json.loads(records[0]["Body"])
    assert record["requestContext"]["condition"] == "RecursiveInvocationException"
    assert record["requestPayload"] == {"n": 17}
    assert _hops(gureum, name, "hop 16") == list(range(1, 17))


SNS_LOOP = """
import json, os, boto3
sns = boto3.client("sns")
def handler(event, context):
    n = int(json.loads(event["Records"][0]["Sns"]["Message"])["n"])
    print(f"hop {n}")
    sns.publish(TopicArn=os.environ["TOPIC"], Message=json.dumps({"n": n + 1}))
"""


def test_a_lambda_sns_loop_is_stopped_after_16_invocations(gureum, lam, make_function):
    sqs, sns = gureum.client("sqs"), gureum.client("sns")
    sink_url, sink_arn = _queue(sqs)
    topic = sns.create_topic(Name=f"loop-{uuid.uuid4().hex[:8]}")["TopicArn"]
    name = make_function(SNS_LOOP, Timeout=5, Environment={"Variables": {"TOPIC": topic}})
    lam.put_function_event_invoke_config(FunctionName=name, DestinationConfig={"OnFailure": {"Destination": sink_arn}})
    fn_arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    lam.add_permission(FunctionName=name, StatementId="sns", Action="lambda:InvokeFunction", Principal="sns.amazonaws.com",
                       SourceArn=topic)
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn_arn)
    sns.publish(TopicArn=topic, Message=json.dumps({"n": 1}))
    records = wait_for("the stopped SNS event at the on-failure destination", lambda: _received(sqs, sink_url), timeout=120)
    record = json.loads(records[0]["Body"])
    assert record["requestContext"]["condition"] == "RecursiveInvocationException"
    assert json.loads(record["requestPayload"]["Records"][0]["Sns"]["Message"]) == {"n": 17}
    assert _hops(gureum, name, "hop 16") == list(range(1, 17))


def test_recursion_config_errors(lam, make_function):
    name = make_function("def handler(e, c):\n    return 1\n")
    with pytest.raises(ClientError) as err:
        lam.put_function_recursion_config(FunctionName=f"{name}:1", RecursiveLoop="Allow")
    assert err.value.response["Error"]["Code"] == "ValidationException"  # the model's pattern takes no qualifier
    with pytest.raises(ClientError) as err:
        lam.get_function_recursion_config(FunctionName=name + "-missing")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"

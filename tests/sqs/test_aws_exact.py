"""SQS answers exactly as AWS answers (issue 27): through boto3 (json protocol) the error code
botocore shows (the query code from x-amzn-query-error), the json `__type` (QueryErrorCode),
type, HTTP status and message word for word, as recorded from AWS; the same errors through
the query protocol (signed form POSTs and GET-style requests to a queue URL); current
defaults and limits (1 MiB messages and batches since 2025)."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

MIB = 1_048_576


def _name(prefix: str = "q") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def sqs(gureum):
    return gureum.client("sqs")


@pytest.fixture
def queue(sqs):
    return sqs.create_queue(QueueName=_name())["QueueUrl"]


@pytest.fixture
def fifo(sqs):
    return sqs.create_queue(QueueName=_name() + ".fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]


def refused(call, **kwargs) -> tuple[int, str, str | None, str, str]:
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    err = e.value.response["Error"]
    return (e.value.response["ResponseMetadata"]["HTTPStatusCode"], err["Code"], err.get("QueryErrorCode"),
            err["Type"], err["Message"])


def invalid_value(message: str) -> tuple[int, str, str, str, str]:
    return 400, "InvalidParameterValue", "InvalidParameterValueException", "Sender", message


def query(gureum, method: str, url: str, params: dict[str, str]) -> tuple[int, ET.Element]:
    """A query-protocol request signed with SigV4 as the SDKs sign it; (status, XML root)."""
    data = urllib.parse.urlencode(params)
    if method == "GET":
        req = AWSRequest(method="GET", url=f"{url}?{data}")
    else:
        req = AWSRequest(method="POST", url=url, data=data,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    SigV4Auth(Credentials("test", "test"), "sqs", "us-east-1").add_auth(req)
    body = req.body if method == "POST" else None
    if isinstance(body, str):
        body = body.encode()
    request = urllib.request.Request(req.url, data=body, headers=dict(req.headers), method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, ET.fromstring(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, ET.fromstring(e.read())


def text(root: ET.Element, tag: str) -> str | None:
    found = [el.text for el in root.iter() if el.tag.split("}")[-1] == tag]
    return found[0] if found else None


# -- json protocol: codes, query codes, messages ----------------------------------------------

def test_missing_queue(sqs, queue):
    want = (400, "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "Sender",
            "The specified queue does not exist.")
    assert refused(sqs.get_queue_url, QueueName=_name("gone")) == want
    assert refused(sqs.send_message, QueueUrl=queue + "x", MessageBody="m") == want


def test_missing_parameter_is_missing_required_parameter_exception(sqs, queue, fifo):
    assert refused(sqs.send_message, QueueUrl=queue, MessageBody="") == (
        400, "MissingParameter", "MissingRequiredParameterException", "Sender",
        "The request must contain the parameter MessageBody.")
    assert refused(sqs.send_message, QueueUrl=fifo, MessageBody="m", MessageDeduplicationId="d") == (
        400, "MissingParameter", "MissingRequiredParameterException", "Sender",
        "The request must contain the parameter MessageGroupId.")


def test_invalid_parameter_values_are_invalid_parameter_value_exception(sqs, queue):
    assert refused(sqs.receive_message, QueueUrl=queue, VisibilityTimeout=43201) == invalid_value(
        "Value 43201 for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.")
    assert refused(sqs.receive_message, QueueUrl=queue, MaxNumberOfMessages=11) == invalid_value(
        "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.")
    assert refused(sqs.receive_message, QueueUrl=queue, WaitTimeSeconds=21) == invalid_value(
        "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.")
    assert refused(sqs.send_message, QueueUrl=queue, MessageBody="m", MessageAttributes={
        "ErrorDetails": {"DataType": "String", "StringValue": ""}}) == invalid_value(
        "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'.")


def test_model_validation_is_invalid_parameter_value_exception(gureum, queue):
    # The wire layer's model checks answer in SQS's json error: `__type` InvalidParameterValueException,
    # the query code InvalidParameterValue; a map value's members under '<map>.<key>.member'.
    from botocore.config import Config

    loose = gureum.client("sqs", config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    assert refused(loose.send_message, QueueUrl=queue, MessageBody="m",
                   MessageAttributes={"attr1": {"StringValue": "x"}}) == invalid_value(
        "1 validation error detected: Value null at 'messageAttributes.attr1.member.dataType' failed to satisfy "
        "constraint: Member must not be null")
    assert refused(loose.send_message, MessageBody="m")[:4] == (
        400, "InvalidParameterValue", "InvalidParameterValueException", "Sender")


def test_fifo_send_refusals(sqs, fifo):
    assert refused(sqs.send_message, QueueUrl=fifo, MessageBody="m", MessageGroupId="g") == invalid_value(
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided "
        "explicitly")
    assert refused(sqs.send_message, QueueUrl=fifo, MessageBody="m", MessageGroupId="g", MessageDeduplicationId="d",
                   DelaySeconds=2) == invalid_value(
        "Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid "
        "for this queue type.")
    # SendMessageBatch refuses the whole request (SendMessage the one message)
    assert refused(sqs.send_message_batch, QueueUrl=fifo, Entries=[
        {"Id": "1", "MessageBody": "m", "MessageDeduplicationId": "d"}]) == invalid_value(
        "The request must contain the parameter MessageGroupId.")
    assert refused(sqs.send_message_batch, QueueUrl=fifo, Entries=[
        {"Id": "1", "MessageBody": "m", "MessageGroupId": "g"}]) == invalid_value(
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided "
        "explicitly")


def test_batch_refusals(sqs, queue):
    assert refused(sqs.send_message_batch, QueueUrl=queue, Entries=[
        {"Id": str(i), "MessageBody": "m"} for i in range(20)]) == (
        400, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "TooManyEntriesInBatchRequest", "Sender",
        "Maximum number of entries per request are 10. You have sent 20.")
    assert refused(sqs.delete_message_batch, QueueUrl=queue, Entries=[
        {"Id": "invalid:id", "ReceiptHandle": "x"}]) == (
        400, "AWS.SimpleQueueService.InvalidBatchEntryId", "InvalidBatchEntryId", "Sender",
        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 "
        "letters long.")
    assert refused(sqs.send_message_batch, QueueUrl=queue, Entries=[
        {"Id": "1", "MessageBody": "x" * (MIB // 2)}, {"Id": "2", "MessageBody": "x" * (MIB // 2 + 1)}]) == (
        400, "AWS.SimpleQueueService.BatchRequestTooLong", "BatchRequestTooLong", "Sender",
        f"Batch requests cannot be longer than {MIB} bytes. You have sent {MIB + 1} bytes.")


def test_queue_exists_with_other_attributes(sqs):
    name = _name()
    sqs.create_queue(QueueName=name, Attributes={"DelaySeconds": "1"})
    assert refused(sqs.create_queue, QueueName=name, Attributes={"DelaySeconds": "2"}) == (
        400, "QueueAlreadyExists", "QueueNameExists", "Sender",
        "A queue already exists with the same name and a different value for attribute DelaySeconds")


# -- defaults and limits -----------------------------------------------------------------------

def test_defaults_are_aws_current_ones(sqs, queue):
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert {k: attrs[k] for k in ("MaximumMessageSize", "MessageRetentionPeriod", "DelaySeconds",
                                  "ReceiveMessageWaitTimeSeconds", "VisibilityTimeout", "SqsManagedSseEnabled")} == {
        "MaximumMessageSize": str(MIB), "MessageRetentionPeriod": "345600", "DelaySeconds": "0",
        "ReceiveMessageWaitTimeSeconds": "0", "VisibilityTimeout": "30", "SqsManagedSseEnabled": "true"}


def test_a_one_mib_message_fits_and_one_byte_more_does_not(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="x" * MIB)
    assert refused(sqs.send_message, QueueUrl=queue, MessageBody="x" * (MIB + 1)) == invalid_value(
        f"One or more parameters are invalid. Reason: Message must be shorter than {MIB} bytes.")
    small = sqs.create_queue(QueueName=_name(), Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    assert refused(sqs.send_message, QueueUrl=small, MessageBody="x" * 1025) == invalid_value(
        "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.")


@pytest.mark.parametrize("name,value", [
    ("MaximumMessageSize", "1023"), ("MaximumMessageSize", str(MIB + 1)), ("MessageRetentionPeriod", "59"),
    ("MessageRetentionPeriod", "1209601"), ("DelaySeconds", "901"), ("ReceiveMessageWaitTimeSeconds", "21"),
    ("VisibilityTimeout", "43201"),
])
def test_attribute_ranges(sqs, name, value):
    assert refused(sqs.create_queue, QueueName=_name(), Attributes={name: value}) == (
        400, "InvalidAttributeValue", "InvalidAttributeValue", "Sender", f"Invalid value for the parameter {name}.")


# -- query protocol ------------------------------------------------------------------------------

def test_query_protocol_errors_carry_the_query_codes(gureum, queue):
    status, root = query(gureum, "POST", gureum.endpoint + "/", {
        "Action": "GetQueueUrl", "QueueName": _name("gone"), "Version": "2012-11-05"})
    assert (status, text(root, "Code"), text(root, "Type"), text(root, "Message")) == (
        400, "AWS.SimpleQueueService.NonExistentQueue", "Sender", "The specified queue does not exist for this wsdl version.")
    status, root = query(gureum, "POST", gureum.endpoint + "/", {
        "Action": "SendMessage", "QueueUrl": queue, "MessageBody": "", "Version": "2012-11-05"})
    assert (status, text(root, "Code"), text(root, "Message")) == (
        400, "MissingParameter", "The request must contain the parameter MessageBody.")
    status, root = query(gureum, "POST", gureum.endpoint + "/", {
        "Action": "ReceiveMessage", "QueueUrl": queue, "VisibilityTimeout": "43201", "Version": "2012-11-05"})
    assert (status, text(root, "Code")) == (400, "InvalidParameterValue")


def test_get_style_query_requests_to_a_queue_url(gureum, sqs, queue):
    status, root = query(gureum, "GET", queue, {"Action": "SendMessage", "MessageBody": "hello",
                                                "Version": "2012-11-05"})
    assert status == 200 and text(root, "MessageId")
    status, root = query(gureum, "GET", queue, {"Action": "GetQueueAttributes", "AttributeName.1": "VisibilityTimeout",
                                                "Version": "2012-11-05"})
    assert status == 200 and text(root, "Name") == "VisibilityTimeout" and text(root, "Value") == "30"
    status, root = query(gureum, "GET", queue, {"Action": "ReceiveMessage", "WaitTimeSeconds": "1",
                                                "Version": "2012-11-05"})
    assert status == 200 and text(root, "Body") == "hello"
    status, root = query(gureum, "POST", queue, {"Action": "SendMessage", "MessageBody": "posted",
                                                 "Version": "2012-11-05"})
    assert status == 200 and text(root, "MessageId")
    status, root = query(gureum, "GET", queue + "-gone", {"Action": "ReceiveMessage", "Version": "2012-11-05"})
    assert (status, text(root, "Code"), text(root, "Message")) == (
        400, "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist for this wsdl version.")


def test_redrive_policy_refusals(sqs):
    value = '{"deadLetterTargetArn": "dummy", "maxReceiveCount": 42}'
    assert refused(sqs.create_queue, QueueName=_name(), Attributes={"RedrivePolicy": value}) == invalid_value(
        f"Value {value} for parameter RedrivePolicy is invalid. Reason: Invalid value for deadLetterTargetArn.")
    dlq = sqs.create_queue(QueueName=_name())["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    value = f'{{"deadLetterTargetArn": "{dlq_arn}", "maxReceiveCount": 0}}'
    assert refused(sqs.create_queue, QueueName=_name(), Attributes={"RedrivePolicy": value}) == invalid_value(
        f"Value {value} for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: 0, valid "
        "values are from 1 to 1000 both inclusive.")


def test_queue_type_cannot_change(sqs, queue, fifo):
    assert refused(sqs.set_queue_attributes, QueueUrl=queue, Attributes={"FifoQueue": "true"}) == (
        400, "InvalidAttributeName", "InvalidAttributeName", "Sender", "Unknown Attribute FifoQueue.")
    sqs.set_queue_attributes(QueueUrl=fifo, Attributes={"FifoQueue": "true"})
    assert refused(sqs.set_queue_attributes, QueueUrl=fifo, Attributes={"FifoQueue": "false"}) == (
        400, "InvalidAttributeValue", "InvalidAttributeValue", "Sender",
        "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.")

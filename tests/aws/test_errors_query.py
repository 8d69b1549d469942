"""Errors of the query-protocol services (IAM, STS, SNS) and SQS, provoked through boto3 and
read raw: for each error an operation documents that gureum can be made to return, the code,
Type (Sender/Receiver), HTTP status from the model's error shape, a message, the error shape's
members and the envelope (tests/aws/shape_check.py's expect_error)."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
import uuid
from typing import Any

from botocore.config import Config
from shape_check import ShapeRecorder, check_error, expect_error

LOOSE = Config(retries={"max_attempts": 1}, parameter_validation=False)

DOC = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": "sts:AssumeRole"}]})


def test_iam_errors_are_shaped_as_the_model_says(gureum: Any) -> None:
    iam = gureum.client("iam", config=LOOSE)
    rec = ShapeRecorder(iam)
    n = uuid.uuid4().hex[:8]
    user, group = f"eu-{n}", f"eg-{n}"
    expect_error(rec, lambda: iam.get_user(UserName=f"missing-{n}"), "NoSuchEntity")
    iam.create_user(UserName=user)
    expect_error(rec, lambda: iam.create_user(UserName=user), "EntityAlreadyExists")
    expect_error(rec, lambda: iam.create_policy(PolicyName=f"bad-{n}", PolicyDocument="{}"), "MalformedPolicyDocument")
    expect_error(rec, lambda: iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument="not json"),
                 "MalformedPolicyDocument")
    expect_error(rec, lambda: iam.get_policy(PolicyArn="arn:aws:iam::000000000000:policy/missing-" + n), "NoSuchEntity")
    expect_error(rec, lambda: iam.get_policy(PolicyArn="this-is-not-an-arn-at-all"), "InvalidInput")
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    expect_error(rec, lambda: iam.delete_group(GroupName=group), "DeleteConflict")
    expect_error(rec, lambda: iam.delete_user(UserName=user), "DeleteConflict")
    iam.create_access_key(UserName=user)
    iam.create_access_key(UserName=user)
    expect_error(rec, lambda: iam.create_access_key(UserName=user), "LimitExceeded")
    expect_error(rec, lambda: iam.create_role(RoleName=f"r-{n}", AssumeRolePolicyDocument="{"), "MalformedPolicyDocument")
    expect_error(rec, lambda: iam.get_role(RoleName=f"missing-{n}"), "NoSuchEntity")
    # a member constraint of the model: AWS's ValidationError (a common error no operation lists)
    doc = expect_error(rec, lambda: iam.get_user(UserName="bad name!"), "ValidationError", documented=False)
    assert doc.message is not None and doc.message.startswith("1 validation error detected: Value 'bad name!' at 'userName'")
    assert len(rec.errors) >= 12


def test_sts_errors_are_shaped_as_the_model_says(gureum: Any) -> None:
    iam = gureum.client("iam")
    sts = gureum.client("sts", config=LOOSE)
    rec = ShapeRecorder(sts)
    n = uuid.uuid4().hex[:8]
    role = iam.create_role(RoleName=f"ste-{n}", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    expect_error(rec, lambda: sts.assume_role(RoleArn=role, RoleSessionName="ok", Policy="{"), "MalformedPolicyDocument")
    expect_error(rec, lambda: sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="ok",
                                                                WebIdentityToken="x" * 10), "InvalidIdentityToken")
    expect_error(rec, lambda: sts.get_federation_token(Name="fed", Policy="{"), "MalformedPolicyDocument")
    expect_error(rec, lambda: sts.assume_role(RoleArn=role, RoleSessionName="ok", DurationSeconds=100),
                 "ValidationError", documented=False)


def test_sns_errors_are_shaped_as_the_model_says(gureum: Any) -> None:
    sns = gureum.client("sns", config=LOOSE)
    rec = ShapeRecorder(sns)
    n = uuid.uuid4().hex[:8]
    missing = f"arn:aws:sns:us-east-1:000000000000:missing-{n}"
    expect_error(rec, lambda: sns.get_topic_attributes(TopicArn=missing), "NotFound")
    expect_error(rec, lambda: sns.get_topic_attributes(TopicArn="nope"), "InvalidParameter")
    expect_error(rec, lambda: sns.publish(TopicArn=missing, Message="m"), "NotFound")
    topic = sns.create_topic(Name=f"te-{n}")["TopicArn"]
    expect_error(rec, lambda: sns.publish(TopicArn=topic, Message=""), "InvalidParameter")
    expect_error(rec, lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "a", "Message": "1"}, {"Id": "a", "Message": "2"}]), "BatchEntryIdsNotDistinct")
    expect_error(rec, lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": str(i), "Message": "m"} for i in range(11)]), "TooManyEntriesInBatchRequest")
    expect_error(rec, lambda: sns.subscribe(TopicArn=topic, Protocol="carrier-pigeon", Endpoint="x"), "InvalidParameter")
    expect_error(rec, lambda: sns.get_subscription_attributes(
        SubscriptionArn=f"{topic}:00000000-0000-0000-0000-000000000000"), "NotFound")
    expect_error(rec, lambda: sns.tag_resource(ResourceArn=topic, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]),
                 "TagLimitExceeded")
    expect_error(rec, lambda: sns.set_topic_attributes(TopicArn=topic, AttributeName="Bogus", AttributeValue="1"),
                 "InvalidParameter")


def _query(gureum: Any, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    body = urllib.parse.urlencode({"Version": "2012-11-05", **params}).encode()
    req = urllib.request.Request(gureum.endpoint + "/", data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sqs/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_sqs_errors_are_shaped_as_the_model_says(gureum: Any) -> None:
    sqs = gureum.client("sqs", config=LOOSE)
    rec = ShapeRecorder(sqs)
    n = uuid.uuid4().hex[:8]
    expect_error(rec, lambda: sqs.get_queue_url(QueueName=f"missing-{n}"), "QueueDoesNotExist",
                 query_code="AWS.SimpleQueueService.NonExistentQueue")
    url = sqs.create_queue(QueueName=f"qe-{n}", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    expect_error(rec, lambda: sqs.create_queue(QueueName=f"qe-{n}", Attributes={"VisibilityTimeout": "31"}),
                 "QueueNameExists", query_code="QueueAlreadyExists")
    expect_error(rec, lambda: sqs.delete_message_batch(QueueUrl=url, Entries=[]), "EmptyBatchRequest",
                 query_code="AWS.SimpleQueueService.EmptyBatchRequest")
    expect_error(rec, lambda: sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "1"},
                                                                              {"Id": "a", "MessageBody": "2"}]),
                 "BatchEntryIdsNotDistinct", query_code="AWS.SimpleQueueService.BatchEntryIdsNotDistinct")
    expect_error(rec, lambda: sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "MessageBody": "m"} for i in range(11)]), "TooManyEntriesInBatchRequest",
        query_code="AWS.SimpleQueueService.TooManyEntriesInBatchRequest")
    expect_error(rec, lambda: sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "bad id!", "MessageBody": "m"}]),
                 "InvalidBatchEntryId", query_code="AWS.SimpleQueueService.InvalidBatchEntryId")
    expect_error(rec, lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Bogus"]), "InvalidAttributeName",
                 query_code="InvalidAttributeName")
    expect_error(rec, lambda: sqs.change_message_visibility(QueueUrl=url, ReceiptHandle="garbage", VisibilityTimeout=1),
                 "ReceiptHandleIsInvalid", query_code="ReceiptHandleIsInvalid")
    sqs.purge_queue(QueueUrl=url)
    expect_error(rec, lambda: sqs.purge_queue(QueueUrl=url), "PurgeQueueInProgress",
                 query_code="AWS.SimpleQueueService.PurgeQueueInProgress", status=403)
    # the query protocol: the same error in the older envelope, with its empty <Detail/>
    status, headers, body = _query(gureum, {"Action": "GetQueueUrl", "QueueName": f"missing-{n}"})
    doc = check_error(sqs.meta.service_model, status, headers, body)
    assert (status, doc.code, doc.fault) == (400, "AWS.SimpleQueueService.NonExistentQueue", "Sender")
    assert body.startswith(b'<?xml version="1.0"?><ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">')
    assert b"</Message><Detail/></Error><RequestId>" in body

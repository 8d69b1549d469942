"""SES configuration set event destinations through boto3, v1 and v2 over one store: AWS's
errors (missing set or destination, duplicates, a topic that does not exist, unserved
Firehose/EventBridge/Pinpoint targets, bad dimensions), and real publishing: a send with the
set puts AWS's Send and Delivery event records on an SNS topic (read from an SQS queue
subscribed to it), a relay refusal a Bounce, and the Send metric in AWS/SES with the
configured dimension read back with GetMetricStatistics."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

import pytest
from waiting import wait_for

from ses.ses_helpers import SesGureum
from ses.test_identities import verify_address


def _addr(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:8]}@example.org"


@pytest.fixture(scope="module")
def pair(ses: SesGureum) -> tuple[str, str]:
    sender, rcpt = _addr("evfrom"), _addr("evto")
    verify_address(ses, sender)
    verify_address(ses, rcpt)
    return sender, rcpt


def _topic_queue(ses: SesGureum) -> tuple[str, str]:
    sns, sqs = ses.client("sns"), ses.client("sqs")
    topic = sns.create_topic(Name=f"ses-events-{uuid.uuid4().hex[:6]}")["TopicArn"]
    url = sqs.create_queue(QueueName=f"ses-events-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return topic, url


def _events(ses: SesGureum, url: str, seen: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for m in ses.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
        seen.append(json.loads(json.loads(m["Body"])["Message"]))
    return seen


def test_event_destination_errors_as_aws_sends_them(ses: SesGureum) -> None:
    v1, v2 = ses.client("ses"), ses.client("sesv2")
    topic, _ = _topic_queue(ses)
    cs = f"ev-{uuid.uuid4().hex[:6]}"
    dest = {"Name": "d1", "Enabled": True, "MatchingEventTypes": ["send"], "SNSDestination": {"TopicARN": topic}}
    with pytest.raises(v1.exceptions.ConfigurationSetDoesNotExistException):
        v1.create_configuration_set_event_destination(ConfigurationSetName=cs, EventDestination=dest)
    v1.create_configuration_set(ConfigurationSet={"Name": cs})
    v1.create_configuration_set_event_destination(ConfigurationSetName=cs, EventDestination=dest)
    with pytest.raises(v1.exceptions.EventDestinationAlreadyExistsException):
        v1.create_configuration_set_event_destination(ConfigurationSetName=cs, EventDestination=dest)
    with pytest.raises(v2.exceptions.AlreadyExistsException):
        v2.create_configuration_set_event_destination(ConfigurationSetName=cs, EventDestinationName="d1", EventDestination={
            "Enabled": True, "MatchingEventTypes": ["SEND"], "SnsDestination": {"TopicArn": topic}})
    gone = topic + "-gone"
    with pytest.raises(v1.exceptions.InvalidSNSDestinationException):
        v1.create_configuration_set_event_destination(ConfigurationSetName=cs, EventDestination={
            **dest, "Name": "d2", "SNSDestination": {"TopicARN": gone}})
    with pytest.raises(v1.exceptions.InvalidCloudWatchDestinationException):
        v1.create_configuration_set_event_destination(ConfigurationSetName=cs, EventDestination={
            "Name": "d3", "Enabled": True, "MatchingEventTypes": ["send"], "CloudWatchDestination": {
                "DimensionConfigurations": [{"DimensionName": "bad name!", "DimensionValueSource": "messageTag",
                                             "DefaultDimensionValue": "x"}]}})
    with pytest.raises(v1.exceptions.InvalidFirehoseDestinationException):
        v1.create_configuration_set_event_destination(ConfigurationSetName=cs, EventDestination={
            "Name": "d4", "Enabled": True, "MatchingEventTypes": ["send"], "KinesisFirehoseDestination": {
                "IAMRoleARN": topic, "DeliveryStreamARN": topic}})
    with pytest.raises(v2.exceptions.BadRequestException):
        v2.create_configuration_set_event_destination(ConfigurationSetName=cs, EventDestinationName="d5", EventDestination={
            "Enabled": True, "MatchingEventTypes": ["SEND"], "EventBridgeDestination": {"EventBusArn": topic}})
    with pytest.raises(v1.exceptions.EventDestinationDoesNotExistException):
        v1.update_configuration_set_event_destination(ConfigurationSetName=cs, EventDestination={**dest, "Name": "nope"})
    with pytest.raises(v2.exceptions.NotFoundException):
        v2.delete_configuration_set_event_destination(ConfigurationSetName=cs, EventDestinationName="nope")
    described = v1.describe_configuration_set(ConfigurationSetName=cs, ConfigurationSetAttributeNames=["eventDestinations"])
    assert described["EventDestinations"] == [dest]
    v2.update_configuration_set_event_destination(ConfigurationSetName=cs, EventDestinationName="d1", EventDestination={
        "Enabled": False, "MatchingEventTypes": ["SEND", "DELIVERY"], "SnsDestination": {"TopicArn": topic}})
    got = v2.get_configuration_set_event_destinations(ConfigurationSetName=cs)["EventDestinations"]
    assert got == [{"Name": "d1", "Enabled": False, "MatchingEventTypes": ["SEND", "DELIVERY"],
                    "SnsDestination": {"TopicArn": topic}}]
    v1.delete_configuration_set_event_destination(ConfigurationSetName=cs, EventDestinationName="d1")
    assert v2.get_configuration_set_event_destinations(ConfigurationSetName=cs)["EventDestinations"] == []
    v2.create_configuration_set_event_destination(ConfigurationSetName=cs, EventDestinationName="d6", EventDestination={
        "Enabled": True, "MatchingEventTypes": ["SEND"], "SnsDestination": {"TopicArn": topic}})
    v1.delete_configuration_set(ConfigurationSetName=cs)
    v1.create_configuration_set(ConfigurationSet={"Name": cs})
    assert v2.get_configuration_set_event_destinations(ConfigurationSetName=cs)["EventDestinations"] == []


def test_send_delivery_and_bounce_events_reach_an_sns_topic(ses: SesGureum, pair: tuple[str, str]) -> None:
    v1 = ses.client("ses")
    sender, rcpt = pair
    topic, url = _topic_queue(ses)
    cs = f"ev-{uuid.uuid4().hex[:6]}"
    v1.create_configuration_set(ConfigurationSet={"Name": cs})
    v1.create_configuration_set_event_destination(ConfigurationSetName=cs, EventDestination={
        "Name": "to-sns", "Enabled": True, "MatchingEventTypes": ["send", "delivery", "bounce"],
        "SNSDestination": {"TopicARN": topic}})
    mid = v1.send_email(Source=sender, Destination={"ToAddresses": [rcpt]}, ConfigurationSetName=cs,
                        Message={"Subject": {"Data": "evented"}, "Body": {"Text": {"Data": "b"}}},
                        Tags=[{"Name": "campaign", "Value": "spring"}])["MessageId"]
    seen: list[dict[str, Any]] = []
    wait_for("Send and Delivery events", lambda: {"Send", "Delivery"} <= {e["eventType"] for e in _events(ses, url, seen)
                                                                         if e["mail"]["messageId"] == mid}, 30)
    send = next(e for e in seen if e["eventType"] == "Send")
    assert send["send"] == {}
    assert send["mail"]["destination"] == [rcpt] and send["mail"]["commonHeaders"]["subject"] == "evented"
    assert send["mail"]["tags"]["ses:configuration-set"] == [cs] and send["mail"]["tags"]["campaign"] == ["spring"]
    delivery = next(e for e in seen if e["eventType"] == "Delivery")
    assert delivery["delivery"]["recipients"] == [rcpt]

    bouncer = _addr("bounce")
    verify_address(ses, bouncer)
    bid = v1.send_email(Source=sender, Destination={"ToAddresses": [bouncer]}, ConfigurationSetName=cs,
                        Message={"Subject": {"Data": "bounced"}, "Body": {"Text": {"Data": "b"}}})["MessageId"]
    wait_for("a Bounce event", lambda: any(e["eventType"] == "Bounce" and e["mail"]["messageId"] == bid
                                           for e in _events(ses, url, seen)), 30)
    bounce = next(e for e in seen if e["eventType"] == "Bounce")["bounce"]
    assert bounce["bounceType"] == "Permanent"
    assert bounce["bouncedRecipients"][0]["emailAddress"] == bouncer
    assert "550" in bounce["bouncedRecipients"][0]["diagnosticCode"]
    assert not any(e["eventType"] == "Delivery" and e["mail"]["messageId"] == bid for e in seen)


def test_a_template_missing_an_attribute_publishes_a_rendering_failure(ses: SesGureum, pair: tuple[str, str]) -> None:
    v1 = ses.client("ses")
    sender, rcpt = pair
    topic, url = _topic_queue(ses)
    cs, template = f"ev-{uuid.uuid4().hex[:6]}", f"tpl-{uuid.uuid4().hex[:6]}"
    v1.create_configuration_set(ConfigurationSet={"Name": cs})
    v1.create_configuration_set_event_destination(ConfigurationSetName=cs, EventDestination={
        "Name": "failures", "Enabled": True, "MatchingEventTypes": ["renderingFailure"],
        "SNSDestination": {"TopicARN": topic}})
    v1.create_template(Template={"TemplateName": template, "SubjectPart": "Hi {{name}}", "TextPart": "{{missing}}"})
    mid = v1.send_templated_email(Source=sender, Destination={"ToAddresses": [rcpt]}, Template=template,
                                  TemplateData='{"name": "Ann"}', ConfigurationSetName=cs)["MessageId"]
    seen: list[dict[str, Any]] = []
    wait_for("a Rendering Failure event", lambda: any(e["mail"]["messageId"] == mid for e in _events(ses, url, seen)), 30)
    assert [e["eventType"] for e in seen] == ["Rendering Failure"]
    assert seen[0]["failure"] == {"templateName": template,
                                  "errorMessage": "Attribute 'missing' is not present in the rendering data."}


def test_v2_send_metrics_reach_cloudwatch_with_the_configured_dimension(ses: SesGureum, pair: tuple[str, str]) -> None:
    v2, cw = ses.client("sesv2"), ses.client("cloudwatch")
    sender, rcpt = pair
    cs = f"ev-{uuid.uuid4().hex[:6]}"
    v2.create_configuration_set(ConfigurationSetName=cs)
    v2.create_configuration_set_event_destination(ConfigurationSetName=cs, EventDestinationName="to-cw", EventDestination={
        "Enabled": True, "MatchingEventTypes": ["SEND"], "CloudWatchDestination": {"DimensionConfigurations": [
            {"DimensionName": "campaign", "DimensionValueSource": "MESSAGE_TAG", "DefaultDimensionValue": "none"}]}})
    for _ in range(2):
        v2.send_email(FromEmailAddress=sender, Destination={"ToAddresses": [rcpt]}, ConfigurationSetName=cs,
                      Content={"Simple": {"Subject": {"Data": "m"}, "Body": {"Text": {"Data": "b"}}}},
                      EmailTags=[{"Name": "campaign", "Value": cs}])
    now = datetime.datetime.now(datetime.UTC)

    def total() -> float:
        points = cw.get_metric_statistics(Namespace="AWS/SES", MetricName="Send", Dimensions=[{"Name": "campaign", "Value": cs}],
                                          StartTime=now - datetime.timedelta(minutes=10), EndTime=now + datetime.timedelta(minutes=5),
                                          Period=60, Statistics=["Sum"])["Datapoints"]
        return sum(p["Sum"] for p in points)

    wait_for("the Send metric", lambda: total() >= 2, 30)
    assert total() == 2

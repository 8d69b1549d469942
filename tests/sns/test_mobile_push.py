"""SNS mobile push through boto3: platform applications and endpoints (create, attributes,
idempotent tokens, listings, deletes), Publish to an endpoint and to a topic with an
`application` subscription recorded as delivered at /_gureum/sns/messages, disabled
endpoints and applications refused as AWS refuses them."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from sns.sns_outbox import account, messages


@pytest.fixture
def acct_sns(gureum):  # type: ignore[no-untyped-def]
    acct = account()
    return acct, gureum.client("sns", aws_access_key_id=acct)


def code_of(fn, **kw) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as e:
        fn(**kw)
    return str(e.value.response["Error"]["Code"])


def test_applications_and_endpoints_lifecycle(acct_sns) -> None:  # type: ignore[no-untyped-def]
    _acct, sns = acct_sns
    assert code_of(sns.create_platform_application, Name="app", Platform="GCM", Attributes={"SuccessFeedbackSampleRate": "10"}) == "InvalidParameter"
    assert code_of(sns.create_platform_application, Name="app", Platform="APNS",
                   Attributes={"PlatformCredential": "key"}) == "InvalidParameter"  # Apple needs a principal
    app = sns.create_platform_application(Name="app", Platform="GCM", Attributes={"PlatformCredential": "server-key"})
    app_arn = app["PlatformApplicationArn"]
    assert app_arn.endswith(":app/GCM/app")
    attrs = sns.get_platform_application_attributes(PlatformApplicationArn=app_arn)["Attributes"]
    assert attrs["Enabled"] == "true" and "PlatformCredential" not in attrs
    sns.set_platform_application_attributes(PlatformApplicationArn=app_arn, Attributes={"SuccessFeedbackSampleRate": "50"})
    assert sns.get_platform_application_attributes(PlatformApplicationArn=app_arn)["Attributes"]["SuccessFeedbackSampleRate"] == "50"
    listed = sns.list_platform_applications()["PlatformApplications"]
    assert [a["PlatformApplicationArn"] for a in listed] == [app_arn]

    ep = sns.create_platform_endpoint(PlatformApplicationArn=app_arn, Token="device-1", CustomUserData="alice")["EndpointArn"]
    assert ":endpoint/GCM/app/" in ep
    # the same token and attributes: the same endpoint; other attributes: refused
    assert sns.create_platform_endpoint(PlatformApplicationArn=app_arn, Token="device-1", CustomUserData="alice")["EndpointArn"] == ep
    with pytest.raises(ClientError) as e:
        sns.create_platform_endpoint(PlatformApplicationArn=app_arn, Token="device-1", CustomUserData="bob")
    assert "already exists with the same Token, but different attributes" in e.value.response["Error"]["Message"]
    assert sns.get_endpoint_attributes(EndpointArn=ep)["Attributes"] == {"Enabled": "true", "Token": "device-1", "CustomUserData": "alice"}
    ep2 = sns.create_platform_endpoint(PlatformApplicationArn=app_arn, Token="device-2")["EndpointArn"]
    pages = sns.get_paginator("list_endpoints_by_platform_application").paginate(PlatformApplicationArn=app_arn)
    assert sorted(x["EndpointArn"] for p in pages for x in p["Endpoints"]) == sorted([ep, ep2])

    sns.set_endpoint_attributes(EndpointArn=ep, Attributes={"Token": "device-1b"})
    assert sns.get_endpoint_attributes(EndpointArn=ep)["Attributes"]["Token"] == "device-1b"
    sns.delete_endpoint(EndpointArn=ep2)
    sns.delete_endpoint(EndpointArn=ep2)  # again: no error, as AWS
    assert code_of(sns.get_endpoint_attributes, EndpointArn=ep2) == "NotFound"
    sns.delete_platform_application(PlatformApplicationArn=app_arn)
    assert code_of(sns.get_endpoint_attributes, EndpointArn=ep) == "NotFound"  # its endpoints went with it
    assert code_of(sns.get_platform_application_attributes, PlatformApplicationArn=app_arn) == "NotFound"
    assert sns.list_platform_applications()["PlatformApplications"] == []


def test_publish_to_an_endpoint_is_recorded_and_disabled_ones_refused(gureum, acct_sns) -> None:  # type: ignore[no-untyped-def]
    acct, sns = acct_sns
    app_arn = sns.create_platform_application(Name="push", Platform="APNS",
                                              Attributes={"PlatformCredential": "key", "PlatformPrincipal": "cert"})["PlatformApplicationArn"]
    ep = sns.create_platform_endpoint(PlatformApplicationArn=app_arn, Token="abcd")["EndpointArn"]
    mid = sns.publish(TargetArn=ep, Message=json.dumps({"default": "hi", "APNS": '{"aps":{"alert":"hello"}}'}),
                      MessageStructure="json")["MessageId"]
    got = messages(gureum.endpoint, account=acct, kind="push")
    assert [(m["MessageId"], m["TargetArn"], m["Token"], m["Platform"], m["Message"]) for m in got] == [
        (mid, ep, "abcd", "APNS", '{"aps":{"alert":"hello"}}')]

    sns.set_endpoint_attributes(EndpointArn=ep, Attributes={"Enabled": "false"})
    assert code_of(sns.publish, TargetArn=ep, Message="x") == "EndpointDisabled"
    sns.set_endpoint_attributes(EndpointArn=ep, Attributes={"Enabled": "true"})
    sns.set_platform_application_attributes(PlatformApplicationArn=app_arn, Attributes={"Enabled": "false"})
    assert code_of(sns.publish, TargetArn=ep, Message="x") == "PlatformApplicationDisabled"
    sns.set_platform_application_attributes(PlatformApplicationArn=app_arn, Attributes={"Enabled": "true"})

    # a topic's application subscription: the push recorded too; a disabled endpoint gets none
    topic = sns.create_topic(Name="pushes")["TopicArn"]
    ep2 = sns.create_platform_endpoint(PlatformApplicationArn=app_arn, Token="efgh", Attributes={"Enabled": "false"})["EndpointArn"]
    sns.subscribe(TopicArn=topic, Protocol="application", Endpoint=ep)
    sns.subscribe(TopicArn=topic, Protocol="application", Endpoint=ep2)
    mid2 = sns.publish(TopicArn=topic, Message="to everyone")["MessageId"]
    got = [m for m in messages(gureum.endpoint, account=acct, kind="push") if m["MessageId"] == mid2]
    assert [(m["TargetArn"], m["Message"]) for m in got] == [(ep, "to everyone")]
    assert code_of(sns.subscribe, TopicArn=topic, Protocol="application", Endpoint="not-an-arn") == "InvalidParameter"
    sns.delete_endpoint(EndpointArn=ep)
    with pytest.raises(ClientError) as e:
        sns.publish(TargetArn=ep, Message="x")
    assert e.value.response["Error"]["Message"] == "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified"


def test_application_events_reach_their_topics(gureum, acct_sns) -> None:  # type: ignore[no-untyped-def]
    acct, sns = acct_sns
    sqs = gureum.client("sqs", aws_access_key_id=acct)
    url = sqs.create_queue(QueueName="app-events")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = sns.create_topic(Name="app-events")["TopicArn"]
    sns.subscribe(TopicArn=events, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    app_arn = sns.create_platform_application(Name="evented", Platform="GCM", Attributes={
        "PlatformCredential": "key", "EventEndpointCreated": events, "EventEndpointUpdated": events,
        "EventEndpointDeleted": events, "EventDeliveryFailure": events})["PlatformApplicationArn"]
    ep = sns.create_platform_endpoint(PlatformApplicationArn=app_arn, Token="t-1")["EndpointArn"]
    sns.set_endpoint_attributes(EndpointArn=ep, Attributes={"Enabled": "false"})
    topic = sns.create_topic(Name="news")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="application", Endpoint=ep)
    mid = sns.publish(TopicArn=topic, Message="news")["MessageId"]
    sns.delete_endpoint(EndpointArn=ep)
    got = []
    while len(got) < 4:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=5).get("Messages", [])
        assert batch, f"only {len(got)} events arrived"
        got += [json.loads(m["Body"]) for m in batch]
    assert [e["EventType"] for e in got] == ["EndpointCreated", "EndpointUpdated", "DeliveryFailure", "EndpointDeleted"]
    assert all(e["EndpointArn"] == ep and e["Resource"] == app_arn for e in got)
    failure = got[2]
    assert (failure["FailureType"], failure["MessageId"]) == ("EndpointDisabled", mid)

"""SES v2 contact lists and contacts through boto3: AWS's errors and its one-list quota, topics
with default subscription statuses, ListContacts' filters, and their effect on SendEmail's
ListManagementOptions: an unsubscribed contact is not sent to, the mail carries the
List-Unsubscribe link, and following it opts the contact out."""

from __future__ import annotations

import email
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from email import policy
from typing import Any

import pytest
from waiting import wait_for

from ses.ses_helpers import SesGureum
from ses.test_identities import verify_address

TOPICS = [{"TopicName": "news", "DisplayName": "News", "DefaultSubscriptionStatus": "OPT_IN"},
          {"TopicName": "deals", "DisplayName": "Deals", "DefaultSubscriptionStatus": "OPT_OUT"}]


def _addr(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:8]}@example.org"


@pytest.fixture
def contact_list(ses: SesGureum) -> Iterator[str]:
    v2 = ses.client("sesv2")
    name = f"list-{uuid.uuid4().hex[:6]}"
    v2.create_contact_list(ContactListName=name, Topics=TOPICS, Description="customers",
                           Tags=[{"Key": "team", "Value": "mail"}])
    yield name
    v2.delete_contact_list(ContactListName=name)


def test_contact_list_errors_quota_and_round_trip(ses: SesGureum, contact_list: str) -> None:
    v2 = ses.client("sesv2")
    got = v2.get_contact_list(ContactListName=contact_list)
    assert got["Topics"] == TOPICS and got["Description"] == "customers" and got["Tags"] == [{"Key": "team", "Value": "mail"}]
    with pytest.raises(v2.exceptions.AlreadyExistsException):
        v2.create_contact_list(ContactListName=contact_list)
    with pytest.raises(v2.exceptions.LimitExceededException):
        v2.create_contact_list(ContactListName=contact_list + "-2")
    with pytest.raises(v2.exceptions.NotFoundException):
        v2.get_contact_list(ContactListName="no-such-list")
    assert [c["ContactListName"] for c in v2.list_contact_lists()["ContactLists"]] == [contact_list]
    v2.update_contact_list(ContactListName=contact_list, Topics=TOPICS[:1], Description="fewer")
    got = v2.get_contact_list(ContactListName=contact_list)
    assert got["Topics"] == TOPICS[:1] and got["Description"] == "fewer"
    v2.update_contact_list(ContactListName=contact_list, Topics=TOPICS)
    with pytest.raises(v2.exceptions.BadRequestException):
        v2.update_contact_list(ContactListName=contact_list, Topics=[*TOPICS, TOPICS[0]])

    a, b, c = _addr("a"), _addr("b"), _addr("c")
    v2.create_contact(ContactListName=contact_list, EmailAddress=a,
                      TopicPreferences=[{"TopicName": "deals", "SubscriptionStatus": "OPT_IN"}], AttributesData='{"n":1}')
    v2.create_contact(ContactListName=contact_list, EmailAddress=b, UnsubscribeAll=True)
    v2.create_contact(ContactListName=contact_list, EmailAddress=c,
                      TopicPreferences=[{"TopicName": "news", "SubscriptionStatus": "OPT_OUT"}])
    with pytest.raises(v2.exceptions.AlreadyExistsException):
        v2.create_contact(ContactListName=contact_list, EmailAddress=a)
    with pytest.raises(v2.exceptions.BadRequestException):
        v2.create_contact(ContactListName=contact_list, EmailAddress=_addr("d"),
                          TopicPreferences=[{"TopicName": "nope", "SubscriptionStatus": "OPT_IN"}])
    with pytest.raises(v2.exceptions.NotFoundException):
        v2.get_contact(ContactListName=contact_list, EmailAddress=_addr("nobody"))
    contact = v2.get_contact(ContactListName=contact_list, EmailAddress=a)
    assert contact["TopicPreferences"] == [{"TopicName": "deals", "SubscriptionStatus": "OPT_IN"}]
    assert contact["TopicDefaultPreferences"] == [{"TopicName": "news", "SubscriptionStatus": "OPT_IN"}]
    assert contact["AttributesData"] == '{"n":1}' and contact["UnsubscribeAll"] is False

    def listed(**flt: object) -> set[str]:
        return {x["EmailAddress"] for x in v2.list_contacts(ContactListName=contact_list, Filter=flt)["Contacts"]}

    assert {x["EmailAddress"] for x in v2.list_contacts(ContactListName=contact_list)["Contacts"]} == {a, b, c}
    assert listed(FilteredStatus="OPT_OUT") == {b}
    assert listed(FilteredStatus="OPT_IN", TopicFilter={"TopicName": "deals"}) == {a}
    assert listed(FilteredStatus="OPT_IN", TopicFilter={"TopicName": "news", "UseDefaultIfPreferenceUnavailable": True}) == {a, b}
    assert listed(FilteredStatus="OPT_OUT", TopicFilter={"TopicName": "news"}) == {c}
    v2.update_contact(ContactListName=contact_list, EmailAddress=b, UnsubscribeAll=False)
    assert v2.get_contact(ContactListName=contact_list, EmailAddress=b)["UnsubscribeAll"] is False
    with pytest.raises(v2.exceptions.NotFoundException):
        v2.update_contact(ContactListName=contact_list, EmailAddress=_addr("nobody"))
    v2.delete_contact(ContactListName=contact_list, EmailAddress=c)
    with pytest.raises(v2.exceptions.NotFoundException):
        v2.delete_contact(ContactListName=contact_list, EmailAddress=c)


def _received(ses: SesGureum, rcpt: str, subject: str) -> list[bytes]:
    return [data for _, rcpts, data in ses.inbox.mails if rcpt in rcpts and subject.encode() in data]


def test_list_management_skips_unsubscribed_contacts_and_adds_list_unsubscribe(ses: SesGureum, contact_list: str) -> None:
    v2 = ses.client("sesv2")
    sender, stays, left = _addr("lfrom"), _addr("stays"), _addr("left")
    for a in (sender, stays, left):
        verify_address(ses, a)
    v2.create_contact(ContactListName=contact_list, EmailAddress=left,
                      TopicPreferences=[{"TopicName": "news", "SubscriptionStatus": "OPT_OUT"}])
    subject = f"news-{uuid.uuid4().hex[:6]}"
    content = {"Simple": {"Subject": {"Data": subject},
                          "Body": {"Text": {"Data": "hello; to leave: {{amazonSESUnsubscribeUrl}}"}}}}
    options = {"ContactListName": contact_list, "TopicName": "news"}
    v2.send_email(FromEmailAddress=sender, Destination={"ToAddresses": [stays, left]}, Content=content,
                  ListManagementOptions=options)
    wait_for("the mail relayed to the subscribed contact", lambda: _received(ses, stays, subject), 15)
    assert not _received(ses, left, subject)
    with pytest.raises(v2.exceptions.BadRequestException):
        v2.send_email(FromEmailAddress=sender, Destination={"ToAddresses": [stays]}, Content=content,
                      ListManagementOptions={"ContactListName": contact_list, "TopicName": "nope"})
    with pytest.raises(v2.exceptions.NotFoundException):
        v2.send_email(FromEmailAddress=sender, Destination={"ToAddresses": [stays]}, Content=content,
                      ListManagementOptions={"ContactListName": "no-such-list"})

    mail = email.message_from_bytes(_received(ses, stays, subject)[-1], policy=policy.default)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = str(mail["List-Unsubscribe"]).strip("<>")
    with urllib.request.urlopen(urllib.request.Request(link, data=b"List-Unsubscribe=One-Click"), timeout=10) as resp:
        assert resp.status == 200
    prefs = v2.get_contact(ContactListName=contact_list, EmailAddress=stays)["TopicPreferences"]
    assert prefs == [{"TopicName": "news", "SubscriptionStatus": "OPT_OUT"}]
    again = f"news-{uuid.uuid4().hex[:6]}"
    mid = v2.send_email(FromEmailAddress=sender, Destination={"ToAddresses": [stays]}, ListManagementOptions=options,
                        Content={"Simple": {"Subject": {"Data": again}, "Body": {"Text": {"Data": "hello"}}}})["MessageId"]
    assert [m["status"] for m in ses.sent(stays) if m["id"] == mid] == ["Unsubscribed"]
    assert link in mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    with pytest.raises(urllib.error.HTTPError) as bad:
        urllib.request.urlopen(link.replace("code=", "code=0"), timeout=10)
    assert bad.value.code == 400


def test_an_unsubscribed_recipient_bounces_through_the_configuration_set(ses: SesGureum, contact_list: str) -> None:
    v1, v2, sns, sqs = ses.client("ses"), ses.client("sesv2"), ses.client("sns"), ses.client("sqs")
    sender, left = _addr("bfrom"), _addr("gone")
    for a in (sender, left):
        verify_address(ses, a)
    v2.create_contact(ContactListName=contact_list, EmailAddress=left, UnsubscribeAll=True)
    topic = sns.create_topic(Name=f"unsub-{uuid.uuid4().hex[:6]}")["TopicArn"]
    url = sqs.create_queue(QueueName=f"unsub-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    cs = f"unsub-{uuid.uuid4().hex[:6]}"
    v1.create_configuration_set(ConfigurationSet={"Name": cs})
    v1.create_configuration_set_event_destination(ConfigurationSetName=cs, EventDestination={
        "Name": "bounces", "Enabled": True, "MatchingEventTypes": ["bounce"], "SNSDestination": {"TopicARN": topic}})
    template = f"tpl-{uuid.uuid4().hex[:6]}"
    v2.create_email_template(TemplateName=template, TemplateContent={
        "Subject": "Hi {{name}}", "Text": "Bye: {{amazonSESUnsubscribeUrl}}"})
    mid = v2.send_email(FromEmailAddress=sender, Destination={"ToAddresses": [left]}, ConfigurationSetName=cs,
                        ListManagementOptions={"ContactListName": contact_list},
                        Content={"Template": {"TemplateName": template, "TemplateData": '{"name": "Ann"}'}})["MessageId"]
    found: list[dict[str, Any]] = []

    def bounced() -> bool:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            found.append(json.loads(json.loads(m["Body"])["Message"]))
        return any(e["mail"]["messageId"] == mid for e in found)

    wait_for("the unsubscribed recipient's Bounce", bounced, 30)
    event = next(e for e in found if e["mail"]["messageId"] == mid)
    assert event["eventType"] == "Bounce"
    assert event["bounce"]["bounceSubType"] == "UnsubscribedRecipient"
    assert [r["emailAddress"] for r in event["bounce"]["bouncedRecipients"]] == [left]
    kept = [m for m in ses.sent(left) if m["id"] == mid][0]
    assert kept["status"] == "Unsubscribed" and "/_gureum/ses/unsubscribe?" in kept["body"]["text"]

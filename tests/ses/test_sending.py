"""SES sending through boto3 (v1 and v2): the sandbox's rules with AWS's MessageRejected
wording, every sent message kept and listed at /_gureum/ses and relayed to the SMTP server
`ses.relay` names, raw MIME parsed (Bcc not sent), templates rendered Handlebars-style and
shared by both API versions, configuration sets, the quota, ids in AWS's shape."""

from __future__ import annotations

import email
import json
import re
import uuid
from email import policy
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any

import pytest
from waiting import wait_for

from ses.ses_helpers import SesGureum
from ses.test_identities import verify_address

MESSAGE_ID = re.compile(r"0100[0-9a-f]{12}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-000000")


def _addr(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:8]}@example.org"


@pytest.fixture(scope="module")
def pair(ses: SesGureum) -> tuple[str, str]:
    sender, rcpt = _addr("from"), _addr("to")
    verify_address(ses, sender)
    verify_address(ses, rcpt)
    return sender, rcpt


def _relayed(ses: SesGureum, rcpt: str, subject: str) -> email.message.EmailMessage:
    found: list[bytes] = []

    def arrived() -> bool:
        found[:] = [data for _, rcpts, data in ses.inbox.mails if rcpt in rcpts and subject.encode() in data]
        return bool(found)

    wait_for(f"{subject!r} relayed to {rcpt}", arrived, 15)
    return email.message_from_bytes(found[-1], policy=policy.default)  # type: ignore[return-value]


def test_sandbox_refuses_unverified_sender_and_recipients_with_aws_message(ses: SesGureum, pair: tuple[str, str]) -> None:
    client = ses.client("ses")
    sender, rcpt = pair
    stranger = _addr("stranger")
    with pytest.raises(client.exceptions.MessageRejected) as err:
        client.send_email(Source=sender, Destination={"ToAddresses": [rcpt, stranger]},
                          Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}})
    assert err.value.response["Error"]["Message"] == (
        "Email address is not verified. The following identities failed the check in region US-EAST-1: " + stranger)
    unverified_sender = _addr("nobody")
    with pytest.raises(client.exceptions.MessageRejected) as err:
        client.send_email(Source=unverified_sender, Destination={"ToAddresses": [rcpt]},
                          Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}})
    assert unverified_sender in err.value.response["Error"]["Message"]
    v2 = ses.client("sesv2")
    with pytest.raises(v2.exceptions.MessageRejected):
        v2.send_email(FromEmailAddress=sender, Destination={"ToAddresses": [stranger]},
                      Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}})
    assert not ses.sent(stranger)  # nothing refused was kept


def test_send_email_is_kept_listed_and_relayed(ses: SesGureum, pair: tuple[str, str]) -> None:
    client = ses.client("ses")
    sender, rcpt = pair
    subject = f"hello {uuid.uuid4().hex[:6]}"
    mid = client.send_email(Source=f"Sender Name <{sender}>", Destination={"ToAddresses": [rcpt]},
                            Message={"Subject": {"Data": subject},
                                     "Body": {"Text": {"Data": "plain body"}, "Html": {"Data": "<b>html body</b>"}}},
                            ReplyToAddresses=[sender])["MessageId"]
    assert MESSAGE_ID.fullmatch(mid)
    kept = [m for m in ses.sent(rcpt) if m["id"] == mid]
    assert len(kept) == 1
    m = kept[0]
    assert m["source"] == f"Sender Name <{sender}>" and m["destination"] == [rcpt] and m["subject"] == subject
    assert m["body"] == {"text": "plain body", "html": "<b>html body</b>"}
    assert f"<{mid}@email.amazonses.com>" in m["raw"]
    relayed = _relayed(ses, rcpt, subject)
    assert relayed["Message-ID"] == f"<{mid}@email.amazonses.com>"
    assert relayed.get_body(preferencelist=("plain",)).get_content().strip() == "plain body"  # type: ignore[union-attr]
    envelope = [s for s, rcpts, data in ses.inbox.mails if subject.encode() in data][-1]
    assert envelope == sender
    quota = client.get_send_quota()
    assert quota["Max24HourSend"] == 200.0 and quota["SentLast24Hours"] >= 1.0


def test_send_raw_email_reads_the_mime_headers_and_drops_bcc(ses: SesGureum, pair: tuple[str, str]) -> None:
    client = ses.client("ses")
    sender, rcpt = pair
    hidden = _addr("bcc")
    verify_address(ses, hidden)
    subject = f"raw {uuid.uuid4().hex[:6]}"
    msg = MIMEMultipart("mixed")
    msg["From"], msg["To"], msg["Bcc"], msg["Subject"] = sender, rcpt, hidden, subject
    msg.attach(MIMEText("raw text body", "plain"))
    mid = client.send_raw_email(RawMessage={"Data": msg.as_bytes()})["MessageId"]
    kept = [m for m in ses.sent(hidden) if m["id"] == mid][0]
    assert kept["destination"] == [rcpt, hidden] and kept["subject"] == subject
    assert kept["body"]["text"].strip() == "raw text body"
    assert "Bcc" not in kept["raw"] and hidden not in kept["raw"]
    relayed = _relayed(ses, hidden, subject)
    assert relayed["Bcc"] is None
    with pytest.raises(client.exceptions.ClientError) as bad:
        client.send_raw_email(RawMessage={"Data": b"Subject: no from\r\n\r\nbody"})
    assert bad.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_templates_render_handlebars_and_are_shared_by_v1_and_v2(ses: SesGureum, pair: tuple[str, str]) -> None:
    client, v2 = ses.client("ses"), ses.client("sesv2")
    sender, rcpt = pair
    name = f"welcome-{uuid.uuid4().hex[:6]}"
    client.create_template(Template={
        "TemplateName": name, "SubjectPart": "Hello {{name}}",
        "TextPart": "Dear {{name}},{{#if vip}} VIP{{/if}} items:{{#each items}} {{this}}{{/each}}.",
        "HtmlPart": "<p>{{name}}</p>"})
    with pytest.raises(client.exceptions.AlreadyExistsException):
        client.create_template(Template={"TemplateName": name, "SubjectPart": "x"})
    got = v2.get_email_template(TemplateName=name)
    assert got["TemplateContent"]["Subject"] == "Hello {{name}}"
    data = {"name": "Kim <3", "vip": True, "items": ["a", "b"]}
    mid = client.send_templated_email(Source=sender, Destination={"ToAddresses": [rcpt]}, Template=name,
                                      TemplateData=json.dumps(data))["MessageId"]
    m = [x for x in ses.sent(rcpt) if x["id"] == mid][0]
    assert m["subject"] == "Hello Kim <3"
    assert m["body"]["text"] == "Dear Kim <3, VIP items: a b."
    assert m["body"]["html"] == "<p>Kim &lt;3</p>"
    rendered = client.test_render_template(TemplateName=name, TemplateData=json.dumps(data))["RenderedTemplate"]
    assert "Subject: Hello Kim <3" in rendered
    with pytest.raises(client.exceptions.MissingRenderingAttributeException):
        client.test_render_template(TemplateName=name, TemplateData="{}")
    mid2 = v2.send_email(FromEmailAddress=sender, Destination={"ToAddresses": [rcpt]},
                         Content={"Template": {"TemplateName": name, "TemplateData": json.dumps({"name": "Lee", "items": []})}})["MessageId"]
    m2 = [x for x in ses.sent(rcpt) if x["id"] == mid2][0]
    assert m2["subject"] == "Hello Lee" and m2["body"]["text"] == "Dear Lee, items:."
    bulk = client.send_bulk_templated_email(
        Source=sender, Template=name, DefaultTemplateData=json.dumps({"name": "friend", "items": []}),
        Destinations=[{"Destination": {"ToAddresses": [rcpt]}, "ReplacementTemplateData": json.dumps({"name": "Park"})},
                      {"Destination": {"ToAddresses": [_addr("unverified")]}}])["Status"]
    assert bulk[0]["Status"] == "Success" and MESSAGE_ID.fullmatch(bulk[0]["MessageId"])
    assert bulk[1]["Status"] == "MessageRejected"
    assert [x for x in ses.sent(rcpt) if x["id"] == bulk[0]["MessageId"]][0]["subject"] == "Hello Park"
    names = [t["Name"] for t in client.list_templates()["TemplatesMetadata"]]
    assert name in names
    v2.delete_email_template(TemplateName=name)
    with pytest.raises(client.exceptions.TemplateDoesNotExistException):
        client.get_template(TemplateName=name)
    with pytest.raises(client.exceptions.TemplateDoesNotExistException):
        client.send_templated_email(Source=sender, Destination={"ToAddresses": [rcpt]}, Template=name, TemplateData="{}")


def test_v2_send_email_simple_and_raw(ses: SesGureum, pair: tuple[str, str]) -> None:
    v2 = ses.client("sesv2")
    sender, rcpt = pair
    subject = f"v2 {uuid.uuid4().hex[:6]}"
    mid = v2.send_email(FromEmailAddress=sender, Destination={"ToAddresses": [rcpt]},
                        Content={"Simple": {"Subject": {"Data": subject}, "Body": {"Html": {"Data": "<i>hi</i>"}}}})["MessageId"]
    assert MESSAGE_ID.fullmatch(mid)
    _relayed(ses, rcpt, subject)
    raw = f"From: {sender}\r\nTo: {rcpt}\r\nSubject: {subject} raw\r\n\r\nraw v2\r\n".encode()
    mid2 = v2.send_email(Content={"Raw": {"Data": raw}})["MessageId"]
    assert [x for x in ses.sent(rcpt) if x["id"] == mid2][0]["subject"] == f"{subject} raw"
    account = v2.get_account()
    assert account["ProductionAccessEnabled"] is False and account["SendQuota"]["Max24HourSend"] == 200.0


def test_configuration_sets_must_exist_and_can_pause_sending(ses: SesGureum, pair: tuple[str, str]) -> None:
    client, v2 = ses.client("ses"), ses.client("sesv2")
    sender, rcpt = pair
    message = {"Subject": {"Data": "cs"}, "Body": {"Text": {"Data": "b"}}}
    with pytest.raises(client.exceptions.ConfigurationSetDoesNotExistException):
        client.send_email(Source=sender, Destination={"ToAddresses": [rcpt]}, Message=message, ConfigurationSetName="nope")
    name = f"cs-{uuid.uuid4().hex[:6]}"
    client.create_configuration_set(ConfigurationSet={"Name": name})
    with pytest.raises(client.exceptions.ConfigurationSetAlreadyExistsException):
        client.create_configuration_set(ConfigurationSet={"Name": name})
    with pytest.raises(v2.exceptions.AlreadyExistsException):
        v2.create_configuration_set(ConfigurationSetName=name)
    assert name in v2.list_configuration_sets()["ConfigurationSets"]
    assert v2.get_configuration_set(ConfigurationSetName=name)["SendingOptions"]["SendingEnabled"] is True
    mid = client.send_email(Source=sender, Destination={"ToAddresses": [rcpt]}, Message=message,
                            ConfigurationSetName=name)["MessageId"]
    assert [x for x in ses.sent(rcpt) if x["id"] == mid][0]["configuration_set"] == name
    client.update_configuration_set_sending_enabled(ConfigurationSetName=name, Enabled=False)
    with pytest.raises(client.exceptions.ConfigurationSetSendingPausedException):
        client.send_email(Source=sender, Destination={"ToAddresses": [rcpt]}, Message=message, ConfigurationSetName=name)
    client.delete_configuration_set(ConfigurationSetName=name)
    with pytest.raises(v2.exceptions.NotFoundException):
        v2.get_configuration_set(ConfigurationSetName=name)


def test_more_than_fifty_recipients_are_refused(ses: SesGureum, pair: tuple[str, str]) -> None:
    client = ses.client("ses")
    sender, _ = pair
    with pytest.raises(client.exceptions.ClientError) as err:
        client.send_email(Source=sender, Destination={"ToAddresses": [_addr(f"r{i}") for i in range(51)]},
                          Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}})
    assert err.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert err.value.response["Error"]["Message"] == "Recipient count exceeds 50."


def test_sent_recipients_are_billed_per_the_price_list(ses: SesGureum, pair: tuple[str, str]) -> None:
    from datetime import UTC, datetime, timedelta

    client = ses.client("ses")
    sender, rcpt = pair
    client.send_email(Source=sender, Destination={"ToAddresses": [rcpt], "CcAddresses": [sender]},
                      Message={"Subject": {"Data": "billed"}, "Body": {"Text": {"Data": "b"}}})
    sent = client.get_send_quota()["SentLast24Hours"]
    now = datetime.now(UTC)
    period = {"Start": now.strftime("%Y-%m-%d"), "End": (now + timedelta(days=1)).strftime("%Y-%m-%d")}
    ce = ses.client("ce")
    found: dict[str, Any] = {}

    def billed() -> bool:
        out = ce.get_cost_and_usage(TimePeriod=period, Granularity="DAILY", Metrics=["UsageQuantity", "UnblendedCost"],
                                    GroupBy=[{"Type": "DIMENSION", "Key": "USAGE_TYPE"}])
        found.clear()
        found.update({g["Keys"][0]: g["Metrics"] for g in out["ResultsByTime"][0]["Groups"]})
        return "USE1-Recipients" in found and float(found["USE1-Recipients"]["UsageQuantity"]["Amount"]) == sent

    wait_for("the sent recipients in Cost Explorer", billed, 20)
    assert float(found["USE1-Recipients"]["UnblendedCost"]["Amount"]) == pytest.approx(sent * 0.10 / 1000, abs=1e-10)


def test_sent_messages_and_identities_survive_a_restart(ses: SesGureum, pair: tuple[str, str]) -> None:
    client = ses.client("ses")
    sender, rcpt = pair
    mid = client.send_email(Source=sender, Destination={"ToAddresses": [rcpt]},
                            Message={"Subject": {"Data": "durable"}, "Body": {"Text": {"Data": "b"}}})["MessageId"]
    ses.g.restart()
    assert any(m["id"] == mid for m in ses.sent(rcpt))
    attrs = ses.client("ses").get_identity_verification_attributes(Identities=[sender])["VerificationAttributes"]
    assert attrs[sender]["VerificationStatus"] == "Success"

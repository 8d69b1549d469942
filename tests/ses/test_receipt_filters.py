"""Receipt IP address filters through boto3 and smtplib against a real gureum: the API answers
AWS's shapes and errors (AlreadyExists, LimitExceeded at 100, a bad CIDR or name refused, a
missing filter's deletion a success); inbound mail from a blocked address is refused at RCPT
with 554, an Allow filter covering it overrides the block (the mail is delivered to the rule's
actions), and removing the filters takes mail again."""

from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage

import pytest
from botocore.exceptions import ClientError

from ses.ses_helpers import SesGureum


def _code(call: object) -> str:
    with pytest.raises(ClientError) as e:
        call()  # type: ignore[operator]
    return str(e.value.response["Error"]["Code"])


def _mail(ses: SesGureum, to: str, subject: str) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "sender@example.org", to, subject
    msg.set_content("filtered body")
    with smtplib.SMTP("127.0.0.1", ses.smtp_port, timeout=30) as smtp:
        smtp.send_message(msg, from_addr="sender@example.org", to_addrs=[to])


def test_filter_api_shapes_and_errors(ses: SesGureum) -> None:
    account = f"{uuid.uuid4().int % 10**12:012d}"  # a fresh account: the quota counts all its filters
    client = ses.client("ses", aws_access_key_id=account, aws_secret_access_key="x")
    client.create_receipt_filter(Filter={"Name": "office", "IpFilter": {"Policy": "Allow", "Cidr": "10.0.0.1/24"}})
    client.create_receipt_filter(Filter={"Name": "one-host", "IpFilter": {"Policy": "Block", "Cidr": "192.0.2.7"}})
    assert sorted(client.list_receipt_filters()["Filters"], key=lambda f: f["Name"]) == [
        {"Name": "office", "IpFilter": {"Policy": "Allow", "Cidr": "10.0.0.1/24"}},
        {"Name": "one-host", "IpFilter": {"Policy": "Block", "Cidr": "192.0.2.7"}}]
    assert _code(lambda: client.create_receipt_filter(
        Filter={"Name": "office", "IpFilter": {"Policy": "Block", "Cidr": "10.9.0.0/16"}})) == "AlreadyExists"
    assert _code(lambda: client.create_receipt_filter(
        Filter={"Name": "bad", "IpFilter": {"Policy": "Block", "Cidr": "10.0.0.300"}})) == "InvalidParameterValue"
    assert _code(lambda: client.create_receipt_filter(
        Filter={"Name": "v6", "IpFilter": {"Policy": "Block", "Cidr": "2001:db8::/32"}})) == "InvalidParameterValue"
    assert _code(lambda: client.create_receipt_filter(
        Filter={"Name": "-dash", "IpFilter": {"Policy": "Block", "Cidr": "10.0.0.0/8"}})) == "InvalidParameterValue"
    client.delete_receipt_filter(FilterName="never-made")  # no error modeled: a success
    client.delete_receipt_filter(FilterName="one-host")
    assert [f["Name"] for f in client.list_receipt_filters()["Filters"]] == ["office"]

    for i in range(99):
        client.create_receipt_filter(Filter={"Name": f"f{i}", "IpFilter": {"Policy": "Block", "Cidr": f"10.1.{i}.0/24"}})
    assert _code(lambda: client.create_receipt_filter(
        Filter={"Name": "one-more", "IpFilter": {"Policy": "Block", "Cidr": "10.2.0.0/16"}})) == "LimitExceeded"
    assert len(client.list_receipt_filters()["Filters"]) == 100


def test_blocked_senders_are_refused_unless_allowed(ses: SesGureum) -> None:
    client = ses.client("ses")
    s3 = ses.client("s3")
    domain = f"flt{uuid.uuid4().hex[:8]}.example.com"
    bucket = f"filtered-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    rule_set = f"set-{uuid.uuid4().hex[:6]}"
    client.create_receipt_rule_set(RuleSetName=rule_set)
    client.create_receipt_rule(RuleSetName=rule_set, Rule={"Name": "keep", "Enabled": True, "Recipients": [domain],
                                                           "Actions": [{"S3Action": {"BucketName": bucket}}]})
    client.set_active_receipt_rule_set(RuleSetName=rule_set)
    try:
        client.create_receipt_filter(Filter={"Name": "everyone", "IpFilter": {"Policy": "Block", "Cidr": "0.0.0.0/0"}})
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            _mail(ses, f"desk@{domain}", "blocked")
        assert refused.value.recipients[f"desk@{domain}"][0] == 554
        assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0

        # an allow list overrides the block list
        client.create_receipt_filter(Filter={"Name": "loopback", "IpFilter": {"Policy": "Allow", "Cidr": "127.0.0.0/8"}})
        _mail(ses, f"desk@{domain}", "allowed")
        assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 1  # delivered before the 250

        client.delete_receipt_filter(FilterName="loopback")
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            _mail(ses, f"desk@{domain}", "blocked again")
        client.delete_receipt_filter(FilterName="everyone")
        _mail(ses, f"desk@{domain}", "open again")
        assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 2
    finally:
        for f in client.list_receipt_filters()["Filters"]:
            client.delete_receipt_filter(FilterName=f["Name"])
        client.set_active_receipt_rule_set()

"""SNS text messages through boto3: Publish with PhoneNumber recorded at /_gureum/sns/messages
with its type and sender, SMS attributes, sandbox destination numbers verified with the OTP read
from the recorded messages, opt-outs (a handset's STOP reply), OptInPhoneNumber's 30-day rule,
a topic's sms subscription, origination numbers; and an account in the SMS sandbox
(`--set sns.sms_sandbox=true`) reaching only verified numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError
from harness import GureumProcess

from sns.sns_outbox import account, messages, reply


@pytest.fixture
def acct_sns(gureum):  # type: ignore[no-untyped-def]
    acct = account()
    return acct, gureum.client("sns", aws_access_key_id=acct)


def error_of(fn, **kw) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as e:
        fn(**kw)
    return dict(e.value.response["Error"])


def test_publish_to_a_phone_number_is_recorded_with_attributes(gureum, acct_sns) -> None:  # type: ignore[no-untyped-def]
    acct, sns = acct_sns
    sns.set_sms_attributes(attributes={"DefaultSMSType": "Transactional", "DefaultSenderID": "Gureum"})
    assert sns.get_sms_attributes()["attributes"] == {"DefaultSMSType": "Transactional", "DefaultSenderID": "Gureum"}
    assert sns.get_sms_attributes(attributes=["DefaultSMSType"])["attributes"] == {"DefaultSMSType": "Transactional"}
    assert error_of(sns.set_sms_attributes, attributes={"DefaultSMSType": "Urgent"})["Code"] == "InvalidParameter"
    assert error_of(sns.set_sms_attributes, attributes={"Nonsense": "1"})["Code"] == "InvalidParameter"

    mid = sns.publish(PhoneNumber="+15555550100", Message="your code is 1234")["MessageId"]
    mid2 = sns.publish(PhoneNumber="+15555550100", Message="sale!", MessageAttributes={
        "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Promotional"},
        "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": "Shop"}})["MessageId"]
    got = messages(gureum.endpoint, account=acct, kind="sms")
    assert [(m["MessageId"], m["PhoneNumber"], m["Message"], m["SMSType"], m.get("SenderID"), m["Status"]) for m in got] == [
        (mid, "+15555550100", "your code is 1234", "Transactional", "Gureum", "SUCCESS"),
        (mid2, "+15555550100", "sale!", "Promotional", "Shop", "SUCCESS"),
    ]
    assert error_of(sns.publish, PhoneNumber="+1a234", Message="m")["Code"] == "InvalidParameter"
    assert sns.get_sms_sandbox_account_status()["IsInSandbox"] is False  # gureum's default: out of the sandbox
    assert sns.list_origination_numbers()["PhoneNumbers"] == []

    # a topic's sms subscription is confirmed at once and gets the topic's messages
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+15555550101")["SubscriptionArn"]
    assert sub != "pending confirmation"
    mid3 = sns.publish(TopicArn=topic, Message="alert")["MessageId"]
    assert [(m["PhoneNumber"], m["Message"]) for m in messages(gureum.endpoint, account=acct, kind="sms")
            if m["MessageId"] == mid3] == [("+15555550101", "alert")]


def test_opt_out_by_reply_and_opt_in_once_in_30_days(gureum, acct_sns) -> None:  # type: ignore[no-untyped-def]
    acct, sns = acct_sns
    number = "+15555550123"
    assert sns.check_if_phone_number_is_opted_out(phoneNumber=number)["isOptedOut"] is False
    assert reply(gureum.endpoint, acct, number, "hello")["optedOut"] is False
    assert reply(gureum.endpoint, acct, number, "stop")["optedOut"] is True
    assert sns.check_if_phone_number_is_opted_out(phoneNumber=number)["isOptedOut"] is True
    assert sns.list_phone_numbers_opted_out()["phoneNumbers"] == [number]
    # a message to an opted-out number: Publish succeeds, the delivery fails as AWS logs it
    mid = sns.publish(PhoneNumber=number, Message="hi")["MessageId"]
    [m] = [m for m in messages(gureum.endpoint, account=acct, kind="sms") if m["MessageId"] == mid]
    assert (m["Status"], m["ProviderResponse"]) == ("FAILURE", "Phone is currently opted out")

    sns.opt_in_phone_number(phoneNumber=number)
    assert sns.check_if_phone_number_is_opted_out(phoneNumber=number)["isOptedOut"] is False
    assert sns.list_phone_numbers_opted_out()["phoneNumbers"] == []
    reply(gureum.endpoint, acct, number, "UNSUBSCRIBE")
    err = error_of(sns.opt_in_phone_number, phoneNumber=number)  # twice in 30 days: refused
    assert err["Code"] == "InvalidParameter" and "30 days" in err["Message"]
    assert sns.check_if_phone_number_is_opted_out(phoneNumber=number)["isOptedOut"] is True
    assert error_of(sns.check_if_phone_number_is_opted_out, phoneNumber="12")["Code"] == "InvalidParameter"


def _otp(endpoint: str, acct: str, number: str) -> str:
    texts = [m["Message"] for m in messages(endpoint, account=acct, kind="sms") if m["PhoneNumber"] == number]
    found = re.search(r"\b(\d{6})\b", texts[-1])
    assert found is not None
    return found.group(1)


def test_sandbox_numbers_verified_with_the_recorded_otp(gureum, acct_sns) -> None:  # type: ignore[no-untyped-def]
    acct, sns = acct_sns
    number = "+15555550140"
    sns.create_sms_sandbox_phone_number(PhoneNumber=number, LanguageCode="en-US")
    assert sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"] == [{"PhoneNumber": number, "Status": "Pending"}]
    otp = _otp(gureum.endpoint, acct, number)
    wrong = "000000" if otp != "000000" else "111111"
    err = error_of(sns.verify_sms_sandbox_phone_number, PhoneNumber=number, OneTimePassword=wrong)
    assert err["Code"] == "VerificationException"
    sns.verify_sms_sandbox_phone_number(PhoneNumber=number, OneTimePassword=otp)
    assert sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"] == [{"PhoneNumber": number, "Status": "Verified"}]
    # deleted only 24 hours after the last verification (attempt), as AWS documents
    assert error_of(sns.delete_sms_sandbox_phone_number, PhoneNumber=number)["Code"] == "UserError"
    assert error_of(sns.verify_sms_sandbox_phone_number, PhoneNumber="+15555550999", OneTimePassword="123456")["Code"] == "ResourceNotFound"

    # a pending number may be sent a new OTP, five times a day
    for _ in range(4):
        sns.create_sms_sandbox_phone_number(PhoneNumber="+15555550142")
    assert sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"][1] == {"PhoneNumber": "+15555550142", "Status": "Pending"}
    sns.create_sms_sandbox_phone_number(PhoneNumber="+15555550142")
    assert error_of(sns.create_sms_sandbox_phone_number, PhoneNumber="+15555550142")["Code"] == "Throttled"
    sns.delete_sms_sandbox_phone_number(PhoneNumber="+15555550142")
    # a number never tried can go at once; at most 10 numbers
    sns.create_sms_sandbox_phone_number(PhoneNumber="+15555550141")
    sns.delete_sms_sandbox_phone_number(PhoneNumber="+15555550141")
    for i in range(9):
        sns.create_sms_sandbox_phone_number(PhoneNumber=f"+1555555016{i}")
    assert error_of(sns.create_sms_sandbox_phone_number, PhoneNumber="+15555550199")["Code"] == "UserError"
    pages = sns.get_paginator("list_sms_sandbox_phone_numbers").paginate(PaginationConfig={"PageSize": 3})
    assert len([n for p in pages for n in p["PhoneNumbers"]]) == 10


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("sandboxed") / "data", extra_args=["--set", "sns.sms_sandbox=true"])
    proc.start()
    yield proc
    proc.stop()


def test_an_account_in_the_sandbox_reaches_only_verified_numbers(sandboxed) -> None:  # type: ignore[no-untyped-def]
    acct = account()
    sns = sandboxed.client("sns", aws_access_key_id=acct)
    assert sns.get_sms_sandbox_account_status()["IsInSandbox"] is True
    verified, other = "+15555550150", "+15555550151"
    sns.create_sms_sandbox_phone_number(PhoneNumber=verified)
    sns.verify_sms_sandbox_phone_number(PhoneNumber=verified, OneTimePassword=_otp(sandboxed.endpoint, acct, verified))
    ok = sns.publish(PhoneNumber=verified, Message="to a verified number")["MessageId"]
    refused = sns.publish(PhoneNumber=other, Message="to another")["MessageId"]  # accepted, not delivered
    status = {m["MessageId"]: m["Status"] for m in messages(sandboxed.endpoint, account=acct, kind="sms")}
    assert (status[ok], status[refused]) == ("SUCCESS", "FAILURE")


def test_recorded_messages_are_operator_only_in_strict_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Attack: in a shared cloud, a tenant reads another's SMS (and its sandbox OTPs) or opts
    its numbers out through gureum's own endpoints: refused without an operator's signature."""
    import urllib.error
    import urllib.request

    proc = GureumProcess(tmp_path / "data", ["--auth", "strict", "--set", "auth.keys=rootkey:rootsecret:111122223333"])
    proc.start()
    try:
        sns = proc.client("sns", aws_access_key_id="rootkey", aws_secret_access_key="rootsecret")
        sns.publish(PhoneNumber="+15555550177", Message="secret code 424242")
        for req in (urllib.request.Request(f"{proc.endpoint}/_gureum/sns/messages"),
                    urllib.request.Request(f"{proc.endpoint}/_gureum/sns/sms-replies", method="POST",
                                           data=b'{"PhoneNumber": "+15555550177", "Message": "STOP"}')):
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(req, timeout=10)
            assert e.value.code == 403 and b"424242" not in e.value.read()
        assert sns.check_if_phone_number_is_opted_out(phoneNumber="+15555550177")["isOptedOut"] is False
    finally:
        proc.stop()

"""SNS data protection policies through boto3: stored and read back, refused when malformed,
and applied to Publish: Deny refuses a message carrying an e-mail address, Deidentify masks
a credit card number before an SQS subscriber gets it, Audit writes findings to a CloudWatch
Logs group."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

IDENT = "arn:aws:dataprotection::aws:data-identifier/"


def policy(*statements: dict) -> str:  # type: ignore[type-arg]
    return json.dumps({"Name": "p", "Version": "2021-06-01", "Statement": list(statements)})


def stmt(op: dict, *idents: str) -> dict:  # type: ignore[type-arg]
    return {"DataDirection": "Inbound", "Principal": ["*"], "DataIdentifier": [IDENT + i for i in idents], "Operation": op}


def test_policies_are_checked_stored_and_read_back(gureum) -> None:  # type: ignore[no-untyped-def]
    sns = gureum.client("sns")
    topic = sns.create_topic(Name=f"dp-{uuid.uuid4().hex[:8]}")["TopicArn"]
    assert "DataProtectionPolicy" not in sns.get_data_protection_policy(ResourceArn=topic)
    text = policy(stmt({"Deny": {}}, "EmailAddress"))
    sns.put_data_protection_policy(ResourceArn=topic, DataProtectionPolicy=text)
    assert sns.get_data_protection_policy(ResourceArn=topic)["DataProtectionPolicy"] == text
    for bad in ("{", policy(), policy(stmt({"Deny": {}, "Audit": {}}, "EmailAddress")),
                policy(stmt({"Deny": {}}, "SomethingGureumCannotFind"))):
        with pytest.raises(ClientError) as e:
            sns.put_data_protection_policy(ResourceArn=topic, DataProtectionPolicy=bad)
        assert e.value.response["Error"]["Code"] == "InvalidParameter"
    with pytest.raises(ClientError) as e:
        sns.get_data_protection_policy(ResourceArn=topic + "-gone")
    assert e.value.response["Error"]["Code"] == "NotFound"
    sns.put_data_protection_policy(ResourceArn=topic, DataProtectionPolicy="")  # removes it
    assert "DataProtectionPolicy" not in sns.get_data_protection_policy(ResourceArn=topic)


def test_deny_deidentify_and_audit_apply_to_publish(gureum) -> None:  # type: ignore[no-untyped-def]
    sns, sqs, logs = gureum.client("sns"), gureum.client("sqs"), gureum.client("logs")
    group = f"/aws/vendedlogs/dp-{uuid.uuid4().hex[:8]}"
    text = policy(
        stmt({"Deny": {}}, "EmailAddress"),
        stmt({"Deidentify": {"MaskConfig": {"MaskWithCharacter": "#"}}}, "CreditCardNumber"),
        stmt({"Audit": {"SampleRate": "99", "FindingsDestination": {"CloudWatchLogs": {"LogGroup": group}}}}, "CreditCardNumber"),
    )
    topic = sns.create_topic(Name=f"dp-{uuid.uuid4().hex[:8]}", DataProtectionPolicy=text)["TopicArn"]
    assert sns.get_data_protection_policy(ResourceArn=topic)["DataProtectionPolicy"] == text
    url = sqs.create_queue(QueueName=f"dp-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})

    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=topic, Message="write to alice@example.com")
    assert e.value.response["Error"]["Code"] == "AuthorizationError"
    for _ in range(5):  # audited at 99 %: five messages leave no finding unwritten but once in 10^10
        sns.publish(TopicArn=topic, Message="card 4111 1111 1111 1111 ok")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=5)["Messages"]
    assert {m["Body"] for m in got} == {"card ################### ok"}

    def findings() -> list[dict]:  # type: ignore[type-arg]
        try:
            events = logs.filter_log_events(logGroupName=group)["events"]
        except ClientError:
            return []
        return [json.loads(ev["message"]) for ev in events]

    wait_for("an audit finding in the log group", lambda: bool(findings()), timeout=30, interval=0.2)
    first = findings()[0]
    assert first["topicArn"] == topic and first["auditFindings"][0]["dataIdentifier"] == IDENT + "CreditCardNumber"

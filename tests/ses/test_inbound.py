"""Inbound mail: smtplib sends into gureum's SMTP server; the active receipt rule set's rules
run their actions in order (AddHeader, S3, SNS with AWS's notification content, Lambda with
AWS's SES event and a STOP_RULE_SET disposition, Bounce, Stop); recipients no rule matches
are refused with 550; the receipt rule API answers AWS's errors."""

from __future__ import annotations

import io
import json
import smtplib
import uuid
import zipfile
from email.message import EmailMessage
from typing import Any

import pytest
from waiting import wait_for

from ses.ses_helpers import SesGureum


def _domain() -> str:
    return f"in{uuid.uuid4().hex[:8]}.example.com"


def _mail(ses: SesGureum, sender: str, to: list[str], subject: str, body: str = "inbound body") -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, ", ".join(to), subject
    msg.set_content(body)
    with smtplib.SMTP("127.0.0.1", ses.smtp_port, timeout=30) as smtp:
        smtp.send_message(msg, from_addr=sender, to_addrs=to)


def _activate(ses: SesGureum, rules: list[dict[str, Any]]) -> str:
    client = ses.client("ses")
    name = f"set-{uuid.uuid4().hex[:6]}"
    client.create_receipt_rule_set(RuleSetName=name)
    after = None
    for rule in rules:
        client.create_receipt_rule(RuleSetName=name, Rule=rule, **({"After": after} if after else {}))
        after = rule["Name"]
    client.set_active_receipt_rule_set(RuleSetName=name)
    return name


def _bucket(ses: SesGureum) -> str:
    name = f"mail-{uuid.uuid4().hex[:8]}"
    ses.client("s3").create_bucket(Bucket=name)
    return name


def _objects(ses: SesGureum, bucket: str, prefix: str = "") -> list[str]:
    return [o["Key"] for o in ses.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]


def test_recipients_no_rule_matches_are_refused_with_550(ses: SesGureum) -> None:
    domain = _domain()
    _activate(ses, [{"Name": "only", "Enabled": True, "Recipients": [f"known@{domain}"],
                     "Actions": [{"S3Action": {"BucketName": _bucket(ses)}}]}])
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        _mail(ses, "a@example.org", [f"unknown@{domain}"], "nobody home")
    assert refused.value.recipients[f"unknown@{domain}"][0] == 550


def test_rule_actions_run_in_order_s3_then_sns_with_the_content(ses: SesGureum) -> None:
    domain = _domain()
    bucket = _bucket(ses)
    sns, sqs = ses.client("sns"), ses.client("sqs")
    topic = sns.create_topic(Name=f"inbound-{uuid.uuid4().hex[:6]}")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"inbound-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    _activate(ses, [{"Name": "store", "Enabled": True, "Recipients": [domain], "Actions": [
        {"AddHeaderAction": {"HeaderName": "X-Gureum-Rule", "HeaderValue": "store"}},
        {"S3Action": {"BucketName": bucket, "ObjectKeyPrefix": "in/"}},
        {"SNSAction": {"TopicArn": topic, "Encoding": "UTF-8"}}]}])
    subject = f"inbound {uuid.uuid4().hex[:6]}"
    _mail(ses, "sender@example.org", [f"desk@{domain}"], subject)
    # the message was delivered to its actions before the server said 250
    keys = _objects(ses, bucket, "in/")
    assert len(keys) == 1
    raw = ses.client("s3").get_object(Bucket=bucket, Key=keys[0])["Body"].read().decode()
    assert raw.startswith("X-Gureum-Rule: store\r\n") and subject in raw and "inbound body" in raw
    got: list[dict[str, Any]] = []

    def notified() -> bool:
        got.extend(sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", []))
        return bool(got)

    wait_for("the SNS notification", notified, 20)
    note = json.loads(got[0]["Body"])
    assert note["notificationType"] == "Received"
    assert note["mail"]["source"] == "sender@example.org" and note["mail"]["destination"] == [f"desk@{domain}"]
    assert note["mail"]["commonHeaders"]["subject"] == subject
    assert keys[0] == "in/" + note["mail"]["messageId"]
    assert note["receipt"]["recipients"] == [f"desk@{domain}"]
    assert note["receipt"]["action"] == {"type": "SNS", "topicArn": topic, "encoding": "UTF8"}
    assert "inbound body" in note["content"] and "X-Gureum-Rule: store" in note["content"]


def test_stop_action_ends_the_rule_set_and_reorder_changes_the_order(ses: SesGureum) -> None:
    client = ses.client("ses")
    domain = _domain()
    first, second = _bucket(ses), _bucket(ses)
    name = _activate(ses, [
        {"Name": "stopper", "Enabled": True, "Recipients": [domain], "Actions": [
            {"S3Action": {"BucketName": first}}, {"StopAction": {"Scope": "RuleSet"}}]},
        {"Name": "later", "Enabled": True, "Recipients": [domain], "Actions": [{"S3Action": {"BucketName": second}}]}])
    _mail(ses, "s@example.org", [f"x@{domain}"], "stopped")
    assert len(_objects(ses, first)) == 1 and _objects(ses, second) == []
    client.reorder_receipt_rule_set(RuleSetName=name, RuleNames=["later", "stopper"])
    assert [r["Name"] for r in client.describe_receipt_rule_set(RuleSetName=name)["Rules"]] == ["later", "stopper"]
    _mail(ses, "s@example.org", [f"x@{domain}"], "both now")
    assert len(_objects(ses, first)) == 2 and len(_objects(ses, second)) == 1
    with pytest.raises(client.exceptions.RuleDoesNotExistException):
        client.reorder_receipt_rule_set(RuleSetName=name, RuleNames=["later", "nope"])


def test_bounce_action_mails_the_sender(ses: SesGureum) -> None:
    domain = _domain()
    _activate(ses, [{"Name": "bounce", "Enabled": True, "Recipients": [f"gone@{domain}"], "Actions": [
        {"BounceAction": {"SmtpReplyCode": "550", "StatusCode": "5.1.1", "Message": "Mailbox does not exist",
                          "Sender": f"mailer-daemon@{domain}"}}]}])
    sender = f"writer-{uuid.uuid4().hex[:6]}@example.org"
    _mail(ses, sender, [f"gone@{domain}"], "to the void")
    bounces = ses.sent(sender)
    assert len(bounces) == 1 and bounces[0]["source"] == f"mailer-daemon@{domain}"
    assert "550 5.1.1 Mailbox does not exist" in bounces[0]["body"]["text"]


def test_receipt_rule_api_errors(ses: SesGureum) -> None:
    client = ses.client("ses")
    name = _activate(ses, [])
    with pytest.raises(client.exceptions.AlreadyExistsException):
        client.create_receipt_rule_set(RuleSetName=name)
    with pytest.raises(client.exceptions.CannotDeleteException):
        client.delete_receipt_rule_set(RuleSetName=name)
    with pytest.raises(client.exceptions.RuleSetDoesNotExistException):
        client.describe_receipt_rule_set(RuleSetName="no-such-set")
    with pytest.raises(client.exceptions.InvalidS3ConfigurationException):
        client.create_receipt_rule(RuleSetName=name, Rule={"Name": "r", "Actions": [
            {"S3Action": {"BucketName": f"missing-{uuid.uuid4().hex[:8]}"}}]})
    with pytest.raises(client.exceptions.InvalidSnsTopicException):
        client.create_receipt_rule(RuleSetName=name, Rule={"Name": "r", "Actions": [
            {"SNSAction": {"TopicArn": "arn:aws:sns:us-east-1:000000000000:missing"}}]})
    with pytest.raises(client.exceptions.ClientError) as unbuilt:
        client.create_receipt_rule(RuleSetName=name, Rule={"Name": "r", "Actions": [
            {"WorkmailAction": {"OrganizationArn": "arn:aws:workmail:us-east-1:000000000000:organization/m-1"}}]})
    assert unbuilt.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    client.create_receipt_rule(RuleSetName=name, Rule={"Name": "r", "Enabled": True, "Actions": []})
    with pytest.raises(client.exceptions.AlreadyExistsException):
        client.create_receipt_rule(RuleSetName=name, Rule={"Name": "r"})
    with pytest.raises(client.exceptions.RuleDoesNotExistException):
        client.create_receipt_rule(RuleSetName=name, After="nope", Rule={"Name": "r2"})
    active = client.describe_active_receipt_rule_set()
    assert active["Metadata"]["Name"] == name and [r["Name"] for r in active["Rules"]] == ["r"]
    assert active["Rules"][0]["TlsPolicy"] == "Optional"
    client.set_active_receipt_rule_set()
    assert "Metadata" not in client.describe_active_receipt_rule_set()
    client.delete_receipt_rule_set(RuleSetName=name)
    assert name not in [s["Name"] for s in client.list_receipt_rule_sets()["RuleSets"]]


TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                  "Action": "sts:AssumeRole"}]}


def _function(ses: SesGureum, code: str) -> tuple[str, str]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", code)
    role = ses.client("iam").create_role(RoleName=f"r-{uuid.uuid4().hex[:6]}",
                                         AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    name = f"ses-{uuid.uuid4().hex[:8]}"
    lam = ses.client("lambda")
    arn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                              Code={"ZipFile": buf.getvalue()})["FunctionArn"]
    wait_for(f"{name} active", lambda: lam.get_function(FunctionName=name)["Configuration"]["State"] == "Active", 60)
    lam.add_permission(FunctionName=name, StatementId="ses", Action="lambda:InvokeFunction",
                       Principal="ses.amazonaws.com")
    return name, arn


def _events(ses: SesGureum, function: str, want: int) -> list[dict[str, Any]]:
    logs = ses.client("logs")
    found: list[dict[str, Any]] = []

    def enough() -> bool:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}", filterPattern="SESEVENT")["events"]
        except logs.exceptions.ResourceNotFoundException:
            return False
        found[:] = [json.loads(e["message"].split("SESEVENT ", 1)[1]) for e in events if "SESEVENT " in e["message"]]
        return len(found) >= want

    wait_for(f"{want} SES events in {function}'s log", enough, 60, interval=0.3)
    return found


RECORDER = "import json\ndef handler(event, context):\n    print('SESEVENT ' + json.dumps(event))\n    return None\n"
STOPPER = ("import json\ndef handler(event, context):\n    print('SESEVENT ' + json.dumps(event))\n"
           "    return {'disposition': 'STOP_RULE_SET'}\n")


def test_lambda_actions_get_the_ses_event_and_stop_rule_set_is_honoured(ses: SesGureum) -> None:
    recorder, recorder_arn = _function(ses, RECORDER)
    stopper, stopper_arn = _function(ses, STOPPER)
    bucket = _bucket(ses)
    domain = _domain()
    _activate(ses, [
        {"Name": "functions", "Enabled": True, "Recipients": [f"bot@{domain}"], "Actions": [
            {"LambdaAction": {"FunctionArn": recorder_arn, "InvocationType": "Event"}},
            {"LambdaAction": {"FunctionArn": stopper_arn, "InvocationType": "RequestResponse"}}]},
        {"Name": "after", "Enabled": True, "Recipients": [domain], "Actions": [{"S3Action": {"BucketName": bucket}}]}])
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "human@example.org", f"bot@{domain}", "hello bot"
    msg.set_content("please answer")
    with smtplib.SMTP("127.0.0.1", ses.smtp_port, timeout=120) as smtp:
        smtp.send_message(msg, from_addr="human@example.org", to_addrs=[f"bot@{domain}"])
    event = _events(ses, stopper, 1)[0]
    record = event["Records"][0]
    assert record["eventSource"] == "aws:ses" and record["eventVersion"] == "1.0"
    assert record["ses"]["mail"]["commonHeaders"]["subject"] == "hello bot"
    assert record["ses"]["mail"]["source"] == "human@example.org"
    assert record["ses"]["receipt"]["action"] == {"type": "Lambda", "functionArn": stopper_arn,
                                                  "invocationType": "RequestResponse"}
    assert record["ses"]["receipt"]["recipients"] == [f"bot@{domain}"]
    queued = _events(ses, recorder, 1)[0]["Records"][0]
    assert queued["ses"]["receipt"]["action"]["invocationType"] == "Event"
    # STOP_RULE_SET: the second rule never ran
    assert _objects(ses, bucket) == []

"""Receiving: one message accepted by the SMTP server (smtp_server.py) run through an
account's active receipt rule set, rule by rule in order, each matching rule's actions in
order, as AWS does:
- S3Action: the raw message stored as `<ObjectKeyPrefix><messageId>` in the bucket (s3.port);
- SNSAction: a "Received" notification with the content (UTF-8 or Base64);
- LambdaAction: the SES event; Event (queued, retried by Lambda) or RequestResponse, whose
  `disposition` STOP_RULE ends this rule and STOP_RULE_SET the whole set;
- BounceAction: a bounce mail to the sender (kept and relayed as sent mail);
- StopAction: the set ends here;
- AddHeaderAction: the header added for the actions after it.
Any action's TopicArn gets the same "Received" notification (without content). A failing
action is logged and the next runs (AWS records the failure and moves on).

The notification and event shapes (`mail`, `receipt`) are AWS's: mail {timestamp, source,
messageId, destination, headersTruncated, headers, commonHeaders}; receipt {timestamp,
processingTimeMillis, recipients (those the rule matched), spam/virus/spf/dkim/dmarc
verdicts, action}. Verdicts are not computed here: PASS for spam and virus (scanning is not
built), GRAY for SPF, DKIM and DMARC."""

from __future__ import annotations

import base64
import email.utils
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from typing import TYPE_CHECKING, Any

from gureum.ports import FUNCTIONS, TOPICS, port
from gureum.services.s3 import port as s3_port
from gureum.services.ses import messages, receipt, relay, sending

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.ses")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"


@dataclass
class Received:
    """One inbound message for one account and Region."""

    account: str
    region: str
    envelope_from: str
    recipients: list[str]
    raw: bytes
    message_id: str = ""
    timestamp: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        if not self.message_id:
            self.message_id = messages.new_id(self.timestamp)


def mail_object(msg: Received) -> dict[str, Any]:
    parsed = BytesParser(policy=policy.compat32).parsebytes(msg.raw, headersonly=True)
    headers = [{"name": k, "value": str(v)} for k, v in parsed.items()]

    def addresses(name: str) -> list[str]:
        return [str(v) for v in parsed.get_all(name) or []]

    common: dict[str, Any] = {"returnPath": msg.envelope_from}
    if parsed.get("From"):
        common["from"] = addresses("From")
    if parsed.get("Date"):
        common["date"] = str(parsed["Date"])
    if parsed.get("To"):
        common["to"] = [a.strip() for v in addresses("To") for a in v.split(",")]
    if parsed.get("Cc"):
        common["cc"] = [a.strip() for v in addresses("Cc") for a in v.split(",")]
    if parsed.get("Message-ID"):
        common["messageId"] = str(parsed["Message-ID"])
    if parsed.get("Subject") is not None:
        common["subject"] = str(parsed["Subject"])
    return {"timestamp": _iso(msg.timestamp), "source": msg.envelope_from, "messageId": msg.message_id,
            "destination": list(msg.recipients), "headersTruncated": False, "headers": headers, "commonHeaders": common}


def receipt_object(msg: Received, recipients: list[str], action: dict[str, Any]) -> dict[str, Any]:
    return {"timestamp": _iso(msg.timestamp), "processingTimeMillis": max(0, int((time.time() - msg.timestamp) * 1000)),
            "recipients": recipients, "spamVerdict": {"status": "PASS"}, "virusVerdict": {"status": "PASS"},
            "spfVerdict": {"status": "GRAY"}, "dkimVerdict": {"status": "GRAY"}, "dmarcVerdict": {"status": "GRAY"},
            "action": action}


def notification(msg: Received, recipients: list[str], action: dict[str, Any], content: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"notificationType": "Received", "mail": mail_object(msg),
                           "receipt": receipt_object(msg, recipients, action)}
    if content is not None:
        doc["content"] = content
    return doc


def lambda_event(msg: Received, recipients: list[str], action: dict[str, Any]) -> dict[str, Any]:
    return {"Records": [{"eventSource": "aws:ses", "eventVersion": "1.0",
                         "ses": {"mail": mail_object(msg), "receipt": receipt_object(msg, recipients, action)}}]}


async def _notify(app: App, topic: str | None, msg: Received, recipients: list[str], action: dict[str, Any],
                  content: str | None = None) -> None:
    if topic:
        await port(app, TOPICS).publish(topic, json.dumps(notification(msg, recipients, action, content)),
                                        subject="Amazon SES Email Receipt Notification")


async def _bounce(app: App, msg: Received, body: dict[str, Any]) -> None:
    sender = body.get("Sender") or "MAILER-DAEMON@amazonses.com"
    reason = f"{body.get('SmtpReplyCode', '550')} {body.get('StatusCode') or '5.1.1'} {body.get('Message', '')}".strip()
    out = sending.Outgoing(source=sender, to=[msg.envelope_from], subject="Delivery Status Notification (Failure)",
                           text=f"An error occurred while trying to deliver the mail to the following recipients:\n"
                                f"{', '.join(msg.recipients)}\n\n{reason}\n")
    from gureum.services.ses.settings import SesSettings

    settings = app.settings(SesSettings)
    now = time.time()
    await app.store.run(lambda t: sending.keep(t, msg.account, msg.region, out, now=now, relay=bool(settings.relay),
                                               count=False))
    relay.wake(app)


async def run_action(app: App, msg: Received, recipients: list[str], action: dict[str, Any]) -> str | None:
    """One action; "STOP_RULE" or "STOP_RULE_SET" when evaluation stops, else None."""
    kind, body = next((k, v) for k, v in action.items() if v is not None)
    topic = body.get("TopicArn")
    if kind == "S3Action":
        key = (body.get("ObjectKeyPrefix") or "") + msg.message_id
        await s3_port.put(app, body["BucketName"], key, msg.raw, principal="ses.amazonaws.com")
        shaped = {"type": "S3", "bucketName": body["BucketName"], "objectKey": key,
                  **({"objectKeyPrefix": body["ObjectKeyPrefix"]} if body.get("ObjectKeyPrefix") else {}),
                  **({"topicArn": topic} if topic else {})}
        await _notify(app, topic, msg, recipients, shaped)
    elif kind == "SNSAction":
        encoding = body.get("Encoding") or "UTF-8"
        content = (base64.b64encode(msg.raw).decode() if encoding == "Base64" else msg.raw.decode("utf-8", "replace"))
        await _notify(app, topic, msg, recipients, {"type": "SNS", "topicArn": topic,
                                                    "encoding": "BASE64" if encoding == "Base64" else "UTF8"}, content)
    elif kind == "LambdaAction":
        invocation = body.get("InvocationType") or "Event"
        shaped = {"type": "Lambda", "functionArn": body["FunctionArn"], "invocationType": invocation,
                  **({"topicArn": topic} if topic else {})}
        payload = json.dumps(lambda_event(msg, recipients, shaped)).encode()
        functions = port(app, FUNCTIONS)
        await _notify(app, topic, msg, recipients, shaped)
        if invocation == "RequestResponse":
            result, error = await functions.invoke(body["FunctionArn"], payload)
            if error:
                log.warning("SES Lambda action %s failed: %s", body["FunctionArn"], result[:500])
                return None
            try:
                disposition = json.loads(result or b"null")
            except ValueError:
                return None
            if isinstance(disposition, dict) and disposition.get("disposition") in ("STOP_RULE", "STOP_RULE_SET"):
                return str(disposition["disposition"])
        else:
            await functions.invoke_async(body["FunctionArn"], payload)
    elif kind == "BounceAction":
        await _bounce(app, msg, body)
        await _notify(app, topic, msg, recipients, {"type": "Bounce", "smtpReplyCode": body.get("SmtpReplyCode"),
                                                    "statusCode": body.get("StatusCode"), "message": body.get("Message"),
                                                    "sender": body.get("Sender"), **({"topicArn": topic} if topic else {})})
    elif kind == "StopAction":
        await _notify(app, topic, msg, recipients, {"type": "Stop", "scope": body.get("Scope") or "RuleSet",
                                                    **({"topicArn": topic} if topic else {})})
        return "STOP_RULE_SET"
    elif kind == "AddHeaderAction":
        line = f"{body['HeaderName']}: {body['HeaderValue']}\r\n".encode()
        msg.raw = line + msg.raw
    return None


async def process(app: App, msg: Received) -> int:
    """Run `msg` through its account's active rule set; returns how many rules applied."""
    rule_set = await app.store.read(lambda t: receipt.active(t, msg.account, msg.region))
    if rule_set is None:
        return 0
    applied = 0
    for rule in rule_set["Rules"]:
        matched = [r for r in msg.recipients if receipt.matches(rule, r)]
        if not matched:
            continue
        applied += 1
        stop = None
        for action in rule["Actions"]:
            try:
                stop = await run_action(app, msg, matched, action)
            except Exception as exc:
                log.warning("SES receipt rule %s: action %s failed: %s", rule["Name"], next(iter(action)), exc)
                stop = None
            if stop is not None:
                break
        if stop == "STOP_RULE_SET":
            break
    app.ledger.record(msg.account, "requests", {"aws_service": "ses", "unit": "SES-Message", "region": msg.region,
                                                "resource": rule_set["Name"], "requests": 1})
    return applied


def envelope_address(text: str) -> str:
    return email.utils.parseaddr(text)[1] or text

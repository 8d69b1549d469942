"""Event publishing: a message sent with a configuration set has its sending events published
to the set's enabled event destinations (event_destinations.py) whose MatchingEventTypes name
them, as AWS publishes them:

- SNS: the event record (eventType "Send", "Delivery", "Bounce", "Rendering Failure" and its
  "mail" object: timestamp, messageId, source, sourceArn, sendingAccountId, destination,
  headers, commonHeaders, tags with SES's automatic ones) published to the topic through
  gureum/delivery.py;
- CloudWatch: one datapoint (value 1, Count) of the event's metric ("Send", "Delivery",
  "Bounce", "Rendering Failures") in AWS/SES, dimensioned as each DimensionConfiguration says:
  the message tag or email header named like the dimension, else its default value.

The events gureum observes: SEND when the send is accepted; RENDERING_FAILURE when a template
lacks an attribute; DELIVERY when the relay (`ses.relay`) accepts the message; BOUNCE when it
refuses it for good (5xx), and for recipients who unsubscribed from the contact list the send
names (ListManagementOptions; subtype UnsubscribedRecipient, as SES does). REJECT (SES's virus scan), COMPLAINT, DELIVERY_DELAY, SUBSCRIPTION,
OPEN and CLICK (which need tracking links and a pixel) are never published. Events are queued
in the transaction that made them (messages.py's ses_event_queue) and published by the
worker's sweep (`drain`), at least once, so a send never waits on its destinations; a
destination that cannot be reached is logged, never the sender's error."""

from __future__ import annotations

import datetime
import email.utils
import functools
import logging
import uuid
from email import policy
from email.parser import Parser
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.delivery import deliver
from gureum.services.ses import event_destinations, messages

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn

log = logging.getLogger("gureum.ses")
NAMESPACE = "AWS/SES"
RECORD_TYPE = {"SEND": "Send", "DELIVERY": "Delivery", "BOUNCE": "Bounce", "REJECT": "Reject",
               "RENDERING_FAILURE": "Rendering Failure"}
METRIC = {"SEND": "Send", "DELIVERY": "Delivery", "BOUNCE": "Bounce", "REJECT": "Reject",
          "RENDERING_FAILURE": "Rendering Failures"}
DETAIL_FIELD = {"SEND": "send", "DELIVERY": "delivery", "BOUNCE": "bounce", "REJECT": "reject",
                "RENDERING_FAILURE": "failure"}


def iso(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"


def _headers(doc: dict[str, Any]) -> list[tuple[str, str]]:
    msg = Parser(policy=policy.default).parsestr(str(doc.get("raw") or ""), headersonly=True)
    return [(k, str(v)) for k, v in msg.items()]


def auto_tags(doc: dict[str, Any]) -> dict[str, list[str]]:
    """The message's tags as the event's mail.tags: SES's automatic ones and the sender's."""
    sender = str(doc.get("envelope_from") or email.utils.parseaddr(doc["source"])[1])
    out: dict[str, list[str]] = {"ses:operation": ["SendEmail"], "ses:configuration-set": [doc["configuration_set"]],
                                 "ses:source-ip": ["127.0.0.1"], "ses:from-domain": [sender.rpartition("@")[2]],
                                 "ses:caller-identity": [doc["account"]]}
    for t in doc.get("tags") or []:
        out[t["Name"]] = [t["Value"]]
    return out


def mail_object(doc: dict[str, Any]) -> dict[str, Any]:
    """The event's "mail": the message as SES describes it."""
    headers = _headers(doc)
    sender = str(doc.get("envelope_from") or email.utils.parseaddr(doc["source"])[1])

    def header(name: str) -> str | None:
        return next((v for k, v in headers if k.lower() == name), None)

    common: dict[str, Any] = {"from": [doc["source"]], "messageId": doc["id"], "subject": doc.get("subject", "")}
    if doc.get("to"):
        common["to"] = list(doc["to"])
    if doc.get("cc"):
        common["cc"] = list(doc["cc"])
    if header("date"):
        common["date"] = header("date")
    return {"timestamp": iso(float(doc["timestamp"])), "source": doc["source"],
            "sourceArn": arns.ses_identity(doc["region"], doc["account"], sender),
            "sendingAccountId": doc["account"], "messageId": doc["id"], "destination": list(doc["destination"]),
            "headersTruncated": False, "headers": [{"name": k, "value": v} for k, v in headers],
            "commonHeaders": common, "tags": auto_tags(doc)}


def record(doc: dict[str, Any], event: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {"eventType": RECORD_TYPE[event], "mail": mail_object(doc), DETAIL_FIELD[event]: detail}


def dimensions(doc: dict[str, Any], configs: list[dict[str, Any]]) -> dict[str, str]:
    tags = auto_tags(doc)
    headers = _headers(doc) if any(c["DimensionValueSource"] == "EMAIL_HEADER" for c in configs) else []
    out = {}
    for c in configs:
        name: str = c["DimensionName"]
        value: str | None = None
        if c["DimensionValueSource"] == "MESSAGE_TAG":
            value = next(iter(tags.get(name) or []), None)
        elif c["DimensionValueSource"] == "EMAIL_HEADER":
            value = next((v for k, v in headers if k.lower() == name.lower()), None)
        out[name] = value or c["DefaultDimensionValue"]
    return out


def delivery_detail(doc: dict[str, Any], now: float, reporting: str) -> dict[str, Any]:
    return {"timestamp": iso(now), "processingTimeMillis": max(0, int((now - float(doc["timestamp"])) * 1000)),
            "recipients": list(doc["destination"]), "smtpResponse": "250 OK", "reportingMTA": reporting}


def bounce_detail(doc: dict[str, Any], now: float, reporting: str, diagnostic: str, *,
                  recipients: list[str] | None = None, subtype: str = "General") -> dict[str, Any]:
    """A Bounce's detail: the relay refused (General), or the recipients unsubscribed from
    the contact list the send named (UnsubscribedRecipient)."""
    return {"bounceType": "Permanent", "bounceSubType": subtype, "timestamp": iso(now),
            "feedbackId": f"0100{int(now * 1000):012x}-{uuid.uuid4()}-000000", "reportingMTA": f"dns; {reporting}",
            "bouncedRecipients": [{"emailAddress": r, "action": "failed", "status": "5.0.0",
                                   "diagnosticCode": f"smtp; {diagnostic}"}
                                  for r in (doc["destination"] if recipients is None else recipients)]}


async def publish(app: App, doc: dict[str, Any], event: str, detail: dict[str, Any]) -> int:
    """Publish `event` of the kept message `doc` to its configuration set's destinations;
    how many destinations took it."""
    cs = doc.get("configuration_set")
    if not cs:
        return 0
    account, region = str(doc["account"]), str(doc["region"])
    dests = await app.store.read(lambda t: event_destinations.listing(t, account, region, cs))
    done = 0
    for dest in dests:
        if not dest.get("Enabled") or event not in dest.get("MatchingEventTypes", []):
            continue
        if dest.get("SnsDestination"):
            try:
                await deliver(app, dest["SnsDestination"]["TopicArn"], record(doc, event, detail))
            except AwsError as exc:
                log.warning("SES event destination %s/%s: %s", cs, dest["Name"], exc.message)
                continue
        elif dest.get("CloudWatchDestination"):
            from gureum.services.cloudwatch import port as cloudwatch

            dims = dimensions(doc, dest["CloudWatchDestination"]["DimensionConfigurations"])
            cloudwatch.emit(app, account, region, NAMESPACE, METRIC[event], dims, 1.0, "Count")
        done += 1
    return done


def _published(txn: Txn, queue_key: str) -> None:
    txn.delete(messages.EVENT_QUEUE, queue_key)


async def drain(app: App) -> int:
    """Publish every queued event, oldest first; how many."""
    done = 0
    while True:
        batch = await app.store.run(lambda t: messages.queued_events(t))
        if not batch:
            return done
        for qk, doc, row in batch:
            await publish(app, doc, str(row["event"]), dict(row["detail"]))
            await app.store.run(functools.partial(_published, queue_key=qk))
            done += 1
